//! `drainsim plan` (R17, R19): which maintenance runbook to use.
//!
//! `[plan]` lists choices (procedure, servers, how many at once, wait before each restart,
//! start time, HLB disabling, startup type), constraints (window and largest blocked fraction
//! as chance constraints holding in `nights` of nights; pool quorum and routing-group quorum
//! never lost) and an objective (sessions cut, optionally weighted per feature).
//! [`candidates`] expands every combination into a runbook scenario (plain `[[step]]`s on the
//! scenario's own text); each is simulated on the same replications' sessions (common random
//! numbers: a replication's seed does not depend on the candidate).
//!
//! The selection ([`plan`]) is a constrained fully sequential procedure in the manner of
//! Andradóttir and Kim (2010), "Fully sequential procedures for comparing constrained systems
//! via simulation", *Naval Research Logistics* 57(5), 403–421: feasibility and the objective are
//! decided together, one replication count at a time.
//!
//! - **Feasibility** ([`Feasibility`]): the chance constraints are decided with Clopper–Pearson
//!   bounds on the fraction of nights that break them, at the looks `n0, 2n0, 4n0, …, cap`,
//!   each at error `ALPHA / 2` divided among the candidates and the looks (Bonferroni): feasible
//!   when the upper bound is below ε, infeasible when the lower bound is above it, undecided
//!   otherwise (undecided candidates get more replications). A quorum loss in any night is
//!   infeasible at once.
//! - **Objective**: Kim and Nelson's (2001) elimination rule ([`select`]) at error `ALPHA / 2`,
//!   with the indifference zone of `[plan]` (by default relative to the best mean).
//! - **The constraint on eliminations**: a candidate beaten by one whose feasibility is not yet
//!   established is only *held*: it gets no replications meanwhile, becomes eliminated once its
//!   eliminator is shown feasible, and comes back (catching up its replications) when its
//!   eliminator is shown infeasible, is itself beaten, or is still undecided at the cap.
//!
//! After the procedure, the best survivor and the feasible runbooks that are within the
//! indifference zone of it with confidence form the equivalence set; the recommendation is the
//! one of the set best on the secondary objective (shorter maintenance by default).
//!
//! No I/O: the caller reads the scenario and writes the report ([`report`] renders it).

pub mod candidates;
pub mod report;
pub mod select;

use std::sync::Arc;
use std::sync::atomic::AtomicBool;

use crate::model::sim::Seeds;
use crate::model::{RunConfig, SimError, Simulation};
use crate::scenario::{self, FileSource, PlanSpec, Scenario, ScenarioError, Secondary};
use candidates::Candidate;
use select::Selection;

/// Error rate of the selection: the recommended plan is feasible and within the indifference
/// zone of the best feasible one with probability at least 1 − ALPHA (half of it spent on the
/// feasibility decisions, half on the comparisons of the objective).
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
    /// Whether it meets the constraints, as decided so far.
    pub feasibility: Feasibility,
    /// The feasible candidate that eliminated it and the replications they were compared on.
    pub eliminated: Option<(usize, u32)>,
}

/// A candidate's constraints, decided with confidence (R19).
#[derive(Debug, Clone, PartialEq)]
pub enum Feasibility {
    /// Shown to meet the chance constraints (and no quorum lost) at this many replications.
    Feasible(u32),
    /// Shown to break a constraint: why, in words.
    Infeasible(String),
    /// Not decided: the replications cannot tell yet (or the selection did not need to know).
    Undecided,
}

impl Evaluated {
    /// The objective of each replication.
    pub fn objectives(&self) -> Vec<f64> {
        self.obs.iter().map(|o| o.objective).collect()
    }

    /// Whether it was shown feasible.
    pub fn is_feasible(&self) -> bool {
        matches!(self.feasibility, Feasibility::Feasible(_))
    }

    /// Why it is infeasible, if it was shown to be.
    pub fn infeasible(&self) -> Option<&str> {
        match &self.feasibility {
            Feasibility::Infeasible(why) => Some(why),
            _ => None,
        }
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
    /// The best feasible candidate (smallest mean objective) the procedure found.
    pub best: Option<usize>,
    /// The feasible candidates within the indifference zone of the best with confidence (the
    /// best first, then by index); the recommendation is one of them.
    pub equivalent: Vec<usize>,
    /// The indifference zone δ, in units of the objective.
    pub delta: f64,
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
    /// The least `max_replications` whose nights, none breaking a constraint, show a candidate
    /// feasible at the error per test that cap gives (more looks, from a higher cap, need a
    /// few more nights); `None` when every night must hold (`nights = 1`).
    pub feasible_needs: Option<u32>,
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
    let (spec, mut evaluated) = candidates_of(scenario, source, files)?;
    let n0 = scenario.replications.max(2);
    let cap = scenario.max_replications.max(n0);
    let all = all_of(&evaluated);
    let mut spent = extend(scenario, &spec, &mut evaluated, &all, n0, opts)?;
    let looks = looks_of(n0, cap);
    let alpha_f = ALPHA / 2.0 / (evaluated.len() as f64 * looks.len() as f64);
    // With a higher cap come more looks and a smaller error per test: the least cap that
    // suffices is a fixed point.
    let needs_at = |c: u32| {
        let a = ALPHA / 2.0 / (evaluated.len() as f64 * looks_of(n0, c).len() as f64);
        nights_to_show(1.0 - spec.nights, a)
    };
    let feasible_needs = (0..20)
        .try_fold(cap, |c, _| match needs_at(c) {
            Some(n) if n <= c => Err(Some(c)),
            Some(n) => Ok(n),
            None => Err(None),
        })
        .err()
        .flatten();
    let mut looked = vec![0u32; evaluated.len()];
    for i in 0..evaluated.len() {
        decide(&spec, &mut evaluated[i], &looks, &mut looked[i], alpha_f);
    }
    let x: Vec<Vec<f64>> = evaluated.iter().map(Evaluated::objectives).collect();
    let contending: Vec<usize> = (0..evaluated.len())
        .filter(|&i| evaluated[i].infeasible().is_none())
        .collect();
    let mut sel = Selection::new(contending, &x, n0, ALPHA / 2.0, 0.0);
    let h2 = sel.h2;
    let mut held: Vec<Hold> = Vec::new();
    let mut r = n0;
    loop {
        // Bring every contender to r replications (in chunks, the same whatever `--jobs`).
        let short: Vec<usize> = (sel.alive.iter().copied())
            .filter(|&i| evaluated[i].obs.len() < r as usize)
            .collect();
        if !short.is_empty() {
            let upto = (r + CHUNK - 1).min(cap);
            spent += extend(scenario, &spec, &mut evaluated, &short, upto, opts)?;
        }
        // Feasibility at the looks the contenders reached.
        for i in sel.alive.clone() {
            if evaluated[i].feasibility != Feasibility::Undecided {
                continue;
            }
            decide(&spec, &mut evaluated[i], &looks, &mut looked[i], alpha_f);
            match evaluated[i].feasibility {
                Feasibility::Infeasible(_) => {
                    sel.drop_candidate(i);
                    release(&mut held, &mut sel, |h| h.by == i);
                }
                Feasibility::Feasible(_) => {
                    for h in held.iter().filter(|h| h.by == i) {
                        evaluated[h.held].eliminated = Some((i, h.at));
                    }
                    held.retain(|h| h.by != i);
                }
                Feasibility::Undecided => {}
            }
        }
        // Candidates that came back catch up before they are compared.
        if (sel.alive.iter()).any(|&i| evaluated[i].obs.len() < r as usize) {
            continue;
        }
        let x: Vec<Vec<f64>> = evaluated.iter().map(Evaluated::objectives).collect();
        sel.delta = spec.indifference.delta(sel.best_mean(&x, r as usize));
        let feasible: Vec<bool> = evaluated.iter().map(Evaluated::is_feasible).collect();
        for (i, by) in sel.screen(&x, r as usize, &tiebreaks(&evaluated), &feasible) {
            if feasible[by] {
                evaluated[i].eliminated = Some((by, r));
            } else {
                held.push(Hold { held: i, by, at: r });
            }
        }
        // A holder that is no longer contending (beaten itself) lets its held ones go.
        let alive = sel.alive.clone();
        release(&mut held, &mut sel, |h| !alive.contains(&h.by));
        let settled = sel.alive.iter().all(|&i| evaluated[i].is_feasible());
        if held.is_empty() && settled && sel.alive.len() <= 1 {
            break;
        }
        if r >= cap {
            // Undecided at the cap: not recommended; whatever they held comes back.
            let undecided: Vec<usize> = (sel.alive.iter().copied())
                .filter(|&i| !evaluated[i].is_feasible())
                .collect();
            for &i in &undecided {
                sel.drop_candidate(i);
            }
            let before = sel.alive.len();
            release(&mut held, &mut sel, |h| undecided.contains(&h.by));
            if sel.alive.len() == before && undecided.is_empty() {
                break;
            }
            continue;
        }
        r += 1;
    }
    let best = best_of(&evaluated, &sel.alive);
    let delta = spec
        .indifference
        .delta(best.map_or(f64::NAN, |b| mean(&evaluated[b].objectives())));
    let equivalent = best.map_or(Vec::new(), |b| equivalence_set(&evaluated, b, delta));
    let recommended = pick(&spec, &evaluated, &equivalent);
    if let Some(r) = recommended {
        spent += sharpen(scenario, &spec, &mut evaluated, r, delta, cap, opts)?;
    }
    let runner_up = runner_up(&evaluated, recommended);
    Ok(PlanResult {
        spec,
        candidates: evaluated,
        recommended,
        best,
        equivalent,
        delta,
        runner_up,
        first_stage: n0,
        cap,
        replications_spent: spent,
        h2,
        seed: scenario.seed,
        feasible_needs,
    })
}

/// The fewest nights without a break whose Clopper–Pearson upper end (at error `alpha`) on
/// the rate of nights that break a constraint is below `eps`: the least `n` with
/// `1 − alpha^(1/n) < eps`. `None` for `eps` ≤ 0.
pub fn nights_to_show(eps: f64, alpha: f64) -> Option<u32> {
    (eps > 0.0 && eps < 1.0).then(|| (alpha.ln() / (1.0 - eps).ln()).floor() as u32 + 1)
}

/// More replications of the recommended candidate until its mean cut is known to within half
/// the indifference zone (95 % half-width ≤ δ/2, in sessions cut), or the cap: what lets
/// `recommended.toml` hold a bound tight enough to fail a runbook outside the zone.
fn sharpen(
    scenario: &Scenario,
    spec: &PlanSpec,
    e: &mut [Evaluated],
    r: usize,
    delta: f64,
    cap: u32,
    opts: &PlanOptions,
) -> Result<u64, PlanError> {
    let mut spent = 0;
    loop {
        let half = cut_delta(&e[r], delta) / 2.0;
        let est = crate::stats::estimate(&e[r].obs.iter().map(|o| o.cut).collect::<Vec<_>>());
        let n = e[r].obs.len() as u32;
        // A NaN half-width (every night the same) needs no more.
        if n >= cap || est.half_width().is_nan() || est.half_width() <= half {
            return Ok(spent);
        }
        // Replications for the half-width to shrink to `half`, by the √n law, at least a chunk.
        let want = (f64::from(n) * (est.half_width() / half).powi(2)).ceil() as u32;
        let upto = want.max(n + CHUNK).min(cap);
        spent += extend(scenario, spec, e, &[r], upto, opts)?;
    }
}

/// The indifference zone in sessions cut: δ itself, or scaled by cut per unit of a weighted
/// objective.
pub fn cut_delta(e: &Evaluated, delta: f64) -> f64 {
    let c = mean(&e.obs.iter().map(|o| o.cut).collect::<Vec<_>>());
    let o = mean(&e.objectives());
    if o > 0.0 && c.is_finite() && (c - o).abs() > 1e-12 {
        delta * c / o
    } else {
        delta
    }
}

/// A candidate beaten by one whose feasibility is not established yet.
#[derive(Debug, Clone, Copy)]
struct Hold {
    held: usize,
    by: usize,
    at: u32,
}

/// Lets the held candidates that `free` selects contend again.
fn release(held: &mut Vec<Hold>, sel: &mut Selection, free: impl Fn(&Hold) -> bool) {
    let mut back: Vec<usize> = held.iter().filter(|h| free(h)).map(|h| h.held).collect();
    held.retain(|h| !free(h));
    back.sort_unstable();
    for i in back {
        sel.readmit(i);
    }
}

fn all_of(e: &[Evaluated]) -> Vec<usize> {
    (0..e.len()).collect()
}

/// The replication counts at which feasibility is decided: `n0`, doubling, and the cap.
pub fn looks_of(n0: u32, cap: u32) -> Vec<u32> {
    let mut v = Vec::new();
    let mut n = n0.max(1);
    while n < cap {
        v.push(n);
        n = n.saturating_mul(2);
    }
    v.push(cap);
    v
}

/// Whether replication `o` breaks a chance constraint (the window or the blocked fraction):
/// a night in which the plan failed, did not finish, finished after the window closed, or
/// blocked more than the limit.
pub fn breaks_chance(spec: &PlanSpec, o: &Obs) -> bool {
    o.failure.is_some()
        || !o.end_s.is_finite()
        || spec
            .window
            .as_ref()
            .is_some_and(|w| o.end_s > w.closes.as_secs_f64() + 1e-9)
        || o.blocked_fraction > spec.max_blocked_fraction
}

/// Decides `e`'s feasibility at the looks its replications reached (hard constraints on every
/// replication at once).
fn decide(spec: &PlanSpec, e: &mut Evaluated, looks: &[u32], looked: &mut u32, alpha_f: f64) {
    if e.feasibility != Feasibility::Undecided {
        return;
    }
    if let Some(why) = hard_break(&e.obs) {
        e.feasibility = Feasibility::Infeasible(why);
        return;
    }
    let n = e.obs.len() as u32;
    let due: Vec<u32> = looks
        .iter()
        .copied()
        .filter(|&v| v > *looked && v <= n)
        .collect();
    for v in due {
        *looked = v;
        let k = e.obs[..v as usize]
            .iter()
            .filter(|o| breaks_chance(spec, o))
            .count() as u64;
        let eps = 1.0 - spec.nights;
        let verdict = if eps <= 0.0 {
            // Every night: one that breaks it disproves it; none is all a sample can say.
            if k > 0 { Some(false) } else { Some(true) }
        } else if clopper_pearson(k, u64::from(v), alpha_f).0 > eps {
            Some(false)
        } else if clopper_pearson(k, u64::from(v), alpha_f).1 < eps {
            Some(true)
        } else {
            None
        };
        match verdict {
            Some(true) => {
                e.feasibility = Feasibility::Feasible(v);
                return;
            }
            Some(false) => {
                e.feasibility = Feasibility::Infeasible(chance_reason(spec, &e.obs[..v as usize]));
                return;
            }
            None => {}
        }
    }
}

/// One-sided Clopper–Pearson bounds (lower, upper) on a proportion with `k` of `n`, each at
/// error `alpha`: the expectations' exact bounds ([`crate::expect::bounds::clopper_pearson`]),
/// as the pair the feasibility checks compare.
pub fn clopper_pearson(k: u64, n: u64, alpha: f64) -> (f64, f64) {
    let e = crate::expect::bounds::clopper_pearson(k as usize, n as usize, alpha);
    (e.lower.unwrap_or(0.0), e.upper.unwrap_or(1.0))
}

/// Pool or routing-group quorum lost in any replication: infeasible, in how many nights.
fn hard_break(obs: &[Obs]) -> Option<String> {
    let n = obs.len();
    let q = obs.iter().filter(|o| o.pool_quorum_losses > 0).count();
    if q > 0 {
        return Some(format!("pool quorum lost in {q} of {n} nights"));
    }
    let rg = obs.iter().filter(|o| o.rg_losses > 0).count();
    if rg > 0 {
        let (g, _) = obs.iter().find_map(|o| o.first_rg_loss).unwrap_or((0, 0.0));
        return Some(format!(
            "routing-group quorum lost in {rg} of {n} nights (first: group {g})"
        ));
    }
    None
}

/// Why the chance constraints fail, with the fraction of nights and its 95 % interval.
fn chance_reason(spec: &PlanSpec, obs: &[Obs]) -> String {
    let n = obs.len();
    let broke = obs.iter().filter(|o| breaks_chance(spec, o)).count();
    let (lo, hi) = clopper_pearson(broke as u64, n as u64, 0.025);
    let mut parts = Vec::new();
    let failed = obs.iter().filter(|o| o.failure.is_some()).count();
    if failed > 0 {
        let f = obs
            .iter()
            .find_map(|o| o.failure.clone())
            .unwrap_or_default();
        parts.push(format!("the plan failed in {failed} (first: {f})"));
    }
    let unfinished = obs
        .iter()
        .filter(|o| o.failure.is_none() && !o.end_s.is_finite())
        .count();
    if unfinished > 0 {
        parts.push(format!("not finished by the horizon in {unfinished}"));
    }
    if let Some(w) = &spec.window {
        let late: Vec<f64> = obs
            .iter()
            .filter(|o| o.end_s.is_finite() && o.end_s > w.closes.as_secs_f64() + 1e-9)
            .map(|o| o.end_s - w.opens.as_secs_f64())
            .collect();
        if !late.is_empty() {
            parts.push(format!(
                "back after the window \"{}\" in {} (latest {} after it opened)",
                w.text,
                late.len(),
                report::hm(late.iter().copied().fold(0.0, f64::max))
            ));
        }
    }
    let blocked = obs
        .iter()
        .filter(|o| o.blocked_fraction > spec.max_blocked_fraction)
        .count();
    if blocked > 0 {
        parts.push(format!(
            "blocked more than {} of new sessions in {blocked}",
            spec.max_blocked_fraction
        ));
    }
    format!(
        "breaks the window or blocking limit in {broke} of {n} nights ({}; chance {} %, 95 % CI \
         {}–{} %, allowed {} %)",
        parts.join("; "),
        crate::report::fixed(100.0 * broke as f64 / n as f64, 1),
        crate::report::fixed(100.0 * lo, 1),
        crate::report::fixed(100.0 * hi, 1),
        crate::report::fixed(100.0 * (1.0 - spec.nights), 1),
    )
}

/// The feasible candidates within `delta` of `best` with confidence: the upper end of the
/// one-sided interval of their paired difference (Bonferroni over the comparisons, error
/// `ALPHA / 2` in all) is at most `delta`. `best` first, then by index.
pub fn equivalence_set(e: &[Evaluated], best: usize, delta: f64) -> Vec<usize> {
    let others: Vec<usize> = (0..e.len())
        .filter(|&j| j != best && e[j].is_feasible())
        .collect();
    let mut out = vec![best];
    if others.is_empty() {
        return out;
    }
    let level = 1.0 - ALPHA / 2.0 / others.len() as f64;
    for j in others {
        let n = e[j].obs.len().min(e[best].obs.len());
        if n < 2 {
            continue;
        }
        let d: Vec<f64> = (0..n)
            .map(|k| e[j].obs[k].objective - e[best].obs[k].objective)
            .collect();
        let m = mean(&d);
        let sd = (d.iter().map(|x| (x - m) * (x - m)).sum::<f64>() / (n as f64 - 1.0)).sqrt();
        let t = statrs::distribution::StudentsT::new(0.0, 1.0, n as f64 - 1.0).map_or(
            f64::INFINITY,
            |t| {
                use statrs::distribution::ContinuousCDF;
                t.inverse_cdf(level)
            },
        );
        if m + t * sd / (n as f64).sqrt() <= delta {
            out.push(j);
        }
    }
    out
}

/// The candidate of the equivalence set best on the secondary objective (ties: smaller mean
/// objective, then order).
fn pick(spec: &PlanSpec, e: &[Evaluated], set: &[usize]) -> Option<usize> {
    let key = |i: usize| -> f64 {
        let v: Vec<f64> = match spec.secondary {
            Secondary::Maintenance => e[i].obs.iter().map(|o| o.maintenance_s).collect(),
            Secondary::Blocked => e[i].obs.iter().map(|o| o.blocked_fraction).collect(),
            Secondary::Objective => e[i].objectives(),
        };
        let m = mean(&v);
        if m.is_finite() { m } else { f64::MAX }
    };
    set.iter().copied().min_by(|&a, &b| {
        key(a)
            .total_cmp(&key(b))
            .then(mean(&e[a].objectives()).total_cmp(&mean(&e[b].objectives())))
            .then(a.cmp(&b))
    })
}

/// Every candidate with `n` replications each (no selection): what a study of the procedure
/// takes as the truth.
pub fn evaluate_every(
    scenario: &Scenario,
    source: &str,
    files: &dyn FileSource,
    n: u32,
    opts: &PlanOptions,
) -> Result<(PlanSpec, Vec<Evaluated>), PlanError> {
    let (spec, mut evaluated) = candidates_of(scenario, source, files)?;
    let all = all_of(&evaluated);
    extend(scenario, &spec, &mut evaluated, &all, n, opts)?;
    Ok((spec, evaluated))
}

/// Every candidate of the scenario's `[plan]`, validated, with no replication yet.
fn candidates_of(
    scenario: &Scenario,
    source: &str,
    files: &dyn FileSource,
) -> Result<(PlanSpec, Vec<Evaluated>), PlanError> {
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
            feasibility: Feasibility::Undecided,
            eliminated: None,
        });
    }
    Ok((spec, evaluated))
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

/// The best candidate other than the recommended one: feasible first, then those whose
/// feasibility was not needed, then the infeasible; each by mean.
fn runner_up(e: &[Evaluated], recommended: Option<usize>) -> Option<usize> {
    let rank = |i: usize| match e[i].feasibility {
        Feasibility::Feasible(_) => 0,
        Feasibility::Undecided => 1,
        Feasibility::Infeasible(_) => 2,
    };
    (0..3).find_map(|k| {
        let others: Vec<usize> = (0..e.len())
            .filter(|&i| Some(i) != recommended && rank(i) == k)
            .collect();
        best_of(e, &others)
    })
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
    let pool = crate::runner::worker_pool(opts.jobs).map_err(PlanError::Threads)?;
    let cancel = opts.cancel.clone();
    let configs: Vec<&RunConfig> = e.iter().map(|c| &c.config).collect();
    let outs = crate::runner::par_pairs(&pool, cancel.as_deref(), &pairs, |i, k| {
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
    .ok_or(PlanError::Interrupted)?;
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn clopper_pearson_matches_its_closed_forms() {
        // No break in n nights: the upper bound is 1 − α^(1/n); all n: the lower is α^(1/n).
        let (lo, hi) = clopper_pearson(0, 59, 0.05);
        assert_eq!(lo, 0.0);
        assert!((hi - (1.0 - 0.05f64.powf(1.0 / 59.0))).abs() < 1e-9, "{hi}");
        let (lo, hi) = clopper_pearson(10, 10, 0.01);
        assert!((lo - 0.01f64.powf(0.1)).abs() < 1e-9, "{lo}");
        assert_eq!(hi, 1.0);
        // 5 of 100 at 2.5 % each side: the textbook interval 1.64 %–11.28 %.
        let (lo, hi) = clopper_pearson(5, 100, 0.025);
        assert!(
            (lo - 0.0164).abs() < 5e-4 && (hi - 0.1128).abs() < 5e-4,
            "{lo} {hi}"
        );
    }

    #[test]
    fn nights_to_show_feasibility_is_the_first_clean_count_that_does() {
        let n = nights_to_show(0.05, 0.0005).unwrap();
        assert!(clopper_pearson(0, u64::from(n), 0.0005).1 < 0.05);
        assert!(clopper_pearson(0, u64::from(n - 1), 0.0005).1 >= 0.05);
        assert_eq!(nights_to_show(0.0, 0.05), None);
    }

    #[test]
    fn looks_double_up_to_the_cap() {
        assert_eq!(looks_of(10, 400), vec![10, 20, 40, 80, 160, 320, 400]);
        assert_eq!(looks_of(10, 10), vec![10]);
        assert_eq!(looks_of(10, 16), vec![10, 16]);
    }

    #[test]
    fn the_zone_is_relative_with_a_floor() {
        use crate::scenario::Indifference;
        let z = Indifference::Relative {
            fraction: 0.1,
            floor: 0.1,
        };
        assert!((z.delta(6.5) - 0.65).abs() < 1e-12);
        assert_eq!(z.delta(0.5), 0.1);
        assert_eq!(z.delta(f64::NAN), 0.1);
        assert_eq!(Indifference::Absolute(2.0).delta(100.0), 2.0);
    }
}
