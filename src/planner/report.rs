//! The plan folder, rendered in memory (the caller writes it atomically): `plan.md`,
//! `candidates.csv`, `plan_tradeoff.svg`/`.png` and `recommended.toml`, plus the scenario and
//! `report.html` (plan.md as a page).

use std::fmt::Write as _;

use super::{Evaluated, Feasibility, PlanResult, mean};
use crate::engine::SimTime;
use crate::report::charts::plan_tradeoff::{Tradeoff, TradeoffPoint, draw};
use crate::report::fixed;
use crate::scenario::Indifference;
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
    let html = crate::report::html::led_page(&format!("Plan: {name}"), &md, &files);
    files.push(("plan.md".into(), md.into_bytes()));
    files.push(("report.html".into(), html.into_bytes()));
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

fn users_cut(e: &Evaluated) -> Estimate {
    est(&e.obs.iter().map(|o| o.users_cut).collect::<Vec<_>>())
}

/// "sessions" or "users": what the objective counts.
fn noun(p: &PlanResult) -> &'static str {
    p.spec.objective.noun()
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

/// The verdict word of `candidates.csv`'s `feasibility` column.
fn feasibility_word(e: &Evaluated) -> &'static str {
    match e.feasibility {
        Feasibility::Feasible(_) => "feasible",
        Feasibility::Infeasible(_) => "infeasible",
        Feasibility::Undecided => "undecided",
    }
}

/// Nights that broke a chance constraint, of those simulated.
fn broken(p: &PlanResult, e: &Evaluated) -> usize {
    e.obs
        .iter()
        .filter(|o| super::breaks_chance(&p.spec, o))
        .count()
}

/// `candidates.csv`: one row per candidate.
pub fn candidates_csv(p: &PlanResult) -> String {
    let mut o = String::from(
        "candidate,procedure,parallel,wait,start,lb_disable,startup,replications,feasibility,\
         infeasible_because,nights_broken,cut_mean,cut_ci95_low,cut_ci95_high,users_cut_mean,\
         users_cut_ci95_low,users_cut_ci95_high,objective_mean,objective_ci95_low,objective_ci95_high,maintenance_s_mean,maintenance_s_max,\
         blocked_in_maintenance_fraction_mean,rg_quorum_losses_mean,blocked_rg_quorum_mean,\
         eliminated_by,eliminated_at,equivalent,recommended\n",
    );
    for (i, e) in p.candidates.iter().enumerate() {
        let c = &e.candidate;
        let (ct, ob, us) = (cut(e), objective(e), users_cut(e));
        let m = maintenance(e);
        let max = m.iter().copied().fold(f64::NAN, f64::max);
        let rg_blocked = mean(
            &e.obs
                .iter()
                .map(|o| o.blocked_rg_quorum as f64)
                .collect::<Vec<_>>(),
        );
        let reason = e.infeasible().unwrap_or("").replace('"', "'");
        let _ = writeln!(
            o,
            "{},{},{},{},{},{},{},{},{},\"{}\",{},{},{},{},{},{},{},{},{},{},{},{},{},{},{},{},{},{},{}",
            c.index + 1,
            c.procedure.name(),
            if c.parallel == 0 {
                String::new()
            } else {
                c.parallel.to_string()
            },
            c.wait.text(),
            c.start,
            c.lb_disable,
            c.startup.name(),
            e.obs.len(),
            feasibility_word(e),
            reason,
            broken(p, e),
            fixed(ct.mean, 4),
            fixed(ct.low, 4),
            fixed(ct.high, 4),
            fixed(us.mean, 4),
            fixed(us.low, 4),
            fixed(us.high, 4),
            fixed(ob.mean, 4),
            fixed(ob.low, 4),
            fixed(ob.high, 4),
            fixed(mean(&m), 1),
            fixed(max, 1),
            fixed(blocked(e), 6),
            fixed(rg_losses(e), 4),
            fixed(rg_blocked, 4),
            e.eliminated
                .map_or(String::new(), |(by, _)| (by + 1).to_string()),
            e.eliminated.map_or(String::new(), |(_, r)| r.to_string()),
            p.equivalent.contains(&i),
            p.recommended == Some(i),
        );
    }
    o
}

fn short_label(e: &Evaluated) -> String {
    if e.candidate.procedure == crate::scenario::PlanProcedure::RollingRestart {
        return format!("rolling restart, {}", e.candidate.start);
    }
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
                feasible: e.is_feasible(),
                recommended: p.recommended == Some(i),
                label: short_label(e),
            }
        })
        .collect();
    Tradeoff {
        title: format!("Plan: {name}"),
        subtitle: format!(
            "{} candidate runbooks: mean and 95 % interval; grey = not shown feasible",
            p.candidates.len()
        ),
        y_desc: if weighted(p) {
            format!("weighted {} cut per night", noun(p))
        } else {
            format!("{} cut per night", noun(p))
        },
        window_h: p
            .spec
            .window
            .as_ref()
            .map(|w| w.length().as_secs_f64() / 3600.0),
        points,
    }
}

/// Paired difference `b − a` over their common replications (same sessions).
fn paired(a: &Evaluated, b: &Evaluated) -> Estimate {
    paired_first(a, b, usize::MAX)
}

/// Paired difference `b − a` over their first `upto` common replications.
fn paired_first(a: &Evaluated, b: &Evaluated, upto: usize) -> Estimate {
    let n = a.obs.len().min(b.obs.len()).min(upto);
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
    equivalence(&mut o, p);
    how_chosen(&mut o, p);
    match chart_error {
        None => o.push_str(
            "![Maintenance time against sessions cut](plan_tradeoff.svg)\n\nEach point is a \
             candidate: its mean maintenance time and mean sessions cut with the 95 % interval; \
             grey points were not shown feasible (those that did not finish are drawn at the \
             right edge); the ringed one is recommended; the line is the window's length \
             (PNG: [plan_tradeoff.png](plan_tradeoff.png)).\n\n",
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
         runbook as a complete scenario whose `[[expect]]` entries hold the figures above (its \
         header says what each bound is); check it with `drainsim test recommended.toml`."
    );
    o
}

fn unit(p: &PlanResult) -> &'static str {
    if weighted(p) {
        "weighted sessions"
    } else {
        "sessions"
    }
}

fn zone_words(p: &PlanResult) -> String {
    match p.spec.indifference {
        Indifference::Absolute(d) => format!("δ = {} {} (`indifference`)", fixed(d, 2), unit(p)),
        Indifference::Relative { fraction, floor } => format!(
            "δ = {} {}: {} % of the best feasible mean, at least {}",
            fixed(p.delta, 2),
            unit(p),
            fixed(fraction * 100.0, 0),
            fixed(floor, 2)
        ),
    }
}

fn how_chosen(o: &mut String, p: &PlanResult) {
    let count = |f: fn(&Evaluated) -> bool| p.candidates.iter().filter(|e| f(e)).count();
    let feasible = count(Evaluated::is_feasible);
    let infeasible = count(|e| e.infeasible().is_some());
    let undecided = p.candidates.len() - feasible - infeasible;
    let eps = 100.0 * (1.0 - p.spec.nights);
    let _ = writeln!(
        o,
        "\n## How it was chosen\n\n{} candidate runbooks (every combination of `[plan]`'s \
         choices): {feasible} shown feasible, {infeasible} infeasible, {undecided} not decided \
         (not needed, or still undecided at the cap). Every candidate ran the same {} first \
         replications (common random numbers: replication *k* replays the same sessions \
         whatever the runbook).\n\n\
         - **Constraints.** The window and the blocking limit must hold in at least {} % of \
         nights (`nights`): a candidate is feasible when the one-sided Clopper–Pearson bound on \
         the fraction of nights that break them is below {} %, infeasible when its lower bound \
         is above, decided at {} replications (Bonferroni over the candidates and these looks). \
         Losing pool or routing-group quorum in any night is infeasible.\n\
         - **Selection.** A constrained fully sequential procedure after Andradóttir and Kim \
         (2010, *Naval Research Logistics* 57(5)) with Kim and Nelson's elimination rule (2001; \
         error α = {} in all, h² = {}, {}): replications go, {} at a time, only to candidates \
         not yet told apart; a candidate is eliminated only by one shown feasible — beaten by \
         one not yet shown feasible, it waits, and comes back if that one fails. At most {} \
         replications each.\n\
         - **Spent:** {} replications in all.\n",
        p.candidates.len(),
        p.first_stage,
        fixed(100.0 - eps, 1),
        fixed(eps, 1),
        super::looks_of(p.first_stage, p.cap)
            .iter()
            .map(u32::to_string)
            .collect::<Vec<_>>()
            .join(", "),
        super::ALPHA,
        fixed(p.h2, 3),
        zone_words(p),
        super::CHUNK,
        p.cap,
        p.replications_spent,
    );
}

/// The runbooks that cannot be told apart from the best within the zone.
fn equivalence(o: &mut String, p: &PlanResult) {
    let Some(best) = p.best else {
        return;
    };
    let _ = writeln!(
        o,
        "\n## Within the zone of the best\n\nThe indifference zone is {}: differences smaller \
         than this are not worth a longer night. These feasible runbooks are within it of the \
         best one (the upper end of the one-sided confidence bound of their paired difference \
         is at most δ); the recommendation is the one of them with the {} ({}).\n\n\
         | # | runbook | sessions cut (95 % CI) | more than the best (paired, 95 % CI) | maintenance |\n\
         |---|---|---|---|---|",
        zone_words(p),
        match p.spec.secondary {
            crate::scenario::Secondary::Maintenance => "shortest mean maintenance",
            crate::scenario::Secondary::Blocked => "smallest blocked fraction",
            crate::scenario::Secondary::Objective => "smallest mean objective",
        },
        format_args!("`secondary = \"{}\"`", p.spec.secondary.name()),
    );
    for &i in &p.equivalent {
        let e = &p.candidates[i];
        let more = if i == best {
            "— (the best)".to_string()
        } else {
            ci(&paired(&p.candidates[best], e))
        };
        let mark = if p.recommended == Some(i) {
            " **(recommended)**"
        } else {
            ""
        };
        let _ = writeln!(
            o,
            "| {} | {}{mark} | {} | {more} | {} |",
            i + 1,
            e.candidate.describe(&p.spec),
            crate::report::mean_ci(&cut(e)),
            hm(mean(&maintenance(e))),
        );
    }
}

fn recommendation(o: &mut String, p: &PlanResult) {
    let Some(r) = p.recommended else {
        let closest = p.runner_up;
        let why = closest.map_or(String::new(), |i| match &p.candidates[i].feasibility {
            Feasibility::Infeasible(w) => format!("it {w}"),
            _ => match p.feasible_needs.filter(|&n| n > p.cap) {
                Some(n) => format!(
                    "its feasibility could not be decided within `max_replications` ({}): \
                     showing that fewer than {} % of nights break the plan takes at least {n} \
                     nights without one, so raise `max_replications` to {n} or more",
                    p.cap,
                    fixed(100.0 * (1.0 - p.spec.nights), 1)
                ),
                None => "its feasibility could not be decided within `max_replications`".into(),
            },
        });
        let _ = writeln!(
            o,
            "**No candidate was shown to meet every constraint.** The closest: {}; {why}.\n",
            closest.map_or("none".into(), |i| p.candidates[i]
                .candidate
                .describe(&p.spec)),
        );
        return;
    };
    let e = &p.candidates[r];
    let m = maintenance(e);
    let longest = m.iter().copied().fold(0.0, f64::max);
    let order = if e.candidate.procedure == crate::scenario::PlanProcedure::RollingRestart {
        "One upgrade domain at a time, each paused, drained, restarted and waited for as \
         Microsoft's readiness checks say"
            .to_string()
    } else {
        let batches = e.candidate.batches(&p.spec);
        let order: Vec<String> = batches
            .iter()
            .map(|b| {
                let s = p.spec.names.labels(b.iter().map(|x| x - 1));
                s.join(" + ")
            })
            .collect();
        format!(
            "In order: {}; each batch paused, {}, then restarted",
            order.join(", then "),
            match &e.candidate.wait {
                crate::scenario::PlanWait::Fixed(_, t) => format!("left {t}"),
                crate::scenario::PlanWait::Drained => format!(
                    "left until it has no session (at most {})",
                    p.spec.drain_limit
                ),
            }
        )
    };
    let _ = writeln!(
        o,
        "**Recommendation: patch {}.** {order} ({} down).\n",
        e.candidate.describe(&p.spec),
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
    let _ = writeln!(o, "- Users in them: **{}** per night.", ci(&users_cut(e)));
    let window = p.spec.window.as_ref().map_or(String::new(), |w| {
        format!(
            "; it broke the window \"{}\" in {} of {} nights",
            w.text,
            broken(p, e),
            e.obs.len()
        )
    });
    let _ = writeln!(
        o,
        "- It takes **{}** on average from the first pause to the last server back (longest \
         {}){window}.",
        hm(mean(&m)),
        hm(longest),
    );
    let _ = writeln!(
        o,
        "- New sessions blocked meanwhile: {} %; pool quorum and every routing group's quorum \
         kept in all {} nights.",
        fixed(blocked(e) * 100.0, 3),
        e.obs.len()
    );
    if p.best != Some(r)
        && let Some(b) = p.best
    {
        let d = paired(&p.candidates[b], e);
        let _ = writeln!(
            o,
            "- The smallest mean is {}'s; this one {} on the same nights, within the \
             indifference zone ({}), and takes {} instead of {}.",
            p.candidates[b].candidate.describe(&p.spec),
            more_or_fewer(&d),
            fixed(p.delta, 2),
            hm(mean(&m)),
            hm(mean(&maintenance(&p.candidates[b])))
        );
    }
    if let Some(u) = p.runner_up {
        let ru = &p.candidates[u];
        let d = paired(e, ru);
        let why = match &ru.feasibility {
            Feasibility::Infeasible(reason) => format!("it {reason}"),
            Feasibility::Undecided => match ru.eliminated {
                Some((by, n)) => format!(
                    "#{} beat it: it {} on the same {n} nights",
                    by + 1,
                    more_or_fewer(&paired_first(&p.candidates[by], ru, n as usize))
                ),
                None => "its feasibility was not shown".to_string(),
            },
            Feasibility::Feasible(_) if p.equivalent.contains(&u) => format!(
                "it {}: within the zone, and its maintenance takes {}",
                more_or_fewer(&d),
                hm(mean(&maintenance(ru)))
            ),
            Feasibility::Feasible(_) => format!(
                "it {} on the same nights (beyond the zone); it takes {}",
                more_or_fewer(&d),
                hm(mean(&maintenance(ru)))
            ),
        };
        let _ = writeln!(
            o,
            "- Next best: {} — not chosen because {why}.",
            ru.candidate.describe(&p.spec)
        );
    }
}

/// "cuts 2.28 (95 % CI 1.06–3.49) more" or "cuts 0.10 (…) fewer": a difference never shown
/// negative.
fn more_or_fewer(d: &Estimate) -> String {
    if d.mean >= 0.0 {
        format!("cuts {} more", ci(d))
    } else {
        let neg = Estimate {
            mean: -d.mean,
            low: -d.high,
            high: -d.low,
            ..*d
        };
        format!("cuts {} fewer", ci(&neg))
    }
}

fn verdict(p: &PlanResult, i: usize) -> String {
    let e = &p.candidates[i];
    if p.recommended == Some(i) {
        return "**recommended**".into();
    }
    if p.equivalent.contains(&i) {
        return if p.best == Some(i) {
            "smallest mean; within its zone the recommended one is preferred".into()
        } else {
            "within the zone of the best".into()
        };
    }
    if let Some(why) = e.infeasible() {
        return format!("infeasible: {why}");
    }
    if let Some((by, r)) = e.eliminated {
        let d = paired_first(&p.candidates[by], e, r as usize);
        return format!(
            "beaten by #{} (shown feasible): cuts {} more on the same {r} nights",
            by + 1,
            ci(&d)
        );
    }
    if e.is_feasible() {
        return "feasible; not within the zone of the best at the cap".into();
    }
    "feasibility undecided at the cap".into()
}

fn candidates_table(o: &mut String, p: &PlanResult) {
    let mut idx: Vec<usize> = (0..p.candidates.len()).collect();
    let rank = |i: usize| -> u8 {
        let e = &p.candidates[i];
        if p.recommended == Some(i) {
            0
        } else if p.equivalent.contains(&i) {
            1
        } else if e.is_feasible() {
            2
        } else if e.infeasible().is_none() {
            3
        } else {
            4
        }
    };
    idx.sort_by(|&a, &b| {
        let (ea, eb) = (&p.candidates[a], &p.candidates[b]);
        rank(a)
            .cmp(&rank(b))
            .then(objective(ea).mean.total_cmp(&objective(eb).mean))
            .then(a.cmp(&b))
    });
    let _ = writeln!(
        o,
        "## Candidates\n\nThe recommended one, those within the zone, the other feasible ones, \
         the undecided, then the infeasible; each by mean sessions cut (every candidate is in \
         `candidates.csv`).\n\n| # | runbook | sessions cut (95 % CI) | maintenance | blocked | \
         replications | verdict |\n|---|---|---|---|---|---|---|"
    );
    for i in idx {
        let e = &p.candidates[i];
        let _ = writeln!(
            o,
            "| {} | {} | {} | {} | {} % | {} | {} |",
            i + 1,
            e.candidate.describe(&p.spec),
            crate::report::mean_ci(&cut(e)),
            hm(mean(&maintenance(e))),
            fixed(blocked(e) * 100.0, 3),
            e.obs.len(),
            verdict(p, i)
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

/// The scenario text with its top-level `max_replications` set to `m` (replaced, or added after
/// `name`).
fn with_max_replications(text: &str, m: u64) -> String {
    let mut out = Vec::new();
    let mut top = true;
    let mut done = false;
    for line in text.lines() {
        let t = line.trim_start();
        if t.starts_with('[') {
            top = false;
        }
        if top && !done && t.starts_with("max_replications") {
            out.push(format!(
                "max_replications = {m}   # set by drainsim plan (see the header)"
            ));
            done = true;
            continue;
        }
        out.push(line.to_string());
        if top && !done && t.starts_with("name") && !text.contains("\nmax_replications") {
            out.push(format!(
                "max_replications = {m}   # set by drainsim plan (see the header)"
            ));
            done = true;
        }
    }
    out.join("\n")
}

/// `recommended.toml`: the recommended runbook with expectations that hold its promise, tight
/// enough to fail a runbook outside the indifference zone.
pub fn recommended_toml(p: &PlanResult) -> Option<String> {
    let r = p.recommended?;
    let e = &p.candidates[r];
    let c = cut(e);
    let delta = super::cut_delta(e, p.delta);
    let half = if c.high.is_finite() {
        c.high - c.mean
    } else {
        0.0
    };
    // The promise (upper end of its interval) plus half the zone: the recommended runbook sits
    // at least δ/2 below it, a runbook more than δ above the best at or above it.
    let bound = round_up(c.mean + half + delta / 2.0);
    let margin = (bound - c.mean).max(1e-9);
    // drainsim test decides once its interval (half-width ≈ 2·sd/√n) clears the bound: about
    // (2·sd/margin)² replications for the recommended one; four times that for the Bonferroni
    // looks and a mean that happens to come out high.
    let sd = if c.sd.is_finite() { c.sd } else { 0.0 };
    let need = (2.0 * sd / margin).powi(2);
    let max_reps = round_up((4.0 * need).max(200.0)) as u64;
    let mut o = String::new();
    let _ = writeln!(
        o,
        "# Written by drainsim plan: the recommended runbook ({}), as a complete scenario,\n\
         # whose expectations are a regression test of what the plan promised.\n#\n\
         # - cut_mean <= {}: the promise, {} sessions cut per night over {} nights, plus half\n\
         #   the indifference zone (delta = {} sessions). This runbook is {} below it; one that\n\
         #   cuts more than the best by the zone (outside it: shorter waits, say) is above it.\n\
         # - max_replications = {}: drainsim test stops as soon as it can decide; telling a\n\
         #   mean {} below the bound with a night-to-night sd of {} takes about {} replications,\n\
         #   four times that allows for its looks and a high start.",
        e.candidate.describe(&p.spec),
        fixed(bound, 2),
        ci(&c),
        e.obs.len(),
        fixed(delta, 2),
        fixed(margin, 2),
        max_reps,
        fixed(margin, 2),
        fixed(sd, 2),
        need.ceil()
    );
    let unfinished = e
        .obs
        .iter()
        .filter(|x| !x.maintenance_s.is_finite())
        .count();
    let finished_min = if unfinished == 0 { 1.0 } else { p.spec.nights };
    // "Every night finishes" is a claim about every night: one that does not disproves it, and
    // it passes once such nights are shown rarer than 1 in 20 (59 nights without one).
    let finished_bound = if unfinished == 0 {
        "1.0, rarer_than = 0.05".to_string()
    } else {
        finished_min.to_string()
    };
    let _ = writeln!(
        o,
        "# - plan_finished_fraction >= {}: {}",
        finished_min,
        if unfinished == 0 {
            format!(
                "the plan finished in all {} nights; one night it does not disproves it, and it \
                 passes once such nights are shown rarer than 1 in 20 (59 nights).",
                e.obs.len()
            )
        } else {
            format!(
                "the plan did not finish in {unfinished} of {} nights; the chance constraint's \
                 level.",
                e.obs.len()
            )
        }
    );
    let window_s = p.spec.window.as_ref().map(|w| {
        let start = p
            .spec
            .start
            .iter()
            .find(|(t, _)| *t == e.candidate.start)
            .map_or(w.opens, |(_, at)| *at);
        w.closes.as_secs_f64() - start.as_secs_f64()
    });
    if let Some(w) = window_s {
        let _ = writeln!(
            o,
            "# - maintenance_s_mean <= {w}: the window, from this runbook's start to its close \
             (mean {} here). Nights that all take as long pass once nights that take longer are \
             shown rare enough that even one as long as the horizon would keep the mean within \
             the window; nights that end exactly at its close, once nights that end after it are \
             shown rarer than 1 in 20 (59 nights).",
            hm(mean(&maintenance(e)))
        );
    }
    let fractions: Vec<f64> = e.obs.iter().map(|x| x.blocked_fraction).collect();
    let b = est(&fractions);
    let blocked_line = if p.spec.max_blocked_fraction >= 1.0 {
        None
    } else if b.mean == 0.0 {
        let _ = writeln!(
            o,
            "# - blocked_in_maintenance_mean = 0: no new session was blocked in the plan's \
             nights; a claim about every night (\"never\"), shown once nights that block one \
             are rarer than 1 in 20 (59 nights without one); the first night that blocks one \
             fails it."
        );
        Some("blocked_in_maintenance_mean = { max = 0, rarer_than = 0.05 }".to_string())
    } else {
        let bound = p.spec.max_blocked_fraction.max(1.5 * b.high);
        let _ = writeln!(
            o,
            "# - blocked_in_maintenance_fraction_mean <= {}: the blocking limit, or half as much \
             again as the upper end of the plan's interval if that is higher.",
            fixed(bound, 6)
        );
        Some(format!(
            "blocked_in_maintenance_fraction_mean = {{ max = {} }}",
            fixed(bound, 6)
        ))
    };
    o.push('\n');
    o.push_str(with_max_replications(e.text.trim_end(), max_reps).trim_end());
    let _ = writeln!(
        o,
        "\n\n# The promised figures.\n[[expect]]\nfeature = \"all\"\ncut_mean = {{ max = {} }}\n\n\
         [[expect]]\nplan_finished_fraction = {{ min = {finished_bound} }}",
        fixed(bound, 2)
    );
    if p.spec.objective == crate::scenario::PlanObjective::Users {
        // The objective's own promise, with the same margin as the sessions'.
        let u = users_cut(e);
        let half = if u.high.is_finite() {
            u.high - u.mean
        } else {
            0.0
        };
        let bound = round_up(
            (1.5 * u.high.max(u.mean))
                .max(u.mean + 4.0 * half)
                .max(u.mean + 2.0),
        );
        let _ = writeln!(
            o,
            "\n[[expect]]\nfeature = \"all\"\nusers_cut_mean = {{ max = {} }}",
            fixed(bound, 2)
        );
    }
    if let Some(w) = window_s {
        let _ = writeln!(
            o,
            "\n[[expect]]\nmaintenance_s_mean = {{ max = {w}, rarer_than = 0.05 }}"
        );
    }
    if let Some(line) = blocked_line {
        let _ = writeln!(o, "\n[[expect]]\nfeature = \"all\"\n{line}");
    }
    Some(o)
}
