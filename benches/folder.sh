#!/usr/bin/env bash
# Report folder size and merge time on a 30-run sweep at 1,000 replications
# (benches/folder/sweep30.toml): the folder drainsim writes by default (summaries, charts,
# report.md), the same with --detail (per-night tables), each file's size, and the wall and
# CPU time of N shards against `drainsim merge` of them (without and with --detail).
# Writes reports/bench/folder.csv. Usage: benches/folder.sh [SHARDS] (default 2).
set -euo pipefail
cd "$(dirname "$0")/.."
N=${1:-2}
cargo build --release --quiet
BIN=$PWD/target/release/drainsim
SCEN=$PWD/benches/folder/sweep30.toml
OUT=$PWD/reports/bench/folder.csv
WORK=$(mktemp -d)
trap 'rm -rf "$WORK"' EXIT
TIMEFORMAT='%R %U %S'
timed() { # label, command...: appends "label,wall_s,cpu_s"
  local label=$1; shift
  local t; t=$( { time "$@" >/dev/null; } 2>&1 | tail -1 )
  read -r real user sys <<< "$t"
  echo "time,$label,$real,$(echo "$user + $sys" | bc)" | tee -a "$OUT"
}
size() { # label, folder: appends "size,label,bytes" and one row per file
  echo "size,$1,$(du -sb "$2" | cut -f1)," | tee -a "$OUT"
  for f in "$2"/*; do echo "file,$1/$(basename "$f"),$(stat -c %s "$f"),"; done >> "$OUT"
}
echo "kind,what,value,cpu_s" > "$OUT"
cd "$WORK"
timed "run default" "$BIN" run "$SCEN" --out default -q
size default default
timed "run --detail" "$BIN" run "$SCEN" --out detail --detail -q
size detail detail
for k in $(seq 0 $((N - 1))); do
  timed "shard $k/$N" "$BIN" run "$SCEN" --shard "$k/$N" --out "shard-$k" -q
done
shards=$(for k in $(seq 0 $((N - 1))); do echo "shard-$k"; done)
# shellcheck disable=SC2086
timed "merge $N shards" "$BIN" merge $shards --out merged -q
# shellcheck disable=SC2086
timed "merge $N shards --detail" "$BIN" merge $shards --out merged-detail --detail -q
for f in default/*; do cmp -s "$f" "merged/$(basename "$f")" || { echo "merge differs from the run: $(basename "$f")" >&2; exit 1; }; done
echo "merge = run: identical folders"
gzip -c detail/restarts.csv | wc -c | sed 's/^/gzip,restarts.csv.gz,/; s/$/,/' | tee -a "$OUT"
