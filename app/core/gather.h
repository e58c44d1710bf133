/* gather.h - the calls of several requests in one web worker gathered into one piece of work:
 * the first call for a key opens a gathering and sleeps until the worker has nothing else to
 * run or take up; calls for the same key that arrive meanwhile join it; then the first does the
 * work for all of them and wakes the others. The claim gate sends a crowd's claims to Redis in
 * one script run this way, and sync mode writes their coupons in one transaction.
 *
 * A member lives in its caller's arena and holds the caller's own results, which the leader
 * writes before it wakes it; the gathering lives in the leader's arena and is never touched by
 * a member after it was woken. Gathering happens only where the running request may yield
 * (coro_overlap); elsewhere every call is a gathering of one. */
#ifndef FC_GATHER_H
#define FC_GATHER_H
#include <stdbool.h>

#include "core/arena.h"
#include "core/coro.h"

#define GATHER_MAX 64

struct gather_member {
    struct coro *co;
    bool done; /* set by gather_finish */
};

struct gathering {
    long long key;
    int n;
    struct gather_member *members[GATHER_MAX]; /* in arrival order; [0] is the leader */
    struct gathering *next;                    /* the worker's gatherings still open */
};

/* Adds m to the open gathering for key in *open, or opens one in a. Returns NULL to a member
 * once the leader has finished (its results are in place), or the gathering to the leader,
 * closed to later calls, after the others had their chance to join: the leader does the work
 * for members[0..n-1] and then calls gather_finish. */
struct gathering *gather_join(struct gathering **open, struct arena *a, long long key,
                              struct gather_member *m);
/* Marks every member done and wakes the others. */
void gather_finish(struct gathering *g);

#endif
