//! Whether the plan can finish within the horizon, as far as is known before running: `at`
//! times, `wait` durations and restart downtimes (with a rolling restart's fixed waits between
//! upgrade domains) are certain, while drains may take any time, so they count as nothing.
//! A plan that needs longer than the horizon is a warning, not an error: the run is still
//! meaningful (it measures what happens until the horizon), but a maintenance window that is
//! cut off is rarely what the author meant.

use super::super::ctx::Ctx;
use super::super::expand::Run;
use super::super::span::FieldPath;
use crate::engine::SimTime;
use crate::model::{Action, RunConfig};

/// The earliest time each step of `cfg`'s plan can end.
fn earliest_ends(cfg: &RunConfig) -> Vec<SimTime> {
    let mut t = SimTime::ZERO;
    cfg.plan
        .iter()
        .map(|step| {
            let start = t.max(step.at.unwrap_or(SimTime::ZERO));
            t = start.plus(shortest(&step.action, cfg));
            t
        })
        .collect()
}

/// The shortest time `action` can take.
fn shortest(action: &Action, cfg: &RunConfig) -> SimTime {
    match action {
        Action::Wait { duration } => *duration,
        // Every listed server restarts at once; the step ends when the last is up.
        Action::Restart { downtime, .. } => *downtime,
        Action::RollingRestart { downtime, .. } => {
            let domains = (cfg.topology.upgrade_domains.iter())
                .filter(|d| !d.is_empty())
                .count() as u64;
            // After each domain but the last: readiness answers Busy while the domain's
            // replicas rebuild (a poll every `readiness_retry`), then the next domain waits
            // `ready_wait`.
            let t = cfg.pool.rolling;
            let rebuild = cfg.topology.replica_rebuild.0;
            let retry = t.readiness_retry.0.max(1);
            let busy_polls = rebuild.div_ceil(retry).min(u64::from(t.max_busy - 1));
            let between = t.ready_wait.0 + busy_polls * retry;
            SimTime(
                (domains.saturating_mul(downtime.0))
                    .saturating_add(domains.saturating_sub(1).saturating_mul(between)),
            )
        }
        // Drains (and failover's drain) may end at once; the others take no time.
        Action::Pause(_)
        | Action::Resume(_)
        | Action::StopGraceful(_)
        | Action::Stop(_)
        | Action::Start(_)
        | Action::SetStartup { .. }
        | Action::WaitUntilDrained { .. }
        | Action::Failover { .. }
        | Action::Failback { .. }
        | Action::LbMember { .. }
        | Action::DnsRecord { .. } => SimTime::ZERO,
    }
}

/// Warns, at the step that crosses the horizon, when the plan of some run needs longer than
/// the horizon; with a sweep, names the run that needs the longest and how many runs do.
pub(super) fn check_plan_fits(ctx: &mut Ctx<'_>, runs: &[Run]) {
    let mut over = 0;
    let mut worst: Option<(&Run, Vec<SimTime>)> = None;
    for run in runs {
        let ends = earliest_ends(&run.config);
        let Some(&total) = ends.last() else { continue };
        if total <= run.config.horizon {
            continue;
        }
        over += 1;
        if worst.as_ref().is_none_or(|(_, w)| w.last() < Some(&total)) {
            worst = Some((run, ends));
        }
    }
    let Some((run, ends)) = worst else { return };
    let cfg = &run.config;
    let horizon = cfg.horizon;
    let total = ends[ends.len() - 1];
    let Some(k) = ends.iter().position(|&e| e > horizon) else {
        return;
    };
    let in_runs = match runs.len() {
        1 => String::new(),
        n => {
            let labels: Vec<String> = (run.labels.iter())
                .map(|(c, v)| format!("{c} = {v}"))
                .collect();
            format!(
                " (in {over} of {n} runs; the longest is run {}: {})",
                run.index,
                labels.join(", ")
            )
        }
    };
    let action = cfg.plan[k].action.name();
    let tail = if k + 1 < cfg.plan.len() {
        ", and the steps after it never run"
    } else {
        ""
    };
    ctx.warn(
        &FieldPath::root().key("step").index(k),
        format!(
            "the plan needs at least {total} but the horizon is {horizon}{in_runs}: this \
             `{action}` cannot end before {}, counting only `at` times, waits and restart \
             downtimes{tail}; raise `horizon` to at least {total} or shorten the plan",
            ends[k]
        ),
    );
}
