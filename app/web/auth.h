/* auth.h - who is asking: Bearer tokens for the API, cookies (with transparent refresh) for
 * pages, and the CSRF check on every page form. */
#ifndef FC_WEB_AUTH_H
#define FC_WEB_AUTH_H
#include "domain/tokens.h"
#include "http/request.h"

/* Sets r->user from the request's credentials (NULL when there are none or they are invalid).
 * Pages renew an expired access cookie from the refresh cookie. */
void auth_identify(struct request *r);
/* Cookies for a signed-in browser; empty values clear them. */
void auth_set_cookies(struct request *r, const struct token_pair *t);
void auth_clear_cookies(struct request *r);
void auth_set_access_cookie(struct request *r, const char *access);
/* The CSRF token of this browser (set as a cookie when new), for forms. */
const char *auth_csrf(struct request *r);
/* For a page's script that sends a body of its own (a picture): the X-CSRF-Token header must
 * equal the csrf cookie. 0, or -1 with a 403 csrf_failed answered. */
int auth_check_csrf_header(struct request *r);
/* A page POST must carry the csrf form field equal to its cookie. 0, or -1 answered with 403. */
int auth_check_csrf(struct request *r);
/* Sets a cookie of the site's (Path=/, HttpOnly, SameSite=Lax, Secure over https). */
void auth_set_cookie(struct request *r, const char *name, const char *value, long max_age);
/* Sets the room's room_pass_{id} cookie (HttpOnly) for max_age seconds: what the pages' claim
 * and checkout send (auth_room_pass). One cookie a room: a person waiting in two keeps both. */
void auth_set_room_pass(struct request *r, long long room, const char *pass, long max_age);
/* The waiting room passes the request carries: the API's X-Room-Pass header, else every
 * room_pass_{id} cookie of the pages, separated by spaces; NULL when none. */
const char *auth_room_pass(struct request *r);
static inline struct principal *auth_user(struct request *r)
{
    return (struct principal *)r->user;
}

#endif
