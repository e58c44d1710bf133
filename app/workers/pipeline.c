/* pipeline.c - the order pipeline's worker processes: order, shipment and notify consume Kafka
 * (through domain/pipeline.c); relay republishes the outbox; scheduler runs the due transitions
 * kept in MySQL; rooms moves the waiting rooms' clocks. */
#include <stdint.h>
#include <unistd.h>

#include "core/log.h"
#include "core/supervisor.h"
#include "domain/rooms.h"
#include "domain/orders.h"
#include "domain/pipeline.h"
#include "domain/shipments.h"
#include "store/kafka.h"
#include "store/outbox.h"
#include "workers/workers.h"

static int consume(const char *role, const struct pipeline_consumer *k)
{
    if (workers_open_stores(role, true) < 0)
        return 1;
    int rc = consumer_run(pipeline_group(k), pipeline_topics(k), 100, 0, pipeline_consume,
                          (void *)(uintptr_t)k);
    workers_close_stores();
    return rc;
}

int order_worker_run(int slot, void *arg)
{
    (void)slot, (void)arg;
    return consume("order-worker", &pipeline_order);
}

int shipment_worker_run(int slot, void *arg)
{
    (void)slot, (void)arg;
    return consume("shipment-worker", &pipeline_shipment);
}

int notify_worker_run(int slot, void *arg)
{
    (void)slot, (void)arg;
    return consume("notify-worker", &pipeline_notify);
}

/* Loops `step` every `period_ms` until SIGTERM, with an arena per round. */
static int every(const char *role, int period_ms, int (*step)(struct arena *a))
{
    if (workers_open_stores(role, true) < 0)
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
        outbox_poll();
        usleep((unsigned)period_ms * 1000);
    }
    outbox_flush(2000);
    arena_free(&a);
    workers_close_stores();
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
        outbox_flush(5000); /* read our own reports before looking again */
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

static int rooms_step(struct arena *a)
{
    return rooms_tick(a) < 0 ? -1 : 0;
}

/* Ten times a second: admissions follow a room's rate to a tenth of a second. */
int rooms_worker_run(int slot, void *arg)
{
    (void)slot, (void)arg;
    return every("rooms", 100, rooms_step);
}
