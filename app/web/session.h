/* session.h - who is asking: Bearer tokens for the API, cookies (with transparent refresh) for
 * pages, and the CSRF check on every page form. */
#ifndef FC_SESSION_H
#define FC_SESSION_H
#include "core/err.h"
#include "domain/tokens.h"
#include "http/request.h"

/* Sets r->user from the request's credentials (NULL when there are none or they are invalid).
 * Pages renew an expired access cookie from the refresh cookie. */
void session_identify(struct request *r);
/* Cookies for a signed-in browser; empty values clear them. */
void session_set_cookies(struct request *r, const struct token_pair *t);
void session_clear_cookies(struct request *r);
void session_set_access_cookie(struct request *r, const char *access);
/* The CSRF token of this browser (set as a cookie when new), for forms. */
const char *session_csrf(struct request *r);
/* A page POST must carry the csrf form field equal to its cookie. 0, or -1 answered with 403. */
int session_check_csrf(struct request *r);
/* Answers with a domain error: the API's JSON shape, or the error page. */
void resp_err(struct request *r, const struct err *e);
/* The common end of a JSON handler: {key: v} with status, or, when the domain call gave NULL,
 * its error e. Takes v. */
void resp_result(struct request *r, int status, const char *key, json_t *v, const struct err *e);
/* The Retry-After header a 429 domain error asks for (resp_err adds it; a page that shows the
 * error on its own form calls this). */
void resp_retry_after(struct request *r, const struct err *e);

static inline struct principal *session_user(struct request *r)
{
    return (struct principal *)r->user;
}

#endif
