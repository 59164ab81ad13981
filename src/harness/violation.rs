//! What the suite reports: which rule broke, where and when.

use std::fmt;

use crate::engine::SimTime;

/// What broke. See the module documentation for the rule behind each kind.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum ViolationKind {
    /// A session accepted on a paused service that the policy does not declare it may use.
    AcceptedOnPaused,
    /// A session accepted on a stopped service (or while the pool has lost quorum).
    AcceptedOnStopped,
    /// A session accepted on a server that is down.
    AcceptedOnDown,
    /// A session accepted on a full server, or a server found holding more than its caps.
    OverCapacity,
    /// A decision named a server index outside the pool.
    NoSuchServer,
    /// An acceptance whose [`Admission`](crate::model::Admission) label contradicts the server's state.
    WrongAdmission,
    /// A session found on a down server or a stopped service after an event.
    SessionOnDeadService,
    /// A restarted server still held sessions.
    RestartNotEmpty,
    /// A conservation identity of R10 failed.
    Conservation,
    /// Two runs with the same seeds gave different metrics.
    Nondeterministic,
    /// The replication stopped with an error (e.g. its event budget ran out).
    SimulationError,
    /// The policy or the simulation panicked.
    Panic,
}

impl ViolationKind {
    /// A short name for reports.
    pub fn name(self) -> &'static str {
        match self {
            ViolationKind::AcceptedOnPaused => "accepted_on_paused",
            ViolationKind::AcceptedOnStopped => "accepted_on_stopped",
            ViolationKind::AcceptedOnDown => "accepted_on_down",
            ViolationKind::OverCapacity => "over_capacity",
            ViolationKind::NoSuchServer => "no_such_server",
            ViolationKind::WrongAdmission => "wrong_admission",
            ViolationKind::SessionOnDeadService => "session_on_dead_service",
            ViolationKind::RestartNotEmpty => "restart_not_empty",
            ViolationKind::Conservation => "conservation",
            ViolationKind::Nondeterministic => "nondeterministic",
            ViolationKind::SimulationError => "simulation_error",
            ViolationKind::Panic => "panic",
        }
    }
}

impl fmt::Display for ViolationKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

/// One broken rule, where and when.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Violation {
    /// Name of the [`Case`](super::Case).
    pub scenario: String,
    /// Root seed of the case: the replication ran with `Seeds::derive(seed, replication)`.
    pub seed: u64,
    /// 0-based replication.
    pub replication: u32,
    /// Simulated time of the event during which it happened (the horizon for end-of-run checks).
    pub time: SimTime,
    /// Which rule.
    pub kind: ViolationKind,
    /// What exactly (servers are numbered from 1, as in scenario files).
    pub detail: String,
}

impl fmt::Display for Violation {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "[{}] {} / seed {} replication {} at {}: {}",
            self.kind, self.scenario, self.seed, self.replication, self.time, self.detail
        )
    }
}
