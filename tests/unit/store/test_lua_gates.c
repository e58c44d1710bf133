/* test_lua_gates.c - the first-come gates in app/lua and their answers, run by store/redis.c
 * against a redis-server of the test's own on a unix socket in a temporary directory. */
#include <criterion/criterion.h>
#include <limits.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "../support/tmpdir.h"
#include "core/config.h"
#include "core/log.h"
#include "store/redis.h"

static char dir[PATH_MAX];
static char url[PATH_MAX + 32];
static char app_root[PATH_MAX];
static pid_t server;

/* The checkout the test binary was built in: bin/unit-tests -> the directory above bin/. */
static void find_app_root(void)
{
    ssize_t n = readlink("/proc/self/exe", app_root, sizeof(app_root) - 1);
    cr_assert_gt(n, 0);
    app_root[n] = '\0';
    for (int i = 0; i < 2; i++)
        *strrchr(app_root, '/') = '\0';
}

static void start_server(void)
{
    char sock[PATH_MAX + 16], logfile[PATH_MAX + 16];
    snprintf(sock, sizeof(sock), "%s/redis.sock", dir);
    snprintf(logfile, sizeof(logfile), "%s/redis.log", dir);
    server = fork();
    cr_assert_geq(server, 0);
    if (server == 0) {
        execlp("redis-server", "redis-server", "--port", "0", "--unixsocket", sock, "--save", "",
               "--appendonly", "no", "--dir", dir, "--logfile", logfile, (char *)NULL);
        _exit(127);
    }
    snprintf(url, sizeof(url), "unix://%s", sock);
}

static void setup(void)
{
    log_set_level("error");
    cr_assert(tmpdir_make(dir, sizeof(dir), "redis"));
    start_server();
    find_app_root();
    cfg.app_root = app_root;
    cfg.redis_url = url;
    char err[256] = "";
    for (int i = 0; i < 500; i++) { /* up to 5 s for the server to listen */
        if (redis_connect(err, sizeof(err)) == 0)
            return;
        cr_assert_eq(waitpid(server, NULL, WNOHANG), 0, "redis-server exited (is it installed?)");
        usleep(10 * 1000);
    }
    cr_assert_fail("redis-server did not answer on %s: %s", url, err);
}

static void teardown(void)
{
    redis_close();
    if (server > 0) {
        kill(server, SIGTERM);
        waitpid(server, NULL, 0);
    }
    tmpdir_remove(dir);
}

/* No .timeout: with one on each of these many short tests, Criterion's runner sometimes leaks
 * one of its own allocations, and LeakSanitizer fails the run. setup waits 5 s at the most. */
TestSuite(lua_gates, .init = setup, .fini = teardown);

/* Runs a script; its reply flattened into integers, returning how many. */
static int run(const char *script, int nkeys, int argc, const char **argv, long long *out, int max)
{
    redisReply *r = redis_script(script, nkeys, argc, argv);
    cr_assert_not_null(r, "%s: no reply", script);
    cr_assert_neq(r->type, REDIS_REPLY_ERROR, "%s: %s", script, r->str);
    int n = 0;
    if (r->type == REDIS_REPLY_INTEGER)
        out[n++] = r->integer;
    for (size_t i = 0; r->type == REDIS_REPLY_ARRAY && i < r->elements && n < max; i++)
        out[n++] = r->element[i]->integer;
    freeReplyObject(r);
    return n;
}

static long long one(const char *script, int nkeys, int argc, const char **argv)
{
    long long v;
    cr_assert_eq(run(script, nkeys, argc, argv, &v, 1), 1);
    return v;
}

#define STOCK "{p:1}:stock"
#define META "{p:1}:meta"
#define BOUGHT "{p:1}:bought"
#define HELD "{p:1}:held"

static char *epoch(char *buf, long offset)
{
    sprintf(buf, "%ld", (long)time(NULL) + offset);
    return buf;
}

/* Builds product 1's gate as stock_load does after a read from MySQL: no one holds units yet. */
static void load_product(const char *units, const char *starts, const char *limit)
{
    const char *argv[] = {STOCK, META, BOUGHT, HELD, units, starts, limit};
    cr_assert_eq(one("stock_load", 4, 7, argv), 1);
}

struct answer {
    long long outcome, stock;
};

static struct answer reserve(const char *user, const char *units, const char *order)
{
    const char *argv[] = {STOCK, META, BOUGHT, HELD, user, units, order};
    long long v[2];
    cr_assert_eq(run("stock_reserve", 4, 7, argv, v, 2), 2);
    return (struct answer){v[0], v[1]};
}

static long long release(const char *order, const char *user)
{
    const char *argv[] = {STOCK, BOUGHT, HELD, order, user};
    return one("stock_release", 3, 5, argv);
}

static long long adjust(const char *change)
{
    const char *argv[] = {STOCK, change};
    return one("stock_adjust", 1, 2, argv);
}

static long long stock_left(void)
{
    redisReply *r = redis_cmd("GET %s", STOCK);
    cr_assert(r && r->type == REDIS_REPLY_STRING);
    long long n = atoll(r->str);
    freeReplyObject(r);
    return n;
}

Test(lua_gates, a_reservation_within_stock_takes_its_units)
{
    load_product("10", "0", "0");
    struct answer a = reserve("7", "3", "101");
    cr_assert_eq(a.outcome, 0);
    cr_assert_eq(a.stock, 7);
    cr_assert_eq(stock_left(), 7);
}

Test(lua_gates, a_reservation_beyond_the_units_left_is_sold_out_and_takes_nothing)
{
    load_product("2", "0", "0");
    struct answer a = reserve("7", "3", "101");
    cr_assert_eq(a.outcome, 1);
    cr_assert_eq(a.stock, 2);
    cr_assert_eq(stock_left(), 2);
}

Test(lua_gates, a_reservation_before_the_sale_starts_is_refused)
{
    char starts[32];
    load_product("10", epoch(starts, 3600), "0");
    struct answer a = reserve("7", "1", "101");
    cr_assert_eq(a.outcome, 2);
    cr_assert_eq(stock_left(), 10);
}

Test(lua_gates, a_reservation_after_the_sale_started_is_taken)
{
    char starts[32];
    load_product("10", epoch(starts, -60), "0");
    cr_assert_eq(reserve("7", "1", "101").outcome, 0);
}

Test(lua_gates, a_user_past_the_per_user_limit_is_refused_across_orders)
{
    load_product("10", "0", "2");
    cr_assert_eq(reserve("7", "2", "101").outcome, 0);
    struct answer a = reserve("7", "1", "102");
    cr_assert_eq(a.outcome, 3);
    cr_assert_eq(a.stock, 8);
    cr_assert_eq(reserve("8", "2", "103").outcome, 0, "the limit is per user");
}

Test(lua_gates, a_product_whose_gate_is_not_loaded_answers_minus_one)
{
    struct answer a = reserve("7", "1", "101");
    cr_assert_eq(a.outcome, -1);
    cr_assert_eq(a.stock, 0);
}

Test(lua_gates, a_gate_built_in_another_redis_server_answers_minus_one)
{
    load_product("10", "0", "0");
    redisReply *r = redis_cmd("HSET %s run %s", META, "0123456789abcdef");
    freeReplyObject(r);
    cr_assert_eq(reserve("7", "1", "101").outcome, -1);
    cr_assert_eq(stock_left(), 10);
}

Test(lua_gates, a_replayed_reservation_of_the_same_order_takes_nothing_twice)
{
    load_product("10", "0", "1");
    cr_assert_eq(reserve("7", "1", "101").outcome, 0);
    struct answer again = reserve("7", "1", "101");
    cr_assert_eq(again.outcome, 0, "a replay is answered as reserved, not as over the limit");
    cr_assert_eq(again.stock, 9);
    cr_assert_eq(stock_left(), 9);
}

Test(lua_gates, a_release_gives_the_orders_units_back_exactly_once)
{
    load_product("10", "0", "3");
    cr_assert_eq(reserve("7", "3", "101").outcome, 0);
    cr_assert_eq(release("101", "7"), 3);
    cr_assert_eq(stock_left(), 10);
    cr_assert_eq(release("101", "7"), 0);
    cr_assert_eq(stock_left(), 10);
    cr_assert_eq(reserve("7", "3", "102").outcome, 0, "the user's limit counts the units back");
}

Test(lua_gates, a_release_of_an_order_that_holds_nothing_gives_nothing)
{
    load_product("10", "0", "0");
    cr_assert_eq(release("999", "7"), 0);
    cr_assert_eq(stock_left(), 10);
}

Test(lua_gates, a_rebuilt_gate_keeps_the_units_orders_hold_and_releases_them)
{
    const char *argv[] = {STOCK, META, BOUGHT, HELD, "8", "0", "3", "101", "7", "2"};
    cr_assert_eq(one("stock_load", 4, 10, argv), 1);
    cr_assert_eq(reserve("7", "2", "102").outcome, 3, "the held units count toward the limit");
    cr_assert_eq(release("101", "7"), 2);
    cr_assert_eq(stock_left(), 10);
}

Test(lua_gates, an_adjustment_moves_the_counter_and_a_cut_below_the_reserved_is_refused)
{
    load_product("5", "0", "0");
    cr_assert_eq(reserve("7", "3", "101").outcome, 0);
    cr_assert_eq(adjust("-3"), -1);
    cr_assert_eq(stock_left(), 2);
    cr_assert_eq(adjust("-2"), 1);
    cr_assert_eq(stock_left(), 0);
    cr_assert_eq(adjust("4"), 1);
    cr_assert_eq(stock_left(), 4);
}

Test(lua_gates, an_adjustment_of_a_missing_counter_answers_minus_two)
{
    cr_assert_eq(adjust("5"), -2);
    redisReply *r = redis_cmd("EXISTS %s", STOCK);
    cr_assert_eq(r->integer, 0, "the counter is not created");
    freeReplyObject(r);
}

#define CMETA "{c:1}:meta"
#define CLAIMED "{c:1}:claimed"
#define BATCHES "{c:1}:batches"

static void load_campaign(const char *total, long starts, long ends)
{
    char s[32], e[32];
    const char *argv[] = {CMETA, CLAIMED, total, epoch(s, starts), epoch(e, ends)};
    cr_assert_eq(one("coupon_load", 2, 5, argv), 1);
}

/* One batch of claims: keys, the batch's id when it has one, then users; answers[i] is
 * {outcome, remaining} of users[i]. */
static void claim(const char *batch, int n, const char **users, struct answer *answers)
{
    const char *argv[16] = {CMETA, CLAIMED, BATCHES, batch};
    int nkeys = batch ? 3 : 2, first = batch ? 4 : 2;
    memcpy(argv + first, users, (size_t)n * sizeof(*users));
    long long v[32];
    cr_assert_eq(run("coupon_claim", nkeys, first + n, argv, v, 32), 2 * n);
    for (int i = 0; i < n; i++)
        answers[i] = (struct answer){v[2 * i], v[2 * i + 1]};
}

static void assert_answers(const struct answer *got, const struct answer *want, int n)
{
    for (int i = 0; i < n; i++) {
        cr_assert_eq(got[i].outcome, want[i].outcome, "claim %d: outcome %lld, expected %lld", i,
                     got[i].outcome, want[i].outcome);
        cr_assert_eq(got[i].stock, want[i].stock, "claim %d: %lld left, expected %lld", i,
                     got[i].stock, want[i].stock);
    }
}

Test(lua_gates, claims_are_admitted_up_to_the_quantity_then_sold_out)
{
    load_campaign("2", -60, 3600);
    const char *users[] = {"1", "2", "3"};
    struct answer got[3];
    claim(NULL, 3, users, got);
    assert_answers(got, (struct answer[]){{0, 1}, {0, 0}, {4, 0}}, 3);
}

Test(lua_gates, a_second_claim_by_the_same_user_is_refused_in_the_same_batch_or_a_later_one)
{
    load_campaign("5", -60, 3600);
    const char *users[] = {"1", "1"};
    struct answer got[2];
    claim(NULL, 2, users, got);
    assert_answers(got, (struct answer[]){{0, 4}, {3, 4}}, 2);
    claim(NULL, 1, users, got);
    assert_answers(got, (struct answer[]){{3, 4}}, 1);
}

Test(lua_gates, an_already_claimed_user_is_told_so_rather_than_sold_out)
{
    load_campaign("1", -60, 3600);
    const char *users[] = {"1", "2", "1"};
    struct answer got[3];
    claim(NULL, 3, users, got);
    assert_answers(got, (struct answer[]){{0, 0}, {4, 0}, {3, 0}}, 3);
}

Test(lua_gates, a_campaign_not_started_or_ended_admits_no_one)
{
    const char *users[] = {"1"};
    struct answer got[1];
    load_campaign("5", 3600, 7200);
    claim(NULL, 1, users, got);
    assert_answers(got, (struct answer[]){{1, 5}}, 1);
    redisReply *r = redis_cmd("HSET %s ends %lld", CMETA, (long long)time(NULL) - 1);
    freeReplyObject(r);
    r = redis_cmd("HSET %s starts %lld", CMETA, (long long)time(NULL) - 60);
    freeReplyObject(r);
    claim(NULL, 1, users, got);
    assert_answers(got, (struct answer[]){{2, 5}}, 1);
}

Test(lua_gates, a_campaign_not_loaded_answers_minus_one_and_a_missing_one_minus_two)
{
    const char *users[] = {"1", "2"};
    struct answer got[2];
    claim(NULL, 2, users, got);
    assert_answers(got, (struct answer[]){{-1, 0}, {-1, 0}}, 2);
    redisReply *r = redis_cmd("HSET %s missing 1", CMETA);
    freeReplyObject(r);
    claim(NULL, 2, users, got);
    assert_answers(got, (struct answer[]){{-2, 0}, {-2, 0}}, 2);
}

Test(lua_gates, a_batch_sent_again_with_its_id_gets_the_same_outcomes_and_counts_nothing_twice)
{
    load_campaign("2", -60, 3600);
    const char *users[] = {"1", "2", "3"};
    struct answer first[3], again[3];
    claim("b1", 3, users, first);
    claim("b1", 3, users, again);
    assert_answers(first, (struct answer[]){{0, 1}, {0, 0}, {4, 0}}, 3);
    assert_answers(again, (struct answer[]){{0, 0}, {0, 0}, {4, 0}}, 3);
    redisReply *r = redis_cmd("SCARD %s", CLAIMED);
    cr_assert_eq(r->integer, 2);
    freeReplyObject(r);
}

Test(lua_gates, the_batches_record_exists_from_the_load_on_so_a_moving_slot_finds_every_key)
{
    char s[32], e[32];
    const char *argv[] = {CMETA, CLAIMED, BATCHES, "2", epoch(s, -60), epoch(e, 3600)};
    cr_assert_eq(one("coupon_load", 3, 6, argv), 1);
    redisReply *r = redis_cmd("ZSCORE %s ~", BATCHES);
    cr_assert(r && r->type == REDIS_REPLY_STRING && !strcmp(r->str, "inf"), "kept in being");
    freeReplyObject(r);
    const char *users[] = {"1", "2"};
    struct answer got[2];
    claim("b2", 2, users, got);
    assert_answers(got, (struct answer[]){{0, 1}, {0, 0}}, 2);
    r = redis_cmd("ZCARD %s", BATCHES);
    cr_assert_eq(r->integer, 3, "the two admitted users and the member that keeps it");
    freeReplyObject(r);
}

Test(lua_gates, a_batch_record_past_its_time_lapses_and_the_key_stays)
{
    load_campaign("5", -60, 3600);
    redisReply *r = redis_cmd("ZADD %s 1 old:7", BATCHES);
    freeReplyObject(r);
    const char *users[] = {"8"};
    struct answer got[1];
    claim("b3", 1, users, got);
    r = redis_cmd("ZSCORE %s old:7", BATCHES);
    cr_assert_eq(r->type, REDIS_REPLY_NIL, "removed by the next run");
    freeReplyObject(r);
    r = redis_cmd("ZSCORE %s ~", BATCHES);
    cr_assert_eq(r->type, REDIS_REPLY_STRING, "a gate loaded without it is given the member");
    freeReplyObject(r);
}

/* --- redis_key and redis_run, the helpers the gates' callers use ------------------------- */

Test(lua_gates, redis_key_formats_a_name_held_by_value)
{
    cr_assert_str_eq(redis_key("{c:%lld}:%s", 42LL, "claimed").s, "{c:42}:claimed");
    cr_assert_str_eq(redis_key("{p:%lld}:%s", 9007199254740991LL, "stock").s,
                     "{p:9007199254740991}:stock");
}

Test(lua_gates, redis_run_answers_0_for_a_done_command_and_minus_1_for_an_error_reply)
{
    cr_assert_eq(redis_run("SET %s 7", redis_key("{p:%d}:stock", 5).s), 0);
    redisReply *r = redis_cmd("GET {p:5}:stock");
    cr_assert(r && r->type == REDIS_REPLY_STRING && !strcmp(r->str, "7"));
    freeReplyObject(r);
    /* INCRBY on a value that is not a number: Redis answers an error, which redis_run reports. */
    cr_assert_eq(redis_run("SET %s x", "{p:5}:stock"), 0);
    cr_assert_eq(redis_run("INCRBY %s 1", "{p:5}:stock"), -1);
}

Test(redis_key, a_name_that_does_not_fit_aborts_rather_than_being_cut, .signal = SIGABRT)
{
    char id[80];
    memset(id, '7', sizeof(id) - 1);
    id[sizeof(id) - 1] = '\0';
    redis_key("{c:%s}:claimed", id);
}
