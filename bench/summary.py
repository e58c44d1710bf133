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
    turns' weighted by their requests, p99 the worst turn's."""
    names = [name_or_names] if isinstance(name_or_names, str) else name_or_names
    ts = [t for n in names for t in runs[n]]
    req = sum(int(t["requests"]) for t in ts)
    sec = sum(float(t["seconds"]) for t in ts)
    return {"requests": req, "seconds": sec, "rps": req / sec,
            "errors": sum(int(t["errors"]) + int(t["non2xx"]) for t in ts),
            "p50_ms": round(sum(float(t["p50"]) * int(t["requests"]) for t in ts) / max(req, 1), 3),
            "p99_ms": max(float(t["p99"]) for t in ts), "turns": len(ts)}

beside = ["products", "claim_sync", "claim_kafka"]
# The ceiling: every turn of /livez in the run. Each endpoint with turns is compared with the
# /livez turns beside it; checkout, one run of its own, with the whole run's ceiling.
best = total(["livez@" + n for n in beside])
ceiling = best["rps"]
results = [{"endpoint": "GET /livez (ceiling)", "rps": round(ceiling), "p50_ms": best["p50_ms"],
            "p99_ms": best["p99_ms"], "errors": best["errors"], "ratio": 1.0}]
for name, label in [("products", "GET /api/v1/products"),
                    ("claim_sync", "POST claim (sync mode)"), ("claim_kafka", "POST claim (kafka mode)"),
                    ("checkout", "checkout + payment (requests)")]:
    r = total(name)
    ref = total("livez@" + name)["rps"] if name in beside else ceiling
    results.append({"endpoint": label, "rps": round(r["rps"]), "p50_ms": r["p50_ms"], "p99_ms": r["p99_ms"],
                    "errors": r["errors"], "ratio": round(r["rps"] / ref, 3)})
    if name in beside:
        results[-1]["livez_beside"] = round(ref)
for r in results:
    if r["endpoint"].startswith("checkout"):
        r["paid_orders_per_second"] = round(r["rps"] / 2)
doc = {"machine": {"cpus": os.cpu_count(), "kernel": platform.release()}, "results": results}
json.dump(doc, open(os.path.join(out, "http.json"), "w"), indent=2)
print()
print(f"{'endpoint':<30}{'req/s':>8}{'p50 ms':>9}{'p99 ms':>9}{'errors':>8}{'/livez beside':>15}{'ratio':>7}")
for r in results:
    print(f"{r['endpoint']:<30}{r['rps']:>8}{r['p50_ms']:>9}{r['p99_ms']:>9}{r['errors']:>8}"
          f"{r.get('livez_beside', '-'):>15}{r['ratio']:>7.0%}")
co = total("checkout")
print(f"\ncheckout + payment: {co['rps'] / 2:.0f} paid orders per second (two requests each)")
keep = os.environ.get("BENCH_RESULTS") or os.path.join(
    os.path.dirname(os.path.dirname(os.path.abspath(__file__))), "bench", "results")
os.makedirs(keep, exist_ok=True)
json.dump(doc, open(os.path.join(keep, "http.json"), "w"), indent=2)
shutil.copy(os.path.join(out, "strategies.json"), keep)
print(f"results: {keep}/http.json and strategies.json (the bench stack's state dir is removed)")
