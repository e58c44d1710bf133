/* vendors.c - the sellers behind products and coupon campaigns, and their balances. */
#include "domain/vendors.h"

#include "core/text.h"
#include "store/db.h"

json_t *vendor_create(const char *name, struct err *e)
{
    json_t *v;
    if (!name || !*name || utf8_length(name) > 100)
        return err_set(e, 422, "invalid_name", "the vendor name must be 1 to 100 characters"), NULL;
    if (db_exec("INSERT INTO vendors (name) VALUES (?)", "s", name) < 0)
        return (db_errno() == 1062 ? err_set(e, 409, "name_taken", "a vendor with that name exists")
                                   : err_store(e)),
               NULL;
    if (db_query_row(&v, "SELECT id, name, balance, created_at FROM vendors WHERE id = ?", "i",
                     db_insert_id()) != 1)
        return err_unknown(e), NULL; /* stored: a failed read back is never "not created" */
    return v;
}

json_t *vendor_list(struct err *e)
{
    json_t *rows = db_query("SELECT id, name, balance, created_at FROM vendors ORDER BY id", "");
    if (!rows)
        err_store(e);
    return rows;
}
