"""What a person meets on the pages, read with JavaScript off (these clients run none): amounts
of money and order statuses written by the server, the same on every page; refusals that say
what is wrong; error pages that know who is signed in."""
import html
import re
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
        assert "5000" not in text, path
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
