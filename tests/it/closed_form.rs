//! Statistical tests against closed forms (the project's rule: tolerances from confidence intervals): M/G/∞ occupancy and its time-of-day form M_t/G/∞, the decay of a
//! paused server's sessions under DNS load balancing, the drain-time law, Erlang B, and the
//! sessions a hardware load balancer strands on a paused server.
//!
//! ## How the tolerances are set
//!
//! Every check compares a simulation estimate with an exact formula written below, at a stated
//! false-alarm rate: `ALPHA = 1e-4` per check, two-sided. With the 62 checks of this module,
//! Bonferroni bounds the chance that a *correct* model fails any of them, for a fresh choice of
//! seeds, by 62 × 1e-4 < 0.7 %. The seeds are fixed, so the outcome is
//! reproducible either way.
//!
//! - Means: `|estimate − theory| ≤ t(1 − α/2, n − 1) · sd/√n` (Student-t with the sample sd,
//!   through `statrs`). The 95 % interval of `drainsim::stats::estimate` is shown alongside.
//! - Poisson dispersion: the index `Σ(x − x̄)²/x̄` is χ²(n − 1) for Poisson counts (its delta-method
//!   variance is 2/n whatever the mean, so the approximation holds for small means too), tested
//!   two-sided at `ALPHA`.
//! - Distributions: Kolmogorov–Smirnov distance, with the Dvoretzky–Kiefer–Wolfowitz–Massart
//!   bound `P(sup|Fₙ − F| > ε) ≤ 2e^{−2nε²}` as critical value: valid for every `n` and for any `F`
//!   (atoms included), and still valid when the sup is taken only below a censoring time.
//!
//! No margin is added for bias because there is none to speak of: every theory below is the
//! *exact* transient formula for the simulated horizon (a pool that starts empty), not its
//! steady-state limit, and the only approximation left is the model's rounding of times to
//! the microsecond (relative error below 1e-6). Each check also asserts that its tolerance is
//! small against the theory (`max_rel_tol`), so that cutting replications cannot turn it into a
//! test that cannot fail.
//!
//! Run with `cargo test --test it closed_form:: -- --nocapture` to see the table of
//! measured values.

use std::fmt::Write as _;

use statrs::distribution::{ChiSquared, ContinuousCDF, Normal, StudentsT};

use drainsim::engine::SimTime;
use drainsim::model::{DrainEnd, RunConfig, Seeds, Simulation};
use drainsim::runner::{self, RunOptions};
use drainsim::scenario;
use drainsim::stats::{estimate, quantile};

use crate::common;

/// False-alarm rate of each check (two-sided).
const ALPHA: f64 = 1e-4;

// ---------------------------------------------------------------------------------------------
// Closed forms
// ---------------------------------------------------------------------------------------------

/// A holding-time law with its closed forms, written independently of `drainsim::model::dist`.
#[derive(Debug, Clone, Copy)]
enum Law {
    /// Exponential with mean `m` seconds.
    Exponential { m: f64 },
    /// Always `d` seconds.
    Deterministic { d: f64 },
    /// `ln S ~ Normal(mu, sigma)`.
    LogNormal { mu: f64, sigma: f64 },
}

fn phi(x: f64) -> f64 {
    Normal::new(0.0, 1.0).unwrap().cdf(x)
}

impl Law {
    /// The `duration = { … }` of a scenario file.
    fn toml(self) -> String {
        match self {
            Law::Exponential { m } => {
                format!("{{ distribution = \"exponential\", mean = \"{m}s\" }}")
            }
            Law::Deterministic { d } => {
                format!("{{ distribution = \"deterministic\", value = \"{d}s\" }}")
            }
            Law::LogNormal { mu, sigma } => format!(
                "{{ distribution = \"lognormal\", median = \"{}s\", sigma = {sigma} }}",
                mu.exp()
            ),
        }
    }

    fn label(self) -> String {
        match self {
            Law::Exponential { m } => format!("exp(mean {m}s)"),
            Law::Deterministic { d } => format!("det({d}s)"),
            Law::LogNormal { mu, sigma } => {
                format!("lognormal(median {:.0}s, σ {sigma})", mu.exp())
            }
        }
    }

    /// E[S], s.
    fn mean(self) -> f64 {
        self.tail_integral(0.0)
    }

    /// I(t) = ∫ₜ^∞ (1 − G(u)) du = E[(S − t)⁺], s:
    /// - exponential: m·e^(−t/m);
    /// - deterministic: (D − t)⁺;
    /// - log-normal (the Black–Scholes call formula):
    ///   e^(μ+σ²/2)·Φ((μ + σ² − ln t)/σ) − t·Φ((μ − ln t)/σ), and e^(μ+σ²/2) at t = 0.
    fn tail_integral(self, t: f64) -> f64 {
        match self {
            Law::Exponential { m } => m * (-t / m).exp(),
            Law::Deterministic { d } => (d - t).max(0.0),
            Law::LogNormal { mu, sigma } => {
                let mean = (mu + sigma * sigma / 2.0).exp();
                if t <= 0.0 {
                    return mean;
                }
                let d1 = (mu + sigma * sigma - t.ln()) / sigma;
                let d2 = d1 - sigma;
                mean * phi(d1) - t * phi(d2)
            }
        }
    }
}

/// Erlang's loss formula B(k, A) by the stable recursion B(0) = 1,
/// B(j) = A·B(j−1) / (j + A·B(j−1)) (no factorials, no overflow).
fn erlang_b(k: u32, a: f64) -> f64 {
    (1..=k).fold(1.0, |b, j| a * b / (j as f64 + a * b))
}

// ---------------------------------------------------------------------------------------------
// Checks and their table
// ---------------------------------------------------------------------------------------------

/// One row of the table: a measured value against its closed form.
struct Row {
    measure: String,
    params: String,
    theory: f64,
    estimate: f64,
    /// 95 % interval of the estimate (informative).
    ci95: Option<(f64, f64)>,
    /// Acceptance region, as written in the `tolerance` column.
    tolerance: String,
    pass: bool,
    /// Why the check is too weak to be meaningful, if it is.
    weak: Option<String>,
}

#[derive(Default)]
struct Table {
    rows: Vec<Row>,
}

fn t_crit(df: usize) -> f64 {
    StudentsT::new(0.0, 1.0, df as f64)
        .unwrap()
        .inverse_cdf(1.0 - ALPHA / 2.0)
}

impl Table {
    /// `|mean(xs) − theory| ≤ t(1 − α/2, n − 1)·SE`, with `max_rel_tol` guarding the test's power.
    fn mean(&mut self, measure: &str, params: &str, xs: &[f64], theory: f64, max_rel_tol: f64) {
        let e = estimate(xs);
        let tol = t_crit(e.n - 1) * e.sd / (e.n as f64).sqrt();
        let weak = (tol > max_rel_tol * theory.abs()).then(|| {
            format!("tolerance {tol:.4} exceeds {max_rel_tol} × theory: add replications")
        });
        self.rows.push(Row {
            measure: measure.to_string(),
            params: params.to_string(),
            theory,
            estimate: e.mean,
            ci95: Some((e.low, e.high)),
            tolerance: format!("±{tol:.4} (t·SE, n = {})", e.n),
            pass: (e.mean - theory).abs() <= tol,
            weak,
        });
    }

    /// Poisson dispersion: `Σ(x − x̄)²/x̄ ~ χ²(n − 1)`, two-sided at `ALPHA`.
    fn dispersion(&mut self, measure: &str, params: &str, xs: &[f64]) {
        let n = xs.len();
        let mean = xs.iter().sum::<f64>() / n as f64;
        let ss: f64 = xs.iter().map(|x| (x - mean) * (x - mean)).sum();
        let index = ss / mean;
        let chi = ChiSquared::new((n - 1) as f64).unwrap();
        let (lo, hi) = (
            chi.inverse_cdf(ALPHA / 2.0),
            chi.inverse_cdf(1.0 - ALPHA / 2.0),
        );
        let df = (n - 1) as f64;
        self.rows.push(Row {
            measure: format!("{measure}: variance/mean"),
            params: params.to_string(),
            theory: 1.0,
            estimate: index / df,
            ci95: None,
            tolerance: format!("[{:.4}, {:.4}] (χ²({}) / df)", lo / df, hi / df, n - 1),
            pass: (lo..=hi).contains(&index),
            weak: (hi / df - 1.0 > 0.25).then(|| "dispersion test too wide".to_string()),
        });
    }

    /// Kolmogorov–Smirnov distance between the sample's distribution and `cdf`, below the
    /// censoring time `censor` (observations at or past it are `None`), against the DKW bound.
    /// `cdf(t)` must be right-continuous with `cdf(0−) = 0`.
    fn ks(
        &mut self,
        measure: &str,
        params: &str,
        xs: &[Option<f64>],
        censor: f64,
        cdf: impl Fn(f64) -> f64,
    ) {
        let n = xs.len();
        let mut seen: Vec<f64> = xs
            .iter()
            .flatten()
            .copied()
            .filter(|&x| x < censor)
            .collect();
        seen.sort_by(f64::total_cmp);
        let mut d: f64 = 0.0;
        let mut i = 0;
        while i < seen.len() {
            let v = seen[i];
            let below = i as f64 / n as f64;
            while i < seen.len() && seen[i] == v {
                i += 1;
            }
            let upto = i as f64 / n as f64;
            let left = if v <= 0.0 { 0.0 } else { cdf(v) };
            d = d.max((below - left).abs()).max((upto - cdf(v)).abs());
        }
        // Just below the censoring time, Fₙ is still the share observed below it.
        d = d.max((seen.len() as f64 / n as f64 - cdf(censor)).abs());
        let eps = ((2.0 / ALPHA).ln() / (2.0 * n as f64)).sqrt();
        self.rows.push(Row {
            measure: format!("{measure}: KS distance"),
            params: params.to_string(),
            theory: 0.0,
            estimate: d,
            ci95: None,
            tolerance: format!("≤ {eps:.4} (DKW, n = {n})"),
            pass: d <= eps,
            weak: (eps > 0.06).then(|| "KS bound too wide".to_string()),
        });
    }

    /// A value the model must reproduce exactly.
    fn exact(&mut self, measure: &str, params: &str, value: f64, theory: f64) {
        self.rows.push(Row {
            measure: measure.to_string(),
            params: params.to_string(),
            theory,
            estimate: value,
            ci95: None,
            tolerance: "exact".to_string(),
            pass: value == theory,
            weak: None,
        });
    }

    /// An informative row (not a check).
    fn info(&mut self, measure: &str, params: &str, value: f64, theory: f64) {
        self.rows.push(Row {
            measure: measure.to_string(),
            params: params.to_string(),
            theory,
            estimate: value,
            ci95: None,
            tolerance: "(shown only)".to_string(),
            pass: true,
            weak: None,
        });
    }

    /// Prints the table (visible with `--nocapture`) and fails on any failed or weak check.
    fn finish(self, title: &str) {
        let mut out = format!("\n== {title} ==\n");
        let mut bad = Vec::new();
        for r in &self.rows {
            let ci = r
                .ci95
                .map(|(a, b)| format!("[{a:.4}, {b:.4}]"))
                .unwrap_or_else(|| "-".into());
            let verdict = match (r.pass, &r.weak) {
                (false, _) => "FAIL",
                (true, Some(_)) => "WEAK",
                (true, None) => "pass",
            };
            let _ = writeln!(
                out,
                "| {} | {} | {:.4} | {:.4} | {} | {} | {} |",
                r.measure, r.params, r.theory, r.estimate, ci, r.tolerance, verdict
            );
            if verdict != "pass" {
                bad.push(format!(
                    "{verdict}: {} ({}): estimate {:.5}, theory {:.5}, tolerance {}{}",
                    r.measure,
                    r.params,
                    r.estimate,
                    r.theory,
                    r.tolerance,
                    r.weak
                        .as_deref()
                        .map(|w| format!("; {w}"))
                        .unwrap_or_default()
                ));
            }
        }
        println!("{out}");
        assert!(
            bad.is_empty(),
            "{title}: closed-form checks failed:\n{}\n{out}",
            bad.join("\n")
        );
    }
}

// ---------------------------------------------------------------------------------------------
// M/G/∞, paused-server decay and drain-time law (DNS load balancing)
// ---------------------------------------------------------------------------------------------
//
// Set-up: a pool of N servers behind DNS load balancing, one feature with Poisson arrivals at
// rate λ (pool-wide), holding-time law G, no caps, starting empty. Each client's first address
// is uniform over the servers and is accepted while nothing is paused, so each server is an
// independent M/G/∞ queue fed at λ/N (Poisson thinning). With I(t) = ∫ₜ^∞ (1 − G(u)) du:
//
// (a) occupancy of any server at time T:  Poisson with mean (λ/N)·(I(0) − I(T)),
//     → λE[S]/N once I(T) ≈ 0;
// (b) server 1 is paused at T (DNS clients skip it, so it gets no new session); sessions left
//     on it at T + t are those that arrived in [0, T] and outlive T + t:
//     Poisson with mean μ(t) = (λ/N)·(I(t) − I(T + t)) ≈ (λ/N)·∫ₜ^∞(1 − G(u))du, i.e.
//     exponential ρe^(−t/m), deterministic ρ(1 − t/D)⁺, log-normal through Φ (`tail_integral`);
// (c) its drain time D is the time its last session ends: P(D ≤ t) = P(none left at T + t)
//     = exp(−μ(t)).

/// Pool size of the DNS experiments.
const N: u32 = 4;
/// Pool-wide arrival rate, per hour (λ = 0.533 /s; ρ = λE[S]/N = 8 for a 60 s mean).
const LAMBDA_PER_HOUR: f64 = 1920.0;
/// Warm-up before the pause.
const T_PAUSE_S: u64 = 600;

fn dns_text(law: Law, horizon_s: u64) -> String {
    format!(
        r#"
seed = 7
replications = 1
horizon = "{horizon_s}s"
sample_interval = "0s"

[pool]
servers = {N}
load_balancing = "dns"
quorum = "none"

[pool.dns]
retry_delay = "1s"
connect_timeout = "5s"

[[feature]]
name = "probe"
service = "RTCSRV"
on_server_loss = "dropped"
arrivals_per_hour = {LAMBDA_PER_HOUR}
duration = {duration}

[[step]]
at = "{T_PAUSE_S}s"
action = "pause"
server = 1
"#,
        duration = law.toml()
    )
}

/// What one replication of the pause experiment observed.
struct PauseObservation {
    /// Sessions on each server at the pause (before it takes effect on arrivals).
    occupancy: Vec<u32>,
    /// Sessions left on server 1 at `T + t` for each probe time `t`.
    left: Vec<u32>,
    /// Drain time of server 1, s; `None` if it had not drained by the horizon (censored).
    drain_s: Option<f64>,
}

fn pause_experiment(
    law: Law,
    probes_s: &[f64],
    drain_horizon_s: u64,
    seed: u64,
    reps: u64,
) -> Vec<PauseObservation> {
    let cfg = common::run_config(&dns_text(law, T_PAUSE_S + drain_horizon_s));
    let pause = SimTime::from_secs(T_PAUSE_S);
    (0..reps)
        .map(|rep| {
            let mut sim = Simulation::new(&cfg, Seeds::derive(seed, rep));
            sim.run_until(pause);
            let occupancy = (0..N as usize).map(|s| sim.pool().active(s, 0)).collect();
            let left = probes_s
                .iter()
                .map(|&t| {
                    sim.run_until(pause.plus(SimTime::from_secs_f64(t)));
                    sim.pool().active(0, 0)
                })
                .collect();
            // Step until server 1's drain is recorded (or the horizon): no need to simulate
            // the rest of the pool any further.
            while sim.metrics().drains.is_empty() && sim.step().is_some() {}
            let drain_s = sim.metrics().drains.first().and_then(|d| {
                assert_eq!(d.server, 0);
                assert!(matches!(d.end, DrainEnd::Drained | DrainEnd::Horizon));
                d.drain_time().map(|t| t.as_secs_f64())
            });
            PauseObservation {
                occupancy,
                left,
                drain_s,
            }
        })
        .collect()
}

/// Runs the checks (a)–(c) for one holding-time law.
fn check_dns_drain(law: Law, probes_s: &[f64], drain_horizon_s: u64, reps: u64, seed: u64) {
    let obs = pause_experiment(law, probes_s, drain_horizon_s, seed, reps);
    let lambda = LAMBDA_PER_HOUR / 3600.0;
    let per_server = lambda / N as f64;
    let t_pause = T_PAUSE_S as f64;
    let params = format!("{}, λ = {LAMBDA_PER_HOUR}/h, N = {N}", law.label());
    let mut table = Table::default();

    // (a) M/G/∞ occupancy at the pause: every server of every replication is one sample.
    let occ: Vec<f64> = obs
        .iter()
        .flat_map(|o| o.occupancy.iter().map(|&x| x as f64))
        .collect();
    let rho = per_server * law.mean();
    let occ_theory = per_server * (law.mean() - law.tail_integral(t_pause));
    table.info("ρ = λE[S]/N (steady state)", &params, rho, rho);
    table.mean(
        "M/G/∞ sessions per server at T = 10m",
        &params,
        &occ,
        occ_theory,
        0.05,
    );
    table.dispersion("M/G/∞ sessions per server", &params, &occ);

    // (b) Sessions left on the paused server.
    for (k, &t) in probes_s.iter().enumerate() {
        let xs: Vec<f64> = obs.iter().map(|o| o.left[k] as f64).collect();
        let mu = per_server * (law.tail_integral(t) - law.tail_integral(t_pause + t));
        let p = format!("{params}, t = {t}s");
        if mu == 0.0 {
            // Deterministic holding times past D: nothing can be left, in any replication.
            let max = xs.iter().copied().fold(0.0, f64::max);
            table.exact("sessions left on paused server (max)", &p, max, 0.0);
            continue;
        }
        table.mean("sessions left on paused server μ(t)", &p, &xs, mu, 0.15);
        if mu >= 1.0 {
            table.dispersion("sessions left on paused server", &p, &xs);
        }
    }

    // (c) Drain-time law, censored at the horizon.
    let mu = |t: f64| per_server * (law.tail_integral(t) - law.tail_integral(t_pause + t));
    let cdf = |t: f64| (-mu(t)).exp();
    let drains: Vec<Option<f64>> = obs.iter().map(|o| o.drain_s).collect();
    table.ks(
        "drain time P(T ≤ t) = exp(−μ(t))",
        &params,
        &drains,
        drain_horizon_s as f64,
        cdf,
    );
    let mut seen: Vec<f64> = drains.iter().flatten().copied().collect();
    seen.sort_by(f64::total_cmp);
    let inverse = |q: f64| {
        // μ is non-increasing: bisect exp(−μ(t)) = q.
        let (mut lo, mut hi) = (0.0, drain_horizon_s as f64);
        for _ in 0..100 {
            let mid = (lo + hi) / 2.0;
            if cdf(mid) < q { lo = mid } else { hi = mid }
        }
        hi
    };
    for q in [0.5, 0.9] {
        // Quantiles of the observed sample; censored ones lie past every observed value, so
        // the type-7 quantile of the sorted observed values is exact below the censored share.
        let idx_q = q * (drains.len() as f64 - 1.0) / (seen.len() as f64 - 1.0);
        table.info(
            &format!("drain time p{:.0} (s)", q * 100.0),
            &params,
            quantile(&seen, idx_q),
            inverse(q),
        );
    }
    let censored = drains.iter().filter(|d| d.is_none()).count() as f64 / drains.len() as f64;
    table.info(
        &format!("drain not done by {drain_horizon_s}s (share)"),
        &params,
        censored,
        1.0 - cdf(drain_horizon_s as f64),
    );
    table.finish(&format!("DNS pause, {}", law.label()));
}

#[test]
fn dns_drain_exponential_holding() {
    check_dns_drain(
        Law::Exponential { m: 60.0 },
        &[30.0, 60.0, 120.0, 180.0],
        900,
        5000,
        101,
    );
}

#[test]
fn dns_drain_deterministic_holding() {
    check_dns_drain(
        Law::Deterministic { d: 60.0 },
        &[15.0, 30.0, 45.0, 61.0],
        120,
        5000,
        202,
    );
}

#[test]
fn dns_drain_lognormal_holding() {
    check_dns_drain(
        Law::LogNormal {
            mu: 40f64.ln(),
            sigma: 1.0,
        },
        &[30.0, 60.0, 120.0, 300.0],
        1800,
        5000,
        303,
    );
}

// ---------------------------------------------------------------------------------------------
// Erlang B
// ---------------------------------------------------------------------------------------------
//
// With `max_per_server = c`, `retry_delay = connect_timeout = 0s` and DNS load balancing, a new
// session tries every server (in random order, at no cost) and is blocked only when all N·c
// slots are busy: the pool is one M/G/(N·c)/(N·c) loss system. Its stationary blocking
// probability is B(N·c, A) with A = λE[S] (insensitive to G; PASTA makes it the share of
// arrivals blocked). After a warm-up W₀, the blocked count in a window of length W has mean
// λ·W·B exactly, so X = blocked_in_window / (λW) is an unbiased per-replication estimate of B.

fn erlang_text(servers: u32, cap: u32, per_hour: f64, law: Law, horizon_s: u64) -> String {
    format!(
        r#"
seed = 11
replications = 1
horizon = "{horizon_s}s"
sample_interval = "0s"

[pool]
servers = {servers}
load_balancing = "dns"
quorum = "none"

[pool.dns]
retry_delay = "0s"
connect_timeout = "0s"

[[feature]]
name = "call"
service = "RTCSRV"
arrivals_per_hour = {per_hour}
max_per_server = {cap}
duration = {duration}
"#,
        duration = law.toml()
    )
}

#[test]
fn erlang_b_blocking_with_per_server_caps() {
    const WARM_S: u64 = 1200;
    const WINDOW_S: u64 = 3600;
    const REPS: u64 = 1000;
    let mut table = Table::default();
    // (servers, cap, offered load A in Erlang, holding law): the lognormal row shows
    // insensitivity to the holding-time law.
    let cases: [(u32, u32, f64, Law); 4] = [
        (2, 3, 4.0, Law::Exponential { m: 60.0 }),
        (4, 3, 8.0, Law::Exponential { m: 60.0 }),
        (3, 4, 12.0, Law::Exponential { m: 60.0 }),
        (
            5,
            2,
            8.0,
            Law::LogNormal {
                mu: 40f64.ln(),
                sigma: 1.0,
            },
        ),
    ];
    for (k, &(servers, cap, a, law)) in cases.iter().enumerate() {
        let lambda = a / law.mean();
        let cfg = common::run_config(&erlang_text(
            servers,
            cap,
            lambda * 3600.0,
            law,
            WARM_S + WINDOW_S,
        ));
        let xs: Vec<f64> = (0..REPS)
            .map(|rep| {
                let mut sim = Simulation::new(&cfg, Seeds::derive(1000 + k as u64, rep));
                sim.run_until(SimTime::from_secs(WARM_S));
                let before = sim.metrics().features[0].blocked;
                let after = sim.run().expect("runs").features[0].blocked;
                (after - before) as f64 / (lambda * WINDOW_S as f64)
            })
            .collect();
        let slots = servers * cap;
        table.mean(
            "Erlang B blocking share",
            &format!(
                "N·c = {servers}·{cap} = {slots}, A = {a}, {}, window 1h, n = {REPS}",
                law.label()
            ),
            &xs,
            erlang_b(slots, a),
            0.15,
        );
    }
    table.finish("Erlang B");
}

#[test]
fn erlang_b_recursion_matches_known_values() {
    // Published table values (e.g. B(1, A) = A/(1 + A); B(10, 5) = 0.018385; B(20, 15) = 0.045593).
    assert!((erlang_b(1, 3.0) - 0.75).abs() < 1e-12);
    assert!((erlang_b(10, 5.0) - 0.018_385).abs() < 1e-6);
    assert!((erlang_b(20, 15.0) - 0.045_593).abs() < 1e-6);
    assert_eq!(erlang_b(0, 2.0), 1.0);
}

// ---------------------------------------------------------------------------------------------
// Hardware load balancing: the UCAS trap
// ---------------------------------------------------------------------------------------------
//
// Behind a hardware load balancer with a port monitor, a paused server still looks up, so round
// robin keeps sending it one new session in N. A UCAS feature (response_group, needs DNS LB) that
// lands there stays (not_redirected = 1.0): server 1 keeps serving a stationary stream at rate
// λ/N, and a restart long after the pause cuts its occupancy, whose mean is, by Campbell's formula
// for any stationary stream of rate λ/N (round robin's every-N-th arrival is not Poisson, but the
// mean only needs the rate): (λ/N)·(I(0) − I(T_r)) → ρ = λE[S]/N.
// A feature that does not need DNS LB (av_conference) is redirected instead, so it drains as under
// DNS: the restart at T_p + W cuts (λ/N)·(I(W) − I(T_p + W)) of it on average.
// Two counts follow from the same stationary rate: every response_group session that round
// robin sends to server 1 during the wait W lands there, (λ_rg/N)·W on average; and during the
// monitor's detect delay d after the restart, server 1 still looks up, so every session sent to
// it fails: (Σλ/N)·d on average (the horizon ends before the server comes back).

#[test]
fn hardware_lb_restart_cuts_rho_of_a_ucas_feature() {
    const PAUSE_S: u64 = 1800;
    const WAIT_S: u64 = 1800;
    let rg = Law::Exponential { m: 120.0 };
    let av = Law::Exponential { m: 600.0 };
    let (rg_per_hour, av_per_hour) = (600.0, 480.0);
    let text = format!(
        r#"
seed = 5
replications = 4000
horizon = "{horizon}s"
sample_interval = "0s"

[pool]
servers = {N}
load_balancing = "hardware"
quorum = "none"

[pool.hardware]
algorithm = "round_robin"
health_monitor = "port"
detect_delay = "15s"
not_redirected = 1.0

[[feature]]
name = "response_group"
arrivals_per_hour = {rg_per_hour}
duration = {rg}

[[feature]]
name = "av_conference"
arrivals_per_hour = {av_per_hour}
duration = {av}

[[step]]
at = "{PAUSE_S}s"
action = "pause"
server = 1

[[step]]
action = "wait"
duration = "{WAIT_S}s"

[[step]]
action = "restart"
server = 1
downtime = "1m"
"#,
        horizon = PAUSE_S + WAIT_S + 30,
        rg = rg.toml(),
        av = av.toml(),
    );
    let scenario = common::scenario(&text);
    let runs = scenario::expand(&scenario).expect("expands");
    let opts = RunOptions {
        jobs: Some(1),
        ..RunOptions::default()
    };
    let results = runner::run_all(&scenario, runs, &opts).expect("runs");
    let cfg: &RunConfig = &results[0].run.config;
    let (f_rg, f_av) = (
        common::feature_id(cfg, "response_group"),
        common::feature_id(cfg, "av_conference"),
    );
    let cut = |f: usize| -> Vec<f64> {
        results[0]
            .replications
            .iter()
            .map(|r| {
                assert_eq!(r.metrics.restarts.len(), 1);
                r.metrics.restarts[0].cut[f] as f64
            })
            .collect()
    };
    let restart_s = (PAUSE_S + WAIT_S) as f64;
    let mut table = Table::default();
    let rg_rate = rg_per_hour / 3600.0 / N as f64;
    let params = format!(
        "{}, λ = {rg_per_hour}/h, N = {N}, round robin, not_redirected = 1, restart {WAIT_S}s after pause",
        rg.label()
    );
    table.info(
        "ρ = λE[S]/N",
        &params,
        rg_rate * rg.mean(),
        rg_rate * rg.mean(),
    );
    table.mean(
        "HLB: response_group cut at restart",
        &params,
        &cut(f_rg),
        rg_rate * (rg.mean() - rg.tail_integral(restart_s)),
        0.08,
    );
    let av_rate = av_per_hour / 3600.0 / N as f64;
    table.mean(
        "HLB: av_conference (redirected) cut at restart",
        &format!(
            "{}, λ = {av_per_hour}/h, N = {N}, restart {WAIT_S}s after pause",
            av.label()
        ),
        &cut(f_av),
        av_rate * (av.tail_integral(WAIT_S as f64) - av.tail_integral(restart_s)),
        0.2,
    );
    let per_rep = |get: &dyn Fn(&drainsim::model::ReplicationMetrics) -> u64| -> Vec<f64> {
        results[0]
            .replications
            .iter()
            .map(|r| get(&r.metrics) as f64)
            .collect()
    };
    table.mean(
        "HLB: response_group landed on paused = (λ/N)·W",
        &format!("λ = {rg_per_hour}/h, N = {N}, W = {WAIT_S}s"),
        &per_rep(&|m| m.features[f_rg].landed_on_paused),
        rg_rate * WAIT_S as f64,
        0.02,
    );
    let detect_s = 15.0;
    table.mean(
        "HLB: failed during detect delay = (Σλ/N)·d",
        &format!(
            "Σλ = {}/h, N = {N}, d = {detect_s}s",
            rg_per_hour + av_per_hour
        ),
        &per_rep(&|m| m.total().failed),
        (rg_rate + av_rate) * detect_s,
        0.1,
    );
    table.finish("Hardware load balancer");
}

// ---------------------------------------------------------------------------------------------
// Setup delay: a known bug of the model, shown here
// ---------------------------------------------------------------------------------------------
//
// A DNS client that is refused waits `retry_delay` before it tries the next address (R4), and
// `Decision::Accept` documents the session as "accepted on `server` after `setup_delay`". It
// reaches that server only then, so it occupies it for its holding time S alone.
//
// Set-up: N = 2, server 1 paused from the start, retry_delay d = 60 s, deterministic S = 60 s,
// λ = 120/h. Every session ends on server 2; half of them try server 1 first. Server 2 is an
// M/G/∞ queue fed at λ whose sessions stay S: its occupancy is Poisson(λS) = 2.
//
// The model admits the session on server 2 at its *arrival* and schedules its departure at
// arrival + d + S (src/model/sim.rs, `on_arrival`), so a session that was refused first sits
// on server 2 for d + S: the occupancy is λ(S + d/2) = 3, capacity is consumed d early, and a
// restart of server 2 within d cuts a session that had not reached it yet.

/// R4: a client refused by a paused server reaches the other only after its retry delay, and
/// occupies it only from then on: sessions on the accepting server = λS, not λ(S + delay/2).
#[test]
fn a_session_occupies_its_server_only_after_its_setup_delay() {
    let cfg = common::run_config(
        r#"
horizon = "20m"
sample_interval = "0s"
[pool]
servers = 2
load_balancing = "dns"
quorum = "none"
[pool.dns]
retry_delay = "60s"
connect_timeout = "0s"
[[feature]]
name = "probe"
service = "RTCSRV"
arrivals_per_hour = 120
duration = { distribution = "deterministic", value = "60s" }
[[step]]
at = "0s"
action = "pause"
server = 1
"#,
    );
    let xs: Vec<f64> = (0..2000)
        .map(|rep| {
            let mut sim = Simulation::new(&cfg, Seeds::derive(404, rep));
            sim.run_until(SimTime::from_secs(600));
            sim.pool().active(1, 0) as f64
        })
        .collect();
    let mut table = Table::default();
    table.mean(
        "sessions on the accepting server = λS",
        "N = 2, server 1 paused, retry_delay 60s, det(60s), λ = 120/h",
        &xs,
        120.0 / 3600.0 * 60.0,
        0.1,
    );
    table.finish("Setup delay");
}

// ---------------------------------------------------------------------------------------------
// Time of day: M_t/G/∞ (R12)
// ---------------------------------------------------------------------------------------------
//
// With a profile the pool-wide arrival rate λ(t) is piecewise constant, and the pool is an
// M_t/G/∞ queue. Starting empty at time 0, with I(x) = ∫ₓ^∞ (1 − G(u)) du:
//
// (a) arrivals in an hour [a, b): Poisson with mean ∫ₐᵇ λ(u) du;
// (b) sessions in the pool at t: Poisson with mean m(t) = ∫₀ᵗ λ(u)(1 − G(t − u)) du, which over
//     a segment [a, b) of constant rate λₛ (b ≤ t) is λₛ·(I(t − b) − I(t − a));
// (c) server 1 (of N, DNS) is paused at T and restarted at T₁: the restart cuts the sessions
//     it took before T that outlive T₁, Poisson with mean (1/N)·∫₀ᵀ λ(u)(1 − G(T₁ − u)) du.

/// Hourly multipliers from the clock start (06:00): 0.5, 2, 0 (an hour without arrivals), 1.
const TOD_MULTIPLIERS: [f64; 4] = [0.5, 2.0, 0.0, 1.0];
/// Arrivals per hour at a multiplier of 1.
const TOD_RATE_PER_HOUR: f64 = 600.0;
/// Pause and restart of server 1, s after the clock start (09:30 and 09:40).
const TOD_PAUSE_S: f64 = 3.5 * 3600.0;
const TOD_RESTART_S: f64 = TOD_PAUSE_S + 600.0;

fn tod_text(law: Law) -> String {
    let mut hours = [1.0; 24];
    for (k, m) in TOD_MULTIPLIERS.iter().enumerate() {
        hours[6 + k] = *m;
    }
    let list: Vec<String> = hours.iter().map(|h| format!("{h}")).collect();
    format!(
        r#"
seed = 11
horizon = "{horizon}s"
sample_interval = "0s"
clock_start = "06:00"

[pool]
servers = {N}
load_balancing = "dns"
quorum = "none"

[[feature]]
name = "probe"
service = "RTCSRV"
on_server_loss = "dropped"
arrivals_per_hour = {TOD_RATE_PER_HOUR}
profile = [{list}]
duration = {duration}

[[step]]
at = "09:30"
action = "pause"
server = 1

[[step]]
at = "09:40"
action = "restart"
server = 1
downtime = "5m"
"#,
        horizon = TOD_RESTART_S + 60.0,
        list = list.join(", "),
        duration = law.toml()
    )
}

/// λ(u), per second, `u` seconds after the clock start.
fn tod_rate(u: f64) -> f64 {
    TOD_RATE_PER_HOUR / 3600.0 * TOD_MULTIPLIERS[(u / 3600.0) as usize]
}

/// ∫ λ(u)(1 − G(t − u)) du over `[0, min(upto, t)]`, segment by segment.
fn tod_occupancy(law: Law, t: f64, upto: f64) -> f64 {
    let end = upto.min(t);
    (0..TOD_MULTIPLIERS.len())
        .map(|k| {
            let (a, b) = (k as f64 * 3600.0, ((k + 1) as f64 * 3600.0).min(end));
            if a >= b {
                return 0.0;
            }
            tod_rate(a) * (law.tail_integral(t - b) - law.tail_integral(t - a))
        })
        .sum()
}

fn check_time_of_day(law: Law, reps: u64, seed: u64) {
    let cfg = common::run_config(&tod_text(law));
    assert!(cfg.features[0].profile.is_some());
    let probes = [1.5 * 3600.0, 2.5 * 3600.0, TOD_PAUSE_S - 1.0];
    let mut hourly = vec![Vec::new(); 3];
    let mut occupancy = vec![Vec::new(); probes.len()];
    let mut cut = Vec::new();
    for rep in 0..reps {
        let mut sim = Simulation::new(&cfg, Seeds::derive(seed, rep));
        // Checkpoints in time order: hour ends (arrival counts) and occupancy probes.
        let mut marks: Vec<(f64, Option<usize>, Option<usize>)> = (0..hourly.len())
            .map(|h| ((h + 1) as f64 * 3600.0 - 1e-6, Some(h), None))
            .chain(probes.iter().enumerate().map(|(k, &t)| (t, None, Some(k))))
            .collect();
        marks.sort_by(|a, b| a.0.total_cmp(&b.0));
        let mut before = 0;
        for (t, hour, probe) in marks {
            sim.run_until(SimTime::from_secs_f64(t));
            if let Some(h) = hour {
                let now = sim.metrics().features[0].arrivals;
                hourly[h].push((now - before) as f64);
                before = now;
            }
            if let Some(k) = probe {
                let total: u32 = (0..N as usize).map(|s| sim.pool().active(s, 0)).sum();
                occupancy[k].push(total as f64);
            }
        }
        sim.run_until(SimTime::from_secs_f64(TOD_RESTART_S));
        cut.push(sim.metrics().features[0].cut() as f64);
    }
    let params = format!(
        "{}, λ = {TOD_RATE_PER_HOUR}/h × {TOD_MULTIPLIERS:?} from 06:00, N = {N}",
        law.label()
    );
    let mut table = Table::default();
    for (h, xs) in hourly.iter().enumerate() {
        let theory = TOD_RATE_PER_HOUR * TOD_MULTIPLIERS[h];
        let p = format!("{params}, hour {:02}:00", 6 + h);
        if theory == 0.0 {
            let max = xs.iter().copied().fold(0.0, f64::max);
            table.exact("arrivals in an hour at multiplier 0 (max)", &p, max, 0.0);
            continue;
        }
        table.mean("arrivals per hour ∫λ", &p, xs, theory, 0.02);
        table.dispersion("arrivals per hour", &p, xs);
    }
    for (k, &t) in probes.iter().enumerate() {
        let theory = tod_occupancy(law, t, t);
        let p = format!("{params}, t = {:.0}s", t);
        table.mean(
            "M_t/G/∞ sessions in the pool m(t)",
            &p,
            &occupancy[k],
            theory,
            0.05,
        );
        table.dispersion("M_t/G/∞ sessions in the pool", &p, &occupancy[k]);
    }
    let theory = tod_occupancy(law, TOD_RESTART_S, TOD_PAUSE_S) / N as f64;
    table.mean(
        "cut by the restart 10 min after the pause",
        &format!("{params}, pause 09:30"),
        &cut,
        theory,
        0.1,
    );
    table.finish(&format!("time of day, {}", law.label()));
}

#[test]
fn time_of_day_exponential_holding() {
    check_time_of_day(Law::Exponential { m: 1200.0 }, 1000, 404);
}

#[test]
fn time_of_day_lognormal_holding() {
    check_time_of_day(
        Law::LogNormal {
            mu: 900f64.ln(),
            sigma: 1.0,
        },
        1000,
        505,
    );
}
