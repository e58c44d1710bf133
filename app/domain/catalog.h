/* catalog.h - products: search, filters, sorting and paging; live stock from Redis. */
#ifndef FC_CATALOG_H
#define FC_CATALOG_H
#include <jansson.h>
#include <stdbool.h>

#include "core/arena.h"
#include "core/err.h"
#include "core/kvlist.h"
#include "store/db.h"

#define CATALOG_MAX_PER_PAGE 100
#define CATALOG_DEFAULT_PER_PAGE 20

struct catalog_query {
    const char *q;                  /* substring of the name, or NULL */
    const char *category;           /* exact, or NULL */
    long long min_price, max_price; /* -1 when absent */
    bool in_stock;
    const char *sort; /* newest | price_asc | price_desc | popular */
    long long page, per_page;
};

/* Validates and clamps the list parameters. Returns 0, or -1 with e set (every problem here is
 * a 422 invalid_parameter naming one parameter). Out-of-range paging is clamped, not refused.
 * q's strings point into params. */
int catalog_parse_query(const struct kvlist *params, struct catalog_query *q, struct err *e);

/* Builds the list and count statements; every value is a bound parameter, the sort is one of
 * four fixed clauses. params must hold at least 8 entries. Exposed for unit tests. */
void catalog_build_sql(struct arena *a, const struct catalog_query *q, char **list_sql,
                       char **count_sql, struct db_param *params, int *nparams);

/* Products returned by catalog_list and catalog_get may belong to the worker's cache: they are
 * read-only to callers (json_copy one before adding fields) and valid until the next call.
 * {"items":[...],"page","per_page","total"}, or NULL when a store failed. */
json_t *catalog_list(struct arena *a, const struct catalog_query *q);
/* One product, or NULL with e set (404 not_found, or a store failure). */
json_t *catalog_get(struct arena *a, long long id, struct err *e);
/* Sets stock_remaining on each product from Redis, rebuilding missing counters from MySQL. */
int catalog_fill_stock(struct arena *a, json_t *products);
/* Every write to products must call this, so that cached rows are read again. */
int catalog_changed(void);
/* Admin: {name, description, category, price, stock, sale_starts_at?, per_user_limit?}. */
json_t *catalog_create(struct arena *a, json_t *body, struct err *e);
/* Admin: any of the same fields; a new stock moves the live counter by the difference. */
json_t *catalog_update(struct arena *a, long long id, json_t *body, struct err *e);
/* The check of a create's body (partial false: every field a product needs) or an update's
 * (partial true: only the fields given), before anything is stored: 0, or -1 with a 422 in e. */
int catalog_check_product(json_t *body, bool partial, struct err *e);
/* Admin: a new picture for the product, from the uploaded file's bytes: checked by its content,
 * re-encoded into the sizes the pages use (picture_card, picture_large in the product) and the
 * old picture's files removed. 415 not an image, 422 too many pixels or damaged, 404. */
json_t *catalog_set_picture(struct arena *a, long long id, const void *data, size_t len,
                            struct err *e);
/* The categories that have products, for filters. */
json_t *catalog_categories(void);

#endif
