/* test_kafka.c - the producer (store/kafka.c) against librdkafka's in-process mock cluster (the
 * broker `firstcome devbroker` runs): a producer that went fatal is replaced, and the messages
 * it held get failed delivery reports, not silence. */
#include <criterion/criterion.h>
#include <librdkafka/rdkafka.h>
#include <librdkafka/rdkafka_mock.h>
#include <string.h>
#include <unistd.h>

#include "core/config.h"
#include "store/kafka.h"

#define MAX_REPORTS 64
static long long report_opaque[MAX_REPORTS];
static int report_err[MAX_REPORTS];
static int reports;

static void on_delivery(long long opaque, long long unused, int err)
{
    (void)unused;
    if (reports < MAX_REPORTS) {
        report_opaque[reports] = opaque;
        report_err[reports] = err;
    }
    reports++;
}

static rd_kafka_t *host;
static rd_kafka_mock_cluster_t *mock;

static void broker_up(void)
{
    char err[256];
    host = rd_kafka_new(RD_KAFKA_PRODUCER, rd_kafka_conf_new(), err, sizeof(err));
    cr_assert(host, "%s", err);
    mock = rd_kafka_mock_cluster_new(host, 1);
    cr_assert(mock);
    rd_kafka_mock_topic_create(mock, TOPIC_ORDER_EVENTS, 1, 1);
    cfg.kafka_brokers = rd_kafka_mock_cluster_bootstraps(mock);
    cfg.kafka_message_timeout = 30;
    reports = 0;
}

static void broker_down(void)
{
    kafka_producer_close();
    rd_kafka_mock_cluster_destroy(mock);
    rd_kafka_destroy(host);
}

/* The report for a message, waiting up to 10 s: its error, or -1 when none came. */
static int report_for(long long opaque)
{
    for (int t = 0; t < 1000; t++) {
        for (int i = 0; i < reports && i < MAX_REPORTS; i++)
            if (report_opaque[i] == opaque)
                return report_err[i];
        kafka_poll();
        usleep(10000);
    }
    return -1;
}

TestSuite(kafka_producer, .init = broker_up, .fini = broker_down, .timeout = 60);

Test(kafka_producer, is_replaced_after_a_fatal_error_and_the_next_message_is_delivered)
{
    char err[256];
    cr_assert_eq(kafka_producer_open(err, sizeof(err)), 0, "%s", err);
    cr_assert_eq(kafka_publish(TOPIC_ORDER_EVENTS, "k", "before", 6, on_delivery, 1, 0), 0);
    cr_assert_eq(report_for(1), 0, "the first message was not delivered");

    rd_kafka_t *first = kafka_producer_handle();
    cr_assert_eq(rd_kafka_test_fatal_error(first, RD_KAFKA_RESP_ERR_OUT_OF_ORDER_SEQUENCE_NUMBER,
                                           "raised by test_kafka.c"),
                 RD_KAFKA_RESP_ERR_NO_ERROR);
    kafka_poll(); /* serves the fatal error: the producer is replaced here */

    cr_assert_neq(kafka_producer_handle(), NULL);
    cr_assert_neq(kafka_producer_handle(), (void *)first, "the fatal producer was kept");
    cr_assert_eq(kafka_publish(TOPIC_ORDER_EVENTS, "k", "after", 5, on_delivery, 2, 0), 0,
                 "a message after the fatal error was refused");
    cr_assert_eq(report_for(2), 0, "the message after the fatal error was not delivered");
}

Test(kafka_producer, every_message_held_by_a_fatal_producer_gets_its_delivery_report)
{
    char err[256];
    cr_assert_eq(kafka_producer_open(err, sizeof(err)), 0, "%s", err);
    /* Queued, not yet sent: linger.ms holds them for 100 ms. */
    for (long long i = 10; i < 15; i++)
        cr_assert_eq(kafka_publish(TOPIC_ORDER_EVENTS, "k", "held", 4, on_delivery, i, 0), 0);
    rd_kafka_test_fatal_error(kafka_producer_handle(),
                              RD_KAFKA_RESP_ERR_OUT_OF_ORDER_SEQUENCE_NUMBER,
                              "raised by test_kafka.c");
    kafka_poll();
    for (long long i = 10; i < 15; i++) {
        int e = report_for(i);
        cr_assert(e != -1, "message %lld got no delivery report", i);
    }
    cr_assert_eq(kafka_publish(TOPIC_ORDER_EVENTS, "k", "after", 5, on_delivery, 20, 0), 0);
    cr_assert_eq(report_for(20), 0);
}

/* As on_claim_delivery does: a failed report publishes the message again. */
static int republished, refused_again;
static void republish_on_failure(long long opaque, long long unused, int err)
{
    on_delivery(opaque, unused, err);
    if (err && opaque < 100) {
        if (kafka_publish(TOPIC_ORDER_EVENTS, "k", "again", 5, on_delivery, opaque + 100, 0) == 0)
            republished++;
        else
            refused_again++;
    }
}

Test(kafka_producer, a_message_failed_by_a_fatal_producer_is_published_again_on_its_replacement)
{
    char err[256];
    republished = refused_again = 0;
    cr_assert_eq(kafka_producer_open(err, sizeof(err)), 0, "%s", err);
    for (long long i = 30; i < 35; i++)
        cr_assert_eq(kafka_publish(TOPIC_ORDER_EVENTS, "k", "held", 4, republish_on_failure, i, 0),
                     0);
    rd_kafka_test_fatal_error(kafka_producer_handle(),
                              RD_KAFKA_RESP_ERR_OUT_OF_ORDER_SEQUENCE_NUMBER,
                              "raised by test_kafka.c");
    /* librdkafka fails the held messages as it reports the fatal error: given the time, one
     * poll serves the error and those reports together. */
    usleep(200000);
    kafka_poll();
    int failed = 0;
    for (long long i = 30; i < 35; i++) {
        int e = report_for(i);
        cr_assert(e != -1, "message %lld got no delivery report", i);
        failed += e != 0;
    }
    cr_assert_gt(failed, 0, "no message was held by the fatal producer");
    cr_assert_eq(refused_again, 0, "%d failed message(s) could not be published again",
                 refused_again);
    cr_assert_eq(republished, failed);
    for (long long i = 30; i < 35; i++)
        if (report_for(i) != 0)
            cr_assert_eq(report_for(i + 100), 0, "message %lld, published again, was not delivered",
                         i);
}

Test(kafka_producer, messages_still_queued_at_close_are_reported_undelivered)
{
    char err[256];
    cr_assert_eq(kafka_producer_open(err, sizeof(err)), 0, "%s", err);
    cr_assert_eq(kafka_publish(TOPIC_ORDER_EVENTS, "k", "first", 5, on_delivery, 40, 0), 0);
    cr_assert_eq(report_for(40), 0);
    /* The broker goes away: what is published now stays queued through close's flush. */
    rd_kafka_mock_broker_set_down(mock, 1);
    for (long long i = 41; i < 44; i++)
        cr_assert_eq(kafka_publish(TOPIC_ORDER_EVENTS, "k", "stuck", 5, on_delivery, i, 0), 0);
    int before = reports;
    kafka_producer_close();
    cr_assert_eq(reports, before + 3, "%d of 3 queued messages were reported at close",
                 reports - before);
    for (int i = before; i < reports; i++)
        cr_assert_neq(report_err[i], 0, "message %lld reported delivered", report_opaque[i]);
}
