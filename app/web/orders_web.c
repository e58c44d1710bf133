/* orders_web.c - orders, payment, cart, likes, notifications and admin products, as JSON and
 * as pages (/cart, /orders, /orders/{id}, /orders/{id}/pay, /me/likes, /me/notifications). */
#include <string.h>

#include "core/text.h"
#include "domain/cart.h"
#include "domain/catalog.h"
#include "domain/coupons.h"
#include "domain/likes.h"
#include "domain/notifications.h"
#include "domain/orders.h"
#include "domain/payments.h"
#include "http/fcgi_server.h"
#include "web/api.h"
#include "web/handlers.h"
#include "web/form.h"
#include "web/reply.h"
#include "web/auth.h"

/* Answers a path id that is no id with the 404 a missing order gets. */
static long long order_id(struct request *r)
{
    long long id = req_param_id(r, 0);
    if (id <= 0)
        resp_error(r, 404, "not_found", "you have no order %s", r->params[0]);
    return id;
}

static void order_answer(struct request *r, int status, json_t *o, struct err *e)
{
    if (!o)
        return reply_err(r, e);
    reply_json(r, status, json_pack("{s:o}", "order", o));
}

void api_orders_create(struct request *r)
{
    struct err e;
    json_t *b = r->body_len ? api_body(r) : json_object();
    if (!b)
        return;
    order_answer(r, 201,
                 order_create(r->a, auth_user(r), b, auth_room_pass(r), fcgi_client_gone, &e), &e);
}

void api_orders(struct request *r)
{
    struct err e;
    reply_result(r, 200, "items", order_list(auth_user(r)->id, &e), &e);
}

void api_order(struct request *r)
{
    struct err e;
    long long id = order_id(r);
    if (id > 0)
        order_answer(r, 200, order_get(r->a, auth_user(r)->id, id, &e), &e);
}

void api_order_pay(struct request *r)
{
    struct err e;
    json_t *b = api_body(r), *declined;
    long long id = order_id(r);
    if (!b || id <= 0)
        return;
    json_t *o = payment_charge(r->a, auth_user(r), id,
                               json_string_value(json_object_get(b, "card_number")), &declined, &e);
    if (!o && declined) /* 402 with the error shape and the order it left behind */
        return reply_json(r, 402,
                          json_pack("{s:{s:s, s:s}, s:o}", "error", "code", e.code, "message",
                                    e.msg, "order", declined));
    order_answer(r, 200, o, &e);
}

void api_order_cancel(struct request *r)
{
    struct err e;
    long long id = order_id(r);
    if (id > 0)
        order_answer(r, 200, order_cancel(r->a, auth_user(r), id, &e), &e);
}

void api_order_return(struct request *r)
{
    struct err e;
    long long id = order_id(r);
    if (id > 0)
        order_answer(r, 200, order_return(r->a, auth_user(r), id, &e), &e);
}

void api_cart(struct request *r)
{
    struct err e;
    json_t *c = cart_get(r->a, auth_user(r)->id, &e);
    if (!c)
        return reply_err(r, &e);
    reply_json(r, 200, c);
}

void api_cart_put(struct request *r)
{
    struct err e;
    json_t *b = api_body(r);
    long long pid = req_param_id(r, 0);
    if (!b)
        return;
    json_t *q = json_object_get(b, "quantity");
    if (pid <= 0)
        return resp_error(r, 404, "not_found", "no product has id %s", r->params[0]);
    if (!json_is_integer(q))
        return resp_error(r, 422, "invalid_quantity",
                          "quantity must be a whole number from 0 to %d", CART_MAX_QUANTITY);
    if (cart_set(auth_user(r)->id, pid, json_integer_value(q), &e) < 0)
        return reply_err(r, &e);
    api_cart(r);
}

void api_cart_delete(struct request *r)
{
    struct err e;
    long long pid = req_param_id(r, 0);
    if (pid <= 0)
        return resp_error(r, 404, "not_found", "no product has id %s", r->params[0]);
    if (cart_set(auth_user(r)->id, pid, 0, &e) < 0)
        return reply_err(r, &e);
    resp_no_content(r);
}

void api_like(struct request *r)
{
    struct err e;
    long long pid = req_param_id(r, 0);
    if (pid <= 0)
        return resp_error(r, 404, "not_found", "no product has id %s", r->params[0]);
    if (like_set(auth_user(r)->id, pid, strcmp(r->method, "PUT") == 0, &e) < 0)
        return reply_err(r, &e);
    resp_no_content(r);
}

void api_my_likes(struct request *r)
{
    struct err e;
    reply_result(r, 200, "items", like_list(r->a, auth_user(r)->id, &e), &e);
}

void api_my_notifications(struct request *r)
{
    struct err e;
    reply_result(r, 200, "items", notification_list(auth_user(r)->id, &e), &e);
}

void api_admin_product_create(struct request *r)
{
    struct err e;
    json_t *b = api_body(r);
    if (!b)
        return;
    reply_result(r, 201, "product", catalog_create(r->a, b, &e), &e);
}

void api_admin_product_update(struct request *r)
{
    struct err e;
    json_t *b = api_body(r);
    long long id = req_param_id(r, 0);
    if (!b)
        return;
    if (id <= 0)
        return resp_error(r, 404, "not_found", "no product has id %s", r->params[0]);
    reply_result(r, 200, "product", catalog_update(r->a, id, b, &e), &e);
}

/* ---- pages ---- */

static void back_to(struct request *r, const char *fallback)
{
    resp_redirect(r, form_next_path(req_form(r, "next"), fallback));
}

/* The cart with the coupons it could use (what each takes off it, the best chosen), and a
 * refused checkout's reason when there is one. */
static void cart_page(struct request *r, int status, const char *problem)
{
    struct err e;
    long long uid = auth_user(r)->id;
    json_t *c = cart_get(r->a, uid, &e), *coupons;
    if (!c || !(coupons = coupon_usable(uid, json_integer_value(json_object_get(c, "total")), &e)))
        return reply_err(r, &e);
    if (json_array_size(coupons) > 0) {
        json_object_set_new(json_array_get(coupons, 0), "best", json_true());
        json_object_set_new(c, "picker", json_pack("{s:o}", "coupons", coupons));
    } else {
        json_object_set_new(c, "picker", json_false());
    }
    if (problem)
        json_object_set_new(c, "error", json_pack("{s:s}", "message", problem));
    reply_page(r, status, "cart.tpl", "Your cart", c);
}

void page_cart(struct request *r)
{
    cart_page(r, 200, NULL);
}

/* Add to cart (quantity adds to what is there) or, with buy_now, straight to checkout. */
void page_cart_add(struct request *r)
{
    struct err e;
    long long pid = req_param_id(r, 0), q = 1;
    if (auth_check_csrf(r) < 0)
        return;
    const char *qs = req_form(r, "quantity");
    if (pid <= 0 || (qs && !parse_int64(qs, 0, CART_MAX_QUANTITY, &q)))
        return resp_error(r, 422, "invalid_quantity", "quantity must be from 0 to %d",
                          CART_MAX_QUANTITY);
    if (req_form(r, "buy_now")) {
        json_t *o = order_create(r->a, auth_user(r),
                                 json_pack("{s:[{s:I, s:I}]}", "items", "product_id",
                                           (json_int_t)pid, "quantity", (json_int_t)(q ? q : 1)),
                                 auth_room_pass(r), fcgi_client_gone, &e);
        if (!o)
            return reply_err(r, &e);
        return resp_redirect(
            r, arena_sprintf(r->a, "/orders/%lld/pay",
                             (long long)json_integer_value(json_object_get(o, "id"))));
    }
    /* from a product page: add to what the cart holds; from the cart ("set"): replace it */
    if ((req_form(r, "set") ? cart_set(auth_user(r)->id, pid, q, &e)
                            : cart_add(auth_user(r)->id, pid, q, &e)) < 0)
        return reply_err(r, &e);
    back_to(r, "/cart");
}

/* A refused checkout shows the cart at /checkout; opened again (a reload, a bookmark), that
 * address leads back to the cart. */
void page_checkout(struct request *r)
{
    struct err e;
    if (strcmp(r->method, "POST") != 0)
        return resp_redirect(r, "/cart");
    if (auth_check_csrf(r) < 0)
        return;
    json_t *b = json_object();
    long long coupon;
    const char *c = req_form(r, "coupon_id");
    /* Anything but a positive number goes on as a value that order_create refuses (422), as the
     * API's does. */
    if (c && *c)
        json_object_set_new(b, "coupon_id",
                            parse_int64(c, 1, 1LL << 53, &coupon) ? json_integer(coupon)
                                                                  : json_false());
    json_t *o = order_create(r->a, auth_user(r), b, auth_room_pass(r), fcgi_client_gone, &e);
    if (!o) {
        if (e.status >= 500)
            return reply_err(r, &e);
        return cart_page(r, e.status, arena_strdup(r->a, e.msg));
    }
    resp_redirect(r, arena_sprintf(r->a, "/orders/%lld/pay",
                                   (long long)json_integer_value(json_object_get(o, "id"))));
}

void page_orders(struct request *r)
{
    struct err e;
    json_t *items = order_list(auth_user(r)->id, &e);
    if (!items)
        return reply_err(r, &e);
    reply_page(r, 200, "orders.tpl", "Your orders", json_pack("{s:o}", "items", items));
}

static void order_page(struct request *r, int status, const char *tpl, json_t *outcome)
{
    struct err e;
    long long id = order_id(r);
    if (id <= 0)
        return;
    json_t *o = order_get(r->a, auth_user(r)->id, id, &e);
    if (!o)
        return reply_err(r, &e);
    json_t *d = json_pack(
        "{s:o, s:O, s:O, s:O}", "order", o, "payable", json_object_get(o, "can_pay"), "cancellable",
        json_object_get(o, "can_cancel"), "returnable", json_object_get(o, "can_return"));
    if (outcome)
        json_object_set_new(d, "outcome", outcome);
    reply_page(r, status, tpl, arena_sprintf(r->a, "Order #%lld", id), d);
}

void page_order(struct request *r)
{
    order_page(r, 200, "order.tpl", NULL);
}

void page_order_pay(struct request *r)
{
    struct err e;
    json_t *declined;
    if (strcmp(r->method, "POST") != 0)
        return order_page(r, 200, "pay.tpl", NULL);
    if (auth_check_csrf(r) < 0)
        return;
    long long id = order_id(r);
    if (id <= 0)
        return;
    json_t *o = payment_charge(r->a, auth_user(r), id, req_form(r, "card_number"), &declined, &e);
    if (!o && !declined && e.status >= 500)
        return reply_err(r, &e);
    if (!o)
        return order_page(r, e.status, declined ? "order.tpl" : "pay.tpl", form_outcome(NULL, &e));
    resp_redirect(r, arena_sprintf(r->a, "/orders/%lld", id));
}

/* Cancel and return buttons: the outcome shown on the order page. */
void page_order_action(struct request *r)
{
    struct err e;
    if (auth_check_csrf(r) < 0)
        return;
    long long id = order_id(r);
    if (id <= 0)
        return;
    bool cancel = strstr(r->path, "/cancel") != NULL;
    json_t *o = cancel ? order_cancel(r->a, auth_user(r), id, &e)
                       : order_return(r->a, auth_user(r), id, &e);
    if (!o && e.status >= 500)
        return reply_err(r, &e);
    const char *done = cancel ? "The order is cancelled; payment, stock and coupon are back."
                              : "Your return is registered; we will refund it on arrival.";
    order_page(r, o ? 200 : e.status, "order.tpl", form_outcome(o ? done : NULL, &e));
}

void page_like(struct request *r)
{
    struct err e;
    if (auth_check_csrf(r) < 0)
        return;
    long long pid = req_param_id(r, 0);
    if (pid <= 0 || like_set(auth_user(r)->id, pid, !req_form(r, "unlike"), &e) < 0)
        return pid <= 0 ? resp_error(r, 404, "not_found", "no such product") : reply_err(r, &e);
    back_to(r, arena_sprintf(r->a, "/products/%lld", pid));
}

void page_my_likes(struct request *r)
{
    struct err e;
    json_t *items = like_list(r->a, auth_user(r)->id, &e);
    if (!items)
        return reply_store_failed(r);
    reply_page(r, 200, "likes.tpl", "Your likes", json_pack("{s:o}", "items", items));
}

void page_my_notifications(struct request *r)
{
    struct err e;
    json_t *items = notification_list(auth_user(r)->id, &e);
    if (!items)
        return reply_store_failed(r);
    reply_page(r, 200, "notifications.tpl", "Notifications", json_pack("{s:o}", "items", items));
}
