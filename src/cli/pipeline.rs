//! The path every simulating command takes: load → override → execute. `run` and `test` both
//! go through [`Pipeline`], so they accept and refuse the same flags with the same messages.

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, OnceLock};

use super::{CliError, Overrides};
use crate::expect::{self, Decided};
use crate::runner::RunOptions;
use crate::scenario::{self, Limits, Run, Scenario};

/// Most worker threads `--jobs` may ask for: far above any machine's cores (a thread per
/// core is all a simulation uses), low enough that starting them cannot exhaust the system.
pub const MAX_JOBS: usize = 1024;

/// Called once per finished replication (from worker threads), e.g. to advance a progress bar.
pub type Progress = Arc<dyn Fn() + Send + Sync>;

/// A scenario with the overrides applied and its sweep expanded: ready to execute.
pub struct Prepared {
    /// The scenario, overrides applied.
    pub scenario: Scenario,
    /// Every run of its sweep.
    pub runs: Vec<Run>,
}

impl Prepared {
    /// Replications in all runs together.
    pub fn total_replications(&self) -> u64 {
        self.runs.len() as u64 * u64::from(self.scenario.replications)
    }
}

/// The overrides of one command, and the Ctrl-C flag its runs watch.
pub struct Pipeline {
    overrides: Overrides,
    cancel: Arc<AtomicBool>,
}

impl Pipeline {
    /// Checks the flags before any scenario is read (against the limits scenario files are
    /// read with), so that a bad flag is refused once, whatever the scenarios; installs the
    /// Ctrl-C handler.
    pub fn new(overrides: Overrides) -> Result<Pipeline, CliError> {
        check(&overrides, &Limits::default())?;
        Ok(Pipeline {
            overrides,
            cancel: interrupt_flag(),
        })
    }

    /// Applies the overrides to `scenario`, expands its sweep and checks the total number of
    /// replications against the scenario's limits.
    pub fn prepare(&self, mut scenario: Scenario) -> Result<Prepared, CliError> {
        check(&self.overrides, &scenario.limits)?;
        if let Some(r) = self.overrides.replications {
            scenario.replications = r;
        }
        if let Some(m) = self.overrides.max_replications {
            scenario.max_replications = m;
        }
        // A starting count above the cap is a single look at that count.
        scenario.max_replications = scenario.max_replications.max(scenario.replications);
        if let Some(seed) = self.overrides.seed {
            scenario.seed = seed;
        }
        for w in crate::expect::never_warnings(&scenario) {
            eprintln!("{w}");
        }
        let runs = scenario::expand(&scenario).map_err(|messages| CliError::Sweep {
            file: scenario.file.clone(),
            messages,
        })?;
        let prepared = Prepared { scenario, runs };
        let (total, limit) = (
            prepared.total_replications(),
            prepared.scenario.limits.max_total_replications,
        );
        if total > limit {
            return Err(CliError::TooManyReplications {
                file: prepared.scenario.file.clone(),
                runs: prepared.runs.len(),
                replications: prepared.scenario.replications,
                total,
                limit,
            });
        }
        Ok(prepared)
    }

    /// Runs every run and decides its expectations, adding replications while any is
    /// undecided (see [`expect::run_until_decided`]).
    pub fn execute_decided(
        &self,
        scenario: &Scenario,
        runs: Vec<Run>,
        progress: Option<Progress>,
        spill: Option<&std::path::Path>,
    ) -> Result<Decided, CliError> {
        let opts = RunOptions {
            spill: spill.map(|p| p.to_path_buf()),
            ..self.options(progress)
        };
        expect::run_until_decided(scenario, runs, &opts).map_err(|e| self.error(scenario, e))
    }

    /// The options runs take: `--jobs`, the Ctrl-C flag, `progress`, and no spill folder.
    pub fn options(&self, progress: Option<Progress>) -> RunOptions {
        RunOptions {
            jobs: self.overrides.jobs,
            cancel: Some(self.cancel.clone()),
            on_replication: progress,
            spill: None,
        }
    }

    /// The error of a run of `scenario`.
    pub fn error(&self, scenario: &Scenario, e: crate::runner::RunError) -> CliError {
        CliError::run(&scenario.file, e)
    }

    /// The Ctrl-C flag the runs watch.
    pub fn cancel_flag(&self) -> Arc<AtomicBool> {
        self.cancel.clone()
    }

    /// Whether Ctrl-C was pressed.
    pub fn interrupted(&self) -> bool {
        self.cancel.load(Ordering::SeqCst)
    }
}

/// The one check of the override flags, for every command.
fn check(overrides: &Overrides, limits: &Limits) -> Result<(), CliError> {
    if let Some(r) = overrides.replications
        && (r == 0 || r > limits.max_replications)
    {
        return Err(CliError::Replications {
            max: limits.max_replications,
            got: r,
        });
    }
    if let Some(m) = overrides.max_replications
        && (m == 0 || m > limits.max_replications)
    {
        return Err(CliError::Replications {
            max: limits.max_replications,
            got: m,
        });
    }
    if let Some(got) = overrides.jobs
        && !(1..=MAX_JOBS).contains(&got)
    {
        return Err(CliError::Jobs { max: MAX_JOBS, got });
    }
    Ok(())
}

/// Installs a Ctrl-C handler that sets the returned flag (once per process).
fn interrupt_flag() -> Arc<AtomicBool> {
    static FLAG: OnceLock<Arc<AtomicBool>> = OnceLock::new();
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
