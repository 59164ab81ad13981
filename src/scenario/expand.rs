//! A validated [`Scenario`] expanded into its runs, one per combination of sweep axis values
//! (the last axis varies fastest), and the up-front checks that the expansion fits the
//! [`Limits`](super::Limits): runs, replications, memory and time-series size.

use super::sweep::AxisValue;
use super::validated::Scenario;
use crate::engine::SimTime;
use crate::model::{RunConfig, Topology};

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

/// Expansion stops collecting problems after this many.
const MAX_ERRORS: usize = 20;

/// The number of runs the scenario expands to.
pub fn run_count(s: &Scenario) -> usize {
    s.axes
        .iter()
        .fold(1usize, |acc, a| acc.saturating_mul(a.values.len()))
}

/// Refuses a sweep beyond the run, replication or memory limits, then expands it to check
/// every combination; the runs, for the checks that need them.
pub(super) fn check_expansion(s: &Scenario) -> Result<Vec<Run>, Vec<String>> {
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
    expand(s)
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
                 occupancy values ({samples} samples × {servers} servers × {} features × {runs} \
                 runs), beyond the limit of {:.0e}; use a sample_interval of at least \
                 \"{suggest}\", or \"0s\" to record no time series",
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
    let mut topologies = Topologies::default();
    for index in 0..runs {
        out.push(expand_run(s, index, &mut topologies, &mut errors));
        if errors.len() > MAX_ERRORS {
            break;
        }
    }
    if errors.is_empty() {
        Ok(out)
    } else {
        Err(errors)
    }
}

/// Run `index`: the base configuration with its axis values applied, problems in `errors`.
fn expand_run(
    s: &Scenario,
    index: usize,
    topologies: &mut Topologies,
    errors: &mut Vec<String>,
) -> Run {
    let mut cfg = s.base.clone();
    let mut labels = vec![("load_balancing".to_string(), String::new())];
    let mut what = Vec::new();
    let mut domains = None;
    for (axis, i) in s.axes.iter().zip(picks(s, index)) {
        domains = axis.upgrade_domains(i).or(domains);
        what.push(format!("{} = {}", axis.key, axis.label(i)));
        if let Err(e) = axis.apply(i, &mut cfg, s.quorum_explicit, &s.limits) {
            errors.push(format!("run with {}: {e}", what.join(", ")));
        }
        if axis.key != "load_balancing" && axis.key != "pool.load_balancing" {
            labels.push((axis.column().to_string(), axis.label(i)));
        }
    }
    let what = what.join(", ");
    match topologies.resolve(s, cfg.pool.servers, domains) {
        Ok(t) => cfg.topology = t.clone(),
        Err(e) => errors.push(format!("run with {what}: {e}")),
    }
    errors.extend(
        check_run(&cfg)
            .into_iter()
            .map(|e| format!("run with {what}: {e}")),
    );
    labels[0].1 = cfg.pool.load_balancing.name().to_string();
    Run {
        index,
        labels,
        config: cfg,
    }
}

/// The value index of each axis in run `index` (the last axis varies fastest).
fn picks(s: &Scenario, index: usize) -> Vec<usize> {
    let mut rem = index;
    let mut picks = vec![0usize; s.axes.len()];
    for (k, axis) in s.axes.iter().enumerate().rev() {
        picks[k] = rem % axis.values.len();
        rem /= axis.values.len();
    }
    picks
}

/// What is wrong with a run's configuration once its axis values are applied.
fn check_run(cfg: &RunConfig) -> Vec<String> {
    let n = cfg.pool.servers;
    let mut errors = Vec::new();
    for (k, step) in cfg.plan.iter().enumerate() {
        if let Some(&bad) = step.action.servers().iter().find(|&&s| s >= n) {
            errors.push(format!(
                "step[{k}] names server {} but the pool has {n}",
                bad + 1
            ));
        }
    }
    if cfg.features.is_empty() {
        errors.push("no features left".to_string());
    }
    for (k, msg) in super::admin::check_admin(cfg) {
        errors.push(format!("step[{k}]: {msg}"));
    }
    errors
}

/// Topologies resolved so far, by pool size and swept number of upgrade domains: resolving
/// one costs O(servers²), and runs of the same pool size share the result.
#[derive(Default)]
struct Topologies(Vec<(TopologyKey, Result<Topology, String>)>);

/// Pool size and swept number of upgrade domains.
type TopologyKey = (u32, Option<u32>);

impl Topologies {
    fn resolve(
        &mut self,
        s: &Scenario,
        servers: u32,
        domains: Option<u32>,
    ) -> &Result<Topology, String> {
        let key = (servers, domains);
        let at = match self.0.iter().position(|(m, _)| *m == key) {
            Some(at) => at,
            None => {
                let mut spec = s.topology.clone();
                if let Some(d) = domains {
                    spec.domains = super::validated::DomainSpec::Count(d);
                }
                self.0.push((key, spec.resolve(servers)));
                self.0.len() - 1
            }
        };
        &self.0[at].1
    }
}
