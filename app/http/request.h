/* request.h - one HTTP request as the handlers see it, and the response they build. */
#ifndef FC_REQUEST_H
#define FC_REQUEST_H
#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>

#include "core/arena.h"
#include "core/kvlist.h"
#include "core/strbuf.h"

#define REQ_MAX_PARAMS 4

/* Everything here lives in the request's arena and dies with it. */
struct request {
    struct arena *a;
    const char *method, *path, *query_string, *content_type, *remote_addr, *cookie_header,
        *authorization;
    const char *body;
    size_t body_len;
    const char *params[REQ_MAX_PARAMS];
    int nparams;
    int route_id;
    bool html;               /* a page route: errors render as pages, not JSON */
    struct kvlist query;     /* parsed before dispatch */
    struct kvlist *form;     /* parsed on first use */
    json_t *json;            /* parsed on first use */
    void *user;              /* a struct principal, set by web/auth.c */
    const char *csrf_issued; /* a CSRF token set as a cookie by this response */

    int status;
    const char *out_type;
    struct strbuf out_headers; /* "Name: value\r\n" lines */
    struct strbuf out;
};

void req_init(struct request *r, struct arena *a);

const char *req_query(struct request *r, const char *key);
/* Form field from an urlencoded body; NULL when absent or the body is not a form. */
const char *req_form(struct request *r, const char *key);
/* The JSON body as an object; on failure the 400/413/415 response is already set and NULL returned.
 */
json_t *req_json(struct request *r);
/* The most values (objects, arrays, members, elements) a JSON body may hold: a request's parse
 * lives in its arena until the answer is sent, and a 1 MiB body of "{}," would otherwise cost
 * some 90 MiB per worker. Larger bodies are answered 413 `json_too_large` before parsing. */
#define REQ_JSON_MAX_VALUES 10000
/* How many values the JSON text holds, counted without parsing it (at most limit + 1). */
long req_json_values(const char *s, size_t len, long limit);
const char *req_cookie(struct request *r, const char *name);
/* Path parameter idx as a positive id; -1 when not one (callers answer 404). */
long long req_param_id(struct request *r, int idx);

void resp_header(struct request *r, const char *name, const char *value);
void resp_json(struct request *r, int status, json_t *body);
/* The DESIGN.md error shape for the API, the registered error page for page routes. */
void resp_error(struct request *r, int status, const char *code, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));
void resp_text(struct request *r, int status, const char *type, const char *text);
void resp_redirect(struct request *r, const char *location);
void resp_no_content(struct request *r);
/* Clears the body: a handler that answers again replaces what it wrote. */
void resp_reset_body(struct request *r);
/* How resp_error answers a page route (r->html): the web layer registers its error page once
 * per process; until then pages get the JSON shape too. msg is valid UTF-8. */
typedef void (*resp_error_page_fn)(struct request *r, int status, const char *code,
                                   const char *msg);
void resp_set_error_page(resp_error_page_fn render);

const char *http_reason(int status);

#endif
