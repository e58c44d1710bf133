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

static enum consume_result on_claimed(struct arena *a, const struct consumer_msg *m, void *arg)
{
    (void)a;
    (void)arg;
    json_error_t je;
    json_t *ev = json_loadb(m->payload, m->len, 0, &je);
    long long coupon = json_integer_value(json_object_get(ev, "coupon_id"));
    long long user = json_integer_value(json_object_get(ev, "user_id"));
    const char *event_id = json_string_value(json_object_get(ev, "event_id"));
    if (!ev || coupon <= 0 || user <= 0 || !event_id) {
        log_error("coupon.claimed %d@%lld is malformed; skipped", m->partition, m->offset);
        return CONSUME_DONE;
    }
    struct err e;
    long long id = coupon_issue(coupon, user, event_id, &e);
    if (id > 0)
        return CONSUME_DONE;
    if (id == 0) /* redelivered, or the user held one already: nothing to do twice */
        return CONSUME_DONE;
    if (e.code && !strcmp(e.code, "sold_out")) {
        /* Redis let one more through than MySQL holds (it was rebuilt mid-campaign): the
         * truth wins and the place is given back. */
        log_warn("claim of user %lld on campaign %lld refused by MySQL (sold out); compensated",
                 user, coupon);
        coupon_unclaim(coupon, user);
        return CONSUME_DONE;
    }
    return CONSUME_RETRY;
}

int coupon_worker_run(int slot, void *arg)
{
    (void)slot;
    (void)arg;
    char err[512];
    log_set_role("coupon-worker");
    while (!sv_stopping && (db_connect(err, sizeof(err)) < 0 || redis_connect(err, sizeof(err)) < 0)) {
        log_warn("%s; retrying", err);
        sleep(1);
    }
    static const char *const topics[] = {TOPIC_COUPON_CLAIMED, NULL};
    int rc = consumer_run("coupon", topics, on_claimed, NULL);
    redis_close();
    db_close();
    return rc;
}
