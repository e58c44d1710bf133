"""Coupon claims while Redis connections are cut under them (CLIENT KILL), in both issue modes.
A claim batch whose reply was lost with its connection may have admitted its users: it is sent
again under the same batch id, which answers them as admitted (never 409), and nothing is
counted twice. Checked afterwards in MySQL and Redis: at most the quantity, one per user, and
every user told 201/202 holds a coupon in the end."""
import os
import signal
import threading
import time
import uuid
from collections import Counter

import pytest
import redis
import requests

from conftest import auth, iso, pool, wait_until

# A Lua loop that keeps Redis busy for ARGV[1] microseconds: commands sent meanwhile wait in
# their sockets, and are run in the order they arrived once it ends.
BUSY = """
local t = redis.call('TIME')
local start = t[1] * 1000000 + t[2]
repeat t = redis.call('TIME') until t[1] * 1000000 + t[2] - start >= tonumber(ARGV[1])
return 1
"""


@pytest.fixture(scope="module", params=["sync", "kafka"])
def mode(request, stack):
    """The web workers in one issue mode, with the app's claim limits off (so that a claim's
    first Redis command is the gate) and a claim unacknowledged by Kafka for 3 s reported
    failed; the defaults restored afterwards."""
    stack.restart_web({"COUPON_ISSUE_MODE": request.param, "RATE_LIMITS": "off",
                       "KAFKA_MESSAGE_TIMEOUT": "3"})
    yield request.param
    stack.restart_web({"COUPON_ISSUE_MODE": "sync", "RATE_LIMITS": os.environ.get("RATE_LIMITS", "on")})


@pytest.fixture(scope="module")
def vendor_id(stack):
    return stack.sql("SELECT id FROM vendors ORDER BY id LIMIT 1")[0]["id"]


def campaign(stack, vendor_id, quantity):
    admin = stack.user("admin")
    body = {"vendor_id": vendor_id, "name": "Cut " + uuid.uuid4().hex[:8], "type": "fixed",
            "value": 500, "total_quantity": quantity, "starts_at": iso(-5), "ends_at": iso(3600)}
    r = stack.post("/api/v1/admin/coupons", body, token=admin["access"])
    assert r.status_code == 201, r.text
    return r.json()["coupon"]["id"]


def kill_clients(conn):
    """Cuts every normal Redis connection but conn: the web workers' and the workers'."""
    return conn.execute_command("CLIENT", "KILL", "TYPE", "normal", "SKIPME", "yes")


def connected(stack):
    """A Redis connection that is open already, so that its next command is read in Redis's
    next turn (a new one would be accepted in one turn and read in a later one)."""
    conn = stack.redis()
    conn.ping()
    return conn


def claim_all(stack, cid, users, attempts=1):
    """Every user claims at once, each from its own thread; a user answered 503 tries again,
    up to `attempts` times. {user_id: [(status, code), ...]}."""
    answers = {uid: [] for uid, _ in users}
    start = threading.Barrier(len(users))

    def one(user):
        uid, token = user
        s = requests.Session()
        start.wait()
        for _ in range(attempts):
            r = s.post(stack.url(f"/api/v1/coupons/{cid}/claim"), headers=auth(token), timeout=30)
            code = r.json().get("error", {}).get("code") if r.status_code >= 400 else None
            answers[uid].append((r.status_code, code))
            if r.status_code != 503:
                break
            time.sleep(0.05)

    threads = [threading.Thread(target=one, args=(u,)) for u in users]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    return answers


def issued_users(stack, cid):
    return [r["user_id"] for r in stack.sql("SELECT user_id FROM user_coupons WHERE coupon_id = %s", cid)]


def settle(stack, cid, mode, told_yes):
    """In kafka mode, until the coupon worker wrote every claim it was given (every user told
    202, or as many as there are coupons)."""
    if mode != "kafka":
        return
    quantity = stack.sql("SELECT total_quantity FROM coupons WHERE id = %s", cid)[0]["total_quantity"]

    def written():
        got = set(issued_users(stack, cid))
        return True if told_yes <= got or len(got) >= quantity else f"{len(got)} of {len(told_yes)}"
    wait_until("the coupon worker", written, timeout=60)
    time.sleep(1)  # and nothing more arrives afterwards


def yes_status(mode):
    return 202 if mode == "kafka" else 201


def test_a_claim_batch_whose_reply_was_lost_answers_its_users_as_admitted(stack, vendor_id, mode):
    """Redis runs the web workers' claim batches and then cuts their connections before the
    replies go out: the batches are sent again, and every user they admitted is told so."""
    cid = campaign(stack, vendor_id, quantity=50)
    users = pool(stack, 20)
    killer = connected(stack)
    busy = threading.Thread(target=lambda: _busy(stack, 900_000))
    busy.start()
    time.sleep(0.15)  # Redis is busy: the claims' batches wait in their sockets
    claims = {}
    claimer = threading.Thread(target=lambda: claims.update(claim_all(stack, cid, users)))
    claimer.start()
    time.sleep(0.45)
    kill_clients(killer)  # queued behind the batches: it runs right after them, before replies go
    busy.join()
    claimer.join()
    answers = Counter(a[0][0] for a in claims.values())
    assert answers == {yes_status(mode): 20}, claims
    with open(os.path.join(stack.state_dir, "logs", "web.log")) as f:
        assert f"on campaign {cid}: no reply from Redis; sent again" in f.read(), "no reply was lost"
    told_yes = set(claims)
    settle(stack, cid, mode, told_yes)
    assert sorted(issued_users(stack, cid)) == sorted(told_yes)
    assert stack.redis().smembers(f"{{c:{cid}}}:claimed") == {str(u) for u in told_yes}
    assert stack.sql("SELECT issued FROM coupons WHERE id = %s", cid)[0]["issued"] == 20


def _busy(stack, micros):
    try:
        stack.redis().eval(BUSY, 0, micros)
    except redis.exceptions.ConnectionError:
        pass  # cut along with the others


def test_a_claim_storm_with_redis_connections_cut_over_and_over(stack, vendor_id, mode):
    """~200 users claim a campaign of 50 while every Redis connection is cut every 30 ms."""
    quantity = 50
    cid = campaign(stack, vendor_id, quantity)
    users = pool(stack, 200)
    stop = threading.Event()
    kills = []
    conn = connected(stack)

    def killer():
        while not stop.is_set():
            kills.append(kill_clients(conn))
            time.sleep(0.03)

    k = threading.Thread(target=killer)
    k.start()
    try:
        claims = claim_all(stack, cid, users, attempts=5)
    finally:
        stop.set()
        k.join()
    assert sum(kills) > 0, "no connection was cut"
    finals = Counter(a[-1] for a in claims.values())
    yes = yes_status(mode)
    told_yes = {uid for uid, a in claims.items() if a[-1][0] == yes}
    # every answer is one of the contract's; a claim Redis could not decide is 503
    assert set(finals) <= {(yes, None), (410, "sold_out"), (503, "unavailable")}, finals
    assert all(s != 409 for a in claims.values() for s, _ in a), "nobody claimed twice"
    settle(stack, cid, mode, told_yes)
    issued = issued_users(stack, cid)
    assert len(issued) == len(set(issued)), "one coupon per user"
    assert len(issued) <= quantity
    assert told_yes <= set(issued), "everyone told yes holds a coupon"
    claimants = told_yes | set(issued)
    assert len(issued) == min(quantity, len(claimants))
    if finals[(410, "sold_out")]:
        assert len(issued) == quantity, "sold out means every coupon is someone's"
    assert stack.sql("SELECT issued FROM coupons WHERE id = %s", cid)[0]["issued"] == len(issued)
    assert stack.redis().smembers(f"{{c:{cid}}}:claimed") == {str(u) for u in issued}


@pytest.mark.parametrize("mode", ["kafka"], indirect=True)  # claims wait outside MySQL only there
def test_a_redis_loss_while_claims_wait_in_kafka_rebuilds_only_once_they_are_applied(stack, vendor_id, mode):
    """Kafka mode: 20 claims wait in Kafka (the coupon worker is frozen) when Redis loses
    everything. MySQL alone would say 30 of 30 are left; the campaign is rebuilt only once the
    worker applied the 20 (claims meanwhile are 503), so the next 30 users find 10, and every
    user told 202 holds a coupon in the end."""
    quantity = 30
    cid = campaign(stack, vendor_id, quantity)
    users = pool(stack, 50)
    first, rest = users[:20], users[20:]
    worker = stack.pid("worker-coupon-0")
    os.kill(worker, signal.SIGSTOP)
    try:
        before = claim_all(stack, cid, first)
        assert Counter(a[-1][0] for a in before.values()) == {202: 20}
        assert claim_status(stack, cid, first[0]) == {"coupon_id": cid, "status": "pending"}
        assert claim_status(stack, cid, rest[0]) == {"coupon_id": cid, "status": "none"}
        stack.redis().flushall()
        threading.Timer(3.0, lambda: os.kill(worker, signal.SIGCONT)).start()
        after = claim_all(stack, cid, rest, attempts=300)
    finally:
        os.kill(worker, signal.SIGCONT)
    finals = Counter(a[-1] for a in after.values())
    assert finals == {(202, None): 10, (410, "sold_out"): 20}, finals
    assert any((503, "unavailable") in a for a in after.values()), "claims waited for the rebuild"
    told_yes = set(before) | {uid for uid, a in after.items() if a[-1][0] == 202}
    settle(stack, cid, mode, told_yes)
    assert sorted(issued_users(stack, cid)) == sorted(told_yes)
    assert stack.redis().smembers(f"{{c:{cid}}}:claimed") == {str(u) for u in told_yes}
    status = claim_status(stack, cid, first[0])
    assert status["status"] == "issued" and status["user_coupon_id"] == stack.sql(
        "SELECT id FROM user_coupons WHERE coupon_id = %s AND user_id = %s", cid, first[0][0])[0]["id"]


def claim_status(stack, cid, user):
    r = stack.get(f"/api/v1/coupons/{cid}/claim", headers=auth(user[1]))
    assert r.status_code == 200, r.text
    return r.json()["claim"]


def test_a_place_in_redis_without_a_coupon_is_issued_not_refused(stack, vendor_id, mode):
    """A batch Redis ran but whose every re-send failed leaves its users holding places without
    coupons (they were told 503). When such a user claims again, the coupon their place stands
    for is issued: at once in sync mode (201; 409 only for a coupon they hold, and 410 with the
    place freed when MySQL has none left), through the coupon worker in kafka mode (409, being
    issued)."""
    cid = campaign(stack, vendor_id, quantity=1)
    (a, a_token), (b, b_token) = pool(stack, 2)
    claimed = f"{{c:{cid}}}:claimed"
    stack.redis().sadd(claimed, a)  # the place a lost answer left behind
    r = stack.post(f"/api/v1/coupons/{cid}/claim", token=a_token)
    if mode == "kafka":
        assert r.status_code == 409 and r.json()["error"]["code"] == "already_claimed", r.text
        settle(stack, cid, mode, {a})
        assert issued_users(stack, cid) == [a]
        return
    assert r.status_code == 201, r.text
    assert issued_users(stack, cid) == [a]
    r = stack.post(f"/api/v1/coupons/{cid}/claim", token=a_token)
    assert r.status_code == 409 and r.json()["error"]["code"] == "already_claimed"
    stack.redis().sadd(claimed, b)  # a place MySQL has no coupon left for
    r = stack.post(f"/api/v1/coupons/{cid}/claim", token=b_token)
    assert r.status_code == 410 and r.json()["error"]["code"] == "sold_out", r.text
    assert issued_users(stack, cid) == [a]
    assert stack.redis().smembers(claimed) == {str(a)}
    assert stack.sql("SELECT issued FROM coupons WHERE id = %s", cid)[0]["issued"] == 1


def published_again(stack):
    with open(os.path.join(stack.state_dir, "logs", "web.log")) as f:
        return f.read().count("delivery failed; published again")


@pytest.mark.parametrize("mode", ["kafka"], indirect=True)  # only kafka mode publishes claims
@pytest.mark.parametrize("fault", [
    # The devbroker's faults hit whichever produce requests come next, the relay's too: enough
    # of them that the claims' requests meet some.
    "produce-error 20 87",    # answered INVALID_RECORD: nothing written
    "produce-delay 6 4500",   # written at once, answered after the 3 s timeout
], ids=["refused", "written_but_timed_out"])
def test_a_claim_whose_delivery_fails_is_published_again_and_issued(stack, vendor_id, mode, fault):
    """Kafka reports the delivery of claims told 202 failed: refused by the broker (nothing
    written), or timed out although the broker wrote them. The place is not given back (the
    message may be in the topic); the claim is published again, so every user told 202 holds a
    coupon in the end, and a second copy of a written claim is applied once."""
    quantity = 10
    cid = campaign(stack, vendor_id, quantity)
    users = pool(stack, 20)
    before = published_again(stack)
    stack.arm_devbroker(fault)
    claims = claim_all(stack, cid, users)
    finals = Counter(a[-1] for a in claims.values())
    assert finals == {(202, None): quantity, (410, "sold_out"): 20 - quantity}, finals
    wait_until("a failed delivery report", lambda: published_again(stack) > before or "none yet",
               timeout=15)
    told_yes = {uid for uid, a in claims.items() if a[-1][0] == 202}
    settle(stack, cid, mode, told_yes)
    assert sorted(issued_users(stack, cid)) == sorted(told_yes)
    assert stack.redis().smembers(f"{{c:{cid}}}:claimed") == {str(u) for u in told_yes}
    assert stack.sql("SELECT issued FROM coupons WHERE id = %s", cid)[0]["issued"] == quantity
