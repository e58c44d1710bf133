/* cache.h - per-process cache of query results, valid while a Redis version token is unchanged
 * (and for at most a few seconds, in case a writer forgot to change it). */
#ifndef FC_CACHE_H
#define FC_CACHE_H
#include <jansson.h>

/* The Redis key holding the namespace's token ("catalog" -> "catalog:version"). Readers fetch it
 * in the same pipeline as their other reads; writers change it with cache_invalidate(). */
const char *cache_token_key(const char *ns);
/* Gives every reader of the namespace fresh data: call after any write to what it caches. */
int cache_invalidate(const char *ns);

/* The cached value under key whatever its token (NULL when absent or older than the TTL), with
 * the token it was stored under in *token: the caller compares it with the live token. The
 * value belongs to the cache and must not be modified: copy what you change (json_copy). */
json_t *cache_lookup(const char *key, const char **token);
/* Stores a deep copy of value, owned by the cache, and returns that copy (or value itself when
 * it could not be cached). */
json_t *cache_put(const char *token, const char *key, json_t *value);

#endif
