//! Summaries across replications (R11): mean, standard deviation, 95 % Student-t interval,
//! quantiles.

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
    /// Sample standard deviation (n − 1); NaN when n < 2.
    pub sd: f64,
    /// Lower end of the 95 % Student-t interval; NaN when n < 2.
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
        }
    }

    /// First pass: value `x` of sample `i`.
    pub fn first(&mut self, i: usize, x: f64) {
        self.n[i] += 1;
        self.sums[i] += x;
    }

    /// Ends the first pass.
    pub fn end_first(&mut self) {
        for i in 0..self.n.len() {
            self.means[i] = self.sums[i] / self.n[i] as f64;
        }
    }

    /// Second pass: value `x` of sample `i`.
    pub fn second(&mut self, i: usize, x: f64) {
        let m = self.means[i];
        self.devs[i] += (x - m) * (x - m);
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
        let h = t95(n - 1) * sd / (n as f64).sqrt();
        Estimate {
            n,
            mean,
            sd,
            low: mean - h,
            high: mean + h,
        }
    }
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
