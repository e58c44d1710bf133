/* fuzz_rooms.c - the waiting rooms' script replies as rooms.c reads them (domain/room_replies.c):
 * RESP bytes made into replies by hiredis's reader, each read as room_where.lua's (and the place
 * it means, for a room admitting 1 to 100000 people a second, set by the first byte),
 * room_join.lua's, room_tick.lua's, room_pass.lua's, room_arrive.lua's and room_leave.lua's.
 * Checked: what a reader accepts is an array of integers of its script's length (an integer for
 * arrive and leave) with a state the script gives and counts from 0 to 2^53, taken from the
 * reply; a place is admitted, waiting, prequeue or out, with no one ahead and no wait but when
 * waiting, and then as many ahead as tickets between, less those who left, and a wait of at least
 * a second; a turn's start leaves a pass expiry written in 20 characters. */
#include <assert.h>
#include <hiredis/hiredis.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "core/text.h"
#include "domain/room_replies.h"
#include "resp.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t n); /* libFuzzer's entry */

static long long at(const redisReply *r, size_t i)
{
    assert(r->type == REDIS_REPLY_ARRAY && i < r->elements);
    assert(r->element[i]->type == REDIS_REPLY_INTEGER);
    return r->element[i]->integer;
}

static bool counts(long long v)
{
    return v >= 0 && v <= ROOM_COUNT_MAX;
}

static void place(const struct room_where *w, long long rate)
{
    json_t *p = room_place_of(42, rate, w);
    assert(p);
    const char *state = json_string_value(json_object_get(p, "state"));
    long long ticket = json_integer_value(json_object_get(p, "ticket")),
              ahead = json_integer_value(json_object_get(p, "ahead")),
              wait = json_integer_value(json_object_get(p, "wait_seconds"));
    assert(state && json_integer_value(json_object_get(p, "room_id")) == 42);
    assert(json_integer_value(json_object_get(p, "waiting_before_start")) == w->pre);
    if (!strcmp(state, "waiting")) {
        assert(w->state == 1 && ticket == w->ticket && w->ticket > w->serving);
        assert(ahead == w->ticket - w->serving - 1 - w->gone && ahead >= 0 && ahead < ticket);
        assert(wait == ahead / rate + 1);
        return json_decref(p);
    }
    assert(ahead == 0 && wait == 0);
    if (!strcmp(state, "admitted"))
        assert(w->state == 1 && ticket == w->ticket && ticket >= 1 && ticket <= w->serving);
    else
        assert(ticket == 0 &&
               (strcmp(state, "prequeue") ? w->state != 0 && w->state != 1 : w->state == 0));
    json_decref(p);
}

static void read_all(const redisReply *r, void *arg)
{
    long long rate = *(const long long *)arg, state, admitted, start;
    struct room_where w;
    if (room_where_read(r, &w) == 0) {
        assert(r->elements == 6 && w.state == at(r, 0) && w.ticket == at(r, 1) &&
               w.serving == at(r, 2) && w.issued == at(r, 3) && w.pre == at(r, 4) &&
               w.gone == at(r, 5));
        assert(w.state == 1 || w.state == 0 || w.state == -3 || w.state == -1);
        assert(counts(w.ticket) && counts(w.serving) && counts(w.issued) && counts(w.pre) &&
               counts(w.gone));
        place(&w, rate);
    }
    if (room_join_read(r, &state) == 0)
        assert(r->elements == 2 && state == at(r, 0) && state >= -3 && state <= 1 &&
               counts(at(r, 1)));
    if (room_tick_read(r, &state, &admitted) == 0)
        assert(r->elements == 3 && state == at(r, 0) && state >= -1 && state <= 1 &&
               counts(at(r, 1)) && admitted == at(r, 2) && counts(admitted));
    if (room_pass_read(r, &start) == 0) {
        assert(r->elements == 2 && at(r, 0) == (start > 0) && at(r, 1) == start);
        char expiry[21];
        format_iso_time((time_t)(start + 3600), expiry); /* the longest turn */
        assert(strlen(expiry) == 20);
    }
    if (room_arrive_read(r, &state) == 0)
        assert(r->type == REDIS_REPLY_INTEGER && r->integer == state && state >= 0 && state <= 2);
    if (room_leave_read(r) == 0)
        assert(r->type == REDIS_REPLY_INTEGER && (r->integer == 0 || r->integer == 1));
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t n)
{
    if (n == 0)
        return 0;
    static const long long rates[] = {1, 2, 7, 100, 1000, 100000};
    long long rate = rates[data[0] % (sizeof(rates) / sizeof(rates[0]))];
    assert(room_where_read(NULL, &(struct room_where){0}) == -1 && room_leave_read(NULL) == -1);
    resp_each_reply(data + 1, n - 1, read_all, &rate);
    return 0;
}
