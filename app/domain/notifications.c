/* notifications.c - what a user is told of their orders (see notifications.h). */
#include "domain/notifications.h"

#include <string.h>

#include "core/log.h"
#include "store/db.h"

static const char *describe(struct arena *a, const char *type, json_t *ev)
{
    long long id = json_integer_value(json_object_get(ev, "order_id"));
    const char *tracking = json_string_value(json_object_get(ev, "tracking_number"));
    if (!strcmp(type, "payment.succeeded"))
        return arena_sprintf(a, "Payment received for order #%lld.", id);
    if (!strcmp(type, "order.preparing"))
        return arena_sprintf(a, "Order #%lld is being prepared for shipping.", id);
    if (!strcmp(type, "order.cancelled"))
        return arena_sprintf(a, "Order #%lld is cancelled; any payment is refunded.", id);
    if (!strcmp(type, "order.returned"))
        return arena_sprintf(a, "Your return of order #%lld arrived; the payment is refunded.", id);
    if (!strcmp(type, "shipment.shipping"))
        return arena_sprintf(a, "Order #%lld is on its way (tracking %s).", id, tracking ?: "");
    if (!strcmp(type, "shipment.delivered"))
        return arena_sprintf(a, "Order #%lld was delivered.", id);
    return arena_sprintf(a, "Order #%lld: %s.", id, type);
}

int notification_on_event(struct arena *a, const char *topic, json_t *ev)
{
    const char *type = json_string_value(json_object_get(ev, "type"));
    const char *event_id = json_string_value(json_object_get(ev, "event_id"));
    long long user = json_integer_value(json_object_get(ev, "user_id"));
    if (!type || !event_id || user <= 0)
        return 0;
    const char *msg = describe(a, type, ev);
    /* The unique event id makes a redelivered event one notification still. */
    long long n =
        db_exec("INSERT IGNORE INTO notifications (user_id, event_id, kind, message, order_id)"
                " VALUES (?, ?, ?, ?, ?)",
                "isssi", user, event_id, type, msg,
                (long long)json_integer_value(json_object_get(ev, "order_id")));
    if (n < 0)
        return -1;
    if (n == 1)
        log_info("notify user %lld (%s): %s", user, topic, msg);
    return 0;
}

json_t *notification_list(long long user_id, struct err *e)
{
    json_t *rows = db_query("SELECT id, kind, message, order_id, created_at FROM notifications"
                            " WHERE user_id = ? ORDER BY id DESC LIMIT 100",
                            "i", user_id);
    if (!rows)
        err_store(e);
    return rows;
}
