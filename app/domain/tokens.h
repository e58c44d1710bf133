/* tokens.h - access tokens (JWT, HS256 pinned) and one-time tokens (mailed links); the token
 * pair a session hands out. Sessions themselves (refresh families) are sessions.h. Strings
 * returned are in the caller's arena. */
#ifndef FC_TOKENS_H
#define FC_TOKENS_H
#include <stdbool.h>
#include <stddef.h>
#include <time.h>

#include "core/arena.h"
#include "core/config.h"

/* Seconds an access token is valid (ACCESS_TOKEN_TTL). A revoked session's access token is
 * refused at its expiry at the latest: the lifetime bounds how long a revocation takes. */
#define ACCESS_TTL (cfg.access_token_ttl)
#define REFRESH_TTL (30 * 86400) /* seconds a refresh token is valid */

/* Who a request acts for: read from a verified access token, no store touched. */
struct principal {
    long long id;
    char role[8]; /* user | vendor | admin */
    bool verified;
    char family[33];          /* the refresh family (session) this access token belongs to */
    const char *email, *name; /* in the arena */
};

/* A fresh random token: 32 bytes, base64url, in the arena. */
char *token_random(struct arena *a);
/* SHA-256 of a token as 64 hex characters, what the database stores. */
void token_hash(const char *token, char out[65]);

/* Signs an access token for p (HS256 with JWT_SECRET); NULL on failure. It trusts p as given:
 * the product signs only through session_access, which reads p from the database. */
char *access_token_issue(struct arena *a, const struct principal *p, time_t now);
/* A waiting room's pass: signed, bound to the person and the room, valid until exp. */
char *pass_issue(struct arena *a, long long room_id, long long user_id, time_t exp);
/* Whether token is a pass of room_id for user_id, unexpired at now. */
bool pass_valid(const char *token, long long room_id, long long user_id, time_t now);
/* Verifies signature, algorithm (HS256 only: "none" and others refused), type and expiry.
 * Returns 0 and fills p, or -1. */
int access_token_verify(struct arena *a, const char *token, time_t now, struct principal *p);

/* The token pair the login and refresh answers carry. */
struct token_pair {
    char *access, *refresh;
};

/* One-time tokens mailed as links. Returns the raw token (to mail) or NULL. */
char *onetime_issue(struct arena *a, long long user_id, const char *kind, int ttl_seconds);
/* Consumes a token of that kind: its user id, or -1 when unknown, used or expired (one answer
 * for all three), -2 on store failure. Call inside a transaction: the row is locked. */
long long onetime_consume(const char *token, const char *kind);
/* The same answer as onetime_consume without using the token or locking it: a cheap check
 * before expensive work. */
long long onetime_peek(const char *token, const char *kind);

#endif
