/* fcgi_server.h - prefork FastCGI server on libfcgi's fcgiapp: socket, workers, request loop. */
#ifndef FC_FCGI_SERVER_H
#define FC_FCGI_SERVER_H
#include <stdbool.h>
#include <stddef.h>

#include "http/request.h"

/* Something the requests in flight wait on besides their connections (a store's socket): when no
 * request can run or be accepted, the loop flushes what they queued, watches fd until deadline,
 * reads when it is readable and expires them at the deadline. The loop knows nothing else of
 * it; the application wires in the store's functions. flush may be NULL; fd, read and expire
 * are given together or not at all. */
struct fcgi_waiter {
    void (*flush)(void);
    /* The fd while requests wait (else -1), its generation (new when the fd is replaced) and
     * when to give up on them. */
    int (*fd)(unsigned *generation, double *deadline);
    void (*read)(void);
    void (*expire)(void);
};

struct fcgi_app {
    /* In each worker after fork: open store handles. Non-zero return ends the worker. */
    int (*worker_init)(char *err, size_t errlen);
    /* Routes and answers one request; must set a response. */
    void (*handle)(struct request *r);
    /* The largest body the request (its method and path known) may send, when it may send more
     * than the server's max_body (an upload); 0 for max_body. Asked only of a body over
     * max_body. May be NULL. */
    long (*body_limit)(const struct request *r);
    /* Around each turn of a request's coroutine, with the request's arena: e.g. make it the
     * allocator of the libraries the handlers use. Either may be NULL. */
    void (*enter)(struct arena *a);
    void (*leave)(void);
    /* After each request's response has been written (e.g. end a per-request mode). */
    void (*end_request)(void);
    struct fcgi_waiter waiter;
    /* After each response is flushed, and about once a second while the worker has no request
     * in flight (when its wait timed out): the app's own work that must not wait for the next
     * request (e.g. serve Kafka delivery reports). */
    void (*between_requests)(void);
    void (*worker_exit)(void);
    /* In the master on SIGHUP, before workers are replaced (e.g. reload templates). */
    void (*reload)(void);
};

/* Whether the client (nginx) of the request running now has hung up, e.g. after its read
 * timeout: whatever the request would still do, nobody would be told. */
bool fcgi_client_gone(void);

struct fcgi_options {
    const char *listen; /* a unix socket path (mode 0660), or host:port */
    int workers;
    long max_body;               /* larger bodies are answered 413 */
    const char *allowed_clients; /* on host:port, the peers that may connect (see peers.h) */
    int read_timeout;            /* seconds a connection has to send its request */
};

/* Opens the listener (replacing a stale unix socket), forks the workers and supervises them
 * until SIGTERM. Returns the process exit code. */
int fcgi_server_run(const struct fcgi_options *o, const struct fcgi_app *app);

#endif
