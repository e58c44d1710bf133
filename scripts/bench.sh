#!/usr/bin/env bash
# `make bench`: HTTP throughput with wrk against a stack of its own (rate limits off), each
# endpoint beside the /livez ceiling measured in the same run. Results: $STATE_DIR/bench/http.json.
set -euo pipefail
ROOT=$(cd "$(dirname "$0")/.." && pwd)
cd "$ROOT"
PY=/usr/bin/python3
DURATION=${BENCH_DURATION:-10}
CONNECTIONS=${BENCH_CONNECTIONS:-32}
THREADS=${BENCH_THREADS:-2}

export STATE_DIR=${BENCH_STATE_DIR:-$(mktemp -d /tmp/firstcome-bench.XXXXXX)}
export HTTP_PORT=${HTTP_PORT:-$("$PY" -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')}
export RATE_LIMITS=off LOG_LEVEL=warn
# Bench-only settings: big campaigns so claims stay on their success path, and a cheap Argon2id
# cost so thousands of bench users log in within seconds.
export COUPON_QUANTITY_CAP=100000 PASSWORD_HASH_OPS=1 PASSWORD_HASH_MEM_KB=8192
export WEB_WORKERS=${WEB_WORKERS:-8}
trap './scripts/stack.sh stop >/dev/null 2>&1; [ -n "${BENCH_STATE_DIR:-}" ] || rm -rf "$STATE_DIR"' EXIT
./scripts/stack.sh start | grep -E 'running:|started \(' || true
BASE="http://127.0.0.1:$HTTP_PORT"
OUT=$STATE_DIR/bench
mkdir -p "$OUT"

# wrk prints its summary; this Lua adds exact p50/p99 in milliseconds as one parsable line.
cat > "$OUT/report.lua" <<'LUA'
done = function(summary, latency, requests)
  io.write(string.format("BENCH requests=%d seconds=%.3f errors=%d non2xx=%d p50=%.3f p99=%.3f\n",
    summary.requests, summary.duration / 1e6,
    summary.errors.connect + summary.errors.read + summary.errors.write + summary.errors.timeout,
    summary.errors.status, latency:percentile(50) / 1000, latency:percentile(99) / 1000))
end
LUA

run() { # run NAME PATH [LUA]: one wrk run, its BENCH line saved as NAME
  local name=$1 path=$2 script=$OUT/report.lua
  if [ -n "${3:-}" ]; then # the request script, with the report appended
    cat "$3" "$OUT/report.lua" > "$OUT/$name.lua"
    script=$OUT/$name.lua
  fi
  printf '  %-16s %s ... ' "$name" "$path"
  BENCH_THREADS=$THREADS wrk -t"$THREADS" -c"$CONNECTIONS" -d"${DURATION}s" --latency -s "$script" \
    "$BASE$path" > "$OUT/$name.txt" 2>&1
  grep '^BENCH' "$OUT/$name.txt" | sed "s/^BENCH/$name/" | tee -a "$OUT/raw.txt" | sed 's/^[^ ]* //'
}

echo "== wrk: ${THREADS} threads, ${CONNECTIONS} connections, ${DURATION}s each, ${WEB_WORKERS} web workers"
: > "$OUT/raw.txt"
curl -fsS "$BASE/api/v1/products" >/dev/null # warm every cache once
restart_web() { # restart_web MODE: the web server again, in that coupon issue mode
  local pid; pid=$(cat "$STATE_DIR/pids/web.pid")
  kill "$pid"; while kill -0 "$pid" 2>/dev/null; do sleep 0.1; done
  COUPON_ISSUE_MODE=$1 ./scripts/stack.sh start >/dev/null
}

claims() { # claims NAME MODE: the claim endpoint on its success path
  echo "  (preparing $1: campaigns, users, logins)"
  "$PY" bench/setup.py "$STATE_DIR" "$BASE" "$OUT/$1.claims" 100 2000 100000 | sed 's/^/  /'
  BENCH_CLAIMS=$OUT/$1.claims run "$1" "/api/v1/coupons/claim" bench/claim.lua
}

run livez /livez
run products "/api/v1/products"
claims claim_sync sync
restart_web kafka
claims claim_kafka kafka
# How long the coupon worker needs to write every claim the kafka run accepted.
ok=$(grep '^claim_kafka' "$OUT/raw.txt" | sed 's/.*requests=\([0-9]*\) .*non2xx=\([0-9]*\).*/\1 \2/')
"$PY" bench/setup.py wait "$STATE_DIR" "$OUT/claim_kafka.claims" $((${ok% *} - ${ok#* })) | tee "$OUT/catchup.txt"
restart_web sync
echo "== the concurrency lab: every strategy on its own campaign, in this run"
./bin/firstcome bench strategies | sed 's/^/  /' # writes $OUT/strategies.json
echo "== HTTP, continued"
echo "  (preparing checkout: products, buyers, logins)"
"$PY" bench/setup.py checkout "$STATE_DIR" "$BASE" "$OUT/checkout.claims" | sed 's/^/  /'
# One connection per wrk thread: each connection alternates order and payment.
THREADS_SAVED=$THREADS
THREADS=$CONNECTIONS
BENCH_CLAIMS=$OUT/checkout.claims run checkout "/api/v1/orders" bench/checkout.lua
THREADS=$THREADS_SAVED
run livez_again /livez

ROOT=$ROOT "$PY" - "$OUT" <<'PY'
import json, sys, os, platform
out = sys.argv[1]
rows = {}
for line in open(os.path.join(out, "raw.txt")):
    name, *kv = line.split()
    d = dict(x.split("=") for x in kv)
    rows[name] = {"requests": int(d["requests"]), "seconds": float(d["seconds"]),
                  "errors": int(d["errors"]), "non2xx": int(d["non2xx"]),
                  "p50_ms": float(d["p50"]), "p99_ms": float(d["p99"])}
    rows[name]["rps"] = rows[name]["requests"] / rows[name]["seconds"]
# The ceiling is the better of two /livez runs, one before and one after the rest.
best = max(rows.pop("livez"), rows.pop("livez_again"), key=lambda r: r["rps"])
ceiling = best["rps"]
results = [{"endpoint": "GET /livez (ceiling)", "rps": round(ceiling), "p50_ms": best["p50_ms"],
            "p99_ms": best["p99_ms"], "errors": best["errors"] + best["non2xx"], "ratio": 1.0}]
for name, label in [("products", "GET /api/v1/products"),
                    ("claim_sync", "POST claim (sync mode)"), ("claim_kafka", "POST claim (kafka mode)"),
                    ("checkout", "checkout + payment (requests)")]:
    r = rows[name]
    results.append({"endpoint": label, "rps": round(r["rps"]), "p50_ms": r["p50_ms"], "p99_ms": r["p99_ms"],
                    "errors": r["errors"] + r["non2xx"], "ratio": round(r["rps"] / ceiling, 3)})
for r in results:
    if r["endpoint"].startswith("checkout"):
        r["paid_orders_per_second"] = round(r["rps"] / 2)
doc = {"machine": {"cpus": os.cpu_count(), "kernel": platform.release()}, "results": results}
json.dump(doc, open(os.path.join(out, "http.json"), "w"), indent=2)
print()
print(f"{'endpoint':<28}{'req/s':>10}{'p50 ms':>10}{'p99 ms':>10}{'errors':>8}{'of ceiling':>12}")
for r in results:
    print(f"{r['endpoint']:<28}{r['rps']:>10}{r.get('p50_ms', ''):>10}{r.get('p99_ms', ''):>10}"
          f"{r.get('errors', ''):>8}{r['ratio']:>11.0%}")
co = rows["checkout"]
print(f"\ncheckout + payment: {co['rps'] / 2:.0f} paid orders per second (two requests each)")
keep = os.path.join(os.environ["ROOT"], "bench", "results")
os.makedirs(keep, exist_ok=True)
json.dump(doc, open(os.path.join(keep, "http.json"), "w"), indent=2)
import shutil
shutil.copy(os.path.join(out, "strategies.json"), keep)
print(f"results: {keep}/http.json and strategies.json (the bench stack's state dir is removed)")
PY
# The charts and the HTML report, beside the results.
if [ -f bench/report.py ]; then
  "$PY" bench/report.py "$ROOT/bench/results" | sed 's/^/  /'
fi
