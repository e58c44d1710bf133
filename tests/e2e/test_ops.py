"""/livez, /healthz and /metrics: what operators and benchmarks rely on."""
import os
import re
import signal
import time

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
