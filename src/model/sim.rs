//! One replication of one run: the pool, its routing, the plan, and the measures, driven by the
//! engine. Handlers are `on_<event>`; every R3/R7 state change goes through `Pool::transition`.

use rand::{Rng, SeedableRng};
use rand_distr::{Distribution, Exp};

use super::event::Event;
use super::metrics::{
    CutReason, DomainRecord, DrainEnd, DrainRecord, FeatureCounts, ReplicationMetrics,
    RestartRecord, StepRecord, TimeSeries,
};
use super::plan::{Action, BUSY_RETRY, MAX_BUSY, READY_WAIT, Target};
use super::pool::{Pool, Status, Transition};
use super::routing::{Admission, Decision, DnsPolicy, HardwarePolicy, RoutingPolicy};
use super::service::{FRONT_END, ServiceMask, ServiceState, StartupType};
use super::{LoadBalancing, OnLoss, Readiness, RouteRng, RunConfig, SimRng};
use crate::engine::{self, EventQueue, Model, SimTime, Stop};

/// A replication that could not finish.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum SimError {
    /// The run was cancelled (e.g. Ctrl-C).
    #[error("cancelled at simulated time {at}")]
    Cancelled {
        /// Simulated time reached.
        at: SimTime,
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
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Seeds {
    /// Seed of every stream of the replication.
    pub sessions: u64,
}

/// SplitMix64's finaliser: a bijective mix of 64 bits, used to derive seeds.
pub fn mix64(mut z: u64) -> u64 {
    z = z.wrapping_add(0x9E37_79B9_7F4A_7C15);
    z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
    z ^ (z >> 31)
}

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
        Seeds {
            sessions: mix64(mix64(seed) ^ replication),
        }
    }
}

/// What the plan is waiting for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Waiting {
    /// Nothing: the step in progress ended, or the plan is done.
    Nothing,
    /// A `StepTimer` (wait).
    Timer,
    /// `remaining` servers of a restart to come up.
    ServersUp { remaining: u32 },
    /// The step's targets to drain (or its timer to fire).
    Drained,
    /// A rolling restart, in one of its phases.
    Rolling(Rolling),
    /// A failover's drain (or its `wait_time`).
    Failover,
}

/// Where a `rolling_restart` step is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct Rolling {
    /// Upgrade domain being handled.
    domain: usize,
    /// Its phase.
    phase: RollPhase,
    /// Index of its record in `metrics.domains`.
    record: usize,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum RollPhase {
    /// Polling readiness (a timer fires the next poll after Busy).
    Poll,
    /// Waiting the settle time after Ready.
    ReadyWait,
    /// Paused, waiting for the drain (or its timeout).
    Drain,
    /// Restarted, waiting for `remaining` servers to come up.
    Up { remaining: u32 },
}

/// The model's state; the engine drives it through [`Model::handle`].
struct State<'a> {
    cfg: &'a RunConfig,
    pool: Pool,
    policy: Box<dyn RoutingPolicy + 'a>,
    arrival_rng: Vec<SimRng>,
    hold_rng: Vec<SimRng>,
    place_rng: Vec<SimRng>,
    interarrival: Vec<Option<Exp<f64>>>,
    m: ReplicationMetrics,
    step: usize,
    step_gen: u32,
    waiting: Waiting,
    /// The server's first pause since it last ran everything (restart records measure from it).
    paused_at: Vec<Option<SimTime>>,
    /// When the server's open drain began, if one is open. A drain opens when a pause moves
    /// a service from Running to Paused while none is open, and closes exactly once.
    drain_since: Vec<Option<SimTime>>,
    restart_gen: Vec<u32>,
    health_gen: Vec<u32>,
    /// The health monitor's truth as of the last change it is timing: a change that does not
    /// flip it (paused, then down, under the service monitor) does not restart the clock.
    monitor_seen: Vec<bool>,
    /// Whether any graceful stop is pending on the server (fast path for departures).
    graceful_any: Vec<bool>,
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
        let policy: Box<dyn RoutingPolicy> = match cfg.pool.load_balancing {
            LoadBalancing::Dns => Box::new(DnsPolicy::new(
                cfg.pool.dns.clone(),
                cfg.pool.servers as usize,
            )),
            LoadBalancing::Hardware => Box::new(HardwarePolicy::new(cfg.pool.hardware.clone())),
        };
        Self::with_policy(cfg, seeds, policy)
    }

    /// A replication of `cfg` routed by a policy of your own.
    pub fn with_policy(
        cfg: &'a RunConfig,
        seeds: Seeds,
        policy: Box<dyn RoutingPolicy + 'a>,
    ) -> Simulation<'a> {
        let nf = cfg.features.len();
        let n = cfg.pool.servers as usize;
        let mut arrival_rng = Vec::with_capacity(nf);
        let mut hold_rng = Vec::with_capacity(nf);
        let mut place_rng = Vec::with_capacity(nf);
        for f in &cfg.features {
            let key = mix64(seeds.sessions ^ stable_hash(&f.name));
            for (stream, v) in [
                (1, &mut arrival_rng),
                (2, &mut hold_rng),
                (3, &mut place_rng),
            ] {
                let mut r = SimRng::seed_from_u64(key);
                r.set_stream(stream);
                v.push(r);
            }
        }
        let interarrival = cfg
            .features
            .iter()
            .map(|f| {
                (f.arrivals_per_hour > 0.0)
                    .then(|| Exp::new(f.arrivals_per_hour / 3600.0).ok())
                    .flatten()
            })
            .collect();
        let pool = Pool::new(&cfg.pool, cfg.services.len(), &cfg.features);
        let mut state = State {
            cfg,
            pool,
            policy,
            arrival_rng,
            hold_rng,
            place_rng,
            interarrival,
            m: ReplicationMetrics {
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
            },
            step: 0,
            step_gen: 0,
            waiting: Waiting::Nothing,
            paused_at: vec![None; n],
            drain_since: vec![None; n],
            restart_gen: vec![0; n],
            health_gen: vec![0; n],
            monitor_seen: vec![true; n],
            graceful_any: vec![false; n],
            record_timeseries: false,
            up_since: vec![None; n],
            in_maintenance: false,
            busy_sessions: cfg.pool.max_sessions_per_server.map_or(u32::MAX, |cap| {
                ((cfg.utilisation_threshold * cap as f64).ceil() as u32).max(1)
            }),
            above_since: vec![None; n],
            connecting: Vec::new(),
            free_slots: Vec::new(),
        };
        let mut queue = EventQueue::with_capacity(1024);
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

    /// Simulated time of the last event handled.
    pub fn now(&self) -> SimTime {
        self.queue.now()
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
        self.state.step
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
                epoch,
            } => self.on_departure(now, server as usize, feature as usize, epoch, q),
            Event::StepStart { step } => {
                if step as usize == self.step {
                    self.run_plan(now, q);
                }
            }
            Event::StepTimer { step, generation } => {
                if step as usize == self.step && generation == self.step_gen {
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
                    self.pool.hlb_up[s] = self.monitor_seen[s];
                }
            }
            Event::Sample => self.on_sample(now, q),
        }
    }
}

impl State<'_> {
    fn schedule_arrival(&mut self, q: &mut EventQueue<Event>, f: usize) {
        if let Some(exp) = &self.interarrival[f] {
            let gap = exp.sample(&mut self.arrival_rng[f]);
            q.schedule_in(
                SimTime::from_secs_f64(gap),
                Event::Arrival { feature: f as u16 },
            );
        }
    }

    fn on_arrival(&mut self, now: SimTime, f: usize, q: &mut EventQueue<Event>) {
        let cfg = self.cfg;
        let feature = &cfg.features[f];
        // Draw the holding time whatever happens to the session, so that every run of a sweep
        // consumes the same numbers (common random numbers).
        let hold = SimTime::from_secs_f64(feature.duration.sample(&mut self.hold_rng[f]));
        let seed = self.place_rng[f].next_u64();
        self.schedule_arrival(q, f);
        let c = &mut self.m.features[f];
        c.arrivals += 1;
        c.arrivals_in_maintenance += u64::from(self.in_maintenance);
        let session = Session {
            feature: f as u16,
            arrived_in_maintenance: self.in_maintenance,
            waited: SimTime::ZERO,
            hold,
            seed,
            reroutes: 0,
        };
        self.route_session(now, session, q);
    }

    fn block(&mut self, session: &Session) {
        let c = &mut self.m.features[session.feature as usize];
        c.blocked += 1;
        c.blocked_in_maintenance += u64::from(session.arrived_in_maintenance);
    }

    /// Routes a session (again, after `session.reroutes` failed connections and
    /// `session.waited` of setup delay): admits it, sends it on its way, or counts it blocked or
    /// failed.
    fn route_session(&mut self, now: SimTime, session: Session, q: &mut EventQueue<Event>) {
        if self.pool.quorum_lost() {
            self.block(&session);
            return;
        }
        let f = session.feature as usize;
        let seed_now = if session.reroutes == 0 {
            session.seed
        } else {
            mix64(session.seed ^ u64::from(session.reroutes))
        };
        let mut route_rng = route_rng(seed_now);
        let feature = &self.cfg.features[f];
        match self.policy.route(&self.pool, f, feature, &mut route_rng) {
            Decision::Accept {
                server,
                setup_delay,
                admission,
            } if setup_delay > SimTime::ZERO => {
                // The client reaches the server only after its retries (R4): it occupies
                // nothing until then.
                let pending = PendingConnect {
                    server: server as u32,
                    admission,
                    session: Session {
                        waited: session.waited.plus(setup_delay),
                        ..session
                    },
                };
                let slot = match self.free_slots.pop() {
                    Some(k) => {
                        self.connecting[k as usize] = pending;
                        k
                    }
                    None => {
                        self.connecting.push(pending);
                        (self.connecting.len() - 1) as u32
                    }
                };
                self.m.features[f].connecting += 1;
                q.schedule(now.plus(setup_delay), Event::Connect { slot });
            }
            Decision::Accept {
                server, admission, ..
            } => self.admit(now, server, admission, &session, q),
            Decision::Block { .. } => self.block(&session),
            Decision::Fail => self.m.features[f].failed += 1,
        }
    }

    /// Whether a policy's acceptance may stand: a real server that takes this feature now —
    /// running with room, or paused where the policy says sessions may land. Anything else (a
    /// custom policy's mistake, or a state change during the setup delay) fails the session.
    fn acceptable(&self, server: usize, f: usize, admission: Admission) -> bool {
        if server >= self.pool.servers() || !self.pool.has_capacity(server, f) {
            return false;
        }
        match self.pool.status(server, f) {
            Status::Running => true,
            Status::Paused => {
                admission == Admission::LandedOnPaused
                    && self.policy.may_land_on_paused(&self.cfg.features[f])
            }
            Status::Stopped | Status::Down => false,
        }
    }

    /// Admits a session on `server` now and schedules its departure.
    fn admit(
        &mut self,
        now: SimTime,
        server: usize,
        admission: Admission,
        session: &Session,
        q: &mut EventQueue<Event>,
    ) {
        let (f, setup_delay, hold) = (session.feature as usize, session.waited, session.hold);
        if !self.acceptable(server, f, admission) {
            self.m.features[f].failed += 1;
            return;
        }
        let epoch = self.pool.admit(server, f);
        let c = &mut self.m.features[f];
        c.accepted += 1;
        c.setup_delay_sum_us += setup_delay.0;
        if setup_delay.0 > 0 {
            *c.setup_delays.entry(setup_delay.0).or_insert(0) += 1;
        }
        match admission {
            Admission::Direct => {}
            Admission::Redirected => c.redirected += 1,
            Admission::LandedOnPaused => c.landed_on_paused += 1,
        }
        q.schedule(
            now.plus(hold),
            Event::Departure {
                server: server as u32,
                feature: f as u16,
                epoch,
            },
        );
        if self.in_maintenance {
            self.load_changed(now, server);
        }
    }

    fn on_connect(&mut self, now: SimTime, slot: u32, q: &mut EventQueue<Event>) {
        let p = self.connecting[slot as usize];
        self.free_slots.push(slot);
        let f = p.session.feature as usize;
        self.m.features[f].connecting -= 1;
        let server = p.server as usize;
        if self.acceptable(server, f, p.admission) {
            self.admit(now, server, p.admission, &p.session, q);
        } else if p.session.reroutes < MAX_REROUTES {
            // The server filled up or was paused while the client was retrying: it carries on
            // trying from now.
            let session = Session {
                reroutes: p.session.reroutes + 1,
                ..p.session
            };
            self.route_session(now, session, q);
        } else {
            self.block(&p.session);
        }
    }

    fn on_departure(
        &mut self,
        now: SimTime,
        s: usize,
        f: usize,
        epoch: u32,
        q: &mut EventQueue<Event>,
    ) {
        if !self.pool.depart(s, f, epoch) {
            return; // already cut
        }
        self.m.features[f].completed += 1;
        if self.in_maintenance {
            self.load_changed(now, s);
        }
        self.after_sessions_left(now, s, q);
    }

    /// Checks what may complete when sessions leave server `s`: graceful stops, drains, the plan.
    fn after_sessions_left(&mut self, now: SimTime, s: usize, q: &mut EventQueue<Event>) {
        // The drain first: a graceful stop completing now may lose quorum, which must not
        // count as what ended a drain whose last session left on its own.
        self.check_drain(now, s);
        if self.graceful_any[s] {
            self.check_graceful(now, s, q);
        }
        self.check_plan_drain(now, q);
    }

    /// Ends whatever plan wait is satisfied by the sessions that just left.
    fn check_plan_drain(&mut self, now: SimTime, q: &mut EventQueue<Event>) {
        match self.waiting {
            Waiting::Drained if self.targets_drained() => self.end_step(now, "drained", q),
            Waiting::Rolling(r) if r.phase == RollPhase::Drain && self.domain_drained(r.domain) => {
                self.roll_restart_domain(now, r, true, q)
            }
            Waiting::Failover if self.failover_drained() => self.failover_done(now, q),
            _ => {}
        }
    }

    /// Records a change of server `s`'s load for the survivors' capacity report.
    fn load_changed(&mut self, now: SimTime, s: usize) {
        let a = self.pool.active_on_server(s);
        if a > self.m.peak_active[s] {
            self.m.peak_active[s] = a;
        }
        match (a >= self.busy_sessions, self.above_since[s]) {
            (true, None) => self.above_since[s] = Some(now),
            (false, Some(t)) => {
                self.m.above_threshold[s] = self.m.above_threshold[s].plus(now.since(t));
                self.above_since[s] = None;
            }
            _ => {}
        }
    }

    fn begin_maintenance(&mut self, now: SimTime) {
        self.in_maintenance = true;
        for s in 0..self.pool.servers() {
            self.load_changed(now, s);
        }
    }

    fn end_maintenance(&mut self, now: SimTime) {
        if !self.in_maintenance {
            return;
        }
        for s in 0..self.pool.servers() {
            if let Some(t) = self.above_since[s].take() {
                self.m.above_threshold[s] = self.m.above_threshold[s].plus(now.since(t));
            }
        }
        self.in_maintenance = false;
    }

    fn check_graceful(&mut self, now: SimTime, s: usize, q: &mut EventQueue<Event>) {
        self.check_drain(now, s);
        let mut any = false;
        for svc in 0..self.pool.n_services() {
            if !self.pool.graceful_pending(s, svc) {
                continue;
            }
            let left: u32 = (0..self.pool.n_features())
                .filter(|&f| self.pool.feature_uses(f, svc))
                .map(|f| self.pool.active(s, f))
                .sum();
            if left == 0 {
                self.pool.transition(s, svc, Transition::GracefulDone);
                if svc == FRONT_END {
                    self.health_changed(now, s, q);
                    self.check_quorum(now, q);
                }
            } else {
                any = true;
            }
        }
        self.graceful_any[s] = any;
        self.check_drain(now, s);
    }

    /// Sessions on server `s` of features that currently see it paused.
    fn draining_sessions(&self, s: usize) -> u64 {
        (0..self.pool.n_features())
            .filter(|&f| self.pool.status(s, f) == Status::Paused)
            .map(|f| self.pool.active(s, f) as u64)
            .sum()
    }

    /// Closes the server's open drain as `drained` once no session of its paused services is
    /// left. Every other end (restart, stop, resume, quorum loss) is closed by the event that
    /// causes it, *before* it removes or releases any session, so that it counts them.
    fn check_drain(&mut self, now: SimTime, s: usize) {
        if self.drain_since[s].is_some() && self.draining_sessions(s) == 0 {
            self.close_drain(now, s, DrainEnd::Drained, 0);
        }
    }

    /// Opens a drain of server `s` at `now` unless one is open (a pause of an already paused
    /// server continues its drain), and closes it at once if there is nothing to drain.
    fn open_drain(&mut self, now: SimTime, s: usize) {
        if self.paused_at[s].is_none() {
            self.paused_at[s] = Some(now);
        }
        if self.drain_since[s].is_none() {
            self.drain_since[s] = Some(now);
            self.check_drain(now, s);
        }
    }

    /// Closes the server's open drain, if any; `left` is the number of sessions of its paused
    /// services present just before the event that ended it.
    fn close_drain(&mut self, now: SimTime, s: usize, end: DrainEnd, left: u64) {
        let Some(since) = self.drain_since[s].take() else {
            return;
        };
        debug_assert!(end != DrainEnd::Drained || left == 0);
        self.m.drains.push(DrainRecord {
            server: s,
            paused_at: since,
            ended_at: now,
            end,
            left,
        });
    }

    /// Closes the server's open drain because of an event that is about to remove or release
    /// its sessions: they are counted now, while they still see the paused services.
    fn interrupt_drain(&mut self, now: SimTime, s: usize, end: DrainEnd) {
        if self.drain_since[s].is_some() {
            let left = self.draining_sessions(s);
            self.close_drain(now, s, end, left);
        }
    }

    /// Ends every session of features matching `which` on server `s`, as cut or disrupted.
    fn cut_sessions(
        &mut self,
        now: SimTime,
        s: usize,
        reason: CutReason,
        which: impl Fn(&Pool, usize) -> bool,
        mut record: Option<&mut RestartRecord>,
    ) {
        let reason_ix = CutReason::ALL
            .iter()
            .position(|&r| r == reason)
            .unwrap_or(0);
        for f in 0..self.pool.n_features() {
            if !which(&self.pool, f) {
                continue;
            }
            let n = self.pool.clear(s, f) as u64;
            if n == 0 {
                continue;
            }

            let c = &mut self.m.features[f];
            match self.cfg.features[f].on_loss {
                OnLoss::Dropped => {
                    c.cut_by[reason_ix] += n;
                    if let Some(r) = record.as_deref_mut() {
                        r.cut[f] += n;
                    }
                }
                OnLoss::Recovers => {
                    c.disrupted += n;
                    if let Some(r) = record.as_deref_mut() {
                        r.disrupted[f] += n;
                    }
                }
            }
        }
        if self.in_maintenance {
            self.load_changed(now, s);
        }
    }

    fn health_changed(&mut self, now: SimTime, s: usize, q: &mut EventQueue<Event>) {
        if self.cfg.pool.load_balancing != LoadBalancing::Hardware {
            return;
        }
        let truth = self.pool.monitor_truth(s);
        let delay = self.cfg.pool.hardware.detect_delay;
        if delay == SimTime::ZERO {
            self.monitor_seen[s] = truth;
            self.pool.hlb_up[s] = truth;
            return;
        }
        // The monitor counts consecutive failed (or successful) polls from the first one the
        // change affects: a change that does not flip its answer leaves that count running.
        if truth == self.monitor_seen[s] {
            return;
        }
        self.monitor_seen[s] = truth;
        self.health_gen[s] = self.health_gen[s].wrapping_add(1);
        if truth == self.pool.hlb_up[s] {
            // Flipped back before the monitor noticed: it never sees the blip.
            return;
        }
        q.schedule(
            now.plus(delay),
            Event::HealthNoticed {
                server: s as u32,
                generation: self.health_gen[s],
            },
        );
    }

    fn check_quorum(&mut self, now: SimTime, q: &mut EventQueue<Event>) {
        let rule = self.cfg.pool.quorum;
        let n = self.cfg.pool.servers;
        let pool = &self.pool;
        let holds = rule.holds(n, |s| {
            pool.is_up(s) && pool.service_state(s, FRONT_END) != ServiceState::Stopped
        });
        if holds != self.pool.quorum_lost() {
            return;
        }
        if !holds {
            // Count the drains' sessions while they still see their services paused.
            for s in 0..self.pool.servers() {
                self.interrupt_drain(now, s, DrainEnd::Stopped);
            }
        }
        self.pool.set_quorum_lost(!holds);
        for s in 0..self.pool.servers() {
            if !holds {
                self.cut_sessions(now, s, CutReason::QuorumLoss, |_, _| true, None);
            }
            self.health_changed(now, s, q);
        }
        if !holds {
            // A graceful stop whose last sessions the quorum loss cut is complete.
            for s in 0..self.pool.servers() {
                if self.graceful_any[s] {
                    self.check_graceful(now, s, q);
                }
            }
        }
    }

    fn restart_server(
        &mut self,
        now: SimTime,
        s: usize,
        downtime: SimTime,
        q: &mut EventQueue<Event>,
    ) {
        self.interrupt_drain(now, s, DrainEnd::Restarted);
        let nf = self.pool.n_features();
        let mut record = RestartRecord {
            server: s,
            at: now,
            paused_at: self.paused_at[s],
            cut: vec![0; nf],
            disrupted: vec![0; nf],
        };
        self.cut_sessions(now, s, CutReason::Restart, |_, _| true, Some(&mut record));
        self.m.restarts.push(record);
        self.pool.set_up(s, false);
        self.graceful_any[s] = false;
        self.restart_gen[s] = self.restart_gen[s].wrapping_add(1);
        q.schedule(
            now.plus(downtime),
            Event::ServerUp {
                server: s as u32,
                generation: self.restart_gen[s],
            },
        );
        self.health_changed(now, s, q);
        self.check_quorum(now, q);
    }

    fn on_server_up(&mut self, now: SimTime, s: usize, q: &mut EventQueue<Event>) {
        self.pool.set_up(s, true);
        self.up_since[s] = Some(now);
        for svc in 0..self.pool.n_services() {
            self.pool.transition(s, svc, Transition::Boot);
        }
        // Boot clears any pause: a new drain starts only with a new pause.
        self.paused_at[s] = None;
        self.health_changed(now, s, q);
        self.check_quorum(now, q);
        match self.waiting {
            Waiting::ServersUp { remaining } => {
                if !self.cfg.plan[self.step]
                    .action
                    .servers()
                    .contains(&(s as u32))
                {
                    return;
                }
                if remaining <= 1 {
                    self.end_step(now, "done", q);
                } else {
                    self.waiting = Waiting::ServersUp {
                        remaining: remaining - 1,
                    };
                }
            }
            Waiting::Rolling(r) => {
                let RollPhase::Up { remaining } = r.phase else {
                    return;
                };
                if !self.cfg.topology.upgrade_domains[r.domain].contains(&(s as u32)) {
                    return;
                }
                if remaining > 1 {
                    self.set_rolling(
                        r.domain,
                        RollPhase::Up {
                            remaining: remaining - 1,
                        },
                        r.record,
                    );
                    return;
                }
                let rec = &mut self.m.domains[r.record];
                rec.up_at = Some(now);
                rec.outcome = "done";
                if r.domain + 1 >= self.cfg.topology.upgrade_domains.len() {
                    self.end_step(now, "done", q);
                } else {
                    self.roll_begin_domain(now, r.domain + 1, q);
                }
            }
            _ => {}
        }
    }

    fn on_sample(&mut self, now: SimTime, q: &mut EventQueue<Event>) {
        let ts = &mut self.m.timeseries;
        ts.times.push(now);
        for s in 0..self.pool.servers() {
            for f in 0..self.pool.n_features() {
                ts.active.push(self.pool.active(s, f));
            }
        }
        if let Some(i) = self.cfg.sample_interval
            && now.plus(i) <= self.cfg.horizon
            && i > SimTime::ZERO
        {
            q.schedule_in(i, Event::Sample);
        }
    }

    /// Applies a per-service transition to every target, with its side effects.
    fn apply(&mut self, now: SimTime, target: &Target, t: Transition, q: &mut EventQueue<Event>) {
        for &server in &target.servers {
            let s = server as usize;
            let draining_before = self.draining_sessions(s);
            let mut newly_paused = false;
            for svc in 0..self.pool.n_services() {
                if target.services.contains(svc) {
                    newly_paused |= self.apply_one(now, s, svc, t, q);
                }
            }
            self.after_apply(now, s, newly_paused, draining_before);
            if self.graceful_any[s] {
                self.check_graceful(now, s, q);
            }
        }
        self.check_quorum(now, q);
    }

    /// One service's transition; returns whether it moved from Running to Paused.
    fn apply_one(
        &mut self,
        now: SimTime,
        s: usize,
        svc: usize,
        t: Transition,
        q: &mut EventQueue<Event>,
    ) -> bool {
        let before = self.pool.service_state(s, svc);
        if t == Transition::Stop && before != ServiceState::Stopped {
            let cuts_drain = (0..self.pool.n_features()).any(|f| {
                self.pool.feature_uses(f, svc)
                    && self.pool.status(s, f) == Status::Paused
                    && self.pool.active(s, f) > 0
            });
            if cuts_drain {
                // A hard stop cuts sessions the drain was waiting for: it ends `stopped`.
                self.interrupt_drain(now, s, DrainEnd::Stopped);
            }
        }
        let after = self.pool.transition(s, svc, t);
        if after == ServiceState::Stopped && before != ServiceState::Stopped {
            self.cut_sessions(now, s, CutReason::Stop, |p, f| p.feature_uses(f, svc), None);
        }
        if t == Transition::StopGraceful {
            self.graceful_any[s] = true;
        }
        if svc == FRONT_END && before != after {
            self.health_changed(now, s, q);
        }
        before == ServiceState::Running && after == ServiceState::Paused
    }

    /// Opens, continues or closes server `s`'s drain after an operator's transitions;
    /// `draining_before` counts the sessions of its paused services just before them.
    fn after_apply(&mut self, now: SimTime, s: usize, newly_paused: bool, draining_before: u64) {
        if self.drain_since[s].is_some() && self.draining_sessions(s) == 0 {
            // The operator released what the drain was waiting for (a resume): a hard stop
            // would have ended it already, before cutting.
            self.close_drain(now, s, DrainEnd::Resumed, draining_before);
        }
        if newly_paused {
            self.open_drain(now, s);
        } else {
            self.check_drain(now, s);
        }
        let all_running = (0..self.pool.n_services())
            .all(|svc| self.pool.service_state(s, svc) == ServiceState::Running);
        if all_running && self.pool.is_up(s) {
            self.paused_at[s] = None;
        }
    }

    fn targets_drained(&self) -> bool {
        match &self.cfg.plan.get(self.step).map(|s| &s.action) {
            Some(Action::WaitUntilDrained { target, .. }) => target
                .servers
                .iter()
                .all(|&s| self.pool.active_using(s as usize, target.services) == 0),
            _ => false,
        }
    }

    fn domain_drained(&self, d: usize) -> bool {
        self.cfg.topology.upgrade_domains[d]
            .iter()
            .all(|&s| self.pool.active_on_server(s as usize) == 0)
    }

    fn failover_drained(&self) -> bool {
        self.cfg.plan[self.step]
            .action
            .servers()
            .iter()
            .all(|&s| self.pool.active_on_server(s as usize) == 0)
    }

    /// Schedules the current step's timer; any timer scheduled before for this step is stale.
    fn step_timer(&mut self, now: SimTime, delay: SimTime, q: &mut EventQueue<Event>) {
        self.step_gen = self.step_gen.wrapping_add(1);
        q.schedule(
            now.plus(delay),
            Event::StepTimer {
                step: self.step as u32,
                generation: self.step_gen,
            },
        );
    }

    fn on_step_timer(&mut self, now: SimTime, q: &mut EventQueue<Event>) {
        match self.waiting {
            Waiting::Timer => self.end_step(now, "done", q),
            Waiting::Drained => self.end_step(now, "timeout", q),
            Waiting::Rolling(r) => match r.phase {
                RollPhase::Poll => self.roll_poll(now, r, q),
                RollPhase::ReadyWait => self.roll_pause_domain(now, r, q),
                RollPhase::Drain => self.roll_restart_domain(now, r, false, q),
                RollPhase::Up { .. } => {}
            },
            Waiting::Failover => self.failover_timeout(now, q),
            Waiting::Nothing | Waiting::ServersUp { .. } => {}
        }
    }

    /// Moves a rolling restart to a new phase, making any pending timer stale.
    fn set_rolling(&mut self, domain: usize, phase: RollPhase, record: usize) {
        self.step_gen = self.step_gen.wrapping_add(1);
        self.waiting = Waiting::Rolling(Rolling {
            domain,
            phase,
            record,
        });
    }

    /// `Get-CsPoolUpgradeReadinessState` for upgrade domain `d` at this moment.
    pub(crate) fn readiness(&self, now: SimTime, d: usize) -> Readiness {
        let topo = &self.cfg.topology;
        let rebuilding = (0..self.pool.servers()).any(|s| {
            self.pool.is_up(s)
                && self.up_since[s].is_some_and(|t| now < t.plus(topo.replica_rebuild))
        });
        if rebuilding {
            return Readiness::Busy;
        }
        let domain = &topo.upgrade_domains[d];
        let pool = &self.pool;
        let runs_without = |s: usize| {
            pool.is_up(s)
                && pool.service_state(s, FRONT_END) != ServiceState::Stopped
                && !domain.contains(&(s as u32))
        };
        let quorum = self
            .cfg
            .pool
            .quorum
            .holds(self.cfg.pool.servers, runs_without);
        // Every routing group keeps a primary and at least one secondary.
        let groups = topo.routing_groups.iter().all(|g| {
            let up = g.iter().filter(|&&s| runs_without(s as usize)).count();
            up >= g.len().min(2)
        });
        if quorum && groups {
            Readiness::Ready
        } else {
            Readiness::InsufficientActiveFrontEnds
        }
    }

    fn roll_begin_domain(&mut self, now: SimTime, d: usize, q: &mut EventQueue<Event>) {
        self.m.domains.push(DomainRecord {
            domain: d,
            first_poll: now,
            busy_polls: 0,
            ready_at: None,
            paused_at: None,
            restarted_at: None,
            drained: false,
            up_at: None,
            outcome: "running",
        });
        let record = self.m.domains.len() - 1;
        self.set_rolling(d, RollPhase::Poll, record);
        let Waiting::Rolling(r) = self.waiting else {
            return;
        };
        self.roll_poll(now, r, q);
    }

    fn roll_poll(&mut self, now: SimTime, r: Rolling, q: &mut EventQueue<Event>) {
        match self.readiness(now, r.domain) {
            Readiness::Busy => {
                self.m.domains[r.record].busy_polls += 1;
                if self.m.domains[r.record].busy_polls >= MAX_BUSY {
                    self.m.domains[r.record].outcome = "busy";
                    self.fail_plan(
                        now,
                        format!(
                            "upgrade domain {} answered Busy {MAX_BUSY} times in a row",
                            r.domain + 1
                        ),
                    );
                } else {
                    self.set_rolling(r.domain, RollPhase::Poll, r.record);
                    self.step_timer(now, BUSY_RETRY, q);
                }
            }
            Readiness::InsufficientActiveFrontEnds => {
                self.m.domains[r.record].outcome = "insufficient";
                self.fail_plan(
                    now,
                    format!(
                        "upgrade domain {}: InsufficientActiveFrontEnds",
                        r.domain + 1
                    ),
                );
            }
            Readiness::Ready => {
                self.m.domains[r.record].ready_at = Some(now);
                if r.domain > 0 && READY_WAIT > SimTime::ZERO {
                    self.set_rolling(r.domain, RollPhase::ReadyWait, r.record);
                    self.step_timer(now, READY_WAIT, q);
                } else {
                    self.roll_pause_domain(now, r, q);
                }
            }
        }
    }

    fn roll_pause_domain(&mut self, now: SimTime, r: Rolling, q: &mut EventQueue<Event>) {
        let target = Target {
            servers: self.cfg.topology.upgrade_domains[r.domain].clone(),
            services: ServiceMask::ALL,
        };
        self.apply(now, &target, Transition::Pause, q);
        self.m.domains[r.record].paused_at = Some(now);
        self.set_rolling(r.domain, RollPhase::Drain, r.record);
        if self.domain_drained(r.domain) {
            self.roll_restart_domain(now, r, true, q);
            return;
        }
        if let Action::RollingRestart {
            drain_timeout: Some(t),
            ..
        } = self.cfg.plan[self.step].action
        {
            self.step_timer(now, t, q);
        }
    }

    fn roll_restart_domain(
        &mut self,
        now: SimTime,
        r: Rolling,
        drained: bool,
        q: &mut EventQueue<Event>,
    ) {
        let Action::RollingRestart { downtime, .. } = self.cfg.plan[self.step].action else {
            return;
        };
        let servers = self.cfg.topology.upgrade_domains[r.domain].clone();
        let rec = &mut self.m.domains[r.record];
        rec.restarted_at = Some(now);
        rec.drained = drained;
        self.set_rolling(
            r.domain,
            RollPhase::Up {
                remaining: servers.len() as u32,
            },
            r.record,
        );
        for s in servers {
            self.restart_server(now, s as usize, downtime, q);
        }
    }

    fn failover_done(&mut self, now: SimTime, q: &mut EventQueue<Event>) {
        let target = Target {
            servers: self.cfg.plan[self.step].action.servers().to_vec(),
            services: ServiceMask::ALL,
        };
        self.apply(now, &target, Transition::Stop, q);
        for &s in &target.servers {
            for svc in 0..self.pool.n_services() {
                self.pool
                    .set_startup(s as usize, svc, StartupType::Disabled);
            }
        }
        self.end_step(now, "done", q);
    }

    fn failover_timeout(&mut self, now: SimTime, q: &mut EventQueue<Event>) {
        let target = Target {
            servers: self.cfg.plan[self.step].action.servers().to_vec(),
            services: ServiceMask::ALL,
        };
        // "No action is taken": the servers go back to accepting connections.
        self.apply(now, &target, Transition::Resume, q);
        let wait = match self.cfg.plan[self.step].action {
            Action::Failover { wait_time, .. } => wait_time,
            _ => SimTime::ZERO,
        };
        let names: Vec<String> = target
            .servers
            .iter()
            .map(|s| format!("FE {}", s + 1))
            .collect();
        self.fail_plan(
            now,
            format!(
                "{} did not drain within {wait}; no action was taken",
                names.join(", ")
            ),
        );
    }

    /// The current step failed: record why and stop the plan.
    fn fail_plan(&mut self, now: SimTime, reason: String) {
        let action = self.cfg.plan[self.step].action.name();
        if let Some(r) = self.m.steps.last_mut()
            && r.index == self.step
            && r.ended.is_none()
        {
            r.ended = Some(now);
            r.outcome = "failed";
        }
        self.m.plan_failure = Some(format!("step {} ({action}): {reason}", self.step + 1));
        self.waiting = Waiting::Nothing;
        self.step = self.cfg.plan.len();
        self.step_gen = self.step_gen.wrapping_add(1);
        self.end_maintenance(now);
    }

    fn end_step(&mut self, now: SimTime, outcome: &'static str, q: &mut EventQueue<Event>) {
        self.finish_current(now, outcome);
        self.waiting = Waiting::Nothing;
        self.run_plan(now, q);
    }

    /// Starts plan steps from the cursor until one has to wait.
    fn run_plan(&mut self, now: SimTime, q: &mut EventQueue<Event>) {
        let cfg = self.cfg;
        while self.waiting == Waiting::Nothing {
            let Some(step) = cfg.plan.get(self.step) else {
                if self.m.plan_started.is_some()
                    && self.m.plan_ended.is_none()
                    && self.m.plan_failure.is_none()
                {
                    self.m.plan_ended = Some(now);
                    self.end_maintenance(now);
                }
                return;
            };
            if let Some(at) = step.at
                && at > now
            {
                // The plan sleeps until then; `StepStart` re-enters here.
                q.schedule(
                    at,
                    Event::StepStart {
                        step: self.step as u32,
                    },
                );
                return;
            }
            if self.m.plan_started.is_none() {
                self.m.plan_started = Some(now);
                self.begin_maintenance(now);
            }
            self.m.steps.push(StepRecord {
                index: self.step,
                action: step.action.name(),
                started: now,
                ended: None,
                outcome: "running",
            });
            match &step.action {
                Action::Pause(t) => self.apply(now, t, Transition::Pause, q),
                Action::Resume(t) => self.apply(now, t, Transition::Resume, q),
                Action::StopGraceful(t) => self.apply(now, t, Transition::StopGraceful, q),
                Action::Stop(t) => self.apply(now, t, Transition::Stop, q),
                Action::Start(t) => self.apply(now, t, Transition::Start, q),
                Action::SetStartup { target, startup } => {
                    for &s in &target.servers {
                        for svc in 0..self.pool.n_services() {
                            if target.services.contains(svc) {
                                self.pool.set_startup(s as usize, svc, *startup);
                            }
                        }
                    }
                }
                Action::Wait { duration } => {
                    self.waiting = Waiting::Timer;
                    self.step_timer(now, *duration, q);
                }
                Action::Restart { servers, downtime } => {
                    self.waiting = Waiting::ServersUp {
                        remaining: servers.len() as u32,
                    };
                    for &s in servers {
                        self.restart_server(now, s as usize, *downtime, q);
                    }
                }
                Action::WaitUntilDrained { timeout, .. } => {
                    if self.targets_drained() {
                        self.finish_current(now, "drained");
                        continue;
                    }
                    self.waiting = Waiting::Drained;
                    if let Some(t) = timeout {
                        self.step_timer(now, *t, q);
                    }
                }
                Action::RollingRestart { .. } => {
                    if cfg.topology.upgrade_domains.is_empty() {
                        self.finish_current(now, "done");
                        continue;
                    }
                    self.roll_begin_domain(now, 0, q);
                    if self.step >= cfg.plan.len() {
                        return; // failed at once
                    }
                }
                Action::Failover { servers, wait_time } => {
                    let target = Target {
                        servers: servers.clone(),
                        services: ServiceMask::ALL,
                    };
                    self.apply(now, &target, Transition::Pause, q);
                    self.waiting = Waiting::Failover;
                    if self.failover_drained() {
                        self.waiting = Waiting::Nothing;
                        self.failover_done(now, q);
                        return;
                    }
                    self.step_timer(now, *wait_time, q);
                }
                Action::Failback { servers } => {
                    for &s in servers {
                        for svc in 0..self.pool.n_services() {
                            self.pool
                                .set_startup(s as usize, svc, StartupType::Automatic);
                        }
                    }
                    let target = Target {
                        servers: servers.clone(),
                        services: ServiceMask::ALL,
                    };
                    self.apply(now, &target, Transition::Start, q);
                }
            }
            if self.waiting == Waiting::Nothing {
                self.finish_current(now, "done");
            }
        }
    }

    /// Marks the current step ended at `now` and moves the cursor (without re-entering the plan).
    fn finish_current(&mut self, now: SimTime, outcome: &'static str) {
        if let Some(r) = self.m.steps.last_mut()
            && r.index == self.step
            && r.ended.is_none()
        {
            r.ended = Some(now);
            r.outcome = outcome;
        }
        self.step += 1;
        self.step_gen = self.step_gen.wrapping_add(1);
    }

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
                self.m.features[f].active_at_end += self.pool.active(s, f) as u64;
            }
            self.interrupt_drain(horizon, s, DrainEnd::Horizon);
        }
        self.m
    }
}
