/* test_fcgi_records.c - the worker's own look at a FastCGI connection's first bytes
 * (fcgi_head_complete) and the request assembled from FastCGI parameters (req_assemble). */
#include <criterion/criterion.h>
#include <string.h>

#include "core/arena.h"
#include "http/fcgi_records.h"
#include "http/request.h"

/* A record: version 1, type, request id 1, content length, no padding. */
static size_t record(unsigned char *out, int type, const char *content, size_t n)
{
    unsigned char h[8] = {
        1, (unsigned char)type, 0, 1, (unsigned char)(n >> 8), (unsigned char)n, 0, 0};
    memcpy(out, h, 8);
    memcpy(out + 8, content, n);
    return 8 + n;
}

Test(fcgi_records, a_head_is_complete_with_its_empty_params_record)
{
    unsigned char buf[256];
    size_t n = record(buf, 1, "\0\1\0\0\0\0\0\0", 8);         /* begin request */
    n += record(buf + n, 4, "\x0e\x03REQUEST_METHODGET", 19); /* one parameter */
    cr_assert_not(fcgi_head_complete(buf, n), "the parameters go on");
    cr_assert_not(fcgi_head_complete(buf, n - 3), "a record cut short");
    size_t whole = n + record(buf + n, 4, "", 0);
    cr_assert(fcgi_head_complete(buf, whole));
    cr_assert_not(fcgi_head_complete(buf, 7), "not even a record header");
    n = record(buf, 2, "", 0); /* an abort: libfcgi's to handle */
    cr_assert(fcgi_head_complete(buf, n));
}

Test(fcgi_records, a_request_is_assembled_from_its_parameters)
{
    struct arena a;
    arena_init(&a, 4096);
    struct request r;
    req_init(&r, &a);
    char p1[] = "REQUEST_METHOD=POST", p2[] = "DOCUMENT_URI=/api/v1/orders",
         p3[] = "QUERY_STRING=x=1&y=%ED%95%9C", p4[] = "CONTENT_LENGTH=17",
         p5[] = "HTTP_COOKIE=csrf=abc; access_token=t", p6[] = "REMOTE_ADDR=10.1.2.3";
    char *env[] = {p1, p2, p3, p4, p5, p6, NULL};
    cr_assert_eq(req_assemble(&r, env), 0);
    cr_assert_str_eq(r.method, "POST");
    cr_assert_str_eq(r.path, "/api/v1/orders");
    cr_assert_not(r.html);
    cr_assert_eq(r.content_length, 17);
    cr_assert_str_eq(req_query(&r, "y"), "\xed\x95\x9c");
    cr_assert_str_eq(req_cookie(&r, "access_token"), "t");
    cr_assert_str_eq(r.remote_addr, "10.1.2.3");

    req_init(&r, &a);
    char q1[] = "DOCUMENT_URI=", q2[] = "SCRIPT_NAME=/products", q3[] = "CONTENT_LENGTH=12x";
    char *bad_length[] = {q1, q2, q3, NULL};
    cr_assert_eq(req_assemble(&r, bad_length), 400);
    cr_assert_str_eq(r.path, "/products");
    cr_assert(r.html);
    cr_assert_eq(r.status, 400);
    arena_free(&a);
}
