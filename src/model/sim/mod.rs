//! One replication of one run: the pool, its routing, the plan, and the measures, driven by the
//! engine. Handlers are `on_<event>`; every R3/R7 state change goes through `Pool::transition`.

use rand::SeedableRng;
use rand_distr::Exp;

use super::event::Event;
use super::metrics::{
    CutReason, DomainOutcome, DomainRecord, DrainEnd, DrainRecord, FeatureCounts,
    ReplicationMetrics, RestartRecord, RgQuorumLoss, StepOutcome, StepRecord, TimeSeries,
};
use super::plan::{Action, Target};
use super::pool::{Pool, Status, Transition};
use super::profile::ProfileSampler;
use super::routing::{Admission, Client, Decision, RoutingPolicy};
use super::service::{FRONT_END, ServiceMask, ServiceState, StartupType};
use super::{OnLoss, Readiness, RouteRng, RunConfig, SimRng};
use crate::engine::{self, EventQueue, Model, SimTime, Stop};

mod plan;
mod procedures;

use plan::{Started, Waiting};
use procedures::{RollPhase, Rolling};
mod servers;
mod sessions;
mod trace;

/// A replication that could not finish.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum SimError {
    /// The run was cancelled (e.g. Ctrl-C).
    #[error("cancelled at simulated time {at}")]
    Cancelled {
        /// Simulated time reached.
        at: SimTime,
    },
    /// The call-detail trace could not be read to the end of the run (its feed failed: for a
    /// checked export, reading the temporary copy of its sessions failed).
    #[error("the trace could not be read: {message}")]
    Trace {
        /// What went wrong.
        message: String,
    },
    /// The event budget ran out before the horizon.
    #[error(
        "event budget of {budget} events exhausted at simulated time {at} (horizon {horizon}); \
         lower the arrival rates or the horizon, or raise `event_budget`"
    )]
    EventBudget {
        /// The budget.
        budget: u64,
        /// Simulated time reached.
        at: SimTime,
        /// The horizon.
        horizon: SimTime,
    },
}

/// A session being routed: what it carries from its arrival until it is admitted or given up.
#[derive(Debug, Clone, Copy)]
struct Session {
    feature: u16,
    /// Whether it arrived during the maintenance window: its outcome counts towards the
    /// window's blocking probability however long it takes to be routed.
    arrived_in_maintenance: bool,
    /// Setup delay so far (all attempts).
    waited: SimTime,
    hold: SimTime,
    /// Users taking part (R21).
    participants: u16,
    /// The session's routing seed, and how many times it was routed again because the server
    /// it chose could no longer take it when it got there.
    seed: u64,
    reroutes: u8,
}

/// A session on its way to a server after refusals and timeouts (R4): admitted at `Connect`.
#[derive(Debug, Clone, Copy)]
struct PendingConnect {
    server: u32,
    admission: Admission,
    session: Session,
}

/// A client whose chosen server is full or paused by the time it connects tries again (a fresh
/// pass over the pool, from that moment); after this many such passes it gives up (blocked).
const MAX_REROUTES: u8 = 4;

/// The seed of one replication's random streams.
///
/// It is derived from (scenario seed, replication) and deliberately *not* from the run: every
/// run of a sweep replays the same sessions (common random numbers, R11). Each feature has
/// three streams keyed by its name: arrivals, holding times, and placement (one number per
/// session that seeds that session's routing choices).
///
/// A trace's bootstrap resample (R13) is the one stream shared by two replications:
/// replications `2k` and `2k + 1` resample the trace alike, so that the summary can tell the
/// spread between resamples (nights like the recorded one) from the routing noise within one
/// (`stats::TwoPass::paired`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Seeds {
    /// Seed of every stream of the replication but the resample.
    pub sessions: u64,
    /// Seed of the trace's resample: the `sessions` seed of the pair's even replication.
    pub pair: u64,
}

pub use super::mix::mix64;

/// A session's routing generator from its 64-bit seed. The seed is already uniform (drawn from
/// the feature's ChaCha placement stream, or mixed for a re-route), so it fills the 128-bit
/// state directly with its SplitMix64 image; `SeedableRng::seed_from_u64` would first run PCG32
/// over it, which cost 3 % of a run.
fn route_rng(seed: u64) -> RouteRng {
    let state = (u128::from(seed) << 64) | u128::from(mix64(seed));
    RouteRng::from_seed(state.to_le_bytes())
}

/// FNV-1a of a string: a stable hash (unlike `std`'s, which may change between releases), used
/// to key a feature's streams by its name so that adding or removing features leaves the
/// others' sessions unchanged.
pub fn stable_hash(s: &str) -> u64 {
    s.bytes().fold(0xcbf2_9ce4_8422_2325u64, |h, b| {
        (h ^ b as u64).wrapping_mul(0x0000_0100_0000_01b3)
    })
}

impl Seeds {
    /// The seeds of replication `replication` of run `run` of a scenario seeded `seed`.
    pub fn derive(seed: u64, replication: u64) -> Seeds {
        let of = |r: u64| mix64(mix64(seed) ^ r);
        Seeds {
            sessions: of(replication),
            pair: of(replication & !1),
        }
    }
}

/// How a feature's arrivals are drawn: none, at a constant rate (exponential gaps), or at a
/// time-of-day rate (R12: exact non-homogeneous Poisson process).
#[derive(Debug, Clone)]
enum Arrivals {
    None,
    Constant(Exp<f64>),
    Profile(ProfileSampler),
}

impl Arrivals {
    fn new(f: &super::Feature, clock_start_s: f64) -> Arrivals {
        if f.from_trace || f.arrivals_per_hour.is_nan() || f.arrivals_per_hour <= 0.0 {
            return Arrivals::None;
        }
        let rate = f.arrivals_per_hour / 3600.0;
        match &f.profile {
            Some(p) => Arrivals::Profile(p.sampler(rate, clock_start_s)),
            None => Exp::new(rate).map_or(Arrivals::None, Arrivals::Constant),
        }
    }
}

/// The health monitor's answer about a server as of the last change it is timing, and when
/// that answer and the one before it began. A change that does not flip the answer (paused,
/// then down, under the service monitor) does not restart the clock.
#[derive(Debug, Clone, Copy)]
struct MonitorClock {
    seen: bool,
    since: SimTime,
    previous_since: SimTime,
}

impl Default for MonitorClock {
    fn default() -> Self {
        MonitorClock {
            seen: true,
            since: SimTime::ZERO,
            previous_since: SimTime::ZERO,
        }
    }
}

/// The model's state; the engine drives it through [`Model::handle`].
struct State<'a> {
    cfg: &'a RunConfig,
    pool: Pool,
    policy: Box<dyn RoutingPolicy + 'a>,
    arrival_rng: Vec<SimRng>,
    hold_rng: Vec<SimRng>,
    place_rng: Vec<SimRng>,
    /// Per feature: the stream of its sessions' sizes (R21), apart from the three above so
    /// that drawing sizes leaves every session as it was.
    participants_rng: Vec<SimRng>,
    /// Users in the active sessions, per (server, feature) as `s * features + f`: what a cut
    /// costs in users without keeping each session.
    users_active: Vec<u64>,
    /// How each feature's next arrival is drawn.
    arrivals: Vec<Arrivals>,
    m: ReplicationMetrics,
    /// Where the operator's plan is.
    plan: plan::Cursor,
    /// The server's first pause since it last ran everything (restart records measure from it).
    paused_at: Vec<Option<SimTime>>,
    /// When the server's open drain began, if one is open. A drain opens when a pause moves
    /// a service from Running to Paused while none is open, and closes exactly once.
    drain_since: Vec<Option<SimTime>>,
    restart_gen: Vec<u32>,
    health_gen: Vec<u32>,
    /// The HLB health monitor's view of each server, and since when (its count of polls).
    monitor: Vec<MonitorClock>,
    /// Whether any graceful stop is pending on the server (fast path for departures).
    graceful_any: Vec<bool>,
    /// Whether a hardware load balancer carries any traffic (its health monitor runs).
    hlb_in_use: bool,
    record_timeseries: bool,
    /// When each server last came up after a restart (replica rebuild, readiness).
    up_since: Vec<Option<SimTime>>,
    /// Whether the maintenance window (plan's first step to its end) is open.
    in_maintenance: bool,
    /// Sessions at which a server counts as above the utilisation threshold.
    busy_sessions: u32,
    /// Since when each server has been above the threshold, during maintenance.
    above_since: Vec<Option<SimTime>>,
    /// Sessions still connecting (after a setup delay), by slot; free slots are reused, so
    /// nothing is allocated per session once the slab has grown to the peak.
    connecting: Vec<PendingConnect>,
    free_slots: Vec<u32>,
    /// Where the call-detail trace is, when the run replays one.
    trace: Option<trace::Cursor<'a>>,
    /// Per routing group: the index in `m.rg_quorum_losses` of its open quorum loss (R15).
    rg_lost: Vec<Option<u32>>,
    /// Routing groups in quorum loss now (fast path for arrivals).
    rg_lost_count: usize,
}

/// One replication, steppable event by event (for lifecycle tests) or run to the horizon.
pub struct Simulation<'a> {
    queue: EventQueue<Event>,
    state: State<'a>,
    finished: bool,
}

impl<'a> Simulation<'a> {
    /// A replication of `cfg` with the routing policy its load balancing names.
    pub fn new(cfg: &'a RunConfig, seeds: Seeds) -> Simulation<'a> {
        let policy = super::routing::policy_for_features(&cfg.pool, &cfg.features);
        Self::with_policy(cfg, seeds, policy)
    }

    /// A replication of `cfg` routed by a policy of your own.
    pub fn with_policy(
        cfg: &'a RunConfig,
        seeds: Seeds,
        policy: Box<dyn RoutingPolicy + 'a>,
    ) -> Simulation<'a> {
        let nf = cfg.features.len();
        let mut state = State::new(cfg, seeds, policy);
        let mut queue = EventQueue::with_capacity(1024);
        state.start_trace(&mut queue);
        for f in 0..nf {
            state.schedule_arrival(&mut queue, f);
        }
        if !cfg.plan.is_empty() {
            queue.schedule(SimTime::ZERO, Event::StepStart { step: 0 });
        }
        Simulation {
            queue,
            state,
            finished: false,
        }
    }

    /// Also records occupancy every `sample_interval` of the run's configuration.
    pub fn record_timeseries(mut self, yes: bool) -> Self {
        if yes && !self.state.record_timeseries && self.state.cfg.sample_interval.is_some() {
            {
                self.queue.schedule(SimTime::ZERO, Event::Sample);
                self.state.record_timeseries = true;
            }
        }
        self
    }

    /// The pool's current state.
    pub fn pool(&self) -> &Pool {
        &self.state.pool
    }

    /// Simulated time of the last event handled: the pool's clock ([`Pool::now`]), the one
    /// clock that handlers, policies and tests read.
    pub fn now(&self) -> SimTime {
        self.state.pool.now()
    }

    /// Measures so far (final only after [`Simulation::run`]).
    pub fn metrics(&self) -> &ReplicationMetrics {
        &self.state.m
    }

    /// Since when server `s` (0-based) has been draining, if a drain is open: a drain opens
    /// when a pause moves one of its services from Running to Paused and none is open.
    pub fn drain_since(&self, s: usize) -> Option<SimTime> {
        self.state.drain_since[s]
    }

    /// Index of the plan step in progress (or the plan's length when it is done).
    pub fn current_step(&self) -> usize {
        self.state.plan.step
    }

    /// Time of the next event, if any.
    pub fn next_time(&self) -> Option<SimTime> {
        self.queue.peek_time()
    }

    /// Number of pending events (including stale departures of sessions already cut).
    pub fn pending_events(&self) -> usize {
        self.queue.len()
    }

    /// Handles the next event if it is not beyond the horizon; returns its time.
    pub fn step(&mut self) -> Option<SimTime> {
        if self.finished {
            return None;
        }
        let ev = self.queue.pop_until(self.state.cfg.horizon)?;
        self.state.handle(ev.time, ev.event, &mut self.queue);
        self.state.m.events += 1;
        Some(ev.time)
    }

    /// Handles events until simulated time `t` (inclusive) or the horizon.
    pub fn run_until(&mut self, t: SimTime) {
        while self.queue.peek_time().is_some_and(|n| n <= t) {
            if self.step().is_none() {
                break;
            }
        }
    }

    /// Runs to the horizon and returns the measures.
    pub fn run(self) -> Result<ReplicationMetrics, SimError> {
        self.run_cancellable(None)
    }

    /// Runs to the horizon, checking `cancel` every million events.
    pub fn run_cancellable(
        mut self,
        cancel: Option<&std::sync::atomic::AtomicBool>,
    ) -> Result<ReplicationMetrics, SimError> {
        const CHUNK: u64 = 1 << 20;
        let cfg = self.state.cfg;
        loop {
            let left = cfg.event_budget.saturating_sub(self.state.m.events);
            let chunk = left.min(CHUNK);
            let (stop, handled) = engine::run(&mut self.state, &mut self.queue, cfg.horizon, chunk);
            self.state.m.events += handled;
            match stop {
                Stop::Horizon => break,
                Stop::BudgetExhausted { at } if chunk == left => {
                    return Err(SimError::EventBudget {
                        budget: cfg.event_budget,
                        at,
                        horizon: cfg.horizon,
                    });
                }
                Stop::BudgetExhausted { at } => {
                    if cancel.is_some_and(|c| c.load(std::sync::atomic::Ordering::Relaxed)) {
                        return Err(SimError::Cancelled { at });
                    }
                }
            }
        }
        self.finished = true;
        if let Some(message) = self.state.trace.as_mut().and_then(|t| t.error.take()) {
            return Err(SimError::Trace { message });
        }
        Ok(self.state.finish(cfg.horizon))
    }
}

impl Model for State<'_> {
    type Event = Event;

    fn handle(&mut self, now: SimTime, event: Event, q: &mut EventQueue<Event>) {
        self.pool.now = now;
        match event {
            Event::Arrival { feature } => self.on_arrival(now, feature as usize, q),
            Event::Connect { slot } => self.on_connect(now, slot, q),
            Event::Departure {
                server,
                feature,
                participants,
                epoch,
            } => {
                let (s, f) = (server as usize, feature as usize);
                self.on_departure(now, s, f, participants, epoch, q)
            }
            Event::StepStart { step } => {
                if step as usize == self.plan.step {
                    self.run_plan(now, q);
                }
            }
            Event::StepTimer { step, generation } => {
                if step as usize == self.plan.step && generation == self.plan.generation {
                    self.on_step_timer(now, q);
                }
            }
            Event::ServerUp { server, generation } => {
                if self.restart_gen[server as usize] == generation {
                    self.on_server_up(now, server as usize, q);
                }
            }
            Event::HealthNoticed { server, generation } => {
                let s = server as usize;
                if self.health_gen[s] == generation {
                    self.pool.set_hlb_up(s, self.monitor[s].seen);
                }
            }
            Event::Sample => self.on_sample(now, q),
            Event::TraceArrival => self.on_trace_arrival(now, q),
        }
    }
}

/// One random stream per feature, keyed by the feature's name (so that adding or removing
/// features leaves the others' sessions unchanged): stream 1 draws arrivals, 2 holding times,
/// 3 placements, 4 participants (R21).
fn streams(cfg: &RunConfig, seeds: Seeds, stream: u64) -> Vec<SimRng> {
    (cfg.features.iter())
        .map(|f| {
            let mut r = SimRng::seed_from_u64(mix64(seeds.sessions ^ stable_hash(&f.name)));
            r.set_stream(stream);
            r
        })
        .collect()
}

/// Measures before the first event, for `nf` features on `n` servers.
fn empty_metrics(nf: usize, n: usize) -> ReplicationMetrics {
    ReplicationMetrics {
        features: vec![FeatureCounts::default(); nf],
        restarts: Vec::new(),
        drains: Vec::new(),
        steps: Vec::new(),
        timeseries: TimeSeries::default(),
        events: 0,
        domains: Vec::new(),
        plan_started: None,
        plan_ended: None,
        plan_failure: None,
        peak_active: vec![0; n],
        above_threshold: vec![SimTime::ZERO; n],
        pool_quorum_losses: 0,
        rg_quorum_losses: Vec::new(),
    }
}

impl<'a> State<'a> {
    /// The state before the first event: every server up and running, nothing scheduled.
    fn new(cfg: &'a RunConfig, seeds: Seeds, policy: Box<dyn RoutingPolicy + 'a>) -> State<'a> {
        let nf = cfg.features.len();
        let n = cfg.pool.servers as usize;
        let [arrival_rng, hold_rng, place_rng, participants_rng] =
            [1, 2, 3, 4].map(|k| streams(cfg, seeds, k));
        let arrivals = cfg
            .features
            .iter()
            .map(|f| Arrivals::new(f, cfg.clock_start_s))
            .collect();
        let pool = Pool::new(&cfg.pool, cfg.services.len(), &cfg.features);
        State {
            cfg,
            pool,
            policy,
            arrival_rng,
            hold_rng,
            place_rng,
            participants_rng,
            users_active: vec![0; n * nf],
            arrivals,
            m: empty_metrics(nf, n),
            plan: plan::Cursor::default(),
            paused_at: vec![None; n],
            drain_since: vec![None; n],
            restart_gen: vec![0; n],
            health_gen: vec![0; n],
            monitor: vec![MonitorClock::default(); n],
            graceful_any: vec![false; n],
            hlb_in_use: cfg.pool.hlb_in_use(&cfg.features),
            record_timeseries: false,
            up_since: vec![None; n],
            in_maintenance: false,
            busy_sessions: cfg.pool.max_sessions_per_server.map_or(u32::MAX, |cap| {
                ((cfg.utilisation_threshold * cap as f64).ceil() as u32).max(1)
            }),
            above_since: vec![None; n],
            connecting: Vec::new(),
            free_slots: Vec::new(),
            trace: trace::Cursor::open(cfg, seeds),
            rg_lost: vec![None; cfg.topology.routing_groups.len()],
            rg_lost_count: 0,
        }
    }
}

impl State<'_> {
    fn finish(mut self, horizon: SimTime) -> ReplicationMetrics {
        self.end_maintenance(horizon);
        // Sessions still connecting at the horizon: their client chose a server and is on its
        // way; count them accepted and active, as they would be a few seconds later.
        let mut free = std::mem::take(&mut self.free_slots);
        free.sort_unstable();
        for (k, p) in self.connecting.iter().enumerate() {
            if free.binary_search(&(k as u32)).is_ok() {
                continue;
            }
            let c = &mut self.m.features[p.session.feature as usize];
            c.connecting -= 1;
            c.accepted += 1;
            c.active_at_end += 1;
            let users = u64::from(p.session.participants);
            c.users.connecting -= users;
            c.users.accepted += users;
            c.users.active_at_end += users;
            c.setup_delay_sum_us += p.session.waited.0;
            *c.setup_delays.entry(p.session.waited.0).or_insert(0) += 1;
            match p.admission {
                Admission::Direct => {}
                Admission::Redirected => c.redirected += 1,
                Admission::LandedOnPaused => c.landed_on_paused += 1,
            }
        }
        for s in 0..self.pool.servers() {
            for f in 0..self.pool.n_features() {
                let c = &mut self.m.features[f];
                c.active_at_end += self.pool.active(s, f) as u64;
                c.users.active_at_end += self.users_active[s * self.pool.n_features() + f];
            }
            self.interrupt_drain(horizon, s, DrainEnd::Horizon);
        }
        self.m
    }
}
