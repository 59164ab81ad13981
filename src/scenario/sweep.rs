//! Sweep axes (DESIGN §3): every combination of axis values is one run.

use super::span::FieldPath;
use super::validate::{
    Ctx, Scenario, check_quorum_size, default_quorum, parse_algorithm, parse_lb, parse_monitor,
    parse_probability, parse_quorum,
};
use crate::engine::{SimTime, parse_duration};
use crate::model::{Action, LoadBalancing, PoolConfig, RunConfig};

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
            AxisValue::Servers(n) | AxisValue::PausedServers(n) => n.to_string(),
            AxisValue::Wait(d) => format!("{}", d.0 / SimTime::SECOND),
            AxisValue::FeatureSet(fs) => fs.label.clone(),
            AxisValue::Pool(v) => match v {
                toml::Value::String(s) => s.clone(),
                other => other.to_string(),
            },
        }
    }
}

/// One run of a scenario: a combination of axis values and the configuration it gives.
#[derive(Debug, Clone)]
pub struct Run {
    /// 0-based run index (last axis varies fastest).
    pub index: usize,
    /// Column → value, for every CSV: `load_balancing` first, then each axis.
    pub labels: Vec<(String, String)>,
    /// The configuration.
    pub config: RunConfig,
}

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
];

fn set_pool(
    pool: &mut PoolConfig,
    key: &str,
    v: &toml::Value,
    quorum_explicit: bool,
) -> Result<(), String> {
    let s = || {
        v.as_str()
            .ok_or_else(|| format!("expected a string, got {v}"))
    };
    let int = || {
        v.as_integer()
            .ok_or_else(|| format!("expected an integer, got {v}"))
    };
    let dur = || s().and_then(parse_duration);
    match key {
        "pool.servers" => {
            let n = int()?;
            if !(1..=1000).contains(&n) {
                return Err(format!("servers must be between 1 and 1000, got {n}"));
            }
            pool.servers = n as u32;
            if !quorum_explicit {
                pool.quorum = default_quorum(pool.servers);
            }
            check_quorum_size(pool.quorum, pool.servers)?;
        }
        "pool.load_balancing" => pool.load_balancing = parse_lb(s()?)?,
        "pool.quorum" => {
            pool.quorum = parse_quorum(s()?)?;
            check_quorum_size(pool.quorum, pool.servers)?;
        }
        "pool.max_sessions_per_server" => {
            let n = int()?;
            if n < 1 {
                return Err(format!("must be at least 1, got {n}"));
            }
            pool.max_sessions_per_server = Some(n as u32);
        }
        "pool.dns.retry_delay" => pool.dns.retry_delay = dur()?,
        "pool.dns.connect_timeout" => pool.dns.connect_timeout = dur()?,
        "pool.hardware.algorithm" => pool.hardware.algorithm = parse_algorithm(s()?)?,
        "pool.hardware.health_monitor" => pool.hardware.health_monitor = parse_monitor(s()?)?,
        "pool.hardware.detect_delay" => pool.hardware.detect_delay = dur()?,
        "pool.hardware.not_redirected" => {
            let x = v
                .as_float()
                .or_else(|| v.as_integer().map(|i| i as f64))
                .ok_or_else(|| format!("expected a number, got {v}"))?;
            pool.hardware.not_redirected = parse_probability(x)?;
        }
        _ => return Err(format!("\"{key}\" cannot be swept")),
    }
    Ok(())
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

pub(super) fn validate_axes(
    ctx: &mut Ctx<'_>,
    raw: &toml::Table,
    base: &RunConfig,
    _limits: &super::Limits,
) -> Vec<Axis> {
    let mut items = Vec::new();
    flatten("", raw, &mut items, &FieldPath::root().key("sweep"));
    let mut axes = Vec::new();
    let ucas: Vec<String> = base
        .features
        .iter()
        .filter(|f| f.needs_dns_lb)
        .map(|f| f.name.clone())
        .collect();
    let core: Vec<String> = base
        .features
        .iter()
        .filter(|f| !f.needs_dns_lb)
        .map(|f| f.name.clone())
        .collect();
    for (key, p, v) in items {
        let key = if key == "servers" {
            "servers".to_string()
        } else {
            key
        };
        let known = matches!(
            key.as_str(),
            "load_balancing" | "servers" | "paused_servers" | "wait" | "feature_sets"
        ) || POOL_KEYS.contains(&key.as_str());
        if !known {
            // Said first, whatever the value: "is empty" or "must be an array" would hide it.
            ctx.err(&p, unknown_axis(&key));
            continue;
        }
        let mut values = Vec::new();
        let arr = match (key.as_str(), v) {
            ("feature_sets", toml::Value::String(s)) => {
                match s.as_str() {
                    "each_dns_dependent" => {
                        for u in &ucas {
                            let mut fs = core.clone();
                            fs.push(u.clone());
                            values.push(AxisValue::FeatureSet(FeatureSet { label: u.clone(), features: fs }));
                        }
                        if ucas.is_empty() {
                            ctx.err(&p, "\"each_dns_dependent\" needs at least one feature that needs DNS load balancing");
                        }
                    }
                    "all_subsets" => {
                        if ucas.len() > 12 {
                            ctx.err(&p, format!("\"all_subsets\" of {} DNS-dependent features is too many runs", ucas.len()));
                        } else {
                            for mask in 0u32..(1 << ucas.len()) {
                                let chosen: Vec<String> = ucas.iter().enumerate().filter(|(i, _)| mask & (1 << i) != 0).map(|(_, n)| n.clone()).collect();
                                let label = if chosen.is_empty() { "base".to_string() } else { chosen.join("+") };
                                let mut fs = core.clone();
                                fs.extend(chosen);
                                values.push(AxisValue::FeatureSet(FeatureSet { label, features: fs }));
                            }
                        }
                    }
                    other => ctx.err(&p, format!("unknown feature_sets value \"{other}\"; expected a list of feature lists, \"each_dns_dependent\" or \"all_subsets\"")),
                }
                None
            }
            (_, toml::Value::Array(a)) => Some(a),
            _ => {
                ctx.err(&p, "a sweep axis must be an array of values");
                None
            }
        };
        if let Some(arr) = arr {
            if arr.is_empty() {
                ctx.err(&p, "is empty: give at least one value");
            }
            for (i, item) in arr.iter().enumerate() {
                let ip = p.index(i);
                let parsed: Result<AxisValue, String> = match key.as_str() {
                    "load_balancing" => item
                        .as_str()
                        .ok_or_else(|| "expected a string".to_string())
                        .and_then(parse_lb)
                        .map(AxisValue::LoadBalancing),
                    "servers" => match item.as_integer() {
                        Some(n) if (1..=1000).contains(&n) => Ok(AxisValue::Servers(n as u32)),
                        _ => Err(format!(
                            "expected a number of servers from 1 to 1000, got {item}"
                        )),
                    },
                    "paused_servers" => match item.as_integer() {
                        Some(k) if k >= 1 && k <= base.pool.servers as i64 => {
                            Ok(AxisValue::PausedServers(k as u32))
                        }
                        _ => Err(format!(
                            "expected a number of servers from 1 to {}, got {item}",
                            base.pool.servers
                        )),
                    },
                    "wait" => item
                        .as_str()
                        .ok_or_else(|| "expected a duration string".to_string())
                        .and_then(parse_duration)
                        .map(AxisValue::Wait),
                    "feature_sets" => match item.as_array() {
                        Some(list) => {
                            let mut names = Vec::new();
                            let mut err = None;
                            for n in list {
                                match n.as_str() {
                                    Some(n) if base.features.iter().any(|f| f.name == n) => {
                                        names.push(n.to_string())
                                    }
                                    Some(n) => {
                                        err = Some(format!(
                                            "feature \"{n}\" is not defined in this scenario"
                                        ))
                                    }
                                    None => err = Some("feature names must be strings".into()),
                                }
                            }
                            match err {
                                Some(e) => Err(e),
                                None if names.is_empty() => {
                                    Err("a feature set cannot be empty".into())
                                }
                                None => Ok(AxisValue::FeatureSet(FeatureSet {
                                    label: names.join("+"),
                                    features: names,
                                })),
                            }
                        }
                        None => Err("expected a list of feature names".into()),
                    },
                    k if POOL_KEYS.contains(&k) => {
                        let mut pool = base.pool.clone();
                        set_pool(&mut pool, k, item, true).map(|_| AxisValue::Pool(item.clone()))
                    }
                    k => {
                        ctx.err(&p, unknown_axis(k));
                        break;
                    }
                };
                match parsed {
                    Ok(v) => values.push(v),
                    Err(e) => ctx.err(&ip, e),
                }
            }
        }
        if key == "wait"
            && !base
                .plan
                .iter()
                .any(|s| matches!(s.action, Action::Wait { .. }))
        {
            ctx.err(&p, "the plan has no `wait` step for this axis to change");
        }
        if !values.is_empty() {
            axes.push(Axis { key, values });
        }
    }
    axes
}

fn unknown_axis(key: &str) -> String {
    format!(
        "unknown sweep axis \"{key}\"; expected load_balancing, servers, wait, feature_sets, \
         paused_servers or one of {}",
        POOL_KEYS.join(", ")
    )
}

/// The number of runs the scenario expands to.
pub fn run_count(s: &Scenario) -> usize {
    s.axes
        .iter()
        .fold(1usize, |acc, a| acc.saturating_mul(a.values.len()))
}

pub(super) fn check_expansion(s: &Scenario) -> Result<(), Vec<String>> {
    let runs = run_count(s);
    if runs > s.limits.max_runs {
        return Err(vec![format!(
            "the sweep expands to {runs} runs, beyond the limit of {}",
            s.limits.max_runs
        )]);
    }
    let total = (runs as u64).saturating_mul(s.replications as u64);
    if total > s.limits.max_total_replications {
        return Err(vec![format!(
            "{runs} runs × {} replications = {total} replications, beyond the limit of {}",
            s.replications, s.limits.max_total_replications
        )]);
    }
    let size = (runs as u64).saturating_mul(run_size(s));
    if size > s.limits.max_expanded_size {
        return Err(vec![format!(
            "the sweep's {runs} runs would hold about {:.1e} servers, routing-group replicas, \
             steps and features in memory (every run has its own copy), beyond the limit of \
             {:.0e}; sweep fewer values, or use fewer servers or routing groups",
            size as f64, s.limits.max_expanded_size as f64
        )]);
    }
    expand(s).map(|_| ())
}

/// Refuses a time series too large to hold (a tiny `sample_interval` over a long horizon).
pub(super) fn check_timeseries(s: &Scenario) -> Result<(), String> {
    let runs = run_count(s);
    if let Some(interval) = s.base.sample_interval.filter(|i| i.0 > 0) {
        let samples = s.base.horizon.0 / interval.0 + 1;
        let (servers, _) = largest_run(s);
        let values = (runs as u64)
            .saturating_mul(samples)
            .saturating_mul(u64::from(servers))
            .saturating_mul(s.base.features.len() as u64);
        if values > s.limits.max_timeseries_values {
            let per_sample = (values / samples).max(1);
            // Samples are horizon / interval + 1: leave room for the extra one.
            let fits = (s.limits.max_timeseries_values / per_sample)
                .saturating_sub(1)
                .max(1);
            let suggest =
                SimTime::from_secs((s.base.horizon.0 / fits).div_ceil(SimTime::SECOND).max(1));
            return Err(format!(
                "\"{interval}\" over the {} horizon would record about {:.1e} \
                 occupancy values ({samples} samples × {servers} servers × {} features × {runs} runs), \
                 beyond the limit of {:.0e}; use a sample_interval of at least \"{suggest}\", or \"0s\" \
                 to record no time series",
                s.base.horizon,
                values as f64,
                s.base.features.len(),
                s.limits.max_timeseries_values as f64
            ));
        }
    }
    Ok(())
}

/// The most servers and the most servers named by a step (`paused_servers`) in any run.
fn largest_run(s: &Scenario) -> (u32, u32) {
    let mut servers = s.base.pool.servers;
    let mut paused = 0;
    for axis in &s.axes {
        for v in &axis.values {
            match v {
                AxisValue::Servers(n) => servers = servers.max(*n),
                AxisValue::Pool(toml::Value::Integer(n)) if axis.key == "pool.servers" => {
                    servers = servers.max(u32::try_from(*n).unwrap_or(u32::MAX))
                }
                AxisValue::PausedServers(k) => paused = paused.max(*k),
                _ => {}
            }
        }
    }
    (servers, paused)
}

/// An upper bound on the size of one run's configuration: its servers (one upgrade domain
/// entry each), routing-group replicas, plan steps with the servers they name, and features.
fn run_size(s: &Scenario) -> u64 {
    let (servers, paused) = largest_run(s);
    let replicas = 3 * u64::from(s.topology.routing_groups);
    let steps: u64 = s
        .base
        .plan
        .iter()
        .map(|st| 1 + st.action.servers().len().max(paused as usize) as u64)
        .sum();
    u64::from(servers) + replicas + steps + s.base.features.len() as u64
}

/// Expands the scenario into its runs (one when there is no sweep).
pub fn expand(s: &Scenario) -> Result<Vec<Run>, Vec<String>> {
    let runs = run_count(s);
    let mut out = Vec::with_capacity(runs);
    let mut errors = Vec::new();
    // Resolving a topology costs O(servers²); runs of the same pool size share the result.
    let mut topologies: Vec<(u32, Result<crate::model::Topology, String>)> = Vec::new();
    for index in 0..runs {
        let mut cfg = s.base.clone();
        let mut labels = vec![("load_balancing".to_string(), String::new())];
        let mut rem = index;
        let mut picks = vec![0usize; s.axes.len()];
        for (k, axis) in s.axes.iter().enumerate().rev() {
            picks[k] = rem % axis.values.len();
            rem /= axis.values.len();
        }
        let mut what = Vec::new();
        for (axis, &i) in s.axes.iter().zip(&picks) {
            what.push(format!("{} = {}", axis.key, axis.label(i)));
            let r = match &axis.values[i] {
                AxisValue::LoadBalancing(lb) => {
                    cfg.pool.load_balancing = *lb;
                    Ok(())
                }
                AxisValue::Servers(n) => set_pool(
                    &mut cfg.pool,
                    "pool.servers",
                    &toml::Value::Integer(*n as i64),
                    s.quorum_explicit,
                ),
                AxisValue::Wait(d) => {
                    for step in &mut cfg.plan {
                        if let Action::Wait { duration } = &mut step.action {
                            *duration = *d;
                        }
                    }
                    Ok(())
                }
                AxisValue::FeatureSet(fs) => {
                    cfg.features.retain(|f| fs.features.contains(&f.name));
                    Ok(())
                }
                AxisValue::Pool(v) => set_pool(&mut cfg.pool, &axis.key, v, s.quorum_explicit),
                AxisValue::PausedServers(k) => {
                    let first: Vec<u32> = (0..*k).collect();
                    for step in &mut cfg.plan {
                        step.action.set_servers(&first);
                    }
                    Ok(())
                }
            };
            if let Err(e) = r {
                errors.push(format!("run with {}: {e}", what.join(", ")));
            }
            if axis.key != "load_balancing" && axis.key != "pool.load_balancing" {
                labels.push((axis.column().to_string(), axis.label(i)));
            }
        }
        let n = cfg.pool.servers;
        let resolved = match topologies.iter().find(|(m, _)| *m == n) {
            Some((_, r)) => r,
            None => {
                topologies.push((n, s.topology.resolve(n)));
                &topologies[topologies.len() - 1].1
            }
        };
        match resolved {
            Ok(t) => cfg.topology = t.clone(),
            Err(e) => errors.push(format!("run with {}: {e}", what.join(", "))),
        }
        for (k, step) in cfg.plan.iter().enumerate() {
            if let Some(&bad) = step.action.servers().iter().find(|&&s| s >= n) {
                errors.push(format!(
                    "run with {}: step[{k}] names server {} but the pool has {n}",
                    what.join(", "),
                    bad + 1
                ));
            }
        }
        if cfg.features.is_empty() {
            errors.push(format!("run with {}: no features left", what.join(", ")));
        }
        labels[0].1 = cfg.pool.load_balancing.name().to_string();
        out.push(Run {
            index,
            labels,
            config: cfg,
        });
        if errors.len() > 20 {
            break;
        }
    }
    if errors.is_empty() {
        Ok(out)
    } else {
        Err(errors)
    }
}
