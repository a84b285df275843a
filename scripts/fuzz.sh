#!/usr/bin/env bash
# Builds the fuzz targets with clang (libFuzzer + ASan + UBSan, library
# coverage-instrumented) and runs each for a bounded time from its checked-in
# corpus fuzz/corpus/<target>/. Fails when any target crashes, leaks, times
# out or violates a property; the reproducer is then copied into
# fuzz/corpus/<target>/ (keep it: ctest replays it as a regression test) and
# the log tail is printed.
#
# Environment:
#   USERSTORE_FUZZ_SECONDS    seconds per target (default 60)
#   USERSTORE_FUZZ_TARGETS    space-separated targets (default: every
#                             fuzz/*_fuzzer.cc)
#   USERSTORE_FUZZ_BUILD_DIR  build directory (default build-ci-fuzz)
#   USERSTORE_FUZZ_BUILD_ONLY 1: build the targets and stop (used by
#                             scripts/fuzz-campaign.sh)
#   USERSTORE_FUZZ_WORK_DIR   where new corpus units go (default
#                             <build>/fuzz-work/<target>; never the checked-in
#                             corpus, so a run leaves the tree clean unless it
#                             finds a crash)
# Per-target statistics (runs, exec/s, corpus size) are appended to
# <build>/fuzz-stats.tsv; docs/testing.md records them.
set -euo pipefail
cd "$(dirname "$0")/.."

seconds=${USERSTORE_FUZZ_SECONDS:-60}
build=${USERSTORE_FUZZ_BUILD_DIR:-build-ci-fuzz}
if [[ -n "${USERSTORE_FUZZ_TARGETS:-}" ]]; then
  read -r -a targets <<<"$USERSTORE_FUZZ_TARGETS"
else
  targets=()
  for src in fuzz/*_fuzzer.cc; do targets+=("$(basename "$src" .cc)"); done
fi

echo "=== fuzz: building ${targets[*]} in $build"
cmake -S . -B "$build" -G Ninja -DCMAKE_CXX_COMPILER=clang++ \
  -DCMAKE_BUILD_TYPE=RelWithDebInfo -DUSERSTORE_SANITIZE=address,undefined \
  -DUSERSTORE_BUILD_FUZZERS=ON -DUSERSTORE_FUZZ_ENGINE=libfuzzer \
  -DUSERSTORE_BUILD_TESTS=OFF -DUSERSTORE_BUILD_TOOLS=ON \
  -DUSERSTORE_BUILD_EXAMPLES=OFF >/dev/null
cmake --build "$build" --target "${targets[@]}" -j2
[[ "${USERSTORE_FUZZ_BUILD_ONLY:-0}" == 1 ]] && exit 0

export ASAN_OPTIONS=${ASAN_OPTIONS:-detect_leaks=1:abort_on_error=1}
export UBSAN_OPTIONS=${UBSAN_OPTIONS:-print_stacktrace=1:halt_on_error=1}
stats="$build/fuzz-stats.tsv"
[[ -f "$stats" ]] || printf 'date\ttarget\tseconds\truns\texec_per_s\tcorpus_units\tnew_units\tresult\n' >"$stats"

failed=()
for t in "${targets[@]}"; do
  corpus="fuzz/corpus/$t"
  work="${USERSTORE_FUZZ_WORK_DIR:-$build/fuzz-work}/$t"
  artifacts="$build/fuzz-artifacts/$t"
  log="$build/fuzz-logs/$t.log"
  rm -rf "$artifacts"
  mkdir -p "$corpus" "$work" "$artifacts" "$(dirname "$log")"
  dict=()
  [[ -f "fuzz/$t.dict" ]] && dict=(-dict="fuzz/$t.dict")
  echo "=== fuzz: $t for ${seconds}s"
  result=ok
  # -timeout: one input taking longer is a failure (a hang); -rss_limit_mb:
  # memory per process (ASan's quarantine included).
  if ! "$build/fuzz/$t" -max_total_time="$seconds" -timeout=25 -rss_limit_mb=2560 \
      -print_final_stats=1 -artifact_prefix="$artifacts/" "${dict[@]}" \
      "$work" "$corpus" >"$log" 2>&1; then
    result=FAILED
    failed+=("$t")
    tail -n 60 "$log"
    for a in "$artifacts"/*; do
      [[ -f "$a" ]] || continue
      cp "$a" "$corpus/"
      echo "fuzz: reproducer kept as $corpus/$(basename "$a")"
      echo "      replay: $build/fuzz/$t $corpus/$(basename "$a")"
    done
  fi
  runs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$log")
  eps=$(sed -n 's/^stat::average_exec_per_sec: *//p' "$log")
  added=$(sed -n 's/^stat::new_units_added: *//p' "$log")
  units=$(find "$work" "$corpus" -type f | wc -l)
  printf '%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\n' "$(date -u +%FT%TZ)" "$t" "$seconds" \
    "${runs:-?}" "${eps:-?}" "$units" "${added:-?}" "$result" >>"$stats"
  echo "fuzz: $t $result: ${runs:-?} runs, ${eps:-?} exec/s, $units corpus units"
done

if ((${#failed[@]})); then
  echo "fuzz: FAILED: ${failed[*]} (logs in $build/fuzz-logs/)"
  exit 1
fi
echo "fuzz: all ${#targets[@]} targets ran ${seconds}s each without a failure"
