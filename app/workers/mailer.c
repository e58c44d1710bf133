/* mailer.c - the mailer worker: sends the mail outbox, woken by a Redis nudge or once a second. */
#include <hiredis/hiredis.h>
#include <stdbool.h>
#include <unistd.h>

#include "core/arena.h"
#include "core/log.h"
#include "core/supervisor.h"
#include "domain/accounts.h"
#include "store/db.h"
#include "store/mail.h"
#include "store/redis.h"
#include "workers/workers.h"

#define BATCH 50

/* Blocks until a mail is queued or a second has passed: new mail leaves at once, while retry
 * times and SIGTERM are still noticed. The BLPOP timeout stays under hiredis's 5 s I/O timeout.
 * A burst of nudges is coalesced into one wakeup; a nudge sent before its mail committed is
 * covered by the next poll. */
static void wait_for_nudge(void)
{
    redisReply *r = redis_cmd("BLPOP %s 1", MAIL_WAKEUP_KEY);
    if (!r) {
        sleep(1); /* Redis is down: poll the outbox instead */
        return;
    }
    bool nudged = r->type == REDIS_REPLY_ARRAY;
    freeReplyObject(r);
    if (nudged && (r = redis_cmd("DEL %s", MAIL_WAKEUP_KEY)))
        freeReplyObject(r);
}

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
            wait_for_nudge();
    }
    arena_free(&a);
    workers_close_stores();
    log_info("stopped");
    return 0;
}
