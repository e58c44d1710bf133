/* tokens.c - access tokens (JWT, HS256 pinned) and one-time tokens (see tokens.h). */
#include "domain/tokens.h"

#include <jwt.h>
#include <limits.h>
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/config.h"
#include "core/log.h"
#include "core/text.h"
#include "store/db.h"

char *token_random(struct arena *a)
{
    unsigned char raw[32];
    randombytes_buf(raw, sizeof(raw));
    size_t n = sodium_base64_ENCODED_LEN(sizeof(raw), sodium_base64_VARIANT_URLSAFE_NO_PADDING);
    char *out = arena_alloc(a, n);
    sodium_bin2base64(out, n, raw, sizeof(raw), sodium_base64_VARIANT_URLSAFE_NO_PADDING);
    return out;
}

void token_hash(const char *token, char out[65])
{
    unsigned char h[crypto_hash_sha256_BYTES];
    crypto_hash_sha256(h, (const unsigned char *)token, strlen(token));
    sodium_bin2hex(out, 65, h, sizeof(h));
}

static const unsigned char *secret(int *len)
{
    *len = (int)strlen(cfg.jwt_secret);
    return (const unsigned char *)cfg.jwt_secret;
}

char *access_token_issue(struct arena *a, const struct principal *p, time_t now)
{
    jwt_t *jwt = NULL;
    char *out = NULL, *enc = NULL;
    char sub[32];
    int klen;
    const unsigned char *key = secret(&klen);
    snprintf(sub, sizeof(sub), "%lld", p->id);
    json_alloc_plain_begin(); /* libjwt frees jansson's output with free() */
    if (jwt_new(&jwt) != 0) {
        json_alloc_plain_end();
        return NULL;
    }
    if (jwt_add_grant(jwt, "sub", sub) || jwt_add_grant(jwt, "typ", "access") ||
        jwt_add_grant(jwt, "role", p->role) || jwt_add_grant_bool(jwt, "ver", p->verified) ||
        jwt_add_grant(jwt, "fam", p->family) || jwt_add_grant(jwt, "email", p->email) ||
        jwt_add_grant(jwt, "name", p->name) || jwt_add_grant_int(jwt, "iat", (long)now) ||
        jwt_add_grant_int(jwt, "exp", (long)(now + ACCESS_TTL)) ||
        jwt_set_alg(jwt, JWT_ALG_HS256, key, klen))
        goto out_free;
    enc = jwt_encode_str(jwt);
    out = enc ? arena_strdup(a, enc) : NULL;
    free(enc);
out_free:
    jwt_free(jwt);
    json_alloc_plain_end();
    return out;
}

char *pass_issue(struct arena *a, long long room_id, long long user_id, time_t exp)
{
    jwt_t *jwt = NULL;
    char *out = NULL, *enc = NULL;
    int klen;
    const unsigned char *key = secret(&klen);
    json_alloc_plain_begin(); /* libjwt frees jansson's output with free() */
    if (jwt_new(&jwt) != 0) {
        json_alloc_plain_end();
        return NULL;
    }
    if (!jwt_add_grant(jwt, "typ", "pass") &&
        !jwt_add_grant(jwt, "sub", arena_sprintf(a, "%lld", user_id)) &&
        !jwt_add_grant_int(jwt, "room", (long)room_id) &&
        !jwt_add_grant_int(jwt, "exp", (long)exp) && !jwt_set_alg(jwt, JWT_ALG_HS256, key, klen) &&
        (enc = jwt_encode_str(jwt)))
        out = arena_strdup(a, enc);
    free(enc);
    jwt_free(jwt);
    json_alloc_plain_end();
    return out;
}

bool pass_valid(const char *token, long long room_id, long long user_id, time_t now)
{
    jwt_t *jwt = NULL;
    int klen;
    const unsigned char *key = secret(&klen);
    if (!token || !*token || strlen(token) > 1024)
        return false;
    json_alloc_plain_begin();
    bool ok = jwt_decode(&jwt, token, key, klen) == 0 && jwt &&
              jwt_get_alg(jwt) == JWT_ALG_HS256; /* pinned, as for access tokens */
    if (ok) {
        const char *typ = jwt_get_grant(jwt, "typ"), *sub = jwt_get_grant(jwt, "sub");
        long long who;
        ok = typ && !strcmp(typ, "pass") && sub && parse_int64(sub, 1, LLONG_MAX, &who) &&
             who == user_id && jwt_get_grant_int(jwt, "room") == (long)room_id &&
             jwt_get_grant_int(jwt, "exp") > (long)now;
    }
    jwt_free(jwt);
    json_alloc_plain_end();
    return ok;
}

/* The full check: libjwt parses, checks the signature, and we check the claims. */
static int verify_jwt(struct arena *a, const char *token, time_t now, struct principal *p,
                      long *exp_out)
{
    jwt_t *jwt = NULL;
    int klen, rc = -1;
    const unsigned char *key = secret(&klen);
    /* The algorithm is pinned: whatever the header claims, only HS256 with our key passes. */
    json_alloc_plain_begin();
    if (jwt_decode(&jwt, token, key, klen) != 0 || !jwt) {
        json_alloc_plain_end();
        return -1;
    }
    if (jwt_get_alg(jwt) != JWT_ALG_HS256)
        goto out_free;
    const char *typ = jwt_get_grant(jwt, "typ"), *sub = jwt_get_grant(jwt, "sub");
    const char *role = jwt_get_grant(jwt, "role"), *fam = jwt_get_grant(jwt, "fam");
    long exp = jwt_get_grant_int(jwt, "exp");
    if (!typ || strcmp(typ, "access") || !sub || !role || strlen(role) >= sizeof(p->role) || !fam ||
        strlen(fam) >= sizeof(p->family) || exp <= (long)now)
        goto out_free;
    memset(p, 0, sizeof(*p));
    p->id = strtoll(sub, NULL, 10);
    if (p->id <= 0)
        goto out_free;
    snprintf(p->role, sizeof(p->role), "%s", role);
    snprintf(p->family, sizeof(p->family), "%s", fam);
    p->verified = jwt_get_grant_bool(jwt, "ver") == 1;
    p->email = arena_strdup(a, jwt_get_grant(jwt, "email"));
    p->name = arena_strdup(a, jwt_get_grant(jwt, "name"));
    *exp_out = exp;
    rc = 0;
out_free:
    jwt_free(jwt);
    json_alloc_plain_end();
    return rc;
}

/* Tokens this process has verified. A signed-in user sends the same access token with every
 * request until it expires, and verifying it (a JSON parse and an HMAC) was the largest cost
 * of a claim. An entry matches only the exact token string that passed, under the secret it
 * passed with, and only until the token's own expiry; access tokens are not revoked before
 * then, so the cached answer is the one verification would give. Sets are chosen by a keyed
 * hash, so nobody can aim tokens at one set. The table is sized for a flash crowd: 16384 sets
 * of two, so that two users who share a set both stay cached (when each set held one token,
 * 6% of 2000 users shared theirs with another and were parsed again on every request). */
#define VERIFIED_SETS 16384
#define VERIFIED_WAYS 2
struct verified {
    char *token, *email, *name; /* malloc'd; token NULL when the entry is empty */
    long exp;
    struct principal p;
};
static struct verified_set {
    struct verified way[VERIFIED_WAYS];
    unsigned next; /* the way a new token replaces when none is free */
} verified[VERIFIED_SETS];
static unsigned char set_key[crypto_shorthash_KEYBYTES];
static char *verified_secret; /* the secret every entry passed with */

static struct verified_set *verified_set_of(const char *token, size_t len)
{
    if (!verified_secret || strcmp(verified_secret, cfg.jwt_secret) != 0) {
        for (size_t i = 0; i < VERIFIED_SETS; i++)
            for (int w = 0; w < VERIFIED_WAYS; w++) {
                free(verified[i].way[w].token);
                free(verified[i].way[w].email);
                free(verified[i].way[w].name);
            }
        memset(verified, 0, sizeof(verified));
        free(verified_secret);
        verified_secret = strdup(cfg.jwt_secret);
        randombytes_buf(set_key, sizeof(set_key));
    }
    unsigned char h[crypto_shorthash_BYTES];
    unsigned long long v = 0;
    crypto_shorthash(h, (const unsigned char *)token, len, set_key);
    memcpy(&v, h, sizeof(v) < sizeof(h) ? sizeof(v) : sizeof(h));
    return &verified[v % VERIFIED_SETS];
}

/* The entry a newly verified token goes in: an empty or expired one, else the set's next. */
static struct verified *verified_victim(struct verified_set *s, long now)
{
    for (int w = 0; w < VERIFIED_WAYS; w++)
        if (!s->way[w].token || s->way[w].exp <= now)
            return &s->way[w];
    struct verified *e = &s->way[s->next];
    s->next = (s->next + 1) % VERIFIED_WAYS;
    return e;
}

static void verified_store(struct verified *e, const char *token, const struct principal *p,
                           long exp)
{
    char *t = strdup(token), *email = p->email ? strdup(p->email) : NULL,
         *name = p->name ? strdup(p->name) : NULL;
    if (!t || (p->email && !email) || (p->name && !name)) {
        free(t);
        free(email);
        free(name);
        return; /* not cached: the next request verifies again */
    }
    free(e->token);
    free(e->email);
    free(e->name);
    *e = (struct verified){.token = t, .email = email, .name = name, .exp = exp, .p = *p};
    e->p.email = e->p.name = NULL;
}

int access_token_verify(struct arena *a, const char *token, time_t now, struct principal *p)
{
    size_t len = token ? strlen(token) : 0;
    if (len == 0 || len > 4096)
        return -1;
    struct verified_set *s = verified_set_of(token, len);
    for (int w = 0; w < VERIFIED_WAYS; w++) {
        struct verified *e = &s->way[w];
        if (e->token && e->exp > (long)now && strcmp(e->token, token) == 0) {
            *p = e->p;
            p->email = arena_strdup(a, e->email);
            p->name = arena_strdup(a, e->name);
            return 0;
        }
    }
    long exp;
    if (verify_jwt(a, token, now, p, &exp) < 0)
        return -1;
    verified_store(verified_victim(s, (long)now), token, p, exp);
    return 0;
}

char *onetime_issue(struct arena *a, long long user_id, const char *kind, int ttl_seconds)
{
    char hash[65];
    char *token = token_random(a);
    token_hash(token, hash);
    if (db_exec("INSERT INTO account_tokens (user_id, kind, token_hash, expires_at)"
                " VALUES (?, ?, ?, ?)",
                "isss", user_id, kind, hash, db_time(a, time(NULL) + ttl_seconds)) < 0)
        return NULL;
    return token;
}

/* The unused, unexpired token of that kind: its user id (and row id), -1 or -2 as below. */
static long long onetime_find(const char *token, const char *kind, bool lock, long long *row_id)
{
    char hash[65];
    json_t *row;
    if (!token || !*token || strlen(token) > 200)
        return -1;
    token_hash(token, hash);
#define ONETIME_FIND                                                                               \
    "SELECT id, user_id FROM account_tokens WHERE token_hash = ? AND kind = ?"                     \
    " AND used_at IS NULL AND expires_at > UTC_TIMESTAMP()"
    int rc = db_query_row(&row, lock ? ONETIME_FIND " FOR UPDATE" : ONETIME_FIND, "ss", hash, kind);
    if (rc <= 0)
        return rc < 0 ? -2 : -1;
    *row_id = json_integer_value(json_object_get(row, "id"));
    return json_integer_value(json_object_get(row, "user_id"));
}

long long onetime_peek(const char *token, const char *kind)
{
    long long row_id;
    return onetime_find(token, kind, false, &row_id);
}

long long onetime_consume(const char *token, const char *kind)
{
    long long row_id, user_id = onetime_find(token, kind, true, &row_id);
    if (user_id < 0)
        return user_id;
    if (db_exec("UPDATE account_tokens SET used_at = UTC_TIMESTAMP() WHERE id = ?", "i", row_id) <
        0)
        return -2;
    return user_id;
}
