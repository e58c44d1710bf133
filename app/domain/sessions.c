/* sessions.c - sessions: refresh-token families, rotation, revocation (see sessions.h). */
#include "domain/sessions.h"

#include <sodium.h>
#include <stdio.h>
#include <string.h>

#include "core/config.h"
#include "core/log.h"
#include "store/db.h"

static int principal_of(long long user_id, const char *family, struct principal *p, struct arena *a)
{
    json_t *u;
    if (db_query_row(&u, "SELECT id, role, verified, email, name FROM users WHERE id = ?", "i",
                     user_id) != 1)
        return -1;
    memset(p, 0, sizeof(*p));
    p->id = user_id;
    snprintf(p->role, sizeof(p->role), "%s", json_string_value(json_object_get(u, "role")));
    p->verified = json_is_true(json_object_get(u, "verified"));
    snprintf(p->family, sizeof(p->family), "%s", family);
    p->email = arena_strdup(a, json_string_value(json_object_get(u, "email")));
    p->name = arena_strdup(a, json_string_value(json_object_get(u, "name")));
    return 0;
}

/* A session is live while its family holds a refresh token that is neither revoked (logout,
 * logout-all, password reset, reuse) nor expired. */
static int family_live(long long user_id, const char *family)
{
    json_t *row;
    return db_query_row(&row,
                        "SELECT id FROM refresh_tokens WHERE user_id = ? AND family = ?"
                        " AND revoked_at IS NULL AND expires_at > UTC_TIMESTAMP() LIMIT 1",
                        "is", user_id, family);
}

int session_access(struct arena *a, long long user_id, const char *family, char **access)
{
    struct principal p;
    *access = NULL;
    int live = family_live(user_id, family);
    if (live <= 0)
        return live;
    if (principal_of(user_id, family, &p, a) < 0)
        return -1;
    *access = access_token_issue(a, &p, time(NULL));
    return *access ? 1 : -1;
}

/* Stores a new refresh token of `family` and signs the matching access token. */
static int issue_pair(struct arena *a, long long user_id, const char *family,
                      struct token_pair *out)
{
    char hash[65];
    out->refresh = token_random(a);
    token_hash(out->refresh, hash);
    if (db_exec("INSERT INTO refresh_tokens (user_id, family, token_hash, expires_at)"
                " VALUES (?, ?, ?, ?)",
                "isss", user_id, family, hash, db_time(a, time(NULL) + REFRESH_TTL)) < 0)
        return -1;
    return session_access(a, user_id, family, &out->access) == 1 ? 0 : -1;
}

int session_start(struct arena *a, long long user_id, struct token_pair *out)
{
    unsigned char raw[16];
    char family[33];
    randombytes_buf(raw, sizeof(raw));
    sodium_bin2hex(family, sizeof(family), raw, sizeof(raw));
    return issue_pair(a, user_id, family, out);
}

enum refresh_result session_refresh(struct arena *a, const char *refresh, struct token_pair *out)
{
    char hash[65];
    json_t *row;
    if (!refresh || !*refresh || strlen(refresh) > 200)
        return REFRESH_INVALID;
    token_hash(refresh, hash);
    if (db_begin() < 0)
        return REFRESH_FAILED;
    int rc = db_query_row(&row,
                          "SELECT id, user_id, family, used_at, revoked_at,"
                          " expires_at < UTC_TIMESTAMP() AS expired,"
                          " used_at >= UTC_TIMESTAMP() - INTERVAL ? SECOND AS in_grace"
                          " FROM refresh_tokens WHERE token_hash = ? FOR UPDATE",
                          "is", (long long)cfg.refresh_grace, hash);
    if (rc < 0)
        goto out_failed;
    if (rc == 0) {
        db_rollback();
        return REFRESH_INVALID;
    }
    const char *family = json_string_value(json_object_get(row, "family"));
    bool revoked = !json_is_null(json_object_get(row, "revoked_at"));
    /* used_at has whole seconds: REFRESH_GRACE=0 must not leave the rest of a second. */
    if (!json_is_null(json_object_get(row, "used_at")) && !revoked && cfg.refresh_grace > 0 &&
        db_truthy(json_object_get(row, "in_grace"))) {
        /* Two page loads of one browser refreshed at once and this one lost the race: the
         * token was rotated moments ago, so it yields another pair of the same session. */
        if (issue_pair(a, json_integer_value(json_object_get(row, "user_id")),
                       arena_strdup(a, family), out) < 0 ||
            db_commit() < 0)
            goto out_failed;
        return REFRESH_OK;
    }
    if (!json_is_null(json_object_get(row, "used_at"))) {
        /* A used token again, after the grace window: it was stolen or replayed. The whole
         * session dies. */
        if (session_revoke_family(family) < 0 || db_commit() < 0)
            goto out_failed;
        log_warn("refresh token reuse for user %lld: family revoked",
                 (long long)json_integer_value(json_object_get(row, "user_id")));
        return REFRESH_REUSED;
    }
    if (revoked || db_truthy(json_object_get(row, "expired"))) {
        db_rollback();
        return REFRESH_INVALID;
    }
    if (db_exec("UPDATE refresh_tokens SET used_at = UTC_TIMESTAMP() WHERE id = ?", "i",
                (long long)json_integer_value(json_object_get(row, "id"))) < 0 ||
        issue_pair(a, json_integer_value(json_object_get(row, "user_id")), arena_strdup(a, family),
                   out) < 0 ||
        db_commit() < 0)
        goto out_failed;
    return REFRESH_OK;
out_failed:
    db_rollback();
    return REFRESH_FAILED;
}

int session_revoke_family(const char *family)
{
    return db_exec("UPDATE refresh_tokens SET revoked_at = UTC_TIMESTAMP()"
                   " WHERE family = ? AND revoked_at IS NULL",
                   "s", family) < 0
               ? -1
               : 0;
}

int session_revoke_family_of(const char *refresh)
{
    char hash[65];
    json_t *row;
    token_hash(refresh, hash);
    int rc =
        db_query_row(&row, "SELECT family FROM refresh_tokens WHERE token_hash = ?", "s", hash);
    if (rc <= 0)
        return rc;
    return session_revoke_family(json_string_value(json_object_get(row, "family")));
}

int session_revoke_all(long long user_id)
{
    return db_exec("UPDATE refresh_tokens SET revoked_at = UTC_TIMESTAMP()"
                   " WHERE user_id = ? AND revoked_at IS NULL",
                   "i", user_id) < 0
               ? -1
               : 0;
}

int session_revoke_others(long long user_id, const char *family)
{
    return db_exec("UPDATE refresh_tokens SET revoked_at = UTC_TIMESTAMP()"
                   " WHERE user_id = ? AND family <> ? AND revoked_at IS NULL",
                   "is", user_id, family) < 0
               ? -1
               : 0;
}
