//! Simulated time for time-aware policies, set by whoever drives the simulation.

use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};

use crate::engine::SimTime;
use crate::model::{ReplicationMetrics, RoutingPolicy, RunConfig, Seeds, SimError, Simulation};

/// Simulated time for policies that need it (a monitor that polls, a client that avoids a
/// server for ten minutes…).
///
/// [`RoutingPolicy::route`] is not given the time, so a time-aware policy holds a clone of a
/// `Clock` and reads [`Clock::now`]; whoever drives the simulation sets it to each event's time
/// *before* the event is handled: [`Harness`](super::Harness) does so for its own clock
/// ([`Harness::clock`](super::Harness::clock)), and [`Clock::simulate`] runs a replication
/// that way. A clock is shared by its clones, so one clock serves one simulation at a time.
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
