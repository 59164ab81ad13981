#!/usr/bin/env python3
"""Second half of compare.sh: timings, ratios and the per-feature means of both models.

Arguments: N drainsim_replications.csv simpy.csv DRAINSIM_TIMES SIMPY_TIMES OUT_DIR, where the
times files hold one "real user sys" line per run (bash `time` with TIMEFORMAT='%R %U %S').
Writes OUT_DIR/simpy_speed.csv and OUT_DIR/simpy_means.csv. Standard library only.
"""

import csv
import math
import statistics
import sys
from collections import defaultdict
from statistics import NormalDist

sys.dont_write_bytecode = True  # no __pycache__ in the source tree
sys.path.insert(0, __import__("os").path.join(__import__("os").path.dirname(__file__), ".."))
from collect import machine  # noqa: E402  (date, nproc, CPU model, rustc version, load)


def t975(df):
    """Student-t 97.5 % quantile (Cornish-Fisher expansion; 4 digits for df >= 5)."""
    z = NormalDist().inv_cdf(0.975)
    return (z + (z**3 + z) / (4 * df) + (5 * z**5 + 16 * z**3 + 3 * z) / (96 * df**2)
            + (3 * z**7 + 19 * z**5 + 17 * z**3 - 15 * z) / (384 * df**3))


def summary(xs):
    m = statistics.fmean(xs)
    if len(xs) < 2:
        return m, m, m, 0.0
    se = statistics.stdev(xs) / math.sqrt(len(xs))
    h = t975(len(xs) - 1) * se
    return m, m - h, m + h, se


def read_times(path):
    """One (real, user, sys) triple per line."""
    with open(path) as f:
        return [tuple(map(float, line.split())) for line in f if line.strip()]


def lost(row):
    """Sessions the restart ended: cut, or disrupted for a feature that recovers (im)."""
    return int(row["cut"]) + int(row["disrupted"])


def main():
    n, dpath, spath, dtimes, stimes, out = sys.argv[1:7]
    runs = {"drainsim": read_times(dtimes), "simpy": read_times(stimes)}
    dvals, svals, order = defaultdict(list), defaultdict(list), []
    sessions = {"drainsim": 0, "simpy": 0}
    with open(dpath) as f:
        for r in csv.DictReader(f):
            if r["load_balancing"] != "dns":
                continue
            if r["feature"] not in order:
                order.append(r["feature"])
            dvals[r["feature"]].append(lost(r))
            sessions["drainsim"] += int(r["arrivals"])
    with open(spath) as f:
        for r in csv.DictReader(f):
            svals[r["feature"]].append(lost(r))
            sessions["simpy"] += int(r["arrivals"])

    # (statistic, model) -> (wall, cpu)
    stat = {}
    for model, ts in runs.items():
        walls, cpus = [t[0] for t in ts], [t[1] + t[2] for t in ts]
        stat["median", model] = (statistics.median(walls), statistics.median(cpus))
        stat["min", model] = (min(walls), min(cpus))
    print(f"replications: {n} (default scenario, DNS run); runs: drainsim {len(runs['drainsim'])}, "
          f"simpy {len(runs['simpy'])}, interleaved")
    for model in runs:
        (mw, mc), (lw, lc) = stat["median", model], stat["min", model]
        print(f"{model + ':':9} wall median {mw:.2f} s (min {lw:.2f}), cpu median {mc:.2f} s "
              f"(min {lc:.2f}), {sessions[model]:,} sessions")
    for s_ in ("median", "min"):
        (dw, dc), (sw, sc) = stat[s_, "drainsim"], stat[s_, "simpy"]
        print(f"ratio simpy/drainsim ({s_}s): wall {sw / dw:.1f}x, cpu {sc / dc:.1f}x")
    mach = machine()
    with open(f"{out}/simpy_speed.csv", "w", newline="") as f:
        w = csv.writer(f)
        w.writerow(["replications", "statistic", "model", "runs", "wall_s", "cpu_s", "sessions",
                    "sessions_per_cpu_s", *mach])
        m = list(mach.values())
        for s_ in ("median", "min"):
            for model in runs:
                wall, cpu = stat[s_, model]
                w.writerow([n, s_, model, len(runs[model]), f"{wall:.3f}", f"{cpu:.3f}",
                            sessions[model], f"{sessions[model] / cpu:.0f}", *m])
            (dw, dc), (sw, sc) = stat[s_, "drainsim"], stat[s_, "simpy"]
            w.writerow([n, s_, "ratio_simpy_over_drainsim", "", f"{sw / dw:.2f}", f"{sc / dc:.2f}",
                        "", "", *m])

    print()
    print(f"{'feature':27} {'drainsim mean [95% CI]':>28} {'simpy mean [95% CI]':>28}  agree")
    rows, disagree = [], []
    for feat in order:
        dm, dlo, dhi, dse = summary(dvals[feat])
        sm, slo, shi, sse = summary(svals[feat])
        # Same mean within the intervals: the difference is within 1.96 combined standard errors
        # (Welch), i.e. a two-sided test at 5 %.
        z = abs(dm - sm) / math.hypot(dse, sse) if dse or sse else 0.0
        ok = z <= 1.96
        if not ok:
            disagree.append(feat)
        measure = "disrupted" if feat == "im" else "cut"
        print(f"{feat + ' (' + measure + ')':27} {dm:9.3f} [{dlo:7.3f}, {dhi:7.3f}] "
              f"{sm:9.3f} [{slo:7.3f}, {shi:7.3f}]  {'yes' if ok else 'NO'}")
        rows.append([feat, measure, n, f"{dm:.4f}", f"{dlo:.4f}", f"{dhi:.4f}", f"{sm:.4f}",
                     f"{slo:.4f}", f"{shi:.4f}", f"{z:.2f}", "yes" if ok else "no"])
    with open(f"{out}/simpy_means.csv", "w", newline="") as f:
        w = csv.writer(f)
        w.writerow(["feature", "measure", "replications", "drainsim_mean", "drainsim_ci95_low",
                    "drainsim_ci95_high", "simpy_mean", "simpy_ci95_low", "simpy_ci95_high",
                    "welch_z", "agree_at_5pct", *mach])
        w.writerows(r + list(mach.values()) for r in rows)
    print()
    print("features whose means differ at 5 %:", ", ".join(disagree) if disagree else "none")


if __name__ == "__main__":
    main()
