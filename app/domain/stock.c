/* stock.c - the product gate (see stock.h). */
#include "domain/stock.h"

#include <jansson.h>

#include "core/config.h"
#include "core/log.h"
#include "store/db.h"
#include "store/redis.h"

/* One of the product's gate keys, {p:ID}:name (see stock.h): all in the product's hash slot. */
static struct redis_key gate(long long pid, const char *name)
{
    return redis_key("{p:%lld}:%s", pid, name);
}

static const char *gate_key(struct arena *a, long long pid, const char *name)
{
    return arena_strdup(a, gate(pid, name).s);
}

const char *stock_counter_key(struct arena *a, long long product_id)
{
    return gate_key(a, product_id, "stock");
}

enum stock_reserve_outcome stock_reserve_outcome_of(const redisReply *r)
{
    /* {outcome, stock left}; anything else is no answer we can read, so the script may have run. */
    if (!r || r->type != REDIS_REPLY_ARRAY || r->elements < 1 ||
        r->element[0]->type != REDIS_REPLY_INTEGER)
        return STOCK_NO_ANSWER;
    switch (r->element[0]->integer) {
    case STOCK_RESERVED:
    case STOCK_SOLD_OUT:
    case STOCK_NOT_STARTED:
    case STOCK_OVER_LIMIT:
    case STOCK_NOT_LOADED:
        return (enum stock_reserve_outcome)r->element[0]->integer;
    default:
        return STOCK_NO_ANSWER;
    }
}

enum stock_reserve_outcome stock_reserve(struct arena *a, long long pid, long long uid,
                                         long long qty, long long order_id)
{
    const char *argv[7] = {gate_key(a, pid, "stock"),         gate_key(a, pid, "meta"),
                           gate_key(a, pid, "bought"),        gate_key(a, pid, "held"),
                           arena_sprintf(a, "%lld", uid),     arena_sprintf(a, "%lld", qty),
                           arena_sprintf(a, "%lld", order_id)};
    redisReply *r = redis_script("stock_reserve", 4, 7, argv);
    enum stock_reserve_outcome outcome = stock_reserve_outcome_of(r);
    if (r)
        freeReplyObject(r);
    return outcome;
}

void stock_release(struct arena *a, long long pid, long long uid, long long order_id)
{
    const char *argv[5] = {gate_key(a, pid, "stock"), gate_key(a, pid, "bought"),
                           gate_key(a, pid, "held"), arena_sprintf(a, "%lld", order_id),
                           arena_sprintf(a, "%lld", uid)};
    redisReply *r = redis_script("stock_release", 3, 5, argv);
    if (!r || r->type != REDIS_REPLY_INTEGER)
        log_error("release of order %lld's units of product %lld failed: Redis counts them as held"
                  " until its gate is rebuilt (`firstcome reconcile`)",
                  order_id, pid);
    if (r)
        freeReplyObject(r);
}

void stock_release_order(struct arena *a, long long order_id, long long uid)
{
    json_t *items =
        db_query("SELECT product_id FROM order_items WHERE order_id = ?", "i", order_id);
    size_t i;
    json_t *it;
    json_array_foreach(items, i, it)
        stock_release(a, json_integer_value(json_object_get(it, "product_id")), uid, order_id);
}

int stock_share_order(long long order_id)
{
    return db_query("SELECT g.product_id FROM stock_gates g JOIN order_items oi ON oi.product_id ="
                    " g.product_id WHERE oi.order_id = ? ORDER BY g.product_id LOCK IN SHARE MODE",
                    "i", order_id)
               ? 0
               : -1;
}

int stock_share_product(long long product_id)
{
    json_t *g;
    return db_query_row(
        &g, "SELECT product_id FROM stock_gates WHERE product_id = ? LOCK IN SHARE MODE", "i",
        product_id);
}

int stock_take(long long id)
{
    json_t *g;
    if (db_exec("INSERT IGNORE INTO stock_gates (product_id) SELECT id FROM products WHERE id = ?",
                "i", id) < 0 ||
        db_begin() < 0)
        return -1;
    int rc = db_query_row(&g, "SELECT product_id FROM stock_gates WHERE product_id = ? FOR UPDATE",
                          "i", id);
    if (rc != 1)
        db_rollback();
    return rc;
}

/* Units a pending order holds, or a paid one the order worker has not yet taken out of
 * products.stock: together with products.stock this is the truth the gate is rebuilt from. */
#define HELD_UNITS                                                                                 \
    "SELECT COALESCE(SUM(oi.quantity), 0) FROM order_items oi JOIN orders o ON o.id = oi.order_id" \
    " WHERE oi.product_id = p.id AND (o.status = 'pending_payment' OR (o.stock_applied = 0"        \
    " AND o.status IN ('paid', 'preparing', 'shipping', 'delivered', 'return_requested')))"

/* Orders that hold units of the product: each one's units count toward its user's limit, and
 * come back to the counter when it is expired, declined, cancelled or returned (order_id 0: a
 * delivered order past its return window, whose units never come back). */
#define HOLDING_ORDERS                                                                             \
    "SELECT IF(o.status <> 'delivered' OR o.delivered_at > UTC_TIMESTAMP() - INTERVAL ? SECOND,"   \
    " o.id, 0) AS order_id, o.user_id, oi.quantity FROM order_items oi JOIN orders o"              \
    " ON o.id = oi.order_id WHERE oi.product_id = ? AND o.status IN ('pending_payment', 'paid',"   \
    " 'preparing', 'shipping', 'delivered', 'return_requested')"

long long stock_held_units(long long product_id)
{
    json_t *h;
    if (db_query_row(&h, "SELECT (" HELD_UNITS ") AS held FROM products p WHERE p.id = ?", "i",
                     product_id) != 1)
        return -1;
    return json_integer_value(json_object_get(h, "held"));
}

int stock_load(struct arena *a, long long id)
{
    json_t *p;
    int rc = stock_take(id);
    if (rc != 1)
        return rc;
    /* The first plain read of the transaction, after the lock: it sees every change that
     * committed before, and none can commit until this one does. */
    rc = db_query_row(
        &p,
        "SELECT p.stock - (" HELD_UNITS ") AS available,"
        " COALESCE(TIMESTAMPDIFF(SECOND, '1970-01-01', p.sale_starts_at), 0) AS starts,"
        " COALESCE(p.per_user_limit, 0) AS lim FROM products p WHERE p.id = ?",
        "i", id);
    json_t *held =
        rc == 1 ? db_query(HOLDING_ORDERS, "ii", (long long)cfg.return_window, id) : NULL;
    if (!held) {
        db_rollback();
        return rc == 0 ? 0 : -1;
    }
    size_t n = json_array_size(held);
    const char **argv = arena_alloc(a, (7 + 3 * n) * sizeof(char *));
    argv[0] = gate_key(a, id, "stock");
    argv[1] = gate_key(a, id, "meta");
    argv[2] = gate_key(a, id, "bought");
    argv[3] = gate_key(a, id, "held");
    long long avail = json_integer_value(json_object_get(p, "available"));
    argv[4] = arena_sprintf(a, "%lld", avail < 0 ? 0 : avail);
    argv[5] = arena_sprintf(a, "%lld", (long long)json_integer_value(json_object_get(p, "starts")));
    argv[6] = arena_sprintf(a, "%lld", (long long)json_integer_value(json_object_get(p, "lim")));
    static const char *const cols[] = {"order_id", "user_id", "quantity"};
    for (size_t i = 0; i < n; i++) {
        json_t *h = json_array_get(held, i);
        for (int c = 0; c < 3; c++)
            argv[7 + 3 * i + (size_t)c] = arena_sprintf(
                a, "%lld", (long long)json_integer_value(json_object_get(h, cols[c])));
    }
    redisReply *r = redis_script("stock_load", 4, 7 + 3 * (int)n, argv);
    bool ok = stock_load_answered(r);
    if (r)
        freeReplyObject(r);
    /* Only a read was made: the commit just lets the waiting changes go on. */
    if (db_commit() < 0 || !ok)
        return -1;
    return 1;
}

int stock_load_all(struct arena *a)
{
    json_t *rows = db_query("SELECT id FROM products", "");
    if (!rows)
        return -1;
    size_t i;
    json_t *row;
    int set = 0;
    json_array_foreach(rows, i, row)
    {
        int rc = stock_load(a, json_integer_value(json_object_get(row, "id")));
        if (rc < 0)
            return -1;
        set += rc;
    }
    return set;
}

bool stock_load_answered(const redisReply *r)
{
    return r && r->type == REDIS_REPLY_INTEGER && r->integer == 1;
}

enum stock_adjust_outcome stock_adjust_outcome_of(const redisReply *r)
{
    if (!r || r->type != REDIS_REPLY_INTEGER)
        return STOCK_ADJUST_FAILED;
    switch (r->integer) {
    case STOCK_ADJUSTED:
    case STOCK_ADJUST_REFUSED:
    case STOCK_ADJUST_NOT_LOADED:
        return (enum stock_adjust_outcome)r->integer;
    default:
        return STOCK_ADJUST_FAILED;
    }
}

enum stock_adjust_outcome stock_adjust(struct arena *a, long long product_id, long long delta)
{
    const char *argv[2] = {gate_key(a, product_id, "stock"), arena_sprintf(a, "%lld", delta)};
    redisReply *g = redis_script("stock_adjust", 1, 2, argv);
    enum stock_adjust_outcome outcome = stock_adjust_outcome_of(g);
    if (g)
        freeReplyObject(g);
    return outcome;
}

void stock_adjust_undo(long long product_id, long long delta)
{
    redis_run("INCRBY %s %lld", gate(product_id, "stock").s, -delta);
}

bool stock_is_live(long long product_id)
{
    redisReply *r =
        redis_cmd("EXISTS %s %s", gate(product_id, "stock").s, gate(product_id, "meta").s);
    bool live = r && r->type == REDIS_REPLY_INTEGER && r->integer == 2;
    if (r)
        freeReplyObject(r);
    return live;
}

void stock_publish_meta(long long id)
{
    json_t *p;
    if (db_query_row(
            &p,
            "SELECT COALESCE(TIMESTAMPDIFF(SECOND, '1970-01-01', sale_starts_at), 0) AS starts,"
            " COALESCE(per_user_limit, 0) AS lim FROM products WHERE id = ?",
            "i", id) != 1)
        return;
    redis_run("HSET %s starts %lld limit %lld", gate(id, "meta").s,
              (long long)json_integer_value(json_object_get(p, "starts")),
              (long long)json_integer_value(json_object_get(p, "lim")));
}

/* Durable stock back for an order whose units the order worker had taken out. */
int stock_restore_durable(long long order_id)
{
    return db_exec(
               "UPDATE products p JOIN order_items oi ON oi.product_id = p.id"
               " SET p.stock = p.stock + oi.quantity, p.sold = GREATEST(p.sold - oi.quantity, 0)"
               " WHERE oi.order_id = ?",
               "i", order_id) < 0
               ? -1
               : 0;
}

int stock_take_durable(long long product_id, long long qty)
{
    long long n = db_exec(
        "UPDATE products SET stock = stock - ?, sold = sold + ? WHERE id = ? AND stock >= ?",
        "iiii", qty, qty, product_id, qty);
    return n < 0 ? -1 : n == 1;
}
