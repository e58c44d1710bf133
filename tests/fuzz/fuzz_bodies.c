/* fuzz_bodies.c - a request body as the handlers read it: as JSON, decoded by api_body (the
 * API's limits and jansson's flags), then handed to every check the domain makes of a body
 * before it touches a store: coupon_check_body (coupon create), catalog_check_product (product
 * create and update), account_check_patch (PATCH /me), order_items_read (checkout's items) and
 * email_normalize (signup's and login's email); and as an admin page's urlencoded form, made
 * into a body by form_body with the fields of the coupon, product and waiting-room forms, the
 * first two then handed to their checks. What each check accepts is checked against the
 * contract: values within their bounds, order lines merged, sorted and adding up to what was
 * asked, a normalized email normalized again unchanged; a refusal is a 422 with a code. A form's
 * body holds exactly its fields typed non-empty: text as typed (a datetime-local value with
 * seconds and Z added), a number as an integer when it is one, else as typed. */
#include <assert.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "core/arena.h"
#include "core/config.h"
#include "core/err.h"
#include "core/text.h"
#include "domain/accounts.h"
#include "domain/catalog.h"
#include "domain/coupons.h"
#include "domain/orders.h"
#include "web/api.h"
#include "web/form.h"

int LLVMFuzzerInitialize(int *argc, char ***argv); /* libFuzzer's entries */
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t n);

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
    (void)argc;
    (void)argv;
    json_alloc_init();
    cfg.coupon_quantity_cap = 100; /* COUPON_QUANTITY_CAP's default */
    return 0;
}

static void refused(const struct err *e)
{
    assert(e->status == 422 && e->code && *e->code && e->msg[0]);
}

static bool text_within(json_t *v, size_t lo, size_t hi)
{
    const char *s = json_string_value(v);
    return s && utf8_valid(s, strlen(s)) && utf8_length(s) >= lo && utf8_length(s) <= hi;
}

static bool integer_within(json_t *v, long long lo, long long hi)
{
    return json_is_integer(v) && json_integer_value(v) >= lo && json_integer_value(v) <= hi;
}

static void coupon(json_t *b)
{
    struct err e = {0};
    if (coupon_check_body(b, &e) < 0)
        return refused(&e);
    const char *type = json_string_value(json_object_get(b, "type"));
    time_t starts, ends;
    assert(json_is_integer(json_object_get(b, "vendor_id")));
    assert(text_within(json_object_get(b, "name"), 1, 200));
    assert(type && (!strcmp(type, "fixed") || !strcmp(type, "percent")));
    assert(
        integer_within(json_object_get(b, "value"), 1, !strcmp(type, "percent") ? 100 : INT64_MAX));
    assert(integer_within(json_object_get(b, "total_quantity"), 1, cfg.coupon_quantity_cap));
    assert(parse_iso_time(json_string_value(json_object_get(b, "starts_at")), &starts));
    assert(parse_iso_time(json_string_value(json_object_get(b, "ends_at")), &ends));
    assert(ends > starts);
}

static void product(json_t *b)
{
    struct err e = {0};
    if (catalog_check_product(b, false, &e) < 0) {
        refused(&e);
    } else {
        assert(text_within(json_object_get(b, "name"), 1, 200));
        assert(text_within(json_object_get(b, "category"), 1, 50));
        assert(!json_object_get(b, "description") ||
               text_within(json_object_get(b, "description"), 0, 5000));
        assert(integer_within(json_object_get(b, "price"), 0, 1000000000000LL));
        assert(integer_within(json_object_get(b, "stock"), 0, 2147483647LL));
        json_t *lim = json_object_get(b, "per_user_limit");
        assert(!lim || json_is_null(lim) || integer_within(lim, 1, 1000000));
        /* Whatever a create accepts, an update of the same fields accepts too. */
        assert(catalog_check_product(b, true, &e) == 0);
    }
    memset(&e, 0, sizeof(e));
    if (catalog_check_product(b, true, &e) < 0)
        refused(&e);
}

static void patch(json_t *b)
{
    struct err e = {0};
    if (account_check_patch(b, &e) < 0)
        return refused(&e);
    json_t *name = json_object_get(b, "name");
    assert(!name || text_within(name, 1, 100));
}

static void order_items(json_t *b)
{
    struct err e = {0};
    struct order_item items[ORDER_MAX_ITEMS];
    size_t n;
    json_t *list = json_object_get(b, "items");
    if (order_items_read(list, items, &n, &e) < 0)
        return refused(&e);
    long long asked = 0, lines = 0;
    size_t i;
    json_t *it;
    json_array_foreach(list, i, it) asked += json_integer_value(json_object_get(it, "quantity"));
    assert(n >= 1 && n <= json_array_size(list) && n <= ORDER_MAX_ITEMS);
    for (i = 0; i < n; i++) {
        assert(items[i].product_id > 0);
        assert(items[i].quantity >= 1 && items[i].quantity <= ORDER_MAX_QUANTITY);
        assert(i == 0 || items[i - 1].product_id < items[i].product_id);
        lines += items[i].quantity;
    }
    assert(lines == asked);
}

static void email(struct arena *a, json_t *b)
{
    const char *addr = email_normalize(a, json_string_value(json_object_get(b, "email")));
    if (!addr)
        return;
    size_t n = strlen(addr);
    const char *at = strchr(addr, '@');
    assert(n >= 3 && n <= 254 && utf8_valid(addr, n));
    assert(at && at != addr && !strchr(at + 1, '@'));
    for (const char *p = addr; *p; p++)
        assert(*p < 'A' || *p > 'Z');
    const char *again = email_normalize(a, addr);
    assert(again && !strcmp(again, addr));
}

/* The typed field and what form_body made of it. */
static void form_field(struct request *r, json_t *b, const char *name, bool number)
{
    const char *typed = req_form(r, name);
    json_t *v = json_object_get(b, name);
    long long k;
    if (!typed || !*typed)
        return assert(!v);
    const char *s = json_string_value(v);
    if (number && parse_int64(typed, -1000000000000LL, 1000000000000LL, &k))
        assert(json_is_integer(v) && json_integer_value(v) == k);
    else if (!number && strlen(typed) == 16 && typed[10] == 'T')
        assert(s && strlen(s) == 20 && !strncmp(s, typed, 16) && !strcmp(s + 16, ":00Z"));
    else
        assert(s && !strcmp(s, typed));
}

/* The body form_body makes of the form with these fields: only they, as typed. */
static json_t *form(struct request *r, const char *const *text, const char *const *nums)
{
    json_t *b = form_body(r, text, nums);
    size_t named = 0;
    for (int i = 0; text[i]; i++)
        form_field(r, b, text[i], false), named += json_object_get(b, text[i]) != NULL;
    for (int i = 0; nums[i]; i++)
        form_field(r, b, nums[i], true), named += json_object_get(b, nums[i]) != NULL;
    assert(json_object_size(b) == named);
    return b;
}

/* The admin pages' forms (coupons_web.c, catalog_web.c, rooms_web.c). */
static void forms(struct arena *a, const uint8_t *data, size_t n)
{
    static const char *const coupon_text[] = {"name", "type", "starts_at", "ends_at", NULL},
                             *const coupon_nums[] = {"vendor_id", "value", "total_quantity", NULL},
                             *const product_text[] = {"name", "description", "category",
                                                      "sale_starts_at", NULL},
                             *const product_nums[] = {"price", "stock", "per_user_limit", NULL},
                             *const room_text[] = {"item", NULL},
                             *const room_nums[] = {"item_id",          "rate",      "pass_seconds",
                                                   "prequeue_seconds", "threshold", NULL};
    struct request r;
    req_init(&r, a);
    r.content_type = "application/x-www-form-urlencoded";
    r.body = (const char *)data;
    r.body_len = n;
    coupon(form(&r, coupon_text, coupon_nums));
    product(form(&r, product_text, product_nums));
    (void)form(&r, room_text, room_nums);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t n)
{
    struct arena a;
    arena_init(&a, 4096);
    json_use_arena(&a);
    struct request r;
    req_init(&r, &a);
    r.body = (const char *)data;
    r.body_len = n;
    json_t *b = api_body(&r);
    if (b) {
        coupon(b);
        product(b);
        patch(b);
        order_items(b);
        email(&a, b);
    } else {
        assert(r.status == 400 || r.status == 413);
    }
    forms(&a, data, n);
    json_use_arena(NULL);
    arena_free(&a);
    return 0;
}
