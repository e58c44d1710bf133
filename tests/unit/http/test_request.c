/* test_request.c - form/query parsing, cookies and the JSON responses of http/request.c. */
#include <criterion/criterion.h>
#include <jansson.h>
#include <string.h>

#include "core/arena.h"
#include "http/request.h"

static struct arena arena;
static struct request r;

static void request_setup(void)
{
    arena_init(&arena, 4096);
    /* As in a worker: every json_t of the request lives in its arena. */
    json_alloc_init();
    json_use_arena(&arena);
    req_init(&r, &arena);
}

static void request_teardown(void)
{
    json_use_arena(NULL);
    arena_free(&arena);
}

TestSuite(cookie, .init = request_setup, .fini = request_teardown);
TestSuite(resp, .init = request_setup, .fini = request_teardown);

/* The response body parsed back; fails the test when it is not JSON. */
static json_t *body_json(void)
{
    json_error_t e;
    json_t *j = json_loads(r.out.s, 0, &e);
    cr_assert_not_null(j, "body is not JSON (%s): \"%s\"", e.text, r.out.s);
    return j;
}

/* --- req_cookie -------------------------------------------------------------------------- */

Test(cookie, finds_the_only_cookie)
{
    r.cookie_header = "session=abc123";
    cr_assert_str_eq(req_cookie(&r, "session"), "abc123");
}

Test(cookie, finds_each_of_several_cookies)
{
    r.cookie_header = "a=1; b=2; c=3";
    cr_assert_str_eq(req_cookie(&r, "a"), "1");
    cr_assert_str_eq(req_cookie(&r, "b"), "2");
    cr_assert_str_eq(req_cookie(&r, "c"), "3");
}

Test(cookie, tolerates_missing_and_extra_spaces)
{
    r.cookie_header = "  a=1;b=2;   c=3";
    cr_assert_str_eq(req_cookie(&r, "a"), "1");
    cr_assert_str_eq(req_cookie(&r, "b"), "2");
    cr_assert_str_eq(req_cookie(&r, "c"), "3");
}

Test(cookie, name_that_prefixes_an_earlier_cookie_finds_its_own)
{
    r.cookie_header = "session_id=111; session=222";
    cr_assert_str_eq(req_cookie(&r, "session"), "222");
}

Test(cookie, longer_name_is_not_matched_by_its_prefix)
{
    r.cookie_header = "session=222; session_id=111";
    cr_assert_str_eq(req_cookie(&r, "session_id"), "111");
}

Test(cookie, name_is_not_matched_inside_another_name)
{
    r.cookie_header = "xsession=1";
    cr_assert_null(req_cookie(&r, "session"));
}

Test(cookie, value_may_contain_equals_signs)
{
    r.cookie_header = "t=ab==; u=1";
    cr_assert_str_eq(req_cookie(&r, "t"), "ab==");
}

Test(cookie, empty_value_is_empty_string)
{
    r.cookie_header = "a=; b=2";
    cr_assert_str_eq(req_cookie(&r, "a"), "");
}

Test(cookie, missing_cookie_is_null)
{
    r.cookie_header = "a=1; b=2";
    cr_assert_null(req_cookie(&r, "c"));
}

Test(cookie, cookie_without_a_value_is_null)
{
    r.cookie_header = "a; b=2";
    cr_assert_null(req_cookie(&r, "a"));
}

Test(cookie, no_cookie_header_is_null)
{
    r.cookie_header = NULL;
    cr_assert_null(req_cookie(&r, "a"));
}

Test(cookie, empty_cookie_header_is_null)
{
    r.cookie_header = "";
    cr_assert_null(req_cookie(&r, "a"));
}

/* --- resp_json / resp_error -------------------------------------------------------------- */

Test(resp, json_sets_status_type_and_compact_body)
{
    resp_json(&r, 201, json_pack("{s:i}", "id", 7));
    cr_assert_eq(r.status, 201);
    cr_assert_str_eq(r.out_type, "application/json");
    cr_assert_str_eq(r.out.s, "{\"id\":7}");
    cr_assert_eq(r.out.len, strlen("{\"id\":7}"));
}

Test(resp, json_replaces_an_earlier_body)
{
    resp_text(&r, 200, "text/plain", "old body");
    resp_json(&r, 200, json_pack("[]"));
    cr_assert_str_eq(r.out.s, "[]");
}

Test(resp, error_sets_the_status_and_json_type)
{
    resp_error(&r, 422, "invalid_parameter", "page must be a whole number");
    cr_assert_eq(r.status, 422);
    cr_assert_str_eq(r.out_type, "application/json");
}

Test(resp, error_body_is_exactly_code_and_message_under_error)
{
    resp_error(&r, 404, "not_found", "no product has id %s", "42");
    json_t *body = body_json();
    cr_assert_eq(json_object_size(body), 1);
    json_t *err = json_object_get(body, "error");
    cr_assert(json_is_object(err));
    cr_assert_eq(json_object_size(err), 2);
    cr_assert_str_eq(json_string_value(json_object_get(err, "code")), "not_found");
    cr_assert_str_eq(json_string_value(json_object_get(err, "message")), "no product has id 42");
}

Test(resp, error_replaces_an_earlier_body)
{
    resp_text(&r, 200, "text/plain", "half a page");
    resp_error(&r, 500, "internal", "boom");
    cr_assert_str_eq(r.out.s, "{\"error\":{\"code\":\"internal\",\"message\":\"boom\"}}");
}

Test(resp, error_message_is_escaped_as_json)
{
    resp_error(&r, 400, "bad", "say \"hi\"\n");
    json_t *err = json_object_get(body_json(), "error");
    cr_assert_str_eq(json_string_value(json_object_get(err, "message")), "say \"hi\"\n");
}

/* app.c answers 404 with "there is nothing at <path>"; a long UTF-8 path must still give the
 * DESIGN error shape, so a truncated message may not end inside a character. */
Test(resp, error_with_a_long_multibyte_message_still_has_a_json_body)
{
    char path[1 + 200 * 3 + 1] = "/";
    for (int i = 0; i < 200; i++)
        memcpy(path + 1 + i * 3, "\xEA\xB0\x80", 3); /* 가 */
    path[sizeof(path) - 1] = '\0';
    resp_error(&r, 404, "not_found", "there is nothing at %s", path);
    cr_assert_eq(r.status, 404);
    json_t *err = json_object_get(body_json(), "error");
    cr_assert_str_eq(json_string_value(json_object_get(err, "code")), "not_found");
    const char *message = json_string_value(json_object_get(err, "message"));
    cr_assert_not_null(message);
    cr_assert_eq(strncmp(message, "there is nothing at /\xEA\xB0\x80", 24), 0);
}

Test(resp, json_values_are_counted_outside_strings_only)
{
    const char *s = "{\"a\":[1,2,{}],\"b\":\"x,{[\\\",\"}";
    cr_assert_eq(req_json_values(s, strlen(s), 100), 7);
    cr_assert_eq(req_json_values("{}", 2, 100), 2);
    cr_assert_eq(req_json_values("[1,1,1,1,1,1]", 13, 3), 4, "counting stops past the limit");
}
