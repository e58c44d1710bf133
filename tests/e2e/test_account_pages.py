"""The account pages: forms carry a CSRF token, login sets HttpOnly SameSite cookies, an expired
access cookie is renewed from the refresh cookie, and pages that need a user send you to log in."""
import concurrent.futures as cf
import html

import requests

from conftest import csrf_of, link_token, unique_email

PW = "correct horse battery"


def browser(stack):
    s = requests.Session()
    s.base = stack.base
    return s


def form_post(s, path, fields, page=None):
    token = csrf_of(s.get(s.base + (page or path)).text)
    return s.post(s.base + path, data={**fields, "csrf": token}, allow_redirects=False)


def test_a_form_post_without_its_csrf_token_is_403(stack):
    s = browser(stack)
    s.get(s.base + "/login")
    r = s.post(s.base + "/login", data={"email": "a@b.co", "password": PW}, allow_redirects=False)
    assert r.status_code == 403 and "text/html" in r.headers["Content-Type"]
    r = s.post(s.base + "/login", data={"email": "a@b.co", "password": PW, "csrf": "x" * 43},
               allow_redirects=False)
    assert r.status_code == 403


def test_signup_verify_login_and_me_through_the_pages(stack):
    s = browser(stack)
    addr = unique_email("page")
    r = form_post(s, "/signup", {"name": "Page Person", "email": addr, "password": PW})
    assert r.status_code == 201 and "Check your mail" in r.text
    token, link = link_token(stack.mailbox().wait_for(addr, "Confirm"), "/verify")
    assert s.get(link).status_code == 200
    r = form_post(s, "/login", {"email": addr, "password": PW, "next": "/me"})
    assert r.status_code == 303 and r.headers["Location"] == "/me"
    cookies = r.headers.get("Set-Cookie", "")
    for name in ("access_token=", "refresh_token="):
        assert name in cookies
    assert "HttpOnly" in cookies and "SameSite=Lax" in cookies
    me = s.get(s.base + "/me")
    assert me.status_code == 200 and "Page Person" in html.unescape(me.text) and addr in me.text


def test_signup_errors_are_shown_on_the_form(stack):
    s = browser(stack)
    r = form_post(s, "/signup", {"name": "X", "email": "nope", "password": PW})
    assert r.status_code == 422 and 'role="alert"' in r.text and "not an email address" in r.text


def test_a_page_that_needs_a_user_sends_you_to_log_in(stack):
    r = requests.get(stack.url("/me"), allow_redirects=False, timeout=10)
    assert r.status_code == 303 and r.headers["Location"] == "/login?next=%2Fme"


def test_an_expired_access_cookie_is_renewed_from_the_refresh_cookie(stack):
    u = stack.user()
    s = browser(stack)
    s.cookies.set("refresh_token", u["refresh"])
    s.cookies.set("access_token", "expired.or.garbage")
    r = s.get(s.base + "/me")
    assert r.status_code == 200 and u["email"] in r.text
    assert "access_token=" in r.headers["Set-Cookie"]
    # The presented refresh token was rotated: it is now used.
    row = stack.sql("SELECT used_at FROM refresh_tokens WHERE user_id = %s ORDER BY id LIMIT 1", u["id"])[0]
    assert row["used_at"] is not None


def test_logout_clears_the_cookies_and_ends_the_session(stack):
    s = browser(stack)
    u = stack.user()
    r = form_post(s, "/login", {"email": u["email"], "password": u["password"]})
    assert r.status_code == 303
    refresh = s.cookies.get("refresh_token")
    r = form_post(s, "/logout", {}, page="/")
    assert r.status_code == 303 and "refresh_token=;" in r.headers["Set-Cookie"]
    assert stack.post("/api/v1/auth/refresh", {"refresh_token": refresh}).status_code == 401


def test_the_reset_page_sets_a_new_password(stack):
    u = stack.user()
    s = browser(stack)
    r = form_post(s, "/forgot-password", {"email": u["email"]})
    assert r.status_code == 202
    token, link = link_token(stack.mailbox().wait_for(u["email"], "Reset"), "/reset-password")
    page = s.get(link)
    assert page.status_code == 200 and token in page.text
    r = s.post(s.base + "/reset-password", allow_redirects=False,
               data={"token": token, "password": "brand new pass", "password_confirm": "other pass!",
                     "csrf": csrf_of(page.text)})
    assert r.status_code == 422 and "not the same" in r.text
    r = s.post(s.base + "/reset-password", allow_redirects=False,
               data={"token": token, "password": "brand new pass", "password_confirm": "brand new pass",
                     "csrf": csrf_of(page.text)})
    assert r.status_code == 303 and r.headers["Location"] == "/login?reset=1"
    assert stack.post("/api/v1/auth/login", {"email": u["email"], "password": "brand new pass"}).status_code == 200


def test_the_login_page_never_redirects_to_another_site(stack):
    u = stack.user()
    for evil in ["//evil.example", "https://evil.example", "/\\evil.example"]:
        s = browser(stack)
        r = form_post(s, "/login", {"email": u["email"], "password": u["password"], "next": evil})
        assert r.status_code == 303 and r.headers["Location"] == "/"


def signed_in_browser(stack):
    u = stack.user()
    s = browser(stack)
    assert form_post(s, "/login", {"email": u["email"], "password": u["password"]}).status_code == 303
    return s, u


def any_product(stack, admin):
    r = stack.post("/api/v1/admin/products", {"name": "Cart page product", "description": "",
                                               "category": "test", "price": 1000, "stock": 100},
                   token=admin["access"])
    assert r.status_code == 201, r.text
    return r.json()["product"]["id"]


def test_the_cart_form_never_redirects_to_another_site(stack, admin):
    (s, _), pid = signed_in_browser(stack), any_product(stack, admin)
    for evil in ["//evil.example", "https://evil.example", "/\\evil.example", "/ok\r\nSet-Cookie: x=1"]:
        r = form_post(s, f"/cart/items/{pid}", {"quantity": "1", "next": evil}, page="/cart")
        assert r.status_code == 303 and r.headers["Location"] == "/cart"
        assert "x=1" not in r.headers.get("Set-Cookie", "")


def test_adding_nothing_to_the_cart_changes_nothing_and_needs_a_real_product(stack, admin):
    (s, u), pid = signed_in_browser(stack), any_product(stack, admin)
    r = form_post(s, f"/cart/items/{pid}", {"quantity": "0"}, page="/cart")
    assert r.status_code == 303, r.text
    assert not stack.sql("SELECT 1 FROM cart_items WHERE user_id = %s", u["id"])
    r = form_post(s, "/cart/items/999999999", {"quantity": "0"}, page="/cart")
    assert r.status_code == 404 and "text/html" in r.headers["Content-Type"]


def test_adds_to_the_cart_at_the_same_moment_all_count(stack, admin):
    (s, u), pid = signed_in_browser(stack), any_product(stack, admin)
    token = csrf_of(s.get(s.base + "/cart").text)
    cookies = s.cookies.get_dict()

    def add(_):
        return requests.post(s.base + f"/cart/items/{pid}", data={"quantity": "1", "csrf": token},
                             cookies=cookies, allow_redirects=False).status_code
    with cf.ThreadPoolExecutor(10) as ex:
        assert set(ex.map(add, range(10))) == {303}
    row = stack.sql("SELECT quantity FROM cart_items WHERE product_id = %s AND user_id = %s", pid, u["id"])
    assert row and row[0]["quantity"] == 10
