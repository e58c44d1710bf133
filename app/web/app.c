/* app.c - the web application: route table, per-worker store handles, dispatch, page layout. */
#include "web/app.h"

#include <stdio.h>
#include <string.h>
#include <time.h>

#include "core/config.h"
#include "core/log.h"
#include "core/metrics.h"
#include "http/fcgi_server.h"
#include "http/router.h"
#include "store/db.h"
#include "store/kafka.h"
#include "store/redis.h"
#include "view/view.h"
#include "tools/tools.h"
#include "web/handlers.h"

static const struct route routes[] = {
    {"GET", "/livez", ops_livez, false},
    {"GET", "/healthz", ops_healthz, false},
    {"GET", "/metrics", ops_metrics, false},
    {"GET", "/api/v1/products", api_products_list, false},
    {"GET", "/api/v1/products/{id}", api_product_get, false},
    {"GET", "/", page_home, true},
    {"GET", "/products", page_products, true},
    {"GET", "/products/{id}", page_product, true},
};
#define NROUTES ((int)(sizeof(routes) / sizeof(routes[0])))
static const char *route_names[NROUTES];

void web_store_failed(struct request *r)
{
    resp_error(r, 503, "unavailable", "a data store is not answering; try again shortly");
}

json_t *web_layout_data(struct request *r, const char *title)
{
    (void)r;
    time_t now = time(NULL);
    struct tm tm;
    gmtime_r(&now, &tm);
    /* user stays null until sign-in exists, so the layout shows its signed-out links. */
    return json_pack("{s:s, s:s, s:i, s:n}", "title", title ? title : "firstcome", "site",
                     "firstcome", "year", tm.tm_year + 1900, "user");
}

static void handle(struct request *r)
{
    int i = router_match(routes, NROUTES, r->method, r->path, r);
    if (i == ROUTE_NOT_FOUND) {
        resp_error(r, 404, "not_found", "there is nothing at %s", r->path);
        return;
    }
    if (i == ROUTE_BAD_METHOD) {
        resp_error(r, 405, "method_not_allowed", "%s is not allowed here", r->method);
        return;
    }
    r->route_id = i;
    r->html = routes[i].html;
    routes[i].fn(r);
}

/* Stores that are down at start are retried on use: a worker that cannot reach MySQL still
 * answers /livez and says what is down on /healthz. */
static int worker_init(char *err, size_t errlen)
{
    if (db_connect(err, errlen) < 0)
        log_warn("%s (will retry on use)", err);
    if (redis_connect(err, errlen) < 0)
        log_warn("%s (will retry on use)", err);
    if (kafka_producer_open(NULL, err, errlen) < 0) {
        log_error("%s", err);
        return -1;
    }
    err[0] = '\0';
    return 0;
}

static void after_request(void)
{
    kafka_poll();
}

static void worker_exit(void)
{
    kafka_producer_close();
    redis_close();
    db_close();
}

int web_main(int argc, char **argv)
{
    (void)argc;
    (void)argv;
    char err[512], dir[4096];
    log_set_role("web-master");
    snprintf(dir, sizeof(dir), "%s/templates", cfg.app_root);
    if (view_init(dir, err, sizeof(err)) < 0) {
        log_error("%s", err);
        return 1;
    }
    for (int i = 0; i < NROUTES; i++) {
        char *name = NULL;
        if (asprintf(&name, "%s %s", routes[i].method, routes[i].pattern) < 0)
            return 1;
        route_names[i] = name;
    }
    if (metrics_init(route_names, NROUTES) < 0) {
        log_error("metrics: cannot map shared memory");
        return 1;
    }
    static const struct fcgi_app app = {
        .worker_init = worker_init,
        .handle = handle,
        .after_request = after_request,
        .worker_exit = worker_exit,
        .reload = view_reload,
    };
    return fcgi_server_run(cfg.fcgi_listen, cfg.web_workers, cfg.max_body, &app);
}
