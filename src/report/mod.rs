//! Report files (DESIGN §3): CSV tables, charts (SVG and PNG), `report.md`, and the short
//! table printed by `run`.
//!
//! Rendering is pure (bytes in memory); [`write()`] puts them on disk atomically. Floats are
//! written with fixed decimals so that the same seed gives byte-identical files.

pub mod charts;
pub mod folder;
mod markdown;

use std::fmt::Write as _;
use std::path::Path;

use crate::runner::RunResult;
use crate::scenario::Scenario;
use crate::stats::MEASURES;
use crate::summary::{self, Comparison, SummaryRow};

pub use folder::FolderError;
pub use markdown::render_markdown;

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

fn secs(t: crate::engine::SimTime) -> String {
    fixed(t.as_secs_f64(), 3)
}

/// The axis columns of a scenario's runs (same for every run), `load_balancing` first.
pub fn label_columns(results: &[RunResult]) -> Vec<String> {
    results
        .first()
        .map(|r| r.run.labels.iter().map(|(c, _)| c.clone()).collect())
        .unwrap_or_else(|| vec!["load_balancing".into()])
}

/// The leading columns of every per-run table: `run` and the axis columns.
fn run_header(d: &ReportData<'_>) -> Vec<String> {
    let mut header = vec!["run".to_string()];
    header.extend(label_columns(d.results));
    header
}

/// The leading cells of a per-run row: the run index and its axis values.
fn run_prefix(r: &RunResult) -> Vec<String> {
    let mut v = vec![r.run.index.to_string()];
    v.extend(r.run.labels.iter().map(|(_, x)| x.clone()));
    v
}

/// The leading cells of a per-replication row: [`run_prefix`] and the replication index.
fn replication_prefix(r: &RunResult, rep: &crate::runner::ReplicationOutcome) -> Vec<String> {
    let mut v = run_prefix(r);
    v.push(rep.replication.to_string());
    v
}

fn csv_bytes(header: Vec<String>, rows: impl Iterator<Item = Vec<String>>) -> Vec<u8> {
    let mut w = csv::WriterBuilder::new().from_writer(Vec::new());
    // Writing into memory cannot fail.
    let _ = w.write_record(&header);
    for r in rows {
        let _ = w.write_record(&r);
    }
    w.into_inner().unwrap_or_default()
}

/// `summary.csv`: one row per run and feature, its numeric columns as [`summary::columns`]
/// defines them.
pub fn summary_csv(d: &ReportData<'_>) -> Vec<u8> {
    let header = summary::column_names(&label_columns(d.results));
    let rows = d.rows.iter().map(|r| {
        let mut v = vec![r.run.to_string()];
        v.extend(r.labels.iter().map(|(_, x)| x.clone()));
        v.push(r.feature.clone());
        v.extend(summary::columns().iter().map(|c| summary_cell(c, r)));
        v
    });
    csv_bytes(header, rows)
}

/// One numeric cell of `summary.csv`: empty where the row has no value.
fn summary_cell(c: &summary::Column, r: &SummaryRow) -> String {
    match (c.value(r), c.format()) {
        (None, _) => String::new(),
        // A count is a whole number: `{}` writes it without a decimal point.
        (Some(x), summary::Format::Count) => format!("{x}"),
        (Some(x), summary::Format::Decimals(n)) => fixed(x, n),
    }
}

/// `replications.csv`: raw counts per (run, replication, feature), with the seeds.
pub fn replications_csv(d: &ReportData<'_>) -> Vec<u8> {
    let mut header = run_header(d);
    header.extend(["replication", "seed", "feature"].map(String::from));
    header.extend(MEASURES.iter().map(|(m, _)| m.to_string()));
    let mut rows = Vec::new();
    for r in d.results {
        for rep in &r.replications {
            for (f, feat) in r.run.config.features.iter().enumerate() {
                let c = &rep.metrics.features[f];
                let mut v = replication_prefix(r, rep);
                v.push(rep.seeds.sessions.to_string());
                v.push(feat.name.clone());
                for (m, get) in MEASURES {
                    let x = get(c);
                    v.push(if *m == "setup_delay_s" {
                        fixed(x, 6)
                    } else {
                        format!("{x}")
                    });
                }
                rows.push(v);
            }
        }
    }
    csv_bytes(header, rows.into_iter())
}

/// `restarts.csv`: per restart and feature, sessions cut and disrupted.
pub fn restarts_csv(d: &ReportData<'_>) -> Vec<u8> {
    let mut header = run_header(d);
    header.extend(
        [
            "replication",
            "server",
            "restart_at_s",
            "paused_at_s",
            "since_pause_s",
            "feature",
            "cut",
            "disrupted",
        ]
        .map(String::from),
    );
    let mut rows = Vec::new();
    for r in d.results {
        for rep in &r.replications {
            for rs in &rep.metrics.restarts {
                for (f, feat) in r.run.config.features.iter().enumerate() {
                    let mut v = replication_prefix(r, rep);
                    v.push((rs.server + 1).to_string());
                    v.push(secs(rs.at));
                    v.push(rs.paused_at.map(secs).unwrap_or_default());
                    v.push(
                        rs.paused_at
                            .map(|p| secs(rs.at.since(p)))
                            .unwrap_or_default(),
                    );
                    v.push(feat.name.clone());
                    v.push(rs.cut[f].to_string());
                    v.push(rs.disrupted[f].to_string());
                    rows.push(v);
                }
            }
        }
    }
    csv_bytes(header, rows.into_iter())
}

/// `drains.csv`: every drain, from pause to its end.
pub fn drains_csv(d: &ReportData<'_>) -> Vec<u8> {
    let mut header = run_header(d);
    header.extend(
        [
            "replication",
            "server",
            "paused_at_s",
            "ended_at_s",
            "end",
            "drain_time_s",
            "sessions_left",
        ]
        .map(String::from),
    );
    let mut rows = Vec::new();
    for r in d.results {
        for rep in &r.replications {
            for dr in &rep.metrics.drains {
                let mut v = replication_prefix(r, rep);
                v.push((dr.server + 1).to_string());
                v.push(secs(dr.paused_at));
                v.push(secs(dr.ended_at));
                v.push(dr.end.name().to_string());
                v.push(dr.drain_time().map(secs).unwrap_or_default());
                v.push(dr.left.to_string());
                rows.push(v);
            }
        }
    }
    csv_bytes(header, rows.into_iter())
}

/// `timeseries.csv`: occupancy of every server per feature over time, replication 0 of each run.
pub fn timeseries_csv(d: &ReportData<'_>) -> Vec<u8> {
    let all: Vec<String> = d
        .scenario
        .base
        .features
        .iter()
        .map(|f| f.name.clone())
        .collect();
    let mut header = run_header(d);
    header.extend(["time_s", "server"].map(String::from));
    header.extend(all.iter().cloned());
    header.push("total".into());
    let mut rows = Vec::new();
    for r in d.results {
        let Some(rep) = r.replications.first() else {
            continue;
        };
        let ts = &rep.metrics.timeseries;
        let feats = &r.run.config.features;
        let nf = feats.len();
        let n = r.run.config.pool.servers as usize;
        let cols: Vec<Option<usize>> = all
            .iter()
            .map(|name| feats.iter().position(|f| &f.name == name))
            .collect();
        for (k, t) in ts.times.iter().enumerate() {
            for s in 0..n {
                let base = k * n * nf + s * nf;
                let mut v = run_prefix(r);
                v.push(secs(*t));
                v.push((s + 1).to_string());
                let mut total = 0u64;
                for c in &cols {
                    match c {
                        Some(f) => {
                            let a = ts.active[base + f];
                            total += a as u64;
                            v.push(a.to_string());
                        }
                        None => v.push(String::new()),
                    }
                }
                v.push(total.to_string());
                rows.push(v);
            }
        }
    }
    csv_bytes(header, rows.into_iter())
}

/// `compare.csv`: paired differences hardware − DNS of sessions cut.
pub fn compare_csv(d: &ReportData<'_>) -> Vec<u8> {
    let extra: Vec<String> = d
        .comparisons
        .first()
        .map(|c| c.labels.iter().map(|(k, _)| k.clone()).collect())
        .unwrap_or_default();
    let mut header = vec!["dns_run".to_string(), "hardware_run".into()];
    header.extend(extra);
    header.extend(
        [
            "feature",
            "replications",
            "dns_cut_mean",
            "hardware_cut_mean",
            "diff_mean",
            "diff_sd",
            "diff_ci95_low",
            "diff_ci95_high",
            "paired_half_width",
            "unpaired_half_width",
        ]
        .map(String::from),
    );
    let rows = d.comparisons.iter().map(|c| {
        let mut v = vec![c.dns_run.to_string(), c.hardware_run.to_string()];
        v.extend(c.labels.iter().map(|(_, x)| x.clone()));
        v.push(c.feature.clone());
        v.push(c.diff.n.to_string());
        for x in [
            c.dns_cut_mean,
            c.hardware_cut_mean,
            c.diff.mean,
            c.diff.sd,
            c.diff.low,
            c.diff.high,
            c.diff.half_width(),
            c.unpaired_half_width,
        ] {
            v.push(fixed(x, 4));
        }
        v
    });
    csv_bytes(header, rows)
}

/// One line of the feature-set table: a feature set (and any other axis values) with its total
/// cut under DNS and hardware load balancing.
pub struct FeatureSetLine {
    /// Axis values other than load balancing (`feature_set` first).
    pub labels: Vec<(String, String)>,
    /// Total cut under DNS, if that run exists.
    pub dns: Option<crate::stats::Estimate>,
    /// Total cut under hardware, if that run exists.
    pub hardware: Option<crate::stats::Estimate>,
    /// Paired difference hardware − DNS.
    pub diff: Option<crate::stats::Estimate>,
}

/// The feature-set table: for each feature set, sessions cut per restart plan under DNS vs
/// hardware load balancing.
pub fn feature_set_lines(d: &ReportData<'_>) -> Vec<FeatureSetLine> {
    let mut out: Vec<FeatureSetLine> = Vec::new();
    for r in d.rows.iter().filter(|r| r.feature == "all") {
        let key: Vec<(String, String)> = r
            .labels
            .iter()
            .filter(|(c, _)| c != "load_balancing")
            .cloned()
            .collect();
        let idx = match out.iter().position(|l| l.labels == key) {
            Some(i) => i,
            None => {
                let diff = d
                    .comparisons
                    .iter()
                    .find(|c| c.feature == "all" && c.labels == key)
                    .map(|c| c.diff);
                out.push(FeatureSetLine {
                    labels: key,
                    dns: None,
                    hardware: None,
                    diff,
                });
                out.len() - 1
            }
        };
        let e = r.measure("cut").copied();
        match r.label("load_balancing").as_deref() {
            Some("dns") => out[idx].dns = e,
            Some("hardware") => out[idx].hardware = e,
            _ => {}
        }
    }
    out
}

/// `feature-sets.csv`: the feature-set table.
pub fn feature_sets_csv(d: &ReportData<'_>) -> Vec<u8> {
    let lines = feature_set_lines(d);
    let mut header: Vec<String> = lines
        .first()
        .map(|l| l.labels.iter().map(|(c, _)| c.clone()).collect())
        .unwrap_or_default();
    for p in ["dns", "hardware", "diff"] {
        for s in ["cut_mean", "cut_ci95_low", "cut_ci95_high"] {
            header.push(format!("{p}_{s}"));
        }
    }
    let rows = lines.iter().map(|l| {
        let mut v: Vec<String> = l.labels.iter().map(|(_, x)| x.clone()).collect();
        for e in [l.dns, l.hardware, l.diff] {
            match e {
                Some(e) => {
                    v.push(fixed(e.mean, 4));
                    v.push(fixed(e.low, 4));
                    v.push(fixed(e.high, 4));
                }
                None => v.extend(["", "", ""].map(String::from)),
            }
        }
        v
    });
    csv_bytes(header, rows)
}

/// `domains.csv`: each upgrade domain's passage through a rolling restart.
pub fn domains_csv(d: &ReportData<'_>) -> Vec<u8> {
    let mut header = run_header(d);
    header.extend(
        [
            "replication",
            "domain",
            "servers",
            "first_poll_s",
            "busy_polls",
            "ready_at_s",
            "paused_at_s",
            "restarted_at_s",
            "drained",
            "up_at_s",
            "outcome",
        ]
        .map(String::from),
    );
    let mut rows = Vec::new();
    for r in d.results {
        for rep in &r.replications {
            for dr in &rep.metrics.domains {
                let mut v = replication_prefix(r, rep);
                v.push((dr.domain + 1).to_string());
                v.push(
                    r.run.config.topology.upgrade_domains[dr.domain]
                        .iter()
                        .map(|s| (s + 1).to_string())
                        .collect::<Vec<_>>()
                        .join(" "),
                );
                v.push(secs(dr.first_poll));
                v.push(dr.busy_polls.to_string());
                v.push(dr.ready_at.map(secs).unwrap_or_default());
                v.push(dr.paused_at.map(secs).unwrap_or_default());
                v.push(dr.restarted_at.map(secs).unwrap_or_default());
                v.push(dr.drained.to_string());
                v.push(dr.up_at.map(secs).unwrap_or_default());
                v.push(dr.outcome.to_string());
                rows.push(v);
            }
        }
    }
    csv_bytes(header, rows.into_iter())
}

/// Every report file, name → bytes, in a fixed order.
pub fn render(d: &ReportData<'_>) -> Vec<(String, Vec<u8>)> {
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
    files.push(("scenario.toml".into(), d.source.as_bytes().to_vec()));
    files.push(("report.md".into(), render_markdown(d, &drawn).into_bytes()));
    files
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

/// The short table `drainsim run` prints: sessions cut per feature (rows) and run (columns).
pub fn text_table(d: &ReportData<'_>) -> String {
    let mut out = String::new();
    let runs: Vec<&RunResult> = d.results.iter().collect();
    let run_name = |r: &RunResult| -> String {
        r.run
            .labels
            .iter()
            .map(|(_, v)| v.as_str())
            .collect::<Vec<_>>()
            .join(" / ")
    };
    let has_sets = label_columns(d.results).iter().any(|c| c == "feature_set");
    if has_sets {
        let lines = feature_set_lines(d);
        let w0 = lines
            .iter()
            .map(|l| l.labels.iter().map(|(_, v)| v.len() + 3).sum::<usize>())
            .max()
            .unwrap_or(10)
            .max(12);
        let _ = writeln!(
            out,
            "sessions cut per replication (all features), mean (95% CI)"
        );
        let _ = writeln!(
            out,
            "{:<w0$}  {:>24}  {:>24}  {:>24}",
            "feature set", "dns", "hardware", "hardware − dns (paired)"
        );
        for l in &lines {
            let name = l
                .labels
                .iter()
                .map(|(_, v)| v.as_str())
                .collect::<Vec<_>>()
                .join(" / ");
            let cell = |e: &Option<crate::stats::Estimate>| {
                e.as_ref().map(mean_ci).unwrap_or_else(|| "—".into())
            };
            let _ = writeln!(
                out,
                "{name:<w0$}  {:>24}  {:>24}  {:>24}",
                cell(&l.dns),
                cell(&l.hardware),
                cell(&l.diff)
            );
        }
    } else if runs.len() <= 6 {
        let mut feats: Vec<String> = d
            .scenario
            .base
            .features
            .iter()
            .map(|f| f.name.clone())
            .collect();
        feats.push("all".into());
        let w0 = feats.iter().map(|f| f.len()).max().unwrap_or(7).max(7);
        let _ = write!(out, "{:<w0$}", "cut per replication, mean (95% CI)");
        let _ = writeln!(out);
        let _ = write!(out, "{:<w0$}", "feature");
        for r in &runs {
            let _ = write!(out, "  {:>26}", run_name(r));
        }
        let _ = writeln!(out);
        for f in &feats {
            let _ = write!(out, "{f:<w0$}");
            for r in &runs {
                let cell = d
                    .rows
                    .iter()
                    .find(|row| row.run == r.run.index && &row.feature == f)
                    .and_then(|row| row.measure("cut"))
                    .map(mean_ci)
                    .unwrap_or_else(|| "—".into());
                let _ = write!(out, "  {cell:>26}");
            }
            let _ = writeln!(out);
        }
    } else {
        let _ = writeln!(
            out,
            "{:<60} {:>26}",
            "run", "cut (all features), mean (95% CI)"
        );
        for r in &runs {
            let cell = d
                .rows
                .iter()
                .find(|row| row.run == r.run.index && row.feature == "all")
                .and_then(|row| row.measure("cut"))
                .map(mean_ci)
                .unwrap_or_default();
            let _ = writeln!(out, "{:<60} {cell:>26}", run_name(r));
        }
    }
    let any_blocked = d.rows.iter().any(|r| {
        r.measure("blocked_in_maintenance")
            .is_some_and(|e| e.mean > 0.0)
    });
    if any_blocked {
        let _ = writeln!(out);
        let _ = writeln!(
            out,
            "{:<60} {:>12} {:>12} {:>14}",
            "run: blocked during maintenance (all features)",
            "blocked",
            "% of arrivals",
            "peak/server"
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
            let name = r
                .labels
                .iter()
                .map(|(_, v)| v.as_str())
                .collect::<Vec<_>>()
                .join(" / ");
            let _ = writeln!(
                out,
                "{name:<60} {b:>12.1} {:>11.2} % {peak:>14.1}",
                fr * 100.0
            );
        }
    }
    if !d.comparisons.is_empty() && !has_sets {
        let _ = writeln!(out);
        let _ = writeln!(
            out,
            "hardware − DNS, paired per replication (all features):"
        );
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
    out
}
