/* workers.c - the background worker kinds and their supervisor (`firstcome workers`). */
#include "workers/workers.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "core/config.h"
#include "core/log.h"
#include "core/metrics.h"
#include "core/supervisor.h"
#include "store/db.h"
#include "store/kafka.h"
#include "store/outbox.h"
#include "store/redis.h"

static bool with_producer;

int workers_open_stores(const char *role, bool producer)
{
    char err[512];
    log_set_role(role);
    for (;;) {
        if (sv_stopping)
            return -1;
        if (db_connect(err, sizeof(err)) == 0 && redis_connect(err, sizeof(err)) == 0)
            break;
        log_warn("%s; trying again in 1 s", err);
        sleep(1);
    }
    if (producer && kafka_producer_open(err, sizeof(err)) < 0) {
        log_error("%s", err);
        return -1;
    }
    with_producer = producer;
    return 0;
}

void workers_close_stores(void)
{
    if (with_producer)
        outbox_close();
    with_producer = false;
    redis_close();
    db_close();
}

struct kind {
    const char *name;
    int (*run)(int slot, void *arg);
    const int *count; /* from config; NULL means exactly one */
    const char *help;
};

static const struct kind kinds[] = {
    {"mailer", mailer_run, NULL, "sends queued mail (Maildir or SMTP), retrying failures"},
    {"coupon", coupon_worker_run, &cfg.coupon_workers,
     "writes coupon claims accepted in kafka issue mode"},
    {"order", order_worker_run, &cfg.order_workers,
     "paid orders: durable stock, coupon used, vendor credited"},
    {"shipment", shipment_worker_run, &cfg.shipment_workers,
     "a shipment with a tracking number per prepared order"},
    {"notify", notify_worker_run, &cfg.notify_workers, "every event becomes a user notification"},
    {"relay", relay_worker_run, NULL, "publishes outbox events Kafka has not acknowledged"},
    {"scheduler", scheduler_run, NULL, "expires unpaid orders, advances shipments and returns"},
    {"rooms", rooms_worker_run, NULL, "shuffles waiting rooms at their start and admits people"},
};
#define NKINDS ((int)(sizeof(kinds) / sizeof(kinds[0])))

static int count_of(const struct kind *k)
{
    return k->count ? *k->count : 1;
}

int workers_main(int argc, char **argv)
{
    (void)argc;
    (void)argv;
    log_set_role("workers");
    int n = 0;
    for (int i = 0; i < NKINDS; i++)
        n += count_of(&kinds[i]);
    struct sv_child *cs = calloc((size_t)(n ? n : 1), sizeof(*cs));
    int c = 0;
    for (int i = 0; i < NKINDS; i++)
        for (int s = 0; s < count_of(&kinds[i]); s++) {
            cs[c].name = kinds[i].name;
            cs[c].run = kinds[i].run;
            cs[c].slot = s;
            c++;
        }
    char pid_dir[4096];
    snprintf(pid_dir, sizeof(pid_dir), "%s/pids", cfg.state_dir);
    struct sv_hooks hooks = {
        .pid_dir = pid_dir, .grace_seconds = 15, .on_crash = metrics_count_restart};
    const char *names[NKINDS];
    for (int i = 0; i < NKINDS; i++)
        names[i] = kinds[i].name;
    metrics_restarts_begin(names, NKINDS);
    log_info("supervising %d worker processes", n);
    int rc = supervisor_run(cs, n, &hooks);
    free(cs);
    log_info("stopped");
    return rc;
}

int worker_main(int argc, char **argv)
{
    for (int i = 0; argc >= 2 && i < NKINDS; i++)
        if (strcmp(argv[1], kinds[i].name) == 0) {
            sv_child_signals(NULL);
            return kinds[i].run(0, NULL);
        }
    fprintf(stderr, "usage: firstcome worker KIND\n\nkinds:\n");
    for (int i = 0; i < NKINDS; i++)
        fprintf(stderr, "  %-10s %s\n", kinds[i].name, kinds[i].help);
    return 2;
}
