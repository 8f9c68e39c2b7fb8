#!/usr/bin/env bash
# HTTP benchmark with wrk on loopback: throughput and latency percentiles of POST /api/v1/assess
# (a realistic case, authenticated with an API token, the durable audit row with the user
# included) against GET /healthz on the same server, 64 connections, bounded in time; then the
# group-commit counters from /metrics (read with an admin token).
# Usage: bench/http_bench.sh [build dir (default build/release)] [seconds per run (default 10)]
# [connections (default 64)]
set -euo pipefail
cd "$(dirname "$0")/.."
build=${1:-build/release}
secs=${2:-10}
conns=${3:-64}
if ! command -v wrk >/dev/null; then
  SUDO=""; [ "$(id -u)" -ne 0 ] && SUDO=sudo
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq wrk
fi
[ -x "$build/paraderm" ] || { cmake --preset release && cmake --build --preset release; }
tmp=$(mktemp -d)
port=$((20000 + RANDOM % 20000))
# A clinician to assess and an admin for /metrics, each with an API token (Authorization: Bearer).
printf 'bench password 1234\n' | "$build/paraderm" user add bench --role clinician --db "$tmp/bench.db" >/dev/null
printf 'bench password 1234\n' | "$build/paraderm" user add ops --role admin --db "$tmp/bench.db" >/dev/null
token=$("$build/paraderm" token create --user bench --db "$tmp/bench.db" 2>/dev/null)
admin_token=$("$build/paraderm" token create --user ops --db "$tmp/bench.db" 2>/dev/null)
"$build/paraderm" serve --port "$port" --db "$tmp/bench.db" --quiet >/dev/null &
pid=$!
trap 'kill $pid 2>/dev/null; wait $pid 2>/dev/null; rm -rf "$tmp"' EXIT
for _ in $(seq 100); do curl -sf "http://127.0.0.1:$port/healthz" >/dev/null && break; sleep 0.05; done
cat > "$tmp/assess.lua" <<LUA
wrk.method = "POST"
wrk.headers["Content-Type"] = "application/json"
wrk.headers["Authorization"] = "Bearer $token"
local f = io.open("examples/dupilumab-psoriasis.json", "r")
wrk.body = f:read("*a")
f:close()
LUA
echo "== GET /healthz (${secs}s, 2 threads, $conns connections)"
wrk -t2 -c"$conns" -d"${secs}s" --latency "http://127.0.0.1:$port/healthz" | tee "$tmp/h" | grep -E "Requests/sec|50%|99%"
echo "== POST /api/v1/assess, API token (${secs}s, 2 threads, $conns connections)"
wrk -t2 -c"$conns" -d"${secs}s" --latency -s "$tmp/assess.lua" "http://127.0.0.1:$port/api/v1/assess" \
  | tee "$tmp/a" | grep -E "Requests/sec|50%|99%|Non-2xx"
h=$(awk '/Requests\/sec/ {print $2}' "$tmp/h"); a=$(awk '/Requests\/sec/ {print $2}' "$tmp/a")
awk -v h="$h" -v a="$a" 'BEGIN { printf "assess : healthz = %.1f %%\n", 100 * a / h }'
curl -s -H "Authorization: Bearer $admin_token" "http://127.0.0.1:$port/metrics" | grep -E "^paraderm_store_(commits|writes)_total|^paraderm_store_largest" || true
