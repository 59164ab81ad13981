//! The verdict of a sweep with many runs: how many DNS/hardware pairs differ significantly,
//! the most telling case in full, and a table of every pair or run.

use std::fmt::Write as _;

use super::lookup::{cut, dominant_names, drain_phrase};
use super::sentence::{verdict_pair, verdict_single};
use super::tables::table_head;
use super::words::{num, percent};
use crate::report::{ReportData, label_columns, mean_ci};
use crate::runner::RunResult;
use crate::summary::Comparison;

/// A sweep with many runs: a count, the most telling case in full, and a table.
pub(super) fn verdict_many(
    o: &mut String,
    d: &ReportData<'_>,
    pairs: &[&Comparison],
    singles: &[&RunResult],
) {
    if !pairs.is_empty() {
        pairs_summary(o, d, pairs);
        pairs_table(o, d, pairs);
    }
    if !singles.is_empty() {
        singles_summary(o, d, singles);
        singles_table(o, d, singles);
    }
}

/// How many pairs differ, and the pair with the largest difference in words.
fn pairs_summary(o: &mut String, d: &ReportData<'_>, pairs: &[&Comparison]) {
    let more = pairs.iter().filter(|c| c.diff.low > 0.0).count();
    let fewer = pairs.iter().filter(|c| c.diff.high < 0.0).count();
    let _ = write!(
        o,
        "Hardware load balancing cuts significantly more sessions than DNS load balancing \
         (paired 95 % CI above zero) in **{more} of {}** combinations",
        pairs.len()
    );
    if fewer > 0 {
        let _ = write!(o, ", and significantly fewer in {fewer}");
    }
    let _ = writeln!(o, ". The largest difference:\n");
    let top = pairs
        .iter()
        .copied()
        .reduce(|a, b| if b.diff.mean > a.diff.mean { b } else { a });
    if let Some(v) = top.and_then(|c| verdict_pair(d, c)) {
        let _ = writeln!(o, "- {v}\n");
    }
}

/// "40 %": the share of a run's pauses that drained, or "—".
fn drained_cell(d: &ReportData<'_>, run: usize) -> String {
    drain_phrase(d, run)
        .map(|(f, _)| percent(f))
        .unwrap_or_else(|| "—".into())
}

/// One line per pair: both cuts, the paired difference, the share drained.
fn pairs_table(o: &mut String, d: &ReportData<'_>, pairs: &[&Comparison]) {
    let extra: Vec<String> = pairs[0].labels.iter().map(|(k, _)| k.clone()).collect();
    table_head(
        o,
        false,
        &extra,
        " hardware cut | DNS cut | hardware − DNS | drained (DNS / hardware) |",
        "---:|---:|---:|---:|",
    );
    for c in pairs {
        let (Some(hw), Some(dns)) = (cut(d, c.hardware_run, "all"), cut(d, c.dns_run, "all"))
        else {
            continue;
        };
        let _ = write!(o, "|");
        for (_, v) in &c.labels {
            let _ = write!(o, " {v} |");
        }
        let _ = writeln!(
            o,
            " {} | {} | {} | {} / {} |",
            mean_ci(&hw),
            mean_ci(&dns),
            mean_ci(&c.diff),
            drained_cell(d, c.dns_run),
            drained_cell(d, c.hardware_run)
        );
    }
    let _ = writeln!(o);
}

/// The run that cuts the most, in words (or that none cuts anything).
fn singles_summary(o: &mut String, d: &ReportData<'_>, singles: &[&RunResult]) {
    let top = singles
        .iter()
        .copied()
        .filter_map(|r| cut(d, r.run.index, "all").map(|e| (r, e.mean)))
        .reduce(|a, b| if b.1 > a.1 { b } else { a });
    match top {
        Some((_, m)) if num(m) == num(0.0) => {
            let _ = writeln!(o, "No run cuts a session (to two decimals).\n");
        }
        Some((r, _)) => {
            if let Some(v) = verdict_single(d, r) {
                let _ = writeln!(o, "The run that cuts the most:\n\n- {v}\n");
            }
        }
        None => {}
    }
}

/// One line per run: its cut, the features that make it up, the share drained.
fn singles_table(o: &mut String, d: &ReportData<'_>, singles: &[&RunResult]) {
    table_head(
        o,
        false,
        &label_columns(d.results),
        " cut | mostly | drained |",
        "---:|---|---:|",
    );
    for r in singles {
        let Some(e) = cut(d, r.run.index, "all") else {
            continue;
        };
        let _ = write!(o, "|");
        for (_, v) in &r.run.labels {
            let _ = write!(o, " {v} |");
        }
        let top = dominant_names(d, r.run.index);
        let _ = writeln!(
            o,
            " {} | {} | {} |",
            mean_ci(&e),
            if top.is_empty() {
                "—".to_string()
            } else {
                top.join(", ")
            },
            drained_cell(d, r.run.index)
        );
    }
    let _ = writeln!(o);
}
