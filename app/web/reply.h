/* reply.h - how a web handler answers: a page in the site's layout, a domain error in the
 * request's own shape (the API's JSON or the error page), or a JSON result. Everything is
 * written into the request's response and lives in its arena. */
#ifndef FC_WEB_REPLY_H
#define FC_WEB_REPLY_H
#include <jansson.h>

#include "core/err.h"
#include "http/request.h"

/* Registers with http how resp_error answers (the API's JSON error shape, or the error page
 * on a page route); once per process. */
void reply_init(void);
/* Answers status with the JSON text of body, which it takes; replaces an earlier body. */
void reply_json(struct request *r, int status, json_t *body);
/* Renders page (a template, in the layout) with data, which it takes; a render failure
 * becomes a 500 page. */
void reply_page(struct request *r, int status, const char *page, const char *title, json_t *data);
/* Answers with a domain error: the API's JSON shape, or the error page. */
void reply_err(struct request *r, const struct err *e);
/* The common end of a JSON handler: {key: v} with status, or, when the domain call gave NULL,
 * its error e. Takes v. */
void reply_result(struct request *r, int status, const char *key, json_t *v, const struct err *e);
/* The Retry-After header a 429 domain error asks for (reply_err adds it; a page that shows the
 * error on its own form calls this). */
void reply_retry_after(struct request *r, const struct err *e);
/* Answers 503 in the request's own shape when a store failed. */
void reply_store_failed(struct request *r);

#endif
