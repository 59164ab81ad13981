//! `drainsim fit`: a scenario fitted to a call-detail export (docs/cli.md, `drainsim fit`).
//!
//! No I/O: the command reads the export with [`crate::scenario::trace::TraceReader`] and
//! feeds each row to a [`Sessions`] per kind of session and to the [`Window`] the export
//! covers; this module turns them into an hourly profile and a holding-time distribution per
//! feature, and `scenario` writes the TOML.
//!
//! - **Arrival rate and profile**: the sessions starting in each clock hour, averaged over the
//!   times that hour occurs in the export's window (whole clock hours from the first start to
//!   the last); `arrivals_per_hour` is the busiest hour's mean rate and each hour's
//!   multiplier its rate divided by that one.
//! - **Holding time**: maximum-likelihood fits of the exponential, log-normal, gamma and
//!   Weibull families ([`family`]), ranked by AIC; the best one whose Kolmogorov–Smirnov
//!   distance is within [`ks_threshold`] is chosen, and when none is, the durations
//!   themselves (`empirical`).
//! - **Zero-length sessions** (failed calls, or shorter than the export's clock resolution)
//!   hold nothing that a drain could cut, and no positive-valued family can fit them: they are
//!   left out of both the rate and the fit, and counted.

pub mod family;
mod scenario;

pub use family::{Family, FamilyFit, cdf, ks_distance};
pub use scenario::{
    FeatureInput, MARKER, ScenarioInput, dist_text, duration_text, durations_csv, render_scenario,
};

use crate::model::DistKind;

/// Hours are counted from 1970-01-01 00:00 of the export's own clock.
fn hour_index(t_s: f64) -> i64 {
    (t_s / 3600.0).floor() as i64
}

/// The whole clock hours an export covers: from the hour of its first start to the hour of
/// its last, inclusive.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Window {
    hours: Option<(i64, i64)>,
}

impl Window {
    /// Takes in a session's start (seconds, see
    /// [`parse_instant`](crate::scenario::trace::parse_instant)).
    pub fn add(&mut self, start_s: f64) {
        let h = hour_index(start_s);
        self.hours = Some(match self.hours {
            None => (h, h),
            Some((a, b)) => (a.min(h), b.max(h)),
        });
    }

    /// The first and one past the last hour index, if any start was seen.
    pub fn span(&self) -> Option<(i64, i64)> {
        self.hours.map(|(a, b)| (a, b + 1))
    }

    /// Hours covered.
    pub fn hours(&self) -> u64 {
        self.span().map_or(0, |(a, b)| (b - a) as u64)
    }

    /// How many times clock hour `h` (0–23) occurs in the window.
    pub fn occurrences(&self, h: usize) -> u64 {
        let Some((a, b)) = self.span() else { return 0 };
        // Hour indices k in [a, b) with k ≡ h (mod 24).
        let first = a + (h as i64 - a).rem_euclid(24);
        if first >= b {
            0
        } else {
            ((b - 1 - first) / 24 + 1) as u64
        }
    }
}

/// The sessions of one kind, gathered row by row.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Sessions {
    /// Sessions of positive length starting in each clock hour.
    pub per_hour: [u64; 24],
    /// Their holding times, seconds, in the order read.
    pub durations_s: Vec<f64>,
    /// Sessions of zero length, left out.
    pub zero_length: u64,
}

impl Sessions {
    /// Takes in one session (`end_s` ≥ `start_s`).
    pub fn add(&mut self, start_s: f64, end_s: f64) {
        let d = end_s - start_s;
        if d <= 0.0 {
            self.zero_length += 1;
            return;
        }
        self.per_hour[hour_index(start_s).rem_euclid(24) as usize] += 1;
        self.durations_s.push(d);
    }

    /// Adds `other`'s sessions to these (several values of the export mapped to one feature).
    pub fn merge(&mut self, other: &Sessions) {
        for (a, b) in self.per_hour.iter_mut().zip(other.per_hour) {
            *a += b;
        }
        self.durations_s.extend_from_slice(&other.durations_s);
        self.zero_length += other.zero_length;
    }

    /// Sessions of positive length.
    pub fn count(&self) -> usize {
        self.durations_s.len()
    }
}

/// Arrivals by clock hour.
#[derive(Debug, Clone, PartialEq)]
pub struct HourlyProfile {
    /// The busiest clock hour (0–23).
    pub busy_hour: usize,
    /// Its mean rate, sessions per hour: the scenario's `arrivals_per_hour`.
    pub busy_rate_per_hour: f64,
    /// Each clock hour's mean rate divided by the busiest one's (1.0 at the busy hour).
    pub multipliers: [f64; 24],
    /// Whether the window holds the hour at all; an hour it does not hold has multiplier 0.
    pub covered: [bool; 24],
}

/// The hourly profile of `per_hour` counts over `window`; `None` without any session.
pub fn hourly_profile(per_hour: &[u64; 24], window: &Window) -> Option<HourlyProfile> {
    let mut rates = [0.0; 24];
    let mut covered = [false; 24];
    for h in 0..24 {
        let times = window.occurrences(h);
        covered[h] = times > 0;
        if times > 0 {
            rates[h] = per_hour[h] as f64 / times as f64;
        }
    }
    // The first of equal maxima, so the result does not depend on float ties' order.
    let busy_hour = (0..24).fold(0, |best, h| if rates[h] > rates[best] { h } else { best });
    let busy = rates[busy_hour];
    if busy <= 0.0 {
        return None;
    }
    Some(HourlyProfile {
        busy_hour,
        busy_rate_per_hour: busy,
        multipliers: rates.map(|r| r / busy),
        covered,
    })
}

/// The KS distance at which a practical fit stops being good enough, whatever the sample
/// size: the fitted distribution function is off by more than 5 percentage points somewhere.
pub const KS_PRACTICAL: f64 = 0.05;

/// The most KS distance a fitted family may have and still be chosen, for a sample of `n`:
/// the larger of [`KS_PRACTICAL`] and the Kolmogorov test's critical value at the 1 % level,
/// 1.63/√n. A family is refused only when the gap is both too large to matter and too large
/// to be sampling noise (small samples never have a small KS distance, even from their true
/// family; large ones always differ from any family by a little).
pub fn ks_threshold(n: usize) -> f64 {
    KS_PRACTICAL.max(1.63 / (n.max(1) as f64).sqrt())
}

/// What `fit` writes as a feature's `duration`.
#[derive(Debug, Clone, PartialEq)]
pub enum DurationChoice {
    /// The candidate at this index of [`DurationFit::candidates`].
    Family(usize),
    /// Every session lasted the same time: `deterministic`.
    Deterministic(f64),
    /// No family is within the KS threshold: resample the durations themselves.
    Empirical,
}

/// The holding-time fit of one feature.
#[derive(Debug, Clone, PartialEq)]
pub struct DurationFit {
    /// Durations fitted (positive ones).
    pub n: usize,
    /// Every family that could be fitted, best AIC first.
    pub candidates: Vec<FamilyFit>,
    /// The KS threshold applied ([`ks_threshold`]).
    pub ks_threshold: f64,
    /// The choice.
    pub choice: DurationChoice,
}

impl DurationFit {
    /// The chosen family's fit, if a family was chosen.
    pub fn chosen(&self) -> Option<&FamilyFit> {
        match self.choice {
            DurationChoice::Family(i) => self.candidates.get(i),
            _ => None,
        }
    }
}

/// Fits the families to `durations_s` (each finite and > 0) and chooses; `None` when empty.
pub fn fit_durations(durations_s: &[f64]) -> Option<DurationFit> {
    let mut sorted: Vec<f64> = durations_s.to_vec();
    sorted.sort_by(f64::total_cmp);
    let (&first, &last) = (sorted.first()?, sorted.last()?);
    let n = sorted.len();
    let threshold = ks_threshold(n);
    let sample = family::Sample::new(&sorted);
    let mut candidates: Vec<FamilyFit> =
        Family::ALL.iter().filter_map(|&f| sample.fit(f)).collect();
    candidates.sort_by(|a, b| a.aic.total_cmp(&b.aic));
    let choice = if first == last {
        DurationChoice::Deterministic(first)
    } else {
        candidates
            .iter()
            .position(|c| c.ks <= threshold)
            .map_or(DurationChoice::Empirical, DurationChoice::Family)
    };
    Some(DurationFit {
        n,
        candidates,
        ks_threshold: threshold,
        choice,
    })
}

/// The parameters of a fit as the model holds them, for callers that sample from it.
pub fn chosen_kind(fit: &DurationFit) -> Option<DistKind> {
    match &fit.choice {
        DurationChoice::Family(i) => fit.candidates.get(*i).map(|c| c.kind.clone()),
        DurationChoice::Deterministic(v) => Some(DistKind::Deterministic { value_s: *v }),
        DurationChoice::Empirical => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn window_counts_each_clock_hour() {
        let mut w = Window::default();
        assert_eq!((w.hours(), w.occurrences(0)), (0, 0));
        // 2026-11-03 22:10 to 2026-11-05 01:59 (UTC hour indices).
        let day = 20_760.0 * 86_400.0;
        w.add(day + 22.0 * 3600.0 + 600.0);
        w.add(day + 86_400.0 + 25.0 * 3600.0 + 3599.0);
        assert_eq!(w.hours(), 28);
        assert_eq!(w.occurrences(22), 2);
        assert_eq!(w.occurrences(1), 2);
        assert_eq!(w.occurrences(2), 1);
        assert_eq!(w.occurrences(21), 1);
        assert_eq!((0..24).map(|h| w.occurrences(h)).sum::<u64>(), 28);
    }

    #[test]
    fn profile_divides_by_the_busiest_hour() {
        let mut w = Window::default();
        w.add(0.0);
        w.add(2.0 * 86_400.0 - 1.0); // two whole days
        let mut per_hour = [2; 24];
        per_hour[9] = 40;
        per_hour[14] = 20;
        let p = hourly_profile(&per_hour, &w).unwrap();
        assert_eq!((p.busy_hour, p.busy_rate_per_hour), (9, 20.0));
        assert_eq!(p.multipliers[9], 1.0);
        assert_eq!(p.multipliers[14], 0.5);
        assert_eq!(p.multipliers[0], 0.05);
        assert!(p.covered.iter().all(|&c| c));
        assert_eq!(hourly_profile(&[0; 24], &w), None);
    }

    #[test]
    fn zero_lengths_are_counted_apart() {
        let mut s = Sessions::default();
        s.add(10.0, 10.0);
        s.add(3600.0 * 5.0, 3600.0 * 5.0 + 30.0);
        assert_eq!((s.count(), s.zero_length, s.per_hour[5]), (1, 1, 1));
    }

    #[test]
    fn all_equal_durations_are_deterministic() {
        let fit = fit_durations(&[5.0; 10]).unwrap();
        assert_eq!(fit.choice, DurationChoice::Deterministic(5.0));
        assert_eq!(fit_durations(&[]), None);
    }

    #[test]
    fn threshold_is_the_larger_of_practical_and_statistical() {
        assert_eq!(ks_threshold(100_000), KS_PRACTICAL);
        assert!((ks_threshold(100) - 0.163).abs() < 1e-12);
    }
}
