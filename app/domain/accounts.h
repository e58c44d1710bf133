/* accounts.h - users: creation with Argon2id password hashes, lookup by email. */
#ifndef FC_ACCOUNTS_H
#define FC_ACCOUNTS_H
#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>

#include "core/arena.h"

#define PASSWORD_MIN 8
#define PASSWORD_MAX 1024

/* Argon2id via libsodium into out (crypto_pwhash_STRBYTES). 0 or -1 (out of memory). */
int password_hash(const char *password, char *out);
bool password_verify(const char *hash, const char *password);

/* Lower-cased, trimmed copy in the arena; NULL when it is not a plausible address. */
char *email_normalize(struct arena *a, const char *email);

enum account_err { ACCOUNT_OK = 0, ACCOUNT_EMAIL_TAKEN, ACCOUNT_INVALID_EMAIL, ACCOUNT_WEAK_PASSWORD, ACCOUNT_BAD_ROLE, ACCOUNT_STORE_FAILED };

/* Creates a user; *id receives its id. role: user|vendor|admin. */
enum account_err account_create(struct arena *a, const char *email, const char *password,
                                const char *name, const char *role, bool verified, long long *id);

#endif
