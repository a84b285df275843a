#!/usr/bin/env bash
# Installs userstore's build and test dependencies from Debian 12's packages.
# Run as root (as on CI). Installs only what is missing; safe to re-run.
set -euo pipefail

packages=(
  cmake ninja-build g++ clang-14 clang-format-14 libclang-rt-14-dev llvm-14 python3
  libabsl-dev libsimdjson-dev libssl-dev libpq-dev
  libboost1.81-dev libboost-url1.81-dev libboost-json1.81-dev
  libgtest-dev libgmock-dev libbenchmark-dev libsqlite3-dev librocksdb-dev
  libcpp-httplib-dev python3-twilio pkg-config
)
missing=()
for p in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if ((${#missing[@]})); then
  echo "installing: ${missing[*]}"
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq
  apt-get install -y -qq --no-install-recommends "${missing[@]}"
fi
# clang++ for the sanitizer and fuzzer builds.
command -v clang++ >/dev/null || ln -sf /usr/bin/clang++-14 /usr/local/bin/clang++
