/* payments.c - paying an order and a decline's compensation (see payments.h). */
#include "domain/payments.h"

#include <ctype.h>
#include <sodium.h>
#include <string.h>
#include <time.h>

#include "core/outcomes.h"
#include "core/config.h"
#include "core/text.h"
#include "domain/coupons.h"
#include "domain/orders.h"
#include "domain/stock.h"
#include "store/db.h"
#include "store/kafka.h"
#include "store/outbox.h"

static bool card_valid(const char *card, char digits[20])
{
    size_t n = 0;
    for (const char *p = card; p && *p; p++) {
        if (*p == ' ' || *p == '-')
            continue;
        if (!isdigit((unsigned char)*p) || n == 19)
            return false;
        digits[n++] = *p;
    }
    digits[n] = '\0';
    return n >= 12;
}

static bool gateway_approves(const char *digits)
{
    if (!strcmp(digits, "4000000000000002"))
        return false;
    if (cfg.payment_failure_rate > 0 &&
        randombytes_uniform(1000000) < (uint32_t)(cfg.payment_failure_rate * 1000000))
        return false;
    return true;
}

/* The payment's outcome, counted for each product of the order (lines {product_id, ...}). */
static void count_items(json_t *lines, const char *outcome)
{
    size_t i;
    json_t *it;
    json_array_foreach(lines, i, it) outcome_count(
        OUTCOME_PRODUCT, json_integer_value(json_object_get(it, "product_id")), outcome);
}

json_t *payment_charge(struct arena *a, const struct principal *u, long long id, const char *card,
                       json_t **order, struct err *e)
{
    char digits[20];
    *order = NULL;
    if (!card_valid(card, digits))
        return err_set(e, 422, "invalid_card", "card_number must be 12 to 19 digits"), NULL;
    json_t *o = order_move_begin(u->id, id, "paid", e);
    if (!o)
        return NULL;
    long long total = json_integer_value(json_object_get(o, "total"));
    bool approved = gateway_approves(digits);
    const char *status = approved ? "paid" : "payment_failed";
    char paid_at[21];
    time_t now = time(NULL);
    format_iso_time(now, paid_at);
    const char *at = db_time(a, now);
    long long outbox_id = 0;
    if ((!approved && stock_share_order(id) < 0) || /* a declined order's units come back */
        db_exec("UPDATE orders SET status = ?, paid_at = IF(? = 'paid', ?, NULL)"
                " WHERE id = ? AND status = 'pending_payment'",
                "sssi", status, status, at, id) != 1 ||
        db_exec("INSERT INTO payments (order_id, outcome, amount, card_last4) VALUES (?, ?, ?, ?)",
                "isis", id, approved ? "approved" : "declined", total,
                digits + strlen(digits) - 4) < 0 ||
        order_history_add(id, status, at) < 0)
        return order_move_fail(e);
    json_t *items = NULL, *history = NULL;
    if (approved) {
        /* The lines and the history answer the buyer too: read once, in the transaction. */
        items = order_items_named(id);
        history = items ? order_history(id) : NULL;
        json_t *lines = json_array(), *it;
        size_t i;
        json_array_foreach(items, i, it) json_array_append_new(
            lines, json_pack("{s:O, s:O}", "product_id", json_object_get(it, "product_id"),
                             "quantity", json_object_get(it, "quantity")));
        json_t *ev =
            history && lines
                ? json_pack("{s:I, s:I, s:I, s:O, s:o}", "order_id", (json_int_t)id, "user_id",
                            (json_int_t)u->id, "total", (json_int_t)total, "user_coupon_id",
                            json_object_get(o, "user_coupon_id"), "items", lines)
                : NULL;
        if (!ev ||
            (outbox_id = outbox_add(a, TOPIC_PAYMENT_SUCCEEDED, id, "payment.succeeded", ev)) < 0)
            return order_move_fail(e);
    } else if (coupon_release_hold(id) < 0) {
        return order_move_fail(e);
    }
    if (db_commit() < 0)
        return order_move_fail(e);
    /* Committed: the payment and its event are durable together. Now the fast paths. */
    if (approved) {
        outbox_publish(a, &outbox_id, 1);
        /* The row as the transaction left it: paid now; a shipment comes only later. */
        json_object_set_new(o, "status", json_string("paid"));
        json_object_set_new(o, "paid_at", json_string(paid_at));
        count_items(items, "paid");
        return order_view(o, items, history, NULL);
    }
    stock_release_order(a, id, u->id); /* the compensation: we won the guarded status change */
    *order = order_get(a, u->id, id, e);
    count_items(json_object_get(*order, "items"), "payment_declined");
    err_set(e, 402, "payment_declined", "the card was declined; the items are back in stock");
    return NULL;
}
