//! The checking policy: wraps the policy under test and judges each decision before the
//! simulation applies it.

use std::sync::{Arc, Mutex, MutexGuard, PoisonError};

use super::ViolationKind;
use crate::engine::SimTime;
use crate::model::{
    Admission, Decision, Feature, Pool, RouteRng, RoutingPolicy, ServerNames, Status,
};

/// What the checking policy hands back to the harness between events.
#[derive(Default)]
pub(super) struct Shared {
    /// Violations found since the harness last took them.
    pub(super) pending: Vec<(ViolationKind, String)>,
    /// Decisions judged so far.
    pub(super) decisions: u64,
}

/// Locks `shared`, poisoned or not.
pub(super) fn lock(shared: &Mutex<Shared>) -> MutexGuard<'_, Shared> {
    // A panic in the policy never happens while the lock is held, but a poisoned lock must
    // not hide the report either.
    shared.lock().unwrap_or_else(PoisonError::into_inner)
}

/// Wraps the policy under test: checks each decision before the simulation applies it.
pub(super) struct Checker {
    /// The policy under test.
    pub(super) inner: Box<dyn RoutingPolicy>,
    /// Where verdicts go.
    pub(super) shared: Arc<Mutex<Shared>>,
    /// What the servers are called, for the verdicts.
    pub(super) names: ServerNames,
}

/// A broken rule: which, what exactly, and whether the decision must be refused (placement
/// rules) or may stand (a wrong label only).
struct Verdict {
    kind: ViolationKind,
    detail: String,
    refuse: bool,
}

impl Checker {
    /// The rule a decision breaks, if any.
    fn judge(&self, pool: &Pool, f: usize, feature: &Feature, d: &Decision) -> Option<Verdict> {
        let &Decision::Accept {
            server, admission, ..
        } = d
        else {
            return None;
        };
        let who = format!(
            "{} accepted a {:?} session",
            self.inner.name(),
            feature.name
        );
        if server >= pool.servers() {
            let detail = format!(
                "{who} on server index {server}, but the pool has {} servers",
                pool.servers()
            );
            return Some(Verdict {
                kind: ViolationKind::NoSuchServer,
                detail,
                refuse: true,
            });
        }
        if let Some((kind, detail)) = self.misplaced(pool, server, f, feature, &who) {
            return Some(Verdict {
                kind,
                detail,
                refuse: true,
            });
        }
        let status = pool.status(server, f);
        let mislabelled = match (status, admission) {
            (Status::Paused, Admission::LandedOnPaused) => false,
            (Status::Paused, _) => true,
            (_, Admission::LandedOnPaused) => true,
            _ => false,
        };
        mislabelled.then(|| Verdict {
            kind: ViolationKind::WrongAdmission,
            detail: format!(
                "{who} on {} (status {status:?}) labelled {admission:?}",
                self.names.label(server)
            ),
            refuse: false,
        })
    }

    /// The placement rule an acceptance on `server` breaks, if any (R3, R4, R6, R7, R9, caps).
    fn misplaced(
        &self,
        pool: &Pool,
        server: usize,
        f: usize,
        feature: &Feature,
        who: &str,
    ) -> Option<(ViolationKind, String)> {
        let on = self.names.label(server);
        match pool.status(server, f) {
            Status::Down => Some((
                ViolationKind::AcceptedOnDown,
                format!("{who} on {on}, which is down"),
            )),
            Status::Stopped => Some((
                ViolationKind::AcceptedOnStopped,
                if pool.quorum_lost() {
                    format!("{who} on {on} while the pool has lost quorum")
                } else {
                    format!("{who} on {on}, where its service is stopped")
                },
            )),
            Status::Paused if !self.inner.may_land_on_paused(feature) => Some((
                ViolationKind::AcceptedOnPaused,
                format!("{who} on {on}, where its service is paused (may_land_on_paused is false)"),
            )),
            _ if !pool.has_capacity(server, f) => Some((
                ViolationKind::OverCapacity,
                format!(
                    "{who} on {on}, which is full ({} sessions, {} of this feature)",
                    pool.active_on_server(server),
                    pool.active(server, f)
                ),
            )),
            _ => None,
        }
    }
}

impl RoutingPolicy for Checker {
    fn name(&self) -> &str {
        self.inner.name()
    }

    fn route(&mut self, pool: &Pool, f: usize, feature: &Feature, rng: &mut RouteRng) -> Decision {
        let d = self.inner.route(pool, f, feature, rng);
        let verdict = self.judge(pool, f, feature, &d);
        let mut shared = lock(&self.shared);
        shared.decisions += 1;
        match verdict {
            None => d,
            Some(v) => {
                shared.pending.push((v.kind, v.detail));
                if v.refuse {
                    // Keep the run going (and the simulation's own assertions quiet): the
                    // session is counted as blocked instead.
                    Decision::Block {
                        setup_delay: SimTime::ZERO,
                    }
                } else {
                    d
                }
            }
        }
    }

    fn may_land_on_paused(&self, feature: &Feature) -> bool {
        self.inner.may_land_on_paused(feature)
    }
}
