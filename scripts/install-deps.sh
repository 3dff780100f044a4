#!/usr/bin/env bash
# Installs what yichuang needs on a Debian-family machine (Debian, Ubuntu, UOS,
# Kylin), only what is missing. Usage: install-deps.sh [--test]
set -euo pipefail

want=(build-essential pkg-config ca-certificates curl
      fonts-noto-cjk fonts-hanazono           # notice fonts (docs/design/notice-formats.md)
      libssl-dev libdbus-1-dev)               # the engine: SQLCipher over libcrypto; the OS key store (Secret Service over D-Bus)
if [ "${1:-}" = "--test" ]; then
  want+=(poppler-utils qpdf postgresql openssl)  # pdftotext/pdffonts/pdftoppm, qpdf --check, a throwaway PostgreSQL (with TLS)
  want+=(dbus gnome-keyring)                     # a private Secret Service for the key-store test (tests/cli.rs)
  want+=(cups-daemon cups-client)                # a private cupsd for the printing tests (src-tauri/tests/printing.rs, e2e)
  want+=(python3-openpyxl)                       # an independent .xlsx reader for the 台账 tests (testkit read_xlsx)
  want+=(desktop-file-utils)                     # desktop-file-validate for the package test (scripts/test-packages.sh)
fi
# The desktop crate is a workspace member: building it needs WebKitGTK.
want+=(libwebkit2gtk-4.1-dev libayatana-appindicator3-dev librsvg2-dev libxdo-dev)
if [ "${1:-}" = "--test" ]; then
  want+=(webkit2gtk-driver xvfb xauth imagemagick)   # the real app end to end (npm: test-desktop.sh)
  want+=(chromium chromium-driver)                  # the county console end to end (scripts/test-console.sh)
fi

missing=()
for p in "${want[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if [ ${#missing[@]} -gt 0 ]; then
  sudo=""
  [ "$(id -u)" -ne 0 ] && sudo="sudo"
  echo "installing: ${missing[*]}"
  $sudo apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq --no-install-recommends "${missing[@]}"
fi

if ! command -v cargo >/dev/null 2>&1; then
  # Debian's own rustc is too old for edition 2024; rustup installs a current one.
  curl --proto '=https' --tlsv1.2 -sSf https://sh.rustup.rs | sh -s -- -y --profile minimal -c clippy,rustfmt
  # shellcheck disable=SC1091
  . "$HOME/.cargo/env"
fi
