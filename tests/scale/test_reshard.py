"""A slot range that holds live campaigns and products moved to another master with
`redis-cli --cluster reshard` while a claim storm and a checkout-and-payment storm run through
nginx (the drill's fault (a); `make scale` starts the stack: REDIS_CLUSTER=3, two web hosts).

The range is the source master's lowest slots up to the highest live one among them, as reshard
takes them (it moves a source's slots lowest first); the target master's scripts are flushed as
the move starts (a master that never ran them answers NOSCRIPT). Each live slot also holds
RESHARD_BALLAST other keys, written before and after the live ones, so that its move lasts long
enough for requests to meet it half moved: scripts served by the source while it still holds
their keys, refused while their keys are split (TRYAGAIN), sent to the target once they have
all moved (ASK, then ASKING), and to the old master after the move (MOVED). The people retry
an answer that is not definite (503) until it is. Afterwards MySQL (the truth) and the cluster
(the gate) are checked. A second test holds one campaign's slot at each step of a move."""
import concurrent.futures as cf
import os
import random
import re
import subprocess
import threading
import time
from collections import Counter

import pytest
import redis
import requests

from conftest import auth, in_list, pool, wait_until
from test_scale import campaign, new_product

USERS = int(os.environ.get("SCALE_USERS", "300"))
QUANTITY = 100  # COUPON_QUANTITY_CAP's default: the most a campaign may issue
STOCK = 100
STORM_SECONDS = float(os.environ.get("RESHARD_STORM_SECONDS", "8"))
BALLAST = int(os.environ.get("RESHARD_BALLAST", "20000"))
CARD_OK, CARD_DECLINED = "4242424242424242", "4000000000000002"
PAID = ("paid", "preparing", "shipping", "delivered")
DEFINITE = {"claim": {(201, None), (409, "already_claimed"), (410, "sold_out")},
            "buy": {(201, None), (409, "sold_out")},
            "pay": {(200, None), (402, "payment_declined"), (409, "not_payable")}}


def node_client(host, port):
    return redis.Redis(host=host, port=port, decode_responses=True)


class Cluster:
    """The stack's Redis Cluster as its masters report it."""

    def __init__(self, stack):
        url = stack.env["REDIS_URL"]
        assert url.startswith("redis-cluster://"), \
            "tests/scale needs a stack started with REDIS_CLUSTER=3 (make scale)"
        self.seeds = [n.rsplit(":", 1) for n in url[len("redis-cluster://"):].split(",")]

    def any(self):
        return node_client(self.seeds[0][0], int(self.seeds[0][1]))

    def keyslot(self, key):
        return int(self.any().execute_command("CLUSTER KEYSLOT", key))

    def owners(self):
        """{node id: (host, port, sorted [slot])} for every master."""
        out = {}
        for start, end, (host, port, nid, *_), *_ in self.any().execute_command("CLUSTER SLOTS"):
            out.setdefault(nid, (host, int(port), []))[2].extend(range(start, end + 1))
        for _, _, slots in out.values():
            slots.sort()
        return out

    def errors(self):
        """Every master's error replies so far, by kind (INFO errorstats): MOVED, ASK, ..."""
        total = Counter()
        for host, port, _ in self.owners().values():
            for k, v in node_client(host, port).info("errorstats").items():
                n = v["count"] if isinstance(v, dict) else int(v.split("=")[1].split(",")[0])
                total[k.removeprefix("errorstat_")] += n
        return total


@pytest.fixture(scope="module")
def cluster(stack):
    return Cluster(stack)


def pick_range(cluster, stack, admin):
    """Campaigns and products made until one master's lowest slots hold two of each: (source
    id, its host and port, slots to move, {cid: slot}, {pid: slot})."""
    camps, prods = {}, {}
    best = None
    for _ in range(24):
        camps[campaign(stack, admin, QUANTITY)] = None
        prods[new_product(stack, admin, STOCK)] = None
        camps = {c: cluster.keyslot(f"{{c:{c}}}:meta") for c in camps}
        prods = {p: cluster.keyslot(f"{{p:{p}}}:stock") for p in prods}
        for nid, (host, port, slots) in cluster.owners().items():
            rank = {s: i for i, s in enumerate(slots)}
            mine_c = sorted((rank[s], c) for c, s in camps.items() if s in rank)[:2]
            mine_p = sorted((rank[s], p) for p, s in prods.items() if s in rank)[:2]
            if len(mine_c) < 2 or len(mine_p) < 2:
                continue
            n = max(r for r, _ in mine_c + mine_p) + 1
            if best is None or n < best[3]:
                best = (nid, host, port, n, {c: camps[c] for _, c in mine_c},
                        {p: prods[p] for _, p in mine_p})
        if best and best[3] <= 3000:
            break
    assert best, f"no master held two campaigns and two products: {camps} {prods}"
    return best


def fill(host, port, tags, half):
    """Half of BALLAST other keys in each live slot (the same hash tag): what else a slot holds."""
    r = node_client(host, port)
    n = BALLAST // 2
    for tag in tags:
        for start in range(half * n, (half + 1) * n, 2000):
            r.mset({f"{{{tag}}}:ballast:{i}": "x" * 16 for i in range(start, min(start + 2000, (half + 1) * n))})


def renew(host, port, tags):
    """Each live key written anew, so that a move (newest keys first) takes it between the two
    halves of the other keys: its scripts first run on the source, then meet their keys split
    (TRYAGAIN), then all on the target while the rest still moves (ASK)."""
    r = redis.Redis(host=host, port=port)
    for tag in tags:
        slot = int(r.execute_command("CLUSTER KEYSLOT", tag))
        for key in r.execute_command("CLUSTER GETKEYSINSLOT", slot, BALLAST + 1000):
            if ":ballast:" not in (key.decode() if isinstance(key, bytes) else key):
                ttl, dump = r.pttl(key), r.dump(key)
                r.restore(key, max(ttl, 0), dump, replace=True)


def ask(session, method, url, token, body=None):
    """One request until a definite answer: (status, error code or None, body, 503s before it)."""
    retried = 0
    for _ in range(200):
        try:
            r = session.request(method, url, headers=auth(token), json=body, timeout=30)
        except requests.RequestException:
            status, data = None, {}
        else:
            status = r.status_code
            try:
                data = r.json()
            except ValueError:
                data = {"raw": r.text[:200]}
        if status is not None and status != 503:
            code = data.get("error", {}).get("code") if status >= 400 else None
            return status, code, data, retried
        retried += 1
        time.sleep(0.05 + random.random() * 0.1)
    raise AssertionError(f"{method} {url}: no definite answer after 200 tries")


class Reshard(threading.Thread):
    """`redis-cli --cluster reshard` moving n slots from src to dst, its output read as it
    comes: when each slot's move ended (the line naming it ends then), so when it began."""

    def __init__(self, host, port, src, dst, n):
        super().__init__()
        self.cmd = ["stdbuf", "-oL", "redis-cli", "--cluster", "reshard", f"{host}:{port}",
                    "--cluster-from", src, "--cluster-to", dst, "--cluster-slots", str(n),
                    "--cluster-yes"]
        self.window, self.output, self.start_at, self.end_at = {}, [], None, None

    def run(self):
        self.start_at = last = time.monotonic()
        self.rc = None
        try:
            with subprocess.Popen(self.cmd, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                                  text=True) as p:
                for line in p.stdout:
                    now = time.monotonic()
                    self.output.append(line)
                    m = re.match(r"Moving slot (\d+) from \S+ to ", line)
                    if m:
                        self.window[int(m.group(1))] = (last, now)
                        last = now
                self.rc = p.wait()
        finally:
            self.end_at = time.monotonic()  # the storm ends after it, whatever became of it


def attempt(s, stack, job):
    """One person's claim, or checkout and payment: their log lines."""
    kind, (uid, token), thing = job
    sent = time.monotonic()
    if kind == "claim":
        st, code, data, retried = ask(s, "POST", stack.url(f"/api/v1/coupons/{thing}/claim"), token)
    else:
        st, code, data, retried = ask(s, "POST", stack.url("/api/v1/orders"), token,
                                      {"items": [{"product_id": thing, "quantity": 1}]})
    out = [(kind, thing, uid, st, code, data, retried, sent, time.monotonic())]
    if kind == "buy" and st == 201:
        oid, sent = data["order"]["id"], time.monotonic()
        card = CARD_DECLINED if uid % 5 == 0 else CARD_OK
        st, code, data, retried = ask(s, "POST", stack.url(f"/api/v1/orders/{oid}/payment"),
                                      token, {"card_number": card})
        out.append(("pay", thing, uid, st, code, data, retried, sent, time.monotonic()))
    return out


def warm_up(stack, users, camps, prods):
    """A claim of each campaign and an order of each product before the storm: every key of
    theirs exists (a claimed set, a product's held and bought)."""
    s = requests.Session()
    return [line for i, thing in enumerate(camps) for line in attempt(s, stack, ("claim", users[i], thing))] + \
        [line for i, thing in enumerate(prods) for line in attempt(s, stack, ("buy", users[i + 1], thing))]


def test_a_slot_range_with_live_campaigns_and_products_resharded_mid_storms_loses_nothing(
        stack, admin, cluster):
    assert os.path.exists(os.path.join(stack.state_dir, "web-1.sock")), \
        "run through `make scale` (WEB_HOSTS=2)"
    src_id, host, port, nslots, camps, prods = pick_range(cluster, stack, admin)
    owners = cluster.owners()
    dst_id = next(n for n in owners if n != src_id)
    dst_host, dst_port, _ = owners[dst_id]
    users = pool(stack, USERS)
    log = warm_up(stack, users, camps, prods)
    tags = [f"c:{c}" for c in camps] + [f"p:{p}" for p in prods]
    fill(host, port, tags, 0)
    renew(host, port, tags)
    fill(host, port, tags, 1)
    cids, pids = list(camps), list(prods)
    # Each person claims one of the campaigns and buys one of the products, arriving at a steady
    # pace over STORM_SECONDS; while the reshard still runs after that, people come back and try
    # again (already claimed, sold out, or a unit a declined card gave back).
    first = [("claim", u, cids[i % 2]) for i, u in enumerate(users)] + \
            [("buy", u, pids[i % 2]) for i, u in enumerate(users)]
    random.Random(7).shuffle(first)
    every = STORM_SECONDS / len(first)
    mover = Reshard(host, port, src_id, dst_id, nslots)
    lock, queue = threading.Lock(), {"next": 0, "t0": None}

    def next_job():
        with lock:
            i = queue["next"]
            if i >= len(first) and mover.end_at is not None:
                return None
            queue["next"] += 1
            if i == len(first) // 10:
                errors_before.update(cluster.errors())
                node_client(dst_host, dst_port).script_flush()
                mover.start()
            job = first[i] if i < len(first) else random.choice(first)
            return job, queue["t0"] + i * every

    errors_before = Counter()
    local = threading.local()

    def worker():
        s = local.s = getattr(local, "s", None) or requests.Session()
        while (got := next_job()) is not None:
            job, due = got
            time.sleep(max(0.0, due - time.monotonic()))
            out = attempt(s, stack, job)
            with lock:
                log.extend(out)

    threads = 32
    queue["t0"] = started = time.monotonic()
    with cf.ThreadPoolExecutor(threads) as ex:
        for f in [ex.submit(worker) for _ in range(threads)]:
            f.result()
    ended = time.monotonic()
    mover.join()
    errors = cluster.errors() - errors_before
    assert mover.rc == 0, "".join(mover.output[-30:])
    live = {**{("claim", c): s for c, s in camps.items()}, **{("buy", p): s for p, s in prods.items()}}
    in_flight = {k: sum(1 for kind, thing, _, _, _, _, _, sent, got in log
                        if (kind, thing) == k and sent < mover.window[s][1] and got > mover.window[s][0])
                 for k, s in live.items()}
    by_kind = Counter((k, st, code) for k, _, _, st, code, *_ in log)
    retries = Counter(k for k, _, _, _, _, _, retried, _, _ in log for _ in range(retried))
    print(f"\n{nslots} slots moved in {mover.end_at - mover.start_at:.2f} s during a storm of "
          f"{ended - started:.2f} s; the live slots' moves took "
          f"{', '.join(f'{b - a:.2f}' for a, b in (mover.window[s] for s in live.values()))} s "
          f"with {sorted(in_flight.values())} requests on them in flight; redirections and "
          f"refusals meanwhile: {dict(errors)}\nanswers: {dict(by_kind)}; 503s retried: "
          f"{dict(retries)}")

    # The live slots now live on the target, and requests met each of them moving: redirected
    # (MOVED, ASK), and the target had to be given the scripts. (TRYAGAIN, keys split, lasts
    # one MIGRATE of a few keys here; the test below holds a slot split.)
    moved = cluster.owners()[dst_id][2]
    assert set(live.values()) <= set(moved)
    assert all(n > 0 for n in in_flight.values()), in_flight
    assert errors["MOVED"] > 0 and errors["ASK"] > 0 and errors["NOSCRIPT"] > 0, errors
    for kind, _, _, st, code, data, *_ in log:
        assert (st, code) in DEFINITE[kind], (kind, st, code, data)

    check_campaigns(stack, camps, log)
    check_products(stack, prods, log)


def check_campaigns(stack, camps, log):
    for cid in camps:
        won = {uid: data["user_coupon"]["id"] for k, c, uid, st, _, data, *_ in log
               if k == "claim" and c == cid and st == 201}
        rows = stack.sql("SELECT id, user_id FROM user_coupons WHERE coupon_id = %s", cid)
        holders = {r["user_id"]: r["id"] for r in rows}
        assert len(rows) == len(holders), "one coupon per user"
        sold_out = any(k == "claim" and c == cid and st == 410 for k, c, _, st, *_ in log)
        assert len(rows) == (QUANTITY if sold_out else len(won)), (cid, len(rows), len(won))
        assert stack.sql("SELECT issued FROM coupons WHERE id = %s", cid)[0]["issued"] == len(rows)
        for uid, ucid in won.items():
            assert holders.get(uid) == ucid, "every 201 names the user's row"
        gate = {int(u) for u in stack.redis().smembers(f"{{c:{cid}}}:claimed")}
        assert gate == set(holders), "Redis's holders are MySQL's"


def check_products(stack, prods, log):
    for pid in prods:
        placed = [data["order"]["id"] for k, p, _, st, _, data, *_ in log
                  if k == "buy" and p == pid and st == 201]
        orders = {r["id"]: r for r in stack.sql(
            "SELECT o.id, o.user_id, o.status, i.quantity FROM orders o JOIN order_items i"
            " ON i.order_id = o.id WHERE i.product_id = %s", pid)}
        assert set(placed) <= set(orders), "every 201 names a real order"
        paid = [o for o in orders.values() if o["status"] in PAID]
        assert sum(o["quantity"] for o in paid) <= STOCK, "paid orders never exceed the stock"
        approved = [r["order_id"] for r in stack.sql(
            f"SELECT order_id FROM payments WHERE outcome = 'approved' AND order_id IN"
            f" ({in_list(orders)})")]
        assert sorted(approved) == sorted(o["id"] for o in paid), "one payment per paid order"

        def shipped():
            n = stack.sql(f"SELECT COUNT(DISTINCT order_id) AS n FROM shipments WHERE order_id"
                          f" IN ({in_list(approved)})")[0]["n"] if approved else 0
            return True if n == len(approved) else f"{n} of {len(approved)} shipped"
        wait_until("every paid order shipped", shipped, timeout=90)
        twice = stack.sql(f"SELECT order_id FROM shipments WHERE order_id IN ({in_list(approved)})"
                          f" GROUP BY order_id HAVING COUNT(*) > 1") if approved else []
        assert not twice, "a paid order shipped twice"
        wait_until("the order worker to apply every paid order", lambda: stack.sql(
            f"SELECT COUNT(*) AS n FROM orders WHERE id IN ({in_list(approved)})"
            f" AND stock_applied = 0")[0]["n"] == 0 if approved else True, timeout=90)
        units = sum(o["quantity"] for o in paid)
        pending = [o for o in orders.values() if o["status"] == "pending_payment"]
        held = sum(o["quantity"] for o in pending)
        row = stack.sql("SELECT stock, sold FROM products WHERE id = %s", pid)[0]
        assert (row["stock"], row["sold"]) == (STOCK - units, units)
        rc = stack.redis()
        assert int(rc.get(f"{{p:{pid}}}:stock")) == STOCK - units - held, \
            "Redis's counter is MySQL's stock less the unpaid orders"
        holding = {str(o["id"]) for o in paid + pending}
        assert set(rc.hkeys(f"{{p:{pid}}}:held")) == holding, "Redis holds what MySQL holds"


def claim_once(stack, cid, user):
    r = requests.post(stack.url(f"/api/v1/coupons/{cid}/claim"), headers=auth(user[1]), timeout=30)
    return r.status_code, r.text


def test_claims_on_a_campaign_whose_slot_is_half_moved_are_answered_on_either_master(
        stack, admin, cluster):
    """The campaign's slot held in the middle of a move, step by step as reshard makes them:
    every key still on the source (which serves a script whose keys it all holds); its keys
    split between the two (TRYAGAIN, repeated until the rest has moved); every key on the target
    (the source answers ASK, the target serves the script after ASKING); moved (MOVED). A claim
    is answered at each step, not refused until the move ends."""
    cid = campaign(stack, admin, QUANTITY)
    users = pool(stack, 5)
    assert claim_once(stack, cid, users[0])[0] == 201  # its claimed set exists
    slot = cluster.keyslot(f"{{c:{cid}}}:meta")
    owners = cluster.owners()
    src_id = next(n for n, (_, _, slots) in owners.items() if slot in slots)
    dst_id = next(n for n in owners if n != src_id)
    src, dst = (node_client(*owners[n][:2]) for n in (src_id, dst_id))
    to = (owners[dst_id][0], owners[dst_id][1], "", 0, 5000)

    def migrate(*keys):
        src.execute_command("MIGRATE", *to, "KEYS", *keys)

    def migrate_rest():
        while keys := src.execute_command("CLUSTER GETKEYSINSLOT", slot, 100):
            migrate(*keys)

    dst.execute_command("CLUSTER SETSLOT", slot, "IMPORTING", src_id)
    src.execute_command("CLUSTER SETSLOT", slot, "MIGRATING", dst_id)
    try:
        answers = [claim_once(stack, cid, users[1])]
        migrate(f"{{c:{cid}}}:claimed")
        refused = cluster.errors()["TRYAGAIN"]
        rest = threading.Timer(0.3, migrate_rest)  # while the claim is refused and repeated
        rest.start()
        answers.append(claim_once(stack, cid, users[2]))
        rest.join()
        refused = cluster.errors()["TRYAGAIN"] - refused
        answers.append(claim_once(stack, cid, users[3]))
    finally:
        for n in owners:
            node_client(*owners[n][:2]).execute_command("CLUSTER SETSLOT", slot, "NODE", dst_id)
    answers.append(claim_once(stack, cid, users[4]))
    assert [st for st, _ in answers] == [201] * 4, answers
    assert refused > 0, "the claim met its keys split and was repeated"
    holders = {r["user_id"] for r in stack.sql(
        "SELECT user_id FROM user_coupons WHERE coupon_id = %s", cid)}
    assert holders == {u for u, _ in users}
    assert {int(u) for u in dst.smembers(f"{{c:{cid}}}:claimed")} == holders
