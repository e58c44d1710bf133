/* room_replies.c - the waiting rooms' script replies read and checked (see room_replies.h). */
#include "domain/room_replies.h"

#include <stdbool.h>

#include "store/redis.h"

/* Whether r is an array of n integers. */
static bool integers(const redisReply *r, size_t n)
{
    if (!r || r->type != REDIS_REPLY_ARRAY || r->elements != n)
        return false;
    for (size_t i = 0; i < n; i++)
        if (r->element[i]->type != REDIS_REPLY_INTEGER)
            return false;
    return true;
}

static bool count(long long v)
{
    return v >= 0 && v <= ROOM_COUNT_MAX;
}

int room_where_read(const redisReply *r, struct room_where *w)
{
    if (!integers(r, 6))
        return -1;
    *w =
        (struct room_where){r->element[0]->integer, r->element[1]->integer, r->element[2]->integer,
                            r->element[3]->integer, r->element[4]->integer, r->element[5]->integer};
    if (w->state != 1 && w->state != 0 && w->state != -3 && w->state != -1)
        return -1;
    if (!count(w->ticket) || !count(w->serving) || !count(w->issued) || !count(w->pre) ||
        !count(w->gone) || (w->state == 1) != (w->ticket > 0))
        return -1;
    /* ZCOUNT of the left tickets strictly between the highest admitted and the person's */
    long long between = w->ticket > w->serving + 1 ? w->ticket - w->serving - 1 : 0;
    return w->gone <= between ? 0 : -1;
}

json_t *room_place_of(long long room_id, long long rate, const struct room_where *w)
{
    bool ticket = w->state == 1, waiting = ticket && w->ticket > w->serving;
    const char *name = ticket          ? (waiting ? "waiting" : "admitted")
                       : w->state == 0 ? "prequeue"
                                       : "out";
    long long ahead = waiting ? w->ticket - w->serving - 1 - w->gone : 0;
    if (rate < 1)
        rate = 1;
    return json_pack("{s:I, s:s, s:I, s:I, s:I, s:I}", "room_id", (json_int_t)room_id, "state",
                     name, "ticket", (json_int_t)w->ticket, "ahead", (json_int_t)ahead,
                     "wait_seconds", (json_int_t)(waiting ? (ahead + rate) / rate : 0),
                     "waiting_before_start", (json_int_t)w->pre);
}

int room_join_read(const redisReply *r, long long *state)
{
    if (!integers(r, 2))
        return -1;
    long long s = r->element[0]->integer, ticket = r->element[1]->integer;
    if (s < -3 || s > 1 || !count(ticket) || (s == 1) != (ticket > 0))
        return -1;
    *state = s;
    return 0;
}

int room_tick_read(const redisReply *r, long long *state, long long *admitted)
{
    if (!integers(r, 3))
        return -1;
    long long s = r->element[0]->integer;
    if (s < -1 || s > 1 || !count(r->element[1]->integer) || !count(r->element[2]->integer))
        return -1;
    *state = s;
    *admitted = r->element[2]->integer;
    return 0;
}

int room_pass_read(const redisReply *r, long long *start)
{
    if (!integers(r, 2))
        return -1;
    long long s = r->element[0]->integer, at = r->element[1]->integer;
    if (!(s == 0 && at == 0) && !(s == 1 && at >= 1 && at <= ROOM_TURN_START_MAX))
        return -1;
    *start = at;
    return 0;
}

int room_arrive_read(const redisReply *r, long long *state)
{
    if (!r || r->type != REDIS_REPLY_INTEGER || r->integer < 0 || r->integer > 2)
        return -1;
    *state = r->integer;
    return 0;
}

int room_leave_read(const redisReply *r)
{
    return r && r->type == REDIS_REPLY_INTEGER && (r->integer == 0 || r->integer == 1) ? 0 : -1;
}
