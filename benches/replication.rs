//! Whole-simulation throughput: events/s and sessions/s of one replication.
//!
//! - `replication/default_dns`, `replication/default_hardware`: one replication of the default
//!   scenario (`scenarios/default.toml`, 3 h, ~111,000 sessions) under each load balancing.
//! - `engine_vs_heap/simulation_1M`: one replication of the default pool with a 27 h horizon
//!   (~1,000,000 sessions), and in the same group `engine_vs_heap/binary_heap_hold`: a bare
//!   `BinaryHeap<Reverse<(u64, u64, u32)>>` pop+push loop at the simulation's mean pending
//!   population (measured by stepping the replication once before timing), with exponential
//!   increments of mean 180 s. Their events/s ratio is the engine target of the README's Performance section.
//!
//! After the criterion groups, 15 interleaved (simulation, heap loop) pairs give the same ratio
//! robustly on a shared machine (`target/criterion/engine_pairs.csv`; the median is reported).
//!
//! Replications use index 1 (replication 0 also records the time series). Event and session
//! counts go to `target/criterion/replication_counts.csv` for `benches/collect.py`.

use std::cmp::Reverse;
use std::collections::BinaryHeap;
use std::hint::black_box;
use std::io::Write;
use std::time::{Duration, Instant};

use criterion::{BenchmarkId, Criterion, Throughput, criterion_group, criterion_main};
use drainsim::model::Simulation;
use drainsim::model::sim::Seeds;
use drainsim::runner::simulate;
use drainsim::scenario::{self, NoFiles, Run, Scenario};
use rand::SeedableRng;
use rand_distr::{Distribution, Exp};

/// The default scenario with its horizon replaced.
fn default_with_horizon(horizon: &str) -> (Scenario, Vec<Run>) {
    let text =
        drainsim::DEFAULT_SCENARIO.replace("horizon = \"3h\"", &format!("horizon = \"{horizon}\""));
    assert!(
        text.contains(&format!("horizon = \"{horizon}\"")),
        "default scenario changed: no `horizon = \"3h\"`"
    );
    let s = scenario::parse(&text, "default.toml", &NoFiles).expect("the default scenario parses");
    let runs = scenario::expand(&s).expect("the default scenario expands");
    (s, runs)
}

/// Events handled and sessions (arrivals) of one replication.
fn counts(s: &Scenario, run: &Run) -> (u64, u64) {
    let m = simulate(s, run, 1, None).expect("replication runs").metrics;
    (m.events, m.features.iter().map(|f| f.arrivals).sum())
}

/// Mean number of pending events seen by the events of one replication (event average).
fn mean_pending(s: &Scenario, run: &Run) -> f64 {
    let mut sim = Simulation::new(&run.config, Seeds::derive(s.seed, 1));
    let (mut sum, mut n) = (0u128, 0u64);
    while sim.step().is_some() {
        sum += sim.pending_events() as u128;
        n += 1;
    }
    sum as f64 / n.max(1) as f64
}

fn record(rows: &[(String, u64, u64, f64)]) {
    let dir = std::path::Path::new("target/criterion");
    let _ = std::fs::create_dir_all(dir);
    if let Ok(mut f) = std::fs::File::create(dir.join("replication_counts.csv")) {
        let _ = writeln!(f, "bench,events,sessions,mean_pending");
        for (b, e, s, p) in rows {
            let _ = writeln!(f, "{b},{e},{s},{p:.1}");
        }
    }
}

fn replication(c: &mut Criterion) {
    let mut rows = Vec::new();

    let (s, runs) = default_with_horizon("3h");
    let mut g = c.benchmark_group("replication");
    g.sample_size(20);
    g.measurement_time(Duration::from_secs(5));
    for run in &runs {
        let lb = run
            .labels
            .iter()
            .find(|(k, _)| k == "load_balancing")
            .map_or("run", |(_, v)| v.as_str())
            .to_string();
        let (events, sessions) = counts(&s, run);
        rows.push((
            format!("replication/default_{lb}"),
            events,
            sessions,
            mean_pending(&s, run),
        ));
        g.throughput(Throughput::Elements(events));
        g.bench_function(format!("default_{lb}"), |b| {
            b.iter(|| black_box(simulate(&s, run, 1, None).unwrap().metrics.events))
        });
    }
    g.finish();

    // About a million sessions: the default pool for 27 h (37,053 sessions per hour).
    let (s, runs) = default_with_horizon("27h");
    let run = &runs[0];
    let (events, sessions) = counts(&s, run);
    let pending = mean_pending(&s, run);
    rows.push((
        "engine_vs_heap/simulation_1M".into(),
        events,
        sessions,
        pending,
    ));
    record(&rows);

    let mut g = c.benchmark_group("engine_vs_heap");
    g.sample_size(10);
    g.measurement_time(Duration::from_secs(8));
    g.throughput(Throughput::Elements(events));
    g.bench_function("simulation_1M", |b| {
        b.iter(|| black_box(simulate(&s, run, 1, None).unwrap().metrics.events))
    });

    // The bare heap at the same pending population, same number of operations per iteration.
    let p = pending.round() as usize;
    let mut rng = rand_pcg::Pcg64Mcg::seed_from_u64(7);
    let exp: Exp<f64> = Exp::new(1.0 / 180e6).unwrap();
    let inc: Vec<u64> = (0..1 << 20)
        .map(|_| exp.sample(&mut rng).round() as u64)
        .collect();
    let mut heap: BinaryHeap<Reverse<(u64, u64, u32)>> = BinaryHeap::with_capacity(p + 1);
    let mut seq = 0u64;
    let mut j = 0usize;
    let mut next = || {
        j += 1;
        inc[j & ((1 << 20) - 1)]
    };
    for i in 0..p {
        seq += 1;
        heap.push(Reverse((next(), seq, i as u32)));
    }
    let mut hold = move |n: u64| {
        let mut acc = 0u32;
        for _ in 0..n {
            let Reverse((t, _, x)) = heap.pop().unwrap();
            seq += 1;
            heap.push(Reverse((t + next(), seq, x)));
            acc = acc.wrapping_add(x);
        }
        acc
    };
    hold(2 * p as u64 + 100_000);
    g.bench_with_input(BenchmarkId::new("binary_heap_hold", p), &p, |b, _| {
        b.iter(|| black_box(hold(events)))
    });
    g.finish();

    // The same ratio from interleaved pairs: on a shared machine a burst of load lands on one
    // of criterion's two groups, measured minutes apart; a pair is measured within a second,
    // and the order alternates so that drift cancels. The median pair is the robust figure.
    let mut pairs = Vec::new();
    for i in 0..PAIRS {
        let time = |f: &mut dyn FnMut()| {
            let t = Instant::now();
            f();
            t.elapsed().as_secs_f64()
        };
        let mut sim = || {
            black_box(simulate(&s, run, 1, None).unwrap().metrics.events);
        };
        let mut bare = || {
            black_box(hold(events));
        };
        let (t_sim, t_heap) = if i % 2 == 0 {
            let a = time(&mut sim);
            (a, time(&mut bare))
        } else {
            let b = time(&mut bare);
            (time(&mut sim), b)
        };
        pairs.push((t_sim, t_heap));
    }
    record_pairs(events, &pairs);
}

/// Interleaved (simulation, bare heap) pairs of `engine_vs_heap`.
const PAIRS: usize = 15;

fn record_pairs(events: u64, pairs: &[(f64, f64)]) {
    let mut ratios: Vec<f64> = pairs.iter().map(|(s, h)| h / s).collect();
    ratios.sort_by(f64::total_cmp);
    println!(
        "engine_vs_heap paired: median ratio {:.3} (min {:.3}, max {:.3}) over {} pairs",
        ratios[ratios.len() / 2],
        ratios[0],
        ratios[ratios.len() - 1],
        ratios.len()
    );
    let dir = std::path::Path::new("target/criterion");
    let _ = std::fs::create_dir_all(dir);
    if let Ok(mut f) = std::fs::File::create(dir.join("engine_pairs.csv")) {
        let _ = writeln!(
            f,
            "pair,events,simulation_s,binary_heap_s,ratio_engine_over_heap"
        );
        for (i, (t_sim, t_heap)) in pairs.iter().enumerate() {
            let _ = writeln!(
                f,
                "{},{events},{t_sim:.5},{t_heap:.5},{:.3}",
                i + 1,
                t_heap / t_sim
            );
        }
    }
}

criterion_group!(benches, replication);
criterion_main!(benches);
