/* test_request.c - cookies and the plain answers of http/request.c. */
#include <criterion/criterion.h>
#include <string.h>

#include "core/arena.h"
#include "http/request.h"

static struct arena arena;
static struct request r;

static void request_setup(void)
{
    arena_init(&arena, 4096);
    req_init(&r, &arena);
}

static void request_teardown(void)
{
    arena_free(&arena);
}

TestSuite(cookie, .init = request_setup, .fini = request_teardown);
TestSuite(resp, .init = request_setup, .fini = request_teardown);

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

Test(cookie, named_gathers_every_cookie_whose_name_starts_so)
{
    r.cookie_header = "room_pass_3=a.b.c; csrf=x; room_pass_12=d.e.f;room_pass=g";
    cr_assert_str_eq(req_cookies_named(&r, "room_pass_"), "a.b.c d.e.f");
}

Test(cookie, named_is_null_without_one)
{
    r.cookie_header = "xroom_pass_1=a; room_pass=b";
    cr_assert_null(req_cookies_named(&r, "room_pass_"));
    r.cookie_header = NULL;
    cr_assert_null(req_cookies_named(&r, "room_pass_"));
}

/* --- resp_error without a registered writer -------------------------------------------- */

Test(resp, error_without_a_writer_is_plain_text_code_and_message)
{
    resp_text(&r, 200, "text/plain", "half a page");
    resp_error(&r, 503, "unavailable", "try again in %d s", 5);
    cr_assert_eq(r.status, 503);
    cr_assert_str_eq(r.out_type, "text/plain; charset=utf-8");
    cr_assert_str_eq(r.out.s, "unavailable: try again in 5 s\n");
}

Test(resp, content_type_matches_with_or_without_parameters)
{
    r.content_type = "application/json; charset=utf-8";
    cr_assert(req_content_type_is(&r, "application/json"));
    r.content_type = "application/json";
    cr_assert(req_content_type_is(&r, "application/json"));
    r.content_type = "application/jsonp";
    cr_assert_not(req_content_type_is(&r, "application/json"));
    r.content_type = NULL;
    cr_assert_not(req_content_type_is(&r, "application/json"));
}
