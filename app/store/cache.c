/* cache.c - per-process cache of query results, valid while a Redis version token is unchanged
 * (and for at most a few seconds, in case a writer forgot to change it). */
#include "store/cache.h"

#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/clock.h"
#include "core/arena.h"
#include "core/supervisor.h"
#include "store/redis.h"

#define CACHE_SLOTS 128
#define CACHE_TTL 5.0
#define CACHE_ARENA_MAX (8 * 1024 * 1024)

struct entry {
    char *key;
    json_t *value;
    char token[40];
    double stored_at;
};

/* Every cached value lives in this arena; when it has grown past its cap the whole cache is
 * dropped at once (values are never freed one by one). */
static struct arena cache_arena;
static struct entry slots[CACHE_SLOTS];

const char *cache_token_key(const char *ns)
{
    static char key[64];
    snprintf(key, sizeof(key), "%s:version", ns);
    return key;
}

int cache_invalidate(const char *ns)
{
    unsigned char raw[16];
    char hex[33];
    randombytes_buf(raw, sizeof(raw));
    sodium_bin2hex(hex, sizeof(hex), raw, sizeof(raw));
    redisReply *r = redis_cmd("SET %s %s", cache_token_key(ns), hex);
    int ok = r && r->type == REDIS_REPLY_STATUS;
    if (r)
        freeReplyObject(r);
    return ok ? 0 : -1;
}

static unsigned long slot_of(const char *key)
{
    unsigned long h = 5381;
    while (*key)
        h = h * 33 + (unsigned char)*key++;
    return h % CACHE_SLOTS;
}

json_t *cache_lookup(const char *key, const char **token)
{
    struct entry *e = &slots[slot_of(key)];
    *token = NULL;
    if (!e->key || strcmp(e->key, key) || clock_now() - e->stored_at > CACHE_TTL)
        return NULL;
    *token = e->token;
    return e->value;
}

json_t *cache_put(const char *token, const char *key, json_t *value)
{
    if (!token || strlen(token) >= sizeof(slots[0].token))
        return value;
    if (!cache_arena.chunk_size)
        arena_init(&cache_arena, 256 * 1024);
    if (cache_arena.used_total > CACHE_ARENA_MAX) {
        memset(slots, 0, sizeof(slots));
        arena_reset(&cache_arena);
    }
    struct arena *prev = json_current_arena();
    json_use_arena(&cache_arena);
    json_t *copy = json_deep_copy(value);
    json_incref(copy); /* request code never drops the cache's own reference */
    json_use_arena(prev);
    struct entry *e = &slots[slot_of(key)];
    e->key = arena_strdup(&cache_arena, key);
    e->value = copy;
    snprintf(e->token, sizeof(e->token), "%s", token);
    e->stored_at = clock_now();
    return copy;
}
