#!/usr/bin/env bash
# Installs dependencies, builds and runs every test suite:
#   1. g++ build: unit, conformance, CLI tests (and fuzz-corpus replays), the
#      Python tests of examples/http_server with Twilio's client library;
#      then examples/consumer against the installed package, static and shared;
#   2. clang ASan+UBSan build of the same tests;
#   3. clang TSan build of the same tests (concurrency tests included);
#   4. every fuzzer for USERSTORE_FUZZ_SECONDS (default 60) from its corpus.
# Conformance data (JSONTestSuite, Twilio fixtures) is used when ../shared
# exists beside the checkout, or wherever the USERSTORE_*_DIR variables point.
# The shared-mode tests run against a PostgreSQL 15 cluster that this script
# starts (scripts/postgres.sh; left running afterwards, `scripts/postgres.sh
# stop` removes it).
# Set USERSTORE_QUICK=1 to run only step 1.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/install-deps.sh

shared=$(cd .. && pwd)/shared/conformance
if [[ -z "${USERSTORE_JSONTESTSUITE_DIR:-}" && -d "$shared/JSONTestSuite/test_parsing" ]]; then
  export USERSTORE_JSONTESTSUITE_DIR="$shared/JSONTestSuite/test_parsing"
fi
if [[ -z "${USERSTORE_TWILIO_FIXTURES_DIR:-}" && -d "$shared/twilio-fixtures" ]]; then
  export USERSTORE_TWILIO_FIXTURES_DIR="$shared/twilio-fixtures"
fi

# PostgreSQL for the shared-mode tests (issue 16): a throwaway cluster
# started by the project's own script (installs postgresql-15 when missing);
# tests that need it read USERSTORE_PG_CONNINFO. USERSTORE_PG_CONNINFO set by
# the caller (another server) is used as it is.
if [[ -z "${USERSTORE_PG_CONNINFO:-}" ]]; then
  USERSTORE_PG_CONNINFO=$(bash scripts/postgres.sh start | tail -n 1)
  export USERSTORE_PG_CONNINFO
fi
echo "PostgreSQL: $USERSTORE_PG_CONNINFO"
# kill -9 cycles of the crash soak (tests/postgres/crash_soak.cc): 20 in the
# g++ suite, 3 under the sanitizers (each cycle is a crash recovery, ~3 s).
export USERSTORE_PG_CRASH_CYCLES=20

passed=0
run_suite() {  # name, extra cmake args...
  local name=$1; shift
  echo "=== $name"
  cmake -S . -B "build-ci-$name" -G Ninja -DUSERSTORE_BUILD_TESTS=ON -DUSERSTORE_WERROR=ON "$@" >/dev/null
  cmake --build "build-ci-$name" -j2
  (cd "build-ci-$name" && ctest --output-on-failure -j2 --timeout 600) | tee "build-ci-$name.log"
  local n
  n=$(sed -n 's/.*tests passed, 0 tests failed out of \([0-9]*\).*/\1/p' "build-ci-$name.log")
  passed=$((passed + ${n:-0}))
}

run_suite gcc -DCMAKE_BUILD_TYPE=RelWithDebInfo -DCMAKE_CXX_COMPILER=g++ \
  -DUSERSTORE_BUILD_BENCHMARKS=ON -DUSERSTORE_BUILD_FUZZERS=ON
# Packaging: install the gcc build (static) and a shared build to temporary
# prefixes; build and run examples/consumer against each.
echo "=== package"
bash examples/consumer/check.sh build-ci-gcc build-ci-shared
if [[ "${USERSTORE_QUICK:-0}" != 1 ]]; then
  export USERSTORE_PG_CRASH_CYCLES=3
  export UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1
  export ASAN_OPTIONS=detect_leaks=1:abort_on_error=1
  run_suite asan -DCMAKE_BUILD_TYPE=RelWithDebInfo -DCMAKE_CXX_COMPILER=clang++ \
    -DUSERSTORE_SANITIZE=address,undefined
  export TSAN_OPTIONS="halt_on_error=1:second_deadlock_stack=1:suppressions=$PWD/tests/tsan-suppressions.txt"
  run_suite tsan -DCMAKE_BUILD_TYPE=RelWithDebInfo -DCMAKE_CXX_COMPILER=clang++ \
    -DUSERSTORE_SANITIZE=thread
fi
if [[ "${USERSTORE_QUICK:-0}" != 1 ]]; then
  # Every fuzzer for a bounded time from its corpus (libFuzzer, ASan+UBSan).
  USERSTORE_FUZZ_SECONDS=${USERSTORE_FUZZ_SECONDS:-60} bash scripts/fuzz.sh
fi
echo "all suites passed"
echo "tests: ${passed} passed, 0 failed"
