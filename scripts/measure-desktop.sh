#!/usr/bin/env bash
# Measures the desktop app: time from launch to an interactive window (the UI
# reports through the `ui_ready` command once its first screen is painted), and
# resident memory of the app process and of the app with its WebKit helper
# processes. Goals (issue 5): ≤ 2 s, ≤ 200 MB. Prints the figures; asserts nothing.
# Usage: scripts/measure-desktop.sh [--debug] [--views] [runs]   (default: release build, 5 runs)
#   --views: instead, one session driven through tauri-driver (as the e2e test):
#            log in, open every view, PSS after each (WebDriver itself adds
#            ~15 MB to the app process; needs tauri-driver and the e2e venv).
# YICHUANG_DESKTOP_BIN=path measures that binary as built (no ui or cargo build),
# e.g. to compare environment settings without rebuilding.
set -euo pipefail
cd "$(dirname "$0")/.."
[ -f "$HOME/.cargo/env" ] && . "$HOME/.cargo/env"
target=${CARGO_TARGET_DIR:-$PWD/target}
profile=release
views=0
while [ $# -gt 0 ]; do
  case $1 in
    --debug) profile=debug ;;
    --views) views=1 ;;
    *) break ;;
  esac
  shift
done
runs=${1:-5}

app=${YICHUANG_DESKTOP_BIN:-}
if [ -z "$app" ]; then
  [ -d ui/dist/assets ] || ( cd ui && { [ -d node_modules ] || npm ci --no-audit --no-fund || npm install --no-audit --no-fund --no-save; } && npm run build )
  if [ $profile = release ]; then cargo build --release -p yichuang-desktop; else cargo build -p yichuang-desktop; fi
  app="$target/$profile/yichuang-desktop"
fi

work=$(mktemp -d)
# The window starts as on a first start (maximized), not at a size the
# window-state plugin remembered from the developer's own use.
export XDG_CONFIG_HOME="$work/config"
mkdir -p "$XDG_CONFIG_HOME"
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
env | grep -E '^(WEBKIT|JSC|GDK|GSK|LIBGL)_' | sed 's/^/env: /' || true

if [ $views = 1 ]; then
  command -v tauri-driver >/dev/null || { echo "--views needs tauri-driver (cargo install tauri-driver --locked)"; exit 1; }
  venv="$target/e2e-venv"
  [ -x "$venv/bin/python" ] || python3 -m venv "$venv"
  "$venv/bin/python" -c 'import selenium' 2>/dev/null || "$venv/bin/pip" install -q 'selenium>=4.20,<5'
  free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }
  port=$(free_port) nport=$(free_port)
  tauri-driver --port "$port" --native-port "$nport" >"$work/driver.log" 2>&1 &
  pids+=($!)
  for _ in $(seq 100); do (exec 3<>"/dev/tcp/127.0.0.1/$port") 2>/dev/null && break; sleep 0.1; done
  APP="$app" DRIVER="http://127.0.0.1:$port" DB="$db" timeout 600 "$venv/bin/python" - <<'PY'
import os, subprocess, time
from selenium import webdriver
from selenium.webdriver.common.by import By
from selenium.webdriver.common.keys import Keys
from selenium.webdriver.common.options import ArgOptions
from selenium.webdriver.support import expected_conditions as EC
from selenium.webdriver.support.ui import WebDriverWait

def tree(pid):
    kids = subprocess.run(["pgrep", "-P", str(pid)], capture_output=True, text=True).stdout.split()
    return [pid] + [p for k in kids for p in tree(int(k))]

def pss_mb(pid):
    with open(f"/proc/{pid}/smaps_rollup") as f:
        return next(int(l.split()[1]) for l in f if l.startswith("Pss:")) // 1024

opts = ArgOptions()
opts.set_capability("browserName", "wry")
opts.set_capability("tauri:options", {"application": os.environ["APP"], "args": ["--db", os.environ["DB"], "--demo"]})
d = webdriver.Remote(command_executor=os.environ["DRIVER"], options=opts)
wait = lambda css: WebDriverWait(d, 60).until(EC.presence_of_element_located((By.CSS_SELECTOR, css)))
try:
    d.set_window_size(1280, 800)
    wait('body[data-ready="1"]')
    app = int(subprocess.run(["pgrep", "-n", "-f", os.environ["APP"]], capture_output=True, text=True).stdout.split()[0])

    def report(step):
        time.sleep(2)  # let the page settle
        by = {}
        for p in tree(app):
            with open(f"/proc/{p}/comm") as f:
                comm = f.read().strip()
            name = {"WebKitWebProces": "web", "WebKitNetworkPr": "network"}.get(comm, "app")
            by[name] = by.get(name, 0) + pss_mb(p)
        print(f"{step:<34} PSS app {by.get('app', 0):4d}  web {by.get('web', 0):4d}  network {by.get('network', 0):4d}  total {sum(by.values()):4d} MB", flush=True)

    report("login screen")
    wait("input#login-staff").send_keys("1001")  # the demo leader: every view
    wait("input#login-password").send_keys("demo1234", Keys.ENTER)
    wait("#current-clerk")
    report("logged in (受理登记)")
    for nav, ready in [("cases", "#case-search"), ("deadlines", "#deadline-charts svg"), ("approvals", "#approval-queue"),
                       ("evaluations", "#eval-stats"), ("sync", "#verify-log"), ("settings", ".main .panel")]:
        d.find_element(By.CSS_SELECTOR, f"#nav-{nav}").click()
        wait(ready)
        report(f"+ {nav}")
    d.find_element(By.CSS_SELECTOR, "#nav-cases").click()
    wait("input#case-search").send_keys("测试", Keys.ENTER)
    wait(".el-table__row")
    report("+ case search")
finally:
    d.quit()
PY
  exit
fi
echo "run  launch→interactive  app RSS  all RSS   PSS: app   web   network  total"
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
  app_pss=$(pss_kb "$pid")
  pss=$app_pss web=0 net=0
  kids=$(descendants "$pid")
  for c in $kids; do
    k=$(pss_kb "$c")
    total_kb=$((total_kb + $(rss_kb "$c")))
    pss=$((pss + k))
    case "$(cat "/proc/$c/comm" 2>/dev/null)" in
      WebKitWebProces*) web=$((web + k)) ;;
      WebKitNetworkPr*) net=$((net + k)) ;;
    esac
  done
  for c in $kids; do kill "$c" 2>/dev/null || true; done
  kill "$pid" 2>/dev/null || true
  wait "$pid" 2>/dev/null || true
  ms=$(( (t1 - t0) / 1000000 ))
  if [ "$i" -eq 0 ]; then
    echo "  0  ${ms} ms (first start: creates and seeds the demo database; not counted)"
    continue
  fi
  printf '%3d  %6d ms            %4d MB  %4d MB       %4d  %4d  %4d     %4d MB\n' "$i" "$ms" $((app_kb / 1024)) $((total_kb / 1024)) \
    $((app_pss / 1024)) $((web / 1024)) $((net / 1024)) $((pss / 1024))
  echo "$ms $app_kb $total_kb $pss $app_pss $web $net" >>"$work/figures"
done
awk '{t+=$1; a+=$2; w+=$3; p+=$4; ap+=$5; wp+=$6; np+=$7; if ($1>mt) mt=$1; n++}
     END {printf "mean: %d ms to interactive (max %d; goal ≤ 2000); app process RSS %d MB; app + WebKit helpers: RSS %d MB, PSS %d MB (goal ≤ 200) = app %d + web process %d + network process %d\n",
          t/n, mt, a/n/1024, w/n/1024, p/n/1024, ap/n/1024, wp/n/1024, np/n/1024}' "$work/figures"
