/* kvlist.c - name=value pairs decoded from an application/x-www-form-urlencoded string. */
#include "core/kvlist.h"

#include <string.h>

#include "core/text.h"

int kv_parse_urlencoded(struct arena *a, const char *s, size_t n, struct kvlist *out)
{
    out->items = NULL;
    out->n = 0;
    if (!s || n == 0)
        return 0;
    size_t cap = 1;
    for (size_t i = 0; i < n; i++)
        cap += s[i] == '&';
    out->items = arena_alloc(a, cap * sizeof(struct kv));
    const char *p = s, *end = s + n;
    while (p < end) {
        const char *amp = memchr(p, '&', (size_t)(end - p));
        const char *pe = amp ? amp : end;
        if (pe > p) {
            const char *eq = memchr(p, '=', (size_t)(pe - p));
            const char *ke = eq ? eq : pe;
            char *k = url_decode(a, p, (size_t)(ke - p));
            char *v = eq ? url_decode(a, eq + 1, (size_t)(pe - eq - 1)) : arena_strdup(a, "");
            if (!k || !v || !utf8_valid(k, strlen(k)) || !utf8_valid(v, strlen(v)))
                return -1;
            out->items[out->n].key = k;
            out->items[out->n].val = v;
            out->n++;
        }
        p = pe + 1;
    }
    return 0;
}

const char *kv_get(const struct kvlist *l, const char *key)
{
    for (size_t i = 0; l && i < l->n; i++)
        if (strcmp(l->items[i].key, key) == 0)
            return l->items[i].val;
    return NULL;
}
