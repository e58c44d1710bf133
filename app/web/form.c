/* form.c - reading a page's form and telling its outcome. */
#include "web/form.h"

#include <string.h>

#include "core/text.h"

const char *form_next_path(const char *next, const char *fallback)
{
    if (!next || next[0] != '/' || next[1] == '/' || next[1] == '\\' || strpbrk(next, "\r\n"))
        return fallback;
    return next;
}

json_t *form_body(struct request *r, const char *const *text, const char *const *nums)
{
    json_t *b = json_object();
    for (int i = 0; text[i]; i++) {
        const char *v = req_form(r, text[i]);
        if (!v || !*v)
            continue;
        /* a datetime-local input sends 2026-11-22T09:00: these forms are in UTC */
        if (strlen(v) == 16 && v[10] == 'T')
            v = arena_sprintf(r->a, "%s:00Z", v);
        json_object_set_new(b, text[i], json_string(v));
    }
    for (int i = 0; nums[i]; i++) {
        const char *v = req_form(r, nums[i]);
        long long n;
        if (!v || !*v)
            continue;
        json_object_set_new(b, nums[i],
                            parse_int64(v, -1000000000000LL, 1000000000000LL, &n) ? json_integer(n)
                                                                                  : json_string(v));
    }
    return b;
}

json_t *form_outcome(const char *done, const struct err *e)
{
    return json_pack("{s:s, s:s}", "tone", done ? "success" : "error", "message",
                     done ? done : e->msg);
}
