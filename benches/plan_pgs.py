#!/usr/bin/env python3
"""Probability of a good selection of `drainsim plan` (R19), measured over many seeds.

For each scenario: the truth is every candidate judged with TRUTH replications (a plan with
`--replications TRUTH --max-replications TRUTH` on a seed of its own: every candidate runs them
all); a candidate is truly feasible when it broke the window or blocking limit in at most
1 - nights of them and never lost quorum. Then `drainsim plan` with the scenario's own settings
runs on SEEDS seeds; a selection is good when the recommended runbook is truly feasible and its
true mean objective is within the zone of the best truly feasible one (10 % of its mean, at least
0.1 session: the default zone, computed from the truth).

Usage: benches/plan_pgs.py [--seeds 40] [--truth 2000] [--jobs 2] [SCENARIO ...]
(default scenarios: scenarios/plan-night.toml benches/plan-small.toml). Builds nothing: run
`cargo build --release` first, or pass --bin. Writes reports/bench/plan_pgs.csv (or --csv; one
row per scenario and seed) and prints the rates with their 95 % Clopper-Pearson intervals.
"""
import argparse, csv, os, subprocess, sys, tempfile, time
from math import comb

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def plan(binary, scenario, out, jobs, extra):
    t0 = time.time()
    subprocess.run([binary, "plan", scenario, "--out", out, "--quiet", "--jobs", str(jobs)] + extra,
                   check=True)
    wall = time.time() - t0
    with open(os.path.join(out, "candidates.csv")) as f:
        return list(csv.DictReader(f)), wall


def cp(k, n, a=0.025):
    """Two-sided 95 % Clopper-Pearson interval by bisection on the binomial tail."""
    def cdf(x, p):
        return sum(comb(n, i) * p**i * (1 - p)**(n - i) for i in range(x + 1))
    def solve(f):
        lo, hi = 0.0, 1.0
        for _ in range(60):
            mid = (lo + hi) / 2
            if f(mid): lo = mid
            else: hi = mid
        return lo
    low = 0.0 if k == 0 else solve(lambda p: 1 - cdf(k - 1, p) < a)
    high = 1.0 if k == n else solve(lambda p: cdf(k, p) > a)
    return low, high


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("scenarios", nargs="*", default=["scenarios/plan-night.toml", "benches/plan-small.toml"])
    ap.add_argument("--seeds", type=int, default=40)
    ap.add_argument("--truth", type=int, default=2000)
    ap.add_argument("--jobs", type=int, default=2)
    ap.add_argument("--nights", type=float, default=0.95)
    ap.add_argument("--bin", default=os.path.join(ROOT, "target/release/drainsim"))
    ap.add_argument("--truth-dir", default=None, help="reuse truth folders here (one per scenario stem)")
    ap.add_argument("--csv", default=os.path.join(ROOT, "reports/bench/plan_pgs.csv"))
    args = ap.parse_args()
    rows = []
    summary = []
    work = tempfile.mkdtemp(prefix="plan_pgs.")
    for sc in args.scenarios:
        path = sc if os.path.isabs(sc) else os.path.join(ROOT, sc)
        stem = os.path.splitext(os.path.basename(sc))[0]
        tdir = os.path.join(args.truth_dir or work, "truth-" + stem)
        if os.path.isfile(os.path.join(tdir, "candidates.csv")):
            with open(os.path.join(tdir, "candidates.csv")) as f:
                truth = list(csv.DictReader(f))
        else:
            truth, _ = plan(args.bin, path, tdir, args.jobs,
                            ["--replications", str(args.truth), "--max-replications", str(args.truth),
                             "--seed", "900001"])
        def ok(r):
            return (int(r["nights_broken"]) <= (1 - args.nights) * int(r["replications"])
                    and "quorum" not in r["infeasible_because"])
        feas = {r["candidate"]: float(r["objective_mean"]) for r in truth if ok(r)}
        best_id = min(feas, key=feas.get)
        best = feas[best_id]
        zone = max(0.1 * best, 0.1)
        good = 0
        walls = []
        spent = []
        for seed in range(1, args.seeds + 1):
            out = os.path.join(work, f"{stem}-{seed}")
            cands, wall = plan(args.bin, path, out, args.jobs, ["--seed", str(seed)])
            rec = [r["candidate"] for r in cands if r["recommended"] == "true"]
            rec = rec[0] if rec else None
            n = sum(int(r["replications"]) for r in cands)
            true_mean = feas.get(rec, float("nan"))
            is_good = rec in feas and true_mean <= best + zone
            good += is_good
            walls.append(wall)
            spent.append(n)
            rows.append([stem, seed, rec, f"{true_mean:.4f}", f"{best:.4f}", f"{zone:.4f}", int(is_good), n, f"{wall:.2f}"])
            print(f"{stem} seed {seed}: recommended #{rec} (true {true_mean:.3f}; best #{best_id} {best:.3f}, zone {zone:.3f}) "
                  f"{'good' if is_good else 'BAD'}; {n} replications, {wall:.1f} s", flush=True)
        lo, hi = cp(good, args.seeds)
        summary.append(f"{stem}: good selection in {good} of {args.seeds} seeds ({100*good/args.seeds:.1f} %, 95 % CI "
                       f"{100*lo:.1f}-{100*hi:.1f} %); best feasible #{best_id} {best:.3f}, zone {zone:.3f}; "
                       f"replications per plan {min(spent)}-{max(spent)} (mean {sum(spent)/len(spent):.0f}); "
                       f"wall {min(walls):.1f}-{max(walls):.1f} s with --jobs {args.jobs}")
    os.makedirs(os.path.dirname(os.path.abspath(args.csv)), exist_ok=True)
    with open(args.csv, "w", newline="") as f:
        w = csv.writer(f, lineterminator="\n")
        w.writerow(["scenario", "seed", "recommended", "true_mean", "best_true_mean", "zone", "good", "replications", "wall_s"])
        w.writerows(rows)
    print("\n".join(summary))


if __name__ == "__main__":
    sys.exit(main())
