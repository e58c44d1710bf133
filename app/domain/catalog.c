/* catalog.c - products: search, filters, sorting and paging; live stock from Redis. */
#include "domain/catalog.h"

#include <stdio.h>
#include <string.h>

#include "core/log.h"
#include "core/strbuf.h"
#include "core/text.h"
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

json_t *catalog_list(struct arena *a, const struct catalog_query *q)
{
    struct db_param params[8];
    int n;
    char *list_sql, *count_sql;
    catalog_build_sql(a, q, &list_sql, &count_sql, params, &n);
    json_t *count = db_query_p(count_sql, params, n - 2);
    json_t *items = count ? db_query_p(list_sql, params, n) : NULL;
    if (!items)
        return NULL;
    if (catalog_fill_stock(a, items) < 0)
        return NULL;
    return json_pack("{s:o, s:I, s:I, s:O}", "items", items, "page", (json_int_t)q->page,
                     "per_page", (json_int_t)q->per_page, "total",
                     json_object_get(json_array_get(count, 0), "total"));
}

json_t *catalog_get(struct arena *a, long long id, int *found)
{
    json_t *row;
    int rc = db_query_row(&row,
                          "SELECT p.id, p.name, p.description, p.category, p.price, p.likes,"
                          " p.sale_starts_at, p.per_user_limit, v.id AS vendor_id,"
                          " v.name AS vendor_name FROM products p"
                          " LEFT JOIN vendors v ON v.id = p.vendor_id WHERE p.id = ?",
                          "i", id);
    *found = rc;
    if (rc != 1)
        return NULL;
    json_t *one = json_pack("[O]", row);
    if (catalog_fill_stock(a, one) < 0) {
        *found = -1;
        return NULL;
    }
    return row;
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

int catalog_fill_stock(struct arena *a, json_t *products)
{
    size_t n = json_array_size(products);
    if (n == 0)
        return 0;
    const char **keys = arena_alloc(a, n * sizeof(char *));
    long long *vals = arena_alloc(a, n * sizeof(long long));
    for (size_t i = 0; i < n; i++)
        keys[i] = arena_sprintf(a, "{p:%lld}:stock",
                                (long long)json_integer_value(
                                    json_object_get(json_array_get(products, i), "id")));
    if (redis_get_ints((int)n, keys, vals) < 0)
        return -1;
    for (size_t i = 0; i < n; i++) {
        json_t *p = json_array_get(products, i);
        long long id = json_integer_value(json_object_get(p, "id"));
        if (vals[i] < 0) { /* Redis lost it: rebuild from the truth, without racing a writer */
            long long s = stock_from_mysql(id);
            if (s < 0 || set_stock_nx(id, s) < 0 || redis_get_ints(1, &keys[i], &vals[i]) < 0)
                return -1;
            log_info("rebuilt stock counter of product %lld from MySQL", id);
        }
        json_object_set_new(p, "stock_remaining", json_integer(vals[i] < 0 ? 0 : vals[i]));
    }
    return 0;
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
