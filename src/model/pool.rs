//! The pool's state: servers, per-(server, service) states, active sessions (R1, R3).
//!
//! Every state change of R3/R7 goes through [`Pool::transition`], one `match`.

use super::feature::Feature;
use super::members::{Member, Members};
use super::service::{FRONT_END, ServiceId, ServiceState, StartupType};
use super::{HealthMonitor, HlbAlgorithm, PoolConfig};
use crate::engine::SimTime;

/// What a new session of a feature would meet on a server (R3).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Status {
    /// The service runs and accepts sessions.
    Running,
    /// Prevent new connections.
    Paused,
    /// The service is stopped (or the pool lost quorum).
    Stopped,
    /// The server is down (restarting).
    Down,
}

/// An operator's or the machine's action on one service (R3/R7 transitions).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Transition {
    /// Running → Paused.
    Pause,
    /// Paused → Running.
    Resume,
    /// Running | Paused → Paused, stop pending until drained.
    StopGraceful,
    /// The graceful stop's last session ended: → Stopped.
    GracefulDone,
    /// Any → Stopped.
    Stop,
    /// Stopped → Running unless the startup type is Disabled.
    Start,
    /// The server booted: Automatic → Running (even if paused before), Manual/Disabled → Stopped.
    Boot,
}

/// Per-feature facts the pool needs in its hot path.
#[derive(Debug, Clone, Copy)]
struct FeatureSlot {
    service: ServiceId,
    needs_front_end: bool,
    cap: u32,
}

/// The pool's state during one replication.
#[derive(Debug, Clone)]
pub struct Pool {
    servers: usize,
    n_services: usize,
    n_features: usize,
    feature_slots: Vec<FeatureSlot>,
    max_sessions_per_server: u32,
    monitor: HealthMonitor,
    up: Vec<bool>,
    state: Vec<ServiceState>,
    startup: Vec<StartupType>,
    graceful: Vec<bool>,
    active: Vec<u32>,
    active_total: Vec<u32>,
    pub(crate) epoch: Vec<u32>,
    /// The hardware load balancer's members (monitor view, administrative state, indexes).
    members: Members,
    /// Each server's A record in the pool's DNS name, as last changed (R14).
    dns: Vec<DnsRecord>,
    /// Whether any `dns_*` step ran (fast path: every client then lists every server).
    dns_changed: bool,
    quorum_lost: bool,
    /// `status(s, f)` for every (server, feature), recomputed whenever a server's state
    /// changes (rare) so that routing, which asks for every session, reads one byte.
    status: Vec<Status>,
    pub(crate) now: crate::engine::SimTime,
}

impl Pool {
    /// A pool with every server up and every service running with Automatic startup.
    pub fn new(cfg: &PoolConfig, n_services: usize, features: &[Feature]) -> Pool {
        let n = cfg.servers as usize;
        let f = features.len();
        Pool {
            servers: n,
            n_services,
            n_features: f,
            feature_slots: features
                .iter()
                .map(|ft| FeatureSlot {
                    service: ft.service,
                    needs_front_end: ft.needs_front_end,
                    cap: ft.max_per_server.unwrap_or(u32::MAX),
                })
                .collect(),
            max_sessions_per_server: cfg.max_sessions_per_server.unwrap_or(u32::MAX),
            monitor: cfg.hardware.health_monitor,
            up: vec![true; n],
            state: vec![ServiceState::Running; n * n_services],
            startup: vec![StartupType::Automatic; n * n_services],
            graceful: vec![false; n * n_services],
            active: vec![0; n * f],
            active_total: vec![0; n],
            epoch: vec![0; n * f],
            members: Members::new(n, cfg.hardware.algorithm == HlbAlgorithm::LeastConnections),
            dns: vec![DnsRecord::default(); n],
            dns_changed: false,
            quorum_lost: false,
            status: vec![Status::Running; n * f],
            now: crate::engine::SimTime::ZERO,
        }
    }

    /// Simulated time of the event being handled (for policies that depend on time, e.g. a
    /// health monitor that polls).
    pub fn now(&self) -> crate::engine::SimTime {
        self.now
    }

    /// Number of servers.
    pub fn servers(&self) -> usize {
        self.servers
    }

    /// Number of Windows services.
    pub fn n_services(&self) -> usize {
        self.n_services
    }

    /// Number of features.
    pub fn n_features(&self) -> usize {
        self.n_features
    }

    /// Whether server `s` is up.
    pub fn is_up(&self, s: usize) -> bool {
        self.up[s]
    }

    /// State of service `svc` on server `s` (as configured; see [`Pool::status`] for what a session meets).
    pub fn service_state(&self, s: usize, svc: ServiceId) -> ServiceState {
        self.state[s * self.n_services + svc]
    }

    /// Startup type of service `svc` on server `s`.
    pub fn startup(&self, s: usize, svc: ServiceId) -> StartupType {
        self.startup[s * self.n_services + svc]
    }

    /// Whether a graceful stop is pending for service `svc` on server `s`.
    pub fn graceful_pending(&self, s: usize, svc: ServiceId) -> bool {
        self.graceful[s * self.n_services + svc]
    }

    /// Whether the pool has lost quorum (every service stopped, R9).
    pub fn quorum_lost(&self) -> bool {
        self.quorum_lost
    }

    /// Active sessions of feature `f` on server `s`.
    pub fn active(&self, s: usize, f: usize) -> u32 {
        self.active[s * self.n_features + f]
    }

    /// Active sessions of every feature on server `s`.
    pub fn active_on_server(&self, s: usize) -> u32 {
        self.active_total[s]
    }

    /// Whether the hardware load balancer's health monitor currently reports server `s` up.
    pub fn hlb_sees_up(&self, s: usize) -> bool {
        self.members.seen_up(s)
    }

    /// The hardware load balancer's members: states and the balancing indexes.
    pub fn members(&self) -> &Members {
        &self.members
    }

    /// Server `s`'s member state on the hardware load balancer.
    pub fn member(&self, s: usize) -> Member {
        self.members.state(s)
    }

    pub(crate) fn set_hlb_up(&mut self, s: usize, up: bool) {
        self.members.set_up(s, up, self.active_total[s]);
    }

    pub(crate) fn set_member(&mut self, s: usize, state: Member) {
        self.members.set_state(s, state, self.active_total[s]);
    }

    /// Whether a client lists server `s` now. A client's cached records expire at its own
    /// `phase` (in [0, 1)) of the TTL after a change: it learns the change then.
    pub fn dns_lists(&self, s: usize, phase: f64, ttl: SimTime) -> bool {
        if !self.dns_changed {
            return true;
        }
        let r = self.dns[s];
        let learnt = self.now.since(r.since).as_secs_f64() >= phase * ttl.as_secs_f64();
        if learnt { r.listed } else { r.before }
    }

    /// Whether any server's DNS record was changed by the plan.
    pub fn dns_changed(&self) -> bool {
        self.dns_changed
    }

    /// Publishes (`listed`) or removes server `s`'s A record now. A client that has not yet
    /// learnt an earlier change when this one comes keeps its older view until it refreshes.
    pub(crate) fn set_dns_record(&mut self, s: usize, listed: bool) {
        let r = self.dns[s];
        if r.listed == listed {
            return;
        }
        self.dns_changed = true;
        self.dns[s] = DnsRecord {
            listed,
            before: r.listed,
            since: self.now,
        };
    }

    /// What the health monitor would report if it noticed changes at once.
    pub fn monitor_truth(&self, s: usize) -> bool {
        if !self.up[s] || self.quorum_lost {
            return false;
        }
        !matches!(
            (self.monitor, self.service_state(s, FRONT_END)),
            (_, ServiceState::Stopped) | (HealthMonitor::Service, ServiceState::Paused)
        )
    }

    /// What a new session of feature `f` meets on server `s` (R3): its own service's state,
    /// made worse by RTCSRV's when the feature needs the front end.
    #[inline]
    pub fn status(&self, s: usize, f: usize) -> Status {
        let st = self.status[s * self.n_features + f];
        debug_assert_eq!(st, self.compute_status(s, f), "stale status cache");
        st
    }

    /// Recomputes the status row of server `s` after its state changed.
    fn refresh_status(&mut self, s: usize) {
        for f in 0..self.n_features {
            self.status[s * self.n_features + f] = self.compute_status(s, f);
        }
    }

    /// R3 from the service states: what `status` caches.
    fn compute_status(&self, s: usize, f: usize) -> Status {
        if !self.up[s] {
            return Status::Down;
        }
        if self.quorum_lost {
            return Status::Stopped;
        }
        let slot = self.feature_slots[f];
        let mut st = self.service_state(s, slot.service);
        if slot.needs_front_end {
            st = st.max(self.service_state(s, FRONT_END));
        }
        match st {
            ServiceState::Running => Status::Running,
            ServiceState::Paused => Status::Paused,
            ServiceState::Stopped => Status::Stopped,
        }
    }

    /// Whether server `s` has room for one more session of feature `f` (both caps).
    pub fn has_capacity(&self, s: usize, f: usize) -> bool {
        self.active_total[s] < self.max_sessions_per_server
            && self.active[s * self.n_features + f] < self.feature_slots[f].cap
    }

    /// Whether a session of feature `f` depends on service `svc` (its own, or RTCSRV through R3).
    pub fn feature_uses(&self, f: usize, svc: ServiceId) -> bool {
        let slot = self.feature_slots[f];
        slot.service == svc || (svc == FRONT_END && slot.needs_front_end)
    }

    /// Sessions on server `s` of features that use any service in `mask`.
    pub fn active_using(&self, s: usize, mask: super::ServiceMask) -> u32 {
        (0..self.n_features)
            .filter(|&f| {
                (0..self.n_services).any(|svc| mask.contains(svc) && self.feature_uses(f, svc))
            })
            .map(|f| self.active(s, f))
            .sum()
    }

    /// Applies one R3/R7 transition to service `svc` on server `s`. Returns the new state.
    /// Cutting the sessions of a stopped service is the caller's job (it records why).
    pub fn transition(&mut self, s: usize, svc: ServiceId, t: Transition) -> ServiceState {
        let i = s * self.n_services + svc;
        let (state, startup, graceful) = (self.state[i], self.startup[i], self.graceful[i]);
        let (next, next_graceful) = match (t, state) {
            (Transition::Pause, ServiceState::Running) => (ServiceState::Paused, false),
            (Transition::Pause, other) => (other, graceful),
            // Resuming cancels a pending graceful stop, as resuming a stopping service would.
            (Transition::Resume, ServiceState::Paused) => (ServiceState::Running, false),
            (Transition::Resume, other) => (other, graceful),
            (Transition::StopGraceful, ServiceState::Stopped) => (ServiceState::Stopped, false),
            (Transition::StopGraceful, _) => (ServiceState::Paused, true),
            (Transition::GracefulDone, _) if graceful => (ServiceState::Stopped, false),
            (Transition::GracefulDone, other) => (other, false),
            (Transition::Stop, _) => (ServiceState::Stopped, false),
            (Transition::Start, ServiceState::Stopped) if startup != StartupType::Disabled => {
                (ServiceState::Running, false)
            }
            (Transition::Start, other) => (other, graceful),
            (Transition::Boot, _) => match startup {
                StartupType::Automatic => (ServiceState::Running, false),
                StartupType::Manual | StartupType::Disabled => (ServiceState::Stopped, false),
            },
        };
        self.state[i] = next;
        self.graceful[i] = next_graceful;
        if next != state {
            self.refresh_status(s);
        }
        next
    }

    /// Sets the startup type of service `svc` on server `s`.
    pub fn set_startup(&mut self, s: usize, svc: ServiceId, startup: StartupType) {
        self.startup[s * self.n_services + svc] = startup;
    }

    pub(crate) fn set_up(&mut self, s: usize, up: bool) {
        self.up[s] = up;
        self.refresh_status(s);
    }

    pub(crate) fn set_quorum_lost(&mut self, lost: bool) {
        self.quorum_lost = lost;
        for s in 0..self.servers {
            self.refresh_status(s);
        }
    }

    /// Adds one session of feature `f` on server `s`; returns the slot's epoch for its departure.
    pub(crate) fn admit(&mut self, s: usize, f: usize) -> u32 {
        let i = s * self.n_features + f;
        self.active[i] += 1;
        self.active_total[s] += 1;
        self.members.load_changed(s, self.active_total[s]);
        self.epoch[i]
    }

    /// Removes one session if `epoch` is still current; false for a stale departure.
    pub(crate) fn depart(&mut self, s: usize, f: usize, epoch: u32) -> bool {
        let i = s * self.n_features + f;
        if self.epoch[i] != epoch {
            return false;
        }
        debug_assert!(self.active[i] > 0);
        self.active[i] -= 1;
        self.active_total[s] -= 1;
        self.members.load_changed(s, self.active_total[s]);
        true
    }

    /// Ends every session of feature `f` on server `s` at once; their pending departures become
    /// stale (lazy cancellation by epoch). Returns how many there were.
    pub(crate) fn clear(&mut self, s: usize, f: usize) -> u32 {
        let i = s * self.n_features + f;
        let n = self.active[i];
        self.active[i] = 0;
        self.active_total[s] -= n;
        self.members.load_changed(s, self.active_total[s]);
        self.epoch[i] = self.epoch[i].wrapping_add(1);
        n
    }
}

/// A server's A record: listed or not since `since`, and what it was before.
#[derive(Debug, Clone, Copy)]
struct DnsRecord {
    listed: bool,
    before: bool,
    since: SimTime,
}

impl Default for DnsRecord {
    fn default() -> Self {
        DnsRecord {
            listed: true,
            before: true,
            since: SimTime::ZERO,
        }
    }
}
