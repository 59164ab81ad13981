//! Confidence bounds on the mean of one measure over replications, by what the measure can be.
//!
//! No interval can bound the mean of a measure of unknown shape from finitely many nights
//! (Bahadur & Savage 1956, *Ann. Math. Statist.* 27(4)): a measure that is 0 on most nights
//! and huge on a few hides its mean from any small sample. So each bound uses only what the
//! measure is known to be:
//!
//! - **0/1 per night** (`plan_failed_fraction`, `plan_finished_fraction`): the exact
//!   Clopper–Pearson bounds (Clopper & Pearson 1934, *Biometrika* 26(4)) on `k` of `n`, at
//!   `α / looks` per look (Bonferroni over the planned looks).
//! - **In \[0, 1\] per night** (`blocked_in_maintenance_fraction`): both ends by betting
//!   (Waudby-Smith & Ramdas 2024, *J. R. Stat. Soc. B* 86(1), "Estimating means of bounded
//!   random variables by betting"): a capital process that is a nonnegative supermartingale
//!   under the claim, so by Ville's inequality it reaches `1/α` with probability at most `α`
//!   at any look, however many (no correction for looks). Betting on \[0, 1\] is slow for a
//!   small fraction (a bound of 0.01 on fractions near 0.005), so the upper end is the lower of
//!   the betting end and, from [`MIN_FOR_T`] replications, the Student-t end (each at `α / 2`).
//! - **At least 0 per night** (counts of sessions, durations): the lower end by the same
//!   betting on `x / m − 1 ≥ −1`, which needs only `x ≥ 0` — valid whatever the shape — at
//!   `α / 2`, joined (from [`MIN_FOR_T`] replications) by the Student-t lower end at
//!   `α / (2 · looks)`. The upper end needs more than `x ≥ 0`: it is the Student-t end at
//!   `α / (2 · looks)`, widened for skewness ([`t_ends`]), only from [`MIN_FOR_T`]
//!   replications, and only once some night differs from the others. Nights that all agree
//!   (a measure that is 0 on most nights is 0 on every night of a short run) give it nothing
//!   to go on; such a sample is decided only as a "never" is, once it shows that nights that
//!   differ are rarer than `rarer_than` (`crate::expect::judge_values`).
//! - **Any sign** (the paired hardware − DNS difference): Student-t at `α / looks` both ends,
//!   on the same terms.
//!
//! Each end is one-sided at level `1 − α`: a false claim passes with probability at most `α`,
//! and so does a true claim fail.

use statrs::distribution::{Beta, ContinuousCDF, StudentsT};

/// Replications before a Student-t end is used: the sample deviation and skewness of fewer
/// nights are too rough for the end, however the nights look.
pub const MIN_FOR_T: usize = 30;

/// What one night's value of a measure can be.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    /// 0 or 1 (a plan failed, a plan finished).
    Indicator,
    /// Anywhere in \[0, 1\] (a fraction of a night's sessions).
    Unit,
    /// At least 0, with no upper limit (sessions, seconds).
    NonNegative,
    /// Any value (a paired difference).
    Signed,
}

impl Kind {
    /// The smallest and largest value one night can take.
    pub fn support(self) -> (f64, f64) {
        match self {
            Kind::Indicator | Kind::Unit => (0.0, 1.0),
            Kind::NonNegative => (0.0, f64::INFINITY),
            Kind::Signed => (f64::NEG_INFINITY, f64::INFINITY),
        }
    }

    /// What the bounds of this kind are, for messages.
    pub fn method(self) -> &'static str {
        match self {
            Kind::Indicator => "Clopper–Pearson",
            Kind::Unit => "betting below, betting or Student t above",
            Kind::NonNegative => "betting below, Student t above",
            Kind::Signed => "Student t",
        }
    }
}

/// One-sided bounds on the mean, each at level `1 − α` (either may be unknown yet).
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Ends {
    /// The mean is at least this (`None`: nothing can be said yet).
    pub lower: Option<f64>,
    /// The mean is at most this (`None`: nothing can be said yet).
    pub upper: Option<f64>,
}

/// Whether the capital of betting on "mean > m" (values `x ≥ 0`) reaches `1/alpha` at some
/// night: evidence at level `alpha` that the mean is above `m`. Valid for any distribution
/// on `[0, ∞)` and at any number of looks (Ville's inequality); `m ≤ 0` is never rejected.
pub fn above(xs: &[f64], m: f64, alpha: f64) -> bool {
    m > 0.0 && capital_reaches(xs.iter().map(|&x| x / m - 1.0), 1.0 / alpha)
}

/// Whether the capital of betting on "mean < m" (values in `[0, 1]`) reaches `1/alpha`.
pub fn below_unit(xs: &[f64], m: f64, alpha: f64) -> bool {
    m < 1.0 && capital_reaches(xs.iter().map(|&x| (m - x) / (1.0 - m)), 1.0 / alpha)
}

/// The stakes of the bettors whose capitals are averaged: from cautious (a bound near the
/// mean needs many small bets) to bold (a clear excess is shown in two or three nights).
const STAKES: [f64; 8] = [0.02, 0.05, 0.1, 0.2, 0.35, 0.5, 0.7, 0.9];

/// The average capital of bettors who each stake a fixed fraction λ (one of [`STAKES`]) of
/// their capital on every payoff `y ≥ −1` ("diversified Kelly" of Waudby-Smith & Ramdas);
/// whether it ever reaches `target`. Under "E y ≤ 0" each capital, hence their average, is a
/// nonnegative supermartingale, so by Ville's inequality it ever reaches `target` with
/// probability at most `1 / target`.
fn capital_reaches(ys: impl Iterator<Item = f64>, target: f64) -> bool {
    let mut log_k = [0.0f64; STAKES.len()];
    let log_target = target.ln() + (STAKES.len() as f64).ln();
    for y in ys {
        let mut top = f64::NEG_INFINITY;
        for (k, lambda) in log_k.iter_mut().zip(STAKES) {
            *k += (lambda * y).ln_1p();
            top = top.max(*k);
        }
        // log Σ exp(k) ≥ log target + log J, computed without overflow.
        let sum: f64 = log_k.iter().map(|k| (k - top).exp()).sum();
        if top + sum.ln() >= log_target {
            return true;
        }
    }
    false
}

/// The largest `m` in `[lo, hi]` that `rejects(m)` holds for, by bisection (`rejects` holds
/// for small `m` and not for large ones); `lo` when it holds for none.
fn boundary(lo: f64, hi: f64, rejects: impl Fn(f64) -> bool) -> f64 {
    let (mut a, mut b) = (lo, hi);
    if b.partial_cmp(&a) != Some(std::cmp::Ordering::Greater) || !rejects(a) {
        return lo;
    }
    for _ in 0..60 {
        let mid = 0.5 * (a + b);
        if rejects(mid) { a = mid } else { b = mid }
    }
    a
}

/// The betting lower end for values `x ≥ 0` at level `1 − alpha` (0 when nothing is shown).
pub fn betting_lower(xs: &[f64], alpha: f64) -> f64 {
    let max = xs.iter().copied().fold(0.0, f64::max);
    boundary(0.0, max, |m| m <= 0.0 || above(xs, m, alpha))
}

/// The betting upper end for values in `[0, 1]` at level `1 − alpha` (1 when nothing is shown).
pub fn betting_upper_unit(xs: &[f64], alpha: f64) -> f64 {
    // Reflected: the upper end of x is 1 − the lower end of 1 − x.
    let flipped: Vec<f64> = xs.iter().map(|x| 1.0 - x).collect();
    1.0 - betting_lower(&flipped, alpha)
}

/// Mean and sample standard deviation (NaN below 2 values).
pub fn mean_sd(xs: &[f64]) -> (f64, f64) {
    let n = xs.len() as f64;
    let mean = xs.iter().sum::<f64>() / n;
    if xs.len() < 2 {
        return (mean, f64::NAN);
    }
    let ss: f64 = xs.iter().map(|x| (x - mean).powi(2)).sum();
    (mean, (ss / (n - 1.0)).sqrt())
}

/// The Student-t ends of the mean of `xs`, each one-sided at level `1 − alpha`, widened for
/// skewness; `None` below [`MIN_FOR_T`] values (or when they cannot be computed).
///
/// The plain t end `x̄ ± t·s/√n` assumes the studentised mean is symmetric. For a
/// right-skewed measure (a few large nights) it is not: the sample mean and deviation are
/// small together, and the upper end lies below the mean too often. The Edgeworth expansion
/// of the studentised mean (Hall 1992, *The Bootstrap and Edgeworth Expansion*, §2.6; the
/// same term as Johnson 1978, "Modified t tests and confidence intervals for asymmetrical
/// populations", *JASA* 73(363), whose test has it as the `μ̂₃/(3s⁴)·(x̄ − μ)²` term) moves
/// each end by `s·γ̂·(2t² + 1)/(6n)`, with `γ̂` the sample skewness. Each end takes that move
/// only where it widens the interval (the upper end for right skew, the lower for left), so
/// the correction never makes an end bolder than the plain t end.
pub fn t_ends(xs: &[f64], alpha: f64) -> Option<(f64, f64)> {
    let n = xs.len();
    if n < MIN_FOR_T {
        return None;
    }
    let (mean, sd) = mean_sd(xs);
    // Nights that all agree (sd 0) say nothing of how far another night could be.
    if !sd.is_finite() || all_equal(xs) {
        return None;
    }
    let nf = n as f64;
    let t = StudentsT::new(0.0, 1.0, nf - 1.0)
        .ok()?
        .inverse_cdf(1.0 - alpha);
    let half = t * sd / nf.sqrt();
    let m3 = xs.iter().map(|x| (x - mean).powi(3)).sum::<f64>() / nf;
    let skew = m3 / sd.powi(3);
    let shift = sd * skew * (2.0 * t * t + 1.0) / (6.0 * nf);
    Some((mean - half + shift.min(0.0), mean + half + shift.max(0.0)))
}

/// Clopper–Pearson one-sided ends for `k` of `n`, each at level `1 − alpha`.
pub fn clopper_pearson(k: usize, n: usize, alpha: f64) -> Ends {
    if n == 0 {
        return Ends {
            lower: None,
            upper: None,
        };
    }
    let (kf, nf) = (k as f64, n as f64);
    let lower = if k == 0 {
        0.0
    } else {
        Beta::new(kf, nf - kf + 1.0).map_or(0.0, |b| b.inverse_cdf(alpha))
    };
    let upper = if k == n {
        1.0
    } else {
        Beta::new(kf + 1.0, nf - kf).map_or(1.0, |b| b.inverse_cdf(1.0 - alpha))
    };
    Ends {
        lower: Some(lower),
        upper: Some(upper),
    }
}

/// The ends of the mean of `xs` (one value per replication, in replication order) of a measure
/// of kind `kind`, each at level `1 − alpha`, at a look among `looks` planned ones.
pub fn ends(kind: Kind, xs: &[f64], alpha: f64, looks: usize) -> Ends {
    let n = xs.len();
    let per_look = alpha / looks.max(1) as f64;
    match kind {
        Kind::Indicator => clopper_pearson(count_ones(xs), n, per_look),
        Kind::Unit => {
            let t_upper = t_ends(xs, per_look / 2.0).map(|(_, u)| u);
            let bet = (n > 0).then(|| betting_upper_unit(xs, alpha / 2.0));
            Ends {
                lower: (n > 0).then(|| betting_lower(xs, alpha)),
                upper: bet.into_iter().chain(t_upper).reduce(f64::min),
            }
        }
        Kind::NonNegative => {
            let bet = (n > 0).then(|| betting_lower(xs, alpha / 2.0));
            let t = t_ends(xs, per_look / 2.0);
            Ends {
                lower: bet
                    .into_iter()
                    .chain(t.map(|(l, _)| l.max(0.0)))
                    .reduce(f64::max),
                upper: t.map(|(_, u)| u),
            }
        }
        Kind::Signed => {
            let t = t_ends(xs, per_look);
            Ends {
                lower: t.map(|(l, _)| l),
                upper: t.map(|(_, u)| u),
            }
        }
    }
}

/// Whether the mean is shown to be above `m` at level `1 − alpha` (what [`ends`]' lower end
/// says of `m`, tested at `m` itself without finding the end).
/// With `inclusive`, a Student-t end exactly at `m` counts (a bound is inclusive: a mean
/// shown to be at least `m` meets `min = m`).
pub fn shown_above(
    kind: Kind,
    xs: &[f64],
    m: f64,
    alpha: f64,
    looks: usize,
    inclusive: bool,
) -> bool {
    let per_look = alpha / looks.max(1) as f64;
    let t_lower = |a: f64| t_ends(xs, a).is_some_and(|(l, _)| l > m || inclusive && l == m);
    match kind {
        Kind::Indicator => clopper_pearson(count_ones(xs), xs.len(), per_look)
            .lower
            .is_some_and(|l| l > m),
        Kind::Unit => above(xs, m, alpha),
        Kind::NonNegative => above(xs, m, alpha / 2.0) || t_lower(per_look / 2.0),
        Kind::Signed => t_lower(per_look),
    }
}

/// Whether the mean is shown to be below `m` at level `1 − alpha` ([`ends`]' upper end).
/// With `inclusive`, a Student-t end exactly at `m` counts (a mean shown to be at most `m`
/// meets `max = m`).
pub fn shown_below(
    kind: Kind,
    xs: &[f64],
    m: f64,
    alpha: f64,
    looks: usize,
    inclusive: bool,
) -> bool {
    let per_look = alpha / looks.max(1) as f64;
    let t_upper = |a: f64| t_ends(xs, a).is_some_and(|(_, u)| u < m || inclusive && u == m);
    match kind {
        Kind::Indicator => clopper_pearson(count_ones(xs), xs.len(), per_look)
            .upper
            .is_some_and(|u| u < m),
        // A fraction is also a nonnegative measure: the betting end of [0, 1] is slow when
        // the fraction is small, so the Student-t end joins it (each at half of α).
        Kind::Unit => below_unit(xs, m, alpha / 2.0) || t_upper(per_look / 2.0),
        Kind::NonNegative => t_upper(per_look / 2.0),
        Kind::Signed => t_upper(per_look),
    }
}

/// Whether every value equals the first (true of an empty sample).
pub fn all_equal(xs: &[f64]) -> bool {
    xs.iter().all(|&x| x == xs[0])
}

/// Nights with value 1 among 0/1 values.
fn count_ones(xs: &[f64]) -> usize {
    xs.iter().filter(|&&x| x > 0.5).count()
}

/// Nights needed to show, with no night that breaks a "never" claim, that such nights are
/// rarer than `p` at level `1 − alpha`: the least `n` with `(1 − p)ⁿ ≤ alpha` (the
/// Clopper–Pearson upper end for 0 of `n`). 299 for `p` = 1 in 100 and `alpha` = 5 %.
pub fn never_needs(p: f64, alpha: f64) -> u32 {
    let n = alpha.ln() / (1.0 - p).ln();
    // A hair below an integer is that integer (floating error), not the next one.
    (n - 1e-9).ceil().max(1.0) as u32
}

/// The Clopper–Pearson upper end of the rate of nights that break a claim, when none of `n`
/// did: `1 − alpha^(1/n)`.
pub fn never_rate(n: usize, alpha: f64) -> f64 {
    1.0 - alpha.powf(1.0 / n as f64)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn never_needs_299_nights_for_1_in_100() {
        assert_eq!(never_needs(0.01, 0.05), 299);
        assert!(never_rate(299, 0.05) <= 0.01);
        assert!(never_rate(298, 0.05) > 0.01);
    }

    #[test]
    fn clopper_pearson_matches_closed_forms() {
        // 0 of n: the upper end is 1 − α^(1/n); n of n: the lower end is α^(1/n).
        let e = clopper_pearson(0, 20, 0.05);
        assert!((e.upper.unwrap() - never_rate(20, 0.05)).abs() < 1e-9);
        let e = clopper_pearson(20, 20, 0.05);
        assert!((e.lower.unwrap() - 0.05f64.powf(1.0 / 20.0)).abs() < 1e-9);
    }

    #[test]
    fn betting_shows_a_clear_excess_and_not_a_tie() {
        let xs = [3.0, 0.0, 5.0, 4.0, 6.0, 2.0, 5.0, 4.0];
        assert!(above(&xs, 1.0, 0.05));
        assert!(!above(&xs, 3.6, 0.05), "the mean itself is not exceeded");
        let l = betting_lower(&xs, 0.05);
        assert!(l > 1.0 && l < 3.6, "{l}");
        // Zeros alone never show anything above 0.
        assert_eq!(betting_lower(&[0.0; 50], 0.05), 0.0);
    }

    #[test]
    fn skewness_widens_only_the_side_it_endangers() {
        // One large night among small ones: right-skewed, so the upper end moves up, past
        // the plain t end, and the lower end stays where the plain t end puts it.
        let mut xs = vec![1.0; 39];
        xs.push(40.0);
        let (lo, hi) = t_ends(&xs, 0.05).expect("40 values");
        let (mean, sd) = mean_sd(&xs);
        let t = StudentsT::new(0.0, 1.0, 39.0).unwrap().inverse_cdf(0.95);
        let half = t * sd / 40f64.sqrt();
        assert!(
            (lo - (mean - half)).abs() < 1e-12,
            "{lo} vs {}",
            mean - half
        );
        assert!(hi > mean + half + 0.5, "{hi} vs {}", mean + half);
        // Mirrored: left skew moves the lower end down and leaves the upper end.
        let ys: Vec<f64> = xs.iter().map(|x| -x).collect();
        let (lo2, hi2) = t_ends(&ys, 0.05).expect("40 values");
        assert!((lo2 + hi).abs() < 1e-9 && (hi2 + lo).abs() < 1e-9);
    }

    #[test]
    fn the_upper_end_of_an_unbounded_measure_waits_for_enough_nights() {
        let few = ends(Kind::NonNegative, &[0.0; 29], 0.05, 1);
        assert_eq!(few.upper, None);
        // Nights that all agree give the t end nothing to go on, however many.
        let agree = ends(Kind::NonNegative, &[0.0; 300], 0.05, 1);
        assert_eq!(agree.upper, None);
        let mut xs = vec![0.0; 29];
        xs.push(1.0);
        let enough = ends(Kind::NonNegative, &xs, 0.05, 1);
        assert!(enough.upper.is_some_and(|u| u > 1.0 / 30.0), "{enough:?}");
    }
}
