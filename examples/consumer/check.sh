#!/usr/bin/env bash
# Builds and runs examples/consumer against installed userstore packages, a
# static one and a shared one (scripts/test.sh calls this after its gcc
# suite):
#
#   bash examples/consumer/check.sh STATIC_BUILD_DIR SHARED_BUILD_DIR
#
# STATIC_BUILD_DIR: an existing, built, static build tree (the gcc suite's).
# SHARED_BUILD_DIR: configured and built here: the library alone, with
#   -DBUILD_SHARED_LIBS=ON.
# Each is installed with `cmake --install --prefix` into a temporary prefix,
# and then:
#   1. CMake: find_package(userstore CONFIG) builds the consumer; it runs;
#   2. pkg-config: main.cc is compiled with `pkg-config --cflags --libs
#      userstore` (--static for the static library); it runs;
#   3. shared only: every strong symbol the .so exports is public API
#      (userstore::..., never userstore::internal::...), and the consumer
#      loads the installed .so;
#   4. when the build tree has the `userstore` program (the gcc suite's
#      does), the prefix has bin/userstore and it runs (--version); when it
#      has not (the shared build here), no bin/userstore is installed.
# Then the consumer is built once more with userstore as a subdirectory
# (add_subdirectory of this checkout): only the library is built (no tools,
# tests, examples or install rules), and none of userstore's warning flags
# reach the consumer's own compile command.
set -euo pipefail
cd "$(dirname "$0")/../.."
static_build=${1:?usage: check.sh STATIC_BUILD_DIR SHARED_BUILD_DIR}
shared_build=${2:?usage: check.sh STATIC_BUILD_DIR SHARED_BUILD_DIR}
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

cmake -S . -B "$shared_build" -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo \
  -DBUILD_SHARED_LIBS=ON -DUSERSTORE_BUILD_TOOLS=OFF -DUSERSTORE_BUILD_TESTS=OFF \
  -DUSERSTORE_BUILD_EXAMPLES=OFF >/dev/null
cmake --build "$shared_build" --target userstore -j2

check() {  # kind build_dir
  local kind=$1 build=$2
  local prefix=$work/$kind
  echo "--- $kind library: install to a temporary prefix"
  cmake --install "$build" --prefix "$prefix" >/dev/null
  local pc
  pc=$(find "$prefix" -name userstore.pc)
  local libdir
  libdir=$(realpath "$(PKG_CONFIG_PATH=$(dirname "$pc") pkg-config --variable=libdir userstore)")

  # The program is installed with the library when the tree built it.
  if [[ -x $build/tools/userstore ]]; then
    echo "--- $kind build: bin/userstore installed, and it runs"
    [[ -x $prefix/bin/userstore ]] || { echo "cmake --install did not install bin/userstore"; exit 1; }
    local version
    version=$("$prefix/bin/userstore" --version)
    [[ $version == "$("$build/tools/userstore" --version)" && $version == "userstore "* ]] || {
      echo "installed bin/userstore --version printed '$version'"; exit 1; }
  elif [[ -e $prefix/bin/userstore ]]; then
    echo "bin/userstore installed from a build without the tools"; exit 1
  fi

  echo "--- $kind library: find_package(userstore CONFIG)"
  cmake -S examples/consumer -B "$work/$kind-cmake" -G Ninja \
    -DCMAKE_PREFIX_PATH="$prefix" >/dev/null
  cmake --build "$work/$kind-cmake"
  "$work/$kind-cmake/consumer"

  echo "--- $kind library: pkg-config"
  local static_flag=""
  [[ $kind == static ]] && static_flag=--static
  # shellcheck disable=SC2046  # the flags are words
  g++ -std=c++20 -o "$work/$kind-pc" examples/consumer/main.cc \
    $(PKG_CONFIG_PATH=$(dirname "$pc") pkg-config --cflags --libs $static_flag userstore)
  LD_LIBRARY_PATH=$libdir "$work/$kind-pc" >/dev/null

  if [[ $kind == shared ]]; then
    echo "--- shared library: exported symbols"
    local so=$libdir/libuserstore.so
    # The output is taken whole before grep reads it: `ldd | grep -q` under
    # pipefail fails at random when grep exits first and ldd gets SIGPIPE.
    local loaded
    loaded=$(ldd "$work/$kind-cmake/consumer")
    grep -q "libuserstore.so.* => $libdir/" <<<"$loaded" || {
      echo "the consumer does not load $so:"; echo "$loaded"; exit 1; }
    # Strong (T, D, B, R) dynamic symbols: names only.
    local exported
    exported=$(nm -D --defined-only -C "$so" | awk '$2 ~ /^[TDBR]$/ { $1 = ""; $2 = ""; print substr($0, 3) }')
    local bad
    bad=$(grep -v '^userstore::' <<<"$exported" | grep -v '^_init$\|^_fini$' || true)
    bad+=$(grep '^userstore::internal::' <<<"$exported" || true)
    if [[ -n $bad ]]; then
      echo "libuserstore.so exports symbols outside the public API:"
      echo "$bad"
      exit 1
    fi
    grep -q '^userstore::Store::Create(' <<<"$exported" || {
      echo "libuserstore.so does not export userstore::Store::Create"; exit 1; }
    echo "$(wc -l <<<"$exported") strong symbols exported, all userstore:: public API"
  fi
}

check static "$static_build"
check shared "$shared_build"

echo "--- add_subdirectory(userstore)"
sub=$work/subdirectory
cmake -S examples/consumer -B "$sub" -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo \
  -DUSERSTORE_SOURCE_DIR="$PWD" >/dev/null
sub_targets=$(ninja -C "$sub" -t targets all)
for target in userstore_cli userstore_http_server userstore_header_check; do
  if grep -q "^$target:" <<<"$sub_targets"; then
    echo "add_subdirectory built $target: only the library should be on by default"; exit 1
  fi
done
main_compile=$(ninja -C "$sub" -t commands consumer | grep 'main\.cc')
if grep -q -- '-Wconversion\|-Werror\|-Wshadow' <<<"$main_compile"; then
  echo "userstore's warning flags leak into the consumer's compile command"; exit 1
fi
cmake --build "$sub" --target consumer -j2
"$sub/consumer" >/dev/null
echo "consumer: static and shared packages, and add_subdirectory, passed"
