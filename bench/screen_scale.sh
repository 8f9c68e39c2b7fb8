#!/usr/bin/env bash
# Cohort screening at scale (issue 14 target: 1 000 000 synthetic patients end to end on 2 cores in
# <= 5 min with <= 4 GB peak RSS). Generates a bulk export with tools/bulk_synth (4 files per
# type, 2 % planted patients), then times `paraderm screen` with /usr/bin/time -v and checks every
# planted finding of expected.ndjson against the rows (and that no negative control is flagged).
#
#   bench/screen_scale.sh [PATIENTS] [MEMORY_MB]     (defaults 1000000 and 2048; needs the ci build)
# Files go to $SCREEN_SCALE_DIR (default /tmp/paraderm-screen-scale; ~6.9 GB for 1 M patients,
# GZIP=1 writes .ndjson.gz, ~10x smaller); removed at the end unless KEEP=1; REUSE=1 reuses them.
set -euo pipefail
cd "$(dirname "$0")/.."
BUILD=${BUILD:-build/ci}
PATIENTS=${1:-1000000}
MEMORY_MB=${2:-2048}
DIR=${SCREEN_SCALE_DIR:-/tmp/paraderm-screen-scale}
command -v /usr/bin/time >/dev/null || { echo "needs /usr/bin/time (apt-get install time)"; exit 2; }
[ -x "$BUILD/bulk_synth" ] || { echo "build the ci preset first (cmake --build --preset ci)"; exit 2; }
if [ "${REUSE:-0}" = 1 ] && [ -f "$DIR/bulk/bulk_synth.json" ]; then
  echo "== reusing $DIR/bulk"
else
  rm -rf "$DIR"
  mkdir -p "$DIR"
  echo "== generating $PATIENTS patients in $DIR/bulk"
  /usr/bin/time -f "generate: %e s wall, %M kB peak" \
    "$BUILD/bulk_synth" --patients "$PATIENTS" --seed 20261203 --planted-every 50 --files-per-type 4 \
    ${GZIP:+--gzip} --out "$DIR/bulk"
fi
du -sh "$DIR/bulk"
echo "== paraderm screen --threads 2 --memory-mb $MEMORY_MB"
mkdir -p "$DIR/spill"
/usr/bin/time -v -o "$DIR/time.txt" "$BUILD/paraderm" screen --input "$DIR/bulk" --as-of 2026-06-30 --threads 2 \
  --memory-mb "$MEMORY_MB" --spill-dir "$DIR/spill" --output "$DIR/rows.ndjson" --summary "$DIR/summary.json" 2>"$DIR/stderr.txt"
tail -1 "$DIR/stderr.txt"   # time per phase
grep -E "Elapsed|Maximum resident|User time|System time|Percent of CPU" "$DIR/time.txt"
python3 - "$DIR" <<'PY'
import json, sys
d = sys.argv[1]
s = json.load(open(f"{d}/summary.json"))
print("summary:", {k: s[k] for k in ("patients", "assessed", "flagged", "flagged_by_kind", "malformed_lines",
                                      "partitions", "spilled_bytes", "seconds")})
rows = {}
for line in open(f"{d}/rows.ndjson"):
    j = json.loads(line)
    rows[j["patient"]] = j["findings"]
expected = found = negatives = false_flags = 0
for line in open(f"{d}/bulk/expected.ndjson"):
    e = json.loads(line)
    if not e["expect"]:
        negatives += 1
        false_flags += e["patient"] in rows
        continue
    for x in e["expect"]:
        expected += 1
        found += any(all(f.get(k) == v for k, v in x.items()) for f in rows.get(e["patient"], []))
print(f"planted findings: {expected}, found: {found}; negative controls: {negatives}, flagged: {false_flags}")
sys.exit(0 if found == expected and false_flags == 0 else 1)
PY
[ "${KEEP:-0}" = 1 ] || rm -rf "$DIR"
