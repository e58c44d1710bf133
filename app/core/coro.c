/* coro.c - stackful coroutines on ucontext (see coro.h). */
#include "core/coro.h"

#include <stdlib.h>
#include <sys/mman.h>
#include <ucontext.h>
#include <unistd.h>

struct coro {
    ucontext_t uc;
    char *map; /* the guard page, then the stack */
    size_t map_len;
    void (*fn)(void *);
    void *arg;
    bool ended, runnable, overlap;
    struct coro *idle_next;  /* in the idle queue (coro_yield_idle) */
    struct coro *sleep_next; /* among the sleepers (coro_sleep_until) */
    double wake_at;
};

static ucontext_t scheduler;
static struct coro *running;
static struct coro *idle, **idle_tail = &idle;
static struct coro *sleepers; /* few: a plain list */

static void entry(void)
{
    struct coro *c = running;
    c->fn(c->arg);
    c->ended = true; /* uc_link returns to the scheduler */
}

/* getcontext returns twice in principle, so it gets a frame of its own. */
static int prepare(ucontext_t *uc)
{
    return getcontext(uc);
}

struct coro *coro_new(size_t stack_size, void (*fn)(void *), void *arg)
{
    size_t page = (size_t)sysconf(_SC_PAGESIZE);
    stack_size = (stack_size + page - 1) / page * page;
    struct coro *c = calloc(1, sizeof(*c));
    if (!c)
        return NULL;
    c->map_len = stack_size + page;
    c->map = mmap(NULL, c->map_len, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_STACK,
                  -1, 0);
    if (c->map == MAP_FAILED || mprotect(c->map, page, PROT_NONE) != 0 || prepare(&c->uc) != 0) {
        if (c->map != MAP_FAILED)
            munmap(c->map, c->map_len);
        free(c);
        return NULL;
    }
    c->uc.uc_stack.ss_sp = c->map + page;
    c->uc.uc_stack.ss_size = stack_size;
    c->uc.uc_link = &scheduler;
    c->fn = fn;
    c->arg = arg;
    makecontext(&c->uc, entry, 0);
    return c;
}

void coro_free(struct coro *c)
{
    if (!c)
        return;
    munmap(c->map, c->map_len);
    free(c);
}

bool coro_resume(struct coro *c)
{
    if (c->ended)
        return false;
    c->runnable = false;
    running = c;
    swapcontext(&scheduler, &c->uc);
    running = NULL;
    return !c->ended;
}

void coro_yield(void)
{
    struct coro *c = running;
    if (c)
        swapcontext(&c->uc, &scheduler);
}

void coro_yield_idle(void)
{
    struct coro *c = running;
    if (!c)
        return;
    c->idle_next = NULL;
    *idle_tail = c;
    idle_tail = &c->idle_next;
    coro_yield();
}

bool coro_wake_idle(void)
{
    if (!idle)
        return false;
    for (struct coro *c = idle; c; c = c->idle_next)
        c->runnable = true;
    idle = NULL;
    idle_tail = &idle;
    return true;
}

void coro_sleep_until(double until)
{
    struct coro *c = running;
    if (!c)
        return;
    c->wake_at = until;
    c->sleep_next = sleepers;
    sleepers = c;
    coro_yield();
}

double coro_wake_due(double now)
{
    double next = 0;
    for (struct coro **p = &sleepers; *p;) {
        struct coro *c = *p;
        if (c->wake_at <= now) {
            *p = c->sleep_next;
            c->runnable = true;
            continue;
        }
        if (next == 0 || c->wake_at < next)
            next = c->wake_at;
        p = &c->sleep_next;
    }
    return next;
}

struct coro *coro_running(void)
{
    return running;
}

void coro_wake(struct coro *c)
{
    c->runnable = true;
}

bool coro_runnable(const struct coro *c)
{
    return c->runnable && !c->ended;
}

void coro_set_overlap(bool on)
{
    if (running)
        running->overlap = on;
}

bool coro_overlap(void)
{
    return running && running->overlap;
}
