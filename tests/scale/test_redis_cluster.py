"""A Redis Cluster of three masters under storms: campaigns and products whose keys live on
different masters, claimed and bought by many concurrent clients, and a campaign's slot moved to
another master while it is being claimed (ASK and MOVED in flight). Checked in MySQL (the truth)
and in the cluster (the gate). Run by `make scale`, on a stack started with REDIS_CLUSTER=3."""
import threading
import time
from collections import Counter

import pytest
import redis

from conftest import pool, rush, auth, redis_stock, product_row, wait_pipeline
from e2e.test_coupons import assert_exactly, campaign, storm, vendor_id  # noqa: F401 (a fixture)
from e2e.test_flash_sale import new_product, pay, PAID

MASTERS = 3


@pytest.fixture(scope="module")
def cluster(stack):
    """The stack's cluster (redis-py's RedisCluster); a stack without one fails here, loudly."""
    assert stack.env["REDIS_URL"].startswith("redis-cluster://"), \
        "tests/scale needs a stack started with REDIS_CLUSTER=3 (make scale)"
    rc = stack.redis()
    assert len(rc.get_primaries()) == MASTERS
    return rc


def master_of(cluster, key):
    return cluster.get_node_from_key(key).port


def spread(cluster, make, key_of):
    """Makes things (make() -> id) until one lives on each master: [id], one per master."""
    by_master = {}
    for _ in range(40):
        thing = make()
        by_master.setdefault(master_of(cluster, key_of(thing)), thing)
        if len(by_master) == MASTERS:
            return list(by_master.values())
    raise AssertionError(f"40 ids did not cover {MASTERS} masters: {by_master}")


def test_a_claim_storm_over_three_masters_issues_each_campaign_exactly(stack, admin, vendor_id, cluster):
    quantity = 40
    ids = spread(cluster, lambda: campaign(stack, admin, vendor_id, quantity=quantity)["id"],
                 lambda cid: f"{{c:{cid}}}:meta")
    users = pool(stack, 150)
    results = {}

    def one(cid):
        results[cid] = storm(stack, cid, users, per_user=2, threads=16)

    threads = [threading.Thread(target=one, args=(cid,)) for cid in ids]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    for cid in ids:
        outcome = Counter((s, code if s != 201 else None) for _, s, code in results[cid])
        assert outcome[(201, None)] == quantity, (cid, outcome)
        assert set(outcome) <= {(201, None), (409, "already_claimed"), (410, "sold_out")}, outcome
        winners = Counter(uid for uid, s, _ in results[cid] if s == 201)
        assert set(winners.values()) == {1}, "one coupon per user"
        assert_exactly(stack, cid, quantity)  # MySQL rows, issued, and the claimed set in Redis


def test_a_checkout_storm_over_three_masters_never_sells_more_than_stock(stack, admin, cluster):
    stock = 30
    pids = spread(cluster, lambda: new_product(stack, admin, stock=stock)["id"],
                  lambda pid: f"{{p:{pid}}}:stock")
    users = pool(stack, 120)
    jobs = [(user, pid) for user in users for pid in pids]

    def buy(s, job):
        (_, token), pid = job
        return s.post(stack.url("/api/v1/orders"), timeout=60, headers=auth(token),
                      json={"items": [{"product_id": pid, "quantity": 1}]})

    results = rush(jobs, buy, threads=48)
    outcome = Counter((job[1], st, code) for job, st, code, _, _ in results)
    for pid in pids:
        assert outcome[(pid, 201, None)] == stock, outcome
        assert outcome[(pid, 409, "sold_out")] == len(users) - stock, outcome
    winners = [(job[0], body["order"]["id"]) for job, st, _, body, _ in results if st == 201]
    paid = [st for _, st, _, _, _ in rush(winners, pay(stack), threads=48)]
    assert Counter(paid) == {200: len(winners)}
    wait_pipeline(stack, [oid for _, oid in winners])
    for pid in pids:
        sold = stack.sql("SELECT COALESCE(SUM(oi.quantity), 0) AS n FROM order_items oi JOIN orders o"
                         " ON o.id = oi.order_id WHERE oi.product_id = %s AND o.status IN"
                         f" ({', '.join(['%s'] * len(PAID))})", pid, *PAID)[0]["n"]
        assert int(sold) == stock, "paid units never exceed stock"
        row = product_row(stack, pid)
        assert (row["stock"], row["sold"]) == (0, stock)
        assert redis_stock(stack, pid) == 0


def node_client(node):
    return redis.Redis(host=node.host, port=node.port, decode_responses=True)


def move_slot(cluster, slot, to, ask_window=0.5):
    """Moves one hash slot to master `to` as redis-cli --cluster reshard does (IMPORTING and
    MIGRATING, MIGRATE of its keys ten at a time, SETSLOT NODE on every master), holding the
    slot half moved for ask_window seconds so that clients meet ASK, then MOVED."""
    src = cluster.nodes_manager.get_node_from_slot(slot)
    s, d = node_client(src), node_client(to)
    src_id, dst_id = s.execute_command("CLUSTER MYID"), d.execute_command("CLUSTER MYID")
    d.execute_command("CLUSTER SETSLOT", slot, "IMPORTING", src_id)
    s.execute_command("CLUSTER SETSLOT", slot, "MIGRATING", dst_id)
    moved = 0
    while True:
        keys = s.execute_command("CLUSTER GETKEYSINSLOT", slot, 10)
        if not keys:
            break
        s.execute_command("MIGRATE", to.host, to.port, "", 0, 5000, "KEYS", *keys)
        moved += len(keys)
    time.sleep(ask_window)
    for node in cluster.get_primaries():
        node_client(node).execute_command("CLUSTER SETSLOT", slot, "NODE", dst_id)
    return moved


def test_a_campaign_claimed_while_its_slot_moves_to_another_master_issues_exactly(
        stack, admin, vendor_id, cluster):
    quantity = 100
    cid = campaign(stack, admin, vendor_id, quantity=quantity)["id"]
    key = f"{{c:{cid}}}:meta"
    users = pool(stack, 300)
    warm = storm(stack, cid, users[:5], per_user=1, threads=5)  # loaded into Redis, 5 issued
    assert Counter(s for _, s, _ in warm) == {201: 5}
    slot = cluster.keyslot(key)
    there = cluster.get_node_from_key(key)
    to = next(n for n in cluster.get_primaries() if n.port != there.port)
    moved = {}

    def reshard():
        time.sleep(0.3)  # claims in flight
        moved["keys"] = move_slot(cluster, slot, to)

    mover = threading.Thread(target=reshard)
    mover.start()
    results = storm(stack, cid, users[5:], per_user=2, threads=32)
    mover.join()
    assert moved["keys"] >= 2, moved  # meta and claimed at least
    fresh = stack.redis()
    assert fresh.get_node_from_key(key).port == to.port, "the slot now lives on the other master"
    outcome = Counter((s, code if s != 201 else None) for _, s, code in results)
    unanswered = [uid for uid, s, _ in results if s == 503]
    # A claim that met the slot mid-move (TRYAGAIN past the retries) is 503 and safe to repeat;
    # nobody is issued twice and the campaign never goes past its quantity.
    assert set(outcome) <= {(201, None), (409, "already_claimed"), (410, "sold_out"),
                            (503, "unavailable"), (503, "outcome_unknown")}, outcome
    again = storm(stack, cid, [u for u in users if u[0] in set(unanswered)], per_user=1, threads=8) \
        if unanswered else []
    issued = [uid for uid, s, _ in warm + results + again if s == 201]
    assert len(issued) == len(set(issued)) == quantity, (len(issued), outcome)
    assert_exactly(stack, cid, quantity)
    print(f"slot {slot} moved ({moved['keys']} keys) during the storm: {dict(outcome)}")
