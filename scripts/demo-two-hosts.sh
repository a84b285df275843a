#!/usr/bin/env bash
# Two userstore-http hosts sharing one PostgreSQL (docs/scale-out.md, "Two
# hosts"): installs what is missing, builds the host, starts the project's
# throwaway PostgreSQL cluster (scripts/postgres.sh), creates a database,
# starts host A and host B on it, creates a user on A, reads it on B, lists
# on B with a page token minted on A, then stops both hosts and drops the
# database (the cluster keeps running: `scripts/postgres.sh stop` removes it).
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/install-deps.sh >/dev/null
cmake -S . -B build -G Ninja -DCMAKE_BUILD_TYPE=Release >/dev/null
cmake --build build --target userstore_http_server -j2 >/dev/null
conninfo=$(bash scripts/postgres.sh start | tail -n 1)
psql=${USERSTORE_PG_BIN:-/usr/lib/postgresql/15/bin}/psql
db=demo_$$
"$psql" -q "$conninfo" -c "CREATE DATABASE $db"
export TWILIO_ACCOUNT_SID=ACaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa TWILIO_AUTH_TOKEN=demo-auth-token
service=ISaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa
logs=$(mktemp -d)
pids=()
cleanup() {
  kill "${pids[@]}" 2>/dev/null || true
  wait "${pids[@]}" 2>/dev/null || true
  "$psql" -q "$conninfo" -c "DROP DATABASE IF EXISTS $db WITH (FORCE)" || true
  rm -rf "$logs"
}
trap cleanup EXIT
start_host() {  # name: starts it, sets $url
  build/examples/http_server/userstore-http --postgres "$conninfo dbname=$db" --port 0 \
    --replica-name "$1" --service $service --log off >"$logs/$1.out" 2>"$logs/$1.err" &
  pids+=($!)
  for _ in $(seq 100); do
    grep -q '^listening on' "$logs/$1.out" 2>/dev/null && break
    sleep 0.1
  done
  url=$(sed -n 's/^listening on \(.*\)$/\1/p' "$logs/$1.out")
}
start_host host_a
a=$url
start_host host_b
b=$url
echo "host A: $a    host B: $b    (one PostgreSQL database: $db)"
auth=(-u "$TWILIO_ACCOUNT_SID:$TWILIO_AUTH_TOKEN" -s)
echo "--- create alice on host A"
curl "${auth[@]}" -X POST "$a/v2/Services/$service/Users" --data-urlencode Identity=alice \
  --data-urlencode 'Attributes={"team":"blue"}'
echo
for i in 1 2 3 4 5; do
  curl "${auth[@]}" -X POST "$a/v2/Services/$service/Users" --data-urlencode "Identity=user$i" >/dev/null
done
echo "--- the same identity on host B: one user per identity across hosts"
curl "${auth[@]}" -X POST "$b/v2/Services/$service/Users" --data-urlencode Identity=alice
echo
echo "--- fetch alice on host B (its replica follows PostgreSQL's stream)"
for _ in $(seq 50); do  # the stream's lag: about a millisecond here
  body=$(curl "${auth[@]}" "$b/v2/Services/$service/Users/alice")
  [[ "$body" == *'"identity": "alice"'* || "$body" == *'"identity":"alice"'* ]] && break
  sleep 0.05
done
echo "$body"
echo "--- page 2 on host B with a token minted on host A"
next=$(curl "${auth[@]}" "$a/v2/Services/$service/Users?PageSize=3" |
  python3 -c 'import json,sys; print(json.load(sys.stdin)["meta"]["next_page_url"])')
curl "${auth[@]}" "${b}${next#"$a"}" |
  python3 -c 'import json,sys; print([u["identity"] for u in json.load(sys.stdin)["users"]])'
