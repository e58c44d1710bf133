/* cart.h - the cart, in MySQL; usable before email verification. */
#ifndef FC_CART_H
#define FC_CART_H
#include <jansson.h>

#include "core/arena.h"
#include "core/err.h"

#define CART_MAX_QUANTITY 100

json_t *cart_get(struct arena *a, long long user_id, struct err *e);
/* Sets a product's quantity (0 removes it). */
int cart_set(long long user_id, long long product_id, long long quantity, struct err *e);
/* Adds quantity to what the cart holds of a product, up to CART_MAX_QUANTITY, in one statement. */
int cart_add(long long user_id, long long product_id, long long quantity, struct err *e);

#endif
