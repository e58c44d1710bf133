"""The HTTP part of `make bench` summed up: reads the wrk runs' BENCH lines (OUT/raw.txt), compares
each endpoint with the /livez turns measured beside it, prints the table and writes http.json
(in OUT and in bench/results/, with the lab's strategies.json). Usage: summary.py OUT"""
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
keep = os.environ.get("BENCH_RESULTS") or os.path.join(
    os.path.dirname(os.path.dirname(os.path.abspath(__file__))), "bench", "results")
os.makedirs(keep, exist_ok=True)
json.dump(doc, open(os.path.join(keep, "http.json"), "w"), indent=2)
shutil.copy(os.path.join(out, "strategies.json"), keep)
if os.path.exists(os.path.join(out, "room.json")):
    shutil.copy(os.path.join(out, "room.json"), keep)
print(f"results: {keep}/http.json and strategies.json (the bench stack's state dir is removed)")
