#!/usr/bin/env bash
# FAERS-scale end to end (issue "Pharmacovigilance", target: 20 million reports in < 5 min on 2
# cores with < 8 GB peak memory). Generates a synthetic corpus in the FAERS quarterly layout
# (tools/faers_synth/), then times `paraderm pv ingest`: read + deduplicate + normalise ->
# corpus -> counts -> MGPS fit -> every pair's scores -> store, with its peak resident memory, and
# checks that every planted signal is found (EB05 >= 2).
#
#   bench/pv_scale.sh [REPORTS] [QUARTERS]      (defaults 20000000 and 8; needs the ci build)
# Files go to $PV_SCALE_DIR (default /tmp/paraderm-pv-scale, ~9 GB for 20 M reports); removed at the end
# unless KEEP=1; REUSE=1 reuses a corpus kept that way.
set -euo pipefail
cd "$(dirname "$0")/.."
BUILD=${BUILD:-build/ci}
REPORTS=${1:-20000000}
QUARTERS=${2:-8}
DIR=${PV_SCALE_DIR:-/tmp/paraderm-pv-scale}
command -v /usr/bin/time >/dev/null || { echo "needs /usr/bin/time (apt-get install time)"; exit 2; }
[ -x "$BUILD/paraderm_faers_synth" ] || { echo "build the ci preset first (cmake --build --preset ci)"; exit 2; }
if [ "${REUSE:-0}" = 1 ] && [ -f "$DIR/faers/planted.csv" ]; then
  echo "== reusing $DIR/faers"
  rm -rf "$DIR/store"
else
  rm -rf "$DIR"
  mkdir -p "$DIR"
  echo "== generating $REPORTS reports over $QUARTERS quarters in $DIR/faers"
  /usr/bin/time -f "generate: %e s wall, %M kB peak" \
    "$BUILD/paraderm_faers_synth" --out "$DIR/faers" --reports "$REPORTS" --quarters "$QUARTERS" --seed 20261127
fi
du -sh "$DIR/faers"
echo "== paraderm pv ingest"
/usr/bin/time -f "ingest: %e s wall, %U s user, %M kB peak" \
  "$BUILD/paraderm" pv ingest --faers "$DIR/faers" --out "$DIR/store" --quiet
echo "== planted signals"
"$BUILD/paraderm" pv signals --store "$DIR/store" --format csv --quiet >"$DIR/signals.csv" 2>/dev/null
# planted.csv: drug,event,... ; signals.csv: drug,event,n,expected,...,ebgm(14),eb05(15),...
awk -F, 'NR == FNR { if (FNR > 1) want[toupper($1) "," toupper($2)] = 1; next }
         FNR > 1 && ((toupper($1) "," toupper($2)) in want) { found++; if ($15 >= 2) flagged++;
           printf "  %-24s %-28s n=%-7s E=%-10.4g EBGM=%-8.3g EB05=%.3g\n", $1, $2, $3, $4, $14, $15 }
         FNR > 1 && !((toupper($1) "," toupper($2)) in want) && $15 >= 2 { other++ }
         END { printf "planted: %d, found: %d, EB05 >= 2: %d; other pairs with EB05 >= 2: %d\n",
               length(want), found, flagged, other; exit (flagged == length(want)) ? 0 : 1 }' \
  "$DIR/faers/planted.csv" "$DIR/signals.csv"
[ "${KEEP:-0}" = 1 ] || rm -rf "$DIR"
