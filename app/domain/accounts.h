/* accounts.h - users: signup with mailed verification, login, password reset, profile. */
#ifndef FC_ACCOUNTS_H
#define FC_ACCOUNTS_H
#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>

#include "core/arena.h"
#include "core/err.h"
#include "domain/tokens.h"

#define PASSWORD_MIN 8
#define PASSWORD_MAX 1024
#define VERIFY_TTL (24 * 3600)
#define RESET_TTL 3600

/* Argon2id via libsodium into out (crypto_pwhash_STRBYTES). 0 or -1 (out of memory). */
int password_hash(const char *password, char *out);
bool password_verify(const char *hash, const char *password);

/* Lower-cased, trimmed copy in the arena; NULL when it is not a plausible address. */
char *email_normalize(struct arena *a, const char *email);

/* Creates a user (no mail); *id receives its id. role: user|vendor|admin. For the CLI and seed. */
int account_create(struct arena *a, const char *email, const char *password, const char *name,
                   const char *role, bool verified, long long *id, struct err *e);

/* Every function below returns 0 (or the JSON it names) on success and fills e otherwise. */

/* Signup: creates an unverified user and queues the verification mail in one transaction.
 * Limited per client address and per email; a taken email is refused before any hashing.
 * Returns the public user. */
json_t *account_signup(struct arena *a, const char *email, const char *password, const char *name,
                       const char *client, struct err *e);
/* Consumes a verification token; returns the now verified user. */
json_t *account_verify(struct arena *a, const char *token, struct err *e);
/* Checks the password (the same work for unknown emails), limits attempts per email and per
 * client address, and starts a session. */
int account_login(struct arena *a, const char *email, const char *password, const char *client,
                  struct token_pair *out, struct err *e);
int account_refresh(struct arena *a, const char *refresh, struct token_pair *out, struct err *e);
/* Succeeds alike for every address (no enumeration): queues the request, and the mailer mails
 * a reset link later only when the email has an account (account_reset_send_due). -1 when a
 * limit (per client address, per email) is reached or the store failed. */
int account_reset_request(struct arena *a, const char *email, const char *client, struct err *e);
/* The mailer's step: turns up to `limit` queued reset requests into reset mails (none for an
 * address without an account). How many were handled, or -1 on a store error. */
int account_reset_send_due(struct arena *a, int limit);
/* Gives the account of `email` a new password (an operator's reset, from the command line),
 * ending its sessions and reset links. The user's id, or -1 with e set (404, 422, store). */
long long account_set_password(struct arena *a, const char *email, const char *password,
                               struct err *e);
/* Sets a new password from a mailed token (checked before the password is hashed), and ends
 * every session and every other reset link of the user. */
int account_reset_confirm(struct arena *a, const char *token, const char *password,
                          const char *client, struct err *e);
/* The public user (id, email, name, phone, address, role, verified, created_at). */
json_t *account_get(long long id, struct err *e);
/* Updates name, phone and/or address (keys absent in patch stay as they are). */
json_t *account_update(long long id, json_t *patch, struct err *e);
/* account_update's check of the patch, before anything is read or stored: 0, or -1 with a 422. */
int account_check_patch(json_t *patch, struct err *e);
/* Checks the current password, sets the new one, and ends every other session and every
 * outstanding reset link of the user (`family` is the session making the change). */
int account_change_password(long long id, const char *family, const char *current, const char *next,
                            struct err *e);

#endif
