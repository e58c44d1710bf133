#!/usr/bin/env bash
# `make fuzz`: each libFuzzer target in tests/fuzz/ for FUZZ_SECONDS (60) under AddressSanitizer
# and UBSan, starting from its committed corpus (tests/fuzz/corpus/<target>/) and what earlier
# runs found (.fuzz/<target>/, not committed). A crash is kept as
# tests/fuzz/crashes/<target>-crash-<sha1> (commit it with its fix: `make test` replays it). A
# target with a dictionary (tests/fuzz/<target>.dict: the keys and tokens its input is made of)
# is given it. FUZZ_TARGETS="fuzz_a fuzz_b" runs only those (`make fuzz FUZZ_TARGETS=...`).
set -uo pipefail
ROOT=$(cd "$(dirname "$0")/.." && pwd)
cd "$ROOT"
SECONDS_EACH=${FUZZ_SECONDS:-60}
rc=0
targets=${FUZZ_TARGETS:-$(cd bin/fuzz && echo fuzz_*)}
for t in $targets; do
  bin=bin/fuzz/$t
  mkdir -p ".fuzz/$t"
  dict=()
  [ -f "tests/fuzz/$t.dict" ] && dict=(-dict="tests/fuzz/$t.dict")
  echo "== $t: ${SECONDS_EACH}s"
  "$bin" -max_total_time="$SECONDS_EACH" -print_final_stats=1 -artifact_prefix="tests/fuzz/crashes/$t-" \
    "${dict[@]}" ".fuzz/$t" "tests/fuzz/corpus/$t" > ".fuzz/$t.log" 2>&1 || rc=1
  grep -E '^stat::number_of_executed_units|^stat::average_exec_per_sec|^stat::new_units_added|ERROR|SUMMARY' \
    ".fuzz/$t.log" | sed 's/^/  /'
done
ls tests/fuzz/crashes/ | grep -v '^\.keep$' | sed 's/^/  kept: /'
exit $rc
