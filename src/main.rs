//! The `drainsim` command; see `drainsim --help`.

use std::process::ExitCode;

use clap::Parser;
use drainsim::cli::{self, Cli, CliError, Outcome};

fn main() -> ExitCode {
    let result = try_main();
    match &result {
        // clap prints usage errors to stderr and `--help` / `--version` to stdout, coloured
        // on a terminal.
        Err(CliError::Usage(e)) => {
            let _ = e.print();
        }
        Err(e) => eprintln!("{e}"),
        Ok(_) => {}
    }
    ExitCode::from(exit_code(&result))
}

fn try_main() -> Result<Outcome, CliError> {
    let cli = Cli::try_parse().map_err(CliError::Usage)?;
    cli::execute(cli)
}

/// The one place where how a command ended becomes the process's exit code: 0 success, 1 an
/// expectation failed, 2 bad input, 130 interrupted (128 + SIGINT, as shells report it).
fn exit_code(result: &Result<Outcome, CliError>) -> u8 {
    match result {
        Ok(Outcome::Success) => 0,
        Ok(Outcome::ExpectationFailed) => 1,
        // `--help` and `--version` arrive as clap errors that are not failures.
        Err(CliError::Usage(e)) if !e.use_stderr() => 0,
        Err(CliError::Interrupted) => 130,
        Err(
            CliError::Usage(_)
            | CliError::Scenario(_)
            | CliError::Scenarios(_)
            | CliError::Replications { .. }
            | CliError::Jobs { .. }
            | CliError::Sweep { .. }
            | CliError::TooManyReplications { .. }
            | CliError::Run { .. }
            | CliError::Folder(_)
            | CliError::Write(_)
            | CliError::NoScenarioFiles
            | CliError::NotRun(_)
            | CliError::Junit(_)
            | CliError::Fit(_)
            | CliError::Runbook(_)
            | CliError::Shard(_)
            | CliError::Plan(_),
        ) => 2,
    }
}
