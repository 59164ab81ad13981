//! Session dynamics: arrivals, routing (R4/R5) and admission, connections after a setup
//! delay, departures, cuts (R6), and the survivors' load during maintenance.

use rand::Rng;
use rand_distr::Distribution;

use super::*;

impl State<'_> {
    pub(super) fn schedule_arrival(&mut self, q: &mut EventQueue<Event>, f: usize) {
        let event = Event::Arrival { feature: f as u16 };
        match &mut self.arrivals[f] {
            Arrivals::None => {}
            Arrivals::Constant(exp) => {
                let gap = exp.sample(&mut self.arrival_rng[f]);
                q.schedule_in(SimTime::from_secs_f64(gap), event);
            }
            Arrivals::Profile(sampler) => {
                let e: f64 = rand_distr::Exp1.sample(&mut self.arrival_rng[f]);
                if let Some(t) = sampler.next(e) {
                    q.schedule(SimTime::from_secs_f64(t), event);
                }
            }
        }
    }

    pub(super) fn on_arrival(&mut self, now: SimTime, f: usize, q: &mut EventQueue<Event>) {
        let cfg = self.cfg;
        let feature = &cfg.features[f];
        // Draw the holding time whatever happens to the session, so that every run of a sweep
        // consumes the same numbers (common random numbers).
        let hold = SimTime::from_secs_f64(feature.duration.sample(&mut self.hold_rng[f]));
        self.schedule_arrival(q, f);
        self.new_session(now, f, hold, q);
    }

    /// A session of feature `f` holding for `hold` arrives now: counted, then routed. Its
    /// routing seed is the next number of the feature's placement stream.
    pub(super) fn new_session(
        &mut self,
        now: SimTime,
        f: usize,
        hold: SimTime,
        q: &mut EventQueue<Event>,
    ) {
        let seed = self.place_rng[f].next_u64();
        let sizes = &self.cfg.features[f].participants;
        // A fixed size draws nothing, so its stream is not even touched.
        let participants =
            (sizes.fixed()).unwrap_or_else(|| sizes.sample(&mut self.participants_rng[f]));
        let users = u64::from(participants);
        let c = &mut self.m.features[f];
        c.arrivals += 1;
        c.arrivals_in_maintenance += u64::from(self.in_maintenance);
        c.users.arrivals += users;
        c.users.arrivals_in_maintenance += users * u64::from(self.in_maintenance);
        let session = Session {
            feature: f as u16,
            arrived_in_maintenance: self.in_maintenance,
            waited: SimTime::ZERO,
            hold,
            participants,
            seed,
            reroutes: 0,
        };
        self.route_session(now, session, q);
    }

    pub(super) fn block(&mut self, session: &Session) {
        let c = &mut self.m.features[session.feature as usize];
        c.blocked += 1;
        c.blocked_in_maintenance += u64::from(session.arrived_in_maintenance);
        let users = u64::from(session.participants);
        c.users.blocked += users;
        c.users.blocked_in_maintenance += users * u64::from(session.arrived_in_maintenance);
    }

    /// Counts a session that failed (sent to a dead member, or its server could no longer
    /// take it).
    fn fail(&mut self, session: &Session) {
        let c = &mut self.m.features[session.feature as usize];
        c.failed += 1;
        c.users.failed += u64::from(session.participants);
    }

    /// Routes a session (again, after `session.reroutes` failed connections and
    /// `session.waited` of setup delay): admits it, sends it on its way, or counts it blocked or
    /// failed.
    pub(super) fn route_session(
        &mut self,
        now: SimTime,
        session: Session,
        q: &mut EventQueue<Event>,
    ) {
        if self.pool.quorum_lost() {
            self.block(&session);
            return;
        }
        if self.rg_quorum_lost_for(session.seed) {
            self.m.features[session.feature as usize].blocked_rg_quorum += 1;
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
        // The client is the session's, whatever re-route this is.
        let client = Client::of_session(session.seed, &self.cfg.pool);
        match (self.policy).route_client(&self.pool, f, feature, &client, &mut route_rng) {
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
                let c = &mut self.m.features[f];
                c.connecting += 1;
                c.users.connecting += u64::from(session.participants);
                q.schedule(now.plus(setup_delay), Event::Connect { slot });
            }
            Decision::Accept {
                server, admission, ..
            } => self.admit(now, server, admission, &session, q),
            Decision::Block { .. } => self.block(&session),
            Decision::Fail => self.fail(&session),
        }
    }

    /// Whether a policy's acceptance may stand: a real server that takes this feature now —
    /// running with room, or paused where the policy says sessions may land. Anything else (a
    /// custom policy's mistake, or a state change during the setup delay) fails the session.
    pub(super) fn acceptable(&self, server: usize, f: usize, admission: Admission) -> bool {
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
    pub(super) fn admit(
        &mut self,
        now: SimTime,
        server: usize,
        admission: Admission,
        session: &Session,
        q: &mut EventQueue<Event>,
    ) {
        let (f, setup_delay, hold) = (session.feature as usize, session.waited, session.hold);
        if !self.acceptable(server, f, admission) {
            self.fail(session);
            return;
        }
        let epoch = self.pool.admit(server, f);
        let participants = session.participants;
        self.users_active[server * self.pool.n_features() + f] += u64::from(participants);
        let c = &mut self.m.features[f];
        c.accepted += 1;
        c.users.accepted += u64::from(participants);
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
                // Validation holds pools to 1,000 servers.
                server: server as u16,
                feature: f as u16,
                participants,
                epoch,
            },
        );
        if self.in_maintenance {
            self.load_changed(now, server);
        }
    }

    pub(super) fn on_connect(&mut self, now: SimTime, slot: u32, q: &mut EventQueue<Event>) {
        let p = self.connecting[slot as usize];
        self.free_slots.push(slot);
        let f = p.session.feature as usize;
        let c = &mut self.m.features[f];
        c.connecting -= 1;
        c.users.connecting -= u64::from(p.session.participants);
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

    pub(super) fn on_departure(
        &mut self,
        now: SimTime,
        s: usize,
        f: usize,
        participants: u16,
        epoch: u32,
        q: &mut EventQueue<Event>,
    ) {
        if !self.pool.depart(s, f, epoch) {
            return; // already cut
        }
        self.users_active[s * self.pool.n_features() + f] -= u64::from(participants);
        let c = &mut self.m.features[f];
        c.completed += 1;
        c.users.completed += u64::from(participants);
        if self.in_maintenance {
            self.load_changed(now, s);
        }
        self.after_sessions_left(now, s, q);
    }

    /// Checks what may complete when sessions leave server `s`: graceful stops, drains, the plan.
    pub(super) fn after_sessions_left(
        &mut self,
        now: SimTime,
        s: usize,
        q: &mut EventQueue<Event>,
    ) {
        // The drain first: a graceful stop completing now may lose quorum, which must not
        // count as what ended a drain whose last session left on its own.
        self.check_drain(now, s);
        if self.graceful_any[s] {
            self.check_graceful(now, s, q);
        }
        self.check_plan_drain(now, q);
    }

    /// Records a change of server `s`'s load for the survivors' capacity report.
    pub(super) fn load_changed(&mut self, now: SimTime, s: usize) {
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

    pub(super) fn begin_maintenance(&mut self, now: SimTime) {
        self.in_maintenance = true;
        for s in 0..self.pool.servers() {
            self.load_changed(now, s);
        }
    }

    pub(super) fn end_maintenance(&mut self, now: SimTime) {
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

    /// Ends every session of features matching `which` on server `s`, as cut or disrupted.
    pub(super) fn cut_sessions(
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
            let users = std::mem::take(&mut self.users_active[s * self.pool.n_features() + f]);
            let c = &mut self.m.features[f];
            match self.cfg.features[f].on_loss {
                OnLoss::Dropped => {
                    c.cut_by[reason_ix] += n;
                    c.users.cut_by[reason_ix] += users;
                    if let Some(r) = record.as_deref_mut() {
                        r.cut[f] += n;
                        r.users_cut[f] += users;
                    }
                }
                OnLoss::Recovers => {
                    c.disrupted += n;
                    c.users.disrupted += users;
                    if let Some(r) = record.as_deref_mut() {
                        r.disrupted[f] += n;
                        r.users_disrupted[f] += users;
                    }
                }
            }
        }
        if self.in_maintenance {
            self.load_changed(now, s);
        }
    }

    pub(super) fn on_sample(&mut self, now: SimTime, q: &mut EventQueue<Event>) {
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
}
