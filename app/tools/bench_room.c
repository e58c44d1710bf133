/* bench_room.c - `firstcome bench room`: a waiting room under a burst of people. The people are
 * made in bulk (one INSERT ... SELECT over MariaDB's sequence engine, one password hash for all)
 * and their access tokens signed here, as the product signs them. A share of them join in a
 * burst (wrk) before the start and are shuffled at it; the rest join in a burst at the start
 * while the rooms worker admits people at the room's rate. The room's counters are sampled from
 * Redis every 100 ms and /livez is measured beside each burst. Afterwards every place is read
 * back and checked: one each, the pre-queue shuffled, the rest in arrival order, nobody admitted
 * twice, admissions at the rate. Results: $STATE_DIR/bench/room.json. */
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <libgen.h>
#include <math.h>
#include <signal.h>
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/time.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "core/config.h"
#include "core/log.h"
#include "core/text.h"
#include "domain/coupons.h"
#include "domain/rooms.h"
#include "domain/tokens.h"
#include "store/db.h"
#include "store/redis.h"
#include "tools/tools.h"

#define SAMPLE_SECONDS 0.1
#define LIVEZ_CONNECTIONS 4 /* the probe beside each burst: one wrk thread, a few connections */

struct opts {
    long long people, rate;
    int prequeue_pct, connections, threads;
};

/* One look at the room: seconds since the tool started, the highest ticket admitted, the last
 * ticket given, people in the pre-queue. */
struct sample {
    double t, wall;
    long long admitted, issued, prequeue;
};

static struct {
    struct sample *at;
    size_t n, cap;
} samples;

static double t_begin; /* wall clock at the start */

static double wall_now(void)
{
    struct timeval tv;
    gettimeofday(&tv, NULL);
    return (double)tv.tv_sec + tv.tv_usec / 1e6;
}

static const char *room_key(struct arena *a, long long room, const char *name)
{
    return arena_sprintf(a, "{r:%lld}:%s", room, name);
}

static long long reply_number(const redisReply *r)
{
    if (!r)
        return -1;
    if (r->type == REDIS_REPLY_INTEGER)
        return r->integer;
    if (r->type == REDIS_REPLY_STRING)
        return atoll(r->str);
    return 0; /* nil: not set yet */
}

static void sample(struct arena *a, long long room)
{
    redisReply *m = redis_cmd("MGET %s %s", room_key(a, room, "serving"),
                              room_key(a, room, "issued")),
               *p = redis_cmd("SCARD %s", room_key(a, room, "pre"));
    double now = wall_now();
    if (m && m->type == REDIS_REPLY_ARRAY && m->elements == 2 && p) {
        if (samples.n == samples.cap) {
            samples.cap = samples.cap ? samples.cap * 2 : 4096;
            samples.at = realloc(samples.at, samples.cap * sizeof(*samples.at));
        }
        samples.at[samples.n++] = (struct sample){.t = now - t_begin,
                                                  .wall = now,
                                                  .admitted = reply_number(m->element[0]),
                                                  .issued = reply_number(m->element[1]),
                                                  .prequeue = reply_number(p)};
    }
    if (m)
        freeReplyObject(m);
    if (p)
        freeReplyObject(p);
}

/* Sleeps to the next multiple of SAMPLE_SECONDS since the start, then samples. */
static void tick(struct arena *a, long long room)
{
    double now = wall_now() - t_begin;
    double next = (floor(now / SAMPLE_SECONDS) + 1) * SAMPLE_SECONDS;
    struct timespec ts = {.tv_sec = (time_t)(next - now),
                          .tv_nsec = (long)(fmod(next - now, 1.0) * 1e9)};
    nanosleep(&ts, NULL);
    sample(a, room);
}

/* The people: made in one statement, their ids in the order made. */
static long long *make_people(struct arena *a, long long n, const char *tag)
{
    char hash[crypto_pwhash_STRBYTES], pw[33];
    unsigned char raw[16];
    randombytes_buf(raw, sizeof(raw));
    sodium_bin2hex(pw, sizeof(pw), raw, sizeof(raw)); /* nobody logs in: their tokens are signed */
    if (crypto_pwhash_str(hash, pw, strlen(pw), 1, 8192 * 1024) != 0)
        return NULL;
    const char *prefix = arena_sprintf(a, "room-%s-", tag);
    /* The count is ours, a number: the sequence table's name carries it. */
    const char *sql = arena_sprintf(a,
                                    "INSERT INTO users (email, password_hash, name, verified)"
                                    " SELECT CONCAT(?, seq, '@example.com'), ?,"
                                    " CONCAT('Room bench ', seq), 1 FROM seq_1_to_%lld",
                                    n);
    if (db_exec(sql, "ss", prefix, hash) != n)
        return NULL;
    json_t *rows = db_query("SELECT id FROM users WHERE email LIKE ? ORDER BY id", "s",
                            arena_sprintf(a, "%s%%", prefix)),
           *row;
    if (!rows || (long long)json_array_size(rows) != n)
        return NULL;
    long long *ids = calloc((size_t)n, sizeof(*ids));
    size_t i;
    json_array_foreach(rows, i, row) ids[i] = json_integer_value(json_object_get(row, "id"));
    return ids;
}

/* A campaign starting `lead` seconds from now, and its room. The room's id, or -1. */
static long long make_room(struct arena *a, const struct opts *o, int lead, const char *tag)
{
    json_t *v;
    if (db_exec("INSERT IGNORE INTO vendors (name) VALUES ('Waiting room bench')", "") < 0 ||
        db_query_row(&v, "SELECT id FROM vendors WHERE name = 'Waiting room bench'", "") != 1)
        return -1;
    char starts[21], ends[21];
    format_iso_time(time(NULL) + lead, starts);
    format_iso_time(time(NULL) + lead + 86400, ends);
    struct err e;
    json_t *c = coupon_create(
        a,
        json_pack("{s:O, s:s, s:s, s:i, s:i, s:s, s:s}", "vendor_id", json_object_get(v, "id"),
                  "name", arena_sprintf(a, "Room bench %s", tag), "type", "fixed", "value", 1000,
                  "total_quantity", 100, "starts_at", starts, "ends_at", ends),
        &e);
    json_t *room =
        c ? room_create(a,
                        json_pack("{s:s, s:O, s:I, s:i, s:i}", "item", "campaign", "item_id",
                                  json_object_get(c, "id"), "rate", (json_int_t)o->rate,
                                  "pass_seconds", 300, "prequeue_seconds", lead + 60),
                        &e)
          : NULL;
    if (!room) {
        log_error("the bench's room: %s", e.msg);
        return -1;
    }
    return json_integer_value(json_object_get(room, "id"));
}

/* The tokens of people [from, to) into path: the room's id on the first line, then one token
 * a line, in that order (in the arena: about 400 bytes each). */
static int write_tokens(struct arena *a, const char *path, long long room, const long long *ids,
                        long long from, long long to, const char *tag)
{
    FILE *f = fopen(path, "w");
    if (!f)
        return -1;
    fprintf(f, "%lld\n", room);
    time_t now = time(NULL);
    for (long long k = from; k < to; k++) {
        struct principal p = {.id = ids[k], .verified = true};
        snprintf(p.role, sizeof(p.role), "user");
        snprintf(p.family, sizeof(p.family), "bench%s", tag);
        p.email = arena_sprintf(a, "room-%s-%lld@example.com", tag, k + 1);
        p.name = "Room bench";
        const char *t = access_token_issue(a, &p, now);
        if (!t) {
            fclose(f);
            return -1;
        }
        fprintf(f, "%s\n", t);
    }
    return fclose(f) == 0 ? 0 : -1;
}

static char bench_dir[4096]; /* the repository's bench/ */
static char out_dir[4096];   /* $STATE_DIR/bench */

/* dst = the two files one after the other (a request script with the report appended). */
static int join_files(const char *dst, const char *a_path, const char *b_path)
{
    FILE *out = fopen(dst, "w");
    if (!out)
        return -1;
    const char *srcs[2] = {a_path, b_path};
    for (int i = 0; i < 2; i++) {
        FILE *in = fopen(srcs[i], "r");
        if (!in) {
            fclose(out);
            return -1;
        }
        char buf[8192];
        size_t n;
        while ((n = fread(buf, 1, sizeof(buf), in)) > 0)
            fwrite(buf, 1, n, out);
        fclose(in);
    }
    return fclose(out) == 0 ? 0 : -1;
}

/* wrk in the background, its output in out; its pid, or -1. */
static pid_t wrk(const char *out, const char *script, const char *path, int threads,
                 int connections, const char *seconds)
{
    char t[16], c[16], url[128];
    snprintf(t, sizeof(t), "%d", threads);
    snprintf(c, sizeof(c), "%d", connections);
    snprintf(url, sizeof(url), "http://127.0.0.1:%d%s", cfg.http_port, path);
    pid_t pid = fork();
    if (pid == 0) {
        int fd = open(out, O_WRONLY | O_CREAT | O_TRUNC, 0644);
        if (fd < 0)
            _exit(127);
        dup2(fd, 1);
        dup2(fd, 2);
        setenv("BENCH_THREADS", t, 1);
        execlp("wrk", "wrk", "-t", t, "-c", c, "-d", seconds, "--timeout", "60s", "--latency", "-s",
               script, url, (char *)NULL);
        _exit(127);
    }
    return pid;
}

/* wrk's report line (bench/report.lua) from its output, as JSON; NULL when it has none. */
static json_t *wrk_result(const char *out)
{
    FILE *f = fopen(out, "r");
    if (!f)
        return NULL;
    char line[512];
    json_t *r = NULL;
    while (fgets(line, sizeof(line), f)) {
        long long requests, errors, non2xx, next;
        double seconds, p50, p99, p999;
        if (sscanf(line,
                   "BENCH requests=%lld seconds=%lf errors=%lld non2xx=%lld p50=%lf p99=%lf "
                   "p999=%lf next=%lld",
                   &requests, &seconds, &errors, &non2xx, &p50, &p99, &p999, &next) == 8)
            r = json_pack("{s:I, s:f, s:f, s:I, s:I, s:f, s:f}", "requests", (json_int_t)requests,
                          "seconds", seconds, "rps", seconds > 0 ? requests / seconds : 0.0,
                          "errors", (json_int_t)errors, "non2xx", (json_int_t)non2xx, "p50_ms", p50,
                          "p99_ms", p99);
    }
    fclose(f);
    return r;
}

/* One burst: the people of tokens join while /livez is probed beside them, sampling the room
 * all along, until the room holds `until` people (or nobody joined for ten seconds). wrk's
 * threads stop once their people are answered, but wrk itself waits out its duration: it is
 * told to report (SIGINT) when the room is full. Sets *joins and *livez to the two reports. */
static int burst(struct arena *a, long long room, const char *name, const char *tokens,
                 long long until, int threads, int connections, json_t **joins, json_t **livez)
{
    char script[4200], src[4200], report[4200], jout[4200], lout[4200];
    snprintf(script, sizeof(script), "%s/room_join.lua", out_dir);
    snprintf(src, sizeof(src), "%s/room_join.lua", bench_dir);
    snprintf(report, sizeof(report), "%s/report.lua", bench_dir);
    snprintf(jout, sizeof(jout), "%s/room-%s.txt", out_dir, name);
    snprintf(lout, sizeof(lout), "%s/room-%s-livez.txt", out_dir, name);
    if (join_files(script, src, report) < 0)
        return -1;
    setenv("BENCH_ROOM_TOKENS", tokens, 1);
    sample(a, room); /* who is in before the burst */
    long long first =
        samples.n ? samples.at[samples.n - 1].issued + samples.at[samples.n - 1].prequeue : 0;
    pid_t lz = wrk(lout, report, "/livez", 1, LIVEZ_CONNECTIONS, "600s");
    pid_t jn = wrk(jout, script, "/api/v1/rooms/0/join", threads, connections, "600s");
    if (lz < 0 || jn < 0)
        return -1;
    double began = wall_now(), moved = began, full = 0;
    long long had = -1;
    for (;;) {
        tick(a, room);
        const struct sample *s = samples.n ? &samples.at[samples.n - 1] : NULL;
        long long in = s ? s->issued + s->prequeue : 0;
        if (in >= until) {
            full = wall_now(); /* the last answers are on their way: a few ticks for them */
            for (int k = 0; k < 3; k++)
                tick(a, room);
            break;
        }
        if (waitpid(jn, NULL, WNOHANG) != 0)
            break;
        if (in != had)
            had = in, moved = wall_now();
        else if (wall_now() - moved > 10) {
            printf("  the %s burst stopped at %lld people in the room of %lld\n", name, in, until);
            break;
        }
    }
    kill(jn, SIGINT);
    kill(lz, SIGINT);
    waitpid(jn, NULL, 0);
    waitpid(lz, NULL, 0);
    *joins = wrk_result(jout);
    *livez = wrk_result(lout);
    if (!*joins || !*livez) {
        log_error("wrk gave no report: see %s and %s", jout, lout);
        return -1;
    }
    /* The joins' pace is the room's: people in it over the time they took to get in (wrk's
     * count holds the looks of connections that had nobody left to send). */
    json_object_del(*joins, "rps");
    json_object_del(*joins, "requests");
    json_object_del(*joins, "seconds");
    json_object_set_new(*joins, "people", json_integer(until - first));
    json_object_set_new(*joins, "seconds", json_real(full > 0 ? full - began : 0));
    json_object_set_new(*joins, "people_per_second",
                        json_real(full > began ? (double)(until - first) / (full - began) : 0));
    return 0;
}

/* Pearson's correlation of x and y (on ranks: Spearman's). */
static double correlation(const double *x, const double *y, long long n)
{
    double mx = 0, my = 0, sxy = 0, sxx = 0, syy = 0;
    for (long long i = 0; i < n; i++)
        mx += x[i], my += y[i];
    mx /= (double)n, my /= (double)n;
    for (long long i = 0; i < n; i++) {
        sxy += (x[i] - mx) * (y[i] - my);
        sxx += (x[i] - mx) * (x[i] - mx);
        syy += (y[i] - my) * (y[i] - my);
    }
    return sxx > 0 && syy > 0 ? sxy / sqrt(sxx * syy) : 0;
}

struct placed {
    long long ticket, arrival;
};

static int by_ticket(const void *a, const void *b)
{
    long long x = ((const struct placed *)a)->ticket, y = ((const struct placed *)b)->ticket;
    return (x > y) - (x < y);
}

/* How the people of [from, to) (in arrival order) were placed: the correlation of arrival and
 * ticket, the largest distance between a person's rank by ticket and by arrival, and the share
 * of the first tenth to arrive who hold a ticket among the group's first tenth. */
static json_t *order_of(const long long *ticket, long long from, long long to)
{
    long long n = to - from;
    if (n < 10)
        return json_null();
    struct placed *p = calloc((size_t)n, sizeof(*p));
    double *x = calloc((size_t)n, sizeof(*x)), *y = calloc((size_t)n, sizeof(*y));
    for (long long k = 0; k < n; k++)
        p[k] = (struct placed){.ticket = ticket[from + k], .arrival = k};
    qsort(p, (size_t)n, sizeof(*p), by_ticket);
    long long far = 0, tenth = n / 10, early_early = 0;
    for (long long r = 0; r < n; r++) {
        x[r] = (double)p[r].arrival, y[r] = (double)r;
        long long d = llabs(p[r].arrival - r);
        far = d > far ? d : far;
        if (r < tenth && p[r].arrival < tenth)
            early_early++;
    }
    json_t *o = json_pack("{s:f, s:I, s:f}", "correlation", correlation(x, y, n),
                          "max_displacement", (json_int_t)far, "first_tenth_kept",
                          tenth ? (double)early_early / (double)tenth : 0.0);
    free(p), free(x), free(y);
    return o;
}

/* The largest distance between a person's place and their turn among those one wrk thread sent
 * (thread t of `threads` sends every threads-th person of [from, to) from the t-th on, in that
 * order): only requests in flight at the same time, on the thread's connections, can pass each
 * other, so first come, first served means a distance below the connections of a thread. */
static long long thread_displacement(const long long *ticket, long long from, long long to,
                                     int threads)
{
    long long far = 0;
    struct placed *p = calloc((size_t)(to - from) / (size_t)threads + 1, sizeof(*p));
    for (int t = 0; t < threads; t++) {
        long long m = 0;
        for (long long k = from + t; k < to; k += threads, m++)
            p[m] = (struct placed){.ticket = ticket[k], .arrival = m};
        qsort(p, (size_t)m, sizeof(*p), by_ticket);
        for (long long r = 0; r < m; r++)
            far = llabs(p[r].arrival - r) > far ? llabs(p[r].arrival - r) : far;
    }
    free(p);
    return far;
}

/* The stretches the rooms worker admitted (each tick: the last ticket let in, and when) and
 * what they say of the rate: over every second between ticks while people were waiting. */
static json_t *admissions(struct arena *a, long long room, const struct opts *o, long long people)
{
    redisReply *z = redis_cmd("ZRANGE %s 0 -1", room_key(a, room, "stretches"));
    if (!z || z->type != REDIS_REPLY_ARRAY)
        return json_null();
    size_t n = z->elements;
    double *t = calloc(n + 1, sizeof(*t));
    long long *target = calloc(n + 1, sizeof(*target)), steps_back = 0;
    for (size_t i = 0; i < n; i++) {
        target[i] = atoll(z->element[i]->str);
        const char *colon = strchr(z->element[i]->str, ':');
        t[i] = colon ? atof(colon + 1) : 0;
        if (i > 0 && (target[i] <= target[i - 1] || t[i] < t[i - 1]))
            steps_back++;
    }
    freeReplyObject(z);
    double lo = INFINITY, hi = 0, sum = 0;
    long long windows = 0, within = 0;
    size_t j = 0, s = 0;
    for (size_t i = 0; i < n; i++) {
        while (j < n && t[j] < t[i] + 1.0)
            j++;
        if (j >= n || target[j] >= people)
            break; /* the last second drains the room: fewer waited than the rate */
        /* Only windows where someone waited throughout (the samples say): a queue that ran dry
         * admits fewer than the rate because nobody is there. */
        bool dry = false;
        while (s < samples.n && samples.at[s].wall < t[i])
            s++;
        for (size_t k = s; k < samples.n && samples.at[k].wall <= t[j]; k++)
            dry |= samples.at[k].issued <= samples.at[k].admitted;
        if (dry)
            continue;
        double rate = (double)(target[j] - target[i]) / (t[j] - t[i]);
        lo = rate < lo ? rate : lo;
        hi = rate > hi ? rate : hi;
        sum += rate;
        windows++;
        within += fabs(rate - (double)o->rate) <= 0.05 * (double)o->rate;
    }
    json_t *r = json_pack("{s:I, s:I, s:f, s:f, s:f, s:f, s:I}", "ticks", (json_int_t)n, "windows",
                          (json_int_t)windows, "mean", windows ? sum / windows : 0.0, "min",
                          windows ? lo : 0.0, "max", hi, "within_5pct",
                          windows ? (double)within / (double)windows : 0.0, "steps_back",
                          (json_int_t)steps_back);
    free(t), free(target);
    return r;
}

/* Every person's ticket, read back (0: no place). */
static long long *tickets_of(struct arena *a, long long room, const long long *ids, long long n)
{
    redisReply *h = redis_cmd("HGETALL %s", room_key(a, room, "tickets"));
    if (!h || h->type != REDIS_REPLY_ARRAY)
        return NULL;
    /* ids are ascending (made in order): a person's index by binary search */
    long long *ticket = calloc((size_t)n, sizeof(*ticket));
    for (size_t i = 0; i + 1 < h->elements; i += 2) {
        long long id = atoll(h->element[i]->str), lo = 0, hi = n - 1;
        while (lo < hi) {
            long long mid = (lo + hi) / 2;
            if (ids[mid] < id)
                lo = mid + 1;
            else
                hi = mid;
        }
        if (ids[lo] == id)
            ticket[lo] = atoll(h->element[i + 1]->str);
    }
    freeReplyObject(h);
    return ticket;
}

static json_t *places(const long long *ticket, long long n, long long pre)
{
    char *seen = calloc((size_t)n + 1, 1);
    long long missing = 0, twice = 0, outside = 0, pre_first = 0;
    for (long long k = 0; k < n; k++) {
        long long t = ticket[k];
        if (t == 0)
            missing++;
        else if (t < 0 || t > n)
            outside++;
        else if (seen[t]++)
            twice++;
        pre_first += k < pre && t >= 1 && t <= pre;
    }
    free(seen);
    return json_pack("{s:I, s:I, s:I, s:I, s:b}", "people", (json_int_t)n, "without_place",
                     (json_int_t)missing, "same_ticket_twice", (json_int_t)twice,
                     "ticket_out_of_range", (json_int_t)outside, "prequeue_holds_first_tickets",
                     pre_first == pre);
}

static json_t *series(double opens)
{
    json_t *s = json_array();
    for (size_t i = 0; i < samples.n; i++) {
        const struct sample *x = &samples.at[i];
        json_array_append_new(s, json_pack("[f, I, I, I]", x->wall - opens, (json_int_t)x->admitted,
                                           (json_int_t)(x->issued - x->admitted),
                                           (json_int_t)x->prequeue));
    }
    return s;
}

static int usage(void)
{
    fprintf(stderr, "usage: firstcome bench room [--people N] [--rate R] [--prequeue PERCENT]"
                    " [--connections C] [--threads T]\n"
                    "  N people (100000) join a waiting room in two bursts against the running"
                    " stack: PERCENT (50)\n  before the start, the rest at it; the room admits R"
                    " (2000) a second. Results: $STATE_DIR/bench/room.json\n");
    return 2;
}

static void print_wrk(const char *what, json_t *r)
{
    if (!r)
        return; /* no such burst (nobody joined before the start) */
    json_t *pace = json_object_get(r, "people_per_second");
    printf("  %-30s %8.0f /s  p50 %7.2f ms  p99 %7.2f ms  errors %lld  non-2xx %lld\n", what,
           json_real_value(pace ? pace : json_object_get(r, "rps")),
           json_real_value(json_object_get(r, "p50_ms")),
           json_real_value(json_object_get(r, "p99_ms")),
           (long long)json_integer_value(json_object_get(r, "errors")),
           (long long)json_integer_value(json_object_get(r, "non2xx")));
}

static void print_report(json_t *doc)
{
    json_t *j = json_object_get(doc, "joins"), *l = json_object_get(doc, "livez");
    print_wrk("/livez before", json_object_get(l, "before"));
    print_wrk("joins before the start", json_object_get(j, "prequeue"));
    print_wrk("  /livez beside them", json_object_get(l, "prequeue"));
    print_wrk("joins at the start", json_object_get(j, "at_start"));
    print_wrk("  /livez beside them", json_object_get(l, "at_start"));
    json_t *p = json_object_get(doc, "places"), *o = json_object_get(doc, "order"),
           *ad = json_object_get(doc, "admissions");
    printf("  places: %lld people, %lld without a place, %lld tickets held twice, the pre-queue"
           " holds the first tickets: %s\n",
           (long long)json_integer_value(json_object_get(p, "people")),
           (long long)json_integer_value(json_object_get(p, "without_place")),
           (long long)json_integer_value(json_object_get(p, "same_ticket_twice")),
           json_is_true(json_object_get(p, "prequeue_holds_first_tickets")) ? "yes" : "no");
    json_t *pre = json_object_get(o, "prequeue"), *at = json_object_get(o, "at_start");
    if (json_is_object(pre))
        printf("  pre-queue: arrival vs place correlation %.4f, first tenth kept %.1f%% (10%%"
               " by chance)\n",
               json_real_value(json_object_get(pre, "correlation")),
               100 * json_real_value(json_object_get(pre, "first_tenth_kept")));
    if (json_is_object(at))
        printf(
            "  at the start: arrival vs place correlation %.6f; among one wrk thread's people"
            " the furthest from sending order is %lld places (the thread keeps %lld in flight)\n",
            json_real_value(json_object_get(at, "correlation")),
            (long long)json_integer_value(json_object_get(at, "max_displacement_in_thread")),
            (long long)json_integer_value(json_object_get(at, "in_flight_per_thread")));
    printf("  admissions: %lld a second set; over %lld one-second windows mean %.1f, min %.1f,"
           " max %.1f, %.1f%% within 5%%; admitted twice: %lld\n",
           (long long)json_integer_value(json_object_get(doc, "rate")),
           (long long)json_integer_value(json_object_get(ad, "windows")),
           json_real_value(json_object_get(ad, "mean")),
           json_real_value(json_object_get(ad, "min")), json_real_value(json_object_get(ad, "max")),
           100 * json_real_value(json_object_get(ad, "within_5pct")),
           (long long)json_integer_value(json_object_get(doc, "admitted_twice")));
}

static int run(struct arena *a, const struct opts *o)
{
    char tag[9];
    unsigned char raw[4];
    randombytes_buf(raw, sizeof(raw));
    sodium_bin2hex(tag, sizeof(tag), raw, sizeof(raw));
    t_begin = wall_now();
    long long n = o->people, pre = n * o->prequeue_pct / 100;
    long long *ids = make_people(a, n, tag);
    if (!ids) {
        log_error("could not make %lld people: %s", n, db_error());
        return 1;
    }
    double made = wall_now() - t_begin;
    printf("  %lld people made in %.1f s\n", n, made);
    fflush(stdout);
    /* The start: after the pre-queue's burst, at a pace this machine keeps with room to spare. */
    int lead = pre > 0 ? 10 + (int)(pre / 4000) : 3;
    long long room = make_room(a, o, lead, tag);
    double opens = (double)(time(NULL) + lead);
    char pre_path[4200], at_path[4200];
    snprintf(pre_path, sizeof(pre_path), "%s/room-prequeue.tokens", out_dir);
    snprintf(at_path, sizeof(at_path), "%s/room-at-start.tokens", out_dir);
    double t_sign = wall_now();
    if (room < 0 || write_tokens(a, pre_path, room, ids, 0, pre, tag) < 0 ||
        write_tokens(a, at_path, room, ids, pre, n, tag) < 0) {
        log_error("could not make the room or sign the tokens");
        return 1;
    }
    double signed_s = wall_now() - t_sign;
    printf("  room %lld opens in %d s; %lld tokens signed in %.1f s\n", room, lead, n, signed_s);
    fflush(stdout);
    json_t *joins = json_object(), *livez = json_object(), *jr, *lr;
    char base[4200], report[4200];
    snprintf(base, sizeof(base), "%s/room-livez-before.txt", out_dir);
    snprintf(report, sizeof(report), "%s/report.lua", bench_dir);
    pid_t lz = wrk(base, report, "/livez", 1, LIVEZ_CONNECTIONS, "3s");
    waitpid(lz, NULL, 0);
    if (!(lr = wrk_result(base)))
        return log_error("wrk gave no report: see %s", base), 1;
    json_object_set_new(livez, "before", lr);
    if (pre > 0) {
        if (burst(a, room, "prequeue", pre_path, pre, o->threads, o->connections, &jr, &lr) < 0)
            return 1;
        json_object_set_new(joins, "prequeue", jr);
        json_object_set_new(livez, "prequeue", lr);
        if (wall_now() > opens)
            printf("  the pre-queue's burst ran past the start: some of it queued after\n");
    }
    while (wall_now() < opens)
        tick(a, room);
    if (burst(a, room, "at-start", at_path, n, o->threads, o->connections, &jr, &lr) < 0)
        return 1;
    json_object_set_new(joins, "at_start", jr);
    json_object_set_new(livez, "at_start", lr);
    /* Until everyone is let in, or the room stopped moving for ten seconds. */
    double still_since = wall_now();
    long long last = -1;
    while (samples.n == 0 || samples.at[samples.n - 1].admitted < n) {
        tick(a, room);
        long long now_admitted = samples.n ? samples.at[samples.n - 1].admitted : -1;
        if (now_admitted != last)
            last = now_admitted, still_since = wall_now();
        else if (wall_now() - still_since > 10) {
            printf("  the room stopped admitting at %lld of %lld\n", last, n);
            break;
        }
    }
    long long *ticket = tickets_of(a, room, ids, n);
    if (!ticket)
        return log_error("could not read the room's tickets back"), 1;
    long long decreases = 0;
    for (size_t i = 1; i < samples.n; i++)
        decreases += samples.at[i].admitted < samples.at[i - 1].admitted;
    json_t *places_j = places(ticket, n, pre), *ad = admissions(a, room, o, n),
           *at_start = order_of(ticket, pre, n);
    if (json_is_object(at_start)) {
        long long d = thread_displacement(ticket, pre, n, o->threads);
        json_object_set_new(at_start, "max_displacement_in_thread", json_integer(d));
        json_object_set_new(at_start, "in_flight_per_thread",
                            json_integer(o->connections / o->threads));
    }
    json_t *doc = json_pack(
        "{s:I, s:I, s:I, s:I, s:f, s:f, s:o, s:o, s:o, s:{s:o, s:o}, s:o, s:I, s:o}", "room",
        (json_int_t)room, "people", (json_int_t)n, "prequeue_people", (json_int_t)pre, "rate",
        (json_int_t)o->rate, "made_seconds", made, "signed_seconds", signed_s, "joins", joins,
        "livez", livez, "places", places_j, "order", "prequeue", order_of(ticket, 0, pre),
        "at_start", at_start, "admissions", ad, "admitted_twice",
        (json_int_t)(json_integer_value(json_object_get(places_j, "same_ticket_twice")) +
                     json_integer_value(json_object_get(ad, "steps_back")) + decreases),
        "series", series(opens));
    char path[4200];
    snprintf(path, sizeof(path), "%s/room.json", out_dir);
    if (json_dump_file(doc, path, JSON_INDENT(1)) != 0)
        return log_error("could not write %s", path), 1;
    print_report(doc);
    printf("  results: %s\n", path);
    free(ticket);
    free(ids);
    return 0;
}

int bench_room_main(int argc, char **argv)
{
    static const struct option opts[] = {
        {"people", required_argument, 0, 'n'},   {"rate", required_argument, 0, 'r'},
        {"prequeue", required_argument, 0, 'p'}, {"connections", required_argument, 0, 'c'},
        {"threads", required_argument, 0, 't'},  {0, 0, 0, 0}};
    struct opts o = {
        .people = 100000, .rate = 2000, .prequeue_pct = 50, .connections = 64, .threads = 2};
    long long v;
    optind = 1;
    for (int c; (c = getopt_long(argc, argv, "", opts, NULL)) != -1;) {
        if (!optarg || !parse_int64(optarg, c == 'p' ? 0 : 1, 1000000, &v))
            return usage();
        if (c == 'n')
            o.people = v;
        else if (c == 'r' && v <= 100000)
            o.rate = v;
        else if (c == 'p' && v <= 100)
            o.prequeue_pct = (int)v;
        else if (c == 'c' && v <= 10000)
            o.connections = (int)v;
        else if (c == 't' && v <= 64)
            o.threads = (int)v;
        else
            return usage();
    }
    long long pre = o.people * o.prequeue_pct / 100;
    if (optind != argc || (pre > 0 && pre < o.connections) || o.people - pre < o.connections ||
        o.connections < o.threads)
        return usage(); /* every wrk connection has someone to send */
    char exe[4096];
    ssize_t len = readlink("/proc/self/exe", exe, sizeof(exe) - 1);
    if (len < 0)
        return 1;
    exe[len] = 0;
    snprintf(bench_dir, sizeof(bench_dir), "%s/bench", dirname(dirname(exe)));
    snprintf(out_dir, sizeof(out_dir), "%s/bench", cfg.state_dir);
    mkdir(out_dir, 0755);
    struct arena a;
    if (tool_begin("bench", &a, TOOL_DB | TOOL_REDIS) < 0)
        return 1;
    log_set_level("warn");
    printf("== waiting room: %lld people, %d%% before the start, %lld admitted a second\n",
           o.people, o.prequeue_pct, o.rate);
    int rc = run(&a, &o);
    db_close();
    return rc;
}
