/* outbox.h - events written to MySQL in the transaction of the change they announce, then
 * published to Kafka; the relay publishes whatever Kafka has not acknowledged. */
#ifndef FC_OUTBOX_H
#define FC_OUTBOX_H
#include <jansson.h>
#include <stdbool.h>

#include "core/arena.h"

/* A fresh UUIDv4 for an event. */
void event_id_new(char out[37]);

/* Adds an event (event_id and type are set on `event` here) to the outbox inside the caller's
 * open transaction. Returns the outbox id, or -1. */
long long outbox_add(struct arena *a, const char *topic, long long key, const char *type,
                     json_t *event);
/* Publishes outbox rows now, without waiting for Kafka (call after the commit): the events
 * outbox_add kept as it wrote them, or else the rows read back. A row Kafka acknowledges is
 * marked published (its delivery report, served by outbox_poll); one that is not stays for the
 * relay. */
void outbox_publish(struct arena *a, const long long *ids, int n);
/* After a batch transaction (db_batch_end): publishes the events its parts asked outbox_publish
 * for when it committed, and forgets them either way (the relay has what a lost answer left). */
void outbox_publish_batch(bool committed);
/* Serves Kafka's delivery reports (kafka_poll) and marks the acknowledged rows published, many
 * in one UPDATE, once the first of them has waited 0.2 s. Call outside any transaction. */
void outbox_poll(void);
/* Waits up to timeout_ms for every message in flight (kafka_flush) and marks what was
 * acknowledged; returns the messages still unacknowledged. */
int outbox_flush(int timeout_ms);
/* At a process's end, before the database closes: outbox_flush, the producer closed
 * (kafka_producer_close), and what its last reports acknowledged marked. */
void outbox_close(void);
/* The relay's step: publishes rows unacknowledged for more than `age` seconds; returns how
 * many were sent, -1 on a store error. */
int outbox_relay(struct arena *a, int age, int limit);

#endif
