#!/usr/bin/env bash
# Measures the desktop app: time from launch to an interactive window (the UI
# reports through the `ui_ready` command once its first screen is painted), and
# resident memory of the app process and of the app with its WebKit helper
# processes. Goals (issue 5): ≤ 2 s, ≤ 200 MB. Prints the figures; asserts nothing.
# Usage: scripts/measure-desktop.sh [--debug] [runs]   (default: release build, 5 runs)
set -euo pipefail
cd "$(dirname "$0")/.."
[ -f "$HOME/.cargo/env" ] && . "$HOME/.cargo/env"
target=${CARGO_TARGET_DIR:-$PWD/target}
profile=release
[ "${1:-}" = "--debug" ] && { profile=debug; shift; }
runs=${1:-5}

[ -d ui/dist/assets ] || ( cd ui && { [ -d node_modules ] || npm ci --no-audit --no-fund || npm install --no-audit --no-fund --no-save; } && npm run build )
if [ $profile = release ]; then cargo build --release -p yichuang-desktop; else cargo build -p yichuang-desktop; fi
app="$target/$profile/yichuang-desktop"

work=$(mktemp -d)
pids=()
cleanup() {
  for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done
  wait 2>/dev/null || true
  rm -rf "$work"
}
trap cleanup EXIT
if [ -z "${DISPLAY:-}" ]; then
  disp=99
  while [ -e "/tmp/.X$disp-lock" ]; do disp=$((disp + 1)); done
  Xvfb ":$disp" -screen 0 1280x1024x24 -nolisten tcp >/dev/null 2>&1 &
  pids+=($!)
  export DISPLAY=":$disp"
  for _ in $(seq 50); do [ -e "/tmp/.X11-unix/X$disp" ] && break; sleep 0.1; done
fi

descendants() { local c; for c in $(pgrep -P "$1" 2>/dev/null || true); do echo "$c"; descendants "$c"; done; }
rss_kb() { awk '/^VmRSS:/ {print $2}' "/proc/$1/status" 2>/dev/null || echo 0; }
# PSS shares each shared page among the processes mapping it, so the sum over
# the app and its WebKit helpers does not count the WebKit libraries three times.
pss_kb() { awk '/^Pss:/ {print $2}' "/proc/$1/smaps_rollup" 2>/dev/null || echo 0; }

db="$work/station.sqlite3"
echo "binary: $app ($profile)"
echo "run  launch→interactive  app RSS   app+WebKit RSS  app+WebKit PSS"
for i in $(seq 0 "$runs"); do
  err="$work/err.$i"
  t0=$(date +%s%N)
  YICHUANG_MEASURE=1 "$app" --db "$db" --demo 2>"$err" >/dev/null &
  pid=$!
  ok=0
  for _ in $(seq 600); do
    grep -q 'interactive after' "$err" 2>/dev/null && { ok=1; break; }
    kill -0 "$pid" 2>/dev/null || break
    sleep 0.01
  done
  t1=$(date +%s%N)
  if [ $ok -ne 1 ]; then echo "run $i: the window never became interactive"; cat "$err"; kill "$pid" 2>/dev/null || true; exit 1; fi
  sleep 2 # let the page settle before reading memory
  app_kb=$(rss_kb "$pid")
  total_kb=$app_kb
  pss=$(pss_kb "$pid")
  kids=$(descendants "$pid")
  for c in $kids; do total_kb=$((total_kb + $(rss_kb "$c"))); pss=$((pss + $(pss_kb "$c"))); done
  for c in $kids; do kill "$c" 2>/dev/null || true; done
  kill "$pid" 2>/dev/null || true
  wait "$pid" 2>/dev/null || true
  ms=$(( (t1 - t0) / 1000000 ))
  if [ "$i" -eq 0 ]; then
    echo "  0  ${ms} ms (first start: creates and seeds the demo database; not counted)"
    continue
  fi
  printf '%3d  %6d ms            %4d MB    %4d MB          %4d MB\n' "$i" "$ms" $((app_kb / 1024)) $((total_kb / 1024)) $((pss / 1024))
  echo "$ms $app_kb $total_kb $pss" >>"$work/figures"
done
awk '{t+=$1; a+=$2; w+=$3; p+=$4; if ($1>mt) mt=$1; n++}
     END {printf "mean: %d ms to interactive (max %d; goal ≤ 2000); app process RSS %d MB (goal ≤ 200); with WebKit helpers: RSS %d MB, PSS %d MB\n",
          t/n, mt, a/n/1024, w/n/1024, p/n/1024}' "$work/figures"
