#!/usr/bin/env bash
# Builds paraderm (installing missing packages first) and runs its main job.
set -euo pipefail
cd "$(dirname "$0")/.."
./scripts/install-deps.sh
cmake --preset release >/dev/null
cmake --build --preset release
./build/release/paraderm kb validate
