//! Features: the kinds of session a pool serves (R2), and the built-in Lync catalogue.

use super::dist::HoldingTime;
use super::profile::Profile;
use super::service::ServiceId;

/// What a server going away does to a session of this feature (R6).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum OnLoss {
    /// The session ends for its user: counted as **cut**.
    Dropped,
    /// The client re-establishes it elsewhere: counted as **disrupted**.
    Recovers,
}

impl OnLoss {
    /// Name used in scenarios and reports.
    pub fn name(self) -> &'static str {
        match self {
            OnLoss::Dropped => "dropped",
            OnLoss::Recovers => "recovers",
        }
    }
}

/// A validated feature of one run.
#[derive(Debug, Clone)]
pub struct Feature {
    /// Name used in reports (`response_group`).
    pub name: String,
    /// The Windows service hosting its sessions.
    pub service: ServiceId,
    /// Whether draining it relies on DNS load balancing (the UCAS applications).
    pub needs_dns_lb: bool,
    /// What a server loss does to its sessions.
    pub on_loss: OnLoss,
    /// Pool-wide Poisson arrival rate, per hour (0 = no arrivals), load factors applied: at a
    /// multiplier of 1.0 when the feature has a profile.
    pub arrivals_per_hour: f64,
    /// Time-of-day multipliers of the rate (R12); `None`: the rate holds all day.
    pub profile: Option<Profile>,
    /// Whether a call-detail trace supplies its sessions instead of drawn arrivals (R13).
    pub from_trace: bool,
    /// Holding-time distribution.
    pub duration: HoldingTime,
    /// Optional cap on concurrent sessions of this feature per server.
    pub max_per_server: Option<u32>,
    /// Whether a paused or stopped RTCSRV also pauses or stops this feature (R3).
    pub needs_front_end: bool,
    /// How its clients reach the pool: SIP (as the pool's load balancing says) or HTTPS
    /// (always through the hardware load balancer, R14).
    pub transport: Transport,
}

/// How a feature's new connections reach the pool (R14).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Transport {
    /// SIP: DNS or hardware load balancing, as the pool is set up.
    #[default]
    Sip,
    /// HTTPS (web services): through the hardware load balancer whatever the SIP load
    /// balancing, as Microsoft requires an HLB for web traffic.
    Https,
}

impl Transport {
    /// Name used in scenarios and reports.
    pub fn name(self) -> &'static str {
        match self {
            Transport::Sip => "sip",
            Transport::Https => "https",
        }
    }
}

/// One row of the built-in catalogue (R2 table).
#[derive(Debug, Clone, Copy)]
pub struct CatalogueEntry {
    /// Feature name.
    pub name: &'static str,
    /// Hosting Windows service.
    pub service: &'static str,
    /// Needs DNS LB to drain.
    pub needs_dns_lb: bool,
    /// On server loss.
    pub on_loss: OnLoss,
    /// Plain description.
    pub description: &'static str,
}

/// The Lync Server 2013 / Skype for Business 2015 defaults (docs/model.md, R2).
pub const CATALOGUE: &[CatalogueEntry] = &[
    CatalogueEntry {
        name: "im",
        service: "RTCSRV",
        needs_dns_lb: false,
        on_loss: OnLoss::Recovers,
        description: "peer-to-peer IM dialog",
    },
    CatalogueEntry {
        name: "p2p_av_call",
        service: "RTCSRV",
        needs_dns_lb: false,
        on_loss: OnLoss::Recovers,
        description: "peer-to-peer audio/video call (media between the clients)",
    },
    CatalogueEntry {
        name: "av_conference",
        service: "RTCAVMCU",
        needs_dns_lb: false,
        on_loss: OnLoss::Dropped,
        description: "audio/video conference",
    },
    CatalogueEntry {
        name: "web_conference",
        service: "RTCDATAMCU",
        needs_dns_lb: false,
        on_loss: OnLoss::Dropped,
        description: "web (data) conference",
    },
    CatalogueEntry {
        name: "app_sharing",
        service: "RTCASMCU",
        needs_dns_lb: false,
        on_loss: OnLoss::Dropped,
        description: "application sharing conference",
    },
    CatalogueEntry {
        name: "im_conference",
        service: "RTCIMMCU",
        needs_dns_lb: false,
        on_loss: OnLoss::Dropped,
        description: "IM conference",
    },
    CatalogueEntry {
        name: "pstn_call",
        service: "RTCMEDSRV",
        needs_dns_lb: false,
        on_loss: OnLoss::Dropped,
        description: "PSTN call through collocated Mediation",
    },
    CatalogueEntry {
        name: "conferencing_attendant",
        service: "RTCCAA",
        needs_dns_lb: true,
        on_loss: OnLoss::Dropped,
        description: "dial-in Conferencing Attendant call (UCAS)",
    },
    CatalogueEntry {
        name: "conferencing_announcement",
        service: "RTCCAS",
        needs_dns_lb: true,
        on_loss: OnLoss::Dropped,
        description: "Conferencing Announcement (UCAS)",
    },
    CatalogueEntry {
        name: "response_group",
        service: "RTCRGS",
        needs_dns_lb: true,
        on_loss: OnLoss::Dropped,
        description: "Response Group call (UCAS)",
    },
    CatalogueEntry {
        name: "announcement",
        service: "RTCRGS",
        needs_dns_lb: true,
        on_loss: OnLoss::Dropped,
        description: "Announcement application call (UCAS, hosted by RTCRGS)",
    },
    CatalogueEntry {
        name: "call_park",
        service: "RTCCPS",
        needs_dns_lb: true,
        on_loss: OnLoss::Dropped,
        description: "parked call (UCAS)",
    },
];

/// The catalogue entry for `name`, if any.
pub fn catalogue_entry(name: &str) -> Option<&'static CatalogueEntry> {
    CATALOGUE.iter().find(|e| e.name == name)
}
