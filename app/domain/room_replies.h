/* room_replies.h - what the waiting rooms' scripts (app/lua/room_*.lua) answer, read by rooms.c:
 * each reply checked against what its script can give before a number in it is used. Lua's
 * numbers are doubles, so no count or time the scripts give is beyond 2^53. Each reader returns
 * 0, or -1 when the reply is not of its script's shape (the caller's store failed). */
#ifndef FC_ROOM_REPLIES_H
#define FC_ROOM_REPLIES_H
#include <jansson.h>

#define ROOM_COUNT_MAX 9007199254740992LL /* 2^53 */
/* The last turn start read: a turn of the longest pass (3600 s) ends before the year 10000. */
#define ROOM_TURN_START_MAX (253402300799LL - 3600)

struct redisReply;

/* room_where.lua's {state, ticket, serving, issued, waiting before the start, people ahead who
 * left}: state 1 (a ticket, from 1), 0 (in the pre-queue), -3 (not in the room) or -1 (the room
 * is not loaded); the counts from 0 to 2^53, the ticket 0 but with state 1, and the people who
 * left no more than the tickets between the highest admitted and the person's. */
struct room_where {
    long long state, ticket, serving, issued, pre, gone;
};
int room_where_read(const struct redisReply *r, struct room_where *w);
/* The place it means (see room_place in rooms.h), for a room admitting rate people a second. */
json_t *room_place_of(long long room_id, long long rate, const struct room_where *w);

/* room_join.lua's {state, ticket}: state 1 (a ticket, from 1), 0, -1, -2 or -3 (ticket 0). */
int room_join_read(const struct redisReply *r, long long *state);
/* room_tick.lua's {state, serving, admitted now}: state 1, 0 or -1, the counts from 0 to 2^53. */
int room_tick_read(const struct redisReply *r, long long *state, long long *admitted);
/* room_pass.lua's {1, turn start} (unix seconds, 1 to ROOM_TURN_START_MAX) or {0, 0} (not
 * admitted): *start is the start, or 0. */
int room_pass_read(const struct redisReply *r, long long *start);
/* room_arrive.lua's 0 (still off), 1 (on) or 2 (this arrival turned it on): *state. */
int room_arrive_read(const struct redisReply *r, long long *state);
/* room_leave.lua's 1 (a place given up) or 0. */
int room_leave_read(const struct redisReply *r);

#endif
