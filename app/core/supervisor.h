/* supervisor.h - a master that forks children, replaces crashed ones with backoff, reloads on
 * SIGHUP and stops gracefully on SIGTERM. Its signal handlers only set flags. */
#ifndef FC_SUPERVISOR_H
#define FC_SUPERVISOR_H
#include <signal.h>
#include <stdbool.h>
#include <sys/types.h>

struct sv_child {
    const char *name;                /* "web", "order", ... used in logs and pid files */
    int (*run)(int slot, void *arg); /* the child's whole life; its return is the exit code */
    void *arg;
    int slot;
    /* supervisor's own state */
    pid_t pid;
    double started, respawn_at, backoff;
    bool retiring;
};

struct sv_hooks {
    void (*on_reload)(void);            /* in the master, on SIGHUP, before children are replaced */
    void (*on_crash)(const char *name); /* a child died without being asked to */
    const char *pid_dir;                /* when set, writes <pid_dir>/worker-<name>[-slot].pid */
    double grace_seconds;               /* how long in-flight work may take on stop (default 10) */
};

/* Runs until SIGTERM/SIGINT; returns 0 after every child has exited. */
int supervisor_run(struct sv_child *children, int n, const struct sv_hooks *hooks);

/* For children: true once SIGTERM arrived. sv_child_signals installs the handler (without
 * SA_RESTART, so blocking calls return EINTR) and calls on_term from it, if given. */
extern volatile sig_atomic_t sv_stopping;
void sv_child_signals(void (*on_term)(void));

/* Seconds before a child that died unasked, after living `lived` seconds, is replaced, given the
 * delay before its previous replacement (0 at first): a child that dies within 2 s is in a crash
 * loop and waits 0.1 s, then twice as long each time, up to 10 s; one that lived longer, at once.
 */
double sv_respawn_delay(double previous, double lived);

#endif
