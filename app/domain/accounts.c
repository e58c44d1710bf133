/* accounts.c - users: signup with mailed verification, login, password reset, profile. */
#include "domain/accounts.h"

#include <ctype.h>
#include <sodium.h>
#include <string.h>

#include "core/config.h"
#include "core/log.h"
#include "core/text.h"
#include "domain/ratelimit.h"
#include "domain/sessions.h"
#include "store/db.h"
#include "store/mail.h"

#define LOGIN_FAILURES_PER_EMAIL 10 /* per LOGIN_WINDOW; a success clears them */
#define LOGIN_WINDOW 900
/* Strangers may make the server hash a password only this often: every limit is counted
 * before the hashing, and a refused attempt costs a Redis call. */
#define SIGNUPS_PER_EMAIL 5 /* per SIGNUP_WINDOW */
#define SIGNUP_WINDOW 900
#define RESETS_PER_EMAIL 5 /* reset requests per RESET_EMAIL_WINDOW: a mailbox is not flooded */
#define RESET_EMAIL_WINDOW 3600
#define RESET_WINDOW 900 /* the per-client windows of reset requests and confirmations */

static const char user_columns[] =
    "SELECT id, email, name, phone, address, role, verified, created_at FROM users WHERE id = ?";

/* The cost comes from the settings; a stored hash made with other settings is redone at the
 * user's next login. */
int password_hash(const char *password, char *out)
{
    return crypto_pwhash_str(out, password, strlen(password),
                             (unsigned long long)cfg.password_hash_ops,
                             (size_t)cfg.password_hash_mem_kb * 1024);
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
        e[n - 1] == '.' || strpbrk(e, " \t\r\n<>()[],;:\"\\") || !utf8_valid(e, n) ||
        !mail_header_safe(e))
        return NULL;
    return e;
}

static int check_password(const char *password, struct err *e)
{
    if (!password || strlen(password) < PASSWORD_MIN)
        return err_set(e, 422, "weak_password", "the password must have at least %d characters",
                       PASSWORD_MIN);
    if (strlen(password) > PASSWORD_MAX || !utf8_valid(password, strlen(password)))
        return err_set(e, 422, "weak_password",
                       "the password must be UTF-8 text of at most %d bytes", PASSWORD_MAX);
    return 0;
}

/* Counts one attempt of `actor` (a client address, an email) on `key`; beyond `limit`, -1 with
 * a 429 rate_limited and its Retry-After. */
static int limit_hit(struct arena *a, struct err *e, const char *what, int limit, int window,
                     const char *key, const char *actor)
{
    int wait;
    if (ratelimit_hit(arena_sprintf(a, "%s:%s", key, actor), limit, window, &wait))
        return 0;
    err_set(e, 429, "rate_limited", "too many %s; try again in %d seconds", what, wait);
    e->retry_after = wait;
    return -1;
}

static int check_name(const char *name, struct err *e)
{
    if (!name || !*name || utf8_length(name) > 100 || !utf8_valid(name, strlen(name)))
        return err_set(e, 422, "invalid_name", "the name must be 1 to 100 characters");
    return 0;
}

int account_create(struct arena *a, const char *email, const char *password, const char *name,
                   const char *role, bool verified, long long *id, struct err *e)
{
    char *addr = email_normalize(a, email);
    char hash[crypto_pwhash_STRBYTES];
    if (!addr)
        return err_set(e, 422, "invalid_email", "that is not an email address");
    if (check_password(password, e) < 0)
        return -1;
    if (!name || !*name)
        name = addr;
    if (check_name(name, e) < 0)
        return -1;
    if (strcmp(role, "user") && strcmp(role, "vendor") && strcmp(role, "admin"))
        return err_set(e, 422, "invalid_role", "the role must be user, vendor or admin");
    /* The cheap refusal before the expensive hash; the unique key still decides a race. */
    json_t *taken;
    int rc = db_query_row(&taken, "SELECT id FROM users WHERE email = ?", "s", addr);
    if (rc < 0)
        return err_store(e);
    if (rc == 1)
        return err_set(e, 409, "email_taken", "an account with that email already exists");
    if (password_hash(password, hash) != 0)
        return err_set(e, 503, "unavailable", "the password could not be hashed; try again");
    if (db_exec("INSERT INTO users (email, password_hash, name, role, verified)"
                " VALUES (?, ?, ?, ?, ?)",
                "ssssi", addr, hash, name, role, (long long)verified) < 0)
        return db_errno() == 1062
                   ? err_set(e, 409, "email_taken", "an account with that email already exists")
                   : err_store(e);
    *id = db_insert_id();
    return 0;
}

json_t *account_get(long long id, struct err *e)
{
    json_t *u;
    int rc = db_query_row(&u, user_columns, "i", id);
    if (rc < 0)
        return err_store(e), NULL;
    if (rc == 0)
        return err_set(e, 404, "not_found", "no such user"), NULL;
    return u;
}

static int queue_link_mail(struct arena *a, const char *to, const char *subject, const char *intro,
                           const char *path, const char *token, const char *outro)
{
    char *body = arena_sprintf(a, "%s\n\n%s%s?token=%s\n\n%s\n\n-- firstcome\n", intro,
                               cfg.base_url, path, token, outro);
    return mail_enqueue(to, subject, body) < 0 ? -1 : 0;
}

json_t *account_signup(struct arena *a, const char *email, const char *password, const char *name,
                       const char *client, struct err *e)
{
    long long id;
    char *norm = email_normalize(a, email);
    if (limit_hit(a, e, "signups from this address", cfg.signup_limit_per_client, SIGNUP_WINDOW,
                  "signup:client", client) < 0 ||
        (norm && limit_hit(a, e, "signups for this email", SIGNUPS_PER_EMAIL, SIGNUP_WINDOW,
                           "signup:email", norm) < 0))
        return NULL;
    if (db_begin() < 0)
        return err_store(e), NULL;
    if (account_create(a, email, password, name, "user", false, &id, e) < 0)
        goto out_rollback;
    json_t *u = account_get(id, e);
    char *token = u ? onetime_issue(a, id, "verify", VERIFY_TTL) : NULL;
    if (!token) {
        err_store(e);
        goto out_rollback;
    }
    const char *addr = json_string_value(json_object_get(u, "email"));
    char *intro = arena_sprintf(a,
                                "Welcome to firstcome, %s.\n\nConfirm your email address by "
                                "opening this link:",
                                json_string_value(json_object_get(u, "name")));
    if (queue_link_mail(a, addr, "Confirm your email address", intro, "/verify", token,
                        "The link works once and expires in 24 hours. If you did not sign up, "
                        "ignore this mail.") < 0 ||
        db_commit() < 0) {
        err_store(e);
        goto out_rollback;
    }
    log_info("user %lld signed up", id);
    return u;
out_rollback:
    db_rollback();
    return NULL;
}

json_t *account_verify(struct arena *a, const char *token, struct err *e)
{
    (void)a;
    if (db_begin() < 0)
        return err_store(e), NULL;
    long long id = onetime_consume(token, "verify");
    if (id == -1) {
        db_rollback();
        return err_set(e, 400, "invalid_token",
                       "this verification link is unknown, already used or expired"),
               NULL;
    }
    if (id < 0 || db_exec("UPDATE users SET verified = 1 WHERE id = ?", "i", id) < 0 ||
        db_commit() < 0) {
        db_rollback();
        return err_store(e), NULL;
    }
    return account_get(id, e);
}

/* A hash to check against when the email is unknown, so both answers take as long. */
static const char *dummy_hash(void)
{
    static char hash[crypto_pwhash_STRBYTES];
    if (!hash[0] && password_hash("not the password of anyone", hash) != 0)
        hash[0] = '\0';
    return hash;
}

int account_login(struct arena *a, const char *email, const char *password, const char *client,
                  struct token_pair *out, struct err *e)
{
    char *addr = email_normalize(a, email);
    if (limit_hit(a, e, "login attempts", cfg.login_limit_per_client, LOGIN_WINDOW, "login:client",
                  client) < 0 ||
        (addr && limit_hit(a, e, "login attempts", LOGIN_FAILURES_PER_EMAIL, LOGIN_WINDOW,
                           "login:email", addr) < 0))
        return -1;
    json_t *u = NULL;
    int rc =
        addr ? db_query_row(&u, "SELECT id, password_hash FROM users WHERE email = ?", "s", addr)
             : 0;
    if (rc < 0)
        return err_store(e);
    const char *hash =
        rc == 1 ? json_string_value(json_object_get(u, "password_hash")) : dummy_hash();
    bool ok = password && password_verify(hash, password) && rc == 1;
    if (!ok)
        return err_set(e, 401, "invalid_credentials", "the email or the password is wrong");
    long long id = json_integer_value(json_object_get(u, "id"));
    ratelimit_reset(arena_sprintf(a, "login:email:%s", addr));
    if (crypto_pwhash_str_needs_rehash(hash, (unsigned long long)cfg.password_hash_ops,
                                       (size_t)cfg.password_hash_mem_kb * 1024) != 0) {
        char fresh[crypto_pwhash_STRBYTES];
        if (password_hash(password, fresh) == 0)
            db_exec("UPDATE users SET password_hash = ? WHERE id = ?", "si", fresh, id);
    }
    return session_start(a, id, out) < 0 ? err_store(e) : 0;
}

int account_refresh(struct arena *a, const char *refresh, struct token_pair *out, struct err *e)
{
    switch (session_refresh(a, refresh, out)) {
    case REFRESH_OK:
        return 0;
    case REFRESH_REUSED:
        return err_set(e, 401, "invalid_token",
                       "this refresh token was already used; every session of it has ended");
    case REFRESH_INVALID:
        return err_set(e, 401, "invalid_token", "the refresh token is unknown, expired or revoked");
    default:
        return err_store(e);
    }
}

int account_reset_request(struct arena *a, const char *email, const char *client, struct err *e)
{
    char *addr = email_normalize(a, email);
    if (limit_hit(a, e, "reset requests from this address", cfg.reset_limit_per_client,
                  RESET_WINDOW, "reset:client", client) < 0 ||
        (addr && limit_hit(a, e, "reset requests for this email", RESETS_PER_EMAIL,
                           RESET_EMAIL_WINDOW, "reset:email", addr) < 0))
        return -1;
    if (!addr)
        return 0; /* no address at all: nothing to look up, for anyone */
    /* The same work whether or not the address has an account: one row queued, one nudge.
     * The mailer looks the address up later (account_reset_send_due), so neither the answer
     * nor its timing tells which emails exist. */
    if (db_exec("INSERT INTO password_reset_requests (email) VALUES (?)", "s", addr) < 0)
        return err_store(e);
    mail_wake();
    return 0;
}

/* Mails a reset link to the account of one queued request, if the address has one. */
static int reset_send(struct arena *a, const char *addr)
{
    json_t *u;
    int rc = db_query_row(&u, "SELECT id FROM users WHERE email = ?", "s", addr);
    if (rc <= 0)
        return rc;
    char *token =
        onetime_issue(a, json_integer_value(json_object_get(u, "id")), "reset", RESET_TTL);
    if (!token)
        return -1;
    return queue_link_mail(a, addr, "Reset your firstcome password",
                           "Someone asked to reset the password of this firstcome account. To "
                           "choose a new password, open this link:",
                           "/reset-password", token,
                           "The link works once and expires in one hour. If it was not you, "
                           "ignore this mail: your password stays as it is.");
}

int account_reset_send_due(struct arena *a, int limit)
{
    int done = 0;
    for (; done < limit; done++) {
        json_t *row;
        if (db_begin() < 0)
            return -1;
        int rc =
            db_query_row(&row,
                         "SELECT id, email FROM password_reset_requests"
                         " WHERE handled_at IS NULL ORDER BY id LIMIT 1 FOR UPDATE SKIP LOCKED",
                         "");
        if (rc <= 0) {
            db_rollback();
            return rc < 0 ? -1 : done;
        }
        long long id = json_integer_value(json_object_get(row, "id"));
        if (reset_send(a, json_string_value(json_object_get(row, "email"))) < 0) {
            /* Handled without a mail rather than retried forever: one request the outbox
             * refuses must not stop every mail behind it. The person may ask again. */
            db_rollback();
            log_warn("reset request %lld could not be mailed; dropped", id);
            if (db_begin() < 0)
                return -1;
        }
        if (db_exec("UPDATE password_reset_requests SET handled_at = UTC_TIMESTAMP() WHERE id = ?",
                    "i", id) < 0 ||
            db_commit() < 0) {
            db_rollback();
            return -1;
        }
    }
    return done;
}

/* A new password ends every reset link the user still holds: an older mail must not undo it. */
static int reset_links_end(long long id)
{
    return db_exec("UPDATE account_tokens SET used_at = UTC_TIMESTAMP()"
                   " WHERE user_id = ? AND kind = 'reset' AND used_at IS NULL",
                   "i", id) < 0
               ? -1
               : 0;
}

/* In the caller's open transaction: the new hash stored, every reset link ended and the sessions
 * ended (all of them, or all but the family `keep`), then the commit. 0, or -1 rolled back. */
static int replace_password(long long id, const char *hash, const char *keep)
{
    if (db_exec("UPDATE users SET password_hash = ? WHERE id = ?", "si", hash, id) < 0 ||
        reset_links_end(id) < 0 ||
        (keep ? session_revoke_others(id, keep) : session_revoke_all(id)) < 0 || db_commit() < 0) {
        db_rollback();
        return -1;
    }
    return 0;
}

int account_reset_confirm(struct arena *a, const char *token, const char *password,
                          const char *client, struct err *e)
{
    char hash[crypto_pwhash_STRBYTES];
    if (limit_hit(a, e, "reset attempts from this address", cfg.reset_limit_per_client,
                  RESET_WINDOW, "reset-confirm:client", client) < 0 ||
        check_password(password, e) < 0)
        return -1;
    /* The token is looked at before the password is hashed: a made-up link costs no hash. */
    long long id = onetime_peek(token, "reset");
    if (id == -1)
        return err_set(e, 400, "invalid_token",
                       "this reset link is unknown, already used or expired");
    if (id < 0)
        return err_store(e);
    if (password_hash(password, hash) != 0)
        return err_set(e, 503, "unavailable", "the password could not be hashed; try again");
    if (db_begin() < 0)
        return err_store(e);
    id = onetime_consume(token, "reset"); /* again, locked: a concurrent use may have won */
    if (id == -1) {
        db_rollback();
        return err_set(e, 400, "invalid_token",
                       "this reset link is unknown, already used or expired");
    }
    if (id < 0) {
        db_rollback();
        return err_store(e);
    }
    if (replace_password(id, hash, NULL) < 0)
        return err_store(e);
    log_info("user %lld reset their password; every session and reset link ended", id);
    return 0;
}

long long account_set_password(struct arena *a, const char *email, const char *password,
                               struct err *e)
{
    char hash[crypto_pwhash_STRBYTES];
    json_t *u;
    if (check_password(password, e) < 0)
        return -1;
    if (password_hash(password, hash) != 0)
        return err_set(e, 503, "unavailable", "the password could not be hashed; try again");
    if (db_begin() < 0)
        return err_store(e);
    int rc = db_query_row(&u, "SELECT id FROM users WHERE email = ? FOR UPDATE", "s",
                          email_normalize(a, email ? email : ""));
    long long id = rc == 1 ? json_integer_value(json_object_get(u, "id")) : 0;
    if (rc == 0) {
        db_rollback();
        return err_set(e, 404, "not_found", "no account has the email %s", email ? email : "");
    }
    if (rc < 0) {
        db_rollback();
        return err_store(e);
    }
    if (replace_password(id, hash, NULL) < 0)
        return err_store(e);
    sodium_memzero(hash, sizeof(hash));
    log_info("user %lld was given a new password from the command line; every session ended", id);
    return id;
}

static int check_optional(json_t *patch, const char *key, size_t max, struct err *e)
{
    json_t *v = json_object_get(patch, key);
    if (!v || json_is_null(v))
        return 0;
    if (!json_is_string(v) || utf8_length(json_string_value(v)) > max)
        return err_set(e, 422, "invalid_field", "%s must be text of at most %zu characters", key,
                       max);
    return 0;
}

int account_check_patch(json_t *patch, struct err *e)
{
    json_t *name = json_object_get(patch, "name");
    if (name && (!json_is_string(name) || check_name(json_string_value(name), e) < 0)) {
        if (!json_is_string(name))
            err_set(e, 422, "invalid_name", "the name must be 1 to 100 characters");
        return -1;
    }
    if (check_optional(patch, "phone", 40, e) < 0 || check_optional(patch, "address", 500, e) < 0)
        return -1;
    return 0;
}

json_t *account_update(long long id, json_t *patch, struct err *e)
{
    if (account_check_patch(patch, e) < 0)
        return NULL;
    json_t *cur = account_get(id, e);
    if (!cur)
        return NULL;
    const char *fields[] = {"name", "phone", "address"};
    const char *vals[3];
    for (int i = 0; i < 3; i++) {
        json_t *v = json_object_get(patch, fields[i]);
        vals[i] = json_string_value(v ? v : json_object_get(cur, fields[i]));
        if (vals[i] && i > 0 && !*vals[i])
            vals[i] = NULL; /* an empty phone or address clears it */
    }
    if (db_exec("UPDATE users SET name = ?, phone = ?, address = ? WHERE id = ?", "sssi", vals[0],
                vals[1], vals[2], id) < 0)
        return err_store(e), NULL;
    return account_get(id, e);
}

int account_change_password(long long id, const char *family, const char *current, const char *next,
                            struct err *e)
{
    json_t *u;
    char hash[crypto_pwhash_STRBYTES];
    int rc = db_query_row(&u, "SELECT password_hash FROM users WHERE id = ?", "i", id);
    if (rc < 0)
        return err_store(e);
    if (rc == 0 || !current ||
        !password_verify(json_string_value(json_object_get(u, "password_hash")), current))
        return err_set(e, 403, "wrong_password", "the current password is wrong");
    if (check_password(next, e) < 0)
        return -1;
    if (password_hash(next, hash) != 0)
        return err_set(e, 503, "unavailable", "the password could not be hashed; try again");
    if (db_begin() < 0 || replace_password(id, hash, family) < 0)
        return err_store(e);
    return 0;
}
