//! `drainsim run`: one scenario, its report folder, its expectations.

use std::io::IsTerminal;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Instant;

use indicatif::{ProgressBar, ProgressStyle};

use super::finish::{Finish, finish};
use super::load::Source;
use super::pipeline::{Pipeline, Prepared, Progress};
use super::{CliError, Outcome, RunArgs};
use crate::report::{self, FolderError};
use crate::runner::SpillDir;
use crate::scenario::Scenario;

/// Runs a scenario, writes its report and checks its expectations.
pub fn run(args: &RunArgs) -> Result<Outcome, CliError> {
    if let Some(spec) = &args.shard {
        return super::shard::run_shard(args, spec);
    }
    let pipeline = Pipeline::new(args.overrides)?;
    let source = Source::load(args.scenario.as_deref())?;
    for w in &source.scenario.warnings {
        eprintln!("{}", w.as_warning());
    }
    let prepared = pipeline.prepare(source.scenario)?;
    let total = prepared.total_replications();
    let Prepared { scenario, runs } = prepared;
    let start = scenario.replications;
    let out_dir = args
        .out
        .clone()
        .unwrap_or_else(|| PathBuf::from("reports").join(&source.stem));
    // Refuse before the simulation, not after minutes of it.
    report::folder::check_target(&out_dir, args.force).map_err(CliError::Folder)?;

    let spill = SpillDir::beside(&out_dir).map_err(|source| {
        CliError::Write(FolderError::Io {
            path: out_dir.clone(),
            source,
        })
    })?;
    let started = Instant::now();
    let decided = execute_with_progress(
        &pipeline,
        &scenario,
        runs,
        total,
        args.quiet,
        Some(spill.path()),
    )?;
    finish(Finish {
        pipeline: &pipeline,
        scenario,
        source: &source.text,
        shown: source.shown.as_deref(),
        start,
        decided,
        out_dir: &out_dir,
        force: args.force,
        format: args.format,
        quiet: args.quiet,
        detail: args.detail,
        started,
    })
}

/// Runs and decides the scenario, with a progress bar on a terminal.
fn execute_with_progress(
    pipeline: &Pipeline,
    scenario: &Scenario,
    runs: Vec<crate::scenario::Run>,
    total: u64,
    quiet: bool,
    spill: Option<&Path>,
) -> Result<crate::expect::Decided, CliError> {
    let bar = (!quiet && std::io::stderr().is_terminal()).then(|| progress_bar(total, runs.len()));
    let progress = bar.clone().map(|b| Arc::new(move || b.inc(1)) as Progress);
    let decided = pipeline.execute_decided(scenario, runs, progress, spill);
    if let Some(b) = &bar {
        match decided {
            Ok(_) => b.finish_and_clear(),
            Err(_) => b.abandon(),
        }
    }
    decided
}

/// The progress bar of a run of `total` replications in `runs` runs.
fn progress_bar(total: u64, runs: usize) -> ProgressBar {
    let b = ProgressBar::new(total);
    b.set_style(
        ProgressStyle::with_template(
            "{bar:40} {pos}/{len} replications ({per_sec}, eta {eta}) {msg}",
        )
        .unwrap_or_else(|_| ProgressStyle::default_bar()),
    );
    b.set_message(format!("{runs} runs"));
    b
}
