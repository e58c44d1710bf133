/* rooms_web.c - waiting rooms as JSON: an admin makes one for a sale (/api/v1/admin/rooms), a
 * signed-in person joins it and asks where they stand (/api/v1/rooms/{id}/join, /place). */
#include "domain/rooms.h"
#include "web/api.h"
#include "web/auth.h"
#include "web/handlers.h"
#include "web/reply.h"

void api_admin_room_create(struct request *r)
{
    struct err e;
    json_t *b = api_body(r);
    if (b)
        reply_result(r, 201, "room", room_create(r->a, b, &e), &e);
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

void api_room_place(struct request *r)
{
    struct err e;
    reply_result(r, 200, "place", room_place(r->a, req_param_id(r, 0), auth_user(r)->id, &e), &e);
}
