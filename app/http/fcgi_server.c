/* fcgi_server.c - prefork FastCGI server on libfcgi's fcgiapp: socket, workers, request loop. */
#include "http/fcgi_server.h"

#include <errno.h>
#include <fcntl.h>
#include <fcgiapp.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include "core/clock.h"
#include "core/coro.h"
#include "core/log.h"
#include "core/metrics.h"
#include "core/supervisor.h"
#include "core/text.h"
#include "http/fcgi_records.h"
#include "http/peers.h"

static int listen_fd = -1;
static bool listen_tcp;
static long body_cap;
static int read_timeout; /* seconds a new connection has to send its request */
static struct peers allowed;
static const struct fcgi_app *the_app;

/* A socket file left by a dead server is removed; a live one means another server owns it. */
static int open_unix_socket(const char *path, char *err, size_t errlen)
{
    struct sockaddr_un sa;
    memset(&sa, 0, sizeof(sa));
    sa.sun_family = AF_UNIX;
    if (strlen(path) >= sizeof(sa.sun_path)) {
        snprintf(err, errlen, "socket path too long (%zu bytes, at most %zu): %s", strlen(path),
                 sizeof(sa.sun_path) - 1, path);
        return -1;
    }
    strcpy(sa.sun_path, path);
    int probe = socket(AF_UNIX, SOCK_STREAM, 0);
    if (probe >= 0 && connect(probe, (struct sockaddr *)&sa, sizeof(sa)) == 0) {
        close(probe);
        snprintf(err, errlen, "another server is already listening on %s", path);
        return -1;
    }
    if (probe >= 0)
        close(probe);
    unlink(path);
    /* Only the server's user (and its group: nginx's workers run as the same user here, or
     * in its group) may connect: a peer on the socket is trusted with REMOTE_ADDR. The umask
     * makes the file so from its creation, with no moment of a wider mode. */
    int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
    mode_t old = umask(0117);
    int rc = fd < 0 ? -1 : bind(fd, (struct sockaddr *)&sa, sizeof(sa));
    umask(old);
    if (rc < 0 || listen(fd, 1024) < 0 || chmod(path, 0660) < 0) {
        snprintf(err, errlen, "listen on %s: %s", path, strerror(errno));
        if (fd >= 0)
            close(fd);
        return -1;
    }
    return fd;
}

static int open_listener(const char *listen, char *err, size_t errlen)
{
    if (listen[0] == '/' || listen[0] == '.')
        return open_unix_socket(listen, err, errlen);
    int fd = FCGX_OpenSocket(listen, 1024);
    if (fd < 0)
        snprintf(err, errlen, "listen on %s failed", listen);
    listen_tcp = true;
    return fd;
}

/* Reads exactly CONTENT_LENGTH bytes, at most max_body (or, for a request the app allows more,
 * its limit: asked only of a body over max_body). Returns 0, or an HTTP status to answer with
 * (413 with *cap the limit it passed). */
static int read_body(FCGX_Request *fr, struct request *r, long *cap)
{
    long long n = r->content_length;
    if (n == 0)
        return 0;
    *cap = body_cap;
    if (n > body_cap && the_app->body_limit) {
        long limit = the_app->body_limit(r);
        if (limit > body_cap)
            *cap = limit;
    }
    if (n > *cap)
        return 413;
    char *buf = arena_alloc(r->a, (size_t)n + 1);
    long long got = 0;
    while (got < n) {
        int k = FCGX_GetStr(buf + got, (int)(n - got), fr->in);
        if (k <= 0)
            break;
        got += k;
    }
    if (got != n)
        return 400;
    buf[n] = '\0';
    r->body = buf;
    r->body_len = (size_t)n;
    return 0;
}

/* Headers are formatted here, not with FCGX_FPrintF: libfcgi's printf knows too few formats.
 * A streamed response has no length: it ends with the request. */
static void write_head(FCGX_Request *fr, struct request *r, bool length)
{
    struct strbuf h;
    sb_init(&h, r->a, 256 + r->out_headers.len);
    sb_printf(&h, "Status: %d %s\r\n", r->status, http_reason(r->status));
    if (r->out_type)
        sb_printf(&h, "Content-Type: %s\r\n", r->out_type);
    if (length)
        sb_printf(&h, "Content-Length: %zu\r\n", r->out.len);
    sb_add(&h, r->out_headers.s, r->out_headers.len);
    sb_adds(&h, "\r\n");
    FCGX_PutStr(h.s, (int)h.len, fr->out);
}

static void write_response(FCGX_Request *fr, struct request *r, bool head)
{
    bool has_body = r->status != 204 && r->status != 304;
    if (!r->streaming)
        write_head(fr, r, has_body);
    if (!head && has_body && r->out.len)
        FCGX_PutStr(r->out.s, (int)r->out.len, fr->out);
}

/* How long a streamed response's write may wait for nginx to take it (a reader that stopped
 * reading): the whole worker waits with it. */
#define STREAM_SEND_TIMEOUT 5

/* The request's flush (req_flush): the head the first time, then what the body holds now. */
static bool stream_out(struct request *r)
{
    FCGX_Request *fr = r->conn;
    if (!r->streaming) {
        struct timeval tv = {.tv_sec = STREAM_SEND_TIMEOUT};
        setsockopt(fr->ipcFd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof(tv));
        write_head(fr, r, false);
        r->streaming = true;
    }
    if (r->out.len)
        FCGX_PutStr(r->out.s, (int)r->out.len, fr->out);
    resp_reset_body(r);
    return FCGX_FFlush(fr->out) == 0 && FCGX_GetError(fr->out) == 0 && !fcgi_client_gone();
}

/* Reads what is left of the request: the rest of a body nobody read, and the empty record that
 * ends it. Returns true when nothing more can arrive from nginx. */
static bool drained(FCGX_Request *fr)
{
    char buf[4096];
    while (FCGX_GetStr(buf, sizeof(buf), fr->in) > 0)
        ;
    return FCGX_HasSeenEOF(fr->in) == EOF && FCGX_GetError(fr->in) == 0;
}

/* The connection of the request running now (requests run one at a time in a worker). */
static FCGX_Request *current;

bool fcgi_client_gone(void)
{
    if (!current || current->ipcFd < 0)
        return false;
    struct pollfd p = {.fd = current->ipcFd, .events = POLLRDHUP};
    return poll(&p, 1, 0) == 1 && (p.revents & (POLLRDHUP | POLLHUP | POLLERR));
}

static void serve(FCGX_Request *fr, struct arena *a)
{
    double t0 = clock_now();
    struct request r;
    req_init(&r, a);
    r.conn = fr;
    r.flush = stream_out;
    long cap = body_cap;
    int bad = req_assemble(&r, fr->envp); /* a refusal is answered already */
    if (!bad) {
        bad = read_body(fr, &r, &cap);
        if (bad == 413)
            resp_error(&r, 413, "body_too_large", "the request body is larger than %ld bytes", cap);
        else if (bad)
            resp_error(&r, 400, "bad_body", "the request body does not match its Content-Length");
    }
    if (!bad && fcgi_client_gone()) { /* nginx gave up while it waited for a worker: no effects */
        log_warn("%s %s: the client went away before a worker took it; not run", r.method, r.path);
        resp_error(&r, 503, "unavailable", "the request waited too long for a worker");
    } else if (!bad) {
        the_app->handle(&r);
    }

    write_response(fr, &r, strcmp(r.method, "HEAD") == 0);
    /* libfcgi closes by shutting down its side and waiting for nginx to hang up, so that unread
     * input cannot reset the connection under the response. With the input read to its end
     * there is none, and a plain close (which "detached" asks for) spares every request that
     * wait. */
    if (drained(fr))
        FCGX_Detach(fr);
    FCGX_Finish_r(fr);
    metrics_record(r.route_id, r.status, clock_now() - t0);
}

/* One request in flight: a coroutine that serves the connections the loop hands it. */
#define SLOTS 8
#define SLOT_STACK (1024 * 1024)
struct slot {
    struct coro *co;
    int fd;          /* a connection to serve next, or -1 */
    double deadline; /* while fd waits for its request to arrive: when to give up; else 0 */
    FCGX_Request fr;
    struct arena a;
};

static void slot_main(void *arg)
{
    struct slot *s = arg;
    for (;;) {
        while (s->fd < 0 || s->deadline > 0)
            coro_yield();
        /* The connection is ours already, and its request's head has arrived (see
         * request_arrived): libfcgi reads the request from it. The listening
         * socket is hidden from it (-1), so it never accepts on its own; keepConnection stops
         * it from closing the new connection as the end of the last one. */
        FCGX_InitRequest(&s->fr, -1, 0);
        s->fr.ipcFd = s->fd;
        s->fr.keepConnection = 1;
        s->fd = -1;
        if (FCGX_Accept_r(&s->fr) < 0)
            continue; /* not a request: libfcgi has closed it */
        serve(&s->fr, &s->a);
        if (the_app->end_request)
            the_app->end_request();
        if (s->fr.ipcFd >= 0) /* nginx asked to keep it (we never configure that) */
            FCGX_Free(&s->fr, 1);
        arena_reset(&s->a);
        if (the_app->between_requests)
            the_app->between_requests();
    }
}

/* Whether the head of a request (its begin record and its parameters, up to the empty record
 * that closes them) has arrived, looked at without reading it: libfcgi reads with blocking
 * calls, and a connection handed to it early would hold the whole worker. 1: arrived (or a
 * record libfcgi answers or refuses by itself), 0: not yet, -1: the peer hung up. */
static int request_arrived(int fd)
{
    static unsigned char buf[64 * 1024];
    ssize_t n = recv(fd, buf, sizeof(buf), MSG_PEEK | MSG_DONTWAIT);
    if (n == 0)
        return -1;
    if (n < 0)
        return errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR ? 0 : -1;
    if ((size_t)n == sizeof(buf)) /* more than nginx ever sends first: SO_RCVTIMEO bounds it */
        return 1;
    return fcgi_head_complete(buf, (size_t)n);
}

static void stop_waiting(int ep, struct slot *s)
{
    if (s->deadline > 0)
        epoll_ctl(ep, EPOLL_CTL_DEL, s->fd, NULL);
    s->deadline = 0;
}

/* Hands the connection to its slot's coroutine once the request's head is there, or closes
 * it when the peer hung up. Returns false while it is still to come. */
static bool check_waiting(int ep, struct slot *s)
{
    int arrived = request_arrived(s->fd);
    if (arrived == 0)
        return false;
    stop_waiting(ep, s);
    if (arrived < 0) {
        close(s->fd);
        s->fd = -1;
    } else {
        coro_wake(s->co);
    }
    return true;
}

/* A new connection: refused at once when its peer is not allowed, else kept by the slot
 * until its request arrives or the read timeout passes. */
static void take_connection(int ep, struct slot *s, int fd, const struct sockaddr *peer)
{
    if (listen_tcp && !peers_allow(&allowed, peer)) {
        char addr[64];
        peers_format(peer, addr, sizeof(addr));
        log_warn("refused a FastCGI connection from %s: not in FCGI_ALLOWED_CLIENTS", addr);
        close(fd);
        return;
    }
    /* The backstop for what request_arrived does not see: a body that stops halfway. */
    struct timeval tv = {.tv_sec = read_timeout};
    setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
    s->fd = fd;
    s->deadline = 0;
    /* nginx writes the head right after connecting: most often it is here already. */
    if (check_waiting(ep, s))
        return;
    s->deadline = clock_now() + read_timeout;
    /* Edge-triggered: data that has arrived but is not a whole head yet must not wake the
     * loop again until more comes. Looked at again once watched, for what came in between. */
    struct epoll_event ev = {.events = EPOLLIN | EPOLLRDHUP | EPOLLET, .data.fd = fd};
    epoll_ctl(ep, EPOLL_CTL_ADD, fd, &ev);
    check_waiting(ep, s);
}

/* Looks again at the connections whose request had not arrived when they were taken: the loop
 * waits for events only when it has nothing else to do, and while connections keep queuing it
 * always has, so a request that came in between would wait for the queue to empty. Returns
 * whether one of them can go on (or was closed). */
static bool heads_arrived(int ep, struct slot *slots)
{
    bool any = false;
    for (int i = 0; i < SLOTS; i++)
        if (slots[i].deadline > 0 && check_waiting(ep, &slots[i]))
            any = true;
    return any;
}

static struct slot *waiting_on(struct slot *slots, int fd)
{
    for (int i = 0; i < SLOTS; i++)
        if (slots[i].deadline > 0 && slots[i].fd == fd)
            return &slots[i];
    return NULL;
}

/* Closes the connections that sent no whole request in time; returns the next deadline of
 * the others (0: none). */
static double give_up_idle(int ep, struct slot *slots)
{
    double now = clock_now(), next = 0;
    for (int i = 0; i < SLOTS; i++) {
        struct slot *s = &slots[i];
        if (s->deadline <= 0)
            continue;
        if (now >= s->deadline) {
            stop_waiting(ep, s);
            close(s->fd);
            s->fd = -1;
            log_warn("closed a FastCGI connection that sent no request within %d s", read_timeout);
        } else if (next == 0 || s->deadline < next) {
            next = s->deadline;
        }
    }
    return next;
}

static void listening(int ep, bool *on, bool want)
{
    if (*on == want)
        return;
    /* Exclusive: a new connection wakes one idle worker, not all of them. */
    struct epoll_event ev = {.events = EPOLLIN | EPOLLEXCLUSIVE, .data.fd = listen_fd};
    if (epoll_ctl(ep, want ? EPOLL_CTL_ADD : EPOLL_CTL_DEL, listen_fd, &ev) == 0)
        *on = want;
}

/* The worker's loop: run the slots that can run, accept a connection when every busy slot
 * waits (for the app's waiter: Redis, in the web app) and one is free, and flush and read the
 * waiter for all the waiting slots at once. */
static void serve_loop(struct slot *slots)
{
    int ep = epoll_create1(EPOLL_CLOEXEC);
    if (ep < 0) {
        log_error("epoll: %s", strerror(errno));
        return;
    }
    fcntl(listen_fd, F_SETFL, fcntl(listen_fd, F_GETFL) | O_NONBLOCK);
    bool on = false, acceptable = true;
    int watched = -1;
    unsigned watched_gen = 0;
    for (;;) {
        for (int i = 0; i < SLOTS; i++) {
            struct slot *s = &slots[i];
            if (coro_runnable(s->co)) {
                if (the_app->enter)
                    the_app->enter(&s->a);
                current = &s->fr;
                coro_resume(s->co);
                current = NULL;
                if (the_app->leave)
                    the_app->leave();
            }
        }
        double idle_deadline = give_up_idle(ep, slots);
        double sleeper_due = coro_wake_due(clock_now());
        struct slot *free_slot = NULL;
        bool runnable = false, busy = false;
        for (int i = 0; i < SLOTS; i++) {
            struct slot *s = &slots[i];
            runnable |= coro_runnable(s->co);
            if (s->fd < 0 && s->fr.ipcFd < 0)
                free_slot = s;
            else
                busy = true;
        }
        if (runnable || heads_arrived(ep, slots))
            continue;
        /* One connection at a time, and only when every request in flight waits for Redis:
         * a worker that took all queued connections at once would serve them one after the
         * other while its siblings idle. */
        if (free_slot && acceptable && !sv_stopping) {
            struct sockaddr_storage peer;
            socklen_t peer_len = sizeof(peer);
            int fd = accept4(listen_fd, (struct sockaddr *)&peer, &peer_len, SOCK_CLOEXEC);
            if (fd >= 0) {
                take_connection(ep, free_slot, fd, (struct sockaddr *)&peer);
                continue;
            }
            if (errno != EINTR && errno != ECONNABORTED) {
                if (errno != EAGAIN && errno != EWOULDBLOCK)
                    log_error("accept failed: %s", strerror(errno));
                acceptable = false;
            }
        }
        /* Requests that wait for others to join them (the claim gate) go on now. */
        if (coro_wake_idle())
            continue;
        if (sv_stopping && !busy)
            break;
        /* Only now, with no request left to run or accept, do the waiting requests' commands
         * go out: all of them in one write. */
        const struct fcgi_waiter *wt = &the_app->waiter;
        if (wt->flush)
            wt->flush();
        listening(ep, &on, free_slot && !sv_stopping);
        unsigned gen = 0;
        double deadline = 0;
        int rfd = wt->fd ? wt->fd(&gen, &deadline) : -1;
        if (rfd >= 0 && (rfd != watched || gen != watched_gen)) {
            struct epoll_event ev = {.events = EPOLLIN, .data.fd = rfd};
            if (epoll_ctl(ep, EPOLL_CTL_ADD, rfd, &ev) < 0 && errno == EEXIST)
                epoll_ctl(ep, EPOLL_CTL_MOD, rfd, &ev);
            watched = rfd;
            watched_gen = gen;
        }
        double wake_at = rfd >= 0 ? deadline : clock_now() + 1;
        if (idle_deadline > 0 && idle_deadline < wake_at)
            wake_at = idle_deadline;
        if (sleeper_due > 0 && sleeper_due < wake_at)
            wake_at = sleeper_due;
        double left = wake_at - clock_now();
        int timeout = left <= 0 ? 0 : (int)(left * 1000) + 1;
        struct epoll_event evs[16];
        int n = epoll_wait(ep, evs, 16, timeout);
        if (n < 0 && errno != EINTR) {
            log_error("epoll_wait: %s", strerror(errno));
            break;
        }
        if (n == 0 && rfd >= 0 && clock_now() >= deadline)
            wt->expire();
        /* (a request asleep, e.g. a stream between its events, is not a request in flight) */
        if (n == 0 && (!busy || sleeper_due > 0) && the_app->between_requests)
            the_app->between_requests();
        for (int i = 0; i < n; i++) {
            struct slot *w = waiting_on(slots, evs[i].data.fd);
            if (w) {
                check_waiting(ep, w);
            } else if (evs[i].data.fd == listen_fd) {
                acceptable = true;
            } else if (evs[i].data.fd == rfd) {
                wt->read();
            } else if (evs[i].data.fd == watched) { /* nobody waits: Redis hung up, say */
                epoll_ctl(ep, EPOLL_CTL_DEL, watched, NULL);
                watched = -1;
            }
        }
    }
    close(ep);
}

static int worker_main(int slot, void *arg)
{
    (void)arg;
    char err[512] = "";
    log_set_role("web");
    sv_child_signals(NULL);
    metrics_worker_begin(slot);
    if (the_app->worker_init && the_app->worker_init(err, sizeof(err)) != 0) {
        log_error("worker %d: init failed: %s", slot, err);
        sleep(1); /* the supervisor's backoff grows while the stores are down */
        return 1;
    }
    struct slot slots[SLOTS];
    int made = 0;
    for (; made < SLOTS; made++) {
        struct slot *s = &slots[made];
        s->fd = -1;
        s->deadline = 0;
        FCGX_InitRequest(&s->fr, -1, 0);
        arena_init(&s->a, 64 * 1024);
        s->co = coro_new(SLOT_STACK, slot_main, s);
        if (!s->co) {
            arena_free(&s->a);
            break;
        }
    }
    int rc = 0;
    if (made < SLOTS) {
        log_error("worker %d: out of memory for its request slots", slot);
        rc = 1;
    } else {
        serve_loop(slots);
    }
    if (the_app->worker_exit)
        the_app->worker_exit();
    for (int i = 0; i < made; i++) {
        coro_free(slots[i].co);
        arena_free(&slots[i].a);
    }
    return rc;
}

static void on_crash(const char *name)
{
    (void)name;
    metrics_worker_restarted();
}

int fcgi_server_run(const struct fcgi_options *o, const struct fcgi_app *app)
{
    char err[512];
    const char *listen = o->listen;
    int workers = o->workers;
    the_app = app;
    body_cap = o->max_body;
    read_timeout = o->read_timeout;
    FCGX_Init();
    if (peers_parse(&allowed, o->allowed_clients, err, sizeof(err)) < 0) {
        log_error("%s", err);
        return 1;
    }
    listen_fd = open_listener(listen, err, sizeof(err));
    if (listen_fd < 0) {
        log_error("%s", err);
        return 1;
    }
    struct sv_child *cs = calloc((size_t)workers, sizeof(*cs));
    for (int i = 0; i < workers; i++) {
        cs[i].name = "web";
        cs[i].run = worker_main;
        cs[i].slot = i;
    }
    struct sv_hooks hooks = {.on_reload = app->reload, .on_crash = on_crash, .grace_seconds = 10};
    log_info("listening on %s with %d workers", listen, workers);
    int rc = supervisor_run(cs, workers, &hooks);
    close(listen_fd);
    if (listen[0] == '/' || listen[0] == '.')
        unlink(listen);
    free(cs);
    log_info("stopped");
    return rc;
}
