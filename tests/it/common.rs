//! Helpers shared by the integration tests.
#![allow(dead_code)]

use std::path::{Path, PathBuf};
use std::process::{Command, Output};
use std::sync::atomic::{AtomicUsize, Ordering};

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

/// A fresh folder under the system temp dir, removed on drop.
pub struct TempDir(PathBuf);

impl TempDir {
    /// A new empty folder; `tag` goes into its name.
    pub fn new(tag: &str) -> TempDir {
        static NEXT: AtomicUsize = AtomicUsize::new(0);
        let nanos = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map_or(0, |d| d.subsec_nanos());
        let dir = std::env::temp_dir().join(format!(
            "drainsim-it-{tag}-{}-{}-{nanos}",
            std::process::id(),
            NEXT.fetch_add(1, Ordering::SeqCst)
        ));
        std::fs::create_dir_all(&dir).expect("create temp dir");
        TempDir(dir)
    }

    /// Its path.
    pub fn path(&self) -> &Path {
        &self.0
    }

    /// Writes `text` into the file `name` in it; returns its path.
    pub fn write(&self, name: &str, text: &str) -> PathBuf {
        let p = self.0.join(name);
        std::fs::write(&p, text).expect("write temp file");
        p
    }
}

impl Drop for TempDir {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

/// Runs `drainsim args…` in `dir`.
pub fn drainsim(dir: &Path, args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_drainsim"))
        .args(args)
        .current_dir(dir)
        .output()
        .expect("run drainsim")
}

/// What drainsim printed on stderr.
pub fn stderr(o: &Output) -> String {
    String::from_utf8_lossy(&o.stderr).into_owned()
}
