/* likes.c - the wishlist (see likes.h). */
#include "domain/likes.h"

#include "domain/catalog.h"
#include "store/db.h"

int like_set(long long user_id, long long product_id, int on, struct err *e)
{
    json_t *row;
    if (db_begin() < 0)
        return err_store(e);
    /* The product row first, exclusively: the like's foreign-key check would otherwise share-
     * lock it and two likes would deadlock upgrading to the count update. */
    int rc = db_query_row(&row, "SELECT id FROM products WHERE id = ? FOR UPDATE", "i", product_id);
    if (rc <= 0) {
        db_rollback();
        return rc < 0 ? err_store(e)
                      : err_set(e, 404, "not_found", "no product has id %lld", product_id);
    }
    /* The count moves only when the like itself changed: PUT and DELETE are idempotent. */
    long long n = on ? db_exec("INSERT IGNORE INTO likes (user_id, product_id) VALUES (?, ?)", "ii",
                               user_id, product_id)
                     : db_exec("DELETE FROM likes WHERE user_id = ? AND product_id = ?", "ii",
                               user_id, product_id);
    if (n < 0 ||
        (n == 1 && db_exec(on ? "UPDATE products SET likes = likes + 1 WHERE id = ?"
                              : "UPDATE products SET likes = GREATEST(likes - 1, 0) WHERE id = ?",
                           "i", product_id) < 0) ||
        db_commit() < 0) {
        db_rollback();
        return err_store(e);
    }
    if (n == 1)
        catalog_changed();
    return 0;
}

json_t *like_list(struct arena *a, long long user_id, struct err *e)
{
    json_t *rows = db_query("SELECT p.id, p.name, p.category, p.price, p.likes, p.sale_starts_at,"
                            " l.created_at AS liked_at FROM likes l JOIN products p ON p.id ="
                            " l.product_id WHERE l.user_id = ? ORDER BY l.created_at DESC",
                            "i", user_id);
    if (!rows || catalog_fill_stock(a, rows) < 0)
        return err_store(e), NULL;
    return rows;
}
