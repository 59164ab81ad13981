//! `cut_by_feature_set`: sessions cut per feature set (all features of the set), one bar per
//! load balancing (or other series), with 95 % intervals.

use plotters::prelude::RGBColor;

use super::bars::{Bar, BarChart, BarGroup, BarPanel};
use super::runs::{RunGroup, has_column, label, row, series_along};
use super::style::{LegendItem, Mark, mean_ci_text, series_style};
use super::{Chart, ChartKind};
use crate::report::ReportData;
use crate::runner::RunResult;
use crate::stats::Estimate;

/// Most feature sets in the chart.
const MAX_SETS: usize = 40;

/// The chart's entry in the plan, when the scenario sweeps feature sets.
pub(super) fn entry(d: &ReportData<'_>) -> Option<Chart> {
    has_column(d, "feature_set").then(|| Chart {
        kind: ChartKind::CutByFeatureSet,
        name: "cut_by_feature_set",
        title: "Sessions cut per feature set".into(),
        caption: "Mean sessions cut per night (all features of the set) with 95 % \
                  confidence intervals, per load balancing."
            .into(),
    })
}

/// The chart's data.
pub(super) fn figure(d: &ReportData<'_>) -> BarChart {
    let series = series_along(d.results, "feature_set");
    let styles = series_style(&series, "feature_set");
    let all_sets = sets(d.results);
    let sets = most_cut(d, &series, &all_sets);
    let groups = sets
        .iter()
        .map(|s| BarGroup {
            lines: wrap_set_label(s, 34),
            swatch: None,
            bars: series
                .iter()
                .zip(&styles)
                .filter_map(|((_, runs), (colour, light, _))| {
                    cut_of(d, runs, s).map(|e| Bar {
                        est: e,
                        colour: *colour,
                        light: *light,
                        label: mean_ci_text(&e),
                    })
                })
                .collect(),
        })
        .collect();
    BarChart {
        title: "Sessions cut per feature set".into(),
        subtitle: Some(subtitle(d, sets.len(), all_sets.len())),
        legend: legend(&styles),
        x_desc: "sessions cut per night (all features)".into(),
        y_desc: "feature set".into(),
        panels: vec![BarPanel {
            title: None,
            groups,
        }],
        cols: 1,
    }
}

/// A run's feature set label.
fn set_of(r: &RunResult) -> String {
    label(r, "feature_set").unwrap_or_default().to_string()
}

/// Every feature set, in axis order.
fn sets(results: &[RunResult]) -> Vec<String> {
    let mut sets: Vec<String> = Vec::new();
    for r in results {
        let s = set_of(r);
        if !sets.contains(&s) {
            sets.push(s);
        }
    }
    sets
}

/// Sessions cut (all features) by the run of `runs` with feature set `set`.
fn cut_of(d: &ReportData<'_>, runs: &[&RunResult], set: &str) -> Option<Estimate> {
    runs.iter()
        .find(|r| set_of(r) == set)
        .and_then(|r| row(d, r.run.index, "all"))
        .and_then(|x| x.measure("cut"))
        .copied()
}

/// With many sets, those that cut the most (in axis order); all of them otherwise.
fn most_cut(d: &ReportData<'_>, series: &[RunGroup<'_>], sets: &[String]) -> Vec<String> {
    if sets.len() <= MAX_SETS {
        return sets.to_vec();
    }
    let mut ranked: Vec<(usize, f64)> = sets
        .iter()
        .enumerate()
        .map(|(i, s)| {
            (
                i,
                series
                    .iter()
                    .filter_map(|(_, runs)| cut_of(d, runs, s))
                    .map(|e| e.mean)
                    .fold(0.0, f64::max),
            )
        })
        .collect();
    ranked.sort_by(|a, b| b.1.total_cmp(&a.1).then(a.0.cmp(&b.0)));
    let mut keep: Vec<usize> = ranked.iter().take(MAX_SETS).map(|x| x.0).collect();
    keep.sort_unstable();
    keep.into_iter().map(|i| sets[i].clone()).collect()
}

/// One entry per series: its colour, light for the DNS side of a pair.
fn legend(styles: &[(RGBColor, bool, String)]) -> Vec<LegendItem> {
    styles
        .iter()
        .map(|(c, light, label)| LegendItem {
            label: label.clone(),
            colour: *c,
            mark: if *light { Mark::Light } else { Mark::Solid },
        })
        .collect()
}

/// The subtitle, saying which sets are shown when not all of them are.
fn subtitle(d: &ReportData<'_>, shown: usize, total: usize) -> String {
    let mut subtitle = format!(
        "all features of each set, {} nights per run, mean and 95 % confidence interval",
        d.scenario.replications
    );
    if total > shown {
        subtitle.push_str(&format!("; the {shown} of {total} sets that cut the most"));
    }
    subtitle
}

/// Splits a `a+b+c` feature-set label into lines of at most `width` characters.
fn wrap_set_label(label: &str, width: usize) -> Vec<String> {
    let mut lines: Vec<String> = Vec::new();
    for (i, part) in label.split('+').enumerate() {
        let piece = if i == 0 {
            part.to_string()
        } else {
            format!("+{part}")
        };
        match lines.last_mut() {
            Some(l) if l.len() + piece.len() <= width => l.push_str(&piece),
            _ => lines.push(piece),
        }
    }
    lines
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn set_labels_wrap_at_plus() {
        assert_eq!(wrap_set_label("base", 10), vec!["base"]);
        assert_eq!(
            wrap_set_label("response_group+call_park+announcement", 25),
            vec!["response_group+call_park", "+announcement"]
        );
    }
}
