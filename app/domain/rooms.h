/* rooms.h - waiting rooms in front of a sale: people who arrive before a product's flash sale or
 * a coupon event opens are shuffled at its start (being a fast bot gains nothing), those after
 * queue first come, first served, and the rooms worker admits them at the room's rate. A place
 * is a ticket number; where a person stands is their ticket against the highest one admitted,
 * read in O(1). Settings and the start are in MySQL (rooms), the places in Redis ({r:ID}:...). */
#ifndef FC_ROOMS_H
#define FC_ROOMS_H
#include <jansson.h>
#include <stdbool.h>
#include <time.h>

#include "core/arena.h"
#include "core/err.h"

/* Admin: {item: "product"|"campaign", item_id, rate (people a second, 1-100000), pass_seconds
 * (10-3600, 300), prequeue_seconds (0-86400, 600), threshold (optional: the room starts off and
 * turns itself on when one second brings more arrivals at its item than this)}. The room opens when
 * its item's sale does (a product's sale_starts_at, a campaign's starts_at): 422 for a product with
 * no sale start, 409 when the item has a room already. Returns the room. */
json_t *room_create(struct arena *a, json_t *body, struct err *e);
/* {id, item: {kind, id}, rate, pass_seconds, prequeue_seconds, opens_at, joins_from, open,
 * waiting (tickets not yet admitted), admitted, prequeue, turns (admitted people who started
 * their turn), used (passes used), left (people who gave up a place), on (guarding now),
 * threshold (or null), switched_on_at (or null)}; 404. */
json_t *room_get(struct arena *a, long long id, struct err *e);
/* The last 100 rooms by their start, newest first, as room_get gives each. */
json_t *room_list(struct arena *a, struct err *e);
/* Joins the room (joining again is the same place) and says where the person stands, as
 * room_place does; 403 too_early before joins_from, 404. */
json_t *room_join(struct arena *a, long long id, long long user_id, struct err *e);
/* Gives up the person's place (one not admitted yet): the admissions then pass over it. The
 * place after it, as room_place says ("out"); 404. */
json_t *room_leave(struct arena *a, long long id, long long user_id, struct err *e);
/* Where the person stands: {room_id, state: "prequeue" (joined before the start: no place until
 * the shuffle), "waiting", "admitted" or "out" (not in the room), ticket, ahead (people before
 * them not yet admitted), wait_seconds (ahead over the rate), waiting_before_start}, and once
 * admitted, pass (see tokens.h) and pass_expires_at: the turn starts when the person first asks
 * after admission and lasts pass_seconds; past it the state is "expired"; 404. */
json_t *room_place(struct arena *a, long long id, long long user_id, struct err *e);
/* The gate of a claim (campaign) or a checkout (a product): when a room guards the item, the
 * person must carry a valid pass of it (403 room_pass_required, naming the room, when not; pass
 * may hold several, separated by spaces, as the cookies of several rooms do), and
 * a pass admits once per item (403 pass_used): the use is taken here and *room set, for
 * room_give_back when the claim or checkout then fails. 0 when admitted or unguarded (*room
 * 0). A new room guards its item in every web worker within two seconds. */
int room_admit(struct arena *a, bool campaign, long long item_id, long long user_id,
               const char *pass, long long *room, struct err *e);
void room_give_back(struct arena *a, long long room, long long user_id);
/* Admin: turns the room off (its item is not guarded; places are kept) or on (guarding now,
 * a room that waited for its threshold too). Every web worker follows within two seconds.
 * Returns the room; 404. */
json_t *room_switch(struct arena *a, long long id, bool on, struct err *e);
/* A product's sale moves to *start (NULL: it no longer has one), inside the caller's
 * transaction: the product's room, if it has one, follows it in MySQL (rooms.opens_at), *room
 * set to it. 409 room_opened when the room opens within two seconds or has opened (people were
 * shuffled and let in for that start), 409 room_needs_start for a start removed while a room
 * guards the sale; the caller then rolls back. A retired room stays as it was. */
int room_sale_moved(struct arena *a, long long product_id, const time_t *start, long long *room,
                    struct err *e);
/* After the caller's commit: the start and the pre-queue's opening Redis holds follow MySQL's
 * (or, when Redis cannot be told now, the rooms worker's tick moves them before the room opens). */
void room_sale_follow(struct arena *a, long long room);
/* The rooms worker's step: every room that takes people now (from its pre-queue's opening to a
 * day after its start) moves its clock: the shuffle at the start, then the admissions. Rooms a
 * day past their start are retired (every few seconds): their counts kept in MySQL, their
 * places removed from Redis; room_get gives the counts as they were, and joining, leaving or
 * asking one's place answer 410 room_closed. Returns how many it admitted, -1 on a store
 * failure. */
int rooms_tick(struct arena *a);

#endif
