//! Which runs a chart shows and how it names them: grouping runs by their axis values, the
//! feature set the per-feature charts keep to, the words for a run's context.

use crate::model::{Action, LoadBalancing};
use crate::report::ReportData;
use crate::runner::RunResult;
use crate::summary::SummaryRow;

/// Most panels of small multiples; more runs are left to the CSV files.
pub(super) const MAX_PANELS: usize = 6;
/// Most series in one chart (lines or bars per group).
pub(super) const MAX_SERIES: usize = 8;

/// Axis values (column, value) of a run.
pub(super) type Labels = Vec<(String, String)>;
/// Runs sharing a key, in run order.
pub(super) type RunGroup<'r> = (Labels, Vec<&'r RunResult>);

/// Whether the runs have an axis column called `column`.
pub(super) fn has_column(d: &ReportData<'_>, column: &str) -> bool {
    crate::report::label_columns(d.results)
        .iter()
        .any(|c| c == column)
}

/// The server of the first pause, graceful stop or restart step of a run's plan (0-based).
pub fn paused_server(r: &RunResult) -> Option<usize> {
    r.run.config.plan.iter().find_map(|s| match &s.action {
        Action::Pause(t) | Action::StopGraceful(t) => t.servers.first().map(|&x| x as usize),
        Action::Restart { servers, .. } | Action::Failover { servers, .. } => {
            servers.first().map(|&x| x as usize)
        }
        _ => None,
    })
}

/// Every server a run's plan pauses, stops gracefully, fails over or restarts (0-based), in the
/// order the plan first names them.
pub(super) fn paused_servers(r: &RunResult) -> Vec<usize> {
    let mut out: Vec<usize> = Vec::new();
    for s in &r.run.config.plan {
        let servers: &[u32] = match &s.action {
            Action::Pause(t) | Action::StopGraceful(t) => &t.servers,
            Action::Restart { servers, .. } | Action::Failover { servers, .. } => servers,
            _ => &[],
        };
        for &x in servers {
            if !out.contains(&(x as usize)) {
                out.push(x as usize);
            }
        }
    }
    out
}

/// The summary row of `run` and `feature`.
pub(super) fn row<'r>(d: &'r ReportData<'_>, run: usize, feature: &str) -> Option<&'r SummaryRow> {
    d.rows.iter().find(|r| r.run == run && r.feature == feature)
}

/// A run's axis values other than `skip` (and load balancing).
pub(super) fn context(r: &RunResult, skip: &[&str]) -> Vec<(String, String)> {
    r.run
        .labels
        .iter()
        .filter(|(c, _)| c != "load_balancing" && !skip.contains(&c.as_str()))
        .cloned()
        .collect()
}

/// "wait_s = 600, servers = 4".
pub(super) fn context_text(c: &[(String, String)]) -> String {
    c.iter()
        .map(|(k, v)| format!("{k} = {v}"))
        .collect::<Vec<_>>()
        .join(", ")
}

/// "DNS" or "hardware".
pub(super) fn lb_name(lb: LoadBalancing) -> &'static str {
    match lb {
        LoadBalancing::Dns => "DNS",
        LoadBalancing::Hardware => "hardware",
    }
}

/// A run's value of axis `column`, if it has that axis.
pub(super) fn label<'r>(r: &'r RunResult, column: &str) -> Option<&'r str> {
    r.run
        .labels
        .iter()
        .find(|(c, _)| c == column)
        .map(|(_, v)| v.as_str())
}

/// Groups runs by a key, in order of first appearance.
pub(super) fn group_by<'r, K: PartialEq + Clone>(
    results: impl IntoIterator<Item = &'r RunResult>,
    key: impl Fn(&RunResult) -> K,
) -> Vec<(K, Vec<&'r RunResult>)> {
    let mut out: Vec<(K, Vec<&'r RunResult>)> = Vec::new();
    for r in results {
        let k = key(r);
        match out.iter_mut().find(|(x, _)| *x == k) {
            Some((_, v)) => v.push(r),
            None => out.push((k, vec![r])),
        }
    }
    out
}

/// Groups runs by every axis value but `axis`: one group per series of a chart along `axis`.
pub(super) fn series_along<'r>(results: &'r [RunResult], axis: &str) -> Vec<RunGroup<'r>> {
    let series = group_by(results, |r| {
        r.run
            .labels
            .iter()
            .filter(|(c, _)| c != axis)
            .cloned()
            .collect::<Vec<_>>()
    });
    series.into_iter().take(MAX_SERIES).collect()
}

/// With a `feature_sets` axis, the label and size of the set with the most features (the
/// first of those): per-feature charts only make sense within one set, and this one draws every
/// feature it has; `cut_by_feature_set` compares the sets.
pub(super) fn largest_set(d: &ReportData<'_>) -> Option<(String, usize)> {
    d.results
        .iter()
        .filter(|r| r.run.labels.iter().any(|(c, _)| c == "feature_set"))
        .max_by_key(|r| (r.run.config.features.len(), std::cmp::Reverse(r.run.index)))
        .and_then(|r| {
            let (_, v) = r.run.labels.iter().find(|(c, _)| c == "feature_set")?;
            Some((v.clone(), r.run.config.features.len()))
        })
}

/// Whether run `r` belongs to `set` (every run does when there is no feature_sets axis).
pub(super) fn in_set(set: &Option<(String, usize)>, r: &RunResult) -> bool {
    set.as_ref().is_none_or(|(set, _)| {
        r.run
            .labels
            .iter()
            .any(|(c, v)| c == "feature_set" && v == set)
    })
}

/// "feature set a+b, " for subtitles (only the size when the label is long).
pub(super) fn set_words(set: &Option<(String, usize)>) -> String {
    match set {
        Some((label, _)) if label.len() <= 50 => format!("feature set {label}, "),
        Some((_, n)) => format!("the largest feature set ({n} features), "),
        None => String::new(),
    }
}
