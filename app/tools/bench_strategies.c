/* bench_strategies.c - `firstcome bench strategies`: the concurrency lab. One campaign per
 * strategy, K client processes with their own MySQL and Redis connections, M claims each;
 * measures throughput, latency, over-issue, duplicates and fairness, side by side. */
#include <getopt.h>
#include <signal.h>
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "core/clock.h"
#include "core/config.h"
#include "core/log.h"
#include "core/supervisor.h"
#include "core/text.h"
#include "domain/coupons.h"
#include "store/db.h"
#include "store/kafka.h"
#include "store/redis.h"
#include "tools/tools.h"

#define LOCK_WAIT_MS 5000 /* like Redisson's tryLock(waitTime, leaseTime) */
#define LOCK_LEASE_MS 3000

struct record {
    long long ticket; /* arrival order, taken as the claim starts */
    long long user;
    int issued;
    int failed; /* neither issued nor refused: an error the client saw */
    int latency_us;
    double end; /* clock_now() when the answer came (CLOCK_MONOTONIC: shared by all) */
};

struct shared {
    long long next_ticket;
    long long done;
    int go;
    struct record rec[];
};

struct run {
    const char *strategy;
    long long campaign; /* lab_campaigns.id, or coupons.id for the product's strategies */
    const long long *users;
    int nusers, clients, claims, quantity;
    struct shared *sh;
};

/* ---- the strategies: one claim each: 1 issued a coupon, 0 refused, -1 failed (a store error,
 * or the product's 5xx) ---- */

static json_t *campaign(long long c, bool lock)
{
    json_t *row = NULL;
    return db_query_row(&row,
                        lock ? "SELECT issued, total FROM lab_campaigns WHERE id = ? FOR UPDATE"
                             : "SELECT issued, total FROM lab_campaigns WHERE id = ?",
                        "i", c) == 1
               ? row
               : NULL;
}

/* How many coupons of campaign c user u holds, or -1. */
static long long held(long long c, long long u)
{
    json_t *row = NULL;
    return db_query_row(
               &row, "SELECT COUNT(*) AS n FROM lab_issues WHERE campaign_id = ? AND user_id = ?",
               "ii", c, u) == 1
               ? json_integer_value(json_object_get(row, "n"))
               : -1;
}

/* Read, check, write: what a plain service with an ORM does. Races on both checks. */
static int naive(long long c, long long u)
{
    json_t *camp = campaign(c, false);
    if (!camp)
        return -1;
    long long issued = json_integer_value(json_object_get(camp, "issued"));
    if (issued >= json_integer_value(json_object_get(camp, "total")))
        return 0;
    long long h = held(c, u);
    if (h != 0)
        return h < 0 ? -1 : 0;
    if (db_exec("INSERT INTO lab_issues (campaign_id, user_id) VALUES (?, ?)", "ii", c, u) < 0 ||
        db_exec("UPDATE lab_campaigns SET issued = ? WHERE id = ?", "ii", issued + 1, c) < 0)
        return -1;
    return 1;
}

static int for_update(long long c, long long u)
{
    if (db_begin() < 0)
        return -1;
    json_t *camp = campaign(c, true);
    long long h = camp ? held(c, u) : -1;
    int ok = h == 0 && json_integer_value(json_object_get(camp, "issued")) <
                           json_integer_value(json_object_get(camp, "total"));
    if (h < 0 ||
        (ok &&
         (db_exec("INSERT INTO lab_issues (campaign_id, user_id) VALUES (?, ?)", "ii", c, u) < 0 ||
          db_exec("UPDATE lab_campaigns SET issued = issued + 1 WHERE id = ?", "i", c) < 0))) {
        db_rollback();
        return -1;
    }
    return db_commit() < 0 ? -1 : ok;
}

static int conditional_update(long long c, long long u)
{
    if (db_begin() < 0)
        return -1;
    /* The guarded update takes the campaign row's lock, so the holder check after it is
     * serialised per campaign too. */
    long long n = db_exec(
        "UPDATE lab_campaigns SET issued = issued + 1 WHERE id = ? AND issued < total", "i", c);
    long long h = n == 1 ? held(c, u) : 0;
    if (n != 1 || h != 0) {
        db_rollback();
        return n < 0 || h < 0 ? -1 : 0;
    }
    if (db_exec("INSERT INTO lab_issues (campaign_id, user_id) VALUES (?, ?)", "ii", c, u) < 0) {
        db_rollback();
        return -1;
    }
    return db_commit() < 0 ? -1 : 1;
}

/* A Redis lock with a wait time, a lease and an owner token around the naive critical section. */
static int redis_lock(long long c, long long u)
{
    char key[64], token[33];
    unsigned char raw[16];
    snprintf(key, sizeof(key), "lab:lock:{c:%lld}", c);
    randombytes_buf(raw, sizeof(raw));
    sodium_bin2hex(token, sizeof(token), raw, sizeof(raw));
    double deadline = clock_now() + LOCK_WAIT_MS / 1000.0;
    for (;;) {
        redisReply *r = redis_cmd("SET %s %s NX PX %d", key, token, LOCK_LEASE_MS);
        int got = r && r->type == REDIS_REPLY_STATUS;
        if (r)
            freeReplyObject(r);
        if (got)
            break;
        if (clock_now() > deadline)
            return 0; /* gave up waiting: refused */
        usleep(1000);
    }
    int rc = naive(c, u);
    const char *argv[2] = {key, token};
    redisReply *r = redis_script("lock_release", 1, 2, argv);
    if (r)
        freeReplyObject(r);
    return rc;
}

/* The product's own path (app/domain/coupons.c), in the issue mode the strategy names. */
static int product_claim(long long c, long long u)
{
    struct arena a;
    arena_init(&a, 8 * 1024);
    json_use_arena(&a);
    struct principal p = {.id = u, .verified = true};
    struct claim out;
    struct err e;
    int rc = coupon_claim(&a, c, &p, "lab", NULL, &out, &e) == 0 ? 1 : (e.status >= 500 ? -1 : 0);
    kafka_poll();
    json_use_arena(NULL);
    arena_free(&a);
    return rc;
}

static const struct {
    const char *name;
    int (*claim)(long long c, long long u);
    bool product; /* runs on coupons/user_coupons, not the lab tables */
} strategies[] = {
    {"naive", naive, false},
    {"mysql_for_update", for_update, false},
    {"mysql_conditional_update", conditional_update, false},
    {"redis_lock", redis_lock, false},
    {"redis_lua_sync", product_claim, true},
    {"redis_lua_kafka", product_claim, true},
};
#define NSTRATEGIES ((int)(sizeof(strategies) / sizeof(strategies[0])))

/* ---- one client process ---- */

static int client(const struct run *rn, int k, int (*claim)(long long, long long))
{
    char err[512];
    if (db_connect(err, sizeof(err)) < 0 || redis_connect(err, sizeof(err)) < 0 ||
        (!strcmp(rn->strategy, "redis_lua_kafka") && kafka_producer_open(err, sizeof(err)) < 0)) {
        log_error("client %d: %s", k, err);
        return 1;
    }
    while (!__atomic_load_n(&rn->sh->go, __ATOMIC_ACQUIRE))
        usleep(100);
    for (int j = 0; j < rn->claims; j++) {
        /* Spread so that every user arrives about twice, from different clients. */
        long long idx = ((long long)k * rn->claims + j) * 7919 % rn->nusers;
        struct record *r = &rn->sh->rec[k * rn->claims + j];
        r->user = rn->users[idx];
        double t0 = clock_now();
        r->ticket = __atomic_fetch_add(&rn->sh->next_ticket, 1, __ATOMIC_SEQ_CST);
        int rc = claim(rn->campaign, r->user);
        r->issued = rc == 1;
        r->failed = rc < 0;
        r->end = clock_now();
        r->latency_us = (int)((r->end - t0) * 1e6);
        __atomic_add_fetch(&rn->sh->done, 1, __ATOMIC_RELAXED);
    }
    kafka_flush(10000);
    kafka_producer_close();
    return 0;
}

/* ---- measuring ---- */

/* A bar redrawn in place (on a terminal; a log gets only the finished line). */
static void progress(const char *name, long long done, long long total)
{
    int width = 30, fill = total ? (int)(done * width / total) : width;
    fprintf(stderr, "\r  %-26s [%.*s%*s] %lld/%lld", name, fill, "##############################",
            width - fill, "", done, total);
}

static int cmp_int(const void *a, const void *b)
{
    return *(const int *)a - *(const int *)b;
}

static int cmp_ticket(const void *a, const void *b)
{
    long long x = ((const struct record *)a)->ticket, y = ((const struct record *)b)->ticket;
    return (x > y) - (x < y);
}

/* Winners that are among the first `quantity` distinct users to arrive, over the winners. */
static double fairness(struct record *rec, int n, int quantity)
{
    qsort(rec, (size_t)n, sizeof(*rec), cmp_ticket);
    long long *first = calloc((size_t)quantity, sizeof(*first));
    int nfirst = 0, winners = 0, fair = 0;
    for (int i = 0; i < n && nfirst < quantity; i++) {
        int seen = 0;
        for (int k = 0; k < nfirst && !seen; k++)
            seen = first[k] == rec[i].user;
        if (!seen)
            first[nfirst++] = rec[i].user;
    }
    for (int i = 0; i < n; i++) {
        if (!rec[i].issued)
            continue;
        winners++;
        for (int k = 0; k < nfirst; k++)
            if (first[k] == rec[i].user) {
                fair++;
                break;
            }
    }
    free(first);
    return winners ? (double)fair / winners : 1.0;
}

static long long count(const char *sql, long long c)
{
    json_t *row;
    return db_query_row(&row, sql, "i", c) == 1 ? json_integer_value(json_object_get(row, "n"))
                                                : -1;
}

static json_t *measure(struct run *rn, int s)
{
    int n = rn->clients * rn->claims;
    memset(rn->sh, 0, sizeof(*rn->sh) + (size_t)n * sizeof(struct record));
    pid_t *pids = calloc((size_t)rn->clients, sizeof(pid_t));
    for (int k = 0; k < rn->clients; k++) {
        pids[k] = fork();
        if (pids[k] == 0)
            _exit(client(rn, k, strategies[s].claim));
    }
    sleep(1); /* every client connected and waiting at the line */
    double t0 = clock_now();
    __atomic_store_n(&rn->sh->go, 1, __ATOMIC_RELEASE);
    for (;;) {
        long long done = __atomic_load_n(&rn->sh->done, __ATOMIC_RELAXED);
        if (isatty(STDERR_FILENO))
            progress(rn->strategy, done, n);
        int status, alive = 0;
        for (int k = 0; k < rn->clients; k++)
            if (pids[k] > 0 && waitpid(pids[k], &status, WNOHANG) == 0)
                alive++;
            else
                pids[k] = -1;
        if (!alive)
            break;
        usleep(20 * 1000);
    }
    long long accepted = 0, failed = 0;
    double last = t0;
    for (int i = 0; i < n; i++) {
        accepted += rn->sh->rec[i].issued;
        failed += rn->sh->rec[i].failed;
        if (rn->sh->rec[i].end > last)
            last = rn->sh->rec[i].end;
    }
    const char *rows_sql = strategies[s].product
                               ? "SELECT COUNT(*) AS n FROM user_coupons WHERE coupon_id = ?"
                               : "SELECT COUNT(*) AS n FROM lab_issues WHERE campaign_id = ?";
    /* The kafka mode is measured until its worker has written everything it accepted. */
    bool kafka = !strcmp(rn->strategy, "redis_lua_kafka");
    while (kafka && count(rows_sql, rn->campaign) < accepted && clock_now() - t0 < 120)
        usleep(2 * 1000);
    double seconds = (kafka ? clock_now() : last) - t0;
    progress(rn->strategy, n, n);
    fputc('\n', stderr);
    long long issued = count(rows_sql, rn->campaign);
    long long dups = count(
        strategies[s].product
            ? "SELECT COUNT(*) AS n FROM (SELECT user_id FROM user_coupons WHERE coupon_id = ?"
              " GROUP BY user_id HAVING COUNT(*) > 1) d"
            : "SELECT COUNT(*) AS n FROM (SELECT user_id FROM lab_issues WHERE campaign_id = ?"
              " GROUP BY user_id HAVING COUNT(*) > 1) d",
        rn->campaign);
    int *lat = malloc((size_t)n * sizeof(int));
    for (int i = 0; i < n; i++)
        lat[i] = rn->sh->rec[i].latency_us;
    qsort(lat, (size_t)n, sizeof(int), cmp_int);
    json_t *out = json_pack("{s:s, s:i, s:f, s:f, s:f, s:f, s:f, s:I, s:i, s:I, s:I, s:I, s:f}",
                            "strategy", rn->strategy, "requests", n, "seconds", seconds,
                            "throughput", n / seconds, "p50_ms", lat[n / 2] / 1000.0, "p95_ms",
                            lat[n * 95 / 100] / 1000.0, "p99_ms", lat[n * 99 / 100] / 1000.0,
                            "issued", (json_int_t)issued, "quantity", rn->quantity, "oversold",
                            (json_int_t)(issued > rn->quantity ? issued - rn->quantity : 0),
                            "duplicates", (json_int_t)dups, "errors", (json_int_t)failed,
                            "fairness", fairness(rn->sh->rec, n, rn->quantity));
    free(lat);
    free(pids);
    return out;
}

/* ---- setup ---- */

/* Users the product's strategies claim for (real rows: user_coupons refers to users). */
static long long *lab_users(int n, const char *tag)
{
    char hash[crypto_pwhash_STRBYTES], pw[33];
    unsigned char raw[16];
    randombytes_buf(raw, sizeof(raw));
    sodium_bin2hex(pw, sizeof(pw), raw, sizeof(raw)); /* nobody logs in as a lab user */
    if (crypto_pwhash_str(hash, pw, strlen(pw), 1, 8192 * 1024) != 0 || db_begin() < 0)
        return NULL;
    long long *ids = calloc((size_t)n, sizeof(*ids));
    for (int i = 0; i < n; i++) {
        char email[128];
        snprintf(email, sizeof(email), "lab-%s-%d@example.com", tag, i);
        if (db_exec(
                "INSERT INTO users (email, password_hash, name, verified) VALUES (?, ?, 'lab', 1)",
                "ss", email, hash) < 0) {
            db_rollback();
            free(ids);
            return NULL;
        }
        ids[i] = db_insert_id();
    }
    return db_commit() < 0 ? (free(ids), NULL) : ids;
}

static long long new_campaign(struct arena *a, int s, int quantity, const char *tag)
{
    if (!strategies[s].product)
        return db_exec("INSERT INTO lab_campaigns (strategy, total) VALUES (?, ?)", "si",
                       strategies[s].name, (long long)quantity) < 0
                   ? -1
                   : db_insert_id();
    json_t *v;
    if (db_exec("INSERT IGNORE INTO vendors (name) VALUES ('Concurrency lab')", "") < 0 ||
        db_query_row(&v, "SELECT id FROM vendors WHERE name = 'Concurrency lab'", "") != 1)
        return -1;
    /* Created as an admin creates one, so the gate is loaded before the first claim, as in the
     * shop: a campaign the gate has never seen is a restore, which kafka mode serializes. */
    char starts[21], ends[21];
    format_iso_time(time(NULL) - 60, starts);
    format_iso_time(time(NULL) + 86400, ends);
    json_t *body =
        json_pack("{s:O, s:s, s:s, s:i, s:i, s:s, s:s}", "vendor_id", json_object_get(v, "id"),
                  "name", arena_sprintf(a, "Lab %s %s", tag, strategies[s].name), "type", "fixed",
                  "value", 100, "total_quantity", quantity, "starts_at", starts, "ends_at", ends);
    struct err e;
    json_t *c = coupon_create(a, body, &e);
    if (!c) {
        log_error("the %s campaign: %s", strategies[s].name, e.msg);
        return -1;
    }
    return json_integer_value(json_object_get(c, "id"));
}

static void print_table(json_t *results)
{
    printf("\n%-26s %8s %8s %9s %8s %8s %8s %7s %8s %6s %6s %9s\n", "strategy", "requests",
           "seconds", "claims/s", "p50 ms", "p95 ms", "p99 ms", "issued", "oversold", "dups",
           "errors", "fairness");
    size_t i;
    json_t *r;
    json_array_foreach(results, i, r)
        printf("%-26s %8lld %8.2f %9.0f %8.2f %8.2f %8.2f %4lld/%-3lld %8lld %6lld %6lld %9.2f\n",
               json_string_value(json_object_get(r, "strategy")),
               (long long)json_integer_value(json_object_get(r, "requests")),
               json_real_value(json_object_get(r, "seconds")),
               json_real_value(json_object_get(r, "throughput")),
               json_real_value(json_object_get(r, "p50_ms")),
               json_real_value(json_object_get(r, "p95_ms")),
               json_real_value(json_object_get(r, "p99_ms")),
               (long long)json_integer_value(json_object_get(r, "issued")),
               (long long)json_integer_value(json_object_get(r, "quantity")),
               (long long)json_integer_value(json_object_get(r, "oversold")),
               (long long)json_integer_value(json_object_get(r, "duplicates")),
               (long long)json_integer_value(json_object_get(r, "errors")),
               json_real_value(json_object_get(r, "fairness")));
}

static int usage(void)
{
    fprintf(stderr, "usage: firstcome bench strategies [--clients K] [--claims M] [--quantity Q]"
                    " [--only NAME[,NAME]]\nstrategies:");
    for (int s = 0; s < NSTRATEGIES; s++)
        fprintf(stderr, " %s", strategies[s].name);
    fprintf(stderr, "\nResults: $STATE_DIR/bench/strategies.json\n"
                    "       firstcome bench room --help: a waiting room under a burst\n");
    return 2;
}

int bench_main(int argc, char **argv)
{
    static const struct option opts[] = {{"clients", required_argument, 0, 'k'},
                                         {"claims", required_argument, 0, 'm'},
                                         {"quantity", required_argument, 0, 'q'},
                                         {"only", required_argument, 0, 'o'},
                                         {0, 0, 0, 0}};
    int clients = 32, claims = 200, quantity = 500;
    const char *only = NULL;
    if (argc >= 2 && strcmp(argv[1], "room") == 0)
        return bench_room_main(argc - 1, argv + 1);
    if (argc < 2 || strcmp(argv[1], "strategies") != 0)
        return usage();
    argc--, argv++;
    optind = 1;
    for (int c; (c = getopt_long(argc, argv, "", opts, NULL)) != -1;) {
        if (c == 'k')
            clients = atoi(optarg);
        else if (c == 'm')
            claims = atoi(optarg);
        else if (c == 'q')
            quantity = atoi(optarg);
        else if (c == 'o')
            only = optarg;
        else
            return usage();
    }
    if (clients < 1 || clients > 256 || claims < 1 || claims > 100000 || quantity < 1)
        return usage();
    struct arena a;
    if (tool_begin("bench", &a, TOOL_DB | TOOL_REDIS) < 0)
        return 1;
    log_set_level("warn"); /* the progress bars are the output */
    cfg.rate_limits = 0;   /* the lab measures the strategies, not the limiter */
    char tag[9];
    unsigned char raw[4];
    randombytes_buf(raw, sizeof(raw));
    sodium_bin2hex(tag, sizeof(tag), raw, sizeof(raw));
    struct run rn = {.clients = clients, .claims = claims, .quantity = quantity};
    int n = clients * claims;
    /* Every user arrives about twice: a double claim is tried, and the quantity is contested. */
    rn.nusers = n / 2 > quantity ? n / 2 : quantity + 1;
    rn.users = lab_users(rn.nusers, tag);
    rn.sh = mmap(NULL, sizeof(struct shared) + (size_t)n * sizeof(struct record),
                 PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
    if (!rn.users || rn.sh == MAP_FAILED) {
        log_error("lab setup failed: %s", db_error());
        return 1;
    }
    fprintf(stderr, "concurrency lab: %d clients x %d claims, campaigns of %d, %d users\n", clients,
            claims, quantity, rn.nusers);
    json_t *results = json_array();
    for (int s = 0; s < NSTRATEGIES; s++) {
        if (only && !strstr(only, strategies[s].name))
            continue;
        rn.strategy = strategies[s].name;
        cfg.coupon_issue_mode = !strcmp(rn.strategy, "redis_lua_kafka") ? "kafka" : "sync";
        if ((rn.campaign = new_campaign(&a, s, quantity, tag)) < 0) {
            log_error("cannot create the %s campaign: %s", rn.strategy, db_error());
            return 1;
        }
        db_close(); /* no connection crosses fork */
        redis_close();
        json_array_append_new(results, measure(&rn, s));
        char err[256];
        if (db_connect(err, sizeof(err)) < 0 || redis_connect(err, sizeof(err)) < 0)
            return 1;
    }
    print_table(results);
    char dir[4096], path[4200];
    snprintf(dir, sizeof(dir), "%s/bench", cfg.state_dir);
    mkdir(dir, 0755);
    snprintf(path, sizeof(path), "%s/strategies.json", dir);
    if (json_dump_file(results, path, JSON_INDENT(2)) != 0) {
        log_error("cannot write %s", path);
        return 1;
    }
    printf("\nresults: %s\n", path);
    fflush(stdout);
    /* The SVG charts and the HTML report beside it (bench/report.py, Python's standard library). */
    char script[4200];
    snprintf(script, sizeof(script), "%s/bench/report.py", cfg.app_root);
    pid_t pid = access(script, R_OK) == 0 ? fork() : -1;
    if (pid == 0) {
        execl("/usr/bin/python3", "python3", script, dir, (char *)NULL);
        _exit(127);
    }
    if (pid > 0)
        waitpid(pid, NULL, 0);
    return 0;
}
