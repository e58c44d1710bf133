/* test_arena.c - the bump allocator (core/arena.c) and the arena string buffer (core/strbuf.c). */
#include <criterion/criterion.h>
#include <signal.h>
#include <stdbool.h>
#include <stdint.h>
#include <string.h>

#include "core/arena.h"
#include "core/strbuf.h"

#define CHUNK 1024

static struct arena arena;

static void arena_setup(void)
{
    arena_init(&arena, CHUNK);
}

static void arena_teardown(void)
{
    arena_free(&arena);
}

static bool aligned16(const void *p)
{
    return ((uintptr_t)p & 15) == 0;
}

TestSuite(arena, .init = arena_setup, .fini = arena_teardown);
TestSuite(strbuf, .init = arena_setup, .fini = arena_teardown);

/* --- arena_alloc ------------------------------------------------------------------------- */

Test(arena, alloc_returns_16_byte_aligned_blocks_for_every_size)
{
    for (size_t n = 1; n <= 64; n++)
        cr_assert(aligned16(arena_alloc(&arena, n)), "block of %zu bytes is not 16-aligned", n);
}

Test(arena, alloc_rounds_each_block_up_to_16_bytes)
{
    char *a = arena_alloc(&arena, 1);
    char *b = arena_alloc(&arena, 17);
    char *c = arena_alloc(&arena, 1);
    cr_assert_eq(b - a, 16);
    cr_assert_eq(c - b, 32);
    cr_assert_eq(arena.used_total, 64);
}

Test(arena, alloc_of_zero_bytes_returns_a_distinct_block)
{
    char *a = arena_alloc(&arena, 0);
    char *b = arena_alloc(&arena, 0);
    cr_assert_not_null(a);
    cr_assert_not_null(b);
    cr_assert_neq(a, b);
}

Test(arena, init_with_zero_chunk_size_uses_64_kib)
{
    struct arena a;
    arena_init(&a, 0);
    cr_assert_eq(a.chunk_size, 64 * 1024);
    arena_free(&a);
}

Test(arena, many_small_allocs_across_chunks_keep_their_contents)
{
    enum { N = 1000, SIZE = 24 }; /* 32 bytes each after rounding: about 32 chunks of 1 KiB */
    unsigned char *blocks[N];
    for (int i = 0; i < N; i++) {
        blocks[i] = arena_alloc(&arena, SIZE);
        cr_assert(aligned16(blocks[i]));
        memset(blocks[i], i & 0xFF, SIZE);
    }
    for (int i = 0; i < N; i++)
        for (int k = 0; k < SIZE; k++)
            cr_assert_eq(blocks[i][k], i & 0xFF, "block %d byte %d was overwritten", i, k);
    cr_assert_eq(arena.used_total, (size_t)N * 32);
}

Test(arena, large_block_is_aligned_and_usable_in_full)
{
    size_t n = 1024 * 1024;
    unsigned char *p = arena_alloc(&arena, n);
    cr_assert(aligned16(p));
    memset(p, 0x5A, n);
    cr_assert_eq(p[0], 0x5A);
    cr_assert_eq(p[n - 1], 0x5A);
    cr_assert_eq(arena.used_total, n);
}

Test(arena, large_block_leaves_the_current_chunk_free_for_small_blocks)
{
    char *before = arena_alloc(&arena, 16);
    arena_alloc(&arena, CHUNK * 4);
    char *after = arena_alloc(&arena, 16);
    cr_assert_eq(after, before + 16);
}

Test(arena, large_block_as_first_alloc_is_followed_by_working_small_allocs)
{
    unsigned char *big = arena_alloc(&arena, CHUNK * 2);
    memset(big, 1, CHUNK * 2);
    unsigned char *small = arena_alloc(&arena, 32);
    memset(small, 2, 32);
    cr_assert_eq(big[CHUNK * 2 - 1], 1);
    cr_assert_eq(small[0], 2);
}

Test(arena, alloc_of_size_max_aborts_instead_of_returning_a_small_block, .signal = SIGABRT)
{
    arena_alloc(&arena, SIZE_MAX);
}

Test(arena, alloc_just_below_size_max_aborts_instead_of_overflowing_the_chunk_header,
     .signal = SIGABRT)
{
    arena_alloc(&arena, SIZE_MAX - 31);
}

/* --- arena_calloc ------------------------------------------------------------------------ */

Test(arena, calloc_zeroes_memory_that_held_data_before_a_reset)
{
    unsigned char *dirty = arena_alloc(&arena, 200);
    memset(dirty, 0xAB, 200);
    arena_reset(&arena);
    unsigned char *p = arena_calloc(&arena, 200);
    cr_assert_eq(p, dirty); /* the same bytes, so the zeroing is calloc's doing */
    for (int i = 0; i < 200; i++)
        cr_assert_eq(p[i], 0, "byte %d is 0x%02x", i, p[i]);
}

/* --- strings ----------------------------------------------------------------------------- */

Test(arena, strdup_copies_the_string)
{
    char src[] = "hello";
    char *s = arena_strdup(&arena, src);
    src[0] = 'J';
    cr_assert_str_eq(s, "hello");
}

Test(arena, strdup_of_null_is_null)
{
    cr_assert_null(arena_strdup(&arena, NULL));
}

Test(arena, strdup_of_empty_string_is_empty_string)
{
    char *s = arena_strdup(&arena, "");
    cr_assert_not_null(s);
    cr_assert_str_eq(s, "");
}

Test(arena, strndup_copies_n_bytes_and_terminates)
{
    cr_assert_str_eq(arena_strndup(&arena, "hello world", 5), "hello");
}

Test(arena, strndup_of_null_is_null)
{
    cr_assert_null(arena_strndup(&arena, NULL, 3));
}

Test(arena, strndup_of_zero_bytes_is_empty_string)
{
    cr_assert_str_eq(arena_strndup(&arena, "abc", 0), "");
}

Test(arena, sprintf_formats_into_the_arena)
{
    cr_assert_str_eq(arena_sprintf(&arena, "%s #%d costs %lld won", "item", 7, 15000LL),
                     "item #7 costs 15000 won");
}

Test(arena, sprintf_of_empty_format_is_empty_string)
{
    const char *empty = "";
    cr_assert_str_eq(arena_sprintf(&arena, "%s", empty), "");
}

Test(arena, sprintf_longer_than_a_chunk_is_complete)
{
    char big[CHUNK * 3];
    memset(big, 'x', sizeof(big) - 1);
    big[sizeof(big) - 1] = '\0';
    char *s = arena_sprintf(&arena, "<%s>", big);
    cr_assert_eq(strlen(s), sizeof(big) + 1);
    cr_assert_eq(s[0], '<');
    cr_assert_eq(s[sizeof(big)], '>');
    cr_assert_eq(s[1], 'x');
}

/* --- reset ------------------------------------------------------------------------------- */

Test(arena, reset_hands_out_the_first_chunk_again)
{
    void *first = arena_alloc(&arena, 100);
    arena_reset(&arena);
    cr_assert_eq(arena_alloc(&arena, 100), first);
}

Test(arena, reset_clears_used_total)
{
    arena_alloc(&arena, 100);
    arena_alloc(&arena, CHUNK * 4);
    arena_reset(&arena);
    cr_assert_eq(arena.used_total, 0);
}

Test(arena, reset_after_many_chunks_and_large_blocks_keeps_working)
{
    for (int i = 0; i < 100; i++)
        arena_alloc(&arena, 100);
    arena_alloc(&arena, CHUNK * 8);
    arena_reset(&arena);
    unsigned char *blocks[100];
    for (int i = 0; i < 100; i++) {
        blocks[i] = arena_alloc(&arena, 100);
        memset(blocks[i], i, 100);
    }
    for (int i = 0; i < 100; i++)
        cr_assert_eq(blocks[i][99], i);
}

Test(arena, reset_after_only_a_large_block_keeps_working)
{
    arena_alloc(&arena, CHUNK * 8);
    arena_reset(&arena);
    char *s = arena_strdup(&arena, "still here");
    cr_assert_str_eq(s, "still here");
}

Test(arena, reset_of_a_fresh_arena_is_harmless)
{
    arena_reset(&arena);
    cr_assert_null(arena.head);
    cr_assert_str_eq(arena_strdup(&arena, "ok"), "ok");
}

Test(arena, free_leaves_an_empty_arena)
{
    arena_alloc(&arena, 100);
    arena_free(&arena);
    cr_assert_null(arena.head);
}

/* --- strbuf ------------------------------------------------------------------------------ */

Test(strbuf, init_gives_an_empty_terminated_string)
{
    struct strbuf sb;
    sb_init(&sb, &arena, 16);
    cr_assert_eq(sb.len, 0);
    cr_assert_str_eq(sb.s, "");
}

Test(strbuf, init_with_zero_capacity_uses_256)
{
    struct strbuf sb;
    sb_init(&sb, &arena, 0);
    cr_assert_eq(sb.cap, 256);
}

Test(strbuf, adds_appends_and_terminates)
{
    struct strbuf sb;
    sb_init(&sb, &arena, 16);
    sb_adds(&sb, "first");
    sb_adds(&sb, ", second");
    cr_assert_str_eq(sb.s, "first, second");
    cr_assert_eq(sb.len, 13);
}

Test(strbuf, addc_appends_one_character)
{
    struct strbuf sb;
    sb_init(&sb, &arena, 16);
    sb_addc(&sb, 'a');
    sb_addc(&sb, 'b');
    cr_assert_str_eq(sb.s, "ab");
    cr_assert_eq(sb.len, 2);
}

Test(strbuf, add_copies_exactly_n_bytes_including_nul_bytes)
{
    struct strbuf sb;
    sb_init(&sb, &arena, 16);
    sb_add(&sb, "a\0b", 3);
    cr_assert_eq(sb.len, 3);
    cr_assert_eq(memcmp(sb.s, "a\0b", 4), 0);
}

Test(strbuf, grows_past_its_initial_capacity_keeping_every_byte)
{
    struct strbuf sb;
    sb_init(&sb, &arena, 1);
    for (int i = 0; i < 5000; i++)
        sb_addc(&sb, (char)('a' + i % 26));
    cr_assert_eq(sb.len, 5000);
    cr_assert_geq(sb.cap, 5001);
    cr_assert_eq(sb.s[5000], '\0');
    for (int i = 0; i < 5000; i++)
        cr_assert_eq(sb.s[i], 'a' + i % 26, "byte %d", i);
}

Test(strbuf, single_add_larger_than_double_capacity_fits)
{
    char big[3000];
    memset(big, 'z', sizeof(big));
    struct strbuf sb;
    sb_init(&sb, &arena, 8);
    sb_adds(&sb, "<");
    sb_add(&sb, big, sizeof(big));
    cr_assert_eq(sb.len, 3001);
    cr_assert_eq(sb.s[0], '<');
    cr_assert_eq(sb.s[3000], 'z');
    cr_assert_eq(sb.s[3001], '\0');
}

Test(strbuf, printf_appends_formatted_text)
{
    struct strbuf sb;
    sb_init(&sb, &arena, 16);
    sb_adds(&sb, "total=");
    sb_printf(&sb, "%d;%s", 42, "won");
    cr_assert_str_eq(sb.s, "total=42;won");
    cr_assert_eq(sb.len, 12);
}

Test(strbuf, printf_grows_the_buffer)
{
    struct strbuf sb;
    sb_init(&sb, &arena, 4);
    sb_printf(&sb, "%0100d", 7);
    cr_assert_eq(sb.len, 100);
    cr_assert_eq(strlen(sb.s), 100);
    cr_assert_eq(sb.s[99], '7');
    cr_assert_eq(sb.s[0], '0');
}

Test(strbuf, printf_of_nothing_leaves_the_buffer_unchanged)
{
    struct strbuf sb;
    sb_init(&sb, &arena, 16);
    sb_adds(&sb, "x");
    const char *empty = "";
    sb_printf(&sb, "%s", empty);
    cr_assert_str_eq(sb.s, "x");
    cr_assert_eq(sb.len, 1);
}
