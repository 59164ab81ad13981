//! The pool model: servers, services, features, routing, the operator's plan, and the
//! simulation that ties them to the engine. No I/O, no serde, no wall clock.

pub mod dist;
pub mod event;
pub mod feature;
pub mod members;
pub mod metrics;
pub mod mix;
pub mod names;
pub mod plan;
pub mod pool;
pub mod profile;
pub mod quorum;
pub mod routing;
pub mod service;
pub mod sim;
pub mod trace;
pub mod workload;

pub use dist::{DistKind, HoldingTime};
pub use event::Event;
pub use feature::{
    CATALOGUE, CatalogueEntry, Feature, OnLoss, Participants, Transport, catalogue_entry,
};
pub use members::Member;
pub use metrics::{
    CutReason, DomainOutcome, DrainEnd, DrainRecord, FeatureCounts, ReplicationMetrics,
    RestartRecord, RgQuorumLoss, StepOutcome, StepRecord, TimeSeries, UserCounts,
};
pub use names::ServerNames;
pub use plan::{Action, ActionKind, Step, Target};
pub use pool::{Pool, Status};
pub use quorum::QuorumRule;
pub use routing::{Admission, Decision, DnsPolicy, HardwarePolicy, RoutingPolicy};
pub use service::{FRONT_END, ServiceId, ServiceMask, ServiceState, StartupType};
pub use sim::{Seeds, SimError, Simulation};

use crate::engine::SimTime;

/// The random number generator of every stream: portable and seedable (same numbers on every
/// platform), with 2^64 independent streams per seed.
pub type SimRng = rand_chacha::ChaCha8Rng;

/// The generator of one session's routing decisions: seeded per session from its feature's
/// placement stream (common random numbers: the same session makes the same random choices in
/// every run of a sweep), small and cheap to seed.
pub type RouteRng = rand_pcg::Pcg64Mcg;

/// How new sessions reach a server.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum LoadBalancing {
    /// The client tries the pool's A records in random order (R4).
    Dns,
    /// A hardware load balancer picks a member (R5).
    Hardware,
}

impl LoadBalancing {
    /// Name used in scenarios and reports.
    pub fn name(self) -> &'static str {
        match self {
            LoadBalancing::Dns => "dns",
            LoadBalancing::Hardware => "hardware",
        }
    }
}

/// How a hardware load balancer picks a member among those it sees up.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum HlbAlgorithm {
    /// In turn.
    RoundRobin,
    /// The member with the fewest active sessions (ties: the next in turn).
    LeastConnections,
    /// Uniformly at random.
    Random,
}

/// What the hardware load balancer's health monitor checks.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum HealthMonitor {
    /// TCP port 5061: up unless the server is down or RTCSRV is stopped (Microsoft's documented set-up).
    Port,
    /// Application-aware: also treats a paused RTCSRV as down.
    Service,
}

/// Client-side (DNS load balancing) timings.
#[derive(Debug, Clone, PartialEq)]
pub struct DnsConfig {
    /// Delay before trying the next address after a refusal (paused or full).
    pub retry_delay: SimTime,
    /// Delay before trying the next address when the server does not answer (down or stopped).
    pub connect_timeout: SimTime,
    /// How long clients keep the pool's A records: a `dns_remove` or `dns_add` reaches every
    /// client within this time (each client at its own moment, uniformly within it).
    pub ttl: SimTime,
    /// Fraction of clients that try the next address after a refusal or a timeout; the others
    /// only try their first pick, and a refusal fails the session.
    pub failover_clients: f64,
}

/// Whether the hardware load balancer sends a client back to the member it chose before.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Persistence {
    /// Every new connection is load balanced.
    None,
    /// Source-address affinity: a client's connections go to the member its record names
    /// while the record lives (refreshed by each new connection) and the member may take it.
    SourceAddress,
}

impl Persistence {
    /// Name used in scenarios and reports.
    pub fn name(self) -> &'static str {
        match self {
            Persistence::None => "none",
            Persistence::SourceAddress => "source_address",
        }
    }
}

/// Hardware load balancer settings.
#[derive(Debug, Clone, PartialEq)]
pub struct HardwareConfig {
    /// Member selection.
    pub algorithm: HlbAlgorithm,
    /// What the monitor checks.
    pub health_monitor: HealthMonitor,
    /// How long the monitor takes to notice a change (interval × count).
    pub detect_delay: SimTime,
    /// Probability that a DNS-dependent session sent to a paused server stays there.
    pub not_redirected: f64,
    /// Persistence of clients to members.
    pub persistence: Persistence,
    /// How long a persistence record lives after the client's last new connection.
    pub persistence_timeout: SimTime,
    /// Distinct client source addresses (a site behind NAT is one); sessions belong to them
    /// uniformly. `None`: every session is its own client (no persistence possible).
    pub clients: Option<u32>,
}

/// Administration timings of `rolling_restart` (Microsoft's figures by default).
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct RollingTimings {
    /// Interval between readiness polls after a Busy answer.
    pub readiness_retry: SimTime,
    /// Wait after Ready before patching the next upgrade domain.
    pub ready_wait: SimTime,
    /// Busy answers in a row that fail the procedure.
    pub max_busy: u32,
}

impl Default for RollingTimings {
    fn default() -> Self {
        RollingTimings {
            readiness_retry: plan::BUSY_RETRY,
            ready_wait: plan::READY_WAIT,
            max_busy: plan::MAX_BUSY,
        }
    }
}

/// The pool's static configuration.
#[derive(Debug, Clone, PartialEq)]
pub struct PoolConfig {
    /// Number of Front Ends.
    pub servers: u32,
    /// DNS or hardware load balancing.
    pub load_balancing: LoadBalancing,
    /// Quorum rule.
    pub quorum: QuorumRule,
    /// Optional cap on concurrent sessions per server, all features together.
    pub max_sessions_per_server: Option<u32>,
    /// DNS load balancing timings.
    pub dns: DnsConfig,
    /// Hardware load balancer settings.
    pub hardware: HardwareConfig,
    /// Timings of the rolling restart procedure.
    pub rolling: RollingTimings,
    /// What the servers are called in messages and reports (never read by the simulation's
    /// dynamics).
    pub names: ServerNames,
}

impl PoolConfig {
    /// The label of server `ix` (0-based): its FQDN when the scenario names it, else `FE n`.
    pub fn label(&self, ix: usize) -> String {
        self.names.label(ix)
    }

    /// Whether a hardware load balancer carries any traffic of a run with `features`: under
    /// hardware load balancing, and under DNS load balancing for features over HTTPS.
    pub fn hlb_in_use(&self, features: &[Feature]) -> bool {
        self.load_balancing == LoadBalancing::Hardware
            || features.iter().any(|f| f.transport == Transport::Https)
    }
}

/// Readiness of an upgrade domain, as `Get-CsPoolUpgradeReadinessState` answers.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Readiness {
    /// The domain can be taken down: quorum holds without it and every routing group keeps a
    /// primary and a secondary.
    Ready,
    /// Replicas of a server that came back are still rebuilding: retry later.
    Busy,
    /// Taking the domain down would lose quorum or a routing group's last replicas.
    InsufficientActiveFrontEnds,
}

impl Readiness {
    /// The cmdlet's word for it.
    pub fn name(self) -> &'static str {
        match self {
            Readiness::Ready => "Ready",
            Readiness::Busy => "Busy",
            Readiness::InsufficientActiveFrontEnds => "InsufficientActiveFrontEnds",
        }
    }
}

/// The pool's topology for pool-wide maintenance (upgrade domains, routing groups).
#[derive(Debug, Clone, PartialEq, Default)]
pub struct Topology {
    /// Upgrade domains in patch order, each a list of 0-based servers.
    pub upgrade_domains: Vec<Vec<u32>>,
    /// Routing groups, each the 0-based servers holding its replicas (primary first).
    pub routing_groups: Vec<Vec<u32>>,
    /// How long a server's replicas rebuild after it comes back (readiness says Busy meanwhile).
    pub replica_rebuild: SimTime,
}

impl Topology {
    /// `domains` contiguous blocks of servers, as even as possible, the first ones one larger
    /// when the division is not exact (e.g. 10 servers in 4 domains: 1–3, 4–6, 7–8, 9–10).
    pub fn contiguous_domains(servers: u32, domains: u32) -> Vec<Vec<u32>> {
        let d = domains.clamp(1, servers.max(1));
        let base = servers / d;
        let extra = servers % d;
        let mut out = Vec::new();
        let mut next = 0;
        for k in 0..d {
            let size = base + u32::from(k < extra);
            out.push((next..next + size).collect());
            next += size;
        }
        out
    }

    /// `groups` routing groups with `min(3, servers)` replicas each, on distinct servers and,
    /// where there are enough domains, in distinct upgrade domains (as Windows Fabric places
    /// them). Servers are listed round-robin across the domains (first server of each domain,
    /// then the second of each, …); group g takes positions g, g+1, g+2 of that list (mod N).
    /// Deterministic and spread evenly.
    pub fn spread_routing_groups(domains: &[Vec<u32>], servers: u32, groups: u32) -> Vec<Vec<u32>> {
        let mut order: Vec<u32> = Vec::with_capacity(servers as usize);
        let longest = domains.iter().map(Vec::len).max().unwrap_or(0);
        for k in 0..longest {
            for d in domains {
                if let Some(&s) = d.get(k) {
                    order.push(s);
                }
            }
        }
        // Servers in no domain (explicit lists may leave some out) come last.
        for s in 0..servers {
            if !order.contains(&s) {
                order.push(s);
            }
        }
        let n = order.len().max(1);
        let r = n.min(3);
        (0..groups as usize)
            .map(|g| (0..r).map(|k| order[(g + k) % n]).collect())
            .collect()
    }
}

/// Everything one run needs: the validated model of one scenario (after sweep expansion).
#[derive(Debug, Clone)]
pub struct RunConfig {
    /// The pool.
    pub pool: PoolConfig,
    /// Windows service names, indexed by [`ServiceId`]; `services[0]` is RTCSRV.
    pub services: Vec<String>,
    /// Enabled features, indexed by feature id.
    pub features: Vec<Feature>,
    /// The operator's plan.
    pub plan: Vec<Step>,
    /// End of the simulated time.
    pub horizon: SimTime,
    /// Wall-clock time of day at simulated time 0, seconds after midnight (R12).
    pub clock_start_s: f64,
    /// Sessions replayed from a call-detail trace (R13), for the features it maps.
    pub trace: Option<trace::Trace>,
    /// Most events a replication may handle before it is stopped with an error.
    pub event_budget: u64,
    /// Occupancy sampling interval for the time series (`None`: no time series).
    pub sample_interval: Option<SimTime>,
    /// Upgrade domains and routing groups.
    pub topology: Topology,
    /// A server counts as busy above this fraction of `max_sessions_per_server` (survivors'
    /// capacity report).
    pub utilisation_threshold: f64,
}
