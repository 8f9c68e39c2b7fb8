#!/usr/bin/env bash
# Fetches the web page's front-end libraries from npm at the versions pinned in
# web/package-lock.json and copies the files the page loads into web/vendor/, which the build
# embeds into the binary. Needs the npm registry at build time only; nothing is fetched at run
# time. Idempotent: does nothing when web/vendor/ is up to date with the lockfile.
set -euo pipefail
cd "$(dirname "$0")/.."

if ! command -v npm >/dev/null; then
  SUDO=""; [ "$(id -u)" -ne 0 ] && SUDO=sudo
  export DEBIAN_FRONTEND=noninteractive
  $SUDO apt-get update -qq
  $SUDO apt-get install -y -qq --no-install-recommends nodejs npm
fi

stamp=web/vendor/.lock-sha
want=$(sha256sum web/package-lock.json | cut -d' ' -f1)
if [ -f "$stamp" ] && [ "$(cat "$stamp")" = "$want" ]; then exit 0; fi

(cd web && npm ci --no-audit --no-fund --ignore-scripts --loglevel=error)
mkdir -p web/vendor
cp web/node_modules/preact/dist/preact.module.js web/vendor/preact.module.js
cp web/node_modules/preact/hooks/dist/hooks.module.js web/vendor/hooks.module.js
cp web/node_modules/htm/dist/htm.module.js web/vendor/htm.module.js
cp web/node_modules/uplot/dist/uPlot.esm.js web/vendor/uPlot.esm.js
cp web/node_modules/uplot/dist/uPlot.min.css web/vendor/uPlot.min.css
cp web/node_modules/preact/LICENSE web/vendor/LICENSE.preact
cp web/node_modules/htm/LICENSE web/vendor/LICENSE.htm
cp web/node_modules/uplot/LICENSE web/vendor/LICENSE.uplot
echo "$want" > "$stamp"
echo "web/vendor: preact, htm, uPlot copied from npm (pinned in web/package-lock.json)"
