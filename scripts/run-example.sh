#!/usr/bin/env bash
# The main job: install dependencies, build userstore, and replay every
# request of Twilio's User resource page (examples/twilio-docs.http).
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/install-deps.sh
cmake -S . -B build -G Ninja -DCMAKE_BUILD_TYPE=Release >/dev/null
cmake --build build --target userstore_cli -j2
./build/tools/userstore replay --service ISaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa \
  --role RLaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa examples/twilio-docs.http
