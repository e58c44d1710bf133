/* auth.c - who is asking: Bearer tokens for the API, cookies (with transparent refresh) for
 * pages, and the CSRF check on every page form. */
#include "web/auth.h"

#include <sodium.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "core/config.h"
#include "domain/accounts.h"

#define CSRF_COOKIE "csrf"

static bool secure_cookies(void)
{
    return strncmp(cfg.base_url, "https://", 8) == 0;
}

static void set_cookie(struct request *r, const char *name, const char *value, long max_age)
{
    resp_header(r, "Set-Cookie",
                arena_sprintf(r->a, "%s=%s; Path=/; Max-Age=%ld; HttpOnly; SameSite=Lax%s", name,
                              value, max_age, secure_cookies() ? "; Secure" : ""));
}

void auth_set_access_cookie(struct request *r, const char *access)
{
    set_cookie(r, "access_token", access, ACCESS_TTL);
}

void auth_set_cookies(struct request *r, const struct token_pair *t)
{
    auth_set_access_cookie(r, t->access);
    set_cookie(r, "refresh_token", t->refresh, REFRESH_TTL);
}

void auth_set_cookie(struct request *r, const char *name, const char *value, long max_age)
{
    set_cookie(r, name, value, max_age);
}

void auth_set_room_pass(struct request *r, long long room, const char *pass, long max_age)
{
    set_cookie(r, arena_sprintf(r->a, "room_pass_%lld", room), pass, max_age > 0 ? max_age : 0);
}

void auth_clear_cookies(struct request *r)
{
    set_cookie(r, "access_token", "", 0);
    set_cookie(r, "refresh_token", "", 0);
}

static struct principal *verify(struct request *r, const char *token)
{
    struct principal *p = arena_calloc(r->a, sizeof(*p));
    return access_token_verify(r->a, token, time(NULL), p) == 0 ? p : NULL;
}

void auth_identify(struct request *r)
{
    r->user = NULL;
    if (!r->html) {
        /* The API takes only the Authorization header, never cookies: no CSRF exposure. */
        const char *h = r->authorization;
        if (h && strncasecmp(h, "Bearer ", 7) == 0)
            r->user = verify(r, h + 7);
        return;
    }
    const char *access = req_cookie(r, "access_token");
    if (access && *access && (r->user = verify(r, access)))
        return;
    const char *refresh = req_cookie(r, "refresh_token");
    if (!refresh || !*refresh)
        return;
    struct token_pair t;
    struct err e;
    if (account_refresh(r->a, refresh, &t, &e) == 0) {
        auth_set_cookies(r, &t);
        r->user = verify(r, t.access);
    } else if (e.status == 401) {
        auth_clear_cookies(r); /* a dead session: stop presenting it */
    }
}

const char *auth_csrf(struct request *r)
{
    const char *c = req_cookie(r, CSRF_COOKIE);
    if (c && strlen(c) == 43)
        return c;
    if (r->csrf_issued)
        return r->csrf_issued;
    char *fresh = token_random(r->a);
    r->csrf_issued = fresh;
    /* Not HttpOnly-sensitive (it is no credential), but kept HttpOnly anyway: forms get it
     * from the page, scripts never need it. */
    set_cookie(r, CSRF_COOKIE, fresh, 7 * 86400);
    return fresh;
}

static bool csrf_matches(struct request *r, const char *given)
{
    const char *cookie = req_cookie(r, CSRF_COOKIE);
    return cookie && given && strlen(cookie) == 43 && strlen(given) == 43 &&
           sodium_memcmp(cookie, given, 43) == 0;
}

static int csrf_refused(struct request *r)
{
    resp_error(
        r, 403, "csrf_failed",
        "this form has expired or did not come from this site; reload the page and try again");
    return -1;
}

int auth_check_csrf_header(struct request *r)
{
    return csrf_matches(r, req_header(r, "X_CSRF_TOKEN")) ? 0 : csrf_refused(r);
}

int auth_check_csrf(struct request *r)
{
    /* Pages' forms are sent urlencoded; anything else (a multipart upload, JSON) has no form
     * fields to read, so its token could not be found either: say what is wrong with it. */
    if (r->content_type && *r->content_type &&
        !req_content_type_is(r, "application/x-www-form-urlencoded")) {
        resp_error(r, 415, "unsupported_media_type",
                   "this form takes application/x-www-form-urlencoded, not %.*s",
                   (int)strcspn(r->content_type, ";"), r->content_type);
        return -1;
    }
    return csrf_matches(r, req_form(r, "csrf")) ? 0 : csrf_refused(r);
}

const char *auth_room_pass(struct request *r)
{
    const char *h = req_header(r, "X_ROOM_PASS");
    return h && *h ? h : req_cookies_named(r, "room_pass_");
}
