/* fcgi_server.h - prefork FastCGI server on libfcgi's fcgiapp: socket, workers, request loop. */
#ifndef FC_FCGI_SERVER_H
#define FC_FCGI_SERVER_H
#include <stdbool.h>
#include <stddef.h>

#include "http/request.h"

struct fcgi_app {
    /* In each worker after fork: open store handles. Non-zero return ends the worker. */
    int (*worker_init)(char *err, size_t errlen);
    /* Routes and answers one request; must set a response. */
    void (*handle)(struct request *r);
    /* After each response is flushed, and about once a second while the worker has no request
     * in flight: the app's own work that must not wait for the next request (e.g. serve Kafka
     * delivery reports). */
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
