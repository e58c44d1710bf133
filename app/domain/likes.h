/* likes.h - likes (the wishlist): one per user and product, counted on the product; usable
 * before email verification. Returned JSON is the caller's. */
#ifndef FC_LIKES_H
#define FC_LIKES_H
#include <jansson.h>

#include "core/arena.h"
#include "core/err.h"

/* Likes (on) or unlikes a product; idempotent: the count moves only when the like changed.
 * 0, or -1 with e set (404 for a product that does not exist). */
int like_set(long long user_id, long long product_id, int on, struct err *e);
/* The user's liked products, newest like first, each with its live stock_remaining. */
json_t *like_list(struct arena *a, long long user_id, struct err *e);

#endif
