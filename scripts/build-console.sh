#!/usr/bin/env bash
# Builds the county console's UI (county/console → county/console/dist), which
# the yichuang-county binary embeds: run it before `cargo build --release -p
# yichuang-county` for a package. Without it the binary still builds and its
# console page says the UI is missing.
set -euo pipefail
cd "$(dirname "$0")/../county/console"
if [ ! -d node_modules ] || [ package-lock.json -nt node_modules/.package-lock.json ]; then
  npm ci --no-audit --no-fund || npm install --no-audit --no-fund --no-save
fi
# Nothing to do when the build is newer than every source (the binary
# would otherwise be recompiled for identical assets).
if [ -f dist/index.html ] && [ -z "$(find src index.html package.json package-lock.json vite.config.ts tsconfig.json -newer dist/index.html -print -quit)" ]; then
  echo "console UI up to date"
  exit 0
fi
npm run build
