/* test_metrics.c - the routes' latency readings the live view takes from the shared counters
 * (core/metrics.c): route lookup by name and a quantile of the requests between two readings. */
#include <criterion/criterion.h>

#include "core/metrics.h"

static const char *const names[] = {"GET /livez", "POST /api/v1/coupons/{id}/claim"};

Test(metrics, quantile_of_the_requests_between_two_readings)
{
    cr_assert_eq(metrics_init(names, 2), 0);
    cr_assert_eq(metrics_route("POST /api/v1/coupons/{id}/claim"), 1);
    cr_assert_eq(metrics_route("POST /nowhere"), -1);
    int claim = metrics_route("POST /api/v1/coupons/{id}/claim");
    for (int i = 0; i < 50; i++)
        metrics_record(claim, 201, 0.0004); /* before: not counted between the readings */
    struct metrics_latency before = {0}, after = {0};
    metrics_add_latency(claim, &before);
    cr_assert_eq(metrics_quantile(&before, &before, 0.99), -1, "no request between");
    for (int i = 0; i < 98; i++)
        metrics_record(claim, 201, 0.0008);
    metrics_record(claim, 201, 0.02);
    metrics_record(claim, 410, 0.02);
    metrics_record(0, 200, 9); /* another route */
    metrics_add_latency(claim, &after);
    cr_assert_float_eq(metrics_quantile(&before, &after, 0.5), 0.001, 1e-9);
    cr_assert_float_eq(metrics_quantile(&before, &after, 0.99), 0.025, 1e-9,
                       "the 99th of 100 falls in the 25 ms bucket");
    metrics_record(claim, 201, 7);
    metrics_record(claim, 201, 7);
    struct metrics_latency later = {0};
    metrics_add_latency(claim, &later);
    cr_assert_float_eq(metrics_quantile(&after, &later, 0.99), 2.5, 1e-9,
                       "beyond the largest bound reads as the largest bound");
}
