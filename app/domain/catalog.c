/* catalog.c - products: search, filters, sorting and paging; live stock from Redis. */
#include "domain/catalog.h"

#include <limits.h>
#include <sodium.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "core/config.h"
#include "core/log.h"
#include "core/strbuf.h"
#include "core/text.h"
#include "domain/rooms.h"
#include "domain/stock.h"
#include "store/db.h"
#include "store/pictures.h"
#include "store/cache.h"
#include "store/redis.h"

static const struct {
    const char *name, *clause;
} sorts[] = {
    {"newest", "created_at DESC, id DESC"},
    {"price_asc", "price ASC, id ASC"},
    {"price_desc", "price DESC, id DESC"},
    {"popular", "likes DESC, sold DESC, id DESC"},
};
#define NSORTS (sizeof(sorts) / sizeof(sorts[0]))

/* Every refusal here is one sentence about one parameter. */
#define bad(e, fmt, name) err_set((e), 422, "invalid_parameter", fmt, (name))

static int parse_price(const struct kvlist *p, const char *name, long long *out, struct err *e)
{
    const char *v = kv_get(p, name);
    *out = -1;
    if (!v || !*v)
        return 0;
    if (!parse_int64(v, 0, 1000000000000LL, out))
        return bad(e, "%s must be a whole number of won from 0 to 1000000000000", name);
    return 0;
}

/* Paging values out of range are clamped; only non-numbers are refused. */
static int parse_paging(const struct kvlist *p, const char *name, long long def, long long hi,
                        long long *out, struct err *e)
{
    const char *v = kv_get(p, name);
    *out = def;
    if (!v || !*v)
        return 0;
    if (!parse_int64(v, -9223372036854775807LL, 9223372036854775807LL, out))
        return bad(e, "%s must be a whole number", name);
    if (*out < 1)
        *out = 1;
    if (*out > hi)
        *out = hi;
    return 0;
}

int catalog_parse_query(const struct kvlist *p, struct catalog_query *q, struct err *e)
{
    memset(q, 0, sizeof(*q));
    q->q = kv_get(p, "q");
    q->category = kv_get(p, "category");
    if (q->q && !*q->q)
        q->q = NULL;
    if (q->category && !*q->category)
        q->category = NULL;
    if (q->q && utf8_length(q->q) > 100)
        return bad(e, "%s must be at most 100 characters", "q");
    if (q->category && utf8_length(q->category) > 50)
        return bad(e, "%s must be at most 50 characters", "category");
    if (parse_price(p, "min_price", &q->min_price, e) < 0 ||
        parse_price(p, "max_price", &q->max_price, e) < 0)
        return -1;
    if (q->min_price >= 0 && q->max_price >= 0 && q->min_price > q->max_price)
        return bad(e, "%s must not be above max_price", "min_price");
    const char *in_stock = kv_get(p, "in_stock");
    if (in_stock && *in_stock) {
        if (!strcmp(in_stock, "true") || !strcmp(in_stock, "1") || !strcmp(in_stock, "on"))
            q->in_stock = true;
        else if (strcmp(in_stock, "false") && strcmp(in_stock, "0"))
            return bad(e, "%s must be true or false", "in_stock");
    }
    q->sort = kv_get(p, "sort");
    if (!q->sort || !*q->sort)
        q->sort = "newest";
    size_t i;
    for (i = 0; i < NSORTS; i++)
        if (!strcmp(q->sort, sorts[i].name))
            break;
    if (i == NSORTS)
        return bad(e, "%s must be one of newest, price_asc, price_desc, popular", "sort");
    if (parse_paging(p, "page", 1, 1000000, &q->page, e) < 0 ||
        parse_paging(p, "per_page", CATALOG_DEFAULT_PER_PAGE, CATALOG_MAX_PER_PAGE, &q->per_page,
                     e) < 0)
        return -1;
    return 0;
}

/* LIKE's own wildcards in the user's text are matched literally. */
static char *like_pattern(struct arena *a, const char *s)
{
    struct strbuf sb;
    sb_init(&sb, a, strlen(s) * 2 + 3);
    sb_addc(&sb, '%');
    for (; *s; s++) {
        if (*s == '%' || *s == '_' || *s == '\\')
            sb_addc(&sb, '\\');
        sb_addc(&sb, *s);
    }
    sb_addc(&sb, '%');
    return sb.s;
}

void catalog_build_sql(struct arena *a, const struct catalog_query *q, char **list_sql,
                       char **count_sql, struct db_param *params, int *nparams)
{
    struct strbuf where;
    int n = 0;
    sb_init(&where, a, 256);
    sb_adds(&where, " FROM products WHERE 1=1");
    if (q->q) {
        sb_adds(&where, " AND name LIKE ?");
        params[n++] = (struct db_param){.type = 's', .s = like_pattern(a, q->q)};
    }
    if (q->category) {
        sb_adds(&where, " AND category = ?");
        params[n++] = (struct db_param){.type = 's', .s = q->category};
    }
    if (q->min_price >= 0) {
        sb_adds(&where, " AND price >= ?");
        params[n++] = (struct db_param){.type = 'i', .i = q->min_price};
    }
    if (q->max_price >= 0) {
        sb_adds(&where, " AND price <= ?");
        params[n++] = (struct db_param){.type = 'i', .i = q->max_price};
    }
    if (q->in_stock)
        sb_adds(&where, " AND stock > 0");
    const char *order = sorts[0].clause;
    for (size_t i = 0; i < NSORTS; i++)
        if (!strcmp(q->sort, sorts[i].name))
            order = sorts[i].clause;
    *count_sql = arena_sprintf(a, "SELECT COUNT(*) AS total%s", where.s);
    *list_sql = arena_sprintf(a,
                              "SELECT id, name, category, price, likes, sale_starts_at, picture%s"
                              " ORDER BY %s LIMIT ? OFFSET ?",
                              where.s, order);
    params[n++] = (struct db_param){.type = 'i', .i = q->per_page};
    params[n++] = (struct db_param){.type = 'i', .i = (q->page - 1) * q->per_page};
    *nparams = n;
}

/* The cache key of a statement and its parameters. */
static char *query_key(struct arena *a, const char *sql, const struct db_param *p, int n)
{
    struct strbuf k;
    sb_init(&k, a, 512);
    sb_adds(&k, sql);
    for (int i = 0; i < n; i++) {
        if (p[i].type == 'i')
            sb_printf(&k, "|i%lld", p[i].i);
        else
            sb_printf(&k, "|s%zu:%s", p[i].s ? strlen(p[i].s) : 0, p[i].s ? p[i].s : "");
    }
    return k.s;
}

#define CATALOG "catalog"

static const char *stock_key(struct arena *a, json_t *product)
{
    return stock_counter_key(a, json_integer_value(json_object_get(product, "id")));
}

/* A product's live counter, rebuilt from MySQL when Redis lost it (under the gate row: no
 * reservation in flight is overwritten). */
#define STOCK_FAILED LLONG_MIN

static long long stock_value(struct arena *a, json_t *product, const char *val)
{
    if (val)
        return strtoll(val, NULL, 10);
    long long id = json_integer_value(json_object_get(product, "id"));
    const char *key = stock_key(a, product);
    char *now = NULL;
    if (stock_load(a, id) < 0 || redis_get_many(a, 1, &key, &now) < 0 || !now)
        return STOCK_FAILED;
    log_info("rebuilt stock counter of product %lld from MySQL", id);
    return strtoll(now, NULL, 10);
}

/* Writes the live stock into each product's own stock_remaining integer. Cached products carry
 * one allocated with them (see with_stock_slot), so a cache hit allocates nothing here; a
 * worker serves one request at a time, so the value it writes is the one it then sends. */
static int set_stock(struct arena *a, json_t *products, char **vals)
{
    size_t i;
    json_t *p;
    json_array_foreach(products, i, p)
    {
        long long stock = stock_value(a, p, vals[i]);
        if (stock == STOCK_FAILED)
            return -1;
        json_integer_set(json_object_get(p, "stock_remaining"), stock < 0 ? 0 : stock);
    }
    return 0;
}

/* Gives each product its stock_remaining slot. */
static void with_stock_slot(json_t *products)
{
    size_t i;
    json_t *p;
    json_array_foreach(products, i, p) json_object_set_new(p, "stock_remaining", json_integer(0));
}

/* Gives each freshly loaded product its stock_remaining slot, and for its picture (the stem
 * of its files) the URLs nginx serves the two sizes at, before it is cached. */
static void prepare_loaded(json_t *products)
{
    size_t i;
    json_t *p;
    with_stock_slot(products);
    json_array_foreach(products, i, p)
    {
        const char *stem = json_string_value(json_object_get(p, "picture"));
        json_object_set_new(p, "picture_card",
                            stem ? json_sprintf("/pictures/%s-card.jpg", stem) : json_null());
        json_object_set_new(p, "picture_large",
                            stem ? json_sprintf("/pictures/%s-large.jpg", stem) : json_null());
        json_object_del(p, "picture");
    }
}

/* One round trip reads the cache token and the stock of the products a cached value names. */
static int read_token_and_stock(struct arena *a, json_t *products, char **token, char ***stock)
{
    size_t n = json_array_size(products);
    const char **keys = arena_alloc(a, (n + 1) * sizeof(char *));
    char **vals = arena_alloc(a, (n + 1) * sizeof(char *));
    keys[0] = cache_token_key(CATALOG);
    for (size_t i = 0; i < n; i++)
        keys[i + 1] = stock_key(a, json_array_get(products, i));
    if (redis_get_many(a, (int)n + 1, keys, vals) < 0)
        return -1;
    *token = vals[0];
    *stock = vals + 1;
    return 0;
}

static int read_stock(struct arena *a, json_t *products, char ***stock)
{
    size_t n = json_array_size(products);
    const char **keys = arena_alloc(a, (n ? n : 1) * sizeof(char *));
    *stock = arena_alloc(a, (n ? n : 1) * sizeof(char *));
    for (size_t i = 0; i < n; i++)
        keys[i] = stock_key(a, json_array_get(products, i));
    return redis_get_many(a, (int)n, keys, *stock);
}

/* Serves `key` from the worker's cache when its token is still the live one; otherwise calls
 * load() (MySQL) and caches the result. Either way `products(value)` get live stock. Writers
 * commit first and change the token after, so a value cached under a token is never older
 * than that token. */
static json_t *cached_with_stock(struct arena *a, const char *key, json_t *(*load)(void *),
                                 void *arg, json_t *(*products)(json_t *))
{
    const char *stored_token;
    json_t *value = cache_lookup(key, &stored_token);
    char *token, **stock;
    if (read_token_and_stock(a, value ? products(value) : NULL, &token, &stock) < 0)
        return NULL;
    if (!value || !token || strcmp(token, stored_token) != 0) {
        value = load(arg);
        if (!value)
            return NULL;
        prepare_loaded(products(value));
        if (token)
            value = cache_put(token, key, value);
        else
            cache_invalidate(CATALOG); /* Redis lost the token: start a new one */
        if (read_stock(a, products(value), &stock) < 0)
            return NULL;
    }
    return set_stock(a, products(value), stock) < 0 ? NULL : value;
}

struct list_load {
    char *list_sql, *count_sql;
    struct db_param params[8];
    int n;
};

static json_t *load_list(void *arg)
{
    struct list_load *l = arg;
    json_t *count = db_query_p(l->count_sql, l->params, l->n - 2);
    json_t *items = count ? db_query_p(l->list_sql, l->params, l->n) : NULL;
    if (!items)
        return NULL;
    return json_pack("{s:o, s:O}", "items", items, "total",
                     json_object_get(json_array_get(count, 0), "total"));
}

static json_t *list_items(json_t *page)
{
    return json_object_get(page, "items");
}

json_t *catalog_list(struct arena *a, const struct catalog_query *q)
{
    struct list_load l;
    catalog_build_sql(a, q, &l.list_sql, &l.count_sql, l.params, &l.n);
    json_t *page =
        cached_with_stock(a, query_key(a, l.list_sql, l.params, l.n), load_list, &l, list_items);
    if (!page)
        return NULL;
    return json_pack("{s:O, s:I, s:I, s:O}", "items", list_items(page), "page", (json_int_t)q->page,
                     "per_page", (json_int_t)q->per_page, "total", json_object_get(page, "total"));
}

int catalog_changed(void)
{
    return cache_invalidate(CATALOG);
}

static json_t *load_product(void *arg)
{
    json_t *row;
    int rc = db_query_row(&row,
                          "SELECT p.id, p.name, p.description, p.category, p.price, p.likes,"
                          " p.sale_starts_at, p.per_user_limit, v.id AS vendor_id,"
                          " v.name AS vendor_name, p.picture FROM products p"
                          " LEFT JOIN vendors v ON v.id = p.vendor_id WHERE p.id = ?",
                          "i", *(long long *)arg);
    /* "no such product" is cached too, as an empty list, so a missing id costs no query. */
    return rc < 0 ? NULL : json_pack("[O*]", rc == 1 ? row : NULL);
}

static json_t *as_list(json_t *v)
{
    return v;
}

json_t *catalog_get(struct arena *a, long long id, struct err *e)
{
    json_t *one = id > 0 ? cached_with_stock(a, arena_sprintf(a, "product:%lld", id), load_product,
                                             &id, as_list)
                         : NULL;
    if (!one && id > 0)
        return err_store(e), NULL;
    if (!one || json_array_size(one) != 1)
        return err_set(e, 404, "not_found", "no product has id %lld", id), NULL;
    return json_array_get(one, 0);
}

int catalog_fill_stock(struct arena *a, json_t *products)
{
    char **stock;
    with_stock_slot(products);
    return read_stock(a, products, &stock) < 0 ? -1 : set_stock(a, products, stock);
}

json_t *catalog_categories(void)
{
    return db_query("SELECT category AS name, COUNT(*) AS count FROM products GROUP BY category"
                    " ORDER BY category",
                    "");
}

/* ---- admin writes ---- */

int catalog_check_product(json_t *b, bool partial, struct err *e)
{
    static const char *const text[][2] = {
        {"name", "200"}, {"category", "50"}, {"description", "5000"}};
    for (int i = 0; i < 3; i++) {
        json_t *v = json_object_get(b, text[i][0]);
        if (!v && (partial || i == 2))
            continue;
        size_t max = (size_t)atoi(text[i][1]);
        if (!json_is_string(v) || (i < 2 && !json_string_length(v)) ||
            utf8_length(json_string_value(v)) > max)
            return err_set(e, 422, "invalid_field", "%s must be text of %s characters at most%s",
                           text[i][0], text[i][1], i < 2 ? " (not empty)" : "");
    }
    static const char *const nums[] = {"price", "stock"};
    for (int i = 0; i < 2; i++) {
        json_t *v = json_object_get(b, nums[i]);
        long long max = i == 0 ? 1000000000000LL : 2147483647LL; /* the columns' ranges */
        if ((!v && partial) ||
            (json_is_integer(v) && json_integer_value(v) >= 0 && json_integer_value(v) <= max))
            continue;
        return err_set(e, 422, "invalid_field", "%s must be a whole number of at least 0", nums[i]);
    }
    json_t *lim = json_object_get(b, "per_user_limit"), *at = json_object_get(b, "sale_starts_at");
    time_t t;
    if (lim && !json_is_null(lim) &&
        (!json_is_integer(lim) || json_integer_value(lim) < 1 || json_integer_value(lim) > 1000000))
        return err_set(e, 422, "invalid_field",
                       "per_user_limit must be from 1 to 1000000, or null");
    if (at && !json_is_null(at) && !parse_iso_time(json_string_value(at), &t))
        return err_set(e, 422, "invalid_field",
                       "sale_starts_at must be an ISO 8601 UTC time, or null");
    return 0;
}

static const char *opt_time(struct arena *a, json_t *v)
{
    time_t t;
    return v && !json_is_null(v) && parse_iso_time(json_string_value(v), &t) ? db_time(a, t) : NULL;
}

json_t *catalog_create(struct arena *a, json_t *b, struct err *e)
{
    if (catalog_check_product(b, false, e) < 0)
        return NULL;
    json_t *lim = json_object_get(b, "per_user_limit");
    if (db_exec("INSERT INTO products (name, description, category, price, stock, sale_starts_at,"
                " per_user_limit) VALUES (?, ?, ?, ?, ?, ?, ?)",
                "sssiiss", json_string_value(json_object_get(b, "name")),
                json_string_value(json_object_get(b, "description")) ?: "",
                json_string_value(json_object_get(b, "category")),
                (long long)json_integer_value(json_object_get(b, "price")),
                (long long)json_integer_value(json_object_get(b, "stock")),
                opt_time(a, json_object_get(b, "sale_starts_at")),
                lim && json_is_integer(lim)
                    ? arena_sprintf(a, "%lld", (long long)json_integer_value(lim))
                    : NULL) < 0)
        return err_store(e), NULL;
    /* Stored from here on: a later failure is never answered as "not created". */
    long long id = db_insert_id();
    if (stock_load(a, id) < 0)
        log_warn("product %lld created but its counter not yet built; a checkout builds it", id);
    catalog_changed();
    json_t *p = catalog_get(a, id, e);
    return p ? json_copy(p) : (err_unknown(e), NULL);
}

json_t *catalog_update(struct arena *a, long long id, json_t *b, struct err *e)
{
    json_t *cur;
    long long room = 0; /* the waiting room moved with the sale, followed in Redis after commit */
    if (catalog_check_product(b, true, e) < 0)
        return NULL;
    /* A stock change takes the gate row exclusively, before the product row (checkouts take
     * the gate, then the product row through order_items' key): no reservation is in flight
     * while the counter moves, and no rebuild reads MySQL half-way. */
    int rc = json_object_get(b, "stock") ? stock_take(id) : db_begin() < 0 ? -1 : 1;
    if (rc == 1)
        rc = db_query_row(&cur,
                          "SELECT stock, TIMESTAMPDIFF(SECOND, '1970-01-01', sale_starts_at) AS"
                          " starts FROM products WHERE id = ? FOR UPDATE",
                          "i", id);
    if (rc <= 0) {
        db_rollback();
        return rc < 0 ? (err_store(e), NULL)
                      : (err_set(e, 404, "not_found", "no product has id %lld", id), NULL);
    }
    static const char *const text[] = {"name", "category", "description"};
    for (int i = 0; i < 3; i++) {
        json_t *v = json_object_get(b, text[i]);
        if (v && db_exec(arena_sprintf(a, "UPDATE products SET %s = ? WHERE id = ?", text[i]), "si",
                         json_string_value(v), id) < 0)
            goto out_store;
    }
    json_t *price = json_object_get(b, "price"), *stock = json_object_get(b, "stock");
    json_t *lim = json_object_get(b, "per_user_limit"), *at = json_object_get(b, "sale_starts_at");
    /* A sale that moves takes its waiting room with it (or is refused when the room opened). */
    if (at) {
        time_t start = 0;
        bool has = !json_is_null(at) && parse_iso_time(json_string_value(at), &start);
        json_t *was = json_object_get(cur, "starts");
        if ((has != !json_is_null(was) || (has && start != json_integer_value(was))) &&
            room_sale_moved(a, id, has ? &start : NULL, &room, e) < 0) {
            db_rollback();
            return NULL;
        }
    }
    long long delta =
        stock ? json_integer_value(stock) - json_integer_value(json_object_get(cur, "stock")) : 0;
    if (stock) { /* units orders hold are spoken for: the stock cannot drop below them */
        long long held = stock_held_units(id);
        if (held < 0)
            goto out_store;
        if (json_integer_value(stock) < held) {
            db_rollback();
            return err_set(e, 409, "stock_below_reserved",
                           "%lld unit(s) are held by orders; the stock cannot be set below that",
                           held),
                   NULL;
        }
    }
    /* The live counter moves first, atomically with reservations: a cut that units already
     * reserved (committed or not) leave no room for is refused. MySQL follows; if it cannot,
     * the counter is put back. */
    enum stock_adjust_outcome gate = STOCK_ADJUST_NONE;
    if (delta) {
        gate = stock_adjust(a, id, delta);
        if (gate == STOCK_ADJUST_REFUSED) {
            db_rollback();
            return err_set(e, 409, "stock_below_reserved",
                           "orders hold more units than that stock would leave room for"),
                   NULL;
        }
        if (gate == STOCK_ADJUST_FAILED)
            goto out_store;
    }
    if ((price && db_exec("UPDATE products SET price = ? WHERE id = ?", "ii",
                          (long long)json_integer_value(price), id) < 0) ||
        (stock && db_exec("UPDATE products SET stock = ? WHERE id = ?", "ii",
                          (long long)json_integer_value(stock), id) < 0) ||
        (lim &&
         db_exec("UPDATE products SET per_user_limit = ? WHERE id = ?", "si",
                 json_is_integer(lim) ? arena_sprintf(a, "%lld", (long long)json_integer_value(lim))
                                      : NULL,
                 id) < 0) ||
        (at && db_exec("UPDATE products SET sale_starts_at = ? WHERE id = ?", "si", opt_time(a, at),
                       id) < 0) ||
        db_commit() < 0) {
        if (gate == STOCK_ADJUSTED) /* MySQL kept the old stock: so does the gate */
            stock_adjust_undo(id, delta);
        goto out_store;
    }
    /* A gate Redis lost is loaded from MySQL, now updated; a live one gets its new meta. */
    if (gate == STOCK_ADJUST_NOT_LOADED || !stock_is_live(id))
        stock_load(a, id);
    else if (lim || at)
        stock_publish_meta(id);
    room_sale_follow(a, room);
    catalog_changed();
    json_t *p = catalog_get(a, id, e);
    return p ? json_copy(p) : (err_unknown(e), NULL); /* committed: never "not changed" */
out_store:
    db_rollback();
    return err_store(e), NULL;
}

json_t *catalog_set_picture(struct arena *a, long long id, const void *data, size_t len,
                            struct err *e)
{
    json_t *cur;
    int rc = db_query_row(&cur, "SELECT id FROM products WHERE id = ?", "i", id);
    if (rc < 0)
        return err_store(e), NULL;
    if (rc == 0)
        return err_set(e, 404, "not_found", "no product has id %lld", id), NULL;
    unsigned char raw[4];
    randombytes_buf(raw, sizeof(raw));
    const char *stem =
        arena_sprintf(a, "%lld-%02x%02x%02x%02x", id, raw[0], raw[1], raw[2], raw[3]);
    char why[512] = "";
    switch (picture_store(data, len, stem, why, sizeof(why))) {
    case PICTURE_OK:
        break;
    case PICTURE_NOT_AN_IMAGE:
        return err_set(e, 415, "not_an_image", "the file is not a PNG, JPEG, WebP or GIF image"),
               NULL;
    case PICTURE_TOO_MANY_PIXELS:
        log_info("picture for product %lld refused: %s", id, why);
        return err_set(e, 422, "too_many_pixels",
                       "the picture has more than %d pixels; send a smaller one",
                       cfg.picture_max_pixels),
               NULL;
    case PICTURE_BROKEN:
        log_info("picture for product %lld refused: %s", id, why);
        return err_set(e, 422, "broken_image",
                       "the picture could not be read: it is damaged or cut short"),
               NULL;
    default:
        log_error("picture for product %lld not stored: %s", id, why);
        return err_set(e, 503, "unavailable", "the picture could not be stored; try again"), NULL;
    }
    /* The row is locked while it is renamed, so that of two uploads at once each removes the
     * files the other's row named. The old files go only once the row names the new ones and
     * the cached products have been told. */
    rc = db_begin() < 0
             ? -1
             : db_query_row(&cur, "SELECT picture FROM products WHERE id = ? FOR UPDATE", "i", id);
    if (rc == 1 && db_exec("UPDATE products SET picture = ? WHERE id = ?", "si", stem, id) != 1)
        rc = -1;
    int committed = rc == 1 ? db_commit() : -1;
    if (committed == DB_OUTCOME_UNKNOWN) /* the row may name the new files: they stay */
        return err_unknown(e), NULL;
    if (committed < 0) {
        if (rc >= 0)
            db_rollback();
        picture_remove(stem);
        return rc == 0 ? (err_set(e, 404, "not_found", "no product has id %lld", id), NULL)
                       : (err_store(e), NULL);
    }
    catalog_changed();
    const char *old = json_string_value(json_object_get(cur, "picture"));
    if (old)
        picture_remove(old);
    log_info("product %lld has a new picture (%s)", id, stem);
    json_t *p = catalog_get(a, id, e);
    return p ? p : (err_unknown(e), NULL); /* stored, but it cannot be shown now */
}
