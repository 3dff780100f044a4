#!/usr/bin/env bash
# README "run" command: installs what is missing, builds, creates a demo station
# database in the user's data directory and shows the counter's day in the CLI.
# (The desktop window comes with the Tauri shell; until then this is the demo.)
set -euo pipefail
cd "$(dirname "$0")/.."
./scripts/install-deps.sh
[ -f "$HOME/.cargo/env" ] && . "$HOME/.cargo/env"
cargo build --release -p yichuang
y=./target/release/yichuang
db="${YICHUANG_DB:-${XDG_DATA_HOME:-$HOME/.local/share}/yichuang/demo-station.sqlite3}"
export YICHUANG_DB="$db"
[ -f "$db" ] || $y demo
echo "== 演示站点数据库：$db"
echo "== 当前登录："; $y whoami
echo "== 事项清单："; $y catalog list
echo "== 时限预警："; $y deadlines
echo "== 待领导审批："; $y case list --state rejection_pending_approval
echo "== 事件日志："; $y log verify
echo
echo "继续使用：export YICHUANG_DB=\"$db\"; $y --help"
