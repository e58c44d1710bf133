/* accounts.c - users: creation with Argon2id password hashes, lookup by email. */
#include "domain/accounts.h"

#include <ctype.h>
#include <sodium.h>
#include <string.h>

#include "store/db.h"

int password_hash(const char *password, char *out)
{
    return crypto_pwhash_str(out, password, strlen(password), crypto_pwhash_OPSLIMIT_INTERACTIVE,
                             crypto_pwhash_MEMLIMIT_INTERACTIVE);
}

bool password_verify(const char *hash, const char *password)
{
    return crypto_pwhash_str_verify(hash, password, strlen(password)) == 0;
}

char *email_normalize(struct arena *a, const char *email)
{
    if (!email)
        return NULL;
    while (isspace((unsigned char)*email))
        email++;
    size_t n = strlen(email);
    while (n && isspace((unsigned char)email[n - 1]))
        n--;
    if (n < 3 || n > 254)
        return NULL;
    char *e = arena_strndup(a, email, n);
    for (char *p = e; *p; p++)
        *p = (char)tolower((unsigned char)*p);
    char *at = strchr(e, '@');
    if (!at || at == e || strchr(at + 1, '@') || !strchr(at + 1, '.') || at[1] == '.' ||
        e[n - 1] == '.' || strpbrk(e, " \t\r\n<>()[],;:\""))
        return NULL;
    return e;
}

enum account_err account_create(struct arena *a, const char *email, const char *password,
                                const char *name, const char *role, bool verified, long long *id)
{
    char *e = email_normalize(a, email);
    if (!e)
        return ACCOUNT_INVALID_EMAIL;
    if (!password || strlen(password) < PASSWORD_MIN || strlen(password) > PASSWORD_MAX)
        return ACCOUNT_WEAK_PASSWORD;
    if (strcmp(role, "user") && strcmp(role, "vendor") && strcmp(role, "admin"))
        return ACCOUNT_BAD_ROLE;
    char hash[crypto_pwhash_STRBYTES];
    if (password_hash(password, hash) != 0)
        return ACCOUNT_STORE_FAILED;
    if (db_exec("INSERT INTO users (email, password_hash, name, role, verified)"
                " VALUES (?, ?, ?, ?, ?)",
                "ssssi", e, hash, name && *name ? name : e, role, (long long)verified) < 0)
        return db_errno() == 1062 ? ACCOUNT_EMAIL_TAKEN : ACCOUNT_STORE_FAILED;
    *id = db_insert_id();
    return ACCOUNT_OK;
}
