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
    let per_run: Vec<(usize, Vec<f64>)> = runs.iter().map(|r| drain_times(r)).collect();
    let none_drained = per_run.iter().all(|(_, t)| t.is_empty());
    let x_end = x_end(d, &runs, &per_run, none_drained);
    let mut series = Vec::new();
    let mut legend = Vec::new();
    for ((n, times), (colour, dashed, label)) in per_run.iter().zip(&styles) {
        series.push(Series {
            colour: *colour,
            dashed: *dashed,
            points: steps(*n, times, x_end),
            band: Vec::new(),
            markers: false,
        });
        legend.push(legend_item(*n, times, label, *colour, *dashed));
    }
    LineChart {
        title: "Drain time".into(),
        subtitle: Some("from the pause to the last session on the paused services, every pause of every replication".into()),
        legend,
        x_desc: "minutes after the pause".into(),
        y_desc: "pauses drained".into(),
        x_range: (0.0, x_end),
        y_range: (0.0, 1.0),
        percent_y: true,
        series,
        note: none_drained.then(|| "no pause drained before its restart, stop, resume or the horizon".to_string()),
    }
}

/// A run's pauses (over all replications) and the drain times of those that drained, minutes,
/// sorted.
fn drain_times(r: &RunResult) -> (usize, Vec<f64>) {
    let mut n = 0;
    let mut times = Vec::new();
    for rep in &r.replications {
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

/// The end of the x axis, minutes after the pause.
fn x_end(
    d: &ReportData<'_>,
    runs: &[&RunResult],
    per_run: &[(usize, Vec<f64>)],
    none_drained: bool,
) -> f64 {
    if none_drained {
        // Nothing drained: show the time between pause and horizon so the flat lines mean something.
        let pause = runs
            .iter()
            .flat_map(|r| &r.replications)
            .flat_map(|rep| &rep.metrics.drains)
            .map(|dr| dr.paused_at.as_secs_f64() / 60.0)
            .fold(f64::INFINITY, f64::min);
        let horizon = d.scenario.base.horizon.as_secs_f64() / 60.0;
        nice_max((horizon - if pause.is_finite() { pause } else { 0.0 }).max(1.0))
    } else {
        let x_max = per_run
            .iter()
            .map(|(_, times)| times.last().copied().unwrap_or(0.0))
            .fold(0.0f64, f64::max);
        nice_max(x_max * 1.05)
    }
}

/// The distribution as a step line over `n` pauses, from 0 to `x_end`.
fn steps(n: usize, times: &[f64], x_end: f64) -> Vec<(f64, f64)> {
    let mut pts = vec![(0.0, 0.0)];
    let total = n.max(1) as f64;
    for (i, &t) in times.iter().enumerate() {
        pts.push((t, i as f64 / total));
        pts.push((t, (i + 1) as f64 / total));
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
