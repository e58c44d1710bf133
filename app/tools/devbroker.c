/* devbroker.c - `firstcome devbroker`: librdkafka's mock Kafka cluster as a standalone process
 * on loopback, for local runs and tests. In-memory: production uses a real Kafka. */
#include "tools/tools.h"

#include <librdkafka/rdkafka.h>
#include <librdkafka/rdkafka_mock.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "core/config.h"
#include "core/log.h"
#include "core/supervisor.h"
#include "store/kafka.h"

int devbroker_main(int argc, char **argv)
{
    (void)argc;
    (void)argv;
    char err[512];
    log_set_role("devbroker");
    sv_child_signals(NULL);

    /* The mock cluster lives inside a client handle; this one never produces anything. */
    rd_kafka_conf_t *conf = rd_kafka_conf_new();
    rd_kafka_t *rk = rd_kafka_new(RD_KAFKA_PRODUCER, conf, err, sizeof(err));
    if (!rk) {
        log_error("devbroker: %s", err);
        return 1;
    }
    rd_kafka_mock_cluster_t *mc = rd_kafka_mock_cluster_new(rk, 1);
    if (!mc) {
        log_error("devbroker: cannot create the mock cluster");
        rd_kafka_destroy(rk);
        return 1;
    }
    for (int i = 0; kafka_topics[i]; i++)
        rd_kafka_mock_topic_create(mc, kafka_topics[i], kafka_topic_partitions(kafka_topics[i]), 1);

    const char *addr = rd_kafka_mock_cluster_bootstraps(mc);
    char path[4096], tmp[4200];
    snprintf(path, sizeof(path), "%s/devbroker.addr", cfg.state_dir);
    snprintf(tmp, sizeof(tmp), "%s.tmp", path);
    FILE *f = fopen(tmp, "w");
    if (!f || fprintf(f, "%s\n", addr) < 0 || fclose(f) != 0 || rename(tmp, path) != 0) {
        log_error("devbroker: cannot publish address to %s", path);
        rd_kafka_mock_cluster_destroy(mc);
        rd_kafka_destroy(rk);
        return 1;
    }
    log_info("kafka mock cluster on %s, topics created (%d partitions each, coupon.claimed %d)",
             addr, KAFKA_PARTITIONS, kafka_topic_partitions(TOPIC_COUPON_CLAIMED));
    while (!sv_stopping)
        pause();
    unlink(path);
    rd_kafka_mock_cluster_destroy(mc);
    rd_kafka_destroy(rk);
    log_info("stopped");
    return 0;
}
