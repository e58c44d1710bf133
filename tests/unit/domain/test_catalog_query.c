/* test_catalog_query.c - list parameters and the SQL built from them (domain/catalog.c). */
#include <criterion/criterion.h>
#include <string.h>

#include "core/arena.h"
#include "domain/catalog.h"
#include "core/kvlist.h"

static struct arena arena;
static struct catalog_query q;
static struct err e;

/* What catalog_build_sql produced for one query string. */
static char *list_sql, *count_sql;
static struct db_param params[8];
static int nparams;

static void catalog_setup(void)
{
    arena_init(&arena, 4096);
    memset(&e, 0, sizeof(e));
}

static void catalog_teardown(void)
{
    arena_free(&arena);
}

TestSuite(catalog_parse_query, .init = catalog_setup, .fini = catalog_teardown);
TestSuite(catalog_build_sql, .init = catalog_setup, .fini = catalog_teardown);

static int parse(const char *qs)
{
    struct kvlist l;
    cr_assert_eq(kv_parse_urlencoded(&arena, qs, strlen(qs), &l), 0, "bad test input %s", qs);
    return catalog_parse_query(&l, &q, &e);
}

static void build(const char *qs)
{
    cr_assert_eq(parse(qs), 0, "%s refused: %s", qs, e.msg);
    catalog_build_sql(&arena, &q, &list_sql, &count_sql, params, &nparams);
}

static int count_char(const char *s, char c)
{
    int n = 0;
    for (; *s; s++)
        n += *s == c;
    return n;
}

static char *repeat(const char *unit, int times)
{
    size_t n = strlen(unit);
    char *s = arena_alloc(&arena, n * (size_t)times + 1);
    for (int i = 0; i < times; i++)
        memcpy(s + n * (size_t)i, unit, n);
    s[n * (size_t)times] = '\0';
    return s;
}

/* --- catalog_parse_query: defaults ------------------------------------------------------- */

Test(catalog_parse_query, empty_query_is_accepted)
{
    cr_assert_eq(parse(""), 0);
}

Test(catalog_parse_query, sort_defaults_to_newest)
{
    parse("");
    cr_assert_str_eq(q.sort, "newest");
}

Test(catalog_parse_query, paging_defaults_to_page_1_of_20)
{
    parse("");
    cr_assert_eq(q.page, 1);
    cr_assert_eq(q.per_page, 20);
}

Test(catalog_parse_query, filters_default_to_absent)
{
    parse("");
    cr_assert_null(q.q);
    cr_assert_null(q.category);
    cr_assert_eq(q.min_price, -1);
    cr_assert_eq(q.max_price, -1);
    cr_assert_eq(q.in_stock, false);
}

Test(catalog_parse_query, empty_values_count_as_absent)
{
    cr_assert_eq(parse("q=&category=&min_price=&max_price=&in_stock=&sort=&page=&per_page="), 0);
    cr_assert_null(q.q);
    cr_assert_null(q.category);
    cr_assert_eq(q.min_price, -1);
    cr_assert_eq(q.max_price, -1);
    cr_assert_str_eq(q.sort, "newest");
    cr_assert_eq(q.page, 1);
    cr_assert_eq(q.per_page, 20);
}

/* --- catalog_parse_query: paging --------------------------------------------------------- */

Test(catalog_parse_query, page_is_taken_as_given)
{
    cr_assert_eq(parse("page=3&per_page=25"), 0);
    cr_assert_eq(q.page, 3);
    cr_assert_eq(q.per_page, 25);
}

Test(catalog_parse_query, negative_page_clamps_to_1)
{
    cr_assert_eq(parse("page=-1"), 0);
    cr_assert_eq(q.page, 1);
}

Test(catalog_parse_query, page_0_clamps_to_1)
{
    cr_assert_eq(parse("page=0"), 0);
    cr_assert_eq(q.page, 1);
}

Test(catalog_parse_query, huge_page_clamps_to_1000000)
{
    cr_assert_eq(parse("page=9223372036854775807"), 0);
    cr_assert_eq(q.page, 1000000);
}

Test(catalog_parse_query, huge_per_page_clamps_to_100)
{
    cr_assert_eq(parse("per_page=100000"), 0);
    cr_assert_eq(q.per_page, 100);
}

Test(catalog_parse_query, per_page_0_clamps_to_1)
{
    cr_assert_eq(parse("per_page=0"), 0);
    cr_assert_eq(q.per_page, 1);
}

Test(catalog_parse_query, non_numeric_page_is_refused_naming_page)
{
    cr_assert_eq(parse("page=two"), -1);
    cr_assert_eq(e.status, 422);
    cr_assert_str_eq(e.code, "invalid_parameter");
    cr_assert_str_eq(e.msg, "page must be a whole number");
}

Test(catalog_parse_query, overflowing_per_page_is_refused_naming_per_page)
{
    cr_assert_eq(parse("per_page=99999999999999999999"), -1);
    cr_assert_str_eq(e.msg, "per_page must be a whole number");
}

/* --- catalog_parse_query: prices --------------------------------------------------------- */

Test(catalog_parse_query, prices_are_parsed)
{
    cr_assert_eq(parse("min_price=1000&max_price=50000"), 0);
    cr_assert_eq(q.min_price, 1000);
    cr_assert_eq(q.max_price, 50000);
}

Test(catalog_parse_query, equal_min_and_max_price_are_accepted)
{
    cr_assert_eq(parse("min_price=5000&max_price=5000"), 0);
}

Test(catalog_parse_query, non_numeric_min_price_is_refused_naming_min_price)
{
    cr_assert_eq(parse("min_price=abc"), -1);
    cr_assert_str_eq(e.msg, "min_price must be a whole number of won from 0 to 1000000000000");
}

Test(catalog_parse_query, negative_max_price_is_refused_naming_max_price)
{
    cr_assert_eq(parse("max_price=-1"), -1);
    cr_assert_str_eq(e.msg, "max_price must be a whole number of won from 0 to 1000000000000");
}

Test(catalog_parse_query, price_above_one_trillion_is_refused)
{
    cr_assert_eq(parse("min_price=1000000000001"), -1);
}

Test(catalog_parse_query, min_price_above_max_price_is_refused)
{
    cr_assert_eq(parse("min_price=5001&max_price=5000"), -1);
    cr_assert_str_eq(e.msg, "min_price must not be above max_price");
}

/* --- catalog_parse_query: sort, in_stock, text ------------------------------------------- */

Test(catalog_parse_query, each_known_sort_is_accepted)
{
    const char *sorts[] = {"newest", "price_asc", "price_desc", "popular"};
    for (size_t i = 0; i < sizeof(sorts) / sizeof(sorts[0]); i++) {
        char qs[64];
        snprintf(qs, sizeof(qs), "sort=%s", sorts[i]);
        cr_assert_eq(parse(qs), 0, "%s refused", sorts[i]);
        cr_assert_str_eq(q.sort, sorts[i]);
    }
}

Test(catalog_parse_query, unknown_sort_is_refused)
{
    cr_assert_eq(parse("sort=bogus"), -1);
    cr_assert_str_eq(e.msg, "sort must be one of newest, price_asc, price_desc, popular");
}

Test(catalog_parse_query, sort_is_case_sensitive)
{
    cr_assert_eq(parse("sort=NEWEST"), -1);
}

Test(catalog_parse_query, in_stock_true_1_and_on_mean_true)
{
    const char *yes[] = {"in_stock=true", "in_stock=1", "in_stock=on"};
    for (size_t i = 0; i < sizeof(yes) / sizeof(yes[0]); i++) {
        cr_assert_eq(parse(yes[i]), 0, "%s refused", yes[i]);
        cr_assert_eq(q.in_stock, true, "%s", yes[i]);
    }
}

Test(catalog_parse_query, in_stock_false_and_0_mean_false)
{
    const char *no[] = {"in_stock=false", "in_stock=0"};
    for (size_t i = 0; i < sizeof(no) / sizeof(no[0]); i++) {
        cr_assert_eq(parse(no[i]), 0, "%s refused", no[i]);
        cr_assert_eq(q.in_stock, false, "%s", no[i]);
    }
}

Test(catalog_parse_query, in_stock_maybe_is_refused)
{
    cr_assert_eq(parse("in_stock=maybe"), -1);
    cr_assert_str_eq(e.msg, "in_stock must be true or false");
}

Test(catalog_parse_query, q_and_category_are_taken_decoded)
{
    cr_assert_eq(parse("q=red+shoes&category=%ED%8C%A8%EC%85%98"), 0);
    cr_assert_str_eq(q.q, "red shoes");
    cr_assert_str_eq(q.category, "\xED\x8C\xA8\xEC\x85\x98"); /* 패션 */
}

Test(catalog_parse_query, q_of_100_characters_is_accepted)
{
    char *qs = arena_sprintf(&arena, "q=%s", repeat("a", 100));
    cr_assert_eq(parse(qs), 0);
    cr_assert_eq(strlen(q.q), 100);
}

Test(catalog_parse_query, q_of_101_characters_is_refused)
{
    char *qs = arena_sprintf(&arena, "q=%s", repeat("a", 101));
    cr_assert_eq(parse(qs), -1);
    cr_assert_str_eq(e.msg, "q must be at most 100 characters");
}

/* The limit is stated in characters, and Korean names are three bytes a character in UTF-8. */
Test(catalog_parse_query, q_of_100_korean_characters_is_accepted)
{
    char *qs = arena_sprintf(&arena, "q=%s", repeat("%EA%B0%80", 100)); /* 가 x 100 */
    cr_assert_eq(parse(qs), 0, "refused: %s", e.msg);
}

Test(catalog_parse_query, category_of_51_characters_is_refused)
{
    char *qs = arena_sprintf(&arena, "category=%s", repeat("c", 51));
    cr_assert_eq(parse(qs), -1);
    cr_assert_str_eq(e.msg, "category must be at most 50 characters");
}

/* --- catalog_build_sql ------------------------------------------------------------------- */

Test(catalog_build_sql, no_filters_lists_newest_first_with_only_limit_and_offset)
{
    build("");
    cr_assert_str_eq(list_sql, "SELECT id, name, category, price, likes, sale_starts_at, picture"
                               " FROM products WHERE 1=1"
                               " ORDER BY created_at DESC, id DESC LIMIT ? OFFSET ?");
    cr_assert_eq(nparams, 2);
    cr_assert_eq(params[0].type, 'i');
    cr_assert_eq(params[0].i, 20);
    cr_assert_eq(params[1].type, 'i');
    cr_assert_eq(params[1].i, 0);
}

Test(catalog_build_sql, no_filters_counts_every_product)
{
    build("");
    cr_assert_str_eq(count_sql, "SELECT COUNT(*) AS total FROM products WHERE 1=1");
}

Test(catalog_build_sql, no_filters_has_no_like)
{
    build("");
    cr_assert_null(strstr(list_sql, "LIKE"));
}

Test(catalog_build_sql, offset_is_page_minus_one_times_per_page)
{
    build("page=3&per_page=25");
    cr_assert_eq(params[nparams - 2].i, 25);
    cr_assert_eq(params[nparams - 1].i, 50);
}

Test(catalog_build_sql, q_adds_one_bound_like_pattern)
{
    build("q=shoe");
    cr_assert_not_null(strstr(list_sql, " AND name LIKE ?"));
    cr_assert_eq(count_char(list_sql, '?'), 3);
    cr_assert_eq(nparams, 3);
    cr_assert_eq(params[0].type, 's');
    cr_assert_str_eq(params[0].s, "%shoe%");
}

Test(catalog_build_sql, q_filter_is_in_the_count_too)
{
    build("q=shoe");
    cr_assert_str_eq(count_sql, "SELECT COUNT(*) AS total FROM products WHERE 1=1"
                                " AND name LIKE ?");
}

Test(catalog_build_sql, q_wildcards_are_escaped_in_the_bound_pattern)
{
    build("q=50%25_off%5C"); /* 50%_off\ */
    cr_assert_str_eq(params[0].s, "%50\\%\\_off\\\\%");
}

Test(catalog_build_sql, q_text_never_appears_in_the_sql)
{
    build("q=x'%25_+OR+1=1--");
    cr_assert_null(strstr(list_sql, "OR 1=1"));
    cr_assert_null(strstr(list_sql, "x'"));
    cr_assert_null(strstr(count_sql, "OR 1=1"));
    cr_assert_eq(count_char(list_sql, '\''), 0);
}

Test(catalog_build_sql, category_adds_one_bound_string)
{
    build("category=shoes");
    cr_assert_not_null(strstr(list_sql, " AND category = ?"));
    cr_assert_eq(count_char(list_sql, '?'), 3);
    cr_assert_eq(nparams, 3);
    cr_assert_eq(params[0].type, 's');
    cr_assert_str_eq(params[0].s, "shoes");
}

Test(catalog_build_sql, min_price_adds_one_bound_integer)
{
    build("min_price=1000");
    cr_assert_not_null(strstr(list_sql, " AND price >= ?"));
    cr_assert_eq(count_char(list_sql, '?'), 3);
    cr_assert_eq(nparams, 3);
    cr_assert_eq(params[0].type, 'i');
    cr_assert_eq(params[0].i, 1000);
}

Test(catalog_build_sql, max_price_adds_one_bound_integer)
{
    build("max_price=50000");
    cr_assert_not_null(strstr(list_sql, " AND price <= ?"));
    cr_assert_eq(count_char(list_sql, '?'), 3);
    cr_assert_eq(nparams, 3);
    cr_assert_eq(params[0].type, 'i');
    cr_assert_eq(params[0].i, 50000);
}

Test(catalog_build_sql, min_price_0_is_a_filter)
{
    build("min_price=0");
    cr_assert_not_null(strstr(list_sql, " AND price >= ?"));
    cr_assert_eq(params[0].i, 0);
}

Test(catalog_build_sql, in_stock_adds_a_condition_without_a_parameter)
{
    build("in_stock=true");
    cr_assert_not_null(strstr(list_sql, " AND stock > 0"));
    cr_assert_eq(count_char(list_sql, '?'), 2);
    cr_assert_eq(nparams, 2);
}

Test(catalog_build_sql, all_filters_bind_in_order_before_limit_and_offset)
{
    build("q=a&category=b&min_price=1&max_price=2&in_stock=1&page=2&per_page=10");
    cr_assert_eq(nparams, 6);
    cr_assert_eq(count_char(list_sql, '?'), 6);
    cr_assert_eq(count_char(count_sql, '?'), 4);
    cr_assert_str_eq(params[0].s, "%a%");
    cr_assert_str_eq(params[1].s, "b");
    cr_assert_eq(params[2].i, 1);
    cr_assert_eq(params[3].i, 2);
    cr_assert_eq(params[4].i, 10);
    cr_assert_eq(params[5].i, 10);
}

Test(catalog_build_sql, sort_price_asc_orders_by_price_ascending)
{
    build("sort=price_asc");
    cr_assert_not_null(strstr(list_sql, " ORDER BY price ASC, id ASC LIMIT"));
}

Test(catalog_build_sql, sort_price_desc_orders_by_price_descending)
{
    build("sort=price_desc");
    cr_assert_not_null(strstr(list_sql, " ORDER BY price DESC, id DESC LIMIT"));
}

Test(catalog_build_sql, sort_popular_orders_by_likes_then_sold)
{
    build("sort=popular");
    cr_assert_not_null(strstr(list_sql, " ORDER BY likes DESC, sold DESC, id DESC LIMIT"));
}

Test(catalog_build_sql, count_has_no_order_or_paging)
{
    build("sort=price_asc&page=4");
    cr_assert_null(strstr(count_sql, "ORDER BY"));
    cr_assert_null(strstr(count_sql, "LIMIT"));
}
