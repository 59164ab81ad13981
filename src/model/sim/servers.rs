//! The servers' state changes: the operator's transitions (R3), restarts and boots (R7),
//! graceful stops, pool quorum (R9), the HLB health monitor, and drain records (R10).

use super::*;

/// Salt of the routing-group hash, so that it does not correlate with the session's routing.
const RG_SALT: u64 = 0x5247_5f51_554f_5255;

impl State<'_> {
    pub(super) fn check_graceful(&mut self, now: SimTime, s: usize, q: &mut EventQueue<Event>) {
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
    pub(super) fn draining_sessions(&self, s: usize) -> u64 {
        (0..self.pool.n_features())
            .filter(|&f| self.pool.status(s, f) == Status::Paused)
            .map(|f| self.pool.active(s, f) as u64)
            .sum()
    }

    /// Closes the server's open drain as `drained` once no session of its paused services is
    /// left. Every other end (restart, stop, resume, quorum loss) is closed by the event that
    /// causes it, *before* it removes or releases any session, so that it counts them.
    pub(super) fn check_drain(&mut self, now: SimTime, s: usize) {
        if self.drain_since[s].is_some() && self.draining_sessions(s) == 0 {
            self.close_drain(now, s, DrainEnd::Drained, 0);
        }
    }

    /// Opens a drain of server `s` at `now` unless one is open (a pause of an already paused
    /// server continues its drain), and closes it at once if there is nothing to drain.
    pub(super) fn open_drain(&mut self, now: SimTime, s: usize) {
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
    pub(super) fn close_drain(&mut self, now: SimTime, s: usize, end: DrainEnd, left: u64) {
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
    pub(super) fn interrupt_drain(&mut self, now: SimTime, s: usize, end: DrainEnd) {
        if self.drain_since[s].is_some() {
            let left = self.draining_sessions(s);
            self.close_drain(now, s, end, left);
        }
    }

    pub(super) fn health_changed(&mut self, now: SimTime, s: usize, q: &mut EventQueue<Event>) {
        if !self.hlb_in_use {
            return;
        }
        let truth = self.pool.monitor_truth(s);
        let delay = self.cfg.pool.hardware.detect_delay;
        if delay == SimTime::ZERO {
            self.monitor[s].seen = truth;
            self.pool.set_hlb_up(s, truth);
            return;
        }
        // The monitor counts consecutive failed (or successful) polls from the first one the
        // change affects: a change that does not flip its answer leaves that count running.
        if truth == self.monitor[s].seen {
            return;
        }
        let m = &mut self.monitor[s];
        if m.since == now {
            // The answer flips back within the same instant (a server that boots and is
            // stopped at once): no poll saw the blip, so the earlier count goes on.
            m.since = m.previous_since;
        } else {
            m.previous_since = m.since;
            m.since = now;
        }
        m.seen = truth;
        let noticed_at = m.since.plus(delay);
        self.health_gen[s] = self.health_gen[s].wrapping_add(1);
        if truth == self.pool.hlb_sees_up(s) {
            // Flipped back before the monitor noticed: it never sees the blip.
            return;
        }
        if noticed_at <= now {
            self.pool.set_hlb_up(s, truth);
            return;
        }
        q.schedule(
            noticed_at,
            Event::HealthNoticed {
                server: s as u32,
                generation: self.health_gen[s],
            },
        );
    }

    pub(super) fn check_quorum(&mut self, now: SimTime, q: &mut EventQueue<Event>) {
        let rule = self.cfg.pool.quorum;
        let n = self.cfg.pool.servers;
        let pool = &self.pool;
        let holds = rule.holds(n, |s| {
            pool.is_up(s) && pool.service_state(s, FRONT_END) != ServiceState::Stopped
        });
        self.check_rg_quorum(now);
        if holds != self.pool.quorum_lost() {
            return;
        }
        self.m.pool_quorum_losses += u32::from(!holds);
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

    /// Routing-group quorum (R15): a group whose replica servers run in less than a majority
    /// (2 of 3) is in quorum loss until enough of them run again. A replica server runs as
    /// for pool quorum: up, with RTCSRV not stopped.
    pub(super) fn check_rg_quorum(&mut self, now: SimTime) {
        let groups = &self.cfg.topology.routing_groups;
        for (g, replicas) in groups.iter().enumerate() {
            let running = replicas
                .iter()
                .filter(|&&s| {
                    let s = s as usize;
                    self.pool.is_up(s)
                        && self.pool.service_state(s, FRONT_END) != ServiceState::Stopped
                })
                .count();
            let lost = running < replicas.len() / 2 + 1;
            match (lost, self.rg_lost[g]) {
                (true, None) => {
                    self.rg_lost[g] = Some(self.m.rg_quorum_losses.len() as u32);
                    self.m.rg_quorum_losses.push(RgQuorumLoss {
                        group: g,
                        from: now,
                        to: None,
                    });
                    self.rg_lost_count += 1;
                }
                (false, Some(k)) => {
                    self.m.rg_quorum_losses[k as usize].to = Some(now);
                    self.rg_lost[g] = None;
                    self.rg_lost_count -= 1;
                }
                _ => {}
            }
        }
    }

    /// Whether the routing group of the session seeded `seed` is in quorum loss now. Each
    /// session belongs to one group, every group holding as many users: the group is a hash
    /// of the session's placement seed, so no random stream gives up a number for it and
    /// runs without routing groups replay exactly the sessions they did before.
    pub(super) fn rg_quorum_lost_for(&self, seed: u64) -> bool {
        if self.rg_lost_count == 0 {
            return false;
        }
        let n = self.rg_lost.len() as u64;
        let g = (mix64(seed ^ RG_SALT) % n) as usize;
        self.rg_lost[g].is_some()
    }

    pub(super) fn restart_server(
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
            users_cut: vec![0; nf],
            users_disrupted: vec![0; nf],
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

    pub(super) fn on_server_up(&mut self, now: SimTime, s: usize, q: &mut EventQueue<Event>) {
        self.pool.set_up(s, true);
        self.up_since[s] = Some(now);
        for svc in 0..self.pool.n_services() {
            self.pool.transition(s, svc, Transition::Boot);
        }
        // Boot clears any pause: a new drain starts only with a new pause.
        self.paused_at[s] = None;
        self.health_changed(now, s, q);
        self.check_quorum(now, q);
        self.plan_server_up(now, s, q);
    }

    /// Applies a per-service transition to every target, with its side effects.
    pub(super) fn apply(
        &mut self,
        now: SimTime,
        target: &Target,
        t: Transition,
        q: &mut EventQueue<Event>,
    ) {
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
    pub(super) fn apply_one(
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
    pub(super) fn after_apply(
        &mut self,
        now: SimTime,
        s: usize,
        newly_paused: bool,
        draining_before: u64,
    ) {
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
}
