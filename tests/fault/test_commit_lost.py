"""A write's answer lost on the way back: a web server whose MySQL connection runs through a
socket relay that drops the connection at one chosen statement, either after MySQL answered it
(the write is stored, the answer never arrives) or before MySQL saw it (nothing is stored).

The buyer's answer must be the truth in both: a checkout whose COMMIT answer was lost looks its
order up and answers 201 when it is stored, a clean 503 `unavailable` when it is not, and the
Redis gate then holds exactly the stored orders' units. A write outside a transaction (the cart)
cannot be looked up that way: it answers 503 `outcome_unknown`, never a "no" for a stored row."""
import os
import socket
import tempfile
import threading
import uuid

import pytest

from conftest import extra_web, fastcgi_call, iso, redis_stock, wait_until

COM_STMT_PREPARE, COM_STMT_EXECUTE = 0x16, 0x17


class Relay(threading.Thread):
    """A unix socket in front of MariaDB's that passes the protocol through, packet by packet.
    arm(sql_prefix, mode) makes the next execution of a statement prepared from SQL starting with
    sql_prefix drop its connection: "after" passes it to MySQL and drops the answer, "before"
    drops it unsent. Only the commands' framing is read (a 4-byte header: length, sequence)."""

    def __init__(self, target):
        super().__init__(daemon=True)
        self.target = target
        self.path = os.path.join(tempfile.mkdtemp(prefix="fc-relay-"), "mysql.sock")
        self.listener = socket.socket(socket.AF_UNIX)
        self.listener.bind(self.path)
        self.listener.listen(64)
        self.lock = threading.Lock()
        self.armed = None
        self.fired = threading.Event()

    def arm(self, sql_prefix, mode):
        with self.lock:
            self.armed = (sql_prefix.upper(), mode)
            self.fired.clear()

    def run(self):
        while True:
            try:
                client, _ = self.listener.accept()
            except OSError:
                return
            server = socket.socket(socket.AF_UNIX)
            server.connect(self.target)
            conn = {"stmts": {}, "preparing": None, "drop_answer": False}
            threading.Thread(target=self.upstream, args=(client, server, conn), daemon=True).start()
            threading.Thread(target=self.downstream, args=(server, client, conn), daemon=True).start()

    @staticmethod
    def packets(sock):
        buf = b""
        while True:
            try:
                chunk = sock.recv(65536)
            except OSError:
                return
            if not chunk:
                return
            buf += chunk
            while len(buf) >= 4:
                n = int.from_bytes(buf[:3], "little")
                if len(buf) < 4 + n:
                    break
                yield buf[3], buf[:4 + n]
                buf = buf[4 + n:]

    @staticmethod
    def cut(*socks):
        for s in socks:
            try:
                s.shutdown(socket.SHUT_RDWR)
            except OSError:
                pass
            s.close()

    def upstream(self, client, server, conn):
        for seq, packet in self.packets(client):
            payload = packet[4:]
            if seq == 0 and payload[:1] == bytes([COM_STMT_PREPARE]):
                conn["preparing"] = payload[1:].decode(errors="replace").strip()
            elif seq == 0 and payload[:1] == bytes([COM_STMT_EXECUTE]):
                sql = conn["stmts"].get(int.from_bytes(payload[1:5], "little"), "")
                with self.lock:
                    hit = self.armed and sql.upper().startswith(self.armed[0])
                    mode = self.armed[1] if hit else None
                    if hit:
                        self.armed = None
                if mode == "before":
                    self.fired.set()
                    self.cut(client, server)
                    return
                if mode == "after":
                    conn["drop_answer"] = True
            try:
                server.sendall(packet)
            except OSError:
                break
        self.cut(client, server)

    def downstream(self, server, client, conn):
        for seq, packet in self.packets(server):
            if conn["drop_answer"]:
                self.fired.set()
                self.cut(client, server)
                return
            if conn["preparing"] is not None and seq == 1 and packet[4] == 0:
                conn["stmts"][int.from_bytes(packet[5:9], "little")] = conn["preparing"]
                conn["preparing"] = None
            try:
                client.sendall(packet)
            except OSError:
                break
        self.cut(client, server)

    def close(self):
        self.listener.close()


@pytest.fixture(scope="module")
def relayed(stack):
    relay = Relay(os.path.join(stack.state_dir, "mysql.sock"))
    relay.start()
    with extra_web(stack, "relayed", MYSQL_SOCKET=relay.path) as (port, log, _):
        yield relay, port, log
    relay.close()


def flash_product(stack, admin, stock):
    r = stack.post("/api/v1/admin/products", {"name": "relay " + uuid.uuid4().hex[:8], "description": "x",
                                              "category": "relay", "price": 1000, "stock": stock},
                   token=admin["access"])
    assert r.status_code == 201, r.text
    return r.json()["product"]["id"]


def orders_of(stack, uid, pid):
    return stack.sql("SELECT o.id, o.status, i.quantity FROM orders o JOIN order_items i ON i.order_id = o.id"
                     " WHERE o.user_id = %s AND i.product_id = %s", uid, pid)


def held(stack, pid):
    """The units Redis holds for orders of the product (its reservation records)."""
    return sum(int(v) for v in stack.redis().hvals(f"{{p:{pid}}}:held"))


@pytest.mark.parametrize("mode", ["after", "before"])
def test_checkout_whose_commit_answer_is_lost_answers_what_mysql_stored(stack, admin, relayed, mode):
    relay, port, log = relayed
    pid = flash_product(stack, admin, 5)
    buyer = stack.user()
    # The counter is built by a first checkout through the relay, unarmed.
    status, body = fastcgi_call(port, "POST", "/api/v1/orders", {"items": [{"product_id": pid, "quantity": 1}]},
                                token=buyer["access"])
    assert status == 201, body
    assert redis_stock(stack, pid) == 4

    relay.arm("COMMIT", mode)
    status, body = fastcgi_call(port, "POST", "/api/v1/orders", {"items": [{"product_id": pid, "quantity": 2}]},
                                token=buyer["access"])
    assert relay.fired.is_set(), "the relay never saw the checkout's COMMIT"
    stored = [o for o in orders_of(stack, buyer["id"], pid) if o["quantity"] == 2]
    if mode == "after":
        assert status == 201, body  # stored, so told yes
        assert [o["id"] for o in stored] == [body["order"]["id"]]
        assert stored[0]["status"] == "pending_payment"
        assert redis_stock(stack, pid) == 2 and held(stack, pid) == 3
    else:
        assert (status, body["error"]["code"]) == (503, "unavailable"), body  # not stored: a clean no
        assert stored == []
        assert redis_stock(stack, pid) == 4 and held(stack, pid) == 1
    # Redis holds no more and no less than MySQL's orders of the product.
    units = sum(o["quantity"] for o in orders_of(stack, buyer["id"], pid))
    assert redis_stock(stack, pid) + units == 5
    wait_until("the lost answer in the web log",
               lambda: "COMMIT lost its answer" in open(log.name).read() or mode == "before", 10)


def relay_campaign(stack, admin, quantity):
    vendor = stack.sql("SELECT id FROM vendors ORDER BY id LIMIT 1")[0]["id"]
    r = stack.post("/api/v1/admin/coupons", {"vendor_id": vendor, "name": "relay " + uuid.uuid4().hex[:8],
                                             "type": "fixed", "value": 500, "total_quantity": quantity,
                                             "starts_at": iso(-5), "ends_at": iso(3600)}, token=admin["access"])
    assert r.status_code == 201, r.text
    return r.json()["coupon"]["id"]


@pytest.mark.parametrize("mode", ["after", "before"])
def test_claims_written_together_whose_commit_answer_is_lost_each_answer_what_mysql_stored(
        stack, admin, relayed, mode):
    """Sync mode: the winners a worker holds at once are written in one transaction, and that
    COMMIT's answer is lost. Every claimant's answer is what MySQL stored for them: 201 with a
    coupon row and a place in the gate, or 503 with neither; the counts agree afterwards."""
    relay, port, _ = relayed
    cid = relay_campaign(stack, admin, 20)
    claimants = [stack.user() for _ in range(8)]
    relay.arm("COMMIT", mode)
    start = threading.Barrier(len(claimants))
    answers = {}

    def claim(u):
        start.wait()
        answers[u["id"]] = fastcgi_call(port, "POST", f"/api/v1/coupons/{cid}/claim", token=u["access"])

    threads = [threading.Thread(target=claim, args=(u,)) for u in claimants]
    for t in threads:
        t.start()
    for t in threads:
        t.join(60)
    assert relay.fired.is_set(), "the relay never saw a claim's COMMIT"
    assert len(answers) == len(claimants)
    r = stack.redis()
    for u in claimants:
        status, body = answers[u["id"]]
        rows = stack.sql("SELECT id FROM user_coupons WHERE coupon_id = %s AND user_id = %s", cid, u["id"])
        in_gate = r.sismember(f"{{c:{cid}}}:claimed", u["id"])
        if status == 201:
            assert len(rows) == 1 and in_gate and body["user_coupon"]["id"] == rows[0]["id"], body
        else:
            assert (status, body["error"]["code"]) == (503, "unavailable"), body
            assert list(rows) == [] and not in_gate
    refused = [u for u in claimants if answers[u["id"]][0] != 201]
    assert (refused == []) if mode == "after" else refused, answers  # "before" lost at least one
    issued = stack.sql("SELECT issued FROM coupons WHERE id = %s", cid)[0]["issued"]
    assert issued == len(claimants) - len(refused) == r.scard(f"{{c:{cid}}}:claimed")


@pytest.mark.parametrize("mode", ["after", "before"])
def test_claim_whose_commit_answer_is_lost_keeps_its_place_exactly_when_the_coupon_is_stored(
        stack, admin, relayed, mode):
    """Sync mode: the coupon's COMMIT answer is lost; the claim looks the coupon up."""
    relay, port, _ = relayed
    cid = relay_campaign(stack, admin, 3)
    claimant = stack.user()
    relay.arm("COMMIT", mode)
    status, body = fastcgi_call(port, "POST", f"/api/v1/coupons/{cid}/claim", token=claimant["access"])
    assert relay.fired.is_set(), "the relay never saw the claim's COMMIT"
    coupons = stack.sql("SELECT id FROM user_coupons WHERE coupon_id = %s AND user_id = %s", cid, claimant["id"])
    in_gate = stack.redis().sismember(f"{{c:{cid}}}:claimed", claimant["id"])
    if mode == "after":
        assert status == 201, body  # stored, so told yes
        assert len(coupons) == 1 and in_gate
    else:
        assert (status, body["error"]["code"]) == (503, "unavailable"), body
        assert list(coupons) == [] and not in_gate  # not stored: the place is free again
    issued = stack.sql("SELECT issued FROM coupons WHERE id = %s", cid)[0]["issued"]
    assert issued == len(coupons) == stack.redis().scard(f"{{c:{cid}}}:claimed")


@pytest.mark.parametrize("mode", ["after", "before"])
def test_cart_write_whose_answer_is_lost_says_the_outcome_is_unknown(stack, admin, relayed, mode):
    relay, port, _ = relayed
    pid = flash_product(stack, admin, 5)
    shopper = stack.user()
    relay.arm("INSERT INTO cart_items", mode)
    status, body = fastcgi_call(port, "PUT", f"/api/v1/cart/items/{pid}", {"quantity": 3},
                                token=shopper["access"])
    assert relay.fired.is_set(), "the relay never saw the cart's INSERT"
    rows = stack.sql("SELECT quantity FROM cart_items WHERE user_id = %s AND product_id = %s", shopper["id"], pid)
    assert list(rows) == ([{"quantity": 3}] if mode == "after" else [])
    # Whether or not MySQL stored it, the answer never says "not done".
    assert (status, body["error"]["code"]) == (503, "outcome_unknown"), body
    # The same write again (the person looked, or retried) is harmless and answers yes.
    status, body = fastcgi_call(port, "PUT", f"/api/v1/cart/items/{pid}", {"quantity": 3},
                                token=shopper["access"])
    assert status == 200, body
    assert stack.sql("SELECT quantity FROM cart_items WHERE user_id = %s AND product_id = %s",
                     shopper["id"], pid) == [{"quantity": 3}]


def test_relay_passes_everything_through_when_unarmed(stack, relayed):
    _, port, _ = relayed
    status, body = fastcgi_call(port, "GET", "/healthz")
    assert status == 200 and body["mysql"] == "ok", body
    assert not [1 for _ in range(3) if fastcgi_call(port, "GET", "/api/v1/products")[0] != 200]


