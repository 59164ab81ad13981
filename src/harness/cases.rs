//! The suite's scenarios: [`Case`], and the built-in ones, kept as scenario files in
//! `src/harness/cases/` so that `drainsim check` (run by CI) and editors see them.

use crate::model::RunConfig;
use crate::scenario::{self, NoFiles, ScenarioError};

/// A scenario for the suite: a run configuration, its seed and how many replications to check.
#[derive(Debug, Clone)]
pub struct Case {
    /// Name used in violations.
    pub name: String,
    /// The run.
    pub config: RunConfig,
    /// Root seed; replication `k` uses `Seeds::derive(seed, k)`.
    pub seed: u64,
    /// Replications to check.
    pub replications: u32,
}

impl Case {
    /// A case from a run configuration of your own (seed 1, 3 replications).
    pub fn new(name: impl Into<String>, config: RunConfig) -> Case {
        Case {
            name: name.into(),
            config,
            seed: 1,
            replications: 3,
        }
    }

    /// With another root seed.
    pub fn seed(mut self, seed: u64) -> Case {
        self.seed = seed;
        self
    }

    /// With another number of replications.
    pub fn replications(mut self, replications: u32) -> Case {
        self.replications = replications;
        self
    }

    /// Every run of a scenario file (one case per combination of its sweep), with the file's
    /// seed and replications. Cases are named `<name> [axis = value, …]`.
    pub fn from_toml(text: &str) -> Result<Vec<Case>, ScenarioError> {
        Case::from_named_toml(text, "<harness>")
    }

    /// [`Case::from_toml`], with `file` as the file name in diagnostics.
    fn from_named_toml(text: &str, file: &str) -> Result<Vec<Case>, ScenarioError> {
        let s = scenario::parse(text, file, &NoFiles)?;
        let runs = scenario::expand(&s).map_err(|msgs| ScenarioError {
            diagnostics: msgs
                .into_iter()
                .map(|message| scenario::Diagnostic {
                    file: file.into(),
                    position: None,
                    path: "sweep".into(),
                    message,
                })
                .collect(),
        })?;
        Ok(runs
            .into_iter()
            .map(|run| {
                let labels: Vec<String> = run
                    .labels
                    .iter()
                    .map(|(k, v)| format!("{k} = {v}"))
                    .collect();
                let name = if labels.is_empty() || s.axes.is_empty() {
                    s.name.clone()
                } else {
                    format!("{} [{}]", s.name, labels.join(", "))
                };
                Case {
                    name,
                    config: run.config,
                    seed: s.seed,
                    replications: s.replications,
                }
            })
            .collect())
    }
}

/// The built-in scenarios: file name under `src/harness/cases/`, and text. Each is small (a
/// few hundred sessions per replication) and sweeps `load_balancing` over DNS and hardware
/// where both are interesting, so that each state of R3 is met under both policies. Each file
/// opens with a comment saying what it exercises.
const BUILTIN_FILES: &[(&str, &str)] = &[
    (
        "pause-wait-restart.toml",
        include_str!("cases/pause-wait-restart.toml"),
    ),
    (
        "pause-service-resume-drain.toml",
        include_str!("cases/pause-service-resume-drain.toml"),
    ),
    (
        "stop-graceful-and-stop.toml",
        include_str!("cases/stop-graceful-and-stop.toml"),
    ),
    (
        "manual-startup.toml",
        include_str!("cases/manual-startup.toml"),
    ),
    (
        "capacity-caps.toml",
        include_str!("cases/capacity-caps.toml"),
    ),
    (
        "hardware-variants.toml",
        include_str!("cases/hardware-variants.toml"),
    ),
    ("quorum-loss.toml", include_str!("cases/quorum-loss.toml")),
    (
        "feature-without-front-end.toml",
        include_str!("cases/feature-without-front-end.toml"),
    ),
    (
        "rolling-restart.toml",
        include_str!("cases/rolling-restart.toml"),
    ),
    (
        "failover-failback.toml",
        include_str!("cases/failover-failback.toml"),
    ),
];

/// The built-in scenarios, as scenario-file texts (the files of `src/harness/cases/`, in the
/// order the suite runs them).
pub const BUILTIN_SCENARIOS: &[&str] = &{
    let mut texts = [""; BUILTIN_FILES.len()];
    let mut i = 0;
    while i < texts.len() {
        texts[i] = BUILTIN_FILES[i].1;
        i += 1;
    }
    texts
};

/// The built-in cases: every run of every [`BUILTIN_SCENARIOS`] text.
pub fn builtin_cases() -> Vec<Case> {
    BUILTIN_FILES
        .iter()
        .flat_map(|(file, text)| {
            match Case::from_named_toml(text, &format!("src/harness/cases/{file}")) {
                Ok(cases) => cases,
                // The files are ours and a unit test parses them: this cannot be user input.
                Err(e) => panic!("built-in harness scenario is invalid:\n{e}"),
            }
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::LoadBalancing;

    #[test]
    fn builtin_scenarios_are_valid() {
        let cases = builtin_cases();
        assert!(cases.len() >= BUILTIN_SCENARIOS.len());
        assert!(
            cases
                .iter()
                .any(|c| c.config.pool.load_balancing == LoadBalancing::Dns)
        );
        assert!(
            cases
                .iter()
                .any(|c| c.config.pool.load_balancing == LoadBalancing::Hardware)
        );
    }

    #[test]
    fn every_case_file_is_built_in() {
        let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("src/harness/cases");
        let mut on_disk: Vec<String> = std::fs::read_dir(&dir)
            .expect("src/harness/cases")
            .map(|e| e.expect("entry").file_name().to_string_lossy().into_owned())
            .collect();
        on_disk.sort();
        let mut built_in: Vec<String> = BUILTIN_FILES.iter().map(|(f, _)| f.to_string()).collect();
        built_in.sort();
        assert_eq!(on_disk, built_in, "a case file is not in BUILTIN_FILES");
    }
}
