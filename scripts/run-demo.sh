#!/usr/bin/env bash
# README "run" command: installs what is missing (system packages, fonts, node
# packages), builds the desktop app and opens it on a demo station database in
# the user's data directory (created and seeded on first start).
# Without a display it walks through the same demo station with the CLI.
set -euo pipefail
cd "$(dirname "$0")/.."
./scripts/install-deps.sh
[ -f "$HOME/.cargo/env" ] && . "$HOME/.cargo/env"
db="${YICHUANG_DB:-${XDG_DATA_HOME:-$HOME/.local/share}/yichuang/demo-station.sqlite3}"
export YICHUANG_DB="$db"

if [ -z "${DISPLAY:-}${WAYLAND_DISPLAY:-}" ]; then
  echo "== 没有图形界面（DISPLAY 未设置），改用命令行演示。"
  cargo build --release -p yichuang
  y=./target/release/yichuang
  [ -f "$db" ] || $y demo
  # The counter locks when idle: log the demo clerk in (again) for the walk-through.
  $y login 2001 --password demo1234 >/dev/null
  echo "== 演示站点数据库：$db"
  echo "== 事项清单："; $y catalog list
  echo "== 时限预警："; $y deadlines
  echo "== 待领导审批："; $y case list --state rejection_pending_approval
  echo "== 事件日志："; $y log verify
  exit 0
fi

# Desktop packages (Tauri on WebKitGTK) and the window's CJK font.
want=(libwebkit2gtk-4.1-dev libayatana-appindicator3-dev librsvg2-dev libxdo-dev libssl-dev libdbus-1-dev
      build-essential pkg-config fonts-noto-cjk poppler-utils)
missing=()
for p in "${want[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
command -v npm >/dev/null 2>&1 || missing+=(nodejs npm)
if [ ${#missing[@]} -gt 0 ]; then
  sudo=""; [ "$(id -u)" -ne 0 ] && sudo="sudo"
  echo "installing: ${missing[*]}"
  $sudo apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq --no-install-recommends "${missing[@]}"
fi

( cd ui
  [ -d node_modules ] && [ ! package-lock.json -nt node_modules/.package-lock.json ] || npm ci --no-audit --no-fund || npm install --no-audit --no-fund --no-save
  npm run build )
cargo build --release -p yichuang-desktop
echo "== 演示站点数据库：$db"
echo "== 演示账号（密码 demo1234）：2001 张窗口、2002 李窗口（窗口人员），1001 王示范（领导），0001 管理员"
exec ./target/release/yichuang-desktop --db "$db" --demo
