"""The operators' live view of a sale (/admin/live/...): its page, and its Server-Sent Events
stream read while real clients claim and order, its figures checked against MySQL, Redis and
/metrics afterwards."""
import concurrent.futures as cf
import json
import re
import threading
import time
import uuid

import requests

from conftest import assert_error, page_session, pool, read_env


def make_campaign(stack, admin, quantity):
    vendor = stack.sql("SELECT id FROM vendors ORDER BY id LIMIT 1")[0]["id"]
    r = stack.post("/api/v1/admin/coupons", {
        "vendor_id": vendor, "name": "Live " + uuid.uuid4().hex[:6], "type": "fixed", "value": 1000,
        "total_quantity": quantity, "starts_at": "2020-01-01T00:00:00Z",
        "ends_at": "2099-01-01T00:00:00Z"}, token=admin["access"])
    assert r.status_code == 201, r.text
    return r.json()["coupon"]["id"]


def make_product(stack, admin, stock):
    r = stack.post("/api/v1/admin/products", {"name": "Live item " + uuid.uuid4().hex[:6],
                                              "description": "", "category": "test",
                                              "price": 5000, "stock": stock}, token=admin["access"])
    assert r.status_code == 201, r.text
    return r.json()["product"]["id"]


class Stream:
    """An events stream read in a thread: [(seconds since opened, event)]."""

    def __init__(self, session, url):
        self.events, self.t0 = [], time.monotonic()
        self.resp = session.get(url, stream=True, timeout=15)
        self.stop = threading.Event()
        self.thread = threading.Thread(target=self.read, daemon=True)
        self.thread.start()

    def read(self):
        try:
            for line in self.resp.iter_lines():
                if line.startswith(b"data: "):
                    self.events.append((time.monotonic() - self.t0, json.loads(line[6:])))
                if self.stop.is_set():
                    break
        except (requests.RequestException, AttributeError, OSError):
            pass  # closed by close(), from the test's thread

    def close(self):
        self.stop.set()
        self.resp.close()
        self.thread.join(5)


def first_event(session, url):
    """The first event of a new stream (its figures now)."""
    stream = Stream(session, url)
    deadline = time.time() + 5
    while not stream.events and time.time() < deadline:
        time.sleep(0.05)
    stream.close()
    assert stream.events, "no event within 5 s"
    return stream.events[0][1]


def admin_session(stack, admin):
    return page_session(stack, admin["email"], admin["password"])


def metric(stack, name_and_labels):
    text = stack.get("/metrics").text
    m = re.search("^" + re.escape(name_and_labels) + r" (\d+)$", text, re.M)
    return int(m.group(1)) if m else None


def test_the_live_view_is_for_admins_and_known_items(stack, admin):
    cid = make_campaign(stack, admin, 5)
    anon = requests.get(stack.url(f"/admin/live/coupons/{cid}"), allow_redirects=False)
    assert anon.status_code == 303 and "/login" in anon.headers["Location"]
    u = stack.user()
    s = page_session(stack, u["email"], u["password"])
    assert s.get(stack.url(f"/admin/live/coupons/{cid}")).status_code == 403
    assert s.get(stack.url(f"/admin/live/coupons/{cid}/events")).status_code == 403
    a = admin_session(stack, admin)
    for path in ("/admin/live/coupons/999999999", "/admin/live/products/999999999/events"):
        r = a.get(stack.url(path))
        assert r.status_code == 404, (path, r.status_code)
        assert "text/html" in r.headers["Content-Type"]
    page = a.get(stack.url(f"/admin/live/coupons/{cid}"))
    assert page.status_code == 200
    assert f'data-live-events="/admin/live/coupons/{cid}/events"' in page.text
    # The figures of the moment are on the page itself (a refresh reads them again).
    assert re.search(r'data-live-value="left">5<', page.text), page.text
    links = a.get(stack.url("/admin/coupons")).text
    assert f'href="/admin/live/coupons/{cid}"' in links


def test_a_claim_storm_streams_second_by_second_and_adds_up(stack, admin):
    quantity, claimants = 60, 90
    cid = make_campaign(stack, admin, quantity)
    users = pool(stack, claimants)
    a = admin_session(stack, admin)
    stream = Stream(a, stack.url(f"/admin/live/coupons/{cid}/events"))
    assert stream.resp.status_code == 200
    assert stream.resp.headers["Content-Type"].startswith("text/event-stream")
    time.sleep(1.2)

    # Ten clients claim in parallel for two seconds or more.
    def claimant(part):
        out = []
        with requests.Session() as s:
            for uid, token in part:
                r = s.post(stack.url(f"/api/v1/coupons/{cid}/claim"),
                           headers={"Authorization": "Bearer " + token}, timeout=30)
                out.append(r.status_code)
                time.sleep(0.25)
        return out

    with cf.ThreadPoolExecutor(10) as ex:
        statuses = [s for part in ex.map(claimant, [users[i::10] for i in range(10)]) for s in part]
    time.sleep(1.5)
    stream.close()

    won = sum(1 for s in statuses if s in (201, 202))
    refused = sum(1 for s in statuses if s == 410)
    assert (won, refused) == (quantity, claimants - quantity), statuses
    events = stream.events
    assert len(events) >= 4, events
    # About one event a second, each passed on as it was written (not held back to the end).
    times = [t for t, _ in events]
    assert times[0] < 1.0, times
    assert all(b - a_ < 2.0 for a_, b in zip(times, times[1:])), times
    assert times[-1] - times[0] >= len(events) - 2.5, times
    rated = [e for _, e in events if "per_second" in e]
    assert max(e["per_second"].get("claimed", 0) for e in rated) > 0
    assert any(isinstance(e["p99_ms"], float) for e in rated), "a latency while claims came in"
    # The left count falls as the claims come, never rises.
    lefts = [e["left"] for _, e in events]
    assert lefts == sorted(lefts, reverse=True) and lefts[0] > 0, lefts
    # The figures add up: a new stream's first event (this one may have ended on its time).
    last = first_event(a, stack.url(f"/admin/live/coupons/{cid}/events"))
    assert last["left"] == 0
    assert last["totals"] == {"claimed": quantity, "sold_out": refused}, last
    assert set(last["lag"]) >= {"order", "shipment", "notify"}, last["lag"]
    assert isinstance(last["outbox"], int) and last["outbox"] >= 0

    # The same counts in MySQL, Redis and /metrics.
    def issued():
        return stack.sql("SELECT COUNT(*) AS n FROM user_coupons WHERE coupon_id = %s", cid)[0]["n"]
    deadline = time.time() + 30
    while issued() < quantity and time.time() < deadline:
        time.sleep(0.2)
    assert issued() == quantity
    assert stack.redis().scard(f"{{c:{cid}}}:claimed") == quantity
    assert metric(stack, f'firstcome_item_outcomes_total{{item="campaign",id="{cid}",outcome="claimed"}}') == quantity
    assert metric(stack, f'firstcome_item_outcomes_total{{item="campaign",id="{cid}",outcome="sold_out"}}') == refused


def test_a_product_view_counts_orders_payments_and_refusals(stack, admin):
    pid = make_product(stack, admin, 2)
    buyer, other = stack.user(), stack.user()
    orders = []
    for u in (buyer, other):
        r = stack.post("/api/v1/orders", {"items": [{"product_id": pid, "quantity": 1}]}, token=u["access"])
        assert r.status_code == 201, r.text
        orders.append(r.json()["order"]["id"])
    late = stack.user()
    assert_error(stack.post("/api/v1/orders", {"items": [{"product_id": pid, "quantity": 1}]},
                            token=late["access"]), 409, "sold_out")
    r = stack.post(f"/api/v1/orders/{orders[0]}/payment", {"card_number": "4242424242424242"},
                   token=buyer["access"])
    assert r.status_code == 200, r.text
    r = stack.post(f"/api/v1/orders/{orders[1]}/payment", {"card_number": "4000000000000002"},
                   token=other["access"])
    assert r.status_code == 402 and r.json()["error"]["code"] == "payment_declined", r.text
    a = admin_session(stack, admin)
    page = a.get(stack.url(f"/admin/live/products/{pid}")).text
    rows = dict(re.findall(r'<tr data-outcome="([a-z_]+)"><td>[a-z_]+</td><td class="num">(\d+)</td>', page))
    assert rows == {"ordered": "2", "paid": "1", "payment_declined": "1", "sold_out": "1"}, rows
    # The declined order's unit came back: one left.
    assert re.search(r'data-live-value="left">1<', page)
    first = first_event(a, stack.url(f"/admin/live/products/{pid}/events"))
    assert first["left"] == 1 and first["totals"] == {"ordered": 2, "paid": 1, "payment_declined": 1,
                                                      "sold_out": 1}, first


def test_streams_end_on_time_and_leave_room_for_others(stack, admin):
    """A stream lasts LIVE_STREAM_SECONDS and then ends (the page's EventSource reconnects); a
    worker holds few of them, refusing more with 503, and a stream whose reader went away gives
    its place back. Meanwhile /livez is answered."""
    lasts = int(read_env(stack.state_dir).get("LIVE_STREAM_SECONDS", "300"))
    workers = int(read_env(stack.state_dir).get("WEB_WORKERS", "4"))
    cid = make_campaign(stack, admin, 5)
    a = admin_session(stack, admin)
    url = stack.url(f"/admin/live/coupons/{cid}/events")
    t0 = time.monotonic()
    r = a.get(url, timeout=lasts + 20)  # read to its end
    took = time.monotonic() - t0
    assert r.status_code == 200
    assert lasts - 1 <= took <= lasts + 5, (lasts, took)
    assert r.text.startswith("retry: ") and r.text.count("data: ") >= lasts - 1

    # More streams than the workers may hold: some are refused, the rest stream.
    opened = [a.get(url, stream=True, timeout=15) for _ in range(2 * workers + 2)]
    codes = sorted(x.status_code for x in opened)
    assert codes.count(503) >= 2 and set(codes) == {200, 503}, codes
    refusal = next(x for x in opened if x.status_code == 503)
    assert "too many live views" in refusal.text
    assert requests.get(stack.url("/livez"), timeout=5).status_code == 200
    assert metric(stack, "firstcome_live_streams") == codes.count(200)
    for x in opened:
        x.close()
    # Their places come back once each stream notices its reader left (at its next tick).
    deadline = time.time() + 10
    while metric(stack, "firstcome_live_streams") != 0 and time.time() < deadline:
        time.sleep(0.2)
    assert metric(stack, "firstcome_live_streams") == 0
    again = a.get(url, stream=True, timeout=15)
    assert again.status_code == 200
    again.close()
