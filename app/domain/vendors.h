/* vendors.h - the sellers behind products and coupon campaigns, and their balances. */
#ifndef FC_VENDORS_H
#define FC_VENDORS_H
#include <jansson.h>

#include "core/err.h"

json_t *vendor_create(const char *name, struct err *e);
json_t *vendor_list(struct err *e);

#endif
