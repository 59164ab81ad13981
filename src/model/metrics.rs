//! What one replication measures (R10).

use crate::engine::SimTime;

/// Why sessions were cut.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CutReason {
    /// The server restarted (R7).
    Restart,
    /// The service (or RTCSRV) was stopped at once.
    Stop,
    /// The pool lost quorum (R9).
    QuorumLoss,
}

impl CutReason {
    /// Every reason, in report order.
    pub const ALL: [CutReason; 3] = [CutReason::Restart, CutReason::Stop, CutReason::QuorumLoss];

    /// Name used in reports.
    pub fn name(self) -> &'static str {
        match self {
            CutReason::Restart => "restart",
            CutReason::Stop => "stop",
            CutReason::QuorumLoss => "quorum_loss",
        }
    }
}

/// Counts for one feature in one replication. Conservation (R10):
/// `arrivals = accepted + blocked + failed` (+ `connecting` while a run is in progress) and
/// `accepted = completed + cut + disrupted + active_at_end`.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct FeatureCounts {
    /// New sessions.
    pub arrivals: u64,
    /// Accepted somewhere (including redirected and landed on paused).
    pub accepted: u64,
    /// Of the accepted: redirected by the pool after a hardware load balancer's pick (R5).
    pub redirected: u64,
    /// Of the accepted: DNS-dependent sessions accepted on a paused server (R5).
    pub landed_on_paused: u64,
    /// No server would take them.
    pub blocked: u64,
    /// Sent to a dead member before the monitor noticed, or whose chosen server could no longer
    /// take them when they reached it after their setup delay.
    pub failed: u64,
    /// Still on their way to a server (during their setup delay). Always 0 in a finished
    /// replication: sessions connecting at the horizon count as accepted and active.
    pub connecting: u64,
    /// Of the arrivals: those during the maintenance window (from the plan's first step to its
    /// end).
    pub arrivals_in_maintenance: u64,
    /// Of the blocked: those blocked during the maintenance window (from the plan's first step
    /// to its end).
    pub blocked_in_maintenance: u64,
    /// Of the blocked: those whose routing group had lost its quorum (R15).
    pub blocked_rg_quorum: u64,
    /// Cut (feature `dropped`), by [`CutReason`] in `CutReason::ALL` order.
    pub cut_by: [u64; 3],
    /// Disrupted (feature `recovers`) when their server or service went away.
    pub disrupted: u64,
    /// Ended at their drawn holding time.
    pub completed: u64,
    /// Still active at the horizon.
    pub active_at_end: u64,
    /// Sum of setup delays of accepted sessions, µs.
    pub setup_delay_sum_us: u64,
    /// Accepted sessions by setup delay (µs), for the non-zero delays only (the rest waited
    /// nothing). Delays are sums of `retry_delay` and `connect_timeout`, so there are few keys.
    pub setup_delays: std::collections::BTreeMap<u64, u64>,
    /// The same counts in users (R21): each session weighs its participants.
    pub users: UserCounts,
}

/// The users twins of a feature's session counts (R21): every session counts its participants.
/// The same conservation identities hold as for sessions.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct UserCounts {
    /// Users of new sessions.
    pub arrivals: u64,
    /// Users of accepted sessions.
    pub accepted: u64,
    /// Users of blocked sessions.
    pub blocked: u64,
    /// Users of failed sessions.
    pub failed: u64,
    /// Users of sessions still connecting (0 in a finished replication).
    pub connecting: u64,
    /// Users of sessions that arrived during the maintenance window.
    pub arrivals_in_maintenance: u64,
    /// Users of sessions blocked during the maintenance window.
    pub blocked_in_maintenance: u64,
    /// Users of cut sessions, by [`CutReason`] in `CutReason::ALL` order.
    pub cut_by: [u64; 3],
    /// Users of disrupted sessions.
    pub disrupted: u64,
    /// Users of sessions that ended at their holding time.
    pub completed: u64,
    /// Users of sessions still active at the horizon.
    pub active_at_end: u64,
}

impl UserCounts {
    /// Users of cut sessions, every reason.
    pub fn cut(&self) -> u64 {
        self.cut_by.iter().sum()
    }

    /// Adds `other` into `self`.
    pub fn add(&mut self, other: &UserCounts) {
        self.arrivals += other.arrivals;
        self.accepted += other.accepted;
        self.blocked += other.blocked;
        self.failed += other.failed;
        self.connecting += other.connecting;
        self.arrivals_in_maintenance += other.arrivals_in_maintenance;
        self.blocked_in_maintenance += other.blocked_in_maintenance;
        for (a, b) in self.cut_by.iter_mut().zip(other.cut_by) {
            *a += b;
        }
        self.disrupted += other.disrupted;
        self.completed += other.completed;
        self.active_at_end += other.active_at_end;
    }

    /// Whether the identities of R10 hold in users.
    pub fn conserved(&self) -> bool {
        self.arrivals == self.accepted + self.blocked + self.failed + self.connecting
            && self.accepted == self.completed + self.cut() + self.disrupted + self.active_at_end
            && self.blocked_in_maintenance <= self.blocked
            && self.blocked_in_maintenance <= self.arrivals_in_maintenance
    }
}

impl FeatureCounts {
    /// All cut sessions, every reason.
    pub fn cut(&self) -> u64 {
        self.cut_by.iter().sum()
    }

    /// Mean setup delay of accepted sessions, s (0 when none).
    pub fn setup_delay_mean_s(&self) -> f64 {
        if self.accepted == 0 {
            0.0
        } else {
            self.setup_delay_sum_us as f64 / self.accepted as f64 / 1e6
        }
    }

    /// The `q`-quantile of the setup delay of accepted sessions, s (the smallest delay with at
    /// least a fraction `q` of sessions at or below it); NaN when none was accepted.
    pub fn setup_delay_quantile_s(&self, q: f64) -> f64 {
        if self.accepted == 0 {
            return f64::NAN;
        }
        let need = (q.clamp(0.0, 1.0) * self.accepted as f64).ceil() as u64;
        let delayed: u64 = self.setup_delays.values().sum();
        let mut seen = self.accepted.saturating_sub(delayed);
        if seen >= need {
            return 0.0;
        }
        for (us, n) in &self.setup_delays {
            seen += n;
            if seen >= need {
                return *us as f64 / 1e6;
            }
        }
        self.setup_delays
            .keys()
            .last()
            .map_or(0.0, |us| *us as f64 / 1e6)
    }

    /// Whether both conservation identities of R10 hold.
    pub fn conserved(&self) -> bool {
        self.arrivals == self.accepted + self.blocked + self.failed + self.connecting
            && self.accepted == self.completed + self.cut() + self.disrupted + self.active_at_end
            && self.redirected + self.landed_on_paused <= self.accepted
            && self.blocked_in_maintenance <= self.blocked
            && self.blocked_rg_quorum <= self.blocked
            && self.blocked_in_maintenance <= self.arrivals_in_maintenance
            && self.users.conserved()
    }

    /// Adds `other` into `self`.
    pub fn add(&mut self, other: &FeatureCounts) {
        self.arrivals += other.arrivals;
        self.accepted += other.accepted;
        self.redirected += other.redirected;
        self.landed_on_paused += other.landed_on_paused;
        self.blocked += other.blocked;
        self.failed += other.failed;
        self.connecting += other.connecting;
        self.blocked_in_maintenance += other.blocked_in_maintenance;
        self.blocked_rg_quorum += other.blocked_rg_quorum;
        self.arrivals_in_maintenance += other.arrivals_in_maintenance;
        for (a, b) in self.cut_by.iter_mut().zip(other.cut_by) {
            *a += b;
        }
        self.disrupted += other.disrupted;
        self.completed += other.completed;
        self.active_at_end += other.active_at_end;
        self.setup_delay_sum_us += other.setup_delay_sum_us;
        for (k, v) in &other.setup_delays {
            *self.setup_delays.entry(*k).or_insert(0) += v;
        }
        self.users.add(&other.users);
    }
}

/// One restart of one server and what it cut.
#[derive(Debug, Clone, PartialEq)]
pub struct RestartRecord {
    /// 0-based server.
    pub server: usize,
    /// When it went down.
    pub at: SimTime,
    /// When its drain began (first pause), if it was paused.
    pub paused_at: Option<SimTime>,
    /// Sessions cut, per feature id.
    pub cut: Vec<u64>,
    /// Sessions disrupted, per feature id.
    pub disrupted: Vec<u64>,
    /// Users in the sessions cut, per feature id (R21).
    pub users_cut: Vec<u64>,
    /// Users in the sessions disrupted, per feature id.
    pub users_disrupted: Vec<u64>,
}

/// How a drain ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DrainEnd {
    /// Its last session on the paused services ended.
    Drained,
    /// It was restarted first.
    Restarted,
    /// Its paused services were stopped first.
    Stopped,
    /// Every paused service was resumed first.
    Resumed,
    /// The horizon came first.
    Horizon,
}

impl DrainEnd {
    /// Name used in reports.
    pub fn name(self) -> &'static str {
        match self {
            DrainEnd::Drained => "drained",
            DrainEnd::Restarted => "restarted",
            DrainEnd::Stopped => "stopped",
            DrainEnd::Resumed => "resumed",
            DrainEnd::Horizon => "horizon",
        }
    }
}

/// One drain: from a server's first pause to its last session on the paused services.
#[derive(Debug, Clone, PartialEq)]
pub struct DrainRecord {
    /// 0-based server.
    pub server: usize,
    /// When the first service was paused.
    pub paused_at: SimTime,
    /// When it ended.
    pub ended_at: SimTime,
    /// How it ended.
    pub end: DrainEnd,
    /// Sessions still on the paused services when it ended (0 when drained).
    pub left: u64,
}

impl DrainRecord {
    /// Drain time, if the server drained.
    pub fn drain_time(&self) -> Option<SimTime> {
        (self.end == DrainEnd::Drained).then(|| self.ended_at.since(self.paused_at))
    }
}

/// One plan step as it happened.
#[derive(Debug, Clone, PartialEq)]
pub struct StepRecord {
    /// Index in the plan.
    pub index: usize,
    /// Action name.
    pub action: &'static str,
    /// When it started.
    pub started: SimTime,
    /// When it ended (`None`: still running at the horizon).
    pub ended: Option<SimTime>,
    /// How it ended.
    pub outcome: StepOutcome,
}

/// How a plan step ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum StepOutcome {
    /// Still running at the horizon.
    Running,
    /// It did what it does (a wait elapsed, a restart's servers are up, …).
    Done,
    /// `wait_until_drained`: its targets drained.
    Drained,
    /// `wait_until_drained`: its timeout came first.
    Timeout,
    /// It failed and stopped the plan (rolling restart not ready, failover not drained).
    Failed,
}

impl StepOutcome {
    /// Name used in reports.
    pub fn name(self) -> &'static str {
        match self {
            StepOutcome::Running => "running",
            StepOutcome::Done => "done",
            StepOutcome::Drained => "drained",
            StepOutcome::Timeout => "timeout",
            StepOutcome::Failed => "failed",
        }
    }
}

/// One upgrade domain's passage through a `rolling_restart` step.
#[derive(Debug, Clone, PartialEq)]
pub struct DomainRecord {
    /// 0-based domain index.
    pub domain: usize,
    /// First readiness poll.
    pub first_poll: SimTime,
    /// Busy answers before Ready (or before failing).
    pub busy_polls: u32,
    /// When readiness answered Ready.
    pub ready_at: Option<SimTime>,
    /// When the domain was paused.
    pub paused_at: Option<SimTime>,
    /// When the drain ended (drained or timed out) and the restart began.
    pub restarted_at: Option<SimTime>,
    /// Whether it had drained completely by then.
    pub drained: bool,
    /// When its last server was up again.
    pub up_at: Option<SimTime>,
    /// How it ended.
    pub outcome: DomainOutcome,
}

/// How an upgrade domain's passage through a `rolling_restart` ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DomainOutcome {
    /// Still in progress at the horizon.
    Running,
    /// Patched: its servers are up again.
    Done,
    /// Readiness answered Busy three times in a row.
    Busy,
    /// Readiness answered InsufficientActiveFrontEnds.
    Insufficient,
}

impl DomainOutcome {
    /// Name used in reports.
    pub fn name(self) -> &'static str {
        match self {
            DomainOutcome::Running => "running",
            DomainOutcome::Done => "done",
            DomainOutcome::Busy => "busy",
            DomainOutcome::Insufficient => "insufficient",
        }
    }
}

/// One routing group's loss of quorum (R15): fewer than a majority of its replica servers ran.
#[derive(Debug, Clone, PartialEq)]
pub struct RgQuorumLoss {
    /// 0-based routing group.
    pub group: usize,
    /// When it lost quorum.
    pub from: SimTime,
    /// When it regained it (`None`: still lost at the horizon).
    pub to: Option<SimTime>,
}

/// Occupancy samples: `active[k * servers * features + s * features + f]` at `times[k]`.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct TimeSeries {
    /// Sample times.
    pub times: Vec<SimTime>,
    /// Active sessions per sample, server and feature.
    pub active: Vec<u32>,
}

/// Everything one replication measured.
#[derive(Debug, Clone, PartialEq)]
pub struct ReplicationMetrics {
    /// Per feature id.
    pub features: Vec<FeatureCounts>,
    /// Restarts in order.
    pub restarts: Vec<RestartRecord>,
    /// Drains in order of their end.
    pub drains: Vec<DrainRecord>,
    /// Plan steps as they happened.
    pub steps: Vec<StepRecord>,
    /// Occupancy over time (only when requested).
    pub timeseries: TimeSeries,
    /// Upgrade domains of `rolling_restart` steps, in order.
    pub domains: Vec<DomainRecord>,
    /// When the plan's first step started.
    pub plan_started: Option<SimTime>,
    /// When its last step ended (`None`: still running at the horizon, or failed).
    pub plan_ended: Option<SimTime>,
    /// Why the plan stopped early, if it did: `step N (action): reason`.
    pub plan_failure: Option<String>,
    /// Per server: most concurrent sessions during the maintenance window.
    pub peak_active: Vec<u32>,
    /// Per server: time at or above the utilisation threshold during the maintenance window.
    pub above_threshold: Vec<SimTime>,
    /// Events handled.
    pub events: u64,
    /// Times the pool lost quorum (R9).
    pub pool_quorum_losses: u32,
    /// Routing groups' quorum losses (R15), in order of their start.
    pub rg_quorum_losses: Vec<RgQuorumLoss>,
}

impl ReplicationMetrics {
    /// The sum over every feature.
    pub fn total(&self) -> FeatureCounts {
        let mut t = FeatureCounts::default();
        for f in &self.features {
            t.add(f);
        }
        t
    }
}
