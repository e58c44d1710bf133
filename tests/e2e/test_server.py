"""The prefork FastCGI server: crashed workers are replaced and only their requests fail; SIGHUP
replaces workers without failing requests; a stale socket left by a killed master is handled."""
import os
import signal
import threading
import time

import requests

from conftest import children


class Load:
    """Client threads hammering a page until stopped; counts answers by outcome."""

    def __init__(self, stack, path, threads=6):
        self.stack, self.path, self.threads = stack, path, threads
        self.ok = self.failed = 0
        self.failures = []
        self.lock = threading.Lock()
        self.stop = threading.Event()

    def _run(self):
        s = requests.Session()
        while not self.stop.is_set():
            try:
                r = s.get(self.stack.url(self.path), timeout=10)
                good = r.status_code == 200
            except requests.RequestException as e:
                good, r = False, e
            with self.lock:
                if good:
                    self.ok += 1
                else:
                    self.failed += 1
                    self.failures.append(getattr(r, "status_code", repr(r)))

    def __enter__(self):
        self.ts = [threading.Thread(target=self._run, daemon=True) for _ in range(self.threads)]
        for t in self.ts:
            t.start()
        return self

    def __exit__(self, *exc):
        self.stop.set()
        for t in self.ts:
            t.join(15)


def wait_workers(stack, n, exclude=(), timeout=15):
    deadline = time.time() + timeout
    while time.time() < deadline:
        kids = children(stack.pid("web"))
        if len(kids) == n and not set(kids) & set(exclude):
            return kids
        time.sleep(0.05)
    raise AssertionError(f"workers not back: {children(stack.pid('web'))}")


def test_a_killed_worker_is_replaced_and_only_its_request_fails(stack):
    workers = children(stack.pid("web"))
    assert len(workers) == int(stack.env["WEB_WORKERS"])
    with Load(stack, "/products") as load:
        time.sleep(1.0)
        os.kill(workers[0], signal.SIGKILL)
        time.sleep(1.5)
    # One worker serves one connection at a time: at most its one in-flight request is lost.
    assert load.failed <= 1, load.failures
    assert load.ok > 50
    new = wait_workers(stack, len(workers))
    assert workers[0] not in new and set(workers[1:]) <= set(new)


def test_sighup_replaces_every_worker_without_failing_requests(stack):
    workers = children(stack.pid("web"))
    with Load(stack, "/products/1") as load:
        time.sleep(0.5)
        os.kill(stack.pid("web"), signal.SIGHUP)
        wait_workers(stack, len(workers), exclude=workers)
        time.sleep(0.5)
    assert load.failed == 0, load.failures
    assert load.ok > 20


def test_a_stale_socket_from_a_killed_master_is_replaced(stack):
    sock = os.path.join(stack.state_dir, "web.sock")
    master = stack.pid("web")
    workers = children(master)
    os.kill(master, signal.SIGKILL)
    deadline = time.time() + 10  # the workers follow their master (parent-death signal)
    while time.time() < deadline and any(os.path.exists(f"/proc/{w}") for w in workers):
        time.sleep(0.05)
    assert not any(os.path.exists(f"/proc/{w}") for w in workers)
    assert os.path.exists(sock), "SIGKILL leaves the socket file behind"
    out = stack.stack_cmd("start")
    assert out.returncode == 0, out.stdout + out.stderr
    assert "web: started" in out.stdout
    stack.wait_healthy()
    assert stack.get("/api/v1/products").status_code == 200


def test_sigterm_stops_the_server_and_removes_its_socket(stack):
    master = stack.pid("web")
    workers = children(master)
    os.kill(master, signal.SIGTERM)
    deadline = time.time() + 15
    while time.time() < deadline and os.path.exists(f"/proc/{master}"):
        time.sleep(0.05)
    assert not os.path.exists(f"/proc/{master}")
    assert not any(os.path.exists(f"/proc/{w}") for w in workers)
    assert not os.path.exists(os.path.join(stack.state_dir, "web.sock"))
    out = stack.stack_cmd("start")
    assert out.returncode == 0, out.stdout + out.stderr
    stack.wait_healthy()
