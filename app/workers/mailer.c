/* mailer.c - the mailer worker: sends the mail outbox, woken by a Redis nudge or once a second. */
#include <stdbool.h>
#include <unistd.h>

#include "core/arena.h"
#include "core/log.h"
#include "core/supervisor.h"
#include "domain/accounts.h"
#include "store/db.h"
#include "store/mail.h"
#include "workers/workers.h"

#define BATCH 50

int mailer_run(int slot, void *arg)
{
    (void)slot;
    (void)arg;
    if (workers_open_stores("mailer", false) < 0)
        return 0;
    struct arena a;
    arena_init(&a, 64 * 1024);
    while (!sv_stopping) {
        arena_reset(&a);
        json_use_arena(&a);
        int asked = account_reset_send_due(&a, BATCH);
        int sent = asked < 0 ? -1 : mail_send_due(BATCH);
        json_use_arena(NULL);
        if (sent < 0)
            sleep(1); /* the database is down; db.c reconnects on the next statement */
        else if (sent < BATCH && asked < BATCH)
            mail_wait();
    }
    arena_free(&a);
    workers_close_stores();
    log_info("stopped");
    return 0;
}
