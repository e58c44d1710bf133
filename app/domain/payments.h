/* payments.h - paying an order: the simulated card gateway, the payment row, a decline's
 * compensation (its units back to the gate, its coupon back to its holder) and the
 * payment.succeeded event, written to the outbox in the payment's transaction. (Refunds are
 * written by orders.c, with the cancel or return that makes them.)
 * Returned JSON is the caller's (jansson, in the request's arena). */
#ifndef FC_PAYMENTS_H
#define FC_PAYMENTS_H
#include <jansson.h>

#include "core/arena.h"
#include "core/err.h"
#include "domain/tokens.h"

/* Simulated gateway: 4242424242424242 approves, 4000000000000002 declines, PAYMENT_FAILURE_RATE
 * adds declines. A decline restores the reservation (exactly once) and answers 402 with the
 * order in *order. An approval writes payment.succeeded to the outbox in the same transaction
 * and publishes it without waiting. Returns the paid order. */
json_t *payment_charge(struct arena *a, const struct principal *u, long long order_id,
                       const char *card, json_t **order, struct err *e);

#endif
