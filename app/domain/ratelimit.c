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
    if (!r || r->type != REDIS_REPLY_ARRAY || r->elements != 2) {
        log_warn("rate limiter unavailable; letting %s through", key);
        if (r)
            freeReplyObject(r);
        return true;
    }
    long long n = r->element[0]->integer, ttl = r->element[1]->integer;
    freeReplyObject(r);
    if (n <= limit)
        return true;
    *retry_after = ttl > 0 ? (int)ttl : window;
    return false;
}

void ratelimit_reset(const char *key)
{
    redis_run("DEL {rl:%s}", key);
}
