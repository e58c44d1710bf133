/* outcomes.h - what became of the claims and orders of each coupon campaign and product: counts
 * by outcome in shared memory, kept by every web worker. The live view of a sale reads them and
 * /metrics exports them (firstcome_item_outcomes_total). */
#ifndef FC_OUTCOMES_H
#define FC_OUTCOMES_H
#include <stdbool.h>

#include "core/strbuf.h"

enum outcome_item { OUTCOME_PRODUCT = 1, OUTCOME_CAMPAIGN = 2 };

/* The outcomes counted: "claimed", "ordered", "paid", and the contract's error codes a claim,
 * an order or a payment ends with; any other code counts as "other". */
#define OUTCOMES_N 16
extern const char *const outcome_names[OUTCOMES_N];

/* How many items are counted at most; the counts of items beyond are dropped (and the drops
 * counted). */
#define OUTCOMES_MAX_ITEMS 4096

/* Maps the shared memory; in the master, before fork. Counting without it does nothing. */
int outcomes_init(void);
/* Counts one outcome of the item. An outcome that proves the item exists (claimed, ordered,
 * paid, sold_out, ...) gives it a row; any other (rate_limited, unavailable, not_found, ...)
 * counts only for an item that has one. */
void outcome_count(enum outcome_item kind, long long id, const char *outcome);
/* The item's counts, in the order of outcome_names; false (all 0) when it has none. */
bool outcome_counts(enum outcome_item kind, long long id, unsigned long long counts[OUTCOMES_N]);
/* Prometheus text of every item's nonzero counts. */
void outcomes_render(struct strbuf *out);

#endif
