#!/usr/bin/env bash
# Soak run of the durable-mode crash test: many more SIGKILL cycles than CI's
# 50, in rounds with fresh seeds, stopping at the first failure.
#   tests/crash/soak.sh BUILD_DIR [CYCLES_PER_ROUND] [ROUNDS]
# e.g. tests/crash/soak.sh build 500 4   (2,000 kill cycles)
# Each round prints its seed; rerun one with
#   USERSTORE_CRASH_SEED=<seed> USERSTORE_CRASH_CYCLES=<n> BUILD_DIR/tests/durable_crash_test
# Results of soak runs are recorded in docs/durable.md.
set -euo pipefail
build=${1:?usage: soak.sh BUILD_DIR [CYCLES_PER_ROUND] [ROUNDS]}
cycles=${2:-500}
rounds=${3:-4}
test_bin="$build/tests/durable_crash_test"
[[ -x "$test_bin" ]] || { echo "no $test_bin: build the durable_crash_test target" >&2; exit 2; }
log=$(mktemp)
trap 'rm -f "$log"' EXIT
start=$(date +%s)
for ((r = 1; r <= rounds; r++)); do
  seed=$(( (RANDOM << 16) | RANDOM ))
  echo "=== round $r/$rounds: seed $seed, $cycles cycles"
  status=0
  USERSTORE_CRASH_SEED=$seed USERSTORE_CRASH_CYCLES=$cycles "$test_bin" \
    --gtest_filter=DurableCrash.KillCyclesLoseNoAcknowledgedWrite > "$log" 2>&1 || status=$?
  grep -E "kill cycles|OK \]" "$log" || true
  if ((status != 0)); then
    cat "$log" >&2
    echo "FAILED in round $r (seed $seed)" >&2
    exit 1
  fi
done
echo "soak passed: $((cycles * rounds)) kill cycles in $(( $(date +%s) - start )) s"
