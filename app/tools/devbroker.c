/* devbroker.c - `firstcome devbroker`: librdkafka's mock Kafka cluster as a standalone process
 * on loopback, for local runs and tests. In-memory: production uses a real Kafka.
 *
 * KAFKA_BROKER_COUNT brokers (1): each topic's partitions have their leaders spread over them,
 * and so have the consumer groups' coordinators. The mock keeps one log for all its brokers, so
 * a broker taken down proves the clients' failover, not replication.
 *
 * Fault drills: on SIGUSR1 it reads <state dir>/devbroker.faults, removes it, and does what each
 * line asks:
 *   produce-error <count> <Kafka error code>   the next <count> produce requests each broker
 *                                              takes are answered with that error, unwritten
 *   produce-delay <count> <ms>                 ... are written at once, answered <ms> later
 *   broker-down <id>                           the broker closes its connections and takes no
 *                                              more; its partitions and groups move to the next
 *                                              live broker, as a real cluster elects leaders
 *   broker-up <id>                             it serves again, and takes back what it led */
#include "tools/tools.h"

#include <librdkafka/rdkafka.h>
#include <librdkafka/rdkafka_mock.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "core/config.h"
#include "core/log.h"
#include "core/supervisor.h"
#include "store/kafka.h"

enum {
    API_PRODUCE = 0,
    MOST_FAULTS = 10000,
    MOST_BROKERS = 9,
    MOST_TOPICS = 8,
    MOST_PARTITIONS = 64,
    MOST_GROUPS = 8
};

static volatile sig_atomic_t faults_asked;

static void on_usr1(int sig)
{
    (void)sig;
    faults_asked = 1;
}

/* Who leads what: broker ids are 1..n. A partition's or a group's preferred broker is where it
 * goes while every broker is up; `leader` and `coordinator` say where it is now. */
struct cluster {
    rd_kafka_mock_cluster_t *mc;
    int n;
    bool down[MOST_BROKERS + 1];
    int leader[MOST_TOPICS][MOST_PARTITIONS]; /* [topic][partition], as in kafka_topics */
    int coordinator[MOST_GROUPS];             /* [group], as in kafka_groups */
};

/* The preferred broker if it is up, else the next one up after it (the preferred one when all
 * are down: nothing can serve then). */
static int live_broker(const struct cluster *c, int preferred)
{
    for (int k = 0; k < c->n; k++) {
        int id = (preferred - 1 + k) % c->n + 1;
        if (!c->down[id])
            return id;
    }
    return preferred;
}

/* Moves every partition leader and group coordinator to its live broker; only what moves is
 * told to the mock (clients then hear "not leader" or "not coordinator" and look again). */
static void place(struct cluster *c)
{
    if (c->n == 1) /* the one broker leads everything, and there is nowhere else to go */
        return;
    for (int t = 0; kafka_topics[t]; t++)
        for (int p = 0; p < kafka_topic_partitions(kafka_topics[t]); p++) {
            int id = live_broker(c, (t + p) % c->n + 1);
            if (c->leader[t][p] != id)
                rd_kafka_mock_partition_set_leader(c->mc, kafka_topics[t], p, id);
            c->leader[t][p] = id;
        }
    for (int g = 0; kafka_groups[g]; g++) {
        int id = live_broker(c, g % c->n + 1);
        if (c->coordinator[g] != id)
            rd_kafka_mock_coordinator_set(c->mc, "group", kafka_groups[g], id);
        c->coordinator[g] = id;
    }
}

static void set_broker(struct cluster *c, int id, bool up)
{
    if (id < 1 || id > c->n) {
        log_warn("devbroker: there is no broker %d (brokers 1 to %d)", id, c->n);
        return;
    }
    c->down[id] = !up;
    if (up)
        rd_kafka_mock_broker_set_up(c->mc, id);
    else
        rd_kafka_mock_broker_set_down(c->mc, id);
    place(c);
    log_info("devbroker: broker %d %s", id, up ? "up" : "down");
}

static void arm_produce(struct cluster *c, const char *what, int count, int arg)
{
    rd_kafka_resp_err_t code =
        strcmp(what, "produce-error") == 0 ? (rd_kafka_resp_err_t)arg : RD_KAFKA_RESP_ERR_NO_ERROR;
    int rtt = code ? 0 : arg;
    /* On each broker's own stack, one queue in the order armed: librdkafka's mock consults the
     * cluster-wide stack only for a request type a broker has none for. */
    for (int id = 1; id <= c->n; id++) {
        for (int i = 0; i < count; i++)
            rd_kafka_mock_broker_push_request_error_rtts(c->mc, id, API_PRODUCE, 1, code, rtt);
        size_t armed = 0;
        rd_kafka_mock_broker_error_stack_cnt(c->mc, id, API_PRODUCE, &armed);
        log_info("devbroker: %s %d on broker %d's next %d produce requests (%zu armed now)", what,
                 arg, id, count, armed);
    }
}

static void do_fault(struct cluster *c, const char *line)
{
    char what[32];
    int a, b;
    int n = sscanf(line, "%31s %d %d", what, &a, &b);
    bool produce = n == 3 && (!strcmp(what, "produce-error") || !strcmp(what, "produce-delay"));
    if (produce && a >= 1 && a <= MOST_FAULTS && b >= 0)
        arm_produce(c, what, a, b);
    else if (n == 2 && (!strcmp(what, "broker-down") || !strcmp(what, "broker-up")))
        set_broker(c, a, !strcmp(what, "broker-up"));
    else
        log_warn("devbroker: fault line not understood: %s", line);
}

static void arm_faults(struct cluster *c)
{
    char path[4096], line[256];
    snprintf(path, sizeof(path), "%s/devbroker.faults", cfg.state_dir);
    FILE *f = fopen(path, "r");
    if (!f) {
        log_warn("devbroker: SIGUSR1 but no %s", path);
        return;
    }
    while (fgets(line, sizeof(line), f))
        do_fault(c, line);
    fclose(f);
    unlink(path);
}

/* The topics, their partitions and the groups fit the placement's tables. */
static bool placement_fits(void)
{
    int t = 0, g = 0;
    for (; kafka_topics[t]; t++)
        if (kafka_topic_partitions(kafka_topics[t]) > MOST_PARTITIONS)
            return false;
    while (kafka_groups[g])
        g++;
    return t <= MOST_TOPICS && g <= MOST_GROUPS && cfg.kafka_broker_count <= MOST_BROKERS;
}

int devbroker_main(int argc, char **argv)
{
    (void)argc;
    (void)argv;
    char err[512];
    log_set_role("devbroker");
    if (!placement_fits()) {
        log_error("devbroker: more topics, partitions, groups or brokers than it places");
        return 1;
    }
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
    static struct cluster c;
    c.n = cfg.kafka_broker_count;
    rd_kafka_mock_cluster_t *mc = c.mc = rd_kafka_mock_cluster_new(rk, c.n);
    if (!mc) {
        log_error("devbroker: cannot create the mock cluster");
        rd_kafka_destroy(rk);
        return 1;
    }
    /* Every broker a replica of every partition, as a cluster with replication factor n. */
    for (int i = 0; kafka_topics[i]; i++)
        rd_kafka_mock_topic_create(mc, kafka_topics[i], kafka_topic_partitions(kafka_topics[i]),
                                   c.n);
    place(&c);

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
    log_info("kafka mock cluster of %d broker%s on %s, topics created (%d partitions each, "
             "coupon.claimed %d)",
             c.n, c.n == 1 ? "" : "s", addr, KAFKA_PARTITIONS,
             kafka_topic_partitions(TOPIC_COUPON_CLAIMED));
    while (!sv_stopping) {
        sigsuspend(&waiting);
        if (faults_asked) {
            faults_asked = 0;
            arm_faults(&c);
        }
    }
    unlink(path);
    rd_kafka_mock_cluster_destroy(mc);
    rd_kafka_destroy(rk);
    log_info("stopped");
    return 0;
}
