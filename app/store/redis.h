/* redis.h - the worker's Redis connection (one, or one per master of a cluster) and the Lua
 * scripts it runs by SHA. */
#ifndef FC_REDIS_H
#define FC_REDIS_H
#include <hiredis/hiredis.h>
#include <stdbool.h>
#include <stddef.h>

#include "core/arena.h"

/* REDIS_URL: redis://host:port[/db], unix:///path or redis-cluster://host:port,... Loads every
 * script in app/lua by SHA (on a cluster: on each master, as it is first used). */
int redis_connect(char *err, size_t errlen);
void redis_close(void);

/* A command; the caller frees the reply with freeReplyObject. An error reply is returned as
 * REDIS_REPLY_ERROR. On a cluster it goes to the master that owns its first key's slot (one
 * without a key, such as PING, to every master) and follows MOVED (the slot map is read again),
 * ASK (up to five of these) and TRYAGAIN (for up to a second), replies that say it did not run.
 * NULL means no reply: Redis was unreachable, or the connection dropped after the command was
 * written, and then whether Redis ran it is unknown. What is re-sent: a connection found closed
 * while idle is replaced before the command is written (so a CLIENT KILL or a restart between
 * requests costs nothing); a read-only command (GET, MGET, HGET, HMGET, SCARD, SISMEMBER, EXISTS,
 * PING, ...) whose connection failed is sent once more on a new one. Nothing that changes data is
 * re-sent after it may have left: the caller gets NULL, "outcome unknown", and a count-changing
 * caller must either carry an id that makes its own re-send harmless (the coupon gate does) or
 * treat NULL as maybe-applied. */
redisReply *redis_cmd(const char *fmt, ...);
/* redis_cmd for a command whose reply is not looked at: 0, or -1 when there was none or it was
 * an error (re-sending as redis_cmd does). */
int redis_run(const char *fmt, ...);
redisReply *redis_argv(int argc, const char **argv);

/* A key's name, formatted (e.g. "{c:%lld}:meta"), held by value: the domain's key schemas are
 * written once each, and redis_key(...).s is valid to the end of the expression it is in. A
 * name that does not fit (63 bytes) is a programming error: logged, and the process aborts
 * rather than use a cut name, which would be another key. */
struct redis_key {
    char s[64];
};
struct redis_key redis_key(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

/* EVALSHA of app/lua/<name>.lua; loads the script again on NOSCRIPT (a flushed or restarted
 * Redis) and repeats it, since NOSCRIPT says it did not run. A script is never re-sent after a
 * dropped connection: NULL then means it may or may not have run (see redis_cmd). argv holds
 * the keys first, then the arguments. */
redisReply *redis_script(const char *name, int nkeys, int argc, const char **argv);

/* The values of n keys (MGET): vals[i] is the value copied into the arena, or NULL when the key
 * is missing. Returns 0, or -1 when Redis failed. The keys may lie in different hash slots: on
 * one Redis this is one round trip, on a cluster one MGET per slot (a cluster refuses a command
 * whose keys span slots), which is why only plain reads, never Lua scripts, span products. */
int redis_get_many(struct arena *a, int n, const char **keys, char **vals);

/* Between redis_overlap(true) and (false), a request in the web loop that waits for Redis yields
 * to the worker's other requests, and the commands of all of them go out in one write and come
 * back in one read. Only for code that holds nothing another request could change across the
 * call (no transaction, no shared buffer): the first-come gate, which a flash crowd calls all at
 * once. Everywhere else a call waits in place, as it always did. On a cluster (a connection per
 * master) every call waits in place: correct, with a round trip per request instead of one per
 * crowd. */
void redis_overlap(bool on);

/* For the web loop. The connection's fd while requests wait for replies (else -1), with the
 * connection's generation (new on every connect) and the time after which they are failed. */
int redis_waiting_fd(unsigned *generation, double *deadline);
void redis_send_waiting(void);    /* writes what the waiting requests queued */
void redis_read_waiting(void);    /* reads what has arrived and wakes whose reply it is */
void redis_give_up_waiting(void); /* a timeout: the waiters get NULL and the connection goes */

/* REDIS_URL read: unix:///path, redis://host[:port][/db] (port 6379 and db 0 when left out), or
 * redis-cluster://host[:port],host[:port],... naming some nodes of a Redis Cluster to read its
 * slot map from (host and port then hold the first). 0, or -1 with err saying what is wrong. */
#define REDIS_URL_MAX_SEEDS 8
struct redis_url {
    bool unix_socket, cluster;
    char host[256]; /* the host, or the socket's path */
    int port, db;
    int nseeds; /* a cluster's nodes as listed */
    struct redis_url_seed {
        char host[256];
        int port;
    } seeds[REDIS_URL_MAX_SEEDS];
};
int redis_url_parse(const char *url, struct redis_url *out, char *err, size_t errlen);

#endif
