//! The operator's plan executor (R8): a cursor over the steps, what it waits for, and the
//! step outcomes.

use super::*;

/// What the plan is waiting for.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub(super) enum Waiting {
    /// Nothing: the step in progress ended, or the plan is done.
    #[default]
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

/// How starting a step went.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Started {
    /// It waits for something (`Cursor::waiting`).
    Waiting,
    /// It ended at once, with this outcome.
    Ended(StepOutcome),
    /// It ended and the plan already carried on (or failed) from within it.
    Handled,
}

/// The plan's cursor: the step in progress, the generation that makes its stale timers
/// harmless, and what it is waiting for.
#[derive(Debug, Clone, Copy, Default)]
pub(super) struct Cursor {
    /// Index of the step in progress (the plan's length when it is done).
    pub(super) step: usize,
    /// Bumped whenever the step's timer is rescheduled or the step ends.
    pub(super) generation: u32,
    /// What the step in progress waits for.
    pub(super) waiting: Waiting,
}

impl State<'_> {
    /// Ends whatever plan wait is satisfied by the sessions that just left.
    pub(super) fn check_plan_drain(&mut self, now: SimTime, q: &mut EventQueue<Event>) {
        match self.plan.waiting {
            Waiting::Drained if self.targets_drained() => {
                self.end_step(now, StepOutcome::Drained, q)
            }
            Waiting::Rolling(r) if r.phase == RollPhase::Drain && self.domain_drained(r.domain) => {
                self.roll_restart_domain(now, r, true, q)
            }
            Waiting::Failover if self.failover_drained() => self.failover_done(now, q),
            _ => {}
        }
    }

    pub(super) fn targets_drained(&self) -> bool {
        match &self.cfg.plan.get(self.plan.step).map(|s| &s.action) {
            Some(Action::WaitUntilDrained { target, .. }) => target
                .servers
                .iter()
                .all(|&s| self.pool.active_using(s as usize, target.services) == 0),
            _ => false,
        }
    }

    /// Schedules the current step's timer; any timer scheduled before for this step is stale.
    pub(super) fn step_timer(&mut self, now: SimTime, delay: SimTime, q: &mut EventQueue<Event>) {
        self.plan.generation = self.plan.generation.wrapping_add(1);
        q.schedule(
            now.plus(delay),
            Event::StepTimer {
                step: self.plan.step as u32,
                generation: self.plan.generation,
            },
        );
    }

    pub(super) fn on_step_timer(&mut self, now: SimTime, q: &mut EventQueue<Event>) {
        match self.plan.waiting {
            Waiting::Timer => self.end_step(now, StepOutcome::Done, q),
            Waiting::Drained => self.end_step(now, StepOutcome::Timeout, q),
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

    /// The current step failed: record why and stop the plan.
    pub(super) fn fail_plan(&mut self, now: SimTime, reason: String) {
        let action = self.cfg.plan[self.plan.step].action.name();
        if let Some(r) = self.m.steps.last_mut()
            && r.index == self.plan.step
            && r.ended.is_none()
        {
            r.ended = Some(now);
            r.outcome = StepOutcome::Failed;
        }
        self.m.plan_failure = Some(format!("step {} ({action}): {reason}", self.plan.step + 1));
        self.plan.waiting = Waiting::Nothing;
        self.plan.step = self.cfg.plan.len();
        self.plan.generation = self.plan.generation.wrapping_add(1);
        self.end_maintenance(now);
    }

    pub(super) fn end_step(
        &mut self,
        now: SimTime,
        outcome: StepOutcome,
        q: &mut EventQueue<Event>,
    ) {
        self.finish_current(now, outcome);
        self.plan.waiting = Waiting::Nothing;
        self.run_plan(now, q);
    }

    /// Starts plan steps from the cursor until one has to wait.
    pub(super) fn run_plan(&mut self, now: SimTime, q: &mut EventQueue<Event>) {
        let cfg = self.cfg;
        while self.plan.waiting == Waiting::Nothing {
            let Some(step) = cfg.plan.get(self.plan.step) else {
                self.plan_done(now);
                return;
            };
            if let Some(at) = step.at
                && at > now
            {
                // The plan sleeps until then; `StepStart` re-enters here.
                let step = self.plan.step as u32;
                q.schedule(at, Event::StepStart { step });
                return;
            }
            if self.m.plan_started.is_none() {
                self.m.plan_started = Some(now);
                self.begin_maintenance(now);
            }
            self.m.steps.push(StepRecord {
                index: self.plan.step,
                action: step.action.name(),
                started: now,
                ended: None,
                outcome: StepOutcome::Running,
            });
            match self.start_step(now, &step.action, q) {
                Started::Waiting => {}
                Started::Ended(outcome) => self.finish_current(now, outcome),
                Started::Handled => return,
            }
        }
    }

    /// The plan ran out of steps: it ended, unless it had failed.
    fn plan_done(&mut self, now: SimTime) {
        if self.m.plan_started.is_some()
            && self.m.plan_ended.is_none()
            && self.m.plan_failure.is_none()
        {
            self.m.plan_ended = Some(now);
            self.end_maintenance(now);
        }
    }

    /// Starts one step: its immediate effects, and what it waits for if it does not end now.
    fn start_step(&mut self, now: SimTime, action: &Action, q: &mut EventQueue<Event>) -> Started {
        match action {
            Action::Pause(t) => self.apply(now, t, Transition::Pause, q),
            Action::Resume(t) => self.apply(now, t, Transition::Resume, q),
            Action::StopGraceful(t) => self.apply(now, t, Transition::StopGraceful, q),
            Action::Stop(t) => self.apply(now, t, Transition::Stop, q),
            Action::Start(t) => self.apply(now, t, Transition::Start, q),
            Action::SetStartup { target, startup } => self.set_startup(target, *startup),
            Action::Wait { duration } => {
                self.plan.waiting = Waiting::Timer;
                self.step_timer(now, *duration, q);
            }
            Action::Restart { servers, downtime } => {
                self.plan.waiting = Waiting::ServersUp {
                    remaining: servers.len() as u32,
                };
                for &s in servers {
                    self.restart_server(now, s as usize, *downtime, q);
                }
            }
            Action::WaitUntilDrained { timeout, .. } => {
                if self.targets_drained() {
                    return Started::Ended(StepOutcome::Drained);
                }
                self.plan.waiting = Waiting::Drained;
                if let Some(t) = timeout {
                    self.step_timer(now, *t, q);
                }
            }
            Action::RollingRestart { .. } => return self.start_rolling(now, q),
            Action::Failover { servers, wait_time } => {
                return self.start_failover(now, servers, *wait_time, q);
            }
            Action::Failback { servers } => self.failback(now, servers, q),
            Action::LbMember { servers, state } => {
                for &s in servers {
                    self.pool.set_member(s as usize, *state);
                }
            }
            Action::DnsRecord { servers, listed } => {
                for &s in servers {
                    self.pool.set_dns_record(s as usize, *listed);
                }
            }
        }
        if self.plan.waiting == Waiting::Nothing {
            Started::Ended(StepOutcome::Done)
        } else {
            Started::Waiting
        }
    }

    /// `set_startup`: the startup type of the target services.
    fn set_startup(&mut self, target: &Target, startup: StartupType) {
        for &s in &target.servers {
            for svc in 0..self.pool.n_services() {
                if target.services.contains(svc) {
                    self.pool.set_startup(s as usize, svc, startup);
                }
            }
        }
    }

    /// A server came up: it may be what the step in progress waits for.
    pub(super) fn plan_server_up(&mut self, now: SimTime, s: usize, q: &mut EventQueue<Event>) {
        match self.plan.waiting {
            Waiting::ServersUp { remaining } => {
                let action = &self.cfg.plan[self.plan.step].action;
                if !action.servers().contains(&(s as u32)) {
                    return;
                }
                if remaining <= 1 {
                    self.end_step(now, StepOutcome::Done, q);
                } else {
                    self.plan.waiting = Waiting::ServersUp {
                        remaining: remaining - 1,
                    };
                }
            }
            Waiting::Rolling(r) => self.roll_server_up(now, r, s, q),
            _ => {}
        }
    }

    /// Marks the current step ended at `now` and moves the cursor (without re-entering the plan).
    pub(super) fn finish_current(&mut self, now: SimTime, outcome: StepOutcome) {
        if let Some(r) = self.m.steps.last_mut()
            && r.index == self.plan.step
            && r.ended.is_none()
        {
            r.ended = Some(now);
            r.outcome = outcome;
        }
        self.plan.step += 1;
        self.plan.generation = self.plan.generation.wrapping_add(1);
    }
}
