//! `cut_vs_wait`: sessions cut (all features) against the plan's wait between pause and
//! restart, one line per load balancing (or other series), with 95 % bands.

use plotters::prelude::RGBColor;

use super::lines::{LineChart, Series};
use super::runs::{has_column, label, row, series_along};
use super::style::{LegendItem, Mark, nice_max, series_style};
use super::{Chart, ChartKind};
use crate::report::ReportData;
use crate::runner::RunResult;
use crate::stats::Estimate;

/// The chart's entry in the plan, when the scenario sweeps the wait.
pub(super) fn entry(d: &ReportData<'_>) -> Option<Chart> {
    has_column(d, "wait_s").then(|| Chart {
        kind: ChartKind::CutVsWait,
        name: "cut_vs_wait",
        title: "Sessions cut vs wait before the restart".into(),
        caption: "Mean sessions cut per night (all features) against the wait between \
                  pause and restart, with 95 % confidence bands."
            .into(),
    })
}

/// The chart's data.
pub(super) fn figure(d: &ReportData<'_>) -> LineChart {
    let series_runs = series_along(d.results, "wait_s");
    let styles = series_style(&series_runs, "wait_s");
    let mut series = Vec::new();
    let (mut x_max, mut y_max) = (0.0f64, 0.0f64);
    for ((_, runs), (colour, dashed, _)) in series_runs.iter().zip(&styles) {
        let pts = points(d, runs);
        for (x, e) in &pts {
            x_max = x_max.max(*x);
            y_max = y_max.max(if e.high.is_finite() { e.high } else { e.mean });
        }
        series.push(Series {
            colour: *colour,
            dashed: *dashed,
            points: pts.iter().map(|(x, e)| (*x, e.mean)).collect(),
            band: pts
                .iter()
                .filter(|(_, e)| e.low.is_finite())
                .map(|(x, e)| (*x, e.low, e.high))
                .collect(),
            markers: true,
        });
    }
    LineChart {
        title: "Sessions cut vs wait before the restart".into(),
        subtitle: Some(format!(
            "all features, {} nights per run, mean and 95 % confidence band",
            d.scenario.replications
        )),
        legend: legend(&styles),
        x_desc: "wait between pause and restart (min)".into(),
        y_desc: "sessions cut per night".into(),
        x_range: (0.0, nice_max(x_max)),
        y_range: (0.0, nice_max(y_max * 1.08)),
        percent_y: false,
        series,
        note: None,
    }
}

/// A run's wait, minutes.
fn wait_min(r: &RunResult) -> f64 {
    label(r, "wait_s")
        .and_then(|v| v.parse::<f64>().ok())
        .unwrap_or(0.0)
        / 60.0
}

/// (wait, sessions cut) of every run of one series, by increasing wait.
fn points(d: &ReportData<'_>, runs: &[&RunResult]) -> Vec<(f64, Estimate)> {
    let mut pts: Vec<(f64, Estimate)> = runs
        .iter()
        .filter_map(|r| {
            row(d, r.run.index, "all")
                .and_then(|x| x.measure("cut"))
                .map(|e| (wait_min(r), *e))
        })
        .collect();
    pts.sort_by(|a, b| a.0.total_cmp(&b.0));
    pts
}

/// One entry per series: dashed for the DNS side of a pair.
fn legend(styles: &[(RGBColor, bool, String)]) -> Vec<LegendItem> {
    styles
        .iter()
        .map(|(c, dashed, label)| LegendItem {
            label: label.clone(),
            colour: *c,
            mark: if *dashed { Mark::Dashed } else { Mark::Line },
        })
        .collect()
}
