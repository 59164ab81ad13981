#!/usr/bin/env python3
"""Turns the benchmark results under target/criterion/ into CSVs under reports/bench/.

Run after `cargo bench` (or any of its `--bench` targets); standard library only.
Every CSV row carries the machine description: date, nproc, CPU model, rustc version and the
1-minute load average when collected (the machine is shared: compare ratios within one run).

- queue.csv            hold model, drainsim's EventQueue vs BinaryHeap at each P and law
- replication.csv      events/s and sessions/s of whole replications, and the engine ratio
- queue_candidates.csv the queue designs tried (copied from benches/queue_candidates.rs)
- memory.csv           peak memory, horizon x1 vs x10 (copied from benches/memory.rs)
- jobs.csv             replications/s with --jobs 1 and 2 (copied from benches/jobs.sh)
- engine_pairs.csv     interleaved (simulation, bare heap) timings: the robust engine ratio
- replications_memory.csv  peak memory against replications (copied from benches/replications_memory.rs)
- lb_scaling.csv       seconds per replication by pool size and algorithm (copied from benches/lb_scaling.rs)
- time_of_day.csv      per-session cost of a profile against constant rates, and of trace replay
                       against the equivalent Poisson run (benches/time_of_day.rs)
- trace_pairs.csv      interleaved (poisson, replay) pairs: the robust replay ratio (time_of_day.rs)
- trace_reader.csv     rows per second of the call-detail export reader (benches/trace.rs)
- criterion.csv        every criterion result found, whatever its bench: nothing measured is left out
(benches/reference/compare.sh writes simpy_speed.csv and simpy_means.csv itself.)
"""

import csv
import datetime
import glob
import json
import os
import platform
import shutil
import subprocess
import sys

ROOT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..")
CRIT = os.path.join(ROOT, "target", "criterion")
OUT = os.path.join(ROOT, "reports", "bench")


def machine():
    cpu = "unknown"
    try:
        with open("/proc/cpuinfo") as f:
            for line in f:
                if line.startswith("model name"):
                    cpu = line.split(":", 1)[1].strip()
                    break
    except OSError:
        pass
    try:
        rustc = subprocess.run(["rustc", "--version"], capture_output=True, text=True).stdout.strip()
    except OSError:
        rustc = "unknown"
    return {
        "date": datetime.datetime.now().strftime("%Y-%m-%d %H:%M"),
        "nproc": os.cpu_count(),
        "cpu": cpu,
        "rustc": rustc,
        "os": platform.platform(),
        "load1": f"{os.getloadavg()[0]:.2f}",
    }


def results():
    """(group, function, parameter) -> (mean ns, low ns, high ns, elements per iteration)."""
    out = {}
    for bj in glob.glob(os.path.join(CRIT, "**", "new", "benchmark.json"), recursive=True):
        with open(bj) as f:
            b = json.load(f)
        with open(os.path.join(os.path.dirname(bj), "estimates.json")) as f:
            e = json.load(f)["mean"]
        elements = (b.get("throughput") or {}).get("Elements")
        key = (b["group_id"], b.get("function_id") or "", b.get("value_str") or "")
        ci = e["confidence_interval"]
        out[key] = (e["point_estimate"], ci["lower_bound"], ci["upper_bound"], elements)
    return out


def write(name, header, rows, m):
    path = os.path.join(OUT, name)
    with open(path, "w", newline="") as f:
        w = csv.writer(f)
        w.writerow(header + list(m))
        for r in rows:
            w.writerow(r + list(m.values()))
    print(f"wrote {os.path.relpath(path, ROOT)} ({len(rows)} rows)")


def main():
    os.makedirs(OUT, exist_ok=True)
    m = machine()
    res = results()

    rows = []
    for (g, fn, p), (ns, lo, hi, el) in sorted(res.items()):
        if not g.startswith("hold/") or fn != "drainsim_queue":
            continue
        heap = res.get((g, "binary_heap", p))
        if not heap:
            continue
        law = g.split("/", 1)[1]
        mops = lambda t: el / t * 1e3  # elements per ns -> millions per s
        rows.append([law, int(p), f"{mops(heap[0]):.3f}", f"{mops(ns):.3f}",
                     f"{mops(hi):.3f}", f"{mops(lo):.3f}", f"{heap[0] / ns:.3f}"])
    rows.sort(key=lambda r: (r[0], r[1]))
    if rows:
        write("queue.csv", ["law", "pending", "binary_heap_mops", "drainsim_queue_mops",
                            "drainsim_queue_mops_ci95_low", "drainsim_queue_mops_ci95_high",
                            "ratio_drainsim_over_heap"], rows, m)

    counts = {}
    cpath = os.path.join(CRIT, "replication_counts.csv")
    if os.path.exists(cpath):
        with open(cpath) as f:
            for r in csv.DictReader(f):
                counts[r["bench"]] = r
    rows = []
    heap_rate = None
    for (g, fn, p), (ns, lo, hi, el) in sorted(res.items()):
        if g == "engine_vs_heap" and fn == "binary_heap_hold":
            heap_rate = el / ns * 1e9
    for (g, fn, p), (ns, lo, hi, el) in sorted(res.items()):
        name = f"{g}/{fn}"
        if name not in counts:
            continue
        c = counts[name]
        ev, se = int(c["events"]), int(c["sessions"])
        secs = ns / 1e9
        ratio = f"{ev / secs / heap_rate:.3f}" if heap_rate and g == "engine_vs_heap" else ""
        rows.append([name, f"{secs:.5f}", ev, se, f"{ev / secs:.0f}", f"{se / secs:.0f}",
                     c["mean_pending"], f"{heap_rate:.0f}" if heap_rate and ratio else "", ratio])
    if rows:
        write("replication.csv", ["bench", "seconds_per_replication", "events", "sessions",
                                  "events_per_s", "sessions_per_s", "mean_pending_events",
                                  "binary_heap_hold_ops_per_s_same_pending",
                                  "ratio_engine_over_heap"], rows, m)

    # benches/time_of_day.rs: per session (criterion's elements are sessions).
    rows = []
    pairs = [("time_of_day", "constant", "time_of_day", "profile"), ("trace", "poisson", "trace", "replay")]
    for base_g, base_f, g, fn in pairs:
        base, this = res.get((base_g, base_f, "")), res.get((g, fn, ""))
        for (gg, ff), r in (((base_g, base_f), base), ((g, fn), this)):
            if r is None or any(row[0] == f"{gg}/{ff}" for row in rows):
                continue
            ns, lo, hi, el = r
            ratio = ""
            if (gg, ff) == (g, fn) and base:
                # Cost per session of this bench over its baseline's.
                ratio = f"{(ns / el) / (base[0] / base[3]):.3f}"
            rows.append([f"{gg}/{ff}", f"{ns / 1e9:.5f}", f"{lo / 1e9:.5f}", f"{hi / 1e9:.5f}",
                         el, f"{el / ns * 1e9:.0f}", f"{ns / el:.1f}", ratio])
    if rows:
        write("time_of_day.csv", ["bench", "seconds_per_replication", "ci95_low_s", "ci95_high_s",
                                  "sessions", "sessions_per_s", "ns_per_session",
                                  "cost_per_session_over_baseline"], rows, m)

    # benches/trace.rs: the export reader, per row.
    rows = []
    for (g, fn, p), (ns, lo, hi, el) in sorted(res.items()):
        if g == "trace" and fn in ("read_1m_rows", "csv_byte_records_only") and el:
            rows.append([fn, el, f"{ns / el:.1f}", f"{lo / el:.1f}", f"{hi / el:.1f}",
                         f"{el / ns * 1e9:.0f}"])
    if rows:
        write("trace_reader.csv", ["bench", "rows", "ns_per_row", "ns_per_row_ci95_low",
                                   "ns_per_row_ci95_high", "rows_per_s"], rows, m)

    # Every criterion result, so that no bench's figures are left out.
    rows = [[g, fn, p, f"{ns:.1f}", f"{lo:.1f}", f"{hi:.1f}", el if el else "",
             f"{ns / el:.3f}" if el else ""]
            for (g, fn, p), (ns, lo, hi, el) in sorted(res.items())]
    if rows:
        write("criterion.csv", ["group", "function", "parameter", "mean_ns", "ci95_low_ns",
                                "ci95_high_ns", "elements", "ns_per_element"], rows, m)

    for name in ("queue_candidates.csv", "memory.csv", "jobs.csv", "engine_pairs.csv",
                 "replications_memory.csv", "lb_scaling.csv", "trace_pairs.csv"):
        src = os.path.join(CRIT, name)
        if os.path.exists(src):
            with open(src) as f:
                r = list(csv.reader(f))
            write(name, r[0], r[1:], m)
    return 0


if __name__ == "__main__":
    sys.exit(main())
