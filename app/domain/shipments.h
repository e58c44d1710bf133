/* shipments.h - an order's shipment: made (with a tracking number) when the order worker moved the
 * order to preparing, then moved preparing -> shipping -> delivered by the scheduler when due,
 * each step announced on shipment.events through the outbox. */
#ifndef FC_SHIPMENTS_H
#define FC_SHIPMENTS_H
#include <jansson.h>

#include "core/arena.h"

/* The scheduler's step: every due shipment one step on, up to limit. How many moved, -1 on a
 * store error. */
int shipment_advance_due(struct arena *a, int limit);
/* The shipment worker's step for an order event (only order.preparing makes a shipment),
 * idempotent by the event id: 0 done, -1 store error (retry). */
int shipment_on_order_event(struct arena *a, json_t *event);

#endif
