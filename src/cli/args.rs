//! Every flag of the command line, defined once: help, parsing and the shared overrides.

use std::path::PathBuf;

use clap::{Parser, Subcommand, ValueEnum};

/// drainsim: how many sessions does restarting a paused Front End cut off?
#[derive(Debug, Parser)]
#[command(name = "drainsim", version, about, long_about = None)]
pub struct Cli {
    /// The command (`run` when none is given).
    #[command(subcommand)]
    pub(crate) command: Option<Command>,
}

/// The commands.
#[derive(Debug, Subcommand)]
pub enum Command {
    /// Run a scenario (the embedded default when none is given) and write its report.
    Run(RunArgs),
    /// Validate scenario files; print every problem as file:line:col: message.
    Check(CheckArgs),
    /// List the built-in feature catalogue (Lync 2013 / SfB 2015 defaults).
    Features,
    /// Print the JSON Schema of the scenario format (for editors: taplo, Even Better TOML).
    Schema,
    /// Run every scenario that has [[expect]] entries and check them (runbooks as tests).
    Test(TestArgs),
    /// Fit a scenario to a call-detail export: per feature an hourly profile and a
    /// holding-time distribution.
    Fit(FitArgs),
    /// Recommend a maintenance runbook: every candidate of the scenario's [plan] table,
    /// ranked on common random numbers; writes plan.md, candidates.csv, a chart and
    /// recommended.toml.
    Plan(PlanArgs),
    /// Merge the shard folders of `drainsim run --shard K/N` into the report the unsharded
    /// run writes (expectations are decided here).
    Merge(MergeArgs),
    /// The scenario's steps (a plan's recommended.toml above all) as the runbook to follow in
    /// the Lync Server Management Shell: each step's time, commands, what the simulation
    /// expects then, and when to stop.
    Runbook(RunbookArgs),
    /// Write a commented starter scenario from a few flags (servers by name, upgrade
    /// domains, load balancing, users, change window); never replaces a file.
    Init(InitArgs),
}

/// `drainsim runbook`.
#[derive(Debug, clap::Args)]
pub struct RunbookArgs {
    /// Scenario file with [[step]] entries (e.g. reports/plan-night/recommended.toml).
    pub scenario: PathBuf,
    /// Write the runbook here (default: print it). A file drainsim did not write, or a link,
    /// is never replaced.
    #[arg(long, value_name = "FILE")]
    pub out: Option<PathBuf>,
    /// `md` (a page to follow) or `ps1` (a script that supports -WhatIf and stops at the
    /// first failure).
    #[arg(long, value_enum, default_value_t = RunbookFormat::Md)]
    pub format: RunbookFormat,
    /// Simulated nights behind the expectations (default: the scenario's replications, at
    /// least 200), seed and threads.
    #[command(flatten)]
    pub overrides: Overrides,
}

/// `drainsim runbook --format`.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, ValueEnum)]
pub enum RunbookFormat {
    /// Markdown.
    #[default]
    Md,
    /// A PowerShell script.
    Ps1,
}

/// `drainsim init`.
#[derive(Debug, clap::Args)]
pub struct InitArgs {
    /// The scenario file to write (it must not exist).
    pub out: PathBuf,
    /// The Front Ends' FQDNs, comma-separated, in pool order.
    #[arg(long, value_delimiter = ',', value_name = "FQDN,…")]
    pub servers: Vec<String>,
    /// Upgrade domains: their number (blocks of servers in pool order).
    #[arg(long, value_name = "N")]
    pub domains: Option<u32>,
    /// `dns` or `hardware` (an F5 or other load balancer in front of the pool).
    #[arg(long, value_name = "dns|hardware", default_value = "dns")]
    pub load_balancing: String,
    /// Users homed on the pool.
    #[arg(long, value_name = "N", default_value_t = 10_000)]
    pub users: u32,
    /// The change window, `HH:MM-HH:MM`.
    #[arg(long, value_name = "HH:MM-HH:MM", default_value = "02:00-05:00")]
    pub window: String,
}

/// `drainsim plan`.
#[derive(Debug, clap::Args)]
pub struct PlanArgs {
    /// Scenario file with a [plan] table.
    pub scenario: PathBuf,
    /// Plan folder (default: reports/<scenario file stem>/).
    #[arg(long)]
    pub out: Option<PathBuf>,
    /// First-stage replications per candidate, the most per candidate, seed and threads.
    #[command(flatten)]
    pub overrides: Overrides,
    /// Print nothing but errors.
    #[arg(long, short)]
    pub quiet: bool,
}

/// The flags `run` and `test` share: both apply them to each scenario the same way, so they
/// accept and refuse the same values with the same messages.
#[derive(Debug, Clone, Copy, Default, clap::Args)]
pub struct Overrides {
    /// Override the scenario's replications per run: the starting count when expectations
    /// need more to be decided (it never changes a verdict, only where the search starts).
    #[arg(long)]
    pub replications: Option<u32>,
    /// Override the scenario's `max_replications`: the most replications per run that
    /// undecided expectations may take before they are reported inconclusive.
    #[arg(long)]
    pub max_replications: Option<u32>,
    /// Override the scenario's seed.
    #[arg(long)]
    pub seed: Option<u64>,
    /// Worker threads (default: all cores). Results do not depend on it.
    #[arg(long)]
    pub jobs: Option<usize>,
}

/// Output format of `run` on stdout.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, ValueEnum)]
pub enum Format {
    /// A short table.
    #[default]
    Text,
    /// The summary rows as JSON.
    Json,
}

/// `drainsim run`.
#[derive(Debug, Default, clap::Args)]
pub struct RunArgs {
    /// Scenario file (default: the embedded scenarios/default.toml).
    pub scenario: Option<PathBuf>,
    /// Report folder (default: reports/<scenario file stem>/).
    #[arg(long)]
    pub out: Option<PathBuf>,
    /// Replications, seed and worker threads.
    #[command(flatten)]
    pub overrides: Overrides,
    /// Print nothing but errors and failed expectations.
    #[arg(long, short)]
    pub quiet: bool,
    /// Kept for older scripts; changes nothing: drainsim never deletes a file it did not write.
    ///
    /// drainsim replaces a report folder it wrote (marked by a .drainsim-report file). It
    /// refuses, with exit 2 and the folder left as it was, a folder it did not write, and its
    /// own report folder once files of yours are in it: it never deletes or overwrites a file
    /// it did not write, with or without --force.
    #[arg(long)]
    pub force: bool,
    /// What to print on stdout.
    #[arg(long, value_enum, default_value_t = Format::Text)]
    pub format: Format,
    /// Compute shard K of N (0-based) of the run's replications and write a shard folder
    /// (default: reports/<scenario file stem>.shard-K-of-N/) instead of a report; `auto/N`
    /// takes K from JOB_COMPLETION_INDEX, SLURM_ARRAY_TASK_ID or AWS_BATCH_JOB_ARRAY_INDEX.
    /// `drainsim merge` turns the N shard folders into the report.
    #[arg(long, value_name = "K/N")]
    pub shard: Option<String>,
    /// Also write the per-replication detail: replications.csv, restarts.csv, drains.csv and
    /// timeseries.csv (large for big runs: a row per replication, restart or drain). Without
    /// it the folder holds the summaries, the charts and report.md.
    #[arg(long)]
    pub detail: bool,
}

/// `drainsim merge`.
#[derive(Debug, clap::Args)]
pub struct MergeArgs {
    /// The shard folders (every one of the N, in any order).
    #[arg(required = true)]
    pub shards: Vec<PathBuf>,
    /// Report folder (default: reports/<scenario file stem>/).
    #[arg(long)]
    pub out: Option<PathBuf>,
    /// Worker threads, for any further replications the expectations need (default: all
    /// cores). Results do not depend on it.
    #[arg(long)]
    pub jobs: Option<usize>,
    /// Print nothing but errors and failed expectations.
    #[arg(long, short)]
    pub quiet: bool,
    /// What to print on stdout.
    #[arg(long, value_enum, default_value_t = Format::Text)]
    pub format: Format,
    /// Also write the per-replication detail: replications.csv, restarts.csv, drains.csv and
    /// timeseries.csv (large for big runs: a row per replication, restart or drain). Without
    /// it the folder holds the summaries, the charts and report.md.
    #[arg(long)]
    pub detail: bool,
}

/// `drainsim check`.
#[derive(Debug, clap::Args)]
pub struct CheckArgs {
    /// Scenario files.
    #[arg(required = true)]
    pub scenarios: Vec<PathBuf>,
}

/// `drainsim fit`.
#[derive(Debug, clap::Args)]
pub struct FitArgs {
    /// The export (CSV, one row per session, sorted by start; see docs/formats.md).
    pub export: PathBuf,
    /// Column holding each session's start.
    #[arg(long, value_name = "C", default_value = "InviteTime")]
    pub start_column: String,
    /// Column holding each session's end.
    #[arg(long, value_name = "C", default_value = "EndTime")]
    pub end_column: String,
    /// Column naming each session's kind.
    #[arg(long, value_name = "C", default_value = "Media")]
    pub feature_column: String,
    /// Map a value of the feature column to a feature (repeatable); adds to or overrides the
    /// built-in mapping of the documented SQL's values.
    #[arg(long, value_name = "VALUE=FEATURE")]
    pub map: Vec<String>,
    /// Write the scenario here (and any empirical durations files next to it) instead of
    /// printing it. A file fit did not write is never replaced.
    #[arg(long, value_name = "SCENARIO.toml")]
    pub out: Option<PathBuf>,
}

/// `drainsim test`.
#[derive(Debug, clap::Args)]
pub struct TestArgs {
    /// Scenario files or folders (default: scenarios/).
    pub paths: Vec<PathBuf>,
    /// Replications, seed and worker threads, for every scenario.
    #[command(flatten)]
    pub overrides: Overrides,
    /// Also write the results as JUnit XML (one test case per expectation; files without
    /// expectations as skipped) for CI systems to display.
    #[arg(long, value_name = "FILE")]
    pub junit: Option<std::path::PathBuf>,
}
