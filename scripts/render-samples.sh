#!/usr/bin/env bash
# Renders the first page of each notice kind for the demo station into
# docs/notices/*.png (pdftoppm), so reviewers can look at them.
set -euo pipefail
cd "$(dirname "$0")/.."
cargo build -q -p yichuang --features yichuang-engine/clock-override
y=./target/debug/yichuang
tmp=$(mktemp -d); trap 'rm -rf "$tmp"' EXIT
db="$tmp/demo.sqlite3"
export YICHUANG_NOW=2026-11-23T09:30:00+08:00
$y --db "$db" demo >/dev/null
day=DEMO01-20261123
YICHUANG_LEADER_PASSWORD=demo1234 $y --db "$db" case approve-rejection $day-0004 --leader 1001 >/dev/null
mkdir -p docs/notices
for spec in "0001:acceptance" "0002:one-time" "0003:commitment" "0004:rejection" "0005:receipt"; do
  n=${spec%%:*}; kind=${spec#*:}
  doc=$($y --db "$db" --json notice list $day-$n | python3 -c 'import json,sys; print(json.load(sys.stdin)[0]["doc_no"])' 2>/dev/null || true)
  if [ -n "$doc" ]; then
    $y --db "$db" notice render "$doc" --out "$tmp/$kind.pdf" >/dev/null
  else
    $y --db "$db" notice print $day-$n "$kind" --out "$tmp/$kind.pdf" >/dev/null
  fi
  pdftoppm -r 70 -png -singlefile -f 1 -l 1 "$tmp/$kind.pdf" "docs/notices/$kind"
  [ "$kind" = commitment ] && pdftoppm -r 70 -png -singlefile -f 2 -l 2 "$tmp/$kind.pdf" "docs/notices/commitment-pledge"
done
ls docs/notices
