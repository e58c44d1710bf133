/* outcomes.c - counts by outcome per campaign and product, in shared memory (see outcomes.h). */
#include "core/outcomes.h"

#include <stdint.h>
#include <string.h>
#include <sys/mman.h>

/* The first PROVING outcomes are the ones only an item that exists can have (the gate or the
 * order decided them): they may take a row. The others (a refusal before the item was looked
 * at, a store failure, an unknown id) count only for an item that has a row, so that requests
 * for made-up ids cannot fill the table. */
#define PROVING 10
const char *const outcome_names[OUTCOMES_N] = {
    "claimed",          "ordered",         "paid",           "payment_declined",
    "sold_out",         "already_claimed", "limit_exceeded", "not_started",
    "sale_not_started", "ended",           "rate_limited",   "email_not_verified",
    "unavailable",      "outcome_unknown", "not_found",      "other"};

/* One item's row. key is 0 while the row is free; a worker takes it by compare-and-swap. */
struct row {
    uint64_t key;
    uint64_t n[OUTCOMES_N];
};

struct table {
    uint64_t dropped;
    struct row rows[OUTCOMES_MAX_ITEMS];
};

static struct table *table;

int outcomes_init(void)
{
    table = mmap(NULL, sizeof(*table), PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
    if (table == MAP_FAILED) {
        table = NULL;
        return -1;
    }
    return 0;
}

static uint64_t key_of(enum outcome_item kind, long long id)
{
    return (uint64_t)kind << 56 | ((uint64_t)id & ((UINT64_C(1) << 56) - 1));
}

/* The item's row, taken when create and it has none; NULL when absent or the table is full.
 * Open addressing with linear probing: rows are never given back, so a probe stops at the
 * first free row. */
static struct row *row_of(uint64_t key, bool create)
{
    uint64_t h = key * UINT64_C(0x9e3779b97f4a7c15);
    for (size_t k = 0; k < OUTCOMES_MAX_ITEMS; k++) {
        struct row *r = &table->rows[(h + k) % OUTCOMES_MAX_ITEMS];
        uint64_t at = __atomic_load_n(&r->key, __ATOMIC_ACQUIRE);
        if (at == key)
            return r;
        if (at != 0)
            continue;
        if (!create)
            return NULL;
        uint64_t expected = 0;
        if (__atomic_compare_exchange_n(&r->key, &expected, key, false, __ATOMIC_ACQ_REL,
                                        __ATOMIC_ACQUIRE) ||
            expected == key)
            return r;
    }
    return NULL;
}

void outcome_count(enum outcome_item kind, long long id, const char *outcome)
{
    if (!table || id <= 0)
        return;
    size_t i = OUTCOMES_N - 1;
    for (size_t k = 0; k + 1 < OUTCOMES_N; k++)
        if (outcome && !strcmp(outcome_names[k], outcome))
            i = k;
    bool proving = i < PROVING;
    struct row *r = row_of(key_of(kind, id), proving);
    if (!r) {
        if (proving)
            __atomic_add_fetch(&table->dropped, 1, __ATOMIC_RELAXED);
        return;
    }
    __atomic_add_fetch(&r->n[i], 1, __ATOMIC_RELAXED);
}

bool outcome_counts(enum outcome_item kind, long long id, unsigned long long counts[OUTCOMES_N])
{
    memset(counts, 0, sizeof(unsigned long long) * OUTCOMES_N);
    struct row *r = table && id > 0 ? row_of(key_of(kind, id), false) : NULL;
    if (!r)
        return false;
    for (size_t i = 0; i < OUTCOMES_N; i++)
        counts[i] = __atomic_load_n(&r->n[i], __ATOMIC_RELAXED);
    return true;
}

void outcomes_render(struct strbuf *out)
{
    if (!table)
        return;
    sb_adds(out, "# HELP firstcome_item_outcomes_total Claims of each coupon campaign and orders"
                 " and payments of each product, by outcome.\n"
                 "# TYPE firstcome_item_outcomes_total counter\n");
    for (size_t k = 0; k < OUTCOMES_MAX_ITEMS; k++) {
        struct row *r = &table->rows[k];
        uint64_t key = __atomic_load_n(&r->key, __ATOMIC_ACQUIRE);
        if (!key)
            continue;
        const char *kind = key >> 56 == OUTCOME_CAMPAIGN ? "campaign" : "product";
        unsigned long long id = key & ((UINT64_C(1) << 56) - 1);
        for (size_t i = 0; i < OUTCOMES_N; i++) {
            uint64_t v = __atomic_load_n(&r->n[i], __ATOMIC_RELAXED);
            if (v)
                sb_printf(out,
                          "firstcome_item_outcomes_total{item=\"%s\",id=\"%llu\",outcome=\"%s\"}"
                          " %llu\n",
                          kind, id, outcome_names[i], (unsigned long long)v);
        }
    }
    sb_printf(out,
              "# HELP firstcome_item_outcomes_dropped_total Outcomes not counted: more items than"
              " the table holds.\n"
              "# TYPE firstcome_item_outcomes_dropped_total counter\n"
              "firstcome_item_outcomes_dropped_total %llu\n",
              (unsigned long long)__atomic_load_n(&table->dropped, __ATOMIC_RELAXED));
}
