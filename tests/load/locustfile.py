"""firstcome under realistic load: shoppers who sign in with a pre-made account, browse, like,
claim coupons, fill a cart and check out; a fifth of the orders are abandoned at payment, a fifth
are paid with the declining card, the rest are paid.

Expected refusals count as successes: a campaign already claimed (409) or sold out (410), an
order refused as sold out or over the per-person limit (409), a declined card (402), and 429 only
when the target stack runs with RATE_LIMITS=on. Everything else (5xx, any other 4xx, timeouts,
connection errors) is a failure.

The pool (FIRSTCOME_POOL, default tests/load/pool.json) is written by
`tests/load/run_locust.py prepare` (scripts/load.sh does it):
  {"users":[{"email","password"}], "products":[ids], "flash_product":id, "coupons":[ids],
   "categories":[...], "settings":{"rate_limits","coupon_issue_mode","payment_failure_rate"}}

Run with Debian's Locust through the launcher (it fixes the missing version string):
  /usr/bin/python3 tests/load/run_locust.py -f tests/load/locustfile.py -H http://127.0.0.1:PORT
Environment: LOAD_WAIT="min,max" seconds between tasks (default 0.5,2), LOAD_MAX_FAIL_RATIO (0.01),
LOAD_OUTCOMES (a file for the counts of each outcome, written when the run ends).
"""
import collections
import itertools
import json
import logging
import os
import random
import time

import gevent
from locust import FastHttpUser, between, events, task
from locust.runners import MasterRunner, WorkerRunner

HERE = os.path.dirname(os.path.abspath(__file__))
POOL_PATH = os.environ.get("FIRSTCOME_POOL") or os.path.join(HERE, "pool.json")
MAX_FAIL_RATIO = float(os.environ.get("LOAD_MAX_FAIL_RATIO", "0.01"))
WAIT = [float(x) for x in os.environ.get("LOAD_WAIT", "0.5,2").split(",")]
GOOD_CARD, DECLINING_CARD = "4242424242424242", "4000000000000002"
TOKEN_MAX_AGE = 600  # access tokens last 15 minutes; sign in again well before

log = logging.getLogger("firstcome")
_pool = None
_next_account = itertools.count()
_account_users = collections.Counter()  # pool index -> Locust users of this process on it
outcomes = collections.Counter()  # "route outcome" -> count, merged from workers on the master


def pool():
    global _pool
    if _pool is None:
        with open(POOL_PATH) as f:
            _pool = json.load(f)
        if not _pool.get("users") or not _pool.get("products") or not _pool.get("coupons"):
            raise RuntimeError(f"{POOL_PATH}: the pool has no users, products or coupons")
    return _pool


def error_code(resp):
    try:
        return (json.loads(resp.text or "{}").get("error") or {}).get("code")
    except (ValueError, AttributeError):
        return None


def body(resp):
    try:
        return json.loads(resp.text or "{}")
    except ValueError:
        return {}


class Shopper(FastHttpUser):
    wait_time = between(WAIT[0], WAIT[-1])
    host = os.environ.get("LOAD_TARGET")  # -H wins
    network_timeout = 10.0  # a slower answer is a failure
    connection_timeout = 5.0

    # ---- helpers ----

    def check(self, resp, route, ok, expected=()):
        """Marks resp: a status in `ok` or a (status, code) in `expected` is a success, anything
        else a failure. Returns the outcome ("ok", the expected code) or None for a failure."""
        status, code = resp.status_code, error_code(resp)
        if status in ok:
            outcome = "ok"
        elif (status, code) in expected:
            outcome = code
        elif status == 429 and code == "rate_limited" and pool()["settings"].get("rate_limits"):
            outcome = "rate_limited"  # expected only when the stack limits rates
        else:
            reason = code or (resp.text or "")[:120].replace("\n", " ") or getattr(resp, "error", None)
            resp.failure(f"{status} {reason}")
            outcomes[f"{route} FAILED {status} {code or ''}".rstrip()] += 1
            return None
        resp.success()
        outcomes[f"{route} {outcome}"] += 1
        return outcome

    def call(self, method, path, route, ok=(200,), expected=(), json=None, auth=True):
        """One request named by its route; returns (outcome, response body)."""
        if auth and time.time() - self.signed_in_at > TOKEN_MAX_AGE:
            self.sign_in()
        headers = {"Authorization": "Bearer " + self.token} if auth else {}
        with self.client.request(method, path, name=route, headers=headers, json=json,
                                 catch_response=True) as resp:
            outcome = self.check(resp, f"{method} {route}", ok, expected)
            return outcome, (body(resp) if outcome == "ok" else {})

    def sign_in(self):
        for _ in range(30):
            with self.client.post("/api/v1/auth/login", name="/api/v1/auth/login", json=self.account,
                                  catch_response=True) as resp:
                outcome = self.check(resp, "POST /api/v1/auth/login", (200,))
                if outcome == "ok":
                    self.token = body(resp)["access_token"]
                    self.signed_in_at = time.time()
                    return
                retry_after = resp.headers.get("Retry-After") if outcome == "rate_limited" else None
            # As a person would: wait as long as the limit says (the login limit's window can be
            # minutes: LOGIN_LIMIT_PER_CLIENT per 15 min from one address), or a moment on an error.
            time.sleep(max(1.0, float(retry_after or 2)))
        raise RuntimeError(f"{self.account['email']} could not sign in")

    def product(self):
        return random.choice(pool()["products"])

    # ---- lifecycle ----

    def on_start(self):
        p = pool()
        users = p["users"]
        # Round-robin over the pool. Each worker of a distributed run starts in its own eighth of
        # the pool, so workers share no account until each has more users than that.
        start = getattr(self.environment.runner, "worker_index", 0) * max(1, len(users) // 8)
        self.index = (start + next(_next_account)) % len(users)
        _account_users[self.index] += 1
        self.account = users[self.index]
        self.token, self.signed_in_at = "", 0.0
        self.seen = list(p["products"])  # product ids met while browsing
        self.liked = set()
        self.coupons = []  # campaigns claimed (201) and not yet spent on an order
        self.cart_lines = 0
        self.sign_in()

    def on_stop(self):
        _account_users[self.index] -= 1

    def shared(self):
        """Another Locust user of this process uses this account (its cart and coupons)."""
        return _account_users[self.index] > 1

    # ---- browsing ----

    @task(10)
    def browse(self):
        p = pool()
        q = {"sort": random.choice(["newest", "newest", "popular", "price_asc", "price_desc"]),
             "page": random.choice([1, 1, 1, 2, 3]), "per_page": random.choice([10, 20, 20, 50])}
        r = random.random()
        if r < 0.25:
            q["category"] = random.choice(p["categories"])
        elif r < 0.4:
            q["q"] = random.choice(["Load", "flash", "product", "earbuds", "a"])
        elif r < 0.5:
            q["min_price"], q["max_price"] = 5000, random.choice([10000, 20000, 100000])
        if random.random() < 0.3:
            q["in_stock"] = "true"
        path = "/api/v1/products?" + "&".join(f"{k}={v}" for k, v in q.items())
        outcome, data = self.call("GET", path, "/api/v1/products", auth=False)
        if outcome == "ok":
            ids = [it["id"] for it in data.get("items", [])]
            self.seen = (self.seen + ids)[-200:]

    @task(8)
    def view_product(self):
        pid = random.choice(self.seen)
        self.call("GET", f"/api/v1/products/{pid}", "/api/v1/products/{id}", auth=False)

    @task(3)
    def like(self):
        # Mostly a new like; now and then one taken back.
        pid = random.choice(sorted(self.liked)) if self.liked and random.random() < 0.3 else random.choice(self.seen)
        if pid in self.liked:  # idempotent either way: 204
            if self.call("DELETE", f"/api/v1/products/{pid}/like", "/api/v1/products/{id}/like", (204,))[0]:
                self.liked.discard(pid)
        elif self.call("PUT", f"/api/v1/products/{pid}/like", "/api/v1/products/{id}/like", (204,))[0]:
            self.liked.add(pid)

    @task(1)
    def my_pages(self):
        self.call("GET", "/api/v1/me/likes", "/api/v1/me/likes")
        self.call("GET", "/api/v1/me/coupons", "/api/v1/me/coupons")
        self.call("GET", "/api/v1/orders", "/api/v1/orders")

    # ---- coupons ----

    @task(2)
    def coupons_page(self):
        self.call("GET", "/api/v1/coupons", "/api/v1/coupons", auth=False)
        cid = random.choice(pool()["coupons"])
        self.call("GET", f"/api/v1/coupons/{cid}", "/api/v1/coupons/{id}", auth=False)

    @task(3)
    def claim(self):
        cid = random.choice(pool()["coupons"])
        outcome, data = self.call("POST", f"/api/v1/coupons/{cid}/claim", "/api/v1/coupons/{id}/claim",
                                  (201, 202), {(409, "already_claimed"), (410, "sold_out")})
        if outcome == "ok" and "user_coupon" in data:  # sync mode: in MySQL now, usable at checkout
            self.coupons.append(cid)

    # ---- cart and checkout ----

    @task(4)
    def add_to_cart(self):
        pid = self.product()
        outcome, data = self.call("PUT", f"/api/v1/cart/items/{pid}", "/api/v1/cart/items/{id}",
                                  json={"quantity": random.randint(1, 3)})
        if outcome == "ok":
            self.cart_lines = len(data.get("items", []))
        if self.cart_lines > 2 and random.random() < 0.3:  # changed their mind about one
            if self.call("DELETE", f"/api/v1/cart/items/{pid}", "/api/v1/cart/items/{id}", (204,))[0]:
                self.cart_lines -= 1
        outcome, data = self.call("GET", "/api/v1/cart", "/api/v1/cart")
        if outcome == "ok":
            self.cart_lines = len(data.get("items", []))

    @task(3)
    def checkout(self):
        p = pool()
        order = {}
        if self.cart_lines and random.random() < 0.6:
            how = "cart"  # no items: the cart's
        elif random.random() < 0.4:
            how = "flash"
            order["items"] = [{"product_id": p["flash_product"], "quantity": 1}]
        else:
            how = "items"
            order["items"] = [{"product_id": self.product(), "quantity": random.randint(1, 2)}
                              for _ in range(random.randint(1, 2))]
        coupon = self.coupons.pop() if self.coupons and random.random() < 0.5 else None
        if coupon:
            order["coupon_id"] = coupon
        expected = {(409, "sold_out"), (409, "limit_exceeded")}
        if self.shared() or p["settings"].get("coupon_issue_mode") == "kafka":
            # Another Locust user on this account may have emptied the cart or spent the coupon.
            expected |= {(422, "empty_cart"), (409, "coupon_unavailable")}
        outcome, data = self.call("POST", "/api/v1/orders", "/api/v1/orders", (201,), expected, json=order)
        if how == "cart" and outcome in ("ok", "empty_cart"):
            self.cart_lines = 0
        if outcome != "ok":
            if coupon and outcome != "coupon_unavailable":
                self.coupons.append(coupon)  # not spent
            return
        oid = data["order"]["id"]
        r = random.random()
        if r < 0.2:  # abandons at payment: the reservation expires later (RESERVATION_TTL)
            outcomes["payment abandoned"] += 1
            return
        if r < 0.4:  # the declining card: 402 is the only right answer (a 200 is a failure)
            card, ok, expected = DECLINING_CARD, (), {(402, "payment_declined")}
        else:  # the approving card: 200, or 402 only when PAYMENT_FAILURE_RATE adds random declines
            card, ok = GOOD_CARD, (200,)
            expected = {(402, "payment_declined")} if p["settings"].get("payment_failure_rate") else set()
        outcome, _ = self.call("POST", f"/api/v1/orders/{oid}/payment", "/api/v1/orders/{id}/payment",
                               ok, expected, json={"card_number": card})
        if coupon and outcome == "payment_declined":
            self.coupons.append(coupon)  # a declined payment gives the coupon back
        if random.random() < 0.5:
            self.call("GET", f"/api/v1/orders/{oid}", "/api/v1/orders/{id}")


# ---- the outcome counts, across workers, and the exit code ----

@events.report_to_master.add_listener
def _report(client_id, data, **kw):
    data["firstcome_outcomes"] = dict(outcomes)
    outcomes.clear()


@events.worker_report.add_listener
def _merge(client_id, data, **kw):
    outcomes.update(data.get("firstcome_outcomes", {}))


@events.quitting.add_listener
def _quitting(environment, **kw):
    if isinstance(environment.runner, WorkerRunner):
        return
    if getattr(environment.parsed_options, "csv_prefix", None):
        # Locust 2.12 rewrites its CSV once a second and not at the end: give its writer one more
        # turn, now that the stats are final, so the kept CSV matches the printed summary.
        gevent.sleep(1.2)
    total = environment.stats.total
    lines = [f"  {k:<58} {v:>8}" for k, v in sorted(outcomes.items())]
    log.info("firstcome outcomes (expected refusals count as successes):\n%s", "\n".join(lines))
    path = os.environ.get("LOAD_OUTCOMES")
    if path:
        with open(path, "w") as f:
            json.dump(dict(sorted(outcomes.items())), f, indent=1)
    if total.num_requests == 0:
        log.error("no request was made")
        environment.process_exit_code = 1
    elif total.fail_ratio > MAX_FAIL_RATIO:
        log.error("failures %.2f%% exceed %.2f%%", 100 * total.fail_ratio, 100 * MAX_FAIL_RATIO)
        environment.process_exit_code = 1
    else:
        environment.process_exit_code = 0


@events.test_start.add_listener
def _check_pool(environment, **kw):
    if not isinstance(environment.runner, MasterRunner):
        pool()  # a missing or empty pool stops the run here, with its path in the message
