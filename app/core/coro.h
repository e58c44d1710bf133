/* coro.h - stackful coroutines on ucontext, so that one web worker can keep several requests
 * in flight: a request that waits for Redis lets the worker take up another, and the waits of
 * all of them share one write to Redis and one read of its replies. Single-threaded; a
 * coroutine runs until it yields, and only the scheduler (the thread's own stack) resumes one. */
#ifndef FC_CORO_H
#define FC_CORO_H
#include <stdbool.h>
#include <stddef.h>

struct coro;

/* A coroutine that will run fn(arg) on a stack of its own (with a guard page) when first
 * resumed; NULL when out of memory. fn returning ends the coroutine. */
struct coro *coro_new(size_t stack_size, void (*fn)(void *), void *arg);
void coro_free(struct coro *c);

/* From the scheduler: runs c until it yields or ends; false once it has ended. */
bool coro_resume(struct coro *c);
/* From a coroutine: back to the scheduler. */
void coro_yield(void);
/* The coroutine running now, or NULL on the scheduler's stack. */
struct coro *coro_running(void);

/* Runnable: set by whoever completes what a coroutine waits for, cleared by coro_resume. */
void coro_wake(struct coro *c);
bool coro_runnable(const struct coro *c);

/* From a coroutine: sleep until the scheduler has nothing else to run or to take up, so that
 * others can join what this one is about to send (see the claim gate in coupons.c). */
void coro_yield_idle(void);
/* From the scheduler with nothing else to run: wakes the coroutines in coro_yield_idle, in the
 * order they went to sleep; false when there were none. */
bool coro_wake_idle(void);

/* From a coroutine: sleep until the clock (clock_now) reaches `until`; other coroutines run
 * meanwhile. */
void coro_sleep_until(double until);
/* From the scheduler: wakes the sleepers whose time has come by `now`; returns when the next of
 * those still asleep is due (0: none sleeps). */
double coro_wake_due(double now);

/* Whether the running coroutine may yield inside a store call (see redis_overlap). */
void coro_set_overlap(bool on);
bool coro_overlap(void);

#endif
