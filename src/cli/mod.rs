//! The `drainsim` command line: `run`, `check`, `test`, `features`, `schema`, `fit`.
//!
//! - `run [SCENARIO]`: simulate one scenario (the embedded default when none is given), write
//!   its report folder, check its `[[expect]]` entries.
//! - `check SCENARIO…`: validate scenario files; every problem as `file:line:col: message`.
//! - `test [PATH…]`: run every scenario with `[[expect]]` entries (files, or folders searched
//!   for `*.toml`; default `scenarios/`) and check them; ends with
//!   `N passed, M failed, K skipped` (`--junit FILE`: JUnit XML).
//! - `features`: the built-in feature catalogue.
//! - `schema`: the JSON Schema of the scenario format, for editors.
//! - `fit EXPORT.csv`: a scenario fitted to a call-detail export (hourly profiles and
//!   holding times per feature).
//! - `plan SCENARIO`: the recommended maintenance runbook among the candidates of its
//!   `[plan]` table (`plan.md`, `candidates.csv`, a chart, `recommended.toml`).
//! - `runbook SCENARIO`: its steps as the administrator's runbook (`--format md|ps1`).
//! - `init FILE`: a commented starter scenario from a few flags.
//!
//! Each command returns an [`Outcome`] or a [`CliError`]; the binary's `main` alone maps them
//! to exit codes: 0 success, 1 an expectation failed, 2 bad input (the command line, a
//! scenario file, the report folder), 130 interrupted.
//!
//! ## Layout
//!
//! - `args`: every flag, defined once ([`Cli`]); `run` and `test` share one set of overrides.
//! - `load`: scenario files from disk ([`load_file`]).
//! - `pipeline`: load → override → execute, the one path of `run` and `test`, so both
//!   refuse `--replications 0` and `--jobs 0` with the same message.
//! - `run`, `check`, `test`, `features`: one module per command.
//! - `error`: [`Outcome`] and [`CliError`].
//!
//! A report folder is replaced only if drainsim wrote it and it holds nothing else; drainsim
//! never deletes or overwrites a file it did not write, `--force` or not
//! ([`report::folder`](crate::report::folder)).

/// Like `print!`, but a closed or full standard output (`| head -c10`, `> /dev/full`) is not
/// a panic: what cannot be written is dropped and the command ends with the status it earned.
macro_rules! out {
    ($($t:tt)*) => {
        $crate::cli::write_stdout(format_args!($($t)*))
    };
}

/// Like `println!`, as [`out!`] is like `print!`.
macro_rules! outln {
    () => {
        $crate::cli::write_stdout(format_args!("\n"))
    };
    ($($t:tt)*) => {{
        $crate::cli::write_stdout(format_args!($($t)*));
        $crate::cli::write_stdout(format_args!("\n"));
    }};
}

/// Writes to standard output, ignoring a closed or full one (see [`out!`]).
pub(crate) fn write_stdout(args: std::fmt::Arguments<'_>) {
    use std::io::Write;
    let _ = std::io::stdout().lock().write_fmt(args);
}

mod args;
mod check;
mod error;
mod features;
mod finish;
mod fit;
mod init;
mod junit;
mod load;
mod pipeline;
mod plan;
mod run;
mod runbook;
mod schema;
mod shard;
mod test;

pub use args::Cli;
use args::{
    Command, Format, InitArgs, MergeArgs, Overrides, PlanArgs, RunArgs, RunbookArgs, RunbookFormat,
    TestArgs,
};
pub use error::{CliError, Outcome};
pub use load::load_file;

/// Runs the command `cli` names (`run` with its defaults when it names none).
pub fn execute(cli: Cli) -> Result<Outcome, CliError> {
    match cli.command {
        None => run::run(&RunArgs::default()),
        Some(Command::Run(args)) => run::run(&args),
        Some(Command::Check(args)) => check::check(&args.scenarios),
        Some(Command::Test(args)) => test::test(&args),
        Some(Command::Features) => Ok(features::features()),
        Some(Command::Schema) => Ok(schema::schema()),
        Some(Command::Fit(args)) => fit::fit(&args),
        Some(Command::Plan(args)) => plan::plan(&args),
        Some(Command::Merge(args)) => shard::merge(&args),
        Some(Command::Runbook(args)) => runbook::runbook(&args),
        Some(Command::Init(args)) => init::init(&args),
    }
}
