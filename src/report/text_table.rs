//! The short table `drainsim run` prints: sessions cut per feature set, per feature and run, or
//! per run (whichever fits a terminal), then sessions blocked during maintenance and the paired
//! hardware − DNS differences when there are any.

use std::fmt::Write as _;

use super::csv_files::feature_set_lines;
use super::{ReportData, label_columns, mean_ci};
use crate::stats::Estimate;

/// Most runs shown as columns of the per-feature table; more are listed one per line.
const MAX_COLUMNS: usize = 6;

/// The short table `drainsim run` prints: sessions cut per feature (rows) and run (columns).
pub fn text_table(d: &ReportData<'_>) -> String {
    let mut out = String::new();
    let has_sets = label_columns(d.results).iter().any(|c| c == "feature_set");
    if has_sets {
        feature_set_table(&mut out, d);
    } else if d.results.len() <= MAX_COLUMNS {
        feature_table(&mut out, d);
    } else {
        run_list(&mut out, d);
    }
    blocked_table(&mut out, d);
    if !d.comparisons.is_empty() && !has_sets {
        paired_lines(&mut out, d);
    }
    out
}

/// "dns / 600": axis values joined.
fn labels_text(labels: &[(String, String)]) -> String {
    labels
        .iter()
        .map(|(_, v)| v.as_str())
        .collect::<Vec<_>>()
        .join(" / ")
}

/// Sessions cut (all features) of `run` for `feature`, as "mean (low–high)".
fn cut_cell(d: &ReportData<'_>, run: usize, feature: &str) -> Option<String> {
    d.rows
        .iter()
        .find(|row| row.run == run && row.feature == feature)
        .and_then(|row| row.measure("cut"))
        .map(mean_ci)
}

/// Per feature set: DNS, hardware and their paired difference.
fn feature_set_table(out: &mut String, d: &ReportData<'_>) {
    let lines = feature_set_lines(d);
    let w0 = lines
        .iter()
        .map(|l| l.labels.iter().map(|(_, v)| v.len() + 3).sum::<usize>())
        .max()
        .unwrap_or(10)
        .max(12);
    let _ = writeln!(out, "sessions cut per night (all features), mean (95% CI)");
    let _ = writeln!(
        out,
        "{:<w0$}  {:>24}  {:>24}  {:>24}",
        "feature set", "dns", "hardware", "hardware − dns (paired)"
    );
    let cell = |e: &Option<Estimate>| e.as_ref().map(mean_ci).unwrap_or_else(|| "—".into());
    for l in &lines {
        let _ = writeln!(
            out,
            "{:<w0$}  {:>24}  {:>24}  {:>24}",
            labels_text(&l.labels),
            cell(&l.dns),
            cell(&l.hardware),
            cell(&l.diff)
        );
    }
}

/// One row per feature (and `all`), one column per run.
fn feature_table(out: &mut String, d: &ReportData<'_>) {
    let mut feats: Vec<String> = d
        .scenario
        .base
        .features
        .iter()
        .map(|f| f.name.clone())
        .collect();
    feats.push("all".into());
    let w0 = feats.iter().map(|f| f.len()).max().unwrap_or(7).max(7);
    let _ = write!(out, "{:<w0$}", "cut per night, mean (95% CI)");
    let _ = writeln!(out);
    let _ = write!(out, "{:<w0$}", "feature");
    for r in d.results {
        let _ = write!(out, "  {:>26}", labels_text(&r.run.labels));
    }
    let _ = writeln!(out);
    for f in &feats {
        let _ = write!(out, "{f:<w0$}");
        for r in d.results {
            let cell = cut_cell(d, r.run.index, f).unwrap_or_else(|| "—".into());
            let _ = write!(out, "  {cell:>26}");
        }
        let _ = writeln!(out);
    }
}

/// One line per run: sessions cut, all features.
fn run_list(out: &mut String, d: &ReportData<'_>) {
    let _ = writeln!(
        out,
        "{:<60} {:>26}",
        "run", "cut (all features), mean (95% CI)"
    );
    for r in d.results {
        let cell = cut_cell(d, r.run.index, "all").unwrap_or_default();
        let _ = writeln!(out, "{:<60} {cell:>26}", labels_text(&r.run.labels));
    }
}

/// Sessions blocked during maintenance per run, when any run blocked some.
fn blocked_table(out: &mut String, d: &ReportData<'_>) {
    let any_blocked = d.rows.iter().any(|r| {
        r.measure("blocked_in_maintenance")
            .is_some_and(|e| e.mean > 0.0)
    });
    if !any_blocked {
        return;
    }
    let _ = writeln!(out);
    let _ = writeln!(
        out,
        "{:<60} {:>12} {:>12} {:>14}",
        "run: blocked during maintenance (all features)", "blocked", "% of arrivals", "peak/server"
    );
    for r in d.rows.iter().filter(|r| r.feature == "all") {
        let b = r
            .measure("blocked_in_maintenance")
            .map_or(f64::NAN, |e| e.mean);
        let fr = r
            .measure("blocked_in_maintenance_fraction")
            .map_or(f64::NAN, |e| e.mean);
        let peak = r
            .column("peak_sessions_per_server_mean")
            .unwrap_or(f64::NAN);
        let name = labels_text(&r.labels);
        let _ = writeln!(
            out,
            "{name:<60} {b:>12.1} {:>11.2} % {peak:>14.1}",
            fr * 100.0
        );
    }
}

/// The paired differences hardware − DNS, all features, one line per pair.
fn paired_lines(out: &mut String, d: &ReportData<'_>) {
    let _ = writeln!(out);
    let _ = writeln!(out, "hardware − DNS, paired night by night (all features):");
    for c in d.comparisons.iter().filter(|c| c.feature == "all") {
        let ctx = if c.labels.is_empty() {
            String::new()
        } else {
            format!(
                " [{}]",
                c.labels
                    .iter()
                    .map(|(k, v)| format!("{k}={v}"))
                    .collect::<Vec<_>>()
                    .join(", ")
            )
        };
        let _ = writeln!(
            out,
            "  {}{ctx}  (unpaired CI would be ±{:.2})",
            mean_ci(&c.diff),
            c.unpaired_half_width
        );
    }
}
