/* live.h - a sale's figures at a moment, and how they moved between two moments: what the
 * operators' live view of a product or a coupon campaign shows (/admin/live). Every figure is
 * one /metrics exports: the outcome counts, the routes' latencies, the outbox and the consumer
 * groups' lag; and the units or coupons left, from the gate in Redis. */
#ifndef FC_LIVE_H
#define FC_LIVE_H
#include <jansson.h>

#include "core/arena.h"
#include "core/err.h"
#include "core/metrics.h"
#include "core/outcomes.h"

#define LIVE_MAX_GROUPS 8

struct live_reading {
    double at;
    long long left;   /* units or coupons left; -1 unknown */
    long long outbox; /* events not yet acknowledged by Kafka; -1 unknown */
    unsigned long long counts[OUTCOMES_N];
    struct metrics_latency latency; /* of the routes that claim or order it */
    struct group_lag lags[LIVE_MAX_GROUPS];
    int nlags;
};

/* The item as the view names it: {kind: "product"|"campaign", id, name, left, and for a campaign
 * quantity (the coupons offered)}, or NULL with e set (404 not_found, or a store failure). */
json_t *live_item(struct arena *a, enum outcome_item kind, long long id, struct err *e);
/* Reads the figures now; `routes` are the routes whose latency counts (metrics_route ids). */
void live_read(struct arena *a, enum outcome_item kind, long long id, const int *routes,
               int nroutes, struct live_reading *out);
/* One moment of the view: {at, left, outbox, lag: {group: n}, totals: {outcome: n}} and, with
 * the reading before it, the moves since: per_second: {outcome: n/s}, p99_ms (null when no
 * request came). */
json_t *live_event(const struct live_reading *before, const struct live_reading *now);

#endif
