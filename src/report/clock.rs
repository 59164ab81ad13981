//! Wall-clock time in the report (R12): whether a scenario uses time of day at all, the name of
//! a feature's profile, and each run's maintenance window as times of day.
//!
//! A report speaks of the clock only when [`uses_time_of_day`]: a scenario without a profile,
//! a `clock_start` or a `start` axis gets exactly the report it had before time of day existed.

use crate::model::profile::{DAY_S, Profile, format_clock};
use crate::report::ReportData;
use crate::runner::RunResult;
use crate::scenario::AxisValue;

/// Whether the scenario uses time of day: a feature follows a profile, simulated time 0 is not
/// midnight, or a `start` axis moves the clock.
pub(crate) fn uses_time_of_day(d: &ReportData<'_>) -> bool {
    let base = &d.scenario.base;
    base.features.iter().any(|f| f.profile.is_some())
        || base.clock_start_s != 0.0
        || d.scenario
            .axes
            .iter()
            .any(|a| a.values.iter().any(|v| matches!(v, AxisValue::Start(_))))
        || d.results.iter().any(|r| {
            r.run.config.clock_start_s != 0.0
                || r.run.config.features.iter().any(|f| f.profile.is_some())
        })
}

/// How a profile is called: a built-in shape by its name (with the night level of
/// `lync2013_workday`), anything else "a custom profile". The validated profile keeps no name,
/// so the built-in shapes are recognised by their values.
pub(crate) fn profile_name(p: &Profile) -> String {
    if Profile::builtin("flat", 0.0).as_ref() == Some(p) {
        return "the flat profile (the same rate all day)".into();
    }
    // Midnight lies outside the working day: its multiplier is the night level.
    let night = p.at(0.0);
    if Profile::builtin("lync2013_workday", night).as_ref() == Some(p) {
        return format!(
            "lync2013_workday (night level {} %)",
            crate::report::fixed(night * 100.0, 0)
        );
    }
    format!(
        "a custom profile (peak {} × the busy-hour rate, daily mean {} ×)",
        crate::report::fixed(p.peak(), 2),
        crate::report::fixed(p.daily_mean(), 2)
    )
}

/// A maintenance window on the clock: seconds after midnight of the day simulated time 0 falls
/// on (so an end after `DAY_S` is the next day).
#[derive(Debug, Clone, Copy, PartialEq)]
pub(crate) struct Window {
    /// Mean start of the plan's first step.
    pub(crate) start_s: f64,
    /// Mean end of its last step over the replications whose plan finished; `None` when none
    /// did.
    pub(crate) end_s: Option<f64>,
}

impl Window {
    /// "02:00–02:58", or "from 02:00 (not finished)".
    pub(crate) fn text(&self) -> String {
        match self.end_s {
            Some(e) => format!("{}–{}", hhmm(self.start_s), end_clock(e)),
            None => format!("from {} (not finished)", hhmm(self.start_s)),
        }
    }
}

/// "02:00": a time of day to the minute (means over replications have seconds no one needs).
pub(crate) fn hhmm(s: f64) -> String {
    format_clock((s / 60.0).round() * 60.0)
}

/// An end of a window: "24:00" rather than "00:00" for exactly midnight, so that a window ending
/// then does not read as a window of no length.
fn end_clock(s: f64) -> String {
    let minute = (s / 60.0).round() * 60.0;
    if minute > 0.0 && minute.rem_euclid(DAY_S) == 0.0 {
        "24:00".into()
    } else {
        hhmm(s)
    }
}

/// The mean maintenance window of `runs` on the clock, every replication of every run pooled,
/// each at its own run's `clock_start`; `None` when no plan started.
pub(crate) fn mean_window<'r>(runs: impl IntoIterator<Item = &'r RunResult>) -> Option<Window> {
    // Sums in replication order (from -0.0, where `Iterator::sum` starts) and counts.
    let (mut starts, mut ends) = ((-0.0, 0usize), (-0.0, 0usize));
    for r in runs {
        let clock = r.run.config.clock_start_s;
        for rep in r.replications.iter() {
            let m = &rep.metrics;
            if let Some(s) = m.plan_started {
                starts.0 += clock + s.as_secs_f64();
                starts.1 += 1;
                if let Some(e) = m.plan_ended {
                    ends.0 += clock + e.as_secs_f64();
                    ends.1 += 1;
                }
            }
        }
    }
    let mean = |(sum, n): (f64, usize)| sum / n as f64;
    (starts.1 > 0).then(|| Window {
        start_s: mean(starts),
        end_s: (ends.1 > 0).then(|| mean(ends)),
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::profile::lync2013_workday;

    #[test]
    fn builtin_profiles_are_named_by_their_values() {
        let w = Profile::builtin("lync2013_workday", 0.15).unwrap();
        assert_eq!(profile_name(&w), "lync2013_workday (night level 15 %)");
        assert!(profile_name(&Profile::builtin("flat", 0.0).unwrap()).starts_with("the flat"));
        let mut h = lync2013_workday(0.1);
        h[20] = 0.5;
        let custom = Profile::hourly(&h).unwrap();
        assert!(profile_name(&custom).starts_with("a custom profile (peak 1.00"));
    }

    #[test]
    fn windows_read_on_the_clock() {
        let w = Window {
            start_s: 23.0 * 3600.0,
            end_s: Some(25.0 * 3600.0 + 30.0 * 60.0),
        };
        assert_eq!(w.text(), "23:00–01:30");
        let w = Window {
            start_s: 22.0 * 3600.0,
            end_s: Some(DAY_S),
        };
        assert_eq!(w.text(), "22:00–24:00");
        let w = Window {
            start_s: 2.0 * 3600.0,
            end_s: None,
        };
        assert_eq!(w.text(), "from 02:00 (not finished)");
    }
}
