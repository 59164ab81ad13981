//! The `drainsim` command line: `run`, `check`, `features`.
//!
//! Exit codes: 0 success, 1 an expectation failed, 2 bad input, 130 interrupted.

use std::io::IsTerminal;
use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};

use clap::{Parser, Subcommand, ValueEnum};

use crate::model::CATALOGUE;
use crate::report::{self, ReportData};
use crate::runner::{RunError, RunOptions, run_all};
use crate::scenario::{self, FileSource, Scenario, ScenarioError};
use crate::{expect, summary};

/// drainsim: how many sessions does restarting a paused Front End cut off?
#[derive(Debug, Parser)]
#[command(name = "drainsim", version, about, long_about = None)]
pub struct Cli {
    #[command(subcommand)]
    command: Option<Command>,
}

#[derive(Debug, Subcommand)]
enum Command {
    /// Run a scenario (the embedded default when none is given) and write its report.
    Run(RunArgs),
    /// Validate scenario files; print every problem as file:line:col: message.
    Check {
        /// Scenario files.
        #[arg(required = true)]
        scenarios: Vec<PathBuf>,
    },
    /// List the built-in feature catalogue (Lync 2013 / SfB 2015 defaults).
    Features,
    /// Run every scenario that has [[expect]] entries and check them (runbooks as tests).
    Test {
        /// Scenario files or folders (default: scenarios/).
        paths: Vec<PathBuf>,
        /// Override the replications of every scenario.
        #[arg(long)]
        replications: Option<u32>,
        /// Worker threads (default: all cores).
        #[arg(long)]
        jobs: Option<usize>,
    },
}

/// Output format of `run` on stdout.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
enum Format {
    /// A short table.
    Text,
    /// The summary rows as JSON.
    Json,
}

#[derive(Debug, clap::Args)]
struct RunArgs {
    /// Scenario file (default: the embedded scenarios/default.toml).
    scenario: Option<PathBuf>,
    /// Report folder (default: reports/<scenario file stem>/).
    #[arg(long)]
    out: Option<PathBuf>,
    /// Override the scenario's replications per run.
    #[arg(long)]
    replications: Option<u32>,
    /// Override the scenario's seed.
    #[arg(long)]
    seed: Option<u64>,
    /// Worker threads (default: all cores). Results do not depend on it.
    #[arg(long)]
    jobs: Option<usize>,
    /// Print nothing but errors and failed expectations.
    #[arg(long, short)]
    quiet: bool,
    /// Replace the report folder even if drainsim did not write it.
    #[arg(long)]
    force: bool,
    /// What to print on stdout.
    #[arg(long, value_enum, default_value_t = Format::Text)]
    format: Format,
}

/// Reads empirical CSVs relative to the scenario file's folder.
struct DiskFiles {
    base: PathBuf,
}

impl FileSource for DiskFiles {
    fn read(&self, path: &str) -> Result<String, String> {
        let p = self.base.join(path);
        std::fs::read_to_string(&p).map_err(|e| format!("cannot read {}: {e}", p.display()))
    }
}

/// Loads and validates a scenario file from disk.
pub fn load_file(path: &Path) -> Result<(Scenario, String), ScenarioError> {
    let name = path.display().to_string();
    let text = std::fs::read_to_string(path).map_err(|e| ScenarioError {
        diagnostics: vec![scenario::Diagnostic {
            file: name.clone(),
            position: None,
            path: String::new(),
            message: format!("cannot read: {e}"),
        }],
    })?;
    let files = DiskFiles {
        base: path.parent().map(Path::to_path_buf).unwrap_or_default(),
    };
    scenario::parse(&text, &name, &files).map(|s| (s, text))
}

/// Entry point of the binary.
pub fn main() -> ExitCode {
    let cli = match Cli::try_parse() {
        Ok(c) => c,
        Err(e) => {
            let code = if e.use_stderr() { 2 } else { 0 };
            let _ = e.print();
            return ExitCode::from(code);
        }
    };
    match cli.command {
        None => run(RunArgs {
            scenario: None,
            out: None,
            replications: None,
            seed: None,
            jobs: None,
            quiet: false,
            force: false,
            format: Format::Text,
        }),
        Some(Command::Run(args)) => run(args),
        Some(Command::Check { scenarios }) => check(&scenarios),
        Some(Command::Test {
            paths,
            replications,
            jobs,
        }) => test(&paths, replications, jobs),
        Some(Command::Features) => {
            println!(
                "{:<27} {:<11} {:<13} {:<15} description",
                "feature", "service", "needs DNS LB", "on server loss"
            );
            for e in CATALOGUE {
                println!(
                    "{:<27} {:<11} {:<13} {:<15} {}",
                    e.name,
                    e.service,
                    if e.needs_dns_lb { "yes" } else { "no" },
                    e.on_loss.name(),
                    e.description
                );
            }
            ExitCode::SUCCESS
        }
    }
}

fn check(paths: &[PathBuf]) -> ExitCode {
    let mut bad = 0;
    for p in paths {
        match load_file(p) {
            Ok((s, _)) => {
                let runs = scenario::expand(&s).map(|r| r.len()).unwrap_or(0);
                println!(
                    "{}: ok ({} run{}, {} replications each)",
                    p.display(),
                    runs,
                    if runs == 1 { "" } else { "s" },
                    s.replications
                );
            }
            Err(e) => {
                bad += 1;
                eprintln!("{e}");
            }
        }
    }
    if bad > 0 {
        ExitCode::from(2)
    } else {
        ExitCode::SUCCESS
    }
}

/// Installs a Ctrl-C handler that sets the returned flag (once per process).
fn interrupt_flag() -> Arc<AtomicBool> {
    static FLAG: std::sync::OnceLock<Arc<AtomicBool>> = std::sync::OnceLock::new();
    FLAG.get_or_init(|| {
        let flag = Arc::new(AtomicBool::new(false));
        let f = flag.clone();
        // If a handler cannot be installed the default one stays: Ctrl-C kills the process,
        // and since reports are renamed into place only when complete, none is left half-written.
        let _ = ctrlc::set_handler(move || f.store(true, Ordering::SeqCst));
        flag
    })
    .clone()
}

/// The scenario files under `paths` (folders searched for `*.toml`, sorted).
fn scenario_files(paths: &[PathBuf]) -> Vec<PathBuf> {
    let roots = if paths.is_empty() {
        vec![PathBuf::from("scenarios")]
    } else {
        paths.to_vec()
    };
    let mut out = Vec::new();
    for p in roots {
        if p.is_dir() {
            let mut found: Vec<PathBuf> = std::fs::read_dir(&p)
                .map(|rd| {
                    rd.filter_map(|e| e.ok().map(|e| e.path()))
                        .filter(|f| f.extension().is_some_and(|x| x == "toml"))
                        .collect()
                })
                .unwrap_or_default();
            found.sort();
            out.extend(found);
        } else {
            out.push(p);
        }
    }
    out
}

fn test(paths: &[PathBuf], replications: Option<u32>, jobs: Option<usize>) -> ExitCode {
    let files = scenario_files(paths);
    if files.is_empty() {
        eprintln!("no scenario files found");
        return ExitCode::from(2);
    }
    let cancel = interrupt_flag();
    let (mut passed, mut failed, mut bad) = (0usize, 0usize, 0usize);
    for f in &files {
        let mut scenario = match load_file(f) {
            Ok((s, _)) => s,
            Err(e) => {
                eprintln!("{e}");
                bad += 1;
                continue;
            }
        };
        if scenario.expects.is_empty() {
            continue;
        }
        if let Some(r) = replications {
            scenario.replications = r.clamp(1, scenario.limits.max_replications);
        }
        let runs = match scenario::expand(&scenario) {
            Ok(r) => r,
            Err(msgs) => {
                for m in msgs {
                    eprintln!("{}: sweep: {m}", scenario.file);
                }
                bad += 1;
                continue;
            }
        };
        let opts = RunOptions {
            jobs,
            cancel: Some(cancel.clone()),
            on_replication: None,
        };
        let started = std::time::Instant::now();
        let results = match run_all(&scenario, runs, &opts) {
            Ok(r) => r,
            Err(RunError::Interrupted) => {
                eprintln!("interrupted");
                return ExitCode::from(130);
            }
            Err(e) => {
                eprintln!("{}: {e}", scenario.file);
                bad += 1;
                continue;
            }
        };
        let rows = summary::summarize(&results);
        let failures = expect::check(&scenario.expects, &rows);
        let n = scenario.expects.len();
        let verdict = if failures.is_empty() { "ok" } else { "FAILED" };
        println!(
            "{}: {verdict} ({} of {n} expectations held; {} replications, {:.1} s)",
            f.display(),
            n - failures.len().min(n),
            scenario.replications,
            started.elapsed().as_secs_f64()
        );
        for fl in &failures {
            println!("  {fl}");
        }
        if failures.is_empty() {
            passed += 1;
        } else {
            failed += 1;
        }
    }
    if bad > 0 {
        eprintln!("{bad} scenario file(s) could not be run");
    }
    println!("{passed} passed, {failed} failed");
    if bad > 0 {
        ExitCode::from(2)
    } else if failed > 0 {
        ExitCode::from(1)
    } else {
        ExitCode::SUCCESS
    }
}

fn run(args: RunArgs) -> ExitCode {
    let (mut scenario, source, stem, shown) = match &args.scenario {
        None => match scenario::parse(
            crate::DEFAULT_SCENARIO,
            "scenarios/default.toml",
            &scenario::NoFiles,
        ) {
            Ok(s) => (
                s,
                crate::DEFAULT_SCENARIO.to_string(),
                "default".to_string(),
                None,
            ),
            Err(e) => {
                eprintln!("{e}");
                return ExitCode::from(2);
            }
        },
        Some(p) => match load_file(p) {
            Ok((s, text)) => {
                let stem = p
                    .file_stem()
                    .map(|s| s.to_string_lossy().into_owned())
                    .unwrap_or_else(|| "report".into());
                (s, text, stem, Some(p.display().to_string()))
            }
            Err(e) => {
                eprintln!("{e}");
                return ExitCode::from(2);
            }
        },
    };
    if let Some(r) = args.replications {
        if r == 0 || r > scenario.limits.max_replications {
            eprintln!(
                "--replications must be between 1 and {}, got {r}",
                scenario.limits.max_replications
            );
            return ExitCode::from(2);
        }
        scenario.replications = r;
    }
    if let Some(seed) = args.seed {
        scenario.seed = seed;
    }
    if args.jobs == Some(0) {
        eprintln!("--jobs must be at least 1");
        return ExitCode::from(2);
    }
    let runs = match scenario::expand(&scenario) {
        Ok(r) => r,
        Err(msgs) => {
            for m in msgs {
                eprintln!("{}: sweep: {m}", scenario.file);
            }
            return ExitCode::from(2);
        }
    };
    let total = runs.len() as u64 * scenario.replications as u64;
    if total > scenario.limits.max_total_replications {
        eprintln!(
            "{}: {} runs × {} replications = {total}, beyond the limit of {}",
            scenario.file,
            runs.len(),
            scenario.replications,
            scenario.limits.max_total_replications
        );
        return ExitCode::from(2);
    }
    let out_dir = args
        .out
        .clone()
        .unwrap_or_else(|| PathBuf::from("reports").join(&stem));
    if let Err(e) = report::folder::check_target(&out_dir, args.force) {
        eprintln!("{e}");
        return ExitCode::from(2);
    }

    let cancel = interrupt_flag();
    let show_progress = !args.quiet && std::io::stderr().is_terminal();
    let bar = show_progress.then(|| {
        let b = indicatif::ProgressBar::new(total);
        b.set_style(
            indicatif::ProgressStyle::with_template(
                "{bar:40} {pos}/{len} replications ({per_sec}, eta {eta}) {msg}",
            )
            .unwrap_or_else(|_| indicatif::ProgressStyle::default_bar()),
        );
        b.set_message(format!("{} runs", runs.len()));
        b
    });
    let bar_cb = bar.clone();
    let opts = RunOptions {
        jobs: args.jobs,
        cancel: Some(cancel.clone()),
        on_replication: bar_cb.map(|b| Arc::new(move || b.inc(1)) as Arc<dyn Fn() + Send + Sync>),
    };
    let started = std::time::Instant::now();
    let results = match run_all(&scenario, runs, &opts) {
        Ok(r) => r,
        Err(RunError::Interrupted) => {
            if let Some(b) = &bar {
                b.abandon();
            }
            eprintln!("interrupted; no report written");
            return ExitCode::from(130);
        }
        Err(e) => {
            if let Some(b) = &bar {
                b.abandon();
            }
            eprintln!("{}: {e}", scenario.file);
            return ExitCode::from(2);
        }
    };
    if let Some(b) = &bar {
        b.finish_and_clear();
    }
    let rows = summary::summarize(&results);
    let comparisons = summary::compare(&results);
    let mut command = String::from("drainsim run");
    if let Some(s) = &shown {
        command.push_str(&format!(" {s}"));
    }
    command.push_str(&format!(
        " --seed {} --replications {}",
        scenario.seed, scenario.replications
    ));
    let data = ReportData {
        scenario: &scenario,
        source: &source,
        results: &results,
        rows: &rows,
        comparisons: &comparisons,
        command,
    };
    let files = report::render(&data);
    if cancel.load(Ordering::SeqCst) {
        eprintln!("interrupted; no report written");
        return ExitCode::from(130);
    }
    if let Err(e) = report::write(&out_dir, args.force, &files) {
        eprintln!("cannot write the report: {e}");
        return ExitCode::from(2);
    }
    let elapsed = started.elapsed();
    match args.format {
        Format::Json => {
            let json: Vec<serde_json::Value> = rows
                .iter()
                .map(|r| {
                    let mut m = serde_json::Map::new();
                    m.insert("run".into(), r.run.into());
                    for (k, v) in &r.labels {
                        m.insert(k.clone(), v.clone().into());
                    }
                    m.insert("feature".into(), r.feature.clone().into());
                    m.insert("replications".into(), r.replications.into());
                    for (i, (name, _)) in crate::stats::MEASURES.iter().enumerate() {
                        let e = &r.estimates[i];
                        for (stat, x) in [
                            ("mean", e.mean),
                            ("sd", e.sd),
                            ("ci95_low", e.low),
                            ("ci95_high", e.high),
                        ] {
                            let v = if x.is_finite() {
                                serde_json::Value::from(x)
                            } else {
                                serde_json::Value::Null
                            };
                            m.insert(format!("{name}_{stat}"), v);
                        }
                    }
                    serde_json::Value::Object(m)
                })
                .collect();
            println!(
                "{}",
                serde_json::to_string_pretty(&json).unwrap_or_default()
            );
        }
        Format::Text if !args.quiet => {
            println!("{}", scenario.name);
            print!("{}", report::text_table(&data));
            println!(
                "\nreport: {}  ({} runs × {} replications in {:.1} s)",
                out_dir.display(),
                results.len(),
                scenario.replications,
                elapsed.as_secs_f64()
            );
        }
        Format::Text => {}
    }
    let failures = expect::check(&scenario.expects, &rows);
    for f in &failures {
        eprintln!("{f}");
    }
    if !scenario.expects.is_empty() && !args.quiet {
        eprintln!(
            "{} expectation{} checked, {} failed",
            scenario.expects.len(),
            if scenario.expects.len() == 1 { "" } else { "s" },
            failures.len()
        );
    }
    if failures.is_empty() {
        ExitCode::SUCCESS
    } else {
        ExitCode::from(1)
    }
}
