/* test_supervisor.c - the master (core/supervisor.c): the delay before a crashed child is
 * replaced, and the real loop replacing crashing children, reloading and stopping them. */
#include <criterion/criterion.h>
#include <errno.h>
#include <limits.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "../support/tmpdir.h"
#include "core/clock.h"
#include "core/log.h"
#include "core/supervisor.h"

Test(respawn_delay, a_first_crash_soon_after_start_waits_a_tenth_of_a_second)
{
    cr_assert_float_eq(sv_respawn_delay(0, 0.01), 0.1, 1e-9);
}

Test(respawn_delay, each_further_crash_in_a_row_waits_twice_as_long)
{
    cr_assert_float_eq(sv_respawn_delay(0.1, 0.5), 0.2, 1e-9);
    cr_assert_float_eq(sv_respawn_delay(0.2, 1.9), 0.4, 1e-9);
    cr_assert_float_eq(sv_respawn_delay(3.2, 0), 6.4, 1e-9);
}

Test(respawn_delay, never_exceeds_ten_seconds)
{
    double d = 0;
    for (int i = 0; i < 20; i++)
        d = sv_respawn_delay(d, 0);
    cr_assert_float_eq(d, 10, 1e-9);
    cr_assert_float_eq(sv_respawn_delay(6.4, 0), 10, 1e-9);
}

Test(respawn_delay, a_child_that_lived_two_seconds_is_replaced_at_once_whatever_came_before)
{
    cr_assert_float_eq(sv_respawn_delay(0, 2), 0, 1e-9);
    cr_assert_float_eq(sv_respawn_delay(10, 60), 0, 1e-9);
}

/* The loop itself, in the test's own process: children write to a pipe, the master's hooks
 * count, and whoever decides the run is over sends the master SIGTERM. */

static int report[2]; /* children write here; the test reads after supervisor_run returns */
static int crashes;
static bool reloaded; /* set in the master by on_reload; children forked later inherit it */
static char crashed_name[32];

static void setup(void)
{
    log_set_level("error"); /* the replacements are expected: keep their warnings out */
    cr_assert_eq(pipe(report), 0);
}

static void teardown(void)
{
    close(report[0]);
}

TestSuite(supervisor, .init = setup, .fini = teardown, .timeout = 30);

static void put(double v)
{
    ssize_t w = write(report[1], &v, sizeof(v));
    (void)w;
}

/* Closes the master's write end and reads what the children wrote, up to max values. */
static int collect(double *v, int max)
{
    close(report[1]);
    int n = 0;
    while (n < max && read(report[0], &v[n], sizeof(v[n])) == (ssize_t)sizeof(v[n]))
        n++;
    return n;
}

static void wait_for_stop(void)
{
    while (!sv_stopping)
        usleep(10 * 1000); /* not pause(): a TERM landing before it would go unseen */
}

static int crash_at_once(int slot, void *arg)
{
    (void)slot;
    (void)arg;
    put(clock_now());
    return 3;
}

static void stop_after_five_crashes(const char *name)
{
    snprintf(crashed_name, sizeof(crashed_name), "%s", name);
    if (++crashes == 5)
        raise(SIGTERM);
}

Test(supervisor, a_child_that_keeps_crashing_is_replaced_after_growing_delays)
{
    struct sv_child c = {.name = "crasher", .run = crash_at_once};
    struct sv_hooks h = {.on_crash = stop_after_five_crashes};
    cr_assert_eq(supervisor_run(&c, 1, &h), 0);

    double start[8];
    cr_assert_eq(collect(start, 8), 5, "the fifth crash stops the run before a sixth start");
    cr_assert_eq(crashes, 5);
    cr_assert_str_eq(crashed_name, "crasher");
    const double delay[] = {0.1, 0.2, 0.4, 0.8};
    for (int i = 0; i < 4; i++) {
        double gap = start[i + 1] - start[i];
        cr_assert_geq(gap, delay[i], "start %d came %.3fs after the crash, before %.1fs", i + 2,
                      gap, delay[i]);
        cr_assert_lt(gap, delay[i] + 1, "start %d came %.3fs after the crash", i + 2, gap);
    }
    cr_assert_gt(start[4] - start[3], start[2] - start[1]);
}

static int reload_then_stop(int slot, void *arg)
{
    (void)slot;
    (void)arg;
    put(clock_now());
    kill(getppid(), reloaded ? SIGTERM : SIGHUP);
    wait_for_stop();
    return 0;
}

static void note_reload(void)
{
    reloaded = true;
}

static void count_crash(const char *name)
{
    (void)name;
    crashes++;
}

Test(supervisor, a_reload_replaces_each_child_at_once_and_is_not_a_crash)
{
    struct sv_child c = {.name = "reloader", .run = reload_then_stop};
    struct sv_hooks h = {.on_reload = note_reload, .on_crash = count_crash};
    cr_assert_eq(supervisor_run(&c, 1, &h), 0);

    double start[4];
    cr_assert_eq(collect(start, 4), 2, "one child before the reload, one after");
    cr_assert(reloaded);
    cr_assert_eq(crashes, 0);
    cr_assert_lt(start[1] - start[0], 1, "the replacement waited %.3fs", start[1] - start[0]);
}

static int ignore_term(int slot, void *arg)
{
    (void)slot;
    (void)arg;
    signal(SIGTERM, SIG_IGN);
    put((double)getpid());
    pid_t master = getppid();
    kill(master, SIGTERM);
    while (kill(master, 0) == 0) /* deaf to TERM, for as long as the master lives */
        usleep(10 * 1000);
    return 0;
}

Test(supervisor, a_child_still_running_after_the_grace_period_is_killed)
{
    struct sv_child c = {.name = "stubborn", .run = ignore_term};
    struct sv_hooks h = {.grace_seconds = 0.3};
    double t0 = clock_now();
    cr_assert_eq(supervisor_run(&c, 1, &h), 0);
    double took = clock_now() - t0;

    double pid;
    cr_assert_eq(collect(&pid, 1), 1);
    cr_assert_eq(kill((pid_t)pid, 0), -1, "the child is gone");
    cr_assert_eq(errno, ESRCH);
    cr_assert_eq(c.pid, 0);
    cr_assert_geq(took, 0.3, "stopped after %.3fs, within the grace period", took);
    cr_assert_lt(took, 5, "stopped after %.3fs", took);
}

static char pid_dir[PATH_MAX];

/* Reports whether its pid file, which the master writes after the fork, came to name it. */
static int find_own_pid_file(int slot, void *arg)
{
    (void)arg;
    char path[PATH_MAX + 64], want[32], got[32] = "";
    snprintf(path, sizeof(path), "%s/worker-pidfile-%d.pid", pid_dir, slot);
    snprintf(want, sizeof(want), "%d\n", (int)getpid());
    for (int i = 0; i < 200 && strcmp(got, want) != 0; i++) {
        FILE *f = fopen(path, "r");
        if (f) {
            if (!fgets(got, sizeof(got), f))
                got[0] = '\0';
            fclose(f);
        }
        if (strcmp(got, want) != 0)
            usleep(10 * 1000);
    }
    put(strcmp(got, want) == 0);
    kill(getppid(), SIGTERM);
    wait_for_stop();
    return 0;
}

Test(supervisor, a_pid_file_names_each_running_child_and_is_removed_when_it_exits)
{
    cr_assert(tmpdir_make(pid_dir, sizeof(pid_dir), "supervisor"));
    struct sv_child c = {.name = "pidfile", .run = find_own_pid_file, .slot = 2};
    struct sv_hooks h = {.pid_dir = pid_dir};
    cr_assert_eq(supervisor_run(&c, 1, &h), 0);

    double found;
    cr_assert_eq(collect(&found, 1), 1);
    char path[PATH_MAX + 64];
    snprintf(path, sizeof(path), "%s/worker-pidfile-2.pid", pid_dir);
    bool left = access(path, F_OK) == 0;
    tmpdir_remove(pid_dir);
    cr_assert_eq(found, 1, "the child did not find its pid in %s", path);
    cr_assert_not(left, "%s is left after the child exited", path);
}
