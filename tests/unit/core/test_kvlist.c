/* test_kvlist.c - urlencoded name=value parsing (core/kvlist.c). */
#include <criterion/criterion.h>
#include <string.h>

#include "core/arena.h"
#include "core/kvlist.h"

static struct arena arena;

static void kv_setup(void)
{
    arena_init(&arena, 4096);
}

static void kv_teardown(void)
{
    arena_free(&arena);
}

TestSuite(kv, .init = kv_setup, .fini = kv_teardown);

static int parse(const char *s, struct kvlist *l)
{
    return kv_parse_urlencoded(&arena, s, strlen(s), l);
}

/* --- kv_parse_urlencoded / kv_get -------------------------------------------------------- */

Test(kv, empty_string_gives_an_empty_list)
{
    struct kvlist l;
    cr_assert_eq(parse("", &l), 0);
    cr_assert_eq(l.n, 0);
    cr_assert_null(kv_get(&l, "a"));
}

Test(kv, null_string_gives_an_empty_list)
{
    struct kvlist l;
    cr_assert_eq(kv_parse_urlencoded(&arena, NULL, 0, &l), 0);
    cr_assert_eq(l.n, 0);
}

Test(kv, two_pairs_are_parsed_in_order)
{
    struct kvlist l;
    cr_assert_eq(parse("a=1&b=2", &l), 0);
    cr_assert_eq(l.n, 2);
    cr_assert_str_eq(l.items[0].key, "a");
    cr_assert_str_eq(l.items[0].val, "1");
    cr_assert_str_eq(l.items[1].key, "b");
    cr_assert_str_eq(l.items[1].val, "2");
}

Test(kv, get_finds_each_value_by_key)
{
    struct kvlist l;
    parse("a=1&b=2", &l);
    cr_assert_str_eq(kv_get(&l, "a"), "1");
    cr_assert_str_eq(kv_get(&l, "b"), "2");
}

Test(kv, get_of_a_missing_key_is_null)
{
    struct kvlist l;
    parse("a=1&b=2", &l);
    cr_assert_null(kv_get(&l, "c"));
}

Test(kv, get_does_not_match_a_key_prefix)
{
    struct kvlist l;
    parse("abc=1", &l);
    cr_assert_null(kv_get(&l, "ab"));
}

Test(kv, get_on_a_null_list_is_null)
{
    cr_assert_null(kv_get(NULL, "a"));
}

Test(kv, key_without_equals_has_an_empty_value)
{
    struct kvlist l;
    cr_assert_eq(parse("a", &l), 0);
    cr_assert_eq(l.n, 1);
    cr_assert_str_eq(kv_get(&l, "a"), "");
}

Test(kv, empty_value_and_bare_key_are_both_empty)
{
    struct kvlist l;
    cr_assert_eq(parse("a=&b", &l), 0);
    cr_assert_eq(l.n, 2);
    cr_assert_str_eq(kv_get(&l, "a"), "");
    cr_assert_str_eq(kv_get(&l, "b"), "");
}

Test(kv, repeated_key_keeps_the_first_value)
{
    struct kvlist l;
    cr_assert_eq(parse("a=1&a=2", &l), 0);
    cr_assert_str_eq(kv_get(&l, "a"), "1");
}

Test(kv, value_keeps_later_equals_signs)
{
    struct kvlist l;
    parse("token=ab==", &l);
    cr_assert_str_eq(kv_get(&l, "token"), "ab==");
}

Test(kv, empty_pairs_are_skipped)
{
    struct kvlist l;
    cr_assert_eq(parse("&a=1&&b=2&", &l), 0);
    cr_assert_eq(l.n, 2);
    cr_assert_str_eq(l.items[0].key, "a");
    cr_assert_str_eq(l.items[1].key, "b");
}

Test(kv, keys_are_url_decoded)
{
    struct kvlist l;
    cr_assert_eq(parse("%6Din%5Fprice=1&sort+by=x", &l), 0);
    cr_assert_str_eq(kv_get(&l, "min_price"), "1");
    cr_assert_str_eq(kv_get(&l, "sort by"), "x");
}

Test(kv, values_are_url_decoded)
{
    struct kvlist l;
    parse("q=red+shoes%21&name=%EA%B0%80", &l);
    cr_assert_str_eq(kv_get(&l, "q"), "red shoes!");
    cr_assert_str_eq(kv_get(&l, "name"), "\xEA\xB0\x80");
}

Test(kv, encoded_ampersand_and_equals_stay_in_the_value)
{
    struct kvlist l;
    cr_assert_eq(parse("q=a%26b%3Dc", &l), 0);
    cr_assert_eq(l.n, 1);
    cr_assert_str_eq(kv_get(&l, "q"), "a&b=c");
}

Test(kv, reads_only_n_bytes)
{
    struct kvlist l;
    cr_assert_eq(kv_parse_urlencoded(&arena, "a=1&b=2", 3, &l), 0);
    cr_assert_eq(l.n, 1);
    cr_assert_str_eq(kv_get(&l, "a"), "1");
}

/* Malformed escapes and bytes that are not UTF-8, in keys and in values. */
Test(kv, malformed_input_is_refused)
{
    static const char *bad[] = {"a=%zz", "%4=1", "a=1&b=50%", "a=%FF", "%C0%AF=1"};
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        struct kvlist l;
        cr_assert_eq(parse(bad[i], &l), -1, "%s was accepted", bad[i]);
    }
}
