//! `report.md`: the page a person reads first.
//!
//! Order: the scenario in brief, the verdict in plain words, the charts, the tables, and the
//! command that reproduces the report. Every number in the verdict is a summary row's number
//! written with [`fixed`]`(x, 2)`, the same two decimals as the tables, so the words and the
//! tables never disagree.

use std::fmt::Write as _;

use super::charts::Drawn;
use super::{ReportData, fixed, mean_ci};
use crate::model::{Action, HealthMonitor, HlbAlgorithm, LoadBalancing, Step};
use crate::runner::RunResult;
use crate::scenario::Scenario;
use crate::stats::Estimate;
use crate::summary::{Comparison, SummaryRow};

fn describe_step(s: &Scenario, step: &Step) -> String {
    let servers = |v: &[u32]| -> String {
        v.iter()
            .map(|x| format!("FE {}", x + 1))
            .collect::<Vec<_>>()
            .join(", ")
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
            format!(
                "stop gracefully {} ({})",
                servers(&t.servers),
                services(t.services)
            )
        }
        Action::Stop(t) => format!("stop {} ({})", servers(&t.servers), services(t.services)),
        Action::Start(t) => format!("start {} ({})", servers(&t.servers), services(t.services)),
        Action::Restart {
            servers: v,
            downtime,
        } => {
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
            timeout
                .map(|t| format!(", at most {t}"))
                .unwrap_or_default()
        ),
        Action::RollingRestart {
            downtime,
            drain_timeout,
        } => format!(
            "rolling restart by upgrade domain ({} domains; each drained{}, down {downtime})",
            s.base.topology.upgrade_domains.len(),
            drain_timeout
                .map(|t| format!(" for at most {t}"))
                .unwrap_or_default()
        ),
        Action::Failover {
            servers: v,
            wait_time,
        } => format!(
            "fail over {} (Invoke-CsComputerFailOver, wait at most {wait_time})",
            servers(v)
        ),
        Action::Failback { servers: v } => {
            format!("fail back {} (Invoke-CsComputerFailBack)", servers(v))
        }
    };
    format!("{at}{what}")
}

/// Two decimals, as in the tables: the one number format of the verdict.
fn num(x: f64) -> String {
    fixed(x, 2)
}

/// "(95 % CI 11.80–12.90)", or a note when there is no interval (one replication).
fn ci(e: &Estimate) -> String {
    if e.low.is_finite() && e.high.is_finite() {
        format!("(95 % CI {}–{})", num(e.low), num(e.high))
    } else {
        "(one replication: no confidence interval)".into()
    }
}

/// How a person calls a catalogue feature; other features keep their scenario name.
fn display_name(name: &str) -> String {
    match name {
        "im" => "peer-to-peer IM".into(),
        "av_conference" => "A/V conference".into(),
        "web_conference" => "web conference".into(),
        "app_sharing" => "application sharing".into(),
        "im_conference" => "IM conference".into(),
        "pstn_call" => "PSTN call".into(),
        "conferencing_attendant" => "Conferencing Attendant".into(),
        "conferencing_announcement" => "Conferencing Announcement".into(),
        "response_group" => "Response Group".into(),
        "announcement" => "Announcement".into(),
        "call_park" => "Call Park".into(),
        other => format!("`{other}`"),
    }
}

/// "a", "a and b", "a, b and c".
fn and_list(items: &[String]) -> String {
    match items {
        [] => String::new(),
        [a] => a.clone(),
        [rest @ .., last] => format!("{} and {last}", rest.join(", ")),
    }
}

/// A duration for prose: "45 s", "30 min", "12.5 min", "1 h 30 min".
fn human(secs: f64) -> String {
    if secs < 60.0 {
        format!("{} s", secs.round())
    } else if secs < 3600.0 || (secs % 60.0).abs() > 0.5 {
        let m = fixed(secs / 60.0, 1);
        format!("{} min", m.strip_suffix(".0").unwrap_or(&m))
    } else {
        let m = (secs / 60.0).round() as u64;
        if m.is_multiple_of(60) {
            format!("{} h", m / 60)
        } else {
            format!("{} h {} min", m / 60, m % 60)
        }
    }
}

fn fe_list(servers: &[usize]) -> String {
    if servers.len() > 4 {
        format!("{} Front Ends", servers.len())
    } else {
        and_list(
            &servers
                .iter()
                .map(|s| format!("FE {}", s + 1))
                .collect::<Vec<_>>(),
        )
    }
}

/// "restarting FE 1 30 min after pausing it", from the run's restart records.
fn restart_phrase(r: &RunResult) -> Option<String> {
    let mut servers: Vec<usize> = Vec::new();
    let mut since: Vec<f64> = Vec::new();
    for rep in &r.replications {
        for rs in &rep.metrics.restarts {
            if !servers.contains(&rs.server) {
                servers.push(rs.server);
            }
            if let Some(p) = rs.paused_at {
                since.push(rs.at.since(p).as_secs_f64());
            }
        }
    }
    if servers.is_empty() {
        return None;
    }
    let it = if servers.len() == 1 { "it" } else { "each" };
    let when = if since.is_empty() {
        format!(
            " without pausing {} first",
            if servers.len() == 1 { "it" } else { "them" }
        )
    } else {
        let lo = since.iter().copied().fold(f64::INFINITY, f64::min);
        let hi = since.iter().copied().fold(0.0, f64::max);
        if hi - lo < 1.0 {
            format!(" {} after pausing {it}", human(lo))
        } else {
            let mean = since.iter().sum::<f64>() / since.len() as f64;
            format!(
                " on average {} after pausing {it} ({} to {})",
                human(mean),
                human(lo),
                human(hi)
            )
        }
    };
    Some(format!("restarting {}{when}", fe_list(&servers)))
}

fn summary_row<'r>(d: &'r ReportData<'_>, run: usize, feature: &str) -> Option<&'r SummaryRow> {
    d.rows.iter().find(|r| r.run == run && r.feature == feature)
}

fn cut(d: &ReportData<'_>, run: usize, feature: &str) -> Option<Estimate> {
    summary_row(d, run, feature)
        .and_then(|r| r.measure("cut"))
        .copied()
}

fn result<'r>(d: &ReportData<'r>, run: usize) -> Option<&'r RunResult> {
    d.results.iter().find(|r| r.run.index == run)
}

/// Features of a run with their mean cut, largest first (ties in scenario order).
fn cut_by_feature(d: &ReportData<'_>, run: usize, only_dns_dependent: bool) -> Vec<(String, f64)> {
    let Some(r) = result(d, run) else {
        return Vec::new();
    };
    let mut v: Vec<(String, f64)> = r
        .run
        .config
        .features
        .iter()
        .filter(|f| !only_dns_dependent || f.needs_dns_lb)
        .filter_map(|f| cut(d, run, &f.name).map(|e| (f.name.clone(), e.mean)))
        .collect();
    v.sort_by(|a, b| b.1.total_cmp(&a.1));
    v
}

/// The few features that make up at least 80 % of `v`'s total (at most three).
fn dominant(v: &[(String, f64)]) -> Vec<(String, f64)> {
    let total: f64 = v.iter().map(|x| x.1).sum();
    let mut out = Vec::new();
    let mut acc = 0.0;
    for x in v.iter().filter(|x| num(x.1) != num(0.0)) {
        if out.len() == 3 || acc >= 0.8 * total {
            break;
        }
        acc += x.1;
        out.push(x.clone());
    }
    out
}

fn context_text(labels: &[(String, String)]) -> String {
    if labels.is_empty() {
        String::new()
    } else {
        format!(
            " ({})",
            labels
                .iter()
                .map(|(k, v)| format!("{k} = {v}"))
                .collect::<Vec<_>>()
                .join(", ")
        )
    }
}

fn drain_phrase(d: &ReportData<'_>, run: usize) -> Option<(f64, f64)> {
    let ds = summary_row(d, run, "all")?.drain.as_ref()?;
    ds.drained_fraction
        .is_finite()
        .then_some((ds.drained_fraction, ds.p50_s))
}

/// The verdict on one DNS/hardware pair.
fn verdict_pair(d: &ReportData<'_>, c: &Comparison) -> Option<String> {
    let hw = cut(d, c.hardware_run, "all")?;
    let dns = cut(d, c.dns_run, "all")?;
    let hw_phrase = result(d, c.hardware_run).and_then(restart_phrase);
    let dns_phrase = result(d, c.dns_run).and_then(restart_phrase);
    let subject = hw_phrase.clone().unwrap_or_else(|| "the plan".into());
    let mut o = format!(
        "With **hardware** load balancing{}, {subject} cuts **{}** sessions per replication {}",
        context_text(&c.labels),
        num(hw.mean),
        ci(&hw)
    );
    let ucas = cut_by_feature(d, c.hardware_run, true);
    let ucas_total: f64 = ucas.iter().map(|x| x.1).sum();
    if !ucas.is_empty() {
        let top = dominant(&ucas);
        if top.is_empty() {
            o.push_str(", none of them in the features that need DNS load balancing to drain");
        } else {
            let part: f64 = top.iter().map(|x| x.1).sum();
            let names: Vec<String> = top.iter().map(|x| display_name(&x.0)).collect();
            let _ = write!(
                o,
                ", **{}** of them {} sessions",
                num(part),
                and_list(&names)
            );
            if num(part) != num(ucas_total) {
                let _ = write!(
                    o,
                    " ({} in all features that need DNS load balancing to drain)",
                    num(ucas_total)
                );
            }
        }
    }
    o.push_str("; with **DNS** load balancing");
    if dns_phrase.is_some() && dns_phrase != hw_phrase {
        let _ = write!(o, ", {}, it cuts", dns_phrase.unwrap_or_default());
    }
    let _ = write!(o, " **{}** {}.", num(dns.mean), ci(&dns));
    let diff = &c.diff;
    if diff.low.is_finite() && diff.high.is_finite() {
        if diff.low > 0.0 {
            let _ = write!(
                o,
                " Paired on the same sessions, hardware load balancing cuts {} more per replication {}.",
                num(diff.mean),
                ci(diff)
            );
        } else if diff.high < 0.0 {
            let _ = write!(
                o,
                " Paired on the same sessions, hardware load balancing cuts {} fewer per replication {}.",
                num(-diff.mean),
                ci(&Estimate {
                    low: -diff.high,
                    high: -diff.low,
                    ..*diff
                })
            );
        } else {
            let _ = write!(
                o,
                " The paired difference (hardware − DNS), {} {}, is not significant: here the \
                 load balancing makes no measurable difference.",
                num(diff.mean),
                ci(diff)
            );
        }
    }
    let dns_top = dominant(&cut_by_feature(d, c.dns_run, false));
    if !dns_top.is_empty() {
        let names: Vec<String> = dns_top
            .iter()
            .map(|(n, m)| format!("{} ({})", display_name(n), num(*m)))
            .collect();
        let _ = write!(
            o,
            " What DNS load balancing still cuts is mostly {}: sessions still running when the server went down.",
            and_list(&names)
        );
    }
    if let (Some((fd, md)), Some((fh, mh))) =
        (drain_phrase(d, c.dns_run), drain_phrase(d, c.hardware_run))
    {
        let median = |f: f64, m: f64| {
            if f > 0.0 && m.is_finite() {
                format!(", median {}", human(m))
            } else {
                String::new()
            }
        };
        let _ = write!(
            o,
            " {} in {:.0} % of pauses with DNS load balancing{} and in {:.0} % with hardware{}.",
            drained_words(result(d, c.hardware_run), hw_phrase.is_some()),
            fd * 100.0,
            median(fd, md),
            fh * 100.0,
            median(fh, mh)
        );
    }
    Some(o)
}

/// "The paused server had fully drained before its restart", in the number the run needs.
fn drained_words(r: Option<&RunResult>, restarted: bool) -> String {
    let servers = r
        .map(|r| {
            let mut v: Vec<usize> = Vec::new();
            for dr in r.replications.iter().flat_map(|rep| &rep.metrics.drains) {
                if !v.contains(&dr.server) {
                    v.push(dr.server);
                }
            }
            v.len()
        })
        .unwrap_or(1);
    let (who, its) = if servers > 1 {
        ("paused servers", "their")
    } else {
        ("paused server", "its")
    };
    if restarted {
        format!("The {who} had fully drained before {its} restart")
    } else {
        format!("The {who} had fully drained")
    }
}

/// The verdict on a run without a DNS/hardware partner.
fn verdict_single(d: &ReportData<'_>, r: &RunResult) -> Option<String> {
    let e = cut(d, r.run.index, "all")?;
    let lb = r.run.config.pool.load_balancing;
    let labels: Vec<(String, String)> = r
        .run
        .labels
        .iter()
        .filter(|(k, _)| k != "load_balancing")
        .cloned()
        .collect();
    let subject = restart_phrase(r).unwrap_or_else(|| "the plan".into());
    let mut o = format!(
        "With **{}** load balancing{}, {subject} cuts **{}** sessions per replication {}",
        lb_word(lb),
        context_text(&labels),
        num(e.mean),
        ci(&e)
    );
    let top = dominant(&cut_by_feature(d, r.run.index, false));
    if !top.is_empty() {
        let names: Vec<String> = top
            .iter()
            .map(|(n, m)| format!("{} ({})", display_name(n), num(*m)))
            .collect();
        let _ = write!(o, ", mostly {}", and_list(&names));
    }
    o.push('.');
    if let Some((f, m)) = drain_phrase(d, r.run.index) {
        let _ = write!(
            o,
            " {} in {:.0} % of pauses",
            drained_words(Some(r), restart_phrase(r).is_some()),
            f * 100.0
        );
        if f > 0.0 && m.is_finite() {
            let _ = write!(o, " (median {})", human(m));
        }
        o.push('.');
    }
    Some(o)
}

/// A sweep with many runs: a count, the most telling case in full, and a table.
fn verdict_many(o: &mut String, d: &ReportData<'_>, pairs: &[&Comparison], singles: &[&RunResult]) {
    if !pairs.is_empty() {
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
            let pct = |run: usize| {
                drain_phrase(d, run)
                    .map(|(f, _)| format!("{:.0} %", f * 100.0))
                    .unwrap_or_else(|| "—".into())
            };
            let _ = writeln!(
                o,
                " {} | {} | {} | {} / {} |",
                mean_ci(&hw),
                mean_ci(&dns),
                mean_ci(&c.diff),
                pct(c.dns_run),
                pct(c.hardware_run)
            );
        }
        let _ = writeln!(o);
    }
    if !singles.is_empty() {
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
        let cols = super::label_columns(d.results);
        table_head(
            o,
            false,
            &cols,
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
            let top: Vec<String> = dominant(&cut_by_feature(d, r.run.index, false))
                .iter()
                .map(|(n, m)| format!("{} ({})", display_name(n), num(*m)))
                .collect();
            let drained = drain_phrase(d, r.run.index)
                .map(|(f, _)| format!("{:.0} %", f * 100.0))
                .unwrap_or_else(|| "—".into());
            let _ = writeln!(
                o,
                " {} | {} | {drained} |",
                mean_ci(&e),
                if top.is_empty() {
                    "—".to_string()
                } else {
                    top.join(", ")
                }
            );
        }
        let _ = writeln!(o);
    }
}

/// The capacity table, when the summary has maintenance statistics.
/// Writes a Markdown table's header and alignment rows: an optional `run` column, the axis
/// columns `labels`, then `tail` (already `|`-separated) aligned by `tail_align`.
fn table_head(o: &mut String, run: bool, labels: &[String], tail: &str, tail_align: &str) {
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

fn capacity_table(o: &mut String, d: &ReportData<'_>) {
    let rows: Vec<&SummaryRow> = d
        .rows
        .iter()
        .filter(|r| r.feature == "all" && r.column("maintenance_s_mean").is_some())
        .collect();
    if rows.is_empty() {
        return;
    }
    let _ = writeln!(o, "\n## Capacity during maintenance\n");
    let cols = super::label_columns(d.results);
    table_head(
        o,
        true,
        &cols,
        " plan finished | plan failed | plan duration, median | peak sessions on a server, mean (max) | time above threshold, mean |",
        "---:|---:|---:|---:|---:|",
    );
    for r in rows {
        let c = |name: &str| r.column(name).unwrap_or(f64::NAN);
        let pct = |x: f64| {
            if x.is_finite() {
                format!("{:.0} %", x * 100.0)
            } else {
                "—".into()
            }
        };
        let dur = |x: f64| {
            if x.is_finite() {
                human(x)
            } else {
                "—".into()
            }
        };
        let _ = write!(o, "| {} |", r.run);
        for (_, v) in &r.labels {
            let _ = write!(o, " {v} |");
        }
        let _ = writeln!(
            o,
            " {} | {} | {} | {} ({}) | {} |",
            pct(c("plan_finished_fraction")),
            pct(c("plan_failed_fraction")),
            dur(c("maintenance_s_p50")),
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

fn lb_word(lb: LoadBalancing) -> &'static str {
    match lb {
        LoadBalancing::Dns => "DNS",
        LoadBalancing::Hardware => "hardware",
    }
}

fn hardware_words(h: &crate::model::HardwareConfig) -> String {
    let algorithm = match h.algorithm {
        HlbAlgorithm::RoundRobin => "round robin",
        HlbAlgorithm::LeastConnections => "least connections",
        HlbAlgorithm::Random => "random choice",
    };
    let monitor = match h.health_monitor {
        HealthMonitor::Port => "a port-5061 health monitor (a paused server still looks up)",
        HealthMonitor::Service => {
            "an application-aware health monitor (a paused server looks down)"
        }
    };
    format!(
        "{algorithm}, {monitor}, detection delay {}; {:.0} % of the sessions it sends to a paused \
         server that need DNS load balancing stay there",
        h.detect_delay,
        h.not_redirected * 100.0
    )
}

/// Renders `report.md`; `charts` are the charts [`super::render`] drew (or failed to).
pub fn render_markdown(d: &ReportData<'_>, charts: &[Drawn]) -> String {
    let s = d.scenario;
    let mut o = String::new();
    let _ = writeln!(o, "# {}\n", s.name);
    if let Some(desc) = &s.description {
        let _ = writeln!(o, "{}\n", desc.trim());
    }
    let p = &s.base.pool;
    let _ = writeln!(o, "## The scenario in brief\n");
    let _ = writeln!(
        o,
        "- Pool: {} Front Ends, quorum {}{}.",
        p.servers,
        p.quorum.name(),
        p.max_sessions_per_server
            .map(|m| format!(", at most {m} sessions per server"))
            .unwrap_or_default()
    );
    let lbs: Vec<LoadBalancing> = {
        let mut v = Vec::new();
        for r in d.results {
            let lb = r.run.config.pool.load_balancing;
            if !v.contains(&lb) {
                v.push(lb);
            }
        }
        if v.is_empty() {
            v.push(p.load_balancing);
        }
        v
    };
    let lb_line = if lbs.len() > 1 {
        "DNS and hardware, compared on the same sessions (common random numbers)".to_string()
    } else {
        lb_word(lbs[0]).to_string()
    };
    let _ = write!(o, "- Load balancing: {lb_line}");
    if lbs.contains(&LoadBalancing::Hardware) {
        let _ = write!(
            o,
            ". The hardware load balancer: {}",
            hardware_words(&p.hardware)
        );
    }
    let _ = writeln!(o, ".");
    let feats = &s.base.features;
    let ucas: Vec<&str> = feats
        .iter()
        .filter(|f| f.needs_dns_lb)
        .map(|f| f.name.as_str())
        .collect();
    let _ = write!(
        o,
        "- Features: {}",
        feats
            .iter()
            .map(|f| f.name.as_str())
            .collect::<Vec<_>>()
            .join(", ")
    );
    if !ucas.is_empty() {
        let _ = write!(
            o,
            "; those that need DNS load balancing to drain: {}",
            ucas.join(", ")
        );
    }
    let _ = writeln!(o, ".");
    let _ = writeln!(
        o,
        "- Horizon {}, {} replications per run, seed {}.",
        s.base.horizon, s.replications, s.seed
    );
    if !s.axes.is_empty() {
        let _ = writeln!(
            o,
            "- Sweep: {} ({} runs).",
            s.axes
                .iter()
                .map(|a| format!(
                    "{} ({})",
                    a.column(),
                    (0..a.values.len())
                        .map(|i| a.label(i))
                        .collect::<Vec<_>>()
                        .join(", ")
                ))
                .collect::<Vec<_>>()
                .join(" × "),
            d.results.len()
        );
    }
    let _ = writeln!(o, "\nPlan:\n");
    for (i, step) in s.base.plan.iter().enumerate() {
        let _ = writeln!(o, "{}. {}", i + 1, describe_step(s, step));
    }

    let _ = writeln!(o, "\n## Verdict\n");
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
    if pairs.len() + singles.len() <= 4 {
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
    } else {
        verdict_many(&mut o, d, &pairs, &singles);
    }

    if !charts.is_empty() {
        let _ = writeln!(o, "\n## Charts\n");
        for c in charts {
            let _ = writeln!(o, "### {}\n", c.chart.title);
            match &c.error {
                None => {
                    let _ = writeln!(o, "![{}]({}.svg)\n", c.chart.title, c.chart.name);
                    let _ = writeln!(
                        o,
                        "{} (PNG: [{n}.png]({n}.png))\n",
                        c.chart.caption,
                        n = c.chart.name
                    );
                }
                Some(e) => {
                    let _ = writeln!(o, "*This chart could not be drawn: {e}*\n");
                }
            }
        }
    }

    let _ = writeln!(o, "## Sessions cut per replication, mean (95 % CI)\n");
    let label_cols = super::label_columns(d.results);
    table_head(
        &mut o,
        true,
        &label_cols,
        " feature | arrivals | cut | disrupted | blocked | landed on paused |",
        "---|---:|---:|---:|---:|---:|",
    );
    for r in d.rows {
        let m = |n: &str| r.measure(n).map(|e| fixed(e.mean, 2)).unwrap_or_default();
        let _ = write!(o, "| {} |", r.run);
        for (_, v) in &r.labels {
            let _ = write!(o, " {v} |");
        }
        let feature = if r.feature == "all" {
            "**all**".to_string()
        } else {
            r.feature.clone()
        };
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

    if !d.comparisons.is_empty() {
        let _ = writeln!(o, "\n## Hardware − DNS, paired per replication\n");
        let extra: Vec<String> = d
            .comparisons
            .first()
            .map(|c| c.labels.iter().map(|(k, _)| k.clone()).collect())
            .unwrap_or_default();
        table_head(
            &mut o,
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
            let feature = if c.feature == "all" {
                "**all**".to_string()
            } else {
                c.feature.clone()
            };
            let _ = writeln!(
                o,
                " {feature} | {} | {} | {} |",
                num(c.dns_cut_mean),
                num(c.hardware_cut_mean),
                mean_ci(&c.diff)
            );
        }
        let _ = writeln!(
            o,
            "\nEach replication runs the same arrivals and holding times under both load balancings, \
             so the difference is measured per replication; `compare.csv` also gives the wider \
             interval the runs would have had if they were independent."
        );
    }

    capacity_table(&mut o, d);

    let _ = writeln!(o, "\n## Drains\n");
    table_head(
        &mut o,
        true,
        &label_cols,
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
            let _ = write!(o, "| {} |", r.run);
            for (_, v) in &r.labels {
                let _ = write!(o, " {v} |");
            }
            let _ = writeln!(
                o,
                " {} | {} | {} | {} | {} |",
                ds.drains,
                if ds.drained_fraction.is_finite() {
                    format!("{:.0} %", ds.drained_fraction * 100.0)
                } else {
                    "—".into()
                },
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
    let _ = writeln!(
        o,
        "Seed {}. This command writes the same files, byte for byte:\n",
        s.seed
    );
    let _ = writeln!(o, "```\n{}\n```\n", d.command);
    let mut extra = String::new();
    if !d.comparisons.is_empty() {
        extra.push_str(", `compare.csv` (paired hardware − DNS)");
    }
    if super::label_columns(d.results)
        .iter()
        .any(|c| c == "feature_set")
    {
        extra.push_str(", `feature-sets.csv`");
    }
    if d.results
        .iter()
        .any(|r| r.replications.iter().any(|o| !o.metrics.domains.is_empty()))
    {
        extra.push_str(", `domains.csv` (upgrade domains)");
    }
    let _ = writeln!(
        o,
        "Files: `summary.csv` (per run and feature), `replications.csv` (raw counts and seeds), \
         `restarts.csv`, `drains.csv`, `timeseries.csv`{extra}, the charts as SVG and PNG, \
         `scenario.toml` (the input)."
    );
    o
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn durations_read_naturally() {
        assert_eq!(human(45.0), "45 s");
        assert_eq!(human(1800.0), "30 min");
        assert_eq!(human(750.0), "12.5 min");
        assert_eq!(human(3600.0), "1 h");
        assert_eq!(human(5400.0), "1 h 30 min");
    }

    #[test]
    fn lists_read_naturally() {
        let s = |v: &[&str]| v.iter().map(|x| x.to_string()).collect::<Vec<_>>();
        assert_eq!(and_list(&s(&["a"])), "a");
        assert_eq!(and_list(&s(&["a", "b"])), "a and b");
        assert_eq!(and_list(&s(&["a", "b", "c"])), "a, b and c");
    }

    #[test]
    fn dominant_features_cover_most_of_the_total() {
        let v = vec![
            ("rg".to_string(), 10.0),
            ("cp".into(), 2.0),
            ("ann".into(), 0.5),
            ("x".into(), 0.0),
        ];
        let names: Vec<String> = dominant(&v).into_iter().map(|x| x.0).collect();
        assert_eq!(names, vec!["rg"]);
        let v = vec![
            ("rg".to_string(), 5.0),
            ("cp".into(), 4.0),
            ("ann".into(), 1.0),
        ];
        let names: Vec<String> = dominant(&v).into_iter().map(|x| x.0).collect();
        assert_eq!(names, vec!["rg", "cp"]);
        assert!(dominant(&[("a".to_string(), 0.0)]).is_empty());
    }
}
