/* useradd.c - `firstcome user add ...` (one account), `firstcome user bulk ...` (a pool of
 * test or load-test accounts sharing one password, hashed once) and `firstcome user password
 * ...` (an operator's reset: the admin's forgotten password, say). */
#include <getopt.h>
#include <sodium.h>
#include <stdio.h>
#include <string.h>

#include "core/arena.h"
#include "core/log.h"
#include "core/text.h"
#include "domain/accounts.h"
#include "store/db.h"
#include "tools/tools.h"

static int usage(void)
{
    fprintf(stderr,
            "usage: firstcome user add --email E --password P [--name N]"
            " [--role user|vendor|admin] [--verified]\n"
            "       firstcome user bulk --prefix P --count N --password P [--verified]\n"
            "         (creates P-1@example.com .. P-N@example.com; existing ones are kept)\n"
            "       firstcome user password --email E [--password P]\n"
            "         (a new password, random and shown once unless given; every session ends)\n");
    return 2;
}

static int bulk(const char *prefix, long long count, const char *password, bool verified)
{
    char hash[crypto_pwhash_STRBYTES];
    if (strlen(password) < PASSWORD_MIN || password_hash(password, hash) != 0) {
        fprintf(stderr, "firstcome user: the password must have at least %d characters\n",
                PASSWORD_MIN);
        return 1;
    }
    long long made = 0;
    if (db_begin() < 0)
        return 1;
    for (long long i = 1; i <= count; i++) {
        char email[300], name[64];
        snprintf(email, sizeof(email), "%s-%lld@example.com", prefix, i);
        snprintf(name, sizeof(name), "%s %lld", prefix, i);
        long long n =
            db_exec("INSERT IGNORE INTO users (email, password_hash, name, role, verified)"
                    " VALUES (?, ?, ?, 'user', ?)",
                    "sssi", email, hash, name, (long long)verified);
        if (n < 0) {
            db_rollback();
            return 1;
        }
        made += n;
    }
    if (db_commit() < 0)
        return 1;
    printf("%lld users created (%lld already existed): %s-1@example.com .. %s-%lld@example.com\n",
           made, count - made, prefix, prefix, count);
    return 0;
}

static int new_password(struct arena *a, const char *email, const char *given)
{
    char made[40];
    struct err e;
    const char *password = given;
    if (!password) {
        tool_random_password(made);
        password = made;
    }
    long long id = account_set_password(a, email, password, &e);
    if (id < 0) {
        fprintf(stderr, "firstcome user: %s (%s)\n", e.msg, e.code);
        return 1;
    }
    printf("user %lld (%s): new password set, every session ended", id, email_normalize(a, email));
    if (!given)
        printf("; the password (shown once): %s", made);
    printf("\n");
    sodium_memzero(made, sizeof(made));
    db_close();
    return 0;
}

int user_main(int argc, char **argv)
{
    static const struct option opts[] = {
        {"email", required_argument, 0, 'e'}, {"prefix", required_argument, 0, 'x'},
        {"count", required_argument, 0, 'c'}, {"password", required_argument, 0, 'p'},
        {"name", required_argument, 0, 'n'},  {"role", required_argument, 0, 'r'},
        {"verified", no_argument, 0, 'v'},    {0, 0, 0, 0}};
    const char *email = NULL, *password = NULL, *name = NULL, *role = "user", *prefix = NULL;
    long long count = 0;
    bool verified = false;
    if (argc < 2 ||
        (strcmp(argv[1], "add") && strcmp(argv[1], "bulk") && strcmp(argv[1], "password")))
        return usage();
    bool is_bulk = strcmp(argv[1], "bulk") == 0, is_reset = strcmp(argv[1], "password") == 0;
    argc--, argv++;
    optind = 1;
    for (int c; (c = getopt_long(argc, argv, "", opts, NULL)) != -1;) {
        switch (c) {
        case 'e':
            email = optarg;
            break;
        case 'p':
            password = optarg;
            break;
        case 'n':
            name = optarg;
            break;
        case 'r':
            role = optarg;
            break;
        case 'v':
            verified = true;
            break;
        case 'x':
            prefix = optarg;
            break;
        case 'c':
            if (!parse_int64(optarg, 1, 1000000, &count))
                return usage();
            break;
        default:
            return usage();
        }
    }
    if (optind != argc || (!password && !is_reset) || (is_bulk ? !prefix || !count : !email))
        return usage();
    struct arena a;
    struct err e;
    long long id;
    if (tool_begin("user", &a, TOOL_DB) < 0)
        return 1;
    if (is_bulk)
        return bulk(prefix, count, password, verified);
    if (is_reset)
        return new_password(&a, email, password);
    if (account_create(&a, email, password, name, role, verified, &id, &e) < 0) {
        fprintf(stderr, "firstcome user: %s (%s)\n", e.msg, e.code);
        return 1;
    }
    printf("user %lld created: %s, role %s%s\n", id, email_normalize(&a, email), role,
           verified ? ", verified" : "");
    db_close();
    return 0;
}
