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

/* The outbox gauges (read from MySQL by the caller): events written and not yet acknowledged
 * by Kafka, and the age of the oldest. */
void metrics_render_outbox(struct strbuf *out, long long waiting, long long oldest_seconds);

/* The parked_events gauge (read from MySQL by the caller, which the workers write): one line
 * per consumer, so a consumer with nothing parked reads 0 rather than missing. */
void metrics_render_parked(struct strbuf *out, const char *const *consumers,
                           const long long *counts, int n);

#endif
