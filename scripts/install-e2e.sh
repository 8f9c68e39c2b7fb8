#!/usr/bin/env bash
# Installs what the browser tests need: Debian's Chromium and, from npm at the version pinned in
# tests/e2e/package-lock.json, playwright-core (it drives /usr/bin/chromium; no browser download)
# and axe-core (accessibility rules, injected into the page by the E2E).
# Idempotent.
set -euo pipefail
cd "$(dirname "$0")/.."
SUDO=""; [ "$(id -u)" -ne 0 ] && SUDO=sudo
need=()
command -v chromium >/dev/null || need+=(chromium)
command -v npm >/dev/null || need+=(nodejs npm)
if [ ${#need[@]} -gt 0 ]; then
  export DEBIAN_FRONTEND=noninteractive
  $SUDO apt-get update -qq
  $SUDO apt-get install -y -qq --no-install-recommends "${need[@]}"
fi
if [ ! -d tests/e2e/node_modules/playwright-core ] || [ ! -d tests/e2e/node_modules/axe-core ]; then
  (cd tests/e2e && npm ci --no-audit --no-fund --ignore-scripts --loglevel=error)
fi
