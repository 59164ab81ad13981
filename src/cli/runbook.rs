//! `drainsim runbook`: the scenario's steps as the runbook an administrator follows, with the
//! simulation's expectations; printed, or written atomically to `--out` (never through a
//! link, never over a file drainsim did not write).

use std::io::Write;
use std::path::{Path, PathBuf};

use super::load::load_file;
use super::pipeline::Pipeline;
use super::{CliError, Outcome, RunbookArgs, RunbookFormat};
use crate::runbook;
use crate::runner;

/// The simulated nights behind the expectations when neither the file nor the command line
/// asks for more: a 95th percentile needs a few hundred.
const MIN_REPLICATIONS: u32 = 200;

/// The first line of every runbook drainsim writes: what makes a file drainsim's to replace.
const MARKERS: [&str; 2] = [
    "<!-- Written by drainsim runbook; safe to replace. -->",
    "# Written by drainsim runbook; safe to replace.",
];

/// Simulates the scenario's run and prints or writes its runbook.
pub fn runbook(args: &RunbookArgs) -> Result<Outcome, CliError> {
    let mut overrides = args.overrides;
    let (scenario, _) = load_file(&args.scenario)?;
    if overrides.replications.is_none() {
        overrides.replications = Some(scenario.replications.max(MIN_REPLICATIONS));
    }
    if let Some(out) = &args.out {
        check_target(out)?;
    }
    let pipeline = Pipeline::new(overrides)?;
    let prepared = pipeline.prepare(scenario)?;
    let scenario = prepared.scenario;
    if prepared.runs.len() != 1 {
        let e = runbook::RunbookError::Sweep(scenario.file.clone(), prepared.runs.len());
        return Err(CliError::Runbook(e.to_string()));
    }
    if scenario.base.plan.is_empty() {
        // Said before simulating anything.
        let probe = runner::RunResult {
            run: prepared.runs[0].clone(),
            replications: runner::Replications::in_memory(),
        };
        if let Err(e) = runbook::build(&scenario, &probe) {
            return Err(CliError::Runbook(e.to_string()));
        }
    }
    let results = runner::run_all(&scenario, prepared.runs, &pipeline.options(None))
        .map_err(|e| pipeline.error(&scenario, e))?;
    let rb =
        runbook::build(&scenario, &results[0]).map_err(|e| CliError::Runbook(e.to_string()))?;
    let services = &results[0].run.config.services;
    let text = match args.format {
        RunbookFormat::Md => runbook::markdown(&rb, services),
        RunbookFormat::Ps1 => runbook::powershell(&rb, services),
    };
    match &args.out {
        None => {
            print!("{text}");
            Ok(Outcome::Success)
        }
        Some(out) => {
            write_replacing_own(out, text.as_bytes())?;
            Ok(Outcome::Success)
        }
    }
}

/// Refuses a target that is a link, a folder, or a file drainsim did not write.
fn check_target(path: &Path) -> Result<(), CliError> {
    let meta = match std::fs::symlink_metadata(path) {
        Err(_) => return Ok(()),
        Ok(m) => m,
    };
    let refuse = |why: &str| {
        Err(CliError::Runbook(format!(
            "{}: {why}; choose another --out (drainsim never writes through a link or over a \
             file it did not write)",
            path.display()
        )))
    };
    if meta.file_type().is_symlink() {
        return refuse("is a link");
    }
    if !meta.is_file() {
        return refuse("exists and is not a file");
    }
    let head = std::fs::read(path).unwrap_or_default();
    let head = head.strip_prefix("\u{feff}".as_bytes()).unwrap_or(&head);
    let first = head.split(|&b| b == b'\n').next().unwrap_or_default();
    if MARKERS.iter().any(|m| m.as_bytes() == first) {
        Ok(())
    } else {
        refuse("exists and was not written by drainsim runbook")
    }
}

/// A temporary file created exclusively (never an existing one, never through a link) in
/// the folder of `path`.
pub(super) fn exclusive_temp(path: &Path) -> Result<(PathBuf, std::fs::File), CliError> {
    let dir = match path.parent() {
        Some(p) if !p.as_os_str().is_empty() => p.to_path_buf(),
        _ => PathBuf::from("."),
    };
    let name = path
        .file_name()
        .map_or_else(|| "file".into(), |n| n.to_string_lossy().into_owned());
    for k in 0..100u32 {
        let tmp = dir.join(format!(".{name}.tmp-{}-{k}", std::process::id()));
        match std::fs::OpenOptions::new()
            .write(true)
            .create_new(true)
            .open(&tmp)
        {
            Ok(f) => return Ok((tmp, f)),
            Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => continue,
            Err(e) => {
                return Err(CliError::Runbook(format!(
                    "cannot create a temporary file in {}: {e}",
                    dir.display()
                )));
            }
        }
    }
    Err(CliError::Runbook(format!(
        "cannot create a temporary file in {}: too many left over",
        dir.display()
    )))
}

/// Writes `bytes` to a fresh temporary file beside `path`, then renames it over `path`
/// (checked again just before: drainsim's own runbook, or nothing).
fn write_replacing_own(path: &Path, bytes: &[u8]) -> Result<(), CliError> {
    let (tmp, mut f) = exclusive_temp(path)?;
    let result = f
        .write_all(bytes)
        .and_then(|()| f.sync_all())
        .map_err(|e| CliError::Runbook(format!("cannot write {}: {e}", tmp.display())))
        .and_then(|()| check_target(path))
        .and_then(|()| {
            std::fs::rename(&tmp, path)
                .map_err(|e| CliError::Runbook(format!("cannot write {}: {e}", path.display())))
        });
    if result.is_err() {
        let _ = std::fs::remove_file(&tmp);
    }
    result
}
