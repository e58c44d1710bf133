/* workers.h - the background worker kinds and their supervisor (`firstcome workers`). */
#ifndef FC_WORKERS_H
#define FC_WORKERS_H
#include <stdbool.h>

/* `firstcome workers`: forks every kind (each as many times as its *_WORKERS setting says),
 * replaces any that dies, stops them all on SIGTERM. */
int workers_main(int argc, char **argv);
/* `firstcome worker KIND`: one worker of one kind in the foreground (tests, debugging). */
int worker_main(int argc, char **argv);

/* What a worker process does first: names itself in the log and connects MariaDB and Redis,
 * retrying every second until both answer (a worker may start before them, or outlive a restart
 * of either), and with producer a Kafka producer for the events it writes to the outbox.
 * Returns 0, or -1 when asked to stop first (or the producer cannot be made). */
int workers_open_stores(const char *role, bool producer);
/* Closes what workers_open_stores opened. */
void workers_close_stores(void);

/* A kind's whole life in one process: returns when sv_stopping is set (SIGTERM). Each opens
 * its own store handles after fork. */
int mailer_run(int slot, void *arg);
int coupon_worker_run(int slot, void *arg);
int order_worker_run(int slot, void *arg);
int shipment_worker_run(int slot, void *arg);
int notify_worker_run(int slot, void *arg);
int relay_worker_run(int slot, void *arg);
int scheduler_run(int slot, void *arg);
int rooms_worker_run(int slot, void *arg);

#endif
