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


def checkout(state, base, out, products=50, users=1000):
    """Products with plenty of stock and no per-user limit, and logged-in users."""
    env = dict(os.environ, STATE_DIR=state)
    fc = os.path.join(ROOT, "bin", "firstcome")
    tag = uuid.uuid4().hex[:6]
    pw = "bench password 1"
    subprocess.run([fc, "user", "add", "--email", f"bench-admin-{tag}@example.com", "--password", pw,
                    "--role", "admin", "--verified"], env=env, check=True, capture_output=True)
    subprocess.run([fc, "user", "bulk", "--prefix", f"buyer{tag}", "--count", str(users),
                    "--password", pw, "--verified"], env=env, check=True, capture_output=True)

    def login(email):
        r = requests.post(base + "/api/v1/auth/login", json={"email": email, "password": pw}, timeout=60)
        r.raise_for_status()
        return r.json()["access_token"]

    admin = login(f"bench-admin-{tag}@example.com")
    ids = []
    for i in range(products):
        r = requests.post(base + "/api/v1/admin/products", headers={"Authorization": "Bearer " + admin},
                          json={"name": f"Bench product {tag} {i}", "description": "", "category": "bench",
                                "price": 1000 + i, "stock": 1000000}, timeout=30)
        r.raise_for_status()
        ids.append(r.json()["product"]["id"])
    with cf.ThreadPoolExecutor(8) as ex:
        tokens = list(ex.map(login, [f"buyer{tag}-{i}@example.com" for i in range(1, users + 1)]))
    with open(out, "w") as f:
        f.write(" ".join(map(str, ids)) + "\n")
        f.write("\n".join(tokens) + "\n")
    print(f"{products} products, {users} buyers ready")


def main():
    if sys.argv[1] == "wait":
        return wait(sys.argv[2], sys.argv[3], int(sys.argv[4]))
    if sys.argv[1] == "checkout":
        return checkout(*sys.argv[2:5])
    state, base, out = sys.argv[1:4]
    campaigns, users, quantity = (int(x) for x in (sys.argv[4:7] or (100, 2000, 100000)))
    env = dict(os.environ, STATE_DIR=state)
    fc = os.path.join(ROOT, "bin", "firstcome")
    tag = uuid.uuid4().hex[:6]
    pw = "bench password 1"
    subprocess.run([fc, "user", "add", "--email", f"bench-admin-{tag}@example.com", "--password", pw,
                    "--role", "admin", "--verified"], env=env, check=True, capture_output=True)
    subprocess.run([fc, "user", "bulk", "--prefix", f"bench{tag}", "--count", str(users),
                    "--password", pw, "--verified"], env=env, check=True, capture_output=True)

    def login(email):
        r = requests.post(base + "/api/v1/auth/login", json={"email": email, "password": pw}, timeout=60)
        r.raise_for_status()
        return r.json()["access_token"]

    admin = login(f"bench-admin-{tag}@example.com")
    vendor = requests.post(base + "/api/v1/admin/vendors", json={"name": f"Bench vendor {tag}"},
                           headers={"Authorization": "Bearer " + admin}, timeout=30).json()["vendor"]["id"]
    now = dt.datetime.now(dt.timezone.utc)
    ids = []
    for i in range(campaigns):
        r = requests.post(base + "/api/v1/admin/coupons", timeout=30,
                          headers={"Authorization": "Bearer " + admin},
                          json={"vendor_id": vendor, "name": f"Bench {tag} {i}", "type": "fixed",
                                "value": 100, "total_quantity": quantity,
                                "starts_at": (now - dt.timedelta(minutes=1)).strftime("%Y-%m-%dT%H:%M:%SZ"),
                                "ends_at": (now + dt.timedelta(hours=2)).strftime("%Y-%m-%dT%H:%M:%SZ")})
        r.raise_for_status()
        ids.append(r.json()["coupon"]["id"])
    with cf.ThreadPoolExecutor(8) as ex:
        tokens = list(ex.map(login, [f"bench{tag}-{i}@example.com" for i in range(1, users + 1)]))
    with open(out, "w") as f:
        f.write(" ".join(map(str, ids)) + "\n")
        f.write("\n".join(tokens) + "\n")
    print(f"{campaigns} campaigns x {quantity} coupons, {users} users ready")


if __name__ == "__main__":
    main()
