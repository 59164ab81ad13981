//! The CSV files of the report folder (see docs/formats.md): `summary.csv`, `replications.csv`,
//! `restarts.csv`, `drains.csv`, `timeseries.csv`, and when they apply `compare.csv`,
//! `feature-sets.csv` and `domains.csv`.
//!
//! Every per-run table starts with `run` and the axis columns; numbers are written with
//! [`fixed`] so that the same seed gives the same bytes.

use std::io::{self, Write};

use super::{ReportData, fixed, label_columns};
use crate::runner::{ReplicationOutcome, RunResult};
use crate::stats::{Estimate, MEASURES};
use crate::summary::{self, SummaryRow};

/// A time in seconds with three decimals.
fn secs(t: crate::engine::SimTime) -> String {
    fixed(t.as_secs_f64(), 3)
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
fn replication_prefix(r: &RunResult, rep: &ReplicationOutcome) -> Vec<String> {
    let mut v = run_prefix(r);
    v.push(rep.replication.to_string());
    v
}

/// A table written row by row into `out` as the rows are produced (the per-replication tables
/// grow with the replications: they are never held in memory whole).
fn csv_stream(
    out: &mut dyn Write,
    header: Vec<String>,
    mut rows: impl FnMut(&mut dyn FnMut(Vec<String>) -> io::Result<()>) -> io::Result<()>,
) -> io::Result<()> {
    let mut w = csv::WriterBuilder::new().from_writer(out);
    w.write_record(&header)?;
    rows(&mut |r| w.write_record(&r).map_err(io::Error::other))?;
    w.flush()
}

/// A streamed table, in memory.
fn in_memory(write: impl FnOnce(&mut dyn Write) -> io::Result<()>) -> Vec<u8> {
    let mut out = Vec::new();
    // Writing into memory cannot fail.
    let _ = write(&mut out);
    out
}

/// A CSV file in memory.
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
    in_memory(|w| write_replications_csv(d, w))
}

/// [`replications_csv`], streamed into `out`.
pub fn write_replications_csv(d: &ReportData<'_>, out: &mut dyn Write) -> io::Result<()> {
    let mut header = run_header(d);
    header.extend(["replication", "seed", "feature"].map(String::from));
    header.extend(MEASURES.iter().map(|(m, _)| m.to_string()));
    csv_stream(out, header, |row| {
        for r in d.results {
            for rep in r.replications.iter() {
                for (f, feat) in r.run.config.features.iter().enumerate() {
                    let c = &rep.metrics.features[f];
                    let mut v = replication_prefix(r, &rep);
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
                    row(v)?;
                }
            }
        }
        Ok(())
    })
}

/// `restarts.csv`: per restart and feature, sessions cut and disrupted.
pub fn restarts_csv(d: &ReportData<'_>) -> Vec<u8> {
    in_memory(|w| write_restarts_csv(d, w))
}

/// [`restarts_csv`], streamed into `out`.
pub fn write_restarts_csv(d: &ReportData<'_>, out: &mut dyn Write) -> io::Result<()> {
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
            "users_cut",
            "users_disrupted",
        ]
        .map(String::from),
    );
    csv_stream(out, header, |row| {
        for r in d.results {
            for rep in r.replications.iter() {
                for rs in &rep.metrics.restarts {
                    for (f, feat) in r.run.config.features.iter().enumerate() {
                        let mut v = replication_prefix(r, &rep);
                        v.push(r.run.config.pool.names.column(rs.server));
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
                        v.push(rs.users_cut[f].to_string());
                        v.push(rs.users_disrupted[f].to_string());
                        row(v)?;
                    }
                }
            }
        }
        Ok(())
    })
}

/// `drains.csv`: every drain, from pause to its end.
pub fn drains_csv(d: &ReportData<'_>) -> Vec<u8> {
    in_memory(|w| write_drains_csv(d, w))
}

/// [`drains_csv`], streamed into `out`.
pub fn write_drains_csv(d: &ReportData<'_>, out: &mut dyn Write) -> io::Result<()> {
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
    csv_stream(out, header, |row| {
        for r in d.results {
            for rep in r.replications.iter() {
                for dr in &rep.metrics.drains {
                    let mut v = replication_prefix(r, &rep);
                    v.push(r.run.config.pool.names.column(dr.server));
                    v.push(secs(dr.paused_at));
                    v.push(secs(dr.ended_at));
                    v.push(dr.end.name().to_string());
                    v.push(dr.drain_time().map(secs).unwrap_or_default());
                    v.push(dr.left.to_string());
                    row(v)?;
                }
            }
        }
        Ok(())
    })
}

/// The time series of a run without replications.
static EMPTY_SERIES: crate::model::metrics::TimeSeries = crate::model::metrics::TimeSeries {
    times: Vec::new(),
    active: Vec::new(),
};

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
    // Rows are made one at a time as they are written: held all at once, a pool of 1,000
    // servers made hundreds of MB of cells for a 16 MB file.
    let rows = d.results.iter().flat_map(move |r| {
        let empty: &'static crate::model::metrics::TimeSeries = &EMPTY_SERIES;
        let ts = r
            .replications
            .first()
            .map_or(empty, |rep| &rep.metrics.timeseries);
        let feats = &r.run.config.features;
        let nf = feats.len();
        let n = r.run.config.pool.servers as usize;
        let cols: Vec<Option<usize>> = all
            .iter()
            .map(|name| feats.iter().position(|f| &f.name == name))
            .collect();
        let samples = ts.times.len();
        (0..samples).flat_map(move |k| {
            let cols = cols.clone();
            (0..n).map(move |s| {
                let base = k * n * nf + s * nf;
                let mut v = run_prefix(r);
                v.push(secs(ts.times[k]));
                v.push(r.run.config.pool.names.column(s));
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
                v
            })
        })
    });
    csv_bytes(header, rows)
}

/// `compare.csv`: paired differences hardware − DNS of sessions cut, then of users cut.
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
            "p_value",
            "dns_users_cut_mean",
            "hardware_users_cut_mean",
            "users_diff_mean",
            "users_diff_ci95_low",
            "users_diff_ci95_high",
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
        // One-sided paired t-test of "hardware cuts more than DNS".
        v.push(
            crate::expect::p_value_greater(&c.diff).map_or(String::new(), |p| format!("{p:.3e}")),
        );
        // The users twins (R21), after the sessions' columns.
        for x in [
            c.dns_users_cut_mean,
            c.hardware_users_cut_mean,
            c.users_diff.mean,
            c.users_diff.low,
            c.users_diff.high,
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
    pub dns: Option<Estimate>,
    /// Total cut under hardware, if that run exists.
    pub hardware: Option<Estimate>,
    /// Paired difference hardware − DNS.
    pub diff: Option<Estimate>,
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
    in_memory(|w| write_domains_csv(d, w))
}

/// [`domains_csv`], streamed into `out`.
pub fn write_domains_csv(d: &ReportData<'_>, out: &mut dyn Write) -> io::Result<()> {
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
    csv_stream(out, header, |row| {
        for r in d.results {
            for rep in r.replications.iter() {
                for dr in &rep.metrics.domains {
                    let mut v = replication_prefix(r, &rep);
                    v.push((dr.domain + 1).to_string());
                    v.push(
                        r.run.config.topology.upgrade_domains[dr.domain]
                            .iter()
                            .map(|&s| r.run.config.pool.names.column(s as usize))
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
                    v.push(dr.outcome.name().to_string());
                    row(v)?;
                }
            }
        }
        Ok(())
    })
}
