#!/usr/bin/env bash
# Builds the two Debian packages (Debian 12+, Ubuntu 22.04+, UOS, Kylin):
#   yichuang-desktop_<version>_amd64.deb  — the counter app (Tauri bundler;
#       declares WebKitGTK, the CJK fonts, poppler-utils, CUPS' client)
#   yichuang-county_<version>-1_amd64.deb — the county server (cargo-deb;
#       systemd unit, /etc/yichuang-county/county.toml, yichuang-county-setup)
# into OUT (default target/packages). Release builds unless --debug (the
# package test's, faster to build). Usage:
#   scripts/build-packages.sh [--debug] [--out DIR] [county|desktop]
set -euo pipefail
cd "$(dirname "$0")/.."
root=$PWD
[ -f "$HOME/.cargo/env" ] && . "$HOME/.cargo/env"
target=${CARGO_TARGET_DIR:-$root/target}
profile=release out="$target/packages" only=""
while [ $# -gt 0 ]; do
  case "$1" in
    --debug) profile=debug; shift ;;
    --out) out=$2; shift 2 ;;
    county|desktop) only=$1; shift ;;
    *) echo "usage: $0 [--debug] [--out DIR] [county|desktop]" >&2; exit 2 ;;
  esac
done
mkdir -p "$out"
out=$(cd "$out" && pwd)

if [ "$only" != desktop ]; then
  command -v cargo-deb >/dev/null 2>&1 || cargo install cargo-deb --locked
  # The console's UI is embedded in the server binary: built first.
  bash scripts/build-console.sh
  # cargo-deb maps the asset path target/release/ to the profile's directory.
  cargo deb -p yichuang-county --profile "$([ $profile = debug ] && echo dev || echo release)" -o "$out/"
fi
if [ "$only" != county ]; then
  ( cd ui
    [ -x node_modules/.bin/tauri ] || npm ci --no-audit --no-fund || npm install --no-audit --no-fund --no-save
    npm run build )
  # The desktop's normal features (never the test clock); the bundle's
  # settings in src-tauri/tauri.bundle.conf.json. --ci: no prompts.
  ( cd src-tauri && ../ui/node_modules/.bin/tauri build --ci --bundles deb --config tauri.bundle.conf.json \
      $([ $profile = debug ] && echo --debug) )
  cp "$target/$profile"/bundle/deb/yichuang-desktop_*.deb "$out/"
fi
ls -l "$out"/*.deb
