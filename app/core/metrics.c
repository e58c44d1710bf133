/* metrics.c - request counters and latency histograms shared by all web workers (shared memory),
 * and the other processes' figures the web server's /metrics shows beside them. */
#include "core/metrics.h"

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <dirent.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "core/config.h"

static const int status_codes[] = {200, 201, 202, 204, 303, 304, 400, 401, 402, 403, 404, 405,
                                   409, 410, 413, 415, 422, 429, 431, 500, 502, 503, 0};
#define NSTATUS (sizeof(status_codes) / sizeof(status_codes[0]))
static const double buckets[] = {0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025,
                                 0.05,   0.1,   0.25,   0.5,   1,    2.5};
#define NBUCKETS (sizeof(buckets) / sizeof(buckets[0]))
_Static_assert(NBUCKETS + 1 == METRICS_BUCKETS, "metrics.h counts the buckets");

struct route_stats {
    uint64_t by_status[NSTATUS];
    uint64_t le[NBUCKETS]; /* cumulative at render time, per-bucket when recorded */
    uint64_t count, sum_us;
};

struct shm {
    uint64_t worker_restarts;
    int64_t live_streams[METRICS_MAX_WORKERS]; /* by worker slot: a crashed one's is reset */
    struct route_stats routes[METRICS_MAX_ROUTES];
};

static struct shm *shm;
static const char *const *route_names;
static int nroutes;

int metrics_init(const char *const *names, int n)
{
    shm = mmap(NULL, sizeof(*shm), PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
    if (shm == MAP_FAILED) {
        shm = NULL;
        return -1;
    }
    route_names = names;
    nroutes = n < METRICS_MAX_ROUTES - 1 ? n : METRICS_MAX_ROUTES - 1;
    return 0;
}

void metrics_record(int route_id, int status, double seconds)
{
    if (!shm)
        return;
    if (route_id < 0 || route_id >= nroutes)
        route_id = METRICS_MAX_ROUTES - 1;
    struct route_stats *s = &shm->routes[route_id];
    size_t si = NSTATUS - 1;
    for (size_t i = 0; i + 1 < NSTATUS; i++)
        if (status_codes[i] == status)
            si = i;
    __atomic_add_fetch(&s->by_status[si], 1, __ATOMIC_RELAXED);
    for (size_t b = 0; b < NBUCKETS; b++)
        if (seconds <= buckets[b]) {
            __atomic_add_fetch(&s->le[b], 1, __ATOMIC_RELAXED);
            break;
        }
    __atomic_add_fetch(&s->count, 1, __ATOMIC_RELAXED);
    __atomic_add_fetch(&s->sum_us, (uint64_t)(seconds * 1e6), __ATOMIC_RELAXED);
}

int metrics_route(const char *name)
{
    for (int i = 0; i < nroutes; i++)
        if (!strcmp(route_names[i], name))
            return i;
    return -1;
}

void metrics_add_latency(int route_id, struct metrics_latency *h)
{
    if (!shm || route_id < 0 || route_id >= nroutes)
        return;
    struct route_stats *s = &shm->routes[route_id];
    /* count is read first: metrics_record adds it after the bucket, so a request being
     * recorded meanwhile shows in its bucket alone, never as one over the largest bound */
    unsigned long long count = __atomic_load_n(&s->count, __ATOMIC_RELAXED), below = 0;
    for (size_t b = 0; b < NBUCKETS; b++) {
        unsigned long long v = __atomic_load_n(&s->le[b], __ATOMIC_RELAXED);
        h->n[b] += v;
        below += v;
    }
    h->n[NBUCKETS] += count > below ? count - below : 0;
}

double metrics_quantile(const struct metrics_latency *before, const struct metrics_latency *after,
                        double q)
{
    unsigned long long d[METRICS_BUCKETS], total = 0;
    for (size_t b = 0; b < METRICS_BUCKETS; b++) {
        d[b] = after->n[b] > before->n[b] ? after->n[b] - before->n[b] : 0;
        total += d[b];
    }
    if (total == 0)
        return -1;
    unsigned long long seen = 0;
    for (size_t b = 0; b < NBUCKETS; b++) {
        seen += d[b];
        if ((double)seen >= q * (double)total)
            return buckets[b];
    }
    return buckets[NBUCKETS - 1];
}

static int worker_slot = -1;

void metrics_worker_begin(int slot)
{
    worker_slot = slot >= 0 && slot < METRICS_MAX_WORKERS ? slot : -1;
    if (shm && worker_slot >= 0)
        __atomic_store_n(&shm->live_streams[worker_slot], 0, __ATOMIC_RELAXED);
}

void metrics_live_stream(int delta)
{
    if (shm && worker_slot >= 0)
        __atomic_add_fetch(&shm->live_streams[worker_slot], delta, __ATOMIC_RELAXED);
}

void metrics_worker_restarted(void)
{
    if (shm)
        __atomic_add_fetch(&shm->worker_restarts, 1, __ATOMIC_RELAXED);
}

static const char *route_label(int i)
{
    return i == METRICS_MAX_ROUTES - 1 ? "unmatched" : route_names[i];
}

void metrics_render(struct strbuf *out)
{
    if (!shm)
        return;
    sb_adds(out, "# HELP firstcome_http_requests_total Requests answered, by route and status.\n"
                 "# TYPE firstcome_http_requests_total counter\n");
    for (int i = 0; i < METRICS_MAX_ROUTES; i++) {
        if (i >= nroutes && i != METRICS_MAX_ROUTES - 1)
            continue;
        struct route_stats *s = &shm->routes[i];
        for (size_t k = 0; k < NSTATUS; k++) {
            uint64_t v = __atomic_load_n(&s->by_status[k], __ATOMIC_RELAXED);
            if (!v)
                continue;
            if (status_codes[k])
                sb_printf(out, "firstcome_http_requests_total{route=\"%s\",status=\"%d\"} %llu\n",
                          route_label(i), status_codes[k], (unsigned long long)v);
            else
                sb_printf(out,
                          "firstcome_http_requests_total{route=\"%s\",status=\"other\"} %llu\n",
                          route_label(i), (unsigned long long)v);
        }
    }
    sb_adds(out, "# HELP firstcome_http_request_duration_seconds Time from accept to response.\n"
                 "# TYPE firstcome_http_request_duration_seconds histogram\n");
    for (int i = 0; i < METRICS_MAX_ROUTES; i++) {
        if (i >= nroutes && i != METRICS_MAX_ROUTES - 1)
            continue;
        struct route_stats *s = &shm->routes[i];
        uint64_t count = __atomic_load_n(&s->count, __ATOMIC_RELAXED);
        if (!count)
            continue;
        uint64_t cum = 0;
        for (size_t b = 0; b < NBUCKETS; b++) {
            cum += __atomic_load_n(&s->le[b], __ATOMIC_RELAXED);
            sb_printf(
                out,
                "firstcome_http_request_duration_seconds_bucket{route=\"%s\",le=\"%g\"} %llu\n",
                route_label(i), buckets[b], (unsigned long long)cum);
        }
        sb_printf(out,
                  "firstcome_http_request_duration_seconds_bucket{route=\"%s\",le=\"+Inf\"} %llu\n",
                  route_label(i), (unsigned long long)count);
        sb_printf(out, "firstcome_http_request_duration_seconds_sum{route=\"%s\"} %.6f\n",
                  route_label(i), (double)__atomic_load_n(&s->sum_us, __ATOMIC_RELAXED) / 1e6);
        sb_printf(out, "firstcome_http_request_duration_seconds_count{route=\"%s\"} %llu\n",
                  route_label(i), (unsigned long long)count);
    }
    sb_printf(
        out,
        "# HELP firstcome_worker_restarts_total Web workers replaced after they died.\n"
        "# TYPE firstcome_worker_restarts_total counter\nfirstcome_worker_restarts_total %llu\n",
        (unsigned long long)__atomic_load_n(&shm->worker_restarts, __ATOMIC_RELAXED));
    long long streams = 0;
    for (int i = 0; i < METRICS_MAX_WORKERS; i++)
        streams += __atomic_load_n(&shm->live_streams[i], __ATOMIC_RELAXED);
    sb_printf(out,
              "# HELP firstcome_live_streams Live-view event streams open now.\n"
              "# TYPE firstcome_live_streams gauge\nfirstcome_live_streams %lld\n",
              streams);
}

void metrics_render_parked(struct strbuf *out, const char *const *consumers,
                           const long long *counts, int n)
{
    sb_adds(out, "# HELP firstcome_parked_events Events a consumer could not apply, parked and not"
                 " yet resolved, by consumer.\n"
                 "# TYPE firstcome_parked_events gauge\n");
    for (int i = 0; i < n; i++)
        sb_printf(out, "firstcome_parked_events{consumer=\"%s\"} %lld\n", consumers[i], counts[i]);
}

#define MAX_KINDS 16
static struct {
    char kind[32];
    unsigned long long n;
} restarts[MAX_KINDS];

static void restarts_path(char *out, size_t n, bool tmp)
{
    snprintf(out, n, "%s/worker-restarts%s", cfg.state_dir, tmp ? ".tmp" : "");
}

static int restart_slot(const char *kind)
{
    int i = 0;
    while (i < MAX_KINDS && restarts[i].kind[0] && strcmp(restarts[i].kind, kind))
        i++;
    if (i < MAX_KINDS)
        snprintf(restarts[i].kind, sizeof(restarts[i].kind), "%s", kind);
    return i;
}

static void write_restarts(void)
{
    char tmp[4200], path[4200];
    restarts_path(tmp, sizeof(tmp), true);
    restarts_path(path, sizeof(path), false);
    FILE *f = fopen(tmp, "w");
    if (!f)
        return;
    for (int k = 0; k < MAX_KINDS && restarts[k].kind[0]; k++)
        fprintf(f, "%s %llu\n", restarts[k].kind, restarts[k].n);
    if (fclose(f) == 0)
        rename(tmp, path);
}

void metrics_restarts_begin(const char *const *kinds, int n)
{
    for (int i = 0; i < n; i++)
        restart_slot(kinds[i]);
    write_restarts();
}

void metrics_count_restart(const char *kind)
{
    int i = restart_slot(kind);
    if (i == MAX_KINDS)
        return;
    restarts[i].n++;
    write_restarts();
}

void metrics_render_restarts(struct strbuf *out)
{
    char path[4200], kind[32];
    unsigned long long n;
    restarts_path(path, sizeof(path), false);
    sb_adds(out, "# HELP firstcome_background_worker_restarts_total Background workers replaced"
                 " after they died, by kind.\n"
                 "# TYPE firstcome_background_worker_restarts_total counter\n");
    FILE *f = fopen(path, "r");
    if (!f)
        return;
    while (fscanf(f, "%31s %llu", kind, &n) == 2)
        sb_printf(out, "firstcome_background_worker_restarts_total{kind=\"%s\"} %llu\n", kind, n);
    fclose(f);
}

void metrics_note_lag(const char *group, long long lag)
{
    char dir[4200], tmp[4300], path[4300];
    snprintf(dir, sizeof(dir), "%s/lag", cfg.state_dir);
    snprintf(tmp, sizeof(tmp), "%s/.%s.%d", dir, group, (int)getpid());
    snprintf(path, sizeof(path), "%s/%s.%d", dir, group, (int)getpid());
    mkdir(dir, 0750);
    FILE *f = fopen(tmp, "w");
    if (!f)
        return;
    fprintf(f, "%lld\n", lag);
    if (fclose(f) == 0)
        rename(tmp, path);
}

int metrics_consumer_lag(struct group_lag *out, int max)
{
    char dir[4200], path[4500];
    snprintf(dir, sizeof(dir), "%s/lag", cfg.state_dir);
    DIR *d = opendir(dir);
    if (!d)
        return 0;
    int n = 0;
    time_t now = time(NULL);
    struct dirent *de;
    while ((de = readdir(d))) {
        const char *dot = strrchr(de->d_name, '.');
        size_t len = dot ? (size_t)(dot - de->d_name) : 0;
        if (de->d_name[0] == '.' || len == 0 || len >= sizeof(out->group))
            continue;
        snprintf(path, sizeof(path), "%s/%s", dir, de->d_name);
        struct stat st;
        long long lag;
        if (stat(path, &st) < 0)
            continue;
        if (now - st.st_mtime > LAG_FRESH_SECONDS) {
            if (now - st.st_mtime > 6 * LAG_FRESH_SECONDS) /* a process long gone */
                unlink(path);
            continue;
        }
        FILE *f = fopen(path, "r");
        if (!f)
            continue;
        bool read = fscanf(f, "%lld", &lag) == 1 && lag >= 0;
        fclose(f);
        if (!read)
            continue;
        int i = 0;
        while (i < n && (strlen(out[i].group) != len || strncmp(out[i].group, de->d_name, len)))
            i++;
        if (i == n) {
            if (n == max)
                continue;
            snprintf(out[n].group, sizeof(out[n].group), "%.*s", (int)len, de->d_name);
            out[n++].lag = 0;
        }
        out[i].lag += lag;
    }
    closedir(d);
    return n;
}

void metrics_render_lag(struct strbuf *out)
{
    struct group_lag lags[16];
    int n = metrics_consumer_lag(lags, 16);
    sb_adds(out, "# HELP firstcome_consumer_lag Messages a consumer group has not handled yet,"
                 " as its processes last noted.\n"
                 "# TYPE firstcome_consumer_lag gauge\n");
    for (int i = 0; i < n; i++)
        sb_printf(out, "firstcome_consumer_lag{group=\"%s\"} %lld\n", lags[i].group, lags[i].lag);
}

void metrics_render_outbox(struct strbuf *out, long long waiting, long long oldest_seconds)
{
    sb_printf(
        out,
        "# HELP firstcome_outbox_waiting Events written to the outbox and not yet"
        " acknowledged by Kafka.\n"
        "# TYPE firstcome_outbox_waiting gauge\nfirstcome_outbox_waiting %lld\n"
        "# HELP firstcome_outbox_oldest_seconds Age of the oldest of them (0: none).\n"
        "# TYPE firstcome_outbox_oldest_seconds gauge\nfirstcome_outbox_oldest_seconds %lld\n",
        waiting, oldest_seconds);
}
