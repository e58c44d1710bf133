/* coupons_web.c - coupon events as JSON (/api/v1/coupons, /api/v1/me/coupons, admin) and as
 * pages (/coupons, /coupons/{id}, /me/coupons, /admin/coupons). */
#include <string.h>
#include <time.h>

#include "core/text.h"
#include "domain/coupons.h"
#include "domain/vendors.h"
#include "web/api.h"
#include "web/handlers.h"
#include "web/form.h"
#include "web/reply.h"
#include "web/auth.h"

void api_coupons(struct request *r)
{
    struct err e;
    reply_result(r, 200, "items", coupon_list(r->a, &e), &e);
}

/* The campaign the path names, or NULL once the error is answered (404, or a store failure). */
static json_t *get_coupon(struct request *r)
{
    struct err e;
    long long id = req_param_id(r, 0);
    json_t *c = id > 0 ? coupon_get(r->a, id, &e) : NULL;
    if (id <= 0)
        resp_error(r, 404, "not_found", "no coupon campaign has id %s", r->params[0]);
    else if (!c)
        reply_err(r, &e);
    return c;
}

void api_coupon(struct request *r)
{
    json_t *c = get_coupon(r);
    if (c)
        reply_json(r, 200, json_pack("{s:o}", "coupon", c));
}

void api_coupon_claim(struct request *r)
{
    struct err e;
    struct claim c;
    long long id = req_param_id(r, 0);
    if (id <= 0)
        return resp_error(r, 404, "not_found", "no coupon campaign has id %s", r->params[0]);
    if (coupon_claim(r->a, id, auth_user(r), r->remote_addr, auth_room_pass(r), &c, &e) < 0)
        return reply_err(r, &e);
    if (c.pending)
        return reply_json(r, 202,
                          json_pack("{s:{s:I, s:s}, s:I}", "claim", "coupon_id", (json_int_t)id,
                                    "status", "pending", "remaining", (json_int_t)c.remaining));
    reply_json(r, 201,
               json_pack("{s:{s:I, s:I, s:s}, s:I}", "user_coupon", "id",
                         (json_int_t)c.user_coupon_id, "coupon_id", (json_int_t)id, "status",
                         "available", "remaining", (json_int_t)c.remaining));
}

void api_coupon_claim_status(struct request *r)
{
    struct err e;
    long long id = req_param_id(r, 0), uc;
    if (id <= 0)
        return resp_error(r, 404, "not_found", "no coupon campaign has id %s", r->params[0]);
    const char *status = coupon_claim_status(id, auth_user(r)->id, &uc, &e);
    if (!status)
        return reply_err(r, &e);
    json_t *claim = json_pack("{s:I, s:s}", "coupon_id", (json_int_t)id, "status", status);
    if (uc > 0)
        json_object_set_new(claim, "user_coupon_id", json_integer(uc));
    reply_json(r, 200, json_pack("{s:o}", "claim", claim));
}

void api_my_coupons(struct request *r)
{
    struct err e;
    reply_result(r, 200, "items", coupon_mine(auth_user(r)->id, &e), &e);
}

void api_admin_coupon_create(struct request *r)
{
    struct err e;
    json_t *b = api_body(r);
    if (!b)
        return;
    reply_result(r, 201, "coupon", coupon_create(r->a, b, &e), &e);
}

/* ---- pages ---- */

/* A coupon's value in words: "₩5,000 off", "10% off". */
static json_t *value_text(json_t *c)
{
    long long v = json_integer_value(json_object_get(c, "value"));
    const char *type = json_string_value(json_object_get(c, "type"));
    if (type && !strcmp(type, "percent"))
        return json_sprintf("%lld%% off", v);
    char won[28];
    format_grouped(v, won);
    return json_sprintf("₩%s off", won);
}

/* Display fields: the state of the window now, and the value in words. */
static json_t *decorate(json_t *c, time_t now)
{
    json_t *d = json_copy(c);
    time_t starts = 0, ends = 0;
    parse_iso_time(json_string_value(json_object_get(c, "starts_at")), &starts);
    parse_iso_time(json_string_value(json_object_get(c, "ends_at")), &ends);
    bool upcoming = now < starts, ended = now >= ends;
    bool sold_out = json_integer_value(json_object_get(c, "remaining")) <= 0;
    json_object_set_new(d, "upcoming", json_boolean(upcoming));
    json_object_set_new(d, "ended", json_boolean(ended));
    json_object_set_new(d, "sold_out", json_boolean(sold_out && !upcoming && !ended));
    json_object_set_new(d, "open", json_boolean(!upcoming && !ended && !sold_out));
    json_object_set_new(d, "value_text", value_text(c));
    return d;
}

static json_t *decorate_all(json_t *items)
{
    json_t *out = json_array(), *c;
    size_t i;
    time_t now = time(NULL);
    json_array_foreach(items, i, c) json_array_append_new(out, decorate(c, now));
    return out;
}

void page_coupons(struct request *r)
{
    struct err e;
    json_t *items = coupon_list(r->a, &e);
    if (!items)
        return reply_err(r, &e);
    reply_page(r, 200, "coupons.tpl", "Coupon events",
               json_pack("{s:o}", "items", decorate_all(items)));
}

static void coupon_page(struct request *r, int status, json_t *outcome)
{
    json_t *c = get_coupon(r);
    if (!c)
        return;
    json_t *coupon = decorate(c, time(NULL));
    struct principal *u = auth_user(r);
    if (u) { /* a coupon already held (or on its way) is not offered again */
        struct err e;
        long long uc;
        const char *held =
            coupon_claim_status(json_integer_value(json_object_get(c, "id")), u->id, &uc, &e);
        json_object_set_new(coupon, "held", json_boolean(held && strcmp(held, "none") != 0));
    }
    json_t *d = json_pack("{s:o}", "coupon", coupon);
    if (outcome)
        json_object_set_new(d, "outcome", outcome);
    reply_page(r, status, "coupon.tpl", json_string_value(json_object_get(c, "name")), d);
}

void page_coupon(struct request *r)
{
    coupon_page(r, 200, NULL);
}

/* The claim button: the outcome in words a person understands, on the campaign's page. */
void page_coupon_claim(struct request *r)
{
    if (auth_check_csrf(r) < 0)
        return;
    struct err e;
    struct claim c;
    long long id = req_param_id(r, 0);
    if (id <= 0)
        return resp_error(r, 404, "not_found", "no coupon campaign has id %s", r->params[0]);
    if (coupon_claim(r->a, id, auth_user(r), r->remote_addr, auth_room_pass(r), &c, &e) < 0) {
        if (e.status >= 500 || e.status == 404)
            return reply_err(r, &e);
        return coupon_page(
            r, e.status,
            json_pack("{s:s, s:s, s:s}", "tone", "error", "code", e.code, "message", e.msg));
    }
    coupon_page(r, c.pending ? 202 : 201,
                json_pack("{s:s, s:s, s:s}", "tone", "success", "code", "claimed", "message",
                          c.pending ? "You are in! Your coupon is being issued and will appear in "
                                      "your coupons in a moment."
                                    : "You got it! The coupon is in your account, ready for your "
                                      "next order."));
}

void page_my_coupons(struct request *r)
{
    struct err e;
    json_t *items = coupon_mine(auth_user(r)->id, &e);
    if (!items)
        return reply_err(r, &e);
    size_t i;
    json_t *c;
    json_array_foreach(items, i, c) json_object_set_new(c, "value_text", value_text(c));
    reply_page(r, 200, "me_coupons.tpl", "Your coupons", json_pack("{s:o}", "items", items));
}

void page_admin_coupons(struct request *r)
{
    struct err e;
    json_t *outcome = NULL;
    int status = 200;
    if (!strcmp(r->method, "POST")) {
        if (auth_check_csrf(r) < 0)
            return;
        static const char *const text[] = {"name", "type", "starts_at", "ends_at", NULL};
        static const char *const nums[] = {"vendor_id", "value", "total_quantity", NULL};
        json_t *b = form_body(r, text, nums);
        json_t *c = coupon_create(r->a, b, &e);
        if (!c && e.status >= 500)
            return reply_err(r, &e);
        status = c ? 201 : e.status;
        outcome = form_outcome(c ? "The coupon event is created." : NULL, &e);
    }
    json_t *items = coupon_list(r->a, &e), *vendors = items ? vendor_list(&e) : NULL;
    if (!vendors)
        return reply_err(r, &e);
    json_t *d = json_pack("{s:o, s:o}", "items", decorate_all(items), "vendors", vendors);
    if (outcome)
        json_object_set_new(d, "outcome", outcome);
    reply_page(r, status, "admin_coupons.tpl", "Coupon events · admin", d);
}
