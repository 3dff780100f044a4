#!/usr/bin/env bash
# The window's working day, for memory (src-tauri/e2e/workday_memory.py): log
# in, 40 counter cases (registered, decided, notice previewed and printed,
# every view opened after each), sync; PSS of the app and its WebKit web and
# network processes at the first screen and along the day. Prints figures;
# asserts nothing. Needs tauri-driver and WebKitWebDriver (installed when
# missing, as scripts/test-desktop.sh does).
# Usage: scripts/measure-workday.sh [--debug] [cases]   (default: release build, 40 cases)
# YICHUANG_DESKTOP_BIN=path measures that binary as built (no ui or cargo build).
set -euo pipefail
cd "$(dirname "$0")/.."
[ -f "$HOME/.cargo/env" ] && . "$HOME/.cargo/env"
target=${CARGO_TARGET_DIR:-$PWD/target}
profile=release
[ "${1:-}" = "--debug" ] && { profile=debug; shift; }
cases=${1:-40}

want=(libwebkit2gtk-4.1-dev webkit2gtk-driver xvfb xauth fonts-noto-cjk poppler-utils python3-venv)
missing=()
for p in "${want[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if python3 -c 'import venv, ensurepip' 2>/dev/null; then missing=("${missing[@]/python3-venv}"); fi
missing=($(printf '%s\n' "${missing[@]}" | grep -v '^$' || true))
if [ ${#missing[@]} -gt 0 ]; then
  sudo=""; [ "$(id -u)" -ne 0 ] && sudo="sudo"
  echo "installing: ${missing[*]}"
  $sudo apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq --no-install-recommends "${missing[@]}"
fi
command -v tauri-driver >/dev/null 2>&1 || cargo install tauri-driver --locked

app=${YICHUANG_DESKTOP_BIN:-}
[ -n "$app" ] && profile="as given"
if [ -z "$app" ]; then
  [ -d ui/dist/assets ] || ( cd ui && { [ -d node_modules ] || npm ci --no-audit --no-fund || npm install --no-audit --no-fund --no-save; } && npm run build )
  if [ $profile = release ]; then cargo build --release -p yichuang-desktop; else cargo build -p yichuang-desktop; fi
  app="$target/$profile/yichuang-desktop"
fi
venv="$target/e2e-venv"
[ -x "$venv/bin/python" ] || python3 -m venv "$venv"
"$venv/bin/python" -c 'import selenium' 2>/dev/null || "$venv/bin/pip" install -q 'selenium>=4.20,<5'

work=$(mktemp -d)
export XDG_CONFIG_HOME="$work/config"
mkdir -p "$XDG_CONFIG_HOME"
# A stand-in for CUPS `lp`: the notice is sent, nothing is printed.
cat > "$work/lp" <<'LP'
#!/bin/sh
echo "request id is workday-1 (1 file(s))"
LP
chmod +x "$work/lp"
pids=()
cleanup() {
  # By id; tauri-driver leaves its WebKitWebDriver child running, so stop children first.
  for p in "${pids[@]}"; do
    for c in $(pgrep -P "$p" 2>/dev/null || true); do kill "$c" 2>/dev/null || true; done
    kill "$p" 2>/dev/null || true
  done
  wait 2>/dev/null || true
  rm -rf "$work"
}
trap cleanup EXIT
trap "exit 1" INT TERM
if [ -z "${DISPLAY:-}" ]; then
  disp=99
  while [ -e "/tmp/.X$disp-lock" ]; do disp=$((disp + 1)); done
  Xvfb ":$disp" -screen 0 1280x1024x24 -nolisten tcp >/dev/null 2>&1 &
  pids+=($!)
  export DISPLAY=":$disp"
  for _ in $(seq 50); do [ -e "/tmp/.X11-unix/X$disp" ] && break; sleep 0.1; done
fi
free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }
port=$(free_port) nport=$(free_port)
YICHUANG_LP="$work/lp" tauri-driver --port "$port" --native-port "$nport" >"$work/driver.log" 2>&1 &
pids+=($!)
for _ in $(seq 100); do (exec 3<>"/dev/tcp/127.0.0.1/$port") 2>/dev/null && break; sleep 0.1; done

echo "binary: $app ($profile); machine: $(nproc) cores, load $(cut -d' ' -f1-3 /proc/loadavg)"
env | grep -E '^(WEBKIT|JSC|GDK|GSK|LIBGL)_' | sed 's/^/env: /' || true
E2E_APP="$app" E2E_DRIVER="http://127.0.0.1:$port" E2E_DB="$work/station.sqlite3" WORKDAY_CASES="$cases" \
  timeout 1800 "$venv/bin/python" src-tauri/e2e/workday_memory.py || {
    echo "--- tauri-driver log"; tail -40 "$work/driver.log"; exit 1; }
echo "load at the end: $(cut -d' ' -f1-3 /proc/loadavg)"
