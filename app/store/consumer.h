/* consumer.h - a Kafka consumer-group loop with at-least-once delivery: a message's offset is
 * stored for commit only after its handler succeeded; a failing handler is retried. */
#ifndef FC_CONSUMER_H
#define FC_CONSUMER_H
#include <stddef.h>

#include "core/arena.h"

struct consumer_msg {
    const char *topic, *key; /* key NUL-terminated copy, may be "" */
    const char *payload;     /* NUL-terminated copy */
    size_t len;
    int partition;
    long long offset;
};

enum consume_result {
    CONSUME_DONE,  /* handled (or deliberately skipped): its offset may be committed */
    CONSUME_RETRY, /* a store is down: try the same message again after a pause */
};

/* Handles a batch of messages (in arrival order per partition) as one unit: either all are
 * done or the whole batch is tried again. `a` is reset after every batch (jansson allocates
 * from it). */
typedef enum consume_result (*consume_fn)(struct arena *a, const struct consumer_msg *msgs,
                                          size_t n, void *arg);

/* Joins `group` on `topics` (NULL-terminated) and handles messages, up to max_batch at a time,
 * until sv_stopping. A batch waits up to gather_ms after its first message for more to arrive
 * (0: whatever has arrived; a lone message is not held back).
 * Returns 0 on a clean stop, 1 when the consumer could not be created. */
int consumer_run(const char *group, const char *const *topics, size_t max_batch, int gather_ms,
                 consume_fn fn, void *arg);

/* How many messages of `topic` the consumer group `group` has not committed yet, summed over the
 * topic's partitions (kafka_topic_partitions): 0 once the group has handled everything the
 * topic held when asked. -1 when Kafka did not answer within timeout_ms. Opens and closes a
 * client of its own that never joins the group; for rare checks, not for a request's path. */
long long consumer_group_lag(const char *group, const char *topic, int timeout_ms);

#endif
