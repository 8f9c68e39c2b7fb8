#!/usr/bin/env bash
# Rewrites the golden report files (tests/report/golden/) from the current renderers, then shows
# what changed. Nothing is committed: read the diff as a clinician would (verdicts, doses,
# citations against the reference facts) before you commit it — docs/testing.md, "Golden files".
#   scripts/update-golden.sh            build paraderm_tests (preset ci) and update
#   BUILD_DIR=build/dev scripts/...     another build folder
set -euo pipefail
cd "$(dirname "$0")/.."
build=${BUILD_DIR:-build/ci}
if [[ ! -d $build ]]; then cmake --preset ci >/dev/null; fi
cmake --build "$build" -j "${JOBS:-2}" --target paraderm_tests
binary=$(find "$build" -name paraderm_tests -type f -perm -u+x | head -n 1)
[[ -n $binary ]] || { echo "paraderm_tests not found under $build" >&2; exit 1; }
PARADERM_UPDATE_GOLDEN=1 "$binary" --gtest_filter='Report/Golden.*:GoldenCases.EveryFileBelongsToACase' \
  --gtest_brief=1
# The check run: the files just written must now pass, markers and determinism included.
"$binary" --gtest_filter='Report/Golden.*:GoldenCases.*:GoldenDiff.*' --gtest_brief=1
echo
git status --short -- tests/report/golden
git --no-pager diff --stat -- tests/report/golden
echo "Review every changed file (git diff tests/report/golden) before committing it."
