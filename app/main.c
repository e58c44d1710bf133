/* main.c - `firstcome <command>`: one binary for the web server, workers, broker and tools. */
#include <stdio.h>
#include <string.h>

#include "core/arena.h"
#include "core/config.h"
#include "core/log.h"
#include "tools/tools.h"
#include "web/app.h"
#include "workers/workers.h"

struct command {
    const char *name;
    int (*fn)(int argc, char **argv);
    const char *help;
};

static int config_main(int argc, char **argv);

static const struct command commands[] = {
    {"web", web_main, "prefork FastCGI server (nginx in front)"},
    {"workers", workers_main, "supervises the background workers (mailer, consumers, scheduler)"},
    {"worker", worker_main, "runs one background worker KIND in the foreground"},
    {"devbroker", devbroker_main, "embedded Kafka-protocol broker for local runs and tests"},
    {"migrate", migrate_main, "apply sql/ migrations not applied yet"},
    {"seed-demo", seed_demo_main,
     "load demo vendors, products, a flash sale, a coupon, an admin (once)"},
    {"reconcile", reconcile_main, "rebuild missing Redis counters from MySQL"},
    {"mail", mail_main,
     "queue a mail (send --to A --subject S --body B) or count the outbox (status)"},
    {"bench", bench_main,
     "bench strategies|room: the concurrency lab side by side; a waiting room under a burst"},
    {"coupons", coupons_main,
     "coupons reconcile [--id N]: rebuild Redis campaign state from MySQL"},
    {"user", user_main,
     "user add ... | user bulk ... | user password ... (run `firstcome user` for the options)"},
    {"config", config_main, "print every setting (env-file PATH: write them as KEY='value')"},
};
#define NCOMMANDS (sizeof(commands) / sizeof(commands[0]))

static int config_main(int argc, char **argv)
{
    char err[512];
    if (argc >= 3 && strcmp(argv[1], "env-file") == 0) {
        if (config_write_env(argv[2], err, sizeof(err)) < 0) {
            fprintf(stderr, "firstcome config: %s\n", err);
            return 1;
        }
        return 0;
    }
    config_print();
    return 0;
}

static void usage(FILE *f)
{
    fprintf(f, "usage: firstcome <command> [args]\n\ncommands:\n");
    for (size_t i = 0; i < NCOMMANDS; i++)
        fprintf(f, "  %-11s %s\n", commands[i].name, commands[i].help);
    fprintf(f, "\nSettings come from the environment; `firstcome config` lists them.\n");
}

int main(int argc, char **argv)
{
    char err[512];
    if (argc < 2 || !strcmp(argv[1], "-h") || !strcmp(argv[1], "--help") ||
        !strcmp(argv[1], "help")) {
        usage(argc < 2 ? stderr : stdout);
        return argc < 2 ? 2 : 0;
    }
    for (size_t i = 0; i < NCOMMANDS; i++) {
        if (strcmp(argv[1], commands[i].name) != 0)
            continue;
        if (config_load(err, sizeof(err)) < 0) {
            fprintf(stderr, "firstcome: %s\n", err);
            return 2;
        }
        log_set_level(cfg.log_level);
        json_alloc_init();
        return commands[i].fn(argc - 1, argv + 1);
    }
    fprintf(stderr, "firstcome: unknown command '%s'\n\n", argv[1]);
    usage(stderr);
    return 2;
}
