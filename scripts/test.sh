#!/usr/bin/env bash
# `make test`: unit tests under AddressSanitizer, then a whole stack on free ports in a temporary
# state dir, the end-to-end and browser tests against it, and the stack stopped again.
set -uo pipefail
ROOT=$(cd "$(dirname "$0")/.." && pwd)
cd "$ROOT"
PY=/usr/bin/python3 # Debian's: the test libraries are Debian packages

free_port() { "$PY" -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }

# SUITES: the pytest directories to run against the stack (`make hostile` runs tests/hostile
# alone, longer, with STACK_ONLY=1: no unit tests or fuzz replay first).
SUITES=${SUITES:-tests/e2e tests/fault tests/browser tests/hostile}
if [ "${STACK_ONLY:-0}" != 1 ]; then
echo "== unit tests (ASan + UBSan)"
# Criterion runs each test in its own process and does not fail a test on a sanitizer report
# alone, so the output is searched for reports as well.
ASAN_OPTIONS=detect_leaks=1:abort_on_error=1 ./bin/unit-tests --jobs 2 2>&1 | tee "${TMPDIR:-/tmp}/firstcome-unit.log"
unit_rc=${PIPESTATUS[0]}
if [ "$unit_rc" -ne 0 ] || grep -qE 'Sanitizer|runtime error|leaked' "${TMPDIR:-/tmp}/firstcome-unit.log"; then
  echo "unit tests failed (or a sanitizer reported a problem)"; exit 1
fi

echo "== fuzz corpora and kept crashes, each input once (make fuzz runs the fuzzers)"
for bin in bin/fuzz/fuzz_*; do
  t=$(basename "$bin")
  shopt -s nullglob
  inputs=(tests/fuzz/corpus/"$t"/* tests/fuzz/crashes/"$t"-*)
  shopt -u nullglob
  [ ${#inputs[@]} -gt 0 ] || continue
  "$bin" "${inputs[@]}" > "${TMPDIR:-/tmp}/firstcome-fuzz-$t.log" 2>&1 ||
    { echo "fuzz replay of $t failed:"; tail -n 30 "${TMPDIR:-/tmp}/firstcome-fuzz-$t.log"; exit 1; }
  echo "  $t: ${#inputs[@]} inputs"
done
fi

export STATE_DIR=$(mktemp -d /tmp/firstcome-test.XXXXXX)
export HTTP_PORT=$(free_port)
export WEB_WORKERS=${WEB_WORKERS:-4}
# Every test client comes from 127.0.0.1: the per-address limits are raised so that hundreds of
# test users are not throttled as one; per-user and per-email limits stay as in production.
# Argon2id keeps its algorithm but a cheaper cost, so hundreds of test users take seconds.
export LOGIN_LIMIT_PER_CLIENT=1000000 CLAIM_LIMIT_PER_CLIENT=1000000 API_RATE=50000r/s
# The tests check the limits themselves: on, whatever the caller's shell says.
export RATE_LIMITS=on
# Signup and reset limits stay low enough that a test can reach them from an address of its own
# (127.0.0.2 and up) with cheap refused attempts.
export SIGNUP_LIMIT_PER_CLIENT=400 RESET_LIMIT_PER_CLIENT=400
export PASSWORD_HASH_OPS=1 PASSWORD_HASH_MEM_KB=8192
# A live-view stream ends (and its page reconnects) after seconds rather than minutes.
export LIVE_STREAM_SECONDS=10
stop_stack() {
  ./scripts/stack.sh stop >/dev/null 2>&1
  if [ "${KEEP_STATE:-0}" = 1 ]; then echo "state kept in $STATE_DIR"; else rm -rf "$STATE_DIR"; fi
}
trap stop_stack EXIT

echo "== stack on port $HTTP_PORT, state $STATE_DIR"
./scripts/stack.sh start || { tail -n 30 "$STATE_DIR"/logs/*.log; exit 1; }

echo "== end-to-end and browser tests"
# shellcheck disable=SC2086 # SUITES is a list of directories
"$PY" -m pytest -q -p no:cacheprovider $SUITES "$@"
rc=$?
if [ $rc -ne 0 ]; then
  echo "-- last log lines"; tail -n 15 "$STATE_DIR"/logs/web.log "$STATE_DIR"/logs/nginx-error.log 2>/dev/null
fi
exit $rc
