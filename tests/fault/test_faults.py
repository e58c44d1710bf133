"""Faults in the order pipeline: a frozen Kafka broker, a killed or frozen order worker, a lost
Redis. Payments stay fast, no paid order is lost, no event is applied twice, and what Redis
forgot is rebuilt from MySQL. Every stopped process is resumed in a finally block."""
import concurrent.futures as cf
import os
import signal
import time
import uuid
from collections import Counter
from contextlib import contextmanager

import requests

import conftest
from conftest import (assert_error, pool, auth, iso, wait_until, in_list, wait_pipeline,
                      redis_stock, product_row)

PW = "correct horse battery"
CARD_OK = "4242424242424242"
SHIPPED = ("preparing", "shipping", "delivered")
# After a Redis timeout a web worker does not ask Redis again for 0.25 s (REDIS_REST_SECONDS).
REDIS_REST = 0.5


# ---- helpers ----

def new_product(stack, admin, stock, price=5000, **kw):
    body = {"name": "Fault " + uuid.uuid4().hex[:8], "description": "under fire", "category": "fault",
            "price": price, "stock": stock, **kw}
    r = stack.post("/api/v1/admin/products", body, token=admin["access"])
    assert r.status_code == 201, r.text
    return r.json()["product"]["id"]




def rush(stack, jobs, call, threads=24):
    """conftest.rush: [(job, status, body, seconds)] in the order of jobs."""
    return [(job, status, body, took) for job, status, _, body, took in conftest.rush(jobs, call, threads)]


def checkout(stack, users, pid):
    """Every user orders one unit: [(user, order_id)]."""
    def call(s, user):
        return s.post(stack.url("/api/v1/orders"), timeout=30, headers=auth(user[1]),
                      json={"items": [{"product_id": pid, "quantity": 1}]})
    res = rush(stack, users, call)
    assert Counter(st for _, st, _, _ in res) == {201: len(users)}, [b for _, st, b, _ in res if st != 201][:3]
    return [(u, b["order"]["id"]) for u, _, b, _ in res]


def pay_all(stack, orders, threads=20):
    def call(s, job):
        (_, token), oid = job
        return s.post(stack.url(f"/api/v1/orders/{oid}/payment"), timeout=30, headers=auth(token),
                      json={"card_number": CARD_OK})
    return rush(stack, orders, call, threads=threads)


def wait_notified(stack, order_ids, per_order=2, timeout=60):
    ids = in_list(order_ids)

    def done():
        n = stack.sql(f"SELECT COUNT(*) AS n FROM notifications WHERE order_id IN ({ids})"
                      f" AND kind IN ('payment.succeeded', 'order.preparing')")[0]["n"]
        return True if n >= per_order * len(order_ids) else n
    wait_until("the notify worker", done, timeout)


def assert_once(stack, pid, order_ids, initial):
    """No paid order lost, nothing applied twice: the totals in MySQL and Redis."""
    ids = in_list(order_ids)
    rows = stack.sql(f"SELECT status, stock_applied FROM orders WHERE id IN ({ids})")
    assert len(rows) == len(order_ids)
    assert all(r["status"] in SHIPPED and r["stock_applied"] == 1 for r in rows), Counter(r["status"] for r in rows)
    row = product_row(stack, pid)
    assert (row["stock"], row["sold"]) == (initial - len(order_ids), len(order_ids))
    assert redis_stock(stack, pid) == initial - len(order_ids)
    ships = stack.sql(f"SELECT order_id, COUNT(*) AS n FROM shipments WHERE order_id IN ({ids}) GROUP BY order_id")
    assert len(ships) == len(order_ids) and {r["n"] for r in ships} == {1}
    keys = [str(i) for i in order_ids]
    marks = ", ".join(["%s"] * len(keys))
    events = stack.sql(f"SELECT ob.msg_key, (SELECT COUNT(*) FROM processed_events pe WHERE pe.consumer = 'order'"
                       f" AND pe.event_id = ob.event_id) AS applied FROM outbox ob"
                       f" WHERE ob.topic = 'payment.succeeded' AND ob.msg_key IN ({marks})", *keys)
    assert sorted(e["msg_key"] for e in events) == sorted(keys), "one payment event per paid order"
    assert {e["applied"] for e in events} == {1}
    twice = stack.sql(f"SELECT order_id, status, COUNT(*) AS n FROM order_history WHERE order_id IN ({ids})"
                      f" GROUP BY order_id, status HAVING n > 1")
    assert not twice, twice
    notes = stack.sql(f"SELECT order_id, kind, COUNT(*) AS n FROM notifications WHERE order_id IN ({ids})"
                      f" AND kind IN ('payment.succeeded', 'order.preparing') GROUP BY order_id, kind")
    assert len(notes) == 2 * len(order_ids) and {r["n"] for r in notes} == {1}, "one notification per event"
    owners = stack.sql(f"SELECT COUNT(*) AS n FROM notifications n JOIN orders o ON o.id = n.order_id"
                       f" WHERE n.order_id IN ({ids}) AND n.user_id <> o.user_id")
    assert owners[0]["n"] == 0, "notifications go to the order's owner"


def read_pid(stack, name, not_pid=None, timeout=30):
    """The pid in pids/NAME.pid once it names a live process (other than not_pid)."""
    deadline = time.time() + timeout
    while time.time() < deadline:
        try:
            pid = stack.pid(name)
            if pid != not_pid and os.path.exists(f"/proc/{pid}"):
                return pid
        except (OSError, ValueError):
            pass
        time.sleep(0.05)
    raise AssertionError(f"no live {name} process")


@contextmanager
def frozen(pid):
    """The process stopped (SIGSTOP) for the block, and always resumed afterwards."""
    os.kill(pid, signal.SIGSTOP)
    try:
        yield
    finally:
        try:
            os.kill(pid, signal.SIGCONT)
        except ProcessLookupError:
            pass


def restart_workers(stack):
    """The workers supervisor and its children restarted (everything else keeps running)."""
    pid = stack.pid("workers")
    os.kill(pid, signal.SIGTERM)
    deadline = time.time() + 40
    while time.time() < deadline and os.path.exists(f"/proc/{pid}"):
        time.sleep(0.05)
    assert not os.path.exists(f"/proc/{pid}"), "the workers did not stop"
    out = stack.stack_cmd("start")
    assert out.returncode == 0, out.stdout + out.stderr
    stack.wait_healthy()


def warm_up(stack, admin):
    """One order through the whole pipeline: every consumer group has joined and consumes."""
    pid = new_product(stack, admin, stock=1)
    orders = checkout(stack, pool(stack, 1), pid)
    assert Counter(st for _, st, _, _ in pay_all(stack, orders)) == {200: 1}
    ids = [oid for _, oid in orders]
    wait_pipeline(stack, ids, timeout=60)
    wait_notified(stack, ids)


# ---- a frozen broker ----

def test_payments_stay_fast_and_nothing_is_lost_while_the_broker_is_frozen(stack, admin):
    pid = new_product(stack, admin, stock=20)
    users = pool(stack, 20)
    orders = checkout(stack, users, pid)
    order_ids = [oid for _, oid in orders]
    keys = [str(i) for i in order_ids]
    marks = ", ".join(["%s"] * len(keys))
    warm_up(stack, admin)  # a stall while consumers join their groups is the next test's subject
    broker = stack.pid("devbroker")
    try:
        with frozen(broker):
            t0 = time.time()
            paid = pay_all(stack, orders)
            # The payment and its event are durable together, whatever Kafka does.
            rows = stack.sql(f"SELECT status FROM orders WHERE id IN ({in_list(order_ids)})")
            outbox = stack.sql(f"SELECT msg_key FROM outbox WHERE topic = 'payment.succeeded'"
                               f" AND msg_key IN ({marks})", *keys)
            # Longer than the relay's wait (10 s) and the consumers' session (6 s): the relay sends
            # its copies, the group rebalances once the broker answers again.
            time.sleep(max(0.0, t0 + 11.5 - time.time()))
        assert Counter(st for _, st, _, _ in paid) == {200: 20}, [b for _, st, b, _ in paid if st != 200][:3]
        slowest = max(took for _, _, _, took in paid)
        assert slowest < 2.0, f"a payment took {slowest:.2f}s while the broker was frozen"
        assert {r["status"] for r in rows} == {"paid"}
        assert sorted(r["msg_key"] for r in outbox) == sorted(keys)
        wait_pipeline(stack, order_ids)
        wait_notified(stack, order_ids)
        time.sleep(1.0)  # the relay's second copies arrive too; they must change nothing
        assert_once(stack, pid, order_ids, initial=20)
        wait_until("the outbox to be acknowledged", lambda: True if stack.sql(
            f"SELECT COUNT(*) AS n FROM outbox WHERE msg_key IN ({marks}) AND topic = 'payment.succeeded'"
            f" AND published_at IS NULL", *keys)[0]["n"] == 0 else None, timeout=30)
    finally:
        stack.wait_healthy()


# ---- a killed order worker ----

def test_a_killed_order_worker_loses_nothing_and_repeats_nothing(stack, admin):
    pid = new_product(stack, admin, stock=30)
    users = pool(stack, 30)
    orders = checkout(stack, users, pid)
    first, second, third = orders[:10], orders[10:20], orders[20:]

    # 1. Killed right after it applied a batch: its offsets may not be committed yet, so the
    #    next worker may see the batch again and must recognise it.
    assert Counter(st for _, st, _, _ in pay_all(stack, first)) == {200: 10}
    wait_pipeline(stack, [oid for _, oid in first], timeout=60)
    worker = read_pid(stack, "worker-order-0")
    os.kill(worker, signal.SIGKILL)
    # 2. Payments while no order worker runs.
    assert Counter(st for _, st, _, _ in pay_all(stack, second)) == {200: 10}
    # 3. The replacement is frozen, given events, and killed before it could handle them.
    replacement = read_pid(stack, "worker-order-0", not_pid=worker)
    with frozen(replacement):
        assert Counter(st for _, st, _, _ in pay_all(stack, third)) == {200: 10}
        time.sleep(0.5)
        os.kill(replacement, signal.SIGKILL)
    read_pid(stack, "worker-order-0", not_pid=replacement)
    everyone = [oid for _, oid in orders]
    wait_pipeline(stack, everyone, timeout=120)
    wait_notified(stack, everyone)
    time.sleep(1.0)
    assert_once(stack, pid, everyone, initial=30)
    stack.wait_healthy()


# ---- a cancel that overtakes the order worker ----

def test_a_cancel_while_the_order_worker_is_frozen_is_not_undone_by_it(stack, admin):
    pid = new_product(stack, admin, stock=3)
    (uid, token), = pool(stack, 1)
    r = stack.post("/api/v1/orders", {"items": [{"product_id": pid, "quantity": 2}]}, token=token)
    assert r.status_code == 201, r.text
    oid = r.json()["order"]["id"]
    worker = read_pid(stack, "worker-order-0")
    with frozen(worker):
        r = stack.post(f"/api/v1/orders/{oid}/payment", {"card_number": CARD_OK}, token=token)
        assert r.status_code == 200 and r.json()["order"]["status"] == "paid", r.text
        r = stack.post(f"/api/v1/orders/{oid}/cancel", token=token)
        assert r.status_code == 200 and r.json()["order"]["status"] == "cancelled", r.text
        assert redis_stock(stack, pid) == 3
    event = stack.sql("SELECT event_id FROM outbox WHERE topic = 'payment.succeeded' AND msg_key = %s", str(oid))
    assert len(event) == 1
    wait_until("the order worker to see the payment", lambda: True if stack.sql(
        "SELECT * FROM processed_events WHERE consumer = 'order' AND event_id = %s", event[0]["event_id"]) else None)
    time.sleep(0.5)
    row = stack.sql("SELECT status, stock_applied FROM orders WHERE id = %s", oid)[0]
    assert (row["status"], row["stock_applied"]) == ("cancelled", 0)
    assert (product_row(stack, pid)["stock"], product_row(stack, pid)["sold"]) == (3, 0)
    assert redis_stock(stack, pid) == 3
    assert "preparing" not in [h["status"] for h in stack.sql(
        "SELECT status FROM order_history WHERE order_id = %s", oid)]
    assert not stack.sql("SELECT * FROM shipments WHERE order_id = %s", oid)


# ---- Redis lost in the middle of a sale ----

def test_redis_lost_mid_sale_is_rebuilt_from_mysql(stack, admin):
    initial = 10
    pid = new_product(stack, admin, stock=initial, per_user_limit=3)
    users = pool(stack, 12)
    (a_id, a), (b_id, b), (d_id, d) = users[:3]
    crowd = users[3:]

    def buy(token, qty, expect=201):
        r = stack.post("/api/v1/orders", {"items": [{"product_id": pid, "quantity": qty}]}, token=token)
        assert r.status_code == expect, r.text
        return r

    oa = buy(a, 3).json()["order"]["id"]
    assert stack.post(f"/api/v1/orders/{oa}/payment", {"card_number": CARD_OK}, token=a).status_code == 200
    wait_pipeline(stack, [oa], timeout=60)  # paid and applied: products.stock is 7
    buy(b, 2)  # pending
    od = buy(d, 1).json()["order"]["id"]
    worker = read_pid(stack, "worker-order-0")
    with frozen(worker):  # d is paid but not yet applied to products.stock
        assert stack.post(f"/api/v1/orders/{od}/payment", {"card_number": CARD_OK}, token=d).status_code == 200
        assert stack.sql("SELECT stock_applied FROM orders WHERE id = %s", od)[0]["stock_applied"] == 0
        stack.redis().flushall()
        # 10 - 3 paid - 2 pending - 1 paid but not applied
        assert stack.get(f"/api/v1/products/{pid}").json()["product"]["stock_remaining"] == 4
    assert redis_stock(stack, pid) == 4
    # The per-user counts came back too.
    assert_error(buy(a, 1, 409), 409, "limit_exceeded")
    assert_error(buy(b, 2, 409), 409, "limit_exceeded")
    buy(b, 1)
    res = rush(stack, crowd, lambda s, u: s.post(stack.url("/api/v1/orders"), timeout=30, headers=auth(u[1]),
                                                 json={"items": [{"product_id": pid, "quantity": 1}]}))
    assert Counter(st for _, st, _, _ in res) == {201: 3, 409: 6}
    assert redis_stock(stack, pid) == 0
    wait_pipeline(stack, [oa, od], timeout=60)
    held = stack.sql("SELECT COALESCE(SUM(oi.quantity), 0) AS n FROM order_items oi JOIN orders o ON o.id = oi.order_id"
                     " WHERE oi.product_id = %s AND o.status IN ('pending_payment', 'paid', 'preparing', 'shipping',"
                     " 'delivered')", pid)[0]["n"]
    assert int(held) == initial, "never oversold"
    row = product_row(stack, pid)
    assert (row["stock"], row["sold"]) == (initial - 4, 4)


# ---- a broker stall while the workers start ----

def test_a_broker_stall_while_the_workers_start_does_not_leave_them_stuck(stack, admin):
    """The workers restart and, while their consumers are joining their groups, the broker stalls
    for a few seconds (a GC pause, a network hiccup without a reset). Once it answers again the
    consumers must catch up, not wait silently for minutes."""
    pid = new_product(stack, admin, stock=5)
    orders = checkout(stack, pool(stack, 5), pid)
    ids = [oid for _, oid in orders]
    restart_workers(stack)
    caught_up = False
    try:
        time.sleep(1.5)  # the consumers are in the middle of joining their groups
        with frozen(stack.pid("devbroker")):
            assert Counter(st for _, st, _, _ in pay_all(stack, orders)) == {200: 5}
            time.sleep(5)
        wait_pipeline(stack, ids, timeout=30)
        wait_notified(stack, ids, timeout=30)
        caught_up = True
        assert_once(stack, pid, ids, initial=5)
    finally:
        if not caught_up:  # leave working consumers to whatever runs next
            restart_workers(stack)
            wait_pipeline(stack, ids, timeout=60)
        stack.wait_healthy()


# ---- a frozen Redis ----

def test_a_frozen_redis_gets_an_answer_not_a_hang(stack, admin):
    """Redis stops answering (SIGSTOP) while a request waits on it: the web worker gives up
    after its timeout and answers 503 in the API's error shape, then serves normally once
    Redis is back."""
    pid = new_product(stack, admin, stock=5)
    assert stack.get(f"/api/v1/products/{pid}").status_code == 200
    stack.redis().set("catalog:version", "frozen-" + uuid.uuid4().hex)  # the next read goes to Redis
    with frozen(stack.pid("redis")):
        t = time.monotonic()
        r = requests.get(stack.url(f"/api/v1/products/{pid}"), timeout=40)
        took = time.monotonic() - t
    assert_error(r, 503, "unavailable")
    assert 4 < took < 30, f"answered after {took:.1f}s"  # the 5 s wait, not nginx's 60 s
    time.sleep(REDIS_REST)
    assert stack.get(f"/api/v1/products/{pid}").json()["product"]["stock_remaining"] == 5


def test_claims_waiting_together_on_a_frozen_redis_all_get_an_answer(stack, admin):
    """Claims in one web worker wait for Redis together (the worker takes other requests
    meanwhile). Redis stops answering while a crowd claims: /livez is still served while they
    wait, every claim gets a 503 after the Redis timeout, and claims work again once Redis is
    back."""
    vendor = stack.sql("SELECT id FROM vendors ORDER BY id LIMIT 1")[0]["id"]
    body = {"vendor_id": vendor, "name": "Frozen " + uuid.uuid4().hex[:8], "type": "fixed",
            "value": 500, "total_quantity": 100, "starts_at": iso(-5), "ends_at": iso(3600)}
    r = stack.post("/api/v1/admin/coupons", body, token=admin["access"])
    assert r.status_code == 201, r.text
    cid = r.json()["coupon"]["id"]
    users = pool(stack, 18)
    first = stack.request("POST", f"/api/v1/coupons/{cid}/claim", headers=auth(users[0][1]))
    assert first.status_code in (201, 202), first.text  # the campaign is in Redis

    def claim(s, user):
        return s.post(stack.url(f"/api/v1/coupons/{cid}/claim"), headers=auth(user[1]), timeout=40)

    with frozen(stack.pid("redis")):
        with cf.ThreadPoolExecutor(1) as ex:
            crowd = ex.submit(rush, stack, users[1:17], claim, 16)
            time.sleep(1.5)  # the crowd is waiting on Redis now
            live = requests.get(stack.url("/livez"), timeout=10)
            waiting = not crowd.done()
            results = crowd.result(timeout=60)
    assert live.status_code == 200
    assert waiting, "the claims were answered before Redis came back or timed out"
    for _, status, body, took in results:
        assert status == 503 and body["error"]["code"] == "unavailable", body
        assert 4 < took < 30, f"answered after {took:.1f}s"  # the 5 s wait, not nginx's 60 s
    time.sleep(REDIS_REST)
    last = stack.request("POST", f"/api/v1/coupons/{cid}/claim", headers=auth(users[17][1]))
    assert last.status_code in (201, 202), last.text
