/* test_event_id.c - event ids (store/outbox.c): UUID v4 form, no repeats, none shared by a fork. */
#include <criterion/criterion.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "store/outbox.h"

static bool uuid_v4(const char *s)
{
    if (strlen(s) != 36)
        return false;
    for (int i = 0; i < 36; i++) {
        bool dash = i == 8 || i == 13 || i == 18 || i == 23;
        if (dash ? s[i] != '-' : !strchr("0123456789abcdef", s[i]))
            return false;
    }
    return s[14] == '4' && strchr("89ab", s[19]);
}

Test(event_id, is_a_version_4_uuid_and_never_repeats)
{
    static char ids[2000][37];
    for (int i = 0; i < 2000; i++) {
        event_id_new(ids[i]);
        cr_assert(uuid_v4(ids[i]), "not a UUID v4: %s", ids[i]);
        for (int j = 0; j < i; j++)
            cr_assert_str_neq(ids[i], ids[j]);
    }
}

Test(event_id, a_forked_child_does_not_repeat_its_parents_next_ids)
{
    char first[37], parent[37], child[37] = "";
    event_id_new(first); /* the parent has its key before the fork */
    int p[2];
    cr_assert_eq(pipe(p), 0);
    pid_t pid = fork();
    if (pid == 0) {
        event_id_new(child);
        ssize_t n = write(p[1], child, sizeof(child));
        _exit(n == (ssize_t)sizeof(child) ? 0 : 1);
    }
    event_id_new(parent);
    cr_assert_eq(read(p[0], child, sizeof(child)), (ssize_t)sizeof(child));
    int status;
    waitpid(pid, &status, 0);
    cr_assert(uuid_v4(child));
    cr_assert_str_neq(parent, child, "parent and child drew the same id");
}
