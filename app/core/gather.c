/* gather.c - the calls of several requests in one web worker gathered into one piece of work. */
#include "core/gather.h"

struct gathering *gather_join(struct gathering **open, struct arena *a, long long key,
                              struct gather_member *m)
{
    m->co = coro_running();
    m->done = false;
    struct gathering *g = NULL;
    if (coro_overlap())
        for (g = *open; g && (g->key != key || g->n == GATHER_MAX); g = g->next)
            ;
    if (g) { /* joins: the leader does the work and wakes it */
        g->members[g->n++] = m;
        while (!m->done)
            coro_yield();
        return NULL;
    }
    g = arena_calloc(a, sizeof(*g));
    g->key = key;
    g->members[g->n++] = m;
    if (coro_overlap()) {
        g->next = *open;
        *open = g;
        coro_yield_idle();
        struct gathering **p = open; /* closed: later calls open another */
        while (*p != g)
            p = &(*p)->next;
        *p = g->next;
    }
    return g;
}

void gather_finish(struct gathering *g)
{
    for (int i = 0; i < g->n; i++) {
        g->members[i]->done = true;
        if (i > 0)
            coro_wake(g->members[i]->co);
    }
}
