#!/usr/bin/env bash
# Proves that every module below paraderm_server builds without the vendored front-end files
# (web/vendor, scripts/vendor-web.sh): copies the committed tree without web/vendor, configures it
# and builds the core module targets. Only paraderm_server embeds the web page
# (docs/architecture.md, "Module targets").
set -euo pipefail
cd "$(dirname "$0")/.."
out=${1:-build/core-without-web}
rm -rf "$out"
mkdir -p "$out/src"
git ls-files -z | grep -zv '^web/vendor/' | xargs -0 cp --parents -t "$out/src"
if [ -e "$out/src/web/vendor" ]; then
  echo "web/vendor was copied; the check would prove nothing" >&2
  exit 1
fi
cmake -S "$out/src" -B "$out/build" -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo -DPARADERM_WERROR=ON \
  -DPARADERM_BUILD_TESTS=OFF -DPARADERM_PYTHON=OFF -DPARADERM_BUILD_BENCH=OFF >/dev/null
cmake --build "$out/build" -j "${JOBS:-2}" --target paraderm_report paraderm_pv paraderm_screen \
  paraderm_store
echo "core modules built without web/vendor"
