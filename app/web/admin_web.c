/* admin_web.c - the admin JSON API (vendors, figures, parked events) and the dashboard and
 * parked-events pages (role admin only). */
#include <string.h>

#include "domain/pipeline.h"
#include "domain/stats.h"
#include "domain/vendors.h"
#include "store/db.h"
#include "web/api.h"
#include "web/handlers.h"
#include "web/form.h"
#include "web/reply.h"
#include "web/auth.h"

void api_admin_vendor_create(struct request *r)
{
    struct err e;
    json_t *b = api_body(r);
    if (!b)
        return;
    reply_result(r, 201, "vendor", vendor_create(json_string_value(json_object_get(b, "name")), &e),
                 &e);
}

void api_admin_vendors(struct request *r)
{
    struct err e;
    reply_result(r, 200, "items", vendor_list(&e), &e);
}

void api_admin_stats(struct request *r)
{
    struct err e;
    reply_result(r, 200, "stats", stats_get(&e), &e);
}

/* /admin: the figures, orders by status, the vendors' balances. */
void page_admin(struct request *r)
{
    struct err e;
    json_t *figures = stats_get(&e), *vendors = figures ? vendor_list(&e) : NULL;
    if (!vendors)
        return reply_store_failed(r);
    json_t *orders = json_incref(json_object_get(figures, "orders"));
    json_object_del(figures, "orders");
    reply_page(
        r, 200, "admin.tpl", "Dashboard · admin",
        json_pack("{s:o, s:o, s:o}", "figures", figures, "orders", orders, "vendors", vendors));
}

/* Parked events: what a consumer could not apply, newest first, the unresolved ones on top. */
static json_t *parked_list(void)
{
    json_t *rows = db_query(
               "SELECT id, consumer, topic, kpartition AS `partition`, koffset AS `offset`,"
               " msg_key AS `key`, payload, reason, status, attempts, parked_at, retried_at,"
               " resolved_at FROM parked_events"
               " ORDER BY status = 'parked' DESC, id DESC LIMIT 500",
               ""),
           *row;
    size_t i;
    json_array_foreach(rows, i, row)
    {
        const char *st = json_string_value(json_object_get(row, "status"));
        json_object_set_new(row, "open", json_boolean(st && !strcmp(st, "parked")));
        json_object_set_new(row, "resolved", json_boolean(st && !strcmp(st, "resolved")));
    }
    return rows;
}

void api_admin_parked(struct request *r)
{
    json_t *rows = parked_list();
    if (!rows)
        return reply_store_failed(r);
    reply_json(r, 200, json_pack("{s:o}", "items", rows));
}

static json_t *parked_one(long long id)
{
    json_t *row;
    return db_query_row(&row,
                        "SELECT id, consumer, topic, kpartition AS `partition`,"
                        " koffset AS `offset`, msg_key AS `key`, payload, reason, status,"
                        " attempts, parked_at, retried_at, resolved_at FROM parked_events"
                        " WHERE id = ?",
                        "i", id) == 1
               ? row
               : NULL;
}

/* POST /api/v1/admin/parked/{id}/retry: applied through the consumer's own handler. */
void api_admin_parked_retry(struct request *r)
{
    struct err e;
    long long id = req_param_id(r, 0);
    if (id <= 0)
        return resp_error(r, 404, "not_found", "no parked event has id %s", r->params[0]);
    if (pipeline_retry_parked(r->a, id, &e) < 0)
        return reply_err(r, &e);
    json_t *row = parked_one(id);
    if (!row)
        return reply_store_failed(r);
    reply_json(r, 200, json_pack("{s:O}", "event", row));
}

/* /admin/parked, and its retry button (POST /admin/parked/{id}/retry). */
void page_admin_parked(struct request *r)
{
    struct err e;
    json_t *outcome = NULL;
    int status = 200;
    if (!strcmp(r->method, "POST")) {
        if (auth_check_csrf(r) < 0)
            return;
        long long id = req_param_id(r, 0);
        if (id <= 0)
            return resp_error(r, 404, "not_found", "no parked event has id %s", r->params[0]);
        int rc = pipeline_retry_parked(r->a, id, &e);
        if (rc < 0 && e.status >= 500)
            return reply_err(r, &e);
        status = rc == 0 ? 200 : e.status;
        outcome = form_outcome(rc == 0 ? "The event is applied and resolved." : NULL, &e);
    }
    json_t *rows = parked_list();
    if (!rows)
        return reply_store_failed(r);
    json_t *d = json_pack("{s:o}", "items", rows);
    if (outcome)
        json_object_set_new(d, "outcome", outcome);
    reply_page(r, status, "admin_parked.tpl", "Parked events · admin", d);
}
