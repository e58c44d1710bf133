/* stock.h - the product gate: each product's live stock in Redis, the Lua scripts that take and
 * give back its units atomically, and its rebuild from MySQL. Every gate key is spelled here:
 * {p:ID}:stock (units free), :meta (sale start, per-user limit, the Redis run it was built in),
 * :bought (units per user) and :held (units per order), one hash slot per product.
 *
 * The gate's truth is MySQL: products.stock less the units of the orders that hold some. A
 * rebuild (stock_load) takes the product's stock_gates row exclusively; every transaction that
 * changes whether an order holds units takes it shared (stock_share_*) until it commits, so a
 * rebuild never counts free a unit that a checkout in flight reserved. Strings returned are in
 * the caller's arena. */
#ifndef FC_STOCK_H
#define FC_STOCK_H
#include <stdbool.h>

#include "core/arena.h"

/* stock_reserve.lua's answers, and a lost one. */
enum stock_reserve_outcome {
    STOCK_RESERVED = 0,    /* taken (or taken already by this order: a replay takes nothing) */
    STOCK_SOLD_OUT = 1,    /* fewer units left than asked */
    STOCK_NOT_STARTED = 2, /* the sale has not started */
    STOCK_OVER_LIMIT = 3,  /* the user's units would pass the per-user limit */
    STOCK_NOT_LOADED = -1, /* no counter, or one built in another Redis run: stock_load it */
    STOCK_NO_ANSWER = -100 /* Redis failed, or its reply was lost: the script may have run */
};

/* stock_adjust.lua's answers, and a failure. */
enum stock_adjust_outcome {
    STOCK_ADJUST_NONE = 0, /* not asked: no change of stock */
    STOCK_ADJUSTED = 1,
    STOCK_ADJUST_REFUSED = -1,    /* a cut below the units reserved */
    STOCK_ADJUST_NOT_LOADED = -2, /* no live counter: load it after the commit */
    STOCK_ADJUST_FAILED = -3      /* Redis failed */
};

/* {p:ID}:stock, the product's units not reserved or sold. */
const char *stock_counter_key(struct arena *a, long long product_id);

/* Takes qty units of the product for the order (recorded under the order's id). */
enum stock_reserve_outcome stock_reserve(struct arena *a, long long product_id, long long user_id,
                                         long long qty, long long order_id);
/* stock_reserve.lua's reply ({outcome, stock left}) read: STOCK_NO_ANSWER for none (NULL) and for
 * any reply not of that shape. */
struct redisReply;
enum stock_reserve_outcome stock_reserve_outcome_of(const struct redisReply *reply);
/* Gives back what the order holds of the product; a repeat gives nothing. */
void stock_release(struct arena *a, long long product_id, long long user_id, long long order_id);
/* Gives back every unit of an order. Callers have committed the guarded status change that
 * makes the order hold no units any more. */
void stock_release_order(struct arena *a, long long order_id, long long user_id);

/* The gate rows of the order's products, shared until the transaction ends (no rebuild of their
 * counters reads MySQL meanwhile). Taken after the order row, as every release takes them. */
int stock_share_order(long long order_id);
/* One product's gate row, shared until the transaction ends: 1 taken, 0 the product has no gate
 * row yet (its counter was never built), -1 store failure. */
int stock_share_product(long long product_id);
/* The product's gate row, exclusively (made first if it has none), in a transaction of its own
 * left open: it waits for every checkout and release of the product in flight and holds new
 * ones off until the caller commits. 1 taken, 0 no such product (rolled back), -1 failure. */
int stock_take(long long product_id);
/* Units orders hold of the product (pending, or paid and not yet taken out of products.stock),
 * in the caller's transaction; -1 on a store failure. */
long long stock_held_units(long long product_id);

/* Rebuilds a product's gate (counter, sale start and limit, units per user, a record per order
 * holding units) from MySQL, replacing what Redis has, under the gate row taken exclusively in
 * a transaction of its own: the caller must not be in one. 1 built, 0 no such product, -1. */
int stock_load(struct arena *a, long long product_id);
/* stock_load for every product. Returns how many were built, -1 on a failure. */
int stock_load_all(struct arena *a);

/* Moves the live counter by delta, atomically with reservations. */
enum stock_adjust_outcome stock_adjust(struct arena *a, long long product_id, long long delta);
/* stock_adjust.lua's reply read: 1, -1 or -2 as the script answers them, STOCK_ADJUST_FAILED
 * for none and for any other reply (whether the counter moved is then unknown, as when Redis
 * does not answer). */
enum stock_adjust_outcome stock_adjust_outcome_of(const struct redisReply *reply);
/* Whether stock_load.lua's reply is the 1 it answers. */
bool stock_load_answered(const struct redisReply *reply);
/* Takes back a stock_adjust that MySQL did not follow. */
void stock_adjust_undo(long long product_id, long long delta);
/* Whether Redis holds the product's counter and meta. */
bool stock_is_live(long long product_id);
/* Republishes the product's sale start and per-user limit from MySQL into the gate. */
void stock_publish_meta(long long product_id);

/* Durable stock (products.stock and sold), in the caller's transaction. Takes qty units out by
 * a conditional update that never goes below zero: 1 taken, 0 short, -1 store failure. */
int stock_take_durable(long long product_id, long long qty);
/* Puts back the units of an order whose units the order worker had taken out. 0, or -1. */
int stock_restore_durable(long long order_id);

#endif
