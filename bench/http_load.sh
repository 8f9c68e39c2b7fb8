#!/usr/bin/env bash
# Connection-load test of `paraderm serve`. While /healthz is probed every 50 ms on a fresh
# connection (probe latencies: p50, p99, max, failures; target of issue 15: within 50 ms):
#  1. 1 000 keep-alive connections each sending a request per second (bench/keepalive.py) and
#     200 slowloris connections (bench/slowloris.py) at once;
#  2. the same 200 slowloris connections with wrk driving 1 000 keep-alive connections as fast as
#     it can (saturation: the client shares the two cores with the server).
# Usage: bench/http_load.sh [build dir (default build/release)] [seconds (default 15)]
set -euo pipefail
cd "$(dirname "$0")/.."
build=${1:-build/release}
secs=${2:-15}
command -v wrk >/dev/null || { echo "wrk is missing: apt-get install wrk" >&2; exit 2; }
[ -x "$build/paraderm" ] || { cmake --preset release && cmake --build --preset release; }
tmp=$(mktemp -d)
port=$((20000 + RANDOM % 20000))
# /api/v1/drugs needs credentials: a clinician's API token for wrk.
printf 'load password 1234\n' | "$build/paraderm" user add load --role clinician --db "$tmp/load.db" >/dev/null
token=$("$build/paraderm" token create --user load --db "$tmp/load.db" 2>/dev/null)
"$build/paraderm" serve --port "$port" --db "$tmp/load.db" --quiet >/dev/null 2>"$tmp/err" &
pid=$!
trap 'kill $pid 2>/dev/null; wait $pid 2>/dev/null; rm -rf "$tmp"' EXIT
for _ in $(seq 100); do curl -sf "http://127.0.0.1:$port/healthz" >/dev/null && break; sleep 0.05; done
ulimit -n 4096 2>/dev/null || true
probe() {
python3 - "$port" "$1" <<'PY'
import socket, sys, time
port, secs = int(sys.argv[1]), float(sys.argv[2])
lat, fail = [], 0
end = time.time() + secs
while time.time() < end:
    t0 = time.perf_counter()
    try:
        s = socket.create_connection(("127.0.0.1", port), timeout=2)
        s.sendall(b"GET /healthz HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n")
        data = b""
        while True:
            chunk = s.recv(4096)
            if not chunk:
                break
            data += chunk
        s.close()
        if not data.startswith(b"HTTP/1.1 200"):
            raise OSError("status")
        lat.append((time.perf_counter() - t0) * 1000)
    except OSError:
        fail += 1
    time.sleep(0.05)
lat.sort()
q = lambda p: lat[min(len(lat) - 1, int(p * len(lat)))] if lat else float("nan")
print(f"/healthz probes: {len(lat)} ok, {fail} failed; p50 {q(0.5):.1f} ms, p99 {q(0.99):.1f} ms, max {lat[-1] if lat else float('nan'):.1f} ms")
PY
}

echo "== 1. 1000 keep-alive connections (1 request/s each) + 200 slowloris, ${secs}s"
python3 bench/slowloris.py 127.0.0.1 "$port" 200 "$secs" > "$tmp/slow" &
slow=$!
python3 bench/keepalive.py 127.0.0.1 "$port" 1000 "$secs" 1.0 /api/v1/drugs "$token" > "$tmp/ka" &
load=$!
sleep 2
probe "$((secs - 3))"
wait $load $slow
cat "$tmp/ka" "$tmp/slow"

echo "== 2. wrk: 1000 keep-alive connections as fast as possible on /api/v1/drugs + 200 slowloris, ${secs}s"
python3 bench/slowloris.py 127.0.0.1 "$port" 200 "$secs" > "$tmp/slow" &
slow=$!
wrk -t2 -c1000 -d"${secs}s" --timeout 5s --latency -H "Authorization: Bearer $token" \
  "http://127.0.0.1:$port/api/v1/drugs" > "$tmp/wrk" &
load=$!
sleep 1
probe "$((secs - 2))"
wait $load $slow
grep -E "Requests/sec|50%|99%|Socket errors|Non-2xx" "$tmp/wrk" || true
cat "$tmp/slow"
