#!/usr/bin/env bash
# Package tests: builds the county server's .deb (cargo-deb) and the desktop
# app's .deb (the Tauri bundler), installs each on this machine with apt as an
# IT person would, and starts it:
#   county  — yichuang-county-setup against the private test PostgreSQL (roles,
#             schema as the owner, keys), the server started from its systemd
#             unit's ExecStart as the unit's User, /healthz answered, and a
#             real station (the yichuang CLI) enrolled and synced through it;
#   desktop — the installed binary started the way its desktop entry starts it,
#             under Xvfb, to its first screen (the set-up wizard).
# Both packages are purged at the end. Needs root (apt, a system user).
# Debug builds by scripts/build-packages.sh (release builds: the same script).
# Usage: scripts/test-packages.sh [county|desktop]
set -euo pipefail
cd "$(dirname "$0")/.."
root=$PWD
[ -f "$HOME/.cargo/env" ] && . "$HOME/.cargo/env"
target=${CARGO_TARGET_DIR:-$root/target}
only=${1:-}
[ "$(id -u)" -eq 0 ] || { echo "test-packages: needs root (apt-get install, a system user)" >&2; exit 1; }

fail() { echo "test-packages: FAILED: $*" >&2; exit 1; }
check() { local what=$1; shift; "$@" || fail "$what"; echo "  ok: $what"; }
free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }

work=$(mktemp -d)
pids=()
cleanup() {
  for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done
  wait 2>/dev/null || true
  declare -F county_cleanup >/dev/null && county_cleanup
  if dpkg-query -W yichuang-desktop >/dev/null 2>&1; then apt-get purge -y -qq yichuang-desktop >/dev/null 2>&1 || true; fi
  rm -rf "$work"
}
trap cleanup EXIT
trap "exit 1" INT TERM
export DEBIAN_FRONTEND=noninteractive

# ---- county server --------------------------------------------------------------
county_test() {
  echo "== county server package"
  bash scripts/build-packages.sh --debug --out "$work/debs" county >"$work/build-county.log" 2>&1 \
    || { tail -40 "$work/build-county.log"; fail "building the county package"; }
  local deb; deb=$(ls "$work"/debs/yichuang-county_*.deb)
  echo "  built $(basename "$deb") ($(du -h "$deb" | cut -f1))"
  apt-get install -y -qq --no-install-recommends "$deb" >"$work/apt-county.log" 2>&1 \
    || { cat "$work/apt-county.log"; fail "apt-get install $deb"; }
  county_cleanup() {
    if [ -n "${county_pid:-}" ]; then kill "$county_pid" 2>/dev/null || true; fi
    apt-get purge -y -qq yichuang-county >/dev/null 2>&1 || true
    if [ -n "${pg_dir:-}" ]; then
      local su=(runuser -u postgres -- psql -X -q -h "$pg_dir" -p "$pg_port" -U postgres -d postgres)
      "${su[@]}" -c "DROP DATABASE IF EXISTS $db WITH (FORCE)" >/dev/null 2>&1 || true
      "${su[@]}" -c "DROP ROLE IF EXISTS yichuang_county" -c "DROP ROLE IF EXISTS yichuang_owner" >/dev/null 2>&1 || true
    fi
    # The test machine's own state back as it was (an IT person keeps it: see postrm).
    rm -rf /var/lib/yichuang-county /etc/yichuang-county
    if getent passwd yichuang_county >/dev/null; then deluser --quiet --system yichuang_county >/dev/null 2>&1 || true; fi
    if getent group yichuang_county >/dev/null; then delgroup --quiet --system yichuang_county >/dev/null 2>&1 || true; fi
  }

  # What the package put where.
  local unit; unit=$(dpkg -L yichuang-county | grep '/systemd/system/yichuang-county.service$')
  check "binary, setup command and example TLS config installed" test -x /usr/bin/yichuang-county \
    -a -x /usr/sbin/yichuang-county-setup -a -f /usr/share/doc/yichuang-county/examples/nginx-yichuang-county.conf
  check "system user yichuang_county" bash -c "getent passwd yichuang_county >/dev/null"
  check "config readable by root and the service's group only" \
    test "$(stat -c %a:%U:%G /etc/yichuang-county/county.toml)" = 640:root:yichuang_county
  check "config is a conffile" grep -q '^/etc/yichuang-county/county.toml$' /var/lib/dpkg/info/yichuang-county.conffiles
  check "state directory owner-only" test "$(stat -c %a:%U /var/lib/yichuang-county/keys)" = 700:yichuang_county
  local user exec_start
  user=$(sed -n 's/^User=//p' "$unit")
  exec_start=$(sed -n 's/^ExecStart=//p' "$unit")
  check "unit runs as the service user" test "$user" = yichuang_county
  echo "  unit: $unit"
  echo "  ExecStart=$exec_start"

  # The county's PostgreSQL: the private test cluster, reached through its
  # socket as the shipped config does (only host, port and name differ).
  bash scripts/pg-test-cluster.sh start >"$work/pg.log" 2>&1 || { cat "$work/pg.log"; fail "the test PostgreSQL"; }
  pg_dir=${YICHUANG_PG_DIR:-/tmp/yichuang-pg-test}
  pg_port=$(cat "$pg_dir/port")
  db="yc_pkg_$$"
  local cport; cport=$(free_port)
  sed -i -e "s|^database_url = .*|database_url = \"host=$pg_dir port=$pg_port dbname=$db user=yichuang_county\"|" \
         -e "s|^listen = .*|listen = \"127.0.0.1:$cport\"|" /etc/yichuang-county/county.toml
  PGHOST="$pg_dir" PGPORT="$pg_port" yichuang-county-setup --database "$db" --no-start >"$work/setup.log" 2>&1 \
    || { cat "$work/setup.log"; fail "yichuang-county-setup"; }
  local su=(runuser -u postgres -- psql -X -q -tA -h "$pg_dir" -p "$pg_port" -U postgres -d "$db")
  check "schema owned by yichuang_owner" test "$("${su[@]}" -c "SELECT tableowner FROM pg_tables WHERE tablename = 'events'")" = yichuang_owner
  check "keys made, owner-only" test "$(stat -c %a:%U /var/lib/yichuang-county/keys/answer.key)" = 600:yichuang_county
  # The service's role may append events but never delete them.
  check "service role cannot delete events" bash -c "! runuser -u yichuang_county -- psql -X -q -h '$pg_dir' -p '$pg_port' -d '$db' -c 'DELETE FROM events' 2>/dev/null"
  PGHOST="$pg_dir" PGPORT="$pg_port" yichuang-county-setup --database "$db" --no-start >"$work/setup2.log" 2>&1 \
    || { cat "$work/setup2.log"; fail "yichuang-county-setup a second time"; }
  check "setup again keeps the keys" grep -q "keys exist: kept" "$work/setup2.log"

  # The server as systemd would start it: the unit's command line, its user.
  # shellcheck disable=SC2086
  runuser -u "$user" -- $exec_start >"$work/county.log" 2>&1 &
  county_pid=$!
  pids+=("$county_pid")
  local ok=""
  for _ in $(seq 100); do
    ok=$(curl -fsS "http://127.0.0.1:$cport/healthz" 2>/dev/null) && break
    kill -0 "$county_pid" 2>/dev/null || { cat "$work/county.log"; fail "the server exited"; }
    sleep 0.1
  done
  check "GET /healthz answers ok" test "$ok" = ok
  curl -fsS "http://127.0.0.1:$cport/console/" >"$work/console.html" || fail "GET /console/"
  check "the console's UI is in the binary" bash -c "grep -q '县级监管控制台' '$work/console.html' && ! grep -q '尚未构建' '$work/console.html'"

  # A real station enrols and syncs through the installed server; the admin
  # commands run as the service's user with the shipped config.
  local cli="$target/debug/yichuang" admin=(runuser -u "$user" -- yichuang-county --config /etc/yichuang-county/county.toml)
  [ -x "$cli" ] || cargo build -q -p yichuang
  local code; code=$("${admin[@]}" enroll-code --station DEMO01 2>/dev/null | tail -1)
  local st="$work/station.sqlite3"
  "$cli" --db "$st" demo --cases 3 >/dev/null
  YICHUANG_PASSWORD=demo1234 "$cli" --db "$st" login 0001 >/dev/null
  "$cli" --db "$st" enroll "http://127.0.0.1:$cport" "$code" >"$work/enroll.log" 2>&1 || { cat "$work/enroll.log"; fail "station enrolment"; }
  "$cli" --db "$st" sync now >"$work/sync.log" 2>&1 || { cat "$work/sync.log"; fail "station sync"; }
  local status acked county_events
  status=$("$cli" --db "$st" --json sync status)
  acked=$(python3 -c 'import json,sys; s=json.load(sys.stdin); assert s["queued"] == 0, s; print(s["acked_seq"])' <<<"$status") \
    || fail "the station's queue is not empty after sync: $status"
  county_events=$("${su[@]}" -c "SELECT count(*) FROM events")
  check "the station's $acked events reached the county" test "$county_events" = "$acked" -a "$acked" -gt 0
  "${admin[@]}" devices >"$work/devices.txt" || fail "devices"
  grep -q DEMO01 "$work/devices.txt" || fail "devices lists the station"
  echo "  ok: devices lists the station"
  kill "$county_pid"; wait "$county_pid" 2>/dev/null || true
  county_pid=""
  county_cleanup
  check "purged" bash -c "! dpkg-query -W yichuang-county >/dev/null 2>&1"
  echo "county package: all steps passed"
}

# ---- desktop app ---------------------------------------------------------------
desktop_test() {
  echo "== desktop package"
  bash scripts/build-packages.sh --debug --out "$work/debs" desktop >"$work/build-desktop.log" 2>&1 \
    || { tail -40 "$work/build-desktop.log"; fail "building the desktop package"; }
  local deb; deb=$(ls "$work"/debs/yichuang-desktop_*.deb)
  echo "  built $(basename "$deb") ($(du -h "$deb" | cut -f1))"
  apt-get install -y -qq --no-install-recommends "$deb" >"$work/apt-desktop.log" 2>&1 \
    || { cat "$work/apt-desktop.log"; fail "apt-get install $deb"; }
  local depends; depends=$(dpkg-query -W -f='${Depends}' yichuang-desktop)
  for dep in libwebkit2gtk-4.1-0 fonts-noto-cjk poppler-utils cups-client libdbus-1-3; do
    check "declares $dep" grep -q "$dep" <<<"$depends"
  done
  local entry=/usr/share/applications/yichuang-desktop.desktop
  check "desktop entry named 一窗" grep -qx 'Name=一窗' "$entry"
  check "desktop entry starts the binary" grep -qx 'Exec=yichuang-desktop' "$entry"
  if command -v desktop-file-validate >/dev/null; then check "desktop entry valid" desktop-file-validate "$entry"; fi
  check "icon installed" bash -c "dpkg -L yichuang-desktop | grep -q '/icons/hicolor/.*/apps/yichuang-desktop.png$'"
  E2E_ONLY=installed E2E_INSTALLED_APP=/usr/bin/yichuang-desktop bash scripts/test-desktop.sh --e2e-only
  apt-get purge -y -qq yichuang-desktop >/dev/null
  check "purged" bash -c "! test -e /usr/bin/yichuang-desktop"
  echo "desktop package: all steps passed"
}

[ "$only" = desktop ] || county_test
[ "$only" = county ] || desktop_test
