/* test_outcomes.c - counts by outcome per campaign and product (core/outcomes.c), as the live
 * view and /metrics read them, seen across a fork as the web workers share them. */
#include <criterion/criterion.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "core/arena.h"
#include "core/outcomes.h"

static size_t index_of(const char *name)
{
    for (size_t i = 0; i < OUTCOMES_N; i++)
        if (!strcmp(outcome_names[i], name))
            return i;
    cr_assert_fail("no outcome %s", name);
    return 0;
}

Test(outcomes, counted_per_item_and_outcome_across_processes)
{
    unsigned long long n[OUTCOMES_N];
    outcome_count(OUTCOME_CAMPAIGN, 7, "claimed"); /* before init: nothing, no crash */
    cr_assert_eq(outcomes_init(), 0);
    cr_assert_not(outcome_counts(OUTCOME_CAMPAIGN, 7, n), "nothing counted yet");
    pid_t pid = fork();
    if (pid == 0) { /* another worker */
        outcome_count(OUTCOME_CAMPAIGN, 7, "claimed");
        outcome_count(OUTCOME_CAMPAIGN, 7, "sold_out");
        _exit(0);
    }
    waitpid(pid, NULL, 0);
    outcome_count(OUTCOME_CAMPAIGN, 7, "claimed");
    outcome_count(OUTCOME_CAMPAIGN, 7, "no_such_code");
    outcome_count(OUTCOME_PRODUCT, 7, "ordered");
    cr_assert(outcome_counts(OUTCOME_CAMPAIGN, 7, n));
    cr_assert_eq(n[index_of("claimed")], 2);
    cr_assert_eq(n[index_of("sold_out")], 1);
    cr_assert_eq(n[index_of("other")], 1, "an unknown code counts as other");
    cr_assert_eq(n[index_of("ordered")], 0, "product 7 is another item than campaign 7");
    cr_assert(outcome_counts(OUTCOME_PRODUCT, 7, n));
    cr_assert_eq(n[index_of("ordered")], 1);
    /* A refusal that does not prove the item exists takes no row: made-up ids fill nothing. */
    outcome_count(OUTCOME_CAMPAIGN, 99, "rate_limited");
    outcome_count(OUTCOME_CAMPAIGN, 99, "not_found");
    cr_assert_not(outcome_counts(OUTCOME_CAMPAIGN, 99, n));
    outcome_count(OUTCOME_CAMPAIGN, 7, "rate_limited"); /* a known item counts it */
    cr_assert(outcome_counts(OUTCOME_CAMPAIGN, 7, n));
    cr_assert_eq(n[index_of("rate_limited")], 1);

    struct arena a;
    arena_init(&a, 4096);
    struct strbuf out;
    sb_init(&out, &a, 256);
    outcomes_render(&out);
    cr_assert(strstr(out.s, "firstcome_item_outcomes_total{item=\"campaign\",id=\"7\","
                            "outcome=\"claimed\"} 2\n"),
              "%s", out.s);
    cr_assert(strstr(out.s, "{item=\"product\",id=\"7\",outcome=\"ordered\"} 1\n"));
    cr_assert_null(strstr(out.s, "outcome=\"paid\""), "zero counts are left out");

    /* A full table drops the counts of further items, and says so. */
    for (long long id = 1000; id < 1000 + OUTCOMES_MAX_ITEMS; id++)
        outcome_count(OUTCOME_PRODUCT, id, "ordered");
    cr_assert(outcome_counts(OUTCOME_CAMPAIGN, 7, n), "rows already taken keep counting");
    cr_assert_eq(n[index_of("claimed")], 2);
    sb_init(&out, &a, 256);
    outcomes_render(&out);
    cr_assert(strstr(out.s, "firstcome_item_outcomes_dropped_total 2\n"), "%s",
              strstr(out.s, "dropped_total"));
    arena_free(&a);
}
