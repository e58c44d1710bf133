/* fuzz_request.c - what a request brings that our code reads itself: the Cookie header
 * (req_cookie), other headers from the FastCGI parameters (req_header), the path through the
 * router with its {id} segments, and a JSON body's value count before jansson sees it. The
 * input is split at the first two NUL bytes: cookie header, path, body. */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "core/arena.h"
#include "http/request.h"
#include "http/router.h"
#include "web/api.h"

static void noop(struct request *r)
{
    (void)r;
}

static const struct route routes[] = {
    {"GET", "/api/v1/products", noop, false, OPEN},
    {"GET", "/api/v1/products/{id}", noop, false, OPEN},
    {"PUT", "/api/v1/admin/products/{id}/picture", noop, false, ADMIN},
    {"POST", "/api/v1/coupons/{id}/claim", noop, false, SIGNED_IN},
    {"GET", "/orders/{id}/pay", noop, true, SIGNED_IN},
    {"GET", "/__error/page/{code}", noop, true, OPEN},
    {"GET", "/", noop, true, OPEN},
};

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t n); /* libFuzzer's entry */

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t n)
{
    char *buf = malloc(n + 3);
    memcpy(buf, data, n);
    buf[n] = buf[n + 1] = buf[n + 2] = '\0';
    const char *cookie = buf, *path = cookie + strlen(cookie) + 1;
    if (path > buf + n)
        path = buf + n + 1;
    const char *body = path + strlen(path) + 1;
    if (body > buf + n + 1)
        body = buf + n + 2;
    struct arena a;
    arena_init(&a, 4096);
    struct request r;
    req_init(&r, &a);
    char header[256];
    snprintf(header, sizeof(header), "HTTP_X_CSRF_TOKEN=%.200s", cookie);
    char *env[] = {header, NULL};
    r.env = env;
    r.cookie_header = cookie;
    (void)req_cookie(&r, "csrf");
    (void)req_cookie(&r, "access_token");
    (void)req_cookies_named(&r, "room_pass_");
    (void)req_header(&r, "X_CSRF_TOKEN");
    for (const char *m = "GET\0POST\0PUT\0"; *m; m += strlen(m) + 1) {
        int i = router_match(routes, (int)(sizeof(routes) / sizeof(routes[0])), m, path, &r);
        if (i >= 0)
            for (int k = 0; k < r.nparams; k++)
                (void)req_param_id(&r, k);
    }
    (void)api_body_values(body, strlen(body), 10000);
    arena_free(&a);
    free(buf);
    return 0;
}
