#!/usr/bin/env bash
# `make load`: Locust (Debian's python3-locust) runs tests/load/locustfile.py headless against a
# stack of its own (as `make bench` starts one: temp STATE_DIR, free port, rate limits off, cheap
# Argon2id), then prints the summary and keeps the CSV and HTML report in bench/results/load/.
# Exits non-zero when more than 1% of the requests failed (expected refusals are successes).
#
#   LOAD_USERS=50 LOAD_SPAWN_RATE=10 LOAD_DURATION=30s   Locust's -u, -r and -t
#   LOAD_POOL_USERS=1000                                  accounts in the pool (user bulk)
#   LOAD_TARGET=http://127.0.0.1:8080 STATE_DIR=./.run    an existing stack instead (e.g. `make run`'s):
#                                                         the pool is prepared there, nothing is stopped.
#                                                         `make run` keeps RATE_LIMITS=on: 429s then count
#                                                         as expected, and its login limit (300 per 15 min
#                                                         per address) caps how often this can run there
#   LOAD_UI=1 [LOAD_UI_PORT=8089]                         Locust's web UI instead of headless (the URL is
#                                                         printed; ^C ends it and stops the stack)
#   LOAD_WORKERS=N                                        distributed: a master and N worker processes
#   LOAD_RESULTS=bench/results/load                       where the CSV and HTML go
set -euo pipefail
ROOT=$(cd "$(dirname "$0")/.." && pwd)
cd "$ROOT"
PY=/usr/bin/python3 # Debian's interpreter: the python3 on PATH may lack locust, gevent, requests
LAUNCH=(env PYTHONDONTWRITEBYTECODE=1 "$PY" "$ROOT/tests/load/run_locust.py")
USERS=${LOAD_USERS:-50}
SPAWN=${LOAD_SPAWN_RATE:-10}
DURATION=${LOAD_DURATION:-30s}
WORKERS=${LOAD_WORKERS:-0}
RESULTS=${LOAD_RESULTS:-$ROOT/bench/results/load}
"$PY" -c 'import locust' 2>/dev/null || { echo "load: $PY has no locust: apt-get install python3-locust" >&2; exit 1; }

PIDS_TO_STOP=()
cleanup() {
  local pid
  for pid in "${PIDS_TO_STOP[@]}"; do kill "$pid" 2>/dev/null || true; done
  if [ -z "${LOAD_TARGET:-}" ]; then
    ./scripts/stack.sh stop >/dev/null 2>&1 || true
    [ -n "${LOAD_STATE_DIR:-}" ] || rm -rf "$STATE_DIR"
  fi
}

if [ -n "${LOAD_TARGET:-}" ]; then
  BASE=${LOAD_TARGET%/}
  export STATE_DIR=$(cd "${STATE_DIR:-$ROOT/.run}" && pwd)
  [ -s "$STATE_DIR/env" ] || { echo "load: $STATE_DIR/env is missing: is that stack running?" >&2; exit 1; }
  curl -fsS "$BASE/healthz" >/dev/null || { echo "load: $BASE/healthz does not answer" >&2; exit 1; }
  echo "== load: against $BASE (state $STATE_DIR)"
  trap cleanup EXIT # the stack is not ours: only Locust workers are stopped
else
  export STATE_DIR=${LOAD_STATE_DIR:-$(mktemp -d /tmp/firstcome-load.XXXXXX)}
  export HTTP_PORT=${HTTP_PORT:-$("$PY" -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')}
  export RATE_LIMITS=off LOG_LEVEL=warn
  # Load-test settings, as for `make bench`: campaigns as large as the test wants, and a cheap
  # Argon2id cost so the pool's logins do not dominate the run.
  export COUPON_QUANTITY_CAP=100000 PASSWORD_HASH_OPS=1 PASSWORD_HASH_MEM_KB=8192
  export WEB_WORKERS=${WEB_WORKERS:-8}
  trap cleanup EXIT
  ./scripts/stack.sh start | grep -E 'running:|started \(' || true
  BASE="http://127.0.0.1:$HTTP_PORT"
  echo "== load: own stack at $BASE (state $STATE_DIR, removed at the end)"
fi

mkdir -p "$RESULTS"
export FIRSTCOME_POOL=$RESULTS/pool.json LOAD_OUTCOMES=$RESULTS/outcomes.json
rm -f "$RESULTS"/locust_*.csv "$RESULTS"/locust.html "$RESULTS"/locust.log "$RESULTS"/worker-*.log "$LOAD_OUTCOMES"
"${LAUNCH[@]}" prepare --state-dir "$STATE_DIR" --base "$BASE" --out "$FIRSTCOME_POOL" \
  --users "${LOAD_POOL_USERS:-1000}" | sed 's/^/  /'

COMMON=(-f "$ROOT/tests/load/locustfile.py" -H "$BASE")
if [ "${LOAD_UI:-0}" != 0 ]; then
  UI_PORT=${LOAD_UI_PORT:-8089}
  echo "== Locust web UI: http://127.0.0.1:$UI_PORT/ (host $BASE; ^C to end)"
  "${LAUNCH[@]}" "${COMMON[@]}" --web-host 127.0.0.1 --web-port "$UI_PORT" -u "$USERS" -r "$SPAWN" \
    --csv "$RESULTS/locust" --html "$RESULTS/locust.html" || true
  exit 0
fi

RUN=(--headless -u "$USERS" -r "$SPAWN" -t "$DURATION" --csv "$RESULTS/locust" --html "$RESULTS/locust.html"
     --only-summary --loglevel "${LOAD_LOGLEVEL:-WARNING}")
MODE="one process"
[ "$WORKERS" -eq 0 ] || MODE="a master and $WORKERS worker processes"
echo "== Locust headless: $USERS users, spawn rate $SPAWN/s, $DURATION, $MODE"
set +e
if [ "$WORKERS" -gt 0 ]; then
  MPORT=$("$PY" -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
  for ((i = 0; i < WORKERS; i++)); do
    "${LAUNCH[@]}" -f "$ROOT/tests/load/locustfile.py" --worker --master-host 127.0.0.1 --master-port "$MPORT" \
      --loglevel WARNING > "$RESULTS/worker-$i.log" 2>&1 &
    PIDS_TO_STOP+=($!)
  done
  "${LAUNCH[@]}" "${COMMON[@]}" "${RUN[@]}" --master --master-bind-host 127.0.0.1 --master-bind-port "$MPORT" \
    --expect-workers "$WORKERS" --expect-workers-max-wait 30 > "$RESULTS/locust.log" 2>&1
  rc=$?
  wait "${PIDS_TO_STOP[@]}" 2>/dev/null
  PIDS_TO_STOP=()
else
  "${LAUNCH[@]}" "${COMMON[@]}" "${RUN[@]}" > "$RESULTS/locust.log" 2>&1
  rc=$?
fi
set -e
cat "$RESULTS/locust.log"

# The summary: every route from the stats CSV, then the total.
"$PY" - "$RESULTS" "$rc" <<'PY' || rc=1
import csv, json, os, sys
out, rc = sys.argv[1], int(sys.argv[2])
path = os.path.join(out, "locust_stats.csv")
if not os.path.exists(path):
    sys.exit(f"load: no {path}: Locust did not run (exit {rc})")
rows = list(csv.DictReader(open(path)))
print(f"\n{'route':<44}{'requests':>9}{'fail':>6}{'req/s':>8}{'p50 ms':>8}{'p95 ms':>8}{'p99 ms':>8}")
for r in rows:
    label = f"{r['Type']} {r['Name']}" if r["Name"] != "Aggregated" else "total"
    if label == "total":
        print("-" * 91)
    print(f"{label:<44}{r['Request Count']:>9}{r['Failure Count']:>6}{float(r['Requests/s']):>8.1f}"
          f"{r['50%']:>8}{r['95%']:>8}{r['99%']:>8}")
t = rows[-1]
n, f = int(t["Request Count"]), int(t["Failure Count"])
pct = 100.0 * f / n if n else 100.0
print(f"\nrequests {n}, {float(t['Requests/s']):.1f} req/s, failures {f} ({pct:.2f}%), "
      f"p50 {t['50%']} ms, p95 {t['95%']} ms")
oc = os.path.join(out, "outcomes.json")
if os.path.exists(oc):
    o = json.load(open(oc))
    exp = {k: v for k, v in o.items() if not k.endswith(" ok") and "FAILED" not in k}
    if exp:
        print("expected refusals and abandons (counted as successes): " +
              ", ".join(f"{k} {v}" for k, v in exp.items()))
    limited = o.get("POST /api/v1/auth/login rate_limited", 0)
    if limited:
        print(f"warning: {limited} logins were refused by the login rate limit (the stack runs with "
              "RATE_LIMITS=on: LOGIN_LIMIT_PER_CLIENT logins per 15 minutes from one address); "
              "those Locust users waited instead of shopping")
print(f"report: {os.path.join(out, 'locust.html')}, CSV: {os.path.join(out, 'locust_stats.csv')}")
if n == 0 or pct > 1.0:
    sys.exit(f"load: FAILED: {pct:.2f}% of requests failed (limit 1%)")
if rc not in (0,):
    sys.exit(f"load: Locust exited with {rc}")
print("load: OK (failures under 1%)")
PY
exit $rc
