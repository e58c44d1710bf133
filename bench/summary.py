"""The HTTP part of `make bench` summed up: reads the wrk runs' BENCH lines (OUT/raw.txt), compares
each endpoint with the /livez turns measured beside it, adds the CPU each process spent per request
(OUT/cpu.txt, from bench/cpu.py) and the scale section's turns and checks, prints the tables and
writes http.json (in OUT and in bench/results/, with the lab's strategies.json). Usage: summary.py OUT"""
import json
import os
import platform
import shutil
import sys

out = sys.argv[1]
runs = {}
for line in open(os.path.join(out, "raw.txt")):
    name, *kv = line.split()
    runs.setdefault(name, []).append(dict(x.split("=") for x in kv))

# CPU seconds by window (bench/cpu.py's lines): {name: [{"wall": s, component: s, ...}]}.
cpu = {}
if os.path.exists(os.path.join(out, "cpu.txt")):
    for line in open(os.path.join(out, "cpu.txt")):
        name, *kv = line.split()
        cpu.setdefault(name, []).append({k: float(v) for k, v in (x.split("=") for x in kv)})
COMPONENTS = ["nginx", "web", "redis", "mysql", "devbroker", "coupon", "order", "shipment", "notify",
              "relay", "other_workers"]


def idle_rates(name):
    """CPU seconds a second each component spends on a stack at rest (the window NAME)."""
    ws = cpu.get(name, [])
    wall = sum(w["wall"] for w in ws)
    return {c: sum(w.get(c, 0.0) for w in ws) / wall for c in COMPONENTS} if wall else {}


def cpu_per_request(names, idle):
    """Microseconds of CPU per 2xx response of the turns names, by component: each window's CPU
    less what the stack spends at rest in as long, wrk's own from its report, and the stack's total
    (without wrk). None when a turn has no CPU window."""
    ws = [w for n in names for w in cpu.get(n, [])]
    ts = [t for n in names for t in runs.get(n, [])]
    ok = sum(int(t["requests"]) - int(t["non2xx"]) for t in ts)
    if not ws or len(ws) != len(ts) or not ok:
        return None
    us = {c: round(sum(max(0.0, w.get(c, 0.0) - idle.get(c, 0.0) * w["wall"]) for w in ws) / ok * 1e6, 1)
          for c in COMPONENTS}
    us["total"] = round(sum(us.values()), 1)
    us["wrk"] = round(sum(float(t.get("cpu", 0)) for t in ts) / ok * 1e6, 1)
    return us


def total(name_or_names):
    """The turns of one endpoint as one run: requests and seconds summed, p50 the mean of the
    turns' weighted by their requests, p99 and p99.9 the worst turn's."""
    names = [name_or_names] if isinstance(name_or_names, str) else name_or_names
    ts = [t for n in names for t in runs[n]]
    req = sum(int(t["requests"]) for t in ts)
    sec = sum(float(t["seconds"]) for t in ts)
    return {"requests": req, "seconds": sec, "rps": req / sec,
            "errors": sum(int(t["errors"]) + int(t["non2xx"]) for t in ts),
            "p50_ms": round(sum(float(t["p50"]) * int(t["requests"]) for t in ts) / max(req, 1), 3),
            "p99_ms": max(float(t["p99"]) for t in ts),
            "p999_ms": max((float(t["p999"]) for t in ts if "p999" in t), default=None), "turns": len(ts)}

beside = ["products", "claim_sync", "claim_kafka"]
# The ceiling: every turn of /livez in the run. Each endpoint with turns is compared with the
# /livez turns beside it; checkout, one run of its own, with the whole run's ceiling.
best = total(["livez@" + n for n in beside])
ceiling = best["rps"]
results = [{"endpoint": "GET /livez (ceiling)", "rps": round(ceiling), "p50_ms": best["p50_ms"],
            "p99_ms": best["p99_ms"], "p999_ms": best["p999_ms"], "errors": best["errors"], "ratio": 1.0}]
endpoints = [("products", "GET /api/v1/products"),
             ("claim_sync", "POST claim (sync mode)"), ("claim_kafka", "POST claim (kafka mode)"),
             ("checkout", "checkout + payment (requests)")]
for name, label in endpoints:
    r = total(name)
    ref = total("livez@" + name) if name in beside else best
    results.append({"endpoint": label, "rps": round(r["rps"]), "p50_ms": r["p50_ms"], "p99_ms": r["p99_ms"],
                    "p999_ms": r["p999_ms"], "errors": r["errors"], "ratio": round(r["rps"] / ref["rps"], 3),
                    "livez_p99_ms": ref["p99_ms"], "livez_p999_ms": ref["p999_ms"]})
    if name in beside:
        results[-1]["livez_beside"] = round(ref["rps"])
# The tail: each endpoint at more connections (NAME@C), beside /livez at as many (livez@NAME@C).
tail = []
for name, label in endpoints:
    for c in sorted({int(k.split("@")[1]) for k in runs if k.startswith(name + "@")}):
        r, lz = total(f"{name}@{c}"), total(f"livez@{name}@{c}")
        tail.append({"endpoint": label, "connections": c, "rps": round(r["rps"]), "p50_ms": r["p50_ms"],
                     "p99_ms": r["p99_ms"], "p999_ms": r["p999_ms"], "errors": r["errors"],
                     "livez_rps": round(lz["rps"]), "livez_p99_ms": lz["p99_ms"],
                     "livez_p999_ms": lz["p999_ms"], "ratio": round(r["rps"] / lz["rps"], 3)})
for r in results:
    if r["endpoint"].startswith("checkout"):
        r["paid_orders_per_second"] = round(r["rps"] / 2)
doc = {"machine": {"cpus": os.cpu_count(), "kernel": platform.release()}, "results": results,
       "tail": tail}
# CPU per request by process: each endpoint's turns at the bench's connections (the /livez row:
# all the /livez turns beside them), with what the background did until it had caught up.
idle = idle_rates("idle")
per_request = {label: cpu_per_request(names, idle) for label, names in
               [(results[0]["endpoint"], ["livez@" + n for n in beside])]
               + [(label, [name]) for name, label in endpoints]}
if any(per_request.values()):
    doc["cpu"] = {k: v for k, v in per_request.items() if v}
    doc["cpu_idle_ms_per_second"] = {c: round(v * 1e3, 1) for c, v in idle.items()}

# The scale section: each layout's claims beside its own /livez, in the same rounds.
LAYOUTS = {"one": "1 host, 1 Redis, 1 broker",
           "cluster": "2 hosts, 3 Redis masters, 3 brokers"}
scale = []
for mode in ("sync", "kafka"):
    for layout, label in LAYOUTS.items():
        name, lz_name = f"{layout}:claim_{mode}", f"{layout}:livez_{mode}"
        if name not in runs or lz_name not in runs:
            continue
        r, lz = total(name), total(lz_name)
        scale.append({"layout": label, "endpoint": f"POST claim ({mode} mode)", "rps": round(r["rps"]),
                      "p50_ms": r["p50_ms"], "p99_ms": r["p99_ms"], "p999_ms": r["p999_ms"],
                      "errors": r["errors"], "livez_rps": round(lz["rps"]), "livez_p99_ms": lz["p99_ms"],
                      "ratio": round(r["rps"] / lz["rps"], 3),
                      "cpu": cpu_per_request([name], idle_rates(f"{layout}:idle")),
                      "livez_cpu": cpu_per_request([lz_name], idle_rates(f"{layout}:idle"))})
if scale:
    checks = {}
    for layout, label in LAYOUTS.items():
        path = os.path.join(out, f"{layout}.check.json")
        if os.path.exists(path):
            checks[label] = json.load(open(path))
    doc["scale"] = {"cpus": os.cpu_count(), "results": scale, "checks": checks}
json.dump(doc, open(os.path.join(out, "http.json"), "w"), indent=2)
print()
print(f"{'endpoint':<30}{'req/s':>8}{'p50 ms':>9}{'p99 ms':>9}{'p99.9 ms':>10}{'errors':>8}"
      f"{'/livez beside':>15}{'ratio':>7}")
for r in results:
    print(f"{r['endpoint']:<30}{r['rps']:>8}{r['p50_ms']:>9}{r['p99_ms']:>9}{r['p999_ms'] or '-':>10}{r['errors']:>8}"
          f"{r.get('livez_beside', '-'):>15}{r['ratio']:>7.0%}")
if tail:
    print(f"\n{'the tail':<30}{'conns':>6}{'req/s':>8}{'p99 ms':>9}{'p99.9 ms':>10}{'errors':>8}"
          f"{'/livez p99':>12}{'p99.9':>8}{'ratio':>7}")
    for r in tail:
        print(f"{r['endpoint']:<30}{r['connections']:>6}{r['rps']:>8}{r['p99_ms']:>9}{r['p999_ms'] or '-':>10}"
              f"{r['errors']:>8}{r['livez_p99_ms']:>12}{r['livez_p999_ms'] or '-':>8}{r['ratio']:>7.0%}")
co = total("checkout")
print(f"\ncheckout + payment: {co['rps'] / 2:.0f} paid orders per second (two requests each)")
SHORT = {"other_workers": "others", "devbroker": "broker"}


def cpu_table(title, rows):
    """rows: (label, {component: µs}); the components that spent anything, the total, wrk."""
    cols = [c for c in COMPONENTS if any(r.get(c) for _, r in rows)] + ["total", "wrk"]
    print(f"\n{title:<34}" + "".join(f"{SHORT.get(c, c):>9}" for c in cols))
    for label, r in rows:
        print(f"{label[:33]:<34}" + "".join(f"{r.get(c, 0):>9.0f}" for c in cols))


def short(r):
    """A scale row's name in a few words: its layout's key and its mode."""
    key = next(k for k, v in LAYOUTS.items() if v == r["layout"])
    return f"{key}: claim ({r['endpoint'].split('(')[1]}"


if doc.get("cpu"):
    cpu_table("CPU µs per request", list(doc["cpu"].items()))
if scale:
    print(f"\n{'scale (' + str(os.cpu_count()) + ' cores)':<46}{'req/s':>8}{'p50 ms':>9}{'p99 ms':>9}"
          f"{'errors':>8}{'/livez':>8}{'ratio':>7}")
    for r in scale:
        print(f"{short(r):<46}{r['rps']:>8}{r['p50_ms']:>9}{r['p99_ms']:>9}"
              f"{r['errors']:>8}{r['livez_rps']:>8}{r['ratio']:>7.0%}")
    cpu_table("scale: CPU µs per claim", [(short(r), r["cpu"]) for r in scale if r["cpu"]])
    for label, c in doc["scale"]["checks"].items():
        print(f"{label}: {c['answered']} claims answered, {c['issued']} coupons in MySQL, "
              f"{c['redis_claimed']} in Redis, {c['over_quantity']} beyond a quantity: "
              f"{'ok' if c['ok'] else 'WRONG'}")
keep = os.environ.get("BENCH_RESULTS") or os.path.join(
    os.path.dirname(os.path.dirname(os.path.abspath(__file__))), "bench", "results")
os.makedirs(keep, exist_ok=True)
json.dump(doc, open(os.path.join(keep, "http.json"), "w"), indent=2)
shutil.copy(os.path.join(out, "strategies.json"), keep)
if os.path.exists(os.path.join(out, "room.json")):
    shutil.copy(os.path.join(out, "room.json"), keep)
print(f"results: {keep}/http.json and strategies.json (the bench stack's state dir is removed)")
