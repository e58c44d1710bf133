/* fuzz_tokens.c - the access token a request presents, as the API reads it: the Authorization
 * header through auth_identify (the Bearer prefix) into access_token_verify (libjwt decodes,
 * then our checks of the algorithm, type, subject, role, family and expiry, and the cache of
 * verified tokens). The first byte chooses what the rest is:
 *   0: the header as sent;
 *   1: a token's header and claims, split at the first NUL, signed here with the secret (so the
 *      claim checks are reached, not only the signature check);
 *   2: a principal (id, role, verified, family, email, name; NUL-separated) that
 *      access_token_issue signs.
 * Checked: a token is accepted only with alg HS256 (in any case, as libjwt reads it), typ access, a
 * positive subject, a role and family that fit and an unexpired exp, and then names the principal
 * its claims name; asking again (the cache) gives the same principal; what access_token_issue signs
 * verifies as the principal it was given. */
#include <assert.h>
#include <jansson.h>
#include <sodium.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include "core/arena.h"
#include "core/config.h"
#include "core/text.h"
#include "domain/accounts.h"
#include "domain/tokens.h"
#include "web/auth.h"

int LLVMFuzzerInitialize(int *argc, char ***argv); /* libFuzzer's entries */
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t n);

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
    (void)argc;
    (void)argv;
    if (sodium_init() < 0)
        abort();
    json_alloc_init();
    cfg.jwt_secret = "4f1c0d9e8b7a6f5e4d3c2b1a09f8e7d6c5b4a39281706f5e4d3c2b1a0f9e8d7c";
    cfg.access_token_ttl = 900;
    cfg.base_url = "http://127.0.0.1:8080";
    return 0;
}

static bool same(const char *x, const char *y)
{
    return (!x && !y) || (x && y && !strcmp(x, y));
}

static bool same_principal(const struct principal *p, const struct principal *q)
{
    return p->id == q->id && !strcmp(p->role, q->role) && p->verified == q->verified &&
           !strcmp(p->family, q->family) && same(p->email, q->email) && same(p->name, q->name);
}

/* The principal the API sees for this Authorization header, or NULL. */
static struct principal *identify(struct arena *a, const char *authorization)
{
    struct request r;
    req_init(&r, a);
    r.authorization = authorization;
    auth_identify(&r);
    return auth_user(&r);
}

static char *b64url(struct arena *a, const char *s, size_t n)
{
    size_t len = sodium_base64_ENCODED_LEN(n, sodium_base64_VARIANT_URLSAFE_NO_PADDING);
    char *out = arena_alloc(a, len);
    sodium_bin2base64(out, len, (const unsigned char *)s, n,
                      sodium_base64_VARIANT_URLSAFE_NO_PADDING);
    return out;
}

/* "Bearer <header>.<claims>.<HMAC-SHA256 of both with the secret>". */
static char *signed_token(struct arena *a, const char *header, size_t hn, const char *claims,
                          size_t cn)
{
    char *input = arena_sprintf(a, "%s.%s", b64url(a, header, hn), b64url(a, claims, cn));
    unsigned char mac[crypto_auth_hmacsha256_BYTES];
    crypto_auth_hmacsha256_state st;
    crypto_auth_hmacsha256_init(&st, (const unsigned char *)cfg.jwt_secret, strlen(cfg.jwt_secret));
    crypto_auth_hmacsha256_update(&st, (const unsigned char *)input, strlen(input));
    crypto_auth_hmacsha256_final(&st, mac);
    return arena_sprintf(a, "Bearer %s.%s", input, b64url(a, (const char *)mac, sizeof(mac)));
}

/* What the claims must hold for the token to be accepted, and the principal they name. */
static void check_claims(const char *header, size_t hn, const char *claims, size_t cn,
                         const struct principal *p)
{
    json_t *h = json_loadb(header, hn, 0, NULL), *c = json_loadb(claims, cn, 0, NULL);
    assert(h && c);
    /* libjwt reads the algorithm's name regardless of case ("Hs256"); the MAC is HS256's. */
    const char *alg = json_string_value(json_object_get(h, "alg"));
    assert(alg && !strcasecmp(alg, "HS256"));
    assert(same(json_string_value(json_object_get(c, "typ")), "access"));
    const char *sub = json_string_value(json_object_get(c, "sub"));
    assert(sub && strtoll(sub, NULL, 10) == p->id && p->id > 0);
    assert(same(json_string_value(json_object_get(c, "role")), p->role));
    assert(same(json_string_value(json_object_get(c, "fam")), p->family));
    assert(json_integer_value(json_object_get(c, "exp")) > (json_int_t)time(NULL) - 5);
}

static void from_claims(struct arena *a, const char *s, size_t n)
{
    const char *nul = memchr(s, '\0', n);
    if (!nul)
        return;
    size_t hn = (size_t)(nul - s), cn = n - hn - 1;
    char *claims = arena_strndup(a, nul + 1, cn);
    /* A claim "exp": 0 stands for a moment ahead, so that live tokens are made too. */
    char *now = strstr(claims, "\"exp\":0");
    char *text = now ? arena_sprintf(a, "%.*s\"exp\":%lld%s", (int)(now - claims), claims,
                                     (long long)time(NULL) + 600, now + 7)
                     : claims;
    cn = strlen(text);
    struct principal *p = identify(a, signed_token(a, s, hn, text, cn));
    if (!p)
        return;
    check_claims(s, hn, text, cn, p);
    struct principal *again = identify(a, signed_token(a, s, hn, text, cn));
    assert(again && same_principal(p, again));
}

static void issued(struct arena *a, const char *s, size_t n)
{
    const char *f[6] = {0};
    const char *end = s + n;
    for (int i = 0; i < 6; i++) {
        if (s >= end)
            return;
        f[i] = s;
        s += strlen(s) + 1;
    }
    /* A principal as the product makes them: a role of the three, a family that fits, an
     * email that email_normalize passes and a name of 1 to 100 characters (accounts.c). */
    struct principal p = {.id = strtoll(f[0], NULL, 10), .verified = f[2][0] == '1'};
    if (p.id <= 0 || (strcmp(f[1], "user") && strcmp(f[1], "vendor") && strcmp(f[1], "admin")) ||
        strlen(f[3]) >= sizeof(p.family) || !utf8_valid(f[5], strlen(f[5])) ||
        utf8_length(f[5]) < 1 || utf8_length(f[5]) > 100)
        return;
    snprintf(p.role, sizeof(p.role), "%s", f[1]);
    snprintf(p.family, sizeof(p.family), "%s", f[3]);
    p.email = email_normalize(a, f[4]);
    p.name = f[5];
    if (!p.email)
        return;
    char *token = access_token_issue(a, &p, time(NULL));
    if (!token)
        return;
    struct principal *q = identify(a, arena_sprintf(a, "Bearer %s", token));
    assert(q && same_principal(&p, q));
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t n)
{
    if (n < 1)
        return 0;
    struct arena a;
    arena_init(&a, 4096);
    json_use_arena(&a);
    /* Room for a NUL after the last field, so that every field ends. */
    char *s = arena_alloc(&a, n + 1);
    memcpy(s, data + 1, n - 1);
    s[n - 1] = '\0';
    switch (data[0] % 3) {
    case 0: {
        struct principal *p = identify(&a, s);
        if (p) {
            struct principal *again = identify(&a, s);
            assert(p->id > 0 && again && same_principal(p, again));
        }
        break;
    }
    case 1:
        from_claims(&a, s, n - 1);
        break;
    case 2:
        issued(&a, s, n - 1);
        break;
    }
    json_use_arena(NULL);
    arena_free(&a);
    return 0;
}
