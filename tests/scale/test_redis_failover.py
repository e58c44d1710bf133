"""A Redis Cluster master killed during a claim storm: its replica takes over (after
cluster-node-timeout), every web worker finds the new master by itself (no MOVED comes from a
master that is gone: the client reads the map again after the failed connection), the claims
go on, and MySQL holds exactly the quantity for as many people. Run by `make scale`, on a
stack started with REDIS_CLUSTER=3 and REDIS_CLUSTER_REPLICAS=1."""
import concurrent.futures as cf
import os
import signal
import threading
import time
from collections import Counter

import pytest
import redis
import requests

from conftest import pool, wait_until
from e2e.test_coupons import assert_exactly, campaign, vendor_id  # noqa: F401 (a fixture)


@pytest.fixture(scope="module")
def cluster(stack):
    assert stack.env["REDIS_URL"].startswith("redis-cluster://"), \
        "tests/scale needs a stack started with REDIS_CLUSTER=3 (make scale)"
    rc = stack.redis()
    with open(os.path.join(stack.state_dir, "redis-cluster", "replicas")) as f:
        assert int(f.read()) >= 1, "this drill needs replicas (REDIS_CLUSTER_REPLICAS=1)"
    return rc


def replica_online(node):
    """The master has a replica that is in sync with it (a failover needs one)."""
    info = redis.Redis(host=node.host, port=node.port).info("replication")
    return info.get("connected_slaves", 0) >= 1 and info.get("slave0", {}).get("state") == "online"


def node_pid(stack, port):
    """The pid of the stack's cluster node on this port (pids/redis-I.pid, I its place in ports)."""
    with open(os.path.join(stack.state_dir, "redis-cluster", "ports")) as f:
        ports = [int(p) for p in f.read().split()]
    return stack.pid(f"redis-{ports.index(port) + 1}")


def test_a_master_killed_mid_claim_storm_fails_over_and_the_claims_go_on(
        stack, admin, vendor_id, cluster):
    quantity = 100
    cid = campaign(stack, admin, vendor_id, quantity=quantity)["id"]
    key = f"{{c:{cid}}}:meta"
    users = pool(stack, 300)
    master = cluster.get_node_from_key(key)
    slot = cluster.keyslot(key)
    wait_until("the campaign's master to have a replica in sync", lambda: replica_online(master),
               timeout=30)
    answers, lock = [], threading.Lock()
    killed = {}

    def claim_until_answered(s, user):
        """Claims until a definite answer; 503 (Redis unreachable mid-failover) is asked again,
        backing off as a client does (a person may claim 20 times a minute)."""
        uid, token = user
        tries, pause = 0, 0.1
        deadline = time.monotonic() + 60
        while True:
            r = s.post(stack.url(f"/api/v1/coupons/{cid}/claim"), timeout=30,
                       headers={"Authorization": "Bearer " + token})
            tries += 1
            if r.status_code != 503:
                code = r.json()["error"]["code"] if r.status_code >= 400 else None
                with lock:
                    answers.append((uid, r.status_code, code, tries, time.monotonic()))
                return
            assert time.monotonic() < deadline, f"user {uid}: still 503 after {tries} tries"
            time.sleep(pause)
            pause = min(pause * 2, 2.0)

    def worker(chunk):
        s = requests.Session()
        for user in chunk:
            claim_until_answered(s, user)
            time.sleep(0.2)  # a paced crowd (80 claims a second), so the kill lands mid-storm

    def kill_master():
        time.sleep(0.3)
        killed["at"] = time.monotonic()
        killed["issued"] = len([a for a in answers if a[1] == 201])
        os.kill(node_pid(stack, master.port), signal.SIGKILL)

    threads = 16
    chunks = [users[i::threads] for i in range(threads)]
    killer = threading.Thread(target=kill_master)
    killer.start()
    with cf.ThreadPoolExecutor(threads) as ex:
        list(ex.map(worker, chunks))
    killer.join()

    fresh = stack.redis()
    now = fresh.nodes_manager.get_node_from_slot(slot)
    assert now.port != master.port, "a replica took the campaign's slot over"
    outcome = Counter((s, code) for _, s, code, _, _ in answers)
    assert len(answers) == len(users), "every person got a definite answer"
    assert set(outcome) <= {(201, None), (409, "already_claimed"), (410, "sold_out")}, outcome
    after = [a for a in answers if a[1] == 201 and a[4] > killed["at"]]
    retried = [a for a in answers if a[3] > 1]
    assert killed["issued"] < quantity, "the master was killed while coupons were left"
    assert after, "coupons were issued on the new master after the failover"
    assert retried, "claims met the failover (503) and were answered when asked again"
    winners = [uid for uid, s, _, _, _ in answers if s == 201]
    assert len(winners) == len(set(winners)) == quantity, outcome
    assert_exactly(stack, cid, quantity)  # MySQL: issued, the rows, one per person
    print(f"master :{master.port} killed with {killed['issued']} issued; the slot now on"
          f" :{now.port}; {len(after)} issued after, {len(retried)} claims asked again;"
          f" {dict(outcome)}")

    # The killed node comes back as a replica of the master that replaced it.
    out = stack.stack_cmd("start")
    assert out.returncode == 0, out.stdout + out.stderr
    wait_until("the cluster to be whole again",
               lambda: all(n.get("connected") and "fail" not in n.get("flags", "")
                           for n in fresh.cluster_nodes().values()), timeout=30, every=0.5)
