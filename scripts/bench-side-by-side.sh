#!/usr/bin/env bash
# The typesetter and headless Chromium on the same notice, in one run: times,
# sizes and their ratio (crates/pdf/benches/side_by_side.rs). Installs what is
# missing: Debian's chromium, and playwright-core in crates/pdf/benches/chromium
# (its own package.json). Usage: scripts/bench-side-by-side.sh [N]  (default 50)
set -euo pipefail
cd "$(dirname "$0")/.."
[ -f "$HOME/.cargo/env" ] && . "$HOME/.cargo/env"
n=${1:-50}

missing=()
command -v chromium >/dev/null 2>&1 || missing+=(chromium)
command -v npm >/dev/null 2>&1 || missing+=(nodejs npm)
if [ ${#missing[@]} -gt 0 ]; then
  sudo=""; [ "$(id -u)" -ne 0 ] && sudo="sudo"
  echo "installing: ${missing[*]}"
  $sudo apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq --no-install-recommends "${missing[@]}"
fi
( cd crates/pdf/benches/chromium
  [ -d node_modules/playwright-core ] || npm ci --no-audit --no-fund )

echo "machine: $(nproc) cores, load $(cut -d' ' -f1-3 /proc/loadavg), $(chromium --version 2>/dev/null || true)"
cargo bench -p yichuang-pdf --bench side_by_side -- "$n"
echo "load at the end: $(cut -d' ' -f1-3 /proc/loadavg)"
