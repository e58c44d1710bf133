/* admin_web.c - the admin JSON API: vendors and the dashboard's figures (role admin only). */
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

void api_admin_stats(struct request *r)
{
    json_t *row;
    if (db_query_row(&row,
                     "SELECT (SELECT COUNT(*) FROM users) AS users,"
                     " (SELECT COUNT(*) FROM users WHERE verified = 1) AS verified_users,"
                     " (SELECT COUNT(*) FROM vendors) AS vendors,"
                     " (SELECT COUNT(*) FROM products) AS products,"
                     " (SELECT COUNT(*) FROM coupons) AS coupons",
                     "") != 1)
        return web_store_failed(r);
    resp_json(r, 200, json_pack("{s:O}", "stats", row));
}
