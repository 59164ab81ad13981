//! `drainsim plan` (R17): which maintenance runbook to use.
//!
//! `[plan]` lists choices (servers, how many at once, wait before each restart, start time,
//! HLB disabling, startup type), constraints (window, largest blocked fraction, pool quorum
//! and routing-group quorum never lost) and an objective (sessions cut, optionally weighted
//! per feature). [`candidates`] expands every combination into a runbook scenario (plain
//! `[[step]]`s on the scenario's own text); each is simulated on the same replications'
//! sessions (common random numbers: a replication's seed does not depend on the candidate);
//! [`select`] runs Kim and Nelson's fully sequential ranking-and-selection procedure among the
//! feasible ones, adding replications only to candidates that cannot yet be told apart.
//!
//! No I/O: the caller reads the scenario and writes the report ([`report`] renders it).

pub mod candidates;
pub mod report;
pub mod select;

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};

use rayon::prelude::*;

use crate::model::sim::Seeds;
use crate::model::{RunConfig, SimError, Simulation};
use crate::scenario::{self, FileSource, PlanSpec, Scenario, ScenarioError};
use candidates::Candidate;
use select::Selection;

/// Error rate of the selection: the recommended plan is the best, or within the indifference
/// zone of it, with probability at least 1 − ALPHA.
pub const ALPHA: f64 = 0.05;

/// Replications added to every candidate still in contention at a time. Fixed (not the
/// number of threads), so that the replications spent do not depend on `--jobs`.
pub const CHUNK: u32 = 8;

/// What one replication of one candidate gave.
#[derive(Debug, Clone, PartialEq)]
pub struct Obs {
    /// The objective: sessions (or users) cut, weighted per feature.
    pub objective: f64,
    /// Sessions cut, every feature.
    pub cut: f64,
    /// Users in the sessions cut, every feature (R21).
    pub users_cut: f64,
    /// From the first step to the last server back, s (NaN when the plan did not finish).
    pub maintenance_s: f64,
    /// When the last server was back, s of simulated time (NaN when the plan did not finish).
    pub end_s: f64,
    /// Why the plan failed, if it did.
    pub failure: Option<String>,
    /// New sessions blocked during the maintenance, as a fraction of those that arrived.
    pub blocked_fraction: f64,
    /// Times the pool lost quorum.
    pub pool_quorum_losses: u32,
    /// The first routing-group quorum loss: (1-based group, seconds after the start).
    pub first_rg_loss: Option<(usize, f64)>,
    /// Routing groups' quorum losses.
    pub rg_losses: usize,
    /// Sessions blocked because their routing group had lost quorum.
    pub blocked_rg_quorum: u64,
}

/// One candidate and what its replications gave.
#[derive(Debug, Clone)]
pub struct Evaluated {
    /// The choices.
    pub candidate: Candidate,
    /// Its runbook scenario (the steps on the scenario's text, no expectations).
    pub text: String,
    /// Its configuration.
    pub config: RunConfig,
    /// Replications in order (replication k is the k-th).
    pub obs: Vec<Obs>,
    /// The first constraint it breaks, in words.
    pub infeasible: Option<String>,
    /// Replications at which the selection eliminated it.
    pub eliminated_at: Option<u32>,
}

impl Evaluated {
    /// The objective of each replication.
    pub fn objectives(&self) -> Vec<f64> {
        self.obs.iter().map(|o| o.objective).collect()
    }
}

/// The outcome of planning.
#[derive(Debug, Clone)]
pub struct PlanResult {
    /// The validated `[plan]`.
    pub spec: PlanSpec,
    /// Every candidate.
    pub candidates: Vec<Evaluated>,
    /// The recommended candidate, if any is feasible.
    pub recommended: Option<usize>,
    /// The best of the others (feasible first).
    pub runner_up: Option<usize>,
    /// First-stage replications per candidate.
    pub first_stage: u32,
    /// Most replications per candidate.
    pub cap: u32,
    /// Replications simulated in all.
    pub replications_spent: u64,
    /// `h²` of the selection.
    pub h2: f64,
    /// The scenario's seed.
    pub seed: u64,
}

/// Why planning could not be done.
#[derive(Debug, thiserror::Error)]
pub enum PlanError {
    /// The scenario has no `[plan]`.
    #[error("{0}: no `[plan]` table: `drainsim plan` needs one (see docs/scenario.md)")]
    NoPlan(String),
    /// A generated runbook did not validate (a bug, or a file it needs changed).
    #[error("candidate runbook {index} does not validate:\n{source}")]
    Candidate {
        /// Candidate index.
        index: usize,
        /// The diagnostics.
        source: ScenarioError,
    },
    /// The scenario's text could not be turned into a runbook.
    #[error("{0}: the scenario text cannot be rewritten as a runbook")]
    Text(String),
    /// A replication failed.
    #[error("candidate {index}, replication {replication}: {source}")]
    Simulation {
        /// Candidate.
        index: usize,
        /// Replication.
        replication: u32,
        /// What went wrong.
        source: SimError,
    },
    /// Ctrl-C.
    #[error("interrupted")]
    Interrupted,
    /// Worker threads.
    #[error("cannot start worker threads: {0}")]
    Threads(String),
}

/// How to run the planning.
#[derive(Default, Clone)]
pub struct PlanOptions {
    /// Worker threads (default: all cores). Results do not depend on it.
    pub jobs: Option<usize>,
    /// Set to stop early (Ctrl-C).
    pub cancel: Option<Arc<AtomicBool>>,
    /// Called after each replication.
    pub progress: Option<Arc<dyn Fn() + Send + Sync>>,
}

/// The runbook text of candidate `c` (no expectations).
pub fn runbook_text(base: &str, spec: &PlanSpec, c: &Candidate) -> String {
    format!(
        "{}\n# Runbook: {}\n{}",
        base.trim_end(),
        c.describe(spec),
        candidates::steps_toml(spec, c)
    )
}

/// The scenario text without `[plan]` and `[[expect]]`, named `name`.
pub fn base_text(source: &str, file: &str, name: &str) -> Result<String, PlanError> {
    candidates::base_text(source, name)
        .or_else(|| candidates::base_text_reserialised(source, name))
        .ok_or_else(|| PlanError::Text(file.to_string()))
}

/// Evaluates every candidate of `scenario`'s `[plan]` and selects the best.
pub fn plan(
    scenario: &Scenario,
    source: &str,
    files: &dyn FileSource,
    opts: &PlanOptions,
) -> Result<PlanResult, PlanError> {
    let spec = scenario
        .plan
        .clone()
        .ok_or_else(|| PlanError::NoPlan(scenario.file.clone()))?;
    let base = base_text(source, &scenario.file, &scenario.name)?;
    let mut evaluated = Vec::new();
    for c in candidates::expand(&spec) {
        let text = runbook_text(&base, &spec, &c);
        let s = scenario::parse(&text, &scenario.file, files).map_err(|source| {
            PlanError::Candidate {
                index: c.index,
                source,
            }
        })?;
        evaluated.push(Evaluated {
            candidate: c,
            text,
            config: s.base,
            obs: Vec::new(),
            infeasible: None,
            eliminated_at: None,
        });
    }
    let n0 = scenario.replications.max(2);
    let cap = scenario.max_replications.max(n0);
    let mut spent = 0u64;
    let all: Vec<usize> = (0..evaluated.len()).collect();
    spent += extend(scenario, &spec, &mut evaluated, &all, n0, opts)?;
    for e in evaluated.iter_mut() {
        e.infeasible = infeasibility(&spec, &e.obs);
    }
    let feasible: Vec<usize> = all
        .iter()
        .copied()
        .filter(|&i| evaluated[i].infeasible.is_none())
        .collect();
    let mut x: Vec<Vec<f64>> = evaluated.iter().map(Evaluated::objectives).collect();
    let mut sel = Selection::new(feasible, &x, n0, ALPHA, spec.indifference);
    let h2 = sel.h2;
    let mut r = n0;
    loop {
        let tiebreak = tiebreaks(&evaluated);
        for i in sel.screen(&x, r as usize, &tiebreak) {
            evaluated[i].eliminated_at = Some(r);
        }
        if sel.alive.len() <= 1 || r >= cap {
            break;
        }
        if u32::try_from(x[sel.alive[0]].len()).unwrap_or(u32::MAX) <= r {
            let upto = (r + CHUNK).min(cap);
            let alive = sel.alive.clone();
            spent += extend(scenario, &spec, &mut evaluated, &alive, upto, opts)?;
            for &i in &alive {
                x[i] = evaluated[i].objectives();
                evaluated[i].infeasible = infeasibility(&spec, &evaluated[i].obs);
                if evaluated[i].infeasible.is_some() {
                    sel.drop_candidate(i);
                }
            }
            if sel.alive.len() <= 1 {
                break;
            }
        }
        r += 1;
    }
    let recommended = best_of(&evaluated, &sel.alive);
    let runner_up = runner_up(&evaluated, recommended);
    Ok(PlanResult {
        spec,
        candidates: evaluated,
        recommended,
        runner_up,
        first_stage: n0,
        cap,
        replications_spent: spent,
        h2,
        seed: scenario.seed,
    })
}

/// Mean of a slice (NaN when empty).
pub fn mean(v: &[f64]) -> f64 {
    v.iter().sum::<f64>() / v.len() as f64
}

/// Mean maintenance and index: what decides between candidates no replication tells apart.
fn tiebreaks(e: &[Evaluated]) -> Vec<select::Tiebreak> {
    e.iter()
        .map(|c| {
            let m: Vec<f64> = c.obs.iter().map(|o| o.maintenance_s).collect();
            let m = mean(&m);
            (if m.is_finite() { m } else { f64::MAX }, c.candidate.index)
        })
        .collect()
}

/// The smallest mean objective among `alive` (ties: shorter maintenance, then order).
fn best_of(e: &[Evaluated], alive: &[usize]) -> Option<usize> {
    let tb = tiebreaks(e);
    alive.iter().copied().min_by(|&a, &b| {
        let (ma, mb) = (mean(&e[a].objectives()), mean(&e[b].objectives()));
        ma.total_cmp(&mb)
            .then(tb[a].0.total_cmp(&tb[b].0))
            .then(a.cmp(&b))
    })
}

/// The best feasible candidate other than the recommended one (else the best infeasible).
fn runner_up(e: &[Evaluated], recommended: Option<usize>) -> Option<usize> {
    let others = |feasible: bool| -> Vec<usize> {
        (0..e.len())
            .filter(|&i| Some(i) != recommended && e[i].infeasible.is_none() == feasible)
            .collect()
    };
    best_of(e, &others(true)).or_else(|| best_of(e, &others(false)))
}

/// The first constraint the replications break, in words.
pub fn infeasibility(spec: &PlanSpec, obs: &[Obs]) -> Option<String> {
    let n = obs.len();
    if let Some(f) = obs.iter().find_map(|o| o.failure.clone()) {
        return Some(format!("the plan failed: {f}"));
    }
    let unfinished = obs.iter().filter(|o| !o.maintenance_s.is_finite()).count();
    if unfinished > 0 {
        let past = if spec.window.is_some() {
            "window: "
        } else {
            ""
        };
        return Some(format!(
            "{past}not finished by the end of the simulation (the horizon) in {unfinished} of \
             {n} replications"
        ));
    }
    if let Some(w) = spec.window {
        // The window opens at the earliest start a candidate may choose.
        let opens = spec
            .start
            .iter()
            .map(|(_, t)| t.as_secs_f64())
            .fold(f64::MAX, f64::min);
        let over = obs
            .iter()
            .filter(|o| o.end_s - opens > w.as_secs_f64())
            .count();
        if over > 0 {
            let latest = obs.iter().map(|o| o.end_s - opens).fold(0.0, f64::max);
            return Some(format!(
                "window: the last server was back {} after the window opened (window {w}) in \
                 {over} of {n} replications",
                report::hm(latest)
            ));
        }
    }
    let q = obs.iter().filter(|o| o.pool_quorum_losses > 0).count();
    if q > 0 {
        return Some(format!("pool quorum lost in {q} of {n} replications"));
    }
    let rg = obs.iter().filter(|o| o.rg_losses > 0).count();
    if rg > 0 {
        let (g, _) = obs.iter().find_map(|o| o.first_rg_loss).unwrap_or((0, 0.0));
        return Some(format!(
            "routing-group quorum lost in {rg} of {n} replications (first: group {g})"
        ));
    }
    let blocked = mean(&obs.iter().map(|o| o.blocked_fraction).collect::<Vec<_>>());
    if blocked > spec.max_blocked_fraction {
        return Some(format!(
            "blocked fraction {blocked:.4} above the limit {}",
            spec.max_blocked_fraction
        ));
    }
    None
}

/// Brings every candidate of `which` to `upto` replications; returns how many it simulated.
fn extend(
    scenario: &Scenario,
    spec: &PlanSpec,
    e: &mut [Evaluated],
    which: &[usize],
    upto: u32,
    opts: &PlanOptions,
) -> Result<u64, PlanError> {
    let pairs: Vec<(usize, u32)> = which
        .iter()
        .flat_map(|&i| (e[i].obs.len() as u32..upto).map(move |k| (i, k)))
        .collect();
    let mut builder = rayon::ThreadPoolBuilder::new();
    if let Some(j) = opts.jobs {
        builder = builder.num_threads(j.max(1));
    }
    let pool = builder
        .build()
        .map_err(|err| PlanError::Threads(err.to_string()))?;
    let cancel = opts.cancel.clone();
    let configs: Vec<&RunConfig> = e.iter().map(|c| &c.config).collect();
    let outs: Vec<Result<Obs, PlanError>> = pool.install(|| {
        pairs
            .par_iter()
            .map(|&(i, k)| {
                if cancel.as_ref().is_some_and(|c| c.load(Ordering::Relaxed)) {
                    return Err(PlanError::Interrupted);
                }
                let seeds = Seeds::derive(scenario.seed, u64::from(k));
                let m = Simulation::new(configs[i], seeds)
                    .run_cancellable(cancel.as_deref())
                    .map_err(|source| match source {
                        SimError::Cancelled { .. } => PlanError::Interrupted,
                        source => PlanError::Simulation {
                            index: i,
                            replication: k,
                            source,
                        },
                    })?;
                if let Some(p) = &opts.progress {
                    p();
                }
                Ok(observe(spec, configs[i], &m))
            })
            .collect()
    });
    if cancel.as_ref().is_some_and(|c| c.load(Ordering::Relaxed)) {
        return Err(PlanError::Interrupted);
    }
    let n = pairs.len() as u64;
    for ((i, _), o) in pairs.into_iter().zip(outs) {
        e[i].obs.push(o?);
    }
    Ok(n)
}

/// What the planner keeps of one replication.
fn observe(spec: &PlanSpec, cfg: &RunConfig, m: &crate::model::ReplicationMetrics) -> Obs {
    let weight = |name: &str| {
        spec.weights
            .iter()
            .find(|(n, _)| n == name)
            .map_or(1.0, |(_, w)| *w)
    };
    let counted = |c: &crate::model::FeatureCounts| match spec.objective {
        scenario::PlanObjective::Cut => c.cut(),
        scenario::PlanObjective::Users => c.users.cut(),
    };
    let objective = cfg
        .features
        .iter()
        .zip(&m.features)
        .map(|(f, c)| weight(&f.name) * counted(c) as f64)
        .sum();
    let t = m.total();
    let maintenance_s = match (m.plan_started, m.plan_ended) {
        (Some(a), Some(b)) => b.since(a).as_secs_f64(),
        _ => f64::NAN,
    };
    let start = m.plan_started.unwrap_or_default();
    Obs {
        end_s: m.plan_ended.map_or(f64::NAN, |t| t.as_secs_f64()),
        objective,
        cut: t.cut() as f64,
        users_cut: t.users.cut() as f64,
        maintenance_s,
        failure: m.plan_failure.clone(),
        blocked_fraction: if t.arrivals_in_maintenance == 0 {
            0.0
        } else {
            t.blocked_in_maintenance as f64 / t.arrivals_in_maintenance as f64
        },
        pool_quorum_losses: m.pool_quorum_losses,
        first_rg_loss: m
            .rg_quorum_losses
            .first()
            .map(|l| (l.group + 1, l.from.as_secs_f64() - start.as_secs_f64())),
        rg_losses: m.rg_quorum_losses.len(),
        blocked_rg_quorum: t.blocked_rg_quorum,
    }
}
