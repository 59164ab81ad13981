//! `[plan]` (R17): the choices of a maintenance runbook, its constraints and its objective,
//! read for `drainsim plan`. Every choice list must be non-empty; `[plan]` cannot be combined
//! with `[[step]]` (the candidates *are* the steps) or `[sweep]` (the candidates are the
//! sweep); a window that no candidate can fit is refused with the shortest candidate's length.

use super::super::ctx::{Ctx, parse_duration_hinted, suggest};
use super::super::raw::{RawPlan, RawScenario, RawServer};
use super::super::span::FieldPath;
use super::super::validated::{
    Indifference, PlanObjective, PlanProcedure, PlanSpec, PlanWait, PlanWindow, Secondary,
};
use crate::engine::{SimTime, parse_duration};
use crate::model::{RunConfig, StartupType};

/// The validated `[plan]`, if the file has one and it is valid.
pub(super) fn validate_plan(
    ctx: &mut Ctx<'_>,
    raw: &RawScenario,
    base: &RunConfig,
) -> Option<PlanSpec> {
    let rp = raw.plan.as_ref()?;
    let p = FieldPath::root().key("plan");
    if !raw.step.is_empty() {
        ctx.err(
            &FieldPath::root().key("step").index(0),
            "`[plan]` and `[[step]]` cannot be combined: `drainsim plan` writes the steps of \
             each candidate runbook; remove the steps or the `[plan]` table",
        );
    }
    if !raw.sweep.is_empty() {
        ctx.err(
            &FieldPath::root().key("sweep"),
            "`[plan]` and `[sweep]` cannot be combined: the plan's choices are its sweep",
        );
    }
    let n = base.pool.servers;
    let servers = plan_servers(ctx, &p, rp, base);
    let parallel = plan_parallel(ctx, &p, rp, servers.as_ref().map_or(n, |s| s.len() as u32));
    let wait = plan_waits(ctx, &p, rp);
    let drain_limit = ctx.positive_duration(
        &p.key("drain_limit"),
        &rp.drain_limit,
        Some(SimTime::from_secs(3600)),
    );
    let start = plan_starts(ctx, &p, rp, base);
    let lb_disable = non_empty(
        ctx,
        &p.key("lb_disable"),
        rp.lb_disable.clone(),
        vec![false],
    );
    if let Some(l) = &lb_disable
        && l.contains(&true)
        && !base.pool.hlb_in_use(&base.features)
    {
        ctx.err(
            &p.key("lb_disable"),
            "`lb_disable = true` needs traffic through a hardware load balancer \
             (`pool.load_balancing = \"hardware\"`, or a feature with `transport = \"https\"`)",
        );
    }
    let startup = plan_startups(ctx, &p, rp);
    let downtime = ctx.duration(
        &p.key("downtime"),
        &rp.downtime,
        Some(SimTime::from_secs(600)),
    );
    let procedure = plan_procedures(ctx, &p, rp, base);
    let window = match (&rp.window, &start) {
        (None, _) => Some(None),
        (Some(w), Some(start)) => plan_window(ctx, &p, w, start, base).map(Some),
        (Some(_), None) => None,
    };
    let max_blocked_fraction = match rp.max_blocked_fraction {
        None => Some(1.0),
        Some(x) if (0.0..=1.0).contains(&x) => Some(x),
        Some(x) => {
            ctx.err(
                &p.key("max_blocked_fraction"),
                format!("must be between 0 and 1, got {x}"),
            );
            None
        }
    };
    let nights = plan_nights(ctx, &p, rp);
    let objective = match rp.minimise.as_deref() {
        None | Some("cut") => Some(PlanObjective::Cut),
        Some("users") => Some(PlanObjective::Users),
        Some(m) => {
            ctx.err(
                &p.key("minimise"),
                format!(
                    "`{m}` is not an objective drainsim knows; use \"cut\" (sessions cut) or \
                     \"users\" (users in the sessions cut), weighted by `weights`"
                ),
            );
            None
        }
    };
    let weights = plan_weights(ctx, &p, rp, base);
    let indifference = plan_indifference(ctx, &p, rp);
    let secondary = match rp.secondary.as_deref() {
        None | Some("maintenance") => Some(Secondary::Maintenance),
        Some("blocked") => Some(Secondary::Blocked),
        Some("objective") => Some(Secondary::Objective),
        Some(other) => {
            ctx.err(
                &p.key("secondary"),
                format!(
                    "`{other}` is not a secondary objective; use \"maintenance\" (shorter, the \
                     default), \"blocked\" or \"objective\""
                ),
            );
            None
        }
    };
    let spec = PlanSpec {
        procedure: procedure?,
        servers: servers?,
        parallel: parallel?,
        wait: wait?,
        drain_limit: drain_limit?,
        start: start?,
        lb_disable: lb_disable?,
        startup: startup?,
        downtime: downtime?,
        window: window?,
        max_blocked_fraction: max_blocked_fraction?,
        nights: nights?,
        weights: weights?,
        objective: objective?,
        indifference: indifference?,
        secondary: secondary?,
        names: base.pool.names.clone(),
    };
    check_window(ctx, &p, &spec)?;
    ctx.warn(
        &p,
        "`drainsim plan` reads `[plan]`; `drainsim run` and `drainsim test` simulate this \
         scenario without maintenance (the runbooks are the plan's candidates)",
    );
    Some(spec)
}

/// A choice list: the default when absent, an error when empty.
fn non_empty<T>(
    ctx: &mut Ctx<'_>,
    p: &FieldPath,
    v: Option<Vec<T>>,
    default: Vec<T>,
) -> Option<Vec<T>> {
    match v {
        None => Some(default),
        Some(v) if v.is_empty() => {
            ctx.err(
                p,
                "lists no choice: give at least one value (or leave it out for the default)",
            );
            None
        }
        Some(v) => Some(v),
    }
}

fn plan_servers(
    ctx: &mut Ctx<'_>,
    p: &FieldPath,
    rp: &RawPlan,
    base: &RunConfig,
) -> Option<Vec<u32>> {
    let n = base.pool.servers;
    let all: Vec<RawServer> = (1..=i64::from(n)).map(RawServer::Number).collect();
    let list = non_empty(ctx, &p.key("servers"), rp.servers.clone(), all)?;
    let pool = super::servers::PoolServers {
        count: Some(n),
        names: base.pool.names.names(),
    };
    let before = ctx.diags.len();
    let mut out: Vec<u32> = Vec::new();
    for (i, s) in list.iter().enumerate() {
        let sp = p.key("servers").index(i);
        let Some(ix) = super::servers::resolve(ctx, &sp, s, pool) else {
            continue;
        };
        if out.contains(&ix) {
            let msg = format!("server {} is listed twice", super::steps::written_as(s));
            ctx.err(&sp, msg);
        } else {
            out.push(ix);
        }
    }
    (ctx.diags.len() == before).then_some(out)
}

fn plan_parallel(ctx: &mut Ctx<'_>, p: &FieldPath, rp: &RawPlan, servers: u32) -> Option<Vec<u32>> {
    let list = non_empty(ctx, &p.key("parallel"), rp.parallel.clone(), vec![1])?;
    let before = ctx.diags.len();
    let mut out = Vec::new();
    for (i, &k) in list.iter().enumerate() {
        if k < 1 || k > i64::from(servers) {
            ctx.err(
                &p.key("parallel").index(i),
                format!("must be between 1 and the {servers} servers to patch, got {k}"),
            );
        } else if !out.contains(&(k as u32)) {
            out.push(k as u32);
        }
    }
    (ctx.diags.len() == before).then_some(out)
}

fn plan_waits(ctx: &mut Ctx<'_>, p: &FieldPath, rp: &RawPlan) -> Option<Vec<PlanWait>> {
    let list = non_empty(ctx, &p.key("wait"), rp.wait.clone(), vec!["drained".into()])?;
    let before = ctx.diags.len();
    let mut out = Vec::new();
    for (i, w) in list.iter().enumerate() {
        if w == "drained" {
            out.push(PlanWait::Drained);
            continue;
        }
        match parse_duration_hinted(w) {
            Ok(d) => out.push(PlanWait::Fixed(d, w.clone())),
            Err(e) => ctx.err(
                &p.key("wait").index(i),
                format!("{e} (a wait is a duration such as \"30m\", or \"drained\")"),
            ),
        }
    }
    (ctx.diags.len() == before).then_some(out)
}

fn plan_starts(
    ctx: &mut Ctx<'_>,
    p: &FieldPath,
    rp: &RawPlan,
    base: &RunConfig,
) -> Option<Vec<(String, SimTime)>> {
    let list = non_empty(ctx, &p.key("start"), rp.start.clone(), vec!["0s".into()])?;
    let before = ctx.diags.len();
    let mut out = Vec::new();
    for (i, text) in list.iter().enumerate() {
        let at = if text.contains(':') {
            crate::model::profile::parse_clock(text).map(|clock| {
                let after = (clock - base.clock_start_s).rem_euclid(crate::model::profile::DAY_S);
                SimTime::from_secs_f64(after)
            })
        } else {
            parse_duration(text)
        };
        match at {
            Ok(a) if a >= base.horizon => ctx.err(
                &p.key("start").index(i),
                format!("{a} is not before the horizon ({})", base.horizon),
            ),
            Ok(a) => out.push((text.clone(), a)),
            Err(e) => ctx.err(&p.key("start").index(i), e),
        }
    }
    (ctx.diags.len() == before).then_some(out)
}

fn plan_startups(ctx: &mut Ctx<'_>, p: &FieldPath, rp: &RawPlan) -> Option<Vec<StartupType>> {
    let list = non_empty(
        ctx,
        &p.key("startup"),
        rp.startup.clone(),
        vec!["automatic".into()],
    )?;
    let before = ctx.diags.len();
    let mut out = Vec::new();
    for (i, s) in list.iter().enumerate() {
        match s.as_str() {
            "automatic" => out.push(StartupType::Automatic),
            "manual" => out.push(StartupType::Manual),
            other => ctx.err(
                &p.key("startup").index(i),
                format!("`{other}` is not a startup type for a plan: \"automatic\" or \"manual\""),
            ),
        }
    }
    (ctx.diags.len() == before).then_some(out)
}

fn plan_weights(
    ctx: &mut Ctx<'_>,
    p: &FieldPath,
    rp: &RawPlan,
    base: &RunConfig,
) -> Option<Vec<(String, f64)>> {
    let names: Vec<&str> = base.features.iter().map(|f| f.name.as_str()).collect();
    let before = ctx.diags.len();
    let mut out = Vec::new();
    for (name, v) in &rp.weights {
        let wp = p.key("weights").key(name);
        if !names.contains(&name.as_str()) {
            ctx.err(
                &wp,
                format!(
                    "no feature `{name}` in this scenario{}",
                    suggest(name, names.iter().copied())
                        .map(|s| format!(" (did you mean `{s}`?)"))
                        .unwrap_or_else(|| format!(" (features: {})", names.join(", ")))
                ),
            );
            continue;
        }
        match v.as_float().or_else(|| v.as_integer().map(|i| i as f64)) {
            Some(w) if w.is_finite() && w >= 0.0 => out.push((name.clone(), w)),
            _ => ctx.err(&wp, format!("a weight is a number of at least 0, got {v}")),
        }
    }
    (ctx.diags.len() == before).then_some(out)
}

fn plan_procedures(
    ctx: &mut Ctx<'_>,
    p: &FieldPath,
    rp: &RawPlan,
    base: &RunConfig,
) -> Option<Vec<PlanProcedure>> {
    let list = non_empty(
        ctx,
        &p.key("procedure"),
        rp.procedure.clone(),
        vec!["batches".into()],
    )?;
    let before = ctx.diags.len();
    let mut out = Vec::new();
    for (i, name) in list.iter().enumerate() {
        let proc = match name.as_str() {
            "batches" => PlanProcedure::Batches,
            "rolling_restart" => PlanProcedure::RollingRestart,
            other => {
                ctx.err(
                    &p.key("procedure").index(i),
                    format!(
                        "`{other}` is not a plan procedure: \"batches\" (fixed batches of \
                         `parallel` servers) or \"rolling_restart\" (one upgrade domain at a time)"
                    ),
                );
                continue;
            }
        };
        if proc == PlanProcedure::RollingRestart && rp.servers.is_some() {
            let all = rp
                .servers
                .as_ref()
                .is_some_and(|s| s.len() as u32 == base.pool.servers);
            if !all {
                ctx.err(
                    &p.key("procedure").index(i),
                    "`rolling_restart` patches every server of the pool, one upgrade domain at a \
                     time: it cannot be combined with a `servers` list of only some of them",
                );
                continue;
            }
        }
        if !out.contains(&proc) {
            out.push(proc);
        }
    }
    (ctx.diags.len() == before).then_some(out)
}

/// `window`: a length from the earliest start, or `"HH:MM-HH:MM"` on the scenario's clock.
fn plan_window(
    ctx: &mut Ctx<'_>,
    p: &FieldPath,
    text: &str,
    start: &[(String, SimTime)],
    base: &RunConfig,
) -> Option<PlanWindow> {
    let wp = p.key("window");
    let earliest = start.iter().map(|(_, t)| *t).min().unwrap_or_default();
    if let Some((a, b)) = text.split_once('-').filter(|_| text.contains(':')) {
        let at = |clock: &str| -> Result<SimTime, String> {
            crate::model::profile::parse_clock(clock).map(|c| {
                let after = (c - base.clock_start_s).rem_euclid(crate::model::profile::DAY_S);
                SimTime::from_secs_f64(after)
            })
        };
        let (opens, closes) = match (at(a), at(b)) {
            (Ok(o), Ok(c)) => (o, c),
            (Err(e), _) | (_, Err(e)) => {
                ctx.err(
                    &wp,
                    format!("{e} (a window is \"02:00-05:00\" or a length such as \"3h\")"),
                );
                return None;
            }
        };
        // A window past midnight ("22:00-02:00") closes on the next day.
        let closes = if closes <= opens {
            SimTime(closes.0 + SimTime::from_secs_f64(crate::model::profile::DAY_S).0)
        } else {
            closes
        };
        if let Some((s, t)) = start.iter().find(|(_, t)| *t < opens || *t >= closes) {
            ctx.err(
                &wp,
                format!(
                    "the start \"{s}\" ({t} into the simulation) is outside the window \
                     \"{text}\" (from {opens} to {closes} into the simulation)"
                ),
            );
            return None;
        }
        return Some(PlanWindow {
            opens,
            closes,
            text: text.to_string(),
        });
    }
    let len = ctx.positive_duration(&wp, &Some(text.to_string()), None)?;
    Some(PlanWindow {
        opens: earliest,
        closes: SimTime(earliest.0.saturating_add(len.0)),
        text: text.to_string(),
    })
}

/// A fraction written as a number (0.95) or a percentage ("95%").
fn fraction(v: &toml::Value) -> Option<f64> {
    match v {
        toml::Value::Float(x) => Some(*x),
        toml::Value::Integer(i) => Some(*i as f64),
        toml::Value::String(s) => s
            .trim()
            .strip_suffix('%')
            .and_then(|n| n.trim().parse::<f64>().ok())
            .map(|x| x / 100.0),
        _ => None,
    }
}

fn plan_nights(ctx: &mut Ctx<'_>, p: &FieldPath, rp: &RawPlan) -> Option<f64> {
    let Some(v) = &rp.nights else {
        return Some(0.95);
    };
    match fraction(v) {
        Some(x) if x > 0.0 && x <= 1.0 => Some(x),
        _ => {
            ctx.err(
                &p.key("nights"),
                format!(
                    "the fraction of nights the window and blocking limit must hold in is a \
                     number above 0 and at most 1 (or a percentage such as \"95%\"), got {v}"
                ),
            );
            None
        }
    }
}

fn plan_indifference(ctx: &mut Ctx<'_>, p: &FieldPath, rp: &RawPlan) -> Option<Indifference> {
    let floor = match rp.indifference_floor {
        None => 0.1,
        Some(x) if x.is_finite() && x > 0.0 => x,
        Some(x) => {
            ctx.err(
                &p.key("indifference_floor"),
                format!("must be above 0, got {x}"),
            );
            return None;
        }
    };
    let bad = |ctx: &mut Ctx<'_>, v: &toml::Value| {
        ctx.err(
            &p.key("indifference"),
            format!(
                "is a number of sessions above 0 (`indifference = 0.5`) or a percentage of the \
                 best feasible mean (`indifference = \"10%\"`), got {v}"
            ),
        );
        None
    };
    match &rp.indifference {
        None => Some(Indifference::Relative {
            fraction: 0.1,
            floor,
        }),
        Some(v @ toml::Value::String(_)) => match fraction(v) {
            Some(x) if x.is_finite() && x > 0.0 => {
                Some(Indifference::Relative { fraction: x, floor })
            }
            _ => bad(ctx, v),
        },
        Some(v) => match fraction(v) {
            Some(x) if x.is_finite() && x > 0.0 => {
                if rp.indifference_floor.is_some() {
                    ctx.err(
                        &p.key("indifference_floor"),
                        "applies to a percentage `indifference` only; this one is in sessions",
                    );
                    return None;
                }
                Some(Indifference::Absolute(x))
            }
            _ => bad(ctx, v),
        },
    }
}

/// The shortest a candidate with `k` at once can take: one batch after another, each its wait
/// (none for `drained`, which may end at once) and the downtime. Saturates rather than
/// overflows on absurd durations (they only ever fail the window check).
pub fn shortest_length(spec: &PlanSpec, k: u32, wait: &PlanWait) -> SimTime {
    let batches = (spec.servers.len() as u64).div_ceil(u64::from(k.max(1)));
    let w = match wait {
        PlanWait::Fixed(d, _) => d.0,
        PlanWait::Drained => 0,
    };
    SimTime(batches.saturating_mul(w.saturating_add(spec.downtime.0)))
}

/// Refuses a window that even the shortest candidate cannot fit.
fn check_window(ctx: &mut Ctx<'_>, p: &FieldPath, spec: &PlanSpec) -> Option<()> {
    let Some(w) = &spec.window else {
        return Some(());
    };
    if !spec.procedure.contains(&PlanProcedure::Batches) {
        return Some(());
    }
    let latest = spec.start.iter().map(|(_, t)| *t).max().unwrap_or_default();
    let window = SimTime(w.closes.0.saturating_sub(latest.0.max(w.opens.0)));
    let shortest = spec
        .parallel
        .iter()
        .flat_map(|&k| spec.wait.iter().map(move |w| (k, w)))
        .map(|(k, w)| (shortest_length(spec, k, w), k, w))
        .min_by_key(|(len, _, _)| *len)?;
    if shortest.0 > window {
        ctx.err(
            &p.key("window"),
            format!(
                "\"{}\" leaves {window} after the latest start, shorter than every candidate: the shortest ({} at a time, wait {}) \
                 takes at least {}; lengthen the window, patch more servers at once, or wait less",
                w.text,
                shortest.1,
                shortest.2.text(),
                shortest.0
            ),
        );
        return None;
    }
    Some(())
}
