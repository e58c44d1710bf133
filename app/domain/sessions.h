/* sessions.h - a signed-in session: a family of rotating refresh tokens in MySQL (only their
 * hashes stored), the access tokens made from it, and its end (logout, logout-all, password
 * reset, reuse of a rotated token). Tokens returned are in the caller's arena. */
#ifndef FC_SESSIONS_H
#define FC_SESSIONS_H

#include "core/arena.h"
#include "domain/tokens.h"

/* The one way a new access token is made: from the database's current view of the user
 * (role, verified, email, name), and only while `family` is a live session (not logged out,
 * not ended by logout-all, a password reset or reuse, not expired). 1 with *access set (in the
 * arena), 0 when the session has ended (*access NULL), -1 on store failure. */
int session_access(struct arena *a, long long user_id, const char *family, char **access);
/* Starts a session (a new refresh family) for a user row {id, role, verified, email, name}.
 * 0 or -1 (store failure). */
int session_start(struct arena *a, long long user_id, struct token_pair *out);
enum refresh_result { REFRESH_OK, REFRESH_INVALID, REFRESH_REUSED, REFRESH_FAILED };
/* Single-use rotation: a used token presented again revokes its whole family, except within
 * REFRESH_GRACE seconds of its rotation, when it yields another pair of the same family (two
 * page loads that refreshed at once). */
enum refresh_result session_refresh(struct arena *a, const char *refresh, struct token_pair *out);
/* Revokes one family (logout) or every family of a user (logout-all, password reset). */
int session_revoke_family(const char *family);
int session_revoke_family_of(const char *refresh);
int session_revoke_all(long long user_id);
/* Every session of the user but `family` (the one changing its password). */
int session_revoke_others(long long user_id, const char *family);

#endif
