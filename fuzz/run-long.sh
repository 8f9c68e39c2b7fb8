#!/usr/bin/env bash
# Long fuzz runs: each harness for EXECS executions (default 10^7, libFuzzer -runs=) from the
# committed seeds, one harness at a time, one process. Prints executions, exec/s, coverage (cov:
# edges, ft: features) and findings, and appends a row to fuzz/long-runs.tsv (the table in
# docs/testing.md, "Long fuzz runs", is copied from it). Findings are left in
# build/asan/fuzz-long/<harness>/ (crash-*, leak-*, timeout-*, oom-*).
#
# usage: fuzz/run-long.sh HARNESS|all [EXECS]
# env:   FUZZ_TIMEOUT is the per-input limit in seconds (default 20; libFuzzer measures wall time, so
#        a run at a low priority beside builds needs more, or CPU starvation reads as a hang).
#        FUZZ_MAX_SECONDS caps the wall time per harness (default: none); a run stopped by it is
#        recorded with the executions it reached.
#        FUZZ_PROCESSES=N runs N processes at once (libFuzzer's -fork=N: child processes on one
#        corpus, the first finding stops the run); EXECS then counts the executions of all of
#        them, and the row's last column says N (default 1: one process, libFuzzer's usual mode).
set -euo pipefail
cd "$(dirname "$0")/.."
# Symbolised stacks (llvm-19's symbolizer reads clang-19's DWARF 5; Debian's default one is 14).
export ASAN_OPTIONS=${ASAN_OPTIONS:-external_symbolizer_path=/usr/lib/llvm-19/bin/llvm-symbolizer}
export UBSAN_OPTIONS=${UBSAN_OPTIONS:-external_symbolizer_path=/usr/lib/llvm-19/bin/llvm-symbolizer:print_stacktrace=1:halt_on_error=1}

what=${1:?usage: fuzz/run-long.sh HARNESS|all [EXECS]}
execs=${2:-10000000}
bin=${FUZZ_BUILD:-build/asan}/fuzz
out=${FUZZ_BUILD:-build/asan}/fuzz-long
results=fuzz/long-runs.tsv
names=("$what"); [ "$what" = all ] && names=($(ls fuzz/corpus))
processes=${FUZZ_PROCESSES:-1}
[[ "$processes" =~ ^[1-9][0-9]*$ ]] || { echo "FUZZ_PROCESSES: expected a count of processes, got '$processes'" >&2; exit 2; }
[ -f "$results" ] || printf 'harness\texecs\tseconds\texec_per_s\tcov\tft\tfindings\tdate\tcommit\tprocesses\n' >"$results"
commit=$(git rev-parse --short HEAD 2>/dev/null || echo unknown)

status=0
for h in "${names[@]}"; do
  dir=$out/$h
  mkdir -p "$dir/corpus"
  dict=(); [ -f "fuzz/dict/$h.dict" ] && dict=(-dict="fuzz/dict/$h.dict")
  limit=(); [ -n "${FUZZ_MAX_SECONDS:-}" ] && limit=(-max_total_time="$FUZZ_MAX_SECONDS")
  fork=(); [ "$processes" -gt 1 ] && fork=(-fork="$processes")
  start=$(date +%s)
  set +e
  "$bin/fuzz_$h" -runs="$execs" "${fork[@]}" "${limit[@]}" -timeout="${FUZZ_TIMEOUT:-20}" -rss_limit_mb=2048 -malloc_limit_mb=2048 \
    -print_final_stats=1 -artifact_prefix="$dir/" "${dict[@]}" "$dir/corpus" "fuzz/corpus/$h" \
    >"$dir/log" 2>&1
  rc=$?
  set -e
  seconds=$(( $(date +%s) - start )); [ "$seconds" -eq 0 ] && seconds=1
  done_execs=$(grep -oE 'stat::number_of_executed_units: *[0-9]+' "$dir/log" | grep -oE '[0-9]+$' || true)
  # -fork prints no final stats; its progress lines start with the executions of all processes.
  [ -z "$done_execs" ] && done_execs=$(grep -oE '^#[0-9]+' "$dir/log" | tail -1 | tr -d '#')
  cov=$(grep -oE 'cov: [0-9]+' "$dir/log" | tail -1 | grep -oE '[0-9]+' || echo "?")
  ft=$(grep -oE 'ft: [0-9]+' "$dir/log" | tail -1 | grep -oE '[0-9]+' || echo "?")
  findings=$(ls "$dir" | grep -cE '^(crash|leak|timeout|oom|slow-unit)-' || true)
  # 72 is libFuzzer's -interrupted_exitcode: a run stopped by SIGINT (pkill -INT) found nothing.
  [ $rc -ne 0 ] && [ $rc -ne 72 ] && [ "$findings" -eq 0 ] && findings="exit $rc"
  rate=$(( ${done_execs:-0} / seconds ))
  printf '%s: %s execs in %s s (%s/s), cov %s, ft %s, findings %s\n' \
    "$h" "${done_execs:-0}" "$seconds" "$rate" "$cov" "$ft" "$findings"
  printf '%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\n' "$h" "${done_execs:-0}" "$seconds" "$rate" \
    "$cov" "$ft" "$findings" "$(date -u +%F)" "$commit" "$processes" >>"$results"
  [ "$findings" != 0 ] && status=1
done
exit $status
