/* live.c - a sale's figures and their moves (see live.h). */
#include "domain/live.h"

#include <string.h>
#include <time.h>

#include "core/clock.h"
#include "core/text.h"
#include "domain/catalog.h"
#include "domain/coupons.h"
#include "domain/stats.h"

json_t *live_item(struct arena *a, enum outcome_item kind, long long id, struct err *e)
{
    if (kind == OUTCOME_CAMPAIGN) {
        json_t *c = coupon_get(a, id, e);
        return c ? json_pack("{s:s, s:I, s:O, s:O, s:O}", "kind", "campaign", "id", (json_int_t)id,
                             "name", json_object_get(c, "name"), "quantity",
                             json_object_get(c, "total_quantity"), "left",
                             json_object_get(c, "remaining"))
                 : NULL;
    }
    json_t *p = catalog_get(a, id, e);
    return p ? json_pack("{s:s, s:I, s:O, s:O}", "kind", "product", "id", (json_int_t)id, "name",
                         json_object_get(p, "name"), "left", json_object_get(p, "stock_remaining"))
             : NULL;
}

void live_read(struct arena *a, enum outcome_item kind, long long id, const int *routes,
               int nroutes, struct live_reading *out)
{
    memset(out, 0, sizeof(*out));
    out->at = clock_now();
    struct err e;
    json_t *item = live_item(a, kind, id, &e);
    out->left = item ? json_integer_value(json_object_get(item, "left")) : -1;
    long long oldest;
    if (stats_outbox(&out->outbox, &oldest) < 0)
        out->outbox = -1;
    outcome_counts(kind, id, out->counts);
    for (int i = 0; i < nroutes; i++)
        metrics_add_latency(routes[i], &out->latency);
    out->nlags = metrics_consumer_lag(out->lags, LIVE_MAX_GROUPS);
}

static json_t *integer_or_null(long long v)
{
    return v < 0 ? json_null() : json_integer(v);
}

json_t *live_event(const struct live_reading *before, const struct live_reading *now)
{
    char at[21];
    format_iso_time(time(NULL), at);
    json_t *totals = json_object(), *lag = json_object();
    for (size_t i = 0; i < OUTCOMES_N; i++)
        if (now->counts[i])
            json_object_set_new(totals, outcome_names[i], json_integer((json_int_t)now->counts[i]));
    for (int i = 0; i < now->nlags; i++)
        json_object_set_new(lag, now->lags[i].group, json_integer(now->lags[i].lag));
    json_t *ev =
        json_pack("{s:s, s:o, s:o, s:o, s:o}", "at", at, "left", integer_or_null(now->left),
                  "outbox", integer_or_null(now->outbox), "lag", lag, "totals", totals);
    if (!before)
        return ev;
    double dt = now->at - before->at;
    json_t *rates = json_object();
    for (size_t i = 0; i < OUTCOMES_N; i++) {
        unsigned long long d =
            now->counts[i] > before->counts[i] ? now->counts[i] - before->counts[i] : 0;
        if (d && dt > 0)
            json_object_set_new(rates, outcome_names[i], json_real((double)d / dt));
    }
    double p99 = metrics_quantile(&before->latency, &now->latency, 0.99);
    json_object_set_new(ev, "per_second", rates);
    json_object_set_new(ev, "p99_ms", p99 < 0 ? json_null() : json_real(p99 * 1000));
    return ev;
}
