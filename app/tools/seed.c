/* seed.c - `firstcome seed-demo` (vendors, products, a flash sale, a coupon event, an admin,
 * once per database) and `firstcome reconcile` (Redis counters rebuilt from MySQL). */
#include "tools/tools.h"

#include <sodium.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "core/arena.h"
#include "core/config.h"
#include "core/log.h"
#include "core/text.h"
#include "domain/accounts.h"
#include "domain/stock.h"
#include "domain/catalog.h"
#include "domain/coupons.h"
#include "store/db.h"
#include "store/redis.h"

static const char *vendors[] = {"Hanbit Electronics", "Seoul Kitchen", "Jeju Farm", "Mapo Books",
                                "Seongsu Studio"};

static const struct {
    int vendor;
    const char *name, *category, *description;
    long long price;
    int stock;
} demo_products[] = {
    {0, "Noise-cancelling headphones", "electronics", "Over-ear, 30 hours of battery, folds flat.",
     189000, 40},
    {0, "USB-C charger 65W", "electronics", "Charges a laptop and a phone at once.", 39000, 120},
    {0, "Mechanical keyboard (brown switches)", "electronics",
     "Tenkeyless, hot-swappable switches.", 99000, 60},
    {1, "Cast-iron skillet 26 cm", "kitchen", "Pre-seasoned, oven safe, lasts a lifetime.", 45000,
     35},
    {1, "Stone pot for dolsot bibimbap", "kitchen", "Heats evenly; comes with a wooden base.",
     28000, 50},
    {1, "Chef's knife 20 cm", "kitchen", "Damascus steel, full tang.", 79000, 25},
    {2, "Jeju tangerines 5 kg", "food", "Picked this week, sweet and seedless.", 32000, 200},
    {2, "Green tea from Jeju, 100 g", "food", "First flush, hand rolled.", 18000, 150},
    {2, "Honey 1 kg", "food", "Wildflower honey from Hallasan's foothills.", 27000, 80},
    {3, "The Art of Queueing", "books", "A short history of waiting in line.", 16800, 90},
    {3, "Systems Performance, 2nd ed.", "books", "Measure before you tune.", 52000, 30},
    {4, "Linen shirt", "fashion", "Breathable, relaxed fit, three colours.", 59000, 70},
};

int seed_demo_main(int argc, char **argv)
{
    (void)argc;
    (void)argv;
    struct arena a;
    if (tool_begin("seed", &a, TOOL_DB) < 0)
        return 1;
    json_t *row;
    int seeded = db_query_row(&row, "SELECT v FROM settings WHERE k = 'demo_seeded'", "");
    if (seeded < 0)
        return 1;
    if (seeded == 1) {
        printf("demo data already loaded (%s)\n", json_string_value(json_object_get(row, "v")));
        return 0;
    }
    time_t now = time(NULL);
    if (db_begin() < 0)
        return 1;
    long long vendor_ids[5];
    for (int i = 0; i < 5; i++) {
        if (db_exec("INSERT INTO vendors (name) VALUES (?)", "s", vendors[i]) < 0)
            goto out_rollback;
        vendor_ids[i] = db_insert_id();
    }
    for (size_t i = 0; i < sizeof(demo_products) / sizeof(demo_products[0]); i++) {
        /* Staggered creation times give "newest" a visible order. */
        if (db_exec("INSERT INTO products (vendor_id, name, description, category, price, stock,"
                    " created_at) VALUES (?, ?, ?, ?, ?, ?, ?)",
                    "isssiis", vendor_ids[demo_products[i].vendor], demo_products[i].name,
                    demo_products[i].description, demo_products[i].category, demo_products[i].price,
                    (long long)demo_products[i].stock,
                    db_time(&a, now - 3600 * (long)(12 - i))) < 0)
            goto out_rollback;
    }
    if (db_exec("INSERT INTO products (vendor_id, name, description, category, price, stock,"
                " sale_starts_at, per_user_limit) VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
                "isssiisi", vendor_ids[0], "Flash sale: wireless earbuds, 70% off",
                "Fifty pairs only, one per person. The sale opens at the time shown.",
                "electronics", 29000LL, 50LL, db_time(&a, now + 300), 1LL) < 0)
        goto out_rollback;
    if (db_exec("INSERT INTO coupons (vendor_id, name, type, value, total_quantity, starts_at,"
                " ends_at) VALUES (?, ?, 'fixed', ?, ?, ?, ?)",
                "isiiss", vendor_ids[0], "Launch week: 5,000 won off", 5000LL, 100LL,
                db_time(&a, now), db_time(&a, now + 7 * 86400)) < 0)
        goto out_rollback;

    char password[40];
    tool_random_password(password);
    long long admin_id;
    struct err e;
    if (account_create(&a, "admin@firstcome.local", password, "Admin", "admin", true, &admin_id,
                       &e) < 0)
        goto out_rollback;
    if (db_exec("INSERT INTO settings (k, v) VALUES ('demo_seeded', ?)", "s", db_time(&a, now)) <
            0 ||
        db_commit() < 0)
        goto out_rollback;
    printf("demo data loaded: 5 vendors, 13 products (one flash sale), 1 coupon event\n");
    printf("admin account (shown once): admin@firstcome.local / %s\n", password);
    sodium_memzero(password, sizeof(password));
    db_close();
    return 0;

out_rollback:
    log_error("seeding failed: %s", db_error());
    db_rollback();
    return 1;
}

int reconcile_main(int argc, char **argv)
{
    (void)argc;
    (void)argv;
    struct arena a;
    if (tool_begin("reconcile", &a, TOOL_DB | TOOL_REDIS) < 0)
        return 1;
    int n = stock_load_all(&a);
    if (n < 0) {
        log_error("stock counters could not be rebuilt");
        return 1;
    }
    catalog_changed();
    log_info("stock counters: %d rebuilt from MySQL", n);
    int c = coupon_reconcile(&a, 0);
    if (c < 0) {
        log_error("coupon campaigns could not be reconciled");
        return 1;
    }
    log_info("coupon campaigns: %d rebuilt from MySQL, the rest agreed", c);
    return 0;
}

int coupons_main(int argc, char **argv)
{
    long long only = 0;
    if (argc < 2 || strcmp(argv[1], "reconcile") != 0 ||
        (argc == 4 && (strcmp(argv[2], "--id") || !parse_int64(argv[3], 1, 1LL << 53, &only))) ||
        (argc != 2 && argc != 4)) {
        fprintf(stderr, "usage: firstcome coupons reconcile [--id N]\n");
        return 2;
    }
    struct arena a;
    if (tool_begin("coupons", &a, TOOL_DB | TOOL_REDIS) < 0)
        return 1;
    int n = coupon_reconcile(&a, only);
    if (n < 0) {
        log_error("reconciliation failed");
        return 1;
    }
    printf("%d campaign(s) rebuilt from MySQL; the others agreed\n", n);
    return 0;
}
