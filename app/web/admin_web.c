/* admin_web.c - the admin JSON API (vendors, figures) and the dashboard page (role admin only). */
#include "domain/vendors.h"
#include "store/db.h"
#include "web/handlers.h"
#include "web/session.h"

void api_admin_vendor_create(struct request *r)
{
    struct err e;
    json_t *b = req_json(r), *v;
    if (!b)
        return;
    if (!(v = vendor_create(json_string_value(json_object_get(b, "name")), &e)))
        return resp_err(r, &e);
    resp_json(r, 201, json_pack("{s:o}", "vendor", v));
}

void api_admin_vendors(struct request *r)
{
    struct err e;
    json_t *rows = vendor_list(&e);
    if (!rows)
        return resp_err(r, &e);
    resp_json(r, 200, json_pack("{s:o}", "items", rows));
}

static json_t *stats(void)
{
    json_t *row;
    return db_query_row(&row,
                        "SELECT (SELECT COUNT(*) FROM users) AS users,"
                        " (SELECT COUNT(*) FROM users WHERE verified = 1) AS verified_users,"
                        " (SELECT COUNT(*) FROM vendors) AS vendors,"
                        " (SELECT COUNT(*) FROM products) AS products,"
                        " (SELECT COUNT(*) FROM coupons) AS coupons",
                        "") == 1
               ? row
               : NULL;
}

void api_admin_stats(struct request *r)
{
    json_t *row = stats();
    if (!row)
        return web_store_failed(r);
    resp_json(r, 200, json_pack("{s:O}", "stats", row));
}

/* /admin: the figures above, orders by status, coupons issued, the vendors' balances. */
void page_admin(struct request *r)
{
    struct err e;
    json_t *figures = stats(), *vendors = figures ? vendor_list(&e) : NULL, *extra = NULL;
    json_t *orders = vendors ? db_query("SELECT status, COUNT(*) AS n, SUM(total) AS total"
                                        " FROM orders GROUP BY status ORDER BY status",
                                        "")
                             : NULL;
    if (!orders || db_query_row(&extra,
                                "SELECT (SELECT COUNT(*) FROM user_coupons) AS issued,"
                                " (SELECT COALESCE(SUM(total_quantity), 0) FROM coupons) AS quantity,"
                                " (SELECT COALESCE(SUM(total), 0) FROM orders WHERE paid_at IS NOT NULL"
                                "  AND status NOT IN ('returned', 'cancelled')) AS sales",
                                "") != 1)
        return web_store_failed(r);
    json_object_update(figures, extra);
    resp_page(r, 200, "admin.tpl", "Dashboard · admin",
              json_pack("{s:O, s:o, s:o}", "figures", figures, "orders", orders, "vendors", vendors));
}
