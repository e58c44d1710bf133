/* orders.h - an order's life: checkout (every item reserved at the gate, or none), cancel and
 * return, expiry and the completion of a return (the scheduler's), and the move to preparing
 * once paid (the order worker's). Paying is payments.h, shipping shipments.h. Returned JSON is
 * the caller's (jansson, in the request's arena). */
#ifndef FC_ORDERS_H
#define FC_ORDERS_H
#include <jansson.h>
#include <stdbool.h>

#include "core/arena.h"
#include "core/err.h"
#include "domain/tokens.h"

#define ORDER_MAX_ITEMS 20
#define ORDER_MAX_QUANTITY 100

/* One line of an order: a product, its units, and (read from the product at checkout) its
 * price and name. */
struct order_item {
    long long product_id, quantity, price;
    const char *name;
};
/* Reads a checkout's items, [{product_id, quantity}, ...], into items (room for
 * ORDER_MAX_ITEMS): one line per product, its quantities added up, sorted by product_id.
 * 0 and *n lines, or -1 with a 422 invalid_items in e. */
int order_items_read(json_t *list, struct order_item *items, size_t *n, struct err *e);

/* Asked just before a checkout commits: true when whoever asked for it has gone away (nginx
 * gave up), so that nobody is left holding an order they were never told of. May be NULL. */
typedef bool (*order_asker_gone_fn)(void);
/* body: {items?: [{product_id, quantity}], coupon_id?} (no items: the cart). Reserves every
 * item or none, and writes the order as pending_payment. `pass` (NULL: none) is the waiting
 * room's, for a product a room guards (rooms.h). Returns the order. */
json_t *order_create(struct arena *a, const struct principal *u, json_t *body, const char *pass,
                     order_asker_gone_fn gone, struct err *e);
/* The user's order with items, history and shipment, and what the buyer may do now (can_pay,
 * can_cancel, can_return, as order_may judges it); another user's order is 404. */
json_t *order_get(struct arena *a, long long user_id, long long id, struct err *e);
json_t *order_list(long long user_id, struct err *e);
/* Before shipping: refund, stock and coupon back (409 not_cancellable otherwise, twice too). */
json_t *order_cancel(struct arena *a, const struct principal *u, long long id, struct err *e);
/* After delivery, within RETURN_WINDOW: return_requested (409 not_returnable otherwise). */
json_t *order_return(struct arena *a, const struct principal *u, long long id, struct err *e);

/* The scheduler's steps (each returns how many rows moved, -1 on a store error). */
int orders_expire_due(struct arena *a, int limit);
int returns_complete_due(struct arena *a, int limit);

/* The workers' steps, each idempotent by the event id (0 done, -1 store error: retry).
 * order_on_payment answers CONSUMER_REFUSED (store/consumer.h) when MySQL's durable stock
 * guard refuses the order's units: the event is parked, not retried. */
int order_on_payment(struct arena *a, json_t *event);

/* A buyer's move (pay, cancel, return) climbs one ladder: order_move_begin opens a transaction,
 * locks the order row and judges the move to `to` by order_may: the row, or NULL with e set
 * (404, or 409 not_payable / not_cancellable / not_returnable) and nothing left open. The move's
 * writes follow and end with db_commit; a failed one (or a failed COMMIT) with order_move_fail,
 * which answers the store's error and rolls back (NULL). */
json_t *order_move_begin(long long user_id, long long id, const char *to, struct err *e);
json_t *order_move_fail(struct err *e);

/* For the order's other transitions (payments.c, shipments.c), in the caller's transaction. */
bool order_status_is(json_t *order, const char *status);
/* Whether the order (a row with status, expired and delivered_at, as order_lock reads it) may
 * move to status `to` now: the state machine's table (orders.c), and the clock (an unpaid order
 * past its expiry cannot be paid; a delivered one is returned within RETURN_WINDOW). */
bool order_may(json_t *order, const char *to);
/* A line of the order's history, at `at` ("YYYY-MM-DD HH:MM:SS", db_time), or at the server's
 * clock when NULL. 0, or -1 on a store failure. */
int order_history_add(long long order_id, const char *status, const char *at);
/* The order's lines with each product's name, and its history, as order_get answers them; NULL
 * on a store failure. */
json_t *order_items_named(long long order_id);
json_t *order_history(long long order_id);
/* An order row as order_lock or order_get reads it, made the answer: items, history, shipment
 * (NULL: none) and what the buyer may do now. Takes the references it is given. */
json_t *order_view(json_t *order, json_t *items, json_t *history, json_t *shipment);

#endif
