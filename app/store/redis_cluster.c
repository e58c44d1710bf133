/* redis_cluster.c - Redis Cluster's routing rules: hash slots, the slot map, redirections. */
#include "store/redis_cluster.h"

#include <stdio.h>
#include <string.h>
#include <strings.h>

#include "core/text.h"

uint16_t redis_cluster_crc16(const char *buf, size_t len)
{
    uint16_t crc = 0;
    for (size_t i = 0; i < len; i++) {
        crc ^= (uint16_t)((unsigned char)buf[i] << 8);
        for (int bit = 0; bit < 8; bit++)
            crc = crc & 0x8000 ? (uint16_t)((crc << 1) ^ 0x1021) : (uint16_t)(crc << 1);
    }
    return crc;
}

const char *redis_cluster_hash_tag(const char *key, size_t len, size_t *taglen)
{
    const char *open = memchr(key, '{', len);
    if (open) {
        size_t rest = len - (size_t)(open + 1 - key);
        const char *close = memchr(open + 1, '}', rest);
        if (close && close > open + 1) {
            *taglen = (size_t)(close - open - 1);
            return open + 1;
        }
    }
    *taglen = len;
    return key;
}

int redis_cluster_slot(const char *key, size_t len)
{
    size_t n;
    const char *tag = redis_cluster_hash_tag(key, len, &n);
    return redis_cluster_crc16(tag, n) % REDIS_CLUSTER_SLOTS;
}

void redis_cluster_map_init(struct redis_cluster_map *m)
{
    m->nnodes = 0;
    memset(m->serves, 0, sizeof(m->serves));
    for (int i = 0; i < REDIS_CLUSTER_SLOTS; i++)
        m->owner[i] = -1;
}

int redis_cluster_map_node(struct redis_cluster_map *m, const char *host, int port)
{
    for (int i = 0; i < m->nnodes; i++)
        if (m->nodes[i].port == port && strcmp(m->nodes[i].host, host) == 0)
            return i;
    if (m->nnodes == REDIS_CLUSTER_MAX_NODES || strlen(host) >= sizeof(m->nodes[0].host))
        return -1;
    struct redis_cluster_node *n = &m->nodes[m->nnodes];
    strcpy(n->host, host);
    n->port = port;
    return m->nnodes++;
}

/* A node of a CLUSTER SLOTS range, [host, port, ...] with a port in 1-65535: its port, or 0. */
static int node_port(const redisReply *n)
{
    return n->type == REDIS_REPLY_ARRAY && n->elements >= 2 &&
                   n->element[0]->type == REDIS_REPLY_STRING &&
                   n->element[1]->type == REDIS_REPLY_INTEGER && n->element[1]->integer >= 1 &&
                   n->element[1]->integer <= 65535
               ? (int)n->element[1]->integer
               : 0;
}

/* One range of CLUSTER SLOTS: [start, end, [host, port, id, ...], replicas...]. */
static int read_range(struct redis_cluster_map *m, const redisReply *e, const char *asked,
                      char *err, size_t errlen)
{
    if (e->type != REDIS_REPLY_ARRAY || e->elements < 3 ||
        e->element[0]->type != REDIS_REPLY_INTEGER || e->element[1]->type != REDIS_REPLY_INTEGER)
        return snprintf(err, errlen, "CLUSTER SLOTS: a range is not [start, end, master]"), -1;
    long long start = e->element[0]->integer, end = e->element[1]->integer;
    const redisReply *master = e->element[2];
    if (start < 0 || end < start || end >= REDIS_CLUSTER_SLOTS)
        return snprintf(err, errlen, "CLUSTER SLOTS: slots %lld-%lld out of range", start, end), -1;
    int port = node_port(master);
    if (!port)
        return snprintf(err, errlen, "CLUSTER SLOTS: a master is not [host, port, ...]"), -1;
    const char *host = master->element[0]->str;
    size_t hostlen = master->element[0]->len;
    if (hostlen == 0 || (hostlen == 1 && host[0] == '?'))
        host = asked, hostlen = strlen(asked); /* Redis knows no address of its own to give */
    if (!redis_cluster_host_ok(host, hostlen))
        return snprintf(err, errlen, "CLUSTER SLOTS: a master's host is not an address"), -1;
    int node = redis_cluster_map_node(m, host, port);
    if (node < 0)
        return snprintf(err, errlen, "CLUSTER SLOTS: more than %d nodes", REDIS_CLUSTER_MAX_NODES),
               -1;
    m->serves[node] = true;
    for (long long s = start; s <= end; s++)
        m->owner[s] = (int16_t)node;
    return 0;
}

/* A range's replicas (after its master) own nothing, but they are known: when a master fails,
 * they are asked for the map in which one of them has taken its place. One that is not
 * [host, port] is passed over, as are those the map has no room for once the masters are in. */
static void note_replicas(struct redis_cluster_map *m, const redisReply *e)
{
    for (size_t i = 3; i < e->elements; i++) {
        const redisReply *rep = e->element[i];
        int port = node_port(rep);
        if (port && redis_cluster_host_ok(rep->element[0]->str, rep->element[0]->len) &&
            strcmp(rep->element[0]->str, "?") != 0)
            redis_cluster_map_node(m, rep->element[0]->str, port);
    }
}

int redis_cluster_map_read(struct redis_cluster_map *m, const redisReply *r, const char *asked,
                           char *err, size_t errlen)
{
    memset(m->serves, 0, sizeof(m->serves));
    for (int i = 0; i < REDIS_CLUSTER_SLOTS; i++)
        m->owner[i] = -1;
    if (!r || r->type != REDIS_REPLY_ARRAY) {
        snprintf(err, errlen, "CLUSTER SLOTS: %s", r && r->str ? r->str : "not an array");
        return -1;
    }
    for (size_t i = 0; i < r->elements; i++)
        if (read_range(m, r->element[i], asked, err, errlen) < 0) {
            redis_cluster_map_read(m, NULL, asked, err, 0); /* clears what was read */
            return -1;
        }
    for (size_t i = 0; i < r->elements; i++)
        note_replicas(m, r->element[i]);
    return 0;
}

bool redis_cluster_host_ok(const char *host, size_t len)
{
    if (len == 0 || len >= REDIS_CLUSTER_HOST_SIZE)
        return false;
    for (size_t i = 0; i < len; i++)
        if ((unsigned char)host[i] <= ' ' || (unsigned char)host[i] >= 0x7f)
            return false;
    return true;
}

/* The word at *p followed by a space or the end, moving *p past them. */
static bool word_at(const char **p, const char *end, const char *word)
{
    size_t n = strlen(word);
    if ((size_t)(end - *p) < n || memcmp(*p, word, n) != 0 || (*p + n < end && (*p)[n] != ' '))
        return false;
    *p += n + (*p + n < end);
    return true;
}

enum redis_cluster_redirect redis_cluster_redirect_of(const char *err, size_t len, int *slot,
                                                      struct redis_cluster_node *to)
{
    enum redis_cluster_redirect how;
    const char *p = err, *end = err + len;
    if (word_at(&p, end, "TRYAGAIN"))
        return REDIS_CLUSTER_TRYAGAIN;
    if (word_at(&p, end, "MOVED"))
        how = REDIS_CLUSTER_MOVED;
    else if (word_at(&p, end, "ASK"))
        how = REDIS_CLUSTER_ASK;
    else
        return REDIS_CLUSTER_NONE;
    /* Redis writes "MOVED <slot> <host>:<port>", the host "" when it knows none of its own */
    int s = 0, digits = 0;
    for (; p < end && *p >= '0' && *p <= '9' && digits < 5; p++, digits++)
        s = s * 10 + (*p - '0');
    if (!digits || s >= REDIS_CLUSTER_SLOTS || p == end || *p++ != ' ')
        return REDIS_CLUSTER_NONE;
    const char *colon = NULL; /* the last one: an IPv6 host has colons */
    for (const char *c = p; c < end; c++)
        if (*c == ':')
            colon = c;
    char num[8];
    size_t hostlen = colon ? (size_t)(colon - p) : 0,
           numlen = colon ? (size_t)(end - colon - 1) : 0;
    long long port;
    if (!colon || (hostlen && !redis_cluster_host_ok(p, hostlen)) || !numlen ||
        numlen >= sizeof(num) || memchr(colon + 1, '\0', numlen))
        return REDIS_CLUSTER_NONE;
    memcpy(num, colon + 1, numlen);
    num[numlen] = '\0';
    if (num[0] < '0' || num[0] > '9' || !parse_int64(num, 1, 65535, &port))
        return REDIS_CLUSTER_NONE;
    memcpy(to->host, p, hostlen);
    to->host[hostlen] = '\0';
    to->port = (int)port;
    *slot = s;
    return how;
}

/* A decimal number and CRLF at *p, moving past them; -1 when there is none. */
static long long resp_number(const char **p, const char *end)
{
    long long v = 0;
    const char *s = *p;
    if (s >= end || *s < '0' || *s > '9')
        return -1;
    while (s < end && *s >= '0' && *s <= '9' && v < 1000000000)
        v = v * 10 + (*s++ - '0');
    if (end - s < 2 || s[0] != '\r' || s[1] != '\n')
        return -1;
    *p = s + 2;
    return v;
}

/* The arguments of a command in RESP form, up to max of them; how many were read. */
static int resp_args(const char *cmd, size_t len, int max, const char **arg, size_t *arglen)
{
    const char *p = cmd, *end = cmd + len;
    if (p == end || *p++ != '*')
        return 0;
    long long argc = resp_number(&p, end);
    int n = 0;
    while (n < argc && n < max) {
        if (p == end || *p++ != '$')
            break;
        long long size = resp_number(&p, end);
        if (size < 0 || end - p < size + 2)
            break;
        arg[n] = p;
        arglen[n++] = (size_t)size;
        p += size + 2;
    }
    return n;
}

static bool named(const char *arg, size_t len, const char *name)
{
    return strlen(name) == len && strncasecmp(arg, name, len) == 0;
}

/* Commands whose first argument is not a key. */
static bool keyless(const char *name, size_t len)
{
    static const char *const names[] = {
        "PING",   "ECHO",     "SCRIPT",   "INFO",    "CLUSTER",  "TIME", "DBSIZE",
        "CONFIG", "CLIENT",   "COMMAND",  "SELECT",  "KEYS",     "SCAN", "RANDOMKEY",
        "ASKING", "READONLY", "FLUSHALL", "FLUSHDB", "FUNCTION", "WAIT", NULL};
    for (int i = 0; names[i]; i++)
        if (named(name, len, names[i]))
            return true;
    return false;
}

const char *redis_cluster_command_key(const char *cmd, size_t len, size_t *keylen)
{
    const char *arg[4];
    size_t n[4];
    int argc = resp_args(cmd, len, 4, arg, n);
    if (argc < 2 || keyless(arg[0], n[0]))
        return NULL;
    int key = 1;
    if (named(arg[0], n[0], "EVALSHA") || named(arg[0], n[0], "EVAL") ||
        named(arg[0], n[0], "EVALSHA_RO") || named(arg[0], n[0], "EVAL_RO")) {
        if (argc < 4 || n[2] == 0 || (n[2] == 1 && arg[2][0] == '0'))
            return NULL; /* no keys */
        key = 3;
    }
    *keylen = n[key];
    return arg[key];
}
