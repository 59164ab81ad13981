//! Per-session cost against pool size: one replication of the same workload on pools of 12,
//! 120 and 1,000 Front Ends, under DNS load balancing and under a hardware load balancer with
//! each algorithm (`round_robin`, `least_connections`, `random`). The workload and the
//! sessions are the same at every size (about 38,000 sessions in an hour, FE 1 paused at
//! 30 minutes and restarted 20 minutes later), so a cost that grows with the pool shows as a
//! growing time.
//!
//! After the criterion group, interleaved rounds (each configuration once per round, the
//! order rotating) give the time of each hardware configuration relative to DNS at the same
//! size, median over the rounds, robust on a shared machine:
//! `target/criterion/lb_scaling.csv`, copied to `reports/bench/lb_scaling.csv`.

use std::hint::black_box;
use std::io::Write;
use std::time::{Duration, Instant};

use criterion::{Criterion, criterion_group, criterion_main};
use drainsim::runner::simulate;
use drainsim::scenario::{self, NoFiles, Run, Scenario};

const SIZES: [u32; 3] = [12, 120, 1000];
const CONFIGS: [(&str, &str); 4] = [
    ("dns", "load_balancing = \"dns\""),
    (
        "round_robin",
        "load_balancing = \"hardware\"\n[pool.hardware]\nalgorithm = \"round_robin\"",
    ),
    (
        "least_connections",
        "load_balancing = \"hardware\"\n[pool.hardware]\nalgorithm = \"least_connections\"",
    ),
    (
        "random",
        "load_balancing = \"hardware\"\n[pool.hardware]\nalgorithm = \"random\"",
    ),
];
const ROUNDS: usize = 9;

fn scenario(servers: u32, lb: &str) -> (Scenario, Run) {
    let text = format!(
        r#"
seed = 7
horizon = "1h"
sample_interval = "0s"
[pool]
servers = {servers}
quorum = "none"
{lb}

[[feature]]
name = "im"
arrivals_per_hour = 21000
duration = {{ distribution = "exponential", mean = "3m" }}
[[feature]]
name = "pstn_call"
arrivals_per_hour = 14112
duration = {{ distribution = "exponential", mean = "3m" }}
[[feature]]
name = "av_conference"
arrivals_per_hour = 448
duration = {{ distribution = "lognormal", median = "30m", sigma = 0.8 }}
[[feature]]
name = "response_group"
arrivals_per_hour = 420
duration = {{ distribution = "lognormal", median = "2m", sigma = 0.9 }}
[[feature]]
name = "call_park"
arrivals_per_hour = 403
duration = {{ distribution = "uniform", min = "10s", max = "90s" }}

[[step]]
at = "30m"
action = "pause"
server = 1
[[step]]
action = "wait"
duration = "20m"
[[step]]
action = "restart"
server = 1
downtime = "5m"
"#
    );
    let s = scenario::parse(&text, "lb_scaling.toml", &NoFiles).expect("valid");
    let run = scenario::expand(&s).expect("expands").remove(0);
    (s, run)
}

fn lb_scaling(c: &mut Criterion) {
    let cases: Vec<(u32, &str, Scenario, Run)> = SIZES
        .iter()
        .flat_map(|&n| {
            CONFIGS.iter().map(move |(name, lb)| {
                let (s, r) = scenario(n, lb);
                (n, *name, s, r)
            })
        })
        .collect();
    let mut g = c.benchmark_group("lb_scaling");
    g.sample_size(10);
    g.measurement_time(Duration::from_secs(3));
    for (n, name, s, run) in &cases {
        g.bench_function(format!("{name}/{n}"), |b| {
            b.iter(|| black_box(simulate(s, run, 1, None).unwrap().metrics.events))
        });
    }
    g.finish();

    // Interleaved rounds: every configuration once per round, in a rotating order.
    let mut times = vec![Vec::new(); cases.len()];
    for round in 0..ROUNDS {
        for k in 0..cases.len() {
            let i = (k + round) % cases.len();
            let (_, _, s, run) = &cases[i];
            let t = Instant::now();
            black_box(simulate(s, run, 1, None).unwrap().metrics.events);
            times[i].push(t.elapsed().as_secs_f64());
        }
    }
    let median = |v: &mut Vec<f64>| {
        v.sort_by(f64::total_cmp);
        v[v.len() / 2]
    };
    let medians: Vec<f64> = times.iter_mut().map(median).collect();
    let mut rows = vec!["servers,config,seconds_per_replication,ratio_to_dns".to_string()];
    for (i, (n, name, _, _)) in cases.iter().enumerate() {
        let dns = cases
            .iter()
            .position(|(m, c, _, _)| m == n && *c == "dns")
            .map_or(f64::NAN, |j| medians[j]);
        let line = format!("{n},{name},{:.5},{:.3}", medians[i], medians[i] / dns);
        println!("lb_scaling {line}");
        rows.push(line);
    }
    for dir in ["target/criterion", "reports/bench"] {
        let _ = std::fs::create_dir_all(dir);
        if let Ok(mut f) = std::fs::File::create(format!("{dir}/lb_scaling.csv")) {
            let _ = writeln!(f, "{}", rows.join("\n"));
        }
    }
}

criterion_group!(benches, lb_scaling);
criterion_main!(benches);
