"""Drills on the order pipeline with the fault landing while work is in flight: an event the
store refuses for good is parked and the pipeline keeps going (d); MariaDB restarted during
checkouts and payments (c); a web worker and the outbox relay killed mid-request and mid-batch
(e). Afterwards MySQL is checked: nothing paid is lost, nothing is applied twice."""
import html
import os
import re
import signal
import time
from collections import Counter

import requests

from conftest import pool, wait_until, in_list, wait_pipeline, product_row, unique_email
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
    before = parked_metric(stack)
    short = new_product(stack, admin, stock=3)
    other = new_product(stack, admin, stock=10)
    [(user, oid)] = checkout(stack, pool(stack, 1), short)
    worker = read_pid(stack, "worker-order-0")
    with frozen(worker):
        assert Counter(st for _, st, _, _ in pay_all(stack, [(user, oid)])) == {200: 1}
        # MySQL's durable stock falls short behind the gate's back: the guard refuses the order.
        stack.sql("UPDATE products SET stock = 0 WHERE id = %s", short)
    wait_until("the event parked", lambda: len(parked_of(stack, oid)) == 1 or parked_of(stack, oid), 30)
    [row] = parked_of(stack, oid)
    assert row["status"] == "parked" and row["topic"] == "payment.succeeded"
    assert f"product {short}" in row["reason"] and "short" in row["reason"]
    assert stack.sql("SELECT status, stock_applied FROM orders WHERE id = %s", oid)[0] == \
        {"status": "paid", "stock_applied": 0}
    assert parked_metric(stack) == before + 1

    # The pipeline goes on: payments of another product made afterwards are applied.
    later = checkout(stack, pool(stack, 5), other)
    assert Counter(st for _, st, _, _ in pay_all(stack, later)) == {200: 5}
    wait_pipeline(stack, [o for _, o in later], timeout=60)
    assert product_row(stack, other)["stock"] == 5

    # The admin view lists it, with a retry form; a retry while the cause stands keeps it parked.
    listed = stack.request("GET", "/api/v1/admin/parked", headers={"Authorization": "Bearer " + admin["access"]})
    assert listed.status_code == 200
    mine = [e for e in listed.json()["items"] if e["id"] == row["id"]]
    assert mine and mine[0]["status"] == "parked" and mine[0]["key"] == str(oid)
    page = admin_session(stack, admin["email"]).get(stack.base + "/admin/parked")
    assert page.status_code == 200 and f'action="/admin/parked/{row["id"]}/retry"' in page.text
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
    assert parked_metric(stack) == before
    assert stack.request("POST", f"/api/v1/admin/parked/999999999/retry",
                         headers={"Authorization": "Bearer " + admin["access"]}).status_code == 404
