#!/usr/bin/env bash
# The county console end to end: its UI built and embedded, a real county
# server on a fresh database of the private PostgreSQL test cluster, two
# real stations (the `yichuang` CLI on SQLite) enrolled and synced over
# three pinned days, and Debian's Chromium (chromedriver, selenium) driving
# the console: log-in refused and locked, the 总览 equal to the stations'
# own figures, 账号 and 审计日志. Screenshots in $TARGET/console-screenshots/.
set -euo pipefail
cd "$(dirname "$0")/.."
root=$PWD
[ -f "$HOME/.cargo/env" ] && . "$HOME/.cargo/env"
target=${CARGO_TARGET_DIR:-$root/target}

want=(chromium chromium-driver python3-venv postgresql fonts-noto-cjk)
missing=()
for p in "${want[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
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

./scripts/build-console.sh
# The station CLI honours YICHUANG_NOW only with the engine's test feature.
cargo build -p yichuang --features yichuang-engine/clock-override -p yichuang-county
county="$target/debug/yichuang-county"
venv="$target/e2e-venv"
[ -x "$venv/bin/python" ] || python3 -m venv "$venv"
"$venv/bin/python" -c 'import selenium' 2>/dev/null || "$venv/bin/pip" install -q 'selenium>=4.20,<5'
# The e2e reads the exported workbooks back.
"$venv/bin/python" -c 'import openpyxl' 2>/dev/null || "$venv/bin/pip" install -q 'openpyxl>=3.1,<4'

work=$(mktemp -d)
shots="$target/console-screenshots"
rm -rf "$shots"; mkdir -p "$shots" "$work/stations"
pids=()
cleanup() {
  for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done
  wait 2>/dev/null || true
  declare -F drop_county_db >/dev/null && drop_county_db
  rm -rf "$work"
}
trap cleanup EXIT
trap "exit 1" INT TERM

pg_url=$(bash scripts/pg-test-cluster.sh start | tail -1)
county_db="yc_console_e2e_$$"
psql -q "$pg_url" -c "CREATE DATABASE $county_db" >/dev/null
drop_county_db() { psql -q "$pg_url" -c "DROP DATABASE IF EXISTS $county_db WITH (FORCE)" >/dev/null 2>&1 || true; }
export YICHUANG_COUNTY_DATABASE_URL="${pg_url%/*}/$county_db"
export YICHUANG_COUNTY_ANSWER_KEY_FILE="$work/answer.key" YICHUANG_COUNTY_RELEASE_KEY_FILE="$work/release.key" \
  YICHUANG_COUNTY_ADMIN_LOG="$work/admin.log"
"$county" keygen >/dev/null
"$county" migrate >/dev/null
# The first administrator, its password on standard input (never argv).
admin_password="县级管理员口令$$"
printf '%s\n' "$admin_password" | "$county" staff add --role admin --login admin --name 县管理员 >/dev/null
cport=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
YICHUANG_COUNTY_LISTEN="127.0.0.1:$cport" "$county" serve >"$work/county.log" 2>&1 &
pids+=($!)
for _ in $(seq 100); do
  (exec 3<>"/dev/tcp/127.0.0.1/$cport") 2>/dev/null && break
  sleep 0.1
done

E2E_CONSOLE_URL="http://127.0.0.1:$cport/console/" E2E_COUNTY_URL="http://127.0.0.1:$cport" \
E2E_COUNTY="$county" E2E_STATION="$target/debug/yichuang" E2E_WORK="$work/stations" \
E2E_SHOTS="$shots" E2E_ADMIN_PASSWORD="$admin_password" \
  timeout 600 "$venv/bin/python" county/console/e2e/test_console.py || {
    echo "--- county log"; tail -30 "$work/county.log"; exit 1; }
echo "screenshots: $shots"
