/* mailtool.c - `firstcome mail`: queue a mail by hand, count the outbox (operators, tests). */
#include "tools/tools.h"

#include <stdio.h>
#include <string.h>

#include "core/arena.h"
#include "core/log.h"
#include "store/db.h"
#include "store/mail.h"
#include "store/redis.h"

static int usage(void)
{
    fprintf(stderr, "usage: firstcome mail send --to ADDRESS --subject SUBJECT --body BODY\n"
                    "       firstcome mail status\n");
    return 2;
}

static int send_cmd(int argc, char **argv)
{
    const char *to = NULL, *subject = NULL, *body = NULL;
    for (int i = 1; i < argc; i += 2) {
        const char **dst = !strcmp(argv[i], "--to")        ? &to
                           : !strcmp(argv[i], "--subject") ? &subject
                           : !strcmp(argv[i], "--body")    ? &body
                                                           : NULL;
        if (!dst || i + 1 >= argc)
            return usage();
        *dst = argv[i + 1];
    }
    if (!to || !subject || !body)
        return usage();
    long long id = mail_enqueue(to, subject, body);
    if (id < 0) {
        fprintf(stderr, "firstcome mail: not queued (see the message above)\n");
        return 1;
    }
    printf("%lld\n", id);
    return 0;
}

/* Every status on its own line, zero included, so a script can read any one of them. */
static int status_cmd(void)
{
    static const char *statuses[] = {"queued", "sent", "failed"};
    json_t *rows = db_query("SELECT status, COUNT(*) AS n FROM mail_outbox GROUP BY status", "");
    if (!rows)
        return 1;
    for (size_t s = 0; s < sizeof(statuses) / sizeof(statuses[0]); s++) {
        long long n = 0;
        size_t i;
        json_t *row;
        json_array_foreach(rows, i, row)
        {
            if (!strcmp(json_string_value(json_object_get(row, "status")), statuses[s]))
                n = json_integer_value(json_object_get(row, "n"));
        }
        printf("%-7s %lld\n", statuses[s], n);
    }
    return 0;
}

int mail_main(int argc, char **argv)
{
    if (argc < 2 || (strcmp(argv[1], "send") && strcmp(argv[1], "status")))
        return usage();
    struct arena a;
    if (tool_begin("mail", &a, TOOL_DB) < 0)
        return 1;
    int rc = !strcmp(argv[1], "send") ? send_cmd(argc - 1, argv + 1) : status_cmd();
    redis_close();
    db_close();
    json_use_arena(NULL);
    arena_free(&a);
    return rc;
}
