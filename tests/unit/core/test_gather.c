/* test_gather.c - calls gathered into one piece of work (core/gather.c): who leads, who joins,
 * in what order, and that members wait for the leader's results. */
#include <criterion/criterion.h>
#include <string.h>

#include "core/arena.h"
#include "core/gather.h"

struct call {
    struct gather_member m;
    long long key;
    int id;
    bool overlap;
    int result;            /* written by the leader */
    int led;               /* how many calls the gathering this call led held; 0 when it joined */
    int order[GATHER_MAX]; /* as a leader: its members' ids in the gathering's order */
};

static struct arena arena;
static struct gathering *open_list;

/* A request that gathers with key: the leader answers every member with its id times ten. */
static void request(void *arg)
{
    struct call *c = arg;
    coro_set_overlap(c->overlap);
    struct gathering *g = gather_join(&open_list, &arena, c->key, &c->m);
    if (!g)
        return;
    c->led = g->n;
    for (int i = 0; i < g->n; i++) {
        struct call *m = (struct call *)g->members[i];
        c->order[i] = m->id;
        m->result = m->id * 10;
    }
    gather_finish(g);
}

static void setup(void)
{
    arena_init(&arena, 4096);
    open_list = NULL;
}

static void teardown(void)
{
    arena_free(&arena);
}

TestSuite(gather, .init = setup, .fini = teardown);

/* Every call got its answer from its leader; the coroutines are freed. */
static void assert_answered_and_free(struct call *c, struct coro **co, int n)
{
    for (int i = 0; i < n; i++) {
        cr_assert_eq(c[i].result, c[i].id * 10, "call %d", c[i].id);
        coro_free(co[i]);
    }
}

Test(gather, calls_on_one_key_are_led_by_the_first_in_arrival_order)
{
    struct call c[3] = {{.key = 7, .id = 1, .overlap = true},
                        {.key = 7, .id = 2, .overlap = true},
                        {.key = 7, .id = 3, .overlap = true}};
    struct coro *co[3];
    for (int i = 0; i < 3; i++) {
        co[i] = coro_new(64 * 1024, request, &c[i]);
        cr_assert(coro_resume(co[i]), "every call waits: the first for idle, the rest for it");
    }
    cr_assert_eq(c[1].result, 0, "a member has no answer before the leader ran");
    cr_assert(coro_wake_idle(), "the leader sleeps until the worker is idle");
    cr_assert_not(coro_resume(co[0]), "the leader does the work and ends");
    cr_assert_eq(c[0].led, 3);
    cr_assert_eq(memcmp(c[0].order, (int[]){1, 2, 3}, sizeof(int[3])), 0);
    for (int i = 1; i < 3; i++) {
        cr_assert(coro_runnable(co[i]), "the leader woke member %d", i);
        cr_assert_not(coro_resume(co[i]));
        cr_assert_eq(c[i].led, 0, "member %d joined, it did not lead", i);
    }
    assert_answered_and_free(c, co, 3);
    cr_assert_null(open_list, "the gathering closed when its leader took it");
}

Test(gather, other_keys_and_calls_after_the_close_gather_apart)
{
    struct call c[3] = {{.key = 1, .id = 1, .overlap = true},
                        {.key = 2, .id = 2, .overlap = true},
                        {.key = 1, .id = 3, .overlap = true}};
    struct coro *co[3];
    for (int i = 0; i < 2; i++) {
        co[i] = coro_new(64 * 1024, request, &c[i]);
        coro_resume(co[i]);
    }
    cr_assert(coro_wake_idle());
    coro_resume(co[0]); /* key 1's leader took its gathering: closed */
    co[2] = coro_new(64 * 1024, request, &c[2]);
    cr_assert(coro_resume(co[2]), "a later call on key 1 opens a new gathering and waits");
    cr_assert_not(coro_resume(co[1]));
    cr_assert_eq(c[0].led, 1);
    cr_assert_eq(c[1].led, 1, "key 2 was gathered on its own");
    cr_assert(coro_wake_idle());
    cr_assert_not(coro_resume(co[2]));
    cr_assert_eq(c[2].led, 1);
    assert_answered_and_free(c, co, 3);
}

Test(gather, without_overlap_every_call_leads_alone_at_once)
{
    struct call c = {.key = 7, .id = 4, .overlap = false};
    struct coro *co = coro_new(64 * 1024, request, &c);
    cr_assert_not(coro_resume(co), "no waiting: it ran to its end");
    cr_assert_eq(c.led, 1);
    cr_assert_eq(c.result, 40);
    cr_assert_null(open_list);
    coro_free(co);
}

Test(gather, a_full_gathering_is_not_joined)
{
    static struct call c[GATHER_MAX + 1];
    struct coro *co[GATHER_MAX + 1];
    for (int i = 0; i <= GATHER_MAX; i++) {
        c[i] = (struct call){.key = 9, .id = i + 1, .overlap = true};
        co[i] = coro_new(64 * 1024, request, &c[i]);
        coro_resume(co[i]);
    }
    cr_assert(coro_wake_idle());
    cr_assert_not(coro_resume(co[0]));
    cr_assert_eq(c[0].led, GATHER_MAX);
    cr_assert(coro_runnable(co[GATHER_MAX - 1]));
    cr_assert_eq(c[GATHER_MAX].result, 0, "the extra call was not in the full gathering");
    cr_assert_not(coro_resume(co[GATHER_MAX]), "it leads a gathering of its own");
    cr_assert_eq(c[GATHER_MAX].led, 1);
    for (int i = 1; i < GATHER_MAX; i++)
        coro_resume(co[i]);
    assert_answered_and_free(c, co, GATHER_MAX + 1);
}
