/* err.c - why a domain operation refused: the HTTP status, the contract's error code, and a
 * sentence for the person. Domain code fills it; the web layer answers with it. */
#include "core/err.h"

#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>

int err_set(struct err *e, int status, const char *code, const char *fmt, ...)
{
    va_list ap;
    e->status = status;
    e->code = code;
    e->retry_after = 0;
    va_start(ap, fmt);
    vsnprintf(e->msg, sizeof(e->msg), fmt, ap);
    va_end(ap);
    return -1;
}

/* Set by the store while the answer to its last write was lost (see err_store_answer_lost). */
static bool answer_lost;

void err_store_answer_lost(bool lost)
{
    answer_lost = lost;
}

int err_unknown(struct err *e)
{
    return err_set(e, 503, "outcome_unknown",
                   "the data store stopped answering after it was asked: this may or may not have"
                   " been saved; look before trying again");
}

int err_unavailable(struct err *e)
{
    return err_set(e, 503, "unavailable", "a data store is not answering; try again shortly");
}

int err_store(struct err *e)
{
    return answer_lost ? err_unknown(e) : err_unavailable(e);
}
