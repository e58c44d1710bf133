/* redis.c - the worker's Redis connection (one, or one per master of a cluster) and the Lua
 * scripts it runs by SHA. */
#include "store/redis.h"

#include <dirent.h>
#include <errno.h>
#include <poll.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

#include "core/clock.h"
#include "core/config.h"
#include "core/coro.h"
#include "core/log.h"
#include "core/supervisor.h"
#include "core/text.h"
#include "store/redis_cluster.h"

#define MAX_SCRIPTS 32
#define REDIS_IO_TIMEOUT_MS 5000

struct script {
    char name[64];
    char sha[41];
    char *body;
};

/* The connection commands go out on: the one Redis, or on a cluster the one to the master that
 * owns the command's key (node_ctx[node]). */
static redisContext *ctx;
static struct script scripts[MAX_SCRIPTS];
static int nscripts;

/* Requests of this worker waiting for a reply, oldest first: Redis answers a connection's
 * commands in the order they were sent, so the next reply read is always the oldest waiter's. */
struct waiter {
    struct coro *co;
    redisReply *reply;
    bool done;
    struct waiter *next;
};
static struct waiter *waiting, **waiting_tail = &waiting;
static double waiting_since; /* when the waiters last heard anything */
static unsigned generation;  /* counts connections, so the web loop can tell a new one */
/* After a timeout, calls fail at once for a moment instead of each waiting out the timeout
 * again: a claim makes up to three calls, and each would also retry on a new connection, so a
 * frozen Redis held a claim for half a minute. The moment is short, so that once Redis is back
 * requests find it again at once. */
#define REDIS_REST_SECONDS 0.25
static double resting_until;

/* REDIS_URL names a cluster: a connection per master, opened when first needed (and given the
 * scripts then), and the slot map, read at connect, again on every MOVED, and again after a
 * master could not be reached or its connection failed (a replica may have taken its place:
 * a failover answers no MOVED from the master that is gone), at most every MAP_READ_PAUSE. */
static bool cluster;
static struct redis_cluster_map map;
static redisContext *node_ctx[REDIS_CLUSTER_MAX_NODES];
/* A node that could not be reached is not tried again for NODE_REST_SECONDS: a host that is
 * gone (no refusal, the connect times out) would otherwise hold every request routed to it,
 * and the worker's others with them, until a replica has taken its place. */
#define NODE_REST_SECONDS 0.5
static double node_resting_until[REDIS_CLUSTER_MAX_NODES];
#define MAP_READ_PAUSE 0.5
static bool map_stale;
static double map_read_after;
static int node = -1;
/* MOVED and ASK say the command did not run: a command follows this many. TRYAGAIN says so too:
 * a command with several keys met a slot in the middle of a move to another master (some keys
 * moved, or a key it would create belongs to neither side yet), which lasts until the move is
 * done, so it is repeated after growing pauses for up to a second. */
#define REDIS_REDIRECTS 5
#define REDIS_TRYAGAIN_SECONDS 1.0

static int read_scripts(char *err, size_t errlen)
{
    if (nscripts)
        return 0;
    char dir[4096];
    snprintf(dir, sizeof(dir), "%s/app/lua", cfg.app_root);
    DIR *d = opendir(dir);
    if (!d) {
        snprintf(err, errlen, "lua scripts: cannot open %s", dir);
        return -1;
    }
    struct dirent *e;
    while ((e = readdir(d)) && nscripts < MAX_SCRIPTS) {
        size_t n = strlen(e->d_name);
        if (n < 5 || n > 60 || strcmp(e->d_name + n - 4, ".lua") != 0)
            continue;
        char path[4400];
        snprintf(path, sizeof(path), "%s/%s", dir, e->d_name);
        FILE *f = fopen(path, "r");
        if (!f)
            continue;
        fseek(f, 0, SEEK_END);
        long len = ftell(f);
        fseek(f, 0, SEEK_SET);
        struct script *s = &scripts[nscripts++];
        s->body = calloc(1, (size_t)len + 1);
        if (fread(s->body, 1, (size_t)len, f) != (size_t)len)
            len = 0;
        fclose(f);
        memcpy(s->name, e->d_name, n - 4);
        s->name[n - 4] = '\0';
    }
    closedir(d);
    return 0;
}

static redisReply *await_queued(int queued);

static int load_script(struct script *s)
{
    redisReply *r = await_queued(redisAppendCommand(ctx, "SCRIPT LOAD %s", s->body));
    if (!ctx)
        return -1; /* the connection failed and is gone */
    int ok = r && r->type == REDIS_REPLY_STRING && r->len == 40;
    if (ok)
        memcpy(s->sha, r->str, 41);
    else
        log_error("SCRIPT LOAD %s failed: %s", s->name, r && r->str ? r->str : "no reply");
    if (r)
        freeReplyObject(r);
    return ok ? 0 : -1;
}

static int connect_now(char *err, size_t errlen);

/* Connecting never yields: the scripts load before any request can queue behind them. */
int redis_connect(char *err, size_t errlen)
{
    bool overlap = coro_overlap();
    coro_set_overlap(false);
    int rc = connect_now(err, errlen);
    coro_set_overlap(overlap);
    if (rc == 0)
        generation++;
    return rc;
}

/* host[:port] at *p, up to one of `stop` or the end, moving *p past it. 0, or -1 with err. */
static int parse_endpoint(const char *url, const char **p, const char *stop, char *host,
                          size_t hostlen, int *port, char *err, size_t errlen)
{
    const char *s = *p;
    char ends[8];
    snprintf(ends, sizeof(ends), ":%s", stop);
    size_t n = strcspn(s, ends);
    if (n == 0 || n >= hostlen || memchr(s, '@', n)) {
        snprintf(err, errlen, "REDIS_URL=%.300s: expected %s", url,
                 strchr(stop, ',') ? "redis-cluster://host:port,host:port,..."
                                   : "redis://host:port");
        return -1;
    }
    memcpy(host, s, n);
    host[n] = '\0';
    s += n;
    if (*s == ':') {
        char num[16];
        long long v;
        n = strcspn(++s, stop);
        bool ok = n > 0 && n < sizeof(num);
        if (ok) {
            memcpy(num, s, n);
            num[n] = '\0';
            ok = parse_int64(num, 1, 65535, &v);
        }
        if (!ok) {
            snprintf(err, errlen, "REDIS_URL=%.300s: the port must be a number from 1 to 65535",
                     url);
            return -1;
        }
        *port = (int)v;
        s += n;
    }
    *p = s;
    return 0;
}

static int parse_cluster(const char *url, struct redis_url *out, char *err, size_t errlen)
{
    const char *p = url + strlen("redis-cluster://");
    out->cluster = true;
    for (;;) {
        struct redis_url_seed *seed = &out->seeds[out->nseeds];
        if (out->nseeds == REDIS_URL_MAX_SEEDS) {
            snprintf(err, errlen, "REDIS_URL=%.300s: at most %d cluster nodes", url,
                     REDIS_URL_MAX_SEEDS);
            return -1;
        }
        seed->port = 6379;
        if (parse_endpoint(url, &p, ",/", seed->host, sizeof(seed->host), &seed->port, err,
                           errlen) < 0)
            return -1;
        out->nseeds++;
        if (*p != ',')
            break;
        p++;
    }
    if (*p) {
        snprintf(err, errlen,
                 "REDIS_URL=%.300s: expected redis-cluster://host:port,host:port,... (a cluster "
                 "has no database number)",
                 url);
        return -1;
    }
    strcpy(out->host, out->seeds[0].host);
    out->port = out->seeds[0].port;
    return 0;
}

int redis_url_parse(const char *url, struct redis_url *out, char *err, size_t errlen)
{
    memset(out, 0, sizeof(*out));
    out->port = 6379;
    if (strncmp(url, "unix://", 7) == 0) {
        const char *path = url + 7;
        if (path[0] != '/' || strlen(path) >= sizeof(out->host)) {
            snprintf(err, errlen, "REDIS_URL=%.300s: expected unix:///absolute/path", url);
            return -1;
        }
        out->unix_socket = true;
        strcpy(out->host, path);
        return 0;
    }
    if (strncmp(url, "redis-cluster://", 16) == 0)
        return parse_cluster(url, out, err, errlen);
    if (strncmp(url, "redis://", 8) != 0) {
        snprintf(err, errlen, "REDIS_URL=%.300s: expected redis://, redis-cluster:// or unix://",
                 url);
        return -1;
    }
    const char *p = url + 8;
    if (strchr(p, '@')) { /* redis://:password@host is not supported: say so */
        snprintf(err, errlen, "REDIS_URL with a password is not supported");
        return -1;
    }
    if (parse_endpoint(url, &p, "/", out->host, sizeof(out->host), &out->port, err, errlen) < 0)
        return -1;
    long long v;
    if (*p == '/' && p[1]) {
        if (!parse_int64(p + 1, 0, 1023, &v)) {
            snprintf(err, errlen, "REDIS_URL=%.300s: the database must be a number from 0 to 1023",
                     url);
            return -1;
        }
        out->db = (int)v;
    }
    return 0;
}

static void drop_connection(void);

/* A connection just opened: its timeout, its database, the scripts. 0, or -1 with it dropped. */
static int prepare_connection(int db, char *err, size_t errlen)
{
    struct timeval io = {REDIS_IO_TIMEOUT_MS / 1000, 0};
    redisSetTimeout(ctx, io);
    if (db) {
        redisReply *r = redisCommand(ctx, "SELECT %d", db);
        if (r)
            freeReplyObject(r);
    }
    for (int i = 0; i < nscripts; i++)
        if (load_script(&scripts[i]) < 0) {
            snprintf(err, errlen, "redis: cannot load script %s", scripts[i].name);
            if (ctx)
                drop_connection();
            return -1;
        }
    return 0;
}

static int open_connection(const char *what, bool unix_socket, const char *host, int port,
                           char *err, size_t errlen)
{
    struct timeval tv = {2, 0};
    ctx = unix_socket ? redisConnectUnixWithTimeout(host, tv)
                      : redisConnectWithTimeout(host, port, tv);
    if (cluster)
        node_ctx[node] = ctx;
    if (!ctx || ctx->err) {
        snprintf(err, errlen, "redis connect %s: %s", what, ctx ? ctx->errstr : "out of memory");
        drop_connection();
        return -1;
    }
    return 0;
}

static int read_map(char *err, size_t errlen);

static int connect_now(char *err, size_t errlen)
{
    redis_close();
    if (read_scripts(err, errlen) < 0)
        return -1;
    const char *u = cfg.redis_url;
    struct redis_url where;
    if (redis_url_parse(u, &where, err, errlen) < 0)
        return -1;
    cluster = where.cluster;
    if (cluster) { /* the seeds are the first nodes known: the map comes from one of them */
        redis_cluster_map_init(&map);
        for (int i = 0; i < where.nseeds; i++)
            redis_cluster_map_node(&map, where.seeds[i].host, where.seeds[i].port);
        return read_map(err, errlen);
    }
    if (open_connection(u, where.unix_socket, where.host, where.port, err, errlen) < 0)
        return -1;
    return prepare_connection(where.db, err, errlen);
}

static void deliver(redisReply *reply);

void redis_close(void)
{
    while (waiting)
        deliver(NULL);
    if (ctx && !cluster)
        redisFree(ctx);
    for (int i = 0; i < REDIS_CLUSTER_MAX_NODES; i++)
        if (node_ctx[i]) {
            redisFree(node_ctx[i]);
            node_ctx[i] = NULL;
        }
    ctx = NULL;
}

/* The connection in use is broken or was closed: it goes (on a cluster, that node's only). */
static void drop_connection(void)
{
    if (!cluster)
        return redis_close();
    if (ctx)
        redisFree(ctx);
    node_ctx[node] = NULL;
    ctx = NULL;
}

/* With no command outstanding nothing may arrive, so a connection that reads as readable or
 * hung up was closed by Redis (CLIENT KILL, a restart, an idle timeout) while it sat idle: it is
 * replaced before anything is written to it, so the command goes out once, on the new one. */
static bool found_dead(void)
{
    if (waiting)
        return false; /* replies are due: readable says nothing */
    struct pollfd p = {.fd = ctx->fd, .events = POLLIN};
    if (poll(&p, 1, 0) <= 0)
        return false;
    log_warn("redis: the connection was closed while idle; reconnecting");
    drop_connection();
    return true;
}

/* Makes cluster node i's connection the one in use, opening it (and loading the scripts there)
 * when it is not open. 0, or -1 when the node cannot be reached. */
static int use_node(int i)
{
    node = i;
    ctx = node_ctx[i];
    if (ctx && !ctx->err && !found_dead())
        return 0;
    if (ctx)
        drop_connection();
    if (clock_now() < resting_until || clock_now() < node_resting_until[i])
        return -1; /* it just let a request wait out the timeout: not again at once */
    char err[512], what[300];
    snprintf(what, sizeof(what), "%s:%d", map.nodes[i].host, map.nodes[i].port);
    if (open_connection(what, false, map.nodes[i].host, map.nodes[i].port, err, sizeof(err)) < 0 ||
        prepare_connection(0, err, sizeof(err)) < 0) {
        node_resting_until[i] = clock_now() + NODE_REST_SECONDS;
        log_warn("%s", err);
        return -1;
    }
    return 0;
}

/* Reads the slot map (CLUSTER SLOTS) from the first node known that answers, those already
 * connected first (a master that just failed is not); the old map stays when none answers. */
static int read_map(char *err, size_t errlen)
{
    static struct redis_cluster_map fresh;
    snprintf(err, errlen, "redis cluster: no node answered CLUSTER SLOTS");
    map_read_after = clock_now() + MAP_READ_PAUSE;
    bool open[REDIS_CLUSTER_MAX_NODES];
    for (int i = 0; i < map.nnodes; i++)
        open[i] = node_ctx[i] && !node_ctx[i]->err;
    for (int k = 0; k < 2 * map.nnodes; k++) {
        int i = k % map.nnodes;
        if (open[i] != (k < map.nnodes) || use_node(i) < 0)
            continue;
        redisReply *r = await_queued(redisAppendCommand(ctx, "CLUSTER SLOTS"));
        fresh = map;
        int rc = redis_cluster_map_read(&fresh, r, map.nodes[i].host, err, errlen);
        if (r)
            freeReplyObject(r);
        if (rc == 0) {
            map = fresh;
            map_stale = false;
            return 0;
        }
    }
    return -1;
}

/* The node that owns the slot; when none does (the map was never read), the map is read again,
 * as it is when a master failed since the last read. */
static int owner(int slot)
{
    char err[512];
    if (map.owner[slot] < 0 && clock_now() >= resting_until && redis_connect(err, sizeof(err)) < 0)
        log_warn("%s", err);
    else if (map_stale && clock_now() >= map_read_after && read_map(err, sizeof(err)) < 0)
        log_warn("%s", err);
    return map.owner[slot];
}

static int ensure(void)
{
    char err[256];
    if (ctx && !ctx->err && !found_dead())
        return 0;
    if (clock_now() < resting_until)
        return -1; /* it just let a request wait out the timeout: not again at once */
    if (redis_connect(err, sizeof(err)) < 0) {
        log_warn("%s", err);
        return -1;
    }
    return 0;
}

static void deliver(redisReply *reply)
{
    struct waiter *w = waiting;
    waiting = w->next;
    if (!waiting)
        waiting_tail = &waiting;
    w->reply = reply;
    w->done = true;
    coro_wake(w->co);
}

/* The connection is broken: every waiter gets NULL (and tries again on a new one). */
static void connection_failed(void)
{
    log_warn("redis: %s; reconnecting", ctx->errstr);
    drop_connection();
}

static void timed_out(const char *why)
{
    resting_until = clock_now() + REDIS_REST_SECONDS;
    snprintf(ctx->errstr, sizeof(ctx->errstr), "%s", why);
    ctx->err = REDIS_ERR_IO;
    connection_failed();
}

static int send_queued(void)
{
    int done = 0;
    while (!done)
        if (redisBufferWrite(ctx, &done) == REDIS_ERR)
            return -1;
    return 0;
}

/* Sends the command queued on the connection and returns its reply, NULL when the connection
 * failed (it is dropped then). Inside redis_overlap the request yields and the web loop sends
 * and reads for all of its waiting requests at once; otherwise it waits in place, handing the
 * replies to requests queued before it to them. The wait is a poll for input rather than a
 * blocking read: a task asleep in read() on a Unix socket is also woken when Redis takes the
 * request off the socket (the kernel's "write space" wakeup does not ask what the sleeper waits
 * for), and on a VM every wakeup costs several microseconds. */
static redisReply *exchange(void)
{
    struct waiter *w;
    if (coro_overlap() && !cluster && (w = calloc(1, sizeof(*w)))) {
        w->co = coro_running();
        if (!waiting)
            waiting_since = clock_now();
        *waiting_tail = w;
        waiting_tail = &w->next;
        while (!w->done)
            coro_yield();
        redisReply *reply = w->reply;
        free(w);
        return reply;
    }
    if (send_queued() < 0)
        return connection_failed(), NULL;
    for (;;) {
        void *reply = NULL;
        if (redisGetReplyFromReader(ctx, &reply) == REDIS_ERR)
            return connection_failed(), NULL;
        if (reply && waiting) {
            deliver(reply);
            continue;
        }
        if (reply)
            return reply;
        struct pollfd p = {.fd = ctx->fd, .events = POLLIN};
        int n = poll(&p, 1, REDIS_IO_TIMEOUT_MS);
        if (n < 0 && errno == EINTR)
            continue;
        if (n <= 0)
            return timed_out(n == 0 ? "timed out" : strerror(errno)), NULL;
        if (redisBufferRead(ctx) == REDIS_ERR)
            return connection_failed(), NULL;
    }
}

/* The reply to a command just queued (`queued` is what hiredis's append returned), or NULL
 * with the connection dropped. */
static redisReply *await_queued(int queued)
{
    if (queued != REDIS_OK)
        return connection_failed(), NULL;
    return exchange();
}

void redis_overlap(bool on)
{
    coro_set_overlap(on);
}

int redis_waiting_fd(unsigned *gen, double *deadline)
{
    if (!waiting || !ctx)
        return -1;
    *gen = generation;
    *deadline = waiting_since + REDIS_IO_TIMEOUT_MS / 1000.0;
    return ctx->fd;
}

void redis_send_waiting(void)
{
    if (waiting && ctx && send_queued() < 0)
        connection_failed();
}

void redis_read_waiting(void)
{
    if (!waiting || !ctx)
        return;
    if (redisBufferRead(ctx) == REDIS_ERR)
        return connection_failed();
    void *reply = NULL;
    while (waiting) {
        if (redisGetReplyFromReader(ctx, &reply) == REDIS_ERR)
            return connection_failed();
        if (!reply)
            break;
        deliver(reply);
    }
    waiting_since = clock_now();
}

void redis_give_up_waiting(void)
{
    if (waiting && ctx)
        timed_out("timed out");
}

/* Commands that change nothing: one whose connection failed after it was written can be sent
 * again, since running it twice is running it once. */
static bool read_only(const char *name, size_t len)
{
    static const char *const names[] = {
        "GET",      "MGET", "HGET", "HMGET",  "HGETALL", "HEXISTS", "EXISTS", "SCARD", "SISMEMBER",
        "SMEMBERS", "TTL",  "PTTL", "STRLEN", "LLEN",    "LRANGE",  "PING",   "TYPE",  NULL};
    for (int i = 0; names[i]; i++)
        if (strlen(names[i]) == len && strncasecmp(names[i], name, len) == 0)
            return true;
    return false;
}

/* One command already in RESP form, on the connection in use (the one Redis, or cluster node
 * `at`, after ASKING when asked to): sent, and sent again on a new connection only when it is
 * read-only. A command that changes something and whose connection failed after it was written
 * may have run: the caller gets NULL and decides (see redis.h). */
static redisReply *send_on(int at, const char *cmd, size_t len, bool resend, bool asking)
{
    for (int attempt = 0; attempt < (resend ? 2 : 1); attempt++) {
        if ((cluster ? use_node(at) : ensure()) < 0)
            return NULL;
        if (asking && redisAppendCommand(ctx, "ASKING") != REDIS_OK)
            return connection_failed(), NULL;
        redisReply *r = await_queued(redisAppendFormattedCommand(ctx, cmd, len));
        if (r && asking) { /* that was ASKING's OK: the command's reply comes next */
            freeReplyObject(r);
            r = exchange();
        }
        if (r)
            return r;
    }
    return NULL;
}

/* A command without a key (PING) goes to every master: the reply is the first that failed, or
 * the last master's. */
static redisReply *send_everywhere(const char *cmd, size_t len, bool resend)
{
    redisReply *r = NULL;
    if (owner(0) < 0)
        return NULL;
    for (int i = 0; i < map.nnodes; i++) {
        if (!map.serves[i])
            continue;
        if (r)
            freeReplyObject(r);
        r = send_on(i, cmd, len, resend, false);
        map_stale = map_stale || !r;
        if (!r || r->type == REDIS_REPLY_ERROR)
            break;
    }
    return r;
}

/* On a cluster: to the master that owns the command's key, following MOVED (the map is read
 * again), ASK (the map unchanged) and TRYAGAIN (a slot half moved: after a pause). */
static redisReply *send_routed(const char *cmd, size_t len, bool resend)
{
    size_t keylen;
    const char *key = redis_cluster_command_key(cmd, len, &keylen);
    if (!key)
        return send_everywhere(cmd, len, resend);
    int slot = redis_cluster_slot(key, keylen), at = owner(slot), redirects = 0;
    bool asking = false;
    double give_up = clock_now() + REDIS_TRYAGAIN_SECONDS;
    useconds_t pause = 5000;
    while (at >= 0) {
        redisReply *r = send_on(at, cmd, len, resend, asking);
        map_stale = map_stale || !r;
        if (!r || r->type != REDIS_REPLY_ERROR)
            return r;
        struct redis_cluster_node to;
        enum redis_cluster_redirect how = redis_cluster_redirect_of(r->str, r->len, &slot, &to);
        if (how == REDIS_CLUSTER_TRYAGAIN && clock_now() < give_up) {
            freeReplyObject(r);
            usleep(pause);
            pause = pause < 80000 ? pause * 2 : pause;
            continue;
        }
        if (how == REDIS_CLUSTER_NONE || how == REDIS_CLUSTER_TRYAGAIN ||
            redirects++ == REDIS_REDIRECTS)
            return r;
        freeReplyObject(r);
        if (!to.host[0]) /* Redis left the host out: the one just asked */
            snprintf(to.host, sizeof(to.host), "%s", map.nodes[at].host);
        at = redis_cluster_map_node(&map, to.host, to.port);
        asking = how == REDIS_CLUSTER_ASK;
        if (how == REDIS_CLUSTER_MOVED && at >= 0) {
            char err[512];
            if (read_map(err, sizeof(err)) < 0)
                log_warn("%s", err);
            map.owner[slot] = (int16_t)at;
        }
    }
    return NULL;
}

static redisReply *send_formatted(const char *cmd, size_t len, bool resend)
{
    return cluster ? send_routed(cmd, len, resend) : send_on(-1, cmd, len, resend, false);
}

static redisReply *send_argv(int argc, const char **argv, bool resend)
{
    char *cmd = NULL;
    int len = redisFormatCommandArgv(&cmd, argc, argv, NULL);
    if (len < 0)
        return NULL;
    redisReply *r = send_formatted(cmd, (size_t)len, resend);
    redisFreeCommand(cmd);
    return r;
}

redisReply *redis_argv(int argc, const char **argv)
{
    return send_argv(argc, argv, argc > 0 && read_only(argv[0], strlen(argv[0])));
}

static redisReply *redis_vcmd(const char *fmt, va_list ap)
{
    char *cmd = NULL;
    int len = redisvFormatCommand(&cmd, fmt, ap);
    if (len < 0)
        return NULL;
    redisReply *r = send_formatted(cmd, (size_t)len, read_only(fmt, strcspn(fmt, " ")));
    redisFreeCommand(cmd);
    return r;
}

redisReply *redis_cmd(const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    redisReply *r = redis_vcmd(fmt, ap);
    va_end(ap);
    return r;
}

int redis_run(const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    redisReply *r = redis_vcmd(fmt, ap);
    va_end(ap);
    int rc = r && r->type != REDIS_REPLY_ERROR ? 0 : -1;
    if (r)
        freeReplyObject(r);
    return rc;
}

struct redis_key redis_key(const char *fmt, ...)
{
    struct redis_key k;
    va_list ap;
    va_start(ap, fmt);
    int n = vsnprintf(k.s, sizeof(k.s), fmt, ap);
    va_end(ap);
    /* A cut name would be another key: the schemas' names are bounded well below the buffer
     * (ids are at most 19 digits), so this is a schema that outgrew it, not input. */
    if (n < 0 || (size_t)n >= sizeof(k.s)) {
        log_error("redis key longer than %zu bytes: %s...", sizeof(k.s) - 1, k.s);
        abort();
    }
    return k;
}

redisReply *redis_script(const char *name, int nkeys, int argc, const char **argv)
{
    struct script *s = NULL;
    for (int i = 0; i < nscripts; i++)
        if (strcmp(scripts[i].name, name) == 0)
            s = &scripts[i];
    if (!s) {
        log_error("redis: no script named %s", name);
        return NULL;
    }
    char nk[16];
    snprintf(nk, sizeof(nk), "%d", nkeys);
    const char *small[16];
    const char **full = argc + 3 <= 16 ? small : malloc((size_t)(argc + 3) * sizeof(char *));
    if (!full)
        return NULL;
    full[0] = "EVALSHA";
    full[2] = nk;
    memcpy(full + 3, argv, (size_t)argc * sizeof(char *));
    redisReply *r = NULL;
    /* A script is never re-sent after a dropped connection (it may have run), only after
     * NOSCRIPT, which says it did not. */
    for (int attempt = 0; attempt < 2; attempt++) {
        full[1] = s->sha;
        r = send_argv(3 + argc, full, false);
        if (r && r->type == REDIS_REPLY_ERROR && strncmp(r->str, "NOSCRIPT", 8) == 0) {
            /* Redis restarted or was flushed of scripts: load it again and repeat. */
            freeReplyObject(r);
            r = NULL;
            if (load_script(s) < 0)
                break;
            continue;
        }
        break;
    }
    if (full != small)
        free(full);
    return r;
}

/* One MGET of the keys keys[at[0]], keys[at[1]], ..., their values put back at the same places. */
static int get_some(struct arena *a, int n, const int *at, const char **keys, char **vals)
{
    const char **argv = arena_alloc(a, ((size_t)n + 1) * sizeof(char *));
    argv[0] = "MGET";
    for (int i = 0; i < n; i++)
        argv[i + 1] = keys[at[i]];
    redisReply *r = redis_argv(n + 1, argv);
    if (!r || r->type != REDIS_REPLY_ARRAY || r->elements != (size_t)n) {
        if (r)
            freeReplyObject(r);
        return -1;
    }
    for (int i = 0; i < n; i++) {
        redisReply *e = r->element[i];
        vals[at[i]] = e->type == REDIS_REPLY_STRING ? arena_strndup(a, e->str, e->len) : NULL;
    }
    freeReplyObject(r);
    return 0;
}

/* One MGET on one Redis; on a cluster, which refuses a command whose keys lie in several slots,
 * one MGET per slot. */
int redis_get_many(struct arena *a, int n, const char **keys, char **vals)
{
    if (n == 0)
        return 0;
    int *at = arena_alloc(a, (size_t)n * sizeof(int));
    if (!cluster) {
        for (int i = 0; i < n; i++)
            at[i] = i;
        return get_some(a, n, at, keys, vals);
    }
    int *slot = arena_alloc(a, (size_t)n * sizeof(int));
    for (int i = 0; i < n; i++)
        slot[i] = redis_cluster_slot(keys[i], strlen(keys[i]));
    for (int i = 0; i < n; i++) {
        if (slot[i] < 0)
            continue; /* read with an earlier key of its slot */
        int m = 0, s = slot[i];
        for (int j = i; j < n; j++)
            if (slot[j] == s) {
                at[m++] = j;
                slot[j] = -1;
            }
        if (get_some(a, m, at, keys, vals) < 0)
            return -1;
    }
    return 0;
}
