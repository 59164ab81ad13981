//! Checking a scenario's `[[expect]]` entries against its summary, with three outcomes.
//!
//! A bound on the mean of a measure (`cut_mean`, `blocked_mean`, its users twin
//! `users_cut_mean`, …) is decided by the measure's
//! confidence interval, not its point estimate: it **passes** when the whole interval lies
//! within the bound, **fails** when the whole interval lies outside, and is **undecided**
//! otherwise. Undecided expectations get more replications (see [`Looks`]): the interval of
//! each look is a Student-t interval at level `1 − 0.05 / looks` (Bonferroni over the planned
//! looks); when every replication gave the same value it is `ln(looks / 0.05) / n` wide on each
//! side instead, so that a sample whose values all agree (two replications without a cut)
//! decides nothing by itself. Other columns (fractions of drains, quantiles, maxima) have no
//! interval here and are judged on their value.
//!
//! A bound names a numeric column of `summary.csv`; its value is read through the column table
//! of [`crate::summary::columns`], the same one the CSV writer uses, so an expectation and the
//! file it describes cannot disagree about a column.

use statrs::distribution::{ContinuousCDF, Normal, StudentsT};

use crate::runner::{RunError, RunOptions, RunResult, extend, run_all};
use crate::scenario::{Bound, Expectation, Precision, Run, Scenario};
use crate::stats::Estimate;
use crate::summary::{self, Comparison, SummaryRow};

/// The three outcomes of an expectation (or one of its bounds).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum Decision {
    /// The interval lies within the bound.
    Pass,
    /// The interval straddles the bound: more replications are needed.
    Undecided,
    /// The interval lies outside the bound (or nothing could be checked).
    Fail,
}

/// The planned looks of a sequential decision: the replication counts at which expectations
/// are judged, doubling from the starting count up to the cap. Fixed before the first look,
/// so the per-look confidence and the batches are the same whatever `--jobs`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Looks {
    /// Replications per run at each look.
    pub sizes: Vec<u32>,
}

/// Family-wise error rate of a sequential decision (95 % confidence overall).
pub const ALPHA: f64 = 0.05;

impl Looks {
    /// Looks from `start` replications, doubling, up to `max` (at least one look).
    pub fn new(start: u32, max: u32) -> Looks {
        let mut sizes = vec![start];
        let mut n = start;
        while n < max {
            n = n.saturating_mul(2).min(max);
            sizes.push(n);
        }
        Looks { sizes }
    }

    /// The error rate of each look (Bonferroni over the planned looks).
    pub fn alpha(&self) -> f64 {
        ALPHA / self.sizes.len() as f64
    }

    /// The replication count after `n`, if there is a later look.
    pub fn after(&self, n: u32) -> Option<u32> {
        self.sizes.iter().copied().find(|&k| k > n)
    }
}

/// One bound judged on one summary row.
#[derive(Debug, Clone, PartialEq)]
pub struct Judgement {
    /// `file:line:col` of the expectation.
    pub location: String,
    /// The outcome.
    pub decision: Decision,
    /// What was expected and what was found (the interval, the bound, the row).
    pub message: String,
    /// For an undecided bound: about how many replications per run would decide it.
    pub replications_needed: Option<u64>,
}

/// One expectation that did not hold (failed, or still undecided at the cap: inconclusive).
#[derive(Debug, Clone, PartialEq)]
pub struct Failure {
    /// `file:line:col` of the expectation.
    pub location: String,
    /// What was expected and what was found.
    pub message: String,
}

impl std::fmt::Display for Failure {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}: expectation failed: {}", self.location, self.message)
    }
}

/// Judges every bound of every expectation on the rows it selects (paired ones on the
/// comparisons they select), at per-look error rate `alpha`; an expectation that selects
/// nothing fails.
pub fn judge(
    expects: &[Expectation],
    rows: &[SummaryRow],
    comparisons: &[Comparison],
    alpha: f64,
) -> Vec<Judgement> {
    let mut out = Vec::new();
    for e in expects {
        let before = out.len();
        if e.paired {
            for c in select_pairs(e, comparisons) {
                out.extend(e.bounds.iter().map(|b| judge_paired(e, b, c, alpha)));
            }
        } else {
            for r in select(e, rows) {
                out.extend(e.bounds.iter().map(|b| judge_bound(e, b, r, alpha)));
            }
        }
        if out.len() == before {
            out.push(Judgement {
                location: e.location.clone(),
                decision: Decision::Fail,
                message: format!("nothing matches [{}]", selector_text(e)),
                replications_needed: None,
            });
        }
    }
    out
}

/// The DNS/hardware comparisons a paired expectation applies to (`feature = "all"` unless
/// it names one).
fn select_pairs<'c>(e: &Expectation, comparisons: &'c [Comparison]) -> Vec<&'c Comparison> {
    let feature = e
        .selectors
        .iter()
        .find(|(k, _)| k == "feature")
        .map_or("all", |(_, v)| v.as_str());
    comparisons
        .iter()
        .filter(|c| c.feature == feature)
        .filter(|c| {
            e.selectors
                .iter()
                .filter(|(k, _)| k != "feature")
                .all(|(k, v)| c.labels.iter().any(|(ck, cv)| ck == k && cv == v))
        })
        .collect()
}

/// A paired bound: the interval of the mean per-replication difference (hardware − DNS),
/// not clipped at zero, with the one-sided p-value of "hardware cuts more".
fn judge_paired(e: &Expectation, b: &Bound, c: &Comparison, alpha: f64) -> Judgement {
    let labels: Vec<String> = c.labels.iter().map(|(k, v)| format!("{k} = {v}")).collect();
    let place = format!(
        "runs {} (hardware) − {} (dns), {}feature {}",
        c.hardware_run,
        c.dns_run,
        labels.iter().map(|l| format!("{l}, ")).collect::<String>(),
        c.feature
    );
    let Some((lo, hi)) = signed_interval(&c.diff, alpha) else {
        let msg = format!("diff_mean needs at least 2 replications ({place})");
        return judgement(e, Decision::Undecided, msg, Some(2));
    };
    let decision = decide(b, lo, hi);
    let p = p_value_greater(&c.diff).map_or(String::new(), |p| format!(", p = {p:.2e}"));
    let msg = format!(
        "diff_mean = {:.4}, {:.2} % CI {lo:.4}–{hi:.4} after {} replications{p}, {} ({place})",
        c.diff.mean,
        100.0 * (1.0 - alpha),
        c.diff.n,
        bound_text(b)
    );
    let needed = (decision == Decision::Undecided).then(|| needed(b, &c.diff, alpha));
    judgement(e, decision, msg, needed.flatten())
}

fn judgement(e: &Expectation, decision: Decision, message: String, n: Option<u64>) -> Judgement {
    Judgement {
        location: e.location.clone(),
        decision,
        message,
        replications_needed: n,
    }
}

/// One-sided p-value of the paired t-test of "the mean difference is above zero".
pub fn p_value_greater(d: &Estimate) -> Option<f64> {
    if d.n < 2 || d.sd.is_nan() || d.sd <= 0.0 {
        return None;
    }
    let t = d.mean / (d.sd / (d.n as f64).sqrt());
    let dist = StudentsT::new(0.0, 1.0, (d.n - 1) as f64).ok()?;
    Some(1.0 - dist.cdf(t))
}

/// Whether any judgement is still undecided.
pub fn undecided(judgements: &[Judgement]) -> bool {
    judgements.iter().any(|j| j.decision == Decision::Undecided)
}

/// The expectations that did not hold once the looks are over: failed ones, and undecided
/// ones reported as inconclusive (with the replications it would take).
pub fn failures(judgements: &[Judgement]) -> Vec<Failure> {
    judgements
        .iter()
        .filter(|j| j.decision != Decision::Pass)
        .map(|j| Failure {
            location: j.location.clone(),
            message: match (j.decision, j.replications_needed) {
                (Decision::Undecided, Some(n)) => format!(
                    "inconclusive: {}; about {n} replications per run would decide it \
                     (raise max_replications)",
                    j.message
                ),
                (Decision::Undecided, None) => format!("inconclusive: {}", j.message),
                _ => j.message.clone(),
            },
        })
        .collect()
}

/// A scenario run until its expectations were decided (or its cap reached).
#[derive(Debug)]
pub struct Decided {
    /// Every run, with `replications` replications each.
    pub results: Vec<RunResult>,
    /// Their summary.
    pub rows: Vec<SummaryRow>,
    /// Their paired DNS/hardware comparisons.
    pub comparisons: Vec<Comparison>,
    /// The expectations judged at the last look.
    pub judgements: Vec<Judgement>,
    /// Replications per run at the last look.
    pub replications: u32,
    /// Whether the scenario's precision target (if any) was met.
    pub precise: bool,
}

/// Whether every run's mean sessions cut (its `all` row) has a 95 % interval as narrow as
/// the target asks.
pub fn precision_met(p: &Precision, rows: &[SummaryRow]) -> bool {
    rows.iter().filter(|r| r.feature == "all").all(|r| {
        r.measure("cut").is_some_and(|e| {
            let half = if e.n >= 2 && e.sd.is_finite() {
                crate::stats::t95(e.n - 1) * e.sd / (e.n as f64).sqrt()
            } else {
                f64::INFINITY
            };
            p.met(e.mean, half)
        })
    })
}

/// Runs every run of `scenario` with its `replications`, judges its expectations and, while
/// any is undecided, doubles the replications of every run, up to `max_replications`. The
/// looks are planned up front ([`Looks`]) and replication `k` has the same seed whichever
/// batch runs it, so the batches and the verdicts are the same whatever `--jobs`. Without
/// expectations it is one look: the run as written.
pub fn run_until_decided(
    scenario: &Scenario,
    runs: Vec<Run>,
    opts: &RunOptions,
) -> Result<Decided, RunError> {
    let results = run_all(scenario, runs, opts)?;
    decide_from(scenario, results, opts, &|_, _| {})
}

/// [`run_until_decided`] from results that already hold the scenario's `replications` per
/// run (e.g. merged from shards). `before_batch(n, next)` is called before each further
/// batch brings every run from `n` to `next` replications.
pub fn decide_from(
    scenario: &Scenario,
    mut results: Vec<RunResult>,
    opts: &RunOptions,
    before_batch: &dyn Fn(u32, u32),
) -> Result<Decided, RunError> {
    let start = scenario.replications;
    let cap = if scenario.expects.is_empty() && scenario.precision.is_none() {
        start
    } else {
        scenario.max_replications.max(start)
    };
    let looks = Looks::new(start, cap);
    let mut n = start;
    loop {
        let rows = summary::summarize(&results);
        let comparisons = summary::compare(&results);
        let judgements = judge(&scenario.expects, &rows, &comparisons, looks.alpha());
        let precise = scenario.precision.is_none_or(|p| precision_met(&p, &rows));
        match looks.after(n) {
            Some(next) if undecided(&judgements) || !precise => {
                before_batch(n, next);
                extend(scenario, &mut results, next, opts)?;
                n = next;
            }
            _ => {
                return Ok(Decided {
                    results,
                    rows,
                    comparisons,
                    judgements,
                    replications: n,
                    precise,
                });
            }
        }
    }
}

/// Checks every expectation once, at the 95 % level (a single look).
pub fn check(
    expects: &[Expectation],
    rows: &[SummaryRow],
    comparisons: &[Comparison],
) -> Vec<Failure> {
    failures(&judge(expects, rows, comparisons, ALPHA))
}

/// The rows an expectation applies to.
fn select<'r>(e: &Expectation, rows: &'r [SummaryRow]) -> Vec<&'r SummaryRow> {
    let has_feature = e.selectors.iter().any(|(k, _)| k == "feature");
    rows.iter()
        .filter(|r| has_feature || r.feature == "all")
        .filter(|r| {
            e.selectors
                .iter()
                .all(|(k, v)| r.label(k).as_deref() == Some(v.as_str()))
        })
        .collect()
}

/// "load_balancing = dns, feature = all": the selectors as written.
fn selector_text(e: &Expectation) -> String {
    e.selectors
        .iter()
        .map(|(k, v)| format!("{k} = {v}"))
        .collect::<Vec<_>>()
        .join(", ")
}

/// The interval of a mean at error rate `alpha` (two-sided), clipped at zero (every measure
/// is a count or a duration); `None` below two replications. When every replication gave the
/// same value the Student-t interval has no width, so it is `ln(1/alpha)/n` wide on each side
/// instead (the Poisson bound for no event in `n` replications): agreeing replications alone
/// decide nothing. A sample that varies keeps its t interval, whatever the measure's unit.
pub fn interval(e: &Estimate, alpha: f64) -> Option<(f64, f64)> {
    signed_interval(e, alpha).map(|(lo, hi)| (lo.max(0.0), hi))
}

/// [`interval`] without the clip at zero (for differences).
fn signed_interval(e: &Estimate, alpha: f64) -> Option<(f64, f64)> {
    if e.n < 2 || !e.mean.is_finite() {
        return None;
    }
    let n = e.n as f64;
    let t = StudentsT::new(0.0, 1.0, n - 1.0)
        .ok()?
        .inverse_cdf(1.0 - alpha / 2.0);
    let sd = if e.sd.is_finite() { e.sd } else { 0.0 };
    let half = if sd > 0.0 {
        t * sd / n.sqrt()
    } else {
        (1.0 / alpha).ln() / n
    };
    Some((e.mean - half, e.mean + half))
}

/// Bound `b` judged on row `r`.
fn judge_bound(e: &Expectation, b: &Bound, r: &SummaryRow, alpha: f64) -> Judgement {
    let place = row_text(r);
    if let Some(est) = estimate_of(&b.column, r) {
        if exact_edge(b, &est) {
            let msg = format!(
                "{} = {:.4} in every one of {} replications, {} ({place})",
                b.column,
                est.mean,
                est.n,
                bound_text(b)
            );
            return judgement(e, Decision::Pass, msg, None);
        }
        let Some((lo, hi)) = interval(&est, alpha) else {
            let msg = format!("{} needs at least 2 replications ({place})", b.column);
            return judgement(e, Decision::Undecided, msg, Some(2));
        };
        let decision = decide(b, lo, hi);
        let level = 100.0 * (1.0 - alpha);
        let mut msg = format!(
            "{} = {:.4}, {level:.2} % CI {lo:.4}–{hi:.4} after {} replications, {} ({place})",
            b.column,
            est.mean,
            est.n,
            bound_text(b)
        );
        if decision == Decision::Fail {
            msg = format!("{msg}: the whole interval is outside the bound");
        }
        let needed = (decision == Decision::Undecided).then(|| needed(b, &est, alpha));
        return judgement(e, decision, msg, needed.flatten());
    }
    let Some(x) = summary::column(&b.column).and_then(|c| c.value(r)) else {
        let msg = format!("{place}: column {} is empty", b.column);
        return judgement(e, Decision::Fail, msg, None);
    };
    let problems = problems(b, x);
    if problems.is_empty() {
        let msg = format!("{} = {x:.4}, {} ({place})", b.column, bound_text(b));
        return judgement(e, Decision::Pass, msg, None);
    }
    let msg = format!("{} = {x:.4} {} ({place})", b.column, problems.join(" and "));
    judgement(e, Decision::Fail, msg, None)
}

/// The sample behind a column that has one: the mean of a measure over replications, or the
/// fraction of replications whose plan finished (failed), as the mean of 0/1 values.
fn estimate_of(column: &str, r: &SummaryRow) -> Option<Estimate> {
    if let Some(e) = column.strip_suffix("_mean").and_then(|m| r.measure(m)) {
        return Some(*e);
    }
    let m = r.maintenance.as_ref()?;
    let p = match column {
        "plan_finished_fraction" => m.finished_fraction,
        "plan_failed_fraction" => m.failed_fraction,
        _ => return None,
    };
    let n = r.replications;
    let sd = (n > 1).then(|| (p * (1.0 - p) * n as f64 / (n - 1) as f64).sqrt());
    Some(Estimate {
        n,
        mean: p,
        sd: sd.unwrap_or(f64::NAN),
        low: f64::NAN,
        high: f64::NAN,
    })
}

/// A bound at exactly the value every replication gave (`cut_mean = { max = 0 }` with no cut
/// at all, `plan_finished_fraction = { min = 1 }` with every plan finished): no interval can
/// prove an exact value, so such a claim is judged on the replications themselves.
fn exact_edge(b: &Bound, e: &Estimate) -> bool {
    let constant = e.n >= 2 && e.sd == 0.0;
    let at = |x: Option<f64>| x == Some(e.mean);
    constant && (at(b.min) || at(b.max)) && problems(b, e.mean).is_empty()
}

/// Pass when `[lo, hi]` lies within the bound, fail when it lies outside, else undecided.
fn decide(b: &Bound, lo: f64, hi: f64) -> Decision {
    let (mut inside, mut outside) = (true, false);
    if let Some(m) = b.min {
        inside &= lo >= m;
        outside |= hi < m;
    }
    if let Some(m) = b.max {
        inside &= hi <= m;
        outside |= lo > m;
    }
    if let Some((t, tol)) = b.approx {
        inside &= lo >= t - tol && hi <= t + tol;
        outside |= hi < t - tol || lo > t + tol;
    }
    if outside {
        Decision::Fail
    } else if inside {
        Decision::Pass
    } else {
        Decision::Undecided
    }
}

/// About how many replications would shrink the interval inside the gap between the mean and
/// the nearest edge of the bound (`None` when the mean sits on the edge).
fn needed(b: &Bound, e: &Estimate, alpha: f64) -> Option<u64> {
    let edges = [b.min, b.max]
        .into_iter()
        .flatten()
        .chain(b.approx.into_iter().flat_map(|(t, tol)| [t - tol, t + tol]));
    let gap = edges
        .map(|x| (e.mean - x).abs())
        .fold(f64::INFINITY, f64::min);
    if !(gap > 0.0 && gap.is_finite()) {
        return None;
    }
    let z = Normal::new(0.0, 1.0).ok()?.inverse_cdf(1.0 - alpha / 2.0);
    let n = if e.sd.is_finite() && e.sd > 0.0 {
        (z * e.sd / gap).powi(2)
    } else {
        (1.0 / alpha).ln() / gap
    };
    Some(n.ceil() as u64)
}

/// "max 0.1", "min 1 and max 2", "within 0.5 of 3".
fn bound_text(b: &Bound) -> String {
    let mut parts = Vec::new();
    if let Some(m) = b.min {
        parts.push(format!("bound min {m}"));
    }
    if let Some(m) = b.max {
        parts.push(format!("bound max {m}"));
    }
    if let Some((t, tol)) = b.approx {
        parts.push(format!("bound {t} ± {tol}"));
    }
    parts.join(" and ")
}

/// "run 0, load_balancing = dns, feature response_group".
fn row_text(r: &SummaryRow) -> String {
    let labels: Vec<String> = r.labels.iter().map(|(k, v)| format!("{k} = {v}")).collect();
    let mut parts = vec![format!("run {}", r.run)];
    parts.extend(labels);
    parts.push(format!("feature {}", r.feature));
    parts.join(", ")
}

/// What is wrong with value `x` under bound `b` ("is below min 1"…); empty when it holds.
fn problems(b: &Bound, x: f64) -> Vec<String> {
    let mut problems = Vec::new();
    if !x.is_finite() {
        problems.push("is undefined".to_string());
    } else {
        if let Some(m) = b.min.filter(|&m| x < m) {
            problems.push(format!("is below min {m}"));
        }
        if let Some(m) = b.max.filter(|&m| x > m) {
            problems.push(format!("is above max {m}"));
        }
        if let Some((t, tol)) = b.approx.filter(|&(t, tol)| (x - t).abs() > tol) {
            problems.push(format!("is not within {tol} of {t}"));
        }
    }
    problems
}

#[cfg(test)]
mod tests {
    use super::*;

    fn max(m: f64) -> Bound {
        Bound {
            column: "cut_mean".to_string(),
            min: None,
            max: Some(m),
            approx: None,
        }
    }

    fn est(n: usize, mean: f64, sd: f64) -> Estimate {
        Estimate {
            n,
            mean,
            sd,
            low: f64::NAN,
            high: f64::NAN,
        }
    }

    #[test]
    fn three_outcomes_by_where_the_interval_lies() {
        assert_eq!(decide(&max(1.0), 0.2, 0.8), Decision::Pass);
        assert_eq!(decide(&max(1.0), 0.8, 1.2), Decision::Undecided);
        assert_eq!(decide(&max(1.0), 1.1, 1.3), Decision::Fail);
        let approx = Bound {
            approx: Some((5.0, 1.0)),
            max: None,
            ..max(0.0)
        };
        assert_eq!(decide(&approx, 4.5, 5.5), Decision::Pass);
        assert_eq!(decide(&approx, 3.5, 4.5), Decision::Undecided);
        assert_eq!(decide(&approx, 6.5, 7.0), Decision::Fail);
    }

    #[test]
    fn looks_double_up_to_the_cap_and_share_the_error_rate() {
        let l = Looks::new(5, 100);
        assert_eq!(l.sizes, [5, 10, 20, 40, 80, 100]);
        assert!((l.alpha() - 0.05 / 6.0).abs() < 1e-12);
        assert_eq!(l.after(20), Some(40));
        assert_eq!(l.after(100), None);
        assert_eq!(Looks::new(7, 7).sizes, [7]);
    }

    #[test]
    fn agreeing_replications_alone_decide_nothing() {
        // Two replications without a cut: the interval is still ln(1/α)/n wide.
        let (lo, hi) = interval(&est(2, 0.0, 0.0), 0.05).unwrap();
        assert_eq!(lo, 0.0);
        assert!((hi - 20f64.ln() / 2.0).abs() < 1e-12);
        assert_eq!(decide(&max(0.1), lo, hi), Decision::Undecided);
        assert!(interval(&est(1, 0.0, f64::NAN), 0.05).is_none());
    }

    #[test]
    fn a_bound_at_the_value_every_replication_gave_holds() {
        assert!(exact_edge(&max(0.0), &est(2, 0.0, 0.0)));
        assert!(!exact_edge(&max(0.0), &est(2, 0.5, 0.7)));
        assert!(!exact_edge(&max(0.1), &est(2, 0.0, 0.0)));
    }

    #[test]
    fn replications_needed_grow_as_the_gap_shrinks() {
        let near = needed(&max(0.12), &est(100, 0.1, 0.3), 0.01).unwrap();
        let far = needed(&max(0.2), &est(100, 0.1, 0.3), 0.01).unwrap();
        assert!(near > far && far > 0, "{near} {far}");
    }
}
