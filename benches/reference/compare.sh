#!/usr/bin/env bash
# drainsim against an idiomatic SimPy model of the same scenario (the README's Performance target: at least 100x).
#
# Runs the default scenario's DNS run (scenarios/default.toml without its sweep) for N
# replications in drainsim (one worker, like SimPy) and in benches/reference/simpy_model.py,
# prints both wall and CPU times and their ratios, and compares the mean sessions cut (disrupted
# for `im`) per feature with 95 % Student-t intervals. Needs python3 with simpy (`pip install
# simpy`); .ci/run does not.
#
# Usage: benches/reference/compare.sh [N] [OUT_DIR] [ROUNDS]
#        (N = 30, OUT_DIR = reports/bench, ROUNDS = 3: about 75 s of SimPy per round)
set -euo pipefail
cd "$(dirname "$0")/../.."
N=${1:-30}
OUT=${2:-reports/bench}
ROUNDS=${3:-3}
WORK=$(mktemp -d)
trap 'rm -rf "$WORK"' EXIT
mkdir -p "$OUT"

python3 -c 'import simpy' 2>/dev/null || { echo "compare.sh: needs simpy (pip install simpy)" >&2; exit 2; }
cargo build --release --quiet
BIN=target/release/drainsim

# The default scenario's DNS run only: drop the sweep and the expectations after it.
sed '/^\[sweep\]/,$d' scenarios/default.toml > "$WORK/default-dns.toml"

TIMEFORMAT='%R %U %S'
# The machine is shared and a one-second run is easily hit by someone else's burst, so the two
# models are timed in ROUNDS interleaved rounds (SimPy once, drainsim five times per round) and
# compared by their medians and by their minimums (the least disturbed runs).
for r in $(seq 1 "$ROUNDS"); do
  { time python3 benches/reference/simpy_model.py --replications "$N" \
      --csv "$WORK/simpy.csv" 2>/dev/null; } 2>> "$WORK/simpy.times"
  for i in 1 2 3 4 5; do
    { time "$BIN" run "$WORK/default-dns.toml" --replications "$N" --jobs 1 --quiet \
        --out "$WORK/drainsim" --force >/dev/null; } 2>> "$WORK/drainsim.times"
  done
done

python3 benches/reference/compare.py "$N" "$WORK/drainsim/replications.csv" "$WORK/simpy.csv" \
    "$WORK/drainsim.times" "$WORK/simpy.times" "$OUT"
