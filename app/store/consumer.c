/* consumer.c - a Kafka consumer-group loop with at-least-once delivery: a message's offset is
 * stored for commit only after its handler succeeded; a failing handler is retried (the
 * partition sought back, polling goes on), and an event refused for good is parked. */
#include "store/consumer.h"

#include <jansson.h>
#include <librdkafka/rdkafka.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "core/clock.h"
#include "core/log.h"
#include "core/metrics.h"
#include "core/supervisor.h"
#include "store/db.h"
#include "store/kafka.h"

/* librdkafka's statistics (every second, from the poll): the lag of the partitions this
 * process holds, summed, noted for /metrics. A partition's lag is its high watermark less the
 * offset stored after its last handled message (consumer_lag_stored; consumer_lag, from the
 * committed offset, where none is stored yet); -1 for a partition not held. */
static char stats_group[32]; /* one consumer a process */

static int on_stats(rd_kafka_t *rk, char *json, size_t len, void *opaque)
{
    (void)rk;
    (void)opaque;
    json_alloc_plain_begin(); /* outside a batch: no arena to reset, so malloc, and freed */
    json_t *stats = json_loadb(json, len, 0, NULL), *topic, *part;
    const char *tname, *pname;
    long long lag = 0;
    json_object_foreach(json_object_get(stats, "topics"), tname, topic)
        json_object_foreach(json_object_get(topic, "partitions"), pname, part)
    {
        json_t *v = json_object_get(part, "consumer_lag_stored");
        if (json_integer_value(v) < 0) /* nothing stored yet: the committed offset's */
            v = json_object_get(part, "consumer_lag");
        if (json_integer_value(v) > 0)
            lag += json_integer_value(v);
    }
    if (stats)
        metrics_note_lag(stats_group, lag);
    json_decref(stats);
    json_alloc_plain_end();
    return 0; /* librdkafka frees json */
}

/* Says in the log which partitions this process holds after each rebalance (the processes of a
 * group share the partitions), then takes or gives them up as librdkafka does without a
 * callback: giving up commits what was stored. */
static void on_rebalance(rd_kafka_t *rk, rd_kafka_resp_err_t err,
                         rd_kafka_topic_partition_list_t *parts, void *opaque)
{
    (void)opaque;
    char held[512] = "no partition";
    size_t off = 0;
    for (int i = 0; i < parts->cnt && off < sizeof(held); i++)
        off += (size_t)snprintf(held + off, sizeof(held) - off, "%s%s[%d]", i ? " " : "",
                                parts->elems[i].topic, parts->elems[i].partition);
    if (err == RD_KAFKA_RESP_ERR__ASSIGN_PARTITIONS) {
        log_info("group %s: holds %s", stats_group, held);
        rd_kafka_assign(rk, parts);
        return;
    }
    if (err != RD_KAFKA_RESP_ERR__REVOKE_PARTITIONS)
        log_warn("group %s: rebalance failed: %s", stats_group, rd_kafka_err2str(err));
    log_info("group %s: gives up %s", stats_group, held);
    rd_kafka_assign(rk, NULL);
}

static rd_kafka_t *open_consumer(const char *group, const char *const *topics)
{
    char err[512];
    rd_kafka_conf_t *conf = kafka_conf_new(err, sizeof(err));
    if (!conf) {
        log_error("%s", err);
        return NULL;
    }
    /* Offsets are stored by hand after a message is handled, and committed in the background:
     * a crash re-delivers what was not handled, never skips it. */
    const char *settings[][2] = {{"group.id", group},
                                 {"enable.auto.offset.store", "false"},
                                 {"enable.auto.commit", "true"},
                                 {"auto.commit.interval.ms", "500"},
                                 {"auto.offset.reset", "earliest"},
                                 {"session.timeout.ms", "6000"},
                                 {"heartbeat.interval.ms", "1000"},
                                 /* bounds a JoinGroup the broker never answered (it stalled):
                                  * librdkafka's default would leave us idle for 5 minutes; a
                                  * longer store outage costs a harmless rebalance) */
                                 {"max.poll.interval.ms", "10000"},
                                 /* an event waits at most this long for company in a fetch */
                                 {"fetch.wait.max.ms", "20"},
                                 {"statistics.interval.ms", "1000"}};
    for (size_t i = 0; i < sizeof(settings) / sizeof(settings[0]); i++)
        if (rd_kafka_conf_set(conf, settings[i][0], settings[i][1], err, sizeof(err)) !=
            RD_KAFKA_CONF_OK) {
            log_error("kafka consumer %s: %s", settings[i][0], err);
            rd_kafka_conf_destroy(conf);
            return NULL;
        }
    rd_kafka_conf_set_stats_cb(conf, on_stats);
    rd_kafka_conf_set_rebalance_cb(conf, on_rebalance);
    snprintf(stats_group, sizeof(stats_group), "%s", group);
    rd_kafka_t *rk = rd_kafka_new(RD_KAFKA_CONSUMER, conf, err, sizeof(err));
    if (!rk) {
        log_error("kafka consumer: %s", err);
        return NULL;
    }
    rd_kafka_poll_set_consumer(rk);
    int n = 0;
    while (topics[n])
        n++;
    rd_kafka_topic_partition_list_t *subs = rd_kafka_topic_partition_list_new(n);
    for (int i = 0; i < n; i++)
        rd_kafka_topic_partition_list_add(subs, topics[i], RD_KAFKA_PARTITION_UA);
    rd_kafka_resp_err_t e = rd_kafka_subscribe(rk, subs);
    rd_kafka_topic_partition_list_destroy(subs);
    if (e) {
        log_error("kafka subscribe: %s", rd_kafka_err2str(e));
        rd_kafka_destroy(rk);
        return NULL;
    }
    return rk;
}

static char refusal[512];

int consumer_refuse(const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(refusal, sizeof(refusal), fmt, ap);
    va_end(ap);
    return CONSUMER_REFUSED;
}

const char *consumer_refusal(void)
{
    return refusal;
}

int consumer_park(const char *consumer, const struct consumer_msg *m, const char *reason)
{
    /* A redelivered message refused again is the same row, its reason brought up to date. */
    long long n =
        db_exec("INSERT INTO parked_events (consumer, topic, kpartition, koffset, msg_key,"
                " payload, reason) VALUES (?, ?, ?, ?, ?, ?, ?)"
                " ON DUPLICATE KEY UPDATE reason = VALUES(reason), attempts = attempts + 1,"
                " retried_at = UTC_TIMESTAMP()",
                "ssiisss", consumer, m->topic, (long long)m->partition, m->offset,
                m->key ? m->key : "", m->payload, reason);
    if (n < 0)
        return -1;
    log_error("%s: parked %s[%d]@%lld (key %s): %s", consumer, m->topic, m->partition, m->offset,
              m->key ? m->key : "", reason);
    return 0;
}

/* Handles one batch once. */
static enum consume_result handle(const struct consumer_msg *msgs, size_t n, consume_fn fn,
                                  void *arg, struct arena *a)
{
    json_use_arena(a);
    enum consume_result r = fn(a, msgs, n, arg);
    json_use_arena(NULL);
    return r;
}

/* Rewinds every partition of a batch that is to be tried again to its first message in the
 * batch: the next polls fetch them again (what was fetched beyond them is dropped), and
 * polling goes on meanwhile, so the consumer keeps its place in the group. -1 when a partition
 * could not be rewound: then polling on would pass over the batch, so the caller must rejoin
 * instead (its uncommitted offsets bring the batch back). */
static int seek_back(rd_kafka_t *rk, rd_kafka_message_t **batch, size_t n)
{
    rd_kafka_topic_partition_list_t *l = rd_kafka_topic_partition_list_new((int)n);
    for (size_t i = 0; i < n; i++) {
        const char *t = rd_kafka_topic_name(batch[i]->rkt);
        if (!rd_kafka_topic_partition_list_find(l, t, batch[i]->partition))
            rd_kafka_topic_partition_list_add(l, t, batch[i]->partition)->offset = batch[i]->offset;
    }
    int rc = 0;
    rd_kafka_error_t *e = rd_kafka_seek_partitions(rk, l, 5000);
    if (e) {
        log_warn("kafka seek: %s", rd_kafka_error_string(e));
        rd_kafka_error_destroy(e);
        rc = -1;
    }
    for (int i = 0; i < l->cnt; i++)
        if (l->elems[i].err) {
            log_warn("kafka seek %s[%d]: %s", l->elems[i].topic, l->elems[i].partition,
                     rd_kafka_err2str(l->elems[i].err));
            rc = -1;
        }
    rd_kafka_topic_partition_list_destroy(l);
    return rc;
}

/* Sleeps ms in short steps, returning early when asked to stop. */
static void pause_for(unsigned ms)
{
    for (unsigned slept = 0; slept < ms && !sv_stopping; slept += 50)
        usleep(50 * 1000);
}

/* Waits for one message, then gathers more for up to gather_ms (0: only what has already
 * arrived), up to max. */
static size_t poll_batch(rd_kafka_t *rk, rd_kafka_message_t **batch, size_t max, int gather_ms)
{
    size_t n = 0;
    int wait_ms = 200;
    double until = 0;
    while (n < max) {
        rd_kafka_message_t *m = rd_kafka_consumer_poll(rk, wait_ms);
        if (!m)
            break;
        if (m->err) {
            if (m->err != RD_KAFKA_RESP_ERR__PARTITION_EOF)
                log_warn("kafka consumer: %s", rd_kafka_message_errstr(m));
            rd_kafka_message_destroy(m);
            continue;
        }
        if (n == 0)
            until = clock_now() + gather_ms / 1000.0;
        batch[n++] = m;
        double left_ms = (until - clock_now()) * 1000;
        wait_ms = left_ms > 0 ? (int)left_ms + 1 : 0;
    }
    return n;
}

int consumer_run(const char *group, const char *const *topics, size_t max_batch, int gather_ms,
                 consume_fn fn, void *arg)
{
    rd_kafka_t *rk = open_consumer(group, topics);
    if (!rk)
        return 1;
    struct arena a;
    arena_init(&a, 256 * 1024);
    rd_kafka_message_t **batch = calloc(max_batch, sizeof(*batch));
    log_info("consuming %s as group %s", topics[0], group);
    unsigned pause_ms = 100;
    while (!sv_stopping) {
        size_t n = poll_batch(rk, batch, max_batch, gather_ms);
        if (n == 0) { /* a quiet moment: the handler's deferred work (outbox marks) goes on */
            handle(NULL, 0, fn, arg, &a);
            arena_reset(&a);
            continue;
        }
        struct consumer_msg *msgs = arena_alloc(&a, n * sizeof(*msgs));
        for (size_t i = 0; i < n; i++) {
            rd_kafka_message_t *m = batch[i];
            msgs[i] = (struct consumer_msg){
                .topic = rd_kafka_topic_name(m->rkt),
                .key = arena_strndup(&a, m->key ? m->key : "", m->key ? m->key_len : 0),
                .payload = arena_strndup(&a, m->payload ? m->payload : "", m->payload ? m->len : 0),
                .len = m->len,
                .partition = m->partition,
                .offset = m->offset,
            };
        }
        enum consume_result r = handle(msgs, n, fn, arg, &a);
        if (r == CONSUME_DONE) {
            for (size_t i = 0; i < n; i++)
                rd_kafka_offset_store(batch[i]->rkt, batch[i]->partition, batch[i]->offset);
            pause_ms = 100;
        } else if (!sv_stopping) {
            /* Not stored: seek back and poll again after a pause. The pause stays well under
             * max.poll.interval.ms, so a long store outage never costs the group its member. */
            log_warn("%s[%d]@%lld (+%zu more): will retry in %u ms", msgs[0].topic,
                     msgs[0].partition, msgs[0].offset, n - 1, pause_ms);
            if (seek_back(rk, batch, n) < 0) {
                /* Leave and join again: consumption resumes from the committed offsets, which
                 * are before this batch (none of it was stored). */
                log_warn("rejoining group %s to get the batch back", group);
                for (size_t i = 0; i < n; i++)
                    rd_kafka_message_destroy(batch[i]);
                n = 0;
                rd_kafka_consumer_close(rk);
                rd_kafka_destroy(rk);
                while (!(rk = open_consumer(group, topics)) && !sv_stopping)
                    pause_for(1000);
                if (!rk)
                    break;
            }
        }
        for (size_t i = 0; i < n; i++)
            rd_kafka_message_destroy(batch[i]);
        arena_reset(&a);
        if (r != CONSUME_DONE) {
            pause_for(pause_ms);
            pause_ms = pause_ms < 2000 ? pause_ms * 2 : 2000;
        }
    }
    /* Leave the group cleanly and commit what was stored, so a restart resumes right here. */
    if (rk) {
        rd_kafka_consumer_close(rk);
        rd_kafka_destroy(rk);
    }
    free(batch);
    arena_free(&a);
    log_info("stopped");
    return 0;
}

long long consumer_group_lag(const char *group, const char *topic, int timeout_ms)
{
    char err[512];
    rd_kafka_conf_t *conf = kafka_conf_new(err, sizeof(err));
    if (!conf || rd_kafka_conf_set(conf, "group.id", group, err, sizeof(err)) != RD_KAFKA_CONF_OK) {
        log_error("kafka lag of %s: %s", group, err);
        if (conf)
            rd_kafka_conf_destroy(conf);
        return -1;
    }
    rd_kafka_t *rk = rd_kafka_new(RD_KAFKA_CONSUMER, conf, err, sizeof(err));
    if (!rk) {
        log_error("kafka lag of %s: %s", group, err);
        return -1;
    }
    int n = kafka_topic_partitions(topic);
    rd_kafka_topic_partition_list_t *parts = rd_kafka_topic_partition_list_new(n);
    for (int p = 0; p < n; p++)
        rd_kafka_topic_partition_list_add(parts, topic, p);
    long long lag = 0;
    rd_kafka_resp_err_t e = rd_kafka_committed(rk, parts, timeout_ms);
    for (int i = 0; !e && i < parts->cnt; i++) {
        int64_t low, high, at = parts->elems[i].offset;
        e = parts->elems[i].err;
        if (!e)
            e = rd_kafka_query_watermark_offsets(rk, topic, parts->elems[i].partition, &low, &high,
                                                 timeout_ms);
        if (!e) /* nothing committed yet: the group starts at the earliest message */
            lag += high - (at >= low ? at : low);
    }
    if (e) {
        log_warn("kafka lag of %s on %s: %s", group, topic, rd_kafka_err2str(e));
        lag = -1;
    }
    rd_kafka_topic_partition_list_destroy(parts);
    rd_kafka_destroy(rk);
    return lag;
}

int consumer_first_time(const char *consumer, const char *event_id)
{
    if (!event_id)
        return 0; /* malformed: nothing to apply */
    long long n = db_exec("INSERT IGNORE INTO processed_events (consumer, event_id) VALUES (?, ?)",
                          "ss", consumer, event_id);
    return n < 0 ? -1 : n == 1;
}
