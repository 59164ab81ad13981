//! The operator's plan (R8): an ordered list of steps.

use super::members::Member;
use super::service::{ServiceMask, StartupType};
use crate::engine::SimTime;

/// One step of the plan.
#[derive(Debug, Clone, PartialEq)]
pub struct Step {
    /// Earliest start; the step starts when the previous one ends, and not before this.
    pub at: Option<SimTime>,
    /// What the operator does.
    pub action: Action,
}

/// Servers (0-based) and services a step applies to.
#[derive(Debug, Clone, PartialEq)]
pub struct Target {
    /// Servers, 0-based, in the order given.
    pub servers: Vec<u32>,
    /// Windows services (default: all).
    pub services: ServiceMask,
}

/// What a step does. Steps that end at once: `Pause`, `Resume`, `Stop`, `StopGraceful`, `Start`,
/// `SetStartup`. `Wait` ends after its duration, `Restart` when every server is up again,
/// `WaitUntilDrained` when the targets have no sessions or at the timeout.
#[derive(Debug, Clone, PartialEq)]
pub enum Action {
    /// Prevent new connections: Running → Paused.
    Pause(Target),
    /// Paused → Running.
    Resume(Target),
    /// Pause now; each service stops by itself when its last session ends.
    StopGraceful(Target),
    /// Stop now: the services' sessions are cut.
    Stop(Target),
    /// Stopped → Running (a Disabled service stays stopped).
    Start(Target),
    /// Cut every session, hold the servers down for `downtime`, then start services by startup
    /// type.
    Restart {
        /// Servers restarted at once.
        servers: Vec<u32>,
        /// How long each server stays down.
        downtime: SimTime,
    },
    /// Set the startup type of the services.
    SetStartup {
        /// Servers and services.
        target: Target,
        /// New startup type.
        startup: StartupType,
    },
    /// Do nothing for a while.
    Wait {
        /// How long.
        duration: SimTime,
    },
    /// Wait until the targets have no session left, or until `timeout`.
    WaitUntilDrained {
        /// Servers and services watched.
        target: Target,
        /// Give up after this long (`None`: wait until the horizon).
        timeout: Option<SimTime>,
    },
    /// Patch the pool one upgrade domain at a time, as Microsoft documents it: poll
    /// `Get-CsPoolUpgradeReadinessState` (Busy → retry after [`BUSY_RETRY`]; [`MAX_BUSY`] Busy in
    /// a row or InsufficientActiveFrontEnds → the step fails and the plan stops), pause the
    /// domain, wait until drained (at most `drain_timeout`), restart it, and wait
    /// [`READY_WAIT`] after the next Ready before the following domain.
    RollingRestart {
        /// How long each server stays down.
        downtime: SimTime,
        /// Longest wait for a domain to drain before it is restarted anyway (`None`: no limit).
        drain_timeout: Option<SimTime>,
    },
    /// Skype for Business 2015 `Invoke-CsComputerFailOver`: pause, wait for the drain up to
    /// `wait_time`; drained → stop the services and set them Disabled (a reboot keeps them down);
    /// not drained in time → resume ("no action is taken"), the step fails and the plan stops.
    Failover {
        /// Servers failed over together.
        servers: Vec<u32>,
        /// Longest wait for the drain (the cmdlet's default is 1 h).
        wait_time: SimTime,
    },
    /// `Invoke-CsComputerFailBack`: set the services back to Automatic and start them.
    Failback {
        /// Servers failed back.
        servers: Vec<u32>,
    },
    /// Sets the servers' member state on the hardware load balancer (`lb_enable`,
    /// `lb_disable`, `lb_force_offline`, R14). It lasts until changed: a restart keeps it.
    LbMember {
        /// Servers whose member state changes.
        servers: Vec<u32>,
        /// The new state.
        state: Member,
    },
    /// Removes (`listed = false`, `dns_remove`) or adds back (`dns_add`) the servers' A
    /// records in the pool's DNS name; clients learn it within the TTL (R14).
    DnsRecord {
        /// Servers whose records change.
        servers: Vec<u32>,
        /// Whether the records are published afterwards.
        listed: bool,
    },
}

/// Retry interval after a Busy readiness answer (Microsoft: "retry in 10 minutes").
pub const BUSY_RETRY: SimTime = SimTime::from_secs(600);
/// Busy answers in a row that mean a problem (Microsoft: three).
pub const MAX_BUSY: u32 = 3;
/// Wait after Ready before patching the next upgrade domain (Microsoft: 20 minutes).
pub const READY_WAIT: SimTime = SimTime::from_secs(1200);

impl Action {
    /// Replaces the servers of a step that names servers (others are left alone).
    pub fn set_servers(&mut self, new: &[u32]) {
        match self {
            Action::Pause(t)
            | Action::Resume(t)
            | Action::StopGraceful(t)
            | Action::Stop(t)
            | Action::Start(t) => t.servers = new.to_vec(),
            Action::SetStartup { target, .. } | Action::WaitUntilDrained { target, .. } => {
                target.servers = new.to_vec()
            }
            Action::Restart { servers, .. }
            | Action::Failover { servers, .. }
            | Action::Failback { servers }
            | Action::LbMember { servers, .. }
            | Action::DnsRecord { servers, .. } => *servers = new.to_vec(),
            Action::Wait { .. } | Action::RollingRestart { .. } => {}
        }
    }

    /// The servers a step names (empty for `wait` and `rolling_restart`, which names domains).
    pub fn servers(&self) -> &[u32] {
        match self {
            Action::Pause(t)
            | Action::Resume(t)
            | Action::StopGraceful(t)
            | Action::Stop(t)
            | Action::Start(t) => &t.servers,
            Action::SetStartup { target, .. } | Action::WaitUntilDrained { target, .. } => {
                &target.servers
            }
            Action::Restart { servers, .. }
            | Action::Failover { servers, .. }
            | Action::Failback { servers }
            | Action::LbMember { servers, .. }
            | Action::DnsRecord { servers, .. } => servers,
            Action::Wait { .. } | Action::RollingRestart { .. } => &[],
        }
    }

    /// What kind of action this is.
    pub fn kind(&self) -> ActionKind {
        match self {
            Action::Pause(_) => ActionKind::Pause,
            Action::Resume(_) => ActionKind::Resume,
            Action::StopGraceful(_) => ActionKind::StopGraceful,
            Action::Stop(_) => ActionKind::Stop,
            Action::Start(_) => ActionKind::Start,
            Action::Restart { .. } => ActionKind::Restart,
            Action::SetStartup { .. } => ActionKind::SetStartup,
            Action::Wait { .. } => ActionKind::Wait,
            Action::WaitUntilDrained { .. } => ActionKind::WaitUntilDrained,
            Action::RollingRestart { .. } => ActionKind::RollingRestart,
            Action::Failover { .. } => ActionKind::Failover,
            Action::Failback { .. } => ActionKind::Failback,
            Action::LbMember { state, .. } => match state {
                Member::Enabled => ActionKind::LbEnable,
                Member::Disabled => ActionKind::LbDisable,
                Member::ForcedOffline => ActionKind::LbForceOffline,
            },
            Action::DnsRecord { listed: false, .. } => ActionKind::DnsRemove,
            Action::DnsRecord { listed: true, .. } => ActionKind::DnsAdd,
        }
    }

    /// The action's name as written in scenarios.
    pub fn name(&self) -> &'static str {
        self.kind().name()
    }
}

/// Defines [`ActionKind`], its [`ActionKind::ALL`] and its names from one list, so that the
/// list of kinds cannot disagree with the names (a hand-kept `ALL` could miss a new kind).
macro_rules! action_kinds {
    ($($(#[doc = $doc:literal])* $kind:ident => $name:literal,)*) => {
        /// The vocabulary of step actions (`action = "…"` in scenarios), defined once: the
        /// scenario parser, its messages and the scenario schema take names from here, and
        /// [`Action::kind`] ties every [`Action`] to its kind. Adding an action is one line
        /// here, its [`Action`] variant and its handling (each `match` on a kind is exhaustive).
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
        pub enum ActionKind {
            $($(#[doc = $doc])* $kind,)*
        }

        impl ActionKind {
            /// Every kind, in the order messages list them.
            pub const ALL: &[ActionKind] = &[$(ActionKind::$kind,)*];

            /// The name as written in scenarios.
            pub fn name(self) -> &'static str {
                match self {
                    $(ActionKind::$kind => $name,)*
                }
            }
        }
    };
}

action_kinds! {
    /// [`Action::Pause`].
    Pause => "pause",
    /// [`Action::Resume`].
    Resume => "resume",
    /// [`Action::StopGraceful`].
    StopGraceful => "stop_graceful",
    /// [`Action::Stop`].
    Stop => "stop",
    /// [`Action::Start`].
    Start => "start",
    /// [`Action::Restart`].
    Restart => "restart",
    /// [`Action::SetStartup`].
    SetStartup => "set_startup",
    /// [`Action::Wait`].
    Wait => "wait",
    /// [`Action::WaitUntilDrained`].
    WaitUntilDrained => "wait_until_drained",
    /// [`Action::RollingRestart`].
    RollingRestart => "rolling_restart",
    /// [`Action::Failover`].
    Failover => "failover",
    /// [`Action::Failback`].
    Failback => "failback",
    /// [`Action::LbMember`] to [`Member::Disabled`].
    LbDisable => "lb_disable",
    /// [`Action::LbMember`] to [`Member::ForcedOffline`].
    LbForceOffline => "lb_force_offline",
    /// [`Action::LbMember`] to [`Member::Enabled`].
    LbEnable => "lb_enable",
    /// [`Action::DnsRecord`], removing the records.
    DnsRemove => "dns_remove",
    /// [`Action::DnsRecord`], adding them back.
    DnsAdd => "dns_add",
}

impl ActionKind {
    /// Whether the action acts on the hardware load balancer (`lb_*`).
    pub fn is_lb(self) -> bool {
        matches!(
            self,
            ActionKind::LbDisable | ActionKind::LbForceOffline | ActionKind::LbEnable
        )
    }

    /// Whether the action acts on the pool's DNS records (`dns_*`).
    pub fn is_dns(self) -> bool {
        matches!(self, ActionKind::DnsRemove | ActionKind::DnsAdd)
    }
}

impl ActionKind {
    /// The kind named `name` as written in scenarios, if any.
    pub fn from_name(name: &str) -> Option<ActionKind> {
        ActionKind::ALL.iter().copied().find(|k| k.name() == name)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_are_distinct_and_read_back() {
        for (i, k) in ActionKind::ALL.iter().enumerate() {
            assert_eq!(ActionKind::from_name(k.name()), Some(*k));
            assert!(
                ActionKind::ALL[..i].iter().all(|o| o.name() != k.name()),
                "{} twice",
                k.name()
            );
        }
        assert_eq!(ActionKind::from_name("reboot"), None);
    }
}
