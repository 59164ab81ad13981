//! Report files (see docs/formats.md): CSV tables, charts (SVG and PNG), `report.md`, and the
//! short table printed by `run`.
//!
//! Rendering is pure (bytes in memory); [`write()`] puts them on disk atomically. Floats are
//! written with fixed decimals so that the same seed gives byte-identical files.
//!
//! [`render`] assembles the folder: the CSV files (`csv_files`), the [`charts`], `report.md`
//! (`markdown`) and the scenario itself; [`text_table()`] is what `drainsim run` prints.

pub mod charts;
mod clock;
mod csv_files;
pub mod folder;
mod markdown;
pub mod rg_quorum;
mod text_table;

use std::path::Path;

use crate::runner::RunResult;
use crate::scenario::Scenario;
use crate::summary::{Comparison, SummaryRow};

pub use csv_files::{
    FeatureSetLine, compare_csv, domains_csv, drains_csv, feature_set_lines, feature_sets_csv,
    replications_csv, restarts_csv, summary_csv, timeseries_csv,
};
pub use folder::FolderError;
pub use markdown::render_markdown;
pub use text_table::text_table;

/// Everything a report is made of, computed once.
pub struct ReportData<'a> {
    /// The scenario.
    pub scenario: &'a Scenario,
    /// Its source text (copied into the report for reproduction).
    pub source: &'a str,
    /// Raw results.
    pub results: &'a [RunResult],
    /// Summary rows.
    pub rows: &'a [SummaryRow],
    /// Paired DNS/hardware comparisons.
    pub comparisons: &'a [Comparison],
    /// The command line that reproduces the run.
    pub command: String,
}

/// A float with fixed decimals; NaN and infinities as an empty cell.
pub fn fixed(x: f64, decimals: usize) -> String {
    if x.is_finite() {
        let s = format!("{x:.decimals$}");
        // "-0.0000" and "0.0000" must not differ between runs.
        if s.trim_start_matches('-')
            .chars()
            .all(|c| c == '0' || c == '.')
        {
            s.trim_start_matches('-').to_string()
        } else {
            s
        }
    } else {
        String::new()
    }
}

/// The axis columns of a scenario's runs (same for every run), `load_balancing` first.
pub fn label_columns(results: &[RunResult]) -> Vec<String> {
    results
        .first()
        .map(|r| r.run.labels.iter().map(|(c, _)| c.clone()).collect())
        .unwrap_or_else(|| vec!["load_balancing".into()])
}

/// Every report file, name → bytes, in a fixed order.
pub fn render(d: &ReportData<'_>) -> Vec<(String, Vec<u8>)> {
    let mut files = csv_tables(d);
    let drawn = draw_charts(d, &mut files);
    files.push(("scenario.toml".into(), d.source.as_bytes().to_vec()));
    files.push(("report.md".into(), render_markdown(d, &drawn).into_bytes()));
    files
}

/// The CSV files that apply to these results.
fn csv_tables(d: &ReportData<'_>) -> Vec<(String, Vec<u8>)> {
    let mut files = vec![
        ("summary.csv".to_string(), summary_csv(d)),
        ("replications.csv".into(), replications_csv(d)),
        ("restarts.csv".into(), restarts_csv(d)),
        ("drains.csv".into(), drains_csv(d)),
        ("timeseries.csv".into(), timeseries_csv(d)),
    ];
    if !d.comparisons.is_empty() {
        files.push(("compare.csv".into(), compare_csv(d)));
    }
    if !d.results.is_empty() && label_columns(d.results).iter().any(|c| c == "feature_set") {
        files.push(("feature-sets.csv".into(), feature_sets_csv(d)));
    }
    if d.results
        .iter()
        .any(|r| !r.run.config.topology.upgrade_domains.is_empty())
        && d.results
            .iter()
            .any(|r| r.replications.iter().any(|o| !o.metrics.domains.is_empty()))
    {
        files.push(("domains.csv".into(), domains_csv(d)));
    }
    if rg_quorum::any(d) {
        files.push(("rg_quorum.csv".into(), rg_quorum::rg_quorum_csv(d)));
    }
    files
}

/// Draws every chart of the plan into `files` (SVG, then PNG); returns what `report.md` says
/// about each.
fn draw_charts(d: &ReportData<'_>, files: &mut Vec<(String, Vec<u8>)>) -> Vec<charts::Drawn> {
    let mut drawn = Vec::new();
    for chart in charts::plan(d) {
        let error = match charts::draw(d, &chart) {
            Ok((svg, png)) => {
                files.push((format!("{}.svg", chart.name), svg));
                files.push((format!("{}.png", chart.name), png));
                None
            }
            // A chart that cannot be drawn must not lose the rest of the report: report.md
            // says what went wrong instead of embedding it.
            Err(e) => Some(e),
        };
        drawn.push(charts::Drawn { chart, error });
    }
    drawn
}

/// Writes the rendered files into `dir` atomically.
pub fn write(dir: &Path, force: bool, files: &[(String, Vec<u8>)]) -> Result<(), FolderError> {
    folder::write_atomically(dir, force, |tmp| {
        for (name, bytes) in files {
            let p = tmp.join(name);
            std::fs::write(&p, bytes).map_err(|source| FolderError::Io { path: p, source })?;
        }
        Ok(())
    })
}

/// "12.30 (11.80–12.90)": a mean and its 95 % interval.
pub fn mean_ci(e: &crate::stats::Estimate) -> String {
    if e.low.is_finite() {
        format!(
            "{} ({}–{})",
            fixed(e.mean, 2),
            fixed(e.low, 2),
            fixed(e.high, 2)
        )
    } else {
        fixed(e.mean, 2)
    }
}
