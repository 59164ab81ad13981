//! How a command ends: an [`Outcome`] when it did its job, a [`CliError`] when it could not.
//! The binary's `main` alone turns them into exit codes.

use std::fmt;

use crate::report::folder::FolderError;
use crate::runner::RunError;
use crate::scenario::ScenarioError;

/// A command that ran to the end: did every expectation hold?
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Outcome {
    /// Done; every `[[expect]]` checked held (or there were none).
    Success,
    /// Done, but at least one `[[expect]]` failed (each already printed).
    ExpectationFailed,
}

/// Why a command could not do its job. Every variant but [`CliError::Interrupted`] is bad
/// input of some kind: the command line, a scenario file, or the report folder.
#[derive(Debug, thiserror::Error)]
pub enum CliError {
    /// The command line does not parse, or asks for `--help` / `--version` (clap's message).
    #[error("{0}")]
    Usage(clap::Error),
    /// A scenario file is invalid: every problem, as `file:line:col: field.path: message`.
    #[error("{0}")]
    Scenario(#[from] ScenarioError),
    /// Several scenario files are invalid (`check`), in the order given.
    #[error("{}", Lines(.0))]
    Scenarios(Vec<ScenarioError>),
    /// `--replications` outside the scenario's limits.
    #[error("--replications must be between 1 and {max}, got {got}")]
    Replications {
        /// Most replications allowed.
        max: u32,
        /// Asked for.
        got: u32,
    },
    /// `--jobs 0`, or more worker threads than the limit (1,024).
    #[error("--jobs must be at least 1 and at most {max}, got {got}")]
    Jobs {
        /// Most worker threads allowed.
        max: usize,
        /// Asked for.
        got: usize,
    },
    /// A sweep that cannot be expanded.
    #[error("{}", Lines(&.messages.iter().map(|m| format!("{file}: sweep: {m}")).collect::<Vec<_>>()))]
    Sweep {
        /// Scenario file.
        file: String,
        /// Every problem.
        messages: Vec<String>,
    },
    /// More replications in all runs together than the scenario's limits allow.
    #[error(
        "{file}: {runs} runs × {replications} replications = {total}, beyond the limit of {limit}"
    )]
    TooManyReplications {
        /// Scenario file.
        file: String,
        /// Runs of the sweep.
        runs: usize,
        /// Replications per run.
        replications: u32,
        /// Their product.
        total: u64,
        /// The limit.
        limit: u64,
    },
    /// A replication could not finish (e.g. its event budget ran out).
    #[error("{file}: {source}")]
    Run {
        /// Scenario file.
        file: String,
        /// What went wrong.
        source: RunError,
    },
    /// The report folder may not be written (checked before the simulation).
    #[error("{0}")]
    Folder(FolderError),
    /// Writing the report failed.
    #[error("cannot write the report: {0}")]
    Write(FolderError),
    /// `drainsim plan` could not plan (no `[plan]`, a runbook that does not run).
    #[error("{0}")]
    Plan(crate::planner::PlanError),
    /// `test` found no scenario file.
    #[error("no scenario files found")]
    NoScenarioFiles,
    /// `test`: some scenario files (each problem already printed) could not be run.
    #[error("{0} scenario file(s) could not be run")]
    NotRun(usize),
    /// The JUnit file could not be written (or is not drainsim's to replace).
    #[error("{0}")]
    Junit(String),
    /// `fit`: a bad export (`file:line: message`), a bad `--map`, or a file it may not write.
    #[error("{0}")]
    Fit(String),
    /// `--shard` or `merge`: a bad shard index, or shard folders that are incomplete, of
    /// another run or version, missing or doubled.
    #[error("{0}")]
    Shard(String),
    /// `runbook` or `init`: a scenario with no runbook, a bad flag, or a file it may not
    /// write.
    #[error("{0}")]
    Runbook(String),
    /// Ctrl-C: stopped before the end, nothing written.
    #[error("interrupted; no report written")]
    Interrupted,
}

/// Displays items one per line.
struct Lines<'a, T>(&'a [T]);

impl<T: fmt::Display> fmt::Display for Lines<'_, T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for (i, item) in self.0.iter().enumerate() {
            if i > 0 {
                writeln!(f)?;
            }
            write!(f, "{item}")?;
        }
        Ok(())
    }
}

impl CliError {
    /// A failed run of scenario `file`.
    pub fn run(file: &str, e: RunError) -> CliError {
        match e {
            RunError::Interrupted => CliError::Interrupted,
            other => CliError::Run {
                file: file.to_string(),
                source: other,
            },
        }
    }
}
