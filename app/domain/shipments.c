/* shipments.c - an order's shipment: made when the order is being prepared, moved along by the
 * scheduler (see shipments.h). */
#include "domain/shipments.h"

#include <sodium.h>
#include <stdio.h>
#include <string.h>

#include "core/config.h"
#include "domain/orders.h"
#include "store/consumer.h"
#include "store/db.h"
#include "store/kafka.h"
#include "store/outbox.h"

/* One shipment step: from `from` (due) to `to`, the order following, announced on Kafka. */
static int advance(struct arena *a, json_t *s, const char *to, const char *order_status,
                   int next_in)
{
    long long id = json_integer_value(json_object_get(s, "id"));
    long long order = json_integer_value(json_object_get(s, "order_id"));
    long long oid = 0;
    bool delivered = !strcmp(to, "delivered");
    json_t *locked;
    if (db_begin() < 0)
        return -1;
    /* The order row first, as cancel takes it: the two never deadlock on opposite orders. */
    if (db_query_row(&locked, "SELECT status FROM orders WHERE id = ? FOR UPDATE", "i", order) <
        0) {
        db_rollback();
        return -1;
    }
    long long won =
        db_exec(delivered ? "UPDATE shipments SET status = ?, delivered_at = UTC_TIMESTAMP()"
                            " WHERE id = ? AND status = 'shipping'"
                          : "UPDATE shipments SET status = ?, shipped_at = UTC_TIMESTAMP(),"
                            " due_at = UTC_TIMESTAMP() + INTERVAL ? SECOND WHERE id = ?"
                            " AND status = 'preparing'",
                delivered ? "si" : "sii", to, delivered ? id : (long long)next_in, id);
    if (won == 1) {
        json_t *ev = json_pack("{s:I, s:O, s:O}", "order_id", (json_int_t)order, "user_id",
                               json_object_get(s, "user_id"), "tracking_number",
                               json_object_get(s, "tracking_number"));
        if (db_exec(
                delivered
                    ? "UPDATE orders SET status = ?, delivered_at = UTC_TIMESTAMP() WHERE id = ?"
                    : "UPDATE orders SET status = ? WHERE id = ?",
                "si", order_status, order) < 0 ||
            order_history_add(order, order_status, NULL) < 0 ||
            (oid = outbox_add(a, TOPIC_SHIPMENT_EVENTS, order,
                              delivered ? "shipment.delivered" : "shipment.shipping", ev)) < 0)
            won = -1;
    }
    if (won < 0 || db_commit() < 0) {
        db_rollback();
        return -1;
    }
    if (oid > 0)
        outbox_publish(a, &oid, 1);
    return won == 1;
}

int shipment_advance_due(struct arena *a, int limit)
{
    json_t *due = db_query("SELECT s.id, s.order_id, s.status, s.tracking_number, o.user_id FROM"
                           " shipments s JOIN orders o ON o.id = s.order_id WHERE s.status IN"
                           " ('preparing', 'shipping') AND s.due_at <= UTC_TIMESTAMP()"
                           " AND o.status IN ('preparing', 'shipping') ORDER BY s.due_at LIMIT ?",
                           "i", (long long)limit);
    if (!due)
        return -1;
    int moved = 0;
    size_t i;
    json_t *s;
    json_array_foreach(due, i, s)
    {
        bool preparing = !strcmp(json_string_value(json_object_get(s, "status")), "preparing");
        int rc = preparing ? advance(a, s, "shipping", "shipping", cfg.deliver_after)
                           : advance(a, s, "delivered", "delivered", 0);
        if (rc < 0)
            return -1;
        moved += rc;
    }
    return moved;
}

int shipment_on_order_event(struct arena *a, json_t *ev)
{
    (void)a;
    if (strcmp(json_string_value(json_object_get(ev, "type")) ?: "", "order.preparing"))
        return 0;
    long long id = json_integer_value(json_object_get(ev, "order_id"));
    unsigned char raw[6];
    char tracking[32];
    randombytes_buf(raw, sizeof(raw));
    snprintf(tracking, sizeof(tracking), "FC%02X%02X%02X%02X%02X%02X", raw[0], raw[1], raw[2],
             raw[3], raw[4], raw[5]);
    if (db_begin() < 0)
        return -1;
    int fresh = consumer_first_time("shipment", json_string_value(json_object_get(ev, "event_id")));
    /* One shipment per order: the unique key makes a repeat a no-op as well. */
    if (fresh < 0 ||
        (fresh == 1 && db_exec("INSERT IGNORE INTO shipments (order_id, tracking_number, due_at)"
                               " SELECT id, ?, UTC_TIMESTAMP() + INTERVAL ? SECOND FROM orders"
                               " WHERE id = ? AND status = 'preparing'",
                               "sii", tracking, (long long)cfg.ship_after, id) < 0) ||
        db_commit() < 0) {
        db_rollback();
        return -1;
    }
    return 0;
}
