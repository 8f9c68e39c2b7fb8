#!/usr/bin/env bash
# Runs libFuzzer harnesses from the `asan` build for a fixed time (CI: scripts/sanitize.sh, 60 s
# each). New inputs go to build/asan/fuzz-work/<harness>/corpus (the committed seeds in
# fuzz/corpus/<harness> are only read); a crash, leak, UB report, a stall (-timeout) or an RSS
# over -rss_limit_mb leaves its input in build/asan/fuzz-work/<harness>/ and fails the run.
#
# usage: fuzz/run.sh [--seconds N] [--jobs J] HARNESS...|all
set -euo pipefail
cd "$(dirname "$0")/.."
# Symbolised stacks (llvm-19's symbolizer reads clang-19's DWARF 5; Debian's default one is 14).
export ASAN_OPTIONS=${ASAN_OPTIONS:-external_symbolizer_path=/usr/lib/llvm-19/bin/llvm-symbolizer}
export UBSAN_OPTIONS=${UBSAN_OPTIONS:-external_symbolizer_path=/usr/lib/llvm-19/bin/llvm-symbolizer:print_stacktrace=1:halt_on_error=1}

seconds=60 jobs=2 names=()
while [ $# -gt 0 ]; do
  case "$1" in
    --seconds) seconds=$2; shift 2 ;;
    --jobs) jobs=$2; shift 2 ;;
    *) names+=("$1"); shift ;;
  esac
done
bin=${FUZZ_BUILD:-build/asan}/fuzz
work=${FUZZ_BUILD:-build/asan}/fuzz-work
all=$(ls fuzz/corpus)
if [ ${#names[@]} -eq 0 ] || [ "${names[0]}" = all ]; then names=($all); fi

# Per-input limits: an input that runs longer than TIMEOUT s or makes the process use more than
# RSS_MB MiB is a finding, like a crash (docs/testing.md).
export FUZZ_TIMEOUT=${FUZZ_TIMEOUT:-20} FUZZ_RSS_MB=${FUZZ_RSS_MB:-2048}

run_one() {
  local h=$1 seconds=$2 bin=$3 work=$4
  local dir=$work/$h
  mkdir -p "$dir/corpus"
  local dict=() ; [ -f "fuzz/dict/$h.dict" ] && dict=(-dict="fuzz/dict/$h.dict")
  if "$bin/fuzz_$h" -max_total_time="$seconds" -timeout="$FUZZ_TIMEOUT" \
      -rss_limit_mb="$FUZZ_RSS_MB" -malloc_limit_mb="$FUZZ_RSS_MB" -print_final_stats=1 \
      -artifact_prefix="$dir/" "${dict[@]}" "$dir/corpus" "fuzz/corpus/$h" >"$dir/log" 2>&1; then
    echo "fuzz $h: ok ($(grep -E '^#[0-9]+.*(DONE|pulse|NEW|REDUCE)' "$dir/log" | tail -1 | cut -c1-90))"
  else
    echo "fuzz $h: FINDING (log: $dir/log)"
    grep -E 'ERROR|SUMMARY|runtime error|contract violation|Test unit written' "$dir/log" | head -20
    return 1
  fi
}
export -f run_one

printf '%s\n' "${names[@]}" |
  xargs -P "$jobs" -I{} bash -c 'run_one "$@"' _ {} "$seconds" "$bin" "$work"
