#!/usr/bin/env bash
# Builds everything (installing missing packages first) and runs the whole test suite via ctest.
set -euo pipefail
cd "$(dirname "$0")/.."
./scripts/install-deps.sh
cmake --preset ci >/dev/null
cmake --build --preset ci -j 2
ctest --preset ci
