#!/usr/bin/env bash
# Replications per second of the default scenario (2 runs x 200 replications) with --jobs 1
# and --jobs 2, alternated ROUNDS times (default 3), and a check that both give byte-identical
# reports. Writes target/criterion/jobs.csv (benches/collect.py copies it to reports/bench/).
# Usage: benches/jobs.sh [ROUNDS]
set -euo pipefail
cd "$(dirname "$0")/.."
ROUNDS=${1:-3}
cargo build --release --quiet
BIN=target/release/drainsim
REPS=$(( 2 * $(sed -n 's/^replications = \([0-9]*\).*/\1/p' scenarios/default.toml) ))
OUT=target/criterion/jobs.csv
mkdir -p target/criterion
WORK=$(mktemp -d)
trap 'rm -rf "$WORK"' EXIT
echo "round,jobs,replications,wall_s,cpu_s,replications_per_s,load1_before" > "$OUT"
TIMEFORMAT='%R %U %S'
for r in $(seq 1 "$ROUNDS"); do
  for j in 1 2; do
    load=$(cut -d' ' -f1 /proc/loadavg)
    t=$( { time "$BIN" run --jobs "$j" --quiet --out "$WORK/j$j" --force >/dev/null; } 2>&1 )
    read -r real user sys <<< "$t"
    echo "$r,$j,$REPS,$real,$(echo "$user + $sys" | bc),$(echo "scale=1; $REPS / $real" | bc),$load" | tee -a "$OUT"
  done
done
for f in "$WORK"/j1/*.csv; do cmp -s "$f" "$WORK/j2/$(basename "$f")" || { echo "jobs 1 and 2 differ: $(basename "$f")" >&2; exit 1; }; done
echo "jobs 1 and 2: identical reports"
