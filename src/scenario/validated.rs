//! The validated scenario: what stage two (`validate/`) produces and `expand` turns into runs.
//! Types only, and none of them can hold a value the model cannot run.

use super::ctx::{Diagnostic, Limits};
use super::sweep::Axis;
use crate::engine::SimTime;
use crate::model::{RunConfig, Topology};

/// How upgrade domains were given.
#[derive(Debug, Clone, PartialEq)]
pub enum DomainSpec {
    /// Not given: every server is its own upgrade domain.
    PerServer,
    /// `upgrade_domains = N`: N contiguous blocks.
    Count(u32),
    /// Explicit lists of 0-based servers.
    Lists(Vec<Vec<u32>>),
}

/// The pool topology as written, resolved for each pool size of a sweep.
#[derive(Debug, Clone, PartialEq)]
pub struct TopologySpec {
    /// Upgrade domains.
    pub domains: DomainSpec,
    /// Number of routing groups.
    pub routing_groups: u32,
    /// Replica rebuild time.
    pub replica_rebuild: SimTime,
}

impl TopologySpec {
    /// The topology of a pool of `servers`, or why it does not fit.
    pub fn resolve(&self, servers: u32) -> Result<Topology, String> {
        let upgrade_domains = match &self.domains {
            DomainSpec::PerServer => (0..servers).map(|s| vec![s]).collect(),
            DomainSpec::Count(d) => {
                if *d > servers {
                    return Err(format!("{d} upgrade domains for {servers} servers"));
                }
                Topology::contiguous_domains(servers, *d)
            }
            DomainSpec::Lists(l) => {
                if let Some(bad) = l.iter().flatten().find(|&&s| s >= servers) {
                    return Err(format!(
                        "upgrade domains name server {} but the pool has {servers}",
                        bad + 1
                    ));
                }
                l.clone()
            }
        };
        Ok(Topology {
            routing_groups: Topology::spread_routing_groups(
                &upgrade_domains,
                servers,
                self.routing_groups,
            ),
            upgrade_domains,
            replica_rebuild: self.replica_rebuild,
        })
    }
}

/// A bound on one summary column (`[[expect]]`).
#[derive(Debug, Clone, PartialEq)]
pub struct Bound {
    /// The summary column, e.g. `cut_mean`.
    pub column: String,
    /// Inclusive lower bound.
    pub min: Option<f64>,
    /// Inclusive upper bound.
    pub max: Option<f64>,
    /// Target value and absolute tolerance.
    pub approx: Option<(f64, f64)>,
    /// For a bound only "never" meets (`max = 0` on a count, `min = 1` on a fraction): how
    /// rare the nights that break it must be shown to be (default 1 in 100).
    pub rarer_than: Option<f64>,
}

/// One `[[expect]]`: rows selected by axis values and feature, and bounds they must meet.
#[derive(Debug, Clone, PartialEq)]
pub struct Expectation {
    /// Index in the file.
    pub index: usize,
    /// `file:line:col` of the entry, for messages.
    pub location: String,
    /// Column → required value (as written in the summary).
    pub selectors: Vec<(String, String)>,
    /// `paired = "hardware - dns"`: the bounds apply to the paired difference of compare.csv
    /// (per replication, hardware − DNS, on the same sessions), not to summary rows.
    pub paired: bool,
    /// Bounds.
    pub bounds: Vec<Bound>,
}

/// A precision target for a run's headline measure (sessions cut, the `all` row).
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Precision {
    /// Largest half-width of the 95 % interval.
    pub half_width: Option<f64>,
    /// Largest half-width relative to the mean.
    pub relative: Option<f64>,
}

impl Precision {
    /// Whether an interval of half-width `half` around `mean` meets the target.
    pub fn met(&self, mean: f64, half: f64) -> bool {
        let abs = self.half_width.is_none_or(|h| half <= h);
        let rel = self.relative.is_none_or(|r| half <= r * mean.abs());
        half.is_finite() && abs && rel
    }
}

/// A validated scenario.
#[derive(Debug, Clone)]
pub struct Scenario {
    /// Title.
    pub name: String,
    /// Description.
    pub description: Option<String>,
    /// File name as given.
    pub file: String,
    /// Root seed.
    pub seed: u64,
    /// Replications per run (the starting count of a sequential decision).
    pub replications: u32,
    /// Most replications per run that undecided expectations may take.
    pub max_replications: u32,
    /// `replications = { half_width | relative, … }`: add replications until every run's
    /// sessions cut are known this precisely.
    pub precision: Option<Precision>,
    /// The run before sweep axes are applied (every feature of the file).
    pub base: RunConfig,
    /// Whether `pool.quorum` was written (else it follows the pool size).
    pub quorum_explicit: bool,
    /// Upgrade domains and routing groups as written.
    pub topology: TopologySpec,
    /// Sweep axes in file order.
    pub axes: Vec<Axis>,
    /// Expectations.
    pub expects: Vec<Expectation>,
    /// Limits it was validated against.
    pub limits: Limits,
    /// `[plan]`, for `drainsim plan`.
    pub plan: Option<PlanSpec>,
    /// What validation found allowed but probably not meant (e.g. a plan longer than the
    /// horizon), in file order: `drainsim check` and `drainsim run` print them with
    /// [`Diagnostic::as_warning`].
    pub warnings: Vec<Diagnostic>,
}

/// The wait between a candidate's pause and its restart.
#[derive(Debug, Clone, PartialEq)]
pub enum PlanWait {
    /// A fixed duration, as written (`"30m"`).
    Fixed(SimTime, String),
    /// Until the servers have no session left, at most the plan's `drain_limit`.
    Drained,
}

impl PlanWait {
    /// As written in `[plan]` and `candidates.csv`.
    pub fn text(&self) -> &str {
        match self {
            PlanWait::Fixed(_, t) => t,
            PlanWait::Drained => "drained",
        }
    }
}

/// What `drainsim plan` minimises (`minimise` in `[plan]`), weighted per feature.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum PlanObjective {
    /// Sessions cut (`"cut"`, the default).
    #[default]
    Cut,
    /// Users in the sessions cut (`"users"`, R21): a cut conference weighs its participants.
    Users,
}

impl PlanObjective {
    /// As written in `minimise`.
    pub fn name(self) -> &'static str {
        match self {
            PlanObjective::Cut => "cut",
            PlanObjective::Users => "users",
        }
    }

    /// What it counts, in words: `sessions` or `users`.
    pub fn noun(self) -> &'static str {
        match self {
            PlanObjective::Cut => "sessions",
            PlanObjective::Users => "users",
        }
    }
}

/// A validated `[plan]`: choices (each list non-empty), constraints and objective.
#[derive(Debug, Clone, PartialEq)]
pub struct PlanSpec {
    /// Procedures of the candidates.
    pub procedure: Vec<PlanProcedure>,
    /// Servers to patch, 0-based, in order.
    pub servers: Vec<u32>,
    /// Servers patched at once.
    pub parallel: Vec<u32>,
    /// Waits before each restart.
    pub wait: Vec<PlanWait>,
    /// Longest wait of [`PlanWait::Drained`].
    pub drain_limit: SimTime,
    /// Earliest first pause: as written, and resolved to simulated time.
    pub start: Vec<(String, SimTime)>,
    /// Whether servers are disabled on the HLB before their pause.
    pub lb_disable: Vec<bool>,
    /// Startup types during the restart (`Automatic` or `Manual`).
    pub startup: Vec<crate::model::StartupType>,
    /// Downtime of each restart.
    pub downtime: SimTime,
    /// The change window, if any.
    pub window: Option<PlanWindow>,
    /// Largest blocked fraction during the maintenance.
    pub max_blocked_fraction: f64,
    /// Fraction of nights (1 − ε) in which the window and the blocked fraction must hold: the
    /// chance constraints' level. 1 makes them hard (any night that breaks one is infeasible).
    pub nights: f64,
    /// Weight per feature name (features not listed weigh 1).
    pub weights: Vec<(String, f64)>,
    /// What the plan minimises.
    pub objective: PlanObjective,
    /// Indifference zone of the selection.
    pub indifference: Indifference,
    /// What picks the recommendation among the runbooks the selection cannot tell apart.
    pub secondary: Secondary,
    /// The pool's server labels, for the candidates' steps and the plan's report.
    pub names: crate::model::ServerNames,
}

/// The change window: every server must be back by `closes`.
#[derive(Debug, Clone, PartialEq)]
pub struct PlanWindow {
    /// When it opens, simulated time (the earliest `start` for a window given as a length).
    pub opens: SimTime,
    /// When it closes, simulated time.
    pub closes: SimTime,
    /// As written (`"3h"` or `"02:00-05:00"`).
    pub text: String,
}

impl PlanWindow {
    /// Its length.
    pub fn length(&self) -> SimTime {
        SimTime(self.closes.0.saturating_sub(self.opens.0))
    }
}

/// The maintenance procedure of a candidate runbook.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PlanProcedure {
    /// Fixed batches of `parallel` servers: pause, wait, restart (the plan's other choices).
    Batches,
    /// Microsoft's `rolling_restart`: one upgrade domain at a time, polled for readiness.
    RollingRestart,
}

impl PlanProcedure {
    /// As written in `[plan] procedure` and `candidates.csv`.
    pub fn name(self) -> &'static str {
        match self {
            PlanProcedure::Batches => "batches",
            PlanProcedure::RollingRestart => "rolling_restart",
        }
    }
}

/// The indifference zone δ of the selection, in units of the objective.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Indifference {
    /// A fixed δ.
    Absolute(f64),
    /// δ = `fraction` × the best feasible mean, at least `floor`.
    Relative {
        /// Fraction of the best feasible mean.
        fraction: f64,
        /// Smallest δ.
        floor: f64,
    },
}

impl Indifference {
    /// δ when the best feasible mean is `best`.
    pub fn delta(self, best: f64) -> f64 {
        match self {
            Indifference::Absolute(d) => d,
            Indifference::Relative { fraction, floor } => {
                let rel = fraction * best;
                if rel.is_finite() {
                    rel.max(floor)
                } else {
                    floor
                }
            }
        }
    }
}

/// The secondary objective: what picks the recommendation within the equivalence set.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Secondary {
    /// Shorter mean maintenance (the default).
    Maintenance,
    /// Smaller mean blocked fraction.
    Blocked,
    /// Smaller mean objective (no secondary objective).
    Objective,
}

impl Secondary {
    /// As written in `secondary`.
    pub fn name(self) -> &'static str {
        match self {
            Secondary::Maintenance => "maintenance",
            Secondary::Blocked => "blocked",
            Secondary::Objective => "objective",
        }
    }
}
