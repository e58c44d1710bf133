/* router.c - method + path pattern table with {param} segments. */
#include "http/router.h"

#include <string.h>

/* Matches one pattern against a path, capturing {param} segments into r. */
static bool pattern_match(const char *pat, const char *path, struct request *r)
{
    int np = 0;
    const char *cap[REQ_MAX_PARAMS];
    size_t caplen[REQ_MAX_PARAMS];
    while (*pat && *path) {
        if (*pat == '{') {
            const char *pe = strchr(pat, '}');
            const char *se = strchr(path, '/');
            if (!pe)
                return false;
            if (!se)
                se = path + strlen(path);
            if (se == path || np == REQ_MAX_PARAMS)
                return false;
            cap[np] = path;
            caplen[np++] = (size_t)(se - path);
            pat = pe + 1;
            path = se;
        } else if (*pat++ != *path++) {
            return false;
        }
    }
    if (*pat || *path)
        return false;
    if (r) {
        for (int i = 0; i < np; i++)
            r->params[i] = arena_strndup(r->a, cap[i], caplen[i]);
        r->nparams = np;
    }
    return true;
}

int router_match(const struct route *routes, int n, const char *method, const char *path,
                 struct request *r)
{
    bool path_seen = false;
    const char *m = strcmp(method, "HEAD") == 0 ? "GET" : method;
    for (int i = 0; i < n; i++) {
        if (!pattern_match(routes[i].pattern, path, NULL))
            continue;
        if (strcmp(routes[i].method, m) != 0) {
            path_seen = true;
            continue;
        }
        pattern_match(routes[i].pattern, path, r);
        return i;
    }
    return path_seen ? ROUTE_BAD_METHOD : ROUTE_NOT_FOUND;
}
