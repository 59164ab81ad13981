//! The wall clock in `report.md` (R12), written only when the scenario uses time of day (see
//! [`uses_time_of_day`]): the clock and the profiles in the brief, the plan's times of day, each
//! run's maintenance window in the verdict and the capacity table, and, with a `start` axis,
//! which start time cuts the fewest sessions.

use std::fmt::Write as _;

use super::lookup::cut;
use super::words::{and_list, ci, context_text, num};
use crate::model::{Feature, Step};
use crate::report::ReportData;
use crate::report::clock::{Window, hhmm, mean_window, profile_name, uses_time_of_day};
use crate::runner::RunResult;
use crate::scenario::AxisValue;
use crate::stats::Estimate;

/// "- Clock: simulated time 0 is 20:00; every feature's traffic follows lync2013_workday
/// (night level 10 %)."
pub(super) fn clock_line(o: &mut String, d: &ReportData<'_>) {
    if !uses_time_of_day(d) {
        return;
    }
    let s = d.scenario;
    let starts: Vec<String> = s
        .axes
        .iter()
        .filter(|a| a.values.iter().any(|v| matches!(v, AxisValue::Start(_))))
        .flat_map(|a| (0..a.values.len()).map(|i| a.label(i)))
        .collect();
    let clock = if starts.is_empty() {
        format!("simulated time 0 is {}", hhmm(s.base.clock_start_s))
    } else {
        format!(
            "each run's clock is set so that the plan's first step falls at its `start` time \
             ({})",
            or_list(&starts)
        )
    };
    let _ = writeln!(o, "- Clock: {clock}; {}.", traffic_words(&s.base.features));
}

/// "every feature's traffic follows X", or per profile: "traffic follows X for a and b; the
/// same rate all day for c".
fn traffic_words(features: &[Feature]) -> String {
    let mut groups: Vec<(String, Vec<String>)> = Vec::new();
    for f in features {
        let how = if f.from_trace {
            "the call-detail trace".to_string()
        } else {
            match &f.profile {
                Some(p) => profile_name(p),
                None => "the same rate all day".into(),
            }
        };
        match groups.iter_mut().find(|(h, _)| *h == how) {
            Some((_, names)) => names.push(f.name.clone()),
            None => groups.push((how, vec![f.name.clone()])),
        }
    }
    match groups.as_slice() {
        [(how, _)] => format!("every feature's traffic follows {how}"),
        _ => format!(
            "traffic follows {}",
            groups
                .iter()
                .map(|(how, names)| format!("{how} for {}", and_list(names)))
                .collect::<Vec<_>>()
                .join("; ")
        ),
    }
}

/// " (02:00)", or " (02:00, 22:00 or 12:00)" when the runs' clocks differ: the time of day of a
/// step's `at`; nothing without time of day or without `at`.
pub(super) fn step_clock(d: &ReportData<'_>, step: &Step) -> String {
    let Some(at) = step.at else {
        return String::new();
    };
    if !uses_time_of_day(d) {
        return String::new();
    }
    let mut clocks: Vec<f64> = d
        .results
        .iter()
        .map(|r| r.run.config.clock_start_s)
        .collect();
    if clocks.is_empty() {
        clocks.push(d.scenario.base.clock_start_s);
    }
    let mut times: Vec<String> = Vec::new();
    for c in clocks {
        let t = hhmm(c + at.as_secs_f64());
        if !times.contains(&t) {
            times.push(t);
        }
    }
    format!(" ({})", or_list(&times))
}

/// "a", "a or b", "a, b or c".
fn or_list(items: &[String]) -> String {
    match items {
        [rest @ .., last] if !rest.is_empty() => format!("{} or {last}", rest.join(", ")),
        _ => and_list(items),
    }
}

/// A run's mean window, when the report speaks of the clock.
fn window(d: &ReportData<'_>, r: &RunResult) -> Option<Window> {
    uses_time_of_day(d)
        .then(|| mean_window(std::iter::once(r)))
        .flatten()
}

/// " Maintenance 02:00–02:58 on average." for one run's verdict.
pub(super) fn window_sentence(d: &ReportData<'_>, r: &RunResult) -> String {
    window(d, r)
        .map(|w| format!(" Maintenance {} on average.", w.text()))
        .unwrap_or_default()
}

/// The same for a DNS/hardware pair: one window, or each.
pub(super) fn pair_window_sentence(
    d: &ReportData<'_>,
    dns: Option<&RunResult>,
    hardware: Option<&RunResult>,
) -> String {
    let (Some(wd), Some(wh)) = (
        dns.and_then(|r| window(d, r)),
        hardware.and_then(|r| window(d, r)),
    ) else {
        return String::new();
    };
    if wd.text() == wh.text() {
        format!(" Maintenance {} on average.", wd.text())
    } else {
        format!(
            " Maintenance {} on average with DNS load balancing, {} with hardware.",
            wd.text(),
            wh.text()
        )
    }
}

/// The capacity table's extra column: (header, alignment) when the report speaks of the clock.
pub(super) fn window_column(d: &ReportData<'_>) -> Option<(&'static str, &'static str)> {
    uses_time_of_day(d).then_some((" window (clock), mean |", "---|"))
}

/// The capacity table's cell of run `run`.
pub(super) fn window_cell(d: &ReportData<'_>, run: usize) -> String {
    d.results
        .iter()
        .find(|r| r.run.index == run)
        .and_then(|r| window(d, r))
        .map(|w| w.text())
        .unwrap_or_else(|| "—".into())
}

/// A run's axis values (column, value).
type Labels = Vec<(String, String)>;
/// A `start` value and the mean sessions cut of its run.
type StartCut = (String, Estimate);

/// With a `start` axis, one line per combination of the other axes: which start time cuts the
/// fewest sessions and which the most.
pub(super) fn when_to_patch(o: &mut String, d: &ReportData<'_>) {
    if !crate::report::label_columns(d.results)
        .iter()
        .any(|c| c == "start")
    {
        return;
    }
    let others = |r: &RunResult| -> Vec<(String, String)> {
        r.run
            .labels
            .iter()
            .filter(|(c, _)| c != "start")
            .cloned()
            .collect()
    };
    let mut groups: Vec<(Labels, Vec<StartCut>)> = Vec::new();
    for r in d.results {
        let (Some(start), Some(e)) = (
            r.run.labels.iter().find(|(c, _)| c == "start"),
            cut(d, r.run.index, "all"),
        ) else {
            continue;
        };
        let key = others(r);
        let entry = (start.1.clone(), e);
        match groups.iter_mut().find(|(k, _)| *k == key) {
            Some((_, v)) => v.push(entry),
            None => groups.push((key, vec![entry])),
        }
    }
    for (key, runs) in groups.iter().filter(|(_, v)| v.len() >= 2) {
        let _ = writeln!(o, "- {}", patch_sentence(key, runs));
    }
}

/// "**When to patch** (load_balancing = dns): starting at 02:00 cuts the fewest …".
fn patch_sentence(key: &[(String, String)], runs: &[StartCut]) -> String {
    let mut sorted: Vec<&StartCut> = runs.iter().collect();
    // Stable: equal cuts keep the axis order.
    sorted.sort_by(|a, b| a.1.mean.total_cmp(&b.1.mean));
    let (least, most) = (sorted[0], sorted[sorted.len() - 1]);
    let mut o = format!("**When to patch**{}: ", context_text(key));
    if num(least.1.mean) == num(most.1.mean) {
        let _ = write!(
            o,
            "every start time cuts **{}** sessions per night.",
            num(least.1.mean)
        );
        return o;
    }
    // Start times that tie (to the two decimals written) are named together.
    let tied = |x: &StartCut| -> String {
        or_list(
            &sorted
                .iter()
                .filter(|y| num(y.1.mean) == num(x.1.mean))
                .map(|y| y.0.clone())
                .collect::<Vec<_>>(),
        )
    };
    let (fewest, most_at) = (tied(least), tied(most));
    let _ = write!(
        o,
        "starting at {fewest} cuts the fewest sessions per night, **{}** {}; at {most_at} \
         the most, **{}** {}.",
        num(least.1.mean),
        ci(&least.1),
        num(most.1.mean),
        ci(&most.1)
    );
    if least.1.high.is_finite() && most.1.low.is_finite() && least.1.high >= most.1.low {
        o.push_str(" Their intervals overlap: these nights do not tell them apart.");
    }
    if sorted.len() > 2 {
        let _ = write!(
            o,
            " Fewest first: {}.",
            sorted
                .iter()
                .map(|(s, e)| format!("{s} ({})", num(e.mean)))
                .collect::<Vec<_>>()
                .join(", ")
        );
    }
    o
}
