#!/usr/bin/env bash
# Desktop tests: UI unit tests (Vitest), the Tauri commands (tauri::test, no
# display), and the real app end to end (tauri-driver + WebKitWebDriver under
# Xvfb) with a screenshot per step in $TARGET/e2e-screenshots/.
# Installs what is missing first.
# Usage: scripts/test-desktop.sh [--no-e2e | --e2e-only]
set -euo pipefail
cd "$(dirname "$0")/.."
root=$PWD
[ -f "$HOME/.cargo/env" ] && . "$HOME/.cargo/env"
target=${CARGO_TARGET_DIR:-$root/target}
e2e=1 unit=1
[ "${1:-}" = "--no-e2e" ] && e2e=0
[ "${1:-}" = "--e2e-only" ] && unit=0

# ---- system packages (Debian family) ---------------------------------------------
want=(libwebkit2gtk-4.1-dev libayatana-appindicator3-dev librsvg2-dev libxdo-dev libssl-dev libdbus-1-dev
      build-essential pkg-config webkit2gtk-driver xvfb xauth fonts-noto-cjk poppler-utils
      imagemagick python3-venv postgresql cups-daemon cups-client)
missing=()
for p in "${want[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
# python3-venv is only needed when the python3 on PATH is Debian's own.
if python3 -c 'import venv, ensurepip' 2>/dev/null; then
  missing=("${missing[@]/python3-venv}")
fi
missing=($(printf '%s\n' "${missing[@]}" | grep -v '^$' || true))
if [ ${#missing[@]} -gt 0 ]; then
  sudo=""; [ "$(id -u)" -ne 0 ] && sudo="sudo"
  echo "installing: ${missing[*]}"
  $sudo apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq --no-install-recommends "${missing[@]}"
fi
if ! command -v npm >/dev/null 2>&1; then
  sudo=""; [ "$(id -u)" -ne 0 ] && sudo="sudo"
  $sudo apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq --no-install-recommends nodejs npm
fi
node -e 'const [a,b]=process.versions.node.split(".").map(Number); if (a<20||(a===20&&b<19)) { console.error("Node.js >= 20.19 is needed for Vite 7 (found "+process.versions.node+")"); process.exit(1) }'

# ---- UI: install, unit tests, build (the binary embeds ui/dist) --------------------------
[ $unit -eq 1 ] && ( cd ui
  if [ ! -d node_modules ] || [ package-lock.json -nt node_modules/.package-lock.json ]; then
    # `npm ci` refuses this lockfile on registries that omit other platforms'
    # optional packages (rollup/esbuild binaries); `install --no-save` keeps it as is.
    npm ci --no-audit --no-fund || npm install --no-audit --no-fund --no-save
  fi
  npx vitest run
  npm run build )

# ---- Shell: command tests on the mock runtime ------------------------------------
[ $unit -eq 1 ] && cargo test -p yichuang-desktop
[ $e2e -eq 1 ] || exit 0

# ---- End to end: the real app under Xvfb ------------------------------------------------
command -v tauri-driver >/dev/null 2>&1 || cargo install tauri-driver --locked
cargo build -p yichuang-desktop --features yichuang-desktop/test-clock -p yichuang-county
app="$target/debug/yichuang-desktop"
county="$target/debug/yichuang-county"
venv="$target/e2e-venv"
[ -x "$venv/bin/python" ] || python3 -m venv "$venv"
"$venv/bin/python" -c 'import selenium, Xlib' 2>/dev/null || "$venv/bin/pip" install -q 'selenium>=4.20,<5' 'python-xlib>=0.33,<1'

work=$(mktemp -d)
shots="$target/e2e-screenshots"
# The package test adds its screenshot beside the e2e ones of the same run.
[ "${E2E_ONLY:-}" = installed ] || rm -rf "$shots"
mkdir -p "$shots" "$work/spool"
pids=()
cleanup() {
  # Stop what this script started, by id: tauri-driver leaves its
  # WebKitWebDriver child running, so stop the children first.
  for p in "${pids[@]}"; do
    for c in $(pgrep -P "$p" 2>/dev/null || true); do kill "$c" 2>/dev/null || true; done
    kill "$p" 2>/dev/null || true
  done
  wait 2>/dev/null || true
  declare -F drop_county_db >/dev/null && drop_county_db
  bash "$root/scripts/cups-test-printer.sh" stop "$work/cups" 2>/dev/null || true
  rm -rf "$work"
}
trap cleanup EXIT
trap "exit 1" INT TERM

# A real CUPS (a private cupsd, not the machine's): the queue "counter" keeps
# each job's bytes in $work/spool, "broken" fails every job.
cups_server=$(bash scripts/cups-test-printer.sh start "$work/cups" "$work/spool" | tail -1)

# A real county server on a fresh database of the private test cluster, for
# the enrolment and background-sync steps.
pg_url=$(bash scripts/pg-test-cluster.sh start | tail -1)
county_db="yc_e2e_$$"
psql -q "$pg_url" -c "CREATE DATABASE $county_db" >/dev/null
county_db_url="${pg_url%/*}/$county_db"
cport=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
# The county's key files, as its administrator makes them once.
export YICHUANG_COUNTY_ANSWER_KEY_FILE="$work/answer.key" YICHUANG_COUNTY_RELEASE_KEY_FILE="$work/release.key" \
  YICHUANG_COUNTY_ADMIN_LOG="$work/admin.log"
"$county" keygen >/dev/null
YICHUANG_COUNTY_DATABASE_URL="$county_db_url" YICHUANG_COUNTY_LISTEN="127.0.0.1:$cport" \
  "$county" serve >"$work/county.log" 2>&1 &
pids+=($!)
drop_county_db() { psql -q "$pg_url" -c "DROP DATABASE IF EXISTS $county_db WITH (FORCE)" >/dev/null 2>&1 || true; }
for _ in $(seq 100); do
  (exec 3<>"/dev/tcp/127.0.0.1/$cport") 2>/dev/null && break
  sleep 0.1
done
enrol_code=$(YICHUANG_COUNTY_DATABASE_URL="$county_db_url" "$county" enroll-code --station DEMO01 | tail -1)

disp=99
while [ -e "/tmp/.X$disp-lock" ]; do disp=$((disp + 1)); done
# As wide as the widest and as tall as the tallest window size the test tries
# (1280×860 for the steps, 1024×768 and 1366×768 for the layout check); each
# screenshot is the screen's top-left corner the size of the window.
Xvfb ":$disp" -screen 0 1366x860x24 -nolisten tcp >"$work/xvfb.log" 2>&1 &
pids+=($!)
port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
nport=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
for _ in $(seq 50); do [ -e "/tmp/.X11-unix/X$disp" ] && break; sleep 0.1; done
# XDG_CONFIG_HOME: a window size remembered (window-state plugin) by another
# run or by the developer's own app must not change this one; XDG_DATA_HOME:
# an app started without --db finds no station of the developer's.
mkdir -p "$work/config" "$work/data"
DISPLAY=":$disp" YICHUANG_NOW=2026-11-23T09:30:00+08:00 CUPS_SERVER="$cups_server" \
  WEBKIT_DISABLE_COMPOSITING_MODE=1 XDG_CONFIG_HOME="$work/config" XDG_DATA_HOME="$work/data" \
  tauri-driver --port "$port" --native-port "$nport" >"$work/driver.log" 2>&1 &
pids+=($!)
for _ in $(seq 100); do
  (exec 3<>"/dev/tcp/127.0.0.1/$port") 2>/dev/null && break
  sleep 0.1
done

# E2E_ONLY=setup (or backup, or ledger) runs that test alone (while working on it);
# E2E_ONLY=installed is the package test's (scripts/test-packages.sh).
only=${E2E_ONLY:-}
if [ -z "$only" ]; then
  E2E_APP="$app" E2E_DRIVER="http://127.0.0.1:$port" E2E_DB="$work/e2e.sqlite3" \
  E2E_SHOTS="$shots" E2E_SPOOL="$work/spool" E2E_DISPLAY=":$disp" E2E_CONFIG="$work/config" \
  E2E_COUNTY_URL="http://127.0.0.1:$cport" E2E_ENROL_CODE="$enrol_code" \
  E2E_COUNTY="env YICHUANG_COUNTY_DATABASE_URL=$county_db_url $county" \
    timeout 900 "$venv/bin/python" src-tauri/e2e/test_desktop.py || {
      echo "--- tauri-driver log"; tail -40 "$work/driver.log"
      echo "--- county log"; tail -20 "$work/county.log"; exit 1; }
fi
# A new station on an empty data directory: set-up wizard, accounts, lockout,
# the recorded ID reveal, a voided notice, the idle lock.
if [ -z "$only" ] || [ "$only" = setup ]; then
  E2E_APP="$app" E2E_DRIVER="http://127.0.0.1:$port" E2E_DB="$work/unused.sqlite3" \
  E2E_SETUP_DB="$work/new-station/station.sqlite3" \
  E2E_SHOTS="$shots/setup" E2E_SPOOL="$work/spool" E2E_DISPLAY=":$disp" E2E_CONFIG="$work/config" \
  E2E_COUNTY_URL="http://127.0.0.1:$cport" E2E_ENROL_CODE="unused" E2E_COUNTY="true" \
    timeout 900 "$venv/bin/python" src-tauri/e2e/test_station_setup.py || {
      echo "--- tauri-driver log"; tail -40 "$work/driver.log"; exit 1; }
fi
# Backups and restores: a demo station enrolled with the county, two verified
# backups, the older one restored (the county ahead: nothing written), the
# newest restored (settled, working).
if [ -z "$only" ] || [ "$only" = backup ]; then
  mkdir -p "$work/usb" "$work/restored"
  E2E_APP="$app" E2E_DRIVER="http://127.0.0.1:$port" E2E_DB="$work/unused.sqlite3" \
  E2E_BACKUP_DB="$work/backup-demo/station.sqlite3" E2E_BACKUP_DIR="$work/usb" E2E_RESTORE_DIR="$work/restored" \
  E2E_SHOTS="$shots/backup" E2E_SPOOL="$work/spool" E2E_DISPLAY=":$disp" E2E_CONFIG="$work/config" \
  E2E_COUNTY_URL="http://127.0.0.1:$cport" E2E_ENROL_CODE="unused" \
  E2E_COUNTY="env YICHUANG_COUNTY_DATABASE_URL=$county_db_url $county" \
    timeout 900 "$venv/bin/python" src-tauri/e2e/test_backup.py || {
      echo "--- tauri-driver log"; tail -40 "$work/driver.log"
      echo "--- county log"; tail -20 "$work/county.log"; exit 1; }
fi
# The 台账 export from the window, read back with openpyxl.
if [ -z "$only" ] || [ "$only" = ledger ]; then
  "$venv/bin/python" -c 'import openpyxl' 2>/dev/null || "$venv/bin/pip" install -q 'openpyxl>=3.1,<4'
  mkdir -p "$work/ledger-out"
  E2E_APP="$app" E2E_DRIVER="http://127.0.0.1:$port" E2E_DB="$work/ledger.sqlite3" E2E_OUT="$work/ledger-out" \
  E2E_SHOTS="$shots/ledger" E2E_SPOOL="$work/spool" E2E_DISPLAY=":$disp" E2E_CONFIG="$work/config" \
  E2E_COUNTY_URL="http://127.0.0.1:$cport" E2E_ENROL_CODE="unused" E2E_COUNTY="true" \
    timeout 600 "$venv/bin/python" src-tauri/e2e/test_ledger.py || {
      echo "--- tauri-driver log"; tail -40 "$work/driver.log"; exit 1; }
fi
# The app installed from its .deb (scripts/test-packages.sh installs it and
# sets E2E_INSTALLED_APP): started without arguments, to its first screen.
if [ "$only" = installed ]; then
  E2E_APP="${E2E_INSTALLED_APP:?the installed binary}" E2E_DRIVER="http://127.0.0.1:$port" E2E_DB="$work/unused.sqlite3" \
  E2E_DATA="$work/data" E2E_SHOTS="$shots/installed" E2E_SPOOL="$work/spool" E2E_DISPLAY=":$disp" E2E_CONFIG="$work/config" \
  E2E_COUNTY_URL="http://127.0.0.1:$cport" E2E_ENROL_CODE="unused" E2E_COUNTY="true" \
    timeout 300 "$venv/bin/python" src-tauri/e2e/test_installed.py || {
      echo "--- tauri-driver log"; tail -40 "$work/driver.log"; exit 1; }
fi
echo "screenshots: $shots"
