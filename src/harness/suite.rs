//! The suite itself: [`Harness`], which runs a policy through its cases.

use std::panic::{self, AssertUnwindSafe};
use std::sync::{Arc, Mutex};

use super::checker::{Checker, Shared, lock};
use super::invariants::{conservation_problem, first_difference, name_of};
use super::watch::Watch;
use super::{Case, CaseSummary, Clock, Report, Violation, ViolationKind, builtin_cases};
use crate::engine::SimTime;
use crate::model::{ReplicationMetrics, RoutingPolicy, RunConfig, Seeds, Simulation};

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

    /// Runs every replication of `case` (twice each when determinism is checked) and adds
    /// its summary and violations to `report`.
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
        self.list(found, report);
        report.cases.push(summary);
    }

    /// Lists one case's violations in `report`, at most `max_violations_per_kind` of each
    /// kind; the rest are counted as suppressed.
    fn list(&self, found: Vec<Violation>, report: &mut Report) {
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
    }

    /// One replication, stepped event by event with every check; a panic is caught and
    /// reported.
    fn replicate(&self, case: &Case, rep: u32) -> Replicated {
        let shared = Arc::new(Mutex::new(Shared::default()));
        let mut trace = Trace {
            case,
            replication: rep,
            now: SimTime::ZERO,
            events: 0,
            found: Vec::new(),
        };
        let outcome = panic::catch_unwind(AssertUnwindSafe(|| {
            self.step_through(case, rep, &shared, &mut trace)
        }));
        let metrics = match outcome {
            Ok(m) => m,
            Err(payload) => {
                let msg = payload
                    .downcast_ref::<&str>()
                    .map(|s| s.to_string())
                    .or_else(|| payload.downcast_ref::<String>().cloned())
                    .unwrap_or_else(|| "(no message)".to_string());
                trace.push(trace.now, ViolationKind::Panic, format!("panicked: {msg}"));
                None
            }
        };
        let decisions = lock(&shared).decisions;
        Replicated {
            metrics,
            violations: trace.found,
            decisions,
            events: trace.events,
        }
    }

    /// Runs the replication to its horizon with the checking policy, checking the pool after
    /// every event and the counts at the end. `None` if it could not finish.
    fn step_through(
        &self,
        case: &Case,
        rep: u32,
        shared: &Arc<Mutex<Shared>>,
        trace: &mut Trace<'_>,
    ) -> Option<ReplicationMetrics> {
        let cfg = &case.config;
        let checker = Checker {
            inner: (self.factory)(cfg),
            shared: Arc::clone(shared),
            names: cfg.pool.names.clone(),
        };
        let seeds = Seeds::derive(case.seed, u64::from(rep));
        let mut sim = Simulation::with_policy(cfg, seeds, Box::new(checker));
        self.clock.set(SimTime::ZERO);
        let mut watch = Watch::new(cfg);
        loop {
            if sim.metrics().events >= cfg.event_budget {
                let detail = format!(
                    "event budget of {} events exhausted before the horizon",
                    cfg.event_budget
                );
                trace.push(trace.now, ViolationKind::SimulationError, detail);
                return None;
            }
            if let Some(t) = sim.next_time() {
                self.clock.set(t);
            }
            let Some(t) = sim.step() else { break };
            trace.now = t;
            trace.events += 1;
            let pending = std::mem::take(&mut lock(shared).pending);
            for (kind, detail) in pending {
                trace.push(t, kind, detail);
            }
            watch.after_event(&sim, cfg, &mut |kind, detail| trace.push(t, kind, detail));
        }
        match sim.run() {
            Ok(metrics) => {
                check_end(&metrics, cfg, trace);
                Some(metrics)
            }
            Err(e) => {
                trace.push(trace.now, ViolationKind::SimulationError, e.to_string());
                None
            }
        }
    }
}

/// The conservation identities at the end of a run, for every feature.
fn check_end(metrics: &ReplicationMetrics, cfg: &RunConfig, trace: &mut Trace<'_>) {
    for (f, c) in metrics.features.iter().enumerate() {
        // Our own reading of R10, then the model's (which may know more identities).
        let problem = conservation_problem(c, None).or_else(|| {
            (!c.conserved()).then(|| format!("FeatureCounts::conserved() is false: {c:?}"))
        });
        if let Some(problem) = problem {
            trace.push(
                cfg.horizon,
                ViolationKind::Conservation,
                format!(
                    "feature {:?} at the end of the run: {problem}",
                    name_of(cfg, f)
                ),
            );
        }
    }
}

/// What one replication found so far. It lives outside the closure that may unwind, so a
/// panic loses none of it (and the time of the last event is known).
struct Trace<'c> {
    case: &'c Case,
    replication: u32,
    /// Simulated time of the last event handled.
    now: SimTime,
    /// Events handled.
    events: u64,
    found: Vec<Violation>,
}

impl Trace<'_> {
    fn push(&mut self, time: SimTime, kind: ViolationKind, detail: String) {
        self.found.push(Violation {
            scenario: self.case.name.clone(),
            seed: self.case.seed,
            replication: self.replication,
            time,
            kind,
            detail,
        });
    }
}

/// One replication's result, metrics and all.
struct Replicated {
    metrics: Option<ReplicationMetrics>,
    violations: Vec<Violation>,
    decisions: u64,
    events: u64,
}
