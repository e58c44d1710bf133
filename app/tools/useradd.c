/* useradd.c - `firstcome user add --email E --password P [--name N] [--role R] [--verified]`. */
#include <getopt.h>
#include <stdio.h>
#include <string.h>

#include "core/arena.h"
#include "core/log.h"
#include "domain/accounts.h"
#include "store/db.h"
#include "tools/tools.h"

static int usage(void)
{
    fprintf(stderr, "usage: firstcome user add --email E --password P [--name N]"
                    " [--role user|vendor|admin] [--verified]\n");
    return 2;
}

int user_main(int argc, char **argv)
{
    static const struct option opts[] = {{"email", required_argument, 0, 'e'},
                                         {"password", required_argument, 0, 'p'},
                                         {"name", required_argument, 0, 'n'},
                                         {"role", required_argument, 0, 'r'},
                                         {"verified", no_argument, 0, 'v'},
                                         {0, 0, 0, 0}};
    const char *email = NULL, *password = NULL, *name = NULL, *role = "user";
    bool verified = false;
    if (argc < 2 || strcmp(argv[1], "add") != 0)
        return usage();
    argc--, argv++;
    optind = 1;
    for (int c; (c = getopt_long(argc, argv, "", opts, NULL)) != -1;) {
        switch (c) {
        case 'e': email = optarg; break;
        case 'p': password = optarg; break;
        case 'n': name = optarg; break;
        case 'r': role = optarg; break;
        case 'v': verified = true; break;
        default: return usage();
        }
    }
    if (!email || !password || optind != argc)
        return usage();
    char err[512];
    struct arena a;
    struct err e;
    long long id;
    log_set_role("user");
    arena_init(&a, 4096);
    json_use_arena(&a);
    if (db_connect(err, sizeof(err)) < 0) {
        fprintf(stderr, "firstcome user: %s\n", err);
        return 1;
    }
    if (account_create(&a, email, password, name, role, verified, &id, &e) < 0) {
        fprintf(stderr, "firstcome user: %s (%s)\n", e.msg, e.code);
        return 1;
    }
    printf("user %lld created: %s, role %s%s\n", id, email_normalize(&a, email), role,
           verified ? ", verified" : "");
    db_close();
    return 0;
}
