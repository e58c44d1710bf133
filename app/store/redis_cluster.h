/* redis_cluster.h - Redis Cluster's routing rules as the Redis client (redis.c) follows them: a
 * key's hash slot, the slot map read from CLUSTER SLOTS, the MOVED and ASK redirections, and the
 * key a command is routed by. Plain data and parsing: nothing here opens a connection. */
#ifndef FC_REDIS_CLUSTER_H
#define FC_REDIS_CLUSTER_H
#include <hiredis/hiredis.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define REDIS_CLUSTER_SLOTS 16384
#define REDIS_CLUSTER_MAX_NODES 32
#define REDIS_CLUSTER_HOST_SIZE 256

/* CRC16-CCITT (XMODEM), the checksum the Redis Cluster specification hashes keys with. */
uint16_t redis_cluster_crc16(const char *buf, size_t len);
/* The part of a key that is hashed: what lies between the first '{' and the first '}' after it
 * when that is not empty, else the whole key. */
const char *redis_cluster_hash_tag(const char *key, size_t len, size_t *taglen);
/* The key's hash slot, 0 to 16383. */
int redis_cluster_slot(const char *key, size_t len);

struct redis_cluster_node {
    char host[REDIS_CLUSTER_HOST_SIZE];
    int port;
};
/* Whether len bytes can be a node's host as Redis names it (an IPv4 or IPv6 address, a host
 * name): 1 to 255 bytes of printable ASCII, no space. */
bool redis_cluster_host_ok(const char *host, size_t len);

/* Which node serves each slot. A node keeps its index for the life of the map, whatever later
 * reads of CLUSTER SLOTS say, so the client's connections can be kept by index. */
struct redis_cluster_map {
    int nnodes;
    struct redis_cluster_node nodes[REDIS_CLUSTER_MAX_NODES];
    bool serves[REDIS_CLUSTER_MAX_NODES]; /* a master that owns slots in the last read */
    int16_t owner[REDIS_CLUSTER_SLOTS];   /* an index into nodes, or -1 */
};
/* An empty map (no node, no owner). */
void redis_cluster_map_init(struct redis_cluster_map *m);
/* The index of host:port, added when new; -1 when the map is full. */
int redis_cluster_map_node(struct redis_cluster_map *m, const char *host, int port);
/* Reads a CLUSTER SLOTS reply into m: each range's owner is its master (the first node listed);
 * replicas own nothing but are added to the nodes known, to be asked for the map later. `asked` is
 * the host the reply came from, for a master whose address Redis leaves empty or "?". 0, or -1
 * with err saying what was wrong (a range that is not [start, end, [host, port, ...], ...] with
 * 0 <= start <= end <= 16383, a host that is not one, a port outside 1-65535, more than
 * REDIS_CLUSTER_MAX_NODES nodes): m is then left with no owners. */
int redis_cluster_map_read(struct redis_cluster_map *m, const redisReply *r, const char *asked,
                           char *err, size_t errlen);

enum redis_cluster_redirect {
    REDIS_CLUSTER_NONE,
    REDIS_CLUSTER_MOVED,
    REDIS_CLUSTER_ASK,
    REDIS_CLUSTER_TRYAGAIN
};
/* An error reply's text as Redis writes it, "MOVED 3999 127.0.0.1:6381" or "ASK 3999
 * 127.0.0.1:6381": which of the two, the slot and the node to ask (host "" when Redis left it
 * out: the host just asked); *slot and *to are set only then. "TRYAGAIN ..." is
 * REDIS_CLUSTER_TRYAGAIN; any other error, or a redirection not of that form exactly (a slot
 * of 16384 or more, a port outside 1-65535, a host that is not one), REDIS_CLUSTER_NONE. */
enum redis_cluster_redirect redis_cluster_redirect_of(const char *err, size_t len, int *slot,
                                                      struct redis_cluster_node *to);

/* The key a command in RESP form (as hiredis formats it) is routed by: its first key, or for
 * EVAL and EVALSHA the first of KEYS. NULL for a command without a key (PING, SCRIPT LOAD, INFO,
 * a script given no keys), which concerns every master. */
const char *redis_cluster_command_key(const char *cmd, size_t len, size_t *keylen);

#endif
