#!/usr/bin/env bash
# HTTP host throughput (docs/benchmarks.md, "HTTP host throughput (wrk)").
#
# Builds userstore-http and its ceiling, userstore-http-ceiling (the same
# cpp-httplib server, settings, auth check and request log, answering every
# GET with a constant body: examples/http_server/ceiling_server.cc), in
# Release (build-bench-http/); starts the host in memory on 127.0.0.1 with
# one Service and N users created through the REST API; then, for a fetch
# by SID and a page of 50, takes the real response's bytes, serves them from
# the ceiling, and runs wrk (keep-alive, --latency) against host and ceiling
# in turn at each connection count. Prints the setup and a markdown table.
#
# usage: scripts/bench-http.sh [--users N] [--duration S] [--warmup S]
#                              [--rounds R] [--connections "1 8 64"]
#                              [--log on|off] [--no-build]
#
#   --users N        users created before measuring (default 10000)
#   --duration S     seconds per wrk run (default 10)
#   --warmup S       seconds of unrecorded wrk before each run (default 2)
#   --rounds R       runs per cell, host and ceiling alternating; the table
#                    gives the median of each (default 3)
#   --connections L  keep-alive connection counts (default "1 8 64")
#   --log on|off     the request log of both servers (default on, the
#                    host's default; the lines go to a file in a temp dir)
#   --no-build       use the binaries already in build-bench-http/
#
# wrk (Debian's package) runs on the same machine as the server and takes
# its share of the cores: with 2 cores, wrk's two threads and the server's
# workers compete, so the figures are this machine's, not the server's
# alone. Run it on a quiet machine (`uptime`).
set -euo pipefail
cd "$(dirname "$0")/.."

users=10000
duration=10
warmup=2
rounds=3
connections="1 8 64"
log=on
build=1
while [[ $# -gt 0 ]]; do
  case "$1" in
    --users) users="$2"; shift 2 ;;
    --duration) duration="$2"; shift 2 ;;
    --warmup) warmup="$2"; shift 2 ;;
    --rounds) rounds="$2"; shift 2 ;;
    --connections) connections="$2"; shift 2 ;;
    --log) log="$2"; shift 2 ;;
    --no-build) build=0; shift ;;
    -h|--help) sed -n '2,/^set -euo/p' "$0" | sed '$d; s/^# \{0,1\}//'; exit 0 ;;
    *) echo "bench-http.sh: unknown argument '$1' (see --help)" >&2; exit 2 ;;
  esac
done

if ! command -v wrk >/dev/null; then
  if [[ $(id -u) -eq 0 ]]; then
    apt-get install -y wrk >/dev/null
  else
    echo "bench-http.sh: wrk is missing: sudo apt-get install wrk" >&2
    exit 2
  fi
fi

BUILD=build-bench-http
if [[ $build -eq 1 ]]; then
  cmake -S . -B "$BUILD" -G Ninja -DCMAKE_BUILD_TYPE=Release -DUSERSTORE_BUILD_TESTS=OFF \
    -DUSERSTORE_BUILD_TOOLS=OFF >/dev/null
  cmake --build "$BUILD" -j2 --target userstore_http_server userstore_http_ceiling >/dev/null
fi
HOST_BIN="$BUILD/examples/http_server/userstore-http"
CEILING_BIN="$BUILD/examples/http_server/userstore-http-ceiling"

export TWILIO_ACCOUNT_SID="AC0123456789abcdef0123456789abcdef"
export TWILIO_AUTH_TOKEN="bench-http-token"
SERVICE="IS$(printf 'be0c%.0s' 1 2 3 4 5 6 7 8)"
AUTH="Authorization: Basic $(printf '%s:%s' "$TWILIO_ACCOUNT_SID" "$TWILIO_AUTH_TOKEN" | base64 -w0)"
# 64 keep-alive connections come from one address: raise the per-address
# cap (32 by default) for both servers alike.
LIMITS=(--max-connections 128 --max-connections-per-address 128 --log "$log")

load_at_start=$(cut -d' ' -f1-3 /proc/loadavg)
started=$(date -u +%Y-%m-%dT%H:%M:%SZ)
tmp=$(mktemp -d)
pids=()
cleanup() {
  for pid in "${pids[@]}"; do kill "$pid" 2>/dev/null || true; done
  wait 2>/dev/null || true
  rm -rf "$tmp"
}
trap cleanup EXIT

# start NAME BINARY ARGS...: runs it on a free port; sets $origin.
start() {
  local name="$1"
  shift
  "$@" --port 0 "${LIMITS[@]}" >"$tmp/$name.out" 2>"$tmp/$name.log" &
  pids+=($!)
  local line=""
  for _ in $(seq 1 300); do
    line=$(head -n1 "$tmp/$name.out" 2>/dev/null || true)
    [[ "$line" == "listening on "* ]] && break
    kill -0 "${pids[-1]}" 2>/dev/null || break
    sleep 0.1
  done
  if [[ "$line" != "listening on "* ]]; then
    echo "bench-http.sh: $name did not start:" >&2
    cat "$tmp/$name.log" >&2
    exit 1
  fi
  origin="${line#listening on }"
}

start host "$HOST_BIN" --service "$SERVICE"
host_origin="$origin"

# N users through the API, on one keep-alive connection; prints the SID of
# the user in the middle.
sid=$(python3 - "$host_origin" "$SERVICE" "$users" <<'EOF'
import base64, http.client, os, sys, urllib.parse, json
origin, service, n = sys.argv[1], sys.argv[2], int(sys.argv[3])
host, port = origin[len("http://"):].rsplit(":", 1)
auth = base64.b64encode(("%s:%s" % (os.environ["TWILIO_ACCOUNT_SID"],
                                    os.environ["TWILIO_AUTH_TOKEN"])).encode()).decode()
headers = {"Authorization": "Basic " + auth,
           "Content-Type": "application/x-www-form-urlencoded"}
conn = http.client.HTTPConnection(host, int(port))
middle = None
for i in range(n):
    form = urllib.parse.urlencode({
        "Identity": "user-%06d@example.com" % i,
        "FriendlyName": "User %d" % i,
        "Attributes": json.dumps({"team": "t%d" % (i % 17), "level": i % 5,
                                  "email": "user-%06d@example.com" % i}),
    })
    conn.request("POST", "/v2/Services/%s/Users" % service, form, headers)
    response = conn.getresponse()
    body = response.read()
    if response.status != 201:
        sys.exit("create %d: %d %s" % (i, response.status, body[:200]))
    if i == n // 2:
        middle = json.loads(body)["sid"]
print(middle)
EOF
)

fetch_path="/v2/Services/$SERVICE/Users/$sid"
page_path="/v2/Services/$SERVICE/Users?PageSize=50"
curl -sf -H "$AUTH" -o "$tmp/fetch.body" "$host_origin$fetch_path"
curl -sf -H "$AUTH" -o "$tmp/page.body" "$host_origin$page_path"

# run ORIGIN PATH CONNECTIONS: "req/s p99" of one wrk run.
run() {
  local threads=$(($3 < 2 ? $3 : 2))
  if [[ $warmup != 0 ]]; then
    wrk -t"$threads" -c"$3" -d"${warmup}s" -H "$AUTH" "$1$2" >/dev/null
  fi
  wrk -t"$threads" -c"$3" -d"${duration}s" --latency -H "$AUTH" "$1$2" >"$tmp/wrk.txt"
  if grep -qE 'Non-2xx|Socket errors' "$tmp/wrk.txt"; then
    echo "bench-http.sh: errors against $1$2 with $3 connections:" >&2
    cat "$tmp/wrk.txt" >&2
    exit 1
  fi
  local rps p99
  rps=$(awk '/^Requests\/sec:/ {print $2}' "$tmp/wrk.txt")
  p99=$(awk '$1 == "99%" {print $2}' "$tmp/wrk.txt")
  echo "$rps $p99"
}

# median "RPS P99"...: the median req/s and, separately, the median p99
# (wrk prints it with a unit: us, ms or s); with an even count, the lower
# middle value.
median() {
  local middle=$((($# + 1) / 2)) rps p99
  rps=$(printf '%s\n' "$@" | awk '{print $1}' | sort -g | sed -n "${middle}p")
  p99=$(printf '%s\n' "$@" | awk '{
      v = $2
      if (v ~ /us$/) us = v + 0; else if (v ~ /ms$/) us = v * 1000; else us = v * 1000000
      print us
    }' | sort -g | sed -n "${middle}p")
  awk -v r="$rps" -v p="$p99" \
    'BEGIN { printf "%s %s\n", r, (p >= 1000 ? sprintf("%.2fms", p / 1000) : sprintf("%dus", p)) }'
}

rows=()
for endpoint in fetch page; do
  body="$tmp/$endpoint.body"
  path_var="${endpoint}_path"
  path="${!path_var}"
  start "ceiling-$endpoint" "$CEILING_BIN" --body-file "$body"
  ceiling_origin="$origin"
  # The ceiling's body is the host's, byte for byte.
  curl -sf -H "$AUTH" -o "$tmp/check.body" "$ceiling_origin$path"
  cmp -s "$body" "$tmp/check.body"
  for c in $connections; do
    host_runs=()
    ceil_runs=()
    for _ in $(seq 1 "$rounds"); do
      host_runs+=("$(run "$host_origin" "$path" "$c")")
      ceil_runs+=("$(run "$ceiling_origin" "$path" "$c")")
    done
    read -r host_rps host_p99 <<<"$(median "${host_runs[@]}")"
    read -r ceil_rps ceil_p99 <<<"$(median "${ceil_runs[@]}")"
    ratio=$(awk -v a="$host_rps" -v b="$ceil_rps" 'BEGIN {printf "%.2f", a / b}')
    name="fetch by SID"
    [[ $endpoint == page ]] && name="page of 50"
    rows+=("| $c | $name ($(stat -c %s "$body") B) | $(printf '%.0f' "$host_rps") | $(printf '%.0f' "$ceil_rps") | $ratio | $host_p99 | $ceil_p99 |")
  done
  kill "${pids[-1]}"
done

cpu=$(awk -F': ' '/^model name/ {print $2; exit}' /proc/cpuinfo)
cat <<EOF
\`\`\`
date:        $started (start)
commit:      $(git rev-parse --short HEAD)$(git diff --quiet HEAD -- src include examples || echo ' (modified)')
CPU:         $cpu, $(nproc) cores (wrk and the server share them)
build:       Release ($BUILD), cpp-httplib $(dpkg-query -W -f '${Version}' libcpp-httplib-dev 2>/dev/null || echo '?'), $(wrk -v 2>&1 | head -n1 | awk '{print $1, $2}')
users (N):   $users, one Service, in memory
wrk:         -t min(2, C) -c C, ${warmup} s warm-up then -d ${duration}s --latency, keep-alive;
             $rounds rounds per cell, host and ceiling alternating, medians
request log: $log (both servers)
load avg:    $load_at_start (at start)
command:     scripts/bench-http.sh --users $users --duration $duration --warmup $warmup --rounds $rounds --connections "$connections" --log $log
\`\`\`

| connections | endpoint (body) | host req/s | ceiling req/s | host / ceiling | p99 host | p99 ceiling |
|---|---|---|---|---|---|---|
EOF
printf '%s\n' "${rows[@]}"
