/* accounts_web.c - the Accounts contract as JSON (/api/v1/auth, /api/v1/me) and as pages
 * (/signup, /login, /logout, /verify, /forgot-password, /reset-password, /me). */
#include <string.h>
#include <time.h>

#include "domain/accounts.h"
#include "domain/sessions.h"
#include "web/api.h"
#include "web/handlers.h"
#include "web/form.h"
#include "web/reply.h"
#include "web/auth.h"

static const char *jstr(json_t *body, const char *key)
{
    return json_string_value(json_object_get(body, key));
}

static json_t *pair_json(const struct token_pair *t)
{
    return json_pack("{s:s, s:s, s:s, s:i}", "access_token", t->access, "refresh_token", t->refresh,
                     "token_type", "Bearer", "expires_in", ACCESS_TTL);
}

/* ---- JSON API ---- */

void api_signup(struct request *r)
{
    struct err e;
    json_t *b = api_body(r);
    if (!b)
        return;
    reply_result(r, 201, "user",
                 account_signup(r->a, jstr(b, "email"), jstr(b, "password"), jstr(b, "name"),
                                r->remote_addr, &e),
                 &e);
}

void api_verify(struct request *r)
{
    struct err e;
    json_t *b = api_body(r);
    if (!b)
        return;
    reply_result(r, 200, "user", account_verify(r->a, jstr(b, "token"), &e), &e);
}

void api_login(struct request *r)
{
    struct err e;
    struct token_pair t;
    json_t *b = api_body(r);
    if (!b)
        return;
    if (account_login(r->a, jstr(b, "email"), jstr(b, "password"), r->remote_addr, &t, &e) < 0)
        return reply_err(r, &e);
    reply_json(r, 200, pair_json(&t));
}

void api_refresh(struct request *r)
{
    struct err e;
    struct token_pair t;
    json_t *b = api_body(r);
    if (!b)
        return;
    if (account_refresh(r->a, jstr(b, "refresh_token"), &t, &e) < 0)
        return reply_err(r, &e);
    reply_json(r, 200, pair_json(&t));
}

/* Ends the session of the access token and, when given, of a refresh token in the body. */
void api_logout(struct request *r)
{
    const char *refresh = r->body_len ? jstr(api_body(r), "refresh_token") : NULL;
    if (r->body_len && !r->json)
        return; /* api_body answered 400 */
    struct principal *u = auth_user(r);
    if (!u && !refresh)
        return resp_error(r, 401, "unauthorized", "send the access token or the refresh token");
    if ((u && session_revoke_family(u->family) < 0) ||
        (refresh && session_revoke_family_of(refresh) < 0))
        return reply_store_failed(r);
    resp_no_content(r);
}

void api_logout_all(struct request *r)
{
    if (session_revoke_all(auth_user(r)->id) < 0)
        return reply_store_failed(r);
    resp_no_content(r);
}

void api_password_reset(struct request *r)
{
    struct err e;
    json_t *b = api_body(r);
    if (!b)
        return;
    if (account_reset_request(r->a, jstr(b, "email"), r->remote_addr, &e) < 0)
        return reply_err(r, &e);
    reply_json(r, 202,
               json_pack("{s:s}", "message",
                         "if that address has an account, a reset link is on its way"));
}

void api_password_reset_confirm(struct request *r)
{
    struct err e;
    json_t *b = api_body(r);
    if (!b)
        return;
    if (account_reset_confirm(r->a, jstr(b, "token"), jstr(b, "password"), r->remote_addr, &e) < 0)
        return reply_err(r, &e);
    resp_no_content(r);
}

void api_me(struct request *r)
{
    struct err e;
    reply_result(r, 200, "user", account_get(auth_user(r)->id, &e), &e);
}

void api_me_update(struct request *r)
{
    struct err e;
    json_t *b = api_body(r);
    if (!b)
        return;
    reply_result(r, 200, "user", account_update(auth_user(r)->id, b, &e), &e);
}

void api_me_password(struct request *r)
{
    struct err e;
    json_t *b = api_body(r);
    if (!b)
        return;
    if (account_change_password(auth_user(r)->id, auth_user(r)->family, jstr(b, "current_password"),
                                jstr(b, "new_password"), &e) < 0)
        return reply_err(r, &e);
    resp_no_content(r);
}

/* ---- Pages ---- */

static json_t *problem(const struct err *e)
{
    return json_pack("{s:s}", "message", e->msg);
}

static void message_page(struct request *r, int status, const char *tone, const char *heading,
                         const char *message, const char *href, const char *label)
{
    json_t *d = json_pack("{s:s, s:s, s:s}", "heading", heading, "message", message, "tone", tone);
    if (href)
        json_object_set_new(d, "link", json_pack("{s:s, s:s}", "href", href, "label", label));
    reply_page(r, status, "message.tpl", heading, d);
}

void page_signup(struct request *r)
{
    if (strcmp(r->method, "POST") != 0)
        return reply_page(r, 200, "signup.tpl", "Sign up", json_object());
    if (auth_check_csrf(r) < 0)
        return;
    struct err e;
    const char *email = req_form(r, "email"), *name = req_form(r, "name");
    if (!account_signup(r->a, email, req_form(r, "password"), name, r->remote_addr, &e)) {
        if (e.status >= 500)
            return reply_err(r, &e);
        reply_retry_after(r, &e);
        return reply_page(r, e.status, "signup.tpl", "Sign up",
                          json_pack("{s:o, s:s, s:s}", "error", problem(&e), "email",
                                    email ? email : "", "name", name ? name : ""));
    }
    message_page(r, 201, "success", "Check your mail",
                 "We sent a confirmation link to your address. Open it to confirm your email; "
                 "then log in. You can browse and fill your cart meanwhile.",
                 "/login", "Log in");
}

void page_login(struct request *r)
{
    const char *next =
        form_next_path(strcmp(r->method, "POST") ? req_query(r, "next") : req_form(r, "next"), "/");
    if (strcmp(r->method, "POST") != 0) {
        json_t *d = json_pack("{s:s}", "next", next);
        if (req_query(r, "reset"))
            json_object_set_new(d, "notice",
                                json_pack("{s:s}", "message",
                                          "Your password was changed. Log in with the new one."));
        else if (req_query(r, "again"))
            json_object_set_new(d, "notice",
                                json_pack("{s:s}", "message",
                                          "That needs an account: log in, and you will be back "
                                          "on the page to do it again."));
        return reply_page(r, 200, "login.tpl", "Log in", d);
    }
    if (auth_check_csrf(r) < 0)
        return;
    struct err e;
    struct token_pair t;
    const char *email = req_form(r, "email");
    if (account_login(r->a, email, req_form(r, "password"), r->remote_addr, &t, &e) < 0) {
        if (e.status >= 500)
            return reply_err(r, &e);
        reply_retry_after(r, &e);
        return reply_page(r, e.status, "login.tpl", "Log in",
                          json_pack("{s:o, s:s, s:s}", "error", problem(&e), "email",
                                    email ? email : "", "next", next));
    }
    auth_set_cookies(r, &t);
    resp_redirect(r, next);
}

void page_logout(struct request *r)
{
    if (auth_check_csrf(r) < 0)
        return;
    struct principal *u = auth_user(r);
    const char *refresh = req_cookie(r, "refresh_token");
    if (u)
        session_revoke_family(u->family);
    if (refresh && *refresh)
        session_revoke_family_of(refresh);
    auth_clear_cookies(r);
    resp_redirect(r, "/");
}

void page_logout_all(struct request *r)
{
    if (auth_check_csrf(r) < 0)
        return;
    if (session_revoke_all(auth_user(r)->id) < 0)
        return reply_store_failed(r);
    auth_clear_cookies(r);
    resp_redirect(r, "/login");
}

void page_verify(struct request *r)
{
    struct err e;
    if (!account_verify(r->a, req_query(r, "token"), &e)) {
        if (e.status >= 500)
            return reply_err(r, &e);
        return message_page(r, e.status, "error", "This link does not work", e.msg, "/login",
                            "Log in");
    }
    message_page(r, 200, "success", "Email confirmed",
                 "Thank you: your email address is confirmed. Log in again to claim coupons and "
                 "place orders.",
                 "/login", "Log in");
}

void page_forgot(struct request *r)
{
    if (strcmp(r->method, "POST") != 0)
        return reply_page(r, 200, "forgot.tpl", "Forgot your password?", json_object());
    if (auth_check_csrf(r) < 0)
        return;
    struct err e;
    if (account_reset_request(r->a, req_form(r, "email"), r->remote_addr, &e) < 0)
        return reply_err(r, &e);
    message_page(r, 202, "info", "Check your mail",
                 "If that address has an account, a link to choose a new password is on its way. "
                 "It works once and expires in one hour.",
                 "/login", "Back to log in");
}

void page_reset(struct request *r)
{
    bool post = strcmp(r->method, "POST") == 0;
    const char *token = post ? req_form(r, "token") : req_query(r, "token");
    if (!post)
        return reply_page(r, 200, "reset.tpl", "Choose a new password",
                          json_pack("{s:s}", "token", token ? token : ""));
    if (auth_check_csrf(r) < 0)
        return;
    struct err e;
    const char *pw = req_form(r, "password"), *again = req_form(r, "password_confirm");
    if (again && pw && strcmp(pw, again) != 0)
        err_set(&e, 422, "password_mismatch", "the two passwords are not the same");
    else if (account_reset_confirm(r->a, token, pw, r->remote_addr, &e) == 0) {
        auth_clear_cookies(r);
        return resp_redirect(r, "/login?reset=1");
    }
    if (e.status >= 500)
        return reply_err(r, &e);
    reply_retry_after(r, &e);
    reply_page(r, e.status, "reset.tpl", "Choose a new password",
               json_pack("{s:s, s:o}", "token", token ? token : "", "error", problem(&e)));
}

/* The profile page; `extra` carries the outcome of a form posted to it. */
static void me_page(struct request *r, int status, json_t *extra)
{
    struct err e;
    json_t *u = account_get(auth_user(r)->id, &e);
    if (!u)
        return reply_err(r, &e);
    json_t *d = json_pack("{s:o}", "profile", u);
    json_object_update(d, extra);
    reply_page(r, status, "me.tpl", "Your account", d);
}

void page_me(struct request *r)
{
    if (strcmp(r->method, "POST") != 0)
        return me_page(r, 200, json_object());
    if (auth_check_csrf(r) < 0)
        return;
    struct err e;
    json_t *patch = json_object();
    const char *fields[] = {"name", "phone", "address"};
    for (int i = 0; i < 3; i++)
        if (req_form(r, fields[i]))
            json_object_set_new(patch, fields[i], json_string(req_form(r, fields[i])));
    json_t *u = account_update(auth_user(r)->id, patch, &e);
    if (!u)
        return e.status >= 500 ? reply_err(r, &e)
                               : me_page(r, e.status, json_pack("{s:o}", "error", problem(&e)));
    /* The layout shows the name from the access token: a fresh one, made like every other from
     * the database and only while the session lives. An ended session gets none, and its
     * cookies go. */
    char *access;
    int live = session_access(r->a, auth_user(r)->id, auth_user(r)->family, &access);
    if (live == 1) {
        struct principal *p = arena_calloc(r->a, sizeof(*p));
        auth_set_access_cookie(r, access);
        if (access_token_verify(r->a, access, time(NULL), p) == 0)
            r->user = p;
    } else if (live == 0) {
        auth_clear_cookies(r);
    }
    me_page(r, 200, json_pack("{s:{s:s}}", "notice", "message", "Your profile is saved."));
}

void page_me_password(struct request *r)
{
    if (auth_check_csrf(r) < 0)
        return;
    struct err e;
    if (account_change_password(auth_user(r)->id, auth_user(r)->family,
                                req_form(r, "current_password"), req_form(r, "new_password"),
                                &e) < 0)
        return e.status >= 500
                   ? reply_err(r, &e)
                   : me_page(r, e.status, json_pack("{s:o}", "password_error", problem(&e)));
    me_page(r, 200,
            json_pack("{s:{s:s}}", "password_notice", "message", "Your password is changed."));
}
