/* test_router.c - method + path matching with {param} capture (http/router.c). */
#include <criterion/criterion.h>
#include <string.h>

#include "core/arena.h"
#include "http/request.h"
#include "http/router.h"

static void h_livez(struct request *r)
{
    (void)r;
}
static void h_list(struct request *r)
{
    (void)r;
}
static void h_create(struct request *r)
{
    (void)r;
}
static void h_get(struct request *r)
{
    (void)r;
}
static void h_like(struct request *r)
{
    (void)r;
}
static void h_unlike(struct request *r)
{
    (void)r;
}
static void h_item(struct request *r)
{
    (void)r;
}

enum { LIVEZ, LIST, CREATE, GET, LIKE, UNLIKE, ITEM, NROUTES };

static const struct route routes[NROUTES] = {
    [LIVEZ] = {"GET", "/livez", h_livez, false},
    [LIST] = {"GET", "/api/v1/products", h_list, false},
    [CREATE] = {"POST", "/api/v1/products", h_create, false},
    [GET] = {"GET", "/api/v1/products/{id}", h_get, false},
    [LIKE] = {"PUT", "/api/v1/products/{id}/like", h_like, false},
    [UNLIKE] = {"DELETE", "/api/v1/products/{id}/like", h_unlike, false},
    [ITEM] = {"PUT", "/api/v1/orders/{order_id}/items/{product_id}", h_item, false},
};

static struct arena arena;
static struct request r;

static void router_setup(void)
{
    arena_init(&arena, 4096);
    req_init(&r, &arena);
}

static void router_teardown(void)
{
    arena_free(&arena);
}

TestSuite(router, .init = router_setup, .fini = router_teardown);

static int match(const char *method, const char *path)
{
    return router_match(routes, NROUTES, method, path, &r);
}

Test(router, exact_path_matches_its_route)
{
    cr_assert_eq(match("GET", "/livez"), LIVEZ);
    cr_assert_eq(r.nparams, 0);
}

Test(router, param_segment_is_captured)
{
    cr_assert_eq(match("GET", "/api/v1/products/42"), GET);
    cr_assert_eq(r.nparams, 1);
    cr_assert_str_eq(r.params[0], "42");
}

Test(router, param_is_captured_verbatim_not_validated)
{
    cr_assert_eq(match("GET", "/api/v1/products/abc"), GET);
    cr_assert_str_eq(r.params[0], "abc");
}

Test(router, param_followed_by_a_literal_segment_is_captured)
{
    cr_assert_eq(match("PUT", "/api/v1/products/7/like"), LIKE);
    cr_assert_eq(r.nparams, 1);
    cr_assert_str_eq(r.params[0], "7");
}

Test(router, two_params_are_captured_in_order)
{
    cr_assert_eq(match("PUT", "/api/v1/orders/12/items/345"), ITEM);
    cr_assert_eq(r.nparams, 2);
    cr_assert_str_eq(r.params[0], "12");
    cr_assert_str_eq(r.params[1], "345");
}

Test(router, captured_params_are_copies_not_views_of_the_path)
{
    char path[] = "/api/v1/products/42";
    cr_assert_eq(match("GET", path), GET);
    path[sizeof(path) - 2] = '9';
    cr_assert_str_eq(r.params[0], "42");
}

Test(router, same_path_under_a_later_route_matches_by_method)
{
    cr_assert_eq(match("POST", "/api/v1/products"), CREATE);
}

Test(router, second_method_of_a_param_route_matches)
{
    cr_assert_eq(match("DELETE", "/api/v1/products/7/like"), UNLIKE);
    cr_assert_str_eq(r.params[0], "7");
}

Test(router, wrong_method_is_bad_method)
{
    cr_assert_eq(match("POST", "/livez"), ROUTE_BAD_METHOD);
}

Test(router, wrong_method_on_a_param_route_is_bad_method)
{
    cr_assert_eq(match("POST", "/api/v1/products/42/like"), ROUTE_BAD_METHOD);
}

Test(router, unknown_path_is_not_found)
{
    cr_assert_eq(match("GET", "/nowhere"), ROUTE_NOT_FOUND);
}

Test(router, unknown_path_is_not_found_for_any_method)
{
    cr_assert_eq(match("DELETE", "/nowhere"), ROUTE_NOT_FOUND);
}

Test(router, failed_match_captures_no_params)
{
    cr_assert_eq(match("GET", "/api/v1/products/42/nope"), ROUTE_NOT_FOUND);
    cr_assert_eq(r.nparams, 0);
}

Test(router, head_matches_a_get_route)
{
    cr_assert_eq(match("HEAD", "/api/v1/products/42"), GET);
    cr_assert_str_eq(r.params[0], "42");
}

Test(router, head_on_a_path_without_get_is_bad_method)
{
    cr_assert_eq(match("HEAD", "/api/v1/products/42/like"), ROUTE_BAD_METHOD);
}

Test(router, method_is_case_sensitive)
{
    cr_assert_eq(match("get", "/livez"), ROUTE_BAD_METHOD);
}

Test(router, trailing_slash_does_not_match)
{
    cr_assert_eq(match("GET", "/livez/"), ROUTE_NOT_FOUND);
}

Test(router, trailing_slash_after_a_param_does_not_match)
{
    cr_assert_eq(match("GET", "/api/v1/products/42/"), ROUTE_NOT_FOUND);
}

Test(router, longer_literal_does_not_match)
{
    cr_assert_eq(match("GET", "/livezz"), ROUTE_NOT_FOUND);
}

Test(router, shorter_literal_does_not_match)
{
    cr_assert_eq(match("GET", "/live"), ROUTE_NOT_FOUND);
}

Test(router, missing_final_param_does_not_match)
{
    cr_assert_eq(match("GET", "/api/v1/products/"), ROUTE_NOT_FOUND);
}

Test(router, empty_segment_does_not_match_a_param)
{
    cr_assert_eq(match("PUT", "/api/v1/products//like"), ROUTE_NOT_FOUND);
}

Test(router, param_does_not_span_a_slash)
{
    cr_assert_eq(match("GET", "/api/v1/products/4/2"), ROUTE_NOT_FOUND);
}

Test(router, empty_path_does_not_match)
{
    cr_assert_eq(match("GET", ""), ROUTE_NOT_FOUND);
}
