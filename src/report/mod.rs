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
pub mod html;
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
    /// Whether the per-replication tables ([`DETAIL_TABLES`]) are written (`--detail`).
    pub detail: bool,
}

/// The per-replication tables, written only on request (`--detail`): they grow with the
/// replications (a 30-run sweep at 1,000 replications made 200 MB of them), while everything
/// a reader needs — summary.csv, compare.csv, the charts and report.md — is computed from the
/// replications without them.
pub const DETAIL_TABLES: [&str; 4] = [
    "replications.csv",
    "restarts.csv",
    "drains.csv",
    "timeseries.csv",
];

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

/// How a report file is made: bytes in memory, or a table written row by row (the tables with
/// a row per replication, or per event of a replication, which grow with the replications).
pub enum Content {
    /// The file's bytes.
    Bytes(Vec<u8>),
    /// Writes the file into the writer it is given.
    Table(TableWriter),
}

/// Writes one streamed table.
pub type TableWriter = fn(&ReportData<'_>, &mut dyn std::io::Write) -> std::io::Result<()>;

/// Every report file, name → bytes, in a fixed order (in memory: for tests and small runs;
/// [`write_report`] streams the large tables instead).
pub fn render(d: &ReportData<'_>) -> Vec<(String, Vec<u8>)> {
    render_files(d)
        .into_iter()
        .map(|(name, c)| match c {
            Content::Bytes(b) => (name, b),
            Content::Table(write) => {
                let mut b = Vec::new();
                // Writing into memory cannot fail.
                let _ = write(d, &mut b);
                (name, b)
            }
        })
        .collect()
}

/// Every report file, name → content, in a fixed order.
pub fn render_files(d: &ReportData<'_>) -> Vec<(String, Content)> {
    let mut files = csv_tables(d);
    let mut drawn_files = Vec::new();
    let drawn = draw_charts(d, &mut drawn_files);
    let drawn_bytes = drawn_files.clone();
    files.extend(drawn_files.into_iter().map(|(n, b)| (n, Content::Bytes(b))));
    files.push((
        "scenario.toml".into(),
        Content::Bytes(d.source.as_bytes().to_vec()),
    ));
    let parts = markdown::render_parts(d, &drawn);
    let html = report_html(&d.scenario.name, &parts, &drawn_bytes);
    files.push((
        "report.md".into(),
        Content::Bytes(parts.markdown().into_bytes()),
    ));
    files.push(("report.html".into(), Content::Bytes(html.into_bytes())));
    files
}

/// `report.html`: the verdict first, then the scenario and the rest, as in `report.md`.
fn report_html(title: &str, parts: &markdown::Parts, charts: &[(String, Vec<u8>)]) -> String {
    // The title heading stays on top: it is the first line of the scenario part.
    let (head, scenario) = match parts.scenario.find("\n## ") {
        Some(i) => parts.scenario.split_at(i),
        None => (parts.scenario.as_str(), ""),
    };
    let part = |class, markdown| html::Part { class, markdown };
    html::page(
        title,
        &[
            part("title", head),
            part("verdict", &parts.verdict),
            part("body", scenario),
            part("body", &parts.rest),
        ],
        charts,
    )
}

/// Renders the report of `d` into `dir` atomically, streaming its large tables into the
/// temporary folder as their rows are produced. `interrupted` is asked once everything is
/// written: when it says so, nothing replaces `dir`.
pub fn write_report(
    dir: &Path,
    force: bool,
    d: &ReportData<'_>,
    interrupted: &dyn Fn() -> bool,
) -> Result<(), FolderError> {
    folder::write_atomically(dir, force, |tmp| {
        for (name, content) in render_files(d) {
            let p = tmp.join(&name);
            let io = |source| FolderError::Io {
                path: p.clone(),
                source,
            };
            match content {
                Content::Bytes(bytes) => std::fs::write(&p, bytes).map_err(io)?,
                Content::Table(write) => {
                    let file = std::fs::File::create(&p).map_err(io)?;
                    let mut w = std::io::BufWriter::with_capacity(1 << 16, file);
                    write(d, &mut w).map_err(io)?;
                    std::io::Write::flush(&mut w).map_err(io)?;
                }
            }
        }
        if interrupted() {
            return Err(FolderError::Interrupted);
        }
        Ok(())
    })
}

/// The CSV files that apply to these results.
fn csv_tables(d: &ReportData<'_>) -> Vec<(String, Content)> {
    let bytes = |name: &str, b: Vec<u8>| (name.to_string(), Content::Bytes(b));
    let table = |name: &str, w: TableWriter| (name.to_string(), Content::Table(w));
    let mut files = vec![bytes("summary.csv", summary_csv(d))];
    if d.detail {
        files.extend([
            table(DETAIL_TABLES[0], csv_files::write_replications_csv),
            table(DETAIL_TABLES[1], csv_files::write_restarts_csv),
            table(DETAIL_TABLES[2], csv_files::write_drains_csv),
            bytes(DETAIL_TABLES[3], timeseries_csv(d)),
        ]);
    }
    if !d.comparisons.is_empty() {
        files.push(bytes("compare.csv", compare_csv(d)));
    }
    if !d.results.is_empty() && label_columns(d.results).iter().any(|c| c == "feature_set") {
        files.push(bytes("feature-sets.csv", feature_sets_csv(d)));
    }
    if d.results
        .iter()
        .any(|r| !r.run.config.topology.upgrade_domains.is_empty())
        && d.results
            .iter()
            .any(|r| r.replications.iter().any(|o| !o.metrics.domains.is_empty()))
    {
        files.push(table("domains.csv", csv_files::write_domains_csv));
    }
    if rg_quorum::any(d) {
        files.push(table("rg_quorum.csv", rg_quorum::write_rg_quorum_csv));
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
