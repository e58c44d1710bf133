"""/livez, /healthz and /metrics: what operators and benchmarks rely on."""
import http.client
import json
import os
import re
import signal
import time
from urllib.parse import urlsplit

from conftest import children, wait_until


def test_livez_answers_ok_without_touching_stores(stack):
    r = stack.get("/livez")
    assert r.status_code == 200
    assert r.text == "ok\n"


def test_healthz_reports_every_store_ok(stack):
    r = stack.get("/healthz")
    assert r.status_code == 200
    assert r.json() == {"status": "ok", "mysql": "ok", "redis": "ok", "kafka": "ok"}


def test_metrics_count_requests_by_route_and_status(stack):
    def count(text):
        m = re.search(r'^firstcome_http_requests_total\{route="GET /api/v1/products/\{id\}",status="404"\} (\d+)$',
                      text, re.M)
        return int(m.group(1)) if m else 0

    before = count(stack.get("/metrics").text)
    for _ in range(3):
        stack.get("/api/v1/products/999999")
    stack.get("/livez")
    text = stack.get("/metrics").text
    assert count(text) == before + 3
    assert re.search(r'^firstcome_http_request_duration_seconds_bucket\{route="GET /livez",le="\+Inf"\} [1-9]\d*$',
                     text, re.M)
    assert re.search(r"^firstcome_worker_restarts_total \d+$", text, re.M)


def get_from(stack, source, path):
    """GET path through nginx from another loopback address (the kernel routes all of
    127.0.0.0/8 to lo, so 127.0.0.2 is a stranger nginx has not been told about)."""
    u = urlsplit(stack.url("/"))
    c = http.client.HTTPConnection(u.hostname, u.port, timeout=10, source_address=(source, 0))
    try:
        c.request("GET", path)
        r = c.getresponse()
        return r.status, r.getheader("Content-Type"), r.read().decode()
    finally:
        c.close()


def test_only_the_allowed_addresses_read_metrics_and_healthz(stack):
    """/metrics reads MySQL on every scrape and /healthz asks every store: a stranger gets 403
    in the API's shape from nginx (the message names OPS_ALLOW, which no web worker says);
    /livez stays open, and loopback reads both."""
    for path in ("/metrics", "/healthz"):
        status, ctype, body = get_from(stack, "127.0.0.2", path)
        assert status == 403, (path, status, body)
        assert ctype == "application/json"
        error = json.loads(body)["error"]
        assert error["code"] == "forbidden" and "OPS_ALLOW" in error["message"]
    assert get_from(stack, "127.0.0.2", "/livez")[0] == 200
    assert get_from(stack, "127.0.0.1", "/healthz")[0] == 200
    status, _, text = get_from(stack, "127.0.0.1", "/metrics")
    assert status == 200 and "firstcome_http_requests_total" in text


def test_healthz_names_redis_when_it_is_down_and_restart_brings_it_back(stack):
    r = stack.redis()
    r.set("healthz-probe", "kept")
    r.shutdown()  # AOF is on: the data must survive the restart
    try:
        # Each worker checks its stores at most once a second: until every worker has looked
        # again, one may still answer from before the shutdown. The same answer is judged.
        seen = []
        wait_until("/healthz to name redis down",
                   lambda: seen.append(stack.get("/healthz")) or seen[-1].status_code == 503, 10)
        assert seen[-1].json() == {"status": "degraded", "mysql": "ok", "redis": "down", "kafka": "ok"}
    finally:
        out = stack.stack_cmd("start")  # later tests need Redis whatever happened above
    assert out.returncode == 0, out.stdout + out.stderr
    assert "redis: started" in out.stdout
    assert "mysql: running" in out.stdout and "web: running" in out.stdout
    stack.wait_healthy()
    assert stack.redis().get("healthz-probe") == "kept"


def test_healthz_names_kafka_when_the_broker_is_frozen(stack):
    pid = stack.pid("devbroker")
    os.kill(pid, signal.SIGSTOP)
    try:
        # The producer's watcher asks the broker every second and gives up after one; the
        # answer that says 503 is the one judged (another worker may not have looked yet).
        seen = []
        wait_until("/healthz to name kafka down",
                   lambda: seen.append(stack.get("/healthz")) or seen[-1].status_code == 503, 10)
        assert seen[-1].json()["kafka"] == "down"
    finally:
        os.kill(pid, signal.SIGCONT)
    stack.wait_healthy()


def restarts(stack):
    return int(re.search(r"^firstcome_worker_restarts_total (\d+)$", stack.get("/metrics").text, re.M).group(1))


def test_worker_restarts_are_counted(stack):
    before = restarts(stack)
    workers = children(stack.pid("web"))
    os.kill(workers[0], signal.SIGKILL)
    deadline = time.time() + 10
    while time.time() < deadline:  # a zombie still counts as a child until the master reaps it
        now = children(stack.pid("web"))
        if workers[0] not in now and len(now) == len(workers):
            break
        time.sleep(0.05)
    assert workers[0] not in children(stack.pid("web"))
    assert len(children(stack.pid("web"))) == len(workers)
    assert restarts(stack) == before + 1
