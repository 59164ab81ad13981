//! Summaries across replications (R11): mean, standard deviation, 95 % interval, quantiles.
//!
//! The interval says what it covers (R20). On drawn traffic and on a replayed trace it is the
//! Student-t interval of the mean over replications, which narrows as they grow. On a
//! bootstrapped trace (R13) it is an interval for the value of the process that produced the
//! recorded night ([`TwoPass::paired`]): replications come in pairs that share one resample, a
//! one-way random-effects analysis of variance over the pairs separates the spread between
//! resamples (nights like the recorded one) from the routing noise within a pair, and the
//! interval is about as wide as that spread however many replications run.

use statrs::distribution::{ContinuousCDF, StudentsT};

use crate::model::FeatureCounts;

/// Reads one measure off a feature's counts.
pub type Extract = fn(&FeatureCounts) -> f64;

/// The per-feature measures of R10, as `(name, extractor)`, in report order.
pub const MEASURES: &[(&str, Extract)] = &[
    ("arrivals", |c| c.arrivals as f64),
    ("accepted", |c| c.accepted as f64),
    ("redirected", |c| c.redirected as f64),
    ("landed_on_paused", |c| c.landed_on_paused as f64),
    ("blocked", |c| c.blocked as f64),
    ("failed", |c| c.failed as f64),
    ("arrivals_in_maintenance", |c| {
        c.arrivals_in_maintenance as f64
    }),
    ("blocked_in_maintenance", |c| {
        c.blocked_in_maintenance as f64
    }),
    ("blocked_in_maintenance_fraction", |c| {
        if c.arrivals_in_maintenance == 0 {
            0.0
        } else {
            c.blocked_in_maintenance as f64 / c.arrivals_in_maintenance as f64
        }
    }),
    ("cut", |c| c.cut() as f64),
    ("cut_restart", |c| c.cut_by[0] as f64),
    ("cut_stop", |c| c.cut_by[1] as f64),
    ("cut_quorum_loss", |c| c.cut_by[2] as f64),
    ("disrupted", |c| c.disrupted as f64),
    ("completed", |c| c.completed as f64),
    ("active_at_end", |c| c.active_at_end as f64),
    ("setup_delay_s", |c| c.setup_delay_mean_s()),
    // The users twins (R21): the same counts, each session weighing its participants.
    ("users_arrivals", |c| c.users.arrivals as f64),
    ("users_blocked", |c| c.users.blocked as f64),
    ("users_failed", |c| c.users.failed as f64),
    ("users_arrivals_in_maintenance", |c| {
        c.users.arrivals_in_maintenance as f64
    }),
    ("users_blocked_in_maintenance", |c| {
        c.users.blocked_in_maintenance as f64
    }),
    ("users_blocked_in_maintenance_fraction", |c| {
        if c.users.arrivals_in_maintenance == 0 {
            0.0
        } else {
            c.users.blocked_in_maintenance as f64 / c.users.arrivals_in_maintenance as f64
        }
    }),
    ("users_cut", |c| c.users.cut() as f64),
    ("users_cut_restart", |c| c.users.cut_by[0] as f64),
    ("users_cut_stop", |c| c.users.cut_by[1] as f64),
    ("users_cut_quorum_loss", |c| c.users.cut_by[2] as f64),
    ("users_disrupted", |c| c.users.disrupted as f64),
];

// The names of `summary.csv`'s numeric columns, defined once: `summary::columns` pairs each
// with its reader, in this order (array lengths make a missing reader a compile error), and
// `[[expect]]` validation reads them here ([`is_summary_column`]).

/// Statistics written for every measure: `<measure>_<stat>`.
pub const STATS: [&str; 4] = ["mean", "sd", "ci95_low", "ci95_high"];

/// Per-run drain statistics, written on the `feature = "all"` row.
pub const DRAIN_COLUMNS: [&str; 7] = [
    "drains",
    "drained_fraction",
    "drain_time_s_mean",
    "drain_time_s_p50",
    "drain_time_s_p95",
    "drain_time_s_p99",
    "drain_time_s_max",
];

/// Setup-delay quantiles over every accepted session of a run, written on every row.
pub const SETUP_DELAY_COLUMNS: [&str; 3] = [
    "setup_delay_s_p50",
    "setup_delay_s_p95",
    "setup_delay_s_p99",
];

/// Per-run maintenance and capacity statistics, written on the `feature = "all"` row after the
/// drain columns.
pub const MAINTENANCE_COLUMNS: [&str; 8] = [
    "maintenance_s_mean",
    "maintenance_s_p50",
    "maintenance_s_p95",
    "plan_finished_fraction",
    "plan_failed_fraction",
    "peak_sessions_per_server_mean",
    "peak_sessions_per_server_max",
    "above_threshold_s_mean",
];

/// Whether `name` is a numeric column of `summary.csv` (for expectations).
pub fn is_summary_column(name: &str) -> bool {
    if DRAIN_COLUMNS.contains(&name)
        || MAINTENANCE_COLUMNS.contains(&name)
        || SETUP_DELAY_COLUMNS.contains(&name)
        || name == "replications"
    {
        return true;
    }
    MEASURES.iter().any(|(m, _)| {
        name.strip_prefix(m)
            .and_then(|rest| rest.strip_prefix('_'))
            .is_some_and(|stat| STATS.contains(&stat))
    })
}

/// Every numeric column of `summary.csv` ([`is_summary_column`]), in the order of the
/// constants above: for "did you mean" hints.
pub fn summary_columns() -> Vec<String> {
    let mut out: Vec<String> = MEASURES
        .iter()
        .flat_map(|(m, _)| STATS.iter().map(move |s| format!("{m}_{s}")))
        .collect();
    out.push("replications".to_string());
    for c in SETUP_DELAY_COLUMNS
        .iter()
        .chain(&DRAIN_COLUMNS)
        .chain(&MAINTENANCE_COLUMNS)
    {
        out.push(c.to_string());
    }
    out
}

/// Mean, standard deviation and 95 % confidence interval of a sample.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Estimate {
    /// Sample size.
    pub n: usize,
    /// Sample mean.
    pub mean: f64,
    /// Sample standard deviation (n − 1) of the replications; NaN when n < 2.
    pub sd: f64,
    /// Lower end of the 95 % interval: Student t for the mean, NaN when n < 2; for a
    /// bootstrapped trace, the interval for the process's value of [`TwoPass::paired`], NaN
    /// below two complete pairs.
    pub low: f64,
    /// Upper end.
    pub high: f64,
}

impl Estimate {
    /// Half-width of the interval.
    pub fn half_width(&self) -> f64 {
        (self.high - self.low) / 2.0
    }
}

/// The two-sided 95 % Student-t quantile for `df` degrees of freedom.
pub fn t95(df: usize) -> f64 {
    if df == 0 {
        return f64::NAN;
    }
    StudentsT::new(0.0, 1.0, df as f64)
        .map(|t| t.inverse_cdf(0.975))
        .unwrap_or(f64::NAN)
}

/// Estimates the mean of `xs` with a 95 % Student-t interval.
pub fn estimate(xs: &[f64]) -> Estimate {
    estimate_iter(|| xs.iter().copied())
}

/// [`estimate`] of a sample read twice (once for the mean, once for the deviations), so that
/// it need not be held in memory; the same arithmetic in the same order, hence the same bits.
pub fn estimate_iter<I: Iterator<Item = f64>>(sample: impl Fn() -> I) -> Estimate {
    let mut two = TwoPass::new(1);
    for x in sample() {
        two.first(0, x);
    }
    two.end_first();
    for x in sample() {
        two.second(0, x);
    }
    two.estimate(0)
}

/// The mean, standard deviation and interval of several samples of the same size, read in two
/// passes ([`TwoPass::first`] for every value, then [`TwoPass::second`] for every value, in the
/// same order): the arithmetic of [`estimate`], without holding the samples.
#[derive(Debug, Clone)]
pub struct TwoPass {
    n: Vec<usize>,
    sums: Vec<f64>,
    means: Vec<f64>,
    devs: Vec<f64>,
    /// The pairs of a bootstrapped trace ([`TwoPass::paired`]), `None` otherwise.
    pairs: Option<Pairs>,
}

/// The pairs of replications of [`TwoPass::paired`]: per sample, the pair means (in two passes,
/// as the values) and the variance within pairs.
#[derive(Debug, Clone)]
struct Pairs {
    /// The replication whose values are being read.
    replication: u32,
    /// Per sample: the value of the even replication of the pair being read, with its pair.
    open: Vec<Option<(u32, f64)>>,
    /// Complete pairs.
    g: Vec<usize>,
    /// Sum of the pair means, then their mean.
    sums: Vec<f64>,
    means: Vec<f64>,
    /// Sum of squared deviations of the pair means from their mean.
    devs: Vec<f64>,
    /// Sum over pairs of (y₁ − y₂)² / 2.
    within: Vec<f64>,
    /// The pivots' draws for each number of complete pairs met ([`pivot_draws`]).
    draws: Vec<(usize, Vec<[f64; 3]>)>,
}

impl Pairs {
    /// Records value `x` of sample `i` for the current replication; returns the pair mean and
    /// half the squared difference when it completes a pair.
    fn take(&mut self, i: usize, x: f64) -> Option<(f64, f64)> {
        let (r, pair) = (self.replication, self.replication / 2);
        if r % 2 == 0 {
            self.open[i] = Some((pair, x));
            return None;
        }
        match self.open[i].take() {
            Some((p, y)) if p == pair => Some(((y + x) / 2.0, (y - x) * (y - x) / 2.0)),
            _ => None,
        }
    }
}

impl TwoPass {
    /// `k` samples, all empty.
    pub fn new(k: usize) -> TwoPass {
        // -0.0 is the neutral element of addition (and where `Iterator::sum` starts).
        TwoPass {
            n: vec![0; k],
            sums: vec![-0.0; k],
            means: vec![f64::NAN; k],
            devs: vec![-0.0; k],
            pairs: None,
        }
    }

    /// `k` samples of a bootstrapped trace, whose replications `2g` and `2g + 1` share one
    /// resample of the recorded night (R13). Call [`TwoPass::replication`] before the values
    /// of each replication, in both passes.
    ///
    /// The mean and the standard deviation stay those of every replication. The interval is
    /// for the value of the process that produced the recorded night, from a one-way
    /// random-effects analysis of variance over the G complete pairs: with the pair means'
    /// sample variance s²ₘ and the variance within pairs s²_w (the mean of (y₁ − y₂)² / 2),
    /// the spread of a resample's value (the day-to-day spread) is estimated by
    /// σ²_b = max(0, s²ₘ − s²_w / 2), and the interval is mean ± q · √(σ²_b + s²ₘ / G), with
    /// q the 95 % quantile of a generalized pivotal quantity ([`pivot_half_width`]) rather than
    /// t₉₅(G − 1): the estimate σ²_b is a difference of two noisy mean squares, far less
    /// certain than G − 1 degrees of freedom say when routing noise dominates. Its width tends
    /// to 2 · 1.96 · σ_b, not to 0, as replications grow: one recorded night cannot say more.
    /// A last replication without its pair counts in the mean but not in the interval; below
    /// two complete pairs there is none.
    pub fn paired(k: usize) -> TwoPass {
        TwoPass {
            pairs: Some(Pairs {
                replication: 0,
                open: vec![None; k],
                g: vec![0; k],
                sums: vec![-0.0; k],
                means: vec![f64::NAN; k],
                devs: vec![-0.0; k],
                within: vec![-0.0; k],
                draws: Vec::new(),
            }),
            ..TwoPass::new(k)
        }
    }

    /// The replication whose values follow (paired samples only; ignored otherwise).
    pub fn replication(&mut self, r: u32) {
        if let Some(p) = &mut self.pairs {
            p.replication = r;
        }
    }

    /// First pass: value `x` of sample `i`.
    pub fn first(&mut self, i: usize, x: f64) {
        self.n[i] += 1;
        self.sums[i] += x;
        if let Some(p) = &mut self.pairs
            && let Some((m, w)) = p.take(i, x)
        {
            p.g[i] += 1;
            p.sums[i] += m;
            p.within[i] += w;
        }
    }

    /// Ends the first pass.
    pub fn end_first(&mut self) {
        for i in 0..self.n.len() {
            self.means[i] = self.sums[i] / self.n[i] as f64;
        }
        if let Some(p) = &mut self.pairs {
            for i in 0..p.g.len() {
                p.means[i] = p.sums[i] / p.g[i] as f64;
                p.open[i] = None;
                let g = p.g[i];
                if g >= 2 && !p.draws.iter().any(|(h, _)| *h == g) {
                    p.draws.push((g, pivot_draws(g)));
                }
            }
        }
    }

    /// Second pass: value `x` of sample `i`.
    pub fn second(&mut self, i: usize, x: f64) {
        let m = self.means[i];
        self.devs[i] += (x - m) * (x - m);
        if let Some(p) = &mut self.pairs
            && let Some((pm, _)) = p.take(i, x)
        {
            let d = pm - p.means[i];
            p.devs[i] += d * d;
        }
    }

    /// Half-width of sample `i`'s interval for the process's value (paired samples, after the
    /// second pass); NaN below two complete pairs.
    fn day_half_width(p: &Pairs, i: usize) -> f64 {
        let g = p.g[i];
        if g < 2 {
            return f64::NAN;
        }
        let s2_m = p.devs[i] / (g - 1) as f64;
        let s2_w = p.within[i] / g as f64;
        let draws = (p.draws.iter())
            .find(|(h, _)| *h == g)
            .map(|(_, d)| d.as_slice())
            .unwrap_or_default();
        pivot_half_width(g, s2_m, s2_w, draws)
    }

    /// The estimate of sample `i` (after the second pass).
    pub fn estimate(&self, i: usize) -> Estimate {
        let n = self.n[i];
        let nan = f64::NAN;
        if n == 0 {
            return Estimate {
                n,
                mean: nan,
                sd: nan,
                low: nan,
                high: nan,
            };
        }
        let mean = self.means[i];
        if n < 2 {
            return Estimate {
                n,
                mean,
                sd: nan,
                low: nan,
                high: nan,
            };
        }
        let var = self.devs[i] / (n - 1) as f64;
        let sd = var.sqrt();
        let h = match &self.pairs {
            Some(p) => TwoPass::day_half_width(p, i),
            None => t95(n - 1) * sd / (n as f64).sqrt(),
        };
        Estimate {
            n,
            mean,
            sd,
            low: mean - h,
            high: mean + h,
        }
    }
}

/// Draws of the generalized pivotal quantity of [`TwoPass::paired`]'s interval.
const PIVOT_DRAWS: usize = 4_000;

/// `PIVOT_DRAWS` draws of (Z, U / (G − 1), V / G) with Z standard normal, U χ² on G − 1 and V
/// χ² on G degrees of freedom, independent. Seeded by `g` alone: the same numbers of pairs get
/// the same draws, so an interval depends only on its sample (whatever the run, the shard or
/// `--jobs`).
fn pivot_draws(g: usize) -> Vec<[f64; 3]> {
    use rand::SeedableRng;
    use rand_distr::{ChiSquared, Distribution, StandardNormal};
    let mut rng = rand_pcg::Pcg64::seed_from_u64(0x7069_766f_7473 ^ g as u64);
    let gf = g as f64;
    let u = ChiSquared::new(gf - 1.0).expect("g ≥ 2");
    let v = ChiSquared::new(gf).expect("g ≥ 2");
    (0..PIVOT_DRAWS)
        .map(|_| {
            let z: f64 = StandardNormal.sample(&mut rng);
            [z, u.sample(&mut rng) / (gf - 1.0), v.sample(&mut rng) / gf]
        })
        .collect()
}

/// Half-width of the interval for the process's value of [`TwoPass::paired`] from `g`
/// complete pairs whose means have sample variance `s2_m` and whose variance within is `s2_w`.
///
/// The generalized pivotal quantity of the one-way random-effects model (Weerahandi,
/// *Exact Statistical Methods for Data Analysis*, 1995; the prediction of a new group's
/// effect): with (G − 1) s²ₘ / σ²ₘ ~ χ²(G − 1) and G s²_w / σ²_w ~ χ²(G), the variances
/// "solved" from each draw are Rₘ = s²ₘ / (U / (G − 1)) and R_w = s²_w / (V / G), the
/// day-to-day spread is R_b = max(0, Rₘ − R_w / 2), and the value of the process lies at
/// mean − Z · √(R_b + Rₘ / G), with Rₘ at least R_w / 2 (a pair mean varies at least by
/// its routing noise, so pairs that happen to agree do not make the interval vanish). The
/// half-width is the 95 % quantile of |Z| · √(R_b + Rₘ / G)
/// over the draws. It carries the uncertainty of σ²_b, which a t quantile on G − 1 degrees of
/// freedom ignores (in the days of `tests/it/bootstrap_coverage.rs` on 8 servers, with 10 to
/// 100 replications, that interval covered the true value in 82–88 % of days, this one in
/// 91.6–94.7 %).
pub fn pivot_half_width(g: usize, s2_m: f64, s2_w: f64, draws: &[[f64; 3]]) -> f64 {
    if g < 2 || draws.is_empty() {
        return f64::NAN;
    }
    let mut t: Vec<f64> = (draws.iter())
        .map(|d| d[0].abs() * pivot_spread(g, s2_m, s2_w, d))
        .collect();
    t.sort_by(f64::total_cmp);
    quantile(&t, 0.95)
}

/// √(R_b + Rₘ / G) of one draw `[z, u, v]` of [`pivot_draws`]: the spread the pivot scales Z
/// by, with Rₘ at least R_w / 2 (a pair mean varies at least by its routing noise).
fn pivot_spread(g: usize, s2_m: f64, s2_w: f64, &[_, u, v]: &[f64; 3]) -> f64 {
    let r_w = s2_w / v;
    let r_m = (s2_m / u).max(r_w / 2.0);
    let r_b = (r_m - r_w / 2.0).max(0.0);
    (r_b + r_m / g as f64).sqrt()
}

/// The one-sided half-width at level `level` of the interval for the process's value of
/// [`pivot_half_width`] (the same pivot, signed: the `level` quantile of
/// Z · √(R_b + Rₘ / G)); NaN below two complete pairs. For judging a bound on a bootstrapped
/// run at a look's own error rate.
pub fn pivot_one_sided(g: usize, s2_m: f64, s2_w: f64, level: f64) -> f64 {
    if g < 2 {
        return f64::NAN;
    }
    let mut t: Vec<f64> = (pivot_draws(g).iter())
        .map(|d| d[0] * pivot_spread(g, s2_m, s2_w, d))
        .collect();
    t.sort_by(f64::total_cmp);
    quantile(&t, level)
}

/// The `q`-quantile of `sorted` (ascending), by linear interpolation between order statistics
/// (Hyndman & Fan type 7, as R and NumPy default). NaN for an empty sample.
pub fn quantile(sorted: &[f64], q: f64) -> f64 {
    if sorted.is_empty() {
        return f64::NAN;
    }
    let h = (sorted.len() - 1) as f64 * q.clamp(0.0, 1.0);
    let lo = h.floor() as usize;
    let hi = h.ceil() as usize;
    sorted[lo] + (h - lo as f64) * (sorted[hi] - sorted[lo])
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn t_quantiles_match_tables() {
        assert!((t95(1) - 12.706).abs() < 1e-3);
        assert!((t95(10) - 2.228).abs() < 1e-3);
        assert!((t95(1000) - 1.962).abs() < 1e-3);
    }

    #[test]
    fn estimate_of_a_known_sample() {
        let e = estimate(&[1.0, 2.0, 3.0, 4.0]);
        assert_eq!(e.mean, 2.5);
        assert!((e.sd - 1.290_994).abs() < 1e-6);
        assert!((e.half_width() - 3.182_446 * 1.290_994 / 2.0).abs() < 1e-5);
    }

    #[test]
    fn two_passes_give_the_bits_of_one_slice() {
        let xs: Vec<f64> = (0..1000).map(|i| ((i * 7919) % 613) as f64 / 7.0).collect();
        let a = estimate(&xs);
        let b = estimate_iter(|| xs.iter().copied());
        for (x, y) in [
            (a.mean, b.mean),
            (a.sd, b.sd),
            (a.low, b.low),
            (a.high, b.high),
        ] {
            assert_eq!(x.to_bits(), y.to_bits());
        }
        // The slice formula, written out: the mean, then the squared deviations, in order.
        let mean = xs.iter().sum::<f64>() / xs.len() as f64;
        let var = xs.iter().map(|x| (x - mean) * (x - mean)).sum::<f64>() / 999.0;
        assert_eq!(a.mean.to_bits(), mean.to_bits());
        assert_eq!(a.sd.to_bits(), var.sqrt().to_bits());
    }

    /// A paired summary of `ys` (replication `r` is `ys[r]`).
    fn paired_estimate(ys: &[f64]) -> Estimate {
        let mut two = TwoPass::paired(1);
        for pass in 0..2 {
            for (r, &y) in ys.iter().enumerate() {
                two.replication(r as u32);
                if pass == 0 {
                    two.first(0, y);
                } else {
                    two.second(0, y);
                }
            }
            if pass == 0 {
                two.end_first();
            }
        }
        two.estimate(0)
    }

    #[test]
    fn a_paired_interval_is_the_random_effects_one_and_keeps_the_mean_and_sd() {
        let ys = [1.0, 3.0, 2.0, 6.0, 4.0, 4.0, 10.0, 12.0, 100.0];
        let e = paired_estimate(&ys);
        let plain = estimate(&ys);
        // The odd last replication counts in the mean and the sd…
        assert_eq!((e.n, e.mean.to_bits()), (9, plain.mean.to_bits()));
        assert_eq!(e.sd.to_bits(), plain.sd.to_bits());
        // …but not in the interval: four pairs, means 2, 4, 4, 11, within 2, 8, 0, 2.
        let means = [2.0, 4.0, 4.0, 11.0];
        let s2_m = estimate(&means).sd.powi(2);
        let s2_w = (2.0 + 8.0 + 0.0 + 2.0) / 4.0;
        let h = pivot_half_width(4, s2_m, s2_w, &pivot_draws(4));
        assert!((e.half_width() - h).abs() < 1e-12, "{e:?} vs {h}");
        assert!((e.low - (plain.mean - h)).abs() < 1e-12);
        // The pivot's scale is that of the point estimate, √(σ²_b + s²ₘ / G).
        let s2_b = s2_m - s2_w / 2.0;
        let point = (s2_b + s2_m / 4.0).sqrt();
        assert!(
            h > 1.96 * point && h < 3.0 * t95(3) * point,
            "{h} vs {point}"
        );
        // Fewer than two complete pairs: no interval, as below two replications.
        let e = paired_estimate(&[1.0, 2.0, 5.0]);
        assert!(e.low.is_nan() && e.high.is_nan() && e.sd.is_finite());
        // Pairs that agree more than their means differ by chance give a spread of 0, not less.
        let e = paired_estimate(&[0.0, 4.0, 4.0, 0.0, 2.0, 3.0]);
        let s2_m = estimate(&[2.0, 2.0, 2.5]).sd.powi(2);
        let h = pivot_half_width(3, s2_m, (8.0 + 8.0 + 0.5) / 3.0, &pivot_draws(3));
        assert!((e.half_width() - h).abs() < 1e-12, "{e:?} vs {h}");
    }

    /// Without noise within pairs the pivot is |Z| · √((1 + 1/G) s²ₘ / (U / (G − 1))), i.e.
    /// |t(G − 1)| · √((1 + 1/G) s²ₘ): its 95 % quantile is the t quantile, up to the noise of
    /// 4,000 draws. That noise is √(0.95 · 0.05 / 4000) / f(q), f the density of |t| at its
    /// quantile q: 1.9 % of q for 9 degrees of freedom, less for more, so 6 % is over 3 of
    /// them.
    #[test]
    fn without_noise_within_pairs_the_pivot_is_a_t_prediction_interval() {
        for g in [10, 40] {
            let gf = g as f64;
            let h = pivot_half_width(g, 4.0, 0.0, &pivot_draws(g));
            let t = t95(g - 1) * (4.0 * (1.0 + 1.0 / gf)).sqrt();
            assert!((h / t - 1.0).abs() < 0.06, "G = {g}: {h} vs {t}");
        }
        assert!(pivot_half_width(1, 4.0, 0.0, &pivot_draws(2)).is_nan());
    }

    /// Values with a spread of 1 between pairs and 1 within: the plain interval of the mean
    /// narrows as 1/√n, the paired one tends to ±1.96 · 1 (the spread between pairs).
    #[test]
    fn a_paired_interval_keeps_its_width_as_replications_grow() {
        use rand::SeedableRng;
        use rand_distr::{Distribution, StandardNormal};
        let mut rng = rand_pcg::Pcg64::seed_from_u64(7);
        let mut ys = Vec::new();
        for _ in 0..20_000 {
            let b: f64 = StandardNormal.sample(&mut rng);
            for _ in 0..2 {
                let w: f64 = StandardNormal.sample(&mut rng);
                ys.push(b + w);
            }
        }
        let (few, many) = (paired_estimate(&ys[..40]), paired_estimate(&ys));
        assert!(few.half_width() > 1.0 && few.half_width() < 4.0, "{few:?}");
        assert!((many.half_width() - 1.96).abs() < 0.05, "{many:?}");
        assert!(estimate(&ys).half_width() < 0.03);
    }

    #[test]
    fn quantiles_interpolate() {
        let xs = [1.0, 2.0, 3.0, 4.0, 5.0];
        assert_eq!(quantile(&xs, 0.5), 3.0);
        assert_eq!(quantile(&xs, 0.25), 2.0);
        assert_eq!(quantile(&xs, 0.1), 1.4);
    }

    #[test]
    fn summary_columns_are_recognised() {
        assert!(is_summary_column("cut_mean"));
        assert!(is_summary_column("cut_ci95_high"));
        assert!(is_summary_column("landed_on_paused_sd"));
        assert!(is_summary_column("drain_time_s_p95"));
        assert!(!is_summary_column("cut_median"));
        assert!(!is_summary_column("feature"));
        let all = summary_columns();
        assert!(all.iter().all(|c| is_summary_column(c)));
        assert!(all.iter().any(|c| c == "cut_mean"));
        assert!(all.iter().any(|c| c == "plan_failed_fraction"));
    }
}
