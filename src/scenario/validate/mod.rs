//! Stage two: raw scenario → validated [`Scenario`], every problem collected. One module per
//! section of the scenario file; this one parses the file, validates the top-level settings,
//! runs the sections in file order and assembles the result, then checks what needs the
//! whole (the load against the limits, the sweep's expansion) and, on the expanded runs, the
//! expectations' selectors and whether the plan fits the horizon (a warning).

mod dist;
mod expect;
mod features;
mod horizon;
mod lb;
mod plan;
mod pool;
mod profile;
mod servers;
mod steps;
mod syntax;
mod topology;
mod trace;

use super::ctx::{Ctx, FileSource, Limits, ScenarioError};
use super::expand::{Run, check_expansion, check_timeseries};
use super::raw::{RawPrecision, RawReplications, RawScenario};
use super::span::FieldPath;
use super::sweep::validate_axes;
use super::validated::{Precision, Scenario, TopologySpec};
use crate::engine::SimTime;
use crate::model::RunConfig;

/// Parses `text` (named `file` in messages) and validates it against `limits`.
pub(super) fn parse(
    text: &str,
    file: &str,
    files: &dyn FileSource,
    limits: &Limits,
) -> Result<Scenario, ScenarioError> {
    let one = |d| ScenarioError {
        diagnostics: vec![d],
    };
    let doc = toml::de::DeTable::parse(text).map_err(|e| one(syntax::toml_diag(file, text, &e)))?;
    let raw: RawScenario =
        toml::from_str(text).map_err(|e| one(syntax::serde_diag(file, text, &doc, &e)))?;
    let mut ctx = Ctx {
        file,
        text,
        doc: Some(doc),
        diags: Vec::new(),
        warnings: Vec::new(),
    };
    let scenario = validate(&mut ctx, &raw, files, limits);
    if ctx.diags.is_empty()
        && let Some(mut s) = scenario
    {
        ctx.warnings
            .sort_by_key(|d| d.position.unwrap_or((usize::MAX, 0)));
        s.warnings = ctx.warnings;
        return Ok(s);
    }
    ctx.diags
        .sort_by_key(|d| d.position.unwrap_or((usize::MAX, 0)));
    Err(ScenarioError {
        diagnostics: ctx.diags,
    })
}

/// The top-level settings of a run.
struct Settings {
    replications: u32,
    max_replications: u32,
    precision: Option<Precision>,
    horizon: Option<SimTime>,
    event_budget: u64,
    sample_interval: Option<SimTime>,
    clock_start_s: Option<f64>,
}

/// The run before the sweep, and how its pool topology was written.
struct Base {
    config: RunConfig,
    quorum_explicit: bool,
    topology: TopologySpec,
}

fn validate(
    ctx: &mut Ctx<'_>,
    raw: &RawScenario,
    files: &dyn FileSource,
    limits: &Limits,
) -> Option<Scenario> {
    let settings = validate_settings(ctx, raw, limits);
    let base = validate_base(ctx, raw, files, limits, &settings)?;
    check_load(ctx, &base.config, limits);
    let axes = validate_axes(ctx, &raw.sweep, &base.config, limits);
    let swept = axes.iter().any(|a| a.changes_load_balancing());
    lb::check_base(ctx, raw, &base.config, swept);
    let plan = plan::validate_plan(ctx, raw, &base.config);
    if !ctx.diags.is_empty() {
        // The expectations' keys are still checked; their values need the runs.
        expect::validate_expects(ctx, &raw.expect, &axes);
        return None;
    }
    let expects = expect::validate_expects(ctx, &raw.expect, &axes);
    let mut scenario = Scenario {
        name: raw.name.clone().unwrap_or_else(|| ctx.file.to_string()),
        description: raw.description.clone(),
        file: ctx.file.to_string(),
        seed: raw.seed.unwrap_or(1),
        replications: settings.replications,
        max_replications: settings.max_replications,
        precision: settings.precision,
        base: base.config,
        quorum_explicit: base.quorum_explicit,
        topology: base.topology,
        axes,
        expects,
        limits: limits.clone(),
        plan,
        warnings: Vec::new(),
    };
    let runs = check_runs(ctx, &scenario)?;
    let features: Vec<String> = (scenario.base.features.iter())
        .map(|f| f.name.clone())
        .collect();
    expect::check_selectors(ctx, &mut scenario.expects, &runs, &features);
    horizon::check_plan_fits(ctx, &runs);
    ctx.diags.is_empty().then_some(scenario)
}

/// `replications = { half_width, relative, start, max }`: one positive target at least.
fn validate_precision(ctx: &mut Ctx<'_>, p: &FieldPath, t: &RawPrecision) -> Option<Precision> {
    let positive = |x: Option<f64>| x.is_none_or(|x| x.is_finite() && x > 0.0);
    if !positive(t.half_width) {
        ctx.err(&p.key("half_width"), "must be a number above 0");
    }
    if !positive(t.relative) {
        ctx.err(
            &p.key("relative"),
            "must be a number above 0 (0.05: ±5 % of the mean)",
        );
    }
    if t.half_width.is_none() && t.relative.is_none() {
        ctx.err(
            p,
            "a precision target needs half_width or relative, e.g. replications = \
             { half_width = 0.5, max = 2000 }",
        );
        return None;
    }
    Some(Precision {
        half_width: t.half_width,
        relative: t.relative,
    })
}

/// Default cap of a sequential decision, replications per run.
pub const DEFAULT_MAX_REPLICATIONS: u32 = 1000;

/// `replications`, `max_replications`, `horizon`, `event_budget` and `sample_interval`.
fn validate_settings(ctx: &mut Ctx<'_>, raw: &RawScenario, limits: &Limits) -> Settings {
    let root = FieldPath::root();
    let (replications, precision, max_from_target) = match &raw.replications {
        None => (100, None, None),
        Some(RawReplications::Count(n)) => (*n, None, None),
        Some(RawReplications::Target(t)) => {
            let precision = validate_precision(ctx, &root.key("replications"), t);
            (t.start.unwrap_or(20), precision, t.max)
        }
    };
    if replications == 0 || replications > limits.max_replications {
        ctx.err(
            &root.key("replications"),
            format!(
                "must be between 1 and {}, got {replications}",
                limits.max_replications
            ),
        );
    }
    let max_replications = raw.max_replications.or(max_from_target).unwrap_or(
        DEFAULT_MAX_REPLICATIONS
            .min(limits.max_replications)
            .max(replications),
    );
    let replications_ok = (1..=limits.max_replications).contains(&replications);
    if replications_ok
        && (max_replications < replications || max_replications > limits.max_replications)
    {
        ctx.err(
            &root.key("max_replications"),
            format!(
                "must be between `replications` ({replications}) and {}, got {max_replications}",
                limits.max_replications
            ),
        );
    }
    let horizon = ctx.positive_duration(&root.key("horizon"), &raw.horizon, None);
    if let Some(h) = horizon
        && h > limits.max_horizon
    {
        ctx.err(
            &root.key("horizon"),
            format!("{h} is beyond the limit of {}", limits.max_horizon),
        );
    }
    let event_budget = raw.event_budget.unwrap_or(500_000_000);
    if event_budget == 0 {
        ctx.err(&root.key("event_budget"), "must be at least 1");
    }
    let sample_interval = ctx.duration(
        &root.key("sample_interval"),
        &raw.sample_interval,
        Some(SimTime::from_secs(60)),
    );
    let clock_start_s = profile::validate_clock(ctx, &root.key("clock_start"), &raw.clock_start);
    Settings {
        replications,
        max_replications,
        precision,
        horizon,
        event_budget,
        sample_interval,
        clock_start_s,
    }
}

/// The sections that make the run before the sweep, in file order: pool, topology, workload,
/// features, steps.
fn validate_base(
    ctx: &mut Ctx<'_>,
    raw: &RawScenario,
    files: &dyn FileSource,
    limits: &Limits,
    settings: &Settings,
) -> Option<Base> {
    let (pool, quorum_explicit) = pool::validate_pool(ctx, &raw.pool, limits);
    let servers = servers::PoolServers {
        count: pool.as_ref().map(|p| p.servers),
        names: pool.as_ref().and_then(|p| p.names.names()),
    };
    let topology = topology::validate_topology(ctx, &raw.pool, servers);
    let utilisation_threshold = pool::validate_utilisation_threshold(ctx, &raw.pool);
    let workload = features::validate_workload(ctx, raw, files);
    let trace_fed = trace::mapped_features(&raw.trace);
    let (features, services) =
        features::validate_features(ctx, &raw.feature, &workload, &trace_fed, files);
    let trace = match (&raw.trace, &features) {
        (Some(t), Some(fs)) => {
            let names: Vec<String> = fs.iter().map(|f| f.name.clone()).collect();
            Some(trace::validate_trace(
                ctx,
                t,
                &names,
                settings.horizon,
                files,
            )?)
        }
        _ => None,
    };
    let clock_start_s = (settings.clock_start_s)
        .or(trace.as_ref().map(|t| t.clock_start_s))
        .unwrap_or(0.0);
    let env = steps::StepEnv {
        services: &services,
        servers,
        horizon: settings.horizon,
        clock_start_s,
    };
    let plan = steps::validate_steps(ctx, &raw.step, &env);

    let pool = pool?;
    let topology = topology?;
    let resolved = ctx.pick(
        FieldPath::root().key("pool").key("upgrade_domains"),
        topology.resolve(pool.servers),
    )?;
    let config = RunConfig {
        pool,
        services,
        features: features?,
        plan: plan?,
        horizon: settings.horizon?,
        clock_start_s,
        trace: trace.map(|t| t.trace),
        event_budget: settings.event_budget,
        sample_interval: settings.sample_interval.filter(|&d| d > SimTime::ZERO),
        topology: resolved,
        utilisation_threshold: utilisation_threshold?,
    };
    Some(Base {
        config,
        quorum_explicit,
        topology,
    })
}

/// Refuses, before running, a workload that would exhaust memory or the event budget.
fn check_load(ctx: &mut Ctx<'_>, cfg: &RunConfig, limits: &Limits) {
    let root = FieldPath::root();
    let active: f64 = cfg
        .features
        .iter()
        .map(|f| {
            f.arrivals_per_hour * f.profile.as_ref().map_or(1.0, |p| p.peak()) / 3600.0
                * f.duration.mean_s()
        })
        .sum();
    if active > limits.max_active_sessions {
        ctx.err(
            &root.key("feature"),
            format!(
                "the features would keep about {active:.3e} sessions active at once \
                 (arrival rate × mean duration), beyond the limit of {:.0e}; lower the rates or \
                 durations",
                limits.max_active_sessions
            ),
        );
    }
    let hours = cfg.horizon.as_secs_f64() / 3600.0;
    let events: f64 = cfg
        .features
        .iter()
        .map(|f| match &f.profile {
            Some(p) => {
                let h = cfg.horizon.as_secs_f64();
                2.0 * f.arrivals_per_hour / 3600.0
                    * p.integral(cfg.clock_start_s, cfg.clock_start_s + h)
            }
            None => 2.0 * f.arrivals_per_hour * hours,
        })
        .sum();
    if events > cfg.event_budget as f64 {
        ctx.err(
            &root.key("event_budget"),
            format!(
                "about {events:.3e} events are expected per replication (an arrival and a \
                 departure per session over the {} horizon), beyond the event budget of {}; \
                 lower the rates or the horizon, or raise event_budget",
                cfg.horizon, cfg.event_budget
            ),
        );
    }
}

/// Expands the sweep to check the run limits and every combination's consistency up front,
/// then the time series' size. The runs, if the scenario passed.
fn check_runs(ctx: &mut Ctx<'_>, scenario: &Scenario) -> Option<Vec<Run>> {
    let root = FieldPath::root();
    let runs = match check_expansion(scenario) {
        Ok(runs) => runs,
        Err(msgs) => {
            for m in msgs {
                ctx.err(&root.key("sweep"), m);
            }
            return None;
        }
    };
    if let Err(m) = check_timeseries(scenario) {
        ctx.err(&root.key("sample_interval"), m);
        return None;
    }
    Some(runs)
}
