/* devbroker.c - `firstcome devbroker`: librdkafka's mock Kafka cluster as a standalone process
 * on loopback, for local runs and tests. In-memory: production uses a real Kafka.
 *
 * Fault drills: on SIGUSR1 it reads <state dir>/devbroker.faults, removes it, and arms what each
 * line asks for on the next produce requests, whoever sends them:
 *   produce-error <count> <Kafka error code>   answered with that error, nothing written
 *   produce-delay <count> <ms>                 written at once, answered <ms> later */
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

enum { API_PRODUCE = 0, BROKER_ID = 1, MOST_FAULTS = 10000 };

static volatile sig_atomic_t faults_asked;

static void on_usr1(int sig)
{
    (void)sig;
    faults_asked = 1;
}

static void arm_faults(rd_kafka_mock_cluster_t *mc)
{
    char path[4096], line[256], what[32];
    snprintf(path, sizeof(path), "%s/devbroker.faults", cfg.state_dir);
    FILE *f = fopen(path, "r");
    if (!f) {
        log_warn("devbroker: SIGUSR1 but no %s", path);
        return;
    }
    while (fgets(line, sizeof(line), f)) {
        int count, arg;
        if (sscanf(line, "%31s %d %d", what, &count, &arg) != 3 || count < 1 ||
            count > MOST_FAULTS || arg < 0) {
            log_warn("devbroker: fault line not understood: %s", line);
            continue;
        }
        /* All on the broker's own stack, one queue in the order armed: librdkafka's mock
         * consults the cluster-wide stack only for a request type the broker has none for. */
        rd_kafka_resp_err_t code = RD_KAFKA_RESP_ERR_NO_ERROR;
        int rtt = 0;
        if (strcmp(what, "produce-error") == 0) {
            code = (rd_kafka_resp_err_t)arg;
        } else if (strcmp(what, "produce-delay") == 0) {
            rtt = arg;
        } else {
            log_warn("devbroker: unknown fault %s", what);
            continue;
        }
        for (int i = 0; i < count; i++)
            rd_kafka_mock_broker_push_request_error_rtts(mc, BROKER_ID, API_PRODUCE, 1, code, rtt);
        size_t armed = 0;
        rd_kafka_mock_broker_error_stack_cnt(mc, BROKER_ID, API_PRODUCE, &armed);
        log_info("devbroker: %s %d on %d produce requests (%zu armed now)", what, arg, count,
                 armed);
    }
    fclose(f);
    unlink(path);
}

int devbroker_main(int argc, char **argv)
{
    (void)argc;
    (void)argv;
    char err[512];
    log_set_role("devbroker");
    sv_child_signals(NULL);
    struct sigaction sa = {.sa_handler = on_usr1};
    sigemptyset(&sa.sa_mask);
    sigaction(SIGUSR1, &sa, NULL);
    /* Taken only inside sigsuspend, so that none arrives between the check and the wait. */
    sigset_t usr1, waiting;
    sigemptyset(&usr1);
    sigaddset(&usr1, SIGUSR1);
    sigprocmask(SIG_BLOCK, &usr1, &waiting);
    sigdelset(&waiting, SIGUSR1);

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
    while (!sv_stopping) {
        sigsuspend(&waiting);
        if (faults_asked) {
            faults_asked = 0;
            arm_faults(mc);
        }
    }
    unlink(path);
    rd_kafka_mock_cluster_destroy(mc);
    rd_kafka_destroy(rk);
    log_info("stopped");
    return 0;
}
