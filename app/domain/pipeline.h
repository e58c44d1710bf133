/* pipeline.h - the order pipeline's consumers as the domain sees them: which group applies
 * which events (order: payments; shipment: order events; notify: every event), a batch of them
 * applied in one transaction or one event per transaction, and a parked event applied again on an
 * admin's retry. The worker processes that run the groups live in workers/pipeline.c. */
#ifndef FC_DOMAIN_PIPELINE_H
#define FC_DOMAIN_PIPELINE_H
#include "core/arena.h"
#include "core/err.h"
#include "store/consumer.h"

struct pipeline_consumer;
extern const struct pipeline_consumer pipeline_order, pipeline_shipment, pipeline_notify;

/* The consumer group's name (its Kafka group and its name in parked_events). */
const char *pipeline_group(const struct pipeline_consumer *c);
/* The topics it reads, NULL-terminated. */
const char *const *pipeline_topics(const struct pipeline_consumer *c);

/* A consume_fn (arg: a const struct pipeline_consumer *). The shipment and notify groups apply
 * a batch in one transaction; the order group, and any batch whose transaction fails, apply
 * each event in its own, idempotent by event id, so that when one fails the batch is tried
 * again and those before it are recognised as applied. One refused for good is parked, and the
 * ones after it go on. */
enum consume_result pipeline_consume(struct arena *a, const struct consumer_msg *msgs, size_t n,
                                     void *arg);

/* Applies parked event `id` again through its consumer's handler: 0 applied (the event is then
 * resolved); otherwise e says why (404 no such event, 409 already resolved or refused again,
 * with the new reason kept; 503 a store failed). */
int pipeline_retry_parked(struct arena *a, long long id, struct err *e);

#endif
