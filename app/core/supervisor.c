/* supervisor.c - a master that forks children, replaces crashed ones with backoff, reloads on
 * SIGHUP and stops gracefully on SIGTERM. Its signal handlers only set flags. */
#include "core/clock.h"
#include "core/supervisor.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "core/log.h"

volatile sig_atomic_t sv_stopping;
static volatile sig_atomic_t got_term, got_hup;
static void (*child_on_term)(void);

static void on_master_signal(int sig)
{
    if (sig == SIGHUP)
        got_hup = 1;
    else
        got_term = 1;
}

static void on_child_term(int sig)
{
    (void)sig;
    sv_stopping = 1;
    if (child_on_term)
        child_on_term();
}

static void set_handler(int sig, void (*fn)(int))
{
    struct sigaction sa;
    memset(&sa, 0, sizeof(sa));
    sa.sa_handler = fn;
    sigemptyset(&sa.sa_mask);
    sa.sa_flags = 0; /* no SA_RESTART: a blocked accept() or poll() must wake up */
    sigaction(sig, &sa, NULL);
}

void sv_child_signals(void (*on_term)(void))
{
    child_on_term = on_term;
    set_handler(SIGTERM, on_child_term);
    set_handler(SIGINT, on_child_term);
    signal(SIGHUP, SIG_IGN);
    signal(SIGPIPE, SIG_IGN);
}

static void pid_file(const struct sv_hooks *h, const struct sv_child *c, bool write)
{
    if (!h->pid_dir)
        return;
    char path[4096];
    snprintf(path, sizeof(path), "%s/worker-%s-%d.pid", h->pid_dir, c->name, c->slot);
    if (!write) {
        unlink(path);
        return;
    }
    FILE *f = fopen(path, "w");
    if (f) {
        fprintf(f, "%d\n", (int)c->pid);
        fclose(f);
    }
}

static void spawn(struct sv_child *c, const struct sv_hooks *h)
{
    pid_t pid = fork();
    if (pid < 0) {
        log_error("fork %s: %s", c->name, strerror(errno));
        c->respawn_at = clock_now() + 1;
        return;
    }
    if (pid == 0) {
        prctl(PR_SET_PDEATHSIG, SIGTERM); /* a killed master takes its children along */
        if (getppid() == 1)
            _exit(0);
        sv_child_signals(NULL);
        _exit(c->run(c->slot, c->arg));
    }
    c->pid = pid;
    c->started = clock_now();
    c->retiring = false;
    c->respawn_at = 0;
    pid_file(h, c, true);
}

double sv_respawn_delay(double previous, double lived)
{
    if (lived >= 2)
        return 0;
    double delay =
        previous > 0 ? previous * 2 : 0.1; /* a child that dies young is in a crash loop */
    return delay > 10 ? 10 : delay;
}

static struct sv_child *find(struct sv_child *cs, int n, pid_t pid)
{
    for (int i = 0; i < n; i++)
        if (cs[i].pid == pid)
            return &cs[i];
    return NULL;
}

/* Collects exited children; schedules a respawn unless we are stopping. */
static int reap(struct sv_child *cs, int n, const struct sv_hooks *h, bool stopping)
{
    int status, reaped = 0;
    pid_t pid;
    while ((pid = waitpid(-1, &status, WNOHANG)) > 0) {
        struct sv_child *c = find(cs, n, pid);
        if (!c)
            continue;
        reaped++;
        pid_file(h, c, false);
        c->pid = 0;
        if (stopping)
            continue;
        bool asked = c->retiring;
        double lived = clock_now() - c->started;
        if (!asked) {
            if (WIFSIGNALED(status))
                log_warn("%s[%d] killed by signal %d after %.1fs; replacing", c->name, (int)pid,
                         WTERMSIG(status), lived);
            else
                log_warn("%s[%d] exited with %d after %.1fs; replacing", c->name, (int)pid,
                         WEXITSTATUS(status), lived);
            if (h->on_crash)
                h->on_crash(c->name);
            c->backoff = sv_respawn_delay(c->backoff, lived);
        } else {
            c->backoff = 0;
        }
        c->respawn_at = clock_now() + c->backoff;
    }
    return reaped;
}

static int alive(const struct sv_child *cs, int n)
{
    int k = 0;
    for (int i = 0; i < n; i++)
        k += cs[i].pid > 0;
    return k;
}

static void signal_all(struct sv_child *cs, int n, int sig)
{
    for (int i = 0; i < n; i++)
        if (cs[i].pid > 0)
            kill(cs[i].pid, sig);
}

int supervisor_run(struct sv_child *cs, int n, const struct sv_hooks *h)
{
    set_handler(SIGTERM, on_master_signal);
    set_handler(SIGINT, on_master_signal);
    set_handler(SIGHUP, on_master_signal);
    signal(SIGPIPE, SIG_IGN);
    for (int i = 0; i < n; i++)
        spawn(&cs[i], h);

    while (!got_term) {
        if (got_hup) {
            got_hup = 0;
            log_info("reload: replacing %d children", n);
            if (h->on_reload)
                h->on_reload();
            for (int i = 0; i < n; i++)
                if (cs[i].pid > 0) {
                    cs[i].retiring = true;
                    kill(cs[i].pid, SIGTERM);
                }
        }
        reap(cs, n, h, false);
        double t = clock_now();
        for (int i = 0; i < n; i++)
            if (cs[i].pid == 0 && cs[i].respawn_at <= t)
                spawn(&cs[i], h);
        usleep(50 * 1000);
    }

    double grace = h->grace_seconds > 0 ? h->grace_seconds : 10;
    double deadline = clock_now() + grace, last_term = 0;
    log_info("stopping %d children (grace %.0fs)", alive(cs, n), grace);
    while (alive(cs, n) > 0 && clock_now() < deadline) {
        /* Repeated, because a TERM that lands just before a blocking accept() is not seen. */
        if (clock_now() - last_term >= 1) {
            signal_all(cs, n, SIGTERM);
            last_term = clock_now();
        }
        reap(cs, n, h, true);
        usleep(20 * 1000);
    }
    if (alive(cs, n) > 0) {
        log_warn("%d children still running after %.0fs; killing", alive(cs, n), grace);
        signal_all(cs, n, SIGKILL);
        for (int i = 0; i < n; i++)
            if (cs[i].pid > 0) {
                waitpid(cs[i].pid, NULL, 0);
                pid_file(h, &cs[i], false);
                cs[i].pid = 0;
            }
    }
    return 0;
}
