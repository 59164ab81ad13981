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
//! ## Layout
//!
//! - `cases`: [`Case`] and the built-in cases, scenario files in `src/harness/cases/` embedded
//!   with `include_str!` (CI checks them with `drainsim check`, like the shipped scenarios).
//! - `suite`: [`Harness`], which steps each replication and collects what the checks find.
//! - `checker`: the checking policy, which judges each decision before the simulation applies it.
//! - `watch`: the checks of the whole pool after each event.
//! - `invariants`: conservation (R10) and the first difference between two runs (R11).
//! - `violation`, `report`, `clock`: what the suite reports, and the time-aware policies' clock.
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
//!
//! [`Simulation::with_policy`]: crate::model::Simulation::with_policy
//! [`Pool::status`]: crate::model::Pool::status
//! [`Pool::has_capacity`]: crate::model::Pool::has_capacity
//! [`Admission::LandedOnPaused`]: crate::model::Admission::LandedOnPaused
//! [`Decision::Block`]: crate::model::Decision::Block

mod cases;
mod checker;
mod clock;
mod invariants;
mod report;
mod suite;
mod violation;
mod watch;

pub use cases::{BUILTIN_SCENARIOS, Case, builtin_cases};
pub use clock::Clock;
pub use report::{CaseSummary, Report};
pub use suite::Harness;
pub use violation::{Violation, ViolationKind};

use crate::model::{RoutingPolicy, RunConfig};

/// The policy drainsim itself uses for a run: [`DnsPolicy`](crate::model::DnsPolicy) or
/// [`HardwarePolicy`](crate::model::HardwarePolicy), as the run's `load_balancing` says
/// ([`policy_for`](crate::model::routing::policy_for)). A factory for [`Harness`].
pub fn builtin_policy(cfg: &RunConfig) -> Box<dyn RoutingPolicy> {
    crate::model::routing::policy_for(&cfg.pool)
}

/// Runs the suite over the built-in cases with default settings.
pub fn check<F>(factory: F) -> Report
where
    F: Fn(&RunConfig) -> Box<dyn RoutingPolicy>,
{
    Harness::new(factory).run()
}
