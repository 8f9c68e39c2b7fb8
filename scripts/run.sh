#!/usr/bin/env bash
# Builds paraderm (installing missing packages and the pinned front-end libraries first) and runs
# its main job: the web page and HTTP API on http://127.0.0.1:${PORT:-8080}/ (stop with Ctrl-C).
set -euo pipefail
cd "$(dirname "$0")/.."
./scripts/install-deps.sh
./scripts/vendor-web.sh
cmake --preset release >/dev/null
cmake --build --preset release
./build/release/paraderm kb validate >/dev/null
exec ./build/release/paraderm serve --port "${PORT:-8080}" --db "${DB:-paraderm.db}"
