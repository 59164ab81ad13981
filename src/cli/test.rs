//! `drainsim test`: every scenario with `[[expect]]` entries, run and checked (runbooks as
//! tests); files without expectations are listed as skipped. Each expectation is decided with
//! confidence (see [`crate::expect`]): undecided ones get more replications, up to the
//! scenario's `max_replications`. Ends with `N passed, M failed, K skipped`; `--junit FILE`
//! also writes JUnit XML.

use std::path::Path;
use std::time::Instant;

use super::junit::{self, Case, Suite};
use super::load::{load_file, scenario_files};
use super::pipeline::{Pipeline, Prepared};
use super::{CliError, Outcome, TestArgs};
use crate::expect;

/// What became of one scenario file.
enum Verdict {
    /// It has no expectations: not run.
    Skipped,
    /// Every expectation held.
    Passed,
    /// At least one failed or stayed inconclusive.
    Failed,
}

/// Runs and checks every scenario file under `args.paths` that has expectations.
pub fn test(args: &TestArgs) -> Result<Outcome, CliError> {
    let pipeline = Pipeline::new(args.overrides)?;
    let files = scenario_files(&args.paths);
    if files.is_empty() {
        return Err(CliError::NoScenarioFiles);
    }
    let (mut passed, mut failed, mut skipped, mut not_run) = (0usize, 0usize, 0usize, 0usize);
    let mut suite = Suite::default();
    for f in &files {
        match test_file(&pipeline, f, &mut suite) {
            Ok(Verdict::Skipped) => skipped += 1,
            Ok(Verdict::Passed) => passed += 1,
            Ok(Verdict::Failed) => failed += 1,
            Err(CliError::Interrupted) => return Err(CliError::Interrupted),
            Err(e) => {
                eprintln!("{e}");
                suite.cases.push(Case::error(f, &e.to_string()));
                not_run += 1;
            }
        }
    }
    outln!("{passed} passed, {failed} failed, {skipped} skipped");
    if let Some(path) = &args.junit {
        junit::write(path, &suite).map_err(CliError::Junit)?;
    }
    if not_run > 0 {
        Err(CliError::NotRun(not_run))
    } else if failed > 0 {
        Ok(Outcome::ExpectationFailed)
    } else {
        Ok(Outcome::Success)
    }
}

/// Loads, runs and checks one file; prints its verdict line and each failed expectation, and
/// adds its test cases to `suite`.
fn test_file(pipeline: &Pipeline, file: &Path, suite: &mut Suite) -> Result<Verdict, CliError> {
    let (scenario, _) = load_file(file)?;
    for w in &scenario.warnings {
        eprintln!("{w}");
    }
    if scenario.expects.is_empty() {
        outln!("{}: skipped (no [[expect]] entries)", file.display());
        suite.cases.push(Case::skipped(file));
        return Ok(Verdict::Skipped);
    }
    let Prepared { scenario, runs } = pipeline.prepare(scenario)?;
    let started = Instant::now();
    // Replications go to spill files in the system's temporary folder, so that memory does
    // not grow with the replications the expectations take.
    let spill = crate::runner::SpillDir::inside(&std::env::temp_dir(), "drainsim-test").map_err(
        |source| {
            CliError::Write(crate::report::FolderError::Io {
                path: std::env::temp_dir(),
                source,
            })
        },
    )?;
    let decided = pipeline.execute_decided(&scenario, runs, None, Some(spill.path()))?;
    let seconds = started.elapsed().as_secs_f64();
    let failures = expect::failures(&decided.judgements);
    let n = scenario.expects.len();
    let failed_expects = {
        let mut at: Vec<&str> = failures.iter().map(|f| f.location.as_str()).collect();
        at.dedup();
        at.len()
    };
    let verdict = if failures.is_empty() { "ok" } else { "FAILED" };
    let took = if decided.replications > scenario.replications {
        format!(
            "{} replications (from {})",
            decided.replications, scenario.replications
        )
    } else {
        format!("{} replications", decided.replications)
    };
    outln!(
        "{}: {verdict} ({} of {n} expectations held; {took}, {seconds:.1} s)",
        file.display(),
        n - failed_expects.min(n),
    );
    for fl in &failures {
        outln!("  {fl}");
    }
    // Each expectation's time: until the look that decided its last bound.
    let mut last_look = vec![0usize; n];
    for j in &decided.judgements {
        if let Some(i) = scenario
            .expects
            .iter()
            .position(|e| e.location == j.location)
        {
            last_look[i] = last_look[i].max(j.look);
        }
    }
    let times: Vec<f64> = last_look
        .iter()
        .map(|&l| {
            decided
                .look_times
                .get(l)
                .map_or(seconds, |t| t.duration_since(started).as_secs_f64())
        })
        .collect();
    suite
        .cases
        .extend(junit::cases(file, &scenario.expects, &failures, &times));
    Ok(if failures.is_empty() {
        Verdict::Passed
    } else {
        Verdict::Failed
    })
}
