/* test_coro.c - coroutines (core/coro.c): who runs when, runnable marks, the overlap flag. */
#include <criterion/criterion.h>
#include <string.h>

#include "core/coro.h"

static char trace[64];

static void note(char c)
{
    size_t n = strlen(trace);
    trace[n] = c;
    trace[n + 1] = '\0';
}

static void twice(void *arg)
{
    const char *name = arg;
    note(name[0]);
    coro_yield();
    note(name[1]);
}

Test(coro, runs_only_when_resumed_and_continues_where_it_yielded)
{
    trace[0] = '\0';
    struct coro *c = coro_new(64 * 1024, twice, "ab");
    cr_assert_not_null(c);
    cr_assert_str_empty(trace);
    cr_assert(coro_resume(c), "it yielded, so it has not ended");
    cr_assert_str_eq(trace, "a");
    cr_assert_not(coro_resume(c), "it ran to its end");
    cr_assert_str_eq(trace, "ab");
    cr_assert_not(coro_resume(c), "an ended coroutine does not run again");
    cr_assert_str_eq(trace, "ab");
    coro_free(c);
}

Test(coro, two_interleave_in_the_order_the_scheduler_resumes_them)
{
    trace[0] = '\0';
    struct coro *x = coro_new(64 * 1024, twice, "ab"), *y = coro_new(64 * 1024, twice, "cd");
    coro_resume(y);
    coro_resume(x);
    coro_resume(x);
    coro_resume(y);
    cr_assert_str_eq(trace, "cabd");
    coro_free(x);
    coro_free(y);
}

static struct coro *seen;

static void who(void *arg)
{
    (void)arg;
    seen = coro_running();
}

Test(coro, knows_which_coroutine_runs)
{
    struct coro *c = coro_new(64 * 1024, who, NULL);
    cr_assert_null(coro_running(), "the scheduler's own stack is no coroutine");
    coro_resume(c);
    cr_assert_eq(seen, c);
    cr_assert_null(coro_running());
    coro_free(c);
}

static void park(void *arg)
{
    (void)arg;
    for (;;)
        coro_yield();
}

Test(coro, a_wake_marks_runnable_until_the_next_resume)
{
    struct coro *c = coro_new(64 * 1024, park, NULL);
    cr_assert_not(coro_runnable(c));
    coro_wake(c);
    cr_assert(coro_runnable(c));
    coro_resume(c);
    cr_assert_not(coro_runnable(c));
    coro_free(c);
}

static bool inside[2];

static void overlapping(void *arg)
{
    int i = *(int *)arg;
    coro_set_overlap(i == 0);
    coro_yield();
    inside[i] = coro_overlap();
}

Test(coro, the_overlap_flag_belongs_to_one_coroutine)
{
    int zero = 0, one = 1;
    struct coro *a = coro_new(64 * 1024, overlapping, &zero),
                *b = coro_new(64 * 1024, overlapping, &one);
    coro_resume(a);
    coro_resume(b);
    cr_assert_not(coro_overlap(), "the scheduler never overlaps");
    coro_set_overlap(true); /* ignored outside a coroutine */
    cr_assert_not(coro_overlap());
    coro_resume(b);
    coro_resume(a);
    cr_assert(inside[0]);
    cr_assert_not(inside[1]);
    coro_free(a);
    coro_free(b);
}

static void deep(void *arg)
{
    char big[200 * 1024]; /* a request may use a good part of its stack */
    memset(big, 7, sizeof(big));
    *(int *)arg = ((volatile char *)big)[sizeof(big) - 1];
}

Test(coro, has_the_stack_it_asked_for)
{
    int out = 0;
    struct coro *c = coro_new(256 * 1024, deep, &out);
    coro_resume(c);
    cr_assert_eq(out, 7);
    coro_free(c);
}

static void idle_then_note(void *arg)
{
    const char *name = arg;
    note(name[0]);
    coro_yield_idle();
    note(name[1]);
}

Test(coro, idle_sleepers_wake_together_in_the_order_they_slept)
{
    trace[0] = '\0';
    cr_assert_not(coro_wake_idle(), "nobody sleeps yet");
    struct coro *x = coro_new(64 * 1024, idle_then_note, "ab");
    struct coro *y = coro_new(64 * 1024, idle_then_note, "cd");
    coro_resume(y);
    coro_resume(x);
    cr_assert_not(coro_runnable(x));
    cr_assert_not(coro_runnable(y));
    cr_assert(coro_wake_idle());
    cr_assert(coro_runnable(x) && coro_runnable(y));
    cr_assert_not(coro_wake_idle(), "the queue was emptied");
    coro_resume(y);
    coro_resume(x);
    cr_assert_str_eq(trace, "cadb");
    coro_free(x);
    coro_free(y);
}

static void sleep_then_note(void *arg)
{
    const double *until = arg;
    note(*until < 15 ? 's' : 'l');
    coro_sleep_until(*until);
    note(*until < 15 ? 'S' : 'L');
}

Test(coro, sleepers_wake_when_their_time_has_come)
{
    trace[0] = '\0';
    cr_assert_eq(coro_wake_due(0), 0, "nobody sleeps yet");
    double soon = 10, later = 20;
    struct coro *s = coro_new(64 * 1024, sleep_then_note, &soon);
    struct coro *l = coro_new(64 * 1024, sleep_then_note, &later);
    coro_resume(l);
    coro_resume(s);
    cr_assert_eq(coro_wake_due(5), 10, "the next due is the earlier sleeper");
    cr_assert_not(coro_runnable(s) || coro_runnable(l));
    cr_assert_eq(coro_wake_due(10), 20);
    cr_assert(coro_runnable(s));
    cr_assert_not(coro_runnable(l));
    coro_resume(s);
    cr_assert_eq(coro_wake_due(25), 0, "the last sleeper woke");
    coro_resume(l);
    cr_assert_str_eq(trace, "lsSL");
    coro_free(s);
    coro_free(l);
}
