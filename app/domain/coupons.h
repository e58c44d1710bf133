/* coupons.h - first-come coupon campaigns: create, list, claim (sync or through Kafka),
 * durable issue, and the Redis state rebuilt from MySQL. */
#ifndef FC_COUPONS_H
#define FC_COUPONS_H
#include <jansson.h>
#include <stdbool.h>

#include "core/arena.h"
#include "core/err.h"
#include "domain/tokens.h"

/* Admin: {vendor_id, name, type: fixed|percent, value, total_quantity, starts_at, ends_at}.
 * total_quantity above COUPON_QUANTITY_CAP is 422. Returns the campaign. */
json_t *coupon_create(struct arena *a, json_t *body, struct err *e);
/* coupon_create's check of the body, before anything is stored: 0, or -1 with a 422 in e. */
int coupon_check_body(json_t *body, struct err *e);
/* Every campaign with its vendor and live remaining count, newest first. */
json_t *coupon_list(struct arena *a, struct err *e);
json_t *coupon_get(struct arena *a, long long id, struct err *e);

/* The outcome of a claim the caller answers with: 201 {"user_coupon"} in sync mode, 202
 * {"claim"} in kafka mode. */
struct claim {
    bool pending; /* kafka mode: the coupon worker writes it */
    long long user_coupon_id;
    long long remaining;
};
/* Claims one coupon of campaign id for user u from client address `client`, carrying `pass`
 * (NULL: none) for a campaign a waiting room guards (rooms.h: 403 without a valid one). */
int coupon_claim(struct arena *a, long long id, const struct principal *u, const char *client,
                 const char *pass, struct claim *out, struct err *e);

/* The durable write of one claim: MySQL's unique key and conditional counter decide. Returns
 * the user_coupon id, 0 when this user already holds one (an idempotent repeat), or -1 with
 * e->code "sold_out" (MySQL refused: the claim must be compensated) or a store error. */
long long coupon_issue(long long coupon_id, long long user_id, const char *event_id, struct err *e);
/* One claim as the coupon worker receives it. */
struct claim_event {
    long long coupon_id, user_id;
    const char *event_id;
};
/* Writes many claims in one transaction (the coupon worker's fast path). Returns 0 when all
 * are written (repeats skipped), 1 when a campaign would pass its total (nothing written: the
 * caller goes claim by claim with coupon_issue to find the refused ones), -1 on a store error. */
int coupon_issue_batch(const struct claim_event *evs, size_t n);
/* Takes a user out of a campaign's claimed set: the compensation of a claim whose durable
 * write was refused or failed. */
void coupon_unclaim(long long coupon_id, long long user_id);

/* Where a user's claim on campaign id stands: "issued" (*user_coupon_id set), "pending" (Redis
 * holds the user's place and the coupon worker has not written the coupon yet, kafka mode), or
 * "none". NULL with e set: 404 for no such campaign, or a store failure. */
const char *coupon_claim_status(long long id, long long user_id, long long *user_coupon_id,
                                struct err *e);

/* The user's coupons with their campaigns. */
json_t *coupon_mine(long long user_id, struct err *e);
/* The user's coupons an order of `amount` could use now (unused, held by no order, the campaign
 * not ended): coupon_id, name, type, value, ends_at and the discount each would give, the
 * largest first. NULL with e set on a store failure. */
json_t *coupon_usable(long long user_id, long long amount, struct err *e);

/* Rebuilds from MySQL the Redis state of every campaign (or one, id > 0) that is missing or
 * disagrees with MySQL. Returns how many were rebuilt, -1 on failure. */
int coupon_reconcile(struct arena *a, long long id);

/* A coupon on an order, each in the caller's transaction. The discount of the user's unused
 * coupon of campaign coupon_id, now held for the order (*uc_id: the user's coupon), or -1 with e
 * set (409 coupon_unavailable). */
long long coupon_hold_for_order(long long user_id, long long coupon_id, long long order_id,
                                long long amount, long long *uc_id, struct err *e);
/* A coupon held (not yet used) by an order that will not be paid goes back to its holder. */
int coupon_release_hold(long long order_id);
/* Held or used by the order, the coupon becomes available again (a used one's value taken back
 * from its vendor). 0, or -1 on a store failure. */
int coupon_give_back(long long order_id);
/* The coupon the order holds is used, its value credited to its vendor. 0, or -1. */
int coupon_mark_used(long long order_id);

/* The claim gate's reply (coupon_claim.lua's, for a batch of n users) read into each user's
 * outcome (the script's codes, from -2 to 4) and coupons left: 0, or -1 when the reply is not of
 * the script's shape (every outcome then COUPON_GATE_NO_ANSWER: the script may have run). */
#define COUPON_GATE_NO_ANSWER (-100)
struct redisReply;
int coupon_gate_read(const struct redisReply *r, int n, int *outcomes, long long *remaining);
/* coupon_load.lua's reply read: 1 (loaded now) or 0 (there already); -1 for any other reply. */
int coupon_load_read(const struct redisReply *r);

#endif
