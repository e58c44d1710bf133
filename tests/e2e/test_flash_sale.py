"""Flash sales: limited stock that hundreds of buyers check out in the same instant. Nothing is
oversold, every unit not paid for comes back exactly once, and the paid ones flow through the
pipeline (order worker, shipment worker) exactly once. Checked in MySQL (the truth) and in Redis
(the gate), not only in the answers."""
import threading
import time
import uuid
from collections import Counter

import pytest
import requests

import conftest
from conftest import (assert_error, pool, iso, auth, restart_app, wait_until, in_list, wait_pipeline,
                      redis_stock, product_row)

PW = "correct horse battery"
CARD_OK = "4242424242424242"
CARD_DECLINED = "4000000000000002"
SHIPPED = ("preparing", "shipping", "delivered")
PAID = ("paid",) + SHIPPED


# ---- helpers ----

def new_product(stack, admin, stock, price=10000, **kw):
    body = {"name": "Flash " + uuid.uuid4().hex[:8], "description": "limited", "category": "flash",
            "price": price, "stock": stock, **kw}
    r = stack.post("/api/v1/admin/products", body, token=admin["access"])
    assert r.status_code == 201, r.text
    return r.json()["product"]


def patch_product(stack, admin, pid, **fields):
    r = stack.request("PATCH", f"/api/v1/admin/products/{pid}", json=fields, headers=auth(admin["access"]))
    assert r.status_code == 200, r.text
    return r.json()["product"]




def rush(stack, jobs, call, threads=48):
    """conftest.rush: [(job, status, error code or None, body)] in the order of jobs."""
    return [(job, status, code, body) for job, status, code, body, _ in conftest.rush(jobs, call, threads)]


def buy(stack, pid, qty=1):
    def call(s, user):
        return s.post(stack.url("/api/v1/orders"), timeout=60, headers=auth(user[1]),
                      json={"items": [{"product_id": pid, "quantity": qty}]})
    return call


def pay(stack, card=CARD_OK):
    def call(s, job):
        (_, token), order_id = job
        return s.post(stack.url(f"/api/v1/orders/{order_id}/payment"), timeout=60,
                      headers=auth(token), json={"card_number": card})
    return call


def order_as(stack, token, items):
    return stack.post("/api/v1/orders", {"items": items}, token=token)


def units(stack, pid, statuses, expired=None):
    """Units of product pid in orders of these statuses (expired: only those whose reservation
    time has / has not passed)."""
    marks = ", ".join(["%s"] * len(statuses))
    extra = "" if expired is None else (" AND o.expires_at <= UTC_TIMESTAMP()" if expired
                                        else " AND o.expires_at > UTC_TIMESTAMP()")
    return int(stack.sql(f"SELECT COALESCE(SUM(oi.quantity), 0) AS n FROM order_items oi JOIN orders o"
                         f" ON o.id = oi.order_id WHERE oi.product_id = %s AND o.status IN ({marks}){extra}",
                         pid, *statuses)[0]["n"])


def orders_of(stack, pid):
    return stack.sql("SELECT o.id, o.user_id, o.status, o.stock_applied, oi.quantity FROM orders o"
                     " JOIN order_items oi ON oi.order_id = o.id WHERE oi.product_id = %s ORDER BY o.id", pid)


def assert_pipeline_once(stack, order_ids):
    """Every paid order went through the pipeline exactly once."""
    ids = in_list(order_ids)
    ships = stack.sql(f"SELECT order_id, COUNT(*) AS n FROM shipments WHERE order_id IN ({ids}) GROUP BY order_id")
    assert len(ships) == len(order_ids) and {r["n"] for r in ships} == {1}, ships
    assert len({r["tracking_number"] for r in stack.sql(
        f"SELECT tracking_number FROM shipments WHERE order_id IN ({ids})")}) == len(order_ids)
    keys = tuple(str(i) for i in order_ids)
    marks = ", ".join(["%s"] * len(keys))
    events = stack.sql(f"SELECT ob.msg_key, ob.event_id, (SELECT COUNT(*) FROM processed_events pe WHERE"
                       f" pe.consumer = 'order' AND pe.event_id = ob.event_id) AS applied FROM outbox ob"
                       f" WHERE ob.topic = 'payment.succeeded' AND ob.msg_key IN ({marks})", *keys)
    assert sorted(e["msg_key"] for e in events) == sorted(keys), "one payment event per paid order"
    assert {e["applied"] for e in events} == {1}, "each payment event applied once by the order worker"
    twice = stack.sql(f"SELECT order_id, status, COUNT(*) AS n FROM order_history WHERE order_id IN ({ids})"
                      f" GROUP BY order_id, status HAVING n > 1")
    assert not twice, twice
    hist = stack.sql(f"SELECT order_id, COUNT(*) AS n FROM order_history WHERE order_id IN ({ids})"
                     f" AND status IN ('paid', 'preparing') GROUP BY order_id")
    assert len(hist) == len(order_ids) and {r["n"] for r in hist} == {2}


# ---- first come, first served ----

def test_fifty_units_for_three_hundred_buyers_at_once(stack, admin):
    pid = new_product(stack, admin, stock=50)["id"]
    users = pool(stack, 300)
    results = rush(stack, users, buy(stack, pid))
    outcome = Counter((st, code) for _, st, code, _ in results)
    assert outcome == {(201, None): 50, (409, "sold_out"): 250}, outcome
    for _, st, _, body in results:
        if st == 201:
            assert body["order"]["status"] == "pending_payment"
            assert [(i["product_id"], i["quantity"]) for i in body["order"]["items"]] == [(pid, 1)]
        else:
            assert set(body) == {"error"}
    winners = [(u, body["order"]["id"]) for u, st, _, body in results if st == 201]
    assert redis_stock(stack, pid) == 0
    rows = orders_of(stack, pid)
    assert len(rows) == 50 and len({r["user_id"] for r in rows}) == 50
    assert {(r["status"], r["quantity"]) for r in rows} == {("pending_payment", 1)}
    assert {r["user_id"] for r in rows} == {u[0] for u, _ in winners}
    assert product_row(stack, pid)["stock"] == 50, "reserved is not sold: durable stock moves on payment"
    assert stack.get(f"/api/v1/products/{pid}").json()["product"]["stock_remaining"] == 0

    paid = rush(stack, winners, pay(stack))
    assert Counter(st for _, st, _, _ in paid) == {200: 50}, [b for _, st, _, b in paid if st != 200][:3]
    assert {b["order"]["status"] for _, _, _, b in paid} == {"paid"}

    order_ids = [oid for _, oid in winners]
    wait_pipeline(stack, order_ids)
    assert_pipeline_once(stack, order_ids)
    row = product_row(stack, pid)
    assert (row["stock"], row["sold"]) == (0, 50)
    assert redis_stock(stack, pid) == 0
    assert {r["status"] for r in orders_of(stack, pid)} <= set(SHIPPED)
    assert units(stack, pid, PAID) == 50
    # Too late is still too late, after all the payments.
    late = order_as(stack, users[-1][1], [{"product_id": pid, "quantity": 1}])
    assert_error(late, 409, "sold_out")
    assert redis_stock(stack, pid) == 0


# ---- sale start, per-user limit, all or nothing ----

def test_a_sale_that_has_not_started_sells_nothing(stack, admin):
    p = new_product(stack, admin, stock=5, sale_starts_at=iso(3600))
    assert p["sale_starts_at"]
    (uid, token), = pool(stack, 1)
    r = order_as(stack, token, [{"product_id": p["id"], "quantity": 1}])
    assert_error(r, 403, "sale_not_started")
    assert redis_stock(stack, p["id"]) == 5
    assert not orders_of(stack, p["id"])
    # The admin opens the sale: the gate learns it at once.
    patch_product(stack, admin, p["id"], sale_starts_at=iso(-1))
    r = order_as(stack, token, [{"product_id": p["id"], "quantity": 1}])
    assert r.status_code == 201, r.text
    assert redis_stock(stack, p["id"]) == 4
    # ... and closes it again until later: nothing more is sold.
    patch_product(stack, admin, p["id"], sale_starts_at=iso(3600))
    assert_error(order_as(stack, token, [{"product_id": p["id"], "quantity": 1}]), 403, "sale_not_started")
    assert redis_stock(stack, p["id"]) == 4


def test_per_user_limit_counts_every_order_the_user_holds(stack, admin):
    pid = new_product(stack, admin, stock=20, per_user_limit=2)["id"]
    (_, a), (_, b) = pool(stack, 2)
    first = order_as(stack, a, [{"product_id": pid, "quantity": 2}])
    assert first.status_code == 201, first.text
    assert_error(order_as(stack, a, [{"product_id": pid, "quantity": 1}]), 409, "limit_exceeded")
    assert_error(order_as(stack, b, [{"product_id": pid, "quantity": 3}]), 409, "limit_exceeded")
    assert redis_stock(stack, pid) == 18
    # A declined payment gives the units back, and the allowance with them.
    oid = first.json()["order"]["id"]
    r = stack.post(f"/api/v1/orders/{oid}/payment", {"card_number": CARD_DECLINED}, token=a)
    assert r.status_code == 402, r.text
    assert redis_stock(stack, pid) == 20
    again = order_as(stack, a, [{"product_id": pid, "quantity": 1}])
    assert again.status_code == 201, again.text
    r = stack.post(f"/api/v1/orders/{again.json()['order']['id']}/payment", {"card_number": CARD_OK}, token=a)
    assert r.status_code == 200, r.text
    # A paid unit counts too: one more is allowed, then no more.
    assert order_as(stack, a, [{"product_id": pid, "quantity": 1}]).status_code == 201
    assert_error(order_as(stack, a, [{"product_id": pid, "quantity": 1}]), 409, "limit_exceeded")
    assert units(stack, pid, PAID + ("pending_payment",)) == 2
    assert redis_stock(stack, pid) == 18


def test_per_user_limit_holds_when_one_user_fires_many_orders_at_once(stack, admin):
    pid = new_product(stack, admin, stock=50, per_user_limit=1)["id"]
    (uid, token), = pool(stack, 1)
    results = rush(stack, [(uid, token)] * 20, buy(stack, pid), threads=20)
    assert Counter((st, code) for _, st, code, _ in results) == {(201, None): 1, (409, "limit_exceeded"): 19}
    assert units(stack, pid, ("pending_payment",)) == 1
    assert redis_stock(stack, pid) == 49


def test_a_limit_set_after_purchases_counts_what_users_already_hold(stack, admin):
    """The limit is 'units a user holds in pending/paid orders', whenever it was set."""
    pid = new_product(stack, admin, stock=10)["id"]
    (_, token), = pool(stack, 1)
    assert order_as(stack, token, [{"product_id": pid, "quantity": 2}]).status_code == 201
    patch_product(stack, admin, pid, per_user_limit=2)
    r = order_as(stack, token, [{"product_id": pid, "quantity": 1}])
    assert_error(r, 409, "limit_exceeded")
    assert units(stack, pid, ("pending_payment",)) == 2
    assert redis_stock(stack, pid) == 8


def test_an_order_with_one_sold_out_item_reserves_nothing(stack, admin):
    avail = new_product(stack, admin, stock=5, per_user_limit=1)["id"]  # the lower id: reserved first
    gone = new_product(stack, admin, stock=1)["id"]
    (_, x), (uid_y, y) = pool(stack, 2)
    assert order_as(stack, x, [{"product_id": gone, "quantity": 1}]).status_code == 201
    r = order_as(stack, y, [{"product_id": gone, "quantity": 1}, {"product_id": avail, "quantity": 1}])
    assert_error(r, 409, "sold_out")
    assert redis_stock(stack, avail) == 5, "the available item was given back"
    assert redis_stock(stack, gone) == 0
    assert stack.redis().hget(f"{{p:{avail}}}:bought", str(uid_y)) in (None, "0")
    assert stack.sql("SELECT COUNT(*) AS n FROM orders WHERE user_id = %s", uid_y)[0]["n"] == 0
    # Nothing of y's allowance was used up by the refused order.
    r = order_as(stack, y, [{"product_id": avail, "quantity": 1}])
    assert r.status_code == 201, r.text
    assert redis_stock(stack, avail) == 4


def test_an_order_over_the_limit_on_one_item_reserves_nothing(stack, admin):
    first = new_product(stack, admin, stock=5)["id"]
    limited = new_product(stack, admin, stock=5, per_user_limit=1)["id"]
    (uid, token), = pool(stack, 1)
    assert order_as(stack, token, [{"product_id": limited, "quantity": 1}]).status_code == 201
    r = order_as(stack, token, [{"product_id": first, "quantity": 2}, {"product_id": limited, "quantity": 1}])
    assert_error(r, 409, "limit_exceeded")
    assert redis_stock(stack, first) == 5 and redis_stock(stack, limited) == 4
    assert stack.sql("SELECT COUNT(*) AS n FROM orders WHERE user_id = %s", uid)[0]["n"] == 1
    both = new_product(stack, admin, stock=3)["id"]
    ok = order_as(stack, token, [{"product_id": both, "quantity": 3}, {"product_id": first, "quantity": 5}])
    assert ok.status_code == 201, ok.text
    assert sorted((i["product_id"], i["quantity"]) for i in ok.json()["order"]["items"]) == [(first, 5), (both, 3)]
    assert ok.json()["order"]["amount"] == 8 * 10000
    assert redis_stock(stack, first) == 0 and redis_stock(stack, both) == 0


# ---- the admin changes the stock during a sale ----

def test_restocking_moves_the_live_counter_by_the_difference(stack, admin):
    pid = new_product(stack, admin, stock=5)["id"]
    users = pool(stack, 8)
    assert order_as(stack, users[0][1], [{"product_id": pid, "quantity": 2}]).status_code == 201
    assert redis_stock(stack, pid) == 3
    assert patch_product(stack, admin, pid, stock=10)["stock_remaining"] == 8
    assert (product_row(stack, pid)["stock"], redis_stock(stack, pid)) == (10, 8)
    assert patch_product(stack, admin, pid, stock=4)["stock_remaining"] == 2
    assert (product_row(stack, pid)["stock"], redis_stock(stack, pid)) == (4, 2)
    results = rush(stack, users[1:], buy(stack, pid))
    assert Counter((st, code) for _, st, code, _ in results) == {(201, None): 2, (409, "sold_out"): 5}
    assert redis_stock(stack, pid) == 0
    assert units(stack, pid, ("pending_payment",)) == 4


def test_lowering_stock_below_what_is_reserved_keeps_the_catalog_up(stack, admin):
    """An admin sets a stock lower than the units already reserved. Refused or accepted, the
    answer is not a half-done 503, and the catalog keeps answering (never a negative stock)."""
    pid = new_product(stack, admin, stock=5)["id"]
    (_, x), = pool(stack, 1)
    assert order_as(stack, x, [{"product_id": pid, "quantity": 3}]).status_code == 201
    try:
        r = stack.request("PATCH", f"/api/v1/admin/products/{pid}", json={"stock": 1}, headers=auth(admin["access"]))
        assert r.status_code in (200, 409, 422), (r.status_code, r.text[:300])
        if r.status_code != 200:
            assert (product_row(stack, pid)["stock"], redis_stock(stack, pid)) == (5, 2), "refused: nothing changed"
        page = stack.get(f"/api/v1/products/{pid}")
        assert page.status_code == 200, page.text[:300]
        assert page.json()["product"]["stock_remaining"] >= 0
        listing = stack.get("/api/v1/products?category=flash&per_page=100")
        assert listing.status_code == 200, listing.text[:300]
        assert stack.get("/").status_code == 200
    finally:  # never leave a negative counter behind for the tests that follow
        stack.request("PATCH", f"/api/v1/admin/products/{pid}", json={"stock": 20}, headers=auth(admin["access"]))


def test_a_payment_the_durable_stock_cannot_cover_does_not_block_other_orders(stack, admin):
    """x holds 3 units, the admin cuts the stock to 1, x pays. Whatever the system does with x's
    order, the payments of 16 other buyers (sharing Kafka partitions with it) are processed."""
    pid = new_product(stack, admin, stock=5)["id"]
    other = new_product(stack, admin, stock=16)["id"]
    users = pool(stack, 17)
    x = users[0]
    ox = order_as(stack, x[1], [{"product_id": pid, "quantity": 3}])
    assert ox.status_code == 201, ox.text
    ox = ox.json()["order"]["id"]
    res = rush(stack, users[1:], buy(stack, other))
    assert Counter(st for _, st, _, _ in res) == {201: 16}
    others = [(u, b["order"]["id"]) for u, _, _, b in res]
    try:
        stack.request("PATCH", f"/api/v1/admin/products/{pid}", json={"stock": 1}, headers=auth(admin["access"]))
        paid = stack.post(f"/api/v1/orders/{ox}/payment", {"card_number": CARD_OK}, token=x[1])
        assert paid.status_code in (200, 409), paid.text
        assert Counter(st for _, st, _, _ in rush(stack, others, pay(stack), threads=16)) == {200: 16}
        wait_pipeline(stack, [oid for _, oid in others], timeout=20)
        assert product_row(stack, other)["stock"] == 0
    finally:  # whatever happened, leave a stock that lets the order worker get past x's payment
        stack.request("PATCH", f"/api/v1/admin/products/{pid}", json={"stock": 20}, headers=auth(admin["access"]))
        if stack.sql("SELECT status FROM orders WHERE id = %s", ox)[0]["status"] == "paid":
            wait_until("x's payment to be applied", lambda: True if stack.sql(
                "SELECT stock_applied FROM orders WHERE id = %s", ox)[0]["stock_applied"] == 1 else None, 30)


def test_closing_a_sale_during_a_rush_never_leaves_more_reserved_than_stock(stack, admin):
    """Buyers keep ordering while the admin closes the sale by setting its stock to what orders
    hold (the lowest value allowed; a little more at each try, as orders keep coming). Whichever
    wins each race, the units orders hold never exceed products.stock, the live counter never
    goes below zero and the catalog keeps answering."""
    p = new_product(stack, admin, stock=5000)
    pid = p["id"]
    users = pool(stack, 30)
    done = threading.Event()

    def buyer(mine):
        s = requests.Session()
        for n in range(300):  # users may order again: no per-user limit here
            if done.is_set():
                return
            buy(stack, pid, qty=4)(s, mine[n % len(mine)])

    threads = [threading.Thread(target=buyer, args=(users[i::6],)) for i in range(6)]
    for t in threads:
        t.start()
    patches = []
    try:
        s = requests.Session()
        time.sleep(0.2)
        for k in range(100):
            want = units(stack, pid, ("pending_payment",)) + 2 * k
            r = s.patch(stack.url(f"/api/v1/admin/products/{pid}"), json={"stock": want}, timeout=60,
                        headers=auth(admin["access"]))
            patches.append((want, r.status_code))
            if r.status_code != 409:  # the sale is closed (or the answer is wrong: checked below)
                break
    finally:
        time.sleep(0.3)  # the orders on their way arrive
        done.set()
        for t in threads:
            t.join(60)
    try:
        stock = product_row(stack, pid)["stock"]
        held = units(stack, pid, ("pending_payment",))
        live = redis_stock(stack, pid)
        assert live >= 0 and held <= stock, (patches[-3:], stock, held, live)
        assert live == stock - held, (patches[-3:], stock, held, live)
        assert patches[-1][1] == 200, patches[-3:]
        page = stack.get(f"/api/v1/products/{pid}")
        assert page.status_code == 200, page.text[:200]
        assert page.json()["product"]["stock_remaining"] == live
        listing = stack.get("/api/v1/products", params={"q": p["name"]})
        assert listing.status_code == 200, listing.text[:200]
    finally:  # never leave a negative counter behind: it would take listings down for others
        stack.request("PATCH", f"/api/v1/admin/products/{pid}", headers=auth(admin["access"]),
                      json={"stock": units(stack, pid, ("pending_payment",)) + 100})


# ---- Rocket Mart: declines, abandoned carts and a second wave ----

TTL = 8


@pytest.fixture(scope="module")
def short_reservations(stack):
    restart_app(stack, env={"RESERVATION_TTL": str(TTL), "SHIP_AFTER": "60", "DELIVER_AFTER": "120"})
    yield
    restart_app(stack)


def test_rocket_mart_every_unit_not_paid_for_is_sold_again(stack, admin, short_reservations):
    initial = 40
    pid = new_product(stack, admin, stock=initial, price=39000)["id"]
    users = pool(stack, 200)

    def check(when, pending_ok=True):
        paid, pending = units(stack, pid, PAID), units(stack, pid, ("pending_payment",))
        live = redis_stock(stack, pid)
        assert paid + pending + live == initial, (when, paid, pending, live)
        if not pending_ok:
            assert pending == 0, (when, pending)
        return paid, pending, live

    t0 = time.time()
    results = rush(stack, users, buy(stack, pid))
    assert Counter((st, code) for _, st, code, _ in results) == {(201, None): 40, (409, "sold_out"): 160}
    winners = [(u, b["order"]["id"]) for u, st, _, b in results if st == 201]
    losers = [u for u, st, _, _ in results if st != 201]
    assert check("after checkout") == (0, 40, 0)

    decliners, abandoners, payers = winners[:8], winners[8:16], winners[16:]
    declined = rush(stack, decliners, pay(stack, CARD_DECLINED), threads=8)
    paid = rush(stack, payers, pay(stack), threads=24)
    assert time.time() - t0 < TTL - 1, "too slow to check before the reservations expire"
    for _, st, code, body in declined:
        assert (st, code) == (402, "payment_declined"), body
        assert set(body) == {"error", "order"} and body["order"]["status"] == "payment_failed"
    assert Counter(st for _, st, _, _ in paid) == {200: 24}
    assert check("after payments") == (24, 8, 8), "declined units are back at once"

    # The abandoned reservations run out: the scheduler gives their units back.
    abandoned = in_list(oid for _, oid in abandoners)
    wait_until("the abandoned orders to expire", lambda: True if {r["status"] for r in stack.sql(
        f"SELECT status FROM orders WHERE id IN ({abandoned})")} == {"expired"} else None, timeout=TTL + 20)
    for (_, token), oid in abandoners[:3]:
        assert_error(stack.post(f"/api/v1/orders/{oid}/payment", {"card_number": CARD_OK}, token=token),
                     409, "not_payable")
    wait_pipeline(stack, [oid for _, oid in payers])
    assert check("after expiry", pending_ok=False) == (24, 0, 16)
    row = product_row(stack, pid)
    assert (row["stock"], row["sold"]) == (16, 24)
    hist = stack.sql(f"SELECT COUNT(*) AS n FROM order_history WHERE order_id IN ({abandoned}) AND status = 'expired'")
    assert hist[0]["n"] == 8

    # The second wave: those who failed or gave up and 64 who were too late the first time.
    wave = [u for u, _ in decliners] + [u for u, _ in abandoners] + losers[:64]
    results = rush(stack, wave, buy(stack, pid))
    assert Counter((st, code) for _, st, code, _ in results) == {(201, None): 16, (409, "sold_out"): 64}
    second = [(u, b["order"]["id"]) for u, st, _, b in results if st == 201]
    assert check("second checkout") == (24, 16, 0)
    assert Counter(st for _, st, _, _ in rush(stack, second, pay(stack), threads=16)) == {200: 16}
    assert check("second payments", pending_ok=False) == (40, 0, 0)
    everyone = [oid for _, oid in payers + second]
    wait_pipeline(stack, everyone)
    assert_pipeline_once(stack, everyone)
    row = product_row(stack, pid)
    assert (row["stock"], row["sold"]) == (0, initial)
    assert redis_stock(stack, pid) == 0
    assert_error(order_as(stack, losers[-1][1], [{"product_id": pid, "quantity": 1}]), 409, "sold_out")


def test_raising_stock_on_a_counter_below_zero_is_applied(stack, admin):
    """A gate rebuilt while orders held more than MySQL's stock can sit below zero. Raising the
    stock moves it up by the difference and MySQL takes the new stock: the counter's new value
    (here -1) is never mistaken for the script's "refused"."""
    pid = new_product(stack, admin, stock=5)["id"]
    assert stack.get(f"/api/v1/products/{pid}").status_code == 200  # the gate is loaded
    stack.redis().set(f"{{p:{pid}}}:stock", -2)
    product = patch_product(stack, admin, pid, stock=6)
    assert product_row(stack, pid)["stock"] == 6
    assert redis_stock(stack, pid) == -1
    assert product["stock_remaining"] == 0  # shown as none left, never negative
