/* stats.c - the shop's figures (see stats.h). */
#include "domain/stats.h"

#include "store/db.h"

int stats_outbox(long long *waiting, long long *oldest_seconds)
{
    json_t *row;
    if (db_query_row(&row,
                     "SELECT COUNT(*) AS n, COALESCE(TIMESTAMPDIFF(SECOND, MIN(created_at), NOW()),"
                     " 0) AS oldest FROM outbox WHERE published_at IS NULL",
                     "") != 1)
        return -1;
    *waiting = json_integer_value(json_object_get(row, "n"));
    *oldest_seconds = json_integer_value(json_object_get(row, "oldest"));
    return 0;
}

json_t *stats_get(struct err *e)
{
    json_t *row;
    if (db_query_row(&row,
                     "SELECT (SELECT COUNT(*) FROM users) AS users,"
                     " (SELECT COUNT(*) FROM users WHERE verified = 1) AS verified_users,"
                     " (SELECT COUNT(*) FROM vendors) AS vendors,"
                     " (SELECT COUNT(*) FROM products) AS products,"
                     " (SELECT COUNT(*) FROM coupons) AS coupons,"
                     " (SELECT COUNT(*) FROM user_coupons) AS issued,"
                     " (SELECT COALESCE(SUM(total_quantity), 0) FROM coupons) AS quantity,"
                     " (SELECT COALESCE(SUM(total), 0) FROM orders WHERE paid_at IS NOT NULL"
                     "  AND status NOT IN ('returned', 'cancelled')) AS sales,"
                     " (SELECT COUNT(*) FROM parked_events WHERE status = 'parked') AS parked",
                     "") != 1)
        return err_store(e), NULL;
    json_t *orders = db_query("SELECT status, COUNT(*) AS n, SUM(total) AS total"
                              " FROM orders GROUP BY status ORDER BY status",
                              "");
    if (!orders)
        return err_store(e), NULL;
    row = json_copy(row);
    json_object_set_new(row, "orders", orders);
    return row;
}
