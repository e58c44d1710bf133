/* kafka.c - the process's Kafka producer (plain librdkafka: the devbroker or a real cluster). */
#include "store/kafka.h"

#include <librdkafka/rdkafka.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include "core/config.h"
#include "core/log.h"

const char *const kafka_topics[] = {TOPIC_COUPON_CLAIMED, TOPIC_PAYMENT_SUCCEEDED,
                                    TOPIC_ORDER_EVENTS, TOPIC_SHIPMENT_EVENTS, NULL};

int kafka_topic_partitions(const char *topic)
{
    return strcmp(topic, TOPIC_COUPON_CLAIMED) == 0 ? 1 : KAFKA_PARTITIONS;
}

static rd_kafka_t *producer;
static kafka_delivery_fn delivery_fn;

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

static void on_delivery(rd_kafka_t *rk, const rd_kafka_message_t *m, void *opaque)
{
    (void)rk;
    (void)opaque;
    if (m->err)
        log_warn("kafka delivery to %s failed: %s", rd_kafka_topic_name(m->rkt),
                 rd_kafka_err2str(m->err));
    if (delivery_fn)
        delivery_fn((long long)(intptr_t)m->_private, (int)m->err);
}

int kafka_producer_open(kafka_delivery_fn fn, char *err, size_t errlen)
{
    rd_kafka_conf_t *conf = kafka_conf_new(err, errlen);
    if (!conf)
        return -1;
    /* acks=all + idempotence: a retried send is never written twice by the broker. A message
     * not acknowledged in 30 s is reported failed to the delivery callback, which decides
     * (the outbox leaves it to the relay; a coupon claim is given back). linger.ms=100: under a
     * flash crowd every web worker sends one batch per partition ten times a second instead of
     * a few messages at a time; each batch is a produce request, a log entry the broker walks
     * and a fetch for the consumer. Nobody waits for it: claims answer before the send, and
     * payments have written their outbox row. */
    if (rd_kafka_conf_set(conf, "enable.idempotence", "true", err, errlen) != RD_KAFKA_CONF_OK ||
        rd_kafka_conf_set(conf, "linger.ms", "100", err, errlen) != RD_KAFKA_CONF_OK ||
        rd_kafka_conf_set(conf, "message.timeout.ms", "30000", err, errlen) != RD_KAFKA_CONF_OK) {
        rd_kafka_conf_destroy(conf);
        return -1;
    }
    delivery_fn = fn;
    rd_kafka_conf_set_dr_msg_cb(conf, on_delivery);
    producer = rd_kafka_new(RD_KAFKA_PRODUCER, conf, err, errlen);
    return producer ? 0 : -1;
}

int kafka_publish(const char *topic, const char *key, const char *payload, size_t len,
                  long long opaque)
{
    if (!producer)
        return -1;
    rd_kafka_resp_err_t e = rd_kafka_producev(
        producer, RD_KAFKA_V_TOPIC(topic), RD_KAFKA_V_KEY(key, key ? strlen(key) : 0),
        RD_KAFKA_V_VALUE((void *)(uintptr_t)payload, len), RD_KAFKA_V_MSGFLAGS(RD_KAFKA_MSG_F_COPY),
        RD_KAFKA_V_OPAQUE((void *)(intptr_t)opaque), RD_KAFKA_V_END);
    if (e) {
        log_warn("kafka publish to %s refused: %s", topic, rd_kafka_err2str(e));
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
}

int kafka_flush(int timeout_ms)
{
    if (!producer)
        return 0;
    rd_kafka_flush(producer, timeout_ms);
    return rd_kafka_outq_len(producer);
}

int kafka_health(int timeout_ms)
{
    if (!producer)
        return -1;
    const struct rd_kafka_metadata *md = NULL;
    rd_kafka_resp_err_t e = rd_kafka_metadata(producer, 0, NULL, &md, timeout_ms);
    if (md)
        rd_kafka_metadata_destroy(md);
    return e ? -1 : 0;
}

void kafka_producer_close(void)
{
    if (!producer)
        return;
    rd_kafka_flush(producer, 5000);
    rd_kafka_destroy(producer);
    producer = NULL;
}
