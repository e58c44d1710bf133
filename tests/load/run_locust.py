#!/usr/bin/python3
"""Runs Debian's Locust for firstcome, and prepares the load test's user pool.

  /usr/bin/python3 tests/load/run_locust.py [locust options...]
      Locust itself (`locust.main.main()`), with its version string set first. Debian's
      python3-locust 2.12 ships `_version.py` with `version = ''` (and a 0.0.0 dist-info), and a
      worker announces itself to the master with that string: an empty one makes the master log
      "An old (pre 2.0) worker tried to connect" and ignore the worker, so --master/--worker never
      start. Several modules copy the string at import time (`from locust import __version__`), so
      each copy is set here before main() runs.

  /usr/bin/python3 tests/load/run_locust.py prepare --state-dir DIR --base URL --out POOL.json [--users N]
      Prepares a pool against a running stack: N verified users (`bin/firstcome user bulk`), an
      admin, a vendor, coupon campaigns, load products and a flash product, written as
      {"users":[{"email","password"}], "products":[ids], "flash_product":id, "coupons":[ids], ...}.

Run it with /usr/bin/python3: the python3 on PATH may be another interpreter without Debian's
modules (locust, gevent, requests).
"""
import os
import subprocess
import sys

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
FALLBACK_VERSION = "2.12.1"  # Debian bookworm's python3-locust, should dpkg not answer either
POOL_PREFIX = "load"  # pool users are load-1@example.com .. load-N@example.com
POOL_PASSWORD = "load test password 1"
ADMIN_EMAIL = "load-admin@example.com"


# ---- Locust with a version ----

def debian_version():
    """The installed python3-locust's upstream version, e.g. 2.12.1, or None."""
    try:
        out = subprocess.run(["dpkg-query", "-W", "-f=${Version}", "python3-locust"],
                             capture_output=True, text=True, timeout=10).stdout.strip()
    except (OSError, subprocess.SubprocessError):
        return None
    out = out.split(":", 1)[-1].rsplit("-", 1)[0]  # epoch:upstream-debian -> upstream
    return out or None


def locust_with_version():
    """Imports Locust (which monkey-patches the standard library via gevent: it must come first)
    and gives every copy of its version string a real value. Returns the version in use."""
    import locust
    import locust._version
    import locust.argument_parser
    import locust.main
    import locust.runners
    import locust.web

    version = locust.__version__
    if not version or version == "0.0.0":
        version = os.environ.get("LOCUST_VERSION") or debian_version() or FALLBACK_VERSION
        locust.__version__ = version
        locust._version.version = version
        locust.runners.__version__ = version  # client_ready handshake: sent by workers, compared by the master
        locust.main.version = version  # "Starting Locust ..." log line
        locust.argument_parser.version = version  # --version
        locust.web.version = version  # the web UI
    # The argument parser's --version action text was built from the old value at import time
    # only if a parser was created already; main() builds a fresh one, so nothing else to do.
    return version


def run_locust(argv):
    version = locust_with_version()
    import locust.runners
    assert locust.runners.__version__ == version and version, "locust version not set"
    import locust.main
    sys.argv = ["locust"] + argv
    return locust.main.main()


# ---- pool ----

def read_env(state_dir):
    """$STATE_DIR/env: the running stack's resolved settings (KEY=value, shell-quoted)."""
    import shlex
    env = {}
    path = os.path.join(state_dir, "env")
    if not os.path.exists(path):
        return env
    with open(path) as f:
        for line in f:
            if "=" in line and not line.startswith("#"):
                k, v = line.rstrip("\n").split("=", 1)
                parts = shlex.split(v) if v else []
                env[k] = parts[0] if parts else ""
    return env


def truthy(v):
    return str(v).strip().lower() in ("1", "on", "true", "yes")


def prepare(argv):
    import argparse
    import datetime as dt
    import json
    import time
    import uuid

    import requests

    ap = argparse.ArgumentParser(prog="run_locust.py prepare")
    ap.add_argument("--state-dir", required=True, help="the target stack's STATE_DIR")
    ap.add_argument("--base", required=True, help="the target stack's URL, http://127.0.0.1:PORT")
    ap.add_argument("--out", required=True, help="the pool file to write")
    ap.add_argument("--users", type=int, default=1000, help="pool accounts (default 1000)")
    ap.add_argument("--products", type=int, default=10, help="load products (default 10)")
    ap.add_argument("--campaigns", type=int, default=4, help="large coupon campaigns (default 4)")
    args = ap.parse_args(argv)
    base = args.base.rstrip("/")
    t0 = time.time()

    stack = read_env(args.state_dir)
    # The tool must hash the pool's password with the stack's Argon2 cost (and reach its stores):
    # the stack's own settings win over whatever this shell has.
    env = dict(os.environ)
    env.update(stack)
    env["STATE_DIR"] = args.state_dir
    fc = os.path.join(ROOT, "bin", "firstcome")
    cap = int(stack.get("COUPON_QUANTITY_CAP") or 100)

    r = subprocess.run([fc, "user", "add", "--email", ADMIN_EMAIL, "--password", POOL_PASSWORD,
                        "--role", "admin", "--verified"], env=env, capture_output=True, text=True)
    if r.returncode != 0 and "email_taken" not in r.stderr:
        sys.exit(f"prepare: user add failed: {r.stderr.strip() or r.stdout.strip()}")
    r = subprocess.run([fc, "user", "bulk", "--prefix", POOL_PREFIX, "--count", str(args.users),
                        "--password", POOL_PASSWORD, "--verified"], env=env, capture_output=True, text=True)
    if r.returncode != 0:
        sys.exit(f"prepare: user bulk failed: {r.stderr.strip() or r.stdout.strip()}")

    s = requests.Session()

    def call(method, path, body=None, token=None, ok=(200, 201)):
        for attempt in range(20):
            resp = s.request(method, base + path, json=body, timeout=60,
                             headers={"Authorization": "Bearer " + token} if token else {})
            if resp.status_code == 429 and attempt < 19:  # a stack with rate limits on
                time.sleep(float(resp.headers.get("Retry-After") or 1))
                continue
            if resp.status_code not in ok:
                sys.exit(f"prepare: {method} {path} -> {resp.status_code} {resp.text[:300]}")
            return resp.json()

    admin = call("POST", "/api/v1/auth/login", {"email": ADMIN_EMAIL, "password": POOL_PASSWORD})["access_token"]
    if requests.get(base + "/api/v1/me", headers={"Authorization": "Bearer " + admin},
                    timeout=30).json().get("user", {}).get("role") != "admin":
        sys.exit(f"prepare: {ADMIN_EMAIL} exists but is not an admin")
    tag = uuid.uuid4().hex[:6]
    now = dt.datetime.now(dt.timezone.utc)
    iso = lambda t: t.strftime("%Y-%m-%dT%H:%M:%SZ")  # noqa: E731
    vendor = call("POST", "/api/v1/admin/vendors", {"name": f"Load vendor {tag}"}, admin)["vendor"]["id"]

    coupons = []
    # Large campaigns (as large as the stack's COUPON_QUANTITY_CAP allows), and one small one
    # that sells out early in the run, so 410 sold_out is exercised as well as 201/409.
    for i, qty in enumerate([min(cap, 100000)] * args.campaigns + [min(cap, 10)]):
        c = call("POST", "/api/v1/admin/coupons", {
            "vendor_id": vendor, "name": f"Load {tag} #{i + 1}", "type": "fixed" if i % 2 == 0 else "percent",
            "value": 1000 if i % 2 == 0 else 5, "total_quantity": qty,
            "starts_at": iso(now - dt.timedelta(minutes=1)), "ends_at": iso(now + dt.timedelta(days=1))}, admin)
        coupons.append(c["coupon"]["id"])

    categories = ["load-home", "load-outdoor"]
    products = []
    for i in range(args.products):
        p = call("POST", "/api/v1/admin/products", {
            "name": f"Load product {tag} {i + 1}", "description": "made by the load test",
            "category": categories[i % 2], "price": 5000 + 1000 * i, "stock": 1000000}, admin)
        products.append(p["product"]["id"])
    # A flash sale that has just opened: plenty of stock, one per person (409 limit_exceeded).
    flash = call("POST", "/api/v1/admin/products", {
        "name": f"Load flash sale {tag}", "description": "one per person", "category": categories[0],
        "price": 9900, "stock": 200000, "per_user_limit": 1,
        "sale_starts_at": iso(now - dt.timedelta(seconds=10))}, admin)["product"]["id"]

    pool = {
        "base": base,
        "users": [{"email": f"{POOL_PREFIX}-{i}@example.com", "password": POOL_PASSWORD}
                  for i in range(1, args.users + 1)],
        "products": products,
        "flash_product": flash,
        "coupons": coupons,
        "categories": categories,
        "settings": {
            "rate_limits": truthy(stack.get("RATE_LIMITS", "on")),
            "coupon_issue_mode": stack.get("COUPON_ISSUE_MODE", "sync"),
            "payment_failure_rate": float(stack.get("PAYMENT_FAILURE_RATE") or 0),
            "coupon_quantity_cap": cap,
        },
    }
    os.makedirs(os.path.dirname(os.path.abspath(args.out)), exist_ok=True)
    with open(args.out, "w") as f:
        json.dump(pool, f, indent=1)
    print(f"pool: {args.users} users, {len(products)} products + flash sale {flash}, "
          f"{len(coupons)} campaigns (cap {cap}), rate limits "
          f"{'on' if pool['settings']['rate_limits'] else 'off'}; {time.time() - t0:.1f} s -> {args.out}")


if __name__ == "__main__":
    if len(sys.argv) > 1 and sys.argv[1] == "prepare":
        prepare(sys.argv[2:])
    else:
        run_locust(sys.argv[1:])
