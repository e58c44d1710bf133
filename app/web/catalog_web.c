/* catalog_web.c - the catalog as JSON (/api/v1/products) and as pages (/, /products/...). */
#include <string.h>
#include <strings.h>
#include <time.h>

#include "core/config.h"
#include "core/text.h"
#include "domain/catalog.h"
#include "web/handlers.h"
#include "web/form.h"
#include "web/reply.h"
#include "web/auth.h"

/* Shared by the API and the page: parse, query, or answer the error. NULL when answered. */
static json_t *list_products(struct request *r, struct catalog_query *q)
{
    struct err e;
    if (catalog_parse_query(&r->query, q, &e) < 0) {
        reply_err(r, &e);
        return NULL;
    }
    json_t *list = catalog_list(r->a, q);
    if (!list)
        reply_store_failed(r);
    return list;
}

void api_products_list(struct request *r)
{
    struct catalog_query q;
    json_t *list = list_products(r, &q);
    if (list)
        reply_json(r, 200, list);
}

static json_t *get_product(struct request *r)
{
    struct err e;
    json_t *p = catalog_get(r->a, req_param_id(r, 0), &e);
    if (!p && e.status == 404)
        resp_error(r, 404, "not_found", "no product has id %s", r->params[0]);
    else if (!p)
        reply_err(r, &e);
    return p;
}

void api_product_get(struct request *r)
{
    json_t *p = get_product(r);
    if (p)
        reply_json(r, 200, json_pack("{s:O}", "product", p));
}

/* A copy of a product with presentation-only fields for templates: its sale state, and its
 * picture as a section (pic.card, pic.large; no_pic shows the letter tile). (Catalog products
 * are read-only: they may be the cache's.) */
static json_t *decorate(json_t *product, time_t now)
{
    json_t *p = json_copy(product);
    json_t *card = json_object_get(p, "picture_card"), *large = json_object_get(p, "picture_large");
    json_object_set_new(p, "pic",
                        json_is_string(card) && json_is_string(large)
                            ? json_pack("{s:O, s:O}", "card", card, "large", large)
                            : json_null());
    time_t starts;
    const char *s = json_string_value(json_object_get(p, "sale_starts_at"));
    bool upcoming = s && parse_iso_time(s, &starts) && starts > now;
    json_object_set_new(p, "upcoming", json_boolean(upcoming));
    json_object_set_new(
        p, "sold_out",
        json_boolean(json_integer_value(json_object_get(p, "stock_remaining")) <= 0));
    return p;
}

static json_t *decorate_all(json_t *items)
{
    size_t i;
    json_t *p, *out = json_array();
    time_t now = time(NULL);
    json_array_foreach(items, i, p) json_array_append_new(out, decorate(p, now));
    return out;
}

void page_home(struct request *r)
{
    struct catalog_query q;
    json_t *list = list_products(r, &q);
    if (!list)
        return;
    json_t *items = decorate_all(json_object_get(list, "items"));
    json_t *flash = json_array(), *rest = json_array();
    size_t i;
    json_t *p;
    json_array_foreach(items, i, p)
        json_array_append(json_is_null(json_object_get(p, "sale_starts_at")) ? rest : flash, p);
    reply_page(r, 200, "home.tpl", "First come, first served",
               json_pack("{s:o, s:o}", "flash", flash, "products", rest));
}

/* Page links (to `path`) keep the current filters. */
static json_t *pager(struct request *r, const char *path, const struct catalog_query *q,
                     long long total)
{
    long long pages = (total + q->per_page - 1) / q->per_page;
    struct strbuf base;
    sb_init(&base, r->a, 256);
    for (size_t i = 0; i < r->query.n; i++) {
        if (!strcmp(r->query.items[i].key, "page"))
            continue;
        sb_printf(&base, "%s=%s&", url_encode(r->a, r->query.items[i].key),
                  url_encode(r->a, r->query.items[i].val));
    }
    json_t *pg = json_pack("{s:I, s:I}", "page", (json_int_t)q->page, "pages", (json_int_t)pages);
    if (q->page > 1)
        json_object_set_new(pg, "prev", json_sprintf("%s?%spage=%lld", path, base.s, q->page - 1));
    if (q->page < pages)
        json_object_set_new(pg, "next", json_sprintf("%s?%spage=%lld", path, base.s, q->page + 1));
    return pg;
}

void page_products(struct request *r)
{
    struct catalog_query q;
    json_t *list = list_products(r, &q);
    if (!list)
        return;
    json_object_set_new(list, "items", decorate_all(json_object_get(list, "items")));
    json_t *cats = catalog_categories();
    size_t i;
    json_t *c;
    json_array_foreach(cats, i, c) json_object_set_new(
        c, "selected",
        json_boolean(q.category &&
                     !strcmp(q.category, json_string_value(json_object_get(c, "name")))));
    json_t *sort_opts = json_array();
    static const char *const sorts[][2] = {{"newest", "Newest"},
                                           {"price_asc", "Price: low to high"},
                                           {"price_desc", "Price: high to low"},
                                           {"popular", "Most liked"}};
    for (int k = 0; k < 4; k++)
        json_array_append_new(sort_opts,
                              json_pack("{s:s, s:s, s:b}", "value", sorts[k][0], "label",
                                        sorts[k][1], "selected", !strcmp(q.sort, sorts[k][0])));
    json_object_set_new(list, "categories", cats ? cats : json_array());
    json_object_set_new(list, "sorts", sort_opts);
    json_object_set_new(list, "q", json_string(q.q ? q.q : ""));
    json_object_set_new(list, "in_stock", json_boolean(q.in_stock));
    if (q.min_price >= 0)
        json_object_set_new(list, "min_price", json_integer(q.min_price));
    if (q.max_price >= 0)
        json_object_set_new(list, "max_price", json_integer(q.max_price));
    json_object_set_new(
        list, "pager",
        pager(r, "/products", &q, json_integer_value(json_object_get(list, "total"))));
    reply_page(r, 200, "products.tpl", "Products", list);
}

void page_product(struct request *r)
{
    json_t *p = get_product(r);
    if (!p)
        return;
    p = decorate(p, time(NULL));
    reply_page(r, 200, "product.tpl", json_string_value(json_object_get(p, "name")),
               json_pack("{s:o}", "product", p));
}

/* /admin/products: the catalog with live stock, a form for a new product (POST
 * /admin/products) and one per row to change price, stock or per-user limit (POST
 * /admin/products/{id}); the outcome is shown above the list. */
void page_admin_products(struct request *r)
{
    json_t *outcome = NULL;
    int status = 200;
    if (!strcmp(r->method, "POST")) {
        if (auth_check_csrf(r) < 0)
            return;
        static const char *const text[] = {"name", "description", "category", "sale_starts_at",
                                           NULL};
        static const char *const nums[] = {"price", "stock", "per_user_limit", NULL};
        json_t *b = form_body(r, text, nums);
        struct err e;
        long long id = r->nparams ? req_param_id(r, 0) : 0;
        if (r->nparams && id <= 0)
            return resp_error(r, 404, "not_found", "no product has id %s", r->params[0]);
        json_t *p = id ? catalog_update(r->a, id, b, &e) : catalog_create(r->a, b, &e);
        if (!p && e.status >= 500)
            return reply_err(r, &e);
        status = p ? (id ? 200 : 201) : e.status;
        const char *done =
            id ? arena_sprintf(r->a, "Product %lld is updated.", id) : "The product is created.";
        outcome = form_outcome(p ? done : NULL, &e);
    }
    struct catalog_query q;
    json_t *list = list_products(r, &q);
    if (!list)
        return;
    json_object_set_new(list, "items", decorate_all(json_object_get(list, "items")));
    json_object_set_new(
        list, "pager",
        pager(r, "/admin/products", &q, json_integer_value(json_object_get(list, "total"))));
    if (outcome)
        json_object_set_new(list, "outcome", outcome);
    reply_page(r, status, "admin_products.tpl", "Products · admin", list);
}

/* The picture's bytes are the whole body, with their image type: no multipart parser. */
static bool picture_body(struct request *r)
{
    if (r->content_type && !strncasecmp(r->content_type, "multipart/", 10)) {
        resp_error(r, 415, "unsupported_media_type",
                   "the page sends the picture with its script: turn JavaScript on, or PUT the "
                   "file's bytes to /api/v1/admin/products/{id}/picture");
        return false;
    }
    if (!r->content_type || strncasecmp(r->content_type, "image/", 6)) {
        resp_error(r, 415, "unsupported_media_type",
                   "send the picture's bytes as the body, with its type (image/png, image/jpeg, "
                   "image/webp or image/gif)");
        return false;
    }
    if (r->body_len == 0) {
        resp_error(r, 400, "empty_body", "the picture is empty");
        return false;
    }
    return true;
}

void api_admin_product_picture(struct request *r)
{
    struct err e;
    long long id = req_param_id(r, 0);
    if (id <= 0)
        return resp_error(r, 404, "not_found", "no product has id %s", r->params[0]);
    if (!picture_body(r))
        return;
    reply_result(r, 200, "product", catalog_set_picture(r->a, id, r->body, r->body_len, &e), &e);
}

/* The admin page's upload: its script sends the file as the body (with X-CSRF-Token); the answer
 * is the products page with the outcome, which the script shows. */
void page_admin_product_picture(struct request *r)
{
    struct err e;
    long long id = req_param_id(r, 0);
    if (id <= 0)
        return resp_error(r, 404, "not_found", "no product has id %s", r->params[0]);
    if (!picture_body(r) || auth_check_csrf_header(r) < 0)
        return;
    json_t *p = catalog_set_picture(r->a, id, r->body, r->body_len, &e);
    if (!p)
        return reply_err(r, &e);
    resp_redirect(r, arena_sprintf(r->a, "/admin/products?picture=%lld#product-%lld", id, id));
}
