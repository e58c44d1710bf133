/* rooms_web.c - waiting rooms: an admin makes one for a sale (/api/v1/admin/rooms); a
 * signed-in person joins it and asks where they stand, through the API (/api/v1/rooms/{id}/join,
 * /place) or the waiting page (/rooms/{id}), which moves on to the sale when the pass comes. */
#include <string.h>
#include <time.h>

#include "core/text.h"
#include "domain/live.h"
#include "domain/rooms.h"
#include "web/api.h"
#include "web/auth.h"
#include "web/form.h"
#include "web/handlers.h"
#include "web/reply.h"

void api_admin_room_create(struct request *r)
{
    struct err e;
    json_t *b = api_body(r);
    if (b)
        reply_result(r, 201, "room", room_create(r->a, b, &e), &e);
}

/* PATCH {"on": true|false}: the room turned on or off. */
void api_admin_room_switch(struct request *r)
{
    struct err e;
    json_t *b = api_body(r);
    if (!b)
        return;
    json_t *on = json_object_get(b, "on");
    if (json_object_size(b) != 1 || !json_is_boolean(on)) {
        err_set(&e, 422, "invalid_room", "send {\"on\": true} or {\"on\": false}");
        return reply_err(r, &e);
    }
    reply_result(r, 200, "room", room_switch(r->a, req_param_id(r, 0), json_is_true(on), &e), &e);
}

/* The admin page's button: on=1 or on=0, then back to the list. */
void page_admin_room_switch(struct request *r)
{
    if (auth_check_csrf(r) < 0)
        return;
    struct err e;
    const char *on = req_form(r, "on");
    if (!on || (strcmp(on, "1") && strcmp(on, "0"))) {
        err_set(&e, 422, "invalid_room", "on must be 1 or 0");
        return reply_err(r, &e);
    }
    if (!room_switch(r->a, req_param_id(r, 0), !strcmp(on, "1"), &e))
        return reply_err(r, &e);
    resp_redirect(r, "/admin/rooms");
}

void api_room(struct request *r)
{
    struct err e;
    reply_result(r, 200, "room", room_get(r->a, req_param_id(r, 0), &e), &e);
}

void api_room_join(struct request *r)
{
    struct err e;
    reply_result(r, 200, "place", room_join(r->a, req_param_id(r, 0), auth_user(r)->id, &e), &e);
}

void api_room_leave(struct request *r)
{
    struct err e;
    reply_result(r, 200, "place", room_leave(r->a, req_param_id(r, 0), auth_user(r)->id, &e), &e);
}

void api_room_place(struct request *r)
{
    struct err e;
    reply_result(r, 200, "place", room_place(r->a, req_param_id(r, 0), auth_user(r)->id, &e), &e);
}

/* ---- the waiting page ---- */

/* The room's place for the person, with the pass (when it came) also set as the room_pass
 * cookie for the pages' claim and checkout, until it expires. */
static json_t *place_with_cookie(struct request *r, long long id, struct err *e)
{
    json_t *p = room_place(r->a, id, auth_user(r)->id, e);
    const char *pass = p ? json_string_value(json_object_get(p, "pass")) : NULL;
    time_t until;
    if (pass && parse_iso_time(json_string_value(json_object_get(p, "pass_expires_at")), &until))
        auth_set_room_pass(r, id, pass, (long)(until - time(NULL)));
    return p;
}

/* What a page says of a room that is off: {auto: {threshold}} when it turns itself on. */
static json_t *off_note(json_t *room)
{
    json_t *t = json_object_get(room, "threshold");
    return json_is_integer(t) ? json_pack("{s:{s:O}}", "auto", "threshold", t) : json_object();
}

void page_room(struct request *r)
{
    struct err e;
    long long id = req_param_id(r, 0);
    json_t *room = room_get(r->a, id, &e), *p = room ? place_with_cookie(r, id, &e) : NULL;
    if (!p)
        return reply_err(r, &e);
    json_t *item = json_object_get(room, "item");
    bool campaign = !strcmp(json_string_value(json_object_get(item, "kind")), "campaign");
    long long item_id = json_integer_value(json_object_get(item, "id"));
    json_t *named = live_item(r->a, campaign ? OUTCOME_CAMPAIGN : OUTCOME_PRODUCT, item_id, &e);
    if (!named)
        return reply_err(r, &e);
    const char *state = json_string_value(json_object_get(p, "state"));
    long long ticket = json_integer_value(json_object_get(p, "ticket")),
              ahead = json_integer_value(json_object_get(p, "ahead"));
    json_object_set_new(p, state, json_true()); /* the template's section for the state */
    if (!strcmp(state, "out") && req_cookie(r, arena_sprintf(r->a, "room_joined_%lld", id)))
        json_object_set_new(p, "lost", json_true());
    json_object_set_new(p, "progress",
                        json_integer(ticket > 0 ? (ticket - ahead - 1) * 100 / ticket : 0));
    json_object_set_new(room, "name", json_copy(json_object_get(named, "name")));
    json_object_set_new(
        room, "next",
        json_string(arena_sprintf(r->a, campaign ? "/coupons/%lld" : "/products/%lld", item_id)));
    json_object_set_new(room, "csrf", json_string(auth_csrf(r)));
    if (!json_is_true(json_object_get(room, "on"))) /* no queue now: the page says so */
        json_object_set_new(room, "off", off_note(room));
    time_t opens;
    json_object_set_new(
        room, "opens",
        json_integer(parse_iso_time(json_string_value(json_object_get(room, "opens_at")), &opens)
                         ? (json_int_t)opens
                         : 0));
    json_object_set_new(room, "place", p);
    reply_page(
        r, 200, "room.tpl",
        arena_sprintf(r->a, "Waiting room: %s", json_string_value(json_object_get(named, "name"))),
        json_pack("{s:o}", "room", room));
}

void page_room_join(struct request *r)
{
    if (auth_check_csrf(r) < 0)
        return;
    struct err e;
    long long id = req_param_id(r, 0);
    if (!room_join(r->a, id, auth_user(r)->id, &e))
        return reply_err(r, &e);
    /* Remembered by the browser: a place Redis lost is then told as lost, not as never taken. */
    auth_set_cookie(r, arena_sprintf(r->a, "room_joined_%lld", id), "1", 86400);
    resp_redirect(r, arena_sprintf(r->a, "/rooms/%lld", id));
}

void page_room_leave(struct request *r)
{
    if (auth_check_csrf(r) < 0)
        return;
    struct err e;
    long long id = req_param_id(r, 0);
    if (!room_leave(r->a, id, auth_user(r)->id, &e))
        return reply_err(r, &e);
    auth_set_cookie(r, arena_sprintf(r->a, "room_joined_%lld", id), "", 0); /* not lost: left */
    resp_redirect(r, arena_sprintf(r->a, "/rooms/%lld", id));
}

/* For the waiting page's script: the place as JSON (and the cookie once the pass comes). */
void page_room_place(struct request *r)
{
    struct err e;
    reply_result(r, 200, "place", place_with_cookie(r, req_param_id(r, 0), &e), &e);
}

void api_admin_rooms(struct request *r)
{
    struct err e;
    reply_result(r, 200, "items", room_list(r->a, &e), &e);
}

/* /admin/rooms: the rooms with their figures, and a form for a new one. */
void page_admin_rooms(struct request *r)
{
    struct err e;
    json_t *outcome = NULL;
    int status = 200;
    if (!strcmp(r->method, "POST")) {
        if (auth_check_csrf(r) < 0)
            return;
        static const char *const text[] = {"item", NULL};
        static const char *const nums[] = {"item_id",          "rate",      "pass_seconds",
                                           "prequeue_seconds", "threshold", NULL};
        json_t *room = room_create(r->a, form_body(r, text, nums), &e);
        if (!room && e.status >= 500)
            return reply_err(r, &e);
        status = room ? 201 : e.status;
        outcome =
            form_outcome(room ? "The waiting room is made: it opens with its sale." : NULL, &e);
    }
    json_t *items = room_list(r->a, &e), *room;
    if (!items)
        return reply_err(r, &e);
    size_t i;
    json_array_foreach(items, i, room)
    {
        if (!json_is_true(json_object_get(room, "on")))
            json_object_update(room, off_note(room));
        json_object_set_new(room, "retired",
                            json_boolean(json_is_string(json_object_get(room, "retired_at"))));
    }
    json_t *d = json_pack("{s:o}", "items", items);
    if (outcome)
        json_object_set_new(d, "outcome", outcome);
    reply_page(r, status, "admin_rooms.tpl", "Waiting rooms · admin", d);
}
