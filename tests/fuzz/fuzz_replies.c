/* fuzz_replies.c - a Lua script's reply as our code reads it: RESP bytes made into a reply tree
 * by hiredis's reader (as the connection does), then read by stock_reserve_outcome_of (what
 * stock_reserve.lua answered a checkout). Checked: the outcome is one the callers know, and any
 * outcome but STOCK_NO_ANSWER comes from a reply of the script's shape, {outcome, ...}, whose
 * first element is that outcome; a missing reply is STOCK_NO_ANSWER. */
#include <assert.h>
#include <hiredis/hiredis.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "domain/stock.h"
#include "resp.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t n); /* libFuzzer's entry */

static void reserve(const redisReply *r, void *arg)
{
    (void)arg;
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

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t n)
{
    assert(stock_reserve_outcome_of(NULL) == STOCK_NO_ANSWER);
    resp_each_reply(data, n, reserve, NULL);
    return 0;
}
