/* kafka.c - the process's Kafka producer (plain librdkafka: the devbroker or a real cluster). */
#include "store/kafka.h"

#include <librdkafka/rdkafka.h>
#include <pthread.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "core/config.h"
#include "core/log.h"

const char *const kafka_topics[] = {TOPIC_COUPON_CLAIMED, TOPIC_PAYMENT_SUCCEEDED,
                                    TOPIC_ORDER_EVENTS, TOPIC_SHIPMENT_EVENTS, NULL};
const char *const kafka_groups[] = {GROUP_COUPON, GROUP_ORDER, GROUP_SHIPMENT, GROUP_NOTIFY, NULL};

int kafka_topic_partitions(const char *topic)
{
    return strcmp(topic, TOPIC_COUPON_CLAIMED) == 0 ? 1 : KAFKA_PARTITIONS;
}

/* The producer is used by the process's main thread only, and replaced only by it; the health
 * watcher borrows it under `lock`, which the main thread takes to destroy it. */
static rd_kafka_t *producer;
static atomic_bool fatal;    /* the producer raised a fatal error: replace it */
static rd_kafka_t *retired;  /* a failed producer, replaced, not yet drained */
static atomic_int broker_up; /* the watcher's last answer: 1 up, 0 down or not known yet */
static pthread_mutex_t lock = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t wake = PTHREAD_COND_INITIALIZER;
static pthread_t watcher;
static bool watching, stop_watching;

static void on_log(const rd_kafka_t *rk, int level, const char *fac, const char *buf)
{
    (void)rk;
    if (level <= 3)
        log_error("kafka %s: %s", fac, buf);
    else if (level <= 4)
        log_warn("kafka %s: %s", fac, buf);
}

void *kafka_conf_new(char *err, size_t errlen)
{
    if (!cfg.kafka_brokers || !cfg.kafka_brokers[0]) {
        snprintf(err, errlen, "no Kafka brokers: set KAFKA_BROKERS or start the devbroker");
        return NULL;
    }
    rd_kafka_conf_t *conf = rd_kafka_conf_new();
    if (rd_kafka_conf_set(conf, "bootstrap.servers", cfg.kafka_brokers, err, errlen) !=
            RD_KAFKA_CONF_OK ||
        rd_kafka_conf_set(conf, "socket.timeout.ms", "10000", err, errlen) != RD_KAFKA_CONF_OK ||
        rd_kafka_conf_set(conf, "reconnect.backoff.max.ms", "1000", err, errlen) !=
            RD_KAFKA_CONF_OK) {
        rd_kafka_conf_destroy(conf);
        return NULL;
    }
    rd_kafka_conf_set_log_cb(conf, on_log);
    return conf;
}

/* Who is told of a message's delivery, and with what: the message's opaque, freed with its
 * report. */
struct delivery {
    kafka_delivery_fn fn;
    long long a, b;
};

static void on_delivery(rd_kafka_t *rk, const rd_kafka_message_t *m, void *opaque)
{
    (void)rk;
    (void)opaque;
    struct delivery *d = m->_private;
    if (m->err)
        log_warn("kafka delivery to %s failed: %s", rd_kafka_topic_name(m->rkt),
                 rd_kafka_err2str(m->err));
    if (d) {
        d->fn(d->a, d->b, (int)m->err);
        free(d);
    }
}

static bool producer_swap(void);

/* Served by rd_kafka_poll on the main thread. Any other error is librdkafka's to recover from,
 * and so is a replaced producer's: its fatal error may be served only while it is drained, when
 * the new producer is in place already. */
static void on_error(rd_kafka_t *rk, int err, const char *reason, void *opaque)
{
    (void)opaque;
    if (err != RD_KAFKA_RESP_ERR__FATAL || rk != producer)
        return;
    char why[512] = "";
    rd_kafka_fatal_error(rk, why, sizeof(why));
    log_error("kafka producer failed fatally: %s (%s); it will be replaced", why, reason);
    producer_swap();
}

static rd_kafka_t *producer_new(char *err, size_t errlen)
{
    rd_kafka_conf_t *conf = kafka_conf_new(err, errlen);
    if (!conf)
        return NULL;
    char timeout_ms[24];
    snprintf(timeout_ms, sizeof(timeout_ms), "%d", cfg.kafka_message_timeout * 1000);
    /* acks=all + idempotence: a retried send is never written twice by the broker. A message
     * not acknowledged in KAFKA_MESSAGE_TIMEOUT (30 s) is reported failed to the delivery
     * callback, which decides (the outbox leaves it to the relay; a coupon claim is published
     * again, since a message reported failed may have been written). linger.ms=100: under a
     * flash crowd every web worker sends one batch per partition ten times a second instead of
     * a few messages at a time; each batch is a produce request, a log entry the broker walks
     * and a fetch for the consumer. Nobody waits for it: claims answer before the send, and
     * payments have written their outbox row. */
    if (rd_kafka_conf_set(conf, "enable.idempotence", "true", err, errlen) != RD_KAFKA_CONF_OK ||
        rd_kafka_conf_set(conf, "linger.ms", "100", err, errlen) != RD_KAFKA_CONF_OK ||
        rd_kafka_conf_set(conf, "message.timeout.ms", timeout_ms, err, errlen) !=
            RD_KAFKA_CONF_OK) {
        rd_kafka_conf_destroy(conf);
        return NULL;
    }
    rd_kafka_conf_set_dr_msg_cb(conf, on_delivery);
    rd_kafka_conf_set_error_cb(conf, on_error);
    return rd_kafka_new(RD_KAFKA_PRODUCER, conf, err, errlen);
}

/* A metadata request every second, off the request path: /healthz reads the last answer
 * instead of waiting up to a second for the broker itself. */
static void *watch_brokers(void *arg)
{
    (void)arg;
    pthread_mutex_lock(&lock);
    while (!stop_watching) {
        const struct rd_kafka_metadata *md = NULL;
        rd_kafka_resp_err_t e =
            producer ? rd_kafka_metadata(producer, 0, NULL, &md, 1000) : RD_KAFKA_RESP_ERR__STATE;
        if (md)
            rd_kafka_metadata_destroy(md);
        atomic_store(&broker_up, e == RD_KAFKA_RESP_ERR_NO_ERROR);
        struct timespec until;
        clock_gettime(CLOCK_REALTIME, &until);
        until.tv_sec += 1;
        while (!stop_watching && pthread_cond_timedwait(&wake, &lock, &until) == 0)
            ;
    }
    pthread_mutex_unlock(&lock);
    return NULL;
}

int kafka_producer_open(char *err, size_t errlen)
{
    producer = producer_new(err, errlen);
    if (!producer)
        return -1;
    stop_watching = false;
    /* The thread takes no signal: they are for the main thread, whose loop they interrupt. */
    sigset_t all, old;
    sigfillset(&all);
    pthread_sigmask(SIG_SETMASK, &all, &old);
    watching = pthread_create(&watcher, NULL, watch_brokers, NULL) == 0;
    pthread_sigmask(SIG_SETMASK, &old, NULL);
    return 0;
}

/* Every message of a failed producer gets its delivery report (failed: the fatal error, or
 * purged) before it goes, so that no caller waits forever for one. */
static void producer_drain(rd_kafka_t *old)
{
    rd_kafka_purge(old, RD_KAFKA_PURGE_F_QUEUE | RD_KAFKA_PURGE_F_INFLIGHT);
    for (int i = 0; i < 200 && rd_kafka_outq_len(old) > 0; i++)
        rd_kafka_poll(old, 10);
    if (rd_kafka_outq_len(old) > 0)
        log_error("kafka: %d delivery reports of the failed producer never came",
                  rd_kafka_outq_len(old));
    rd_kafka_destroy(old);
}

/* A new producer takes over at once, even from inside a callback of the failed one: librdkafka
 * fails the failed producer's messages in the same poll that reports its fatal error, and a
 * caller that publishes again from such a report (a coupon claim told 202) must publish on the
 * new one. The failed one is kept in `retired` until kafka_poll drains it, outside its own
 * callbacks. Without a new producer, `fatal` stays set and the next kafka_poll tries again. */
static bool producer_swap(void)
{
    char err[512] = "a failed producer is still being drained";
    rd_kafka_t *fresh = retired ? NULL : producer_new(err, sizeof(err));
    if (!fresh) {
        log_error("kafka producer could not be replaced: %s", err);
        atomic_store(&fatal, true);
        return false;
    }
    pthread_mutex_lock(&lock);
    retired = producer;
    producer = fresh;
    pthread_mutex_unlock(&lock);
    atomic_store(&fatal, false);
    log_info("kafka producer replaced after a fatal error");
    return true;
}

static rd_kafka_resp_err_t produce(const char *topic, const char *key, const char *payload,
                                   size_t len, struct delivery *d)
{
    return rd_kafka_producev(producer, RD_KAFKA_V_TOPIC(topic),
                             RD_KAFKA_V_KEY((void *)(uintptr_t)key, key ? strlen(key) : 0),
                             RD_KAFKA_V_VALUE((void *)(uintptr_t)payload, len),
                             RD_KAFKA_V_MSGFLAGS(RD_KAFKA_MSG_F_COPY), RD_KAFKA_V_OPAQUE(d),
                             RD_KAFKA_V_END);
}

int kafka_publish(const char *topic, const char *key, const char *payload, size_t len,
                  kafka_delivery_fn told, long long a, long long b)
{
    if (!producer || atomic_load(&fatal))
        return -1;
    struct delivery *d = NULL;
    if (told) {
        if (!(d = malloc(sizeof(*d))))
            return -1;
        *d = (struct delivery){told, a, b};
    }
    rd_kafka_resp_err_t e = produce(topic, key, payload, len, d);
    if (e == RD_KAFKA_RESP_ERR__FATAL && producer_swap())
        e = produce(topic, key, payload, len, d);
    if (e) {
        log_warn("kafka publish to %s refused: %s", topic, rd_kafka_err2str(e));
        free(d);
        return -1;
    }
    /* Delivery reports are served by kafka_poll() between requests, never in the middle of a
     * caller's transaction. */
    return 0;
}

void kafka_poll(void)
{
    if (producer)
        rd_kafka_poll(producer, 0);
    if (!retired && (atomic_load(&fatal) || (producer && rd_kafka_fatal_error(producer, NULL, 0))))
        producer_swap();
    rd_kafka_t *old = retired;
    retired = NULL;
    if (old)
        producer_drain(old);
}

int kafka_flush(int timeout_ms)
{
    if (!producer)
        return 0;
    rd_kafka_flush(producer, timeout_ms);
    return rd_kafka_outq_len(producer);
}

int kafka_health(void)
{
    return producer && !atomic_load(&fatal) && atomic_load(&broker_up) ? 0 : -1;
}

void *kafka_producer_handle(void)
{
    return producer;
}

void kafka_producer_close(void)
{
    if (watching) {
        pthread_mutex_lock(&lock);
        stop_watching = true;
        pthread_cond_signal(&wake);
        pthread_mutex_unlock(&lock);
        pthread_join(watcher, NULL);
        watching = false;
    }
    atomic_store(&broker_up, 0);
    if (retired) {
        producer_drain(retired);
        retired = NULL;
    }
    if (!producer)
        return;
    /* What is still queued after the flush is failed (its reports served: each caller hears
     * "not delivered", and the outbox keeps its event for the relay), then the producer goes. */
    if (rd_kafka_flush(producer, 5000) != RD_KAFKA_RESP_ERR_NO_ERROR)
        log_warn("kafka: %d messages undelivered at close", rd_kafka_outq_len(producer));
    producer_drain(producer);
    producer = NULL;
}
