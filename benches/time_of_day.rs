//! The cost of time of day and of trace replay, per session.
//!
//! - `time_of_day/constant` and `time_of_day/profile`: one replication of a 6-server pool with
//!   one exponential feature over 24 h, at a constant rate and under the `lync2013_workday`
//!   profile with the rate scaled so that both draw the same number of sessions on average.
//!   Target: the profile costs at most 10 % more per session.
//! - `trace/poisson` and `trace/replay`: one replication of the same pool with ~1,000,000
//!   sessions over 10 h, drawn (Poisson, exponential holding times) or replayed from an
//!   in-memory export of the same sessions' statistics (1,000,000 CSV rows, SQL Server datetime
//!   text). As in any run, the export is parsed once when the scenario is checked, outside the
//!   timing, and each replication replays the check's binary copy of its sessions (here 18 MB,
//!   so in an anonymous temporary file, read a batch at a time: see `src/scenario/spool.rs`).
//!   Target: the replay runs at no less than 80 % of the Poisson run's sessions per second.
//!   After the criterion groups, 15 interleaved (poisson, replay) pairs give that ratio robustly
//!   on a shared machine; the median is printed, and every pair written to
//!   `target/criterion/trace_pairs.csv` for `benches/collect.py`.
//!
//! Throughput is in sessions (arrivals), so criterion's elements/s compare directly. Memory is
//! not measured here: a replication holds at most one batch of 1,024 trace sessions by
//! construction (see `src/model/sim/trace.rs`), besides the sessions in progress.

use std::fmt::Write as _;
use std::hint::black_box;
use std::time::{Duration, Instant};

use criterion::{Criterion, Throughput, criterion_group, criterion_main};
use drainsim::runner::simulate;
use drainsim::scenario::{self, FileSource, Run, Scenario};

/// One in-memory file.
struct OneFile(Vec<u8>);

impl FileSource for OneFile {
    fn read(&self, _: &str) -> Result<String, String> {
        String::from_utf8(self.0.clone()).map_err(|e| e.to_string())
    }
}

fn parse(text: &str, files: &dyn FileSource) -> (Scenario, Run) {
    let s = scenario::parse(text, "bench.toml", files).expect("bench scenario parses");
    let run = scenario::expand(&s).expect("expands").remove(0);
    (s, run)
}

/// A pool of 6 with one feature `probe`; `feature` is the rest of its `[[feature]]` table.
fn pool(horizon: &str, extra: &str, feature: &str) -> String {
    format!(
        "horizon = \"{horizon}\"\nsample_interval = \"0s\"\n{extra}\n[pool]\nservers = 6\n\
         quorum = \"none\"\n[[feature]]\nname = \"probe\"\nservice = \"RTCSRV\"\n{feature}\n"
    )
}

/// The sessions of one replication (replication 1: replication 0 records a time series).
fn sessions(s: &Scenario, run: &Run) -> u64 {
    let m = simulate(s, run, 1, None).expect("replication runs").metrics;
    m.features.iter().map(|f| f.arrivals).sum()
}

/// An export of `rows` sessions of 3 minutes on average, evenly spread over `hours` from
/// 2026-11-03 00:00, in the documented SQL's shape.
fn export(rows: u64, hours: u64) -> Vec<u8> {
    let mut text = String::from("InviteTime,EndTime,Media\r\n");
    let mut x: u64 = 0x5EED;
    let mut next = || {
        x = x.wrapping_mul(6_364_136_223_846_793_005).wrapping_add(1);
        (x >> 11) as f64 / (1u64 << 53) as f64
    };
    let span_ms = hours * 3_600_000;
    let mut t_ms = 0.0;
    for _ in 0..rows {
        t_ms += -(1.0 - next()).ln() * span_ms as f64 / rows as f64;
        let hold_ms = -(1.0 - next()).ln() * 180_000.0;
        let stamp = |ms: u64| {
            let (s, ms) = (ms / 1000, ms % 1000);
            let day = 3 + s / 86_400;
            let (h, m, s) = (s / 3600 % 24, s / 60 % 60, s % 60);
            format!("2026-11-{day:02} {h:02}:{m:02}:{s:02}.{ms:03}")
        };
        let (a, b) = (t_ms as u64, (t_ms + hold_ms) as u64);
        writeln!(text, "{},{},IM\r", stamp(a), stamp(b)).unwrap();
    }
    text.into_bytes()
}

fn bench(c: &mut Criterion) {
    // Time of day: same expected sessions per day.
    let rate = 20_000.0;
    let shape = drainsim::model::profile::Profile::builtin("lync2013_workday", 0.1).unwrap();
    let scaled = rate / shape.daily_mean();
    let dist = "duration = { distribution = \"exponential\", mean = \"3m\" }";
    let constant = parse(
        &pool("24h", "", &format!("arrivals_per_hour = {rate}\n{dist}")),
        &scenario::NoFiles,
    );
    let profiled = parse(
        &pool(
            "24h",
            "",
            &format!("arrivals_per_hour = {scaled}\nprofile = \"lync2013_workday\"\n{dist}"),
        ),
        &scenario::NoFiles,
    );
    let mut g = c.benchmark_group("time_of_day");
    g.sample_size(20).measurement_time(Duration::from_secs(20));
    for (name, (s, run)) in [("constant", &constant), ("profile", &profiled)] {
        g.throughput(Throughput::Elements(sessions(s, run)));
        g.bench_function(name, |b| {
            b.iter(|| black_box(simulate(s, run, 1, None).expect("runs").metrics.events))
        });
    }
    g.finish();

    // Trace replay against the equivalent Poisson run.
    let rows = 1_000_000u64;
    let hours = 10u64;
    let poisson = parse(
        &pool(
            &format!("{hours}h"),
            "",
            &format!("arrivals_per_hour = {}\n{dist}", rows / hours),
        ),
        &scenario::NoFiles,
    );
    let files = OneFile(export(rows, hours));
    let replay = parse(
        &pool(
            &format!("{hours}h"),
            "[trace]\nfile = \"cdr.csv\"\nstart = \"2026-11-03 00:00:00\"\n\
             [trace.features]\nIM = \"probe\"\n",
            "",
        ),
        &files,
    );
    let mut g = c.benchmark_group("trace");
    g.sample_size(10).measurement_time(Duration::from_secs(30));
    let mut counts = Vec::new();
    for (name, (s, run)) in [("poisson", &poisson), ("replay", &replay)] {
        let n = sessions(s, run);
        counts.push(n);
        g.throughput(Throughput::Elements(n));
        g.bench_function(name, |b| {
            b.iter(|| black_box(simulate(s, run, 1, None).expect("runs").metrics.events))
        });
    }
    g.finish();

    // The same ratio from interleaved pairs: a burst of other load on a shared machine lands
    // on one of criterion's two groups, measured a minute apart; a pair is measured within a
    // second, its order alternating so that drift cancels. The median pair is the figure.
    let time = |(s, run): &(Scenario, Run)| {
        let t = Instant::now();
        black_box(simulate(s, run, 1, None).expect("runs").metrics.events);
        t.elapsed().as_secs_f64()
    };
    let mut ratios: Vec<f64> = (0..PAIRS)
        .map(|i| {
            let (tp, tr) = if i % 2 == 0 {
                let tp = time(&poisson);
                (tp, time(&replay))
            } else {
                let tr = time(&replay);
                (time(&poisson), tr)
            };
            // Sessions per second of the replay over those of the Poisson run.
            (counts[1] as f64 / tr) / (counts[0] as f64 / tp)
        })
        .collect();
    // Written for `benches/collect.py` before sorting: one row per pair, in measuring order.
    let _ = std::fs::create_dir_all("target/criterion");
    let lines: Vec<String> = (ratios.iter().enumerate())
        .map(|(i, r)| format!("{i},{r:.4}"))
        .collect();
    let _ = std::fs::write(
        "target/criterion/trace_pairs.csv",
        format!(
            "pair,replay_over_poisson_sessions_per_s\n{}\n",
            lines.join("\n")
        ),
    );
    ratios.sort_by(f64::total_cmp);
    println!(
        "trace paired: replay/poisson sessions per second, median {:.3} (min {:.3}, max {:.3}) \
         over {PAIRS} pairs; sessions {} (poisson) and {} (replay)",
        ratios[PAIRS / 2],
        ratios[0],
        ratios[PAIRS - 1],
        counts[0],
        counts[1]
    );
}

/// Interleaved (poisson, replay) pairs.
const PAIRS: usize = 15;

criterion_group!(benches, bench);
criterion_main!(benches);
