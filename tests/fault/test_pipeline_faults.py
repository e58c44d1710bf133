"""Drills on the order pipeline with the fault landing while work is in flight: an event the
store refuses for good is parked and the pipeline keeps going (d); MariaDB restarted during
checkouts and payments (c); a web worker and the outbox relay killed mid-request and mid-batch
(e). Afterwards MySQL is checked: nothing paid is lost, nothing is applied twice."""
import html
import os
import re
import signal
import threading
import time
from collections import Counter

import requests

from conftest import pool, wait_until, in_list, wait_pipeline, product_row, children
from test_faults import (new_product, checkout, pay_all, read_pid, frozen, warm_up, wait_notified,
                         assert_once, CARD_OK)

PW = "correct horse battery"


def parked_metric(stack, consumer="order"):
    text = stack.get("/metrics").text
    m = re.search(rf'^firstcome_parked_events{{consumer="{consumer}"}} (\d+)$', text, re.M)
    assert m, "no parked_events gauge in /metrics"
    return int(m.group(1))


def parked_of(stack, order_id):
    return stack.sql("SELECT * FROM parked_events WHERE consumer = 'order' AND msg_key = %s",
                     str(order_id))


def admin_session(stack, email):
    s = requests.Session()
    token = re.search(r'name="csrf" value="([^"]+)"', s.get(stack.base + "/login").text).group(1)
    r = s.post(stack.base + "/login", data={"email": email, "password": PW, "csrf": html.unescape(token)},
               allow_redirects=False)
    assert r.status_code == 303
    return s


# ---- (d) an event that cannot be applied ----

def test_an_event_the_store_refuses_is_parked_and_the_pipeline_keeps_going(stack, admin):
    warm_up(stack, admin)
    short = new_product(stack, admin, stock=3)
    other = new_product(stack, admin, stock=10)
    [(user, oid)] = checkout(stack, pool(stack, 1), short)
    worker = read_pid(stack, "worker-order-0")
    with frozen(worker):
        assert Counter(st for _, st, _, _ in pay_all(stack, [(user, oid)])) == {200: 1}
        # MySQL's durable stock falls short behind the gate's back: the guard refuses the order.
        stack.sql("UPDATE products SET stock = 0 WHERE id = %s", short)

    # The pipeline goes on: payments of another product made afterwards are applied.
    later = checkout(stack, pool(stack, 5), other)
    assert Counter(st for _, st, _, _ in pay_all(stack, later)) == {200: 5}
    wait_pipeline(stack, [o for _, o in later], timeout=60)
    assert product_row(stack, other)["stock"] == 5

    # The refused event is parked: in the table, the gauge and the admin API.
    wait_until("the event parked", lambda: len(parked_of(stack, oid)) == 1 or parked_of(stack, oid), 30)
    [row] = parked_of(stack, oid)
    assert row["status"] == "parked" and row["topic"] == "payment.succeeded"
    assert f"product {short}" in row["reason"] and "short" in row["reason"]
    assert stack.sql("SELECT status, stock_applied FROM orders WHERE id = %s", oid)[0] == \
        {"status": "paid", "stock_applied": 0}
    open_now = stack.sql("SELECT COUNT(*) AS n FROM parked_events WHERE consumer = 'order' AND status = 'parked'")[0]["n"]
    assert parked_metric(stack) == open_now >= 1

    # The admin view lists it, with a retry form; a retry while the cause stands keeps it parked.
    listed = stack.request("GET", "/api/v1/admin/parked", headers={"Authorization": "Bearer " + admin["access"]})
    assert listed.status_code == 200
    mine = [e for e in listed.json()["items"] if e["id"] == row["id"]]
    assert mine and mine[0]["status"] == "parked" and mine[0]["key"] == str(oid)
    s = admin_session(stack, admin["email"])
    page = s.get(stack.base + "/admin/parked")
    assert page.status_code == 200 and f'action="/admin/parked/{row["id"]}/retry"' in page.text
    assert 'href="/admin/parked"' in s.get(stack.base + "/admin").text
    forged = s.post(stack.base + f"/admin/parked/{row['id']}/retry", data={}, allow_redirects=False)
    assert forged.status_code == 403  # no csrf field: nothing retried
    assert parked_of(stack, oid)[0]["attempts"] == 1
    retry = f"/api/v1/admin/parked/{row['id']}/retry"
    r = stack.post(retry, token=admin["access"])
    assert r.status_code == 409 and r.json()["error"]["code"] == "event_refused", r.text
    again = parked_of(stack, oid)[0]
    assert again["status"] == "parked" and again["attempts"] == 2 and again["retried_at"]
    user_token = pool(stack, 1)[0][1]
    assert stack.post(retry, token=user_token).status_code == 403

    # Stock restored, one retry applies it: the order reaches preparing once, stock taken once.
    stack.sql("UPDATE products SET stock = 3 WHERE id = %s", short)
    r = stack.post(retry, token=admin["access"])
    assert r.status_code == 200 and r.json()["event"]["status"] == "resolved", r.text
    r = stack.post(retry, token=admin["access"])
    assert r.status_code == 409 and r.json()["error"]["code"] == "already_resolved"
    wait_pipeline(stack, [oid], timeout=60)
    assert (product_row(stack, short)["stock"], product_row(stack, short)["sold"]) == (2, 1)
    hist = stack.sql("SELECT COUNT(*) AS n FROM order_history WHERE order_id = %s AND status = 'preparing'", oid)
    assert hist[0]["n"] == 1
    assert parked_metric(stack) == open_now - 1
    assert stack.request("POST", f"/api/v1/admin/parked/999999999/retry",
                         headers={"Authorization": "Bearer " + admin["access"]}).status_code == 404


def test_a_refused_event_in_a_batch_is_parked_alone_and_the_rest_apply_once(stack, admin):
    """The order worker gets nine payments as one batch, one in the middle of them refused by
    MySQL: that one is parked alone, every other order applied exactly once. The shipment and
    notify workers, frozen meanwhile, then get the resulting events as batches and apply each
    in one transaction: one shipment per order, one notification per event, every
    order.preparing published."""
    warm_up(stack, admin)
    short = new_product(stack, admin, stock=3)
    other = new_product(stack, admin, stock=20)
    before = checkout(stack, pool(stack, 4), other)
    [(user, refused)] = checkout(stack, pool(stack, 1), short)
    after = checkout(stack, pool(stack, 4), other)
    applied = [o for _, o in before + after]
    ids = ", ".join(map(str, applied))
    workers = [read_pid(stack, f"worker-{kind}-0") for kind in ("order", "shipment", "notify")]
    with frozen(workers[1]), frozen(workers[2]):
        with frozen(workers[0]):  # the payments wait in Kafka, to arrive as one batch
            assert Counter(st for _, st, _, _ in pay_all(stack, before, threads=1)) == {200: 4}
            assert Counter(st for _, st, _, _ in pay_all(stack, [(user, refused)])) == {200: 1}
            assert Counter(st for _, st, _, _ in pay_all(stack, after, threads=1)) == {200: 4}
            stack.sql("UPDATE products SET stock = 0 WHERE id = %s", short)
        wait_until("the order worker to apply the others", lambda: True if stack.sql(
            f"SELECT COUNT(*) AS n FROM orders WHERE id IN ({ids}) AND status = 'preparing'")[0]["n"] == 8
            else None, 30)
    wait_pipeline(stack, applied, timeout=60)
    wait_until("the refused event parked", lambda: len(parked_of(stack, refused)) == 1 or None, 30)
    assert (product_row(stack, other)["stock"], product_row(stack, other)["sold"]) == (12, 8)
    assert stack.sql("SELECT status, stock_applied FROM orders WHERE id = %s", refused)[0] == \
        {"status": "paid", "stock_applied": 0}
    once = stack.sql(f"SELECT o.id, (SELECT COUNT(*) FROM order_history h WHERE h.order_id = o.id"
                     f" AND h.status = 'preparing') AS h, (SELECT COUNT(*) FROM outbox ob WHERE"
                     f" ob.topic = 'order.events' AND ob.msg_key = o.id) AS ev, (SELECT COUNT(*) FROM"
                     f" shipments s WHERE s.order_id = o.id) AS ship FROM orders o WHERE o.id IN ({ids})")
    assert all((r["h"], r["ev"], r["ship"]) == (1, 1, 1) for r in once), once

    def notified():
        n = stack.sql(f"SELECT kind, COUNT(*) AS n, COUNT(DISTINCT order_id) AS orders FROM notifications"
                      f" WHERE order_id IN ({ids}) AND kind IN ('payment.succeeded', 'order.preparing')"
                      f" GROUP BY kind")
        return True if {(r["kind"], r["n"], r["orders"]) for r in n} == \
            {("payment.succeeded", 8, 8), ("order.preparing", 8, 8)} else n
    wait_until("one notification per event", notified, 30)
    wait_until("every order.preparing published", lambda: True if stack.sql(
        f"SELECT COUNT(*) AS n FROM outbox WHERE topic = 'order.events' AND msg_key IN"
        f" ({', '.join(repr(str(o)) for o in applied)}) AND published_at IS NOT NULL")[0]["n"] == len(applied)
        else None, 30)


# ---- helpers for (c) and (e) ----

def pay_answers(stack, orders, threads=12, pace=0.0):
    """Pays every order: {order_id: status} (None: no answer at all). Each thread waits `pace`
    seconds before each payment, for drills that must land while payments are still going."""
    def call(s, job):
        (_, token), oid = job
        time.sleep(pace)
        try:
            return s.post(stack.url(f"/api/v1/orders/{oid}/payment"), timeout=30,
                          headers={"Authorization": "Bearer " + token}, json={"card_number": CARD_OK})
        except requests.RequestException:
            return Gone()
    from test_faults import rush
    return {oid: st for ((_, oid), st, _, _) in rush(stack, orders, call, threads=threads)}


class Gone:
    """A request that got no answer (the connection closed)."""
    status_code, text = None, ""

    def json(self):
        raise ValueError


def after_the_fault(stack, pid, initial, paid_yes):
    """Everything paid reaches preparing, each exactly once: the pipeline's books in MySQL."""
    def settled():
        left = stack.sql("SELECT o.id, (SELECT GROUP_CONCAT(CONCAT(ob.event_id, ' published ',"
                         " COALESCE(ob.published_at, 'never'), ' created ', ob.created_at)) FROM outbox ob"
                         " WHERE ob.topic = 'payment.succeeded' AND ob.msg_key = o.id) AS events,"
                         " (SELECT COUNT(*) FROM parked_events pe WHERE pe.msg_key = o.id) AS parked"
                         " FROM orders o JOIN order_items i ON i.order_id = o.id"
                         " WHERE i.product_id = %s AND o.status = 'paid'", pid)
        return True if not left else f"{len(left)} orders still paid: {left[:3]}"
    wait_until("every paid order applied", settled, 120)
    orders = stack.sql("SELECT o.id, o.status, o.stock_applied, i.quantity FROM orders o"
                       " JOIN order_items i ON i.order_id = o.id WHERE i.product_id = %s", pid)
    applied = [o for o in orders if o["stock_applied"]]
    by_id = {o["id"]: o for o in orders}
    for oid in paid_yes:  # nothing paid is lost
        assert by_id[oid]["status"] in ("preparing", "shipping", "delivered") and by_id[oid]["stock_applied"], by_id[oid]
    ids = in_list([o["id"] for o in orders])
    approved = {r["order_id"]: r["n"] for r in stack.sql(
        f"SELECT order_id, COUNT(*) AS n FROM payments WHERE order_id IN ({ids}) AND outcome = 'approved'"
        f" GROUP BY order_id")}
    assert set(paid_yes) <= set(approved), "a payment answered 200 is not in payments"
    assert set(approved) == {o["id"] for o in applied}, "applied without an approved payment, or paid and not applied"
    assert set(approved.values()) <= {1}, "two approved payments for one order"
    twice = stack.sql(f"SELECT order_id, status, COUNT(*) AS n FROM order_history WHERE order_id IN ({ids})"
                      f" GROUP BY order_id, status HAVING n > 1")
    assert not twice, twice
    units = sum(o["quantity"] for o in applied)  # stock taken once per paid order
    row = product_row(stack, pid)
    assert (row["stock"], row["sold"]) == (initial - units, units), (row, units)
    events = stack.sql(f"SELECT ob.msg_key, COUNT(*) AS n, SUM((SELECT COUNT(*) FROM processed_events pe"
                       f" WHERE pe.consumer = 'order' AND pe.event_id = ob.event_id)) AS applied FROM outbox ob"
                       f" WHERE ob.topic = 'payment.succeeded' AND ob.msg_key IN ({', '.join(repr(str(o['id'])) for o in applied)})"
                       f" GROUP BY ob.msg_key")
    assert len(events) == len(applied) and {(e["n"], int(e["applied"])) for e in events} == {(1, 1)}
    assert not stack.sql(f"SELECT id FROM parked_events WHERE msg_key IN ({', '.join(repr(str(o['id'])) for o in orders)})")
    return applied


def restart_mariadb(stack, down=1.0):
    """SIGKILL of mariadbd (a crash: InnoDB recovers what was committed), started again the way
    scripts/stack.sh starts it."""
    pid = stack.pid("mysql")
    os.kill(pid, signal.SIGKILL)
    deadline = time.time() + 20
    while time.time() < deadline and os.path.exists(f"/proc/{pid}"):
        time.sleep(0.02)
    time.sleep(down)
    out = stack.stack_cmd("start")
    assert out.returncode == 0, out.stdout + out.stderr


class Crash(threading.Thread):
    """restart_mariadb after `delay` seconds, beside the requests; done() waits for it and
    raises what went wrong in it."""

    def __init__(self, stack, delay):
        super().__init__(daemon=True)
        self.stack, self.delay, self.error = stack, delay, None
        self.start()

    def run(self):
        time.sleep(self.delay)
        try:
            restart_mariadb(self.stack)
        except Exception as e:  # noqa: BLE001 - handed to the test thread
            self.error = e

    def done(self):
        self.join()
        if self.error:
            raise self.error


# ---- (c) MariaDB restarted during checkouts and payments ----

def test_mariadb_restarted_during_checkouts_and_payments_loses_and_repeats_nothing(stack, admin):
    warm_up(stack, admin)
    initial = 150
    pid = new_product(stack, admin, stock=initial)
    users = pool(stack, 150)
    from test_faults import rush

    def order(s, user):
        try:
            return s.post(stack.url("/api/v1/orders"), timeout=30, headers={"Authorization": "Bearer " + user[1]},
                          json={"items": [{"product_id": pid, "quantity": 1}]})
        except requests.RequestException:
            return Gone()
    crash = Crash(stack, 0.15)
    made = rush(stack, users, order, threads=12)
    crash.done()
    answers = Counter(st for _, st, _, _ in made)
    assert set(answers) <= {201, 503, 502, None}, answers
    orders = [(u, b["order"]["id"]) for u, st, b, _ in made if st == 201]
    assert len(orders) >= 10, answers
    for _, oid in orders:  # every 201 is stored
        assert stack.sql("SELECT status FROM orders WHERE id = %s", oid)[0]["status"] == "pending_payment"

    crash = Crash(stack, 0.03)
    paid = pay_answers(stack, orders, threads=8)
    crash.done()
    stack.wait_healthy(timeout=60)
    assert set(Counter(paid.values())) <= {200, 503, 502, None}, Counter(paid.values())
    paid_yes = [oid for oid, st in paid.items() if st == 200]
    # A payment that got no answer may be retried by its buyer: it is either applied or refused.
    for (user, oid) in orders:
        if paid[oid] != 200:
            r = stack.post(f"/api/v1/orders/{oid}/payment", {"card_number": CARD_OK}, token=user[1])
            assert r.status_code in (200, 409), r.text
            if r.status_code == 200:
                paid_yes.append(oid)
    applied = after_the_fault(stack, pid, initial, paid_yes)
    print(f"\ncheckouts {dict(answers)}; payments {dict(Counter(paid.values()))}; applied {len(applied)}")


# ---- (e) a web worker and the outbox relay killed mid-request and mid-batch ----

def test_killed_web_workers_and_relay_lose_and_repeat_nothing(stack, admin):
    warm_up(stack, admin)
    initial = 200
    pid = new_product(stack, admin, stock=initial)
    orders = checkout(stack, pool(stack, 200), pid)
    paying, stop = threading.Event(), threading.Event()
    kills = Counter()

    def killer():
        # Web workers mid-request (the supervisor replaces them; the events they committed and
        # did not publish are the relay's), and the relay again and again while it works.
        paying.wait()
        t0 = time.time()
        while not stop.is_set() and time.time() - t0 < 16:
            web = children(stack.pid("web"))
            if web and kills["web"] < 4 and paying.is_set():
                # Stopped first, so that what it holds is surely mid-request when it dies.
                victim = web[kills["web"] % len(web)]
                os.kill(victim, signal.SIGSTOP)
                time.sleep(0.15)
                os.kill(victim, signal.SIGKILL)
                kills["web"] += 1
            if time.time() - t0 > 9 and int((time.time() - t0) * 10) % 5 == 0:
                try:
                    os.kill(stack.pid("worker-relay-0"), signal.SIGKILL)
                    kills["relay"] += 1
                except (OSError, ValueError):
                    pass
            time.sleep(0.1)
    k = threading.Thread(target=killer)
    k.start()
    try:
        paying.set()
        # Paced to last about 1.5 s: the killer's four turns (0.25 s apart) land while it pays.
        paid = pay_answers(stack, orders, threads=10, pace=0.07)
        paying.clear()
        time.sleep(14)  # the relay's turn: events unacknowledged for 10 s
    finally:
        stop.set()
        paying.set()
        k.join()
    assert kills["web"] >= 2 and kills["relay"] >= 5, kills
    stack.wait_healthy(timeout=60)
    assert set(Counter(paid.values())) <= {200, 502, 503, None}, Counter(paid.values())
    paid_yes = [oid for oid, st in paid.items() if st == 200]
    applied = after_the_fault(stack, pid, initial, paid_yes)
    wait_pipeline(stack, [o["id"] for o in applied], timeout=90)
    wait_notified(stack, [o["id"] for o in applied])
    keys = ", ".join(repr(str(o["id"])) for o in applied)
    relayed = stack.sql(f"SELECT COUNT(*) AS n FROM outbox WHERE topic = 'payment.succeeded' AND msg_key IN ({keys})"
                        f" AND published_at >= created_at + INTERVAL 10 SECOND")[0]["n"]
    assert relayed > 0, "the relay had nothing to do: the drill proves nothing about it"
    print(f"\nkills {dict(kills)}; payments {dict(Counter(paid.values()))}; applied {len(applied)};"
          f" relayed {relayed}")


def test_a_store_outage_longer_than_the_poll_interval_keeps_the_consumer_in_its_group(stack, admin):
    """MariaDB down for longer than max.poll.interval.ms (10 s) while payment events wait: the
    order worker retries them by seeking back and polling on, so it never leaves its group."""
    warm_up(stack, admin)
    pid = new_product(stack, admin, stock=5)
    orders = checkout(stack, pool(stack, 5), pid)
    log = os.path.join(stack.state_dir, "logs", "workers.log")
    mark = os.path.getsize(log)
    worker = read_pid(stack, "worker-order-0")
    with frozen(worker):
        assert Counter(st for _, st, _, _ in pay_all(stack, orders)) == {200: 5}
        mysql = stack.pid("mysql")
        os.kill(mysql, signal.SIGKILL)
        wait_until("mariadbd gone", lambda: not os.path.exists(f"/proc/{mysql}"), 20)
    time.sleep(14)
    out = stack.stack_cmd("start")
    assert out.returncode == 0, out.stdout + out.stderr
    wait_pipeline(stack, [oid for _, oid in orders], timeout=60)
    with open(log, errors="replace") as f:
        f.seek(mark)
        since = f.read()
    assert "will retry" in since, "the worker never met the outage"
    assert "maximum poll interval" not in since, [l for l in since.splitlines() if "poll interval" in l][:2]
    assert read_pid(stack, "worker-order-0") == worker, "the order worker was replaced"
    wait_notified(stack, [oid for _, oid in orders])
    assert_once(stack, pid, [oid for _, oid in orders], initial=5)
