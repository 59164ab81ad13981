//! Windows services and their lifecycle (R3).

/// Index of a Windows service in the scenario's service list. `FRONT_END` is always 0.
pub type ServiceId = usize;

/// RTCSRV, the Front-End Windows service. It carries the SIP signalling of every feature (R3).
pub const FRONT_END: ServiceId = 0;

/// Windows service names the catalogue knows, RTCSRV first.
pub const KNOWN_SERVICES: &[(&str, &str)] = &[
    ("RTCSRV", "Front-End (SIP registrar, presence, P2P IM)"),
    ("RTCAVMCU", "Audio/video conferencing MCU"),
    ("RTCDATAMCU", "Web conferencing (data) MCU"),
    ("RTCASMCU", "Application sharing MCU"),
    ("RTCIMMCU", "IM conferencing MCU"),
    ("RTCMEDSRV", "Mediation (collocated)"),
    ("RTCCAA", "Conferencing Attendant"),
    ("RTCCAS", "Conferencing Announcement"),
    ("RTCRGS", "Response Group (hosts Announcement too)"),
    ("RTCCPS", "Call Park"),
];

/// At most this many distinct Windows services per scenario (they are kept in a bit mask).
pub const MAX_SERVICES: usize = 64;

/// A set of services as a bit mask over [`ServiceId`].
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct ServiceMask(pub u64);

impl ServiceMask {
    /// Every service.
    pub const ALL: ServiceMask = ServiceMask(u64::MAX);

    /// The set holding only `id`.
    pub fn one(id: ServiceId) -> ServiceMask {
        ServiceMask(1u64 << id)
    }

    /// Whether `id` is in the set.
    pub fn contains(self, id: ServiceId) -> bool {
        self.0 & (1u64 << id) != 0
    }
}

/// State of one Windows service on one server.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum ServiceState {
    /// Accepts new sessions.
    Running,
    /// "Prevent new connections": existing sessions continue, new ones are refused
    /// (or, behind a hardware load balancer, may still land for UCAS features, R5).
    Paused,
    /// Not running: its sessions were cut, new connections fail.
    Stopped,
}

impl ServiceState {
    /// Lower-case name used in reports.
    pub fn name(self) -> &'static str {
        match self {
            ServiceState::Running => "running",
            ServiceState::Paused => "paused",
            ServiceState::Stopped => "stopped",
        }
    }
}

/// What a service does when its server starts (R7).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum StartupType {
    /// Starts running at boot, even if it was paused before the restart (the documented trap).
    Automatic,
    /// Stays stopped at boot until an operator starts it.
    Manual,
    /// Stays stopped at boot and cannot be started until its startup type changes.
    Disabled,
}

impl StartupType {
    /// Lower-case name used in scenarios and reports.
    pub fn name(self) -> &'static str {
        match self {
            StartupType::Automatic => "automatic",
            StartupType::Manual => "manual",
            StartupType::Disabled => "disabled",
        }
    }
}
