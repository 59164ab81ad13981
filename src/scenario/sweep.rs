//! Sweep axes (docs/scenario.md): every combination of axis values is one run. This module
//! reads `[sweep]` into [`Axis`] values, each held to the same [`Limits`] as the field it
//! varies, and applies one value to a run's configuration; `expand` makes the runs.

use super::ctx::{
    Ctx, Limits, check_quorum_size, default_quorum, did_you_mean, parse_algorithm, parse_lb,
    parse_monitor, parse_probability, parse_quorum, session_cap,
};
use super::ctx::{parse_clients, parse_duration_hinted, parse_fraction, parse_persistence};
use super::span::FieldPath;
use crate::engine::SimTime;
use crate::model::profile::{DAY_S, format_clock, parse_clock};
use crate::model::{Action, LoadBalancing, Member, PoolConfig, RunConfig, Step};

/// A named set of features.
#[derive(Debug, Clone, PartialEq)]
pub struct FeatureSet {
    /// Label in reports (`response_group+call_park`, or `base` for no UCAS feature).
    pub label: String,
    /// Feature names.
    pub features: Vec<String>,
}

/// One value of one axis.
#[derive(Debug, Clone, PartialEq)]
pub enum AxisValue {
    /// `load_balancing`.
    LoadBalancing(LoadBalancing),
    /// `servers`.
    Servers(u32),
    /// `wait`: replaces every `wait` step's duration.
    Wait(SimTime),
    /// `feature_sets`.
    FeatureSet(FeatureSet),
    /// A `pool.*` scalar, by dotted path.
    Pool(toml::Value),
    /// `paused_servers`: every step that names servers acts on FE 1..=k instead (capacity
    /// studies: how many servers can be drained at once).
    PausedServers(u32),
    /// `start`: the wall-clock time of day (seconds after midnight) of the plan's first step.
    /// The clock moves, not the plan: `clock_start` becomes this time minus the first step's
    /// `at`, so the warm-up keeps its length and every step its offset.
    Start(f64),
    /// `upgrade_domains`: the pool's servers in this many contiguous upgrade domains.
    UpgradeDomains(u32),
    /// `lb_before_pause`: the member state set on the load balancer just before every
    /// `pause` (and `lb_enable` after the server's restart), R14.
    LbBeforePause(Member),
    /// `case`: one labelled combination of other axes' values.
    Case(Case),
}

/// One value of the `case` axis: a label and a value of each axis it sets.
#[derive(Debug, Clone, PartialEq)]
pub struct Case {
    /// Label in reports (the `case` column).
    pub label: String,
    /// The axes it sets, in the order written, each with one value.
    pub values: Vec<Axis>,
}

/// A sweep axis.
#[derive(Debug, Clone, PartialEq)]
pub struct Axis {
    /// Key as written (`load_balancing`, `pool.hardware.not_redirected`).
    pub key: String,
    /// Values in file order.
    pub values: Vec<AxisValue>,
}

impl Axis {
    /// The column this axis adds to every CSV.
    pub fn column(&self) -> &str {
        match self.key.as_str() {
            "wait" => "wait_s",
            "feature_sets" => "feature_set",
            k => k,
        }
    }

    /// The label of value `i` in its column.
    pub fn label(&self, i: usize) -> String {
        match &self.values[i] {
            AxisValue::LoadBalancing(lb) => lb.name().to_string(),
            AxisValue::Servers(n) | AxisValue::PausedServers(n) | AxisValue::UpgradeDomains(n) => {
                n.to_string()
            }
            AxisValue::LbBeforePause(m) => lb_before_pause_name(*m).to_string(),
            AxisValue::Case(c) => c.label.clone(),
            AxisValue::Wait(d) => format!("{}", d.0 / SimTime::SECOND),
            AxisValue::Start(t) => format_clock(*t),
            AxisValue::FeatureSet(fs) => fs.label.clone(),
            AxisValue::Pool(v) => match v {
                toml::Value::String(s) => s.clone(),
                other => other.to_string(),
            },
        }
    }
}

/// The axes that are not `pool.*` paths, in the order messages list them.
const AXES: &[&str] = &[
    "load_balancing",
    "servers",
    "wait",
    "feature_sets",
    "paused_servers",
    "start",
    "upgrade_domains",
    "lb_before_pause",
    "case",
];

/// The `pool.*` scalars that can be swept.
const POOL_KEYS: &[&str] = &[
    "pool.servers",
    "pool.load_balancing",
    "pool.quorum",
    "pool.max_sessions_per_server",
    "pool.dns.retry_delay",
    "pool.dns.connect_timeout",
    "pool.hardware.algorithm",
    "pool.hardware.health_monitor",
    "pool.hardware.detect_delay",
    "pool.hardware.not_redirected",
    "pool.dns.ttl",
    "pool.dns.failover_clients",
    "pool.hardware.persistence",
    "pool.hardware.persistence_timeout",
    "pool.hardware.clients",
    "pool.readiness_retry",
    "pool.ready_wait",
    "pool.max_busy",
];

impl Axis {
    /// Applies value `i` of this axis to a run's configuration. `quorum_explicit`: whether the
    /// file names a quorum (else it follows the pool size).
    pub(super) fn apply(
        &self,
        i: usize,
        cfg: &mut RunConfig,
        quorum_explicit: bool,
        limits: &Limits,
    ) -> Result<(), String> {
        match &self.values[i] {
            AxisValue::LoadBalancing(lb) => cfg.pool.load_balancing = *lb,
            AxisValue::Servers(n) => {
                let n = toml::Value::Integer(i64::from(*n));
                set_pool(&mut cfg.pool, "pool.servers", &n, quorum_explicit, limits)?
            }
            AxisValue::Wait(d) => {
                for step in &mut cfg.plan {
                    if let Action::Wait { duration } = &mut step.action {
                        *duration = *d;
                    }
                }
            }
            AxisValue::FeatureSet(fs) => cfg.features.retain(|f| fs.features.contains(&f.name)),
            AxisValue::Pool(v) => set_pool(&mut cfg.pool, &self.key, v, quorum_explicit, limits)?,
            AxisValue::PausedServers(k) => {
                let first: Vec<u32> = (0..*k).collect();
                for step in &mut cfg.plan {
                    step.action.set_servers(&first);
                }
            }
            AxisValue::Start(t) => {
                let warm_up = cfg.plan.first().and_then(|s| s.at).unwrap_or(SimTime::ZERO);
                cfg.clock_start_s = (t - warm_up.as_secs_f64()).rem_euclid(DAY_S);
            }
            // Resolved with the topology when the run is expanded.
            AxisValue::UpgradeDomains(_) => {}
            AxisValue::LbBeforePause(state) => lb_before_pause(&mut cfg.plan, *state),
            AxisValue::Case(c) => {
                for axis in &c.values {
                    axis.apply(0, cfg, quorum_explicit, limits)?;
                }
            }
        }
        Ok(())
    }

    /// Whether this axis may change a run's load balancing (or the features that decide
    /// whether a hardware load balancer carries web traffic).
    pub(super) fn changes_load_balancing(&self) -> bool {
        matches!(
            self.key.as_str(),
            "load_balancing" | "pool.load_balancing" | "case" | "feature_sets" | "lb_before_pause"
        )
    }

    /// The number of upgrade domains value `i` sets, if this axis (or case) sets one.
    pub(super) fn upgrade_domains(&self, i: usize) -> Option<u32> {
        match &self.values[i] {
            AxisValue::UpgradeDomains(d) => Some(*d),
            AxisValue::Case(c) => c.values.iter().find_map(|a| a.upgrade_domains(0)),
            _ => None,
        }
    }
}

/// The word for an `lb_before_pause` value.
fn lb_before_pause_name(m: Member) -> &'static str {
    match m {
        Member::Enabled => "none",
        Member::Disabled => "disable",
        Member::ForcedOffline => "force_offline",
    }
}

/// Sets `state` on the load balancer just before every `pause` (on the paused servers, at the
/// pause's time) and enables the members again after every `restart` of them.
fn lb_before_pause(plan: &mut Vec<Step>, state: Member) {
    if state == Member::Enabled {
        return;
    }
    let mut out = Vec::with_capacity(plan.len() + 4);
    let mut held: Vec<u32> = Vec::new();
    for step in plan.drain(..) {
        match &step.action {
            Action::Pause(t) => {
                for s in &t.servers {
                    if !held.contains(s) {
                        held.push(*s);
                    }
                }
                out.push(Step {
                    at: step.at,
                    action: Action::LbMember {
                        servers: t.servers.clone(),
                        state,
                    },
                });
                out.push(Step { at: None, ..step });
            }
            Action::Restart { servers, .. } => {
                let back: Vec<u32> = servers
                    .iter()
                    .copied()
                    .filter(|s| held.contains(s))
                    .collect();
                out.push(step);
                if !back.is_empty() {
                    held.retain(|s| !back.contains(s));
                    out.push(Step {
                        at: None,
                        action: Action::LbMember {
                            servers: back,
                            state: Member::Enabled,
                        },
                    });
                }
            }
            _ => out.push(step),
        }
    }
    *plan = out;
}

/// Sets the `pool.*` scalar `key` to `v`, with the checks the field gets in `[pool]`.
fn set_pool(
    pool: &mut PoolConfig,
    key: &str,
    v: &toml::Value,
    quorum_explicit: bool,
    limits: &Limits,
) -> Result<(), String> {
    let s = || {
        v.as_str()
            .ok_or_else(|| format!("expected a string, got {v}"))
    };
    let int = || {
        v.as_integer()
            .ok_or_else(|| format!("expected an integer, got {v}"))
    };
    let dur = || s().and_then(parse_duration_hinted);
    let num = || {
        v.as_float()
            .or_else(|| v.as_integer().map(|i| i as f64))
            .ok_or_else(|| format!("expected a number, got {v}"))
    };
    match key {
        "pool.servers" => set_servers(pool, int()?, quorum_explicit, limits)?,
        "pool.load_balancing" => pool.load_balancing = parse_lb(s()?)?,
        "pool.quorum" => {
            pool.quorum = parse_quorum(s()?)?;
            check_quorum_size(pool.quorum, pool.servers)?;
        }
        "pool.max_sessions_per_server" => pool.max_sessions_per_server = Some(session_cap(int()?)?),
        "pool.dns.retry_delay" => pool.dns.retry_delay = dur()?,
        "pool.dns.connect_timeout" => pool.dns.connect_timeout = dur()?,
        "pool.hardware.algorithm" => pool.hardware.algorithm = parse_algorithm(s()?)?,
        "pool.hardware.health_monitor" => pool.hardware.health_monitor = parse_monitor(s()?)?,
        "pool.hardware.detect_delay" => pool.hardware.detect_delay = dur()?,
        "pool.hardware.not_redirected" => pool.hardware.not_redirected = parse_probability(num()?)?,
        "pool.dns.ttl" => pool.dns.ttl = dur()?,
        "pool.dns.failover_clients" => pool.dns.failover_clients = parse_fraction(num()?)?,
        "pool.hardware.persistence" => pool.hardware.persistence = parse_persistence(s()?)?,
        "pool.hardware.persistence_timeout" => {
            pool.hardware.persistence_timeout = dur()?;
            if pool.hardware.persistence_timeout == SimTime::ZERO {
                return Err("must be longer than zero".into());
            }
        }
        "pool.hardware.clients" => pool.hardware.clients = Some(parse_clients(int()?)?),
        "pool.readiness_retry" => {
            pool.rolling.readiness_retry = dur()?;
            if pool.rolling.readiness_retry == SimTime::ZERO {
                return Err("must be longer than zero".into());
            }
        }
        "pool.ready_wait" => pool.rolling.ready_wait = dur()?,
        "pool.max_busy" => {
            pool.rolling.max_busy = u32::try_from(int()?)
                .ok()
                .filter(|n| (1..=1000).contains(n))
                .ok_or_else(|| {
                    format!("expected a number of Busy answers from 1 to 1000, got {v}")
                })?
        }
        _ => return Err(format!("\"{key}\" cannot be swept")),
    }
    if pool.hardware.persistence == crate::model::Persistence::SourceAddress
        && pool.hardware.clients.is_none()
    {
        return Err("\"source_address\" persistence needs `clients` ([pool.hardware])".into());
    }
    Ok(())
}

/// Sets the pool size, and the quorum that follows it unless the file names one.
fn set_servers(
    pool: &mut PoolConfig,
    n: i64,
    quorum_explicit: bool,
    limits: &Limits,
) -> Result<(), String> {
    if pool.names.is_named() && n != i64::from(pool.servers) {
        return Err(format!(
            "`[pool] servers` names {} Front Ends, so the pool size cannot change to {n}: \
             write servers as a count to sweep the pool size",
            pool.servers
        ));
    }
    pool.servers = limits.pool_size(n).ok_or_else(|| {
        format!(
            "servers must be between 1 and {}, got {n}",
            limits.max_servers
        )
    })?;
    if !quorum_explicit {
        pool.quorum = default_quorum(pool.servers);
    }
    check_quorum_size(pool.quorum, pool.servers)
}

/// Flattens `[sweep] pool.hardware.x = [...]` (nested tables) into dotted keys.
fn flatten<'a>(
    prefix: &str,
    t: &'a toml::Table,
    out: &mut Vec<(String, FieldPath, &'a toml::Value)>,
    path: &FieldPath,
) {
    for (k, v) in t {
        let key = if prefix.is_empty() {
            k.clone()
        } else {
            format!("{prefix}.{k}")
        };
        let p = path.key(k);
        match v {
            toml::Value::Table(inner) if k == "pool" || prefix.starts_with("pool") => {
                flatten(&key, inner, out, &p)
            }
            _ => out.push((key, p, v)),
        }
    }
}

/// Reads `[sweep]` into axes in file order, every problem recorded in `ctx`.
pub(super) fn validate_axes(
    ctx: &mut Ctx<'_>,
    raw: &toml::Table,
    base: &RunConfig,
    limits: &Limits,
) -> Vec<Axis> {
    let mut items = Vec::new();
    flatten("", raw, &mut items, &FieldPath::root().key("sweep"));
    let sweep = Sweep::new(base, limits);
    let mut axes = Vec::new();
    for (key, p, v) in items {
        if !AXES.contains(&key.as_str()) && !POOL_KEYS.contains(&key.as_str()) {
            // Said first, whatever the value: "is empty" or "must be an array" would hide it.
            ctx.err(&p, unknown_axis(&key));
            continue;
        }
        let values = sweep.values(ctx, &key, &p, v);
        if key == "wait"
            && !base
                .plan
                .iter()
                .any(|s| matches!(s.action, Action::Wait { .. }))
        {
            ctx.err(&p, "the plan has no `wait` step for this axis to change");
        }
        if key == "start" && base.plan.is_empty() {
            ctx.err(
                &p,
                "the scenario has no plan (`[[step]]`) for this axis to place",
            );
        }
        if !values.is_empty() {
            axes.push(Axis { key, values });
        }
    }
    axes
}

fn unknown_axis(key: &str) -> String {
    format!(
        "unknown sweep axis \"{key}\"; expected {} or one of {}{}",
        AXES.join(", "),
        POOL_KEYS.join(", "),
        did_you_mean(key, AXES.iter().chain(POOL_KEYS).copied())
    )
}

/// What axis values are checked against: the run before the sweep and the limits.
struct Sweep<'a> {
    base: &'a RunConfig,
    limits: &'a Limits,
    /// Features that do not need DNS load balancing: in every generated feature set.
    core: Vec<String>,
    /// Features that need DNS load balancing (UCAS): what generated feature sets vary.
    ucas: Vec<String>,
}

impl<'a> Sweep<'a> {
    fn new(base: &'a RunConfig, limits: &'a Limits) -> Self {
        let names = |dns: bool| -> Vec<String> {
            base.features
                .iter()
                .filter(|f| f.needs_dns_lb == dns)
                .map(|f| f.name.clone())
                .collect()
        };
        Sweep {
            base,
            limits,
            core: names(false),
            ucas: names(true),
        }
    }

    /// The values of axis `key` (a known axis) written as `v` at `p`.
    fn values(
        &self,
        ctx: &mut Ctx<'_>,
        key: &str,
        p: &FieldPath,
        v: &toml::Value,
    ) -> Vec<AxisValue> {
        match (key, v) {
            ("feature_sets", toml::Value::String(s)) => self.feature_set_keyword(ctx, p, s),
            (_, toml::Value::Array(arr)) => {
                if arr.is_empty() {
                    ctx.err(p, "is empty: give at least one value");
                }
                let mut values = Vec::new();
                for (i, item) in arr.iter().enumerate() {
                    values.extend(ctx.pick(p.index(i), self.value(key, item)));
                }
                values
            }
            _ => {
                ctx.err(p, "a sweep axis must be an array of values");
                Vec::new()
            }
        }
    }

    /// `feature_sets = "each_dns_dependent"` or `"all_subsets"`.
    fn feature_set_keyword(&self, ctx: &mut Ctx<'_>, p: &FieldPath, s: &str) -> Vec<AxisValue> {
        match s {
            "each_dns_dependent" => {
                if self.ucas.is_empty() {
                    ctx.err(
                        p,
                        "\"each_dns_dependent\" needs at least one feature that needs DNS load \
                         balancing",
                    );
                }
                (self.ucas.iter())
                    .map(|u| self.feature_set(u.clone(), vec![u.clone()]))
                    .collect()
            }
            "all_subsets" if self.ucas.len() > 12 => {
                let n = self.ucas.len();
                ctx.err(
                    p,
                    format!("\"all_subsets\" of {n} DNS-dependent features is too many runs"),
                );
                Vec::new()
            }
            "all_subsets" => (0u32..(1 << self.ucas.len()))
                .map(|mask| {
                    let chosen: Vec<String> = (self.ucas.iter().enumerate())
                        .filter(|(i, _)| mask & (1 << i) != 0)
                        .map(|(_, n)| n.clone())
                        .collect();
                    let label = if chosen.is_empty() {
                        "base".to_string()
                    } else {
                        chosen.join("+")
                    };
                    self.feature_set(label, chosen)
                })
                .collect(),
            other => {
                ctx.err(
                    p,
                    format!(
                        "unknown feature_sets value \"{other}\"; expected a list of feature \
                         lists, \"each_dns_dependent\" or \"all_subsets\"{}",
                        did_you_mean(other, ["each_dns_dependent", "all_subsets"])
                    ),
                );
                Vec::new()
            }
        }
    }

    /// The core features plus `chosen`.
    fn feature_set(&self, label: String, chosen: Vec<String>) -> AxisValue {
        let mut features = self.core.clone();
        features.extend(chosen);
        AxisValue::FeatureSet(FeatureSet { label, features })
    }

    /// One value of axis `key`, checked as the field it varies is checked.
    fn value(&self, key: &str, item: &toml::Value) -> Result<AxisValue, String> {
        let servers = self.base.pool.servers;
        match key {
            "load_balancing" => item
                .as_str()
                .ok_or_else(|| "expected a string".to_string())
                .and_then(parse_lb)
                .map(AxisValue::LoadBalancing),
            "servers" => (item.as_integer())
                .and_then(|n| self.limits.pool_size(n))
                .map(AxisValue::Servers)
                .ok_or_else(|| {
                    let max = self.limits.max_servers;
                    format!("expected a number of servers from 1 to {max}, got {item}")
                }),
            "paused_servers" => match item.as_integer() {
                Some(k) if k >= 1 && k <= i64::from(servers) => {
                    Ok(AxisValue::PausedServers(k as u32))
                }
                _ => Err(format!(
                    "expected a number of servers from 1 to {servers}, got {item}"
                )),
            },
            "wait" => item
                .as_str()
                .ok_or_else(|| "expected a duration string".to_string())
                .and_then(parse_duration_hinted)
                .map(AxisValue::Wait),
            "feature_sets" => self.feature_list(item),
            "start" => item
                .as_str()
                .ok_or_else(|| "expected a time of day such as \"02:00\"".to_string())
                .and_then(parse_clock)
                .map(AxisValue::Start),
            "upgrade_domains" => match item.as_integer() {
                Some(d) if d >= 1 && d <= i64::from(servers) => {
                    Ok(AxisValue::UpgradeDomains(d as u32))
                }
                _ => Err(format!(
                    "expected a number of upgrade domains from 1 to {servers}, got {item}"
                )),
            },
            "lb_before_pause" => {
                let options = [
                    ("none", Member::Enabled),
                    ("disable", Member::Disabled),
                    ("force_offline", Member::ForcedOffline),
                ];
                let v = item
                    .as_str()
                    .ok_or_else(|| "expected a string".to_string())?;
                super::ctx::one_of(v, &options).map(AxisValue::LbBeforePause)
            }
            "case" => self.case(item),
            k => {
                let mut pool = self.base.pool.clone();
                set_pool(&mut pool, k, item, true, self.limits)
                    .map(|_| AxisValue::Pool(item.clone()))
            }
        }
    }

    /// `feature_sets = [["im", "conferencing"], ...]`: one list of defined feature names.
    fn feature_list(&self, item: &toml::Value) -> Result<AxisValue, String> {
        let list = item
            .as_array()
            .ok_or_else(|| "expected a list of feature names".to_string())?;
        let mut names = Vec::new();
        let mut err = None;
        for n in list {
            match n.as_str() {
                Some(n) if self.base.features.iter().any(|f| f.name == n) => {
                    names.push(n.to_string())
                }
                Some(n) => {
                    err = Some(format!(
                        "feature \"{n}\" is not defined in this scenario{}",
                        did_you_mean(n, self.base.features.iter().map(|f| f.name.as_str()))
                    ))
                }
                None => err = Some("feature names must be strings".into()),
            }
        }
        // The last problem of the list is the one reported.
        match err {
            Some(e) => Err(e),
            None if names.is_empty() => Err("a feature set cannot be empty".into()),
            None => Ok(AxisValue::FeatureSet(FeatureSet {
                label: names.join("+"),
                features: names,
            })),
        }
    }
}

impl Sweep<'_> {
    /// One `case`: `{ label = "…", <axis> = <one value>, … }`.
    fn case(&self, item: &toml::Value) -> Result<AxisValue, String> {
        let t = item.as_table().ok_or_else(|| {
            "expected a table such as { label = \"HLB, member disabled\", load_balancing = \
             \"hardware\", lb_before_pause = \"disable\" }"
                .to_string()
        })?;
        let label = match t.get("label") {
            Some(toml::Value::String(l)) if !l.trim().is_empty() => l.trim().to_string(),
            Some(_) => return Err("`label` must be a non-empty string".into()),
            None => return Err("a case needs a `label` (its name in reports)".into()),
        };
        let mut items = Vec::new();
        let inner: toml::Table = t
            .iter()
            .filter(|(k, _)| *k != "label")
            .map(|(k, v)| (k.clone(), v.clone()))
            .collect();
        flatten("", &inner, &mut items, &FieldPath::root());
        let mut values = Vec::new();
        for (key, _, v) in items {
            if key == "case"
                || (!AXES.contains(&key.as_str()) && !POOL_KEYS.contains(&key.as_str()))
            {
                return Err(format!("case \"{label}\": {}", unknown_axis(&key)));
            }
            let value = self
                .value(&key, v)
                .map_err(|e| format!("case \"{label}\", {key}: {e}"))?;
            values.push(Axis {
                key,
                values: vec![value],
            });
        }
        Ok(AxisValue::Case(Case { label, values }))
    }
}
