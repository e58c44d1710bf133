/* ratelimit.h - fixed-window counters in Redis that keep one actor from taking everything. */
#ifndef FC_RATELIMIT_H
#define FC_RATELIMIT_H
#include <stdbool.h>

/* Counts one hit on `key` (e.g. "login:email:a@b.c") within a window of `window` seconds.
 * Returns true when the hit is within `limit`; otherwise false and *retry_after holds the
 * seconds until the window ends. Always true when RATE_LIMITS=off. Fails open (true) when
 * Redis does not answer: a limiter must not take the shop down with it. */
bool ratelimit_hit(const char *key, int limit, int window, int *retry_after);
/* rate_limit.lua's reply read: {count (at least 1), seconds left in the window}; false when it
 * is not of that shape (the limiter then fails open). */
struct redisReply;
bool ratelimit_read(const struct redisReply *r, long long *count, long long *ttl);
/* Forgets a key (a successful login clears its failures). */
void ratelimit_reset(const char *key);

#endif
