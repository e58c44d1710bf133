/* cart.c - the cart, in MySQL; usable before email verification. */
#include "domain/cart.h"

#include "domain/catalog.h"
#include "store/db.h"

json_t *cart_get(struct arena *a, long long user_id, struct err *e)
{
    json_t *items =
        db_query("SELECT c.product_id AS id, p.name, p.category, p.price, c.quantity,"
                 " p.price * c.quantity AS subtotal, p.likes, p.sale_starts_at FROM"
                 " cart_items c JOIN products p ON p.id = c.product_id WHERE c.user_id = ?"
                 " ORDER BY c.updated_at, c.product_id",
                 "i", user_id);
    if (!items || catalog_fill_stock(a, items) < 0)
        return err_store(e), NULL;
    long long total = 0;
    size_t i;
    json_t *it;
    json_array_foreach(items, i, it) total += json_integer_value(json_object_get(it, "subtotal"));
    return json_pack("{s:o, s:I}", "items", items, "total", (json_int_t)total);
}

/* Writes a line of the cart in one statement: the quantity as given, or (add) added to what
 * the line holds, capped; two adds at once both count. */
static int put_line(long long user_id, long long product_id, long long quantity, bool add,
                    struct err *e)
{
    if (quantity < 0 || quantity > CART_MAX_QUANTITY)
        return err_set(e, 422, "invalid_quantity", "quantity must be from 0 to %d",
                       CART_MAX_QUANTITY);
    /* Setting 0 removes the line and adding 0 changes nothing: a product that is not in the
     * cart is fine, one that does not exist is a 404, as it is for any other quantity. */
    long long n = 0; /* adding 0 writes nothing: only the check below runs */
    if (quantity == 0 && !add)
        n = db_exec("DELETE FROM cart_items WHERE user_id = ? AND product_id = ?", "ii", user_id,
                    product_id);
    else if (quantity > 0 && add)
        n = db_exec("INSERT INTO cart_items (user_id, product_id, quantity) SELECT ?, id, ?"
                    " FROM products WHERE id = ? ON DUPLICATE KEY UPDATE quantity ="
                    " LEAST(quantity + VALUES(quantity), ?)",
                    "iiii", user_id, quantity, product_id, (long long)CART_MAX_QUANTITY);
    else if (quantity > 0)
        n = db_exec(
            "INSERT INTO cart_items (user_id, product_id, quantity) SELECT ?, id, ?"
            " FROM products WHERE id = ? ON DUPLICATE KEY UPDATE quantity = VALUES(quantity)",
            "iii", user_id, quantity, product_id);
    if (n < 0)
        return err_store(e);
    if (n == 0) {
        json_t *row;
        int rc = db_query_row(&row, "SELECT id FROM products WHERE id = ?", "i", product_id);
        if (rc < 0)
            return err_store(e);
        if (rc == 0)
            return err_set(e, 404, "not_found", "no product has id %lld", product_id);
    }
    return 0;
}

int cart_set(long long user_id, long long product_id, long long quantity, struct err *e)
{
    return put_line(user_id, product_id, quantity, false, e);
}

int cart_add(long long user_id, long long product_id, long long quantity, struct err *e)
{
    return put_line(user_id, product_id, quantity, true, e);
}
