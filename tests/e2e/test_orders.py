"""Likes, the cart, orders, payment, coupons on orders, cancel and return, and the order pipeline
(order worker, shipment worker, scheduler, notify worker), checked in MySQL and Redis.

The tests at the end need short timings (reservations of seconds, shipping in a second): the
`fast` fixture restarts the web server and the workers with them once, and restores the
defaults after the module."""
import concurrent.futures as cf
import threading
import time
import uuid
from collections import Counter

import pytest
import requests

from conftest import assert_error, iso, auth, restart_app, wait_until, redis_stock, product_row

CARD_OK = "4242424242424242"
CARD_DECLINED = "4000000000000002"
ORDER_KEYS = {"id", "status", "items", "amount", "discount", "total", "expires_at", "created_at",
              "paid_at", "user_coupon_id", "history", "shipment"}


# ---- helpers ----

@pytest.fixture(scope="module")
def buyer(stack):
    return stack.user()


def new_product(stack, admin, stock=10, price=10000, **kw):
    body = {"name": kw.pop("name", "Item " + uuid.uuid4().hex[:8]), "description": "for orders",
            "category": "orders", "price": price, "stock": stock, **kw}
    r = stack.post("/api/v1/admin/products", body, token=admin["access"])
    assert r.status_code == 201, r.text
    return r.json()["product"]["id"]


def new_vendor(stack, admin):
    r = stack.post("/api/v1/admin/vendors", {"name": "Vendor " + uuid.uuid4().hex[:8]}, token=admin["access"])
    assert r.status_code == 201, r.text
    return r.json()["vendor"]["id"]


def campaign(stack, admin, vendor_id, value=1000, type="fixed", quantity=10):
    body = {"vendor_id": vendor_id, "name": "Order coupon " + uuid.uuid4().hex[:8], "type": type,
            "value": value, "total_quantity": quantity, "starts_at": iso(-5), "ends_at": iso(3600)}
    r = stack.post("/api/v1/admin/coupons", body, token=admin["access"])
    assert r.status_code == 201, r.text
    return r.json()["coupon"]["id"]


def claim(stack, user, coupon_id):
    r = stack.post(f"/api/v1/coupons/{coupon_id}/claim", token=user["access"])
    assert r.status_code == 201, r.text  # the stack runs in sync issue mode
    uc = r.json()["user_coupon"]
    assert uc["status"] == "available"
    return uc["id"]


def order(stack, user, items=None, expect=201, **extra):
    body = dict(extra)
    if items is not None:
        body["items"] = [{"product_id": p, "quantity": q} for p, q in items]
    r = stack.post("/api/v1/orders", body, token=user["access"])
    assert r.status_code == expect, r.text
    return r.json().get("order") if expect == 201 else r


def pay(stack, user, order_id, card=CARD_OK):
    return stack.post(f"/api/v1/orders/{order_id}/payment", {"card_number": card}, token=user["access"])


def get_order(stack, user, order_id):
    r = stack.get(f"/api/v1/orders/{order_id}", headers=auth(user))
    assert r.status_code == 200, r.text
    return r.json()["order"]


def order_row(stack, oid):
    return stack.sql("SELECT status, stock_applied, amount, discount, total, user_coupon_id FROM orders"
                     " WHERE id = %s", oid)[0]


def coupon_row(stack, uc_id):
    return stack.sql("SELECT status, order_id, used_at FROM user_coupons WHERE id = %s", uc_id)[0]


def balance(stack, vendor_id):
    return stack.sql("SELECT balance FROM vendors WHERE id = %s", vendor_id)[0]["balance"]


def wait_status(stack, oid, statuses, timeout=30, applied=None):
    statuses = (statuses,) if isinstance(statuses, str) else statuses

    def ok():
        row = order_row(stack, oid)
        good = row["status"] in statuses and (applied is None or row["stock_applied"] == applied)
        return True if good else row
    wait_until(f"order {oid} to be {statuses}", ok, timeout)


def notifications(stack, user, order_id):
    r = stack.get("/api/v1/me/notifications", headers=auth(user))
    assert r.status_code == 200, r.text
    return [n for n in r.json()["items"] if n["order_id"] == order_id]


def wait_notified(stack, user, order_id, kinds, timeout=30):
    def ok():
        got = sorted(n["kind"] for n in notifications(stack, user, order_id))
        return True if set(got) >= set(kinds) else got
    wait_until(f"notifications {kinds} of order {order_id}", ok, timeout)
    return notifications(stack, user, order_id)


# ---- likes ----

def test_likes_are_idempotent_and_counted_once(stack, admin):
    pid = new_product(stack, admin)
    a, b = stack.user(verified=False), stack.user()
    for _ in range(3):
        r = stack.request("PUT", f"/api/v1/products/{pid}/like", headers=auth(a))
        assert r.status_code == 204 and r.text == "", r.text
    assert product_row(stack, pid)["likes"] == 1
    assert stack.get(f"/api/v1/products/{pid}").json()["product"]["likes"] == 1
    assert stack.request("PUT", f"/api/v1/products/{pid}/like", headers=auth(b)).status_code == 204
    assert product_row(stack, pid)["likes"] == 2
    mine = stack.get("/api/v1/me/likes", headers=auth(a)).json()["items"]
    assert [i["id"] for i in mine] == [pid]
    for _ in range(2):
        assert stack.request("DELETE", f"/api/v1/products/{pid}/like", headers=auth(a)).status_code == 204
    assert product_row(stack, pid)["likes"] == 1
    assert stack.get("/api/v1/me/likes", headers=auth(a)).json()["items"] == []
    assert stack.get(f"/api/v1/products/{pid}").json()["product"]["likes"] == 1
    for _ in range(2):
        assert stack.request("DELETE", f"/api/v1/products/{pid}/like", headers=auth(b)).status_code == 204
    assert product_row(stack, pid)["likes"] == 0
    assert stack.sql("SELECT COUNT(*) AS n FROM likes WHERE product_id = %s", pid)[0]["n"] == 0
    assert_error(stack.request("PUT", "/api/v1/products/999999999/like", headers=auth(a)), 404, "not_found")
    assert_error(stack.request("PUT", f"/api/v1/products/{pid}/like"), 401, "unauthorized")


# ---- the cart ----

def test_cart_quantities_totals_and_refusals(stack, admin):
    p1, p2 = new_product(stack, admin, price=1500), new_product(stack, admin, price=2500)
    u = stack.user(verified=False)  # unverified users may fill a cart

    def put(pid, body):
        return stack.request("PUT", f"/api/v1/cart/items/{pid}", json=body, headers=auth(u))

    r = put(p1, {"quantity": 2})
    assert r.status_code == 200, r.text
    cart = r.json()
    assert cart["total"] == 3000 and len(cart["items"]) == 1
    item = cart["items"][0]
    assert (item["id"], item["quantity"], item["price"], item["subtotal"], item["stock_remaining"]) == (p1, 2, 1500, 3000, 10)
    assert put(p2, {"quantity": 1}).json()["total"] == 5500
    cart = put(p1, {"quantity": 5}).json()  # a PUT sets the quantity, it does not add
    assert {i["id"]: i["quantity"] for i in cart["items"]} == {p1: 5, p2: 1} and cart["total"] == 10000
    assert put(p1, {"quantity": 5}).json()["total"] == 10000
    for bad in ({"quantity": 101}, {"quantity": -1}, {"quantity": "2"}, {"quantity": 2.5}, {}, {"quantity": None}):
        assert_error(put(p1, bad), 422, "invalid_quantity")
    assert_error(put(999999999, {"quantity": 1}), 404, "not_found")
    assert_error(stack.request("PUT", "/api/v1/cart/items/abc", json={"quantity": 1}, headers=auth(u)), 404, "not_found")
    cart = stack.get("/api/v1/cart", headers=auth(u)).json()
    assert {i["id"]: i["quantity"] for i in cart["items"]} == {p1: 5, p2: 1}, "refusals changed nothing"
    assert list(stack.sql("SELECT product_id, quantity FROM cart_items WHERE user_id = %s ORDER BY product_id",
                          u["id"])) == [{"product_id": p1, "quantity": 5}, {"product_id": p2, "quantity": 1}]
    # Unverified: the cart stays but checkout is refused.
    assert_error(stack.post("/api/v1/orders", None, token=u["access"]), 403, "email_not_verified")
    assert redis_stock(stack, p1) == 10
    assert put(p2, {"quantity": 0}).json()["items"][0]["id"] == p1
    assert stack.request("DELETE", f"/api/v1/cart/items/{p1}", headers=auth(u)).status_code == 204
    assert stack.request("DELETE", f"/api/v1/cart/items/{p1}", headers=auth(u)).status_code == 204
    # Removing a product that does not exist is a 404, like setting any other quantity of it.
    assert_error(put(999999999, {"quantity": 0}), 404, "not_found")
    assert_error(stack.request("DELETE", "/api/v1/cart/items/999999999", headers=auth(u)), 404, "not_found")
    assert stack.get("/api/v1/cart", headers=auth(u)).json() == {"items": [], "total": 0}
    assert_error(stack.get("/api/v1/cart"), 401, "unauthorized")


def test_checkout_from_the_cart_orders_it_and_empties_it(stack, admin):
    p1, p2 = new_product(stack, admin, price=1500), new_product(stack, admin, price=2500, stock=5)
    u = stack.user()
    for pid, q in ((p1, 2), (p2, 3)):
        assert stack.request("PUT", f"/api/v1/cart/items/{pid}", json={"quantity": q}, headers=auth(u)).status_code == 200
    r = stack.post("/api/v1/orders", None, token=u["access"])  # no body at all: the cart
    assert r.status_code == 201, r.text
    o = r.json()["order"]
    assert ORDER_KEYS <= set(o), set(o)
    assert o["status"] == "pending_payment" and o["shipment"] is None and o["paid_at"] is None
    assert sorted((i["product_id"], i["quantity"], i["unit_price"]) for i in o["items"]) == [(p1, 2, 1500), (p2, 3, 2500)]
    assert (o["amount"], o["discount"], o["total"]) == (10500, 0, 10500)
    assert [h["status"] for h in o["history"]] == ["pending_payment"]
    assert stack.get("/api/v1/cart", headers=auth(u)).json() == {"items": [], "total": 0}
    assert not stack.sql("SELECT * FROM cart_items WHERE user_id = %s", u["id"])
    assert (redis_stock(stack, p1), redis_stock(stack, p2)) == (8, 2)
    listed = stack.get("/api/v1/orders", headers=auth(u)).json()["items"]
    assert [(i["id"], i["status"], i["total"]) for i in listed] == [(o["id"], "pending_payment", 10500)]
    assert_error(stack.post("/api/v1/orders", None, token=u["access"]), 422, "empty_cart")
    assert_error(stack.post("/api/v1/orders", {}, token=u["access"]), 422, "empty_cart")
    # A cart that cannot be served whole is kept as it is.
    assert stack.request("PUT", f"/api/v1/cart/items/{p2}", json={"quantity": 3}, headers=auth(u)).status_code == 200
    assert_error(stack.post("/api/v1/orders", None, token=u["access"]), 409, "sold_out")
    assert [(i["id"], i["quantity"]) for i in stack.get("/api/v1/cart", headers=auth(u)).json()["items"]] == [(p2, 3)]
    assert redis_stock(stack, p2) == 2
    # An order with explicit items leaves the cart alone.
    order(stack, u, [(p1, 1)])
    assert [(i["id"], i["quantity"]) for i in stack.get("/api/v1/cart", headers=auth(u)).json()["items"]] == [(p2, 3)]


# ---- malformed orders and payments ----

@pytest.fixture(scope="module")
def target(stack, admin):
    return new_product(stack, admin, stock=50)


@pytest.mark.parametrize("body,status,code", [
    (b"{", 400, "invalid_json"),
    (b"[]", 400, "invalid_json"),
    (b'{"items": "x"}', 422, "invalid_items"),
    (b'{"items": {}}', 422, "invalid_items"),
    (b'{"items": []}', 422, "invalid_items"),
    (b'{"items": [1]}', 422, "invalid_items"),
    (b'{"items": [{"product_id": PID, "quantity": 0}]}', 422, "invalid_items"),
    (b'{"items": [{"product_id": PID, "quantity": 101}]}', 422, "invalid_items"),
    (b'{"items": [{"product_id": PID, "quantity": "2"}]}', 422, "invalid_items"),
    (b'{"items": [{"product_id": PID, "quantity": -1}]}', 422, "invalid_items"),
    (b'{"items": [{"product_id": PID, "quantity": 1.5}]}', 422, "invalid_items"),
    (b'{"items": [{"product_id": PID}]}', 422, "invalid_items"),
    (b'{"items": [{"quantity": 1}]}', 422, "invalid_items"),
    (b'{"items": [{"product_id": "PID", "quantity": 1}]}', 422, "invalid_items"),
    (b'{"items": [{"product_id": 0, "quantity": 1}]}', 422, "invalid_items"),
    (b'{"items": [{"product_id": 999999999, "quantity": 1}]}', 422, "invalid_items"),
    (b'{"items": [{"product_id": PID, "quantity": 60}, {"product_id": PID, "quantity": 60}]}', 422, "invalid_items"),
    (b'{"items": [{"product_id": PID, "quantity": 1}], "coupon_id": "x"}', 422, "invalid_coupon"),
    (b'{"items": [{"product_id": PID, "quantity": 1}], "coupon_id": 0}', 422, "invalid_coupon"),
    (b'{"items": [{"product_id": PID, "quantity": 1}], "coupon_id": 1.5}', 422, "invalid_coupon"),
    (b'{"items": [{"product_id": PID, "quantity": 1}], "coupon_id": 999999999}', 409, "coupon_unavailable"),
])
def test_malformed_orders_are_refused_and_reserve_nothing(stack, buyer, target, body, status, code):
    before = redis_stock(stack, target)
    r = stack.request("POST", "/api/v1/orders", data=body.replace(b"PID", str(target).encode()),
                      headers={**auth(buyer), "Content-Type": "application/json"})
    assert_error(r, status, code)
    assert redis_stock(stack, target) == before
    assert stack.sql("SELECT COUNT(*) AS n FROM orders WHERE user_id = %s", buyer["id"])[0]["n"] == 0


def test_too_many_lines_are_refused_and_repeated_lines_are_merged(stack, admin, buyer, target):
    many = [{"product_id": target + i, "quantity": 1} for i in range(21)]
    assert_error(stack.post("/api/v1/orders", {"items": many}, token=buyer["access"]), 422, "invalid_items")
    assert_error(stack.post("/api/v1/orders", {"items": [{"product_id": target, "quantity": 1}]}), 401, "unauthorized")
    u = stack.user()
    before = redis_stock(stack, target)
    o = order(stack, u, [(target, 1), (target, 2)])
    assert [(i["product_id"], i["quantity"]) for i in o["items"]] == [(target, 3)]
    assert redis_stock(stack, target) == before - 3
    assert stack.post(f"/api/v1/orders/{o['id']}/cancel", token=u["access"]).status_code == 200
    assert redis_stock(stack, target) == before


def test_bad_cards_are_422_and_the_order_stays_payable(stack, admin):
    pid = new_product(stack, admin, stock=2)
    u = stack.user()
    o = order(stack, u, [(pid, 1)])
    for body in ({"card_number": ""}, {"card_number": "1234"}, {"card_number": "4242-4242-4242-abcd"},
                 {"card_number": 4242424242424242}, {"card_number": None}, {}, {"card_number": "4" * 20}):
        assert_error(stack.post(f"/api/v1/orders/{o['id']}/payment", body, token=u["access"]), 422, "invalid_card")
    r = stack.request("POST", f"/api/v1/orders/{o['id']}/payment", data=b"{",
                      headers={**auth(u), "Content-Type": "application/json"})
    assert_error(r, 400, "invalid_json")
    assert order_row(stack, o["id"])["status"] == "pending_payment"
    assert not stack.sql("SELECT * FROM payments WHERE order_id = %s", o["id"])
    r = pay(stack, u, o["id"], "4242 4242 4242 4242")
    assert r.status_code == 200, r.text
    assert r.json()["order"]["status"] == "paid" and r.json()["order"]["paid_at"]
    assert_error(pay(stack, u, o["id"]), 409, "not_payable")
    rows = stack.sql("SELECT outcome, amount, card_last4 FROM payments WHERE order_id = %s", o["id"])
    assert [(p["outcome"], p["amount"], p["card_last4"]) for p in rows] == [("approved", 10000, "4242")]


def test_a_declined_card_restores_the_stock_at_once(stack, admin):
    pid = new_product(stack, admin, stock=3)
    u = stack.user()
    o = order(stack, u, [(pid, 2)])
    assert redis_stock(stack, pid) == 1
    r = pay(stack, u, o["id"], CARD_DECLINED)
    assert r.status_code == 402, r.text
    body = r.json()
    assert set(body) == {"error", "order"} and body["error"]["code"] == "payment_declined"
    assert body["error"]["message"] and body["order"]["status"] == "payment_failed"
    assert [h["status"] for h in body["order"]["history"]] == ["pending_payment", "payment_failed"]
    assert redis_stock(stack, pid) == 3
    assert product_row(stack, pid)["stock"] == 3
    assert [p["outcome"] for p in stack.sql("SELECT outcome FROM payments WHERE order_id = %s", o["id"])] == ["declined"]
    assert_error(pay(stack, u, o["id"]), 409, "not_payable")
    assert_error(stack.post(f"/api/v1/orders/{o['id']}/cancel", token=u["access"]), 409, "not_cancellable")
    assert redis_stock(stack, pid) == 3, "given back once"
    assert not stack.sql("SELECT * FROM outbox WHERE topic = 'payment.succeeded' AND msg_key = %s", str(o["id"]))


def at_once(calls):
    """Runs the calls from as many threads, released together; their responses in order."""
    start = threading.Barrier(len(calls))

    def run(call):
        start.wait()
        return call()
    with cf.ThreadPoolExecutor(len(calls)) as ex:
        return list(ex.map(run, calls))


def test_racing_payments_and_cancels_of_one_order_take_effect_once(stack, admin):
    pid = new_product(stack, admin, stock=10)
    u = stack.user()
    o = order(stack, u, [(pid, 2)])
    got = at_once([lambda: pay(stack, u, o["id"]) for _ in range(8)])
    assert Counter(r.status_code for r in got) == {200: 1, 409: 7}
    assert {r.json()["error"]["code"] for r in got if r.status_code == 409} == {"not_payable"}
    assert [p["outcome"] for p in stack.sql("SELECT outcome FROM payments WHERE order_id = %s", o["id"])] == ["approved"]
    assert len(stack.sql("SELECT id FROM outbox WHERE topic = 'payment.succeeded' AND msg_key = %s", str(o["id"]))) == 1
    got = at_once([lambda: stack.post(f"/api/v1/orders/{o['id']}/cancel", token=u["access"]) for _ in range(8)])
    assert Counter(r.status_code for r in got) == {200: 1, 409: 7}
    wait_until("the order worker to see the payment", lambda: True if stack.sql(
        "SELECT pe.event_id FROM processed_events pe JOIN outbox ob ON ob.event_id = pe.event_id"
        " WHERE pe.consumer = 'order' AND ob.msg_key = %s AND ob.topic = 'payment.succeeded'", str(o["id"])) else None)
    assert redis_stock(stack, pid) == 10
    assert (product_row(stack, pid)["stock"], product_row(stack, pid)["sold"]) == (10, 0)
    assert sorted(p["outcome"] for p in stack.sql("SELECT outcome FROM payments WHERE order_id = %s", o["id"])) == \
        ["approved", "refunded"]
    # A declined card racing a cancel: the units come back once, whoever wins.
    for _ in range(4):
        o = order(stack, u, [(pid, 3)])
        got = at_once([lambda: pay(stack, u, o["id"], CARD_DECLINED),
                       lambda: stack.post(f"/api/v1/orders/{o['id']}/cancel", token=u["access"])])
        assert sorted(r.status_code for r in got) in ([200, 409], [402, 409]), [r.text for r in got]
        assert order_row(stack, o["id"])["status"] in ("payment_failed", "cancelled")
        assert redis_stock(stack, pid) == 10


# ---- another user's order ----

def test_another_users_order_is_404_for_every_verb(stack, admin):
    pid = new_product(stack, admin, stock=5)
    owner, other = stack.user(), stack.user()
    o = order(stack, owner, [(pid, 2)])
    path = f"/api/v1/orders/{o['id']}"
    assert_error(stack.get(path, headers=auth(other)), 404, "not_found")
    assert_error(pay(stack, other, o["id"]), 404, "not_found")
    assert_error(stack.post(path + "/cancel", token=other["access"]), 404, "not_found")
    assert_error(stack.post(path + "/return", token=other["access"]), 404, "not_found")
    assert stack.get("/api/v1/orders", headers=auth(other)).json()["items"] == []
    assert order_row(stack, o["id"])["status"] == "pending_payment"
    assert redis_stock(stack, pid) == 3
    assert not stack.sql("SELECT * FROM payments WHERE order_id = %s", o["id"])
    for bad in ("abc", "0", "-1", "999999999", "1.5"):
        assert_error(stack.get(f"/api/v1/orders/{bad}", headers=auth(owner)), 404, "not_found")
    assert_error(stack.get(path), 401, "unauthorized")


# ---- coupons on orders ----

def coupon_order(stack, admin, stock, price=10000, **campaign_kw):
    """A vendor's campaign, a user holding its coupon, a product, and the user's order of two
    units with the coupon: (vendor, campaign id, user, user coupon id, product id, order)."""
    vendor = new_vendor(stack, admin)
    cid = campaign(stack, admin, vendor, **campaign_kw)
    u = stack.user()
    uc = claim(stack, u, cid)
    pid = new_product(stack, admin, stock=stock, price=price)
    return vendor, cid, u, uc, pid, order(stack, u, [(pid, 2)], coupon_id=cid)


def test_a_coupon_lowers_the_total_and_is_used_and_credited_when_paid(stack, admin):
    vendor, cid, u, uc, pid, o = coupon_order(stack, admin, value=3000, stock=5, price=10000)
    assert (o["amount"], o["discount"], o["total"], o["user_coupon_id"]) == (20000, 3000, 17000, uc)
    assert coupon_row(stack, uc)["order_id"] == o["id"] and coupon_row(stack, uc)["status"] == "available"
    # Held by this order: no second order may use it.
    assert_error(order(stack, u, [(pid, 1)], expect=409, coupon_id=cid), 409, "coupon_unavailable")
    assert redis_stock(stack, pid) == 3
    r = pay(stack, u, o["id"])
    assert r.status_code == 200, r.text
    assert stack.sql("SELECT amount FROM payments WHERE order_id = %s", o["id"])[0]["amount"] == 17000
    wait_status(stack, o["id"], ("preparing", "shipping", "delivered"), applied=1)
    row = coupon_row(stack, uc)
    assert row["status"] == "used" and row["used_at"] and row["order_id"] == o["id"]
    assert balance(stack, vendor) == 3000
    vendors = stack.get("/api/v1/admin/vendors", headers=auth(admin)).json()["items"]
    assert next(v for v in vendors if v["id"] == vendor)["balance"] == 3000
    mine = [c for c in stack.get("/api/v1/me/coupons", headers=auth(u)).json()["items"] if c["coupon_id"] == cid]
    assert [c["status"] for c in mine] == ["used"]
    assert_error(order(stack, u, [(pid, 1)], expect=409, coupon_id=cid), 409, "coupon_unavailable")
    time.sleep(1)  # a redelivered event would credit twice
    assert balance(stack, vendor) == 3000


def test_percent_coupons_round_down_and_a_declined_payment_frees_the_coupon(stack, admin):
    vendor, cid, u, uc, pid, o = coupon_order(stack, admin, value=15, type="percent", stock=5, price=9999)
    assert (o["amount"], o["discount"], o["total"]) == (19998, 2999, 16999)
    assert pay(stack, u, o["id"], CARD_DECLINED).status_code == 402
    assert coupon_row(stack, uc)["order_id"] is None and coupon_row(stack, uc)["status"] == "available"
    again = order(stack, u, [(pid, 1)], coupon_id=cid)
    assert (again["discount"], again["total"], again["user_coupon_id"]) == (1499, 8500, uc)
    # A fixed coupon worth more than the order makes it free, never negative.
    big = campaign(stack, admin, vendor, value=50000)
    claim(stack, u, big)
    free = order(stack, u, [(pid, 1)], coupon_id=big)
    assert (free["amount"], free["discount"], free["total"]) == (9999, 9999, 0)
    assert balance(stack, vendor) == 0
    # Paid: the vendor is credited the discount its coupon granted (15% is 1499 won here).
    assert pay(stack, u, again["id"]).status_code == 200
    wait_status(stack, again["id"], ("preparing", "shipping", "delivered"), applied=1)
    assert coupon_row(stack, uc)["status"] == "used"
    assert balance(stack, vendor) == 1499


# ---- cancel ----

def test_cancel_after_payment_gives_stock_coupon_and_payment_back_once(stack, admin):
    vendor, cid, u, uc, pid, o = coupon_order(stack, admin, value=2000, stock=3, price=10000)
    assert pay(stack, u, o["id"]).status_code == 200
    wait_status(stack, o["id"], "preparing", applied=1)
    wait_until("the shipment", lambda: True if stack.sql("SELECT * FROM shipments WHERE order_id = %s", o["id"]) else None)
    assert (product_row(stack, pid)["stock"], product_row(stack, pid)["sold"], redis_stock(stack, pid)) == (1, 2, 1)
    assert balance(stack, vendor) == 2000 and coupon_row(stack, uc)["status"] == "used"

    r = stack.post(f"/api/v1/orders/{o['id']}/cancel", token=u["access"])
    assert r.status_code == 200, r.text
    got = r.json()["order"]
    assert got["status"] == "cancelled" and got["history"][-1]["status"] == "cancelled"

    def settled():
        row = product_row(stack, pid)
        return {"redis": redis_stock(stack, pid), "stock": row["stock"], "sold": row["sold"],
                "applied": order_row(stack, o["id"])["stock_applied"], "coupon": coupon_row(stack, uc),
                "balance": balance(stack, vendor),
                "payments": sorted((p["outcome"], p["amount"]) for p in stack.sql(
                    "SELECT outcome, amount FROM payments WHERE order_id = %s", o["id"])),
                "shipment": [s["status"] for s in stack.sql("SELECT status FROM shipments WHERE order_id = %s", o["id"])]}

    expected = {"redis": 3, "stock": 3, "sold": 0, "applied": 0,
                "coupon": {"status": "available", "order_id": None, "used_at": None}, "balance": 0,
                "payments": [("approved", 18000), ("refunded", 18000)], "shipment": ["cancelled"]}
    assert settled() == expected
    assert_error(stack.post(f"/api/v1/orders/{o['id']}/cancel", token=u["access"]), 409, "not_cancellable")
    assert_error(pay(stack, u, o["id"]), 409, "not_payable")
    notes = wait_notified(stack, u, o["id"], ["order.cancelled"])
    assert sorted(n["kind"] for n in notes).count("order.cancelled") == 1
    time.sleep(1.0)  # workers and scheduler had their chance to do anything twice
    assert settled() == expected
    # The coupon works again.
    again = order(stack, u, [(pid, 1)], coupon_id=cid)
    assert (again["discount"], again["user_coupon_id"]) == (2000, uc)


def test_cancel_of_an_unpaid_order_gives_the_reservation_back_once(stack, admin):
    vendor, cid, u, uc, pid, o = coupon_order(stack, admin, stock=2)
    assert redis_stock(stack, pid) == 0
    r = stack.post(f"/api/v1/orders/{o['id']}/cancel", token=u["access"])
    assert r.status_code == 200 and r.json()["order"]["status"] == "cancelled", r.text
    assert redis_stock(stack, pid) == 2
    assert product_row(stack, pid)["stock"] == 2 and product_row(stack, pid)["sold"] == 0
    assert coupon_row(stack, uc) == {"status": "available", "order_id": None, "used_at": None}
    assert_error(stack.post(f"/api/v1/orders/{o['id']}/cancel", token=u["access"]), 409, "not_cancellable")
    assert_error(pay(stack, u, o["id"]), 409, "not_payable")
    assert redis_stock(stack, pid) == 2
    assert not stack.sql("SELECT * FROM payments WHERE order_id = %s", o["id"])


# ---- escaping ----

def test_a_script_in_a_product_name_is_escaped_on_its_pages(stack, admin):
    evil = "<script>alert(1)</script>"
    pid = new_product(stack, admin, stock=5, name=evil, description="<img src=x onerror=alert(2)>")
    page = stack.get(f"/products/{pid}")
    assert page.status_code == 200 and page.headers["Content-Type"].startswith("text/html")
    assert evil not in page.text and "<img src=x" not in page.text
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in page.text
    u = stack.user()
    o = order(stack, u, [(pid, 1)])
    page = stack.get(f"/orders/{o['id']}", cookies={"access_token": u["access"]}, allow_redirects=False)
    assert page.status_code == 200, page.text[:300]
    assert page.headers["Content-Type"].startswith("text/html")
    assert evil not in page.text
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in page.text


# ---- the pipeline with short timings (module-scoped restart) ----

@pytest.fixture(scope="module")
def fast(stack):
    restart_app(stack, env={"RESERVATION_TTL": "3", "SHIP_AFTER": "1", "DELIVER_AFTER": "1"})
    yield
    restart_app(stack)


def deliver(stack, admin, user, stock=5, qty=1):
    pid = new_product(stack, admin, stock=stock)
    o = order(stack, user, [(pid, qty)])
    assert pay(stack, user, o["id"]).status_code == 200
    wait_status(stack, o["id"], "delivered", timeout=30)
    return pid, o["id"]


def test_a_paid_order_is_prepared_shipped_and_delivered(stack, admin, fast):
    u = stack.user()
    pid, oid = deliver(stack, admin, u)
    o = get_order(stack, u, oid)
    assert [h["status"] for h in o["history"]] == ["pending_payment", "paid", "preparing", "shipping", "delivered"]
    assert all(h["at"].endswith("Z") for h in o["history"])
    s = o["shipment"]
    assert s["status"] == "delivered" and s["tracking_number"].startswith("FC")
    assert s["shipped_at"] and s["delivered_at"] and o["delivered_at"] and o["paid_at"]
    assert stack.sql("SELECT COUNT(*) AS n FROM shipments WHERE order_id = %s", oid)[0]["n"] == 1
    assert (product_row(stack, pid)["stock"], product_row(stack, pid)["sold"], redis_stock(stack, pid)) == (4, 1, 4)
    kinds = ["payment.succeeded", "order.preparing", "shipment.shipping", "shipment.delivered"]
    notes = wait_notified(stack, u, oid, kinds, timeout=15)
    assert sorted(n["kind"] for n in notes) == sorted(kinds), "one notification per step"
    shipping = next(n for n in notes if n["kind"] == "shipment.shipping")
    assert s["tracking_number"] in shipping["message"] and f"#{oid}" in shipping["message"]
    assert [i["status"] for i in stack.get("/api/v1/orders", headers=auth(u)).json()["items"]] == ["delivered"]
    assert_error(stack.post(f"/api/v1/orders/{oid}/cancel", token=u["access"]), 409, "not_cancellable")


def test_a_return_within_the_window_restores_the_stock(stack, admin, fast):
    u = stack.user()
    pid, oid = deliver(stack, admin, u, stock=5, qty=2)
    assert (product_row(stack, pid)["stock"], redis_stock(stack, pid)) == (3, 3)
    r = stack.post(f"/api/v1/orders/{oid}/return", token=u["access"])
    assert r.status_code == 200, r.text
    assert r.json()["order"]["status"] == "return_requested"
    assert_error(stack.post(f"/api/v1/orders/{oid}/return", token=u["access"]), 409, "not_returnable")
    assert_error(stack.post(f"/api/v1/orders/{oid}/cancel", token=u["access"]), 409, "not_cancellable")
    wait_status(stack, oid, "returned", timeout=20)
    row = product_row(stack, pid)
    assert (row["stock"], row["sold"], redis_stock(stack, pid)) == (5, 0, 5)
    assert [h["status"] for h in get_order(stack, u, oid)["history"]][-2:] == ["return_requested", "returned"]
    assert sorted(p["outcome"] for p in stack.sql("SELECT outcome FROM payments WHERE order_id = %s", oid)) == \
        ["approved", "refunded"]
    assert_error(stack.post(f"/api/v1/orders/{oid}/return", token=u["access"]), 409, "not_returnable")
    time.sleep(1.0)
    row = product_row(stack, pid)
    assert (row["stock"], row["sold"], redis_stock(stack, pid)) == (5, 0, 5), "restored once"
    told = wait_notified(stack, u, oid, ["order.returned"])
    assert [n["message"] for n in told if n["kind"] == "order.returned"] == \
        [f"Your return of order #{oid} arrived; the payment is refunded."]


def test_returns_outside_the_window_or_before_delivery_are_refused(stack, admin, fast):
    u = stack.user()
    pid, oid = deliver(stack, admin, u)
    # Delivered eight days ago (the window is seven): too late.
    stack.sql("UPDATE orders SET delivered_at = UTC_TIMESTAMP() - INTERVAL 8 DAY WHERE id = %s", oid)
    assert_error(stack.post(f"/api/v1/orders/{oid}/return", token=u["access"]), 409, "not_returnable")
    assert order_row(stack, oid)["status"] == "delivered"
    pending = order(stack, u, [(pid, 1)])
    assert_error(stack.post(f"/api/v1/orders/{pending['id']}/return", token=u["access"]), 409, "not_returnable")


def page_actions(stack, user, oid):
    """What the order's page offers: its Pay link, its Cancel and Return forms."""
    s = requests.Session()
    s.cookies.set("access_token", user["access"])
    r = s.get(stack.url(f"/orders/{oid}"), timeout=10)
    assert r.status_code == 200, r.text
    marks = {"pay": f'href="/orders/{oid}/pay"', "cancel": f'action="/orders/{oid}/cancel"',
             "return": f'action="/orders/{oid}/return"'}
    return {name for name, mark in marks.items() if mark in r.text}


def api_actions(stack, user, oid):
    o = get_order(stack, user, oid)
    return {name for name in ("pay", "cancel", "return") if o[f"can_{name}"]}


def test_the_order_page_offers_what_the_api_says_the_buyer_may_do(stack, admin, fast):
    """Both come from the domain's state machine, clock included: a delivery older than
    RETURN_WINDOW offers no Return, an unpaid order past its expiry no Pay."""
    u = stack.user()
    pid, oid = deliver(stack, admin, u)
    assert api_actions(stack, u, oid) == page_actions(stack, u, oid) == {"return"}
    stack.sql("UPDATE orders SET delivered_at = UTC_TIMESTAMP() - INTERVAL 8 DAY WHERE id = %s", oid)
    assert api_actions(stack, u, oid) == page_actions(stack, u, oid) == set()
    assert_error(stack.post(f"/api/v1/orders/{oid}/return", token=u["access"]), 409, "not_returnable")
    pending = order(stack, u, [(pid, 1)])["id"]
    assert api_actions(stack, u, pending) == page_actions(stack, u, pending) == {"pay", "cancel"}
    time.sleep(3.2)  # RESERVATION_TTL=3: past its expiry, whether or not the scheduler moved it yet
    offered = api_actions(stack, u, pending)
    assert "pay" not in offered and offered == page_actions(stack, u, pending)
    assert_error(pay(stack, u, pending), 409, "not_payable")


def test_a_refused_return_names_the_order_s_real_state(stack, admin, fast):
    u = stack.user()
    pid, oid = deliver(stack, admin, u)
    pending = order(stack, u, [(pid, 1)])["id"]

    def refusal(order_id):
        r = stack.post(f"/api/v1/orders/{order_id}/return", token=u["access"])
        assert_error(r, 409, "not_returnable")
        return r.json()["error"]["message"]
    assert refusal(pending) == f"order {pending} is pending payment: only delivered orders can be returned"
    assert stack.post(f"/api/v1/orders/{oid}/return", token=u["access"]).status_code == 200
    assert refusal(oid) in (f"order {oid} is return requested already", f"order {oid} is returned already")
    late = deliver(stack, admin, u)[1]
    stack.sql("UPDATE orders SET delivered_at = UTC_TIMESTAMP() - INTERVAL 8 DAY WHERE id = %s", late)
    assert refusal(late) == (f"order {late} was delivered more than 7 days ago: returns are "
                             "accepted within 7 days of delivery")


def test_an_unpaid_order_expires_and_cannot_be_paid_afterwards(stack, admin, fast):
    vendor, cid, u, uc, pid, o = coupon_order(stack, admin, stock=2)
    assert redis_stock(stack, pid) == 0
    time.sleep(3.2)  # RESERVATION_TTL=3: the payment page was abandoned
    assert_error(pay(stack, u, o["id"]), 409, "not_payable")
    wait_status(stack, o["id"], "expired", timeout=15)
    assert redis_stock(stack, pid) == 2
    assert coupon_row(stack, uc) == {"status": "available", "order_id": None, "used_at": None}
    assert [h["status"] for h in get_order(stack, u, o["id"])["history"]] == ["pending_payment", "expired"]
    assert_error(pay(stack, u, o["id"]), 409, "not_payable")
    assert_error(stack.post(f"/api/v1/orders/{o['id']}/cancel", token=u["access"]), 409, "not_cancellable")
    assert not stack.sql("SELECT * FROM payments WHERE order_id = %s", o["id"])
    time.sleep(0.8)
    assert redis_stock(stack, pid) == 2, "given back once"
    again = order(stack, u, [(pid, 2)], coupon_id=cid)
    assert again["discount"] == 1000


def test_every_event_of_paid_orders_is_marked_published_without_the_relay(stack, admin):
    """Kafka's acknowledgements are marked published in batches, by the web worker that paid and
    by the order worker that applied, also once they have gone quiet: none waits for the relay
    (which sends again what is unmarked after 10 s)."""
    pid = new_product(stack, admin, stock=40)
    users = [stack.user() for _ in range(4)]
    orders = [(u, order(stack, u, [(pid, 1)])) for u in users for _ in range(5)]
    paid = at_once([lambda u=u, o=o: pay(stack, u, o["id"]) for u, o in orders])
    assert Counter(r.status_code for r in paid) == {200: len(orders)}
    keys = ", ".join(repr(str(o["id"])) for _, o in orders)
    rows = f"FROM outbox WHERE topic IN ('payment.succeeded', 'order.events') AND msg_key IN ({keys})"

    def all_marked():
        n = stack.sql(f"SELECT COUNT(*) AS n, SUM(published_at IS NULL) AS open {rows}")[0]
        return True if n["n"] == 2 * len(orders) and not n["open"] else None
    wait_until("every payment.succeeded and order.preparing row to be marked", all_marked, timeout=20)
    late = stack.sql(f"SELECT id, topic, created_at, published_at {rows}"
                     " AND published_at >= created_at + INTERVAL 5 SECOND")
    assert not late, late
