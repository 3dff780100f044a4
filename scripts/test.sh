#!/usr/bin/env bash
# The whole test suite (README "test" command; CI runs exactly this).
set -euo pipefail
cd "$(dirname "$0")/.."
./scripts/install-deps.sh --test
[ -f "$HOME/.cargo/env" ] && . "$HOME/.cargo/env"

cargo fmt --all --check
cargo clippy --workspace --all-targets -- -D warnings
# --all-targets also runs the benchmarks' main() at smoke size (debug build).
cargo test --workspace --all-targets
# The desktop app: Vitest, UI build, tauri::test, WebDriver end to end under Xvfb.
./scripts/test-desktop.sh
# The county console in a real browser (Debian's Chromium) on a real county
# with real stations synced into it.
./scripts/test-console.sh
# The .deb packages: built, installed with apt, started (county: its unit's
# command line, /healthz, a station synced; desktop: under Xvfb to its first screen).
./scripts/test-packages.sh
