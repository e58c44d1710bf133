"""What a person meets on the pages, read with JavaScript off (these clients run none): amounts
of money and order statuses written by the server, the same on every page; refusals that say
what is wrong; error pages that know who is signed in."""
import html
import re
import time
import uuid

import requests

from conftest import csrf_of, iso, page_session


def signed_in(stack, user):
    return page_session(stack, user["email"], user["password"])


def page(s, stack, path):
    r = s.get(stack.base + path)
    assert r.status_code == 200, (path, r.status_code)
    return html.unescape(r.text)


def test_amounts_of_money_are_formatted_on_every_page_without_javascript(stack, admin):
    vendor = stack.post("/api/v1/admin/vendors", {"name": "Vendor " + uuid.uuid4().hex[:8]},
                        token=admin["access"]).json()["vendor"]["id"]
    r = stack.post("/api/v1/admin/products", {"name": "Espresso machine " + uuid.uuid4().hex[:6],
                                              "description": "", "category": "kitchen",
                                              "price": 389800, "stock": 50, "vendor_id": vendor},
                   token=admin["access"])
    assert r.status_code == 201, r.text
    pid = r.json()["product"]["id"]
    r = stack.post("/api/v1/admin/coupons", {
        "vendor_id": vendor, "name": "Five thousand off " + uuid.uuid4().hex[:6], "type": "fixed",
        "value": 5000, "total_quantity": 10, "starts_at": iso(-5), "ends_at": iso(3600)},
        token=admin["access"])
    assert r.status_code == 201, r.text
    cid = r.json()["coupon"]["id"]
    u = stack.user()
    r = stack.post(f"/api/v1/coupons/{cid}/claim", token=u["access"])
    assert r.status_code == 201, r.text
    s = signed_in(stack, u)

    for path in ("/coupons", f"/coupons/{cid}", "/me/coupons"):
        text = page(s, stack, path)
        assert "\u20a95,000 off" in text, path
        assert not re.search(r"\b5000 off", text), path
    assert "\u20a9389,800" in page(s, stack, f"/products/{pid}")
    r = s.post(stack.base + f"/cart/items/{pid}",
               data={"quantity": "2", "csrf": csrf_of(s.get(stack.base + "/cart").text)},
               allow_redirects=False)
    assert r.status_code == 303
    cart = page(s, stack, "/cart")
    assert "\u20a9389,800" in cart and "\u20a9779,600" in cart and "779600" not in cart
    r = stack.post("/api/v1/orders", {"items": [{"product_id": pid, "quantity": 2}],
                                      "coupon_id": cid}, token=u["access"])
    assert r.status_code == 201, r.text
    oid = r.json()["order"]["id"]
    for path in (f"/orders/{oid}/pay", f"/orders/{oid}"):
        text = page(s, stack, path)
        for shown in ("\u20a9389,800", "\u20a9779,600", "\u20a95,000", "\u20a9774,600"):
            assert shown in text, (path, shown)
        assert not re.search(r"\b(389800|779600|774600)\b", text), path
    assert "\u20a9774,600" in page(s, stack, "/orders")

    a = signed_in(stack, admin)
    text = page(a, stack, "/admin")
    assert re.search(r"stat-value\">\u20a9[\d,]+</span><span class=\"stat-label\">paid sales", text)
    totals = re.findall(r'<td class="num">([^<]*)</td></tr>', text)
    assert totals and all(re.fullmatch(r"-?\u20a9\d{1,3}(,\d{3})*", t) for t in totals), totals
    assert "\u20a95,000 off" in page(a, stack, "/admin/coupons")


LABELS = {"pending_payment": "Awaiting payment", "paid": "Paid", "preparing": "Preparing",
          "shipping": "Shipping", "delivered": "Delivered", "return_requested": "Return requested",
          "returned": "Returned", "payment_failed": "Payment failed", "expired": "Expired",
          "cancelled": "Cancelled"}


def test_order_statuses_read_once_as_words_on_the_dashboard_and_the_orders_pages(stack, admin):
    u = stack.user()
    pid = stack.sql("SELECT id FROM products WHERE sale_starts_at IS NULL AND stock > 10 LIMIT 1")[0]["id"]
    r = stack.post("/api/v1/orders", {"items": [{"product_id": pid, "quantity": 1}]},
                   token=u["access"])
    assert r.status_code == 201, r.text
    oid = r.json()["order"]["id"]
    s = signed_in(stack, u)
    for path in ("/orders", f"/orders/{oid}"):
        text = s.get(stack.base + path).text
        shown = re.findall(r'class="[^"]*\bstatus\b[^"]*" data-status="pending_payment">([^<]*)<', text)
        assert shown and set(shown) == {"Awaiting payment"}, (path, shown)
    text = signed_in(stack, admin).get(stack.base + "/admin").text
    rows = re.findall(r'<span class="status" data-status="([a-z_]+)">([^<]*)</span></td>', text)
    assert ("pending_payment", "Awaiting payment") in rows, rows
    assert all(label == LABELS[status] for status, label in rows), rows


def test_checkout_with_a_coupon_that_is_not_a_number_is_refused_as_the_api_refuses_it(stack):
    u = stack.user()
    pid = stack.sql("SELECT id FROM products WHERE sale_starts_at IS NULL AND stock > 10 LIMIT 1")[0]["id"]
    s = signed_in(stack, u)
    r = s.post(stack.base + f"/cart/items/{pid}",
               data={"quantity": "1", "csrf": csrf_of(s.get(stack.base + "/cart").text)},
               allow_redirects=False)
    assert r.status_code == 303
    for bad in ("abc", "0", "-3", "1.5"):
        r = s.post(stack.base + "/checkout",
                   data={"coupon_id": bad, "csrf": csrf_of(s.get(stack.base + "/cart").text)},
                   allow_redirects=False)
        assert r.status_code == 422, (bad, r.status_code)
        assert "coupon_id must be the id of a coupon campaign" in html.unescape(r.text), bad
    uid = stack.sql("SELECT id FROM users WHERE email = %s", u["email"])[0]["id"]
    assert stack.sql("SELECT COUNT(*) AS n FROM orders WHERE user_id = %s", uid)[0]["n"] == 0
    cart = stack.get("/api/v1/cart", headers={"Authorization": "Bearer " + u["access"]}).json()
    assert [(i["id"], i["quantity"]) for i in cart["items"]] == [(pid, 1)]


def test_the_404_and_405_pages_show_who_is_signed_in(stack):
    u = stack.user()
    s = signed_in(stack, u)
    for path, status in (("/no-such-page", 404), ("/orders/1/cancel", 405)):
        r = s.get(stack.base + path)
        assert r.status_code == status and r.headers["Content-Type"].startswith("text/html")
        assert ">Log out</button>" in r.text and 'href="/login"' not in r.text, path
    r = requests.get(stack.base + "/no-such-page")
    assert r.status_code == 404 and 'href="/login"' in r.text


def test_a_multipart_post_to_a_form_is_415_saying_what_the_form_takes(stack):
    u = stack.user()
    s = signed_in(stack, u)
    token = csrf_of(s.get(stack.base + "/cart").text)
    pid = stack.sql("SELECT id FROM products ORDER BY id LIMIT 1")[0]["id"]
    r = s.post(stack.base + f"/cart/items/{pid}", files={"quantity": (None, "1"), "csrf": (None, token)},
               allow_redirects=False)
    assert r.status_code == 415 and r.headers["Content-Type"].startswith("text/html")
    text = html.unescape(r.text)
    assert "this form takes application/x-www-form-urlencoded, not multipart/form-data" in text
    assert "expired" not in text
    # A post with no body and no type is not a wrong type: its token is missing.
    r = s.post(stack.base + f"/cart/items/{pid}", allow_redirects=False)
    assert r.status_code == 403 and "csrf_failed" in r.text
    cart = stack.get("/api/v1/cart", headers={"Authorization": "Bearer " + u["access"]}).json()
    assert cart["items"] == [], "nothing was added"


def test_a_form_sent_signed_out_comes_back_to_its_page_after_logging_in(stack, admin):
    vendor = stack.sql("SELECT id FROM vendors ORDER BY id LIMIT 1")[0]["id"]
    r = stack.post("/api/v1/admin/coupons", {
        "vendor_id": vendor, "name": "Come back " + uuid.uuid4().hex[:6], "type": "fixed",
        "value": 1000, "total_quantity": 10, "starts_at": iso(-5), "ends_at": iso(3600)},
        token=admin["access"])
    cid = r.json()["coupon"]["id"]
    pid = stack.sql("SELECT id FROM products ORDER BY id LIMIT 1")[0]["id"]
    u = stack.user()
    for action, fields, back in ((f"/coupons/{cid}/claim", {}, f"/coupons/{cid}"),
                                 (f"/cart/items/{pid}", {"quantity": "1", "next": f"/products/{pid}"},
                                  f"/products/{pid}"),
                                 ("/checkout", {}, "/checkout")):  # which leads to the cart
        # The page was opened signed in; the session ended before its button was pressed.
        s = signed_in(stack, u)
        token = csrf_of(s.get(stack.base + back).text)
        for name in ("access_token", "refresh_token"):
            s.cookies.pop(name)
        r = s.post(stack.base + action, data={**fields, "csrf": token}, allow_redirects=False)
        assert r.status_code == 303, action
        login = r.headers["Location"]
        assert login == "/login?next=" + requests.utils.quote(back, safe="") + "&again=1", login
        page = s.get(stack.base + login)
        assert "log in, and you will be back on the page to do it again" in html.unescape(page.text)
        r = s.post(stack.base + "/login", data={"email": u["email"], "password": u["password"],
                                                "csrf": csrf_of(page.text),
                                                "next": html.unescape(re.search(r'name="next" value="([^"]*)"', page.text)[1])},
                   allow_redirects=False)
        assert r.status_code == 303 and r.headers["Location"] == back
        assert s.get(stack.base + back).status_code == 200


def test_the_coupon_page_offers_no_claim_button_to_someone_who_holds_the_coupon(stack, admin):
    vendor = stack.sql("SELECT id FROM vendors ORDER BY id LIMIT 1")[0]["id"]
    cid = stack.post("/api/v1/admin/coupons", {
        "vendor_id": vendor, "name": "Held " + uuid.uuid4().hex[:6], "type": "fixed", "value": 1000,
        "total_quantity": 10, "starts_at": iso(-5), "ends_at": iso(3600)},
        token=admin["access"]).json()["coupon"]["id"]
    form = f'action="/coupons/{cid}/claim"'
    holder, other = signed_in(stack, stack.user()), signed_in(stack, stack.user())
    page = holder.get(stack.base + f"/coupons/{cid}").text
    assert form in page
    r = holder.post(stack.base + f"/coupons/{cid}/claim", data={"csrf": csrf_of(page)})
    assert r.status_code == 201
    for text in (r.text, holder.get(stack.base + f"/coupons/{cid}").text):
        assert form not in text and ">Claimed</button>" in text
        assert "This coupon is yours." in text
    assert form in other.get(stack.base + f"/coupons/{cid}").text


def test_what_nginx_refuses_on_a_page_gets_the_site_s_error_page(stack):
    u = stack.user()
    s = signed_in(stack, u)
    pid = stack.sql("SELECT id FROM products ORDER BY id LIMIT 1")[0]["id"]
    token = csrf_of(s.get(stack.base + "/cart").text)
    cases = [
        (s.post(stack.base + f"/cart/items/{pid}", data={"quantity": "1", "csrf": token,
                                                         "pad": "x" * 2_000_000}), 413,
         "what you sent is larger than this shop accepts"),
        (s.get(stack.base + "/products?q=" + "a" * 1_000_000), 414, "the address is too long"),
    ]
    for r, status, message in cases:
        assert r.status_code == status and r.headers["Content-Type"].startswith("text/html"), status
        text = html.unescape(r.text)
        assert message in text and 'class="site-header"' in text and "error-page" in text, status
    assert ">Log out</button>" in cases[0][0].text, "the page knows who sent the form"
    cart = stack.get("/api/v1/cart", headers={"Authorization": "Bearer " + u["access"]}).json()
    assert cart["items"] == [], "nothing was added"
    # The API keeps its error shape for the same refusals.
    r = stack.request("POST", "/api/v1/orders", data=b"x" * 2_000_000,
                      headers={"Content-Type": "application/json"})
    assert r.status_code == 413 and r.json()["error"]["code"] == "body_too_large"
    r = stack.get("/api/v1/products?q=" + "a" * 1_000_000)
    assert r.status_code == 414 and r.json()["error"]["code"] == "uri_too_long"
    assert stack.get("/__error/page/413").status_code == 404, "not a page of its own from outside"


def test_the_checkout_address_opened_again_leads_back_to_the_cart(stack):
    s = signed_in(stack, stack.user())
    r = s.post(stack.base + "/checkout", data={"csrf": csrf_of(s.get(stack.base + "/cart").text)},
               allow_redirects=False)
    assert r.status_code == 422 and 'class="site-header"' in r.text  # the cart, with the refusal
    r = s.get(stack.base + "/checkout", allow_redirects=False)
    assert r.status_code == 303 and r.headers["Location"] == "/cart"
    assert s.get(stack.base + "/checkout").status_code == 200


def new_campaign(stack, admin, type_, value, starts=-5, ends=3600):
    vendor = stack.sql("SELECT id FROM vendors ORDER BY id LIMIT 1")[0]["id"]
    r = stack.post("/api/v1/admin/coupons", {
        "vendor_id": vendor, "name": f"Pick {type_} {value} " + uuid.uuid4().hex[:6], "type": type_,
        "value": value, "total_quantity": 10, "starts_at": iso(starts), "ends_at": iso(ends)},
        token=admin["access"])
    assert r.status_code == 201, r.text
    return r.json()["coupon"]


def test_checkout_offers_the_coupons_you_hold_with_what_each_takes_off_this_cart(stack, admin):
    u = stack.user()
    fixed, percent, ending, used = (new_campaign(stack, admin, "fixed", 5000),
                                    new_campaign(stack, admin, "percent", 10),
                                    new_campaign(stack, admin, "fixed", 9000, ends=3),
                                    new_campaign(stack, admin, "fixed", 7000))
    for c in (fixed, percent, ending, used):
        assert stack.post(f"/api/v1/coupons/{c['id']}/claim", token=u["access"]).status_code == 201
    r = stack.post("/api/v1/admin/products", {"name": "Picker item " + uuid.uuid4().hex[:6],
                                              "description": "", "category": "test", "price": 120000,
                                              "stock": 50}, token=admin["access"])
    pid = r.json()["product"]["id"]
    r = stack.post("/api/v1/admin/products", {"name": "Picker other " + uuid.uuid4().hex[:6],
                                              "description": "", "category": "test", "price": 1000,
                                              "stock": 50}, token=admin["access"])
    other = r.json()["product"]["id"]
    # One coupon goes to an order first (held by it), one campaign ends: neither is offered.
    r = stack.post("/api/v1/orders", {"items": [{"product_id": other, "quantity": 1}],
                                      "coupon_id": used["id"]}, token=u["access"])
    assert r.status_code == 201, r.text
    time.sleep(3.5)
    s = signed_in(stack, u)
    r = s.post(stack.base + f"/cart/items/{pid}",
               data={"quantity": "1", "csrf": csrf_of(s.get(stack.base + "/cart").text)},
               allow_redirects=False)
    assert r.status_code == 303
    cart = html.unescape(s.get(stack.base + "/cart").text)
    offered = re.findall(r'name="coupon_id" value="(\d*)"( checked)?>\s*<span class="coupon-choice-name">'
                         r'([^<]*)</span>(?:\s*<span class="coupon-choice-off">\u2212([^<]*)</span>)?', cart)
    assert [(int(v), bool(c), name, off) for v, c, name, off in offered if v] == [
        (percent["id"], True, percent["name"], "\u20a912,000"),
        (fixed["id"], False, fixed["name"], "\u20a95,000")]
    assert ("", "", "No coupon", "") in offered
    r = s.post(stack.base + "/checkout", data={"coupon_id": str(fixed["id"]),
                                               "csrf": csrf_of(cart)}, allow_redirects=False)
    assert r.status_code == 303, r.text
    oid = int(re.search(r"/orders/(\d+)/pay", r.headers["Location"])[1])
    order = stack.sql("SELECT amount, discount, total FROM orders WHERE id = %s", oid)[0]
    assert order == {"amount": 120000, "discount": 5000, "total": 115000}


def test_the_cart_says_so_when_no_coupon_can_be_used(stack):
    s = signed_in(stack, stack.user())
    cart = html.unescape(s.get(stack.base + "/cart").text)
    assert "You hold no coupon this order could use" in cart and 'name="coupon_id"' not in cart
