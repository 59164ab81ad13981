//! "Verdict": what the plan cut, in plain words, per DNS/hardware pair or per run (with its
//! maintenance window on the clock, and which `start` time cuts the fewest, when the scenario
//! uses time of day). Every number is a summary row's number written with two decimals, as in
//! the tables.

use std::fmt::Write as _;

use super::clock::when_to_patch;
use super::many::verdict_many;
use super::sentence::{verdict_pair, verdict_single};
use super::warnings::warnings;
use crate::report::ReportData;
use crate::runner::RunResult;
use crate::summary::Comparison;

/// Writes the section: a sentence or two per pair and per run without a partner, or, for a
/// sweep with many runs, a count, the most telling case and a table.
pub(super) fn verdict(o: &mut String, d: &ReportData<'_>) {
    let _ = writeln!(o, "\n## Verdict\n");
    warnings(o, d);
    let pairs: Vec<&Comparison> = d
        .comparisons
        .iter()
        .filter(|c| c.feature == "all")
        .collect();
    let singles: Vec<&RunResult> = d
        .results
        .iter()
        .filter(|r| {
            !pairs
                .iter()
                .any(|c| c.dns_run == r.run.index || c.hardware_run == r.run.index)
        })
        .collect();
    if pairs.len() + singles.len() > 4 {
        verdict_many(o, d, &pairs, &singles);
    } else {
        for c in &pairs {
            if let Some(v) = verdict_pair(d, c) {
                let _ = writeln!(o, "- {v}");
            }
        }
        for r in &singles {
            if let Some(v) = verdict_single(d, r) {
                let _ = writeln!(o, "- {v}");
            }
        }
    }
    when_to_patch(o, d);
}
