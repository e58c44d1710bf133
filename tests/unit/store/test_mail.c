/* test_mail.c - RFC 5322 formatting and header safety of outgoing mail (store/mail.c). */
#include <criterion/criterion.h>
#include <sodium.h>
#include <stdbool.h>
#include <string.h>

#include "core/arena.h"
#include "core/strbuf.h"
#include "core/text.h"
#include "store/mail.h"

#define FROM "firstcome <no-reply@firstcome.local>"
#define TO "user@example.com"
#define LINK "http://127.0.0.1:8080/verify?token=Zm9v_YmFy-42&next=%2Fme"
/* 2026-11-22T03:00:00Z, a Sunday */
#define SALE_TIME ((time_t)1795316400)

static struct arena arena;

static void arena_setup(void)
{
    arena_init(&arena, 4096);
}

static void arena_teardown(void)
{
    arena_free(&arena);
}

TestSuite(mail_format, .init = arena_setup, .fini = arena_teardown);
TestSuite(mail_header_safe);

static struct strbuf out;

static const char *format(const char *subject, const char *body)
{
    sb_init(&out, &arena, 64);
    cr_assert_eq(mail_format(&out, FROM, TO, subject, body, "7.1795316400", SALE_TIME), 0);
    return out.s;
}

/* The value of header `name` as written (folded lines included), copied into the arena. */
static const char *header(const char *msg, const char *name)
{
    const char *end = strstr(msg, "\r\n\r\n");
    size_t n = strlen(name);
    for (const char *p = msg; p && p < end; p = strstr(p, "\r\n") + 2) {
        if (strncmp(p, name, n) == 0 && p[n] == ':') {
            const char *v = p + n + 1 + (p[n + 1] == ' ');
            const char *e = v;
            while (!(e[0] == '\r' && e[1] == '\n' && e[2] != ' '))
                e++;
            return arena_strndup(&arena, v, (size_t)(e - v));
        }
    }
    return NULL;
}

static const char *body_of(const char *msg)
{
    const char *sep = strstr(msg, "\r\n\r\n");
    cr_assert_not_null(sep);
    return sep + 4;
}

/* Joins the RFC 2047 B words of a header value (folding white space between them is dropped,
 * as RFC 2047 6.2 says). */
static const char *decode_words(const char *v)
{
    struct strbuf dec;
    sb_init(&dec, &arena, 64);
    const char *p = v;
    while ((p = strstr(p, "=?UTF-8?B?"))) {
        p += 10;
        const char *end = strstr(p, "?=");
        cr_assert_not_null(end);
        unsigned char bin[128];
        size_t len;
        cr_assert_eq(sodium_base642bin(bin, sizeof(bin), p, (size_t)(end - p), NULL, &len, NULL,
                                       sodium_base64_VARIANT_ORIGINAL),
                     0);
        cr_assert(utf8_valid((const char *)bin, len), "each word decodes on its own");
        sb_add(&dec, (const char *)bin, len);
        p = end + 2;
    }
    return dec.s;
}

static const char *decode_qp(const char *s)
{
    struct strbuf dec;
    sb_init(&dec, &arena, 64);
    for (; *s; s++) {
        if (s[0] == '=' && s[1] == '\r' && s[2] == '\n') {
            s += 2;
        } else if (*s == '=') {
            unsigned v;
            cr_assert_eq(sscanf(s + 1, "%2X", &v), 1);
            sb_addc(&dec, (char)v);
            s += 2;
        } else {
            sb_addc(&dec, *s);
        }
    }
    return dec.s;
}

static size_t longest_line(const char *s)
{
    size_t longest = 0;
    for (const char *p = s; *p;) {
        size_t n = strcspn(p, "\r\n");
        longest = n > longest ? n : longest;
        p += n;
        p += strspn(p, "\r\n");
    }
    return longest;
}

Test(mail_format, writes_every_required_header)
{
    const char *msg = format("Verify your email", "Hello");
    cr_assert_str_eq(header(msg, "From"), FROM);
    cr_assert_str_eq(header(msg, "To"), TO);
    cr_assert_str_eq(header(msg, "Subject"), "Verify your email");
    cr_assert_not_null(header(msg, "Date"));
    cr_assert_not_null(header(msg, "Message-ID"));
    cr_assert_str_eq(header(msg, "MIME-Version"), "1.0");
    cr_assert_str_eq(header(msg, "Content-Type"), "text/plain; charset=utf-8");
    cr_assert_str_eq(header(msg, "Content-Transfer-Encoding"), "8bit");
}

Test(mail_format, writes_the_date_in_rfc5322_form_in_utc)
{
    cr_assert_str_eq(header(format("s", "b"), "Date"), "Sun, 22 Nov 2026 03:00:00 +0000");
}

Test(mail_format, writes_a_leap_day_date_with_its_english_names)
{
    sb_init(&out, &arena, 64);
    mail_format(&out, FROM, TO, "s", "b", "1.1", (time_t)1709251199);
    cr_assert_str_eq(header(out.s, "Date"), "Thu, 29 Feb 2024 23:59:59 +0000");
}

Test(mail_format, wraps_the_message_id_in_angle_brackets_with_the_firstcome_domain)
{
    cr_assert_str_eq(header(format("s", "b"), "Message-ID"), "<7.1795316400@firstcome.local>");
}

Test(mail_format, ends_every_line_with_crlf)
{
    const char *msg = format("Reset your password", "line one\nline two\r\nline three\rfour\n");
    for (const char *p = msg; *p; p++) {
        if (*p == '\n')
            cr_assert(p > msg && p[-1] == '\r', "bare LF at offset %td", p - msg);
        if (*p == '\r')
            cr_assert_eq(p[1], '\n', "bare CR at offset %td", p - msg);
    }
}

Test(mail_format, turns_each_body_line_ending_into_crlf)
{
    const char *msg = format("s", "one\ntwo\r\nthree\rfour");
    cr_assert_str_eq(body_of(msg), "one\r\ntwo\r\nthree\r\nfour\r\n");
}

Test(mail_format, separates_headers_and_body_with_one_empty_line)
{
    const char *msg = format("s", "\nafter a blank line\n");
    cr_assert_str_eq(body_of(msg), "\r\nafter a blank line\r\n");
}

Test(mail_format, keeps_a_link_in_the_body_intact)
{
    const char *msg = format("Verify your email", "Open this link:\n" LINK "\n");
    cr_assert_str_eq(body_of(msg), "Open this link:\r\n" LINK "\r\n");
}

Test(mail_format, keeps_a_line_that_starts_with_a_dot)
{
    cr_assert_str_eq(body_of(format("s", ".\n.hidden\n")), ".\r\n.hidden\r\n");
}

Test(mail_format, writes_an_empty_body_as_nothing)
{
    cr_assert_str_eq(body_of(format("s", "")), "");
}

Test(mail_format, keeps_utf8_in_an_8bit_body)
{
    cr_assert_str_eq(body_of(format("s", "\xEC\x95\x88\xEB\x85\x95")),
                     "\xEC\x95\x88\xEB\x85\x95\r\n");
}

Test(mail_format, encodes_a_non_ascii_subject_as_rfc2047_words_that_decode_back)
{
    const char *subject =
        "\xEC\x9D\xB4\xEB\xA9\x94\xEC\x9D\xBC \xEC\x9D\xB8\xEC\xA6\x9D caf\xC3\xA9";
    const char *v = header(format(subject, "b"), "Subject");
    cr_assert(strncmp(v, "=?UTF-8?B?", 10) == 0, "%s", v);
    cr_assert_str_eq(decode_words(v), subject);
}

Test(mail_format, splits_a_long_non_ascii_subject_into_short_words_on_character_boundaries)
{
    char subject[256] = "";
    for (int i = 0; i < 40; i++)
        strcat(subject, "\xEA\xB0\x80\xC3\xA9"); /* 가é: 5 bytes, so words end mid-pattern */
    const char *msg = format(subject, "b");
    const char *v = header(msg, "Subject");
    cr_assert_str_eq(decode_words(v), subject);
    cr_assert_gt(strstr(v, "\r\n ") - v, 0, "folded onto several lines");
    cr_assert_leq(longest_line(msg), 78);
}

Test(mail_format, encodes_an_ascii_subject_that_looks_like_an_encoded_word)
{
    const char *subject = "=?UTF-8?B?aGk=?= is not a word";
    const char *v = header(format(subject, "b"), "Subject");
    cr_assert_str_eq(decode_words(v), subject);
}

Test(mail_format, sends_a_body_with_a_line_over_998_bytes_as_quoted_printable)
{
    char body[2100];
    memset(body, 'x', 1500);
    strcpy(body + 1500, " = \xC3\xA9 \nnext line \n");
    const char *msg = format("s", body);
    cr_assert_str_eq(header(msg, "Content-Transfer-Encoding"), "quoted-printable");
    cr_assert_leq(longest_line(body_of(msg)), 76);
    char expected[2100];
    memset(expected, 'x', 1500);
    strcpy(expected + 1500, " = \xC3\xA9 \r\nnext line \r\n");
    cr_assert_str_eq(decode_qp(body_of(msg)), expected);
    cr_assert_null(strstr(body_of(msg), " \r\n"), "no line ends in a literal space");
}

Test(mail_format, refuses_a_subject_with_a_line_break_and_writes_nothing)
{
    sb_init(&out, &arena, 64);
    cr_assert_eq(mail_format(&out, FROM, TO, "hi\r\nBcc: x@y.z", "b", "1.1", SALE_TIME), -1);
    cr_assert_eq(out.len, 0);
}

Test(mail_format, refuses_a_recipient_with_a_line_break)
{
    sb_init(&out, &arena, 64);
    cr_assert_eq(mail_format(&out, FROM, "a@b.c\nBcc: x@y.z", "s", "b", "1.1", SALE_TIME), -1);
}

Test(mail_header_safe, accepts_printable_text_and_tabs)
{
    cr_assert(mail_header_safe("Your order #12\tis on its way"));
    cr_assert(mail_header_safe("\xEC\x9D\xB4\xEB\xA9\x94\xEC\x9D\xBC"));
    cr_assert(mail_header_safe(""));
}

Test(mail_header_safe, refuses_cr_and_lf)
{
    cr_assert_not(mail_header_safe("a@b.c\r\nBcc: x@y.z"));
    cr_assert_not(mail_header_safe("a@b.c\nBcc: x@y.z"));
    cr_assert_not(mail_header_safe("a@b.c\rBcc: x@y.z"));
}

Test(mail_header_safe, refuses_other_control_characters)
{
    cr_assert_not(mail_header_safe("bell\x07"));
    cr_assert_not(mail_header_safe("delete\x7f"));
}

Test(mail_header_safe, refuses_null)
{
    cr_assert_not(mail_header_safe(NULL));
}
