/* pipeline.c - the order pipeline's workers: order, shipment and notify consume Kafka; relay
 * republishes the outbox; scheduler runs the due transitions kept in MySQL. */
#include <stdint.h>
#include <string.h>
#include <unistd.h>

#include "core/config.h"
#include "core/log.h"
#include "core/supervisor.h"
#include "domain/notifications.h"
#include "domain/orders.h"
#include "domain/shipments.h"
#include "store/consumer.h"
#include "store/db.h"
#include "store/kafka.h"
#include "store/outbox.h"
#include "store/redis.h"
#include "workers/workers.h"

/* Store handles for a worker process; retried until the stores answer. The producer publishes
 * the events a worker writes to the outbox. */
static int open_stores(const char *role)
{
    char err[512];
    log_set_role(role);
    if (workers_connect_stores() < 0)
        return -1;
    if (kafka_producer_open(err, sizeof(err)) < 0) {
        log_error("%s", err);
        return -1;
    }
    return sv_stopping ? -1 : 0;
}

static void close_stores(void)
{
    kafka_producer_close();
    redis_close();
    db_close();
}

/* An event handler: 0 applied (or nothing to do), -1 a store failed (try again),
 * CONSUMER_REFUSED it can never be applied as it stands (park it). */
typedef int (*event_fn)(struct arena *a, const char *topic, json_t *event);

struct consumer_kind {
    const char *group;
    event_fn fn;
};

/* Each event in its own transaction, idempotent by event id: when one fails, the batch is
 * tried again and the ones before it are recognised as applied. One that is refused for good
 * is parked, and the ones after it go on. */
static enum consume_result each_event(struct arena *a, const struct consumer_msg *msgs, size_t n,
                                      void *arg)
{
    const struct consumer_kind *k = arg;
    for (size_t i = 0; i < n; i++) {
        json_t *ev = json_loadb(msgs[i].payload, msgs[i].len, 0, NULL);
        int rc = ev ? k->fn(a, msgs[i].topic, ev) : consumer_refuse("the payload is not JSON");
        if (rc == CONSUMER_REFUSED && consumer_park(k->group, &msgs[i], consumer_refusal()) == 0)
            continue;
        if (rc < 0)
            return CONSUME_RETRY;
    }
    kafka_poll(); /* delivery reports of what the handlers published */
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

static const struct consumer_kind order_kind = {"order", on_payment},
                                  shipment_kind = {"shipment", on_order_event},
                                  notify_kind = {"notify", notification_on_event};
static const struct consumer_kind *const consumer_kinds[] = {&order_kind, &shipment_kind,
                                                             &notify_kind};

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
    const struct consumer_kind *k = NULL;
    for (size_t i = 0; i < sizeof(consumer_kinds) / sizeof(consumer_kinds[0]); i++)
        if (!strcmp(consumer_kinds[i]->group, consumer))
            k = consumer_kinds[i];
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

static int consume(const char *role, const struct consumer_kind *k, const char *const *topics)
{
    if (open_stores(role) < 0)
        return 1;
    int rc = consumer_run(k->group, topics, 100, 0, each_event, (void *)(uintptr_t)k);
    close_stores();
    return rc;
}

int order_worker_run(int slot, void *arg)
{
    (void)slot, (void)arg;
    static const char *const topics[] = {TOPIC_PAYMENT_SUCCEEDED, NULL};
    return consume("order-worker", &order_kind, topics);
}

int shipment_worker_run(int slot, void *arg)
{
    (void)slot, (void)arg;
    static const char *const topics[] = {TOPIC_ORDER_EVENTS, NULL};
    return consume("shipment-worker", &shipment_kind, topics);
}

int notify_worker_run(int slot, void *arg)
{
    (void)slot, (void)arg;
    static const char *const topics[] = {TOPIC_PAYMENT_SUCCEEDED, TOPIC_ORDER_EVENTS,
                                         TOPIC_SHIPMENT_EVENTS, NULL};
    return consume("notify-worker", &notify_kind, topics);
}

/* Loops `step` every `period_ms` until SIGTERM, with an arena per round. */
static int every(const char *role, int period_ms, int (*step)(struct arena *a))
{
    if (open_stores(role) < 0)
        return 1;
    struct arena a;
    arena_init(&a, 64 * 1024);
    log_info("running every %d ms", period_ms);
    while (!sv_stopping) {
        json_use_arena(&a);
        if (step(&a) < 0)
            log_warn("a store failed; trying again");
        json_use_arena(NULL);
        arena_reset(&a);
        kafka_poll();
        usleep((unsigned)period_ms * 1000);
    }
    kafka_flush(2000);
    arena_free(&a);
    close_stores();
    log_info("stopped");
    return 0;
}

/* Events still unacknowledged 10 s after they were written (broker down, a process killed
 * between commit and publish, or a publisher that has not read its delivery reports yet) are
 * published again; consumers drop what they have seen. */
static int relay_step(struct arena *a)
{
    int n = outbox_relay(a, 10, 500);
    if (n > 0)
        kafka_flush(5000); /* read our own reports before looking again */
    return n;
}

static int schedule_step(struct arena *a)
{
    int x = orders_expire_due(a, 200), s = shipment_advance_due(a, 200),
        r = returns_complete_due(a, 200);
    return x < 0 || s < 0 || r < 0 ? -1 : 0;
}

int relay_worker_run(int slot, void *arg)
{
    (void)slot, (void)arg;
    return every("relay", 500, relay_step);
}

int scheduler_run(int slot, void *arg)
{
    (void)slot, (void)arg;
    return every("scheduler", 500, schedule_step);
}
