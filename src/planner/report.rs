//! The plan folder, rendered in memory (the caller writes it atomically): `plan.md`,
//! `candidates.csv`, `plan_tradeoff.svg`/`.png` and `recommended.toml`, plus the scenario.

use std::fmt::Write as _;

use super::{Evaluated, PlanResult, mean};
use crate::engine::SimTime;
use crate::report::charts::plan_tradeoff::{Tradeoff, TradeoffPoint, draw};
use crate::report::fixed;
use crate::stats::{Estimate, estimate};

/// Every file of the plan folder, name → bytes, in a fixed order.
pub fn render(p: &PlanResult, name: &str, source: &str, command: &str) -> Vec<(String, Vec<u8>)> {
    let mut files = vec![("candidates.csv".to_string(), candidates_csv(p).into_bytes())];
    let chart = draw(&tradeoff(p, name));
    if let Ok((svg, png)) = &chart {
        files.push(("plan_tradeoff.svg".into(), svg.clone()));
        files.push(("plan_tradeoff.png".into(), png.clone()));
    }
    if let Some(text) = recommended_toml(p) {
        files.push(("recommended.toml".into(), text.into_bytes()));
    }
    files.push(("scenario.toml".into(), source.as_bytes().to_vec()));
    let md = plan_md(p, name, command, chart.err());
    files.push(("plan.md".into(), md.into_bytes()));
    files
}

fn est(v: &[f64]) -> Estimate {
    estimate(v)
}

fn objective(e: &Evaluated) -> Estimate {
    est(&e.objectives())
}

fn cut(e: &Evaluated) -> Estimate {
    est(&e.obs.iter().map(|o| o.cut).collect::<Vec<_>>())
}

fn maintenance(e: &Evaluated) -> Vec<f64> {
    e.obs.iter().map(|o| o.maintenance_s).collect()
}

fn blocked(e: &Evaluated) -> f64 {
    mean(&e.obs.iter().map(|o| o.blocked_fraction).collect::<Vec<_>>())
}

fn rg_losses(e: &Evaluated) -> f64 {
    mean(&e.obs.iter().map(|o| o.rg_losses as f64).collect::<Vec<_>>())
}

/// "1h45m" for seconds (rounded to the minute), or "—" when not finite.
pub fn hm(s: f64) -> String {
    if s.is_finite() {
        SimTime::from_secs((s / 60.0).round() as u64 * 60).to_string()
    } else {
        "—".into()
    }
}

/// `candidates.csv`: one row per candidate.
pub fn candidates_csv(p: &PlanResult) -> String {
    let mut o = String::from(
        "candidate,parallel,wait,start,lb_disable,startup,replications,feasible,infeasible_because,\
         cut_mean,cut_ci95_low,cut_ci95_high,objective_mean,objective_ci95_low,objective_ci95_high,\
         maintenance_s_mean,maintenance_s_max,blocked_in_maintenance_fraction_mean,\
         rg_quorum_losses_mean,blocked_rg_quorum_mean,eliminated_at,recommended\n",
    );
    for (i, e) in p.candidates.iter().enumerate() {
        let c = &e.candidate;
        let (ct, ob) = (cut(e), objective(e));
        let m = maintenance(e);
        let max = m.iter().copied().fold(f64::NAN, f64::max);
        let rg_blocked = mean(
            &e.obs
                .iter()
                .map(|o| o.blocked_rg_quorum as f64)
                .collect::<Vec<_>>(),
        );
        let reason = e.infeasible.as_deref().unwrap_or("").replace('"', "'");
        let _ = writeln!(
            o,
            "{},{},{},{},{},{},{},{},\"{}\",{},{},{},{},{},{},{},{},{},{},{},{},{}",
            c.index + 1,
            c.parallel,
            c.wait.text(),
            c.start,
            c.lb_disable,
            c.startup.name(),
            e.obs.len(),
            e.infeasible.is_none(),
            reason,
            fixed(ct.mean, 4),
            fixed(ct.low, 4),
            fixed(ct.high, 4),
            fixed(ob.mean, 4),
            fixed(ob.low, 4),
            fixed(ob.high, 4),
            fixed(mean(&m), 1),
            fixed(max, 1),
            fixed(blocked(e), 6),
            fixed(rg_losses(e), 4),
            fixed(rg_blocked, 4),
            e.eliminated_at.map_or(String::new(), |r| r.to_string()),
            p.recommended == Some(i),
        );
    }
    o
}

fn short_label(e: &Evaluated) -> String {
    format!(
        "{} at once, {}, {}",
        e.candidate.parallel,
        e.candidate.wait.text(),
        e.candidate.start
    )
}

fn weighted(p: &PlanResult) -> bool {
    p.spec.weights.iter().any(|(_, w)| *w != 1.0)
}

fn tradeoff(p: &PlanResult, name: &str) -> Tradeoff {
    let points = p
        .candidates
        .iter()
        .enumerate()
        .map(|(i, e)| {
            let o = objective(e);
            TradeoffPoint {
                maintenance_h: mean(&maintenance(e)) / 3600.0,
                mean: o.mean,
                low: o.low,
                high: o.high,
                feasible: e.infeasible.is_none(),
                recommended: p.recommended == Some(i),
                label: short_label(e),
            }
        })
        .collect();
    Tradeoff {
        title: format!("Plan: {name}"),
        subtitle: format!(
            "{} candidate runbooks: mean and 95 % interval; grey = breaks a constraint",
            p.candidates.len()
        ),
        y_desc: if weighted(p) {
            "weighted sessions cut per night".into()
        } else {
            "sessions cut per night".into()
        },
        window_h: p.spec.window.map(|w| w.as_secs_f64() / 3600.0),
        points,
    }
}

/// Paired difference `b − a` over their common replications (same sessions).
fn paired(a: &Evaluated, b: &Evaluated) -> Estimate {
    let n = a.obs.len().min(b.obs.len());
    let d: Vec<f64> = (0..n)
        .map(|k| b.obs[k].objective - a.obs[k].objective)
        .collect();
    est(&d)
}

fn ci(e: &Estimate) -> String {
    if e.low.is_finite() {
        format!(
            "{} (95 % CI {}–{})",
            fixed(e.mean, 2),
            fixed(e.low, 2),
            fixed(e.high, 2)
        )
    } else {
        fixed(e.mean, 2)
    }
}

fn plan_md(p: &PlanResult, name: &str, command: &str, chart_error: Option<String>) -> String {
    let mut o = format!("# Plan: {name}\n\n");
    recommendation(&mut o, p);
    let feasible = p
        .candidates
        .iter()
        .filter(|e| e.infeasible.is_none())
        .count();
    let _ = writeln!(
        o,
        "\n## How it was chosen\n\n{} candidate runbooks (every combination of `[plan]`'s \
         choices), {feasible} feasible. Every candidate ran the same {} first replications (common \
         random numbers: replication *k* replays the same sessions whatever the runbook). Among \
         the feasible ones, Kim and Nelson's fully sequential procedure (2001) added \
         replications, {} at a time, only to candidates not yet told apart, and eliminated a \
         candidate once another beat it by more than its continuation region (indifference zone \
         δ = {} {}, error α = {}, h² = {}); at most {} replications each. \
         {} replications were simulated in all.\n",
        p.candidates.len(),
        p.first_stage,
        super::CHUNK,
        p.spec.indifference,
        if weighted(p) {
            "weighted sessions"
        } else {
            "sessions"
        },
        super::ALPHA,
        fixed(p.h2, 3),
        p.cap,
        p.replications_spent,
    );
    match chart_error {
        None => o.push_str(
            "![Maintenance time against sessions cut](plan_tradeoff.svg)\n\nEach point is a \
             candidate: its mean maintenance time and mean sessions cut with the 95 % interval; \
             grey points break a constraint (those that did not finish are drawn at the right \
             edge); the ringed one is recommended; the line is the window, counted from the \
             earliest start (PNG: [plan_tradeoff.png](plan_tradeoff.png)).\n\n",
        ),
        Some(e) => {
            let _ = writeln!(o, "The chart could not be drawn: {e}\n");
        }
    }
    candidates_table(&mut o, p);
    rg_section(&mut o, p);
    let _ = writeln!(
        o,
        "\n## Reproduce\n\n```sh\n{command}\n```\n\n`recommended.toml` is the recommended \
         runbook as a complete scenario whose `[[expect]]` entries hold the figures above; \
         check it with `drainsim test recommended.toml`."
    );
    o
}

fn recommendation(o: &mut String, p: &PlanResult) {
    let Some(r) = p.recommended else {
        let _ = writeln!(
            o,
            "**No candidate meets every constraint.** The closest: {}; it breaks: {}.\n",
            p.runner_up.map_or("none".into(), |i| p.candidates[i]
                .candidate
                .describe(&p.spec)),
            p.runner_up
                .and_then(|i| p.candidates[i].infeasible.clone())
                .unwrap_or_default()
        );
        return;
    };
    let e = &p.candidates[r];
    let m = maintenance(e);
    let longest = m.iter().copied().fold(0.0, f64::max);
    let batches = e.candidate.batches(&p.spec);
    let order: Vec<String> = batches
        .iter()
        .map(|b| {
            let s: Vec<String> = b.iter().map(|x| format!("FE {x}")).collect();
            s.join(" + ")
        })
        .collect();
    let _ = writeln!(
        o,
        "**Recommendation: patch {}.** In order: {}; each batch paused, {}, then restarted \
         ({} down).\n",
        e.candidate.describe(&p.spec),
        order.join(", then "),
        match &e.candidate.wait {
            crate::scenario::PlanWait::Fixed(_, t) => format!("left {t}"),
            crate::scenario::PlanWait::Drained => format!(
                "left until it has no session (at most {})",
                p.spec.drain_limit
            ),
        },
        p.spec.downtime
    );
    let _ = writeln!(
        o,
        "- Expected sessions cut: **{}** per night{}.",
        ci(&cut(e)),
        if weighted(p) {
            format!(" (weighted objective {})", ci(&objective(e)))
        } else {
            String::new()
        }
    );
    let _ = writeln!(
        o,
        "- It takes **{}** on average from the first pause to the last server back (longest \
         {}){}.",
        hm(mean(&m)),
        hm(longest),
        p.spec
            .window
            .map_or(String::new(), |w| format!(", within the {w} window"))
    );
    let _ = writeln!(
        o,
        "- New sessions blocked meanwhile: {} %; pool quorum and every routing group's quorum \
         kept in all {} replications.",
        fixed(blocked(e) * 100.0, 3),
        e.obs.len()
    );
    if let Some(u) = p.runner_up {
        let ru = &p.candidates[u];
        let why = match &ru.infeasible {
            Some(reason) => format!("it breaks a constraint: {reason}"),
            None => {
                let d = paired(e, ru);
                let beaten = if d.low > 0.0 {
                    "more on the same sessions"
                } else {
                    "more on the same sessions, a difference within the indifference zone: the \
                     selection could not tell them apart by more than that, and prefers the \
                     smaller mean (then the shorter maintenance)"
                };
                format!(
                    "it cuts {} {beaten}; it takes {}",
                    ci(&d),
                    hm(mean(&maintenance(ru)))
                )
            }
        };
        let _ = writeln!(
            o,
            "- Runner-up: {} — it lost because {why}.",
            ru.candidate.describe(&p.spec)
        );
    }
}

fn candidates_table(o: &mut String, p: &PlanResult) {
    let mut idx: Vec<usize> = (0..p.candidates.len()).collect();
    idx.sort_by(|&a, &b| {
        let (ea, eb) = (&p.candidates[a], &p.candidates[b]);
        (ea.infeasible.is_some(), objective(ea).mean, a)
            .partial_cmp(&(eb.infeasible.is_some(), objective(eb).mean, b))
            .unwrap_or(std::cmp::Ordering::Equal)
    });
    let _ = writeln!(
        o,
        "## Candidates\n\nFeasible first, by mean sessions cut (every candidate is in \
         `candidates.csv`).\n\n| # | runbook | sessions cut (95 % CI) | maintenance | blocked | \
         replications | verdict |\n|---|---|---|---|---|---|---|"
    );
    for i in idx {
        let e = &p.candidates[i];
        let verdict = if p.recommended == Some(i) {
            "**recommended**".to_string()
        } else if let Some(r) = &e.infeasible {
            format!("infeasible: {r}")
        } else if let Some(r) = e.eliminated_at {
            format!("beaten at {r} replications")
        } else {
            "not told apart at the cap".into()
        };
        let _ = writeln!(
            o,
            "| {} | {} | {} | {} | {} % | {} | {} |",
            i + 1,
            e.candidate.describe(&p.spec),
            crate::report::mean_ci(&cut(e)),
            hm(mean(&maintenance(e))),
            fixed(blocked(e) * 100.0, 3),
            e.obs.len(),
            verdict
        );
    }
}

fn rg_section(o: &mut String, p: &PlanResult) {
    let lost: Vec<&Evaluated> = p
        .candidates
        .iter()
        .filter(|e| e.obs.iter().any(|x| x.rg_losses > 0))
        .collect();
    if lost.is_empty() {
        return;
    }
    let _ = writeln!(
        o,
        "\n## Routing-group quorum\n\n{} candidates take down two replicas of a routing group \
         at once: the group loses quorum and its users' new sessions are blocked while it \
         lasts.\n",
        lost.len()
    );
    for e in lost.iter().take(10) {
        if let Some((g, t)) = e.obs.iter().find_map(|x| x.first_rg_loss) {
            let _ = writeln!(
                o,
                "- {}: routing group {g} first, {} after the first pause; {} sessions blocked \
                 per night on average.",
                e.candidate.describe(&p.spec),
                hm(t),
                fixed(
                    mean(
                        &e.obs
                            .iter()
                            .map(|x| x.blocked_rg_quorum as f64)
                            .collect::<Vec<_>>()
                    ),
                    2
                )
            );
        }
    }
}

/// Round `x` up to a readable bound (two significant figures).
fn round_up(x: f64) -> f64 {
    if x <= 0.0 || !x.is_finite() {
        return 1.0;
    }
    let mag = 10f64.powf(x.log10().floor() - 1.0);
    (x / mag).ceil() * mag
}

/// `recommended.toml`: the recommended runbook with expectations that hold its figures.
pub fn recommended_toml(p: &PlanResult) -> Option<String> {
    let r = p.recommended?;
    let e = &p.candidates[r];
    let c = cut(e);
    let half = if c.high.is_finite() {
        c.high - c.mean
    } else {
        0.0
    };
    // The promise with a margin: drainsim test decides it with its own replications, whose
    // interval must fall inside the bound.
    let bound = round_up(
        (1.5 * c.high.max(c.mean))
            .max(c.mean + 4.0 * half)
            .max(c.mean + 2.0),
    );
    let mut o = String::new();
    let _ = writeln!(
        o,
        "# Written by drainsim plan: the recommended runbook ({}), as a complete scenario.\n\
         # Its expectations hold what the plan promised (sessions cut {}, with a margin);\n\
         # `drainsim test` on this file checks them.\n",
        e.candidate.describe(&p.spec),
        ci(&c)
    );
    o.push_str(e.text.trim_end());
    let _ = writeln!(
        o,
        "\n\n# The promised figures.\n[[expect]]\nfeature = \"all\"\ncut_mean = {{ max = {} }}\n\n\
         # Every night finishes: shown as \"nights that do not are rarer than 1 in 20\" (59 nights).\n\
         [[expect]]\nplan_finished_fraction = {{ min = 1.0, rarer_than = 0.05 }}",
        fixed(bound, 2)
    );
    if let Some(w) = p.spec.window {
        let _ = writeln!(
            o,
            "\n[[expect]]\nmaintenance_s_mean = {{ max = {} }}",
            w.as_secs_f64()
        );
    }
    if p.spec.max_blocked_fraction < 1.0 {
        let fractions: Vec<f64> = e.obs.iter().map(|x| x.blocked_fraction).collect();
        let b = est(&fractions);
        if b.mean == 0.0 {
            // No session was blocked: a fraction with no variance is only decided after
            // hundreds of replications, a count after a few.
            let _ = writeln!(
                o,
                "\n# No new session was blocked during the maintenance in the plan's replications.\n\
                 [[expect]]\nfeature = \"all\"\nblocked_in_maintenance_mean = {{ max = 1 }}"
            );
        } else {
            let bound = p.spec.max_blocked_fraction.max(1.5 * b.high);
            let _ = writeln!(
                o,
                "\n[[expect]]\nfeature = \"all\"\nblocked_in_maintenance_fraction_mean = {{ max = {} }}",
                fixed(bound, 6)
            );
        }
    }
    Some(o)
}
