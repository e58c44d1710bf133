/* catalog.c - products: search, filters, sorting and paging; live stock from Redis. */
#include "domain/catalog.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/log.h"
#include "core/strbuf.h"
#include "core/text.h"
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
#define bad(msg, len, fmt, name) (snprintf((msg), (len), fmt, (name)), -1)

static int parse_price(const struct kvlist *p, const char *name, long long *out, char *msg,
                       size_t len)
{
    const char *v = kv_get(p, name);
    *out = -1;
    if (!v || !*v)
        return 0;
    if (!parse_int64(v, 0, 1000000000000LL, out))
        return bad(msg, len, "%s must be a whole number of won from 0 to 1000000000000", name);
    return 0;
}

/* Paging values out of range are clamped; only non-numbers are refused. */
static int parse_paging(const struct kvlist *p, const char *name, long long def, long long hi,
                        long long *out, char *msg, size_t len)
{
    const char *v = kv_get(p, name);
    *out = def;
    if (!v || !*v)
        return 0;
    if (!parse_int64(v, -9223372036854775807LL, 9223372036854775807LL, out))
        return bad(msg, len, "%s must be a whole number", name);
    if (*out < 1)
        *out = 1;
    if (*out > hi)
        *out = hi;
    return 0;
}

int catalog_parse_query(const struct kvlist *p, struct catalog_query *q, char *msg, size_t len)
{
    memset(q, 0, sizeof(*q));
    q->q = kv_get(p, "q");
    q->category = kv_get(p, "category");
    if (q->q && !*q->q)
        q->q = NULL;
    if (q->category && !*q->category)
        q->category = NULL;
    if (q->q && utf8_length(q->q) > 100)
        return bad(msg, len, "%s must be at most 100 characters", "q");
    if (q->category && utf8_length(q->category) > 50)
        return bad(msg, len, "%s must be at most 50 characters", "category");
    if (parse_price(p, "min_price", &q->min_price, msg, len) < 0 ||
        parse_price(p, "max_price", &q->max_price, msg, len) < 0)
        return -1;
    if (q->min_price >= 0 && q->max_price >= 0 && q->min_price > q->max_price)
        return bad(msg, len, "%s must not be above max_price", "min_price");
    const char *in_stock = kv_get(p, "in_stock");
    if (in_stock && *in_stock) {
        if (!strcmp(in_stock, "true") || !strcmp(in_stock, "1") || !strcmp(in_stock, "on"))
            q->in_stock = true;
        else if (strcmp(in_stock, "false") && strcmp(in_stock, "0"))
            return bad(msg, len, "%s must be true or false", "in_stock");
    }
    q->sort = kv_get(p, "sort");
    if (!q->sort || !*q->sort)
        q->sort = "newest";
    size_t i;
    for (i = 0; i < NSORTS; i++)
        if (!strcmp(q->sort, sorts[i].name))
            break;
    if (i == NSORTS)
        return bad(msg, len, "%s must be one of newest, price_asc, price_desc, popular", "sort");
    if (parse_paging(p, "page", 1, 1000000, &q->page, msg, len) < 0 ||
        parse_paging(p, "per_page", CATALOG_DEFAULT_PER_PAGE, CATALOG_MAX_PER_PAGE, &q->per_page,
                     msg, len) < 0)
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
                              "SELECT id, name, category, price, likes, sale_starts_at%s"
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
    return arena_sprintf(a, "{p:%lld}:stock",
                         (long long)json_integer_value(json_object_get(product, "id")));
}

/* What Redis should hold for a product whose counter is missing. */
static long long stock_from_mysql(long long id)
{
    json_t *row;
    if (db_query_row(&row, "SELECT stock FROM products WHERE id = ?", "i", id) != 1)
        return -1;
    return json_integer_value(json_object_get(row, "stock"));
}

static int set_stock_nx(long long id, long long stock)
{
    redisReply *r = redis_cmd("SET {p:%lld}:stock %lld NX", id, stock);
    int ok = r && r->type != REDIS_REPLY_ERROR;
    int set = ok && r->type == REDIS_REPLY_STATUS;
    if (r)
        freeReplyObject(r);
    return ok ? set : -1;
}

/* A product's live counter, rebuilt from MySQL when Redis lost it (SET NX: a concurrent
 * reservation is never overwritten). */
static long long stock_value(struct arena *a, json_t *product, const char *val)
{
    if (val)
        return strtoll(val, NULL, 10);
    long long id = json_integer_value(json_object_get(product, "id"));
    long long s = stock_from_mysql(id);
    const char *key = stock_key(a, product);
    char *now = NULL;
    if (s < 0 || set_stock_nx(id, s) < 0 || redis_get_many(a, 1, &key, &now) < 0 || !now)
        return -1;
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
        if (stock < 0)
            return -1;
        json_integer_set(json_object_get(p, "stock_remaining"), stock);
    }
    return 0;
}

/* Gives each freshly loaded product its stock_remaining slot before it is cached. */
static void with_stock_slot(json_t *products)
{
    size_t i;
    json_t *p;
    json_array_foreach(products, i, p) json_object_set_new(p, "stock_remaining", json_integer(0));
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
        with_stock_slot(products(value));
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
                          " v.name AS vendor_name FROM products p"
                          " LEFT JOIN vendors v ON v.id = p.vendor_id WHERE p.id = ?",
                          "i", *(long long *)arg);
    /* "no such product" is cached too, as an empty list, so a missing id costs no query. */
    return rc < 0 ? NULL : json_pack("[O*]", rc == 1 ? row : NULL);
}

static json_t *as_list(json_t *v)
{
    return v;
}

json_t *catalog_get(struct arena *a, long long id, int *found)
{
    json_t *one =
        cached_with_stock(a, arena_sprintf(a, "product:%lld", id), load_product, &id, as_list);
    if (!one) {
        *found = -1;
        return NULL;
    }
    *found = json_array_size(one) == 1;
    return *found ? json_array_get(one, 0) : NULL;
}

int catalog_fill_stock(struct arena *a, json_t *products)
{
    char **stock;
    with_stock_slot(products);
    return read_stock(a, products, &stock) < 0 ? -1 : set_stock(a, products, stock);
}

int catalog_rebuild_stock(void)
{
    json_t *rows = db_query("SELECT id, stock FROM products", "");
    if (!rows)
        return -1;
    size_t i;
    json_t *row;
    int set = 0;
    json_array_foreach(rows, i, row)
    {
        int rc = set_stock_nx(json_integer_value(json_object_get(row, "id")),
                              json_integer_value(json_object_get(row, "stock")));
        if (rc < 0)
            return -1;
        set += rc;
    }
    return set;
}

json_t *catalog_categories(void)
{
    return db_query("SELECT category AS name, COUNT(*) AS count FROM products GROUP BY category"
                    " ORDER BY category",
                    "");
}
