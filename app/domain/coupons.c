/* coupons.c - first-come coupon campaigns: create, list, claim (sync or through Kafka),
 * durable issue, and the Redis state rebuilt from MySQL. */
#include "domain/rooms.h"
#include "domain/coupons.h"

#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "core/outcomes.h"
#include "core/clock.h"
#include "core/config.h"
#include "core/gather.h"
#include "core/log.h"
#include "core/strbuf.h"
#include "core/supervisor.h"
#include "core/text.h"
#include "domain/ratelimit.h"
#include "store/consumer.h"
#include "store/db.h"
#include "store/kafka.h"
#include "store/outbox.h"
#include "store/redis.h"

enum claim_outcome {
    CLAIMED = 0,
    NOT_STARTED = 1,
    ENDED = 2,
    ALREADY = 3,
    SOLD_OUT = 4,
    NOT_LOADED = -1,
    NO_CAMPAIGN = -2
};

static const char campaign_columns[] =
    "SELECT c.id, c.name, c.type, c.value, c.total_quantity, c.issued, c.starts_at, c.ends_at,"
    " c.vendor_id, v.name AS vendor_name FROM coupons c JOIN vendors v ON v.id = c.vendor_id";

/* One of the campaign's gate keys, {c:ID}:name, all in the campaign's hash slot: meta (total,
 * starts, ends, the Redis run it was built in; missing=1 while the campaign is unknown),
 * claimed (the users counted), rebuild (the rebuild lock), batches (what each claim batch
 * admitted, kept in being by a member of its own: see coupon_claim.lua). */
static struct redis_key campaign(long long id, const char *name)
{
    return redis_key("{c:%lld}:%s", id, name);
}

static const char *campaign_key(struct arena *a, long long id, const char *name)
{
    return arena_strdup(a, campaign(id, name).s);
}

/* ---- campaigns ---- */

int coupon_check_body(json_t *b, struct err *e)
{
    const char *type = json_string_value(json_object_get(b, "type"));
    json_t *value = json_object_get(b, "value"), *qty = json_object_get(b, "total_quantity");
    const char *name = json_string_value(json_object_get(b, "name"));
    time_t starts, ends;
    if (!json_is_integer(json_object_get(b, "vendor_id")))
        return err_set(e, 422, "invalid_vendor", "vendor_id must be the id of a vendor");
    if (!name || !*name || utf8_length(name) > 200)
        return err_set(e, 422, "invalid_name", "name must be 1 to 200 characters");
    if (!type || (strcmp(type, "fixed") && strcmp(type, "percent")))
        return err_set(e, 422, "invalid_type", "type must be fixed (won off) or percent");
    if (!json_is_integer(value) || json_integer_value(value) <= 0 ||
        (!strcmp(type, "percent") && json_integer_value(value) > 100))
        return err_set(e, 422, "invalid_value",
                       "value must be a positive whole number (at most 100 for percent)");
    if (!json_is_integer(qty) || json_integer_value(qty) < 1)
        return err_set(e, 422, "invalid_quantity", "total_quantity must be at least 1");
    if (json_integer_value(qty) > cfg.coupon_quantity_cap)
        return err_set(e, 422, "quantity_above_cap",
                       "total_quantity may be at most %d per campaign", cfg.coupon_quantity_cap);
    if (!parse_iso_time(json_string_value(json_object_get(b, "starts_at")), &starts) ||
        !parse_iso_time(json_string_value(json_object_get(b, "ends_at")), &ends))
        return err_set(
            e, 422, "invalid_time",
            "starts_at and ends_at must be ISO 8601 UTC times like 2026-11-22T09:00:00Z");
    if (ends <= starts)
        return err_set(e, 422, "invalid_time", "ends_at must be after starts_at");
    return 0;
}

static json_t *campaign_row(long long id, struct err *e)
{
    json_t *row;
    static char sql[512];
    if (!sql[0])
        snprintf(sql, sizeof(sql), "%s WHERE c.id = ?", campaign_columns);
    int rc = db_query_row(&row, sql, "i", id);
    if (rc < 0)
        return err_store(e), NULL;
    if (rc == 0)
        return err_set(e, 404, "not_found", "no coupon campaign has id %lld", id), NULL;
    return row;
}

/* Copies a campaign and its issued users from MySQL into Redis, unless already there. */
static int load(struct arena *a, long long id, struct err *e)
{
    json_t *c;
    int rc = db_query_row(
        &c,
        "SELECT total_quantity, TIMESTAMPDIFF(SECOND, '1970-01-01', starts_at) AS starts,"
        " TIMESTAMPDIFF(SECOND, '1970-01-01', ends_at) AS ends FROM coupons WHERE id = ?",
        "i", id);
    if (rc < 0)
        return err_store(e);
    if (rc == 0) { /* remember the absence briefly, so a flood of bad ids stays off MySQL */
        redis_run("HSET %s missing 1", campaign(id, "meta").s);
        redis_run("EXPIRE %s 30", campaign(id, "meta").s);
        return err_set(e, 404, "not_found", "no coupon campaign has id %lld", id);
    }
    json_t *users = db_query("SELECT user_id FROM user_coupons WHERE coupon_id = ?", "i", id);
    if (!users)
        return err_store(e);
    size_t n = json_array_size(users);
    const char **argv = arena_alloc(a, (n + 6) * sizeof(char *));
    argv[0] = campaign_key(a, id, "meta");
    argv[1] = campaign_key(a, id, "claimed");
    argv[2] = campaign_key(a, id, "batches");
    argv[3] = arena_sprintf(a, "%lld",
                            (long long)json_integer_value(json_object_get(c, "total_quantity")));
    argv[4] = arena_sprintf(a, "%lld", (long long)json_integer_value(json_object_get(c, "starts")));
    argv[5] = arena_sprintf(a, "%lld", (long long)json_integer_value(json_object_get(c, "ends")));
    for (size_t i = 0; i < n; i++)
        argv[6 + i] = arena_sprintf(
            a, "%lld",
            (long long)json_integer_value(json_object_get(json_array_get(users, i), "user_id")));
    redisReply *r = redis_script("coupon_load", 3, (int)n + 6, argv);
    int loaded = coupon_load_read(r);
    if (loaded == 1)
        log_info("campaign %lld loaded into Redis from MySQL (%zu issued)", id, n);
    if (r)
        freeReplyObject(r);
    return loaded >= 0 ? 0 : err_store(e);
}

int coupon_load_read(const redisReply *r)
{
    return r && r->type == REDIS_REPLY_INTEGER && (r->integer == 0 || r->integer == 1)
               ? (int)r->integer
               : -1;
}

/* 24 random hex digits: an id that tells one writer's Redis record from another's. */
static char *random_hex(struct arena *a)
{
    unsigned char raw[12];
    char *hex = arena_alloc(a, 2 * sizeof(raw) + 1);
    randombytes_buf(raw, sizeof(raw));
    return sodium_bin2hex(hex, 2 * sizeof(raw) + 1, raw, sizeof(raw));
}

static bool kafka_mode(void)
{
    return !strcmp(cfg.coupon_issue_mode, "kafka");
}

/* In kafka mode MySQL does not hold every claim Redis admitted: those the coupon worker has not
 * applied yet are still in Kafka, and a campaign rebuilt from MySQL alone would admit their
 * places a second time (and the worker then refuse users told 202). So a rebuild waits until
 * the worker's group has committed everything coupon.claimed holds, with the campaign closed
 * (claims on it 503) meanwhile. It first waits REBUILD_SETTLE_MS, so that claims admitted just
 * before the loss, still in a web worker's producer queue (linger.ms is 100), are in the topic. */
#define REBUILD_LOCK_SECONDS 30
#define REBUILD_SETTLE_MS 1000
#define REBUILD_WAIT_MS 5000
/* After a rebuild that gave up (the worker lags or is down), claims are 503 this long without
 * anyone waiting again: one web worker at a time waits, and not back to back. */
#define REBUILD_PAUSE_SECONDS 3

static int claims_applied(long long id, struct err *e)
{
    usleep(REBUILD_SETTLE_MS * 1000);
    double deadline = clock_now() + REBUILD_WAIT_MS / 1000.0;
    for (;;) {
        long long lag = consumer_group_lag(GROUP_COUPON, TOPIC_COUPON_CLAIMED, 2000);
        if (lag == 0)
            return 0;
        if (lag < 0 || clock_now() > deadline) {
            log_warn("campaign %lld: the coupon worker has not applied every claim (%lld left);"
                     " not rebuilt yet",
                     id, lag);
            err_set(e, 503, "unavailable",
                    "this coupon event is being restored; try again shortly");
            e->retry_after = 1;
            return -1;
        }
        usleep(100 * 1000);
    }
}

/* Rebuilds a campaign's Redis state from MySQL: the missing state after a loss, or (reset) all
 * of it when it disagrees with MySQL. One rebuilder at a time; other claims meanwhile find the
 * campaign not loaded and are answered 503. */
static int rebuild(struct arena *a, long long id, bool reset, struct err *e)
{
    if (!kafka_mode()) {
        if (reset)
            redis_run("DEL %s %s", campaign(id, "meta").s, campaign(id, "claimed").s);
        return load(a, id, e);
    }
    char *token = random_hex(a);
    redisReply *r =
        redis_cmd("SET %s %s NX EX %d", campaign(id, "rebuild").s, token, REBUILD_LOCK_SECONDS);
    if (!r) /* the connection dropped: whether the SET ran, the lock's value says */
        r = redis_cmd("GET %s", campaign(id, "rebuild").s);
    bool mine = r && (r->type == REDIS_REPLY_STATUS ||
                      (r->type == REDIS_REPLY_STRING && !strcmp(r->str, token)));
    if (r)
        freeReplyObject(r);
    if (!mine) {
        err_set(e, 503, "unavailable", "this coupon event is being restored; try again shortly");
        e->retry_after = 1;
        return -1;
    }
    if (reset)
        redis_run("DEL %s %s", campaign(id, "meta").s, campaign(id, "claimed").s);
    int rc = claims_applied(id, e) < 0 ? -1 : load(a, id, e);
    if (rc == 0)
        redis_run("DEL %s", campaign(id, "rebuild").s);
    else
        redis_run("SET %s 1 EX %d", campaign(id, "rebuild").s, REBUILD_PAUSE_SECONDS);
    return rc;
}

json_t *coupon_create(struct arena *a, json_t *b, struct err *e)
{
    time_t starts, ends;
    if (coupon_check_body(b, e) < 0)
        return NULL;
    parse_iso_time(json_string_value(json_object_get(b, "starts_at")), &starts);
    parse_iso_time(json_string_value(json_object_get(b, "ends_at")), &ends);
    if (db_exec("INSERT INTO coupons (vendor_id, name, type, value, total_quantity, starts_at,"
                " ends_at) SELECT id, ?, ?, ?, ?, ?, ? FROM vendors WHERE id = ?",
                "ssiissi", json_string_value(json_object_get(b, "name")),
                json_string_value(json_object_get(b, "type")),
                (long long)json_integer_value(json_object_get(b, "value")),
                (long long)json_integer_value(json_object_get(b, "total_quantity")),
                db_time(a, starts), db_time(a, ends),
                (long long)json_integer_value(json_object_get(b, "vendor_id"))) < 0)
        return err_store(e), NULL;
    if (db_insert_id() == 0)
        return err_set(e, 422, "invalid_vendor", "there is no vendor with that vendor_id"), NULL;
    long long id = db_insert_id();
    if (load(a, id, e) < 0)
        log_warn("campaign %lld created but not yet in Redis; it loads on first use", id);
    json_t *c = coupon_get(a, id, e);
    if (!c)
        err_unknown(e); /* stored: a failed read back is never "not created" */
    return c;
}

/* The contract's shape: vendor as an object, remaining from Redis (the gate's own count). */
static int present(struct arena *a, json_t *rows, struct err *e)
{
    size_t n = json_array_size(rows), i;
    json_t *c;
    json_array_foreach(rows, i, c)
    {
        long long id = json_integer_value(json_object_get(c, "id"));
        redisReply *r = redis_cmd("HGET %s total", campaign(id, "meta").s);
        bool loaded = r && r->type == REDIS_REPLY_STRING;
        if (r)
            freeReplyObject(r);
        long long total = json_integer_value(json_object_get(c, "total_quantity"));
        long long taken = json_integer_value(json_object_get(c, "issued"));
        /* In kafka mode a rebuild waits for the coupon worker (see rebuild): a listing shows
         * MySQL's count meanwhile rather than wait for it; the next claim rebuilds. */
        if (!loaded && !kafka_mode() && load(a, id, e) < 0)
            return -1;
        if (loaded || !kafka_mode()) {
            r = redis_cmd("SCARD %s", campaign(id, "claimed").s);
            if (!r || r->type != REDIS_REPLY_INTEGER) {
                if (r)
                    freeReplyObject(r);
                return err_store(e);
            }
            taken = r->integer;
            freeReplyObject(r);
        }
        long long remaining = total - taken;
        json_object_set_new(c, "remaining", json_integer(remaining < 0 ? 0 : remaining));
        json_object_set_new(c, "vendor",
                            json_pack("{s:O, s:O}", "id", json_object_get(c, "vendor_id"), "name",
                                      json_object_get(c, "vendor_name")));
        json_object_del(c, "vendor_id");
        json_object_del(c, "vendor_name");
        json_object_del(c, "issued");
    }
    (void)n;
    return 0;
}

json_t *coupon_list(struct arena *a, struct err *e)
{
    static char sql[512];
    if (!sql[0])
        snprintf(sql, sizeof(sql), "%s ORDER BY c.starts_at DESC, c.id DESC LIMIT 200",
                 campaign_columns);
    json_t *rows = db_query(sql, "");
    if (!rows)
        return err_store(e), NULL;
    return present(a, rows, e) < 0 ? NULL : rows;
}

json_t *coupon_get(struct arena *a, long long id, struct err *e)
{
    json_t *row = campaign_row(id, e);
    if (!row)
        return NULL;
    json_t *one = json_pack("[O]", row);
    return present(a, one, e) < 0 ? NULL : row;
}

/* ---- claims ---- */

static int limited(struct arena *a, const struct principal *u, const char *client, struct err *e)
{
    int wait;
    if (ratelimit_hit(arena_sprintf(a, "claim:user:%lld", u->id), cfg.claim_limit_per_user, 60,
                      &wait) &&
        ratelimit_hit(arena_sprintf(a, "claim:client:%s", client), cfg.claim_limit_per_client, 60,
                      &wait))
        return 0;
    err_set(e, 429, "rate_limited", "too many claims; try again in %d seconds", wait);
    e->retry_after = wait;
    return -1;
}

/* ---- the gate: a worker's claims on one campaign that wait together take one script run ---- */

/* Re-sends of a batch whose reply was lost: each is harmless, and the last one that fails
 * leaves its users' places taken without a coupon (503; `coupons reconcile` frees them). */
#define GATE_RESENDS 3

struct gate_call {
    struct gather_member m; /* first: the gathering's members are gate calls */
    long long user_id;
    int outcome; /* the batch's answer (COUPON_GATE_NO_ANSWER: Redis failed) */
    long long remaining;
};

static struct gathering *open_batches; /* the worker's claim batches still open, by campaign */

int coupon_gate_read(const redisReply *r, int n, int *outcomes, long long *remaining)
{
    /* {outcome, coupons left} for each user, in order; the outcomes are the script's own. */
    bool ok = r && n > 0 && r->type == REDIS_REPLY_ARRAY && r->elements == (size_t)(2 * n);
    for (size_t i = 0; ok && i < r->elements; i++)
        ok = r->element[i]->type == REDIS_REPLY_INTEGER &&
             (i % 2 ? r->element[i]->integer >= 0
                    : r->element[i]->integer >= NO_CAMPAIGN && r->element[i]->integer <= SOLD_OUT);
    for (int i = 0; i < n; i++) {
        outcomes[i] = ok ? (int)r->element[2 * i]->integer : COUPON_GATE_NO_ANSWER;
        remaining[i] = ok ? r->element[2 * i + 1]->integer : 0;
    }
    return ok ? 0 : -1;
}

/* One EVALSHA for the whole batch: its users in arrival order, one outcome and one count of the
 * coupons left for each. A run whose connection dropped may have admitted its users; it is sent
 * once more under the same batch id (random), which is harmless: the run records whom it
 * admitted under that id (see coupon_claim.lua), and redis.c never re-sends it blindly. */
static void gate_run(struct arena *a, struct gathering *b)
{
    const char **argv = arena_alloc(a, (size_t)(4 + b->n) * sizeof(char *));
    argv[0] = campaign_key(a, b->key, "meta");
    argv[1] = campaign_key(a, b->key, "claimed");
    argv[2] = campaign_key(a, b->key, "batches");
    argv[3] = random_hex(a);
    for (int i = 0; i < b->n; i++)
        argv[4 + i] = arena_sprintf(a, "%lld", ((struct gate_call *)b->members[i])->user_id);
    redisReply *r = redis_script("coupon_claim", 3, 4 + b->n, argv);
    for (int again = 0; !r && again < GATE_RESENDS; again++) {
        log_warn("claim batch of %d on campaign %lld: no reply from Redis; sent again", b->n,
                 b->key);
        r = redis_script("coupon_claim", 3, 4 + b->n, argv);
    }
    int *outcomes = arena_alloc(a, (size_t)b->n * sizeof(int));
    long long *remaining = arena_alloc(a, (size_t)b->n * sizeof(long long));
    coupon_gate_read(r, b->n, outcomes, remaining);
    for (int i = 0; i < b->n; i++) {
        struct gate_call *c = (struct gate_call *)b->members[i];
        c->outcome = outcomes[i];
        c->remaining = remaining[i];
    }
    if (r)
        freeReplyObject(r);
}

/* The first-come decision for one claim. Inside redis_overlap, the claims on one campaign that
 * a worker holds are gathered (core/gather.h) and decided by one script run: a flash crowd's
 * claims on one worker cost Redis one call, not one each. */
static int run_claim(struct arena *a, long long id, long long user_id, long long *remaining)
{
    struct gate_call *me = arena_calloc(a, sizeof(*me));
    me->user_id = user_id;
    struct gathering *b = gather_join(&open_batches, a, id, &me->m);
    if (b) {
        gate_run(a, b);
        gather_finish(b);
    }
    *remaining = me->remaining;
    return me->outcome;
}

void coupon_unclaim(long long coupon_id, long long user_id)
{
    /* Taking one user out twice is taking them out once: sent again if the connection dropped. */
    redisReply *r = redis_cmd("SREM %s %lld", campaign(coupon_id, "claimed").s, user_id);
    if (!r)
        r = redis_cmd("SREM %s %lld", campaign(coupon_id, "claimed").s, user_id);
    if (!r || r->type != REDIS_REPLY_INTEGER)
        log_error(
            "compensation failed: user %lld still counted in campaign %lld (reconcile fixes it)",
            user_id, coupon_id);
    if (r)
        freeReplyObject(r);
}

/* Does this user hold a coupon of the campaign already? 1, 0, or -1 on a store failure. */
static int holds(long long coupon_id, long long user_id)
{
    json_t *row;
    return db_query_row(&row, "SELECT id FROM user_coupons WHERE coupon_id = ? AND user_id = ?",
                        "ii", coupon_id, user_id);
}

/* The answer to a COMMIT was lost, not the coupon perhaps: a locking read on a new connection
 * waits while the server finishes the old transaction, and tells. */
static long long issued_after_lost_commit(long long coupon_id, long long user_id, struct err *e)
{
    json_t *row;
    int h = db_query_row(&row,
                         "SELECT id FROM user_coupons WHERE coupon_id = ? AND user_id = ?"
                         " LOCK IN SHARE MODE",
                         "ii", coupon_id, user_id);
    if (h == 1)
        return json_integer_value(json_object_get(row, "id"));
    return h == 0 ? err_store(e) : err_unknown(e);
}

long long coupon_issue(long long coupon_id, long long user_id, const char *event_id, struct err *e)
{
    if (db_begin() < 0)
        return err_store(e);
    /* The guarded counter first: it takes the campaign row's exclusive lock, so concurrent
     * issues queue here instead of deadlocking on the insert's foreign-key lock. MySQL's own
     * guard: the counter never passes the total, whatever Redis allowed. */
    long long n =
        db_exec("UPDATE coupons SET issued = issued + 1 WHERE id = ? AND issued < total_quantity",
                "i", coupon_id);
    if (n == 0) {
        db_rollback();
        int h = holds(coupon_id, user_id); /* a redelivered claim after the last coupon went */
        if (h != 0)
            return h == 1 ? 0 : err_store(e);
        return err_set(e, 410, "sold_out", "every coupon of this campaign is taken");
    }
    if (n < 0) {
        db_rollback();
        return err_store(e);
    }
    n = db_exec("INSERT INTO user_coupons (coupon_id, user_id, event_id) VALUES (?, ?, ?)", "iis",
                coupon_id, user_id, event_id);
    if (n < 0) {
        unsigned no = db_errno();
        db_rollback();                        /* the counter goes back with it */
        return no == 1062 ? 0 : err_store(e); /* held already, or this very event was applied */
    }
    long long id = db_insert_id();
    int committed = db_commit();
    if (committed == DB_OUTCOME_UNKNOWN)
        return issued_after_lost_commit(coupon_id, user_id, e);
    return committed < 0 ? err_store(e) : id;
}

/* ---- sync mode: a worker's winners on one campaign written in one transaction ---- */

struct issue_call {
    struct gather_member m; /* first: the gathering's members are issue calls */
    long long user_id;
    long long user_coupon_id; /* as coupon_issue returns it */
    struct err e;
};

static struct gathering *open_writes; /* the worker's write gatherings still open, by campaign */

/* Every call's coupon in one transaction: the counter raised by all of them at once (the same
 * guard as coupon_issue's: never past the total), their rows in one insert. 0 when every call
 * has its answer; -1 when nothing was written and each must be issued alone (too little room
 * left, a user holding a coupon already, or a store error before COMMIT). A lost COMMIT answer
 * is settled per row, as in coupon_issue. */
static int issue_together(long long coupon_id, struct gathering *g)
{
    static char *insert_sql[GATHER_MAX + 1], *select_sql[GATHER_MAX + 1];
    const char *ins = db_sql_for_rows(
        insert_sql, g->n, "INSERT INTO user_coupons (coupon_id, user_id) VALUES ", "(?, ?)", "");
    const char *sel = db_sql_for_rows(
        select_sql, g->n,
        "SELECT id, user_id FROM user_coupons WHERE coupon_id = ? AND user_id IN (", "?", ")");
    if (!ins || !sel || db_begin() < 0)
        return -1;
    struct db_param p[2 * GATHER_MAX], q[1 + GATHER_MAX];
    q[0] = (struct db_param){.type = 'i', .i = coupon_id};
    for (int i = 0; i < g->n; i++) {
        long long user = ((struct issue_call *)g->members[i])->user_id;
        p[2 * i] = (struct db_param){.type = 'i', .i = coupon_id};
        p[2 * i + 1] = q[1 + i] = (struct db_param){.type = 'i', .i = user};
    }
    long long first = -1; /* the insert's first id, or -1 when the batch was refused */
    if (db_exec(
            "UPDATE coupons SET issued = issued + ? WHERE id = ? AND issued + ? <= total_quantity",
            "iii", (long long)g->n, coupon_id, (long long)g->n) == 1 &&
        db_exec_p(ins, p, 2 * g->n) == g->n)
        first = db_insert_id();
    if (first < 0) {
        db_rollback();
        return -1;
    }
    int committed = db_commit();
    if (committed < 0 && committed != DB_OUTCOME_UNKNOWN)
        return -1; /* rolled back: nothing was written */
    /* One row: its id is the insert's; many, under an auto-increment mode that numbers a
     * multi-row insert's rows consecutively: the insert's id plus the row's place. */
    if (committed == 0 && (g->n == 1 || db_insert_ids_consecutive())) {
        for (int i = 0; i < g->n; i++)
            ((struct issue_call *)g->members[i])->user_coupon_id = first + i;
        return 0;
    }
    /* Stored: the ids are read after the COMMIT, outside the campaign row's lock. A read that
     * fails, or a COMMIT whose answer was lost, is settled per row by a locking read. */
    json_t *rows = committed == 0 ? db_query_p(sel, q, 1 + g->n) : NULL;
    for (int i = 0; i < g->n; i++) {
        struct issue_call *c = (struct issue_call *)g->members[i];
        size_t k;
        json_t *row;
        json_array_foreach(rows, k, row)
        {
            if (json_integer_value(json_object_get(row, "user_id")) == c->user_id)
                c->user_coupon_id = json_integer_value(json_object_get(row, "id"));
        }
        if (c->user_coupon_id <= 0)
            c->user_coupon_id = issued_after_lost_commit(coupon_id, c->user_id, &c->e);
    }
    return 0;
}

/* coupon_issue for a sync-mode winner: the winners on one campaign that a worker holds are
 * gathered (core/gather.h) and written together, so that a crowd's claims take the campaign
 * row's lock once per worker, not once each. */
static long long issue_gathered(struct arena *a, long long coupon_id, long long user_id,
                                struct err *e)
{
    struct issue_call *me = arena_calloc(a, sizeof(*me));
    me->user_id = user_id;
    redis_overlap(true); /* no transaction is open here: the worker may run others meanwhile */
    struct gathering *g = gather_join(&open_writes, a, coupon_id, &me->m);
    redis_overlap(false);
    if (g) {
        if (issue_together(coupon_id, g) < 0)
            for (int i = 0; i < g->n; i++) {
                struct issue_call *c = (struct issue_call *)g->members[i];
                c->user_coupon_id = coupon_issue(coupon_id, c->user_id, NULL, &c->e);
            }
        gather_finish(g);
    }
    *e = me->e;
    return me->user_coupon_id;
}

static int by_coupon(const void *x, const void *y)
{
    long long a = ((const struct claim_event *)x)->coupon_id;
    long long b = ((const struct claim_event *)y)->coupon_id;
    return (a > b) - (a < b);
}

#define BATCH_ROWS (DB_MAX_PARAMS / 3)

/* One multi-row insert of up to BATCH_ROWS claims; returns how many rows were new. */
static long long insert_rows(const struct claim_event *evs, size_t n)
{
    static char *cache[BATCH_ROWS + 1];
    const char *sql = db_sql_for_rows(
        cache, (int)n, "INSERT INTO user_coupons (coupon_id, user_id, event_id) VALUES ",
        "(?, ?, ?)", " ON DUPLICATE KEY UPDATE id = id");
    if (!sql)
        return -1;
    struct db_param p[DB_MAX_PARAMS];
    for (size_t i = 0; i < n; i++) {
        p[3 * i] = (struct db_param){.type = 'i', .i = evs[i].coupon_id};
        p[3 * i + 1] = (struct db_param){.type = 'i', .i = evs[i].user_id};
        p[3 * i + 2] = (struct db_param){.type = 's', .s = evs[i].event_id};
    }
    return db_exec_p(sql, p, (int)(3 * n));
}

int coupon_issue_batch(const struct claim_event *in, size_t n)
{
    /* Sorted by campaign, so that every writer locks campaign rows in the same order. */
    struct claim_event *evs = malloc(n * sizeof(*evs));
    if (!evs)
        return -1;
    memcpy(evs, in, n * sizeof(*evs));
    qsort(evs, n, sizeof(*evs), by_coupon);
    int rc = -1;
    if (db_begin() < 0)
        goto out_free;
    for (size_t i = 0; i < n;) {
        size_t j = i;
        long long fresh = 0, coupon = evs[i].coupon_id;
        json_t *row;
        if (db_query_row(&row,
                         "SELECT total_quantity - issued AS room FROM coupons WHERE id = ?"
                         " FOR UPDATE",
                         "i", coupon) != 1)
            goto out_rollback;
        while (j < n && evs[j].coupon_id == coupon) {
            size_t end = j;
            while (end < n && evs[end].coupon_id == coupon && end - j < BATCH_ROWS)
                end++;
            long long k = insert_rows(evs + j, end - j);
            if (k < 0)
                goto out_rollback;
            fresh += k; /* a row already there (held, or this event applied) counts 0 */
            j = end;
        }
        if (fresh > json_integer_value(json_object_get(row, "room"))) {
            rc = 1; /* someone must be refused: let the careful path decide who */
            goto out_rollback;
        }
        if (fresh &&
            db_exec("UPDATE coupons SET issued = issued + ? WHERE id = ?", "ii", fresh, coupon) < 0)
            goto out_rollback;
        i = j;
    }
    rc = db_commit() < 0 ? -1 : 0;
    if (rc == 0)
        goto out_free;
out_rollback:
    db_rollback();
out_free:
    free(evs);
    return rc;
}

static void on_claim_delivery(long long coupon, long long user, int err);

static int publish_claim(struct arena *a, long long id, long long user_id, struct err *e)
{
    char event_id[37], at[21];
    event_id_new(event_id);
    format_iso_time(time(NULL), at);
    json_t *ev =
        json_pack("{s:s, s:s, s:I, s:I, s:s}", "event_id", event_id, "type", "coupon.claimed",
                  "coupon_id", (json_int_t)id, "user_id", (json_int_t)user_id, "claimed_at", at);
    struct strbuf buf;
    sb_init(&buf, a, 256);
    sb_add_json(&buf, ev);
    /* Keyed by user: on a cluster whose topic has several partitions, a user's claims stay in
     * order (the devbroker and compose give coupon.claimed one partition; see kafka.h). */
    if (kafka_publish(TOPIC_COUPON_CLAIMED, arena_sprintf(a, "%lld", user_id), buf.s, buf.len,
                      on_claim_delivery, id, user_id) < 0)
        return err_set(e, 503, "unavailable", "the claim could not be queued; try again");
    return 0;
}

static void on_claim_delivery(long long coupon, long long user, int err)
{
    if (!err)
        return;
    /* A failed delivery (a timeout above all) does not say the message was not written: giving
     * the place back could let one more user in than there are coupons, while this user, told
     * 202, is issued one anyway. The place stays taken and the claim is published again; the
     * coupon worker's unique key makes a second copy harmless, and its outcome decides. */
    struct arena a;
    struct err e;
    arena_init(&a, 1024);
    if (publish_claim(&a, coupon, user, &e) == 0)
        log_warn("claim of user %lld on campaign %lld: delivery failed; published again", user,
                 coupon);
    else
        log_error("claim of user %lld on campaign %lld: delivery failed and Kafka refuses it again;"
                  " it stays pending in Redis until `firstcome coupons reconcile`",
                  user, coupon);
    arena_free(&a);
}

static int claim(struct arena *a, long long id, const struct principal *u, const char *client,
                 struct claim *out, struct err *e)
{
    memset(out, 0, sizeof(*out));
    if (!u->verified)
        return err_set(e, 403, "email_not_verified",
                       "confirm your email address first: open the link we mailed you");
    /* The limits and the gate hold nothing but this request's own state across their Redis
     * calls, so a crowd's claims in one worker wait for Redis together (see redis_overlap). */
    redis_overlap(true);
    bool refused = limited(a, u, client, e) < 0;
    int outcome = refused ? 0 : run_claim(a, id, u->id, &out->remaining), held = 0;
    bool repeat = false; /* the gate found this user holding a place already */
    redis_overlap(false);
    if (refused)
        return -1;
    if (outcome == NOT_LOADED) {
        if (rebuild(a, id, false, e) < 0)
            return -1;
        outcome = run_claim(a, id, u->id, &out->remaining);
    }
    switch (outcome) {
    case CLAIMED:
        break;
    case NOT_STARTED:
        return err_set(e, 403, "not_started", "this coupon event has not started yet");
    case ENDED:
        return err_set(e, 403, "ended", "this coupon event has ended");
    case ALREADY:
        /* A place in Redis stands for a coupon. A place without one in MySQL may be a claim
         * whose answer was lost with Redis (the gate ran it, no re-send got through): sync mode
         * issues it now rather than refuse it; kafka mode publishes it (again: a copy of one
         * still in Kafka is harmless to the coupon worker) and says it is being issued. */
        if ((held = holds(id, u->id)) < 0)
            return err_store(e);
        if (!held && kafka_mode() && publish_claim(a, id, u->id, e) < 0)
            return -1;
        if (held || kafka_mode())
            return err_set(e, 409, "already_claimed", "you already have a coupon from this event");
        repeat = true;
        break;
    case SOLD_OUT:
        return err_set(e, 410, "sold_out", "every coupon of this event has been claimed");
    case NO_CAMPAIGN:
        return err_set(e, 404, "not_found", "no coupon campaign has id %lld", id);
    default:
        return err_store(e);
    }
    if (!strcmp(cfg.coupon_issue_mode, "kafka")) {
        out->pending = true;
        if (publish_claim(a, id, u->id, e) < 0) {
            coupon_unclaim(id, u->id);
            return -1;
        }
        return 0;
    }
    long long uc = repeat ? coupon_issue(id, u->id, NULL, e) : issue_gathered(a, id, u->id, e);
    if (uc > 0) {
        out->user_coupon_id = uc;
        return 0;
    }
    if (uc == 0) /* MySQL knew this user already (Redis had lost it): not a new coupon */
        return err_set(e, 409, "already_claimed", "you already have a coupon from this event");
    /* Refused or failed durably: give the place back; but a repeat's place may be another
     * request's of the same user, still being written, unless MySQL refused it outright. A
     * coupon whose COMMIT cannot be told keeps its place: it may be the user's. */
    if ((!repeat && strcmp(e->code, "outcome_unknown") != 0) || e->status == 410)
        coupon_unclaim(id, u->id);
    return -1;
}

int coupon_claim(struct arena *a, long long id, const struct principal *u, const char *client,
                 const char *pass, struct claim *out, struct err *e)
{
    long long room = 0;
    memset(out, 0, sizeof(*out));
    int rc =
        room_admit(a, true, id, u->id, pass, &room, e) < 0 ? -1 : claim(a, id, u, client, out, e);
    if (rc < 0)
        room_give_back(a, room, u->id); /* a claim that failed does not spend the pass */
    outcome_count(OUTCOME_CAMPAIGN, id, rc < 0 ? e->code : "claimed");
    return rc;
}

const char *coupon_claim_status(long long id, long long user_id, long long *user_coupon_id,
                                struct err *e)
{
    json_t *row;
    *user_coupon_id = 0;
    int rc = db_query_row(&row,
                          "SELECT c.id, uc.id AS user_coupon_id FROM coupons c LEFT JOIN"
                          " user_coupons uc ON uc.coupon_id = c.id AND uc.user_id = ?"
                          " WHERE c.id = ?",
                          "ii", user_id, id);
    if (rc < 0)
        return err_store(e), NULL;
    if (rc == 0)
        return err_set(e, 404, "not_found", "no coupon campaign has id %lld", id), NULL;
    *user_coupon_id = json_integer_value(json_object_get(row, "user_coupon_id"));
    if (*user_coupon_id > 0)
        return "issued";
    redisReply *r = redis_cmd("SISMEMBER %s %lld", campaign(id, "claimed").s, user_id);
    bool ok = r && r->type == REDIS_REPLY_INTEGER, held = ok && r->integer == 1;
    if (r)
        freeReplyObject(r);
    if (!ok)
        return err_store(e), NULL;
    return held ? "pending" : "none";
}

json_t *coupon_mine(long long user_id, struct err *e)
{
    json_t *rows =
        db_query("SELECT uc.id, uc.coupon_id, uc.status, uc.claimed_at, uc.used_at, uc.order_id,"
                 " c.name, c.type, c.value, c.ends_at, v.name AS vendor_name FROM user_coupons uc"
                 " JOIN coupons c ON c.id = uc.coupon_id JOIN vendors v ON v.id = c.vendor_id"
                 " WHERE uc.user_id = ? ORDER BY uc.id DESC",
                 "i", user_id);
    if (!rows)
        err_store(e);
    return rows;
}

/* ---- reconciliation ---- */

static bool agrees(long long id, json_t *c, long long issued_rows)
{
    redisReply *m = redis_cmd("HMGET %s total starts ends", campaign(id, "meta").s);
    redisReply *n = redis_cmd("SCARD %s", campaign(id, "claimed").s);
    bool ok =
        m && n && m->type == REDIS_REPLY_ARRAY && m->elements == 3 &&
        m->element[0]->type == REDIS_REPLY_STRING && n->type == REDIS_REPLY_INTEGER &&
        strtoll(m->element[0]->str, NULL, 10) ==
            json_integer_value(json_object_get(c, "total_quantity")) &&
        m->element[1]->type == REDIS_REPLY_STRING &&
        strtoll(m->element[1]->str, NULL, 10) == json_integer_value(json_object_get(c, "starts")) &&
        m->element[2]->type == REDIS_REPLY_STRING &&
        strtoll(m->element[2]->str, NULL, 10) == json_integer_value(json_object_get(c, "ends")) &&
        n->integer == issued_rows;
    if (m)
        freeReplyObject(m);
    if (n)
        freeReplyObject(n);
    return ok;
}

int coupon_reconcile(struct arena *a, long long only)
{
    json_t *rows = db_query(
        "SELECT c.id, c.total_quantity, TIMESTAMPDIFF(SECOND, '1970-01-01', c.starts_at) AS starts,"
        " TIMESTAMPDIFF(SECOND, '1970-01-01', c.ends_at) AS ends, (SELECT COUNT(*) FROM user_coupons"
        " uc WHERE uc.coupon_id = c.id) AS issued_rows FROM coupons c"
        " WHERE ? = 0 OR c.id = ?",
        "ii", only, only);
    if (!rows)
        return -1;
    size_t i;
    json_t *c;
    int rebuilt = 0;
    json_array_foreach(rows, i, c)
    {
        long long id = json_integer_value(json_object_get(c, "id"));
        if (agrees(id, c, json_integer_value(json_object_get(c, "issued_rows"))))
            continue;
        struct err e;
        if (rebuild(a, id, true, &e) < 0) {
            if (!kafka_mode())
                return -1;
            /* Kafka still holds claims the coupon worker has not applied (it may not be running
             * yet, on a cold start): the campaign is left unloaded, and its first claim rebuilds
             * it once the worker has caught up. */
            log_warn("campaign %lld: not rebuilt now (%s); its first claim rebuilds it", id, e.msg);
            continue;
        }
        log_info("campaign %lld: Redis disagreed with MySQL; rebuilt", id);
        rebuilt++;
    }
    return rebuilt;
}

/* ---- a coupon on an order ---- */

/* The discount of the user's coupon of campaign coupon_id, held for this order. */
/* What a coupon takes off an order of `amount`: its value in won, or its percent of the amount
 * (rounded down); never more than the amount. */
static long long discount_of(json_t *c, long long amount)
{
    long long v = json_integer_value(json_object_get(c, "value"));
    const char *type = json_string_value(json_object_get(c, "type"));
    long long d = type && !strcmp(type, "percent") ? amount * v / 100 : v;
    return d > amount ? amount : d;
}

json_t *coupon_usable(long long user_id, long long amount, struct err *e)
{
    json_t *rows = db_query(
        "SELECT c.id AS coupon_id, c.name, c.type, c.value, c.ends_at FROM user_coupons uc"
        " JOIN coupons c ON c.id = uc.coupon_id WHERE uc.user_id = ? AND uc.status = 'available'"
        " AND uc.order_id IS NULL AND c.ends_at > UTC_TIMESTAMP() ORDER BY uc.id",
        "i", user_id);
    if (!rows)
        return err_store(e), NULL;
    size_t n = json_array_size(rows);
    for (size_t i = 0; i < n; i++) {
        json_t *c = json_array_get(rows, i);
        json_object_set_new(c, "discount", json_integer(discount_of(c, amount)));
    }
    /* The best first (insertion sort: a person holds a handful). */
    for (size_t i = 1; i < n; i++)
        for (size_t j = i; j > 0; j--) {
            json_t *a = json_array_get(rows, j - 1), *b = json_array_get(rows, j);
            if (json_integer_value(json_object_get(a, "discount")) >=
                json_integer_value(json_object_get(b, "discount")))
                break;
            json_incref(a);
            json_array_set(rows, j - 1, b);
            json_array_set_new(rows, j, a);
        }
    return rows;
}

long long coupon_hold_for_order(long long uid, long long coupon_id, long long order_id,
                                long long amount, long long *uc_id, struct err *e)
{
    json_t *c;
    int rc = db_query_row(&c,
                          "SELECT uc.id, c.type, c.value FROM user_coupons uc JOIN coupons c"
                          " ON c.id = uc.coupon_id WHERE uc.user_id = ? AND uc.coupon_id = ?"
                          " AND uc.status = 'available' AND uc.order_id IS NULL"
                          " AND c.ends_at > UTC_TIMESTAMP() FOR UPDATE",
                          "ii", uid, coupon_id);
    if (rc < 0)
        return err_store(e);
    if (rc == 0)
        return err_set(e, 409, "coupon_unavailable",
                       "you hold no unused coupon of campaign %lld (or it has ended)", coupon_id);
    *uc_id = json_integer_value(json_object_get(c, "id"));
    if (db_exec("UPDATE user_coupons SET order_id = ? WHERE id = ?", "ii", order_id, *uc_id) < 0)
        return err_store(e);
    return discount_of(c, amount);
}

/* A coupon held (not yet used) by an order that will not be paid goes back to its holder. */
int coupon_release_hold(long long order_id)
{
    return db_exec(
               "UPDATE user_coupons SET order_id = NULL WHERE order_id = ? AND status = 'available'",
               "i", order_id) < 0
               ? -1
               : 0;
}

/* Puts a coupon back: held or used by this order, it becomes available again. */
int coupon_give_back(long long order_id)
{
    json_t *uc;
    int rc = db_query_row(&uc,
                          "SELECT uc.id, uc.status, o.discount AS value, c.vendor_id FROM"
                          " user_coupons uc JOIN coupons c ON c.id = uc.coupon_id JOIN orders o"
                          " ON o.id = uc.order_id WHERE uc.order_id = ? FOR UPDATE",
                          "i", order_id);
    if (rc <= 0)
        return rc;
    if (!strcmp(json_string_value(json_object_get(uc, "status")), "used") &&
        db_exec("UPDATE vendors SET balance = balance - ? WHERE id = ?", "ii",
                (long long)json_integer_value(json_object_get(uc, "value")),
                (long long)json_integer_value(json_object_get(uc, "vendor_id"))) < 0)
        return -1;
    return db_exec("UPDATE user_coupons SET status = 'available', order_id = NULL, used_at = NULL"
                   " WHERE id = ?",
                   "i", (long long)json_integer_value(json_object_get(uc, "id"))) < 0
               ? -1
               : 0;
}

int coupon_mark_used(long long order_id)
{
    json_t *uc;
    int has =
        db_query_row(&uc,
                     "SELECT uc.id, o.discount AS value, c.vendor_id FROM user_coupons uc"
                     " JOIN coupons c ON c.id = uc.coupon_id JOIN orders o ON o.id = uc.order_id"
                     " WHERE uc.order_id = ? AND uc.status = 'available'",
                     "i", order_id);
    if (has <= 0)
        return has;
    return db_exec("UPDATE user_coupons SET status = 'used', used_at = UTC_TIMESTAMP()"
                   " WHERE id = ?",
                   "i", (long long)json_integer_value(json_object_get(uc, "id"))) < 0 ||
                   db_exec("UPDATE vendors SET balance = balance + ? WHERE id = ?", "ii",
                           (long long)json_integer_value(json_object_get(uc, "value")),
                           (long long)json_integer_value(json_object_get(uc, "vendor_id"))) < 0
               ? -1
               : 0;
}
