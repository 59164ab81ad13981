//! `drainsim runbook`: a scenario's steps as the runbook an administrator follows in the Lync
//! Server Management Shell, each step at its wall-clock time with the commands for it, what
//! the simulation expects to see at that moment, and when to stop and roll back.
//!
//! [`build`] reads the replications of the scenario's one run (no I/O); [`markdown`] and
//! [`powershell`] render it. Which command stands for which action, and the documentation
//! each mapping was checked against, is `commands` (the same table is docs/runbook.md).

mod commands;
mod render;

pub use commands::SOURCES;
pub use render::{markdown, powershell};

use crate::model::metrics::{DrainEnd, StepOutcome};
use crate::model::{Action, QuorumRule, RunConfig, Step};
use crate::runner::RunResult;
use crate::scenario::Scenario;

/// Why a scenario has no runbook.
#[derive(Debug, thiserror::Error)]
pub enum RunbookError {
    /// `[plan]` without steps: the plan's recommendation is the runbook.
    #[error(
        "{0}: has a [plan] and no [[step]]: run `drainsim plan {0}` first, then `drainsim \
         runbook` on the recommended.toml it writes"
    )]
    PlanOnly(String),
    /// No steps at all.
    #[error("{0}: has no [[step]]: a runbook follows the scenario's steps")]
    NoSteps(String),
    /// A sweep: several runs, several runbooks.
    #[error(
        "{0}: has a [sweep] of {1} runs; a runbook follows one run: remove [sweep] (or keep \
         the values you will use tonight)"
    )]
    Sweep(String, usize),
}

/// The runbook of a scenario's one run.
#[derive(Debug, Clone)]
pub struct Runbook {
    /// Scenario title.
    pub title: String,
    /// Scenario file.
    pub file: String,
    /// Seed and replications the expectations come from.
    pub seed: u64,
    /// Replications simulated.
    pub replications: usize,
    /// Front Ends (labels, in pool order) and whether they are named.
    pub servers: Vec<String>,
    /// Whether `[pool] servers` names the servers (else the runbook shows placeholders).
    pub named: bool,
    /// Hardware (F5) or DNS load balancing.
    pub hardware: bool,
    /// The pool's quorum: at least this many of the first `among` servers must run.
    pub quorum: Option<(u32, u32)>,
    /// Routing groups of the pool (0: none modelled).
    pub routing_groups: usize,
    /// Upgrade domains (0-based servers).
    pub domains: Vec<Vec<u32>>,
    /// Windows services the features use (for `services = all`).
    pub services: Vec<String>,
    /// The steps, in order.
    pub steps: Vec<RunbookStep>,
    /// The whole night: how often the plan finished, lost quorum, lost a routing group.
    pub night: Night,
}

/// One step of the runbook.
#[derive(Debug, Clone)]
pub struct RunbookStep {
    /// 1-based step number.
    pub number: usize,
    /// The step as the scenario gives it.
    pub step: Step,
    /// Wall-clock start: median and 95th percentile over the replications (`HH:MM`).
    pub start: Option<(String, String)>,
    /// What the simulation expects at this step, one sentence each.
    pub expect: Vec<String>,
    /// When to stop here, and how to roll back.
    pub stop: Vec<String>,
}

/// Facts about the whole maintenance.
#[derive(Debug, Clone, Default)]
pub struct Night {
    /// Replications in which the plan ran to its end.
    pub finished: usize,
    /// Replications in which the pool lost quorum.
    pub pool_quorum_lost: usize,
    /// Replications in which a routing group lost quorum.
    pub rg_quorum_lost: usize,
    /// The end of the maintenance, median and p95 (`HH:MM`).
    pub end: Option<(String, String)>,
    /// Sessions cut in all, median and p95.
    pub cut: (u64, u64),
}

/// The `q` quantile (nearest rank) of `v`, sorted here.
fn quantile<T: Copy + PartialOrd>(v: &mut [T], q: f64) -> Option<T> {
    if v.is_empty() {
        return None;
    }
    v.sort_by(|a, b| a.partial_cmp(b).unwrap_or(std::cmp::Ordering::Equal));
    let rank = ((q * v.len() as f64).ceil() as usize).clamp(1, v.len());
    Some(v[rank - 1])
}

/// Seconds after simulated 0 as a wall-clock `HH:MM` (rounded down to the minute).
fn clock(cfg: &RunConfig, secs: f64) -> String {
    let t = (cfg.clock_start_s + secs).rem_euclid(86_400.0) as u64;
    format!("{:02}:{:02}", t / 3600, (t % 3600) / 60)
}

/// Minutes, as a duration a person reads: `"45 min"`, `"1 h 5 min"`, `"under a minute"`.
fn minutes(secs: f64) -> String {
    let m = (secs / 60.0).round() as u64;
    match m {
        0 => "under a minute".into(),
        m if m < 60 => format!("{m} min"),
        m if m % 60 == 0 => format!("{} h", m / 60),
        m => format!("{} h {} min", m / 60, m % 60),
    }
}

/// The runbook of `result`, the one run of `scenario`.
pub fn build(scenario: &Scenario, result: &RunResult) -> Result<Runbook, RunbookError> {
    let cfg = &result.run.config;
    if cfg.plan.is_empty() {
        return Err(match scenario.plan {
            Some(_) => RunbookError::PlanOnly(scenario.file.clone()),
            None => RunbookError::NoSteps(scenario.file.clone()),
        });
    }
    let reps: Vec<_> = result.replications.iter().collect();
    let n = cfg.pool.servers as usize;
    let steps = (cfg.plan.iter().enumerate())
        .map(|(k, step)| step_of(cfg, &reps, k, step))
        .collect();
    let mut used: Vec<String> = Vec::new();
    for f in &cfg.features {
        let s = &cfg.services[f.service];
        if !used.contains(s) {
            used.push(s.clone());
        }
    }
    Ok(Runbook {
        title: scenario.name.clone(),
        file: scenario.file.clone(),
        seed: scenario.seed,
        replications: reps.len(),
        servers: (0..n).map(|i| cfg.pool.label(i)).collect(),
        named: cfg.pool.names.is_named(),
        hardware: cfg.pool.load_balancing == crate::model::LoadBalancing::Hardware,
        quorum: (cfg.pool.quorum != QuorumRule::None)
            .then(|| cfg.pool.quorum.requirement(cfg.pool.servers))
            .flatten(),
        routing_groups: cfg.topology.routing_groups.len(),
        domains: cfg.topology.upgrade_domains.clone(),
        services: used,
        steps,
        night: night(cfg, &reps),
    })
}

type Rep<'a> = std::borrow::Cow<'a, crate::runner::ReplicationOutcome>;

/// Step `k` with its clock time and what the replications saw there.
fn step_of(cfg: &RunConfig, reps: &[Rep<'_>], k: usize, step: &Step) -> RunbookStep {
    let records: Vec<_> = (reps.iter())
        .filter_map(|r| {
            r.metrics
                .steps
                .iter()
                .find(|s| s.index == k)
                .map(|s| (r, s))
        })
        .collect();
    let mut starts: Vec<f64> = records
        .iter()
        .map(|(_, s)| s.started.as_secs_f64())
        .collect();
    let start = quantile(&mut starts.clone(), 0.5)
        .zip(quantile(&mut starts, 0.95))
        .map(|(a, b)| (clock(cfg, a), clock(cfg, b)));
    let mut expect = Vec::new();
    let mut stop = Vec::new();
    if records.len() < reps.len() {
        expect.push(format!(
            "In {} of {} simulated nights the plan stopped before this step.",
            reps.len() - records.len(),
            reps.len()
        ));
    }
    let servers = step.action.servers();
    let names = cfg.pool.names.labels(servers.iter().copied()).join(", ");
    match &step.action {
        Action::Pause(_) | Action::StopGraceful(_) | Action::Failover { .. } => {
            drain_expectations(cfg, &records, servers, &names, &mut expect, &mut stop);
        }
        Action::WaitUntilDrained { timeout, .. } => {
            let timed_out = (records.iter())
                .filter(|(_, s)| s.outcome == StepOutcome::Timeout)
                .count();
            let mut waits: Vec<f64> = (records.iter())
                .filter_map(|(_, s)| s.ended.map(|e| e.since(s.started).as_secs_f64()))
                .collect();
            if let (Some(m), Some(p)) = (quantile(&mut waits, 0.5), quantile(&mut waits, 0.95)) {
                expect.push(format!(
                    "The wait lasts about {} (in 95 % of nights at most {}).",
                    minutes(m),
                    minutes(p)
                ));
            }
            if let Some(t) = timeout {
                expect.push(format!(
                    "The {} timeout was reached in {timed_out} of {} nights.",
                    minutes(t.as_secs_f64()),
                    records.len()
                ));
            }
        }
        Action::Restart { .. } => {
            restart_expectations(cfg, &records, servers, &names, &mut expect, &mut stop);
        }
        Action::RollingRestart { .. } => rolling_expectations(reps, &mut expect, &mut stop),
        _ => {}
    }
    if records
        .iter()
        .any(|(_, s)| s.outcome == StepOutcome::Failed)
    {
        let failed = (records.iter())
            .filter(|(_, s)| s.outcome == StepOutcome::Failed)
            .count();
        stop.push(format!(
            "This step failed in {failed} of {} simulated nights and stopped the plan: if it \
             fails tonight, do not go on; bring the servers back (see *Roll back*).",
            records.len()
        ));
    }
    RunbookStep {
        number: k + 1,
        step: step.clone(),
        start,
        expect,
        stop,
    }
}

/// Pause, graceful stop, failover: how long the servers take to drain.
fn drain_expectations(
    cfg: &RunConfig,
    records: &[(&Rep<'_>, &crate::model::metrics::StepRecord)],
    servers: &[u32],
    names: &str,
    expect: &mut Vec<String>,
    stop: &mut Vec<String>,
) {
    let mut drained: Vec<f64> = Vec::new();
    let mut not_drained = 0;
    for (r, s) in records {
        for d in (r.metrics.drains.iter())
            .filter(|d| servers.contains(&(d.server as u32)) && d.paused_at == s.started)
        {
            match d.end {
                DrainEnd::Drained => drained.push(d.ended_at.since(d.paused_at).as_secs_f64()),
                _ => not_drained += 1,
            }
        }
    }
    let total = drained.len() + not_drained;
    if total == 0 {
        return;
    }
    let _ = cfg;
    let (m, p) = (
        quantile(&mut drained, 0.5),
        quantile(&mut drained.clone(), 0.95),
    );
    match (m, p) {
        (Some(m), Some(p)) => {
            let done = total - not_drained;
            let share = if not_drained == 0 {
                format!("every one of the {total} simulated drains finished")
            } else {
                format!(
                    "{done} of {total} simulated drains finished; the other {not_drained} still \
                     had sessions when a later step (the restart) ended them"
                )
            };
            expect.push(format!(
                "{names}: {share}. Those that finished left no session on the paused services \
                 after about {} (95 % of them within {}).",
                minutes(m),
                minutes(p),
            ));
            stop.push(format!(
                "A drain far slower than simulated: if Get-CsWindowsService still shows \
                 activity on {names} after {} (twice the 95th percentile), the load is not \
                 what the scenario assumed; resume the services (Resume-Service) and \
                 reschedule rather than cut the sessions.",
                minutes(2.0 * p.max(60.0))
            ));
        }
        _ => expect.push(format!(
            "{names} never drained completely before the next step in the {total} simulated \
             drains: expect sessions to be cut at the restart (see below)."
        )),
    }
}

/// Restart: the sessions still on the servers when they go down.
fn restart_expectations(
    cfg: &RunConfig,
    records: &[(&Rep<'_>, &crate::model::metrics::StepRecord)],
    servers: &[u32],
    names: &str,
    expect: &mut Vec<String>,
    stop: &mut Vec<String>,
) {
    let mut cut: Vec<u64> = Vec::new();
    let mut by_feature = vec![0u64; cfg.features.len()];
    for (r, s) in records {
        let end = s.ended.unwrap_or(s.started);
        let mut c = 0;
        for rs in (r.metrics.restarts.iter()).filter(|rs| {
            servers.contains(&(rs.server as u32)) && rs.at >= s.started && rs.at <= end
        }) {
            c += rs.cut.iter().sum::<u64>();
            for (f, x) in rs.cut.iter().enumerate() {
                by_feature[f] += x;
            }
        }
        cut.push(c);
    }
    let (Some(m), Some(p)) = (quantile(&mut cut.clone(), 0.5), quantile(&mut cut, 0.95)) else {
        return;
    };
    let top = (by_feature.iter().enumerate())
        .filter(|(_, x)| **x > 0)
        .max_by_key(|(_, x)| **x)
        .map(|(f, _)| format!(", most of them {}", cfg.features[f].name))
        .unwrap_or_default();
    expect.push(format!(
        "Sessions still on {names} when {} restarted: {m} on a median night; in 95 % of \
         nights at most {p}{top}.",
        if servers.len() == 1 {
            "it is"
        } else {
            "they are"
        }
    ));
    stop.push(format!(
        "Before restarting, look at the activity Get-CsWindowsService reports for {names}: \
         well above {p} sessions, the drain is slower than simulated; wait, or resume and \
         reschedule. Do not restart if Get-CsPoolFabricState shows a routing group with no \
         secondary outside these servers, or if fewer Front Ends than the pool's quorum \
         would be left running."
    ));
}

/// Rolling restart: Busy answers and domains.
fn rolling_expectations(reps: &[Rep<'_>], expect: &mut Vec<String>, stop: &mut Vec<String>) {
    let mut busy: Vec<u32> = Vec::new();
    let mut failed = 0;
    for r in reps {
        busy.push(r.metrics.domains.iter().map(|d| d.busy_polls).sum());
        failed += usize::from(
            r.metrics
                .domains
                .iter()
                .any(|d| d.outcome != crate::model::metrics::DomainOutcome::Done),
        );
    }
    if let Some(p) = quantile(&mut busy, 0.95) {
        expect.push(format!(
            "Get-CsPoolUpgradeReadinessState answers Busy at most {p} times in 95 % of nights \
             (all domains together); every domain was patched in {} of {} nights.",
            reps.len() - failed,
            reps.len()
        ));
    }
    stop.push(
        "Three Busy answers in a row, or InsufficientActiveFrontEnds: stop; the pool cannot \
         lose another upgrade domain yet. Fail back what is failed over and try later."
            .into(),
    );
}

/// The whole night.
fn night(cfg: &RunConfig, reps: &[Rep<'_>]) -> Night {
    let finished = (reps.iter())
        .filter(|r| r.metrics.plan_ended.is_some() && r.metrics.plan_failure.is_none())
        .count();
    let mut ends: Vec<f64> = (reps.iter())
        .filter_map(|r| r.metrics.plan_ended.map(|e| e.as_secs_f64()))
        .collect();
    let end = quantile(&mut ends.clone(), 0.5)
        .zip(quantile(&mut ends, 0.95))
        .map(|(a, b)| (clock(cfg, a), clock(cfg, b)));
    let mut cut: Vec<u64> = (reps.iter())
        .map(|r| {
            r.metrics
                .features
                .iter()
                .map(|f| f.cut_by.iter().sum::<u64>())
                .sum()
        })
        .collect();
    Night {
        finished,
        pool_quorum_lost: (reps.iter())
            .filter(|r| r.metrics.pool_quorum_losses > 0)
            .count(),
        rg_quorum_lost: (reps.iter())
            .filter(|r| !r.metrics.rg_quorum_losses.is_empty())
            .count(),
        end,
        cut: (
            quantile(&mut cut.clone(), 0.5).unwrap_or(0),
            quantile(&mut cut, 0.95).unwrap_or(0),
        ),
    }
}
