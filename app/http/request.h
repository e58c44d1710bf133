/* request.h - one HTTP request as the handlers see it, and the response they build. */
#ifndef FC_REQUEST_H
#define FC_REQUEST_H
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
    long long content_length; /* CONTENT_LENGTH, 0 when none */
    const char *body;
    size_t body_len;
    const char *params[REQ_MAX_PARAMS];
    int nparams;
    int route_id;
    bool html;               /* a page route: errors render as pages, not JSON */
    struct kvlist query;     /* parsed before dispatch */
    struct kvlist *form;     /* parsed on first use */
    void *json;              /* the JSON body, decoded on first use by web/api.c */
    void *user;              /* a struct principal, set by web/auth.c */
    const char *csrf_issued; /* a CSRF token set as a cookie by this response */
    char **env;              /* the FastCGI parameters ("NAME=value"), for req_header */
    void *conn;              /* the server's connection, for flush */
    /* Set by the server: sends the head (the first time) and what out holds, then empties out
     * (see req_flush). */
    bool (*flush)(struct request *r);
    bool streaming; /* the head has gone out: the response ends when the handler returns */

    int status;
    const char *out_type;
    struct strbuf out_headers; /* "Name: value\r\n" lines */
    struct strbuf out;
};

void req_init(struct request *r, struct arena *a);
/* Fills the request from its FastCGI parameters (env: "NAME=value", NULL-terminated, kept):
 * method, path (DOCUMENT_URI, else SCRIPT_NAME), query (parsed), content type and length,
 * client address, cookies, Authorization. Returns 0, or 400 with the answer set (a length
 * that is not a number, a path that is not UTF-8, a malformed query string). */
int req_assemble(struct request *r, char **env);

const char *req_query(struct request *r, const char *key);
/* Form field from an urlencoded body; NULL when absent or the body is not a form. */
const char *req_form(struct request *r, const char *key);
/* Whether the body's Content-Type is type (parameters such as charset aside). */
bool req_content_type_is(const struct request *r, const char *type);
const char *req_cookie(struct request *r, const char *name);
/* The values of every cookie whose name starts with prefix, separated by spaces; NULL when
 * none. */
const char *req_cookies_named(struct request *r, const char *prefix);
/* A request header by its CGI name ("X_CSRF_TOKEN" for X-CSRF-Token); NULL when absent. */
const char *req_header(const struct request *r, const char *cgi_name);
/* Path parameter idx as a positive id; -1 when not one (callers answer 404). */
long long req_param_id(struct request *r, int idx);

void resp_header(struct request *r, const char *name, const char *value);
/* Answers an error with status, a machine code and a message, in the shape the web layer
 * registered (the API's JSON, the site's error page); plain text until one is registered. */
void resp_error(struct request *r, int status, const char *code, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));
void resp_text(struct request *r, int status, const char *type, const char *text);
void resp_redirect(struct request *r, const char *location);
void resp_no_content(struct request *r);
/* Streams the response (Server-Sent Events): sends the head the first time and what the body
 * holds now, and empties the body; the response ends when the handler returns. False when it
 * could not be sent or the client has gone (the handler should stop), or nothing streams here. */
bool req_flush(struct request *r);
/* Clears the body: a handler that answers again replaces what it wrote. */
void resp_reset_body(struct request *r);
/* How resp_error writes its answer: registered once per process by the layer that knows the
 * shapes (web/reply.c). msg is valid UTF-8 and at most 511 bytes. */
typedef void (*resp_error_fn)(struct request *r, int status, const char *code, const char *msg);
void resp_set_error_writer(resp_error_fn write);

const char *http_reason(int status);

#endif
