/* orders.h - checkout (Lua reservation, all or nothing), payment with compensation and an
 * outbox event, cancel and return, and the time-based transitions the scheduler runs. */
#ifndef FC_ORDERS_H
#define FC_ORDERS_H
#include <jansson.h>
#include <stdbool.h>

#include "core/arena.h"
#include "core/err.h"
#include "domain/tokens.h"

#define ORDER_MAX_ITEMS 20
#define ORDER_MAX_QUANTITY 100

/* Asked just before a checkout commits: true when whoever asked for it has gone away (nginx
 * gave up), so that nobody is left holding an order they were never told of. May be NULL. */
typedef bool (*order_asker_gone_fn)(void);
/* body: {items?: [{product_id, quantity}], coupon_id?} (no items: the cart). Reserves every
 * item or none, and writes the order as pending_payment. Returns the order. */
json_t *order_create(struct arena *a, const struct principal *u, json_t *body,
                     order_asker_gone_fn gone, struct err *e);
/* Simulated gateway: 4242424242424242 approves, 4000000000000002 declines, PAYMENT_FAILURE_RATE
 * adds declines. A decline restores the reservation (exactly once) and answers 402 with the
 * order in *order. An approval writes payment.succeeded to the outbox in the same transaction
 * and publishes it without waiting. */
json_t *order_pay(struct arena *a, const struct principal *u, long long id, const char *card,
                  json_t **order, struct err *e);
/* The user's order with items, history and shipment; another user's order is 404. */
json_t *order_get(struct arena *a, long long user_id, long long id, struct err *e);
json_t *order_list(long long user_id, struct err *e);
/* Before shipping: refund, stock and coupon back (409 not_cancellable otherwise, twice too). */
json_t *order_cancel(struct arena *a, const struct principal *u, long long id, struct err *e);
/* After delivery, within RETURN_WINDOW: return_requested (409 not_returnable otherwise). */
json_t *order_return(struct arena *a, const struct principal *u, long long id, struct err *e);

/* The scheduler's steps (each returns how many rows moved, -1 on a store error). */
int orders_expire_due(struct arena *a, int limit);
int shipments_advance_due(struct arena *a, int limit);
int returns_complete_due(struct arena *a, int limit);

/* The workers' steps, each idempotent by the event id (0 done, -1 store error: retry).
 * order_on_payment answers CONSUMER_REFUSED (store/consumer.h) when MySQL's durable stock
 * guard refuses the order's units: the event is parked, not retried. */
int order_on_payment(struct arena *a, json_t *event);
int shipment_on_order_event(struct arena *a, json_t *event);
int notify_on_event(struct arena *a, const char *topic, json_t *event);

#endif
