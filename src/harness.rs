//! An invariant suite for routing policies: bring your own [`RoutingPolicy`], get a report.
//!
//! The routing decision (R4, R5) sits behind the public [`RoutingPolicy`] trait, so a user can
//! model a load balancer drainsim does not ship (an application-aware monitor that polls, a
//! drain-aware DNS, a smarter redirect…) and run it with [`Simulation::with_policy`]. This
//! module checks that such a policy keeps the pool's rules, by running it through a set of
//! small scenarios — a built-in set covering pause, resume, restart, stop, graceful stop,
//! manual startup, quorum loss, capacity caps, rolling restarts by upgrade domain, failover and
//! failback, under both load-balancing modes — or your own
//! [`RunConfig`]s — and watching every decision and every event.
//!
//! ## What is checked
//!
//! | kind | rule |
//! |---|---|
//! | [`ViolationKind::AcceptedOnPaused`] | a new session is accepted on a server where its feature is paused, although [`RoutingPolicy::may_land_on_paused`] says the policy never does that for this feature (R4; R5 documents the exception) |
//! | [`ViolationKind::AcceptedOnStopped`] | … on a stopped service, or while the pool has lost quorum (R3, R9) |
//! | [`ViolationKind::AcceptedOnDown`] | … on a server that is down (R6, R7) |
//! | [`ViolationKind::OverCapacity`] | … on a server without room ([`Pool::has_capacity`]), or a server holding more sessions than its caps |
//! | [`ViolationKind::NoSuchServer`] | a decision names a server that does not exist |
//! | [`ViolationKind::WrongAdmission`] | an acceptance on a paused server not labelled [`Admission::LandedOnPaused`], or that label on a running server (the `landed_on_paused` measure would be wrong) |
//! | [`ViolationKind::SessionOnDeadService`] | a session is still on a down server or a stopped service after an event |
//! | [`ViolationKind::RestartNotEmpty`] | a restarted server still holds sessions (R7) |
//! | [`ViolationKind::Conservation`] | `arrivals = accepted + blocked + failed` or `accepted = completed + cut + disrupted + active` fails, during the run or at its end (R10) |
//! | [`ViolationKind::Nondeterministic`] | the same seeds gave different metrics in two runs (R11) |
//! | [`ViolationKind::SimulationError`], [`ViolationKind::Panic`] | the replication could not finish |
//!
//! ## How
//!
//! The policy under test is wrapped in an internal checking policy. Each decision is checked
//! against [`Pool::status`] and [`Pool::has_capacity`] *before* the simulation applies it; a
//! decision that breaks a placement rule is recorded and replaced by
//! [`Decision::Block`], so the run goes on (and the rest of the suite still means something)
//! instead of tripping the simulation's own assertions. The simulation is stepped one event at
//! a time and the whole pool is checked after each event, so every violation carries the
//! simulated time at which it happened. A panic in the policy is caught and reported. Each
//! replication is run a second time with a fresh policy from the factory and the two metrics
//! compared. Nothing panics: [`Harness::run`] returns a [`Report`].
//!
//! [`RoutingPolicy::route`] is not given the simulated time. A policy that needs it (a monitor
//! that polls every 30 s, a client that avoids a failed server for 10 minutes) reads a
//! [`Clock`], which the harness sets to each event's time before handling the event; outside
//! the harness, [`Clock::simulate`] runs a replication the same way. `examples/custom_policy.rs`
//! is such a policy.
//!
//! Checking the whole pool after every event costs `O(servers × features)` per event: the
//! suite is meant for small scenarios (the built-in ones run in well under a second).
//!
//! ## Example
//!
//! ```
//! use drainsim::harness::{self, Harness};
//! use drainsim::model::{DnsPolicy, RoutingPolicy, RunConfig};
//!
//! // A factory: one fresh policy per replication, given the run's configuration.
//! let factory = |cfg: &RunConfig| -> Box<dyn RoutingPolicy> {
//!     Box::new(DnsPolicy::new(cfg.pool.dns.clone(), cfg.pool.servers as usize))
//! };
//! let report = Harness::new(factory).replications(2).run();
//! assert!(report.is_ok(), "{report}");
//!
//! // Your own scenarios, next to (or instead of) the built-in ones:
//! let mine = harness::Case::from_toml(
//!     r#"
//!     name = "two servers, pause one"
//!     horizon = "30m"
//!     [pool]
//!     servers = 2
//!     quorum = "none"
//!     [[feature]]
//!     name = "call_park"
//!     arrivals_per_hour = 300
//!     duration = { distribution = "exponential", mean = "1m" }
//!     [[step]]
//!     at = "10m"
//!     action = "pause"
//!     server = 1
//!     "#,
//! )
//! .expect("a valid scenario");
//! let report = Harness::with_cases(harness::builtin_policy, mine).run();
//! assert!(report.is_ok(), "{report}");
//! ```
//!
//! A faulty policy is reported, not obeyed:
//!
//! ```
//! use drainsim::engine::SimTime;
//! use drainsim::harness::{Harness, ViolationKind};
//! use drainsim::model::{Admission, Decision, Feature, Pool, RouteRng, RoutingPolicy, RunConfig};
//!
//! /// Sends everything to server 1, paused, stopped, down or full.
//! struct Reckless;
//!
//! impl RoutingPolicy for Reckless {
//!     fn name(&self) -> &str {
//!         "reckless"
//!     }
//!     fn route(&mut self, _: &Pool, _: usize, _: &Feature, _: &mut RouteRng) -> Decision {
//!         Decision::Accept { server: 0, setup_delay: SimTime::ZERO, admission: Admission::Direct }
//!     }
//!     fn may_land_on_paused(&self, _: &Feature) -> bool {
//!         false
//!     }
//! }
//!
//! let report = Harness::new(|_: &RunConfig| -> Box<dyn RoutingPolicy> { Box::new(Reckless) })
//!     .replications(1)
//!     .run();
//! assert!(!report.is_ok());
//! assert!(report.has(ViolationKind::AcceptedOnPaused));
//! assert!(report.has(ViolationKind::AcceptedOnDown));
//! // e.g. "[accepted_on_paused] pause-wait-restart [load_balancing = dns] / seed 101 replication 0
//! //       at 900.127588s: reckless accepted a "response_group" session on server 1, where its
//! //       service is paused (may_land_on_paused is false)"
//! println!("{}", report.of_kind(ViolationKind::AcceptedOnPaused).next().unwrap());
//! ```

use std::fmt;
use std::panic::{self, AssertUnwindSafe};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex, PoisonError};

use crate::engine::SimTime;
use crate::model::{
    Admission, Decision, DnsPolicy, Feature, FeatureCounts, HardwarePolicy, LoadBalancing, Pool,
    ReplicationMetrics, RouteRng, RoutingPolicy, RunConfig, Seeds, SimError, Simulation, Status,
};
use crate::scenario::{self, NoFiles, ScenarioError};

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
    /// An acceptance whose [`Admission`] label contradicts the server's state.
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
    /// Name of the [`Case`].
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

/// A scenario for the suite: a run configuration, its seed and how many replications to check.
#[derive(Debug, Clone)]
pub struct Case {
    /// Name used in violations.
    pub name: String,
    /// The run.
    pub config: RunConfig,
    /// Root seed; replication `k` uses `Seeds::derive(seed, k)`.
    pub seed: u64,
    /// Replications to check.
    pub replications: u32,
}

impl Case {
    /// A case from a run configuration of your own (seed 1, 3 replications).
    pub fn new(name: impl Into<String>, config: RunConfig) -> Case {
        Case {
            name: name.into(),
            config,
            seed: 1,
            replications: 3,
        }
    }

    /// With another root seed.
    pub fn seed(mut self, seed: u64) -> Case {
        self.seed = seed;
        self
    }

    /// With another number of replications.
    pub fn replications(mut self, replications: u32) -> Case {
        self.replications = replications;
        self
    }

    /// Every run of a scenario file (one case per combination of its sweep), with the file's
    /// seed and replications. Cases are named `<name> [axis = value, …]`.
    pub fn from_toml(text: &str) -> Result<Vec<Case>, ScenarioError> {
        let s = scenario::parse(text, "<harness>", &NoFiles)?;
        let runs = scenario::expand(&s).map_err(|msgs| ScenarioError {
            diagnostics: msgs
                .into_iter()
                .map(|message| scenario::Diagnostic {
                    file: "<harness>".into(),
                    position: None,
                    path: "sweep".into(),
                    message,
                })
                .collect(),
        })?;
        Ok(runs
            .into_iter()
            .map(|run| {
                let labels: Vec<String> = run
                    .labels
                    .iter()
                    .map(|(k, v)| format!("{k} = {v}"))
                    .collect();
                let name = if labels.is_empty() || s.axes.is_empty() {
                    s.name.clone()
                } else {
                    format!("{} [{}]", s.name, labels.join(", "))
                };
                Case {
                    name,
                    config: run.config,
                    seed: s.seed,
                    replications: s.replications,
                }
            })
            .collect())
    }
}

/// The built-in scenarios, as scenario-file texts. Each is small (a few hundred sessions per
/// replication) and sweeps `load_balancing` over DNS and hardware where both are interesting,
/// so that each state of R3 is met under both policies.
pub const BUILTIN_SCENARIOS: &[&str] = &[
    // Pause, wait, restart: the default maintenance, with DNS-dependent, redirectable and
    // recovering features.
    r#"
name = "pause-wait-restart"
seed = 101
replications = 3
horizon = "50m"
sample_interval = "0s"
[pool]
servers = 4
quorum = "none"
[pool.hardware]
detect_delay = "15s"
[[feature]]
name = "im"
arrivals_per_hour = 900
duration = { distribution = "exponential", mean = "1m" }
[[feature]]
name = "response_group"
arrivals_per_hour = 300
duration = { distribution = "lognormal", median = "1m", sigma = 0.8 }
[[feature]]
name = "av_conference"
arrivals_per_hour = 60
duration = { distribution = "exponential", mean = "10m" }
[[step]]
at = "15m"
action = "pause"
server = 1
[[step]]
action = "wait"
duration = "10m"
[[step]]
action = "restart"
server = 1
downtime = "2m"
[sweep]
load_balancing = ["dns", "hardware"]
"#,
    // Pause one service only, resume it, then pause a whole server and wait for its drain.
    r#"
name = "pause-service-resume-drain"
seed = 102
replications = 3
horizon = "50m"
sample_interval = "0s"
[pool]
servers = 3
quorum = "none"
[[feature]]
name = "response_group"
arrivals_per_hour = 300
duration = { distribution = "exponential", mean = "1m" }
[[feature]]
name = "call_park"
arrivals_per_hour = 300
duration = { distribution = "uniform", min = "10s", max = "90s" }
[[feature]]
name = "pstn_call"
arrivals_per_hour = 600
duration = { distribution = "exponential", mean = "2m" }
[[step]]
at = "10m"
action = "pause"
server = 2
services = ["RTCRGS"]
[[step]]
action = "wait"
duration = "5m"
[[step]]
action = "resume"
server = 2
services = ["RTCRGS"]
[[step]]
action = "pause"
servers = [1, 3]
[[step]]
action = "wait_until_drained"
servers = [1, 3]
timeout = "15m"
[[step]]
action = "restart"
servers = [1, 3]
downtime = "1m"
[sweep]
load_balancing = ["dns", "hardware"]
"#,
    // Graceful stop, start, hard stop of the front end (which stops every feature that needs
    // it), start again.
    r#"
name = "stop-graceful-and-stop"
seed = 103
replications = 3
horizon = "50m"
sample_interval = "0s"
[pool]
servers = 4
quorum = "none"
[pool.hardware]
detect_delay = "30s"
[[feature]]
name = "im"
arrivals_per_hour = 600
duration = { distribution = "exponential", mean = "1m" }
[[feature]]
name = "conferencing_attendant"
arrivals_per_hour = 300
duration = { distribution = "lognormal", mean = "100s", cv = 1.0 }
[[feature]]
name = "web_conference"
arrivals_per_hour = 60
duration = { distribution = "exponential", mean = "5m" }
[[step]]
at = "10m"
action = "stop_graceful"
server = 1
[[step]]
action = "wait_until_drained"
server = 1
timeout = "10m"
[[step]]
action = "start"
server = 1
[[step]]
action = "stop"
server = 2
services = ["RTCSRV"]
[[step]]
action = "wait"
duration = "5m"
[[step]]
action = "start"
server = 2
services = ["RTCSRV"]
[sweep]
load_balancing = ["dns", "hardware"]
"#,
    // Manual startup: after the restart the services stay stopped until started.
    r#"
name = "manual-startup"
seed = 104
replications = 3
horizon = "50m"
sample_interval = "0s"
[pool]
servers = 3
quorum = "none"
[[feature]]
name = "announcement"
arrivals_per_hour = 300
duration = { distribution = "uniform", min = "10s", max = "30s" }
[[feature]]
name = "app_sharing"
arrivals_per_hour = 120
duration = { distribution = "gamma", mean = "4m", shape = 0.5 }
[[step]]
at = "5m"
action = "set_startup"
server = 1
startup = "manual"
[[step]]
action = "pause"
server = 1
[[step]]
action = "wait"
duration = "10m"
[[step]]
action = "restart"
server = 1
downtime = "1m"
[[step]]
action = "wait"
duration = "10m"
[[step]]
action = "set_startup"
server = 1
startup = "automatic"
[[step]]
action = "start"
server = 1
[sweep]
load_balancing = ["dns", "hardware"]
"#,
    // Caps: per-feature and per-server limits under load, with a paused server, so that
    // refusals, redirects and blocking all happen.
    r#"
name = "capacity-caps"
seed = 105
replications = 3
horizon = "40m"
sample_interval = "0s"
[pool]
servers = 3
quorum = "none"
max_sessions_per_server = 8
[pool.hardware]
algorithm = "least_connections"
[[feature]]
name = "pstn_call"
arrivals_per_hour = 900
max_per_server = 3
duration = { distribution = "exponential", mean = "1m" }
[[feature]]
name = "response_group"
arrivals_per_hour = 600
max_per_server = 4
duration = { distribution = "deterministic", value = "45s" }
[[step]]
at = "10m"
action = "pause"
server = 3
[[step]]
action = "wait"
duration = "10m"
[[step]]
action = "resume"
server = 3
[sweep]
load_balancing = ["dns", "hardware"]
"#,
    // Hardware load balancer variants: application-aware monitor, random picks, partial
    // redirection of DNS-dependent features, a long detection delay (sessions sent to a dead
    // member fail).
    r#"
name = "hardware-variants"
seed = 106
replications = 3
horizon = "40m"
sample_interval = "0s"
[pool]
servers = 4
load_balancing = "hardware"
quorum = "none"
[pool.hardware]
algorithm = "random"
detect_delay = "45s"
not_redirected = 0.5
[[feature]]
name = "im"
arrivals_per_hour = 900
duration = { distribution = "exponential", mean = "1m" }
[[feature]]
name = "conferencing_announcement"
arrivals_per_hour = 600
duration = { distribution = "uniform", min = "5s", max = "15s" }
[[feature]]
name = "call_park"
arrivals_per_hour = 300
duration = { distribution = "uniform", min = "10s", max = "90s" }
[[step]]
at = "5m"
action = "pause"
server = 2
[[step]]
action = "stop"
server = 1
[[step]]
action = "wait"
duration = "5m"
[[step]]
action = "start"
server = 1
[[step]]
action = "restart"
server = 2
downtime = "1m"
[[step]]
action = "restart"
servers = [3, 4]
downtime = "30s"
[sweep]
pool.hardware.health_monitor = ["port", "service"]
"#,
    // Quorum loss: one Front End of three stopped is tolerated, two stop the whole pool (R9).
    r#"
name = "quorum-loss"
seed = 107
replications = 3
horizon = "40m"
sample_interval = "0s"
[pool]
servers = 3
quorum = "lync2013"
[[feature]]
name = "im"
arrivals_per_hour = 600
duration = { distribution = "exponential", mean = "1m" }
[[feature]]
name = "av_conference"
arrivals_per_hour = 120
duration = { distribution = "exponential", mean = "5m" }
[[step]]
at = "5m"
action = "stop"
server = 1
services = ["RTCSRV"]
[[step]]
action = "wait"
duration = "5m"
[[step]]
action = "stop"
server = 2
services = ["RTCSRV"]
[[step]]
action = "wait"
duration = "5m"
[[step]]
action = "start"
servers = [1, 2]
services = ["RTCSRV"]
[[step]]
action = "restart"
server = 3
downtime = "2m"
[sweep]
load_balancing = ["dns", "hardware"]
"#,
    // A custom feature that does not need the front end: pausing RTCSRV leaves it running.
    r#"
name = "feature-without-front-end"
seed = 108
replications = 3
horizon = "40m"
sample_interval = "0s"
[pool]
servers = 2
quorum = "none"
[[feature]]
name = "media_relay"
service = "MRAS"
needs_front_end = false
on_server_loss = "dropped"
arrivals_per_hour = 600
duration = { distribution = "weibull", scale = "1m", shape = 0.7 }
[[feature]]
name = "im"
arrivals_per_hour = 600
duration = { distribution = "exponential", mean = "1m" }
[[step]]
at = "10m"
action = "pause"
server = 1
services = ["RTCSRV"]
[[step]]
action = "wait"
duration = "5m"
[[step]]
action = "stop"
server = 2
services = ["MRAS"]
[[step]]
action = "wait"
duration = "5m"
[[step]]
action = "start"
server = 2
services = ["MRAS"]
[[step]]
action = "restart"
server = 1
downtime = "1m"
[sweep]
load_balancing = ["dns", "hardware"]
"#,
    // Pool-wide maintenance: a rolling restart by upgrade domain, with readiness polls.
    r#"
name = "rolling-restart"
seed = 109
replications = 2
horizon = "3h"
sample_interval = "0s"
[pool]
servers = 6
quorum = "lync2013"
upgrade_domains = 3
routing_groups = 12
replica_rebuild = "5m"
[[feature]]
name = "im"
arrivals_per_hour = 600
duration = { distribution = "exponential", mean = "1m" }
[[feature]]
name = "response_group"
arrivals_per_hour = 300
duration = { distribution = "lognormal", median = "1m", sigma = 0.8 }
[[feature]]
name = "av_conference"
arrivals_per_hour = 60
duration = { distribution = "exponential", mean = "5m" }
[[step]]
at = "10m"
action = "rolling_restart"
downtime = "2m"
timeout = "10m"
[sweep]
load_balancing = ["dns", "hardware"]
"#,
    // Skype for Business failover (drain, stop and disable), restart, failback.
    r#"
name = "failover-failback"
seed = 110
replications = 3
horizon = "1h"
sample_interval = "0s"
[pool]
servers = 4
quorum = "lync2013"
[[feature]]
name = "im"
arrivals_per_hour = 600
duration = { distribution = "exponential", mean = "1m" }
[[feature]]
name = "call_park"
arrivals_per_hour = 300
duration = { distribution = "uniform", min = "10s", max = "90s" }
[[feature]]
name = "pstn_call"
arrivals_per_hour = 600
duration = { distribution = "exponential", mean = "2m" }
[[step]]
at = "10m"
action = "failover"
server = 1
wait_time = "10m"
[[step]]
action = "restart"
server = 1
downtime = "2m"
[[step]]
action = "wait"
duration = "5m"
[[step]]
action = "failback"
server = 1
[sweep]
load_balancing = ["dns", "hardware"]
"#,
];

/// The built-in cases: every run of every [`BUILTIN_SCENARIOS`] text.
pub fn builtin_cases() -> Vec<Case> {
    BUILTIN_SCENARIOS
        .iter()
        .flat_map(|text| match Case::from_toml(text) {
            Ok(cases) => cases,
            // The texts are ours and a unit test parses them: this cannot be user input.
            Err(e) => panic!("built-in harness scenario is invalid:\n{e}"),
        })
        .collect()
}

/// The policy drainsim itself uses for a run: [`DnsPolicy`] or [`HardwarePolicy`], as the
/// run's `load_balancing` says. A factory for [`Harness`].
pub fn builtin_policy(cfg: &RunConfig) -> Box<dyn RoutingPolicy> {
    match cfg.pool.load_balancing {
        LoadBalancing::Dns => Box::new(DnsPolicy::new(
            cfg.pool.dns.clone(),
            cfg.pool.servers as usize,
        )),
        LoadBalancing::Hardware => Box::new(HardwarePolicy::new(cfg.pool.hardware.clone())),
    }
}

/// Simulated time for policies that need it (a monitor that polls, a client that avoids a
/// server for ten minutes…).
///
/// [`RoutingPolicy::route`] is not given the time, so a time-aware policy holds a clone of a
/// `Clock` and reads [`Clock::now`]; whoever drives the simulation sets it to each event's time
/// *before* the event is handled: [`Harness`] does so for its own clock ([`Harness::clock`]),
/// and [`Clock::simulate`] runs a replication that way. A clock is shared by its clones, so
/// one clock serves one simulation at a time.
#[derive(Debug, Clone, Default)]
pub struct Clock(Arc<AtomicU64>);

impl Clock {
    /// A clock at time zero.
    pub fn new() -> Clock {
        Clock::default()
    }

    /// The time of the event being handled.
    pub fn now(&self) -> SimTime {
        SimTime(self.0.load(Ordering::Relaxed))
    }

    /// Sets the time.
    pub fn set(&self, t: SimTime) {
        self.0.store(t.0, Ordering::Relaxed);
    }

    /// Runs one replication of `cfg` with `policy` to the horizon, setting this clock to each
    /// event's time before the event is handled. Same result as [`Simulation::run`] otherwise.
    pub fn simulate<'a>(
        &self,
        cfg: &'a RunConfig,
        seeds: Seeds,
        policy: Box<dyn RoutingPolicy + 'a>,
    ) -> Result<ReplicationMetrics, SimError> {
        let mut sim = Simulation::with_policy(cfg, seeds, policy);
        self.set(SimTime::ZERO);
        while let Some(t) = sim.next_time() {
            if sim.metrics().events >= cfg.event_budget {
                return Err(SimError::EventBudget {
                    budget: cfg.event_budget,
                    at: sim.now(),
                    horizon: cfg.horizon,
                });
            }
            self.set(t);
            if sim.step().is_none() {
                break;
            }
        }
        sim.run()
    }
}

/// What one case gave.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CaseSummary {
    /// Name of the case.
    pub name: String,
    /// Replications run (each twice when determinism is checked).
    pub replications: u32,
    /// Routing decisions checked.
    pub decisions: u64,
    /// Events handled.
    pub events: u64,
    /// Server restarts that happened (a sign that the plan did run).
    pub restarts: u64,
    /// Violations found (including suppressed ones).
    pub violations: u64,
}

/// The suite's verdict: every violation found, or none.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Report {
    /// Name of the policy under test (from the first policy the factory built).
    pub policy: String,
    /// One summary per case, in order.
    pub cases: Vec<CaseSummary>,
    /// Violations, in order of case, replication and time; at most
    /// [`Harness::max_violations_per_kind`] per case and kind.
    pub violations: Vec<Violation>,
    /// Violations found beyond that limit, counted but not listed.
    pub suppressed: u64,
}

impl Report {
    /// Whether no rule was broken.
    pub fn is_ok(&self) -> bool {
        self.violations.is_empty() && self.suppressed == 0
    }

    /// Listed violations of one kind.
    pub fn of_kind(&self, kind: ViolationKind) -> impl Iterator<Item = &Violation> {
        self.violations.iter().filter(move |v| v.kind == kind)
    }

    /// Whether any listed violation is of `kind`.
    pub fn has(&self, kind: ViolationKind) -> bool {
        self.of_kind(kind).next().is_some()
    }

    /// Routing decisions checked, over every case.
    pub fn decisions(&self) -> u64 {
        self.cases.iter().map(|c| c.decisions).sum()
    }
}

impl fmt::Display for Report {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let total: u64 = self.cases.iter().map(|c| c.violations).sum();
        writeln!(
            f,
            "policy {:?}: {} cases, {} decisions checked, {} violations",
            self.policy,
            self.cases.len(),
            self.decisions(),
            total
        )?;
        for c in &self.cases {
            writeln!(
                f,
                "  {}: {} replications, {} decisions, {} events, {} restarts, {} violations",
                c.name, c.replications, c.decisions, c.events, c.restarts, c.violations
            )?;
        }
        for v in &self.violations {
            writeln!(f, "  {v}")?;
        }
        if self.suppressed > 0 {
            writeln!(f, "  … and {} more not listed", self.suppressed)?;
        }
        Ok(())
    }
}

/// The invariant suite: a policy factory and the cases to run it on.
pub struct Harness<F> {
    factory: F,
    cases: Vec<Case>,
    replications: Option<u32>,
    determinism: bool,
    max_violations_per_kind: usize,
    clock: Clock,
}

impl<F> Harness<F>
where
    F: Fn(&RunConfig) -> Box<dyn RoutingPolicy>,
{
    /// The suite over the built-in cases ([`builtin_cases`]). `factory` builds a fresh policy
    /// for each replication (policies carry state, e.g. a round-robin cursor).
    pub fn new(factory: F) -> Self {
        Self::with_cases(factory, builtin_cases())
    }

    /// The suite over your own cases only.
    pub fn with_cases(factory: F, cases: Vec<Case>) -> Self {
        Harness {
            factory,
            cases,
            replications: None,
            determinism: true,
            max_violations_per_kind: 10,
            clock: Clock::new(),
        }
    }

    /// Adds a case.
    pub fn case(mut self, case: Case) -> Self {
        self.cases.push(case);
        self
    }

    /// Keeps only the cases `keep` accepts (e.g. those with hardware load balancing).
    pub fn filter(mut self, keep: impl Fn(&Case) -> bool) -> Self {
        self.cases.retain(|c| keep(c));
        self
    }

    /// Overrides every case's number of replications.
    pub fn replications(mut self, n: u32) -> Self {
        self.replications = Some(n);
        self
    }

    /// Whether to run each replication twice and compare (default: yes).
    pub fn determinism(mut self, check: bool) -> Self {
        self.determinism = check;
        self
    }

    /// Most violations listed per case and kind (default 10); the rest are only counted.
    pub fn max_violations_per_kind(mut self, n: usize) -> Self {
        self.max_violations_per_kind = n;
        self
    }

    /// The suite's clock, set to each event's time before the event is handled: give a clone
    /// to time-aware policies. The factory is passed before the harness exists, so create the
    /// clock first and hand it over with [`Harness::with_clock`].
    pub fn clock(&self) -> Clock {
        self.clock.clone()
    }

    /// Uses `clock` as the suite's clock.
    pub fn with_clock(mut self, clock: Clock) -> Self {
        self.clock = clock;
        self
    }

    /// The cases the suite will run.
    pub fn cases(&self) -> &[Case] {
        &self.cases
    }

    /// Runs the suite. Never panics on a faulty policy: every problem is in the report.
    pub fn run(&self) -> Report {
        let policy = self
            .cases
            .first()
            .and_then(|c| {
                panic::catch_unwind(AssertUnwindSafe(|| {
                    (self.factory)(&c.config).name().to_string()
                }))
                .ok()
            })
            .unwrap_or_else(|| "?".to_string());
        let mut report = Report {
            policy,
            cases: Vec::new(),
            violations: Vec::new(),
            suppressed: 0,
        };
        for case in &self.cases {
            self.run_case(case, &mut report);
        }
        report
    }

    fn run_case(&self, case: &Case, report: &mut Report) {
        let reps = self.replications.unwrap_or(case.replications);
        let mut summary = CaseSummary {
            name: case.name.clone(),
            replications: reps,
            decisions: 0,
            events: 0,
            restarts: 0,
            violations: 0,
        };
        let mut found: Vec<Violation> = Vec::new();
        for rep in 0..reps {
            let first = self.replicate(case, rep);
            summary.decisions += first.decisions;
            summary.events += first.events;
            summary.restarts += first
                .metrics
                .as_ref()
                .map_or(0, |m| m.restarts.len() as u64);
            found.extend(first.violations);
            if !self.determinism {
                continue;
            }
            let Some(a) = first.metrics else { continue };
            let second = self.replicate(case, rep);
            if let Some(b) = second.metrics
                && let Some(diff) = first_difference(&a, &b, &case.config)
            {
                found.push(Violation {
                    scenario: case.name.clone(),
                    seed: case.seed,
                    replication: rep,
                    time: case.config.horizon,
                    kind: ViolationKind::Nondeterministic,
                    detail: format!("same seeds, different metrics: {diff}"),
                });
            }
        }
        summary.violations = found.len() as u64;
        let mut listed: Vec<(ViolationKind, usize)> = Vec::new();
        for v in found {
            let n = match listed.iter_mut().find(|(k, _)| *k == v.kind) {
                Some((_, n)) => n,
                None => {
                    listed.push((v.kind, 0));
                    &mut listed.last_mut().expect("just pushed").1
                }
            };
            if *n < self.max_violations_per_kind {
                *n += 1;
                report.violations.push(v);
            } else {
                report.suppressed += 1;
            }
        }
        report.cases.push(summary);
    }

    /// One replication, stepped event by event with every check.
    fn replicate(&self, case: &Case, rep: u32) -> Replicated {
        let cfg = &case.config;
        let shared = Arc::new(Mutex::new(Shared::default()));
        let mut found = Vec::new();
        let mut now = SimTime::ZERO;
        let mut events = 0;
        let violation = |time: SimTime, kind: ViolationKind, detail: String| Violation {
            scenario: case.name.clone(),
            seed: case.seed,
            replication: rep,
            time,
            kind,
            detail,
        };
        let outcome = panic::catch_unwind(AssertUnwindSafe(|| {
            let checker = Checker {
                inner: (self.factory)(cfg),
                shared: Arc::clone(&shared),
            };
            let seeds = Seeds::derive(case.seed, u64::from(rep));
            let mut sim = Simulation::with_policy(cfg, seeds, Box::new(checker));
            self.clock.set(SimTime::ZERO);
            let mut watch = Watch::new(cfg);
            loop {
                if sim.metrics().events >= cfg.event_budget {
                    found.push(violation(
                        now,
                        ViolationKind::SimulationError,
                        format!(
                            "event budget of {} events exhausted before the horizon",
                            cfg.event_budget
                        ),
                    ));
                    return None;
                }
                if let Some(t) = sim.next_time() {
                    self.clock.set(t);
                }
                let Some(t) = sim.step() else { break };
                now = t;
                events += 1;
                let pending = std::mem::take(&mut lock(&shared).pending);
                for (kind, detail) in pending {
                    found.push(violation(t, kind, detail));
                }
                watch.after_event(&sim, cfg, &mut |kind, detail| {
                    found.push(violation(t, kind, detail))
                });
            }
            let metrics = match sim.run() {
                Ok(m) => m,
                Err(e) => {
                    found.push(violation(
                        now,
                        ViolationKind::SimulationError,
                        e.to_string(),
                    ));
                    return None;
                }
            };
            for (f, c) in metrics.features.iter().enumerate() {
                // Our own reading of R10, then the model's (which may know more identities).
                let problem = conservation_problem(c, None).or_else(|| {
                    (!c.conserved()).then(|| format!("FeatureCounts::conserved() is false: {c:?}"))
                });
                if let Some(problem) = problem {
                    found.push(violation(
                        cfg.horizon,
                        ViolationKind::Conservation,
                        format!(
                            "feature {:?} at the end of the run: {problem}",
                            name_of(cfg, f)
                        ),
                    ));
                }
            }
            Some(metrics)
        }));
        let metrics = match outcome {
            Ok(m) => m,
            Err(payload) => {
                let msg = payload
                    .downcast_ref::<&str>()
                    .map(|s| s.to_string())
                    .or_else(|| payload.downcast_ref::<String>().cloned())
                    .unwrap_or_else(|| "(no message)".to_string());
                found.push(violation(
                    now,
                    ViolationKind::Panic,
                    format!("panicked: {msg}"),
                ));
                None
            }
        };
        let decisions = lock(&shared).decisions;
        Replicated {
            metrics,
            violations: found,
            decisions,
            events,
        }
    }
}

/// Runs the suite over the built-in cases with default settings.
pub fn check<F>(factory: F) -> Report
where
    F: Fn(&RunConfig) -> Box<dyn RoutingPolicy>,
{
    Harness::new(factory).run()
}

struct Replicated {
    metrics: Option<ReplicationMetrics>,
    violations: Vec<Violation>,
    decisions: u64,
    events: u64,
}

/// What the checking policy hands back to the harness between events.
#[derive(Default)]
struct Shared {
    pending: Vec<(ViolationKind, String)>,
    decisions: u64,
}

fn lock(shared: &Mutex<Shared>) -> std::sync::MutexGuard<'_, Shared> {
    // A panic in the policy never happens while the lock is held, but a poisoned lock must
    // not hide the report either.
    shared.lock().unwrap_or_else(PoisonError::into_inner)
}

/// Wraps the policy under test: checks each decision before the simulation applies it.
struct Checker {
    inner: Box<dyn RoutingPolicy>,
    shared: Arc<Mutex<Shared>>,
}

impl Checker {
    /// The rule a decision breaks, if any, and whether the decision must be refused (placement
    /// rules) or may stand (a wrong label only).
    fn judge(
        &self,
        pool: &Pool,
        f: usize,
        feature: &Feature,
        d: &Decision,
    ) -> Option<(ViolationKind, String, bool)> {
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
            return Some((
                ViolationKind::NoSuchServer,
                format!(
                    "{who} on server index {server}, but the pool has {} servers",
                    pool.servers()
                ),
                true,
            ));
        }
        let on = format!("server {}", server + 1);
        let status = pool.status(server, f);
        let refused = match status {
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
        };
        if let Some((kind, detail)) = refused {
            return Some((kind, detail, true));
        }
        let mislabelled = match (status, admission) {
            (Status::Paused, Admission::LandedOnPaused) => false,
            (Status::Paused, _) => true,
            (_, Admission::LandedOnPaused) => true,
            _ => false,
        };
        mislabelled.then(|| {
            (
                ViolationKind::WrongAdmission,
                format!("{who} on {on} (status {status:?}) labelled {admission:?}"),
                false,
            )
        })
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
            Some((kind, detail, refuse)) => {
                shared.pending.push((kind, detail));
                if refuse {
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

/// Checks the pool after each event. A state that stays broken is reported once, when it
/// starts.
struct Watch {
    dead: Vec<bool>,
    full: Vec<bool>,
    unbalanced: Vec<bool>,
    restarts_seen: usize,
}

impl Watch {
    fn new(cfg: &RunConfig) -> Watch {
        let n = cfg.pool.servers as usize;
        let nf = cfg.features.len();
        Watch {
            dead: vec![false; n * nf],
            full: vec![false; n * (nf + 1)],
            unbalanced: vec![false; nf],
            restarts_seen: 0,
        }
    }

    fn after_event(
        &mut self,
        sim: &Simulation<'_>,
        cfg: &RunConfig,
        report: &mut dyn FnMut(ViolationKind, String),
    ) {
        let pool = sim.pool();
        let m = sim.metrics();
        let nf = pool.n_features();
        let total_cap = cfg.pool.max_sessions_per_server.unwrap_or(u32::MAX);
        for s in 0..pool.servers() {
            let total = pool.active_on_server(s);
            let over = total > total_cap;
            if over && !self.full[s * (nf + 1) + nf] {
                report(
                    ViolationKind::OverCapacity,
                    format!(
                        "server {} holds {total} sessions, above max_sessions_per_server = {total_cap}",
                        s + 1
                    ),
                );
            }
            self.full[s * (nf + 1) + nf] = over;
            for f in 0..nf {
                let active = pool.active(s, f);
                let status = pool.status(s, f);
                let dead = active > 0 && matches!(status, Status::Down | Status::Stopped);
                if dead && !self.dead[s * nf + f] {
                    report(
                        ViolationKind::SessionOnDeadService,
                        format!(
                            "{active} {:?} sessions on server {}, whose status for it is {status:?}",
                            name_of(cfg, f),
                            s + 1
                        ),
                    );
                }
                self.dead[s * nf + f] = dead;
                let cap = cfg.features[f].max_per_server.unwrap_or(u32::MAX);
                let over = active > cap;
                if over && !self.full[s * (nf + 1) + f] {
                    report(
                        ViolationKind::OverCapacity,
                        format!(
                            "server {} holds {active} {:?} sessions, above max_per_server = {cap}",
                            s + 1,
                            name_of(cfg, f)
                        ),
                    );
                }
                self.full[s * (nf + 1) + f] = over;
            }
        }
        for r in m.restarts.iter().skip(self.restarts_seen) {
            let left = pool.active_on_server(r.server);
            if left > 0 {
                report(
                    ViolationKind::RestartNotEmpty,
                    format!(
                        "server {} still holds {left} sessions after its restart",
                        r.server + 1
                    ),
                );
            }
        }
        self.restarts_seen = m.restarts.len();
        for (f, c) in m.features.iter().enumerate() {
            let active: u64 = (0..pool.servers())
                .map(|s| u64::from(pool.active(s, f)))
                .sum();
            let problem = conservation_problem(c, Some(active));
            if let Some(p) = &problem
                && !self.unbalanced[f]
            {
                report(
                    ViolationKind::Conservation,
                    format!("feature {:?}: {p}", name_of(cfg, f)),
                );
            }
            self.unbalanced[f] = problem.is_some();
        }
    }
}

fn name_of(cfg: &RunConfig, f: usize) -> &str {
    cfg.features.get(f).map_or("?", |x| x.name.as_str())
}

/// Which identity of R10 `c` breaks, if any. `active` is the feature's sessions in the pool
/// now (during a run); at the end of a run, `c.active_at_end` is used.
fn conservation_problem(c: &FeatureCounts, active: Option<u64>) -> Option<String> {
    let active = active.unwrap_or(c.active_at_end);
    let routed = c.accepted + c.blocked + c.failed + c.connecting;
    if c.arrivals != routed {
        return Some(format!(
            "arrivals {} ≠ accepted {} + blocked {} + failed {} + connecting {}",
            c.arrivals, c.accepted, c.blocked, c.failed, c.connecting
        ));
    }
    let ended = c.completed + c.cut() + c.disrupted + active;
    if c.accepted != ended {
        return Some(format!(
            "accepted {} ≠ completed {} + cut {} + disrupted {} + active {active}",
            c.accepted,
            c.completed,
            c.cut(),
            c.disrupted
        ));
    }
    if c.redirected + c.landed_on_paused > c.accepted {
        return Some(format!(
            "redirected {} + landed on paused {} > accepted {}",
            c.redirected, c.landed_on_paused, c.accepted
        ));
    }
    None
}

/// A short description of the first difference between two runs' metrics, if any.
fn first_difference(
    a: &ReplicationMetrics,
    b: &ReplicationMetrics,
    cfg: &RunConfig,
) -> Option<String> {
    if a == b {
        return None;
    }
    for (f, (x, y)) in a.features.iter().zip(&b.features).enumerate() {
        if x != y {
            return Some(format!("feature {:?}: {x:?} vs {y:?}", name_of(cfg, f)));
        }
    }
    if a.restarts != b.restarts {
        return Some(format!(
            "restart records differ ({} vs {})",
            a.restarts.len(),
            b.restarts.len()
        ));
    }
    if a.drains != b.drains {
        return Some(format!(
            "drain records differ ({} vs {})",
            a.drains.len(),
            b.drains.len()
        ));
    }
    if a.steps != b.steps {
        return Some("plan step records differ".to_string());
    }
    if a.events != b.events {
        return Some(format!(
            "events handled differ ({} vs {})",
            a.events, b.events
        ));
    }
    Some("metrics differ".to_string())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn builtin_scenarios_are_valid() {
        let cases = builtin_cases();
        assert!(cases.len() >= BUILTIN_SCENARIOS.len());
        assert!(
            cases
                .iter()
                .any(|c| c.config.pool.load_balancing == LoadBalancing::Dns)
        );
        assert!(
            cases
                .iter()
                .any(|c| c.config.pool.load_balancing == LoadBalancing::Hardware)
        );
    }

    #[test]
    fn conservation_problems_are_named() {
        let mut c = FeatureCounts {
            arrivals: 10,
            accepted: 8,
            blocked: 1,
            failed: 1,
            completed: 5,
            disrupted: 1,
            active_at_end: 1,
            ..FeatureCounts::default()
        };
        c.cut_by[0] = 1;
        assert_eq!(conservation_problem(&c, None), None);
        assert_eq!(conservation_problem(&c, Some(1)), None);
        assert!(
            conservation_problem(&c, Some(2))
                .unwrap()
                .contains("accepted 8")
        );
        c.blocked = 2;
        assert!(
            conservation_problem(&c, None)
                .unwrap()
                .contains("arrivals 10")
        );
        c.blocked = 1;
        c.redirected = 5;
        c.landed_on_paused = 4;
        assert!(
            conservation_problem(&c, None)
                .unwrap()
                .contains("redirected")
        );
    }
}
