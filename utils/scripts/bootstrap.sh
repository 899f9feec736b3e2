#!/usr/bin/env bash
# bootstrap.sh - install the Debian packages objcache needs, only if missing.
# Idempotent and fast when everything is present (one dpkg query).
set -euo pipefail

packages=(
  clang-22 llvm-22-dev libclang-22-dev llvm-22-tools libclang-rt-22-dev
  libzstd-dev libb2-dev libcmocka-dev libhiredis-dev
  ninja-build cmake pkg-config make gcc meson
  ccache redis-server dpkg-dev
  spiped
)
# Extra packages a caller asks for (for example the benchmark's needs).
packages+=("$@")

missing=()
for pkg in "${packages[@]}"; do
  status=$(dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null || true)
  [[ "$status" == "install ok installed" ]] || missing+=("$pkg")
done
[[ ${#missing[@]} -eq 0 ]] && exit 0

echo "bootstrap: installing ${missing[*]}" >&2
sudo=""
[[ $(id -u) -eq 0 ]] || sudo="sudo"
export DEBIAN_FRONTEND=noninteractive
$sudo apt-get update -q >&2
$sudo apt-get install -y -q --no-install-recommends "${missing[@]}" >&2
