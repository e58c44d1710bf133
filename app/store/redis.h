/* redis.h - the worker's one Redis connection and the Lua scripts it runs by SHA. */
#ifndef FC_REDIS_H
#define FC_REDIS_H
#include <hiredis/hiredis.h>
#include <stddef.h>

#include "core/arena.h"

/* REDIS_URL: redis://host:port[/db] or unix:///path. Loads every the scripts in app/lua by SHA. */
int redis_connect(char *err, size_t errlen);
void redis_close(void);

/* A command; the caller frees the reply with freeReplyObject. NULL when Redis is unreachable
 * (reconnects once). An error reply is returned as REDIS_REPLY_ERROR. */
redisReply *redis_cmd(const char *fmt, ...);
redisReply *redis_argv(int argc, const char **argv);

/* EVALSHA of app/lua/<name>.lua; loads the script again on NOSCRIPT (a flushed or restarted
 * Redis). argv holds the keys first, then the arguments. */
redisReply *redis_script(const char *name, int nkeys, int argc, const char **argv);

/* The values of n keys in one round trip (MGET): vals[i] is the value copied into the arena, or
 * NULL when the key is missing. Returns 0, or -1 when Redis failed. The keys may lie in
 * different hash slots; on Redis Cluster this read must be split by slot (a cluster client does
 * that for MGET), which is why only plain reads, never Lua scripts, span products. */
int redis_get_many(struct arena *a, int n, const char **keys, char **vals);

#endif
