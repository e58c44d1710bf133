"""bench/report.py: the benchmark report built from http.json, strategies.json and room.json. Needs
no stack: sample results are written to a temporary directory and the report is checked as files."""
import html
import html.parser
import json
import os
import subprocess
import sys
import xml.etree.ElementTree as ET

import pytest

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
REPORT = os.path.join(ROOT, "bench", "report.py")
SVG = "{http://www.w3.org/2000/svg}"
PYTHON = "/usr/bin/python3" if os.path.exists("/usr/bin/python3") else sys.executable

HTTP = {
    "machine": {"cpus": 16, "kernel": "6.8.0-45-generic"},
    "results": [
        {"endpoint": "GET /livez (ceiling)", "rps": 48211, "p50_ms": 0.61, "p99_ms": 1.92, "errors": 0,
         "ratio": 1.0},
        {"endpoint": "GET /api/v1/products", "rps": 31877, "p50_ms": 0.93, "p99_ms": 3.1, "errors": 0,
         "ratio": 0.661},
        {"endpoint": "POST claim (sync mode)", "rps": 12034, "p50_ms": 2.55, "p99_ms": 7.8, "errors": 0,
         "ratio": 0.25},
        {"endpoint": "POST claim (kafka mode)", "rps": 15410, "p50_ms": 1.98, "p99_ms": 6.02, "errors": 3,
         "ratio": 0.32},
        {"endpoint": "checkout + payment (requests)", "rps": 2210, "p50_ms": 13.9, "p99_ms": 48.2, "errors": 0,
         "ratio": 0.046, "paid_orders_per_second": 1105},
    ],
}


def strategy(name, throughput, p50, p95, p99, issued=1000, oversold=0, duplicates=0, fairness=1.0,
             errors=0):
    return {"strategy": name, "requests": 20000, "seconds": round(20000 / throughput, 3),
            "throughput": throughput, "p50_ms": p50, "p95_ms": p95, "p99_ms": p99, "issued": issued,
            "quantity": 1000, "oversold": oversold, "duplicates": duplicates, "errors": errors,
            "fairness": fairness}


STRATEGIES = [
    strategy("naive", 8298.7, 0.81, 2.2, 4.6, issued=1137, oversold=137, duplicates=4, fairness=0.62),
    strategy("mysql_for_update", 1694.9, 8.9, 31.0, 88.4, fairness=0.97),
    strategy("mysql_conditional_update", 3846.1, 3.7, 9.9, 21.5, fairness=0.99),
    strategy("redis_lock", 1015.2, 12.1, 140.2, 402.7, fairness=0.71),
    strategy("redis_lua_sync", 10526.3, 0.55, 1.4, 2.9),
    strategy("redis_lua_kafka", 12500.0, 0.42, 1.1, 2.2),
]
NAMES = [s["strategy"] for s in STRATEGIES]
ENDPOINTS = [r["endpoint"] for r in HTTP["results"]]


def write(d, name, doc):
    with open(os.path.join(d, name), "w") as f:
        f.write(doc if isinstance(doc, str) else json.dumps(doc))


def run(d):
    p = subprocess.run([PYTHON, REPORT, str(d)], capture_output=True, text=True, timeout=60)
    assert p.returncode == 0, p.stderr
    assert "Traceback" not in p.stderr
    return p.stdout


def read(d, name):
    with open(os.path.join(d, name), encoding="utf-8") as f:
        return f.read()


def svg(d, name):
    root = ET.fromstring(read(d, name))
    assert root.tag == SVG + "svg"
    return root


def bars(root, cls="bar"):
    return [e for e in root.iter(SVG + "rect") if cls in (e.get("class") or "").split()]


def texts(root):
    return ["".join(e.itertext()) for e in root.iter(SVG + "text")]


class Tables(html.parser.HTMLParser):
    """Every <table> of a page: {id: [[(cell text, cell class), ...], ...]}."""

    def __init__(self):
        super().__init__()
        self.tables, self.table, self.row, self.cell = {}, None, None, None

    def handle_starttag(self, tag, attrs):
        a = dict(attrs)
        if tag == "table":
            self.table = self.tables.setdefault(a.get("id", str(len(self.tables))), [])
        elif tag == "tr" and self.table is not None:
            self.row = []
            self.table.append(self.row)
        elif tag in ("td", "th") and self.row is not None:
            self.cell = ["", a.get("class") or ""]

    def handle_endtag(self, tag):
        if tag in ("td", "th") and self.cell is not None:
            self.row.append((self.cell[0].strip(), self.cell[1]))
            self.cell = None
        elif tag == "table":
            self.table = None

    def handle_data(self, data):
        if self.cell is not None:
            self.cell[0] += data


def tables(page):
    t = Tables()
    t.feed(page)
    return t.tables


@pytest.fixture
def both(tmp_path):
    write(tmp_path, "http.json", HTTP)
    write(tmp_path, "strategies.json", STRATEGIES)
    return tmp_path


def test_writes_every_file_and_a_summary(both):
    out = run(both)
    for name in ("http.svg", "strategies.svg", "latency.svg", "report.html"):
        assert os.path.getsize(both / name) > 0, name
    for name in NAMES + ENDPOINTS:
        assert name in out
    naive = next(line for line in out.splitlines() if line.startswith("naive"))
    assert "oversold 137" in naive and "duplicates 4" in naive
    assert "report.html" in out


def test_strategies_svg_has_one_bar_per_strategy_and_flags_the_oversold(both):
    run(both)
    root = svg(both, "strategies.svg")
    found = bars(root)
    assert [b.get("data-name") for b in found] == NAMES
    widths = {b.get("data-name"): float(b.get("width")) for b in found}
    assert widths["redis_lua_kafka"] == max(widths.values())  # the fastest bar is the longest
    assert widths["redis_lock"] == min(widths.values())
    warned = [b.get("data-name") for b in found if "warn" in b.get("class").split()]
    assert warned == ["naive"]
    words = texts(root)
    for name in NAMES:
        assert name in words
    for label in ("8,299 req/s", "1,695 req/s", "3,846 req/s", "1,015 req/s", "10,526 req/s", "12,500 req/s"):
        assert any(label in w for w in words), label
    assert any("oversold 137" in w and "duplicates 4" in w for w in words)
    assert sum("oversold" in w for w in words if not w.startswith("claims per second")) == 1


def test_latency_svg_has_p50_p95_p99_per_strategy(both):
    run(both)
    root = svg(both, "latency.svg")
    for p in ("p50", "p95", "p99"):
        assert [b.get("data-name") for b in bars(root, p)] == NAMES, p
    words = texts(root)
    assert "p99 403 ms" in words and "p50 0.42 ms" in words and "p95 31.0 ms" in words
    for name in NAMES:
        assert name in words


def test_http_svg_has_one_bar_per_endpoint_the_ceiling_and_ratios(both):
    run(both)
    root = svg(both, "http.svg")
    found = bars(root)
    assert [b.get("data-name") for b in found] == ENDPOINTS
    assert [b.get("data-name") for b in bars(root, "ceiling")] == ["GET /livez (ceiling)"]
    lines = [e for e in root.iter(SVG + "line") if e.get("class") == "ceiling"]
    assert len(lines) == 1
    ceiling_bar = found[0]
    assert float(lines[0].get("x1")) == pytest.approx(float(ceiling_bar.get("x")) + float(ceiling_bar.get("width")),
                                                      abs=0.2)
    words = " | ".join(texts(root))
    for ratio in ("100%", "66%", "25%", "32%", "4.6%"):
        assert ratio in words, ratio
    assert "48,211 req/s" in words and "1,105 paid orders/s" in words
    for name in ENDPOINTS:
        assert name in words


def test_html_has_the_tables_the_values_and_the_inlined_charts(both):
    run(both)
    page = read(both, "report.html")
    assert "<title>firstcome benchmarks</title>" in page
    assert "16</b> CPUs" in page and "6.8.0-45-generic" in page
    t = tables(page)
    http_rows = t["http-table"]
    assert [c for c, _ in http_rows[0]][:6] == ["endpoint", "req/s", "p50 ms", "p99 ms", "errors", "% of ceiling"]
    assert [c for c, _ in http_rows[1]][:6] == ["GET /livez (ceiling)", "48,211", "0.61", "1.92", "0", "100%"]
    assert [c for c, _ in http_rows[5]] == ["checkout + payment (requests)", "2,210", "13.9", "48.2", "0", "4.6%",
                                            "1,105"]
    assert http_rows[4][4] == ("3", "bad")  # errors are highlighted
    st = t["strategies-table"]
    assert len(st) == 1 + len(STRATEGIES)
    head = [c for c, _ in st[0]]
    assert head[0] == "strategy" and head[-4:] == ["oversold", "duplicates", "errors", "fairness"]
    assert len(head) == 13
    naive = st[1]
    assert [c for c, _ in naive] == ["naive", "20,000", "2.41", "8,299", "0.81", "2.20", "4.60", "1,137", "1,000",
                                     "137", "4", "0", "0.620"]
    assert naive[9][1] == "bad" and naive[10][1] == "bad"
    for row in st[2:]:
        assert row[9] == ("0", "ok") and row[10] == ("0", "ok")
    assert [row[0][0] for row in st[1:]] == NAMES
    # The charts are inlined, nothing is fetched.
    assert page.count("<svg ") == 3
    for name in ("http.svg", "strategies.svg", "latency.svg"):
        assert read(both, name).strip() in page
    assert "<img" not in page and "<script" not in page and "<link" not in page
    assert "How to read this" in page and "GET /livez" in page and "expected to oversell" in page
    assert "Data notes" not in page  # complete data: nothing to note


def test_endpoints_measured_in_turns_show_the_livez_beside_them(tmp_path):
    doc = json.loads(json.dumps(HTTP))
    doc["results"][1]["livez_beside"] = 47000  # the product list, in turns with /livez
    doc["results"][3]["livez_beside"] = 50500
    write(tmp_path, "http.json", doc)
    run(tmp_path)
    rows = tables(read(tmp_path, "report.html"))["http-table"]
    assert [c for c, _ in rows[0]][:7] == ["endpoint", "req/s", "p50 ms", "p99 ms", "errors", "/livez beside it",
                                           "% of ceiling"]
    assert [c for c, _ in rows[2]][5:7] == ["47,000", "66%"], "the ratio is the file's, to the /livez beside it"
    assert [c for c, _ in rows[4]][5:7] == ["50,500", "32%"]
    assert [c for c, _ in rows[1]][5] == "", "the ceiling itself has no /livez beside it"


def test_a_script_looking_strategy_name_is_escaped(both):
    evil = '<script>alert("x")</script>'
    write(both, "strategies.json", STRATEGIES + [strategy(evil, 5000, 1, 2, 3, issued=1001, oversold=1)])
    run(both)
    page = read(both, "report.html")
    assert "<script" not in page
    assert "&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt;" in page
    for name in ("strategies.svg", "latency.svg"):
        assert "<script" not in read(both, name)
        root = svg(both, name)  # still well-formed XML, and the name reads back as it was
        assert evil in [b.get("data-name") for b in bars(root)]
        assert any(evil in w for w in texts(root))
    assert tables(page)["strategies-table"][-1][0][0] == evil


@pytest.mark.parametrize("present", ["http.json", "strategies.json"])
def test_one_file_alone_still_makes_a_report(tmp_path, present):
    write(tmp_path, present, HTTP if present == "http.json" else STRATEGIES)
    missing = "strategies.json" if present == "http.json" else "http.json"
    out = run(tmp_path)
    page = read(tmp_path, "report.html")
    assert "firstcome benchmarks" in page
    assert f"{missing}: not found" in page and f"{missing}: not found" in out
    if present == "http.json":
        assert os.path.exists(tmp_path / "http.svg") and "http-table" in page
        assert not os.path.exists(tmp_path / "strategies.svg") and "strategies-table" not in page
        assert page.count("<svg ") == 1
    else:
        assert os.path.exists(tmp_path / "strategies.svg") and os.path.exists(tmp_path / "latency.svg")
        assert "strategies-table" in page and "http-table" not in page
        assert page.count("<svg ") == 2
        assert "machine: " in page and "not recorded" in page


def test_missing_keys_bad_values_and_bad_files_are_reported_not_fatal(tmp_path):
    rows = [dict(s) for s in STRATEGIES]
    del rows[1]["p95_ms"], rows[1]["throughput"]
    rows[2]["fairness"] = "n/a"
    del rows[0]["oversold"]  # derived from issued - quantity
    rows.append("not an object")
    write(tmp_path, "strategies.json", rows)
    write(tmp_path, "http.json", '{"machine": {"cpus": 4}, "results": [')
    out = run(tmp_path)
    page = read(tmp_path, "report.html")
    assert "Data notes" in page
    assert "http.json: not valid JSON" in page
    assert "mysql_for_update: missing throughput, p95_ms" in page
    assert "mysql_conditional_update: not a number: fairness=&quot;n/a&quot;" in page
    assert "result 7 is not an object" in page
    assert "note: http.json: not valid JSON" in out
    st = tables(page)["strategies-table"]
    assert st[1][9] == ("137", "bad")  # oversold computed
    assert st[2][3][0] == "—" and st[2][5][0] == "—"
    root = svg(tmp_path, "strategies.svg")
    assert [b.get("data-name") for b in bars(root)] == [n for n in NAMES if n != "mysql_for_update"]
    assert any("no throughput" in w for w in texts(root))
    assert len(bars(svg(tmp_path, "latency.svg"), "p95")) == len(NAMES) - 1


def test_an_empty_directory_still_makes_a_page(tmp_path):
    out = run(tmp_path)
    page = read(tmp_path, "report.html")
    assert "http.json: not found" in page and "strategies.json: not found" in page
    assert "<svg" not in page
    assert "report.html" in out


def test_not_a_directory_is_a_usage_error(tmp_path):
    p = subprocess.run([PYTHON, REPORT, str(tmp_path / "nope")], capture_output=True, text=True, timeout=60)
    assert p.returncode == 2 and "not a directory" in p.stderr


def summarize(tmp_path, raw):
    """bench/summary.py over wrk's BENCH lines `raw`: (the results dir it keeps, its http.json)."""
    (tmp_path / "raw.txt").write_text(raw)
    (tmp_path / "strategies.json").write_text("[]")
    keep = tmp_path / "results"
    out = subprocess.run([PYTHON, os.path.join(ROOT, "bench", "summary.py"), str(tmp_path)], capture_output=True,
                         text=True, env=dict(os.environ, BENCH_RESULTS=str(keep)))
    assert out.returncode == 0, out.stderr
    return keep, json.loads((keep / "http.json").read_text())


def test_summary_compares_each_endpoint_with_the_livez_turns_beside_it(tmp_path):
    """bench/summary.py: turns summed per endpoint, each over the /livez turns measured beside it."""
    def line(name, requests, seconds, p50, p99, errors=0):
        return (f"{name} requests={requests} seconds={seconds} errors={errors} non2xx=0 p50={p50}"
                f" p99={p99} next=0\n")
    raw = "".join([
        line("livez@products", 30000, 3, 1.0, 5.0), line("products", 20000, 3, 1.5, 6.0),
        line("livez@products", 30000, 3, 1.0, 9.0), line("products", 16000, 3, 2.5, 8.0),
        line("livez@claim_sync", 24000, 3, 1.0, 5.0), line("claim_sync", 6000, 3, 8.0, 20.0),
        line("livez@claim_kafka", 24000, 3, 1.0, 5.0), line("claim_kafka", 18000, 3, 2.0, 12.0, errors=2),
        line("checkout", 12000, 10, 20.0, 40.0)])
    keep, doc = summarize(tmp_path, raw)
    by = {r["endpoint"]: r for r in doc["results"]}
    livez = by["GET /livez (ceiling)"]
    assert livez["rps"] == round(108000 / 12) and livez["p99_ms"] == 9.0
    products = by["GET /api/v1/products"]
    assert products["rps"] == 6000 and products["livez_beside"] == 10000 and products["ratio"] == 0.6
    assert products["p50_ms"] == round((1.5 * 20000 + 2.5 * 16000) / 36000, 3) and products["p99_ms"] == 8.0
    assert by["POST claim (sync mode)"]["ratio"] == 0.25
    assert by["POST claim (kafka mode)"]["errors"] == 2 and by["POST claim (kafka mode)"]["ratio"] == 0.75
    checkout = by["checkout + payment (requests)"]
    assert checkout["ratio"] == round(1200 / 9000, 3) and checkout["paid_orders_per_second"] == 600
    assert (keep / "strategies.json").exists() and (tmp_path / "http.json").exists()


def test_a_strategy_whose_claims_failed_is_not_called_ok(tmp_path):
    """A run where the store refused most claims is not a result: the summary says so and the
    table marks the errors, even though nothing was oversold."""
    write(tmp_path, "strategies.json",
          [strategy("redis_lua_kafka", 1138.0, 1.67, 5.75, 7.49, issued=40, errors=1240, fairness=0.15)])
    line = next(l for l in run(tmp_path).splitlines() if l.startswith("redis_lua_kafka"))
    assert line.endswith("FAILED: 1,240 claims answered with an error"), line
    st = tables(read(tmp_path, "report.html"))["strategies-table"]
    assert st[1][11] == ("1,240", "bad")


def test_the_tail_at_more_connections_is_summed_reported_and_drawn(tmp_path):
    """NAME@C turns beside livez@NAME@C: their worst p99 and p99.9 in http.json's tail, a table and
    tail.svg in the report."""
    def line(name, requests, p99, p999):
        return f"{name} requests={requests} seconds=3 errors=0 non2xx=0 p50=1.0 p99={p99} p999={p999} next=0\n"
    raw = "".join([
        line("livez@products", 30000, 5.0, 7.0), line("products", 20000, 6.0, 8.0),
        line("livez@claim_sync", 30000, 5.0, 7.0), line("claim_sync", 9000, 9.0, 14.0),
        line("livez@claim_kafka", 30000, 5.0, 7.0), line("claim_kafka", 21000, 6.0, 9.0),
        line("checkout", 3000, 30.0, 45.0),
        line("livez@claim_sync@64", 30000, 11.0, 19.0), line("claim_sync@64", 9000, 17.0, 31.0),
        line("livez@claim_sync@64", 33000, 12.0, 18.0), line("claim_sync@64", 9900, 16.0, 36.0),
        line("livez@claim_sync@256", 30000, 40.0, 60.0), line("claim_sync@256", 9000, 55.0, 90.0)])
    keep, doc = summarize(tmp_path, raw)
    sync = next(r for r in doc["results"] if r["endpoint"] == "POST claim (sync mode)")
    assert (sync["p999_ms"], sync["livez_p99_ms"]) == (14.0, 5.0)
    tail = {(r["endpoint"], r["connections"]): r for r in doc["tail"]}
    assert set(tail) == {("POST claim (sync mode)", 64), ("POST claim (sync mode)", 256)}
    t64 = tail[("POST claim (sync mode)", 64)]
    assert (t64["p99_ms"], t64["p999_ms"], t64["livez_p99_ms"], t64["livez_p999_ms"]) == (17.0, 36.0, 12.0, 19.0)
    assert t64["ratio"] == round(18900 / 63000, 3)
    text = run(keep)
    assert "the tail" in text and "90.0" in text
    root = svg(keep, "tail.svg")
    assert len(bars(root)) == 8 and len(bars(root, "livez-p999")) == 2
    assert "POST claim (sync mode) · 256 conns" in texts(root)
    page = (keep / "report.html").read_text()
    http_rows = tables(page)["http-table"]
    assert http_rows[0][4][0] == "p99.9 ms" and http_rows[3][4][0] == "14.0"
    rows = {r[0][0]: r for r in tables(page)["tail-table"][1:] if r[1][0] == "256"}
    assert [c for c, _ in rows["POST claim (sync mode)"]][2:7] == ["3,000", "55.0", "90.0", "40.0", "60.0"]


def burst(pace, p50, p99, key="people_per_second"):
    return {key: pace, "p50_ms": p50, "p99_ms": p99, "errors": 0, "non2xx": 0, "seconds": 1.0}


def room_doc(people=300, prequeue=100, rate=100):
    """A small room.json as `firstcome bench room` writes it: the pre-queue filling for 1.5 s
    before the start, then the rest joining and everyone admitted at the rate (50 samples)."""
    series = [[t / 10, 0, 0, min(prequeue, (t + 16) * 20)] for t in range(-15, 0)]
    series += [[t / 10, min(people, t * rate // 10), min(people, prequeue + t * 50) - min(people, t * rate // 10), 0]
               for t in range(0, 35)]
    return {"room": 1, "people": people, "prequeue_people": prequeue, "rate": rate,
            "made_seconds": 0.01, "signed_seconds": 0.02,
            "joins": {"prequeue": burst(5000.0, 5.0, 9.0), "at_start": burst(4800.0, 5.5, 9.5)},
            "livez": {"before": burst(20000.0, 0.2, 0.9, "rps"), "prequeue": burst(9000.0, 0.25, 8.5, "rps"),
                      "at_start": burst(7000.0, 0.3, 11.0, "rps")},
            "places": {"people": people, "without_place": 0, "same_ticket_twice": 0, "ticket_out_of_range": 0,
                       "prequeue_holds_first_tickets": True},
            "order": {"prequeue": {"correlation": 0.01, "max_displacement": 97, "first_tenth_kept": 0.1},
                      "at_start": {"correlation": 0.9991, "max_displacement": 12, "first_tenth_kept": 0.95,
                                   "max_displacement_in_thread": 5, "in_flight_per_thread": 8}},
            "admissions": {"ticks": 30, "windows": 20, "mean": 100.0, "min": 99.0, "max": 101.0,
                           "within_5pct": 1.0, "steps_back": 0},
            "admitted_twice": 0, "series": series}


def polylines(root):
    return {p.get("data-name"): [tuple(map(float, xy.split(","))) for xy in p.get("points").split()]
            for p in root.iter(SVG + "polyline")}


def test_a_waiting_room_run_is_drawn_over_time_and_tabled(both):
    write(both, "room.json", room_doc())
    out = run(both)
    assert "waiting room: 300 people, joins 5,000 and 4,800 people/s; 0 without a place" in out
    assert "note:" not in out  # complete data: nothing to note
    root = svg(both, "room.svg")
    words = texts(root)
    assert "Waiting room: 300 people, 100 admitted a second" in words
    for name in ("admitted so far", "waiting with a place", "in the pre-queue", "the rate set (100 a second)",
                 "start", "seconds from the room's opening"):
        assert name in words, name
    lines = polylines(root)
    assert sorted(lines) == ["admitted so far", "in the pre-queue", "waiting with a place"]
    assert all(len(points) == 50 for points in lines.values())
    admitted, queued = lines["admitted so far"], lines["in the pre-queue"]
    assert admitted[-1][1] < admitted[0][1] and queued[14][1] < queued[15][1]  # up is fewer pixels down
    start = root.find(f".//{SVG}line[@class='start']")
    assert float(start.get("x1")) == pytest.approx(admitted[15][0], abs=0.2)  # the sample at 0 s
    rate = root.find(f".//{SVG}line[@class='rate']")
    assert "stroke-dasharray" in rate.attrib
    assert float(rate.get("x1")) == pytest.approx(float(start.get("x1")), abs=0.2)
    assert float(rate.get("y1")) == pytest.approx(admitted[0][1], abs=0.2)  # 0 admitted at the start
    assert float(rate.get("x2")) == pytest.approx(admitted[45][0], abs=0.2)  # everyone at 3 s: clipped there
    assert float(rate.get("y2")) == pytest.approx(admitted[-1][1], abs=0.2)
    page = read(both, "report.html")
    assert "A waiting room under a burst" in page and "Waiting room." in page
    assert read(both, "room.svg").strip() in page and page.count("<svg ") == 4
    assert "room.json written" in page and "Data notes" not in page
    t = tables(page)
    assert [[c for c, _ in row] for row in t["room-table"]] == [
        ["", "pace", "p50 ms", "p99 ms", "errors / non-2xx"],
        ["joins before the start", "5,000 people/s", "5.00", "9.00", "0 / 0"],
        ["joins at the start", "4,800 people/s", "5.50", "9.50", "0 / 0"],
        ["/livez before", "20,000 req/s", "0.2", "0.9", "0 / 0"],
        ["/livez beside the joins before the start", "9,000 req/s", "0.25", "8.50", "0 / 0"],
        ["/livez beside the joins at the start", "7,000 req/s", "0.3", "11.0", "0 / 0"]]
    checks = {row[0][0]: row[1] for row in t["room-checks"]}
    assert checks["without a place"] == ("0", "ok") and checks["tickets held twice"] == ("0", "ok")
    assert checks["the pre-queue holds the first tickets"] == ("yes", "ok")
    assert checks["pre-queue: arrival vs place correlation (shuffled at the start: near 0)"][0] == "0.0100"
    assert checks["after the start: arrival vs place correlation"][0] == "0.9991"
    assert checks["after the start: largest displacement (places from the arrival order)"][0] == "12"
    assert checks["after the start: furthest from a wrk thread's sending order (it keeps 8 in flight)"][0] == "5"
    assert checks["admissions a second: mean / min / max"][0] == "100 / 99.0 / 101"
    assert checks["one-second windows within 5% of the rate"][0] == "100%"
    assert checks["admitted twice"] == ("0", "ok")


def test_a_room_run_without_a_prequeue_needs_no_prequeue_parts(tmp_path):
    """Nobody in the pre-queue: no burst before the start and no order for it (the tool writes
    null for a group under ten), and nothing to note."""
    doc = room_doc(prequeue=0)
    del doc["joins"]["prequeue"], doc["livez"]["prequeue"]
    doc["order"]["prequeue"] = None
    write(tmp_path, "room.json", doc)
    out = run(tmp_path)
    assert "joins 4,800 people/s;" in out
    assert not [line for line in out.splitlines() if "room.json" in line and line.startswith("note:")]
    t = tables(read(tmp_path, "report.html"))
    assert [row[0][0] for row in t["room-table"][1:]] == ["joins at the start", "/livez before",
                                                         "/livez beside the joins at the start"]
    assert not any(row[0][0].startswith("pre-queue") for row in t["room-checks"])


def test_without_room_json_there_is_no_room_and_no_note(both):
    out = run(both)
    page = read(both, "report.html")
    assert "room.json" not in out and "room.json" not in page and "waiting room" not in out
    assert "A waiting room" not in page and not os.path.exists(both / "room.svg")


def broken(change):
    doc = room_doc()
    change(doc)
    return doc


BROKEN_ROOMS = {
    "no rate": (broken(lambda d: d.pop("rate")), ["room.json: missing rate"], True),
    "people in words": (broken(lambda d: d.update(people="lots")), ['room.json: not a number: people="lots"'],
                        True),
    "a slow p99": (broken(lambda d: d["joins"]["at_start"].update(p99_ms="slow")),
                   ['room.json: joins.at_start: not a number: p99_ms="slow"'], True),
    "no mean": (broken(lambda d: d["admissions"].pop("mean")), ["room.json: admissions: missing mean"], True),
    "no livez": (broken(lambda d: d.pop("livez")), ["room.json: no livez.before", "room.json: no livez.at_start"],
                 True),
    "a word in the series": (broken(lambda d: d["series"].__setitem__(3, [-1.2, "many", 0, 80])),
                             ["room.json: series: 1 of 50 samples are not four numbers; left out"], True),
    "no series": (broken(lambda d: d.pop("series")), ["room.json: no series of samples"], False),
    "a flag in words": (broken(lambda d: d["places"].update(prequeue_holds_first_tickets="yes")),
                        ['room.json: places: prequeue_holds_first_tickets is not true or false ("yes")'], True),
    "not JSON": ('{"room": 1, "series": [[0, 1', ["room.json: not valid JSON"], False),
    "not an object": ('"a room"', ["room.json: expected an object"], False),
}


@pytest.mark.parametrize("case", list(BROKEN_ROOMS))
def test_a_broken_room_json_is_noted_and_the_rest_still_drawn(both, case):
    doc, expected, drawn = BROKEN_ROOMS[case]
    write(both, "room.json", doc)
    out = run(both)  # exit code 0, no traceback
    page = read(both, "report.html")
    notes = [line[len("note: "):] for line in out.splitlines() if line.startswith("note: ")]
    for note in expected:
        assert any(n.startswith(note) for n in notes), (note, notes)
        assert html.escape(note) in page
    assert "Data notes" in page
    for name in ("http.svg", "strategies.svg", "latency.svg"):
        assert read(both, name).strip() in page, name
    assert ("A waiting room under a burst" in page) == isinstance(doc, dict)  # the table, what can be read
    assert os.path.exists(both / "room.svg") == drawn
    if drawn:
        root = svg(both, "room.svg")
        assert len(polylines(root)) == 3


def bench_line(name, requests, p50=1.0, p99=5.0, non2xx=0, cpu=0.0, seconds=3):
    return (f"{name} requests={requests} seconds={seconds} errors=0 non2xx={non2xx} p50={p50} p99={p99}"
            f" p999={p99} next=0 cpu={cpu}\n")


def cpu_window(name, wall, **spent):
    return f"{name} wall={wall} " + " ".join(f"{k}={v}" for k, v in spent.items()) + "\n"


MAIN_TURNS = "".join([
    bench_line("livez@products", 30000, cpu=0.6), bench_line("products", 20000, cpu=0.4),
    bench_line("livez@claim_sync", 30000, cpu=0.6), bench_line("claim_sync", 10000, non2xx=0, cpu=0.2),
    bench_line("livez@claim_kafka", 30000, cpu=0.6), bench_line("claim_kafka", 12000, cpu=0.3),
    bench_line("checkout", 4000, cpu=0.1, seconds=10)])


def test_cpu_per_request_is_each_process_s_cpu_less_idle_over_the_2xx(tmp_path):
    """bench/summary.py: a window's CPU by process, less the idle stack's in as long, over the 2xx
    responses of its turns; wrk's from its own report; a table in the report."""
    (tmp_path / "cpu.txt").write_text("".join([
        cpu_window("idle", 3.0, nginx=0.0, web=0.03, mysql=0.3, devbroker=0.06),
        cpu_window("livez@products", 3.0, nginx=1.2, web=0.93), cpu_window("products", 3.0, nginx=0.8, web=2.03),
        cpu_window("livez@claim_sync", 3.0, nginx=1.2, web=0.93),
        # 4,000 of claim_sync's 10,000 requests were not 2xx: the CPU is over the 6,000 that were
        cpu_window("claim_sync", 4.0, nginx=0.6, web=1.24, redis=0.3, mysql=1.6),
        cpu_window("livez@claim_kafka", 3.0, nginx=1.2, web=0.93),
        cpu_window("claim_kafka", 5.0, nginx=0.6, web=1.25, redis=0.36, mysql=0.5, coupon=0.24, devbroker=0.34),
        cpu_window("checkout", 12.0, nginx=0.4, web=2.12, mysql=5.2, order=0.8, other_workers=0.2)]))
    raw = MAIN_TURNS.replace("claim_sync requests=10000 seconds=3 errors=0 non2xx=0",
                             "claim_sync requests=10000 seconds=3 errors=0 non2xx=4000")
    keep, doc = summarize(tmp_path, raw)
    cpu = doc["cpu"]
    assert cpu["GET /livez (ceiling)"]["nginx"] == 40.0 and cpu["GET /livez (ceiling)"]["web"] == 30.0
    assert cpu["GET /livez (ceiling)"]["wrk"] == 20.0
    assert cpu["POST claim (sync mode)"] == {
        "nginx": 100.0, "web": 200.0, "redis": 50.0, "mysql": 200.0, "devbroker": 0.0, "coupon": 0.0,
        "order": 0.0, "shipment": 0.0, "notify": 0.0, "relay": 0.0, "other_workers": 0.0,
        "total": 550.0, "wrk": round(0.2 / 6000 * 1e6, 1)}
    assert cpu["POST claim (kafka mode)"]["coupon"] == 20.0 and cpu["POST claim (kafka mode)"]["devbroker"] == 20.0
    assert cpu["checkout + payment (requests)"]["mysql"] == 1000.0
    assert doc["cpu_idle_ms_per_second"]["mysql"] == 100.0
    page = read_report_page(keep)
    rows = {r[0][0]: [c for c, _ in r] for r in tables(page)["cpu-table"]}
    head = rows["endpoint"]
    assert head[:5] == ["endpoint", "nginx", "web", "redis", "mysql"] and head[-2:] == ["stack total", "wrk (client)"]
    sync = dict(zip(head, rows["POST claim (sync mode)"]))
    assert (sync["nginx"], sync["web"], sync["mysql"], sync["stack total"]) == ("100", "200", "200", "550")
    assert "CPU µs per request" in run(keep)


def read_report_page(keep):
    run(keep)
    return (keep / "report.html").read_text()


SCALE_TURNS = "".join([
    bench_line("one:livez_kafka", 30000), bench_line("one:claim_kafka", 9000, p50=3.0, p99=12.0),
    bench_line("cluster:livez_kafka", 24000), bench_line("cluster:claim_kafka", 6000, p50=4.0, p99=20.0),
    bench_line("one:livez_kafka", 36000), bench_line("one:claim_kafka", 12000, p50=2.0, p99=10.0),
    bench_line("cluster:livez_kafka", 30000), bench_line("cluster:claim_kafka", 9000, p50=5.0, p99=25.0)])


def scale_check(answered, issued, redis_claimed, over=0, ok=True):
    return json.dumps({"answered": answered, "client_left": 10, "issued": issued, "redis_claimed": redis_claimed,
                       "issued_column_mismatches": 0, "over_quantity": over, "ok": ok})


def test_the_scale_section_compares_both_layouts_turn_by_turn_and_shows_their_checks(tmp_path):
    """Each layout's claims over its own /livez turns, the CPU per claim of each, and each layout's
    check of MySQL and Redis against nginx's answers; a wrong check is said to be wrong."""
    (tmp_path / "cpu.txt").write_text("".join(
        [cpu_window(f"{l}:idle", 2.0, redis=0.02) for l in ("one", "cluster")]
        + [cpu_window(n, 4.0, nginx=0.6, web=1.05, redis=0.3 if n.startswith("one") else 0.9)
           for n in ("one:livez_kafka", "one:claim_kafka", "cluster:livez_kafka", "cluster:claim_kafka")] * 2))
    (tmp_path / "one.check.json").write_text(scale_check(21000, 21004, 21004))
    (tmp_path / "cluster.check.json").write_text(scale_check(15000, 15003, 14990, ok=False))
    keep, doc = summarize(tmp_path, MAIN_TURNS + SCALE_TURNS)
    rows = {r["layout"]: r for r in doc["scale"]["results"]}
    one, cluster = rows["1 host, 1 Redis, 1 broker"], rows["2 hosts, 3 Redis masters, 3 brokers"]
    assert (one["rps"], one["livez_rps"], one["ratio"]) == (3500, 11000, round(21000 / 66000, 3))
    assert (cluster["rps"], cluster["p99_ms"], cluster["ratio"]) == (2500, 25.0, round(15000 / 54000, 3))
    assert one["endpoint"] == cluster["endpoint"] == "POST claim (kafka mode)"
    # 2 windows of 4 s: 0.6 s of redis each, less 0.04 s at rest, over 21,000 and 15,000 claims
    assert one["cpu"]["redis"] == round((0.6 - 8 * 0.01) / 21000 * 1e6, 1)
    assert cluster["cpu"]["redis"] == round((1.8 - 8 * 0.01) / 15000 * 1e6, 1)
    assert doc["scale"]["checks"]["1 host, 1 Redis, 1 broker"]["ok"] is True
    page = read_report_page(keep)
    t = tables(page)
    scale_rows = {r[0][0]: [c for c, _ in r] for r in t["scale-table"][1:]}
    # p50: the turns' weighted by their requests
    assert scale_rows["2 hosts, 3 Redis masters, 3 brokers"][2:6] == ["2,500", "4.60", "25.0", "0"]
    assert len(t["scale-cpu-table"]) == 3
    assert "cannot be faster" in page
    text = run(keep)
    assert "1 host, 1 Redis, 1 broker: 21,000 claims answered 201/202 (10 left by their client), " \
           "21,004 coupons in MySQL, 21,004 in Redis, 0 campaigns beyond their quantity: ok" in text
    assert "14,990 in Redis, 0 campaigns beyond their quantity: WRONG" in text


def test_without_cpu_or_scale_there_are_no_such_tables_and_no_notes(both):
    out = run(both)
    t = tables((both / "report.html").read_text())
    assert not {"cpu-table", "scale-table", "scale-cpu-table"} & set(t)
    assert "note:" not in out


def test_a_malformed_cpu_or_scale_is_noted_and_the_rest_still_shown(tmp_path):
    doc = dict(HTTP, cpu={"GET /api/v1/products": {"nginx": 30.0, "web": "lots"}, "POST claim (sync mode)": 7},
               scale={"results": [{"layout": "one", "endpoint": "POST claim (kafka mode)", "rps": "fast"}],
                      "checks": {"one": "fine"}})
    write(tmp_path, "http.json", doc)
    out = run(tmp_path)
    assert 'http.json: cpu: GET /api/v1/products: not a number: web="lots"' in out
    assert "http.json: cpu: POST claim (sync mode): not an object" in out
    assert 'http.json: scale: one: POST claim (kafka mode): not a number: rps="fast"' in out
    assert "http.json: scale: check of one is not an object" in out
    t = tables((tmp_path / "report.html").read_text())
    assert [c for c, _ in t["cpu-table"][1]][:3] == ["GET /api/v1/products", "30", "—"]
    assert len(t["http-table"]) == len(HTTP["results"]) + 1
