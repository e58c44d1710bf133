"""MySQL connections dropped (KILL CONNECTION) under the web workers while writes are in flight:
a write whose connection was lost after it was sent is never sent again, so every answer that
said yes matches exactly one stored effect and nothing is applied twice.

Each add and each create is its own row (a shopper adds each product once; every product has
its own name), so a row holding two is a write applied twice. A 503 `unavailable` is a "not
done" for a write the connection was lost before, and nothing of it may be stored; one lost
after it was sent answers 503 `outcome_unknown`: the server may have applied it (it commits a
statement whose client went away), so such a row may hold one; the drill counts them."""
import concurrent.futures as cf
import html
import re
import threading
import time
import uuid
from collections import Counter

import pymysql
import requests

from conftest import unique_email, in_list, wait_until

PW = "correct horse battery"
UNKNOWN = "may or may not have been saved"


def page_session(stack):
    addr = unique_email("dbfault")
    stack.cli("user", "add", "--email", addr, "--password", PW, "--verified")
    s = requests.Session()
    token = re.search(r'name="csrf" value="([^"]+)"', s.get(stack.base + "/login").text).group(1)
    r = s.post(stack.base + "/login", data={"email": addr, "password": PW, "csrf": html.unescape(token)},
               allow_redirects=False)
    assert r.status_code == 303
    uid = stack.sql("SELECT id FROM users WHERE email = %s", addr)[0]["id"]
    return s, html.unescape(token), uid


class Killer(threading.Thread):
    """KILL CONNECTION, from the test's own connection, of every other connection of the app's
    MySQL user: the busy ones every round, the idle ones every third round."""

    def __init__(self, stack, every=0.01):
        super().__init__(daemon=True)
        self.stack, self.every, self.stop, self.killed = stack, every, threading.Event(), 0

    def run(self):
        db = self.stack.db()
        me = db.thread_id()
        rounds = 0
        with db.cursor() as c:
            while not self.stop.is_set():
                rounds += 1
                c.execute("SELECT id, command FROM information_schema.PROCESSLIST WHERE user = %s AND id <> %s",
                          (self.stack.env["MYSQL_USER"], me))
                for row in c.fetchall():
                    if row["command"] != "Sleep" or rounds % 3 == 0:
                        try:
                            c.execute(f"KILL CONNECTION {int(row['id'])}")
                            self.killed += 1
                        except pymysql.err.MySQLError:
                            pass  # gone already
                time.sleep(self.every)
        db.close()


def test_dropped_connections_never_apply_a_write_twice_nor_answer_yes_for_nothing(stack, admin):
    tag = "dbfault-" + uuid.uuid4().hex[:8]
    products = []
    for i in range(60):
        r = stack.post("/api/v1/admin/products", {"name": f"{tag} cart {i}", "description": "x",
                                                  "category": tag + "-cart", "price": 100, "stock": 5},
                       token=admin["access"])
        assert r.status_code == 201, r.text
        products.append(r.json()["product"]["id"])
    shoppers = [page_session(stack) for _ in range(8)]
    creates = 250

    def add_each(shopper):
        s, token, uid = shopper
        answers = {}
        for pid in products:
            try:
                r = s.post(f"{stack.base}/cart/items/{pid}", data={"csrf": token, "quantity": "1"},
                           allow_redirects=False, timeout=30)
                answers[pid] = r.status_code
                if r.status_code == 503 and UNKNOWN in html.unescape(r.text):
                    answers[pid] = "unknown"
            except requests.RequestException:
                answers[pid] = None
        return uid, answers

    def create(i):
        name = f"{tag}-{i}"
        try:
            r = requests.post(stack.url("/api/v1/admin/products"), timeout=30,
                              headers={"Authorization": "Bearer " + admin["access"]},
                              json={"name": name, "description": "x", "category": tag, "price": 100, "stock": 1})
            if r.status_code == 503 and r.json()["error"]["code"] == "outcome_unknown":
                return name, "unknown", r.text[:200]
            return name, r.status_code, r.text[:200]
        except requests.RequestException as e:
            return name, None, str(e)

    killer = Killer(stack)
    killer.start()
    try:
        with cf.ThreadPoolExecutor(len(shoppers) + 4) as ex:
            adds = ex.map(add_each, shoppers)
            made = list(ex.map(create, range(creates)))
            adds = list(adds)
    finally:
        killer.stop.set()
        killer.join()
    assert killer.killed > 30, "the drill dropped too few connections to mean anything"

    add_answers, unknown_adds = Counter(), 0
    for uid, answers in adds:
        held = {r["product_id"]: r["quantity"] for r in stack.sql(
            f"SELECT product_id, quantity FROM cart_items WHERE user_id = %s AND product_id IN ({in_list(products)})", uid)}
        twice = {p: q for p, q in held.items() if q > 1}
        assert not twice, ("an add applied twice", uid, twice)
        for pid, st in answers.items():
            add_answers[st] += 1
            assert st in (303, 503, "unknown"), (pid, st)  # yes, no, or "not known"; never a 500
            if st == 303:
                assert held.get(pid) == 1, ("told yes, nothing stored", uid, pid)
            elif held.get(pid):
                assert st == "unknown", ("told no, and stored", uid, pid)
                unknown_adds += 1  # lost after it was sent: applied by the server
    assert add_answers[303] > 0

    statuses = Counter(st for _, st, _ in made)
    assert set(statuses) <= {201, 503, "unknown"}, [m for m in made if m[1] not in (201, 503, "unknown")][:3]
    rows = Counter(r["name"] for r in stack.sql("SELECT name FROM products WHERE category = %s", tag))
    assert not [n for n, k in rows.items() if k > 1], "a product created twice"
    told_yes = {n for n, st, _ in made if st == 201}
    assert told_yes <= set(rows), "a 201 with no product stored"
    told_no = {n for n, st, _ in made if st == 503}
    assert not told_no & set(rows), "a 503 unavailable with the product stored"
    print(f"\nkilled {killer.killed} connections; adds {dict(add_answers)}, {unknown_adds} of the 503s"
          f" applied; creates {dict(statuses)}, {len(set(rows) - told_yes)} of the 503s applied")
    stack.wait_healthy()


def test_health_recovers_after_a_mariadb_restart_without_other_traffic(stack):
    """Each web worker's connection dies with the server; /healthz alone (no other request
    runs a statement that would reconnect) must find MySQL back, on every worker."""
    from test_pipeline_faults import restart_mariadb
    stack.wait_healthy()
    for _ in range(20):  # every worker has a connection to lose
        stack.get("/healthz")
    restart_mariadb(stack, down=0.5)  # waits for /healthz once, as scripts/stack.sh start does

    def all_ok():
        got = Counter(stack.get("/healthz").json()["mysql"] for _ in range(24))
        return True if set(got) == {"ok"} else dict(got)
    wait_until("/healthz to see MySQL on every worker", all_ok, 15)
