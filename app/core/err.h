/* err.h - why a domain operation refused: the HTTP status, the contract's error code, and a
 * sentence for the person. Domain code fills it; the web layer answers with it. */
#ifndef FC_ERR_H
#define FC_ERR_H

#include <stdbool.h>

struct err {
    int status;
    const char *code; /* static snake_case string from DESIGN.md's contract */
    char msg[256];
    int retry_after; /* seconds, for 429 */
};

/* Fills e and returns -1, so that `return err_set(...)` reads naturally. */
int err_set(struct err *e, int status, const char *code, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));
/* The store failed: 503 unavailable, a clean "not done". When the failure was a write (or a
 * COMMIT) that reached the store and whose answer was lost, 503 outcome_unknown instead: it may
 * have been applied, and the person is told so rather than "no". Call it right after the store
 * call that failed: the store notes the lost answer per statement. */
int err_store(struct err *e);
/* 503 unavailable, for a caller that knows nothing of its own was applied, whatever the last
 * statement's answer (a lost answer of work done for it, not by it). */
int err_unavailable(struct err *e);
/* 503 outcome_unknown, for a caller that knows the outcome cannot be told. */
int err_unknown(struct err *e);
/* The store's note: true after a write whose answer was lost, false after any other statement. */
void err_store_answer_lost(bool lost);

#endif
