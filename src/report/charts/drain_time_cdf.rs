//! `drain_time_cdf`: the empirical distribution of drain times per run, every pause of every
//! replication; a pause cut short before its server drained keeps the line below 100 %.

use plotters::prelude::RGBColor;

use super::lines::{LineChart, Series};
use super::runs::{MAX_SERIES, RunGroup};
use super::style::{LegendItem, Mark, nice_max, series_style};
use super::{Chart, ChartKind};
use crate::report::{ReportData, fixed};
use crate::runner::RunResult;

/// The chart's entry in the plan, when some replication paused a server.
pub(super) fn entry(d: &ReportData<'_>) -> Option<Chart> {
    let paused = d.results.iter().any(|r| {
        r.replications
            .iter()
            .any(|rep| !rep.metrics.drains.is_empty())
    });
    paused.then(|| Chart {
        kind: ChartKind::DrainTimeCdf,
        name: "drain_time_cdf",
        title: "Drain time".into(),
        caption: "Fraction of pauses after which the server had drained (no session left on \
                  its paused services) within a given time; a line that stays low means the \
                  server was restarted, stopped or resumed before it drained."
            .into(),
    })
}

/// The chart's data.
pub(super) fn figure(d: &ReportData<'_>) -> LineChart {
    let runs: Vec<&RunResult> = d.results.iter().take(MAX_SERIES).collect();
    let groups: Vec<RunGroup<'_>> = runs
        .iter()
        .map(|r| (r.run.labels.clone(), vec![*r]))
        .collect();
    let styles = series_style(&groups, "");
    // The longest drain of each run first (for the axis), then each run's drain times in turn:
    // one run's times in memory at a time.
    let longest: Vec<Option<f64>> = runs.iter().map(|r| longest_drain(r)).collect();
    let none_drained = longest.iter().all(Option::is_none);
    let x_end = x_end(d, &runs, &longest, none_drained);
    let mut series = Vec::new();
    let mut legend = Vec::new();
    for (r, (colour, dashed, label)) in runs.iter().zip(&styles) {
        let (n, times) = drain_times(r);
        series.push(Series {
            colour: *colour,
            dashed: *dashed,
            points: steps(n, &times, x_end),
            band: Vec::new(),
            markers: false,
        });
        legend.push(legend_item(n, &times, label, *colour, *dashed));
    }
    LineChart {
        title: "Drain time".into(),
        subtitle: Some(
            "from the pause to the last session on the paused services, every pause of every night"
                .into(),
        ),
        legend,
        x_desc: "minutes after the pause".into(),
        y_desc: "pauses drained".into(),
        x_range: (0.0, x_end),
        y_range: (0.0, 1.0),
        percent_y: true,
        series,
        note: none_drained.then(|| {
            "no pause drained before its restart, stop, resume or the horizon".to_string()
        }),
    }
}

/// A run's pauses (over all replications) and the drain times of those that drained, minutes,
/// sorted.
fn drain_times(r: &RunResult) -> (usize, Vec<f64>) {
    let mut n = 0;
    let mut times = Vec::new();
    for rep in r.replications.iter() {
        for dr in &rep.metrics.drains {
            n += 1;
            if let Some(t) = dr.drain_time() {
                times.push(t.as_secs_f64() / 60.0);
            }
        }
    }
    times.sort_by(f64::total_cmp);
    (n, times)
}

/// A run's longest drain time, minutes (`None`: no pause drained).
fn longest_drain(r: &RunResult) -> Option<f64> {
    let mut longest: Option<f64> = None;
    for rep in r.replications.iter() {
        for t in rep.metrics.drains.iter().filter_map(|dr| dr.drain_time()) {
            let t = t.as_secs_f64() / 60.0;
            longest = Some(longest.map_or(t, |l| if t.total_cmp(&l).is_gt() { t } else { l }));
        }
    }
    longest
}

/// The end of the x axis, minutes after the pause.
fn x_end(
    d: &ReportData<'_>,
    runs: &[&RunResult],
    longest: &[Option<f64>],
    none_drained: bool,
) -> f64 {
    if none_drained {
        // Nothing drained: show the time between pause and horizon so the flat lines mean something.
        let mut pause = f64::INFINITY;
        for r in runs {
            for rep in r.replications.iter() {
                for dr in &rep.metrics.drains {
                    pause = pause.min(dr.paused_at.as_secs_f64() / 60.0);
                }
            }
        }
        let horizon = d.scenario.base.horizon.as_secs_f64() / 60.0;
        nice_max((horizon - if pause.is_finite() { pause } else { 0.0 }).max(1.0))
    } else {
        let x_max = longest
            .iter()
            .map(|t| t.unwrap_or(0.0))
            .fold(0.0f64, f64::max);
        nice_max(x_max * 1.05)
    }
}

/// Drained pauses up to which every one is a step of the line; beyond, the line steps every
/// `len / MAX_STEPS` pauses (a step of at most 1/2,000 of the height, below what the chart
/// shows), so that a run of many replications does not draw a line of as many points.
const MAX_STEPS: usize = 2_000;

/// The distribution as a step line over `n` pauses, from 0 to `x_end`.
fn steps(n: usize, times: &[f64], x_end: f64) -> Vec<(f64, f64)> {
    let mut pts = vec![(0.0, 0.0)];
    let total = n.max(1) as f64;
    let every = times.len().div_ceil(MAX_STEPS).max(1);
    let mut below = 0;
    for (i, &t) in times.iter().enumerate() {
        if every > 1 && (i + 1) % every != 0 && i + 1 != times.len() {
            continue;
        }
        pts.push((t, below as f64 / total));
        pts.push((t, (i + 1) as f64 / total));
        below = i + 1;
    }
    pts.push((x_end, times.len() as f64 / total));
    pts
}

/// "DNS load balancing: 3 of 4 drained (75 %), median 12.5 min".
fn legend_item(n: usize, times: &[f64], label: &str, colour: RGBColor, dashed: bool) -> LegendItem {
    let pct = if n > 0 {
        times.len() as f64 * 100.0 / n as f64
    } else {
        0.0
    };
    let median = if times.is_empty() {
        String::new()
    } else {
        format!(
            ", median {} min",
            fixed(crate::stats::quantile(times, 0.5), 1)
        )
    };
    LegendItem {
        label: format!(
            "{label}: {} of {n} drained ({pct:.0} %){median}",
            times.len()
        ),
        colour,
        mark: if dashed { Mark::Dashed } else { Mark::Line },
    }
}

#[cfg(test)]
mod step_tests {
    use super::*;

    #[test]
    fn every_drain_is_a_step_up_to_the_limit_and_the_line_is_thinned_beyond() {
        let times: Vec<f64> = (0..MAX_STEPS).map(|i| i as f64 / 10.0).collect();
        let pts = steps(MAX_STEPS + 5, &times, 500.0);
        assert_eq!(pts.len(), 2 * MAX_STEPS + 2);
        assert_eq!(pts[3], (0.1, 1.0 / (MAX_STEPS + 5) as f64));
        assert_eq!(pts[4], (0.1, 2.0 / (MAX_STEPS + 5) as f64));
        let many: Vec<f64> = (0..5 * MAX_STEPS + 3).map(|i| i as f64).collect();
        let n = many.len();
        let pts = steps(n, &many, 1e6);
        assert!(pts.len() <= 2 * MAX_STEPS + 4, "{} points", pts.len());
        // Still a distribution: it rises to every drained pause and never falls.
        assert_eq!(pts[pts.len() - 2], (many[n - 1], 1.0));
        assert!(pts.windows(2).all(|w| w[1].1 >= w[0].1 && w[1].0 >= w[0].0));
    }
}
