/* app.c - the web application (`firstcome web`): route table, per-worker store handles, dispatch.
 */
#include "web/app.h"

#include <stdio.h>
#include <string.h>
#include <time.h>

#include "core/config.h"
#include "core/text.h"
#include "core/log.h"
#include "core/metrics.h"
#include "core/outcomes.h"
#include "domain/coupons.h"
#include "http/fcgi_server.h"
#include "http/router.h"
#include "store/db.h"
#include "store/kafka.h"
#include "store/outbox.h"
#include "store/pictures.h"
#include "store/redis.h"
#include "view/view.h"
#include "web/handlers.h"
#include "web/auth.h"
#include "web/form.h"
#include "web/reply.h"

#define API false
#define PAGE true
static const struct route routes[] = {
    {"GET", "/livez", ops_livez, API, OPEN},
    {"GET", "/healthz", ops_healthz, API, OPEN},
    {"GET", "/metrics", ops_metrics, API, OPEN},
    {"GET", "/api/v1/products", api_products_list, API, OPEN},
    {"GET", "/api/v1/products/{id}", api_product_get, API, OPEN},
    {"POST", "/api/v1/auth/signup", api_signup, API, OPEN},
    {"POST", "/api/v1/auth/verify", api_verify, API, OPEN},
    {"POST", "/api/v1/auth/login", api_login, API, OPEN},
    {"POST", "/api/v1/auth/refresh", api_refresh, API, OPEN},
    {"POST", "/api/v1/auth/logout", api_logout, API, OPEN},
    {"POST", "/api/v1/auth/logout-all", api_logout_all, API, SIGNED_IN},
    {"POST", "/api/v1/auth/password-reset", api_password_reset, API, OPEN},
    {"POST", "/api/v1/auth/password-reset/confirm", api_password_reset_confirm, API, OPEN},
    {"GET", "/api/v1/me", api_me, API, SIGNED_IN},
    {"PATCH", "/api/v1/me", api_me_update, API, SIGNED_IN},
    {"PUT", "/api/v1/me/password", api_me_password, API, SIGNED_IN},
    {"PUT", "/api/v1/products/{id}/like", api_like, API, SIGNED_IN},
    {"DELETE", "/api/v1/products/{id}/like", api_like, API, SIGNED_IN},
    {"GET", "/api/v1/me/likes", api_my_likes, API, SIGNED_IN},
    {"GET", "/api/v1/cart", api_cart, API, SIGNED_IN},
    {"PUT", "/api/v1/cart/items/{id}", api_cart_put, API, SIGNED_IN},
    {"DELETE", "/api/v1/cart/items/{id}", api_cart_delete, API, SIGNED_IN},
    {"POST", "/api/v1/orders", api_orders_create, API, SIGNED_IN},
    {"GET", "/api/v1/orders", api_orders, API, SIGNED_IN},
    {"GET", "/api/v1/orders/{id}", api_order, API, SIGNED_IN},
    {"POST", "/api/v1/orders/{id}/payment", api_order_pay, API, SIGNED_IN},
    {"POST", "/api/v1/orders/{id}/cancel", api_order_cancel, API, SIGNED_IN},
    {"POST", "/api/v1/orders/{id}/return", api_order_return, API, SIGNED_IN},
    {"GET", "/api/v1/me/notifications", api_my_notifications, API, SIGNED_IN},
    {"POST", "/api/v1/admin/products", api_admin_product_create, API, ADMIN},
    {"PATCH", "/api/v1/admin/products/{id}", api_admin_product_update, API, ADMIN},
    {"PUT", "/api/v1/admin/products/{id}/picture", api_admin_product_picture, API, ADMIN},
    {"GET", "/api/v1/coupons", api_coupons, API, OPEN},
    {"GET", "/api/v1/coupons/{id}", api_coupon, API, OPEN},
    {"POST", "/api/v1/coupons/{id}/claim", api_coupon_claim, API, SIGNED_IN},
    {"GET", "/api/v1/coupons/{id}/claim", api_coupon_claim_status, API, SIGNED_IN},
    {"GET", "/api/v1/me/coupons", api_my_coupons, API, SIGNED_IN},
    {"POST", "/api/v1/admin/coupons", api_admin_coupon_create, API, ADMIN},
    {"POST", "/api/v1/admin/vendors", api_admin_vendor_create, API, ADMIN},
    {"GET", "/api/v1/admin/vendors", api_admin_vendors, API, ADMIN},
    {"GET", "/api/v1/admin/stats", api_admin_stats, API, ADMIN},
    {"POST", "/api/v1/admin/rooms", api_admin_room_create, API, ADMIN},
    {"GET", "/api/v1/admin/rooms", api_admin_rooms, API, ADMIN},
    {"PATCH", "/api/v1/admin/rooms/{id}", api_admin_room_switch, API, ADMIN},
    {"GET", "/admin/rooms", page_admin_rooms, PAGE, ADMIN},
    {"POST", "/admin/rooms", page_admin_rooms, PAGE, ADMIN},
    {"POST", "/admin/rooms/{id}/switch", page_admin_room_switch, PAGE, ADMIN},
    {"GET", "/api/v1/rooms/{id}", api_room, API, OPEN},
    {"POST", "/api/v1/rooms/{id}/join", api_room_join, API, SIGNED_IN},
    {"DELETE", "/api/v1/rooms/{id}/join", api_room_leave, API, SIGNED_IN},
    {"GET", "/api/v1/rooms/{id}/place", api_room_place, API, SIGNED_IN},
    {"GET", "/rooms/{id}", page_room, PAGE, SIGNED_IN},
    {"POST", "/rooms/{id}/join", page_room_join, PAGE, SIGNED_IN},
    {"POST", "/rooms/{id}/leave", page_room_leave, PAGE, SIGNED_IN},
    {"GET", "/rooms/{id}/place", page_room_place, PAGE, SIGNED_IN},
    {"GET", "/api/v1/admin/parked", api_admin_parked, API, ADMIN},
    {"POST", "/api/v1/admin/parked/{id}/retry", api_admin_parked_retry, API, ADMIN},
    {"GET", "/", page_home, PAGE, OPEN},
    {"GET", "/__error/page/{code}", ops_error_page, PAGE, OPEN},
    {"GET", "/products", page_products, PAGE, OPEN},
    {"GET", "/products/{id}", page_product, PAGE, OPEN},
    {"GET", "/cart", page_cart, PAGE, SIGNED_IN},
    {"POST", "/cart/items/{id}", page_cart_add, PAGE, SIGNED_IN},
    {"GET", "/checkout", page_checkout, PAGE, SIGNED_IN},
    {"POST", "/checkout", page_checkout, PAGE, SIGNED_IN},
    {"GET", "/orders", page_orders, PAGE, SIGNED_IN},
    {"GET", "/orders/{id}", page_order, PAGE, SIGNED_IN},
    {"GET", "/orders/{id}/pay", page_order_pay, PAGE, SIGNED_IN},
    {"POST", "/orders/{id}/pay", page_order_pay, PAGE, SIGNED_IN},
    {"POST", "/orders/{id}/cancel", page_order_action, PAGE, SIGNED_IN},
    {"POST", "/orders/{id}/return", page_order_action, PAGE, SIGNED_IN},
    {"POST", "/products/{id}/like", page_like, PAGE, SIGNED_IN},
    {"GET", "/me/likes", page_my_likes, PAGE, SIGNED_IN},
    {"GET", "/me/notifications", page_my_notifications, PAGE, SIGNED_IN},
    {"GET", "/coupons", page_coupons, PAGE, OPEN},
    {"GET", "/coupons/{id}", page_coupon, PAGE, OPEN},
    {"POST", "/coupons/{id}/claim", page_coupon_claim, PAGE, SIGNED_IN},
    {"GET", "/me/coupons", page_my_coupons, PAGE, SIGNED_IN},
    {"GET", "/admin", page_admin, PAGE, ADMIN},
    {"GET", "/admin/products", page_admin_products, PAGE, ADMIN},
    {"POST", "/admin/products", page_admin_products, PAGE, ADMIN},
    {"POST", "/admin/products/{id}", page_admin_products, PAGE, ADMIN},
    {"POST", "/admin/products/{id}/picture", page_admin_product_picture, PAGE, ADMIN},
    {"GET", "/admin/coupons", page_admin_coupons, PAGE, ADMIN},
    {"POST", "/admin/coupons", page_admin_coupons, PAGE, ADMIN},
    {"GET", "/admin/parked", page_admin_parked, PAGE, ADMIN},
    {"GET", "/admin/live/products/{id}", page_admin_live, PAGE, ADMIN},
    {"GET", "/admin/live/coupons/{id}", page_admin_live, PAGE, ADMIN},
    {"GET", "/admin/live/products/{id}/events", page_admin_live_events, PAGE, ADMIN},
    {"GET", "/admin/live/coupons/{id}/events", page_admin_live_events, PAGE, ADMIN},
    {"POST", "/admin/parked/{id}/retry", page_admin_parked, PAGE, ADMIN},
    {"GET", "/signup", page_signup, PAGE, OPEN},
    {"POST", "/signup", page_signup, PAGE, OPEN},
    {"GET", "/login", page_login, PAGE, OPEN},
    {"POST", "/login", page_login, PAGE, OPEN},
    {"POST", "/logout", page_logout, PAGE, OPEN},
    {"POST", "/logout-all", page_logout_all, PAGE, SIGNED_IN},
    {"GET", "/verify", page_verify, PAGE, OPEN},
    {"GET", "/forgot-password", page_forgot, PAGE, OPEN},
    {"POST", "/forgot-password", page_forgot, PAGE, OPEN},
    {"GET", "/reset-password", page_reset, PAGE, OPEN},
    {"POST", "/reset-password", page_reset, PAGE, OPEN},
    {"GET", "/me", page_me, PAGE, SIGNED_IN},
    {"POST", "/me", page_me, PAGE, SIGNED_IN},
    {"POST", "/me/password", page_me_password, PAGE, SIGNED_IN},
};
#define NROUTES ((int)(sizeof(routes) / sizeof(routes[0])))
static const char *route_names[NROUTES];

/* The page a signed-out person's form was on, to go back to after logging in (a redirect
 * cannot repeat a POST): the form's own next field, else its path cut back to a page. */
static const char *page_of_form(struct request *r)
{
    const char *next = form_next_path(req_form(r, "next"), NULL);
    if (next)
        return next;
    char *p = arena_strdup(r->a, r->path);
    for (;;) {
        int i = router_match(routes, NROUTES, "GET", p, r);
        if (i >= 0 && routes[i].html)
            return p;
        char *slash = strrchr(p, '/');
        if (!slash || slash == p)
            return "/";
        *slash = '\0';
    }
}

/* Runs the route's access rule: 401/403 for the API, a trip to the login page for pages (and
 * back: for a form, to its page, where the login page says to press the button again). */
static bool allowed(struct request *r, const struct route *rt)
{
    struct principal *u = auth_user(r);
    if (rt->access == OPEN || (u && (rt->access == SIGNED_IN || !strcmp(u->role, "admin"))))
        return true;
    if (!u && r->html) {
        bool form = strcmp(r->method, "GET") != 0;
        resp_redirect(r, arena_sprintf(r->a, "/login?next=%s%s",
                                       url_encode(r->a, form ? page_of_form(r) : r->path),
                                       form ? "&again=1" : ""));
        return false;
    }
    if (!u)
        resp_error(r, 401, "unauthorized", "sign in first: send Authorization: Bearer <token>");
    else
        resp_error(r, 403, "forbidden", "this needs the admin role");
    return false;
}

/* Uploads may be larger than MAX_BODY: a picture, up to PICTURE_MAX_BYTES. */
static long body_limit(const struct request *r)
{
    struct request probe = *r; /* router_match fills params: not the request's own */
    int i = router_match(routes, NROUTES, r->method, r->path, &probe);
    return i >= 0 && (routes[i].fn == api_admin_product_picture ||
                      routes[i].fn == page_admin_product_picture)
               ? cfg.picture_max_bytes
               : 0;
}

static void handle(struct request *r)
{
    int i = router_match(routes, NROUTES, r->method, r->path, r);
    if (i < 0 && r->html) /* the error page shows who is signed in, as every page does */
        auth_identify(r);
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
    if (routes[i].access != OPEN || r->html || r->authorization)
        auth_identify(r);
    if (allowed(r, &routes[i]))
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
    if (kafka_producer_open(err, errlen) < 0 || pictures_init(err, errlen) < 0) {
        log_error("%s", err);
        return -1;
    }
    err[0] = '\0';
    return 0;
}

static void between_requests(void)
{
    outbox_poll();
}

/* The claim gate's overlapped Redis calls end with their request. */
static void end_request(void)
{
    redis_overlap(false);
}

static void json_use_default(void)
{
    json_use_arena(NULL);
}

static void worker_exit(void)
{
    outbox_close();
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
    reply_init();
    for (int i = 0; i < NROUTES; i++) {
        char *name = NULL;
        if (asprintf(&name, "%s %s", routes[i].method, routes[i].pattern) < 0)
            return 1;
        route_names[i] = name;
    }
    if (metrics_init(route_names, NROUTES) < 0 || outcomes_init() < 0) {
        log_error("metrics: cannot map shared memory");
        return 1;
    }
    static const struct fcgi_app app = {
        .worker_init = worker_init,
        .handle = handle,
        .body_limit = body_limit,
        .enter = json_use_arena,
        .leave = json_use_default,
        .end_request = end_request,
        .waiter = {.flush = redis_send_waiting,
                   .fd = redis_waiting_fd,
                   .read = redis_read_waiting,
                   .expire = redis_give_up_waiting},
        .between_requests = between_requests,
        .worker_exit = worker_exit,
        .reload = view_reload,
    };
    struct fcgi_options o = {.listen = cfg.fcgi_listen,
                             .workers = cfg.web_workers,
                             .max_body = cfg.max_body,
                             .allowed_clients = cfg.fcgi_allowed_clients,
                             .read_timeout = cfg.fcgi_read_timeout};
    return fcgi_server_run(&o, &app);
}
