//! `report.md`: the page a person reads first.

use std::fmt::Write as _;

use super::{ReportData, fixed, mean_ci};
use crate::model::{Action, LoadBalancing, Step};
use crate::scenario::Scenario;

fn describe_step(s: &Scenario, step: &Step) -> String {
    let servers = |v: &[u32]| -> String {
        v.iter().map(|x| format!("FE {}", x + 1)).collect::<Vec<_>>().join(", ")
    };
    let services = |m: crate::model::ServiceMask| -> String {
        if m == crate::model::ServiceMask::ALL {
            "all services".into()
        } else {
            s.base
                .services
                .iter()
                .enumerate()
                .filter(|(i, _)| m.contains(*i))
                .map(|(_, n)| n.clone())
                .collect::<Vec<_>>()
                .join(", ")
        }
    };
    let at = step.at.map(|a| format!("at {a}: ")).unwrap_or_default();
    let what = match &step.action {
        Action::Pause(t) => format!("pause {} ({})", servers(&t.servers), services(t.services)),
        Action::Resume(t) => format!("resume {} ({})", servers(&t.servers), services(t.services)),
        Action::StopGraceful(t) => {
            format!("stop gracefully {} ({})", servers(&t.servers), services(t.services))
        }
        Action::Stop(t) => format!("stop {} ({})", servers(&t.servers), services(t.services)),
        Action::Start(t) => format!("start {} ({})", servers(&t.servers), services(t.services)),
        Action::Restart { servers: v, downtime } => {
            format!("restart {} (down {downtime})", servers(v))
        }
        Action::SetStartup { target, startup } => format!(
            "set startup of {} ({}) to {}",
            servers(&target.servers),
            services(target.services),
            startup.name()
        ),
        Action::Wait { duration } => format!("wait {duration}"),
        Action::WaitUntilDrained { target, timeout } => format!(
            "wait until {} ({}) is drained{}",
            servers(&target.servers),
            services(target.services),
            timeout.map(|t| format!(", at most {t}")).unwrap_or_default()
        ),
    };
    format!("{at}{what}")
}

/// Renders `report.md`.
pub fn render_markdown(d: &ReportData<'_>) -> String {
    let s = d.scenario;
    let mut o = String::new();
    let _ = writeln!(o, "# {}\n", s.name);
    if let Some(desc) = &s.description {
        let _ = writeln!(o, "{}\n", desc.trim());
    }
    let p = &s.base.pool;
    let _ = writeln!(o, "## Scenario\n");
    let _ = writeln!(
        o,
        "- Pool: {} Front Ends, {} load balancing, quorum {}{}",
        p.servers,
        p.load_balancing.name(),
        p.quorum.name(),
        p.max_sessions_per_server
            .map(|m| format!(", at most {m} sessions per server"))
            .unwrap_or_default()
    );
    let _ = writeln!(
        o,
        "- Horizon {}, {} replications per run, seed {}",
        s.base.horizon, s.replications, s.seed
    );
    let _ = writeln!(o, "- Features: {}", s.base.features.iter().map(|f| f.name.as_str()).collect::<Vec<_>>().join(", "));
    if !s.axes.is_empty() {
        let _ = writeln!(
            o,
            "- Sweep: {}",
            s.axes
                .iter()
                .map(|a| format!("{} ({} values)", a.key, a.values.len()))
                .collect::<Vec<_>>()
                .join(" × ")
        );
    }
    let _ = writeln!(o, "\nPlan:\n");
    for (i, step) in s.base.plan.iter().enumerate() {
        let _ = writeln!(o, "{}. {}", i + 1, describe_step(s, step));
    }

    let _ = writeln!(o, "\n## Verdict\n");
    let verdicts: Vec<_> = d.comparisons.iter().filter(|c| c.feature == "all").collect();
    if verdicts.is_empty() {
        for r in d.rows.iter().filter(|r| r.feature == "all") {
            if let Some(e) = r.measure("cut") {
                let _ = writeln!(
                    o,
                    "- Run {} ({}): the plan cuts **{}** sessions per replication.",
                    r.run,
                    r.labels.iter().map(|(k, v)| format!("{k} = {v}")).collect::<Vec<_>>().join(", "),
                    mean_ci(e)
                );
            }
        }
    }
    for c in verdicts {
        let ctx = if c.labels.is_empty() {
            String::new()
        } else {
            format!(
                " ({})",
                c.labels.iter().map(|(k, v)| format!("{k} = {v}")).collect::<Vec<_>>().join(", ")
            )
        };
        let row = |run: usize, f: &str| d.rows.iter().find(|r| r.run == run && r.feature == f);
        let hw = row(c.hardware_run, "all").and_then(|r| r.measure("cut"));
        let dns = row(c.dns_run, "all").and_then(|r| r.measure("cut"));
        let (Some(hw), Some(dns)) = (hw, dns) else { continue };
        let hw_run = d.results.iter().find(|r| r.run.index == c.hardware_run);
        let ucas: f64 = hw_run
            .map(|r| {
                r.run
                    .config
                    .features
                    .iter()
                    .filter(|f| f.needs_dns_lb)
                    .filter_map(|f| row(c.hardware_run, &f.name).and_then(|x| x.measure("cut")))
                    .map(|e| e.mean)
                    .sum()
            })
            .unwrap_or(0.0);
        let _ = writeln!(
            o,
            "- With **hardware** load balancing{ctx}, the plan cuts **{}** sessions per replication \
             (95 % CI {}–{}), {} of them in features that need DNS load balancing to drain; with \
             **DNS** load balancing **{}** ({}–{}). Paired difference: {} (95 % CI {}–{}).",
            fixed(hw.mean, 2),
            fixed(hw.low, 2),
            fixed(hw.high, 2),
            fixed(ucas, 2),
            fixed(dns.mean, 2),
            fixed(dns.low, 2),
            fixed(dns.high, 2),
            fixed(c.diff.mean, 2),
            fixed(c.diff.low, 2),
            fixed(c.diff.high, 2),
        );
    }

    let _ = writeln!(o, "\n## Sessions cut per replication, mean (95 % CI)\n");
    let _ = write!(o, "| run |");
    let label_cols = super::label_columns(d.results);
    for c in &label_cols {
        let _ = write!(o, " {c} |");
    }
    let _ = writeln!(o, " feature | arrivals | cut | disrupted | blocked | landed on paused |");
    let _ = write!(o, "|---|");
    for _ in &label_cols {
        let _ = write!(o, "---|");
    }
    let _ = writeln!(o, "---|---:|---:|---:|---:|---:|");
    for r in d.rows {
        let m = |n: &str| r.measure(n).map(|e| fixed(e.mean, 2)).unwrap_or_default();
        let _ = write!(o, "| {} |", r.run);
        for (_, v) in &r.labels {
            let _ = write!(o, " {v} |");
        }
        let feature = if r.feature == "all" { "**all**".to_string() } else { r.feature.clone() };
        let _ = writeln!(
            o,
            " {feature} | {} | {} | {} | {} | {} |",
            m("arrivals"),
            r.measure("cut").map(mean_ci).unwrap_or_default(),
            m("disrupted"),
            m("blocked"),
            m("landed_on_paused")
        );
    }

    let _ = writeln!(o, "\n## Drains\n");
    let _ = writeln!(o, "| run | load balancing | drains | drained | p50 | p95 | p99 |");
    let _ = writeln!(o, "|---|---|---:|---:|---:|---:|---:|");
    for r in d.rows.iter().filter(|r| r.feature == "all") {
        if let Some(ds) = &r.drain {
            let lb = r.label("load_balancing").unwrap_or_default();
            let m = |x: f64| if x.is_finite() { format!("{:.0} s", x) } else { "—".into() };
            let _ = writeln!(
                o,
                "| {} | {lb} | {} | {} | {} | {} | {} |",
                r.run,
                ds.drains,
                if ds.drained_fraction.is_finite() { format!("{:.0} %", ds.drained_fraction * 100.0) } else { "—".into() },
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
    let _ = writeln!(o, "\n## Reproduce\n");
    let _ = writeln!(o, "```\n{}\n```\n", d.command);
    let _ = writeln!(
        o,
        "Files: `summary.csv` (per run and feature), `replications.csv` (raw counts and seeds), \
         `restarts.csv`, `drains.csv`, `timeseries.csv`{}, `scenario.toml` (the input).",
        if d.comparisons.is_empty() { "" } else { ", `compare.csv` (paired hardware − DNS)" }
    );
    let _ = LoadBalancing::Dns;
    o
}
