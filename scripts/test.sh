#!/usr/bin/env bash
# Builds everything (installing missing packages, the pinned front-end libraries and the browser
# test tools first) and runs the whole test suite via ctest, browser tests included; then the unit
# tests under ASan+UBSan and TSan and each fuzz harness for 60 s (scripts/sanitize.sh; SANITIZE=0
# skips that part while iterating).
set -euo pipefail
cd "$(dirname "$0")/.."
# Each step's start time, for the CI time breakdown in docs/testing.md.
step() { echo "== test.sh $(date -u +%T): $*"; }
step install-deps
./scripts/install-deps.sh
step vendor-web
./scripts/vendor-web.sh
step install-e2e
./scripts/install-e2e.sh
step build ci
cmake --preset ci >/dev/null
cmake --build --preset ci -j 2
step ctest ci
ctest --preset ci
if [ "${SANITIZE:-1}" != 0 ]; then step sanitize; ./scripts/sanitize.sh; fi
step done
