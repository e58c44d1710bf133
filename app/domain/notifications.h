/* notifications.h - what a user is told of their orders: one notification per event of theirs
 * (payment, preparing, cancelled, shipping, delivered), kept in MySQL. */
#ifndef FC_NOTIFICATIONS_H
#define FC_NOTIFICATIONS_H
#include <jansson.h>

#include "core/arena.h"
#include "core/err.h"

/* The notify worker's step, idempotent by the event id (a redelivery is one notification
 * still): 0 done, -1 store error (retry). */
int notification_on_event(struct arena *a, const char *topic, json_t *event);
/* The user's latest 100 notifications, newest first (the caller's), or NULL with e set. */
json_t *notification_list(long long user_id, struct err *e);

#endif
