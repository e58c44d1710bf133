"""Prepares the claim benchmark against a running stack: an admin, C campaigns of Q coupons
starting now, U verified users logged in. Writes the campaign ids and tokens for bench/claim.lua.
Usage: setup.py STATE_DIR BASE_URL OUT_FILE [campaigns users quantity]
       setup.py checkout STATE_DIR BASE_URL OUT_FILE   products and buyers for bench/checkout.lua
       setup.py wait STATE_DIR CLAIMS_FILE N           until MySQL holds N of those campaigns' coupons
       setup.py check STATE_DIR CLAIMS_FILE OUT_JSON   those campaigns' coupons against nginx's answers"""
import concurrent.futures as cf
import datetime as dt
import json
import os
import re
import subprocess
import sys
import uuid

import requests

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def stack_env(state):
    sys.path.insert(0, os.path.join(ROOT, "tests"))
    from conftest import read_env
    return read_env(state)


def mysql(env):
    import pymysql
    return pymysql.connect(unix_socket=env["MYSQL_SOCKET"], user=env["MYSQL_USER"],
                           password=env["MYSQL_PASSWORD"], database=env["MYSQL_DATABASE"], autocommit=True)


def campaign_ids(claims_file):
    return [int(x) for x in open(claims_file).readline().split()]


def wait_written(db, ids, expected, limit=300):
    """(coupons of the campaigns ids in MySQL, seconds waited) once there are `expected` of them."""
    import time
    t0, marks = time.time(), ",".join(["%s"] * len(ids))
    while True:
        with db.cursor() as cur:
            cur.execute(f"SELECT COUNT(*) FROM user_coupons WHERE coupon_id IN ({marks})", ids)
            written = cur.fetchone()[0]
        if written >= expected or time.time() - t0 > limit:
            return written, time.time() - t0
        time.sleep(0.2)


def wait(state, claims_file, expected):
    """Waits until MySQL holds `expected` coupons of the campaigns in claims_file."""
    written, secs = wait_written(mysql(stack_env(state)), campaign_ids(claims_file), expected)
    print(f"  coupon worker: {written} of {expected} accepted claims written "
          f"{secs:.1f} s after the kafka run ended")


CLAIM_LINE = re.compile(r'"POST /api/v1/coupons/(\d+)/claim HTTP/[0-9.]+" (\d{3}) ')


def answered(state, ids):
    """(claims nginx answered 201 or 202, claims whose client left before the answer (499)) for
    the campaigns ids, from the stack's access log."""
    ok = left = 0
    wanted = set(ids)
    with open(os.path.join(state, "logs", "nginx-access.log"), errors="replace") as f:
        for line in f:
            m = CLAIM_LINE.search(line) if "/claim HTTP" in line else None
            if m and int(m.group(1)) in wanted:
                ok += m.group(2) in ("201", "202")
                left += m.group(2) == "499"
    return ok, left


def redis_claimed(env, ids):
    """People in the Redis gate's claimed sets of the campaigns ids (a Redis Cluster or one Redis)."""
    import redis
    url = env["REDIS_URL"]
    if url.startswith("redis-cluster://"):
        from redis.cluster import ClusterNode, RedisCluster
        nodes = [ClusterNode(h, int(p)) for h, p in (a.rsplit(":", 1) for a in url[16:].split(","))]
        r = RedisCluster(startup_nodes=nodes)
    elif url.startswith("unix://") or url.startswith("/"):
        r = redis.Redis(unix_socket_path=url.removeprefix("unix://").split("?")[0])
    else:
        r = redis.Redis.from_url(url)
    return sum(r.scard(f"{{c:{i}}}:claimed") for i in ids)


def check(state, claims_file, out):
    """The campaigns of claims_file after their turns: MySQL holds a coupon for every claim nginx
    answered 201/202 and at most those whose client left mid request (499) besides, coupons.issued
    equals the coupons held, none beyond its quantity, and Redis's gate holds as many people."""
    import time
    time.sleep(1.5)  # nginx writes its access log every second
    env, ids = stack_env(state), campaign_ids(claims_file)
    ok, left = answered(state, ids)
    db = mysql(env)
    issued, _ = wait_written(db, ids, ok, limit=120)
    marks = ",".join(["%s"] * len(ids))
    with db.cursor() as cur:
        cur.execute("SELECT COUNT(*), COALESCE(SUM(c.issued <> n.held), 0), COALESCE(SUM(n.held > c.total_quantity), 0)"
                    f" FROM coupons c JOIN (SELECT coupon_id, COUNT(*) held FROM user_coupons"
                    f" WHERE coupon_id IN ({marks}) GROUP BY coupon_id) n ON n.coupon_id = c.id", ids)
        _, mismatched, over = (int(x) for x in cur.fetchone())
    gate = redis_claimed(env, ids)
    doc = {"answered": ok, "client_left": left, "issued": issued, "redis_claimed": gate,
           "issued_column_mismatches": mismatched, "over_quantity": over}
    doc["ok"] = ok <= issued <= ok + left and gate == issued and mismatched == 0 and over == 0
    with open(out, "w") as f:
        json.dump(doc, f)
    print(f"{ok} claims answered 201/202 ({left} left by their client), {issued} coupons in MySQL, "
          f"{gate} in Redis, {over} campaigns beyond their quantity: {'ok' if doc['ok'] else 'WRONG'}")


class Accounts:
    """An admin and `users` verified users made with the CLI (cheap Argon2id on the bench stack).
    The admin is logged in at once; users() logs every user in, 8 at a time."""

    def __init__(self, state, base, prefix, users):
        env = dict(os.environ, STATE_DIR=state)
        fc = os.path.join(ROOT, "bin", "firstcome")
        self.base, self.tag, self.pw, self.n = base, uuid.uuid4().hex[:6], "bench password 1", users
        self.prefix = prefix + self.tag
        subprocess.run([fc, "user", "add", "--email", f"bench-admin-{self.tag}@example.com", "--password",
                        self.pw, "--role", "admin", "--verified"], env=env, check=True, capture_output=True)
        subprocess.run([fc, "user", "bulk", "--prefix", self.prefix, "--count", str(users),
                        "--password", self.pw, "--verified"], env=env, check=True, capture_output=True)
        self.admin = self.login(f"bench-admin-{self.tag}@example.com")

    def login(self, email):
        r = requests.post(self.base + "/api/v1/auth/login", json={"email": email, "password": self.pw},
                          timeout=60)
        r.raise_for_status()
        return r.json()["access_token"]

    def admin_post(self, path, body):
        r = requests.post(self.base + path, json=body, headers={"Authorization": "Bearer " + self.admin},
                          timeout=30)
        r.raise_for_status()
        return r.json()

    def users(self):
        with cf.ThreadPoolExecutor(8) as ex:
            return list(ex.map(self.login, [f"{self.prefix}-{i}@example.com" for i in range(1, self.n + 1)]))


def write_claims(out, ids, tokens):
    """The file the wrk scripts read: the ids on the first line, then one token per line."""
    with open(out, "w") as f:
        f.write(" ".join(map(str, ids)) + "\n")
        f.write("\n".join(tokens) + "\n")


def checkout(state, base, out, products=50, users=1000):
    """Products with plenty of stock and no per-user limit, and logged-in users."""
    acc = Accounts(state, base, "buyer", users)
    ids = [acc.admin_post("/api/v1/admin/products", {
        "name": f"Bench product {acc.tag} {i}", "description": "", "category": "bench",
        "price": 1000 + i, "stock": 1000000})["product"]["id"] for i in range(products)]
    write_claims(out, ids, acc.users())
    print(f"{products} products, {users} buyers ready")


def main():
    if sys.argv[1] == "wait":
        return wait(sys.argv[2], sys.argv[3], int(sys.argv[4]))
    if sys.argv[1] == "check":
        return check(*sys.argv[2:5])
    if sys.argv[1] == "checkout":
        return checkout(*sys.argv[2:5])
    state, base, out = sys.argv[1:4]
    campaigns, users, quantity = (int(x) for x in (sys.argv[4:7] or (100, 2000, 100000)))
    acc = Accounts(state, base, "bench", users)
    vendor = acc.admin_post("/api/v1/admin/vendors", {"name": f"Bench vendor {acc.tag}"})["vendor"]["id"]
    now = dt.datetime.now(dt.timezone.utc)
    ids = [acc.admin_post("/api/v1/admin/coupons", {
        "vendor_id": vendor, "name": f"Bench {acc.tag} {i}", "type": "fixed", "value": 100,
        "total_quantity": quantity,
        "starts_at": (now - dt.timedelta(minutes=1)).strftime("%Y-%m-%dT%H:%M:%SZ"),
        "ends_at": (now + dt.timedelta(hours=2)).strftime("%Y-%m-%dT%H:%M:%SZ")})["coupon"]["id"]
           for i in range(campaigns)]
    write_claims(out, ids, acc.users())
    print(f"{campaigns} campaigns x {quantity} coupons, {users} users ready")


if __name__ == "__main__":
    main()
