//! `drainsim plan`: every candidate runbook of a scenario's `[plan]`, ranked on common random
//! numbers; the plan folder written atomically (nothing is left behind on Ctrl-C).

use std::io::IsTerminal;
use std::path::PathBuf;
use std::sync::Arc;
use std::time::Instant;

use indicatif::{ProgressBar, ProgressStyle};

use super::load::{disk_files, load_file};
use super::pipeline::Pipeline;
use super::{CliError, Outcome, PlanArgs};
use crate::planner::{self, PlanError, PlanOptions};
use crate::report;

/// Plans, writes the plan folder and prints the recommendation.
pub fn plan(args: &PlanArgs) -> Result<Outcome, CliError> {
    let pipeline = Pipeline::new(args.overrides)?;
    let (scenario, text) = load_file(&args.scenario)?;
    let prepared = pipeline.prepare(scenario)?;
    let scenario = prepared.scenario;
    if scenario.plan.is_none() {
        return Err(CliError::Plan(PlanError::NoPlan(scenario.file.clone())));
    }
    let stem = args
        .scenario
        .file_stem()
        .map_or("plan".into(), |s| s.to_string_lossy().into_owned());
    let out_dir = args
        .out
        .clone()
        .unwrap_or_else(|| PathBuf::from("reports").join(&stem));
    report::folder::check_target(&out_dir, false).map_err(CliError::Folder)?;
    let bar = (!args.quiet && std::io::stderr().is_terminal()).then(|| {
        let b = ProgressBar::new_spinner();
        b.set_style(
            ProgressStyle::with_template("{spinner} {pos} replications ({per_sec}) {msg}")
                .unwrap_or_else(|_| ProgressStyle::default_spinner()),
        );
        b
    });
    let opts = PlanOptions {
        jobs: args.overrides.jobs,
        cancel: Some(pipeline.cancel_flag()),
        progress: bar
            .clone()
            .map(|b| Arc::new(move || b.inc(1)) as Arc<dyn Fn() + Send + Sync>),
    };
    let started = Instant::now();
    let files = disk_files(&args.scenario);
    let result = planner::plan(&scenario, &text, &files, &opts);
    if let Some(b) = &bar {
        b.finish_and_clear();
    }
    let result = result.map_err(|e| match e {
        PlanError::Interrupted => CliError::Interrupted,
        e => CliError::Plan(e),
    })?;
    let command = format!(
        "drainsim plan {} --seed {} --replications {} --max-replications {}",
        crate::quote::shell_word(&args.scenario.display().to_string()),
        scenario.seed,
        result.first_stage,
        result.cap
    );
    let rendered = planner::report::render(
        &result,
        &crate::quote::printable(&scenario.name),
        &text,
        &command,
    );
    if pipeline.interrupted() {
        return Err(CliError::Interrupted);
    }
    report::write(&out_dir, false, &rendered).map_err(CliError::Write)?;
    if !args.quiet {
        print_summary(
            &rendered,
            &out_dir,
            &result,
            started.elapsed().as_secs_f64(),
        );
    }
    Ok(Outcome::Success)
}

/// The recommendation (the lead of plan.md) and where the folder is.
fn print_summary(
    files: &[(String, Vec<u8>)],
    out_dir: &std::path::Path,
    result: &planner::PlanResult,
    secs: f64,
) {
    if let Some((_, md)) = files.iter().find(|(n, _)| n == "plan.md") {
        let md = String::from_utf8_lossy(md);
        let lead: Vec<&str> = md
            .lines()
            .skip(1)
            .take_while(|l| !l.starts_with("## "))
            .filter(|l| !l.trim().is_empty())
            .collect();
        outln!("{}", lead.join("\n"));
    }
    outln!(
        "\nplan: {}  ({} candidates, {} replications in {secs:.1} s)",
        out_dir.display(),
        result.candidates.len(),
        result.replications_spent
    );
}
