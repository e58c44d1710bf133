/* consumer.h - a Kafka consumer-group loop with at-least-once delivery: a message's offset is
 * stored for commit only after its handler succeeded; a failing handler is retried (the
 * partition sought back, polling goes on), and an event refused for good is parked. */
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
    CONSUME_RETRY, /* a store is down: try the same messages again after a pause; meanwhile
                    * the consumer keeps polling (its partitions sought back), so it stays in
                    * its group however long the store is down */
};

/* An event handler's answer for an event it can never apply as it stands (the store refused it
 * for good, not because it was down): the caller parks the event (consumer_park) and goes on.
 * consumer_refuse() records why and returns CONSUMER_REFUSED; consumer_refusal() reads it. */
#define CONSUMER_REFUSED (-2)
int consumer_refuse(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
const char *consumer_refusal(void);
/* Records m in parked_events for `consumer` (shown at /admin/parked, retried from there).
 * 0, or -1 when MySQL failed (then the batch must be retried, not skipped). */
int consumer_park(const char *consumer, const struct consumer_msg *m, const char *reason);
/* Records event_id as applied by `consumer`, in the caller's transaction: 1 the first time, 0
 * seen before (or no id: nothing to apply), -1 store failure. */
int consumer_first_time(const char *consumer, const char *event_id);

/* Handles a batch of messages (in arrival order per partition) as one unit: either all are
 * done or the whole batch is tried again. `a` is reset after every batch (jansson allocates
 * from it). */
typedef enum consume_result (*consume_fn)(struct arena *a, const struct consumer_msg *msgs,
                                          size_t n, void *arg);

/* Joins `group` on `topics` (NULL-terminated) and handles messages, up to max_batch at a time,
 * until sv_stopping. A batch waits up to gather_ms after its first message for more to arrive
 * (0: whatever has arrived; a lone message is not held back). When nothing arrives for 200 ms,
 * fn is called with no messages (n 0), for what it defers to a quiet moment.
 * Returns 0 on a clean stop, 1 when the consumer could not be created. */
int consumer_run(const char *group, const char *const *topics, size_t max_batch, int gather_ms,
                 consume_fn fn, void *arg);

/* How many messages of `topic` the consumer group `group` has not committed yet, summed over the
 * topic's partitions (kafka_topic_partitions): 0 once the group has handled everything the
 * topic held when asked. -1 when Kafka did not answer within timeout_ms. Opens and closes a
 * client of its own that never joins the group; for rare checks, not for a request's path. */
long long consumer_group_lag(const char *group, const char *topic, int timeout_ms);

#endif
