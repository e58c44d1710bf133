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

/* The parked_events gauge (read from MySQL by the caller, which the workers write): one line
 * per consumer, so a consumer with nothing parked reads 0 rather than missing. */
void metrics_render_parked(struct strbuf *out, const char *const *consumers,
                           const long long *counts, int n);

#endif
