//! Features: the kinds of session a pool serves (R2), and the built-in Lync catalogue.

use super::SimRng;
use super::dist::HoldingTime;
use super::profile::Profile;
use super::service::ServiceId;
use rand::RngExt;

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
    /// Users taking part in one session (R21): what a cut, disruption, failure or block costs
    /// in people.
    pub participants: Participants,
}

/// How many users take part in one session of a feature (R21), drawn once per session.
///
/// A cut conference is noticed by everyone in it, so the report counts users beside sessions.
/// Peer-to-peer sessions and UCAS application calls count one user (the pool's); conferences
/// default to [`Participants::lync2013_conference`].
#[derive(Debug, Clone, PartialEq)]
pub enum Participants {
    /// Always this many.
    Fixed(u16),
    /// `values[i]` with probability `weights[i] / sum(weights)`.
    Discrete {
        /// Sizes, in the order written.
        values: Vec<u16>,
        /// Cumulative probabilities (the last is 1), one per value.
        cumulative: Vec<f64>,
    },
    /// Every whole number from `min` to `max` (inclusive) equally likely.
    Uniform {
        /// Smallest size.
        min: u16,
        /// Largest size.
        max: u16,
    },
}

/// Most users in one session: Lync Server 2013 supports meetings of up to 1,000 users on a
/// dedicated pool (250 on a shared one); ten times that leaves room without inviting typos.
pub const MAX_PARTICIPANTS: u16 = 10_000;

/// The conference sizes of Microsoft's Lync Server 2013 user model ("Lync Server 2013 user
/// models", capacity planning): 85 % of conferences have 4 participants, 10 % have 6, 5 % have
/// 11 (mean 4.55).
pub const LYNC2013_CONFERENCE_SIZES: [(u16, f64); 3] = [(4, 0.85), (6, 0.10), (11, 0.05)];

impl Participants {
    /// Sizes `values` with relative weights `weights` (same length, at least one, each weight
    /// finite and positive: the validator checks).
    pub fn discrete(values: Vec<u16>, weights: &[f64]) -> Participants {
        let total: f64 = weights.iter().sum();
        let mut acc = 0.0;
        let mut cumulative: Vec<f64> = weights
            .iter()
            .map(|w| {
                acc += w;
                acc / total
            })
            .collect();
        // Rounding must not leave a gap above the last value.
        if let Some(last) = cumulative.last_mut() {
            *last = 1.0;
        }
        Participants::Discrete { values, cumulative }
    }

    /// The Lync Server 2013 user model's conference sizes ([`LYNC2013_CONFERENCE_SIZES`]).
    pub fn lync2013_conference() -> Participants {
        let (values, weights): (Vec<u16>, Vec<f64>) =
            LYNC2013_CONFERENCE_SIZES.iter().copied().unzip();
        Participants::discrete(values, &weights)
    }

    /// The default of a catalogue feature (the Lync conference sizes for conferences, 1
    /// otherwise) or of a feature of the scenario's own (1).
    pub fn default_for(entry: Option<&CatalogueEntry>) -> Participants {
        match entry {
            Some(e) if e.conference => Participants::lync2013_conference(),
            _ => Participants::Fixed(1),
        }
    }

    /// Whether every session has the same size (no number needs drawing).
    pub fn fixed(&self) -> Option<u16> {
        match self {
            Participants::Fixed(n) => Some(*n),
            Participants::Uniform { min, max } if min == max => Some(*min),
            _ => None,
        }
    }

    /// The mean size.
    pub fn mean(&self) -> f64 {
        match self {
            Participants::Fixed(n) => f64::from(*n),
            Participants::Discrete { values, cumulative } => {
                let mut below = 0.0;
                let mut sum = 0.0;
                for (v, c) in values.iter().zip(cumulative) {
                    sum += f64::from(*v) * (c - below);
                    below = *c;
                }
                sum
            }
            Participants::Uniform { min, max } => (f64::from(*min) + f64::from(*max)) / 2.0,
        }
    }

    /// One session's size.
    pub fn sample(&self, rng: &mut SimRng) -> u16 {
        match self {
            Participants::Fixed(n) => *n,
            Participants::Discrete { values, cumulative } => {
                let u: f64 = rng.random();
                let i = cumulative.partition_point(|c| *c <= u);
                values[i.min(values.len() - 1)]
            }
            Participants::Uniform { min, max } => rng.random_range(*min..=*max),
        }
    }

    /// How it reads in a report: `1`, `4 (85 %), 6 (10 %), 11 (5 %)`, `2–8`.
    pub fn describe(&self) -> String {
        match self {
            Participants::Fixed(n) => n.to_string(),
            Participants::Discrete { values, cumulative } => {
                let mut below = 0.0;
                let parts: Vec<String> = (values.iter().zip(cumulative))
                    .map(|(v, c)| {
                        let p = (c - below) * 100.0;
                        below = *c;
                        format!("{v} ({p:.0} %)")
                    })
                    .collect();
                parts.join(", ")
            }
            Participants::Uniform { min, max } => format!("{min}–{max}"),
        }
    }
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
    /// A conference (an MCU's session): several users take part, by default as many as
    /// Microsoft's Lync Server 2013 user model says (R21); otherwise one user.
    pub conference: bool,
}

/// The Lync Server 2013 / Skype for Business 2015 defaults (docs/model.md, R2).
pub const CATALOGUE: &[CatalogueEntry] = &[
    CatalogueEntry {
        name: "im",
        service: "RTCSRV",
        needs_dns_lb: false,
        on_loss: OnLoss::Recovers,
        description: "peer-to-peer IM dialog",
        conference: false,
    },
    CatalogueEntry {
        name: "p2p_av_call",
        service: "RTCSRV",
        needs_dns_lb: false,
        on_loss: OnLoss::Recovers,
        description: "peer-to-peer audio/video call (media between the clients)",
        conference: false,
    },
    CatalogueEntry {
        name: "av_conference",
        service: "RTCAVMCU",
        needs_dns_lb: false,
        on_loss: OnLoss::Dropped,
        description: "audio/video conference",
        conference: true,
    },
    CatalogueEntry {
        name: "web_conference",
        service: "RTCDATAMCU",
        needs_dns_lb: false,
        on_loss: OnLoss::Dropped,
        description: "web (data) conference",
        conference: true,
    },
    CatalogueEntry {
        name: "app_sharing",
        service: "RTCASMCU",
        needs_dns_lb: false,
        on_loss: OnLoss::Dropped,
        description: "application sharing conference",
        conference: true,
    },
    CatalogueEntry {
        name: "im_conference",
        service: "RTCIMMCU",
        needs_dns_lb: false,
        on_loss: OnLoss::Dropped,
        description: "IM conference",
        conference: true,
    },
    CatalogueEntry {
        name: "pstn_call",
        service: "RTCMEDSRV",
        needs_dns_lb: false,
        on_loss: OnLoss::Dropped,
        description: "PSTN call through collocated Mediation",
        conference: false,
    },
    CatalogueEntry {
        name: "conferencing_attendant",
        service: "RTCCAA",
        needs_dns_lb: true,
        on_loss: OnLoss::Dropped,
        description: "dial-in Conferencing Attendant call (UCAS)",
        conference: false,
    },
    CatalogueEntry {
        name: "conferencing_announcement",
        service: "RTCCAS",
        needs_dns_lb: true,
        on_loss: OnLoss::Dropped,
        description: "Conferencing Announcement (UCAS)",
        conference: false,
    },
    CatalogueEntry {
        name: "response_group",
        service: "RTCRGS",
        needs_dns_lb: true,
        on_loss: OnLoss::Dropped,
        description: "Response Group call (UCAS)",
        conference: false,
    },
    CatalogueEntry {
        name: "announcement",
        service: "RTCRGS",
        needs_dns_lb: true,
        on_loss: OnLoss::Dropped,
        description: "Announcement application call (UCAS, hosted by RTCRGS)",
        conference: false,
    },
    CatalogueEntry {
        name: "call_park",
        service: "RTCCPS",
        needs_dns_lb: true,
        on_loss: OnLoss::Dropped,
        description: "parked call (UCAS)",
        conference: false,
    },
];

/// The catalogue entry for `name`, if any.
pub fn catalogue_entry(name: &str) -> Option<&'static CatalogueEntry> {
    CATALOGUE.iter().find(|e| e.name == name)
}
