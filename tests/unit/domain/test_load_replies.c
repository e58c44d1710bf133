/* test_load_replies.c - stock_adjust.lua's, stock_load.lua's and coupon_load.lua's replies read
 * (domain/stock.c, domain/coupons.c): the script's answers, and nothing else taken for one. */
#include <criterion/criterion.h>

#include "domain/coupons.h"
#include "domain/stock.h"
#include "store/redis.h"

static redisReply integer(long long v)
{
    return (redisReply){.type = REDIS_REPLY_INTEGER, .integer = v};
}

Test(load_replies, a_stock_change_is_read_as_the_script_answered_it)
{
    redisReply r = integer(1);
    cr_assert_eq(stock_adjust_outcome_of(&r), STOCK_ADJUSTED);
    r = integer(-1);
    cr_assert_eq(stock_adjust_outcome_of(&r), STOCK_ADJUST_REFUSED);
    r = integer(-2);
    cr_assert_eq(stock_adjust_outcome_of(&r), STOCK_ADJUST_NOT_LOADED);
}

Test(load_replies, a_stock_change_reply_the_script_cannot_give_is_no_answer)
{
    redisReply r = integer(4294967297LL); /* a cast to the enum read this as 1, adjusted */
    cr_assert_eq(stock_adjust_outcome_of(&r), STOCK_ADJUST_FAILED);
    r = integer(0);
    cr_assert_eq(stock_adjust_outcome_of(&r), STOCK_ADJUST_FAILED);
    r = (redisReply){.type = REDIS_REPLY_NIL};
    cr_assert_eq(stock_adjust_outcome_of(&r), STOCK_ADJUST_FAILED);
    cr_assert_eq(stock_adjust_outcome_of(NULL), STOCK_ADJUST_FAILED);
}

Test(load_replies, a_load_is_answered_only_by_its_scripts_integers)
{
    redisReply one = integer(1), zero = integer(0), two = integer(2);
    cr_assert(stock_load_answered(&one));
    cr_assert(!stock_load_answered(&zero) && !stock_load_answered(NULL));
    cr_assert_eq(coupon_load_read(&one), 1);
    cr_assert_eq(coupon_load_read(&zero), 0);
    cr_assert_eq(coupon_load_read(&two), -1);
    cr_assert_eq(coupon_load_read(NULL), -1);
}
