//! Maximum-likelihood fits of the holding-time families drainsim samples, and the
//! Kolmogorov–Smirnov distance of each fit to the data.
//!
//! Closed forms for the exponential and log-normal; Newton's method (kept inside a bracket
//! that bisection shrinks) for the gamma and Weibull shapes, whose likelihood equations have
//! no closed form. Every fit works on strictly positive data.

use statrs::function::erf::erfc;
use statrs::function::gamma::{checked_gamma_lr, digamma, ln_gamma};

use crate::model::DistKind;

/// A family of holding-time distributions that `fit` considers.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Family {
    /// Exponential (one parameter: the mean).
    Exponential,
    /// Log-normal (median and sigma).
    LogNormal,
    /// Gamma (mean and shape).
    Gamma,
    /// Weibull (scale and shape).
    Weibull,
}

impl Family {
    /// Every family, in the order fits are tried.
    pub const ALL: [Family; 4] = [
        Family::Exponential,
        Family::LogNormal,
        Family::Gamma,
        Family::Weibull,
    ];

    /// The name used in scenario files (`distribution = "…"`).
    pub fn name(self) -> &'static str {
        match self {
            Family::Exponential => "exponential",
            Family::LogNormal => "lognormal",
            Family::Gamma => "gamma",
            Family::Weibull => "weibull",
        }
    }

    /// Free parameters, for the Akaike information criterion.
    pub fn parameters(self) -> usize {
        match self {
            Family::Exponential => 1,
            _ => 2,
        }
    }
}

/// One family fitted to a sample.
#[derive(Debug, Clone, PartialEq)]
pub struct FamilyFit {
    /// The family.
    pub family: Family,
    /// Its maximum-likelihood parameters, in seconds.
    pub kind: DistKind,
    /// Log-likelihood of the sample at those parameters.
    pub log_likelihood: f64,
    /// Akaike information criterion, 2·parameters − 2·log-likelihood: lower is better.
    pub aic: f64,
    /// Kolmogorov–Smirnov distance: the largest gap between the sample's and the fitted
    /// cumulative distribution functions (0 to 1).
    pub ks: f64,
}

/// Summary statistics of a strictly positive sample, computed once for every family.
pub struct Sample<'a> {
    sorted: &'a [f64],
    n: f64,
    mean: f64,
    sum_ln: f64,
    mean_ln: f64,
}

impl<'a> Sample<'a> {
    /// `sorted` must be sorted ascending, finite and strictly positive, and not empty.
    pub fn new(sorted: &'a [f64]) -> Sample<'a> {
        let n = sorted.len() as f64;
        let sum_ln: f64 = sorted.iter().map(|x| x.ln()).sum();
        Sample {
            sorted,
            n,
            mean: sorted.iter().sum::<f64>() / n,
            sum_ln,
            mean_ln: sum_ln / n,
        }
    }

    /// The maximum-likelihood fit of `family`, or `None` when it has none (a sample whose
    /// values are all equal has no spread for a two-parameter family to fit).
    pub fn fit(&self, family: Family) -> Option<FamilyFit> {
        let (kind, log_likelihood) = match family {
            Family::Exponential => self.exponential(),
            Family::LogNormal => self.lognormal()?,
            Family::Gamma => self.gamma()?,
            Family::Weibull => self.weibull()?,
        };
        if !log_likelihood.is_finite() {
            return None;
        }
        let ks = ks_distance(self.sorted, |x| cdf(&kind, x));
        Some(FamilyFit {
            family,
            aic: 2.0 * family.parameters() as f64 - 2.0 * log_likelihood,
            kind,
            log_likelihood,
            ks,
        })
    }

    fn exponential(&self) -> (DistKind, f64) {
        let m = self.mean;
        (
            DistKind::Exponential { mean_s: m },
            -self.n * m.ln() - self.n,
        )
    }

    fn lognormal(&self) -> Option<(DistKind, f64)> {
        let mu = self.mean_ln;
        let var = self
            .sorted
            .iter()
            .map(|x| (x.ln() - mu).powi(2))
            .sum::<f64>()
            / self.n;
        if var.partial_cmp(&0.0) != Some(std::cmp::Ordering::Greater) {
            return None;
        }
        let ll =
            -self.sum_ln - self.n / 2.0 * (2.0 * std::f64::consts::PI * var).ln() - self.n / 2.0;
        Some((
            DistKind::LogNormal {
                mu,
                sigma: var.sqrt(),
            },
            ll,
        ))
    }

    /// Shape k solves ln k − ψ(k) = ln(mean) − mean(ln x); the scale is then mean / k.
    fn gamma(&self) -> Option<(DistKind, f64)> {
        let s = self.mean.ln() - self.mean_ln;
        if s.partial_cmp(&1e-12) != Some(std::cmp::Ordering::Greater) {
            return None;
        }
        // Minka's starting point, within 1.5 % of the root.
        let start = (3.0 - s + ((s - 3.0).powi(2) + 24.0 * s).sqrt()) / (12.0 * s);
        // ln k − ψ(k) decreases from +∞ to 0: the root is bracketed by (0, ∞).
        let k = solve_increasing(
            |k| (s - (k.ln() - digamma(k)), trigamma(k) - 1.0 / k),
            start,
        )?;
        let theta = self.mean / k;
        let ll =
            (k - 1.0) * self.sum_ln - self.n * k * theta.ln() - self.n * ln_gamma(k) - self.n * k;
        Some((
            DistKind::Gamma {
                mean_s: self.mean,
                shape: k,
            },
            ll,
        ))
    }

    /// Shape k solves Σ xᵏ ln x / Σ xᵏ − 1/k − mean(ln x) = 0; the scale is then
    /// (mean xᵏ)^(1/k). Computed on t = ln x − mean(ln x), with the largest exponent taken
    /// out, so xᵏ never overflows.
    fn weibull(&self) -> Option<(DistKind, f64)> {
        let t: Vec<f64> = self.sorted.iter().map(|x| x.ln() - self.mean_ln).collect();
        let t_max = t.iter().copied().fold(f64::NEG_INFINITY, f64::max);
        let t_min = t.iter().copied().fold(f64::INFINITY, f64::min);
        if t_max - t_min <= 1e-12 {
            return None;
        }
        // g(k) = E_w[t] − 1/k with weights w ∝ e^{kt}; g' = Var_w[t] + 1/k² > 0.
        let g = |k: f64| {
            let top = k * t_max;
            let (mut sw, mut swt, mut swtt) = (0.0, 0.0, 0.0);
            for &ti in &t {
                let w = (k * ti - top).exp();
                sw += w;
                swt += w * ti;
                swtt += w * ti * ti;
            }
            let m1 = swt / sw;
            (m1 - 1.0 / k, swtt / sw - m1 * m1 + 1.0 / (k * k))
        };
        let sd = (t.iter().map(|x| x * x).sum::<f64>() / self.n).sqrt();
        // Method of moments on ln x: the standard deviation of ln X is π / (k √6).
        let start = std::f64::consts::PI / (sd * 6f64.sqrt());
        let k = solve_increasing(g, start)?;
        let top = k * t_max;
        let ln_mean_pow =
            top + (t.iter().map(|ti| (k * ti - top).exp()).sum::<f64>() / self.n).ln();
        let ln_scale = self.mean_ln + ln_mean_pow / k;
        let ll = self.n * k.ln() - self.n * k * ln_scale + (k - 1.0) * self.sum_ln - self.n;
        Some((
            DistKind::Weibull {
                scale_s: ln_scale.exp(),
                shape: k,
            },
            ll,
        ))
    }
}

/// The root in (0, ∞) of an increasing function `f` (returning its value and derivative),
/// by Newton's method from `start`, falling back to bisection whenever a step would leave the
/// bracket known to hold the root.
fn solve_increasing(f: impl Fn(f64) -> (f64, f64), start: f64) -> Option<f64> {
    let (mut lo, mut hi) = (0.0_f64, f64::INFINITY);
    let mut k = if start.is_finite() && start > 0.0 {
        start
    } else {
        1.0
    };
    for _ in 0..200 {
        let (v, dv) = f(k);
        if !v.is_finite() {
            return None;
        }
        if v == 0.0 {
            return Some(k);
        }
        if v < 0.0 {
            lo = k;
        } else {
            hi = k;
        }
        let newton = k - v / dv;
        let next = if dv > 0.0 && newton > lo && newton < hi {
            newton
        } else if hi.is_finite() {
            (lo + hi) / 2.0
        } else {
            k * 2.0
        };
        if (next - k).abs() <= 1e-12 * k {
            return Some(next);
        }
        k = next;
    }
    (k.is_finite() && k > 0.0).then_some(k)
}

/// ψ′(x), the trigamma function, for x > 0: the recurrence ψ′(x) = ψ′(x + 1) + 1/x² up to
/// x ≥ 10, then the asymptotic series (error below 1e-12 there).
fn trigamma(mut x: f64) -> f64 {
    let mut acc = 0.0;
    while x < 10.0 {
        acc += 1.0 / (x * x);
        x += 1.0;
    }
    let x2 = 1.0 / (x * x);
    acc + 1.0 / x
        + x2 / 2.0
        + x2 / x * (1.0 / 6.0 - x2 * (1.0 / 30.0 - x2 * (1.0 / 42.0 - x2 / 30.0)))
}

/// The cumulative distribution function of `kind` at `x` > 0.
pub fn cdf(kind: &DistKind, x: f64) -> f64 {
    match *kind {
        DistKind::Exponential { mean_s } => -(-x / mean_s).exp_m1(),
        DistKind::LogNormal { mu, sigma } => {
            0.5 * erfc(-(x.ln() - mu) / (sigma * std::f64::consts::SQRT_2))
        }
        DistKind::Gamma { mean_s, shape } => {
            checked_gamma_lr(shape, x * shape / mean_s).unwrap_or(f64::NAN)
        }
        DistKind::Weibull { scale_s, shape } => -(-(x / scale_s).powf(shape)).exp_m1(),
        DistKind::Deterministic { value_s } => f64::from(u8::from(x >= value_s)),
        DistKind::Uniform { min_s, max_s } => ((x - min_s) / (max_s - min_s)).clamp(0.0, 1.0),
        DistKind::Empirical { .. } => f64::NAN,
    }
}

/// The Kolmogorov–Smirnov distance sup |Fₙ(x) − F(x)| between the sample `sorted` (sorted
/// ascending) and the distribution function `cdf`. With ties the formula still finds the
/// supremum: the steps between tied points lie within the outer two. NaN if `cdf` gives NaN.
pub fn ks_distance(sorted: &[f64], cdf: impl Fn(f64) -> f64) -> f64 {
    let n = sorted.len() as f64;
    let mut d: f64 = 0.0;
    for (i, &x) in sorted.iter().enumerate() {
        let f = cdf(x);
        if f.is_nan() {
            return f64::NAN;
        }
        let i = i as f64;
        d = d.max(f - i / n).max((i + 1.0) / n - f);
    }
    d
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn trigamma_matches_known_values() {
        // ψ′(1) = π²/6, ψ′(1/2) = π²/2.
        let pi2 = std::f64::consts::PI.powi(2);
        assert!((trigamma(1.0) - pi2 / 6.0).abs() < 1e-11);
        assert!((trigamma(0.5) - pi2 / 2.0).abs() < 1e-11);
        assert!((trigamma(10.0) - 0.105_166_335_681_685_5).abs() < 1e-12);
    }

    #[test]
    fn ks_distance_of_a_sample_to_itself_is_one_step() {
        // F(x) = x on (0, 1] and points at the middle of each step: D = 1/(2n).
        let sorted: Vec<f64> = (0..10).map(|i| (i as f64 + 0.5) / 10.0).collect();
        assert!((ks_distance(&sorted, |x| x) - 0.05).abs() < 1e-12);
        // Every value tied: Fₙ jumps from 0 to 1 at once.
        assert!((ks_distance(&[0.5; 4], |x| x) - 0.5).abs() < 1e-12);
    }

    #[test]
    fn equal_values_have_no_two_parameter_fit() {
        let s = Sample::new(&[3.0; 5]);
        assert!(s.fit(Family::Exponential).is_some());
        for f in [Family::LogNormal, Family::Gamma, Family::Weibull] {
            assert_eq!(s.fit(f), None, "{f:?}");
        }
    }

    #[test]
    fn fits_are_stationary_points_of_the_likelihood() {
        // A small fixed sample: the log-likelihood at the MLE beats nearby parameters.
        let sorted = [0.4, 0.9, 1.3, 2.2, 2.9, 4.1, 5.5, 8.0, 13.0, 21.0];
        let s = Sample::new(&sorted);
        let ll = |k: &DistKind| -> f64 {
            sorted
                .iter()
                .map(|&x| match *k {
                    DistKind::Gamma { mean_s, shape } => {
                        let th = mean_s / shape;
                        (shape - 1.0) * x.ln() - x / th - shape * th.ln() - ln_gamma(shape)
                    }
                    DistKind::Weibull { scale_s, shape } => {
                        shape.ln() - shape * scale_s.ln() + (shape - 1.0) * x.ln()
                            - (x / scale_s).powf(shape)
                    }
                    _ => unreachable!(),
                })
                .sum()
        };
        for family in [Family::Gamma, Family::Weibull] {
            let fit = s.fit(family).unwrap();
            assert!(
                (ll(&fit.kind) - fit.log_likelihood).abs() < 1e-9,
                "{family:?}"
            );
            for (da, db) in [(1.01, 1.0), (0.99, 1.0), (1.0, 1.01), (1.0, 0.99)] {
                let other = match fit.kind {
                    DistKind::Gamma { mean_s, shape } => DistKind::Gamma {
                        mean_s: mean_s * da,
                        shape: shape * db,
                    },
                    DistKind::Weibull { scale_s, shape } => DistKind::Weibull {
                        scale_s: scale_s * da,
                        shape: shape * db,
                    },
                    _ => unreachable!(),
                };
                assert!(ll(&other) < fit.log_likelihood, "{family:?} {other:?}");
            }
        }
    }
}
