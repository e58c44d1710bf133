/* workers.h - the background worker kinds and their supervisor (`firstcome workers`). */
#ifndef FC_WORKERS_H
#define FC_WORKERS_H
#include "core/arena.h"
#include "core/err.h"

/* `firstcome workers`: forks every kind (each as many times as its *_WORKERS setting says),
 * replaces any that dies, stops them all on SIGTERM. */
int workers_main(int argc, char **argv);
/* `firstcome worker KIND`: one worker of one kind in the foreground (tests, debugging). */
int worker_main(int argc, char **argv);

/* Connects MariaDB and Redis, retrying every second until both answer (a worker may start
 * before them, or outlive a restart of either). Returns 0, or -1 when asked to stop first. */
int workers_connect_stores(void);

/* A kind's whole life in one process: returns when sv_stopping is set (SIGTERM). Each opens
 * its own store handles after fork. */
int mailer_run(int slot, void *arg);
int coupon_worker_run(int slot, void *arg);
int order_worker_run(int slot, void *arg);
int shipment_worker_run(int slot, void *arg);
int notify_worker_run(int slot, void *arg);
int relay_worker_run(int slot, void *arg);
int scheduler_run(int slot, void *arg);

/* Applies parked event `id` again through its consumer's handler: 0 applied (the event is then
 * resolved); otherwise e says why (404 no such event, 409 already resolved or refused again,
 * with the new reason kept; 503 a store failed). */
int pipeline_retry_parked(struct arena *a, long long id, struct err *e);

#endif
