/* test_order_moves.c - the order state machine (order_may, domain/orders.c): which moves its
 * table allows from each status, and the clock's part (expiry, the return window). No store. */
#include <criterion/criterion.h>
#include <jansson.h>
#include <time.h>

#include "core/config.h"
#include "core/text.h"
#include "domain/orders.h"

#define DAY 86400

/* An order row as order_lock reads it. */
static json_t *row(const char *status, int expired, long delivered_ago)
{
    char at[32] = "";
    if (delivered_ago >= 0)
        format_iso_time(time(NULL) - delivered_ago, at);
    return json_pack("{s:s, s:i, s:s?}", "status", status, "expired", expired, "delivered_at",
                     delivered_ago >= 0 ? at : NULL);
}

static bool may(const char *status, const char *to)
{
    json_t *o = row(status, 0, -1);
    bool ok = order_may(o, to);
    json_decref(o);
    return ok;
}

static void setup(void)
{
    cfg.return_window = 7 * DAY;
}

TestSuite(order_may, .init = setup);

Test(order_may, an_unpaid_order_may_be_paid_declined_expired_or_cancelled)
{
    cr_assert(may("pending_payment", "paid"));
    cr_assert(may("pending_payment", "payment_failed"));
    cr_assert(may("pending_payment", "expired"));
    cr_assert(may("pending_payment", "cancelled"));
    cr_assert_not(may("pending_payment", "shipping"));
    cr_assert_not(may("pending_payment", "return_requested"));
}

Test(order_may, an_order_is_cancelled_only_before_it_ships)
{
    cr_assert(may("paid", "cancelled"));
    cr_assert(may("preparing", "cancelled"));
    cr_assert_not(may("shipping", "cancelled"));
    cr_assert_not(may("delivered", "cancelled"));
    cr_assert_not(may("cancelled", "cancelled"), "a second cancel is refused");
}

Test(order_may, the_terminal_states_go_nowhere)
{
    const char *terminal[] = {"payment_failed", "expired", "cancelled", "returned"};
    const char *to[] = {"paid", "cancelled", "preparing", "return_requested", "returned"};
    for (size_t i = 0; i < sizeof(terminal) / sizeof(*terminal); i++)
        for (size_t k = 0; k < sizeof(to) / sizeof(*to); k++)
            cr_assert_not(may(terminal[i], to[k]), "%s -> %s", terminal[i], to[k]);
}

Test(order_may, an_unpaid_order_past_its_expiry_cannot_be_paid_but_can_be_cancelled)
{
    json_t *o = row("pending_payment", 1, -1);
    cr_assert_not(order_may(o, "paid"));
    cr_assert(order_may(o, "cancelled"));
    json_decref(o);
}

Test(order_may, a_delivered_order_is_returned_only_within_the_window)
{
    json_t *fresh = row("delivered", 0, 2 * DAY), *late = row("delivered", 0, 8 * DAY),
           *unknown = row("delivered", 0, -1);
    cr_assert(order_may(fresh, "return_requested"));
    cr_assert_not(order_may(late, "return_requested"));
    cr_assert_not(order_may(unknown, "return_requested"), "no delivery time, no return");
    cfg.return_window = 10 * DAY;
    cr_assert(order_may(late, "return_requested"), "RETURN_WINDOW decides");
    json_decref(fresh);
    json_decref(late);
    json_decref(unknown);
}

Test(order_may, the_pipeline_moves_follow_the_table)
{
    cr_assert(may("paid", "preparing"));
    cr_assert(may("preparing", "shipping"));
    cr_assert(may("shipping", "delivered"));
    cr_assert(may("return_requested", "returned"));
    cr_assert_not(may("paid", "shipping"), "no step is skipped");
    cr_assert_not(may("shipping", "preparing"), "no step goes back");
}
