/* test_text.c - UTF-8 validation, URL coding, strict integers and ISO times (core/text.c). */
#include <criterion/criterion.h>
#include <limits.h>
#include <string.h>

#include "core/arena.h"
#include "core/text.h"

static struct arena arena;

static void arena_setup(void)
{
    arena_init(&arena, 4096);
}

static void arena_teardown(void)
{
    arena_free(&arena);
}

static bool valid(const char *s)
{
    return utf8_valid(s, strlen(s));
}

static char *decode(const char *s)
{
    return url_decode(&arena, s, strlen(s));
}

/* 2026-11-22T03:00:00Z */
#define SALE_TIME ((time_t)1795316400)

/* --- utf8_valid -------------------------------------------------------------------------- */

Test(utf8_valid, accepts_the_empty_string)
{
    cr_assert(utf8_valid("", 0));
}

Test(utf8_valid, accepts_ascii)
{
    cr_assert(valid("plain ASCII, with ~ punctuation!"));
}

Test(utf8_valid, accepts_a_two_byte_sequence)
{
    cr_assert(valid("caf\xC3\xA9")); /* é U+00E9 */
}

Test(utf8_valid, accepts_a_three_byte_sequence)
{
    cr_assert(valid("\xEA\xB0\x80 \xE2\x82\xAC")); /* 가 U+AC00, € U+20AC */
}

Test(utf8_valid, accepts_a_four_byte_sequence)
{
    cr_assert(valid("\xF0\x9F\x98\x80")); /* U+1F600 */
}

Test(utf8_valid, accepts_the_last_code_point_u10ffff)
{
    cr_assert(valid("\xF4\x8F\xBF\xBF"));
}

Test(utf8_valid, accepts_the_code_points_around_the_surrogates)
{
    cr_assert(valid("\xED\x9F\xBF")); /* U+D7FF */
    cr_assert(valid("\xEE\x80\x80")); /* U+E000 */
}

Test(utf8_valid, accepts_an_embedded_nul_within_the_length)
{
    cr_assert(utf8_valid("a\0b", 3));
}

Test(utf8_valid, rejects_an_overlong_two_byte_encoding)
{
    cr_assert_not(valid("\xC0\xAF")); /* '/' in two bytes */
}

Test(utf8_valid, rejects_an_overlong_nul)
{
    cr_assert_not(valid("\xC0\x80"));
}

Test(utf8_valid, rejects_an_overlong_three_byte_encoding)
{
    cr_assert_not(valid("\xE0\x80\xAF"));
}

Test(utf8_valid, rejects_an_overlong_four_byte_encoding)
{
    cr_assert_not(valid("\xF0\x80\x80\xAF"));
}

Test(utf8_valid, rejects_the_first_surrogate)
{
    cr_assert_not(valid("\xED\xA0\x80")); /* U+D800 */
}

Test(utf8_valid, rejects_the_last_surrogate)
{
    cr_assert_not(valid("\xED\xBF\xBF")); /* U+DFFF */
}

Test(utf8_valid, rejects_a_code_point_above_u10ffff)
{
    cr_assert_not(valid("\xF4\x90\x80\x80")); /* U+110000 */
}

Test(utf8_valid, rejects_five_and_six_byte_lead_bytes)
{
    cr_assert_not(valid("\xF8\x88\x80\x80\x80"));
    cr_assert_not(valid("\xFC\x84\x80\x80\x80\x80"));
}

Test(utf8_valid, rejects_ff_and_fe)
{
    cr_assert_not(valid("\xFF"));
    cr_assert_not(valid("\xFE"));
}

Test(utf8_valid, rejects_a_lone_continuation_byte)
{
    cr_assert_not(valid("a\x80z"));
}

Test(utf8_valid, rejects_a_sequence_truncated_at_the_end)
{
    cr_assert_not(valid("ok\xE2\x82"));
}

Test(utf8_valid, rejects_a_sequence_interrupted_by_ascii)
{
    cr_assert_not(valid("\xE2\x82x"));
}

Test(utf8_valid, rejects_a_sequence_cut_by_the_length)
{
    cr_assert_not(utf8_valid("\xC3\xA9", 1));
}

/* --- url_decode -------------------------------------------------------------------------- */

Test(url_decode, turns_plus_into_space, .init = arena_setup, .fini = arena_teardown)
{
    cr_assert_str_eq(decode("a+b++c"), "a b  c");
}

Test(url_decode, decodes_a_percent_escape, .init = arena_setup, .fini = arena_teardown)
{
    cr_assert_str_eq(decode("%41"), "A");
}

Test(url_decode, decodes_lower_and_upper_case_hex, .init = arena_setup, .fini = arena_teardown)
{
    cr_assert_str_eq(decode("%c3%A9"), "\xC3\xA9");
}

Test(url_decode, decodes_an_escaped_plus_as_plus, .init = arena_setup, .fini = arena_teardown)
{
    cr_assert_str_eq(decode("1%2B1"), "1+1");
}

Test(url_decode, leaves_plain_text_alone, .init = arena_setup, .fini = arena_teardown)
{
    cr_assert_str_eq(decode("abc-XYZ_09.~"), "abc-XYZ_09.~");
}

Test(url_decode, decodes_the_empty_string, .init = arena_setup, .fini = arena_teardown)
{
    cr_assert_str_eq(decode(""), "");
}

Test(url_decode, reads_only_n_bytes, .init = arena_setup, .fini = arena_teardown)
{
    cr_assert_str_eq(url_decode(&arena, "ab%41", 2), "ab");
}

Test(url_decode, rejects_an_escape_with_one_hex_digit, .init = arena_setup, .fini = arena_teardown)
{
    cr_assert_null(decode("%4"));
}

Test(url_decode, rejects_an_escape_with_non_hex_digits, .init = arena_setup, .fini = arena_teardown)
{
    cr_assert_null(decode("%zz"));
}

Test(url_decode, rejects_an_escape_with_one_bad_digit_before_more_text, .init = arena_setup,
     .fini = arena_teardown)
{
    cr_assert_null(decode("%4g00"));
}

Test(url_decode, rejects_a_trailing_percent, .init = arena_setup, .fini = arena_teardown)
{
    cr_assert_null(decode("100%"));
}

Test(url_decode, rejects_an_escape_cut_by_the_length, .init = arena_setup, .fini = arena_teardown)
{
    cr_assert_null(url_decode(&arena, "a%41", 3));
}

/* --- url_encode -------------------------------------------------------------------------- */

Test(url_encode, leaves_unreserved_characters_alone, .init = arena_setup, .fini = arena_teardown)
{
    cr_assert_str_eq(url_encode(&arena, "AZaz09-_.~"), "AZaz09-_.~");
}

Test(url_encode, encodes_space_as_percent_20, .init = arena_setup, .fini = arena_teardown)
{
    cr_assert_str_eq(url_encode(&arena, "a b"), "a%20b");
}

Test(url_encode, encodes_reserved_characters_in_upper_case_hex, .init = arena_setup,
     .fini = arena_teardown)
{
    cr_assert_str_eq(url_encode(&arena, "/?&=+%#"), "%2F%3F%26%3D%2B%25%23");
}

Test(url_encode, encodes_each_utf8_byte, .init = arena_setup, .fini = arena_teardown)
{
    cr_assert_str_eq(url_encode(&arena, "\xEA\xB0\x80"), "%EA%B0%80");
}

Test(url_encode, encodes_the_empty_string_as_empty, .init = arena_setup, .fini = arena_teardown)
{
    cr_assert_str_eq(url_encode(&arena, ""), "");
}

Test(url_encode, round_trips_through_url_decode, .init = arena_setup, .fini = arena_teardown)
{
    const char *s = "token=a+b/c?d&e=%f \xEA\xB0\x80~";
    cr_assert_str_eq(decode(url_encode(&arena, s)), s);
}

/* --- parse_int64 ------------------------------------------------------------------------- */

Test(parse_int64, parses_a_number_in_range)
{
    long long v = 0;
    cr_assert(parse_int64("42", 0, 100, &v));
    cr_assert_eq(v, 42);
}

Test(parse_int64, accepts_the_lower_bound)
{
    long long v = -5;
    cr_assert(parse_int64("0", 0, 100, &v));
    cr_assert_eq(v, 0);
}

Test(parse_int64, accepts_the_upper_bound)
{
    long long v = 0;
    cr_assert(parse_int64("100", 0, 100, &v));
    cr_assert_eq(v, 100);
}

Test(parse_int64, rejects_one_below_the_lower_bound)
{
    long long v;
    cr_assert_not(parse_int64("9", 10, 100, &v));
}

Test(parse_int64, rejects_one_above_the_upper_bound)
{
    long long v;
    cr_assert_not(parse_int64("101", 0, 100, &v));
}

Test(parse_int64, parses_a_negative_number_when_the_range_allows_it)
{
    long long v = 0;
    cr_assert(parse_int64("-1", -10, 10, &v));
    cr_assert_eq(v, -1);
}

Test(parse_int64, rejects_minus_one_when_the_range_starts_at_zero)
{
    long long v;
    cr_assert_not(parse_int64("-1", 0, 100, &v));
}

Test(parse_int64, rejects_letters)
{
    long long v;
    cr_assert_not(parse_int64("abc", LLONG_MIN, LLONG_MAX, &v));
}

Test(parse_int64, rejects_trailing_letters)
{
    long long v;
    cr_assert_not(parse_int64("12abc", LLONG_MIN, LLONG_MAX, &v));
}

Test(parse_int64, rejects_the_empty_string)
{
    long long v;
    cr_assert_not(parse_int64("", LLONG_MIN, LLONG_MAX, &v));
}

Test(parse_int64, rejects_null)
{
    long long v;
    cr_assert_not(parse_int64(NULL, LLONG_MIN, LLONG_MAX, &v));
}

Test(parse_int64, rejects_a_leading_space)
{
    long long v;
    cr_assert_not(parse_int64(" 1", LLONG_MIN, LLONG_MAX, &v));
}

Test(parse_int64, rejects_a_trailing_space)
{
    long long v;
    cr_assert_not(parse_int64("1 ", LLONG_MIN, LLONG_MAX, &v));
}

Test(parse_int64, rejects_a_plus_sign)
{
    long long v;
    cr_assert_not(parse_int64("+1", LLONG_MIN, LLONG_MAX, &v));
}

Test(parse_int64, rejects_a_lone_minus)
{
    long long v;
    cr_assert_not(parse_int64("-", LLONG_MIN, LLONG_MAX, &v));
}

Test(parse_int64, rejects_a_minus_followed_by_a_space)
{
    long long v;
    cr_assert_not(parse_int64("- 1", LLONG_MIN, LLONG_MAX, &v));
}

Test(parse_int64, rejects_a_decimal_point)
{
    long long v;
    cr_assert_not(parse_int64("1.5", LLONG_MIN, LLONG_MAX, &v));
}

Test(parse_int64, rejects_positive_overflow)
{
    long long v;
    cr_assert_not(parse_int64("99999999999999999999", LLONG_MIN, LLONG_MAX, &v));
}

Test(parse_int64, rejects_negative_overflow)
{
    long long v;
    cr_assert_not(parse_int64("-99999999999999999999", LLONG_MIN, LLONG_MAX, &v));
}

Test(parse_int64, accepts_llong_max)
{
    long long v = 0;
    cr_assert(parse_int64("9223372036854775807", LLONG_MIN, LLONG_MAX, &v));
    cr_assert_eq(v, LLONG_MAX);
}

Test(parse_int64, accepts_llong_min)
{
    long long v = 0;
    cr_assert(parse_int64("-9223372036854775808", LLONG_MIN, LLONG_MAX, &v));
    cr_assert_eq(v, LLONG_MIN);
}

Test(parse_int64, rejects_one_past_llong_max)
{
    long long v;
    cr_assert_not(parse_int64("9223372036854775808", LLONG_MIN, LLONG_MAX, &v));
}

Test(parse_int64, leaves_out_untouched_on_failure)
{
    long long v = 7;
    cr_assert_not(parse_int64("12abc", LLONG_MIN, LLONG_MAX, &v));
    cr_assert_eq(v, 7);
}

/* --- parse_iso_time / format_iso_time ---------------------------------------------------- */

Test(iso_time, parses_utc_with_z)
{
    time_t t = 0;
    cr_assert(parse_iso_time("2026-11-22T03:00:00Z", &t));
    cr_assert_eq(t, SALE_TIME);
}

Test(iso_time, parses_utc_with_plus_zero_offset)
{
    time_t t = 0;
    cr_assert(parse_iso_time("2026-11-22T03:00:00+00:00", &t));
    cr_assert_eq(t, SALE_TIME);
}

Test(iso_time, parses_no_suffix_as_utc)
{
    time_t t = 0;
    cr_assert(parse_iso_time("2026-11-22T03:00:00", &t));
    cr_assert_eq(t, SALE_TIME);
}

Test(iso_time, parses_a_space_in_place_of_t)
{
    time_t t = 0;
    cr_assert(parse_iso_time("2026-11-22 03:00:00", &t));
    cr_assert_eq(t, SALE_TIME);
}

Test(iso_time, drops_fractional_seconds_before_z)
{
    time_t t = 0;
    cr_assert(parse_iso_time("2026-11-22T03:00:00.987Z", &t));
    cr_assert_eq(t, SALE_TIME);
}

Test(iso_time, drops_fractional_seconds_without_suffix)
{
    time_t t = 0;
    cr_assert(parse_iso_time("2026-11-22T03:00:00.5", &t));
    cr_assert_eq(t, SALE_TIME);
}

Test(iso_time, parses_the_epoch)
{
    time_t t = -1;
    cr_assert(parse_iso_time("1970-01-01T00:00:00Z", &t));
    cr_assert_eq(t, 0);
}

Test(iso_time, parses_a_leap_day)
{
    time_t t = 0;
    cr_assert(parse_iso_time("2024-02-29T12:34:56Z", &t));
    cr_assert_eq(t, (time_t)1709210096);
}

Test(iso_time, rejects_null)
{
    time_t t;
    cr_assert_not(parse_iso_time(NULL, &t));
}

Test(iso_time, rejects_the_empty_string)
{
    time_t t;
    cr_assert_not(parse_iso_time("", &t));
}

Test(iso_time, rejects_garbage)
{
    time_t t;
    cr_assert_not(parse_iso_time("tomorrow at noon", &t));
}

Test(iso_time, rejects_a_date_without_a_time)
{
    time_t t;
    cr_assert_not(parse_iso_time("2026-11-22", &t));
}

Test(iso_time, rejects_a_time_without_seconds)
{
    time_t t;
    cr_assert_not(parse_iso_time("2026-11-22T03:00Z", &t));
}

Test(iso_time, rejects_an_unknown_separator)
{
    time_t t;
    cr_assert_not(parse_iso_time("2026-11-22X03:00:00Z", &t));
}

Test(iso_time, rejects_a_non_utc_offset)
{
    time_t t;
    cr_assert_not(parse_iso_time("2026-11-22T03:00:00+09:00", &t));
}

Test(iso_time, rejects_text_after_z)
{
    time_t t;
    cr_assert_not(parse_iso_time("2026-11-22T03:00:00Zjunk", &t));
}

Test(iso_time, rejects_month_13)
{
    time_t t;
    cr_assert_not(parse_iso_time("2026-13-01T00:00:00Z", &t));
}

Test(iso_time, rejects_month_0)
{
    time_t t;
    cr_assert_not(parse_iso_time("2026-00-01T00:00:00Z", &t));
}

Test(iso_time, rejects_day_0)
{
    time_t t;
    cr_assert_not(parse_iso_time("2026-01-00T00:00:00Z", &t));
}

Test(iso_time, rejects_day_32)
{
    time_t t;
    cr_assert_not(parse_iso_time("2026-01-32T00:00:00Z", &t));
}

Test(iso_time, rejects_hour_24)
{
    time_t t;
    cr_assert_not(parse_iso_time("2026-01-01T24:00:00Z", &t));
}

Test(iso_time, rejects_minute_60)
{
    time_t t;
    cr_assert_not(parse_iso_time("2026-01-01T00:60:00Z", &t));
}

Test(iso_time, rejects_second_61)
{
    time_t t;
    cr_assert_not(parse_iso_time("2026-01-01T00:00:61Z", &t));
}

Test(iso_time, rejects_a_year_before_1970)
{
    time_t t;
    cr_assert_not(parse_iso_time("1969-12-31T23:59:59Z", &t));
}

Test(iso_time, rejects_a_negative_hour)
{
    time_t t = 0;
    cr_assert_not(parse_iso_time("2026-11-22T-1:00:00Z", &t), "accepted as %lld", (long long)t);
}

Test(iso_time, rejects_a_negative_minute)
{
    time_t t = 0;
    cr_assert_not(parse_iso_time("2026-11-22T03:-5:00Z", &t), "accepted as %lld", (long long)t);
}

Test(iso_time, rejects_a_day_past_the_end_of_its_month)
{
    time_t t = 0;
    cr_assert_not(parse_iso_time("2026-02-30T00:00:00Z", &t), "accepted as %lld", (long long)t);
}

Test(iso_time, rejects_a_field_that_is_not_two_digits)
{
    time_t t = 0;
    cr_assert_not(parse_iso_time("2026-1-2T3:4:5Z", &t), "accepted as %lld", (long long)t);
}

Test(iso_time, formats_with_z)
{
    char buf[21];
    format_iso_time(SALE_TIME, buf);
    cr_assert_str_eq(buf, "2026-11-22T03:00:00Z");
}

Test(iso_time, formats_the_epoch)
{
    char buf[21];
    format_iso_time(0, buf);
    cr_assert_str_eq(buf, "1970-01-01T00:00:00Z");
}

Test(iso_time, format_then_parse_round_trips)
{
    char buf[21];
    time_t t = 0;
    format_iso_time((time_t)1709210096, buf);
    cr_assert(parse_iso_time(buf, &t));
    cr_assert_eq(t, (time_t)1709210096);
}

Test(iso_time, parse_then_format_round_trips)
{
    char buf[21];
    time_t t = 0;
    cr_assert(parse_iso_time("2024-02-29T12:34:56Z", &t));
    format_iso_time(t, buf);
    cr_assert_str_eq(buf, "2024-02-29T12:34:56Z");
}

/* --- format_grouped ---------------------------------------------------------------------- */

static const char *grouped(long long v)
{
    static char buf[28];
    format_grouped(v, buf);
    return buf;
}

Test(format_grouped, leaves_three_digits_and_fewer_alone)
{
    cr_assert_str_eq(grouped(0), "0");
    cr_assert_str_eq(grouped(7), "7");
    cr_assert_str_eq(grouped(999), "999");
}

Test(format_grouped, puts_a_comma_before_every_third_digit_from_the_right)
{
    cr_assert_str_eq(grouped(1000), "1,000");
    cr_assert_str_eq(grouped(389800), "389,800");
    cr_assert_str_eq(grouped(1234567), "1,234,567");
}

Test(format_grouped, keeps_the_sign_of_a_negative_amount)
{
    cr_assert_str_eq(grouped(-5000), "-5,000");
    cr_assert_str_eq(grouped(-999), "-999");
}

Test(format_grouped, fits_the_extremes_in_its_buffer)
{
    cr_assert_str_eq(grouped(LLONG_MAX), "9,223,372,036,854,775,807");
    cr_assert_str_eq(grouped(LLONG_MIN), "-9,223,372,036,854,775,808");
}
