//! The tables of `report.md`: sessions cut per run and feature, the paired hardware − DNS
//! differences, capacity during maintenance, and drains. Each quotes the summary rows with the
//! same decimals as the CSV files' readers expect.

use std::fmt::Write as _;

use super::clock::{window_cell, window_column};
use super::words::{human, num, percent};
use crate::model::LoadBalancing;
use crate::report::{ReportData, fixed, label_columns, mean_ci};
use crate::summary::SummaryRow;

/// Writes a Markdown table's header and alignment rows: an optional `run` column, the axis
/// columns `labels`, then `tail` (already `|`-separated) aligned by `tail_align`.
pub(super) fn table_head(
    o: &mut String,
    run: bool,
    labels: &[String],
    tail: &str,
    tail_align: &str,
) {
    let _ = write!(o, "{}", if run { "| run |" } else { "|" });
    for k in labels {
        let _ = write!(o, " {k} |");
    }
    let _ = writeln!(o, "{tail}");
    let _ = write!(o, "{}", if run { "|---|" } else { "|" });
    for _ in labels {
        let _ = write!(o, "---|");
    }
    let _ = writeln!(o, "{tail_align}");
}

/// The leading cells of a summary row: its run and axis values.
fn run_cells(o: &mut String, r: &SummaryRow) {
    let _ = write!(o, "| {} |", r.run);
    for (_, v) in &r.labels {
        let _ = write!(o, " {v} |");
    }
}

/// "**all**" for the all-features row, the feature's name otherwise.
fn feature_cell(feature: &str) -> String {
    if feature == "all" {
        "**all**".to_string()
    } else {
        feature.to_string()
    }
}

/// "Sessions cut per night": every summary row.
pub(super) fn cut_table(o: &mut String, d: &ReportData<'_>) {
    let _ = writeln!(o, "## Sessions cut per night, mean (95 % CI)\n");
    table_head(
        o,
        true,
        &label_columns(d.results),
        " feature | arrivals | cut | users cut | disrupted | blocked | landed on paused |",
        "---|---:|---:|---:|---:|---:|---:|",
    );
    for r in d.rows {
        let m = |n: &str| r.measure(n).map(|e| fixed(e.mean, 2)).unwrap_or_default();
        run_cells(o, r);
        let _ = writeln!(
            o,
            " {} | {} | {} | {} | {} | {} | {} |",
            feature_cell(&r.feature),
            m("arrivals"),
            r.measure("cut").map(mean_ci).unwrap_or_default(),
            r.measure("users_cut").map(mean_ci).unwrap_or_default(),
            m("disrupted"),
            m("blocked"),
            m("landed_on_paused")
        );
    }
    let _ = writeln!(
        o,
        "\n*Users cut* counts the people in the sessions cut: one per call or application \
         session, a conference's participants (by default the Lync Server 2013 user model's \
         sizes: 4, 6 or 11); `users_*` columns of `summary.csv` give every measure in users."
    );
}

/// "Hardware − DNS, paired night by night", when the runs come in DNS/hardware pairs.
pub(super) fn paired_table(o: &mut String, d: &ReportData<'_>) {
    if d.comparisons.is_empty() {
        return;
    }
    let _ = writeln!(o, "\n## Hardware − DNS, paired night by night\n");
    let extra: Vec<String> = d
        .comparisons
        .first()
        .map(|c| c.labels.iter().map(|(k, _)| k.clone()).collect())
        .unwrap_or_default();
    table_head(
        o,
        false,
        &extra,
        " feature | DNS cut | hardware cut | difference (95 % CI) |",
        "---|---:|---:|---:|",
    );
    for c in d.comparisons {
        let _ = write!(o, "|");
        for (_, v) in &c.labels {
            let _ = write!(o, " {v} |");
        }
        let _ = writeln!(
            o,
            " {} | {} | {} | {} |",
            feature_cell(&c.feature),
            num(c.dns_cut_mean),
            num(c.hardware_cut_mean),
            mean_ci(&c.diff)
        );
    }
    let _ = writeln!(
        o,
        "\nEach replication runs the same arrivals and holding times under both load balancings, \
         so the difference is measured night by night; `compare.csv` also gives the wider \
         interval the runs would have had if they were independent."
    );
}

/// "Capacity during maintenance", when the summary has maintenance statistics.
pub(super) fn capacity_table(o: &mut String, d: &ReportData<'_>) {
    let rows: Vec<&SummaryRow> = d
        .rows
        .iter()
        .filter(|r| r.feature == "all" && r.column("maintenance_s_mean").is_some())
        .collect();
    if rows.is_empty() {
        return;
    }
    let _ = writeln!(o, "\n## Capacity during maintenance\n");
    let window = window_column(d);
    let (mut head, mut align) = (
        " plan finished | plan failed | plan duration, median |".to_string(),
        "---:|---:|---:|".to_string(),
    );
    if let Some((h, a)) = window {
        head.push_str(h);
        align.push_str(a);
    }
    head.push_str(" peak sessions on a server, mean (max) | time above threshold, mean |");
    align.push_str("---:|---:|");
    table_head(o, true, &label_columns(d.results), &head, &align);
    for r in rows {
        let c = |name: &str| r.column(name).unwrap_or(f64::NAN);
        let dur = |x: f64| {
            if x.is_finite() {
                human(x)
            } else {
                "—".into()
            }
        };
        run_cells(o, r);
        let _ = write!(
            o,
            " {} | {} | {} |",
            percent(c("plan_finished_fraction")),
            percent(c("plan_failed_fraction")),
            dur(c("maintenance_s_p50")),
        );
        if window.is_some() {
            let _ = write!(o, " {} |", window_cell(d, r.run));
        }
        let _ = writeln!(
            o,
            " {} ({}) | {} |",
            fixed(c("peak_sessions_per_server_mean"), 1),
            fixed(c("peak_sessions_per_server_max"), 0),
            dur(c("above_threshold_s_mean")),
        );
    }
    let _ = writeln!(
        o,
        "\nMaintenance runs from the plan's first step to its last; the peak is the most sessions \
         any server carried meanwhile (mean over replications, and the largest); time above \
         threshold is the longest any server spent at or above the pool's utilisation threshold."
    );
}

/// "Drains": per run, how many pauses drained and how long they took.
pub(super) fn drains_table(o: &mut String, d: &ReportData<'_>) {
    let _ = writeln!(o, "\n## Drains\n");
    table_head(
        o,
        true,
        &label_columns(d.results),
        " drains | drained | p50 | p95 | p99 |",
        "---:|---:|---:|---:|---:|",
    );
    for r in d.rows.iter().filter(|r| r.feature == "all") {
        if let Some(ds) = &r.drain {
            let m = |x: f64| {
                if x.is_finite() {
                    format!("{:.0} s", x)
                } else {
                    "—".into()
                }
            };
            run_cells(o, r);
            let _ = writeln!(
                o,
                " {} | {} | {} | {} | {} |",
                ds.drains,
                percent(ds.drained_fraction),
                m(ds.p50_s),
                m(ds.p95_s),
                m(ds.p99_s)
            );
        }
    }
    let _ = writeln!(
        o,
        "\nA drain runs from a server's first pause to its last session on the paused services; \
         one cut short by a restart, stop, resume or the horizon counts as not drained."
    );
}

/// "Sessions that did not get through": per run, arrivals, blocked, failed and the setup delay,
/// when some run blocked or failed a session or a DNS run delayed a setup (retries after a
/// paused or down server).
pub(super) fn not_through_table(o: &mut String, d: &ReportData<'_>) {
    let rows: Vec<(&SummaryRow, bool)> = d
        .rows
        .iter()
        .filter(|r| r.feature == "all")
        .map(|r| {
            let dns = d
                .results
                .iter()
                .find(|x| x.run.index == r.run)
                .is_some_and(|x| x.run.config.pool.load_balancing == LoadBalancing::Dns);
            (r, dns)
        })
        .collect();
    let mean = |r: &SummaryRow, n: &str| r.measure(n).map(|e| e.mean).unwrap_or(0.0);
    let shown = rows.iter().any(|(r, dns)| {
        mean(r, "blocked") > 0.0
            || mean(r, "failed") > 0.0
            || (*dns && mean(r, "setup_delay_s") > 0.0)
    });
    if !shown {
        return;
    }
    let _ = writeln!(o, "\n## Sessions that did not get through\n");
    table_head(
        o,
        true,
        &label_columns(d.results),
        " arrivals | blocked | failed | setup delay, mean | p50 | p95 | p99 |",
        "---:|---:|---:|---:|---:|---:|---:|",
    );
    for (r, _) in rows {
        let q = |i: usize| format!("{} s", fixed(r.setup_delay_quantiles[i], 2));
        run_cells(o, r);
        let _ = writeln!(
            o,
            " {} | {} | {} | {} s | {} | {} | {} |",
            fixed(mean(r, "arrivals"), 2),
            r.measure("blocked").map(mean_ci).unwrap_or_default(),
            r.measure("failed").map(mean_ci).unwrap_or_default(),
            fixed(mean(r, "setup_delay_s"), 2),
            q(0),
            q(1),
            q(2)
        );
    }
    let _ = writeln!(
        o,
        "\nPer replication, all features. Blocked: no server could take the session. Failed: \
         sent to a server that was down (a hardware load balancer that has not yet noticed). \
         Setup delay: the time a client spent on retries before a server took the session \
         (DNS load balancing tries the next address after a paused or down server), over every \
         accepted session."
    );
}
