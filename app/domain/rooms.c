/* rooms.c - waiting rooms (see rooms.h); their Redis side is app/lua/room_*.lua. */
#include "domain/rooms.h"

#include <limits.h>
#include <sodium.h>
#include <stdlib.h>
#include <string.h>

#include "core/clock.h"
#include "core/log.h"
#include "core/text.h"
#include "domain/room_replies.h"
#include "domain/tokens.h"
#include "store/db.h"
#include "store/redis.h"

/* The room's keys, all in its hash slot. */
static const char *key(struct arena *a, long long id, const char *name)
{
    return arena_sprintf(a, "{r:%lld}:%s", id, name);
}

/* A count of one of the room's keys (HLEN, SCARD); -1 when Redis did not answer. */
static long long count(struct arena *a, long long id, const char *cmd, const char *name)
{
    redisReply *r = redis_cmd("%s %s", cmd, key(a, id, name));
    long long n = r && r->type == REDIS_REPLY_INTEGER ? r->integer : -1;
    if (r)
        freeReplyObject(r);
    return n;
}

#define ROOM_COLUMNS                                                                                 \
    "SELECT id, item_kind, item_id, rate, pass_seconds, prequeue_seconds, threshold,"                \
    " switched_on_at, turned_off = 0 AND (threshold = 0 OR switched_on_at IS NOT NULL) AS guarding," \
    " opens_at, retired_at, final_counts,"                                                           \
    " TIMESTAMPDIFF(SECOND, '1970-01-01', opens_at) AS opens,"                                       \
    " TIMESTAMPDIFF(SECOND, '1970-01-01', opens_at) - prequeue_seconds AS joins_from FROM rooms"

static json_t *view(struct arena *a, json_t *row, struct err *e);

/* The rooms' rows as this process last read them, kept ROW_SECONDS: in a burst of joins and
 * of looks at one's place, a room's row costs one MySQL read a second per process, not one a
 * request. Slot by id; the row kept as its JSON text, outside any request's arena. */
#define ROW_SECONDS 1.0
#define ROW_SLOTS 64
static struct {
    long long id;
    double read_at;
    char *json;
} rows_read[ROW_SLOTS];

static json_t *row_of(long long id, struct err *e)
{
    double now = clock_now();
    size_t slot = (size_t)id % ROW_SLOTS;
    if (rows_read[slot].json && rows_read[slot].id == id &&
        now - rows_read[slot].read_at < ROW_SECONDS)
        return json_loads(rows_read[slot].json, 0, NULL);
    json_t *row;
    int rc = db_query_row(&row, ROOM_COLUMNS " WHERE id = ?", "i", id);
    if (rc < 0)
        return err_store(e), NULL;
    if (rc == 0)
        return err_set(e, 404, "not_found", "no waiting room has id %lld", id), NULL;
    json_alloc_plain_begin(); /* the text outlives the request */
    free(rows_read[slot].json);
    rows_read[slot].json = json_dumps(row, JSON_COMPACT);
    json_alloc_plain_end();
    rows_read[slot].id = id;
    rows_read[slot].read_at = now;
    return row;
}

/* The row read again at the next ask, in this process (the others within ROW_SECONDS). */
static void forget_row(long long id)
{
    size_t slot = (size_t)id % ROW_SLOTS;
    if (rows_read[slot].id == id)
        rows_read[slot].read_at = -ROW_SECONDS;
}

/* The room's settings into Redis (meta), when Redis has none: made, or lost with Redis. */
static int load(struct arena *a, json_t *row)
{
    long long id = json_integer_value(json_object_get(row, "id"));
    redisReply *r = redis_cmd("HSETNX %s opens %lld", key(a, id, "meta"),
                              (long long)json_integer_value(json_object_get(row, "opens")));
    bool ok = r && r->type == REDIS_REPLY_INTEGER;
    if (r)
        freeReplyObject(r);
    if (ok)
        ok = redis_run("HSET %s joins_from %lld rate %lld", key(a, id, "meta"),
                       (long long)json_integer_value(json_object_get(row, "joins_from")),
                       (long long)json_integer_value(json_object_get(row, "rate"))) == 0;
    /* A room that switched itself on stays on when Redis lost it (MySQL has when). */
    if (ok && !json_is_null(json_object_get(row, "switched_on_at")))
        ok = redis_run("HSET %s on 1", key(a, id, "meta")) == 0;
    return ok ? 0 : -1;
}

static int int_field(json_t *b, const char *name, long long lo, long long hi, long long dflt,
                     long long *out, struct err *e)
{
    json_t *v = json_object_get(b, name);
    if (!v || json_is_null(v)) {
        *out = dflt;
        return 0;
    }
    if (!json_is_integer(v) || json_integer_value(v) < lo || json_integer_value(v) > hi)
        return err_set(e, 422, "invalid_room", "%s must be a whole number from %lld to %lld", name,
                       lo, hi);
    *out = json_integer_value(v);
    return 0;
}

json_t *room_create(struct arena *a, json_t *body, struct err *e)
{
    const char *kind = json_string_value(json_object_get(body, "item"));
    json_t *item_id = json_object_get(body, "item_id");
    long long rate, pass, pre, threshold;
    if (!kind || (strcmp(kind, "product") && strcmp(kind, "campaign")))
        return err_set(e, 422, "invalid_room", "item must be product or campaign"), NULL;
    if (!json_is_integer(item_id) || json_integer_value(item_id) <= 0)
        return err_set(e, 422, "invalid_room", "item_id must be the id of the %s", kind), NULL;
    if (int_field(body, "rate", 1, 100000, -1, &rate, e) < 0 ||
        int_field(body, "pass_seconds", 10, 3600, 300, &pass, e) < 0 ||
        int_field(body, "prequeue_seconds", 0, 86400, 600, &pre, e) < 0 ||
        int_field(body, "threshold", 1, 10000000, 0, &threshold, e) < 0)
        return NULL;
    if (rate < 0)
        return err_set(e, 422, "invalid_room", "rate (people admitted a second) is required"), NULL;
    /* The item's row is held until the room is in: a product's sale that moves meanwhile
     * (catalog_update) waits, then finds the room and takes it along. */
    json_t *start;
    int rc = db_begin() < 0 ? -1
                            : db_query_row(&start,
                                           !strcmp(kind, "product")
                                               ? "SELECT sale_starts_at AS opens_at FROM products"
                                                 " WHERE id = ? FOR UPDATE"
                                               : "SELECT starts_at AS opens_at FROM coupons"
                                                 " WHERE id = ? FOR UPDATE",
                                           "i", (long long)json_integer_value(item_id));
    if (rc <= 0 || json_is_null(json_object_get(start, "opens_at")))
        db_rollback();
    if (rc < 0)
        return err_store(e), NULL;
    if (rc == 0)
        return err_set(e, 404, "not_found", "no %s has id %lld", kind,
                       (long long)json_integer_value(item_id)),
               NULL;
    if (json_is_null(json_object_get(start, "opens_at")))
        return err_set(e, 422, "no_sale_start",
                       "product %lld has no sale start: a room opens when its sale does",
                       (long long)json_integer_value(item_id)),
               NULL;
    long long n = db_exec("INSERT IGNORE INTO rooms (item_kind, item_id, rate, pass_seconds,"
                          " prequeue_seconds, threshold, opens_at) VALUES (?, ?, ?, ?, ?, ?, ?)",
                          "siiiiis", kind, (long long)json_integer_value(item_id), rate, pass, pre,
                          threshold, json_string_value(json_object_get(start, "opens_at")));
    long long id = n > 0 ? db_insert_id() : 0;
    if (n <= 0 || db_commit() < 0) {
        db_rollback();
        return n == 0 ? (err_set(e, 409, "room_exists", "this %s has a waiting room already", kind),
                         NULL)
                      : (err_store(e), NULL);
    }
    json_t *row = row_of(id, e);
    if (!row || load(a, row) < 0)
        return err_unknown(e), NULL; /* made: a failed read back is never "not made" */
    return view(a, row, e);
}

/* Runs one of the room's scripts on its seven keys (meta, pre, tickets, issued, serving, left,
 * stretches),
 * loading the room into Redis first when it is not there. The reply, or NULL with e set. */
static redisReply *run_with(struct arena *a, json_t *row, const char *script, int nargs,
                            const char *const *args, struct err *e)
{
    long long id = json_integer_value(json_object_get(row, "id"));
    const char *argv[10] = {key(a, id, "meta"),     key(a, id, "pre"),     key(a, id, "tickets"),
                            key(a, id, "issued"),   key(a, id, "serving"), key(a, id, "left"),
                            key(a, id, "stretches")};
    for (int i = 0; i < nargs; i++) /* at most 3 */
        argv[7 + i] = args[i];
    for (int attempt = 0; attempt < 2; attempt++) {
        redisReply *r = redis_script(script, 7, 7 + nargs, argv);
        if (!r || r->type != REDIS_REPLY_ARRAY || r->elements < 1 ||
            r->element[0]->type != REDIS_REPLY_INTEGER) {
            if (r)
                freeReplyObject(r);
            return err_store(e), NULL;
        }
        if (r->element[0]->integer != -1 || attempt == 1)
            return r;
        freeReplyObject(r);
        if (load(a, row) < 0)
            return err_store(e), NULL;
    }
    return NULL;
}

static redisReply *run(struct arena *a, json_t *row, const char *script, const char *arg,
                       struct err *e)
{
    return run_with(a, row, script, 1, &arg, e);
}

/* The room's people, counted in Redis: {waiting, admitted, prequeue, turns (admitted people
 * who started their turn), used (passes used), left} (-1: not known). */
static json_t *counts(struct arena *a, json_t *row, struct err *e)
{
    long long id = json_integer_value(json_object_get(row, "id"));
    redisReply *r = run(a, row, "room_where", "0", e);
    if (!r)
        return NULL;
    struct room_where w;
    int rc = room_where_read(r, &w);
    freeReplyObject(r);
    if (rc < 0)
        return err_store(e), NULL;
    long long serving = w.serving, issued = w.issued, pre = w.pre;
    long long turns = count(a, id, "HLEN", "passed"), used = count(a, id, "SCARD", "used"),
              left = count(a, id, "ZCARD", "left");
    /* People who left and whose tickets are not passed over yet wait no more. */
    redisReply *z = redis_cmd("ZCOUNT %s (%lld +inf", key(a, id, "left"), serving);
    bool counted = z && z->type == REDIS_REPLY_INTEGER;
    long long left_ahead =
        counted && z->integer > 0 && z->integer <= ROOM_COUNT_MAX ? z->integer : 0;
    if (z)
        freeReplyObject(z);
    if (!counted)
        return err_store(e), NULL;
    return json_pack("{s:I, s:I, s:I, s:I, s:I, s:I}", "waiting",
                     (json_int_t)(issued - serving - left_ahead), "admitted", (json_int_t)serving,
                     "prequeue", (json_int_t)pre, "turns", (json_int_t)turns, "used",
                     (json_int_t)used, "left", (json_int_t)left);
}

static bool retired(json_t *row)
{
    return !json_is_null(json_object_get(row, "retired_at"));
}

/* The room of `row` with its people, as room_get gives it: counted in Redis, or as they were
 * when the room retired. */
static json_t *view(struct arena *a, json_t *row, struct err *e)
{
    long long id = json_integer_value(json_object_get(row, "id"));
    json_t *people =
        retired(row) ? json_loads(json_string_value(json_object_get(row, "final_counts")), 0, NULL)
                     : counts(a, row, e);
    if (!people)
        return retired(row) ? (err_unknown(e), NULL) : NULL;
    time_t now = time(NULL);
    json_t *room = json_pack(
        "{s:I, s:{s:O, s:O}, s:O, s:O, s:O, s:O, s:I, s:b}", "id", (json_int_t)id, "item", "kind",
        json_object_get(row, "item_kind"), "id", json_object_get(row, "item_id"), "rate",
        json_object_get(row, "rate"), "pass_seconds", json_object_get(row, "pass_seconds"),
        "prequeue_seconds", json_object_get(row, "prequeue_seconds"), "opens_at",
        json_object_get(row, "opens_at"), "joins_from",
        (json_int_t)json_integer_value(json_object_get(row, "joins_from")), "open",
        now >= json_integer_value(json_object_get(row, "opens")));
    json_object_update(room, people);
    json_decref(people);
    json_object_set_new(room, "retired_at", json_copy(json_object_get(row, "retired_at")));
    long long threshold = json_integer_value(json_object_get(row, "threshold"));
    json_object_set_new(room, "on", json_boolean(db_truthy(json_object_get(row, "guarding"))));
    json_object_set_new(room, "threshold", threshold > 0 ? json_integer(threshold) : json_null());
    json_object_set_new(room, "switched_on_at", json_copy(json_object_get(row, "switched_on_at")));
    return room;
}

json_t *room_get(struct arena *a, long long id, struct err *e)
{
    json_t *row = row_of(id, e);
    return row ? view(a, row, e) : NULL;
}

json_t *room_list(struct arena *a, struct err *e)
{
    json_t *rows = db_query(ROOM_COLUMNS " ORDER BY opens_at DESC, id DESC LIMIT 100", ""), *row;
    if (!rows)
        return err_store(e), NULL;
    json_t *out = json_array();
    size_t i;
    json_array_foreach(rows, i, row)
    {
        json_t *room = view(a, row, e);
        if (!room)
            return NULL;
        json_array_append_new(out, room);
    }
    return out;
}

/* An admitted person's pass, from the start of their turn (room_pass.lua: when the room let
 * their ticket in): set into the place p, or the place turned "expired" when the turn passed
 * unused. */
static int give_pass(struct arena *a, json_t *row, long long user_id, json_t *p, struct err *e)
{
    long long id = json_integer_value(json_object_get(row, "id"));
    const char *argv[5] = {key(a, id, "tickets"), key(a, id, "serving"), key(a, id, "passed"),
                           key(a, id, "stretches"), arena_sprintf(a, "%lld", user_id)};
    redisReply *r = redis_script("room_pass", 4, 5, argv);
    long long start;
    int rc = room_pass_read(r, &start);
    if (r)
        freeReplyObject(r);
    if (rc < 0)
        return err_store(e);
    if (start == 0) /* not admitted after all (Redis lost the room meanwhile) */
        return 0;
    time_t exp = (time_t)(start + json_integer_value(json_object_get(row, "pass_seconds")));
    if (time(NULL) >= exp) {
        json_object_set_new(p, "state", json_string("expired"));
        return 0;
    }
    char at[21];
    format_iso_time(exp, at);
    json_object_set_new(p, "pass", json_string(pass_issue(a, id, user_id, exp)));
    json_object_set_new(p, "pass_expires_at", json_string(at));
    return 0;
}

/* The person's place in the room of `row`. */
static json_t *place_in(struct arena *a, json_t *row, long long user_id, struct err *e)
{
    redisReply *r = run(a, row, "room_where", arena_sprintf(a, "%lld", user_id), e);
    if (!r)
        return NULL;
    struct room_where w;
    int rc = room_where_read(r, &w);
    freeReplyObject(r);
    if (rc < 0)
        return err_store(e), NULL;
    json_t *p = room_place_of(json_integer_value(json_object_get(row, "id")),
                              json_integer_value(json_object_get(row, "rate")), &w);
    const char *state = json_string_value(json_object_get(p, "state"));
    if (!strcmp(state, "admitted") && give_pass(a, row, user_id, p, e) < 0)
        return NULL;
    return p;
}

/* The row of a room that still takes people: 410 room_closed for one retired. */
static json_t *live_row_of(long long id, struct err *e)
{
    json_t *row = row_of(id, e);
    if (row && retired(row))
        return err_set(e, 410, "room_closed",
                       "waiting room %lld closed a day after its sale opened; it takes nobody now",
                       id),
               NULL;
    return row;
}

json_t *room_place(struct arena *a, long long id, long long user_id, struct err *e)
{
    json_t *row = live_row_of(id, e);
    return row ? place_in(a, row, user_id, e) : NULL;
}

json_t *room_leave(struct arena *a, long long id, long long user_id, struct err *e)
{
    json_t *row = live_row_of(id, e);
    if (!row)
        return NULL;
    const char *argv[5] = {key(a, id, "pre"), key(a, id, "tickets"), key(a, id, "serving"),
                           key(a, id, "left"), arena_sprintf(a, "%lld", user_id)};
    redisReply *r = redis_script("room_leave", 4, 5, argv);
    bool ok = room_leave_read(r) == 0;
    if (r)
        freeReplyObject(r);
    return ok ? place_in(a, row, user_id, e) : (err_store(e), NULL);
}

/* One step of the room's clock (room_tick.lua), from whoever needs it first: the rooms worker,
 * or a join that finds the room open and its pre-queue not yet shuffled. The reply, or NULL. */
static redisReply *tick(struct arena *a, json_t *row, struct err *e)
{
    const char *seed = arena_sprintf(a, "%u", randombytes_uniform(2000000000));
    return run(a, row, "room_tick", seed, e);
}

/* A tick with the start and pre-queue opening MySQL has just given (the rooms worker's, and a
 * sale's move after its commit): a room not yet shuffled follows them in Redis (room_tick.lua). */
static redisReply *tick_from_mysql(struct arena *a, json_t *row, struct err *e)
{
    const char *args[3] = {
        arena_sprintf(a, "%u", randombytes_uniform(2000000000)),
        arena_sprintf(a, "%lld", (long long)json_integer_value(json_object_get(row, "opens"))),
        arena_sprintf(a, "%lld",
                      (long long)json_integer_value(json_object_get(row, "joins_from")))};
    return run_with(a, row, "room_tick", 3, args, e);
}

/* room_join.lua's state for the person, or -9 with e set when Redis failed. */
static long long join_once(struct arena *a, json_t *row, long long user_id, struct err *e)
{
    redisReply *r = run(a, row, "room_join", arena_sprintf(a, "%lld", user_id), e);
    if (!r)
        return -9;
    long long state;
    int rc = room_join_read(r, &state);
    freeReplyObject(r);
    return rc < 0 ? (err_store(e), -9) : state;
}

json_t *room_join(struct arena *a, long long id, long long user_id, struct err *e)
{
    json_t *row = live_row_of(id, e);
    if (!row)
        return NULL;
    long long state = join_once(a, row, user_id, e);
    if (state == -3) { /* the start has come, the shuffle not yet: shuffle, then join */
        redisReply *t = tick(a, row, e);
        if (!t)
            return NULL;
        freeReplyObject(t);
        state = join_once(a, row, user_id, e);
    }
    if (state == -9)
        return NULL;
    if (state == -3)
        return err_unavailable(e), NULL; /* shuffled by nobody: cannot happen while Redis works */
    if (state == -2) {
        char at[21];
        format_iso_time((time_t)json_integer_value(json_object_get(row, "joins_from")), at);
        return err_set(e, 403, "too_early", "this waiting room takes people from %s", at), NULL;
    }
    return place_in(a, row, user_id, e);
}

/* The rooms in front of items now (from their making to a day after their start), as this
 * process last read them: read again every GUARDS_SECONDS, kept as they were when the read
 * fails. A sale without a room costs a claim or a checkout nothing but a look at this list. */
#define GUARDS_SECONDS 2.0
#define MAX_GUARDS 256
static struct guard {
    bool campaign, off;
    long long item_id, room_id;
    long long threshold; /* > 0: on only once arrivals passed it */
    bool switched;       /* ... which MySQL says they did */
} guards[MAX_GUARDS];
static int nguards;
static double guards_read_at;
static bool guards_known; /* a read has succeeded: before, nothing can be let through */

/* The room in front of the item, NULL when none; *unknown when this process could never read
 * the list. */
static const struct guard *guard_of(bool campaign, long long item_id, bool *unknown)
{
    double now = clock_now();
    if (now - guards_read_at >= GUARDS_SECONDS) {
        guards_read_at = now;
        json_t *rows = db_query("SELECT id, item_kind = 'campaign' AS campaign, item_id, threshold,"
                                " switched_on_at IS NOT NULL AS switched, turned_off FROM rooms"
                                " WHERE retired_at IS NULL AND opens_at >= UTC_TIMESTAMP() -"
                                " INTERVAL 1 DAY"
                                " ORDER BY id DESC LIMIT 256",
                                ""),
               *row;
        size_t i;
        if (rows) {
            nguards = 0;
            guards_known = true;
            if (json_array_size(rows) == MAX_GUARDS)
                log_warn("%d waiting rooms guard items at once: only the newest are enforced",
                         MAX_GUARDS);
        }
        json_array_foreach(rows, i, row) guards[nguards++] =
            (struct guard){.campaign = db_truthy(json_object_get(row, "campaign")),
                           .off = db_truthy(json_object_get(row, "turned_off")),
                           .item_id = json_integer_value(json_object_get(row, "item_id")),
                           .room_id = json_integer_value(json_object_get(row, "id")),
                           .threshold = json_integer_value(json_object_get(row, "threshold")),
                           .switched = db_truthy(json_object_get(row, "switched"))};
    }
    *unknown = !guards_known;
    for (int i = 0; i < nguards; i++)
        if (guards[i].campaign == campaign && guards[i].item_id == item_id)
            return &guards[i];
    return NULL;
}

/* An arrival at the item of a room that turns itself on: 1 when the room is on (this arrival
 * may have switched it, which is then written to MySQL), 0 still off, -1 Redis failed. */
static int arrive(struct arena *a, const struct guard *g)
{
    const char *argv[2] = {key(a, g->room_id, "meta"), arena_sprintf(a, "%lld", g->threshold)};
    redisReply *r = redis_script("room_arrive", 1, 2, argv);
    long long state;
    if (room_arrive_read(r, &state) < 0)
        state = -1;
    if (r)
        freeReplyObject(r);
    if (state == 2) {
        if (db_exec("UPDATE rooms SET switched_on_at = UTC_TIMESTAMP() WHERE id = ?"
                    " AND switched_on_at IS NULL",
                    "i", g->room_id) < 0)
            log_warn("waiting room %lld turned itself on; MySQL did not record it: the room"
                     " stays on while Redis keeps it",
                     g->room_id);
        else
            log_info("waiting room %lld turned itself on: more than %lld arrivals in a second",
                     g->room_id, g->threshold);
    }
    return state < 0 ? -1 : state > 0;
}

/* Whether one of the passes (separated by spaces: the cookies of several rooms; the first
 * MAX_PASSES looked at) is a valid pass of the room for the person. */
#define MAX_PASSES 8
static bool carries_pass(struct arena *a, const char *passes, long long room, long long user_id)
{
    if (!passes)
        return false;
    char *copy = arena_strdup(a, passes), *save = NULL;
    int n = 0;
    for (char *p = strtok_r(copy, " ", &save); p && n++ < MAX_PASSES;
         p = strtok_r(NULL, " ", &save))
        if (pass_valid(p, room, user_id, time(NULL)))
            return true;
    return false;
}

int room_admit(struct arena *a, bool campaign, long long item_id, long long user_id,
               const char *pass, long long *room, struct err *e)
{
    bool unknown;
    const struct guard *g = guard_of(campaign, item_id, &unknown);
    *room = 0;
    if (unknown)
        return err_unavailable(e); /* no pass can be judged: nothing is let through unjudged */
    if (!g || g->off)
        return 0;
    if (g->threshold > 0 && !g->switched) {
        int on = arrive(a, g);
        if (on < 0)
            return err_store(e);
        if (!on)
            return 0;
    }
    long long id = g->room_id;
    if (!carries_pass(a, pass, id, user_id))
        return err_set(e, 403, "room_pass_required",
                       "this sale has a waiting room: join it at /rooms/%lld and come back with"
                       " the pass it gives you when your turn comes",
                       id);
    redisReply *r = redis_cmd("SADD %s %lld", key(a, id, "used"), user_id);
    long long added = r && r->type == REDIS_REPLY_INTEGER ? r->integer : -1;
    if (r)
        freeReplyObject(r);
    if (added < 0)
        return err_store(e);
    if (added == 0)
        return err_set(e, 403, "pass_used", "your pass of waiting room %lld has been used", id);
    *room = id;
    return 0;
}

json_t *room_switch(struct arena *a, long long id, bool on, struct err *e)
{
    json_t *row = live_row_of(id, e);
    if (!row)
        return NULL;
    long long n = on ? db_exec("UPDATE rooms SET turned_off = 0, switched_on_at ="
                               " COALESCE(switched_on_at, UTC_TIMESTAMP()) WHERE id = ?",
                               "i", id)
                     : db_exec("UPDATE rooms SET turned_off = 1 WHERE id = ?", "i", id);
    if (n < 0)
        return err_store(e), NULL;
    forget_row(id);
    if (!(row = row_of(id, e)))
        return NULL;
    if (on && load(a, row) < 0) /* on in Redis too: its arrivals no longer count */
        return err_unknown(e), NULL;
    return view(a, row, e);
}

void room_give_back(struct arena *a, long long room, long long user_id)
{
    if (room > 0)
        redis_run("SREM %s %lld", key(a, room, "used"), user_id);
}

int room_sale_moved(struct arena *a, long long product_id, const time_t *start, long long *room,
                    struct err *e)
{
    json_t *row;
    *room = 0;
    /* Opened, or opening within two seconds: Redis's clock may be a little ahead of MySQL's,
     * and the room's shuffle follows Redis's. */
    int rc = db_query_row(&row,
                          "SELECT id, opens_at <= UTC_TIMESTAMP() + INTERVAL 2 SECOND AS opened"
                          " FROM rooms WHERE item_kind = 'product' AND item_id = ? AND retired_at"
                          " IS NULL FOR UPDATE",
                          "i", product_id);
    if (rc <= 0)
        return rc < 0 ? err_store(e) : 0;
    long long id = json_integer_value(json_object_get(row, "id"));
    if (!start)
        return err_set(e, 409, "room_needs_start",
                       "waiting room %lld opens when this sale does: the sale's start can move"
                       " but not be removed while the room is there",
                       id);
    if (db_truthy(json_object_get(row, "opened")))
        return err_set(e, 409, "room_opened",
                       "waiting room %lld opens at this sale's start and lets people in for it:"
                       " the start can no longer move",
                       id);
    if (db_exec("UPDATE rooms SET opens_at = ? WHERE id = ?", "si", db_time(a, *start), id) < 0)
        return err_store(e);
    *room = id;
    return 0;
}

void room_sale_follow(struct arena *a, long long room)
{
    struct err e;
    if (room <= 0)
        return;
    forget_row(room);
    json_t *row = row_of(room, &e);
    redisReply *r = row ? tick_from_mysql(a, row, &e) : NULL;
    if (r)
        freeReplyObject(r);
    else
        log_warn("waiting room %lld: its start in Redis did not move now; the rooms worker's"
                 " next tick moves it before the room opens",
                 room);
}

/* Removes the room's places from Redis. */
static void unlink_keys(struct arena *a, long long id)
{
    static const char *const names[] = {"meta", "pre",       "tickets", "issued", "serving",
                                        "left", "stretches", "passed",  "used"};
    for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++)
        redis_run("UNLINK %s", key(a, id, names[i]));
}

static bool all_counted(json_t *people)
{
    const char *k;
    json_t *v;
    json_object_foreach(people, k, v)
    {
        if (json_integer_value(v) < 0)
            return false;
    }
    return true;
}

/* Rooms a day past their start take nobody and guard nothing: each one's counts go to MySQL
 * (final_counts) and its places leave Redis. A process that read the row just before keeps it
 * for up to ROW_SECONDS and may put the room's meta back meanwhile, so the keys of rooms
 * retired in the last minute are removed again. At most every RETIRE_SECONDS. */
#define RETIRE_SECONDS 5.0
static int retire(struct arena *a)
{
    static double next;
    if (clock_now() < next)
        return 0;
    next = clock_now() + RETIRE_SECONDS;
    json_t *rows = db_query(ROOM_COLUMNS " WHERE retired_at IS NULL AND opens_at <"
                                         " UTC_TIMESTAMP() - INTERVAL 1 DAY ORDER BY opens_at"
                                         " LIMIT 20",
                            ""),
           *row;
    json_t *recent = db_query("SELECT id FROM rooms WHERE retired_at >= UTC_TIMESTAMP() -"
                              " INTERVAL 1 MINUTE",
                              "");
    if (!rows || !recent)
        return -1;
    size_t i;
    json_array_foreach(recent, i, row)
    {
        unlink_keys(a, json_integer_value(json_object_get(row, "id")));
    }
    int failed = 0;
    json_array_foreach(rows, i, row)
    {
        struct err e;
        long long id = json_integer_value(json_object_get(row, "id"));
        /* A room Redis lost is not loaded back to be counted: its counts are not known (-1). */
        long long held = count(a, id, "EXISTS", "meta");
        json_t *people =
            held == 1   ? counts(a, row, &e)
            : held == 0 ? json_pack("{s:i, s:i, s:i, s:i, s:i, s:i}", "waiting", -1, "admitted", -1,
                                    "prequeue", -1, "turns", -1, "used", -1, "left", -1)
                        : NULL;
        if (held == 1 && people && !all_counted(people))
            people = NULL; /* a count Redis did not give: counted again at the next sweep */
        char *text = people ? json_dumps(people, JSON_COMPACT) : NULL;
        long long n = text ? db_exec("UPDATE rooms SET retired_at = UTC_TIMESTAMP(), final_counts ="
                                     " ? WHERE id = ? AND retired_at IS NULL",
                                     "si", text, id)
                           : -1;
        if (n < 0) {
            failed = -1; /* tried again at the next sweep */
            continue;
        }
        forget_row(id);
        if (n == 1) {
            unlink_keys(a, id);
            log_info("waiting room %lld retired a day after its start: %s", id, text);
        }
    }
    return failed;
}

int rooms_tick(struct arena *a)
{
    /* The rooms that take people now: from their pre-queue's opening on. */
    json_t *rows = db_query("SELECT id, rate, TIMESTAMPDIFF(SECOND, '1970-01-01', opens_at) AS"
                            " opens, TIMESTAMPDIFF(SECOND, '1970-01-01', opens_at) -"
                            " prequeue_seconds AS joins_from FROM rooms"
                            " WHERE retired_at IS NULL AND opens_at <= UTC_TIMESTAMP() +"
                            " INTERVAL prequeue_seconds SECOND"
                            " AND opens_at >= UTC_TIMESTAMP() - INTERVAL 1 DAY",
                            ""),
           *row;
    if (!rows)
        return -1;
    long long admitted = 0;
    bool failed = false;
    size_t i;
    json_array_foreach(rows, i, row)
    {
        struct err e;
        redisReply *r = tick_from_mysql(a, row, &e);
        long long state, now;
        if (r && room_tick_read(r, &state, &now) == 0)
            admitted = admitted + now > INT_MAX ? INT_MAX : admitted + now;
        else
            failed = true; /* the other rooms' clocks go on */
        if (r)
            freeReplyObject(r);
    }
    if (retire(a) < 0)
        failed = true;
    return failed ? -1 : (int)admitted;
}
