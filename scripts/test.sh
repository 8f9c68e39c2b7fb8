#!/usr/bin/env bash
# Builds everything (installing missing packages, the pinned front-end libraries and the browser
# test tools first) and runs the whole test suite via ctest, browser tests included; then the unit
# tests under ASan+UBSan and TSan and each fuzz harness for 60 s (scripts/sanitize.sh; SANITIZE=0
# skips that part while iterating).
set -euo pipefail
cd "$(dirname "$0")/.."
./scripts/install-deps.sh
./scripts/vendor-web.sh
./scripts/install-e2e.sh
cmake --preset ci >/dev/null
cmake --build --preset ci -j 2
ctest --preset ci
if [ "${SANITIZE:-1}" != 0 ]; then ./scripts/sanitize.sh; fi
