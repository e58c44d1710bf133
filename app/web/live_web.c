/* live_web.c - the operators' live view of a sale: /admin/live/products/{id} and
 * /admin/live/coupons/{id} (the figures now, readable with JavaScript off) and their
 * /events streams (Server-Sent Events, one event a second, charted by the page). */
#include <string.h>

#include "core/clock.h"
#include "core/config.h"
#include "core/coro.h"
#include "core/supervisor.h"
#include "domain/live.h"
#include "web/handlers.h"
#include "web/reply.h"

/* A stream holds one of its worker's request slots for as long as it lasts. */
#define STREAMS_PER_WORKER 2
#define TICK_SECONDS 1.0

static int open_streams; /* in this worker */

static enum outcome_item kind_of(const struct request *r)
{
    return strncmp(r->path, "/admin/live/coupons/", 20) == 0 ? OUTCOME_CAMPAIGN : OUTCOME_PRODUCT;
}

/* The routes that claim the campaign or order the product: their latency is the view's. */
static int routes_of(enum outcome_item kind, int out[2])
{
    static const char *const claims[] = {"POST /api/v1/coupons/{id}/claim",
                                         "POST /coupons/{id}/claim"};
    static const char *const orders[] = {"POST /api/v1/orders", "POST /checkout"};
    const char *const *names = kind == OUTCOME_CAMPAIGN ? claims : orders;
    int n = 0;
    for (int i = 0; i < 2; i++)
        if ((out[n] = metrics_route(names[i])) >= 0)
            n++;
    return n;
}

/* {name, n} rows of an object's members, for the template. */
static json_t *rows_of(json_t *obj, const char *name)
{
    json_t *rows = json_array(), *v;
    const char *k;
    json_object_foreach(obj, k, v)
        json_array_append_new(rows, json_pack("{s:s, s:O}", name, k, "n", v));
    return rows;
}

void page_admin_live(struct request *r)
{
    enum outcome_item kind = kind_of(r);
    long long id = req_param_id(r, 0);
    struct err e;
    json_t *item = live_item(r->a, kind, id, &e);
    if (!item)
        return reply_err(r, &e);
    int routes[2], n = routes_of(kind, routes);
    struct live_reading now;
    live_read(r->a, kind, id, routes, n, &now);
    json_t *ev = live_event(NULL, &now);
    long long waiting = now.outbox > 0 ? now.outbox : 0;
    for (int i = 0; i < now.nlags; i++)
        waiting += now.lags[i].lag;
    json_object_set_new(item, "campaign", json_boolean(kind == OUTCOME_CAMPAIGN));
    json_object_set_new(item, "product", json_boolean(kind == OUTCOME_PRODUCT));
    json_object_set_new(item, "events", json_string(arena_sprintf(r->a, "%s/events", r->path)));
    reply_page(
        r, 200, "admin_live.tpl",
        arena_sprintf(r->a, "Live: %s · admin", json_string_value(json_object_get(item, "name"))),
        json_pack("{s:o, s:I, s:O, s:o, s:o}", "item", item, "waiting", (json_int_t)waiting, "left",
                  json_object_get(ev, "left"), "totals",
                  rows_of(json_object_get(ev, "totals"), "outcome"), "lag",
                  rows_of(json_object_get(ev, "lag"), "group")));
}

static void send_event(struct request *r, json_t *ev)
{
    sb_adds(&r->out, "data: ");
    sb_add_json(&r->out, ev); /* compact: one line */
    sb_adds(&r->out, "\n\n");
}

void page_admin_live_events(struct request *r)
{
    enum outcome_item kind = kind_of(r);
    long long id = req_param_id(r, 0);
    struct err e;
    if (!live_item(r->a, kind, id, &e))
        return reply_err(r, &e);
    if (open_streams >= STREAMS_PER_WORKER) {
        resp_error(r, 503, "unavailable", "too many live views are open; the page tries again");
        return;
    }
    int routes[2], n = routes_of(kind, routes);
    r->status = 200;
    r->out_type = "text/event-stream; charset=utf-8";
    resp_header(r, "Cache-Control", "no-store");
    resp_header(r, "X-Accel-Buffering", "no"); /* nginx passes each event on at once */
    open_streams++;
    metrics_live_stream(1);
    struct live_reading before, now;
    live_read(r->a, kind, id, routes, n, &before);
    sb_printf(&r->out, "retry: %d\n", 2000); /* the reconnect after the stream's end */
    send_event(r, live_event(NULL, &before));
    /* Each tick's figures live in an arena of their own, emptied every tick: the request's
     * would grow for the whole stream. (The loop makes the request's arena jansson's again
     * at every resume.) */
    struct arena tick;
    arena_init(&tick, 16 * 1024);
    /* A stream lasts a few minutes, then the page's EventSource connects again: no request
     * holds a slot for ever, and a restarted worker is found again. */
    double end = clock_now() + cfg.live_stream_seconds, next = before.at + TICK_SECONDS;
    while (req_flush(r) && !sv_stopping && next < end) {
        coro_sleep_until(next);
        arena_reset(&tick);
        json_use_arena(&tick);
        live_read(&tick, kind, id, routes, n, &now);
        send_event(r, live_event(&before, &now));
        json_use_arena(r->a);
        before = now;
        next += TICK_SECONDS;
        if (next < clock_now()) /* the worker was busy past a tick: none to catch up */
            next = clock_now() + TICK_SECONDS;
    }
    arena_free(&tick);
    open_streams--;
    metrics_live_stream(-1);
}
