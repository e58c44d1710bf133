"""The stock gate while Redis loses its state in the middle of a checkout storm: FLUSHALL, a
Redis restarted empty, a Redis restarted from a state older than its last writes, all while
checkouts wait on a held product row lock. Checked afterwards in MySQL and Redis: never
oversold, every answer is what was stored, the counter and its per-order reservation records
are exactly what MySQL holds, and units of unpaid orders come back exactly once."""
import concurrent.futures as cf
import glob
import os
import shutil
import signal
import subprocess
import threading
import time
import uuid
from collections import Counter

import pytest
import redis
import requests

from conftest import pool, auth, in_list, wait_until, wait_pipeline, redis_stock

CARD_OK = "4242424242424242"
CARD_DECLINED = "4000000000000002"
HOLDING = "('pending_payment', 'paid', 'preparing', 'shipping', 'delivered', 'return_requested')"


def new_product(stack, admin, stock, **kw):
    body = {"name": "Gate " + uuid.uuid4().hex[:8], "description": "first come", "category": "fault",
            "price": 1000, "stock": stock, **kw}
    r = stack.post("/api/v1/admin/products", body, token=admin["access"])
    assert r.status_code == 201, r.text
    return r.json()["product"]["id"]


def buy(stack, token, pid, timeout=120):
    return requests.post(stack.url("/api/v1/orders"), timeout=timeout, headers=auth(token),
                         json={"items": [{"product_id": pid, "quantity": 1}]})


class Storm:
    """Checkouts of one unit each, every one from its own thread, answers kept per user."""

    def __init__(self, stack, pid):
        self.stack, self.pid = stack, pid
        self.ex = cf.ThreadPoolExecutor(64)
        self.futures = []
        self.answers = {}

    def start(self, users):
        for uid, token in users:
            self.futures.append(self.ex.submit(self._one, uid, token))

    def _one(self, uid, token):
        r = buy(self.stack, token, self.pid)
        try:
            body = r.json()
        except ValueError:
            body = {"raw": r.text[:200]}
        self.answers[uid] = (r.status_code, body)

    def wait(self):
        for f in self.futures:
            f.result()
        self.ex.shutdown()
        return self.answers


def held_units(stack, pid):
    return int(stack.sql(f"SELECT COALESCE(SUM(oi.quantity), 0) AS n FROM order_items oi JOIN orders o"
                         f" ON o.id = oi.order_id WHERE oi.product_id = %s AND o.status IN {HOLDING}",
                         pid)[0]["n"])


def gate_truth(stack, pid):
    """What MySQL says the gate must be: (units free, {order id: units} of orders holding units)."""
    row = stack.sql("SELECT stock FROM products WHERE id = %s", pid)[0]
    unapplied = stack.sql(f"SELECT COALESCE(SUM(oi.quantity), 0) AS n FROM order_items oi JOIN orders o"
                          f" ON o.id = oi.order_id WHERE oi.product_id = %s AND (o.status = 'pending_payment'"
                          f" OR (o.stock_applied = 0 AND o.status IN {HOLDING}))", pid)[0]["n"]
    held = stack.sql(f"SELECT o.id, oi.quantity FROM order_items oi JOIN orders o ON o.id = oi.order_id"
                     f" WHERE oi.product_id = %s AND o.status IN {HOLDING}", pid)
    return row["stock"] - int(unapplied), {str(h["id"]): str(h["quantity"]) for h in held}


def assert_gate_matches_mysql(stack, pid):
    free, held = gate_truth(stack, pid)
    assert redis_stock(stack, pid) == free, "the Redis counter is stock minus the units orders hold"
    assert stack.redis().hgetall(f"{{p:{pid}}}:held") == held, "one reservation record per holding order"


def assert_answers_are_the_truth(stack, pid, answers, stock):
    orders = stack.sql("SELECT o.id, o.user_id, o.status FROM orders o JOIN order_items oi ON oi.order_id = o.id"
                       " WHERE oi.product_id = %s", pid)
    by_user = Counter(o["user_id"] for o in orders)
    assert all(n == 1 for n in by_user.values()), "one order per buyer"
    told_yes = {u for u, (st, _) in answers.items() if st == 201}
    lies = {u: answers[u] for u in answers if (u in told_yes) != (u in by_user)}
    assert not lies, f"{len(lies)} answer(s) not what was stored: {list(lies.items())[:3]}"
    for o in orders:
        assert o["status"] == "pending_payment"
        assert answers[o["user_id"]][1]["order"]["id"] == o["id"]
    refusals = Counter((st, b.get("error", {}).get("code")) for st, b in answers.values() if st != 201)
    assert set(refusals) <= {(409, "sold_out"), (503, "unavailable")}, refusals
    assert held_units(stack, pid) <= stock, "oversold"
    return {o["user_id"]: o["id"] for o in orders}


def redis_restart_empty(stack):
    """Redis killed and started again without its append-only file (its state is lost)."""
    pid = stack.pid("redis")
    os.kill(pid, signal.SIGKILL)
    wait_until("redis to die", lambda: not os.path.exists(f"/proc/{pid}"), timeout=10, every=0.02)
    for path in glob.glob(os.path.join(stack.state_dir, "redis", "appendonly*")):
        shutil.rmtree(path) if os.path.isdir(path) else os.remove(path)
    start_redis(stack)


def start_redis(stack):
    """Redis started as scripts/stack.sh starts it (the web workers may all be busy: /healthz
    is not waited for)."""
    conf = os.path.join(stack.state_dir, "redis", "redis.conf")
    # It runs in the foreground (daemonize no), so setsid -f puts it in a session of its own,
    # no child of ours (a child would linger as a zombie once killed), as stack.sh starts it;
    # it writes its own pid file, which `stack.sh stop` reads.
    with open(os.path.join(stack.state_dir, "logs", "redis.log"), "ab") as log:
        subprocess.run(["setsid", "-f", "redis-server", conf], stdin=subprocess.DEVNULL,
                       stdout=log, stderr=log, check=True)

    def up():
        try:
            return stack.redis().ping()
        except (redis.exceptions.ConnectionError, redis.exceptions.BusyLoadingError) as e:
            return repr(e)
    wait_until("redis to answer", up, timeout=30, every=0.05)


def redis_restart(stack):
    """Redis stopped (it writes its append-only file) and started again."""
    pid = stack.pid("redis")
    stack.redis().shutdown()
    wait_until("redis to stop", lambda: not os.path.exists(f"/proc/{pid}"), timeout=10, every=0.02)
    start_redis(stack)


def reconcile(stack):
    """`firstcome reconcile`, the operator's rebuild from MySQL, run while the storm is on."""
    out = stack.cli("reconcile", check=False)
    return out.returncode


@pytest.mark.parametrize("fault", ["flushall", "restart", "flushall-again"])  # three rounds
def test_redis_lost_mid_storm_oversells_nothing_and_every_unit_comes_back_once(stack, admin, fault):
    stock = 10
    pid = new_product(stack, admin, stock, per_user_limit=1, sale_starts_at="2020-01-01T00:00:00Z")
    other = new_product(stack, admin, 100)
    buyers = pool(stack, 40)
    others = pool(stack, 4)
    other_orders = [buy(stack, t, other).json()["order"]["id"] for _, t in others]

    storm = Storm(stack, pid)
    lock = stack.db()
    lock.autocommit(False)
    t0 = time.monotonic()
    try:
        with lock.cursor() as cur:  # checkouts reserve, then wait for this row (order_items' key)
            cur.execute("SELECT id FROM products WHERE id = %s FOR UPDATE", (pid,))
        storm.start(buyers[:20])
        wait_until("reservations in flight", lambda: (redis_stock(stack, pid) or stock) < stock, timeout=20,
                   every=0.05)
        if fault == "restart":
            redis_restart_empty(stack)
        else:
            stack.redis().flushall()
        rebuild = cf.ThreadPoolExecutor(1).submit(reconcile, stack)
        time.sleep(0.5)
        storm.start(buyers[20:])
        time.sleep(max(0.0, 3 - (time.monotonic() - t0)))
    finally:
        lock.rollback()
        lock.close()
    answers = storm.wait()
    assert rebuild.result() == 0
    assert len(answers) == 40
    placed = assert_answers_are_the_truth(stack, pid, answers, stock)
    assert len(placed) == stock, Counter(st for st, _ in answers.values())
    assert_gate_matches_mysql(stack, pid)

    # Unpaid units come back exactly once: cancels, declined payments, expiries (the scheduler,
    # once expires_at has passed), while Redis is flushed and rebuilt again and again; paid
    # units do not.
    ids = sorted(placed.values())
    tokens = {uid: t for uid, t in buyers}
    owner = {oid: uid for uid, oid in placed.items()}
    cancel, decline, expire, pay = ids[:3], ids[3:6], ids[6:8], ids[8:]
    stop = threading.Event()

    def churn():
        while not stop.is_set():
            stack.redis().flushall()
            reconcile(stack)

    churner = threading.Thread(target=churn)
    churner.start()
    try:
        stack.sql(f"UPDATE orders SET expires_at = UTC_TIMESTAMP() - INTERVAL 1 SECOND WHERE id IN ({in_list(expire)})")
        def act(oid):
            h = auth(tokens[owner[oid]])
            if oid in cancel:
                return requests.post(stack.url(f"/api/v1/orders/{oid}/cancel"), headers=h, timeout=60).status_code
            card = CARD_DECLINED if oid in decline else CARD_OK
            return requests.post(stack.url(f"/api/v1/orders/{oid}/payment"), headers=h, timeout=60,
                                 json={"card_number": card}).status_code
        rest = cancel + decline + pay
        with cf.ThreadPoolExecutor(10) as ex:
            codes = dict(zip(rest, ex.map(act, rest)))
        wait_until("the scheduler to expire the abandoned orders", lambda: stack.sql(
            f"SELECT COUNT(*) AS n FROM orders WHERE id IN ({in_list(expire)}) AND status = 'expired'"
        )[0]["n"] == len(expire), timeout=30)
        # Payments of another product keep flowing while this one's gate is rebuilt.
        with cf.ThreadPoolExecutor(4) as ex:
            other_codes = list(ex.map(lambda j: requests.post(
                stack.url(f"/api/v1/orders/{j[1]}/payment"), headers=auth(j[0][1]), timeout=60,
                json={"card_number": CARD_OK}).status_code, zip(others, other_orders)))
    finally:
        stop.set()
        churner.join()
    assert [codes[o] for o in cancel] == [200] * 3
    assert [codes[o] for o in decline] == [402] * 3
    assert [codes[o] for o in pay] == [200] * len(pay)
    assert other_codes == [200] * 4
    wait_pipeline(stack, pay + other_orders, timeout=90)
    if fault != "flushall-again":  # that round checks the releases after the churn alone
        stack.redis().flushall()
        assert stack.get(f"/api/v1/products/{pid}").json()["product"]["stock_remaining"] == 8
    assert_gate_matches_mysql(stack, pid)
    assert redis_stock(stack, pid) == 8, "8 unpaid units back, each once"
    # The freed units sell again, exactly as many as came back.
    late = pool(stack, 10)
    res = Counter(buy(stack, t, pid).status_code for _, t in late)
    assert res == {201: 8, 409: 2}, res
    assert held_units(stack, pid) == stock
    assert_gate_matches_mysql(stack, pid)


def test_a_redis_restarted_with_a_stale_counter_is_rebuilt_not_trusted(stack, admin):
    """Redis comes back with an older state than its last writes (an append-only file missing
    its tail, a promoted replica): the counter is present but too generous."""
    stock = 6
    pid = new_product(stack, admin, stock)
    first = pool(stack, 4)
    assert Counter(buy(stack, t, pid).status_code for _, t in first) == {201: 4}
    r = stack.redis()
    # The state before those four reservations, as a file that lost its last second would have it.
    r.set(f"{{p:{pid}}}:stock", stock)
    r.delete(f"{{p:{pid}}}:bought", f"{{p:{pid}}}:held")
    redis_restart(stack)
    assert redis_stock(stack, pid) == stock
    late = pool(stack, 6)
    res = Counter(buy(stack, t, pid).status_code for _, t in late)
    assert res == {201: 2, 409: 4}, res
    assert held_units(stack, pid) == stock, "never oversold"
    assert_gate_matches_mysql(stack, pid)


def test_checkouts_nginx_gave_up_on_are_not_placed(stack, admin):
    """The reported drill: a product row held locked, 20 checkouts, FLUSHALL, a browse of the
    product, 20 more checkouts, the lock released three seconds after the browse answers. Every
    web worker waits on the lock, the browse and the rest wait for a worker until nginx answers
    503 for them (its 60 s read timeout); the requests are still queued on the FastCGI socket.
    A buyer told 503 must hold no order afterwards."""
    stock = 30
    pid = new_product(stack, admin, stock)
    buyers = pool(stack, 40)
    storm = Storm(stack, pid)
    lock = stack.db()
    lock.autocommit(False)
    try:
        with lock.cursor() as cur:
            cur.execute("SELECT id FROM products WHERE id = %s FOR UPDATE", (pid,))
        storm.start(buyers[:20])
        time.sleep(1)
        stack.redis().flushall()
        browse = stack.get(f"/api/v1/products/{pid}", timeout=120)
        storm.start(buyers[20:])
        time.sleep(3)
    finally:
        lock.rollback()
        lock.close()
    answers = storm.wait()
    assert browse.status_code in (200, 503)
    placed = assert_answers_are_the_truth(stack, pid, answers, stock)
    wait_until("the gate to settle", lambda: stack.get(f"/api/v1/products/{pid}").status_code == 200, timeout=30)
    stack.redis().flushall()
    assert stack.get(f"/api/v1/products/{pid}").json()["product"]["stock_remaining"] == stock - len(placed)
    assert_gate_matches_mysql(stack, pid)
