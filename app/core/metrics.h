/* metrics.h - request counters and latency histograms shared by all web workers (shared memory). */
#ifndef FC_METRICS_H
#define FC_METRICS_H
#include "core/strbuf.h"

#define METRICS_MAX_ROUTES 160

/* Maps shared memory; call in the master before fork. names[i] labels route i; route index
 * METRICS_MAX_ROUTES-1 (or any negative id) counts unmatched requests. */
int metrics_init(const char *const *names, int n);
void metrics_record(int route_id, int status, double seconds);
void metrics_worker_restarted(void);
/* In a web worker at its start: its slot among the workers (a replaced one has its
 * predecessor's), whose per-worker figures start again from 0. */
#define METRICS_MAX_WORKERS 256
void metrics_worker_begin(int slot);
/* A live-view stream opened (1) or ended (-1) in this worker. */
void metrics_live_stream(int delta);
/* The route whose name ("METHOD pattern") is name; -1 when none. */
int metrics_route(const char *name);

/* Requests' latencies, per bucket of the histogram /metrics exports. */
#define METRICS_BUCKETS 13 /* the last: over the largest bound */
struct metrics_latency {
    unsigned long long n[METRICS_BUCKETS];
};
/* Adds the route's requests so far to *h. */
void metrics_add_latency(int route_id, struct metrics_latency *h);
/* The q-quantile of the requests between two readings: the upper bound, in seconds, of the
 * bucket it falls in (the largest bound when it is beyond); -1 when no request came between. */
double metrics_quantile(const struct metrics_latency *before, const struct metrics_latency *after,
                        double q);
/* Prometheus text exposition of everything recorded by every worker. */
void metrics_render(struct strbuf *out);

/* Background workers' restarts, by kind. The workers' supervisor counts them and keeps the
 * counts in $STATE_DIR/worker-restarts (rewritten whole, then renamed); the web server's
 * /metrics reads that file, so one scrape sees every process. */
void metrics_count_restart(const char *kind);
/* In the workers' supervisor at start: every kind at 0, so that a first restart is a visible
 * increase of a series that was there before it. */
void metrics_restarts_begin(const char *const *kinds, int n);
void metrics_render_restarts(struct strbuf *out);

/* The consumer groups' lag: messages of their topics not yet handled. Each consumer process
 * notes its own about once a second in $STATE_DIR/lag/<group>.<pid>; the web server's /metrics
 * sums the notes of the last LAG_FRESH_SECONDS by group (older ones are of processes gone). */
#define LAG_FRESH_SECONDS 10
void metrics_note_lag(const char *group, long long lag);
struct group_lag {
    char group[32];
    long long lag;
};
/* The groups with a fresh note, at most max; returns how many. */
int metrics_consumer_lag(struct group_lag *out, int max);
void metrics_render_lag(struct strbuf *out);

/* The outbox gauges (read from MySQL by the caller): events written and not yet acknowledged
 * by Kafka, and the age of the oldest. */
void metrics_render_outbox(struct strbuf *out, long long waiting, long long oldest_seconds);

/* The parked_events gauge (read from MySQL by the caller, which the workers write): one line
 * per consumer, so a consumer with nothing parked reads 0 rather than missing. */
void metrics_render_parked(struct strbuf *out, const char *const *consumers,
                           const long long *counts, int n);

#endif
