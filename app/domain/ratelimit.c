/* ratelimit.c - fixed-window counters in Redis that keep one actor from taking everything. */
#include "domain/ratelimit.h"

#include <stdio.h>

#include "core/config.h"
#include "core/log.h"
#include "store/redis.h"

bool ratelimit_hit(const char *key, int limit, int window, int *retry_after)
{
    *retry_after = 0;
    if (!cfg.rate_limits)
        return true;
    char k[512], w[16];
    /* Each counter is its own hash slot: one script call touches one key. */
    snprintf(k, sizeof(k), "{rl:%s}", key);
    snprintf(w, sizeof(w), "%d", window);
    const char *argv[2] = {k, w};
    redisReply *r = redis_script("rate_limit", 1, 2, argv);
    long long n, ttl;
    bool read = ratelimit_read(r, &n, &ttl);
    if (r)
        freeReplyObject(r);
    if (!read) {
        log_warn("rate limiter unavailable; letting %s through", key);
        return true;
    }
    if (n <= limit)
        return true;
    *retry_after = ttl > 0 && ttl <= window ? (int)ttl : window;
    return false;
}

bool ratelimit_read(const redisReply *r, long long *count, long long *ttl)
{
    /* {requests in the window so far, seconds the window has left} */
    if (!r || r->type != REDIS_REPLY_ARRAY || r->elements != 2 ||
        r->element[0]->type != REDIS_REPLY_INTEGER || r->element[1]->type != REDIS_REPLY_INTEGER ||
        r->element[0]->integer < 1)
        return false;
    *count = r->element[0]->integer;
    *ttl = r->element[1]->integer;
    return true;
}

void ratelimit_reset(const char *key)
{
    redis_run("DEL {rl:%s}", key);
}
