/* reply.c - how a web handler answers: pages in the layout, domain errors, JSON results. */
#include "web/reply.h"

#include <string.h>
#include <time.h>

#include "core/log.h"
#include "view/view.h"
#include "web/auth.h"

/* The layout's values for every page: site name, title, signed-in user, CSRF token. */
static json_t *layout_data(struct request *r, const char *title)
{
    time_t now = time(NULL);
    struct tm tm;
    gmtime_r(&now, &tm);
    struct principal *u = auth_user(r);
    json_t *user = u ? json_pack("{s:I, s:s, s:s, s:s, s:b}", "id", (json_int_t)u->id, "name",
                                 u->name ? u->name : "", "email", u->email ? u->email : "", "role",
                                 u->role, "admin", strcmp(u->role, "admin") == 0)
                     : json_null();
    return json_pack("{s:s, s:s, s:i, s:o, s:s}", "title", title ? title : "firstcome", "site",
                     "firstcome", "year", tm.tm_year + 1900, "user", user, "csrf", auth_csrf(r));
}

void reply_page(struct request *r, int status, const char *page, const char *title, json_t *data)
{
    r->status = status;
    r->out_type = "text/html; charset=utf-8";
    resp_reset_body(r);
    if (view_render_page(page, layout_data(r, title), data, &r->out) < 0) {
        log_error("render %s failed", page);
        r->status = 500;
        r->out_type = "text/plain; charset=utf-8";
        resp_reset_body(r);
        sb_adds(&r->out, "The page could not be rendered.\n");
    }
}

void reply_json(struct request *r, int status, json_t *body)
{
    r->status = status;
    r->out_type = "application/json";
    resp_reset_body(r);
    sb_add_json(&r->out, body); /* straight into the body: no copy */
}

/* resp_error's shapes: the error page for a page route, DESIGN.md's {"error": {code, message}}
 * for the API. */
static void error_write(struct request *r, int status, const char *code, const char *msg)
{
    if (r->html) {
        json_t *d = json_pack("{s:i, s:s, s:s, s:s}", "status", status, "reason",
                              http_reason(status), "code", code, "message", msg);
        reply_page(r, status, "error.tpl", http_reason(status), d);
        return;
    }
    reply_json(r, status, json_pack("{s:{s:s, s:s}}", "error", "code", code, "message", msg));
}

void reply_init(void)
{
    resp_set_error_writer(error_write);
}

void reply_retry_after(struct request *r, const struct err *e)
{
    if (e->status == 429 && e->retry_after > 0)
        resp_header(r, "Retry-After", arena_sprintf(r->a, "%d", e->retry_after));
}

void reply_err(struct request *r, const struct err *e)
{
    reply_retry_after(r, e);
    resp_error(r, e->status, e->code, "%s", e->msg);
}

void reply_result(struct request *r, int status, const char *key, json_t *v, const struct err *e)
{
    if (!v)
        return reply_err(r, e);
    reply_json(r, status, json_pack("{s:o}", key, v));
}

void reply_store_failed(struct request *r)
{
    resp_error(r, 503, "unavailable", "a data store is not answering; try again shortly");
}
