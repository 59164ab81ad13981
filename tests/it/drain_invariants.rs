//! Invariants of drain records, graceful stops and the HLB health monitor, checked event by
//! event on generated scenarios (the generator of `properties`, with pool quorum sometimes on):
//!
//! - a drain opens only when a pause moves a service of its server from Running to Paused
//!   while none is open, and ends exactly once;
//! - `drained` only when no session of the paused services was cut or disrupted at its end
//!   (at most one of them was there, and it completed);
//! - `sessions_left` of any other end equals the sessions of the paused services present
//!   just before the event that ended it;
//! - an open drain always has a session of a paused service to wait for;
//! - a pending graceful stop completes whenever its service's last session leaves, whatever
//!   removed it;
//! - the monitor reports each up/down change `detect_delay` after it, and never a change that
//!   flipped back sooner.

use drainsim::engine::SimTime;
use drainsim::model::{DrainEnd, LoadBalancing, Pool, RunConfig, ServiceState, Simulation, Status};
use proptest::prelude::*;
use proptest::test_runner::FileFailurePersistence;

use crate::properties::{Case, scenarios};

/// Sessions on server `s` of features that see it paused.
fn draining(pool: &Pool, s: usize) -> u64 {
    (0..pool.n_features())
        .filter(|&f| pool.status(s, f) == Status::Paused)
        .map(|f| pool.active(s, f) as u64)
        .sum()
}

fn states(pool: &Pool, s: usize) -> Vec<ServiceState> {
    (0..pool.n_services())
        .map(|svc| pool.service_state(s, svc))
        .collect()
}

fn completed(sim: &Simulation<'_>) -> u64 {
    sim.metrics().features.iter().map(|c| c.completed).sum()
}

/// The health monitor's expected view of one server: the truth's up/down segments, and the
/// last one that lasted `detect_delay` (the one the monitor reports).
struct MonitorModel {
    delay: SimTime,
    segment_start: SimTime,
    segment_up: bool,
    reported_up: bool,
    /// A segment ended exactly `detect_delay` after it began: the order of the two events at
    /// that instant decides, so the model stops judging this server.
    ambiguous: bool,
}

impl MonitorModel {
    fn new(delay: SimTime) -> MonitorModel {
        MonitorModel {
            delay,
            segment_start: SimTime::ZERO,
            segment_up: true,
            reported_up: true,
            ambiguous: false,
        }
    }

    /// The truth after an event at `now`; returns the expected report, if the model can tell.
    fn observe(&mut self, now: SimTime, truth: bool) -> Option<bool> {
        if truth != self.segment_up {
            let lasted = now.since(self.segment_start);
            if lasted == self.delay {
                self.ambiguous = true;
            } else if lasted > self.delay {
                self.reported_up = self.segment_up;
            }
            self.segment_start = now;
            self.segment_up = truth;
        }
        let lasted = now.since(self.segment_start);
        if self.ambiguous || lasted == self.delay {
            return None;
        }
        Some(if lasted > self.delay || self.delay == SimTime::ZERO {
            self.segment_up
        } else {
            self.reported_up
        })
    }
}

/// What the observer saw just before an event.
struct Before {
    states: Vec<Vec<ServiceState>>,
    draining: Vec<u64>,
    active: Vec<u32>,
    open: Vec<Option<SimTime>>,
    records: usize,
    completed: u64,
    steps: usize,
}

impl Before {
    fn take(sim: &Simulation<'_>) -> Before {
        let (pool, n) = (sim.pool(), sim.pool().servers());
        Before {
            states: (0..n).map(|s| states(pool, s)).collect(),
            draining: (0..n).map(|s| draining(pool, s)).collect(),
            active: (0..n).map(|s| pool.active_on_server(s)).collect(),
            open: (0..n).map(|s| sim.drain_since(s)).collect(),
            records: sim.metrics().drains.len(),
            completed: completed(sim),
            steps: sim.metrics().steps.len(),
        }
    }
}

/// The records that ended in the event just handled.
fn check_records(sim: &Simulation<'_>, b: &Before, now: SimTime) -> Result<(), String> {
    // Several plan steps may run in one event: "just before the event that ended it" is then
    // between two of them, which the observer cannot see; it checks a bound instead.
    let one_step_at_most = sim.metrics().steps.len() <= b.steps + 1;
    let ended = &sim.metrics().drains[b.records..];
    for (k, r) in ended.iter().enumerate() {
        let s = r.server;
        let at = format!("FE {} at {now}", s + 1);
        let first_of_server = !ended[..k].iter().any(|e| e.server == s);
        let was_open = first_of_server && b.open[s] == Some(r.paused_at);
        if !was_open && r.paused_at != now {
            return Err(format!("{at}: a drain that was not open ended ({r:?})"));
        }
        if r.ended_at != now {
            return Err(format!("{at}: drain recorded as ended at {}", r.ended_at));
        }
        let sessions_before = b.draining[s];
        if r.end == DrainEnd::Drained {
            let one_completed = sessions_before == 1 && completed(sim) > b.completed;
            let clean = sessions_before == 0 || one_completed || !one_step_at_most;
            if r.left != 0 || !clean {
                return Err(format!(
                    "{at}: `drained` with {sessions_before} sessions of the paused services \
                     before the event (left {})",
                    r.left
                ));
            }
        } else if one_step_at_most
            && r.left != sessions_before
            // A departure that completes a graceful stop, which then loses quorum: the
            // session that left on its own is not among those the quorum loss found.
            && !(r.left + 1 == sessions_before && completed(sim) > b.completed)
        {
            return Err(format!(
                "{at}: `{}` with {} left, but {sessions_before} sessions of the paused services \
                 were there just before",
                r.end.name(),
                r.left
            ));
        } else if r.left > b.active[s] as u64 {
            return Err(format!(
                "{at}: `{}` with {} left, more than the {} sessions on the server",
                r.end.name(),
                r.left,
                b.active[s]
            ));
        }
    }
    Ok(())
}

/// The open drains after the event: each opened by a pause, each with something to wait for.
fn check_open(sim: &Simulation<'_>, b: &Before, now: SimTime) -> Result<(), String> {
    let pool = sim.pool();
    let one_step_at_most = sim.metrics().steps.len() <= b.steps + 1;
    for s in 0..pool.servers() {
        let Some(since) = sim.drain_since(s) else {
            continue;
        };
        let at = format!("FE {} at {now}", s + 1);
        let closed_now = sim.metrics().drains[b.records..]
            .iter()
            .any(|r| r.server == s);
        let newly_paused = b.states[s]
            .iter()
            .zip(states(pool, s))
            .any(|(&x, y)| x == ServiceState::Running && y == ServiceState::Paused);
        if since == now && (b.open[s].is_none() || closed_now) {
            if one_step_at_most && !newly_paused {
                return Err(format!(
                    "{at}: a drain opened without a service being paused"
                ));
            }
        } else if b.open[s] != Some(since) || closed_now {
            return Err(format!("{at}: the open drain's start moved to {since}"));
        }
        if !pool.is_up(s) || draining(pool, s) == 0 {
            return Err(format!(
                "{at}: a drain is open with no session of a paused service"
            ));
        }
    }
    Ok(())
}

/// A pending graceful stop always has a session of its service to wait for.
fn check_graceful(cfg: &RunConfig, pool: &Pool, now: SimTime) -> Result<(), String> {
    for s in (0..pool.servers()).filter(|&s| pool.is_up(s)) {
        for svc in 0..pool.n_services() {
            let left: u32 = (0..pool.n_features())
                .filter(|&f| pool.feature_uses(f, svc))
                .map(|f| pool.active(s, f))
                .sum();
            if pool.graceful_pending(s, svc) && left == 0 {
                return Err(format!(
                    "FE {} at {now}: service {} has a graceful stop pending and no session",
                    s + 1,
                    cfg.services[svc]
                ));
            }
        }
    }
    Ok(())
}

/// Steps the case to its horizon and returns the first broken invariant, if any.
fn check(cfg: &RunConfig, case: &Case) -> Result<(), String> {
    let mut sim = Simulation::new(cfg, crate::properties::seeds(case));
    let n = sim.pool().servers();
    let hardware = cfg.pool.load_balancing == LoadBalancing::Hardware;
    let mut monitors: Vec<MonitorModel> = (0..n)
        .map(|_| MonitorModel::new(cfg.pool.hardware.detect_delay))
        .collect();
    loop {
        let before = Before::take(&sim);
        let Some(now) = sim.step() else { break };
        check_records(&sim, &before, now)?;
        check_open(&sim, &before, now)?;
        check_graceful(cfg, sim.pool(), now)?;
        let pool = sim.pool();
        for (s, monitor) in monitors.iter_mut().enumerate().filter(|_| hardware) {
            if let Some(expected) = monitor.observe(now, pool.monitor_truth(s))
                && expected != pool.hlb_sees_up(s)
            {
                return Err(format!(
                    "FE {} at {now}: the monitor reports {} but the truth has been {} since {}",
                    s + 1,
                    if pool.hlb_sees_up(s) { "up" } else { "down" },
                    if monitor.segment_up { "up" } else { "down" },
                    monitor.segment_start
                ));
            }
        }
    }
    Ok(())
}

/// The generated scenarios, with the lync2013 pool quorum on in about half of them (quorum
/// loss is one of the ways a drain ends and a graceful stop loses its last sessions).
fn with_quorum() -> impl Strategy<Value = Case> {
    (scenarios(None), any::<bool>()).prop_map(|(mut case, quorum)| {
        let two_or_more = !case.text.contains("servers = 1\n");
        if quorum && two_or_more {
            case.text = case
                .text
                .replace("quorum = \"none\"", "quorum = \"lync2013\"");
        }
        case
    })
}

proptest! {
    #![proptest_config(ProptestConfig {
        failure_persistence: Some(Box::new(FileFailurePersistence::Direct(
            "proptest-regressions/drain_invariants.txt",
        ))),
        ..ProptestConfig::with_cases(96)
    })]

    /// Drain records, graceful stops and the health monitor follow the rules above after
    /// every event.
    #[test]
    fn drains_graceful_stops_and_the_monitor_hold_their_invariants(case in with_quorum()) {
        let cfg = case.config();
        if let Err(e) = check(&cfg, &case) {
            prop_assert!(false, "{e}");
        }
    }
}
