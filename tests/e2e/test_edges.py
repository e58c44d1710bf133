"""The process edges: who may talk FastCGI to the web server, how long a silent connection may
hold it, and that /livez keeps answering meanwhile."""
import os
import selectors
import signal
import socket
import stat
import struct
import subprocess
import threading
import time

import pytest
import requests

from conftest import (FCGI_BEGIN_REQUEST, extra_web, fastcgi_answer, fastcgi_request,
                      fcgi_record as record, read_all, wait_until)

BEGIN_REQUEST = FCGI_BEGIN_REQUEST


def fastcgi_get(path):
    return fastcgi_request("GET", path)


def livez_seconds(stack):
    t0 = time.monotonic()
    r = stack.get("/livez", timeout=10)
    assert r.status_code == 200
    return time.monotonic() - t0


def test_fastcgi_unix_socket_is_not_open_to_other_users(stack):
    mode = stat.S_IMODE(os.stat(os.path.join(stack.state_dir, "web.sock")).st_mode)
    assert mode & 0o007 == 0, oct(mode)
    assert os.stat(os.path.join(stack.state_dir, "web.sock")).st_uid == os.getuid()


def test_silent_fastcgi_connections_are_dropped_while_livez_keeps_answering(stack):
    workers = int(stack.env.get("WEB_WORKERS", "4"))
    timeout = int(stack.env.get("FCGI_READ_TIMEOUT", "5"))
    idle = []
    for i in range(workers + 6):
        s = socket.socket(socket.AF_UNIX)
        s.connect(os.path.join(stack.state_dir, "web.sock"))
        if i % 3 == 2:  # a partial record: a header cut short
            s.sendall(record(BEGIN_REQUEST, struct.pack(">HB5x", 1, 0))[:5])
        idle.append(s)
    try:
        t0 = time.monotonic()
        slowest = 0.0
        while time.monotonic() - t0 < 2:
            slowest = max(slowest, livez_seconds(stack))
        assert slowest < 1.0, f"/livez took {slowest:.2f}s beside {len(idle)} silent connections"
        for s in idle:
            assert read_all(s, timeout + 5) == b"", "a silent connection got an answer"
        assert time.monotonic() - t0 < timeout + 5
    finally:
        for s in idle:
            s.close()
    assert stack.get("/livez").status_code == 200


@pytest.fixture
def tcp_web(stack):
    """A second web server of the same stack on a TCP FastCGI port that allows 127.0.0.2 only."""
    with extra_web(stack, "tcp", allowed="127.0.0.2") as (port, log, _):
        yield port, log


def test_a_request_that_comes_after_its_connection_is_served_before_the_queue_behind_it(stack):
    """nginx connects first and writes the request after. A worker that took the connection in
    between serves the request when it comes, not after every connection that queued behind it
    (a worker takes queued connections one after another while there are any)."""
    n = 600
    with extra_web(stack, "late") as (port, _, master):
        worker = int(subprocess.run(["pgrep", "-P", str(master)], capture_output=True,
                                    text=True).stdout.split()[0])
        late = socket.create_connection(("127.0.0.1", port), timeout=30)
        time.sleep(0.3)  # taken by the idle worker; its request is not there yet
        os.kill(worker, signal.SIGSTOP)
        queued = []
        try:
            for _ in range(n):  # product lists: they run to their end without yielding
                s = socket.create_connection(("127.0.0.1", port), timeout=30)
                s.sendall(fastcgi_get("/api/v1/products"))
                queued.append(s)
        finally:
            os.kill(worker, signal.SIGCONT)
        time.sleep(0.005)  # the worker is busy with the queue when the late request comes
        late.sendall(fastcgi_get("/livez"))
        answer = read_all(late, 30)
        sel = selectors.DefaultSelector()
        for s in queued:
            sel.register(s, selectors.EVENT_READ)
        answered = len(sel.select(0))
        rest = [fastcgi_answer(read_all(s, 30))[0] for s in queued]
        for s in queued + [late]:
            s.close()
    assert b"ok" in answer and rest == [200] * n
    assert answered < n * 3 // 4, \
        f"the late request was answered after {answered} of the {n} queued behind it"


def test_fastcgi_peer_not_on_the_allow_list_is_refused_without_an_answer(tcp_web):
    port, log = tcp_web
    with socket.create_connection(("127.0.0.1", port), timeout=5,
                                  source_address=("127.0.0.1", 0)) as s:
        try:
            s.sendall(fastcgi_get("/livez"))
        except OSError:
            pass  # closed already
        got = read_all(s, 5)
    assert got == b""
    wait_until("the refusal in the log",
               lambda: "refused a FastCGI connection from 127.0.0.1" in open(log.name).read(), 10)
    with socket.create_connection(("127.0.0.1", port), timeout=5,
                                  source_address=("127.0.0.2", 0)) as s:
        s.sendall(fastcgi_get("/livez"))
        assert b"Status: 200" in read_all(s, 5)


def test_healthz_flood_while_kafka_is_frozen_does_not_hold_livez(stack):
    pid = stack.pid("devbroker")
    os.kill(pid, signal.SIGSTOP)
    try:
        # Each worker's producer notices on its own: wait until a run of answers all say so.
        wait_until("/healthz to name kafka down on every worker",
                   lambda: all(stack.get("/healthz").json().get("kafka") == "down" for _ in range(16)), 15)
        stop = threading.Event()
        answers = []

        def flood():
            with requests.Session() as s:
                while not stop.is_set():
                    answers.append(s.get(stack.url("/healthz"), timeout=30).status_code)
        threads = [threading.Thread(target=flood) for _ in range(32)]
        for t in threads:
            t.start()
        try:
            time.sleep(0.5)
            slowest = max(livez_seconds(stack) for _ in range(10))
        finally:
            stop.set()
            for t in threads:
                t.join()
        assert slowest < 1.0, f"/livez took {slowest:.2f}s beside a /healthz flood"
        assert len(answers) > 100 and set(answers) == {503}, (len(answers), set(answers))
        body = stack.get("/healthz").json()
        assert body == {"status": "degraded", "mysql": "ok", "redis": "ok", "kafka": "down"}
    finally:
        os.kill(pid, signal.SIGCONT)
    stack.wait_healthy()


def vm_kib(pid, field):
    with open(f"/proc/{pid}/status") as f:
        for line in f:
            if line.startswith(field + ":"):
                return int(line.split()[1])


def test_32_json_bodies_of_1_mib_at_once_keep_each_worker_within_24_mib(stack):
    workers = [int(p) for p in subprocess.run(["pgrep", "-P", str(stack.pid("web"))],
                                              capture_output=True, text=True).stdout.split()]
    for pid in workers:  # the peak so far is forgotten: only this test's counts
        with open(f"/proc/{pid}/clear_refs", "w") as f:
            f.write("5")
    rss = {pid: vm_kib(pid, "VmRSS") for pid in workers}
    body = ('{"email":"x@example.com","password":"p","pad":[' + "{}," * 349000 + '{}]}').encode()
    assert 1000000 < len(body) <= 1048576
    answers = []

    def post():
        r = requests.post(stack.url("/api/v1/auth/login"), data=body, timeout=120,
                          headers={"Content-Type": "application/json"})
        answers.append((r.status_code, r.json()["error"]["code"]))
    threads = [threading.Thread(target=post) for _ in range(32)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert set(answers) == {(413, "json_too_large")}
    growth = {pid: (vm_kib(pid, "VmHWM") - rss[pid]) // 1024 for pid in workers}
    assert max(growth.values()) < 24, f"peak growth per worker in MiB: {growth}"
