#!/usr/bin/env bash
# drainsim against an idiomatic SimPy model of the same scenario (DESIGN §5: at least 100x).
#
# Runs the default scenario's DNS run (scenarios/default.toml without its sweep) for N
# replications in drainsim (one worker, like SimPy) and in benches/reference/simpy_model.py,
# prints both wall and CPU times and their ratios, and compares the mean sessions cut (disrupted
# for `im`) per feature with 95 % Student-t intervals. Needs python3 with simpy (`pip install
# simpy`); .ci/run does not.
#
# Usage: benches/reference/compare.sh [N] [OUT_DIR]    (N = 30, OUT_DIR = reports/bench)
set -euo pipefail
cd "$(dirname "$0")/../.."
N=${1:-30}
OUT=${2:-reports/bench}
WORK=$(mktemp -d)
trap 'rm -rf "$WORK"' EXIT
mkdir -p "$OUT"

python3 -c 'import simpy' 2>/dev/null || { echo "compare.sh: needs simpy (pip install simpy)" >&2; exit 2; }
cargo build --release --quiet
BIN=target/release/drainsim

# The default scenario's DNS run only: drop the sweep and the expectations after it.
sed '/^\[sweep\]/,$d' scenarios/default.toml > "$WORK/default-dns.toml"

TIMEFORMAT='%R %U %S'
# drainsim takes about a second: run it three times and keep the median wall time, so that a
# burst of load from another process does not decide the ratio. SimPy runs once (minutes).
for i in 1 2 3; do
  { time "$BIN" run "$WORK/default-dns.toml" --replications "$N" --jobs 1 --quiet \
      --out "$WORK/drainsim" --force >/dev/null; } 2>> "$WORK/drainsim.times"
done
sort -n "$WORK/drainsim.times" | sed -n 2p > "$WORK/drainsim.time"
{ time python3 benches/reference/simpy_model.py --replications "$N" \
    --csv "$WORK/simpy.csv" 2>/dev/null; } 2> "$WORK/simpy.time"

python3 benches/reference/compare.py "$N" "$WORK/drainsim/replications.csv" "$WORK/simpy.csv" \
    "$(tail -1 "$WORK/drainsim.time")" "$(tail -1 "$WORK/simpy.time")" "$OUT"
