/* test_room_replies.c - the waiting rooms' script replies read (domain/room_replies.c): what each
 * script can answer is read, anything else is refused before a number in it is used. */
#include <criterion/criterion.h>
#include <hiredis/hiredis.h>
#include <hiredis/read.h>
#include <string.h>

#include "domain/room_replies.h"

/* A reply tree as the connection would make it from RESP bytes. */
static redisReply *reply_of(const char *resp)
{
    redisReader *rd = redisReaderCreate();
    void *r = NULL;
    redisReaderFeed(rd, resp, strlen(resp));
    cr_assert_eq(redisReaderGetReply(rd, &r), REDIS_OK);
    cr_assert_not_null(r);
    redisReaderFree(rd);
    return r;
}

static int where_of(const char *resp, struct room_where *w)
{
    redisReply *r = reply_of(resp);
    int rc = room_where_read(r, w);
    freeReplyObject(r);
    return rc;
}

/* The place room_where.lua's reply means in a room admitting 7 people a second. */
static json_t *place_of(const char *resp)
{
    struct room_where w;
    cr_assert_eq(where_of(resp, &w), 0, "%s", resp);
    return room_place_of(9, 7, &w);
}

Test(room_replies, a_waiting_place_counts_the_tickets_between_less_those_who_left)
{
    json_t *p = place_of("*6\r\n:1\r\n:57\r\n:40\r\n:120\r\n:0\r\n:3\r\n");
    cr_assert_str_eq(json_string_value(json_object_get(p, "state")), "waiting");
    cr_assert_eq(json_integer_value(json_object_get(p, "ticket")), 57);
    cr_assert_eq(json_integer_value(json_object_get(p, "ahead")), 13); /* 41..56 less 3 */
    cr_assert_eq(json_integer_value(json_object_get(p, "wait_seconds")), 2);
    json_decref(p);
}

Test(room_replies, a_ticket_at_or_below_the_highest_admitted_is_admitted)
{
    json_t *p = place_of("*6\r\n:1\r\n:40\r\n:40\r\n:120\r\n:0\r\n:0\r\n");
    cr_assert_str_eq(json_string_value(json_object_get(p, "state")), "admitted");
    cr_assert_eq(json_integer_value(json_object_get(p, "ahead")), 0);
    json_decref(p);
}

Test(room_replies, where_replies_the_script_cannot_give_are_refused)
{
    static const char *const bad[] = {
        "*6\r\n:1\r\n:57\r\n:40\r\n:120\r\n:0\r\n:17\r\n", /* more left than tickets between */
        "*6\r\n:1\r\n:0\r\n:40\r\n:120\r\n:0\r\n:0\r\n",   /* a ticket of 0 */
        "*6\r\n:2\r\n:0\r\n:0\r\n:0\r\n:0\r\n:0\r\n",      /* no such state */
        "*6\r\n:1\r\n:9223372036854775807\r\n:-9223372036854775808\r\n:0\r\n:0\r\n:0\r\n",
        "*6\r\n:1\r\n:9007199254740993\r\n:0\r\n:0\r\n:0\r\n:0\r\n", /* beyond 2^53 */
        "*5\r\n:1\r\n:57\r\n:40\r\n:120\r\n:0\r\n",
        "*6\r\n:1\r\n$2\r\n57\r\n:40\r\n:120\r\n:0\r\n:0\r\n",
        "-ERR oom\r\n",
    };
    struct room_where w;
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
        cr_assert_eq(where_of(bad[i], &w), -1, "%s", bad[i]);
    cr_assert_eq(room_where_read(NULL, &w), -1);
}

Test(room_replies, a_turn_starts_at_a_time_its_pass_expiry_can_be_written_in)
{
    long long start = -1;
    redisReply *r = reply_of("*2\r\n:1\r\n:1796553600\r\n");
    cr_assert_eq(room_pass_read(r, &start), 0);
    cr_assert_eq(start, 1796553600);
    freeReplyObject(r);
    r = reply_of("*2\r\n:0\r\n:0\r\n");
    cr_assert_eq(room_pass_read(r, &start), 0);
    cr_assert_eq(start, 0);
    freeReplyObject(r);
    static const char *const bad[] = {"*2\r\n:1\r\n:253402300799\r\n", "*2\r\n:1\r\n:0\r\n",
                                      "*2\r\n:0\r\n:5\r\n", "*1\r\n:1\r\n"};
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        r = reply_of(bad[i]);
        cr_assert_eq(room_pass_read(r, &start), -1, "%s", bad[i]);
        freeReplyObject(r);
    }
}

Test(room_replies, join_tick_arrive_and_leave_read_only_their_scripts_answers)
{
    long long state = 9, admitted = 9;
    redisReply *r = reply_of("*2\r\n:-3\r\n:0\r\n");
    cr_assert_eq(room_join_read(r, &state), 0);
    cr_assert_eq(state, -3);
    freeReplyObject(r);
    r = reply_of("*2\r\n:1\r\n:0\r\n"); /* a ticket of 0 */
    cr_assert_eq(room_join_read(r, &state), -1);
    freeReplyObject(r);
    r = reply_of("*3\r\n:1\r\n:140\r\n:20\r\n");
    cr_assert_eq(room_tick_read(r, &state, &admitted), 0);
    cr_assert_eq(admitted, 20);
    freeReplyObject(r);
    r = reply_of("*3\r\n:1\r\n:140\r\n:-20\r\n");
    cr_assert_eq(room_tick_read(r, &state, &admitted), -1);
    freeReplyObject(r);
    r = reply_of(":2\r\n");
    cr_assert_eq(room_arrive_read(r, &state), 0);
    cr_assert_eq(state, 2);
    cr_assert_eq(room_leave_read(r), -1);
    freeReplyObject(r);
    r = reply_of(":3\r\n");
    cr_assert_eq(room_arrive_read(r, &state), -1);
    freeReplyObject(r);
}
