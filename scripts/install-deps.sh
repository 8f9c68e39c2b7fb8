#!/usr/bin/env bash
# Installs the Debian 12 packages paraderm needs to build and test. Idempotent: it installs only
# what is missing, so it is cheap to run before every build. Needs root (or sudo) only when
# something is missing.
set -euo pipefail

packages=(
  cmake ninja-build g++ pkg-config
  libfmt-dev nlohmann-json3-dev libsimdjson-dev libtomlplusplus-dev libcli11-dev
  libcpp-httplib-dev libssl-dev zlib1g-dev libsqlitecpp-dev libsqlite3-dev
  libtbb-dev libarchive-dev libmimalloc-dev libsodium-dev
  libgtest-dev libgmock-dev libbenchmark-dev librapidcheck-dev
  pybind11-dev python3-dev python3-pytest python3-dask python3-distributed
  # scripts/sanitize.sh (ASan, UBSan, TSan, libFuzzer) and the style checks
  clang-19 libclang-rt-19-dev llvm-19 clang-tidy-19 clang-format-19
)

missing=()
for p in "${packages[@]}"; do
  if ! dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed"; then
    missing+=("$p")
  fi
done

if [ ${#missing[@]} -eq 0 ]; then
  exit 0
fi

echo "installing missing packages: ${missing[*]}"
SUDO=""
if [ "$(id -u)" -ne 0 ]; then SUDO="sudo"; fi
export DEBIAN_FRONTEND=noninteractive
$SUDO apt-get update -qq
$SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}"
