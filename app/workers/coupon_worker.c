/* coupon_worker.c - the coupon worker: writes claims accepted by Redis in kafka issue mode
 * (topic coupon.claimed), idempotently, compensating the claims MySQL refuses. */
#include <string.h>
#include <unistd.h>

#include "core/log.h"
#include "core/supervisor.h"
#include "domain/coupons.h"
#include "store/consumer.h"
#include "store/db.h"
#include "store/kafka.h"
#include "store/redis.h"
#include "workers/workers.h"

/* The careful path: one claim at a time, refusing (and compensating) what MySQL refuses. */
static enum consume_result issue_one(const struct claim_event *ev)
{
    struct err e;
    long long id = coupon_issue(ev->coupon_id, ev->user_id, ev->event_id, &e);
    if (id >= 0) /* written, or redelivered / held already: nothing to do twice */
        return CONSUME_DONE;
    if (e.code && !strcmp(e.code, "sold_out")) {
        /* Redis let one more through than MySQL holds (it was rebuilt mid-campaign): the
         * truth wins and the place is given back. */
        log_warn("claim of user %lld on campaign %lld refused by MySQL (sold out); compensated",
                 ev->user_id, ev->coupon_id);
        coupon_unclaim(ev->coupon_id, ev->user_id);
        return CONSUME_DONE;
    }
    return CONSUME_RETRY;
}

static enum consume_result on_claimed(struct arena *a, const struct consumer_msg *msgs, size_t n,
                                      void *arg)
{
    (void)arg;
    struct claim_event *evs = arena_alloc(a, n * sizeof(*evs));
    size_t k = 0;
    for (size_t i = 0; i < n; i++) {
        json_t *ev = json_loadb(msgs[i].payload, msgs[i].len, 0, NULL);
        struct claim_event c = {json_integer_value(json_object_get(ev, "coupon_id")),
                                json_integer_value(json_object_get(ev, "user_id")),
                                json_string_value(json_object_get(ev, "event_id"))};
        if (!ev || c.coupon_id <= 0 || c.user_id <= 0 || !c.event_id) {
            log_error("coupon.claimed %d@%lld is malformed; skipped", msgs[i].partition,
                      msgs[i].offset);
            continue;
        }
        evs[k++] = c;
    }
    int rc = k ? coupon_issue_batch(evs, k) : 0;
    if (rc == 0)
        return CONSUME_DONE;
    if (rc < 0)
        return CONSUME_RETRY;
    for (size_t i = 0; i < k; i++)
        if (issue_one(&evs[i]) == CONSUME_RETRY)
            return CONSUME_RETRY; /* those before were written: replaying them is harmless */
    return CONSUME_DONE;
}

int coupon_worker_run(int slot, void *arg)
{
    (void)slot;
    (void)arg;
    if (workers_open_stores("coupon-worker", false) < 0)
        return 0;
    static const char *const topics[] = {TOPIC_COUPON_CLAIMED, NULL};
    /* Claims are already decided (Redis) and answered; their durable write gains from big
     * batches (one transaction, one multi-row insert) more than it loses by waiting 100 ms. */
    int rc = consumer_run(GROUP_COUPON, topics, 1000, 100, on_claimed, NULL);
    workers_close_stores();
    return rc;
}
