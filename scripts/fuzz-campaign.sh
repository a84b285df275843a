#!/usr/bin/env bash
# A long fuzzing campaign: fuzzes every target until it has accumulated a goal
# of CPU seconds (user + system time, measured with /usr/bin/time), one
# target per lane (core), in chunks, at nice 10. A ledger keeps the CPU time
# across runs, so the campaign can be stopped and resumed:
#   touch <build>/fuzz-campaign.stop   # lanes stop after their current chunk
# Same build, corpora and failure handling as scripts/fuzz.sh (reproducers are
# copied into fuzz/corpus/<target>/); docs/testing.md records the figures.
#
# Environment:
#   USERSTORE_FUZZ_GOAL        CPU seconds per target (default 3600)
#   USERSTORE_FUZZ_LANES       parallel lanes (default: the number of cores)
#   USERSTORE_FUZZ_CHUNK       wall seconds per chunk (default 600)
#   USERSTORE_FUZZ_BUILD_DIR   build directory (default build-ci-fuzz)
# Ledger: <build>/fuzz-campaign.tsv (start, target, wall s, CPU s, runs,
# exec/s, exit status, commit), one line per chunk.
set -euo pipefail
cd "$(dirname "$0")/.."

goal=${USERSTORE_FUZZ_GOAL:-3600}
lanes=${USERSTORE_FUZZ_LANES:-$(nproc)}
chunk=${USERSTORE_FUZZ_CHUNK:-600}
build=${USERSTORE_FUZZ_BUILD_DIR:-build-ci-fuzz}
export USERSTORE_FUZZ_BUILD_DIR=$build
# Every target: an inherited USERSTORE_FUZZ_TARGETS would leave some unbuilt.
env -u USERSTORE_FUZZ_TARGETS USERSTORE_FUZZ_BUILD_ONLY=1 bash scripts/fuzz.sh
rev=$(git rev-parse --short HEAD)  # what the binaries were built from
export ASAN_OPTIONS=${ASAN_OPTIONS:-detect_leaks=1:abort_on_error=1}
export UBSAN_OPTIONS=${UBSAN_OPTIONS:-print_stacktrace=1:halt_on_error=1}

ledger="$build/fuzz-campaign.tsv"
stop="$build/fuzz-campaign.stop"
locks="$build/fuzz-campaign.locks"
rm -f "$stop"
rm -rf "$locks"  # one campaign per build directory: old locks are stale
mkdir -p "$locks"
touch "$ledger"
targets=()
for src in fuzz/*_fuzzer.cc; do targets+=("$(basename "$src" .cc)"); done

cpu_done() { awk -v t="$1" -F'\t' '$2 == t { s += $4 } END { printf "%d", s }' "$ledger"; }

lane() {
  while [[ ! -f "$stop" ]]; do
    local pick="" most=0 t owed
    for t in "${targets[@]}"; do  # the target owed the most, not in another lane
      [[ -d "$locks/$t" ]] && continue
      owed=$((goal - $(cpu_done "$t")))
      ((owed > most)) && { most=$owed; pick=$t; }
    done
    [[ -z "$pick" ]] && return 0
    mkdir "$locks/$pick" 2>/dev/null || { sleep 1; continue; }
    t=$pick
    local seconds=$((most < chunk ? most + 10 : chunk))
    local work="$build/fuzz-work/$t" artifacts="$build/fuzz-artifacts/$t"
    local log="$build/fuzz-logs/$t.campaign.$BASHPID.log" timing="$locks/$t.time"
    mkdir -p "$work" "$artifacts" "$(dirname "$log")"
    local dict=()
    [[ -f "fuzz/$t.dict" ]] && dict=(-dict="fuzz/$t.dict")
    local start rc=0
    start=$(date -u +%FT%TZ)
    rm -rf "$artifacts" && mkdir -p "$artifacts"  # only this chunk's findings
    nice -n 10 /usr/bin/time -f "%e %U %S" -o "$timing" "$build/fuzz/$t" \
      -max_total_time="$seconds" -timeout=25 -rss_limit_mb=2560 -print_final_stats=1 \
      -artifact_prefix="$artifacts/" "${dict[@]}" "$work" "fuzz/corpus/$t" >"$log" 2>&1 || rc=$?
    local wall user sys
    read -r wall user sys < <(tail -n 1 "$timing")
    rm -f "$timing"
    printf '%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\n' "$start" "$t" "$wall" \
      "$(awk -v u="$user" -v s="$sys" 'BEGIN { printf "%.1f", u + s }')" \
      "$(sed -n 's/^stat::number_of_executed_units: *//p' "$log")" \
      "$(sed -n 's/^stat::average_exec_per_sec: *//p' "$log")" "$rc" "$rev" >>"$ledger"
    rmdir "$locks/$t"
    if ((rc != 0)); then
      touch "$stop"
      tail -n 60 "$log"
      for a in "$artifacts"/*; do
        [[ -f "$a" ]] && cp "$a" "fuzz/corpus/$t/" && echo "fuzz: reproducer kept as fuzz/corpus/$t/$(basename "$a")"
      done
      echo "fuzz: $t FAILED (log: $log)"
      return 1
    fi
    rm -f "$log"
  done
}

pids=()
for ((i = 0; i < lanes; i++)); do lane & pids+=($!); sleep 1; done
status=0
for p in "${pids[@]}"; do wait "$p" || status=1; done
for t in "${targets[@]}"; do
  echo "fuzz: $t: $(cpu_done "$t") of $goal CPU seconds (ledger $ledger)"
  (($(cpu_done "$t") >= goal)) || status=1  # stopped early: not done
done
exit $status
