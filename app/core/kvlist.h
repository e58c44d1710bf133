/* kvlist.h - name=value pairs decoded from an application/x-www-form-urlencoded string (a query
 * string or a form body). The list and its strings live in the arena they were parsed into; the
 * caller owns nothing separately. */
#ifndef FC_KVLIST_H
#define FC_KVLIST_H
#include <stddef.h>

#include "core/arena.h"

struct kv {
    const char *key, *val;
};
struct kvlist {
    struct kv *items;
    size_t n;
};

/* Parses s (n bytes, need not be terminated) into out. Returns 0, or -1 on a malformed escape
 * or bytes that are not UTF-8. */
int kv_parse_urlencoded(struct arena *a, const char *s, size_t n, struct kvlist *out);
/* The first value given for key, or NULL when absent (or l is NULL). */
const char *kv_get(const struct kvlist *l, const char *key);

#endif
