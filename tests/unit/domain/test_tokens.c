/* test_tokens.c - access tokens: what verification accepts, and that the per-process cache of
 * verified tokens (domain/tokens.c) never answers differently from a full verification. */
#include <criterion/criterion.h>
#include <sodium.h>
#include <string.h>

#include "core/arena.h"
#include "core/config.h"
#include "domain/tokens.h"

#define NOW ((time_t)1795316400)

static struct arena arena;

static void setup(void)
{
    cr_assert_geq(sodium_init(), 0);
    cfg.jwt_secret = "unit-test-secret-0123456789abcdef0123456789abcdef";
    cfg.access_token_ttl = 900;
    arena_init(&arena, 4096);
}

static void teardown(void)
{
    arena_free(&arena);
}

TestSuite(access_token, .init = setup, .fini = teardown);

static char *issue(long long id, const char *role)
{
    struct principal p = {.id = id, .verified = true, .email = "a@example.com", .name = "Ann"};
    snprintf(p.role, sizeof(p.role), "%s", role);
    snprintf(p.family, sizeof(p.family), "%s", "fam0123456789");
    char *t = access_token_issue(&arena, &p, NOW);
    cr_assert_not_null(t);
    return t;
}

Test(access_token, verifies_and_repeats_the_same_answer)
{
    char *t = issue(42, "admin");
    for (int i = 0; i < 3; i++) { /* the first verifies, the others come from the cache */
        struct principal p;
        cr_assert_eq(access_token_verify(&arena, t, NOW + 1, &p), 0);
        cr_assert_eq(p.id, 42);
        cr_assert_str_eq(p.role, "admin");
        cr_assert_str_eq(p.family, "fam0123456789");
        cr_assert(p.verified);
        cr_assert_str_eq(p.email, "a@example.com");
        cr_assert_str_eq(p.name, "Ann");
    }
}

Test(access_token, a_changed_byte_is_refused_after_the_original_was_cached)
{
    char *t = issue(7, "user");
    struct principal p;
    cr_assert_eq(access_token_verify(&arena, t, NOW + 1, &p), 0);
    size_t n = strlen(t);
    char *forged = arena_strdup(&arena, t);
    forged[n - 2] = forged[n - 2] == 'A' ? 'B' : 'A'; /* the signature */
    cr_assert_eq(access_token_verify(&arena, forged, NOW + 1, &p), -1);
    char *longer = arena_sprintf(&arena, "%sA", t);
    cr_assert_eq(access_token_verify(&arena, longer, NOW + 1, &p), -1);
    cr_assert_eq(access_token_verify(&arena, t, NOW + 1, &p), 0);
}

Test(access_token, a_cached_token_still_expires)
{
    char *t = issue(7, "user");
    struct principal p;
    cr_assert_eq(access_token_verify(&arena, t, NOW + 1, &p), 0);
    cr_assert_eq(access_token_verify(&arena, t, NOW + ACCESS_TTL - 1, &p), 0);
    cr_assert_eq(access_token_verify(&arena, t, NOW + ACCESS_TTL, &p), -1);
}

Test(access_token, a_new_secret_refuses_tokens_cached_under_the_old_one)
{
    char *t = issue(9, "user");
    struct principal p;
    cr_assert_eq(access_token_verify(&arena, t, NOW + 1, &p), 0);
    cfg.jwt_secret = "another-secret-0123456789abcdef0123456789abcdef";
    cr_assert_eq(access_token_verify(&arena, t, NOW + 1, &p), -1);
}

Test(access_token, refuses_empty_and_oversized_tokens)
{
    struct principal p;
    cr_assert_eq(access_token_verify(&arena, NULL, NOW, &p), -1);
    cr_assert_eq(access_token_verify(&arena, "", NOW, &p), -1);
    char *big = arena_alloc(&arena, 5000);
    memset(big, 'a', 4999);
    big[4999] = '\0';
    cr_assert_eq(access_token_verify(&arena, big, NOW, &p), -1);
    cr_assert_eq(access_token_verify(&arena, "a.b.c", NOW, &p), -1);
}
