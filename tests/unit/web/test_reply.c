/* test_reply.c - the API's JSON answers and error shape (web/reply.c) and its body (web/api.c). */
#include <criterion/criterion.h>
#include <jansson.h>
#include <stdio.h>
#include <string.h>

#include "core/arena.h"
#include "http/request.h"
#include "web/api.h"
#include "web/reply.h"

static struct arena arena;
static struct request r;

static void reply_setup(void)
{
    arena_init(&arena, 4096);
    /* As in a worker: every json_t of the request lives in its arena. */
    json_alloc_init();
    json_use_arena(&arena);
    reply_init();
    req_init(&r, &arena);
}

static void reply_teardown(void)
{
    json_use_arena(NULL);
    resp_set_error_writer(NULL);
    arena_free(&arena);
}

TestSuite(reply, .init = reply_setup, .fini = reply_teardown);
TestSuite(api_body, .init = reply_setup, .fini = reply_teardown);

/* The response body parsed back; fails the test when it is not JSON. */
static json_t *body_json(void)
{
    json_error_t e;
    json_t *j = json_loads(r.out.s, 0, &e);
    cr_assert_not_null(j, "body is not JSON (%s): \"%s\"", e.text, r.out.s);
    return j;
}

/* The error code of a JSON error answer. */
static const char *error_code(void)
{
    return json_string_value(json_object_get(json_object_get(body_json(), "error"), "code"));
}

/* --- reply_json / resp_error ------------------------------------------------------------- */

Test(reply, json_sets_status_type_and_compact_body)
{
    reply_json(&r, 201, json_pack("{s:i}", "id", 7));
    cr_assert_eq(r.status, 201);
    cr_assert_str_eq(r.out_type, "application/json");
    cr_assert_str_eq(r.out.s, "{\"id\":7}");
    cr_assert_eq(r.out.len, strlen("{\"id\":7}"));
}

Test(reply, json_replaces_an_earlier_body)
{
    resp_text(&r, 200, "text/plain", "old body");
    reply_json(&r, 200, json_pack("[]"));
    cr_assert_str_eq(r.out.s, "[]");
}

Test(reply, error_sets_the_status_and_json_type)
{
    resp_error(&r, 422, "invalid_parameter", "page must be a whole number");
    cr_assert_eq(r.status, 422);
    cr_assert_str_eq(r.out_type, "application/json");
}

Test(reply, error_body_is_exactly_code_and_message_under_error)
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

Test(reply, error_replaces_an_earlier_body)
{
    resp_text(&r, 200, "text/plain", "half a page");
    resp_error(&r, 500, "internal", "boom");
    cr_assert_str_eq(r.out.s, "{\"error\":{\"code\":\"internal\",\"message\":\"boom\"}}");
}

Test(reply, error_message_is_escaped_as_json)
{
    resp_error(&r, 400, "bad", "say \"hi\"\n");
    json_t *err = json_object_get(body_json(), "error");
    cr_assert_str_eq(json_string_value(json_object_get(err, "message")), "say \"hi\"\n");
}

/* app.c answers 404 with "there is nothing at <path>"; a long UTF-8 path must still give the
 * DESIGN error shape, so a truncated message may not end inside a character. */
Test(reply, error_with_a_long_multibyte_message_still_has_a_json_body)
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

Test(reply, result_wraps_the_value_under_its_key)
{
    struct err e = {0};
    reply_result(&r, 200, "coupon", json_pack("{s:i}", "id", 3), &e);
    cr_assert_str_eq(r.out.s, "{\"coupon\":{\"id\":3}}");
}

Test(reply, result_without_a_value_answers_the_error_with_retry_after)
{
    struct err e = {0};
    err_set(&e, 429, "rate_limited", "slow down");
    e.retry_after = 7;
    reply_result(&r, 200, "coupon", NULL, &e);
    cr_assert_eq(r.status, 429);
    cr_assert_str_eq(error_code(), "rate_limited");
    cr_assert_not_null(strstr(r.out_headers.s, "Retry-After: 7\r\n"));
}

/* --- api_body ---------------------------------------------------------------------------- */

static void body(const char *type, const char *text)
{
    r.content_type = type;
    r.body = text;
    r.body_len = strlen(text);
}

Test(api_body, decodes_an_object_once)
{
    body("application/json; charset=utf-8", "{\"quantity\": 2}");
    json_t *j = api_body(&r);
    cr_assert_not_null(j);
    cr_assert_eq(json_integer_value(json_object_get(j, "quantity")), 2);
    cr_assert_eq(api_body(&r), j, "a second call returns the same object");
}

Test(api_body, empty_body_is_400_invalid_json)
{
    body("application/json", "");
    cr_assert_null(api_body(&r));
    cr_assert_eq(r.status, 400);
    cr_assert_str_eq(error_code(), "invalid_json");
}

Test(api_body, other_media_type_is_415)
{
    body("application/x-www-form-urlencoded", "a=1");
    cr_assert_null(api_body(&r));
    cr_assert_eq(r.status, 415);
    cr_assert_str_eq(error_code(), "unsupported_media_type");
}

Test(api_body, broken_json_and_non_objects_are_400)
{
    body(NULL, "{\"a\":");
    cr_assert_null(api_body(&r));
    cr_assert_eq(r.status, 400);
    cr_assert_str_eq(error_code(), "invalid_json");
    req_init(&r, &arena);
    body("application/json", "[1, 2]");
    cr_assert_null(api_body(&r));
    cr_assert_eq(r.status, 400);
}

Test(api_body, duplicate_keys_are_refused)
{
    body("application/json", "{\"a\": 1, \"a\": 2}");
    cr_assert_null(api_body(&r));
    cr_assert_eq(r.status, 400);
}

Test(api_body, too_many_values_is_413_before_parsing)
{
    size_t n = API_BODY_MAX_VALUES + 2;
    char *text = arena_alloc(&arena, 3 * n + 3);
    size_t len = 0;
    text[len++] = '[';
    for (size_t i = 0; i < n; i++)
        len += (size_t)sprintf(text + len, "%s{}", i ? "," : "");
    text[len++] = ']';
    text[len] = '\0';
    body("application/json", text);
    cr_assert_null(api_body(&r));
    cr_assert_eq(r.status, 413);
    cr_assert_str_eq(error_code(), "json_too_large");
}

Test(api_body, values_are_counted_outside_strings_only)
{
    const char *s = "{\"a\":[1,2,{}],\"b\":\"x,{[\\\",\"}";
    cr_assert_eq(api_body_values(s, strlen(s), 100), 7);
    cr_assert_eq(api_body_values("{}", 2, 100), 2);
    cr_assert_eq(api_body_values("[1,1,1,1,1,1]", 13, 3), 4, "counting stops past the limit");
}
