/* err.h - why a domain operation refused: the HTTP status, the contract's error code, and a
 * sentence for the person. Domain code fills it; the web layer answers with it. */
#ifndef FC_ERR_H
#define FC_ERR_H

struct err {
    int status;
    const char *code; /* static snake_case string from DESIGN.md's contract */
    char msg[256];
    int retry_after;  /* seconds, for 429 */
};

/* Fills e and returns -1, so that `return err_set(...)` reads naturally. */
int err_set(struct err *e, int status, const char *code, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));
/* The store failed: 503 unavailable. */
int err_store(struct err *e);

#endif
