#!/usr/bin/env bash
# `make bench`: HTTP throughput with wrk against a stack of its own (rate limits off), each
# endpoint measured in turns with the /livez ceiling, so that both see the machine at the same
# moments. Results: $STATE_DIR/bench/http.json.
set -euo pipefail
ROOT=$(cd "$(dirname "$0")/.." && pwd)
cd "$ROOT"
PY=/usr/bin/python3
DURATION=${BENCH_DURATION:-10} # one run: checkout
SLICE=${BENCH_SLICE:-3}        # an endpoint beside /livez: ROUNDS turns of SLICE seconds each
ROUNDS=${BENCH_ROUNDS:-4}
CONNECTIONS=${BENCH_CONNECTIONS:-32}
THREADS=${BENCH_THREADS:-2}
TAIL_CONNECTIONS=${BENCH_TAIL_CONNECTIONS:-64 256} # the tail: more connections than slots
TAIL_ROUNDS=${BENCH_TAIL_ROUNDS:-2}

export STATE_DIR=${BENCH_STATE_DIR:-$(mktemp -d /tmp/firstcome-bench.XXXXXX)}
export HTTP_PORT=${HTTP_PORT:-$("$PY" -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')}
export RATE_LIMITS=off LOG_LEVEL=warn
# Bench-only settings: big campaigns so claims stay on their success path, and a cheap Argon2id
# cost so thousands of bench users log in within seconds.
export COUPON_QUANTITY_CAP=100000 PASSWORD_HASH_OPS=1 PASSWORD_HASH_MEM_KB=8192
export WEB_WORKERS=${WEB_WORKERS:-4} # the product's default
trap './scripts/stack.sh stop >/dev/null 2>&1; [ -n "${BENCH_STATE_DIR:-}" ] || rm -rf "$STATE_DIR"' EXIT
./scripts/stack.sh start | grep -E 'running:|started \(' || true
BASE="http://127.0.0.1:$HTTP_PORT"
OUT=$STATE_DIR/bench
mkdir -p "$OUT"

# wrk prints its summary; this Lua adds exact p50/p99 in milliseconds as one parsable line.
cp bench/report.lua "$OUT/report.lua"
run() { # run NAME PATH [LUA] [SECONDS]: one wrk run, its BENCH line saved as NAME
  local name=$1 path=$2 script=$OUT/report.lua
  if [ -n "${3:-}" ]; then # the request script, with the report appended
    cat "$3" "$OUT/report.lua" > "$OUT/$name.lua"
    script=$OUT/$name.lua
  fi
  printf '  %-16s %s ... ' "$name" "$path"
  BENCH_THREADS=$THREADS wrk -t"$THREADS" -c"$CONNECTIONS" -d"${4:-$DURATION}s" --latency \
    -s "$script" "$BASE$path" > "$OUT/$name.txt" 2>&1
  grep '^BENCH' "$OUT/$name.txt" | sed "s/^BENCH/$name/" | tee -a "$OUT/raw.txt" | sed 's/^[^ ]* //'
}

tally() { # tally NAME: "OK NEXT" for NAME's turns so far (NAME@C's too): 2xx summed, the last next=
  awk -v n="$1" '$1 == n || index($1, n "@") == 1 {
                           for (i = 2; i <= NF; i++) { split($i, kv, "="); f[kv[1]] = kv[2] }
                           ok += f["requests"] - f["non2xx"]; last = f["next"] }
                 END { print ok + 0, last + 0 }' "$OUT/raw.txt"
}

# beside NAME PATH [LUA] [AFTER]: NAME and /livez in turns, ROUNDS of each, so that the ratio
# compares the two at the same moments (this machine's speed drifts by a third within minutes).
# AFTER runs after every turn of NAME: whatever it leaves behind is done before /livez runs.
# BENCH_START tells a claim script where the pairs of earlier turns end (their report's next=).
beside() {
  local name=$1 path=$2 lua=${3:-} after=${4:-true} sent=0 k
  for k in $(seq "$ROUNDS"); do
    run "livez@$name" /livez "" "$SLICE"
    BENCH_START=$sent run "$name" "$path" "$lua" "$SLICE"
    sent=$(tally "$name" | cut -d' ' -f2)
    $after
  done
}

# tails NAME PATH [LUA] [AFTER]: the tail at more connections than the web workers have request
# slots (4 x 8): at each of TAIL_CONNECTIONS, TAIL_ROUNDS turns of NAME beside /livez at the same
# connections, saved as NAME@C and livez@NAME@C, for their p99 and p99.9.
tails() {
  local name=$1 path=$2 lua=${3:-} after=${4:-true} c k saved=$CONNECTIONS sent
  for c in $TAIL_CONNECTIONS; do
    CONNECTIONS=$c
    for k in $(seq "$TAIL_ROUNDS"); do
      run "livez@$name@$c" /livez "" "$SLICE"
      sent=$(tally "$name" | cut -d' ' -f2)
      BENCH_START=$sent run "$name@$c" "$path" "$lua" "$SLICE"
      $after
    done
  done
  CONNECTIONS=$saved
}

echo "== wrk: ${THREADS} threads, ${CONNECTIONS} connections, ${WEB_WORKERS} web workers;" \
  "each endpoint in ${ROUNDS} turns of ${SLICE}s with /livez"
: > "$OUT/raw.txt"
curl -fsS "$BASE/api/v1/products" >/dev/null # warm every cache once
restart_web() { # restart_web MODE: the web server again, in that coupon issue mode
  local pid; pid=$(cat "$STATE_DIR/pids/web.pid")
  kill "$pid"; while kill -0 "$pid" 2>/dev/null; do sleep 0.1; done
  COUPON_ISSUE_MODE=$1 ./scripts/stack.sh start >/dev/null
}

written() { # written: waits until the coupon worker has written every claim accepted so far
  local ok
  ok=$(tally claim_kafka | cut -d' ' -f1)
  "$PY" bench/setup.py wait "$STATE_DIR" "$OUT/claim_kafka.claims" "$ok" > "$OUT/catchup.txt"
}

claims() { # claims NAME [AFTER]: the claim endpoint on its success path, beside /livez, and its tail
  echo "  (preparing $1: campaigns, users, logins)"
  "$PY" bench/setup.py "$STATE_DIR" "$BASE" "$OUT/$1.claims" 500 2000 100000 | sed 's/^/  /'
  export BENCH_CLAIMS=$OUT/$1.claims
  beside "$1" "/api/v1/coupons/claim" bench/claim.lua "${2:-true}"
  tails "$1" "/api/v1/coupons/claim" bench/claim.lua "${2:-true}"
}

beside products "/api/v1/products"
tails products "/api/v1/products"
claims claim_sync
restart_web kafka
# Every turn of kafka-mode claims waits for the coupon worker to write what it accepted before
# /livez runs again, so the durable write is never counted as the ceiling's load.
claims claim_kafka written
sed 's/^ */  /; s/after the kafka run ended/after the last turn of kafka-mode claims ended/' \
  "$OUT/catchup.txt"
restart_web sync
echo "== the concurrency lab: every strategy on its own campaign, in this run"
./bin/firstcome bench strategies | sed 's/^/  /' # writes $OUT/strategies.json
# A waiting room under a burst, smaller than docs/benchmarks.md's 100,000 (writes $OUT/room.json).
./bin/firstcome bench room --people "${BENCH_ROOM_PEOPLE:-10000}" --rate "${BENCH_ROOM_RATE:-1000}" |
  sed 's/^/  /'
echo "== HTTP, continued"
echo "  (preparing checkout: products, buyers, logins)"
"$PY" bench/setup.py checkout "$STATE_DIR" "$BASE" "$OUT/checkout.claims" | sed 's/^/  /'
# One connection per wrk thread: each connection alternates order and payment.
THREADS_SAVED=$THREADS
THREADS=$CONNECTIONS
export BENCH_CLAIMS=$OUT/checkout.claims
run checkout "/api/v1/orders" bench/checkout.lua
for c in $TAIL_CONNECTIONS; do # its tail: one turn per count, as long as one run, with /livez's
  THREADS=$THREADS_SAVED CONNECTIONS=$c run "livez@checkout@$c" /livez "" "$SLICE"
  THREADS=$c CONNECTIONS=$c run "checkout@$c" "/api/v1/orders" bench/checkout.lua "$SLICE"
done
THREADS=$THREADS_SAVED

"$PY" bench/summary.py "$OUT"
# The charts and the HTML report, beside the results.
if [ -f bench/report.py ]; then
  "$PY" bench/report.py "$ROOT/bench/results" | sed 's/^/  /'
fi
