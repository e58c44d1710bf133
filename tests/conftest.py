"""Shared fixtures: the stack that scripts/test.sh started (STATE_DIR, HTTP_PORT), and direct
handles on its MySQL and Redis so that tests check real outcomes where they are stored."""
import email
import email.policy
import http.client
import html
import json
import os
import re
import uuid
import concurrent.futures as cf
import contextlib
import shlex
import signal
import socket
import struct
import subprocess
import threading
import time

import pymysql
import pytest
import redis
from redis.cluster import ClusterNode, RedisCluster
import requests

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def read_env(state_dir):
    env = {}
    with open(os.path.join(state_dir, "env")) as f:
        for line in f:
            if "=" in line:
                k, v = line.rstrip("\n").split("=", 1)
                env[k] = shlex.split(v)[0] if v else ""
    return env


class RawResponse:
    def __init__(self, status, text):
        self.status_code, self.text = status, text

    def json(self):
        return json.loads(self.text)


class Stack:
    """One running stack: its URL, settings, and connections to its stores."""

    def __init__(self, state_dir, port):
        self.state_dir = state_dir
        self.port = int(port)
        self.base = f"http://127.0.0.1:{self.port}"
        self.env = read_env(state_dir)
        self._db = None

    def url(self, path):
        return self.base + path

    def get(self, path, **kw):
        kw.setdefault("timeout", 10)
        return requests.get(self.url(path), **kw)

    def raw_get(self, path, timeout=10):
        """GET with the path sent byte for byte (requests and urllib3 re-quote a stray '%').
        Returns (status, parsed JSON body)."""
        conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=timeout)
        try:
            conn.request("GET", path)
            resp = conn.getresponse()
            return RawResponse(resp.status, resp.read().decode())
        finally:
            conn.close()

    def request(self, method, path, **kw):
        kw.setdefault("timeout", 10)
        return requests.request(method, self.url(path), **kw)

    def db(self):
        """A fresh autocommit connection (tests see committed truth, not a snapshot)."""
        return pymysql.connect(unix_socket=self.env["MYSQL_SOCKET"], user=self.env["MYSQL_USER"],
                               password=self.env["MYSQL_PASSWORD"],
                               database=self.env["MYSQL_DATABASE"], autocommit=True,
                               cursorclass=pymysql.cursors.DictCursor)

    def sql(self, query, *args):
        with self.db() as conn, conn.cursor() as cur:
            cur.execute(query, args)
            rows = cur.fetchall()
        if query.lstrip().split()[0].upper() in ("INSERT", "UPDATE", "DELETE") and "products" in query:
            self.catalog_changed()
        return rows

    def catalog_changed(self):
        """What every product writer does: workers drop their cached catalog rows."""
        self.redis().set("catalog:version", os.urandom(16).hex())

    def redis(self):
        url = self.env["REDIS_URL"]
        if url.startswith("redis-cluster://"):
            nodes = [ClusterNode(h, int(p)) for h, p in
                     (n.rsplit(":", 1) for n in url[len("redis-cluster://"):].split(","))]
            return RedisCluster(startup_nodes=nodes, decode_responses=True)
        assert url.startswith("unix://"), url
        return redis.Redis(unix_socket_path=url[len("unix://"):], decode_responses=True)

    def pid(self, name):
        with open(os.path.join(self.state_dir, "pids", name + ".pid")) as f:
            return int(f.read().strip())

    def stack_cmd(self, *args, env=None, timeout=180):
        e = dict(os.environ, STATE_DIR=self.state_dir, HTTP_PORT=str(self.port))
        e.update(env or {})
        return subprocess.run([os.path.join(ROOT, "scripts", "stack.sh"), *args], env=e,
                              capture_output=True, text=True, timeout=timeout)

    def restart_web(self, env):
        """The web server stopped and started again with these settings added."""
        pid = self.pid("web")
        os.kill(pid, signal.SIGTERM)
        while os.path.exists(f"/proc/{pid}"):
            time.sleep(0.05)
        out = self.stack_cmd("start", env=env)
        assert out.returncode == 0, out.stdout + out.stderr
        self.wait_healthy()

    def arm_devbroker(self, *faults):
        """Faults the devbroker arms on the next produce requests (app/tools/devbroker.c)."""
        path = os.path.join(self.state_dir, "devbroker.faults")
        with open(path + ".tmp", "w") as f:
            f.write("\n".join(faults) + "\n")
        os.rename(path + ".tmp", path)
        os.kill(self.pid("devbroker"), signal.SIGUSR1)
        wait_until("the devbroker to arm the faults", lambda: not os.path.exists(path), timeout=5)

    def cli(self, *args, check=True, env=None):
        """bin/firstcome against this stack (same STATE_DIR, so the same settings)."""
        e = dict(os.environ, STATE_DIR=self.state_dir)
        e.update(env or {})
        out = subprocess.run([os.path.join(ROOT, "bin", "firstcome"), *args], env=e,
                             capture_output=True, text=True, timeout=60)
        if check:
            assert out.returncode == 0, out.stdout + out.stderr
        return out

    def post(self, path, body=None, token=None, **kw):
        headers = kw.pop("headers", {})
        if token:
            headers["Authorization"] = "Bearer " + token
        return self.request("POST", path, json=body, headers=headers, **kw)

    def user(self, role="user", verified=True, password="correct horse battery"):
        """A user made with `firstcome user add`, logged in: {email, password, id, access, refresh}."""
        addr = unique_email(role)
        args = ["user", "add", "--email", addr, "--password", password, "--name", "Test " + role,
                "--role", role]
        self.cli(*(args + (["--verified"] if verified else [])))
        r = self.post("/api/v1/auth/login", {"email": addr, "password": password})
        assert r.status_code == 200, r.text
        uid = self.sql("SELECT id FROM users WHERE email = %s", addr)[0]["id"]
        return {"email": addr, "password": password, "id": uid, **{
            "access": r.json()["access_token"], "refresh": r.json()["refresh_token"]}}

    def mailbox(self):
        return Mailbox(self.state_dir)

    def wait_healthy(self, timeout=30):
        deadline = time.time() + timeout
        while time.time() < deadline:
            try:
                if self.get("/healthz", timeout=2).status_code == 200:
                    return
            except requests.RequestException:
                pass
            time.sleep(0.2)
        raise AssertionError("stack did not become healthy")


@pytest.fixture(scope="session")
def stack():
    state_dir = os.environ.get("STATE_DIR")
    port = os.environ.get("HTTP_PORT")
    assert state_dir and port, "run through `make test` (scripts/test.sh), which starts the stack"
    return Stack(state_dir, port)


class Mailbox:
    """The stack's Maildir: every message the mailer delivered, parsed as RFC 5322."""

    def __init__(self, state_dir):
        self.new = os.path.join(state_dir, "mail", "new")

    def messages(self):
        out = []
        if not os.path.isdir(self.new):
            return out
        for name in sorted(os.listdir(self.new)):
            with open(os.path.join(self.new, name), "rb") as f:
                out.append(email.message_from_bytes(f.read(), policy=email.policy.default))
        return out

    def wait_for(self, to, subject_part, timeout=15):
        """The newest message to `to` whose subject contains subject_part."""
        deadline = time.time() + timeout
        while time.time() < deadline:
            for m in reversed(self.messages()):
                if m["To"] == to and subject_part in m["Subject"]:
                    return m
            time.sleep(0.1)
        raise AssertionError(f"no mail to {to} about {subject_part!r}")

    def count(self, to):
        return sum(1 for m in self.messages() if m["To"] == to)


def link_token(message, path):
    """The token of the <BASE_URL><path>?token=... link in a mail's plain-text body."""
    body = message.get_content()
    m = re.search(r"\S*" + re.escape(path) + r"\?token=([A-Za-z0-9_-]+)", body)
    assert m, body
    return m.group(1), m.group(0)


def csrf_of(page_html):
    """The CSRF token of a page's form."""
    m = re.search(r'name="csrf" value="([^"]+)"', page_html)
    assert m, "the page has no csrf field"
    return html.unescape(m.group(1))


def page_session(stack, email, password):
    """A requests session signed in through the login form, as a browser is (cookies)."""
    s = requests.Session()
    token = csrf_of(s.get(stack.base + "/login").text)
    r = s.post(stack.base + "/login", data={"email": email, "password": password, "csrf": token},
               allow_redirects=False)
    assert r.status_code == 303, r.text
    return s


def unique_email(prefix="user"):
    return f"{prefix}-{uuid.uuid4().hex[:12]}@example.com"


def pool(stack, n, password="correct horse battery"):
    """n verified users (one hash for all, `firstcome user bulk`), logged in concurrently:
    [(user_id, access_token)]."""
    import concurrent.futures as cf
    prefix = "pool" + uuid.uuid4().hex[:8]
    stack.cli("user", "bulk", "--prefix", prefix, "--count", str(n), "--password", password, "--verified")

    def login(i):
        r = requests.post(stack.url("/api/v1/auth/login"), timeout=30,
                          json={"email": f"{prefix}-{i}@example.com", "password": password})
        assert r.status_code == 200, r.text
        return r.json()["access_token"]

    with cf.ThreadPoolExecutor(16) as ex:
        tokens = list(ex.map(login, range(1, n + 1)))
    ids = {r["email"]: r["id"] for r in stack.sql("SELECT id, email FROM users WHERE email LIKE %s", prefix + "-%")}
    return [(ids[f"{prefix}-{i}@example.com"], tokens[i - 1]) for i in range(1, n + 1)]


def iso(delta_seconds):
    """An ISO 8601 UTC time delta_seconds from now, as the API takes them."""
    import datetime as dt
    t = dt.datetime.now(dt.timezone.utc) + dt.timedelta(seconds=delta_seconds)
    return t.strftime("%Y-%m-%dT%H:%M:%SZ")


def auth(user_or_token):
    """The Authorization header for a token, or for a user from stack.user()."""
    token = user_or_token["access"] if isinstance(user_or_token, dict) else user_or_token
    return {"Authorization": "Bearer " + token}


def restart_app(stack, env=None):
    """The web server and the workers restarted (MySQL, Redis, Kafka keep running), with env."""
    import signal
    pids = [stack.pid("web"), stack.pid("workers")]
    for pid in pids:
        os.kill(pid, signal.SIGTERM)
    deadline = time.time() + 40
    while time.time() < deadline and any(os.path.exists(f"/proc/{p}") for p in pids):
        time.sleep(0.05)
    assert not any(os.path.exists(f"/proc/{p}") for p in pids), "web or workers did not stop"
    out = stack.stack_cmd("start", env=env)
    assert out.returncode == 0, out.stdout + out.stderr
    stack.wait_healthy()


@pytest.fixture(scope="module")
def admin(stack):
    """A signed-in admin, one per test module."""
    return stack.user("admin")


def wait_until(what, pred, timeout=60, every=0.25):
    """Polls pred() until it returns True; whatever else it returns is shown when time runs out."""
    deadline = time.time() + timeout
    last = None
    while time.time() < deadline:
        last = pred()
        if last is True:
            return
        time.sleep(every)
    raise AssertionError(f"timed out waiting for {what}: {last}")


def in_list(ids):
    """Integer ids for an SQL IN (...) list."""
    return ", ".join(str(int(i)) for i in ids)


def wait_pipeline(stack, order_ids, timeout=90):
    """Until the order worker applied every paid order and the shipment worker shipped it."""
    ids = in_list(order_ids)

    def done():
        r = stack.sql(f"SELECT SUM(status IN ('preparing','shipping','delivered') AND stock_applied = 1) AS ok,"
                      f" (SELECT COUNT(DISTINCT order_id) FROM shipments WHERE order_id IN ({ids})) AS shipped"
                      f" FROM orders WHERE id IN ({ids})")[0]
        return True if int(r["ok"] or 0) == len(order_ids) and int(r["shipped"]) == len(order_ids) else r
    wait_until("the order and shipment workers", done, timeout)


def redis_stock(stack, pid):
    """The product's live stock counter in Redis, or None when it is not loaded."""
    v = stack.redis().get(f"{{p:{pid}}}:stock")
    return None if v is None else int(v)


def product_row(stack, pid):
    return stack.sql("SELECT stock, sold, likes FROM products WHERE id = %s", pid)[0]


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def children(pid):
    out = subprocess.run(["pgrep", "-P", str(pid)], capture_output=True, text=True).stdout
    return sorted(int(p) for p in out.split())


def assert_error(resp, status, code=None):
    """The DESIGN.md error shape: {"error":{"code":"snake_case","message":"..."}}."""
    assert resp.status_code == status, (resp.status_code, resp.text[:300])
    body = resp.json()
    assert set(body) == {"error"}
    assert isinstance(body["error"]["message"], str) and body["error"]["message"]
    if code:
        assert body["error"]["code"] == code, body
    return body["error"]


# --- FastCGI spoken directly, as nginx speaks it: for a web server of the stack's that nginx does
# not route to (its own FastCGI port, its own settings).

FCGI_BEGIN_REQUEST, FCGI_END_REQUEST, FCGI_PARAMS, FCGI_STDIN, FCGI_STDOUT = 1, 3, 4, 5, 6


def fcgi_record(rtype, content=b"", request_id=1):
    return struct.pack(">BBHHBB", 1, rtype, request_id, len(content), 0, 0) + content


def fcgi_pairs(params):
    def length(n):
        return bytes([n]) if n < 128 else struct.pack(">I", n | 1 << 31)
    out = b""
    for k, v in params.items():
        k, v = k.encode(), v.encode()
        out += length(len(k)) + length(len(v)) + k + v
    return out


def fastcgi_request(method, path, body=b"", headers=None, remote="10.9.8.7"):
    """The bytes nginx sends for one request: begin, parameters, the body."""
    params = {"REQUEST_METHOD": method, "DOCUMENT_URI": path, "SCRIPT_NAME": path,
              "QUERY_STRING": "", "REMOTE_ADDR": remote,
              "CONTENT_LENGTH": str(len(body)) if body else ""}
    for k, v in (headers or {}).items():
        params[k] = v
    out = fcgi_record(FCGI_BEGIN_REQUEST, struct.pack(">HB5x", 1, 0))
    out += fcgi_record(FCGI_PARAMS, fcgi_pairs(params)) + fcgi_record(FCGI_PARAMS)
    for i in range(0, len(body), 65535):
        out += fcgi_record(FCGI_STDIN, body[i:i + 65535])
    return out + fcgi_record(FCGI_STDIN)


def read_all(sock, timeout):
    """Everything until the server closes (a close with our bytes unread resets: also the end)."""
    sock.settimeout(timeout)
    data = b""
    while True:
        try:
            chunk = sock.recv(65536)
        except ConnectionResetError:
            return data
        if not chunk:
            return data
        data += chunk


def fastcgi_answer(data):
    """(status, headers text, body bytes) from a FastCGI answer's STDOUT records."""
    out, i = b"", 0
    while i + 8 <= len(data):
        _, rtype, _, clen, plen, _ = struct.unpack(">BBHHBB", data[i:i + 8])
        if rtype == FCGI_STDOUT:
            out += data[i + 8:i + 8 + clen]
        i += 8 + clen + plen
    head, _, body = out.partition(b"\r\n\r\n")
    m = re.search(rb"^Status: (\d+)", head, re.M)
    return (int(m.group(1)) if m else 200), head.decode(), body


def fastcgi_call(port, method, path, json_body=None, token=None, source="127.0.0.1", timeout=30):
    """One request to a FastCGI server on 127.0.0.1:port: (status, decoded JSON or None)."""
    body = json.dumps(json_body).encode() if json_body is not None else b""
    headers = {"CONTENT_TYPE": "application/json"} if body else {}
    if token:
        headers["HTTP_AUTHORIZATION"] = "Bearer " + token
    with socket.create_connection(("127.0.0.1", port), timeout=timeout, source_address=(source, 0)) as s:
        s.sendall(fastcgi_request(method, path, body, headers))
        status, _, out = fastcgi_answer(read_all(s, timeout))
    try:
        return status, json.loads(out) if out else None
    except ValueError:
        return status, None


@contextlib.contextmanager
def extra_web(stack, name, allowed="127.0.0.1", **settings):
    """A further `firstcome web` of the stack, on its own TCP FastCGI port, with settings of its
    own (nginx does not route to it): yields (port, log file, its master's pid), stopped
    afterwards."""
    port = free_port()
    env = dict(os.environ, STATE_DIR=stack.state_dir, FCGI_LISTEN=f"127.0.0.1:{port}",
               FCGI_ALLOWED_CLIENTS=allowed, WEB_WORKERS="1", **settings)
    log = open(os.path.join(stack.state_dir, "logs", f"web-{name}.log"), "w+")
    proc = subprocess.Popen([os.path.join(ROOT, "bin", "firstcome"), "web"], env=env, stdout=log,
                            stderr=subprocess.STDOUT)
    source = allowed.split(",")[0]

    def answers():
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=1,
                                          source_address=(source, 0)) as s:
                s.sendall(fastcgi_request("GET", "/livez"))
                return b"ok" in read_all(s, 5)
        except OSError:
            return False
    try:
        wait_until(f"the web server {name}", answers, timeout=30)
        yield port, log, proc.pid
    finally:
        proc.terminate()
        proc.wait(20)
        log.close()


def rush(jobs, call, threads=48):
    """call(session, job) for every job, from many threads released at once by a barrier (each
    thread keeps one HTTP session). Returns [(job, status, error code or None, body, seconds)]
    in the order of jobs."""
    threads = max(1, min(threads, len(jobs)))
    local = threading.local()
    start = threading.Barrier(threads)

    def one(job):
        s = getattr(local, "s", None) or requests.Session()
        local.s = s
        t = time.monotonic()
        r = call(s, job)
        took = time.monotonic() - t
        try:
            body = r.json()
        except ValueError:
            body = {"raw": r.text[:300]}
        code = body.get("error", {}).get("code") if r.status_code >= 400 and isinstance(body, dict) else None
        return job, r.status_code, code, body, took

    def worker(idx):
        start.wait()
        return [(k, one(jobs[k])) for k in range(idx, len(jobs), threads)]

    with cf.ThreadPoolExecutor(threads) as ex:
        done = [x for part in ex.map(worker, range(threads)) for x in part]
    return [res for _, res in sorted(done, key=lambda x: x[0])]


# ---- waiting rooms ----

def campaign_starting_in(stack, admin, seconds):
    vendor = stack.sql("SELECT id FROM vendors ORDER BY id LIMIT 1")[0]["id"]
    r = stack.post("/api/v1/admin/coupons", {
        "vendor_id": vendor, "name": "Room " + uuid.uuid4().hex[:6], "type": "fixed", "value": 1000,
        "total_quantity": 50, "starts_at": iso(seconds), "ends_at": iso(seconds + 3600)}, token=admin["access"])
    assert r.status_code == 201, r.text
    return r.json()["coupon"]["id"]


def make_room(stack, admin, **settings):
    r = stack.post("/api/v1/admin/rooms", settings, token=admin["access"])
    assert r.status_code == 201, r.text
    return r.json()["room"]


def join(stack, token, room):
    r = requests.post(stack.url(f"/api/v1/rooms/{room}/join"), headers=auth(token), timeout=30)
    assert r.status_code == 200, r.text
    return r.json()["place"]


def place(stack, token, room):
    r = requests.get(stack.url(f"/api/v1/rooms/{room}/place"), headers=auth(token), timeout=30)
    assert r.status_code == 200, r.text
    return r.json()["place"]
