"""Prometheus for real: Debian's Prometheus, configured from docs/prometheus/ as `make run` with
PROMETHEUS=on configures it, scrapes the running stack and answers with non-zero claim, order and
worker-restart series; the rules load and pass promtool."""
import os
import signal
import subprocess
import urllib.parse

import pytest
import requests

from conftest import ROOT, free_port, wait_until

RULES = os.path.join(ROOT, "docs", "prometheus", "rules.yml")
TEMPLATE = os.path.join(ROOT, "docs", "prometheus", "prometheus.yml.tpl")


def test_the_rules_pass_promtool():
    out = subprocess.run(["promtool", "check", "rules", RULES], capture_output=True, text=True)
    assert out.returncode == 0 and "SUCCESS: 9 rules found" in out.stdout, out.stdout + out.stderr


@pytest.fixture
def prometheus(stack, tmp_path):
    port = free_port()
    config = open(TEMPLATE).read().replace("@@INTERVAL@@", "1s").replace("@@RULES@@", RULES) \
        .replace("@@TARGET@@", f"127.0.0.1:{stack.port}")
    (tmp_path / "prometheus.yml").write_text(config)
    log = open(tmp_path / "prometheus.log", "w")
    proc = subprocess.Popen(["prometheus", f"--config.file={tmp_path / 'prometheus.yml'}",
                             f"--storage.tsdb.path={tmp_path / 'data'}",
                             f"--web.listen-address=127.0.0.1:{port}"], stdout=log, stderr=log)
    base = f"http://127.0.0.1:{port}"

    def ready():
        try:
            return requests.get(base + "/-/ready", timeout=2).ok
        except requests.ConnectionError:
            return False
    try:
        wait_until("prometheus ready", ready, 30)
        yield base
    finally:
        proc.terminate()
        proc.wait(20)
        log.close()


def query(base, expr):
    r = requests.get(base + "/api/v1/query?" + urllib.parse.urlencode({"query": expr}), timeout=5)
    assert r.status_code == 200, r.text
    return [float(s["value"][1]) for s in r.json()["data"]["result"]]


def test_prometheus_scrapes_the_stack_and_has_claim_order_and_restart_series(stack, admin, prometheus):
    # Some traffic of each kind; later, a background worker killed (the supervisor replaces it).
    vendor = stack.sql("SELECT id FROM vendors ORDER BY id LIMIT 1")[0]["id"]
    cid = stack.post("/api/v1/admin/coupons", {
        "vendor_id": vendor, "name": "Scraped", "type": "fixed", "value": 100, "total_quantity": 10,
        "starts_at": "2020-01-01T00:00:00Z", "ends_at": "2099-01-01T00:00:00Z"},
        token=admin["access"]).json()["coupon"]["id"]
    u = stack.user()
    assert stack.post(f"/api/v1/coupons/{cid}/claim", token=u["access"]).status_code == 201
    pid = stack.sql("SELECT id FROM products WHERE sale_starts_at IS NULL AND stock > 5 LIMIT 1")[0]["id"]
    assert stack.post("/api/v1/orders", {"items": [{"product_id": pid, "quantity": 1}]},
                      token=u["access"]).status_code == 201

    def series(expr):
        values = query(prometheus, expr)
        return True if values and sum(values) > 0 else values
    wait_until("the target up", lambda: query(prometheus, 'up{job="firstcome"}') == [1.0] or None, 30)
    claims = 'sum(firstcome_http_requests_total{route="POST /api/v1/coupons/{id}/claim",status="201"})'
    orders = 'sum(firstcome_http_requests_total{route="POST /api/v1/orders",status="201"})'
    for expr in (claims, orders):
        wait_until(f"a non-zero {expr}", lambda expr=expr: series(expr), 30)
    # Killed once Prometheus has a sample from before: the restart is an increase it can see.
    restarts = 'sum(firstcome_background_worker_restarts_total{kind="notify"}) or vector(0)'
    before = query(prometheus, restarts)[0]
    pidfile = os.path.join(stack.state_dir, "pids", "worker-notify-0.pid")
    notify = int(open(pidfile).read())
    os.kill(notify, signal.SIGKILL)
    wait_until("the notify worker replaced", lambda: os.path.exists(pidfile) and int(
        open(pidfile).read() or 0) not in (0, notify), 30)
    wait_until("the restart counted", lambda: query(prometheus, restarts)[0] > before or None, 30)
    assert query(prometheus, "firstcome_outbox_waiting") != []
    groups = requests.get(prometheus + "/api/v1/rules", timeout=5).json()["data"]["groups"]
    assert {g["name"] for g in groups} == {"firstcome-recording", "firstcome-alerts"}
    assert {r["name"] for g in groups for r in g["rules"] if r["type"] == "alerting"} == {
        "FirstcomeParkedEvents", "FirstcomeOutboxLag", "FirstcomeClaimErrors", "FirstcomeWorkerRestarts"}
    # The restart is seen by its alert (pending or firing: its window is 10 minutes).
    wait_until("the restart alert", lambda: any(
        a["labels"]["alertname"] == "FirstcomeWorkerRestarts"
        for a in requests.get(prometheus + "/api/v1/alerts", timeout=5).json()["data"]["alerts"]), 30)
