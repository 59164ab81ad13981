//! Stage two: raw scenario → validated [`Scenario`], every problem collected.

use std::sync::Arc;

use super::raw::{RawDist, RawFeature, RawPool, RawScenario, RawStep};
use super::span::{FieldPath, line_col, path_at, span_of};
use super::sweep::{self, Axis};
use super::{Diagnostic, FileSource, ScenarioError};
use crate::engine::{SimTime, parse_duration};
use crate::model::service::{KNOWN_SERVICES, MAX_SERVICES};
use crate::model::workload::{self, PresetFeature};
use crate::model::{
    Action, DistKind, DnsConfig, Feature, HardwareConfig, HealthMonitor, HlbAlgorithm, HoldingTime,
    LoadBalancing, OnLoss, PoolConfig, QuorumRule, RunConfig, ServiceMask, StartupType, Step,
    Target, Topology, catalogue_entry,
};

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

/// Limits on what one scenario may ask for: exceeding one is an error, never a hang.
#[derive(Debug, Clone)]
pub struct Limits {
    /// Most replications per run.
    pub max_replications: u32,
    /// Most runs a sweep may expand to.
    pub max_runs: usize,
    /// Most replications in all runs together.
    pub max_total_replications: u64,
    /// Longest horizon.
    pub max_horizon: SimTime,
    /// Most servers in a pool.
    pub max_servers: u32,
    /// Most sessions the workload may keep active at once (λ·E\[S\] summed over features), so
    /// that an absurd rate is refused before it exhausts memory.
    pub max_active_sessions: f64,
    /// Most servers, routing-group replicas, plan steps and features summed over every run of
    /// a sweep: each run holds its own copy of the configuration, so that a large sweep of
    /// large pools is refused before it exhausts memory.
    pub max_expanded_size: u64,
    /// Most occupancy values (samples × servers × features, summed over runs) the time series
    /// of `timeseries.csv` may hold, so that a tiny `sample_interval` is refused up front.
    pub max_timeseries_values: u64,
}

impl Default for Limits {
    fn default() -> Self {
        Limits {
            max_replications: 100_000,
            max_runs: 10_000,
            max_total_replications: 2_000_000,
            max_horizon: SimTime::from_secs(366 * 86_400),
            max_servers: 1000,
            max_active_sessions: 20_000_000.0,
            max_expanded_size: 5_000_000,
            max_timeseries_values: 10_000_000,
        }
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
    /// Bounds.
    pub bounds: Vec<Bound>,
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
    /// Replications per run.
    pub replications: u32,
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
}

/// Collects diagnostics with positions.
pub(crate) struct Ctx<'a> {
    pub file: &'a str,
    pub text: &'a str,
    pub doc: Option<toml::Spanned<toml::de::DeTable<'a>>>,
    pub diags: Vec<Diagnostic>,
}

impl Ctx<'_> {
    pub fn err(&mut self, path: &FieldPath, msg: impl Into<String>) {
        let position = self
            .doc
            .as_ref()
            .and_then(|d| span_of(d, path))
            .map(|s| line_col(self.text, s.start));
        self.diags.push(Diagnostic {
            file: self.file.to_string(),
            position,
            path: path.to_string(),
            message: msg.into(),
        });
    }

    pub fn location(&self, path: &FieldPath) -> String {
        match self
            .doc
            .as_ref()
            .and_then(|d| span_of(d, path))
            .map(|s| line_col(self.text, s.start))
        {
            Some((l, c)) => format!("{}:{l}:{c}", self.file),
            None => format!("{}: {path}", self.file),
        }
    }

    fn duration(
        &mut self,
        path: &FieldPath,
        v: &Option<String>,
        default: Option<SimTime>,
    ) -> Option<SimTime> {
        match v {
            None => {
                if default.is_none() {
                    self.err(path, "is required");
                }
                default
            }
            Some(s) => match parse_duration(s) {
                Ok(d) => Some(d),
                Err(e) => {
                    self.err(path, e);
                    None
                }
            },
        }
    }

    fn positive_duration(
        &mut self,
        path: &FieldPath,
        v: &Option<String>,
        default: Option<SimTime>,
    ) -> Option<SimTime> {
        let d = self.duration(path, v, default)?;
        if d == SimTime::ZERO {
            self.err(path, "must be longer than zero");
            return None;
        }
        Some(d)
    }
}

fn one_of<T: Copy>(value: &str, options: &[(&str, T)]) -> Result<T, String> {
    options
        .iter()
        .find(|(n, _)| *n == value)
        .map(|(_, v)| *v)
        .ok_or_else(|| {
            let names: Vec<String> = options.iter().map(|(n, _)| format!("\"{n}\"")).collect();
            format!(
                "unknown value \"{value}\"; expected one of {}",
                names.join(", ")
            )
        })
}

pub(crate) fn parse_lb(v: &str) -> Result<LoadBalancing, String> {
    one_of(
        v,
        &[
            ("dns", LoadBalancing::Dns),
            ("hardware", LoadBalancing::Hardware),
        ],
    )
}

pub(crate) fn parse_quorum(v: &str) -> Result<QuorumRule, String> {
    one_of(
        v,
        &[
            ("lync2013", QuorumRule::Lync2013),
            ("sfb2019", QuorumRule::Sfb2019),
            ("none", QuorumRule::None),
        ],
    )
}

pub(crate) fn parse_algorithm(v: &str) -> Result<HlbAlgorithm, String> {
    one_of(
        v,
        &[
            ("round_robin", HlbAlgorithm::RoundRobin),
            ("least_connections", HlbAlgorithm::LeastConnections),
            ("random", HlbAlgorithm::Random),
        ],
    )
}

pub(crate) fn parse_monitor(v: &str) -> Result<HealthMonitor, String> {
    one_of(
        v,
        &[
            ("port", HealthMonitor::Port),
            ("service", HealthMonitor::Service),
        ],
    )
}

pub(crate) fn parse_probability(v: f64) -> Result<f64, String> {
    if v.is_finite() && (0.0..=1.0).contains(&v) {
        Ok(v)
    } else {
        Err(format!("must be a probability between 0 and 1, got {v}"))
    }
}

/// The quorum a pool of `servers` gets when the file does not name one: the Lync 2013 table
/// where it applies (2–12 Front Ends), none otherwise.
pub(crate) fn default_quorum(servers: u32) -> QuorumRule {
    if QuorumRule::Lync2013.requirement(servers).is_some() {
        QuorumRule::Lync2013
    } else {
        QuorumRule::None
    }
}

pub(crate) fn check_quorum_size(rule: QuorumRule, servers: u32) -> Result<(), String> {
    if rule.requirement(servers).is_none() {
        let range = match rule {
            QuorumRule::Sfb2019 => "2–16",
            _ => "2–12",
        };
        return Err(format!(
            "quorum \"{}\" covers pools of {range} Front Ends, not {servers}; use quorum = \"none\" \
             for other sizes",
            rule.name()
        ));
    }
    Ok(())
}

pub(super) fn parse(
    text: &str,
    file: &str,
    files: &dyn FileSource,
    limits: &Limits,
) -> Result<Scenario, ScenarioError> {
    let doc = match toml::de::DeTable::parse(text) {
        Ok(d) => d,
        Err(e) => {
            return Err(ScenarioError {
                diagnostics: vec![toml_diag(file, text, &e)],
            });
        }
    };
    let raw: RawScenario = match toml::from_str(text) {
        Ok(r) => r,
        Err(e) => {
            // serde stops at the first problem and names no path: recover the path from the
            // error's position in the document.
            let mut d = toml_diag(file, text, &e);
            if let Some(path) = e.span().and_then(|s| path_at(&doc, s.start)) {
                let last = path.0.last().map(|seg| match seg {
                    super::span::Seg::Key(k) => k.as_str(),
                    super::span::Seg::Index(_) => "",
                });
                if d.message.ends_with("expected a string")
                    && last.is_some_and(|k| DURATION_KEYS.contains(&k))
                {
                    d.message
                        .push_str(" (durations are strings such as \"90s\", \"5m\" or \"1h30m\")");
                }
                d.path = path.to_string();
            }
            return Err(ScenarioError {
                diagnostics: vec![d],
            });
        }
    };
    let mut ctx = Ctx {
        file,
        text,
        doc: Some(doc),
        diags: Vec::new(),
    };
    let scenario = validate(&mut ctx, &raw, files, limits);
    if ctx.diags.is_empty()
        && let Some(s) = scenario
    {
        return Ok(s);
    }
    ctx.diags
        .sort_by_key(|d| d.position.unwrap_or((usize::MAX, 0)));
    Err(ScenarioError {
        diagnostics: ctx.diags,
    })
}

fn toml_diag(file: &str, text: &str, e: &toml::de::Error) -> Diagnostic {
    Diagnostic {
        file: file.to_string(),
        position: e.span().map(|s| line_col(text, s.start)),
        path: String::new(),
        message: plain_types(e.message().trim()),
    }
}

/// Keys whose value is a duration string (and `duration`, the table of one).
const DURATION_KEYS: &[&str] = &[
    "horizon",
    "sample_interval",
    "replica_rebuild",
    "retry_delay",
    "connect_timeout",
    "detect_delay",
    "duration",
    "at",
    "downtime",
    "timeout",
    "wait_time",
];

/// serde names Rust types ("expected u32"); say what to write instead.
fn plain_types(msg: &str) -> String {
    const WORDS: &[(&str, &str)] = &[
        ("expected i64", "expected an integer"),
        ("expected u64", "expected a whole number >= 0"),
        (
            "expected u32",
            "expected a whole number from 0 to 4294967295",
        ),
        ("expected f64", "expected a number"),
        ("expected a sequence", "expected an array"),
        ("expected a map", "expected a table"),
        ("expected a borrowed string", "expected a string"),
    ];
    let mut out = msg.to_string();
    for (rust, plain) in WORDS {
        out = out.replace(rust, plain);
    }
    // TOML integers are 64-bit; the parser reports a larger one as an i128 of the wrong type.
    if let Some(i) = out.find("` as i128") {
        let start = out[..i].rfind('`').map_or(0, |s| s + 1);
        return format!("integer {} is out of range", &out[start..i]);
    }
    if out.contains("expected internally tagged enum RawDist") {
        let head = out.split(", expected").next().unwrap_or_default();
        return format!(
            "{head}, expected a distribution table such as {{ distribution = \"exponential\", \
             mean = \"3m\" }}"
        );
    }
    if let Some(i) = out.find("expected struct Raw") {
        out.truncate(i);
        out.push_str("expected a table");
    }
    out
}

fn validate(
    ctx: &mut Ctx<'_>,
    raw: &RawScenario,
    files: &dyn FileSource,
    limits: &Limits,
) -> Option<Scenario> {
    let root = FieldPath::root();
    let replications = raw.replications.unwrap_or(100);
    if replications == 0 || replications > limits.max_replications {
        ctx.err(
            &root.key("replications"),
            format!(
                "must be between 1 and {}, got {replications}",
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
    let (pool, quorum_explicit) = validate_pool(ctx, &raw.pool, limits);
    let topology = validate_topology(ctx, &raw.pool, pool.as_ref().map(|p| p.servers));
    let utilisation_threshold = match raw.pool.utilisation_threshold {
        None => Some(0.8),
        Some(x) if x.is_finite() && x > 0.0 && x <= 1.0 => Some(x),
        Some(x) => {
            ctx.err(
                &root.key("pool").key("utilisation_threshold"),
                format!("must be a fraction in (0, 1], got {x}"),
            );
            None
        }
    };
    let preset = validate_workload(ctx, raw);

    let mut services: Vec<String> = KNOWN_SERVICES.iter().map(|(n, _)| n.to_string()).collect();
    let features = validate_features(ctx, &raw.feature, &preset, &mut services, files);
    if services.len() > MAX_SERVICES {
        ctx.err(
            &root.key("feature"),
            format!(
                "at most {MAX_SERVICES} distinct Windows services, got {}",
                services.len()
            ),
        );
    }
    let plan = validate_steps(
        ctx,
        &raw.step,
        &services,
        pool.as_ref().map(|p| p.servers),
        horizon,
    );

    let pool = pool?;
    let topology = topology?;
    let resolved = match topology.resolve(pool.servers) {
        Ok(t) => t,
        Err(e) => {
            ctx.err(&root.key("pool").key("upgrade_domains"), e);
            return None;
        }
    };
    let base = RunConfig {
        pool,
        services,
        features: features?,
        plan: plan?,
        horizon: horizon?,
        event_budget,
        sample_interval: sample_interval.filter(|&d| d > SimTime::ZERO),
        topology: resolved,
        utilisation_threshold: utilisation_threshold?,
    };
    check_load(ctx, &base, limits);
    let axes = sweep::validate_axes(ctx, &raw.sweep, &base, limits);
    let expects = validate_expects(ctx, &raw.expect, &axes);
    if !ctx.diags.is_empty() {
        return None;
    }
    let scenario = Scenario {
        name: raw.name.clone().unwrap_or_else(|| ctx.file.to_string()),
        description: raw.description.clone(),
        file: ctx.file.to_string(),
        seed: raw.seed.unwrap_or(1),
        replications,
        base,
        quorum_explicit,
        topology,
        axes,
        expects,
        limits: limits.clone(),
    };
    // Expanding checks the run limits and every combination's consistency up front.
    if let Err(msgs) = sweep::check_expansion(&scenario) {
        for m in msgs {
            ctx.err(&root.key("sweep"), m);
        }
        return None;
    }
    if let Err(m) = sweep::check_timeseries(&scenario) {
        ctx.err(&root.key("sample_interval"), m);
        return None;
    }
    Some(scenario)
}

/// Refuses, before running, a workload that would exhaust memory or the event budget.
fn check_load(ctx: &mut Ctx<'_>, cfg: &RunConfig, limits: &Limits) {
    let root = FieldPath::root();
    let active: f64 = cfg
        .features
        .iter()
        .map(|f| f.arrivals_per_hour / 3600.0 * f.duration.mean_s())
        .sum();
    if active > limits.max_active_sessions {
        ctx.err(
            &root.key("feature"),
            format!(
                "the features would keep about {active:.3e} sessions active at once (arrival rate × \
                 mean duration), beyond the limit of {:.0e}; lower the rates or durations",
                limits.max_active_sessions
            ),
        );
    }
    let hours = cfg.horizon.as_secs_f64() / 3600.0;
    let events: f64 = cfg
        .features
        .iter()
        .map(|f| 2.0 * f.arrivals_per_hour * hours)
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

fn pick<T>(ctx: &mut Ctx<'_>, path: FieldPath, r: Result<T, String>) -> Option<T> {
    match r {
        Ok(v) => Some(v),
        Err(e) => {
            ctx.err(&path, e);
            None
        }
    }
}

fn validate_pool(ctx: &mut Ctx<'_>, raw: &RawPool, limits: &Limits) -> (Option<PoolConfig>, bool) {
    let p = FieldPath::root().key("pool");
    let mut ok = true;
    let servers = match raw.servers {
        None => {
            ctx.err(&p.key("servers"), "is required (number of Front Ends)");
            ok = false;
            1
        }
        Some(n) if n < 1 || n > limits.max_servers as i64 => {
            ctx.err(
                &p.key("servers"),
                format!("must be between 1 and {}, got {n}", limits.max_servers),
            );
            ok = false;
            1
        }
        Some(n) => n as u32,
    };
    let lb = pick(
        ctx,
        p.key("load_balancing"),
        parse_lb(raw.load_balancing.as_deref().unwrap_or("dns")),
    );
    let quorum = match &raw.quorum {
        Some(q) => pick(ctx, p.key("quorum"), parse_quorum(q)),
        None => Some(default_quorum(servers)),
    };
    if let (Some(q), true) = (quorum, ok && raw.quorum.is_some())
        && let Err(e) = check_quorum_size(q, servers)
    {
        ctx.err(&p.key("quorum"), e);
    }
    let max_sessions = match raw.max_sessions_per_server {
        None => None,
        Some(n) if n >= 1 && n <= u32::MAX as i64 => Some(n as u32),
        Some(n) => {
            ctx.err(
                &p.key("max_sessions_per_server"),
                format!("must be at least 1, got {n}"),
            );
            None
        }
    };
    let d = p.key("dns");
    let retry_delay = ctx.duration(
        &d.key("retry_delay"),
        &raw.dns.retry_delay,
        Some(SimTime::from_secs(1)),
    );
    let connect_timeout = ctx.duration(
        &d.key("connect_timeout"),
        &raw.dns.connect_timeout,
        Some(SimTime::from_secs(5)),
    );
    let h = p.key("hardware");
    let algorithm = pick(
        ctx,
        h.key("algorithm"),
        parse_algorithm(raw.hardware.algorithm.as_deref().unwrap_or("round_robin")),
    );
    let monitor = pick(
        ctx,
        h.key("health_monitor"),
        parse_monitor(raw.hardware.health_monitor.as_deref().unwrap_or("port")),
    );
    let detect_delay = ctx.duration(
        &h.key("detect_delay"),
        &raw.hardware.detect_delay,
        Some(SimTime::from_secs(15)),
    );
    let not_redirected = pick(
        ctx,
        h.key("not_redirected"),
        parse_probability(raw.hardware.not_redirected.unwrap_or(1.0)),
    );
    let cfg = (|| {
        Some(PoolConfig {
            servers,
            load_balancing: lb?,
            quorum: quorum?,
            max_sessions_per_server: max_sessions,
            dns: DnsConfig {
                retry_delay: retry_delay?,
                connect_timeout: connect_timeout?,
            },
            hardware: HardwareConfig {
                algorithm: algorithm?,
                health_monitor: monitor?,
                detect_delay: detect_delay?,
                not_redirected: not_redirected?,
            },
        })
    })();
    (cfg.filter(|_| ok), raw.quorum.is_some())
}

fn validate_topology(
    ctx: &mut Ctx<'_>,
    raw: &RawPool,
    servers: Option<u32>,
) -> Option<TopologySpec> {
    let p = FieldPath::root().key("pool");
    let mut ok = true;
    let domains = match &raw.upgrade_domains {
        None => DomainSpec::PerServer,
        Some(toml::Value::Integer(n)) => {
            if *n < 1 || servers.is_some_and(|s| *n > s as i64) {
                ctx.err(
                    &p.key("upgrade_domains"),
                    format!("must be between 1 and the number of servers, got {n}"),
                );
                ok = false;
            }
            DomainSpec::Count((*n).clamp(1, u32::MAX as i64) as u32)
        }
        Some(toml::Value::Array(lists)) => {
            let mut out = Vec::new();
            let mut seen = Vec::new();
            for (i, l) in lists.iter().enumerate() {
                let lp = p.key("upgrade_domains").index(i);
                let Some(items) = l.as_array().filter(|a| !a.is_empty()) else {
                    ctx.err(
                        &lp,
                        "each upgrade domain is a non-empty list of server numbers",
                    );
                    ok = false;
                    continue;
                };
                let mut d = Vec::new();
                for (k, v) in items.iter().enumerate() {
                    match v.as_integer() {
                        Some(s) if s >= 1 && servers.is_none_or(|n| s <= n as i64) => {
                            if seen.contains(&s) {
                                ctx.err(
                                    &lp.index(k),
                                    format!("server {s} is in two upgrade domains"),
                                );
                                ok = false;
                            }
                            seen.push(s);
                            d.push((s - 1) as u32);
                        }
                        _ => {
                            ctx.err(
                                &lp.index(k),
                                format!(
                                    "{v} is not a server of this pool (1 to {})",
                                    servers.unwrap_or(0)
                                ),
                            );
                            ok = false;
                        }
                    }
                }
                out.push(d);
            }
            DomainSpec::Lists(out)
        }
        Some(other) => {
            ctx.err(
                &p.key("upgrade_domains"),
                format!("expected a number of domains or a list of server lists, got {other}"),
            );
            ok = false;
            DomainSpec::PerServer
        }
    };
    let routing_groups = match raw.routing_groups {
        None => 0,
        Some(n) if (0..=100_000).contains(&n) => n as u32,
        Some(n) => {
            ctx.err(
                &p.key("routing_groups"),
                format!("must be between 0 and 100000, got {n}"),
            );
            ok = false;
            0
        }
    };
    let replica_rebuild = ctx.duration(
        &p.key("replica_rebuild"),
        &raw.replica_rebuild,
        Some(SimTime::ZERO),
    );
    ok.then_some(TopologySpec {
        domains,
        routing_groups,
        replica_rebuild: replica_rebuild?,
    })
}

fn validate_workload(ctx: &mut Ctx<'_>, raw: &RawScenario) -> Vec<PresetFeature> {
    let Some(w) = &raw.workload else {
        return Vec::new();
    };
    let p = FieldPath::root().key("workload");
    if !(1..=10_000_000).contains(&w.users) {
        ctx.err(
            &p.key("users"),
            format!("must be between 1 and 10,000,000, got {}", w.users),
        );
        return Vec::new();
    }
    match w.preset.as_str() {
        "lync2013" => workload::lync2013(w.users as f64),
        other => {
            ctx.err(
                &p.key("preset"),
                format!("unknown preset \"{other}\"; expected \"lync2013\""),
            );
            Vec::new()
        }
    }
}

fn validate_features(
    ctx: &mut Ctx<'_>,
    raw: &[RawFeature],
    preset: &[PresetFeature],
    services: &mut Vec<String>,
    files: &dyn FileSource,
) -> Option<Vec<Feature>> {
    let root = FieldPath::root().key("feature");
    if raw.is_empty() && preset.is_empty() {
        ctx.err(&root, "no features: add at least one [[feature]] with a name, arrivals_per_hour and duration (or a [workload] preset)");
        return None;
    }
    // Preset features first (in the preset's order, each overridden by a [[feature]] of the
    // same name), then the file's other features in file order.
    let mut items: Vec<(Option<usize>, Option<&PresetFeature>)> = preset
        .iter()
        .map(|pf| (raw.iter().position(|r| r.name.trim() == pf.name), Some(pf)))
        .collect();
    for (i, r) in raw.iter().enumerate() {
        if !preset.iter().any(|pf| pf.name == r.name.trim()) {
            items.push((Some(i), None));
        }
    }
    let empty = RawFeature::default();
    let mut out = Vec::new();
    let mut ok = true;
    for (ri, pf) in items {
        let (rf, p) = match ri {
            Some(i) => (&raw[i], root.index(i)),
            None => (&empty, FieldPath::root().key("workload")),
        };
        if rf.enabled == Some(false) {
            continue;
        }
        let owned_name;
        let name = match pf {
            Some(pf) => pf.name,
            None => {
                owned_name = rf.name.trim().to_string();
                owned_name.as_str()
            }
        };
        if name.is_empty()
            || !name
                .chars()
                .all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '-')
        {
            ctx.err(
                &p.key("name"),
                format!(
                    "{:?} is not a valid feature name (letters, digits, _ and -)",
                    rf.name
                ),
            );
            ok = false;
            continue;
        }
        if name == "all" {
            ctx.err(
                &p.key("name"),
                "\"all\" is reserved for the total row of the summary",
            );
            ok = false;
        }
        if ri.is_some_and(|i| raw[..i].iter().any(|o| o.name.trim() == name)) {
            ctx.err(
                &p.key("name"),
                format!("feature \"{name}\" is defined twice"),
            );
            ok = false;
        }
        let cat = catalogue_entry(name);
        let service_name = match (&rf.service, cat) {
            (Some(s), _) => s.trim().to_string(),
            (None, Some(c)) => c.service.to_string(),
            (None, None) => {
                ctx.err(
                    &p.key("service"),
                    format!("feature \"{name}\" is not in the catalogue (see `drainsim features`), so its Windows `service` is required"),
                );
                ok = false;
                continue;
            }
        };
        if service_name.is_empty()
            || !service_name
                .chars()
                .all(|c| c.is_ascii_alphanumeric() || c == '_')
        {
            ctx.err(
                &p.key("service"),
                format!("{service_name:?} is not a valid Windows service name"),
            );
            ok = false;
            continue;
        }
        let service = match services.iter().position(|s| *s == service_name) {
            Some(ix) => ix,
            None => {
                services.push(service_name.clone());
                services.len() - 1
            }
        };
        let needs_dns_lb = rf
            .needs_dns_lb
            .or(cat.map(|c| c.needs_dns_lb))
            .unwrap_or(false);
        let on_loss = match rf.on_server_loss.as_deref() {
            Some(v) => match one_of(
                v,
                &[("dropped", OnLoss::Dropped), ("recovers", OnLoss::Recovers)],
            ) {
                Ok(o) => o,
                Err(e) => {
                    ctx.err(&p.key("on_server_loss"), e);
                    ok = false;
                    OnLoss::Dropped
                }
            },
            None => cat.map_or(OnLoss::Dropped, |c| c.on_loss),
        };
        let rate = match rf.arrivals_per_hour.or(pf.map(|p| p.arrivals_per_hour)) {
            None => {
                ctx.err(
                    &p.key("arrivals_per_hour"),
                    "is required (pool-wide Poisson rate per hour)",
                );
                ok = false;
                0.0
            }
            Some(r) if !(r.is_finite() && r > 0.0) => {
                ctx.err(
                    &p.key("arrivals_per_hour"),
                    format!("must be a finite number > 0, got {r}"),
                );
                ok = false;
                0.0
            }
            Some(r) => r,
        };
        let duration = match (&rf.duration, pf) {
            (None, Some(pf)) => match HoldingTime::new(pf.duration.clone()) {
                Ok(h) => Some(h),
                Err(e) => {
                    ctx.err(&p, e);
                    None
                }
            },
            (None, None) => {
                ctx.err(
                    &p.key("duration"),
                    "is required, e.g. { distribution = \"exponential\", mean = \"3m\" }",
                );
                None
            }
            (Some(d), _) => validate_dist(ctx, &p.key("duration"), d, files),
        };
        let max_per_server = match rf.max_per_server {
            None => pf.and_then(|p| p.max_per_server),
            Some(n) if n >= 1 && n <= u32::MAX as i64 => Some(n as u32),
            Some(n) => {
                ctx.err(
                    &p.key("max_per_server"),
                    format!("must be at least 1, got {n}"),
                );
                ok = false;
                None
            }
        };
        let Some(duration) = duration else {
            ok = false;
            continue;
        };
        out.push(Feature {
            name: name.to_string(),
            service,
            needs_dns_lb,
            on_loss,
            arrivals_per_hour: rate,
            duration,
            max_per_server,
            needs_front_end: rf.needs_front_end.unwrap_or(true),
        });
    }
    ok.then_some(out)
}

fn validate_dist(
    ctx: &mut Ctx<'_>,
    p: &FieldPath,
    d: &RawDist,
    files: &dyn FileSource,
) -> Option<HoldingTime> {
    let secs = |ctx: &mut Ctx<'_>, key: &str, v: &str| -> Option<f64> {
        match parse_duration(v) {
            Ok(t) => Some(t.as_secs_f64()),
            Err(e) => {
                ctx.err(&p.key(key), e);
                None
            }
        }
    };
    let kind = match d {
        RawDist::Exponential { mean } => DistKind::Exponential {
            mean_s: secs(ctx, "mean", mean)?,
        },
        RawDist::Lognormal {
            median,
            sigma,
            mean,
            cv,
        } => match (median, sigma, mean, cv) {
            (Some(median), Some(sigma), None, None) => {
                let m = secs(ctx, "median", median)?;
                if m <= 0.0 {
                    ctx.err(&p.key("median"), "must be longer than zero");
                    return None;
                }
                DistKind::LogNormal {
                    mu: m.ln(),
                    sigma: *sigma,
                }
            }
            (None, None, Some(mean), Some(cv)) => {
                let m = secs(ctx, "mean", mean)?;
                if m <= 0.0 || !(cv.is_finite() && *cv > 0.0) {
                    ctx.err(
                        p,
                        format!("mean must be > 0 and cv a finite number > 0 (got cv = {cv})"),
                    );
                    return None;
                }
                let sigma2 = (1.0 + cv * cv).ln();
                if !(sigma2.is_finite() && sigma2 > 0.0) {
                    // cv² overflows (or underflows to nothing): say so in the user's terms
                    // rather than as a bad sigma they never wrote.
                    ctx.err(
                        &p.key("cv"),
                        format!("cv = {cv} is out of range; use a cv between about 1e-7 and 1e150"),
                    );
                    return None;
                }
                DistKind::LogNormal {
                    mu: m.ln() - sigma2 / 2.0,
                    sigma: sigma2.sqrt(),
                }
            }
            _ => {
                ctx.err(
                    p,
                    "lognormal takes either `median` and `sigma`, or `mean` and `cv`",
                );
                return None;
            }
        },
        RawDist::Deterministic { value } => DistKind::Deterministic {
            value_s: secs(ctx, "value", value)?,
        },
        RawDist::Uniform { min, max } => {
            let a = secs(ctx, "min", min);
            let b = secs(ctx, "max", max);
            DistKind::Uniform {
                min_s: a?,
                max_s: b?,
            }
        }
        RawDist::Gamma { mean, shape } => DistKind::Gamma {
            mean_s: secs(ctx, "mean", mean)?,
            shape: *shape,
        },
        RawDist::Weibull { scale, shape } => DistKind::Weibull {
            scale_s: secs(ctx, "scale", scale)?,
            shape: *shape,
        },
        RawDist::Empirical { file } => {
            let text = match files.read(file) {
                Ok(t) => t,
                Err(e) => {
                    ctx.err(&p.key("file"), e);
                    return None;
                }
            };
            match parse_empirical(&text) {
                Ok(v) => DistKind::Empirical {
                    values_s: Arc::from(v),
                },
                Err(e) => {
                    ctx.err(&p.key("file"), format!("{file}: {e}"));
                    return None;
                }
            }
        }
    };
    if let DistKind::Gamma { mean_s, shape } = kind
        && shape > 0.0
        && !(mean_s / shape).is_finite()
    {
        ctx.err(
            &p.key("shape"),
            format!("shape {shape} is too small for a mean of {mean_s} s (the scale mean/shape overflows)"),
        );
        return None;
    }
    match HoldingTime::new(kind) {
        Ok(h) if !h.mean_s().is_finite() => {
            ctx.err(
                p,
                format!(
                    "{} has no finite mean in floating point; choose less extreme parameters",
                    h.describe()
                ),
            );
            None
        }
        Ok(h) => Some(h),
        Err(e) => {
            // The model names the parameter first ("sigma must be ..."): point at it.
            let key = ["mean", "sigma", "shape", "scale", "value", "min", "max"]
                .into_iter()
                .find(|k| e.starts_with(&format!("{k} must")));
            match key {
                Some(k) => ctx.err(&p.key(k), e),
                None => ctx.err(p, e),
            }
            None
        }
    }
}

/// Reads an empirical-durations CSV: the first column of each row, in seconds or as a duration
/// string; an optional header row (first row not a number) is skipped.
pub fn parse_empirical(text: &str) -> Result<Vec<f64>, String> {
    let mut rdr = csv::ReaderBuilder::new()
        .has_headers(false)
        .flexible(true)
        .trim(csv::Trim::All)
        .from_reader(text.as_bytes());
    let mut out = Vec::new();
    for (i, rec) in rdr.records().enumerate() {
        let rec = rec.map_err(|e| format!("line {}: {e}", i + 1))?;
        let Some(cell) = rec.get(0) else { continue };
        if cell.is_empty() {
            continue;
        }
        let v = match cell.parse::<f64>() {
            Ok(v) => v,
            Err(_) => match parse_duration(cell) {
                Ok(t) => t.as_secs_f64(),
                Err(_) if i == 0 => continue, // header
                Err(_) => return Err(format!("line {}: {cell:?} is not a duration", i + 1)),
            },
        };
        if !(v.is_finite() && v >= 0.0) {
            return Err(format!(
                "line {}: {cell:?} is not a non-negative duration",
                i + 1
            ));
        }
        out.push(v);
    }
    if out.is_empty() {
        return Err("no durations found".into());
    }
    Ok(out)
}

fn validate_steps(
    ctx: &mut Ctx<'_>,
    raw: &[RawStep],
    services: &[String],
    servers: Option<u32>,
    horizon: Option<SimTime>,
) -> Option<Vec<Step>> {
    let root = FieldPath::root().key("step");
    let mut out = Vec::new();
    let mut ok = true;
    const ACTIONS: &[&str] = &[
        "pause",
        "resume",
        "stop_graceful",
        "stop",
        "start",
        "restart",
        "set_startup",
        "wait",
        "wait_until_drained",
        "rolling_restart",
        "failover",
        "failback",
    ];
    for (i, rs) in raw.iter().enumerate() {
        let p = root.index(i);
        let before = ctx.diags.len();
        let action = rs.action.as_str();
        if !ACTIONS.contains(&action) {
            let list: Vec<String> = ACTIONS.iter().map(|a| format!("\"{a}\"")).collect();
            ctx.err(
                &p.key("action"),
                format!(
                    "unknown action \"{action}\"; expected one of {}",
                    list.join(", ")
                ),
            );
            ok = false;
            continue;
        }
        let at = match &rs.at {
            None => None,
            Some(_) => ctx.duration(&p.key("at"), &rs.at, None),
        };
        if let (Some(a), Some(h)) = (at, horizon)
            && a >= h
        {
            ctx.err(&p.key("at"), format!("{a} is not before the horizon ({h})"));
        }
        // Which optional fields this action takes.
        let takes = |f: &str| -> bool {
            match f {
                "server" | "servers" => !matches!(action, "wait" | "rolling_restart"),
                "services" => !matches!(
                    action,
                    "wait" | "restart" | "rolling_restart" | "failover" | "failback"
                ),
                "duration" => action == "wait",
                "downtime" => matches!(action, "restart" | "rolling_restart"),
                "startup" => action == "set_startup",
                "timeout" => matches!(action, "wait_until_drained" | "rolling_restart"),
                "wait_time" => action == "failover",
                _ => true,
            }
        };
        let given = [
            ("server", rs.server.is_some()),
            ("servers", rs.servers.is_some()),
            ("services", rs.services.is_some()),
            ("duration", rs.duration.is_some()),
            ("downtime", rs.downtime.is_some()),
            ("startup", rs.startup.is_some()),
            ("timeout", rs.timeout.is_some()),
            ("wait_time", rs.wait_time.is_some()),
        ];
        for (f, g) in given {
            if g && !takes(f) {
                ctx.err(
                    &p.key(f),
                    format!("`{f}` does not apply to action \"{action}\""),
                );
            }
        }
        let mut server_list = Vec::new();
        if !matches!(action, "wait" | "rolling_restart") {
            match (rs.server, &rs.servers) {
                (Some(_), Some(_)) => {
                    ctx.err(&p.key("servers"), "give `server` or `servers`, not both")
                }
                (None, None) => ctx.err(
                    &p,
                    format!("action \"{action}\" needs `server` (or `servers`)"),
                ),
                (Some(s), None) => server_list.push((p.key("server"), s)),
                (None, Some(list)) => {
                    if list.is_empty() {
                        ctx.err(&p.key("servers"), "is empty");
                    }
                    for (k, &s) in list.iter().enumerate() {
                        server_list.push((p.key("servers").index(k), s));
                    }
                }
            }
        }
        let mut server_ids = Vec::new();
        for (sp, s) in server_list {
            match servers {
                Some(n) if s < 1 || s > n as i64 => ctx.err(
                    &sp,
                    format!("server {s} does not exist: servers are numbered 1 to {n}"),
                ),
                None if s < 1 => ctx.err(
                    &sp,
                    format!("server {s} does not exist: servers are numbered from 1"),
                ),
                _ => {
                    if server_ids.contains(&((s - 1) as u32)) {
                        ctx.err(&sp, format!("server {s} is listed twice"));
                    }
                    server_ids.push((s - 1) as u32);
                }
            }
        }
        let mut mask = ServiceMask::ALL;
        if let Some(list) = &rs.services {
            mask = ServiceMask(0);
            if list.is_empty() {
                ctx.err(
                    &p.key("services"),
                    "is empty; leave it out to mean every service",
                );
            }
            for (k, name) in list.iter().enumerate() {
                match services
                    .iter()
                    .position(|s| s.eq_ignore_ascii_case(name.trim()))
                {
                    // Beyond MAX_SERVICES the file is already refused (`feature`): a mask
                    // has no bit for the service, and shifting past 63 would overflow.
                    Some(ix) if ix < MAX_SERVICES => mask.0 |= 1u64 << ix,
                    Some(_) => {}
                    None => ctx.err(
                        &p.key("services").index(k),
                        format!(
                            "unknown Windows service \"{name}\"; known: {}",
                            services.join(", ")
                        ),
                    ),
                }
            }
        }
        let target = Target {
            servers: server_ids.clone(),
            services: mask,
        };
        let act = match action {
            "pause" => Some(Action::Pause(target)),
            "resume" => Some(Action::Resume(target)),
            "stop_graceful" => Some(Action::StopGraceful(target)),
            "stop" => Some(Action::Stop(target)),
            "start" => Some(Action::Start(target)),
            "restart" => ctx
                .duration(
                    &p.key("downtime"),
                    &rs.downtime,
                    Some(SimTime::from_secs(600)),
                )
                .map(|downtime| Action::Restart {
                    servers: server_ids,
                    downtime,
                }),
            "set_startup" => match rs.startup.as_deref() {
                None => {
                    ctx.err(
                        &p.key("startup"),
                        "is required: \"automatic\", \"manual\" or \"disabled\"",
                    );
                    None
                }
                Some(v) => match one_of(
                    v,
                    &[
                        ("automatic", StartupType::Automatic),
                        ("manual", StartupType::Manual),
                        ("disabled", StartupType::Disabled),
                    ],
                ) {
                    Ok(startup) => Some(Action::SetStartup { target, startup }),
                    Err(e) => {
                        ctx.err(&p.key("startup"), e);
                        None
                    }
                },
            },
            "wait" => ctx
                .duration(&p.key("duration"), &rs.duration, None)
                .map(|duration| Action::Wait { duration }),
            "rolling_restart" => {
                let downtime = ctx.duration(
                    &p.key("downtime"),
                    &rs.downtime,
                    Some(SimTime::from_secs(600)),
                );
                let timeout = match &rs.timeout {
                    None => Some(None),
                    Some(_) => ctx
                        .positive_duration(&p.key("timeout"), &rs.timeout, None)
                        .map(Some),
                };
                match (downtime, timeout) {
                    (Some(downtime), Some(drain_timeout)) => Some(Action::RollingRestart {
                        downtime,
                        drain_timeout,
                    }),
                    _ => None,
                }
            }
            "failover" => ctx
                .positive_duration(
                    &p.key("wait_time"),
                    &rs.wait_time,
                    Some(SimTime::from_secs(3600)),
                )
                .map(|wait_time| Action::Failover {
                    servers: server_ids,
                    wait_time,
                }),
            "failback" => Some(Action::Failback {
                servers: server_ids,
            }),
            "wait_until_drained" => {
                let timeout = match &rs.timeout {
                    None => Some(None),
                    Some(_) => ctx
                        .positive_duration(&p.key("timeout"), &rs.timeout, None)
                        .map(Some),
                };
                timeout.map(|timeout| Action::WaitUntilDrained { target, timeout })
            }
            _ => None,
        };
        if ctx.diags.len() != before {
            ok = false;
        }
        if let Some(action) = act {
            out.push(Step { at, action });
        }
    }
    ok.then_some(out)
}

fn value_label(v: &toml::Value) -> Option<String> {
    match v {
        toml::Value::String(s) => Some(s.clone()),
        toml::Value::Integer(i) => Some(i.to_string()),
        toml::Value::Float(f) => Some(f.to_string()),
        toml::Value::Boolean(b) => Some(b.to_string()),
        _ => None,
    }
}

fn validate_expects(ctx: &mut Ctx<'_>, raw: &[toml::Table], axes: &[Axis]) -> Vec<Expectation> {
    let root = FieldPath::root().key("expect");
    let mut out = Vec::new();
    let selector_cols: Vec<String> = ["run", "feature", "load_balancing"]
        .iter()
        .map(|s| s.to_string())
        .chain(axes.iter().map(|a| a.column().to_string()))
        .collect();
    for (i, t) in raw.iter().enumerate() {
        let p = root.index(i);
        let mut selectors = Vec::new();
        let mut bounds = Vec::new();
        for (k, v) in t {
            let kp = p.key(k);
            if let toml::Value::Table(b) = v {
                if !crate::stats::is_summary_column(k) {
                    ctx.err(&kp, format!("\"{k}\" is not a numeric column of summary.csv (e.g. cut_mean, blocked_mean, cut_ci95_high)"));
                    continue;
                }
                let mut bound = Bound {
                    column: k.clone(),
                    min: None,
                    max: None,
                    approx: None,
                };
                let mut tol = None;
                for (bk, bv) in b {
                    let num = match bv {
                        toml::Value::Float(f) => Some(*f),
                        toml::Value::Integer(n) => Some(*n as f64),
                        _ => None,
                    };
                    let Some(x) = num.filter(|x| x.is_finite()) else {
                        ctx.err(&kp.key(bk), "must be a finite number");
                        continue;
                    };
                    match bk.as_str() {
                        "min" => bound.min = Some(x),
                        "max" => bound.max = Some(x),
                        "approx" => bound.approx = Some((x, 0.0)),
                        "tolerance" => tol = Some(x),
                        _ => ctx.err(
                            &kp.key(bk),
                            format!(
                                "unknown bound \"{bk}\"; expected min, max, approx (with tolerance)"
                            ),
                        ),
                    }
                }
                match (bound.approx, tol) {
                    (Some((x, _)), Some(t)) if t >= 0.0 => bound.approx = Some((x, t)),
                    (Some(_), _) => ctx.err(&kp, "`approx` needs a `tolerance` >= 0"),
                    (None, Some(_)) => {
                        ctx.err(&kp.key("tolerance"), "`tolerance` goes with `approx`")
                    }
                    (None, None) => {}
                }
                if bound.min.is_none() && bound.max.is_none() && bound.approx.is_none() {
                    ctx.err(&kp, "needs at least one of min, max, approx");
                }
                bounds.push(bound);
            } else if selector_cols.iter().any(|c| c == k) {
                match value_label(v) {
                    Some(l) => selectors.push((k.clone(), l)),
                    None => ctx.err(&kp, "a selector must be a string, number or boolean"),
                }
            } else {
                ctx.err(
                    &kp,
                    format!("unknown key \"{k}\": select rows by {} or bound a summary column with a table such as {{ max = 0.5 }}", selector_cols.join(", ")),
                );
            }
        }
        if bounds.is_empty() {
            ctx.err(
                &p,
                "an expectation needs at least one bound, e.g. cut_mean = { max = 0.5 }",
            );
        }
        out.push(Expectation {
            index: i,
            location: ctx.location(&p),
            selectors,
            bounds,
        });
    }
    out
}
