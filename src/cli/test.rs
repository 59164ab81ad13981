//! `drainsim test`: every scenario with `[[expect]]` entries, run and checked (runbooks as
//! tests); ends with `N passed, M failed`.

use std::path::Path;
use std::time::Instant;

use super::load::{load_file, scenario_files};
use super::pipeline::{Pipeline, Prepared};
use super::{CliError, Outcome, TestArgs};
use crate::{expect, summary};

/// What became of one scenario file.
enum Verdict {
    /// It has no expectations: not run.
    Skipped,
    /// Every expectation held.
    Passed,
    /// At least one failed.
    Failed,
}

/// Runs and checks every scenario file under `args.paths` that has expectations.
pub fn test(args: &TestArgs) -> Result<Outcome, CliError> {
    let pipeline = Pipeline::new(args.overrides)?;
    let files = scenario_files(&args.paths);
    if files.is_empty() {
        return Err(CliError::NoScenarioFiles);
    }
    let (mut passed, mut failed, mut not_run) = (0usize, 0usize, 0usize);
    for f in &files {
        match test_file(&pipeline, f) {
            Ok(Verdict::Skipped) => {}
            Ok(Verdict::Passed) => passed += 1,
            Ok(Verdict::Failed) => failed += 1,
            Err(CliError::Interrupted) => return Err(CliError::Interrupted),
            Err(e) => {
                eprintln!("{e}");
                not_run += 1;
            }
        }
    }
    println!("{passed} passed, {failed} failed");
    if not_run > 0 {
        Err(CliError::NotRun(not_run))
    } else if failed > 0 {
        Ok(Outcome::ExpectationFailed)
    } else {
        Ok(Outcome::Success)
    }
}

/// Loads, runs and checks one file; prints its verdict line and each failed expectation.
fn test_file(pipeline: &Pipeline, file: &Path) -> Result<Verdict, CliError> {
    let (scenario, _) = load_file(file)?;
    if scenario.expects.is_empty() {
        return Ok(Verdict::Skipped);
    }
    let Prepared { scenario, runs } = pipeline.prepare(scenario)?;
    let started = Instant::now();
    let results = pipeline.execute(&scenario, runs, None)?;
    let rows = summary::summarize(&results);
    let failures = expect::check(&scenario.expects, &rows);
    let n = scenario.expects.len();
    let verdict = if failures.is_empty() { "ok" } else { "FAILED" };
    println!(
        "{}: {verdict} ({} of {n} expectations held; {} replications, {:.1} s)",
        file.display(),
        n - failures.len().min(n),
        scenario.replications,
        started.elapsed().as_secs_f64()
    );
    for fl in &failures {
        println!("  {fl}");
    }
    Ok(if failures.is_empty() {
        Verdict::Passed
    } else {
        Verdict::Failed
    })
}
