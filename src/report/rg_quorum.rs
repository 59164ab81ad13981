//! Routing-group quorum losses (R15): `rg_quorum.csv` and the section of `report.md` that
//! names the groups and when, written only when some replication lost one.

use std::fmt::Write as _;

use super::{ReportData, fixed, label_columns};

/// Whether any replication of any run lost a routing group's quorum.
pub fn any(d: &ReportData<'_>) -> bool {
    d.results.iter().any(|r| {
        r.replications
            .iter()
            .any(|o| !o.metrics.rg_quorum_losses.is_empty())
    })
}

/// `rg_quorum.csv`: one row per loss: run, its axis values, replication, group (1-based),
/// its replica servers, when it lost and regained quorum (s; empty: still lost at the end).
pub fn rg_quorum_csv(d: &ReportData<'_>) -> Vec<u8> {
    let mut out = Vec::new();
    // Writing into memory cannot fail.
    let _ = write_rg_quorum_csv(d, &mut out);
    out
}

/// [`rg_quorum_csv`], streamed into `out` a replication at a time.
pub fn write_rg_quorum_csv(
    d: &ReportData<'_>,
    out: &mut dyn std::io::Write,
) -> std::io::Result<()> {
    let mut o = String::from("run");
    for c in label_columns(d.results) {
        let _ = write!(o, ",{c}");
    }
    o.push_str(",replication,group,servers,lost_at_s,regained_at_s\n");
    for r in d.results {
        for rep in r.replications.iter() {
            for l in &rep.metrics.rg_quorum_losses {
                let _ = write!(o, "{}", r.run.index);
                for (_, v) in &r.run.labels {
                    let _ = write!(o, ",{v}");
                }
                let servers: Vec<String> = r.run.config.topology.routing_groups[l.group]
                    .iter()
                    .map(|&s| r.run.config.pool.names.column(s as usize))
                    .collect();
                let _ = writeln!(
                    o,
                    ",{},{},{},{},{}",
                    rep.replication,
                    l.group + 1,
                    servers.join(" "),
                    fixed(l.from.as_secs_f64(), 3),
                    l.to.map_or(String::new(), |t| fixed(t.as_secs_f64(), 3))
                );
            }
            out.write_all(o.as_bytes())?;
            o.clear();
        }
    }
    out.write_all(o.as_bytes())
}

/// "Routing-group quorum lost": per run, the groups of its first replication that lost it,
/// when, and the sessions blocked for it.
pub fn section(o: &mut String, d: &ReportData<'_>) {
    if !any(d) {
        return;
    }
    let _ = writeln!(
        o,
        "\n## Routing-group quorum lost\n\nA routing group whose replica servers run in less \
         than a majority (2 of 3) loses quorum: its users' new sessions are blocked until \
         enough of them are back. Every loss is in `rg_quorum.csv`.\n"
    );
    for r in d.results {
        let n = r.replications.len().max(1) as f64;
        let blocked: u64 = r
            .replications
            .iter()
            .map(|o| o.metrics.total().blocked_rg_quorum)
            .sum();
        let Some(first) = r
            .replications
            .iter()
            .find(|o| !o.metrics.rg_quorum_losses.is_empty())
        else {
            continue;
        };
        let groups: Vec<String> = first
            .metrics
            .rg_quorum_losses
            .iter()
            .take(8)
            .map(|l| {
                format!(
                    "group {} from {} to {}",
                    l.group + 1,
                    l.from,
                    l.to.map_or("the end".into(), |t| t.to_string())
                )
            })
            .collect();
        let more = first.metrics.rg_quorum_losses.len().saturating_sub(8);
        let labels: Vec<String> = r
            .run
            .labels
            .iter()
            .map(|(c, v)| format!("{c} = {v}"))
            .collect();
        let _ = writeln!(
            o,
            "- Run {} ({}): replication {}: {}{}; {} sessions blocked per night for it.",
            r.run.index,
            labels.join(", "),
            first.replication,
            groups.join(", "),
            if more > 0 {
                format!(" and {more} more")
            } else {
                String::new()
            },
            fixed(blocked as f64 / n, 2)
        );
    }
}
