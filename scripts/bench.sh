#!/usr/bin/env bash
# `make bench`: HTTP throughput with wrk against a stack of its own (rate limits off), each
# endpoint measured in turns with the /livez ceiling, so that both see the machine at the same
# moments, with the CPU time each process of the stack spent per request (bench/cpu.py). Then the
# scale section (BENCH_SCALE=off skips it): claims on this one-host stack and on a second one with
# two web hosts, a Redis Cluster of three masters and three brokers, in alternating turns.
# Results: $STATE_DIR/bench/http.json.
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
free_port() { "$PY" -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }
export HTTP_PORT=${HTTP_PORT:-$(free_port)}
export RATE_LIMITS=off LOG_LEVEL=warn
# Bench-only settings: big campaigns so claims stay on their success path, and a cheap Argon2id
# cost so thousands of bench users log in within seconds.
export COUPON_QUANTITY_CAP=100000 PASSWORD_HASH_OPS=1 PASSWORD_HASH_MEM_KB=8192
export WEB_WORKERS=${WEB_WORKERS:-4} # the product's default
SCALE_DIR="" # the scale section's stack, while it runs
finish() {
  ./scripts/stack.sh stop >/dev/null 2>&1
  [ -z "$SCALE_DIR" ] || { STATE_DIR=$SCALE_DIR ./scripts/stack.sh stop >/dev/null 2>&1; rm -rf "$SCALE_DIR"; }
  [ -n "${BENCH_STATE_DIR:-}" ] || rm -rf "$STATE_DIR"
}
trap finish EXIT
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

tally() { # tally NAME...: "OK NEXT" for those names' turns so far (NAME@C's too): 2xx summed, the last next=
  awk -v names="$*" 'BEGIN { split(names, ns, " ") }
                 { hit = 0; for (j in ns) if ($1 == ns[j] || index($1, ns[j] "@") == 1) hit = 1 }
                 hit { for (i = 2; i <= NF; i++) { split($i, kv, "="); f[kv[1]] = kv[2] }
                       ok += f["requests"] - f["non2xx"]; last = f["next"] }
                 END { print ok + 0, last + 0 }' "$OUT/raw.txt"
}

# The CPU the stack under STATE_DIR spends in a window, by process (bench/cpu.py): cpu_begin, then
# cpu_end NAME [--settle] adds NAME's line to cpu.txt (--settle: once the background is quiet).
cpu_begin() { "$PY" bench/cpu.py snap "$STATE_DIR" "$OUT/cpu.snap"; }
cpu_end() { "$PY" bench/cpu.py since "$STATE_DIR" "$OUT/cpu.snap" "$@" >> "$OUT/cpu.txt"; }
idle() { # idle NAME: what the stack spends doing nothing, subtracted from every window's
  cpu_begin; sleep 3; cpu_end "$1"
}

# beside NAME PATH [LUA] [AFTER]: NAME and /livez in turns, ROUNDS of each, so that the ratio
# compares the two at the same moments (this machine's speed drifts by a third within minutes).
# AFTER runs after every turn of NAME: whatever it leaves behind is done before /livez runs.
# BENCH_START tells a claim script where the pairs of earlier turns end (their report's next=).
beside() {
  local name=$1 path=$2 lua=${3:-} after=${4:-true} sent=0 k
  for k in $(seq "$ROUNDS"); do
    cpu_begin
    run "livez@$name" /livez "" "$SLICE"
    cpu_end "livez@$name"
    cpu_begin
    BENCH_START=$sent run "$name" "$path" "$lua" "$SLICE"
    sent=$(tally "$name" | cut -d' ' -f2)
    $after
    cpu_end "$name" --settle
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
: > "$OUT/cpu.txt"
curl -fsS "$BASE/api/v1/products" >/dev/null # warm every cache once
idle idle
restart_web() { # restart_web MODE: the stack's web hosts again, in that coupon issue mode
  local f pid
  for f in "$STATE_DIR"/pids/web.pid "$STATE_DIR"/pids/web-*.pid; do
    [ -s "$f" ] || continue
    pid=$(cat "$f")
    kill "$pid"; while kill -0 "$pid" 2>/dev/null; do sleep 0.1; done
  done
  COUPON_ISSUE_MODE=$1 ./scripts/stack.sh start >/dev/null
}

# written [LAYOUT]: waits until the coupon worker has written every claim accepted so far: the
# kafka-mode claims', or a scale layout's claims in both modes (its own campaigns).
written() {
  local ok file=$OUT/claim_kafka.claims
  if [ -n "${1:-}" ]; then
    ok=$(tally "$1:claim_sync" "$1:claim_kafka" | cut -d' ' -f1)
    file=$OUT/$1.claims
  else
    ok=$(tally claim_kafka | cut -d' ' -f1)
  fi
  "$PY" bench/setup.py wait "$STATE_DIR" "$file" "$ok" > "$OUT/catchup.txt"
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
cpu_begin
run checkout "/api/v1/orders" bench/checkout.lua
cpu_end checkout --settle # the paid orders' shipments and notifications too
for c in $TAIL_CONNECTIONS; do # its tail: one turn per count, as long as one run, with /livez's
  THREADS=$THREADS_SAVED CONNECTIONS=$c run "livez@checkout@$c" /livez "" "$SLICE"
  THREADS=$c CONNECTIONS=$c run "checkout@$c" "/api/v1/orders" bench/checkout.lua "$SLICE"
done
THREADS=$THREADS_SAVED

# ---- the scale section ----
# Claims on this stack ("one": one web host, one Redis, one broker) and on a second stack
# ("cluster": WEB_HOSTS=2, REDIS_CLUSTER=3, KAFKA_BROKER_COUNT=3, WORKER_PROCESSES=2) in
# alternating turns, each beside its own /livez, so that both layouts see the same moments. On two
# cores the second stack cannot be faster: it shows that claims stay correct across hosts, masters
# and brokers, and what the routing costs per claim. Turns are saved as LAYOUT:livez_MODE and
# LAYOUT:claim_MODE; each layout's coupons are checked against what nginx answered afterwards.
SCALE_ROUNDS=${BENCH_SCALE_ROUNDS:-3}
declare -A LAYOUT_DIR LAYOUT_PORT
declare -A LAYOUT_ENV=([one]="" [cluster]="WEB_HOSTS=2 REDIS_CLUSTER=3 KAFKA_BROKER_COUNT=3 WORKER_PROCESSES=2")

layout() { # layout NAME COMMAND...: COMMAND (a function too) against that layout's stack
  local name=$1; shift
  ( # shellcheck disable=SC2086,SC2030 # LAYOUT_ENV is a list of settings; the subshell is the point
    export STATE_DIR=${LAYOUT_DIR[$name]} HTTP_PORT=${LAYOUT_PORT[$name]} ${LAYOUT_ENV[$name]}
    BASE=http://127.0.0.1:$HTTP_PORT
    "$@" )
}

scale_turns() { # scale_turns MODE [AFTER]: SCALE_ROUNDS rounds, each a turn of both layouts
  local mode=$1 after=${2:-} l sent
  for _ in $(seq "$SCALE_ROUNDS"); do
    for l in one cluster; do
      layout "$l" cpu_begin
      layout "$l" run "$l:livez_$mode" /livez "" "$SLICE"
      layout "$l" cpu_end "$l:livez_$mode"
      sent=$(tally "$l:claim_sync" "$l:claim_kafka" | cut -d' ' -f2)
      layout "$l" cpu_begin
      BENCH_CLAIMS=$OUT/$l.claims BENCH_START=$sent layout "$l" run "$l:claim_$mode" \
        /api/v1/coupons/claim bench/claim.lua "$SLICE"
      [ -z "$after" ] || layout "$l" "$after" "$l"
      layout "$l" cpu_end "$l:claim_$mode" --settle
    done
  done
}

scale_section() {
  local l
  SCALE_DIR=$(mktemp -d /tmp/firstcome-bench-scale.XXXXXX)
  # shellcheck disable=SC2031 # this stack's own, which layout() changes only in its subshells
  LAYOUT_DIR=([one]=$STATE_DIR [cluster]=$SCALE_DIR)
  # shellcheck disable=SC2031
  LAYOUT_PORT=([one]=$HTTP_PORT [cluster]=$(free_port))
  echo "== scale: one web host and one Redis beside two web hosts, a Redis Cluster of three masters" \
    "and three brokers, claims in ${SCALE_ROUNDS} turns of ${SLICE}s each"
  layout cluster ./scripts/stack.sh start | grep -E 'cluster of|started \(' | sed 's/^/  /' || true
  for l in one cluster; do
    echo "  (preparing $l: campaigns, users, logins)"
    layout "$l" idle "$l:idle"
    layout "$l" "$PY" bench/setup.py "${LAYOUT_DIR[$l]}" "http://127.0.0.1:${LAYOUT_PORT[$l]}" "$OUT/$l.claims" \
      400 1000 100000 |
      sed 's/^/  /'
  done
  scale_turns sync
  layout one restart_web kafka
  layout cluster restart_web kafka
  scale_turns kafka written
  for l in one cluster; do # every coupon issued once, none beyond a quantity, as nginx answered
    layout "$l" "$PY" bench/setup.py check "${LAYOUT_DIR[$l]}" "$OUT/$l.claims" "$OUT/$l.check.json" |
      sed "s/^/  $l: /"
  done
  STATE_DIR=$SCALE_DIR ./scripts/stack.sh stop >/dev/null 2>&1
  rm -rf "$SCALE_DIR"
  SCALE_DIR=""
}

case "${BENCH_SCALE:-on}" in off|0|false) ;; *) scale_section ;; esac

"$PY" bench/summary.py "$OUT"
# The charts and the HTML report, beside the results.
if [ -f bench/report.py ]; then
  "$PY" bench/report.py "${BENCH_RESULTS:-$ROOT/bench/results}" | sed 's/^/  /'
fi
