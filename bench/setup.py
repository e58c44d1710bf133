"""Prepares the claim benchmark against a running stack: an admin, C campaigns of Q coupons
starting now, U verified users logged in. Writes the campaign ids and tokens for bench/claim.lua.
Usage: setup.py STATE_DIR BASE_URL OUT_FILE [campaigns users quantity]"""
import concurrent.futures as cf
import datetime as dt
import os
import subprocess
import sys
import uuid

import requests

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def wait(state, claims_file, expected):
    """Waits until MySQL holds `expected` coupons of the campaigns in claims_file."""
    import time

    import pymysql
    sys.path.insert(0, os.path.join(ROOT, "tests"))
    from conftest import read_env
    env = read_env(state)
    ids = [int(x) for x in open(claims_file).readline().split()]
    db = pymysql.connect(unix_socket=env["MYSQL_SOCKET"], user=env["MYSQL_USER"],
                         password=env["MYSQL_PASSWORD"], database=env["MYSQL_DATABASE"], autocommit=True)
    t0 = time.time()
    marks = ",".join(["%s"] * len(ids))
    while True:
        with db.cursor() as cur:
            cur.execute(f"SELECT COUNT(*) FROM user_coupons WHERE coupon_id IN ({marks})", ids)
            written = cur.fetchone()[0]
        if written >= expected or time.time() - t0 > 300:
            break
        time.sleep(0.2)
    print(f"  coupon worker: {written} of {expected} accepted claims written "
          f"{time.time() - t0:.1f} s after the kafka run ended")


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
