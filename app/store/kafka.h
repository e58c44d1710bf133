/* kafka.h - the process's Kafka producer (plain librdkafka: the devbroker or a real cluster). */
#ifndef FC_KAFKA_H
#define FC_KAFKA_H
#include <stddef.h>

/* The topics firstcome uses; the devbroker creates them, docs/events.md describes them. */
#define TOPIC_COUPON_CLAIMED "coupon.claimed"
#define TOPIC_PAYMENT_SUCCEEDED "payment.succeeded"
#define TOPIC_ORDER_EVENTS "order.events"
#define TOPIC_SHIPMENT_EVENTS "shipment.events"
extern const char *const kafka_topics[];
/* The consumer groups firstcome runs; the devbroker places their coordinators. */
#define GROUP_COUPON "coupon"
#define GROUP_ORDER "order"
#define GROUP_SHIPMENT "shipment"
#define GROUP_NOTIFY "notify"
extern const char *const kafka_groups[];
/* Partitions the devbroker (and the compose file) gives a topic: 4, so a consumer group can
 * spread over 4 processes; coupon.claimed 1, because its one consumer is the coupon worker
 * (one writer, in batches) and more partitions would only cut its batches into more, smaller
 * produce requests and fetches. */
#define KAFKA_PARTITIONS 4
int kafka_topic_partitions(const char *topic);

/* A message's delivery report, to whoever published it, with the two values it gave: err 0 when
 * the broker acknowledged it; otherwise failed, which does not say it was not written (a
 * timeout). Served by kafka_poll, never inside a caller's own kafka_publish. */
typedef void (*kafka_delivery_fn)(long long a, long long b, int err);

/* Creates the producer (call after fork). */
int kafka_producer_open(char *err, size_t errlen);
/* Queues a message; never blocks on the broker. Its report goes to on_delivery (may be NULL)
 * with a and b. Returns 0, or -1 when the local queue refuses (then no report comes). */
int kafka_publish(const char *topic, const char *key, const char *payload, size_t len,
                  kafka_delivery_fn on_delivery, long long a, long long b);
/* Serves delivery reports without waiting. A producer that went fatal (librdkafka's idempotent
 * producer can) is replaced here: its messages' delivery reports fail first, then a new
 * producer takes its place; kafka_publish refuses in between. */
void kafka_poll(void);
/* Waits up to timeout_ms for queued messages to be acknowledged; returns how many remain. */
int kafka_flush(int timeout_ms);
/* 0 when the cluster answered the last metadata request: a thread of the producer's asks every
 * second (waiting at most 1 s), so this never waits for the broker. */
int kafka_health(void);
void kafka_producer_close(void);
/* The producer's librdkafka handle (rd_kafka_t *), for tests that raise faults in it. */
void *kafka_producer_handle(void);

/* Common settings for any client (bootstrap servers, timeouts); used by consumers too. */
void *kafka_conf_new(char *err, size_t errlen);

#endif
