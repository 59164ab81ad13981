//! "The scenario in brief": the pool, load balancing, features, clock, horizon, sweep and
//! plan, in words a reader checks against the scenario file.

use std::fmt::Write as _;

use super::clock::{clock_line, step_clock};
use super::words::lb_word;
use crate::model::{Action, HardwareConfig, HealthMonitor, HlbAlgorithm, LoadBalancing, Step};
use crate::model::{ServiceMask, Target};
use crate::report::ReportData;
use crate::scenario::Scenario;

/// Writes the section.
pub(super) fn scenario_in_brief(o: &mut String, d: &ReportData<'_>) {
    let _ = writeln!(o, "## The scenario in brief\n");
    pool_line(o, d.scenario);
    load_balancing_line(o, d);
    features_line(o, d.scenario);
    trace_line(o, d.scenario);
    clock_line(o, d);
    runs_lines(o, d);
    let _ = writeln!(o, "\nPlan:\n");
    for (i, step) in d.scenario.base.plan.iter().enumerate() {
        let clock = step_clock(d, step);
        let _ = writeln!(o, "{}. {}", i + 1, describe_step(d.scenario, step, &clock));
    }
}

/// "- Sessions: replayed from the trace …": which trace, how, over which window, and what the
/// report's intervals then cover (R20).
fn trace_line(o: &mut String, s: &Scenario) {
    let Some(t) = &s.base.trace else {
        return;
    };
    let window = format!(
        "{} from {} (time of day)",
        s.base.horizon,
        crate::report::clock::hhmm(s.base.clock_start_s)
    );
    let covers = match t.mode {
        crate::model::trace::TraceMode::Replay => {
            "every replication replays the same recorded sessions, so the intervals of this \
             report cover the routing randomness on those sessions only: they say nothing of \
             how another day would differ"
        }
        crate::model::trace::TraceMode::Bootstrap => {
            "each pair of replications resamples the recorded sessions (Poisson bootstrap, \
             keeping their times of day), so the interval of each measure is for the process \
             that produced the recorded night, not for the mean of the replications: it stays \
             about as wide however many replications run, because one recorded night cannot say \
             more; the intervals of differences between runs (hardware − DNS, cases) are still \
             those of the mean difference on the resampled nights"
        }
    };
    let _ = writeln!(
        o,
        "- Sessions of {}: the trace {} in mode {}, window {window}; {covers}.",
        t.features.join(", "),
        t.source,
        t.mode.name()
    );
}

/// "- Pool: 8 Front Ends, quorum lync2013."
fn pool_line(o: &mut String, s: &Scenario) {
    let p = &s.base.pool;
    let _ = writeln!(
        o,
        "- Pool: {} Front Ends, quorum {}{}.",
        p.servers,
        p.quorum.name(),
        p.max_sessions_per_server
            .map(|m| format!(", at most {m} sessions per server"))
            .unwrap_or_default()
    );
}

/// "- Load balancing: …", with the hardware load balancer's settings when a run uses it.
fn load_balancing_line(o: &mut String, d: &ReportData<'_>) {
    let p = &d.scenario.base.pool;
    let mut lbs: Vec<LoadBalancing> = Vec::new();
    for r in d.results {
        let lb = r.run.config.pool.load_balancing;
        if !lbs.contains(&lb) {
            lbs.push(lb);
        }
    }
    if lbs.is_empty() {
        lbs.push(p.load_balancing);
    }
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
}

/// The hardware load balancer's algorithm, health monitor, detection delay and redirection.
fn hardware_words(h: &HardwareConfig) -> String {
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

/// "- Features: …; those that need DNS load balancing to drain: …."
fn features_line(o: &mut String, s: &Scenario) {
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
}

/// Horizon, replications and seed, and the sweep's axes when there are any.
fn runs_lines(o: &mut String, d: &ReportData<'_>) {
    let s = d.scenario;
    let _ = writeln!(
        o,
        "- Horizon {}, {} simulated nights per run (replications: the plan carried out each time on new traffic), seed {}.",
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
}

/// "FE 1, FE 2", or the servers' names (0-based servers).
fn server_names(s: &Scenario, v: &[u32]) -> String {
    s.base.pool.names.labels(v.iter().copied()).join(", ")
}

/// "all services", or the services' names.
fn service_names(s: &Scenario, m: ServiceMask) -> String {
    if m == ServiceMask::ALL {
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
}

/// "FE 1 (all services)".
fn target_words(s: &Scenario, t: &Target) -> String {
    format!(
        "{} ({})",
        server_names(s, &t.servers),
        service_names(s, t.services)
    )
}

/// One plan step in words: "at 2h: pause FE 1 (all services)", with `clock` (" (02:00)") after
/// the time when the report speaks of the clock.
fn describe_step(s: &Scenario, step: &Step, clock: &str) -> String {
    let at = step
        .at
        .map(|a| format!("at {a}{clock}: "))
        .unwrap_or_default();
    let what = match &step.action {
        Action::Pause(t) => format!("pause {}", target_words(s, t)),
        Action::Resume(t) => format!("resume {}", target_words(s, t)),
        Action::StopGraceful(t) => format!("stop gracefully {}", target_words(s, t)),
        Action::Stop(t) => format!("stop {}", target_words(s, t)),
        Action::Start(t) => format!("start {}", target_words(s, t)),
        Action::Restart {
            servers: v,
            downtime,
        } => format!("restart {} (down {downtime})", server_names(s, v)),
        Action::SetStartup { target, startup } => format!(
            "set startup of {} to {}",
            target_words(s, target),
            startup.name()
        ),
        Action::Wait { duration } => format!("wait {duration}"),
        Action::WaitUntilDrained { target, timeout } => format!(
            "wait until {} is drained{}",
            target_words(s, target),
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
            server_names(s, v)
        ),
        Action::Failback { servers: v } => {
            format!(
                "fail back {} (Invoke-CsComputerFailBack)",
                server_names(s, v)
            )
        }
        Action::LbMember { servers: v, state } => format!(
            "set {} {} on the hardware load balancer",
            server_names(s, v),
            state.name()
        ),
        Action::DnsRecord { servers: v, listed } => format!(
            "{} the DNS A record{} of {}",
            if *listed { "add back" } else { "remove" },
            if v.len() > 1 { "s" } else { "" },
            server_names(s, v)
        ),
    };
    format!("{at}{what}")
}
