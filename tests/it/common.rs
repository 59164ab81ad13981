//! Helpers shared by the integration tests.
#![allow(dead_code)]

use drainsim::model::{RunConfig, Seeds, Simulation};
use drainsim::scenario::{self, Scenario};

/// Parses a scenario from text, panicking with every diagnostic if it is invalid.
pub fn scenario(text: &str) -> Scenario {
    match scenario::parse(text, "test.toml", &scenario::NoFiles) {
        Ok(s) => s,
        Err(e) => panic!("scenario should be valid:\n{e}"),
    }
}

/// The diagnostics of an invalid scenario, one string each.
pub fn errors(text: &str) -> Vec<String> {
    match scenario::parse(text, "test.toml", &scenario::NoFiles) {
        Ok(_) => panic!("scenario should be invalid"),
        Err(e) => e.diagnostics.iter().map(|d| d.to_string()).collect(),
    }
}

/// The single run of a scenario without a sweep.
pub fn run_config(text: &str) -> RunConfig {
    let s = scenario(text);
    let runs = scenario::expand(&s).expect("expands");
    assert_eq!(runs.len(), 1, "expected a scenario without sweep");
    runs.into_iter().next().unwrap().config
}

/// A simulation of `cfg`, replication `rep` of seed `seed`.
pub fn sim(cfg: &RunConfig, seed: u64, rep: u64) -> Simulation<'_> {
    Simulation::new(cfg, Seeds::derive(seed, rep))
}

/// Index of feature `name` in `cfg` (panics if the scenario has no such feature).
pub fn feature_id(cfg: &RunConfig, name: &str) -> usize {
    cfg.features
        .iter()
        .position(|f| f.name == name)
        .unwrap_or_else(|| panic!("no feature {name:?} in the run"))
}

/// Index of Windows service `name` in `cfg` (panics if unknown).
pub fn service_id(cfg: &RunConfig, name: &str) -> usize {
    cfg.services
        .iter()
        .position(|s| s == name)
        .unwrap_or_else(|| panic!("no Windows service {name:?} in the run"))
}

/// Simulated time from minutes.
pub fn mins(m: u64) -> drainsim::engine::SimTime {
    drainsim::engine::SimTime::from_secs(m * 60)
}
