/* fuzz_gates.c - the claim gate's and the rate limiter's replies as our code reads them:
 * RESP bytes made into reply trees by hiredis's reader (as the connection does), read by
 * coupon_gate_read (coupon_claim.lua's {outcome, coupons left} per user of a batch; the first
 * byte sets the batch's size, 1 to 8) and ratelimit_read (rate_limit.lua's {count, seconds
 * left}). Checked: a reply read as the gate's gives every user an outcome the script can give
 * (-2 to 4) and a count left of at least 0, taken from the reply's own integers, and one that is
 * not read gives every user COUPON_GATE_NO_ANSWER; a limiter's reply read has a count of at
 * least 1 from an array of two integers. */
#include <assert.h>
#include <hiredis/hiredis.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "domain/coupons.h"
#include "domain/ratelimit.h"
#include "resp.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t n); /* libFuzzer's entry */

static void read_both(const redisReply *r, void *arg)
{
    int users = *(const int *)arg;
    int outcomes[8];
    long long left[8];
    if (coupon_gate_read(r, users, outcomes, left) == 0) {
        assert(r->type == REDIS_REPLY_ARRAY && r->elements == (size_t)(2 * users));
        for (int i = 0; i < users; i++) {
            assert(outcomes[i] >= -2 && outcomes[i] <= 4 && left[i] >= 0);
            assert(r->element[2 * i]->integer == outcomes[i]);
            assert(r->element[2 * i + 1]->integer == left[i]);
        }
    } else {
        for (int i = 0; i < users; i++)
            assert(outcomes[i] == COUPON_GATE_NO_ANSWER && left[i] == 0);
    }
    long long count, ttl;
    if (ratelimit_read(r, &count, &ttl))
        assert(r->type == REDIS_REPLY_ARRAY && r->elements == 2 && count >= 1 &&
               r->element[0]->integer == count && r->element[1]->integer == ttl);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t n)
{
    if (n == 0)
        return 0;
    int users = 1 + data[0] % 8;
    int outcomes[8];
    long long left[8];
    assert(coupon_gate_read(NULL, users, outcomes, left) == -1);
    resp_each_reply(data + 1, n - 1, read_both, &users);
    return 0;
}
