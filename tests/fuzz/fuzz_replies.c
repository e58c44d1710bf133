/* fuzz_replies.c - the stock and coupon scripts' replies as our code reads them: RESP bytes made
 * into a reply tree by hiredis's reader (as the connection does), then read by
 * stock_reserve_outcome_of (what stock_reserve.lua answered a checkout), stock_adjust_outcome_of
 * (stock_adjust.lua: an admin's change of stock), stock_load_answered and coupon_load_read (the
 * loads from MySQL, stock_load.lua and coupon_load.lua). Checked: an outcome is one the callers
 * know, and any but "no answer" (STOCK_NO_ANSWER, STOCK_ADJUST_FAILED, -1) comes from a reply of
 * the script's shape whose (first) integer is that outcome; a missing reply is no answer. */
#include <assert.h>
#include <hiredis/hiredis.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "domain/coupons.h"
#include "domain/stock.h"
#include "resp.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t n); /* libFuzzer's entry */

static void reserve(const redisReply *r)
{
    enum stock_reserve_outcome o = stock_reserve_outcome_of(r);
    switch (o) {
    case STOCK_NO_ANSWER:
        return;
    case STOCK_RESERVED:
    case STOCK_SOLD_OUT:
    case STOCK_NOT_STARTED:
    case STOCK_OVER_LIMIT:
    case STOCK_NOT_LOADED:
        assert(r && r->type == REDIS_REPLY_ARRAY && r->elements >= 1);
        assert(r->element[0]->type == REDIS_REPLY_INTEGER && r->element[0]->integer == o);
        return;
    }
    assert(!"an outcome the callers do not know");
}

static void adjust(const redisReply *r)
{
    enum stock_adjust_outcome o = stock_adjust_outcome_of(r);
    if (o == STOCK_ADJUST_FAILED)
        return;
    assert(o == STOCK_ADJUSTED || o == STOCK_ADJUST_REFUSED || o == STOCK_ADJUST_NOT_LOADED);
    assert(r->type == REDIS_REPLY_INTEGER && r->integer == o);
}

static void loads(const redisReply *r)
{
    if (stock_load_answered(r))
        assert(r->type == REDIS_REPLY_INTEGER && r->integer == 1);
    int loaded = coupon_load_read(r);
    assert(loaded >= -1 && loaded <= 1);
    if (loaded >= 0)
        assert(r->type == REDIS_REPLY_INTEGER && r->integer == loaded);
}

static void read_all(const redisReply *r, void *arg)
{
    (void)arg;
    reserve(r);
    adjust(r);
    loads(r);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t n)
{
    assert(stock_reserve_outcome_of(NULL) == STOCK_NO_ANSWER);
    assert(stock_adjust_outcome_of(NULL) == STOCK_ADJUST_FAILED && !stock_load_answered(NULL) &&
           coupon_load_read(NULL) == -1);
    resp_each_reply(data, n, read_all, NULL);
    return 0;
}
