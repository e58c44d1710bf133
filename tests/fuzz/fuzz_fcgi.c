/* fuzz_fcgi.c - what the web worker reads of a FastCGI connection itself, before and beside
 * libfcgi: the check that a request's head has arrived (fcgi_head_complete, on the bytes a
 * connection sent first), and the request assembled from its parameters (req_assemble: method,
 * path, query, content length, cookies). The first byte chooses; the rest is the bytes, or the
 * parameters as NUL-separated "NAME=value" strings. Checked: the head check reads nothing past
 * its bytes (they are copied to a buffer of their exact size) and never takes back "complete"
 * when more bytes come; an assembled request has a UTF-8 path, a length within bounds, a parsed
 * query of UTF-8 pairs, and is a page exactly when its path is not under /api/; a refused one
 * is answered 400. */
#include <assert.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "core/arena.h"
#include "core/text.h"
#include "http/fcgi_records.h"
#include "http/request.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t n); /* libFuzzer's entry */

static void head(const uint8_t *data, size_t n)
{
    unsigned char *buf = malloc(n ? n : 1);
    memcpy(buf, data, n);
    bool all = fcgi_head_complete(buf, n);
    for (size_t k = 0; k < n; k += 1 + k / 4) /* a few prefixes: complete stays complete */
        if (fcgi_head_complete(buf, k))
            assert(all);
    free(buf);
}

static void params(const uint8_t *data, size_t n)
{
    char *text = malloc(n + 1);
    memcpy(text, data, n);
    text[n] = '\0';
    char *env[65];
    int k = 0;
    for (char *p = text; p < text + n && k < 64; p += strlen(p) + 1)
        if (strchr(p, '='))
            env[k++] = p;
    env[k] = NULL;
    struct arena a;
    arena_init(&a, 4096);
    struct request r;
    req_init(&r, &a);
    int rc = req_assemble(&r, env);
    if (rc == 0) {
        assert(utf8_valid(r.path, strlen(r.path)));
        assert(r.content_length >= 0 && r.content_length <= (long long)1 << 40);
        assert(r.html == (strncmp(r.path, "/api/", 5) != 0));
        for (size_t i = 0; i < r.query.n; i++)
            assert(utf8_valid(r.query.items[i].key, strlen(r.query.items[i].key)) &&
                   utf8_valid(r.query.items[i].val, strlen(r.query.items[i].val)));
        req_cookie(&r, "access_token");
    } else {
        assert(rc == 400 && r.status == 400);
    }
    arena_free(&a);
    free(text);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t n)
{
    if (n == 0)
        return 0;
    if (data[0] & 1)
        head(data + 1, n - 1);
    else
        params(data + 1, n - 1);
    return 0;
}
