#!/usr/bin/env bash
# Line and branch coverage of src/ from the unit tests plus the fuzz corpora,
# with clang source-based coverage (-fprofile-instr-generate
# -fcoverage-mapping) and llvm-profdata / llvm-cov (LLVM 14 on Debian).
#
# Builds every test and every fuzz target (replay engine: each runs its
# checked-in corpus fuzz/corpus/<target>/ through ctest) without sanitizers,
# runs ctest with one raw profile per process, merges them, and prints
# llvm-cov's per-file report for src/ (regions, functions, lines, branches).
# Outputs in <build>/coverage/: report.txt, summary.txt (the TOTAL line),
# html/ (annotated sources, branch counts shown), merged.profdata.
#
# Environment:
#   USERSTORE_COVERAGE_BUILD_DIR  build directory (default build-coverage)
#   USERSTORE_COVERAGE_TESTS      ctest -R regex to run a subset (default all)
#   USERSTORE_COVERAGE_EXTRA_CORPUS  a directory with <target>/ corpora to replay
#                                 as well (default build-ci-fuzz/fuzz-work, the
#                                 corpus scripts/fuzz.sh accumulates; "" for
#                                 none)
#   LLVM_SUFFIX                   tool suffix (default -14: llvm-cov-14)
set -euo pipefail
cd "$(dirname "$0")/.."
root=$(pwd)
build=${USERSTORE_COVERAGE_BUILD_DIR:-build-coverage}
suffix=${LLVM_SUFFIX--14}
profdata=llvm-profdata$suffix
cov=llvm-cov$suffix
out="$build/coverage"

shared=$(cd .. && pwd)/shared/conformance
if [[ -z "${USERSTORE_JSONTESTSUITE_DIR:-}" && -d "$shared/JSONTestSuite/test_parsing" ]]; then
  export USERSTORE_JSONTESTSUITE_DIR="$shared/JSONTestSuite/test_parsing"
fi
if [[ -z "${USERSTORE_TWILIO_FIXTURES_DIR:-}" && -d "$shared/twilio-fixtures" ]]; then
  export USERSTORE_TWILIO_FIXTURES_DIR="$shared/twilio-fixtures"
fi

flags="-fprofile-instr-generate -fcoverage-mapping"
echo "=== coverage: building in $build"
cmake -S . -B "$build" -G Ninja -DCMAKE_CXX_COMPILER=clang++ \
  -DCMAKE_BUILD_TYPE=Debug -DCMAKE_CXX_FLAGS="$flags" \
  -DCMAKE_EXE_LINKER_FLAGS="-fprofile-instr-generate" \
  -DUSERSTORE_SANITIZE= -DUSERSTORE_BUILD_TESTS=ON -DUSERSTORE_BUILD_FUZZERS=ON \
  -DUSERSTORE_FUZZ_ENGINE=replay -DUSERSTORE_BUILD_TOOLS=ON \
  -DUSERSTORE_BUILD_EXAMPLES=OFF >/dev/null
cmake --build "$build" -j2

rm -rf "$out"
mkdir -p "$out/profiles"
echo "=== coverage: running ctest"
ctest_args=(--output-on-failure -j2 --timeout 900)
[[ -n "${USERSTORE_COVERAGE_TESTS:-}" ]] && ctest_args+=(-R "$USERSTORE_COVERAGE_TESTS")
# %4m: per binary, a pool of 4 raw profiles merged online by the runtime
# (gtest_discover_tests runs every test case in a process of its own).
status=0
(cd "$build" && LLVM_PROFILE_FILE="$root/$out/profiles/%4m.profraw" \
  ctest "${ctest_args[@]}") || status=$?
if ((status != 0)); then
  echo "coverage: some tests failed (exit $status); the figures still count what ran"
fi

extra=${USERSTORE_COVERAGE_EXTRA_CORPUS-build-ci-fuzz/fuzz-work}
if [[ -n "$extra" && -d "$extra" ]]; then
  for bin in "$build"/fuzz/*_fuzzer; do
    t=$(basename "$bin")
    [[ -d "$extra/$t" ]] || continue
    echo "=== coverage: replaying $extra/$t ($(find "$extra/$t" -type f | wc -l) units)"
    LLVM_PROFILE_FILE="$root/$out/profiles/%4m.profraw" "$bin" "$extra/$t" 2>/dev/null \
      || echo "coverage: a unit of $extra/$t failed (replay it with $bin)"
  done
fi

"$profdata" merge -sparse "$out"/profiles/*.profraw -o "$out/merged.profdata"
objects=()
for bin in "$build"/tests/*_test "$build"/fuzz/*_fuzzer; do
  [[ -x "$bin" ]] || continue
  if ((${#objects[@]})); then objects+=(-object "$bin"); else objects+=("$bin"); fi
done
# Only the library's sources: src/ (not tests, fuzz, headers of dependencies).
ignore='^(/usr/|.*/(tests|fuzz|tools|examples|include|build[^/]*)/)'
"$cov" report "${objects[@]}" -instr-profile="$out/merged.profdata" \
  -ignore-filename-regex="$ignore" -show-branch-summary -show-region-summary=false \
  >"$out/report.txt"
"$cov" show "${objects[@]}" -instr-profile="$out/merged.profdata" \
  -ignore-filename-regex="$ignore" -show-branches=count -format=html \
  -output-dir="$out/html" >/dev/null
grep '^TOTAL' "$out/report.txt" >"$out/summary.txt"
cat "$out/report.txt"
echo
echo "coverage: report in $out/report.txt, annotated sources in $out/html/index.html"
exit $status
