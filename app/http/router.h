/* router.h - method + path pattern table with {param} segments. */
#ifndef FC_ROUTER_H
#define FC_ROUTER_H
#include <stdbool.h>

#include "http/request.h"

typedef void (*handler_fn)(struct request *r);

/* Who may call a route; checked before its handler runs. */
enum route_access { OPEN, SIGNED_IN, ADMIN };

struct route {
    const char *method;  /* "GET", "POST", ...; GET also answers HEAD */
    const char *pattern; /* "/api/v1/products/{id}" */
    handler_fn fn;
    bool html; /* a page: errors render as HTML */
    enum route_access access;
};

#define ROUTE_NOT_FOUND (-1)
#define ROUTE_BAD_METHOD (-2)

/* Returns the index of the matching route and fills r->params, or ROUTE_NOT_FOUND, or
 * ROUTE_BAD_METHOD when the path exists under another method. */
int router_match(const struct route *routes, int n, const char *method, const char *path,
                 struct request *r);

#endif
