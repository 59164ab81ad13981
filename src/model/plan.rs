//! The operator's plan (R8): an ordered list of steps.

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
    /// Cut every session, hold the servers down for `downtime`, then start services by startup type.
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
}

impl Action {
    /// The action's name as written in scenarios.
    pub fn name(&self) -> &'static str {
        match self {
            Action::Pause(_) => "pause",
            Action::Resume(_) => "resume",
            Action::StopGraceful(_) => "stop_graceful",
            Action::Stop(_) => "stop",
            Action::Start(_) => "start",
            Action::Restart { .. } => "restart",
            Action::SetStartup { .. } => "set_startup",
            Action::Wait { .. } => "wait",
            Action::WaitUntilDrained { .. } => "wait_until_drained",
        }
    }
}
