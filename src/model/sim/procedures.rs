//! Multi-phase procedures of the plan: the rolling restart by upgrade domain (readiness polls,
//! drain, restart, return) and Skype for Business failover.

use super::*;

/// Where a `rolling_restart` step is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) struct Rolling {
    /// Upgrade domain being handled.
    pub(super) domain: usize,
    /// Its phase.
    pub(super) phase: RollPhase,
    /// Index of its record in `metrics.domains`.
    pub(super) record: usize,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum RollPhase {
    /// Polling readiness (a timer fires the next poll after Busy).
    Poll,
    /// Waiting the settle time after Ready.
    ReadyWait,
    /// Paused, waiting for the drain (or its timeout).
    Drain,
    /// Restarted, waiting for `remaining` servers to come up.
    Up { remaining: u32 },
}

impl State<'_> {
    pub(super) fn domain_drained(&self, d: usize) -> bool {
        self.cfg.topology.upgrade_domains[d]
            .iter()
            .all(|&s| self.pool.active_on_server(s as usize) == 0)
    }

    pub(super) fn failover_drained(&self) -> bool {
        self.cfg.plan[self.plan.step]
            .action
            .servers()
            .iter()
            .all(|&s| self.pool.active_on_server(s as usize) == 0)
    }

    /// Moves a rolling restart to a new phase, making any pending timer stale.
    pub(super) fn set_rolling(&mut self, domain: usize, phase: RollPhase, record: usize) {
        self.plan.generation = self.plan.generation.wrapping_add(1);
        self.plan.waiting = Waiting::Rolling(Rolling {
            domain,
            phase,
            record,
        });
    }

    /// `Get-CsPoolUpgradeReadinessState` for upgrade domain `d` at this moment.
    pub(super) fn readiness(&self, now: SimTime, d: usize) -> Readiness {
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

    pub(super) fn roll_begin_domain(&mut self, now: SimTime, d: usize, q: &mut EventQueue<Event>) {
        self.m.domains.push(DomainRecord {
            domain: d,
            first_poll: now,
            busy_polls: 0,
            ready_at: None,
            paused_at: None,
            restarted_at: None,
            drained: false,
            up_at: None,
            outcome: DomainOutcome::Running,
        });
        let record = self.m.domains.len() - 1;
        self.set_rolling(d, RollPhase::Poll, record);
        let Waiting::Rolling(r) = self.plan.waiting else {
            return;
        };
        self.roll_poll(now, r, q);
    }

    pub(super) fn roll_poll(&mut self, now: SimTime, r: Rolling, q: &mut EventQueue<Event>) {
        match self.readiness(now, r.domain) {
            Readiness::Busy => {
                self.m.domains[r.record].busy_polls += 1;
                let timings = self.cfg.pool.rolling;
                if self.m.domains[r.record].busy_polls >= timings.max_busy {
                    self.m.domains[r.record].outcome = DomainOutcome::Busy;
                    self.fail_plan(
                        now,
                        format!(
                            "upgrade domain {} answered Busy {} times in a row",
                            r.domain + 1,
                            timings.max_busy
                        ),
                    );
                } else {
                    self.set_rolling(r.domain, RollPhase::Poll, r.record);
                    self.step_timer(now, timings.readiness_retry, q);
                }
            }
            Readiness::InsufficientActiveFrontEnds => {
                self.m.domains[r.record].outcome = DomainOutcome::Insufficient;
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
                let ready_wait = self.cfg.pool.rolling.ready_wait;
                if r.domain > 0 && ready_wait > SimTime::ZERO {
                    self.set_rolling(r.domain, RollPhase::ReadyWait, r.record);
                    self.step_timer(now, ready_wait, q);
                } else {
                    self.roll_pause_domain(now, r, q);
                }
            }
        }
    }

    pub(super) fn roll_pause_domain(
        &mut self,
        now: SimTime,
        r: Rolling,
        q: &mut EventQueue<Event>,
    ) {
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
        } = self.cfg.plan[self.plan.step].action
        {
            self.step_timer(now, t, q);
        }
    }

    pub(super) fn roll_restart_domain(
        &mut self,
        now: SimTime,
        r: Rolling,
        drained: bool,
        q: &mut EventQueue<Event>,
    ) {
        let Action::RollingRestart { downtime, .. } = self.cfg.plan[self.plan.step].action else {
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

    pub(super) fn failover_done(&mut self, now: SimTime, q: &mut EventQueue<Event>) {
        let target = Target {
            servers: self.cfg.plan[self.plan.step].action.servers().to_vec(),
            services: ServiceMask::ALL,
        };
        self.apply(now, &target, Transition::Stop, q);
        for &s in &target.servers {
            for svc in 0..self.pool.n_services() {
                self.pool
                    .set_startup(s as usize, svc, StartupType::Disabled);
            }
        }
        self.end_step(now, StepOutcome::Done, q);
    }

    pub(super) fn failover_timeout(&mut self, now: SimTime, q: &mut EventQueue<Event>) {
        let target = Target {
            servers: self.cfg.plan[self.plan.step].action.servers().to_vec(),
            services: ServiceMask::ALL,
        };
        // "No action is taken": the servers go back to accepting connections.
        self.apply(now, &target, Transition::Resume, q);
        let wait = match self.cfg.plan[self.plan.step].action {
            Action::Failover { wait_time, .. } => wait_time,
            _ => SimTime::ZERO,
        };
        let names = self.cfg.pool.names.labels(target.servers.iter().copied());
        self.fail_plan(
            now,
            format!(
                "{} did not drain within {wait}; no action was taken",
                names.join(", ")
            ),
        );
    }

    /// A server of the domain being restarted came up; the last one ends the domain.
    pub(super) fn roll_server_up(
        &mut self,
        now: SimTime,
        r: Rolling,
        s: usize,
        q: &mut EventQueue<Event>,
    ) {
        let RollPhase::Up { remaining } = r.phase else {
            return;
        };
        if !self.cfg.topology.upgrade_domains[r.domain].contains(&(s as u32)) {
            return;
        }
        if remaining > 1 {
            let phase = RollPhase::Up {
                remaining: remaining - 1,
            };
            self.set_rolling(r.domain, phase, r.record);
            return;
        }
        let rec = &mut self.m.domains[r.record];
        rec.up_at = Some(now);
        rec.outcome = DomainOutcome::Done;
        if r.domain + 1 >= self.cfg.topology.upgrade_domains.len() {
            self.end_step(now, StepOutcome::Done, q);
        } else {
            self.roll_begin_domain(now, r.domain + 1, q);
        }
    }

    /// Starts a `rolling_restart`: the first upgrade domain's readiness poll.
    pub(super) fn start_rolling(&mut self, now: SimTime, q: &mut EventQueue<Event>) -> Started {
        if self.cfg.topology.upgrade_domains.is_empty() {
            return Started::Ended(StepOutcome::Done);
        }
        self.roll_begin_domain(now, 0, q);
        if self.plan.step >= self.cfg.plan.len() {
            Started::Handled // failed at once
        } else {
            Started::Waiting
        }
    }

    /// Starts a `failover`: pause everything, then wait for the drain or `wait_time`.
    pub(super) fn start_failover(
        &mut self,
        now: SimTime,
        servers: &[u32],
        wait_time: SimTime,
        q: &mut EventQueue<Event>,
    ) -> Started {
        let target = Target {
            servers: servers.to_vec(),
            services: ServiceMask::ALL,
        };
        self.apply(now, &target, Transition::Pause, q);
        self.plan.waiting = Waiting::Failover;
        if self.failover_drained() {
            self.plan.waiting = Waiting::Nothing;
            self.failover_done(now, q);
            return Started::Handled;
        }
        self.step_timer(now, wait_time, q);
        Started::Waiting
    }

    /// `failback`: every service of the servers back to Automatic, and started.
    pub(super) fn failback(&mut self, now: SimTime, servers: &[u32], q: &mut EventQueue<Event>) {
        for &s in servers {
            for svc in 0..self.pool.n_services() {
                self.pool
                    .set_startup(s as usize, svc, StartupType::Automatic);
            }
        }
        let target = Target {
            servers: servers.to_vec(),
            services: ServiceMask::ALL,
        };
        self.apply(now, &target, Transition::Start, q);
    }
}
