"""The drill beyond one machine, on one machine: two web hosts behind nginx, a devbroker cluster of
three brokers and two processes per consumer group (`make scale` starts that stack). A web host
is killed in the middle of a claim storm and started again; a broker goes down in the middle of
checkouts and payments and comes back. Afterwards MySQL and Redis are checked: nothing issued
twice or lost, every paid order shipped exactly once, nothing sold beyond the stock.

SCALE_USERS (300) sets the claim storm's people; the checkout storm has half as many."""
import concurrent.futures as cf
import os
import re
import signal
import socket
import threading
import time
import uuid
from collections import Counter

import requests

from conftest import (auth, fastcgi_answer, fastcgi_request, in_list, iso, pool, read_all,
                      wait_until)

USERS = int(os.environ.get("SCALE_USERS", "300"))
QUANTITY = 100  # COUPON_QUANTITY_CAP's default: the most a campaign may issue
CARD_OK = "4242424242424242"
DOWN_BROKER = 2  # leads partitions 0 and 3 of payment.succeeded and coordinates group order


class Gone:
    """A request that got no answer at all (the connection closed)."""
    status_code, text = None, ""

    def json(self):
        raise ValueError


def post(session, url, token, **kw):
    try:
        return session.post(url, timeout=30, headers=auth(token), **kw)
    except requests.RequestException:
        return Gone()


def storm(jobs, call, threads):
    """call(session, job) for every job from `threads` threads released together, each thread
    with its own HTTP session; [(job, result, monotonic time of the answer)] in no order."""
    start, local = threading.Barrier(threads), threading.local()

    def worker(idx):
        start.wait()
        out = []
        for job in jobs[idx::threads]:
            local.s = getattr(local, "s", None) or requests.Session()
            out.append((job, call(local.s, job), time.monotonic()))
        return out

    with cf.ThreadPoolExecutor(threads) as ex:
        return [x for part in ex.map(worker, range(threads)) for x in part]


def host_sock(stack, name):
    return os.path.join(stack.state_dir, name + ".sock")


def host_requests(stack, name, route):
    """The requests a web host's own /metrics counts for route, asked over its own socket (not
    through nginx, which answers from whichever host it picks)."""
    with socket.socket(socket.AF_UNIX) as s:
        s.connect(host_sock(stack, name))
        s.sendall(fastcgi_request("GET", "/metrics"))
        status, _, body = fastcgi_answer(read_all(s, 10))
    assert status == 200
    pattern = r'^firstcome_http_requests_total\{route="' + re.escape(route) + r'",[^}]*\} (\d+)$'
    return sum(int(n) for n in re.findall(pattern, body.decode(), re.M))


def kill_host(stack, name):
    """The host crashes: its master and workers stopped mid-request (so that some of the storm's
    requests are surely inside it), then killed together. Returns when none of them runs."""
    master = stack.pid(name)
    os.killpg(master, signal.SIGSTOP)
    time.sleep(0.3)
    os.killpg(master, signal.SIGKILL)

    def gone():
        try:
            with open(f"/proc/{master}/stat") as f:
                return f.read().rsplit(")", 1)[1].split()[0] == "Z"  # killed, not yet reaped
        except OSError:
            return True
    wait_until(f"{name} to die", gone, timeout=10, every=0.05)


def start_stack(stack):
    out = stack.stack_cmd("start")
    assert out.returncode == 0, out.stdout + out.stderr
    return out.stdout


def campaign(stack, admin, quantity):
    vendor = stack.sql("SELECT id FROM vendors ORDER BY id LIMIT 1")[0]["id"]
    r = stack.post("/api/v1/admin/coupons", {
        "vendor_id": vendor, "name": "Scale " + uuid.uuid4().hex[:6], "type": "fixed",
        "value": 1000, "total_quantity": quantity, "starts_at": iso(-5), "ends_at": iso(3600)},
        token=admin["access"])
    assert r.status_code == 201, r.text
    return r.json()["coupon"]["id"]


def test_a_web_host_killed_mid_claim_storm_loses_and_repeats_nothing_and_rejoins(stack, admin):
    assert os.path.exists(host_sock(stack, "web-1")), "run through `make scale` (WEB_HOSTS=2)"
    users = pool(stack, USERS)
    cid = campaign(stack, admin, QUANTITY)
    url = stack.url(f"/api/v1/coupons/{cid}/claim")
    answered, kill_at = Counter(), {}

    def claim(s, user):
        time.sleep(0.1)  # paced: the storm lasts seconds, so that the kill lands inside it
        r = post(s, url, user[1])
        answered["n"] += 1
        return r.status_code

    def killer():
        wait_until("a quarter of the storm", lambda: answered["n"] >= USERS // 4, timeout=60,
                   every=0.01)
        kill_at["t"] = time.monotonic()
        kill_host(stack, "web-1")
        kill_at["dead"] = time.monotonic()

    k = threading.Thread(target=killer)
    k.start()
    first = storm(users, claim, threads=32)
    k.join()
    seen = Counter(st for _, st, _ in first)
    failed = [(u, t) for u, st, t in first if st is None or st >= 500]
    print(f"\nclaims: {dict(seen)}; the host was stopped and killed "
          f"{kill_at['dead'] - kill_at['t']:.2f} s after the storm's quarter")
    assert set(seen) <= {201, 410, 502, 503, None}, seen
    assert seen[201] > 0 and seen[410] > 0
    # Every failure belongs to the kill: none before the host was stopped.
    assert all(t >= kill_at["t"] for _, t in failed), "a 5xx before the kill"

    # A person whose claim failed claims again, and gets a definite answer: the place the dead
    # host had taken for them in Redis becomes their coupon (201), or it was never taken.
    again = Counter()
    for (uid, token), _, _ in [f for f in first if f[1] is None or f[1] >= 500]:
        r = requests.post(url, headers=auth(token), timeout=30)
        again[r.status_code] += 1
        assert r.status_code in (201, 409, 410), r.text
    print(f"claimed again after a failure: {dict(again)}")

    rows = stack.sql("SELECT user_id FROM user_coupons WHERE coupon_id = %s", cid)
    holders = {r["user_id"] for r in rows}
    assert len(rows) == len(holders) == QUANTITY, "one coupon per user, the quantity exactly"
    assert stack.sql("SELECT issued FROM coupons WHERE id = %s", cid)[0]["issued"] == QUANTITY
    gate = {int(u) for u in stack.redis().smembers(f"{{c:{cid}}}:claimed")}
    assert gate == holders, "Redis's holders are MySQL's"
    told = {u for (u, _), st, _ in first if st == 201}
    assert told <= holders, "everyone told 201 holds the coupon"

    # Started again, the host rejoins: nginx sends it requests once its fail_timeout has passed.
    started = start_stack(stack)
    assert "web-1: started" in started, started
    route = "GET /api/v1/coupons/{id}"

    def rejoined():
        for _ in range(20):
            stack.get(f"/api/v1/coupons/{cid}")
        n = host_requests(stack, "web-1", route)
        return True if n > 0 else n
    wait_until("nginx to send web-1 requests again", rejoined, timeout=30, every=0.5)
    assert host_requests(stack, "web", route) > 0, "the other host serves too"


def new_product(stack, admin, stock):
    r = stack.post("/api/v1/admin/products", {
        "name": "Scale " + uuid.uuid4().hex[:8], "description": "one broker down",
        "category": "scale", "price": 5000, "stock": stock}, token=admin["access"])
    assert r.status_code == 201, r.text
    return r.json()["product"]["id"]


def test_a_broker_down_mid_checkouts_and_payments_ships_every_paid_order_exactly_once(stack, admin):
    with open(os.path.join(stack.state_dir, "devbroker.addr")) as f:
        assert len(f.read().split(",")) >= 3, "run through `make scale` (KAFKA_BROKER_COUNT=3)"
    buyers, stock = USERS // 2, USERS // 3
    users = pool(stack, buyers)
    pid = new_product(stack, admin, stock)
    done, broker = Counter(), {}

    def buy(s, user):
        time.sleep(0.4)  # paced: the storm outlasts the broker's time down
        r = post(s, stack.url("/api/v1/orders"), user[1],
                 json={"items": [{"product_id": pid, "quantity": 1}]})
        paid = None
        if r.status_code == 201:
            oid = r.json()["order"]["id"]
            paid = post(s, stack.url(f"/api/v1/orders/{oid}/payment"), user[1],
                        json={"card_number": CARD_OK}).status_code
        done["n"] += 1
        return r.status_code, paid

    def broker_drill():
        wait_until("a fifth of the buyers", lambda: done["n"] >= buyers // 5, timeout=60,
                   every=0.01)
        stack.arm_devbroker(f"broker-down {DOWN_BROKER}")
        broker["down"] = done["n"]
        time.sleep(3)
        stack.arm_devbroker(f"broker-up {DOWN_BROKER}")
        broker["up"] = done["n"]

    d = threading.Thread(target=broker_drill)
    d.start()
    results = storm(users, buy, threads=12)
    d.join()
    checkouts = Counter(c for _, (c, _), _ in results)
    payments = Counter(p for _, (_, p), _ in results if p is not None)
    print(f"\ncheckouts {dict(checkouts)}, payments {dict(payments)}; broker {DOWN_BROKER} down "
          f"after {broker['down']} buyers, up after {broker['up']} of {buyers}")
    assert broker["up"] < buyers, "the broker came back before the storm ended"
    assert set(checkouts) <= {201, 409} and checkouts[201] == stock, checkouts
    assert payments == {200: stock}, "payments never wait for Kafka"

    orders = stack.sql("SELECT o.id FROM orders o JOIN order_items i ON i.order_id = o.id"
                       " WHERE i.product_id = %s", pid)
    ids = in_list([o["id"] for o in orders])
    paid = [r["order_id"] for r in stack.sql(
        f"SELECT order_id FROM payments WHERE order_id IN ({ids}) AND outcome = 'approved'")]
    assert len(paid) == len(set(paid)) <= stock, "paid orders never exceed the stock"

    def shipped():
        rows = stack.sql(f"SELECT order_id, COUNT(*) AS n FROM shipments"
                         f" WHERE order_id IN ({in_list(paid)}) GROUP BY order_id")
        return True if len(rows) == len(paid) else f"{len(rows)} of {len(paid)} shipped"
    wait_until("every paid order shipped", shipped, timeout=90)
    twice = stack.sql(f"SELECT order_id, COUNT(*) AS n FROM shipments WHERE order_id IN"
                      f" ({in_list(paid)}) GROUP BY order_id HAVING n > 1")
    assert not twice, "a paid order shipped twice"
    keys = [str(o) for o in paid]
    marks = ", ".join(["%s"] * len(keys))
    parked = stack.sql(f"SELECT consumer, msg_key, reason FROM parked_events WHERE msg_key IN"
                       f" ({marks})", *keys)
    assert not parked, parked
    states = Counter(r["status"] for r in stack.sql(
        f"SELECT status FROM orders WHERE id IN ({in_list(paid)}) AND stock_applied = 1"))
    assert sum(states.values()) == len(paid) and set(states) <= {"preparing", "shipping"}, states
    row = stack.sql("SELECT stock, sold FROM products WHERE id = %s", pid)[0]
    assert (row["stock"], row["sold"]) == (stock - len(paid), len(paid))
