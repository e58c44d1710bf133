/* orders.c - an order's life (see orders.h). */
#include "domain/rooms.h"
#include "domain/orders.h"

#include <stdlib.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "core/outcomes.h"
#include "core/config.h"
#include "core/log.h"
#include "core/text.h"
#include "domain/catalog.h"
#include "domain/coupons.h"
#include "domain/stock.h"
#include "store/consumer.h"
#include "store/db.h"
#include "store/kafka.h"
#include "store/outbox.h"
#include "store/redis.h"

/* ---- the state machine ---- */

/* Every move an order can make, and who makes it. Each is a guarded UPDATE (... WHERE status =
 * from) in the transaction of its effects, so of two racing moves one takes effect. */
static const struct order_move {
    const char *from, *to, *by;
} moves[] = {
    {"pending_payment", "paid", "an approved payment (payments.c)"},
    {"pending_payment", "payment_failed", "a declined payment; its units and coupon come back"},
    {"pending_payment", "expired", "the scheduler, RESERVATION_TTL after checkout"},
    {"pending_payment", "cancelled", "the buyer; the units and coupon come back"},
    {"paid", "preparing", "the order worker, on payment.succeeded"},
    {"paid", "cancelled", "the buyer; refunded"},
    {"preparing", "shipping", "the scheduler, SHIP_AFTER later (shipments.c)"},
    {"preparing", "cancelled", "the buyer; refunded"},
    {"shipping", "delivered", "the scheduler, DELIVER_AFTER later (shipments.c)"},
    {"delivered", "return_requested", "the buyer, within RETURN_WINDOW of delivery"},
    {"return_requested", "returned", "the scheduler, SHIP_AFTER later; refunded"},
};

bool order_may(json_t *o, const char *to)
{
    const char *from = json_string_value(json_object_get(o, "status"));
    size_t i;
    for (i = 0; from && i < sizeof(moves) / sizeof(moves[0]); i++)
        if (!strcmp(moves[i].from, from) && !strcmp(moves[i].to, to))
            break;
    if (!from || i == sizeof(moves) / sizeof(moves[0]))
        return false;
    if (!strcmp(to, "paid"))
        return !db_truthy(json_object_get(o, "expired"));
    if (!strcmp(to, "return_requested")) {
        time_t delivered = 0;
        parse_iso_time(json_string_value(json_object_get(o, "delivered_at")), &delivered);
        return delivered > 0 && time(NULL) <= delivered + cfg.return_window;
    }
    return true;
}

/* A status as words in a sentence: "pending_payment" -> "pending payment". */
static const char *status_words(const char *status, char buf[static 32])
{
    snprintf(buf, 32, "%s", status ? status : "unknown");
    for (char *p = buf; *p; p++)
        if (*p == '_')
            *p = ' ';
    return buf;
}

/* A length of time as words: "7 days", "1 hour", "90 seconds". */
static const char *duration_words(int seconds, char buf[static 32])
{
    static const struct {
        int seconds;
        const char *unit;
    } units[] = {{86400, "day"}, {3600, "hour"}, {60, "minute"}, {1, "second"}};
    for (size_t i = 0; i < sizeof(units) / sizeof(units[0]); i++)
        if (seconds % units[i].seconds == 0 || units[i].seconds == 1) {
            int n = seconds / units[i].seconds;
            snprintf(buf, 32, "%d %s%s", n, units[i].unit, n == 1 ? "" : "s");
            break;
        }
    return buf;
}

/* The sentence of a refused move: what the order's state is, and what the move needs. */
static void refuse(json_t *o, long long id, const char *to, struct err *e)
{
    const char *status = json_string_value(json_object_get(o, "status"));
    char words[32], window[32];
    status_words(status, words);
    if (!strcmp(to, "paid"))
        err_set(e, 409, "not_payable", "order %lld is %s: it can no longer be paid", id,
                db_truthy(json_object_get(o, "expired")) && !strcmp(status, "pending_payment")
                    ? "expired"
                    : words);
    else if (!strcmp(to, "cancelled"))
        err_set(e, 409, "not_cancellable",
                "order %lld is %s: only orders not yet shipped can be cancelled", id, words);
    else if (!strcmp(status, "delivered"))
        err_set(e, 409, "not_returnable",
                "order %lld was delivered more than %s ago: returns are accepted within %s of "
                "delivery",
                id, duration_words(cfg.return_window, window), window);
    else if (!strcmp(status, "return_requested") || !strcmp(status, "returned"))
        err_set(e, 409, "not_returnable", "order %lld is %s already", id, words);
    else
        err_set(e, 409, "not_returnable", "order %lld is %s: only delivered orders can be returned",
                id, words);
}

/* Takes the order row for the change; its status and owner checked. */
static json_t *order_lock(long long uid, long long id, struct err *e)
{
    json_t *o;
    int rc = db_query_row(&o,
                          "SELECT id, status, amount, discount, total, user_coupon_id, expires_at,"
                          " paid_at, delivered_at, created_at, expires_at <= UTC_TIMESTAMP() AS"
                          " expired, user_id, stock_applied FROM orders"
                          " WHERE id = ? AND user_id = ? FOR UPDATE",
                          "ii", id, uid);
    if (rc < 0)
        return err_store(e), NULL;
    if (rc == 0)
        return err_set(e, 404, "not_found", "you have no order %lld", id), NULL;
    return o;
}

json_t *order_move_begin(long long user_id, long long id, const char *to, struct err *e)
{
    if (db_begin() < 0)
        return err_store(e), NULL;
    json_t *o = order_lock(user_id, id, e);
    if (o && !order_may(o, to)) {
        refuse(o, id, to, e);
        o = NULL;
    }
    if (!o)
        db_rollback();
    return o;
}

json_t *order_move_fail(struct err *e)
{
    err_store(e);
    db_rollback();
    return NULL;
}

/* ---- reading orders ---- */

int order_history_add(long long order_id, const char *status, const char *at)
{
    return db_exec("INSERT INTO order_history (order_id, status, at)"
                   " VALUES (?, ?, COALESCE(?, UTC_TIMESTAMP()))",
                   "iss", order_id, status, at) < 0
               ? -1
               : 0;
}

json_t *order_view(json_t *o, json_t *items, json_t *history, json_t *shipment)
{
    /* What the buyer may do now, as the moves below will judge it. */
    json_object_set_new(o, "can_pay", json_boolean(order_may(o, "paid")));
    json_object_set_new(o, "can_cancel", json_boolean(order_may(o, "cancelled")));
    json_object_set_new(o, "can_return", json_boolean(order_may(o, "return_requested")));
    json_object_del(o, "expired");
    json_object_del(o, "user_id");
    json_object_del(o, "stock_applied");
    json_object_set_new(o, "items", items);
    json_object_set_new(o, "history", history);
    json_object_set_new(o, "shipment", shipment ? shipment : json_null());
    return o;
}

json_t *order_items_named(long long order_id)
{
    return db_query("SELECT oi.product_id, p.name, oi.quantity, oi.unit_price FROM"
                    " order_items oi JOIN products p ON p.id = oi.product_id"
                    " WHERE oi.order_id = ? ORDER BY oi.product_id",
                    "i", order_id);
}

json_t *order_history(long long order_id)
{
    return db_query("SELECT status, at FROM order_history WHERE order_id = ? ORDER BY id", "i",
                    order_id);
}

bool order_status_is(json_t *o, const char *s)
{
    return !strcmp(json_string_value(json_object_get(o, "status")), s);
}

json_t *order_get(struct arena *a, long long user_id, long long id, struct err *e)
{
    (void)a;
    json_t *o;
    int rc = db_query_row(&o,
                          "SELECT id, status, amount, discount, total, user_coupon_id,"
                          " expires_at, paid_at, delivered_at, created_at,"
                          " expires_at <= UTC_TIMESTAMP() AS expired FROM orders"
                          " WHERE id = ? AND user_id = ?",
                          "ii", id, user_id);
    if (rc < 0)
        return err_store(e), NULL;
    if (rc == 0) /* someone else's order is as absent as a missing one */
        return err_set(e, 404, "not_found", "you have no order %lld", id), NULL;
    json_t *items = order_items_named(id);
    json_t *history = items ? order_history(id) : NULL;
    json_t *ship;
    int s = history ? db_query_row(&ship,
                                   "SELECT tracking_number, status, due_at, shipped_at,"
                                   " delivered_at FROM shipments WHERE order_id = ?",
                                   "i", id)
                    : -1;
    if (s < 0)
        return err_store(e), NULL;
    return order_view(o, items, history, s == 1 ? json_incref(ship) : NULL);
}

json_t *order_list(long long user_id, struct err *e)
{
    json_t *rows = db_query("SELECT o.id, o.status, o.amount, o.discount, o.total, o.created_at,"
                            " o.expires_at, (SELECT SUM(quantity) FROM order_items WHERE order_id ="
                            " o.id) AS units FROM orders o WHERE o.user_id = ? ORDER BY o.id DESC"
                            " LIMIT 200",
                            "i", user_id);
    if (!rows)
        err_store(e);
    return rows;
}

/* ---- checkout ---- */

static int by_product(const void *x, const void *y)
{
    long long a = ((const struct order_item *)x)->product_id,
              b = ((const struct order_item *)y)->product_id;
    return (a > b) - (a < b);
}

int order_items_read(json_t *list, struct order_item *items, size_t *n, struct err *e)
{
    *n = 0;
    if (!json_is_array(list) || json_array_size(list) == 0 ||
        json_array_size(list) > ORDER_MAX_ITEMS)
        return err_set(e, 422, "invalid_items",
                       "items must be a list of 1 to %d {product_id, quantity}", ORDER_MAX_ITEMS);
    memset(items, 0, ORDER_MAX_ITEMS * sizeof(*items));
    size_t i;
    json_t *it;
    json_array_foreach(list, i, it)
    {
        json_t *pid = json_object_get(it, "product_id"), *q = json_object_get(it, "quantity");
        if (!json_is_integer(pid) || json_integer_value(pid) <= 0 || !json_is_integer(q) ||
            json_integer_value(q) < 1 || json_integer_value(q) > ORDER_MAX_QUANTITY)
            return err_set(e, 422, "invalid_items",
                           "each item needs a product_id and a quantity from 1 to %d",
                           ORDER_MAX_QUANTITY);
        size_t k;
        for (k = 0; k < *n && items[k].product_id != json_integer_value(pid); k++)
            ;
        if (k == *n)
            items[(*n)++].product_id = json_integer_value(pid);
        items[k].quantity += json_integer_value(q);
        if (items[k].quantity > ORDER_MAX_QUANTITY)
            return err_set(e, 422, "invalid_items", "at most %d of one product",
                           ORDER_MAX_QUANTITY);
    }
    qsort(items, *n, sizeof(*items), by_product);
    return 0;
}

/* The requested items (merged per product, sorted), or the cart's. */
static struct order_item *items_of(struct arena *a, const struct principal *u, json_t *body,
                                   size_t *n, struct err *e)
{
    json_t *list = json_object_get(body, "items");
    struct order_item *items = arena_calloc(a, ORDER_MAX_ITEMS * sizeof(*items));
    *n = 0;
    if (!list || json_is_null(list)) {
        list =
            db_query("SELECT product_id, quantity FROM cart_items WHERE user_id = ?", "i", u->id);
        if (!list)
            return err_store(e), NULL;
        if (json_array_size(list) == 0)
            return err_set(e, 422, "empty_cart", "your cart is empty: add products or send items"),
                   NULL;
    }
    if (order_items_read(list, items, n, e) < 0)
        return NULL;
    for (size_t k = 0; k < *n; k++) {
        json_t *p;
        int rc = db_query_row(&p, "SELECT price, name FROM products WHERE id = ?", "i",
                              items[k].product_id);
        if (rc < 0)
            return err_store(e), NULL;
        if (rc == 0)
            return err_set(e, 422, "invalid_items", "there is no product %lld",
                           items[k].product_id),
                   NULL;
        items[k].price = json_integer_value(json_object_get(p, "price"));
        items[k].name = arena_strdup(a, json_string_value(json_object_get(p, "name")) ?: "");
    }
    return items;
}

/* Gives back what the order reserved of its first n items. */
static void release_items(struct arena *a, long long uid, const struct order_item *items, size_t n,
                          long long order_id)
{
    for (size_t i = 0; i < n; i++)
        stock_release(a, items[i].product_id, uid, order_id);
}

/* Reserves every item for the order or none: a refusal gives back what was taken before it.
 * A counter Redis does not have (or built in another Redis run) sets *unloaded instead. */
static int reserve_all(struct arena *a, const struct principal *u, struct order_item *items,
                       size_t n, long long order_id, long long *unloaded, struct err *e)
{
    for (size_t i = 0; i < n; i++) {
        enum stock_reserve_outcome r =
            stock_reserve(a, items[i].product_id, u->id, items[i].quantity, order_id);
        if (r == STOCK_RESERVED)
            continue;
        /* A lost answer may have reserved this item too; its release is harmless if it did not. */
        release_items(a, u->id, items, r == STOCK_NO_ANSWER ? i + 1 : i, order_id);
        switch (r) {
        case STOCK_NOT_LOADED: /* built and tried again: not an outcome yet */
            *unloaded = items[i].product_id;
            return -1;
        case STOCK_SOLD_OUT:
            err_set(e, 409, "sold_out", "product %lld does not have %lld left", items[i].product_id,
                    items[i].quantity);
            break;
        case STOCK_NOT_STARTED:
            err_set(e, 403, "sale_not_started", "the sale of product %lld has not started",
                    items[i].product_id);
            break;
        case STOCK_OVER_LIMIT:
            err_set(e, 409, "limit_exceeded", "product %lld is limited per person",
                    items[i].product_id);
            break;
        default:
            err_store(e);
        }
        outcome_count(OUTCOME_PRODUCT, items[i].product_id, e->code);
        return -1;
    }
    return 0;
}

/* The items' gate rows, shared until the transaction ends, in product order. 0 taken, -1 store
 * failure, or the id of a product that has no gate row yet (its counter was never built). */
static long long gate_share_items(const struct order_item *items, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        int rc = stock_share_product(items[i].product_id);
        if (rc <= 0)
            return rc < 0 ? -1 : items[i].product_id;
    }
    return 0;
}

/* COMMIT failed. When the connection was lost on the way, the order may have committed: it is
 * looked up on a new connection, by a locking read that waits while the server still finishes
 * the old transaction. Returns 0 when the order exists (the buyer has it), -1 when it does not
 * (its units are given back), -2 when that cannot be told (the units stay reserved, never
 * counted twice: the order expires, or the next rebuild frees what MySQL does not hold). */
static int settle_commit(struct arena *a, const struct principal *u, const struct order_item *items,
                         size_t n, long long order_id, int committed)
{
    bool lost = committed == DB_OUTCOME_UNKNOWN;
    json_t *o;
    int rc = lost ? db_query_row(&o, "SELECT id FROM orders WHERE id = ? LOCK IN SHARE MODE", "i",
                                 order_id)
                  : 0;
    if (rc == 1) {
        log_warn("order %lld: COMMIT lost its answer; the order is there", order_id);
        return 0;
    }
    if (rc < 0) {
        log_error(
            "order %lld: COMMIT lost its answer and MySQL cannot tell; its units stay reserved",
            order_id);
        return -2;
    }
    release_items(a, u->id, items, n, order_id);
    return -1;
}

/* The order just placed, as order_get would read it back: what the checkout wrote. */
static json_t *placed_view(const struct order_item *items, size_t n, long long id, long long amount,
                           long long discount, long long uc, time_t now)
{
    char created[21], expires[21];
    format_iso_time(now, created);
    format_iso_time(now + cfg.reservation_ttl, expires);
    json_t *o = json_pack(
        "{s:I, s:s, s:I, s:I, s:I, s:o, s:s, s:n, s:n, s:s, s:b}", "id", (json_int_t)id, "status",
        "pending_payment", "amount", (json_int_t)amount, "discount", (json_int_t)discount, "total",
        (json_int_t)(amount - discount), "user_coupon_id", uc ? json_integer(uc) : json_null(),
        "expires_at", expires, "paid_at", "delivered_at", "created_at", created, "expired", 0);
    json_t *list = json_array();
    for (size_t i = 0; o && list && i < n; i++)
        json_array_append_new(
            list, json_pack("{s:I, s:s, s:I, s:I}", "product_id", (json_int_t)items[i].product_id,
                            "name", items[i].name, "quantity", (json_int_t)items[i].quantity,
                            "unit_price", (json_int_t)items[i].price));
    json_t *history = json_pack("[{s:s, s:s}]", "status", "pending_payment", "at", created);
    return o && list && history ? order_view(o, list, history, NULL) : NULL;
}

/* One try of a checkout, in one transaction: the gate rows shared, the order row (its id names
 * the reservation), the reservation, the rest of the order, COMMIT. Returns 0 placed (*order_id),
 * -1 refused or failed (e set, nothing held), or the id of a product whose counter must be
 * built before the next try (that build waits for this transaction, so it has ended here). */
static long long checkout_once(struct arena *a, const struct principal *u, order_asker_gone_fn gone,
                               struct order_item *items, size_t n, json_t *coupon,
                               long long *order_id, json_t **placed, struct err *e)
{
    long long amount = 0, discount = 0, uc = 0, unloaded = 0, gate;
    time_t now = time(NULL);
    for (size_t i = 0; i < n; i++)
        amount += items[i].price * items[i].quantity;
    *order_id = 0;
    if (db_begin() < 0)
        return err_store(e);
    if ((gate = gate_share_items(items, n)) != 0)
        goto out_gate;
    if (db_exec("INSERT INTO orders (user_id, amount, total, expires_at, created_at)"
                " VALUES (?, ?, ?, ?, ?)",
                "iiiss", u->id, amount, amount, db_time(a, now + cfg.reservation_ttl),
                db_time(a, now)) < 0)
        goto out_store;
    *order_id = db_insert_id();
    if (reserve_all(a, u, items, n, *order_id, &unloaded, e) < 0) {
        db_rollback();
        return unloaded ? unloaded : -1;
    }
    for (size_t i = 0; i < n; i++)
        if (db_exec("INSERT INTO order_items (order_id, product_id, quantity, unit_price)"
                    " VALUES (?, ?, ?, ?)",
                    "iiii", *order_id, items[i].product_id, items[i].quantity, items[i].price) < 0)
            goto out_release_store;
    if (coupon && (discount = coupon_hold_for_order(u->id, json_integer_value(coupon), *order_id,
                                                    amount, &uc, e)) < 0)
        goto out_release;
    if ((uc && db_exec("UPDATE orders SET discount = ?, total = ?, user_coupon_id = ? WHERE id = ?",
                       "iiii", discount, amount - discount, uc, *order_id) < 0) ||
        order_history_add(*order_id, "pending_payment", db_time(a, now)) < 0)
        goto out_release_store;
    /* A client that gave up (nginx's timeout) would be told nothing: it gets nothing. */
    if (gone && gone()) {
        log_warn("order %lld: the client went away before the commit; not placed", *order_id);
        goto out_release_store;
    }
    int committed = db_commit();
    if (committed == 0) {
        *placed = placed_view(items, n, *order_id, amount, discount, uc, now);
        return 0;
    }
    int settled = settle_commit(a, u, items, n, *order_id, committed);
    if (settled == 0)
        return 0;
    if (settled == -2)
        return err_unknown(e);
    err_store(e);
    return -1;
out_gate:
    db_rollback();
    return gate < 0 ? err_store(e) : gate;
out_release_store:
    err_store(e);
out_release:
    release_items(a, u->id, items, n, *order_id);
    db_rollback();
    return -1;
out_store:
    db_rollback();
    return err_store(e);
}

static void rooms_give_back(struct arena *a, const struct principal *u, const long long *rooms,
                            size_t n)
{
    for (size_t i = 0; i < n; i++)
        room_give_back(a, rooms[i], u->id);
}

/* The waiting rooms' gate for every product of the order (rooms.h); on a refusal the uses
 * already taken are given back. The rooms are left in rooms[] (0: none). */
static int rooms_admit(struct arena *a, const struct principal *u, const struct order_item *items,
                       size_t n, const char *pass, long long *rooms, struct err *e)
{
    for (size_t i = 0; i < n; i++)
        if (room_admit(a, false, items[i].product_id, u->id, pass, &rooms[i], e) < 0) {
            rooms_give_back(a, u, rooms, i);
            return -1;
        }
    return 0;
}

json_t *order_create(struct arena *a, const struct principal *u, json_t *body, const char *pass,
                     order_asker_gone_fn gone, struct err *e)
{
    size_t n;
    long long id = 0;
    json_t *coupon = json_object_get(body, "coupon_id");
    if (!u->verified)
        return err_set(e, 403, "email_not_verified",
                       "confirm your email address first: open the link we mailed you"),
               NULL;
    if (coupon && !json_is_null(coupon) &&
        (!json_is_integer(coupon) || json_integer_value(coupon) <= 0))
        return err_set(e, 422, "invalid_coupon", "coupon_id must be the id of a coupon campaign"),
               NULL;
    if (json_is_null(coupon))
        coupon = NULL;
    struct order_item *items = items_of(a, u, body, &n, e);
    if (!items)
        return NULL;
    long long *rooms = arena_calloc(a, n * sizeof(long long));
    if (rooms_admit(a, u, items, n, pass, rooms, e) < 0)
        return NULL;
    /* A counter to build (lost by Redis, or never built) is built between tries, outside this
     * checkout's transaction: the build waits for every transaction holding the gate shared. */
    long long rc = -1;
    json_t *placed = NULL;
    for (size_t attempt = 0; attempt <= n; attempt++) {
        rc = checkout_once(a, u, gone, items, n, coupon, &id, &placed, e);
        if (rc <= 0)
            break;
        /* The checkout's own transaction was rolled back before this rebuild: whatever became
         * of the rebuild's statements (an answer lost while it waited for the product's row),
         * no order was placed. */
        if (stock_load(a, rc) < 0) {
            rc = err_unavailable(e);
            break;
        }
    }
    if (rc > 0)
        rc = err_store(e);
    if (rc < 0) {
        /* An order not placed does not spend the pass; one that may have been placed does. */
        if (strcmp(e->code, "outcome_unknown") != 0)
            rooms_give_back(a, u, rooms, n);
        return NULL;
    }
    for (size_t i = 0; i < n; i++)
        outcome_count(OUTCOME_PRODUCT, items[i].product_id, "ordered");
    if (!json_object_get(body, "items") || json_is_null(json_object_get(body, "items")))
        db_exec("DELETE FROM cart_items WHERE user_id = ?", "i", u->id);
    /* A commit whose answer was lost and then found placed is read back. */
    return placed ? placed : order_get(a, u->id, id, e);
}

/* ---- cancel and return ---- */

/* The order's approved payment, refunded (a cancel after payment, a completed return), in the
 * caller's transaction: a refunded row beside the approved one. 0, or -1 on a store failure. */
static int refund(long long order_id)
{
    return db_exec("INSERT INTO payments (order_id, outcome, amount, card_last4)"
                   " SELECT order_id, 'refunded', amount, card_last4 FROM payments"
                   " WHERE order_id = ? AND outcome = 'approved'",
                   "i", order_id) < 0
               ? -1
               : 0;
}

json_t *order_cancel(struct arena *a, const struct principal *u, long long id, struct err *e)
{
    json_t *o = order_move_begin(u->id, id, "cancelled", e);
    if (!o)
        return NULL;
    bool paid = !order_status_is(o, "pending_payment");
    bool applied = db_truthy(json_object_get(o, "stock_applied"));
    long long outbox_id = 0;
    json_t *ev = json_pack("{s:I, s:I}", "order_id", (json_int_t)id, "user_id", (json_int_t)u->id);
    if (stock_share_order(id) < 0 ||
        db_exec("UPDATE orders SET status = 'cancelled', stock_applied = 0 WHERE id = ?", "i",
                id) != 1 ||
        order_history_add(id, "cancelled", NULL) < 0 || coupon_give_back(id) < 0 ||
        (applied && stock_restore_durable(id) < 0) || (paid && refund(id) < 0) ||
        db_exec(
            "UPDATE shipments SET status = 'cancelled' WHERE order_id = ? AND status = 'preparing'",
            "i", id) < 0 ||
        (outbox_id = outbox_add(a, TOPIC_ORDER_EVENTS, id, "order.cancelled", ev)) < 0 ||
        db_commit() < 0)
        return order_move_fail(e);
    stock_release_order(a, id, u->id);
    if (applied)
        catalog_changed(); /* durable stock came back: the in_stock filter may change */
    outbox_publish(a, &outbox_id, 1);
    return order_get(a, u->id, id, e);
}

json_t *order_return(struct arena *a, const struct principal *u, long long id, struct err *e)
{
    if (!order_move_begin(u->id, id, "return_requested", e))
        return NULL;
    if (db_exec("UPDATE orders SET status = 'return_requested' WHERE id = ?", "i", id) != 1 ||
        order_history_add(id, "return_requested", NULL) < 0 || db_commit() < 0)
        return order_move_fail(e);
    return order_get(a, u->id, id, e);
}

/* ---- the scheduler: time-based transitions, due times in MySQL ---- */

/* Moves each due order (rows {id, user_id}) by a guarded status update; when this process won
 * it, `then` runs in the same transaction and, after the commit, the order's units go back to
 * the gate. Returns how many moved, -1 on a store error. */
/* What a timed move does beside its guarded status change, in its transaction; an event it
 * announces the move with is left in *outbox_id, published after the commit. */
typedef int (*move_then)(struct arena *a, json_t *order, long long *outbox_id);

static int move_due(struct arena *a, json_t *due, const char *guarded, move_then then)
{
    if (!due)
        return -1;
    int moved = 0;
    size_t i;
    json_t *o;
    json_array_foreach(due, i, o)
    {
        long long id = json_integer_value(json_object_get(o, "id")), outbox_id = 0;
        if (db_begin() < 0)
            return -1;
        long long won = db_exec(guarded, "i", id);
        if (won < 0 || (won == 1 && (stock_share_order(id) < 0 || then(a, o, &outbox_id) < 0)) ||
            db_commit() < 0) {
            db_rollback();
            return -1;
        }
        if (won == 1) { /* otherwise another change (a payment, say) won: nothing to give back */
            stock_release_order(a, id, json_integer_value(json_object_get(o, "user_id")));
            if (outbox_id > 0)
                outbox_publish(a, &outbox_id, 1);
            moved++;
        }
    }
    return moved;
}

static int expired(struct arena *a, json_t *o, long long *outbox_id)
{
    (void)a;
    (void)outbox_id;
    long long id = json_integer_value(json_object_get(o, "id"));
    return order_history_add(id, "expired", NULL) < 0 || coupon_release_hold(id) < 0 ? -1 : 0;
}

int orders_expire_due(struct arena *a, int limit)
{
    return move_due(
        a,
        db_query("SELECT id, user_id FROM orders WHERE status = 'pending_payment'"
                 " AND expires_at <= UTC_TIMESTAMP() ORDER BY expires_at LIMIT ?",
                 "i", (long long)limit),
        "UPDATE orders SET status = 'expired' WHERE id = ? AND status = 'pending_payment'",
        expired);
}

/* A return received: the stock back, the payment refunded, and the buyer told (order.returned). */
static int returned(struct arena *a, json_t *o, long long *outbox_id)
{
    long long id = json_integer_value(json_object_get(o, "id"));
    json_t *ev = json_pack("{s:I, s:I}", "order_id", (json_int_t)id, "user_id",
                           json_integer_value(json_object_get(o, "user_id")));
    return order_history_add(id, "returned", NULL) < 0 || stock_restore_durable(id) < 0 ||
                   refund(id) < 0 ||
                   (*outbox_id = outbox_add(a, TOPIC_ORDER_EVENTS, id, "order.returned", ev)) < 0
               ? -1
               : 0;
}

int returns_complete_due(struct arena *a, int limit)
{
    /* A requested return is received SHIP_AFTER seconds later (the way back). */
    int n =
        move_due(a,
                 db_query("SELECT o.id, o.user_id FROM orders o WHERE o.status = 'return_requested'"
                          " AND (SELECT MAX(at) FROM order_history h WHERE h.order_id = o.id) <="
                          " UTC_TIMESTAMP() - INTERVAL ? SECOND LIMIT ?",
                          "ii", (long long)cfg.ship_after, (long long)limit),
                 "UPDATE orders SET status = 'returned', stock_applied = 0 WHERE id = ?"
                 " AND status = 'return_requested'",
                 returned);
    if (n > 0)
        catalog_changed(); /* durable stock came back */
    return n;
}

/* ---- consumers, each idempotent by event id ---- */

int order_on_payment(struct arena *a, json_t *ev)
{
    long long id = json_integer_value(json_object_get(ev, "order_id"));
    long long oid = 0;
    json_t *o;
    if (db_begin() < 0)
        return -1;
    int fresh = consumer_first_time("order", json_string_value(json_object_get(ev, "event_id")));
    int rc = fresh == 1 ? db_query_row(&o,
                                       "SELECT status, user_id, user_coupon_id FROM orders"
                                       " WHERE id = ? FOR UPDATE",
                                       "i", id)
                        : fresh;
    if (rc < 0)
        goto out_rollback;
    if (fresh == 0 || rc == 0 || !order_status_is(o, "paid")) /* applied, or cancelled meanwhile */
        return db_commit() < 0 ? -1 : 0;
    /* Durable stock: taken out by a conditional update that can never go below zero. */
    json_t *items = json_object_get(ev, "items"), *it;
    size_t i;
    json_array_foreach(items, i, it)
    {
        long long q = json_integer_value(json_object_get(it, "quantity"));
        long long pid = json_integer_value(json_object_get(it, "product_id"));
        int taken = stock_take_durable(pid, q);
        if (taken == 0) { /* cannot happen through the gate; never taken below zero all the same */
            db_rollback();
            return consumer_refuse("order %lld: durable stock of product %lld is short of %lld", id,
                                   pid, q);
        }
        if (taken < 0)
            goto out_rollback;
    }
    if (coupon_mark_used(id) < 0 ||
        db_exec("UPDATE orders SET status = 'preparing', stock_applied = 1 WHERE id = ?", "i", id) <
            0 ||
        order_history_add(id, "preparing", NULL) < 0 ||
        (oid = outbox_add(a, TOPIC_ORDER_EVENTS, id, "order.preparing",
                          json_pack("{s:I, s:O}", "order_id", (json_int_t)id, "user_id",
                                    json_object_get(o, "user_id")))) < 0 ||
        db_commit() < 0)
        goto out_rollback;
    catalog_changed(); /* durable stock went down: the in_stock filter may change */
    outbox_publish(a, &oid, 1);
    return 0;
out_rollback:
    db_rollback();
    return -1;
}
