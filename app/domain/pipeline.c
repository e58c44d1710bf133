/* pipeline.c - the order pipeline's consumers: which group applies which events, a batch
 * applied in one transaction (shipment, notify) or one event per transaction (order, and any
 * batch whose transaction fails), parked events retried. */
#include "domain/pipeline.h"

#include <string.h>

#include "core/log.h"
#include "domain/notifications.h"
#include "domain/orders.h"
#include "domain/shipments.h"
#include "store/db.h"
#include "store/kafka.h"
#include "store/outbox.h"

/* An event handler: 0 applied (or nothing to do), -1 a store failed (try again),
 * CONSUMER_REFUSED it can never be applied as it stands (park it). */
typedef int (*event_fn)(struct arena *a, const char *topic, json_t *event);

struct pipeline_consumer {
    const char *group;
    event_fn fn;
    const char *const *topics;
    /* Whether a batch is applied in one transaction. Not for the order group: its events take
     * product rows (the durable stock) that checkouts share through order_items' foreign key;
     * held for a whole batch, in the events' order, they would make checkouts wait for the
     * batch and could deadlock with an order of several products. */
    bool together;
};

/* The whole batch in one transaction: 0 applied and committed, -1 nothing of it stays (a store
 * failed, an event was refused, or the commit's answer was lost): the caller applies the events
 * one by one, each in a transaction of its own, which also parks what is refused. */
static int apply_together(struct arena *a, const struct pipeline_consumer *k,
                          const struct consumer_msg *msgs, size_t n)
{
    if (db_batch_begin() < 0)
        return -1;
    for (size_t i = 0; i < n; i++) {
        json_t *ev = json_loadb(msgs[i].payload, msgs[i].len, 0, NULL);
        if (!ev || k->fn(a, msgs[i].topic, ev) != 0 || !db_batch_open()) {
            if (db_batch_open())
                db_rollback();
            outbox_publish_batch(false);
            log_info("%s: a batch of %zu undone at %s[%d]@%lld; applied one event at a time",
                     k->group, n, msgs[i].topic, msgs[i].partition, msgs[i].offset);
            return -1;
        }
    }
    int rc = db_batch_end();
    outbox_publish_batch(rc == 0);
    return rc == 0 ? 0 : -1;
}

enum consume_result pipeline_consume(struct arena *a, const struct consumer_msg *msgs, size_t n,
                                     void *arg)
{
    const struct pipeline_consumer *k = arg;
    if (n > 1 && k->together && apply_together(a, k, msgs, n) == 0) {
        outbox_poll();
        return CONSUME_DONE;
    }
    for (size_t i = 0; i < n; i++) {
        json_t *ev = json_loadb(msgs[i].payload, msgs[i].len, 0, NULL);
        int rc = ev ? k->fn(a, msgs[i].topic, ev) : consumer_refuse("the payload is not JSON");
        if (rc == CONSUMER_REFUSED && consumer_park(k->group, &msgs[i], consumer_refusal()) == 0)
            continue;
        if (rc < 0)
            return CONSUME_RETRY;
    }
    outbox_poll(); /* delivery reports of what the handlers published */
    return CONSUME_DONE;
}

static int on_payment(struct arena *a, const char *topic, json_t *ev)
{
    (void)topic;
    return order_on_payment(a, ev);
}

static int on_order_event(struct arena *a, const char *topic, json_t *ev)
{
    (void)topic;
    return shipment_on_order_event(a, ev);
}

static const char *const payment_topics[] = {TOPIC_PAYMENT_SUCCEEDED, NULL};
static const char *const order_topics[] = {TOPIC_ORDER_EVENTS, NULL};
static const char *const every_topic[] = {TOPIC_PAYMENT_SUCCEEDED, TOPIC_ORDER_EVENTS,
                                          TOPIC_SHIPMENT_EVENTS, NULL};
const struct pipeline_consumer pipeline_order = {GROUP_ORDER, on_payment, payment_topics, false},
                               pipeline_shipment = {GROUP_SHIPMENT, on_order_event, order_topics,
                                                    true},
                               pipeline_notify = {GROUP_NOTIFY, notification_on_event, every_topic,
                                                  true};
static const struct pipeline_consumer *const consumers[] = {&pipeline_order, &pipeline_shipment,
                                                            &pipeline_notify};

const char *pipeline_group(const struct pipeline_consumer *c)
{
    return c->group;
}

const char *const *pipeline_topics(const struct pipeline_consumer *c)
{
    return c->topics;
}

int pipeline_retry_parked(struct arena *a, long long id, struct err *e)
{
    json_t *row;
    int rc = db_query_row(&row,
                          "SELECT consumer, topic, payload, status FROM parked_events"
                          " WHERE id = ?",
                          "i", id);
    if (rc <= 0)
        return rc < 0 ? err_store(e)
                      : err_set(e, 404, "not_found", "no parked event has id %lld", id);
    if (strcmp(json_string_value(json_object_get(row, "status")) ?: "", "parked") != 0)
        return err_set(e, 409, "already_resolved", "parked event %lld is already resolved", id);
    const char *consumer = json_string_value(json_object_get(row, "consumer")) ?: "";
    const struct pipeline_consumer *k = NULL;
    for (size_t i = 0; i < sizeof(consumers) / sizeof(consumers[0]); i++)
        if (!strcmp(consumers[i]->group, consumer))
            k = consumers[i];
    if (!k)
        return err_set(e, 409, "event_refused", "no consumer named %s retries events here",
                       consumer);
    json_t *ev = json_loads(json_string_value(json_object_get(row, "payload")) ?: "", 0, NULL);
    rc = ev ? k->fn(a, json_string_value(json_object_get(row, "topic")) ?: "", ev)
            : consumer_refuse("the payload is not JSON");
    if (rc == 0) {
        /* Applied (or found applied already: handlers are idempotent by event id). */
        if (db_exec("UPDATE parked_events SET status = 'resolved', resolved_at = UTC_TIMESTAMP(),"
                    " retried_at = UTC_TIMESTAMP(), attempts = attempts + 1 WHERE id = ?",
                    "i", id) < 0)
            return err_store(e);
        log_info("%s: parked event %lld applied on retry", consumer, id);
        return 0;
    }
    if (rc != CONSUMER_REFUSED)
        return err_store(e);
    const char *why = consumer_refusal();
    if (db_exec("UPDATE parked_events SET reason = ?, retried_at = UTC_TIMESTAMP(),"
                " attempts = attempts + 1 WHERE id = ?",
                "si", why, id) < 0)
        return err_store(e);
    return err_set(e, 409, "event_refused", "still refused: %s", why);
}
