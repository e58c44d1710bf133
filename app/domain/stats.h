/* stats.h - the shop's figures for its operators, read from MySQL at the moment asked. */
#ifndef FC_STATS_H
#define FC_STATS_H
#include <jansson.h>

#include "core/err.h"

/* {users, verified_users, vendors, products, coupons, issued (coupons issued), quantity (coupons
 * offered), sales (the totals of paid orders not cancelled or returned), parked (events parked),
 * orders: [{status, n, total}] by status}; the caller's. NULL with e set on a store failure. */
json_t *stats_get(struct err *e);

/* The outbox: events written and not yet acknowledged by Kafka, and the age in seconds of the
 * oldest (0: none). 0, or -1 when MySQL failed. */
int stats_outbox(long long *waiting, long long *oldest_seconds);

#endif
