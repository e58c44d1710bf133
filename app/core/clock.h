/* clock.h - the monotonic clock, for deadlines and durations (never for wall-clock dates). */
#ifndef FC_CLOCK_H
#define FC_CLOCK_H

/* Seconds since an arbitrary fixed point (CLOCK_MONOTONIC), with nanosecond resolution. */
double clock_now(void);

#endif
