"""First-come coupon events: exact issuance under real concurrency, checked in MySQL and Redis,
in both issue modes, through a Redis loss, and at every edge of the contract."""
import concurrent.futures as cf
import os
import signal
import threading
import time
import uuid
from collections import Counter

import pytest
import requests

from conftest import ROOT, assert_error, pool, iso

PW = "correct horse battery"


@pytest.fixture(scope="module")
def vendor_id(stack):
    return stack.sql("SELECT id FROM vendors ORDER BY id LIMIT 1")[0]["id"]


def campaign(stack, admin, vendor_id, quantity=100, starts=-5, ends=3600, **kw):
    body = {"vendor_id": vendor_id, "name": kw.get("name", "Test " + uuid.uuid4().hex[:8]),
            "type": kw.get("type", "fixed"), "value": kw.get("value", 1000),
            "total_quantity": quantity, "starts_at": iso(starts), "ends_at": iso(ends)}
    r = stack.post("/api/v1/admin/coupons", body, token=admin["access"])
    assert r.status_code == 201, r.text
    return r.json()["coupon"]




def storm(stack, coupon_id, users, per_user, threads=48):
    """Every user claims per_user times, all at once from many threads. [(user_id, status, code)]."""
    jobs = [u for u in users for _ in range(per_user)]
    local = threading.local()
    start = threading.Barrier(threads)

    def claim(job):
        uid, token = job
        s = getattr(local, "s", None) or requests.Session()
        local.s = s
        r = s.post(stack.url(f"/api/v1/coupons/{coupon_id}/claim"), timeout=30,
                   headers={"Authorization": "Bearer " + token})
        code = r.json().get("error", {}).get("code") if r.status_code >= 400 else None
        if r.status_code == 201:  # the id of the coupon issued, for the winner's check
            code = r.json()["user_coupon"]["id"]
        return uid, r.status_code, code

    def worker(chunk):
        start.wait()
        return [claim(j) for j in chunk]

    chunks = [jobs[i::threads] for i in range(threads)]
    with cf.ThreadPoolExecutor(threads) as ex:
        return [x for part in ex.map(worker, chunks) for x in part]


def assert_exactly(stack, coupon_id, quantity):
    rows = stack.sql("SELECT user_id FROM user_coupons WHERE coupon_id = %s", coupon_id)
    assert len(rows) == quantity
    assert len({r["user_id"] for r in rows}) == quantity, "no user twice"
    assert stack.sql("SELECT issued FROM coupons WHERE id = %s", coupon_id)[0]["issued"] == quantity
    assert stack.redis().scard(f"{{c:{coupon_id}}}:claimed") == quantity
    assert stack.get(f"/api/v1/coupons/{coupon_id}").json()["coupon"]["remaining"] == 0


def test_a_storm_of_claims_issues_exactly_the_quantity(stack, admin, vendor_id):
    c = campaign(stack, admin, vendor_id, quantity=100)
    users = pool(stack, 300)
    results = storm(stack, c["id"], users, per_user=8)
    assert len(results) == 2400
    statuses = Counter((s, code if s != 201 else None) for _, s, code in results)
    assert statuses[(201, None)] == 100, statuses
    assert set(statuses) <= {(201, None), (409, "already_claimed"), (410, "sold_out")}, statuses
    winners = Counter(uid for uid, s, _ in results if s == 201)
    assert len(winners) == 100 and set(winners.values()) == {1}
    assert_exactly(stack, c["id"], 100)
    # Each winner was answered with the id of its own row (the sync write's ids, taken together).
    rows = {r["user_id"]: r["id"] for r in stack.sql("SELECT id, user_id FROM user_coupons WHERE coupon_id = %s",
                                                    c["id"])}
    assert rows == {uid: cid for uid, s, cid in results if s == 201}


def test_one_gate_run_decides_a_batch_of_claims_in_arrival_order(stack):
    """A web worker sends the claims on one campaign that wait together in one run of the gate
    script. Each claim is decided in the order it arrived, as if it ran alone."""
    r = stack.redis()
    with open(os.path.join(ROOT, "app", "lua", "coupon_claim.lua")) as f:
        gate = r.register_script(f.read())
    cid = 2_000_000_000 + int(uuid.uuid4().int % 1_000_000)
    meta, claimed = f"{{c:{cid}}}:meta", f"{{c:{cid}}}:claimed"
    now = int(time.time())
    r.hset(meta, mapping={"total": 2, "starts": now - 5, "ends": now + 60})
    # 7 and 8 take the two coupons; 7 again already holds one; 9 finds none left; 8 again still
    # holds one (already claimed wins over sold out, as for a claim alone)
    assert gate(keys=[meta, claimed], args=[7, 8, 7, 9, 8]) == [0, 1, 0, 0, 3, 0, 4, 0, 3, 0]
    assert r.smembers(claimed) == {"7", "8"}
    assert gate(keys=[meta, claimed], args=[10]) == [4, 0], "a batch of one is a claim alone"
    # a whole batch is refused alike, and nothing is written, before the start and for a
    # campaign Redis does not know yet
    early, early_claimed = f"{{c:{cid + 1}}}:meta", f"{{c:{cid + 1}}}:claimed"
    r.hset(early, mapping={"total": 5, "starts": now + 60, "ends": now + 120})
    assert gate(keys=[early, early_claimed], args=[1, 2]) == [1, 5, 1, 5]
    unknown = [f"{{c:{cid + 2}}}:meta", f"{{c:{cid + 2}}}:claimed"]
    assert gate(keys=unknown, args=[1, 2, 3]) == [-1, 0, -1, 0, -1, 0]
    assert r.scard(early_claimed) == 0 and r.scard(unknown[1]) == 0
    r.delete(meta, claimed, early)


@pytest.fixture
def kafka_mode(stack):
    """The web workers restarted in kafka issue mode; sync mode restored afterwards."""
    def restart(mode):
        pid = stack.pid("web")
        os.kill(pid, signal.SIGTERM)
        while os.path.exists(f"/proc/{pid}"):
            time.sleep(0.05)
        out = stack.stack_cmd("start", env={"COUPON_ISSUE_MODE": mode})
        assert out.returncode == 0, out.stdout + out.stderr
        stack.wait_healthy()

    restart("kafka")
    yield
    restart("sync")


def wait_rows(stack, coupon_id, n, timeout=60):
    deadline = time.time() + timeout
    while time.time() < deadline:
        got = stack.sql("SELECT COUNT(*) AS n FROM user_coupons WHERE coupon_id = %s", coupon_id)[0]["n"]
        if got >= n:
            return got
        time.sleep(0.2)
    raise AssertionError(f"the coupon worker wrote {got} of {n}")


def _claim_many(args):
    """One process's share of a crowd: its claims, in order, on a kept-alive connection."""
    import http.client
    import json
    port, jobs, go = args
    go.wait()
    c = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
    out = []
    for coupon_id, uid, token in jobs:
        c.request("POST", f"/api/v1/coupons/{coupon_id}/claim", headers={"Authorization": "Bearer " + token})
        r = c.getresponse()
        body = r.read()
        out.append((coupon_id, uid, r.status, json.loads(body)["user_coupon"]["id"] if r.status == 201 else None))
    return out


def test_sync_winners_written_together_each_get_their_own_coupon(stack, admin, vendor_id):
    """A crowd of processes, so that each web worker holds several winners of one campaign at a
    time: they are written with multi-row inserts (fewer inserts than winners), and every 201
    names the winner's own row."""
    import multiprocessing as mp
    campaigns = [campaign(stack, admin, vendor_id, quantity=100)["id"] for _ in range(3)]
    users = pool(stack, 100)
    jobs = [(cid, uid, token) for cid in campaigns for uid, token in users]
    inserts = lambda: int(stack.sql("SHOW GLOBAL STATUS LIKE 'Com_insert'")[0]["Value"])
    before = inserts()
    ctx = mp.get_context("fork")
    procs = 48
    with ctx.Manager() as m:
        go = m.Event()
        with ctx.Pool(procs) as p:
            pending = p.map_async(_claim_many, [(stack.port, jobs[i::procs], go) for i in range(procs)])
            time.sleep(1)
            go.set()
            results = [x for part in pending.get(timeout=120) for x in part]
    written = inserts() - before
    assert Counter(st for _, _, st, _ in results) == {201: 300}
    for cid in campaigns:
        rows = {r["user_id"]: r["id"] for r in stack.sql("SELECT id, user_id FROM user_coupons WHERE coupon_id = %s",
                                                        cid)}
        assert rows == {uid: ucid for c, uid, _, ucid in results if c == cid}
        assert_exactly(stack, cid, 100)
    assert written < 300, f"{written} inserts for 300 winners: no winners were written together"


def test_the_same_storm_in_kafka_mode_once_the_worker_caught_up(stack, admin, vendor_id, kafka_mode):
    c = campaign(stack, admin, vendor_id, quantity=100)
    users = pool(stack, 300)
    results = storm(stack, c["id"], users, per_user=8)
    statuses = Counter((s, code) for _, s, code in results)
    assert statuses[(202, None)] == 100, statuses
    assert set(statuses) <= {(202, None), (409, "already_claimed"), (410, "sold_out")}, statuses
    wait_rows(stack, c["id"], 100)
    time.sleep(1)  # nothing more arrives afterwards
    assert_exactly(stack, c["id"], 100)
    winner = next(u for u in users if u[0] in {uid for uid, s, _ in results if s == 202})
    mine = stack.get("/api/v1/me/coupons", headers={"Authorization": "Bearer " + winner[1]}).json()["items"]
    assert [m["coupon_id"] for m in mine if m["coupon_id"] == c["id"]] == [c["id"]]
    assert mine[0]["status"] == "available"


def test_redis_flushed_mid_campaign_and_the_stack_restarted(stack, admin, vendor_id):
    c = campaign(stack, admin, vendor_id, quantity=100)
    users = pool(stack, 260)
    first, rest = users[:60], users[60:]
    results = storm(stack, c["id"], first, per_user=1)
    assert Counter(s for _, s, _ in results) == {201: 60}
    stack.redis().flushall()
    out = stack.stack_cmd("stop")
    assert out.returncode == 0, out.stderr
    out = stack.stack_cmd("start")
    assert out.returncode == 0, out.stdout + out.stderr
    stack.wait_healthy()
    again = storm(stack, c["id"], first, per_user=2)
    assert Counter((s, code) for _, s, code in again) == {(409, "already_claimed"): 120}
    results = storm(stack, c["id"], rest, per_user=3)
    assert Counter(s for _, s, _ in results)[201] == 40
    assert_exactly(stack, c["id"], 100)


def test_redis_flushed_while_running_rebuilds_on_first_use(stack, admin, vendor_id):
    c = campaign(stack, admin, vendor_id, quantity=5)
    users = pool(stack, 8)
    assert Counter(s for _, s, _ in storm(stack, c["id"], users[:3], 1, threads=3)) == {201: 3}
    stack.redis().flushall()
    assert Counter(code for _, _, code in storm(stack, c["id"], users[:3], 1, threads=3)) == {"already_claimed": 3}
    results = storm(stack, c["id"], users[3:], 2, threads=5)
    assert Counter(s for _, s, _ in results)[201] == 2
    assert_exactly(stack, c["id"], 5)


def test_before_the_window_is_not_started_and_after_it_ended(stack, admin, vendor_id):
    user = stack.user()
    h = {"Authorization": "Bearer " + user["access"]}
    early = campaign(stack, admin, vendor_id, starts=3600, ends=7200)
    late = campaign(stack, admin, vendor_id, starts=-7200, ends=-3600)
    assert_error(stack.request("POST", f"/api/v1/coupons/{early['id']}/claim", headers=h), 403, "not_started")
    assert_error(stack.request("POST", f"/api/v1/coupons/{late['id']}/claim", headers=h), 403, "ended")
    assert stack.sql("SELECT COUNT(*) AS n FROM user_coupons WHERE coupon_id IN (%s, %s)",
                     early["id"], late["id"])[0]["n"] == 0


def test_a_quantity_above_the_cap_is_422(stack, admin, vendor_id):
    body = {"vendor_id": vendor_id, "name": "Too many", "type": "fixed", "value": 100,
            "total_quantity": 101, "starts_at": iso(0), "ends_at": iso(60)}
    assert_error(stack.post("/api/v1/admin/coupons", body, token=admin["access"]), 422, "quantity_above_cap")
    body["total_quantity"] = 100
    assert stack.post("/api/v1/admin/coupons", body, token=admin["access"]).status_code == 201


@pytest.mark.parametrize("field,value,code", [
    ("type", "bogus", "invalid_type"), ("value", 0, "invalid_value"), ("value", "5", "invalid_value"),
    ("total_quantity", 0, "invalid_quantity"), ("starts_at", "tomorrow", "invalid_time"),
    ("vendor_id", 999999, "invalid_vendor"), ("name", "", "invalid_name")])
def test_bad_campaigns_are_422(stack, admin, vendor_id, field, value, code):
    body = {"vendor_id": vendor_id, "name": "x", "type": "percent", "value": 10,
            "total_quantity": 10, "starts_at": iso(0), "ends_at": iso(60), field: value}
    assert_error(stack.post("/api/v1/admin/coupons", body, token=admin["access"]), 422, code)


def test_only_admins_create_campaigns(stack, vendor_id):
    user = stack.user()
    body = {"vendor_id": vendor_id, "name": "x", "type": "fixed", "value": 10,
            "total_quantity": 10, "starts_at": iso(0), "ends_at": iso(60)}
    assert_error(stack.post("/api/v1/admin/coupons", body, token=user["access"]), 403, "forbidden")
    assert_error(stack.post("/api/v1/admin/coupons", body), 401, "unauthorized")


def test_unverified_users_and_anonymous_callers_cannot_claim(stack, admin, vendor_id):
    c = campaign(stack, admin, vendor_id, quantity=3)
    unverified = stack.user(verified=False)
    r = stack.request("POST", f"/api/v1/coupons/{c['id']}/claim",
                      headers={"Authorization": "Bearer " + unverified["access"]})
    assert_error(r, 403, "email_not_verified")
    assert_error(stack.request("POST", f"/api/v1/coupons/{c['id']}/claim"), 401, "unauthorized")
    assert stack.get(f"/api/v1/coupons/{c['id']}").json()["coupon"]["remaining"] == 3


def test_unknown_campaigns_are_404(stack):
    user = stack.user()
    h = {"Authorization": "Bearer " + user["access"]}
    assert_error(stack.request("POST", "/api/v1/coupons/999999/claim", headers=h), 404, "not_found")
    assert_error(stack.get("/api/v1/coupons/999999"), 404, "not_found")
    assert_error(stack.get("/api/v1/coupons/abc"), 404, "not_found")


def test_the_list_shows_vendor_and_live_remaining(stack, admin, vendor_id):
    c = campaign(stack, admin, vendor_id, quantity=7, type="percent", value=15)
    user = stack.user()
    stack.request("POST", f"/api/v1/coupons/{c['id']}/claim", headers={"Authorization": "Bearer " + user["access"]})
    item = next(i for i in stack.get("/api/v1/coupons").json()["items"] if i["id"] == c["id"])
    assert item["remaining"] == 6 and item["total_quantity"] == 7
    assert item["type"] == "percent" and item["value"] == 15
    assert set(item["vendor"]) == {"id", "name"} and item["vendor"]["id"] == vendor_id
    assert {"starts_at", "ends_at", "name"} <= set(item)


def test_one_user_hammering_a_campaign_is_rate_limited(stack, admin, vendor_id):
    c = campaign(stack, admin, vendor_id, quantity=50)
    user = stack.user()
    h = {"Authorization": "Bearer " + user["access"]}
    codes = [stack.request("POST", f"/api/v1/coupons/{c['id']}/claim", headers=h) for _ in range(25)]
    assert codes[0].status_code == 201
    assert [r.status_code for r in codes[1:20]] == [409] * 19
    assert all(r.status_code == 429 and int(r.headers["Retry-After"]) > 0 for r in codes[20:])
    assert_error(codes[-1], 429, "rate_limited")


def test_reconcile_rebuilds_what_redis_lost_or_got_wrong(stack, admin, vendor_id):
    c = campaign(stack, admin, vendor_id, quantity=4)
    users = pool(stack, 2)
    storm(stack, c["id"], users, 1, threads=2)
    r = stack.redis()
    r.delete(f"{{c:{c['id']}}}:claimed")
    r.hset(f"{{c:{c['id']}}}:meta", "total", 99)
    out = stack.cli("coupons", "reconcile", "--id", str(c["id"]))
    assert "1 campaign(s) rebuilt" in out.stdout
    assert r.scard(f"{{c:{c['id']}}}:claimed") == 2 and r.hget(f"{{c:{c['id']}}}:meta", "total") == "4"
    assert "0 campaign(s) rebuilt" in stack.cli("coupons", "reconcile", "--id", str(c["id"])).stdout
