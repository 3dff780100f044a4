#!/usr/bin/env bash
# A cold first print, as the counter does it from the command line: each
# `yichuang notice print` is a fresh process (opens the station, maps the
# fonts, renders, records, writes the file). Times N such processes end to end
# on a demo station, after one print that fills the station's font-hash cache
# (the first print on a new station, or after a font file changed, hashes the
# font files once: shown separately). Prints figures; asserts nothing.
# Goal (issue 15): ≤ 50 ms end to end. Then the same with fontconfig asked in
# the process (the station's kept listing dropped) as the peer. Usage: scripts/measure-first-print.sh [N]  (default 10)
set -euo pipefail
cd "$(dirname "$0")/.."
[ -f "$HOME/.cargo/env" ] && . "$HOME/.cargo/env"
target=${CARGO_TARGET_DIR:-$PWD/target}
n=${1:-10}
cargo build --release -p yichuang
y="$target/release/yichuang"
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
db="$work/station.sqlite3"
run() { "$y" --db "$db" "$@"; }
ms() { echo $(( ($2 - $1) / 1000000 )); }
run demo >/dev/null
run login 2001 --password demo1234 >/dev/null
case_ready() {
  local c
  c=$(run --json case register --item RS-GS-001 --name 赵测试 --id-no 11010519491231002X --received M1,M2 \
      | python3 -c 'import json,sys; print(json.load(sys.stdin)["case_no"])')
  run case request-materials "$c" >/dev/null
  echo "$c"
}
echo "machine: $(nproc) cores, load $(cut -d' ' -f1-3 /proc/loadavg)"
c=$(case_ready)
t0=$(date +%s%N); run notice print "$c" one-time --out "$work/first.pdf" >/dev/null; t1=$(date +%s%N)
echo "first print on this station (hashes the font files once, then remembered): $(ms "$t0" "$t1") ms"
times=()
for i in $(seq "$n"); do
  c=$(case_ready)
  t0=$(date +%s%N); run notice print "$c" one-time --out "$work/n$i.pdf" >/dev/null; t1=$(date +%s%N)
  times+=("$(ms "$t0" "$t1")")
done
printf '%s\n' "${times[@]}" | sort -n | awk -v n="$n" -v bytes="$(stat -c %s "$work/n1.pdf")" \
  '{v[NR]=$1; s+=$1} END {printf "cold first print in a fresh process (notice print: open + fonts + render + record + file), %d runs: median %d ms, min %d, max %d, mean %.1f; PDF %d bytes (goal ≤ 50 ms)\n", n, v[int((NR+1)/2)], v[1], v[NR], s/NR, bytes}'
# The peer in the same run: the same print with the station's kept font
# listing dropped first, so the process runs fc-list as every process did
# before the listing was kept (and as the first print after a font change does).
peer=()
for i in $(seq "$n"); do
  c=$(case_ready)
  python3 -c 'import sqlite3,sys; c=sqlite3.connect(sys.argv[1]); c.execute("DELETE FROM font_listing"); c.commit()' "$db"
  t0=$(date +%s%N); run notice print "$c" one-time --out "$work/p$i.pdf" >/dev/null; t1=$(date +%s%N)
  peer+=("$(ms "$t0" "$t1")")
done
printf '%s\n' "${peer[@]}" | sort -n | awk -v n="$n" \
  '{v[NR]=$1; s+=$1} END {printf "the same with fontconfig asked (fc-list) in the process, %d runs: median %d ms, min %d, max %d, mean %.1f\n", n, v[int((NR+1)/2)], v[1], v[NR], s/NR}'
# Peak resident memory of one print process (the fonts are mapped, not read).
/usr/bin/time -f "peak resident memory of one notice print: %M KB" "$y" --db "$db" notice print "$(case_ready)" one-time --out "$work/rss.pdf" >/dev/null
echo "load at the end: $(cut -d' ' -f1-3 /proc/loadavg)"
