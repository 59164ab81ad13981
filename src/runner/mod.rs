//! Runs every (run, replication) pair, in parallel with rayon, in a deterministic order.
//!
//! Cells are simulated a chunk at a time and handed to each run's [`Replications`] in
//! replication order; with [`RunOptions::spill`] those keep only replication 0 in memory and
//! append the others to a file, so that memory does not grow with the replication count.

pub mod cells;
mod store;

use rayon::prelude::*;
use std::path::PathBuf;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};

pub use store::{Replications, SpillDir};

use crate::model::sim::Seeds;
use crate::model::{ReplicationMetrics, SimError, Simulation};
use crate::scenario::{Run, Scenario};

/// How to run.
#[derive(Default, Clone)]
pub struct RunOptions {
    /// Worker threads (`None`: every core). Results do not depend on it.
    pub jobs: Option<usize>,
    /// Set to stop early (e.g. on Ctrl-C); the run then fails with [`RunError::Interrupted`].
    pub cancel: Option<Arc<AtomicBool>>,
    /// Called once per finished replication (from worker threads).
    pub on_replication: Option<Arc<dyn Fn() + Send + Sync>>,
    /// A folder for the replications of each run (`None`: kept in memory). It must exist;
    /// the files in it are removed when the results are dropped.
    pub spill: Option<PathBuf>,
}

/// One finished replication.
#[derive(Debug, Clone)]
pub struct ReplicationOutcome {
    /// 0-based replication index.
    pub replication: u32,
    /// Its seeds.
    pub seeds: Seeds,
    /// What it measured.
    pub metrics: ReplicationMetrics,
}

/// One run and its replications, in replication order.
#[derive(Debug, Clone)]
pub struct RunResult {
    /// The run.
    pub run: Run,
    /// Its replications.
    pub replications: Replications,
}

/// Why a scenario could not be run.
#[derive(Debug, thiserror::Error)]
pub enum RunError {
    /// A replication failed.
    #[error("run {run} ({labels}), replication {replication}: {source}")]
    Simulation {
        /// Run index.
        run: usize,
        /// Its axis values.
        labels: String,
        /// Replication index.
        replication: u32,
        /// What went wrong.
        source: SimError,
    },
    /// Cancelled before the end.
    #[error("interrupted")]
    Interrupted,
    /// The worker pool could not start.
    #[error("cannot start worker threads: {0}")]
    Threads(String),
    /// Replications could not be written to or read from their spill file.
    #[error("{0}")]
    Spill(String),
}

/// Simulates one replication of one run.
pub fn simulate(
    scenario: &Scenario,
    run: &Run,
    replication: u32,
    cancel: Option<&AtomicBool>,
) -> Result<ReplicationOutcome, SimError> {
    let seeds = Seeds::derive(scenario.seed, replication as u64);
    let sim = Simulation::new(&run.config, seeds).record_timeseries(replication == 0);
    Ok(ReplicationOutcome {
        replication,
        seeds,
        metrics: sim.run_cancellable(cancel)?,
    })
}

/// Runs every replication of every run. Same scenario ⇒ same results, whatever `jobs`.
pub fn run_all(
    scenario: &Scenario,
    runs: Vec<Run>,
    opts: &RunOptions,
) -> Result<Vec<RunResult>, RunError> {
    let mut results = empty_results(runs, opts);
    extend(scenario, &mut results, scenario.replications, opts)?;
    Ok(results)
}

/// Every run with no replication yet, stored as `opts` says.
pub fn empty_results(runs: Vec<Run>, opts: &RunOptions) -> Vec<RunResult> {
    runs.into_iter()
        .enumerate()
        .map(|(i, run)| RunResult {
            run,
            replications: match &opts.spill {
                Some(dir) => Replications::on_disk(dir.join(format!("run-{i}.cells"))),
                None => Replications::in_memory(),
            },
        })
        .collect()
}

/// Cells simulated between two hand-overs to the runs' stores (at least this many, and at
/// least 16 per worker thread so that the wait for a chunk's last cell stays small).
const CHUNK: usize = 256;

/// Adds replications to every run until each has `upto` (a later batch of a sequential
/// decision). Replication `k` has the same seed whichever batch runs it, so a run extended
/// from `n` to `m` replications equals a run of `m` replications.
pub fn extend(
    scenario: &Scenario,
    results: &mut [RunResult],
    upto: u32,
    opts: &RunOptions,
) -> Result<(), RunError> {
    let same = identical_runs(&results.iter().map(|r| &r.run).collect::<Vec<_>>());
    // Only the first of identical runs is simulated; the others copy its replications.
    let have: Vec<u32> = results
        .iter()
        .map(|r| r.replications.len() as u32)
        .collect();
    let mut pairs = (0..results.len())
        .filter(|&r| same[r] == r)
        .flat_map(|r| (have[r]..upto).map(move |k| (r, k)));
    let chunk = CHUNK.max(16 * opts.jobs.unwrap_or_else(rayon::current_num_threads));
    let pool = thread_pool(opts)?;
    loop {
        let batch: Vec<(usize, u32)> = pairs.by_ref().take(chunk).collect();
        if batch.is_empty() {
            break;
        }
        let outcomes = {
            let runs: Vec<&Run> = results.iter().map(|r| &r.run).collect();
            simulate_pairs(&pool, scenario, &runs, &batch, opts)?
        };
        let mut by_run: Vec<(usize, Vec<ReplicationOutcome>)> = Vec::new();
        for ((r, _), out) in batch.into_iter().zip(outcomes) {
            match by_run.last_mut() {
                Some((last, v)) if *last == r => v.push(out?),
                _ => by_run.push((r, vec![out?])),
            }
        }
        for (r, outs) in by_run {
            results[r]
                .replications
                .append(outs)
                .map_err(RunError::Spill)?;
        }
    }
    copy_identical(results, opts);
    Ok(())
}

/// Gives every run that is identical to an earlier one (the same configuration once settings
/// no session reaches are set aside) the replications of that run (shared, not copied, when
/// they are on disk).
pub fn copy_identical(results: &mut [RunResult], opts: &RunOptions) {
    let same = identical_runs(&results.iter().map(|r| &r.run).collect::<Vec<_>>());
    for r in 0..results.len() {
        let first = same[r];
        if first != r {
            let added = results[first].replications.len() - results[r].replications.len();
            if let Some(f) = &opts.on_replication {
                (0..added).for_each(|_| f());
            }
            let copy = results[first].replications.clone();
            results[r].replications = copy;
        }
    }
}

/// The cells `(run, replication)` that running `runs` with `upto` replications simulates, in
/// their fixed order: each run not identical to an earlier one, in run order, its replications
/// in order.
pub fn cells(runs: &[Run], upto: u32) -> impl Iterator<Item = (usize, u32)> + use<> {
    let same = identical_runs(&runs.iter().collect::<Vec<_>>());
    (0..runs.len())
        .filter(move |&r| same[r] == r)
        .flat_map(move |r| (0..upto).map(move |k| (r, k)))
}

/// Simulates `cells` (in parallel, a chunk at a time) and hands each outcome to `sink` with
/// its run, in the order of `cells`.
pub fn simulate_cells(
    scenario: &Scenario,
    runs: &[Run],
    cells: impl Iterator<Item = (usize, u32)>,
    opts: &RunOptions,
    mut sink: impl FnMut(usize, ReplicationOutcome) -> Result<(), RunError>,
) -> Result<(), RunError> {
    let mut cells = cells;
    let chunk = CHUNK.max(16 * opts.jobs.unwrap_or_else(rayon::current_num_threads));
    let pool = thread_pool(opts)?;
    let refs: Vec<&Run> = runs.iter().collect();
    loop {
        let batch: Vec<(usize, u32)> = cells.by_ref().take(chunk).collect();
        if batch.is_empty() {
            return Ok(());
        }
        let outcomes = simulate_pairs(&pool, scenario, &refs, &batch, opts)?;
        for ((r, _), out) in batch.into_iter().zip(outcomes) {
            sink(r, out?)?;
        }
    }
}

/// For each run, the first run that simulates exactly the same thing: runs of a sweep that
/// differ only in hardware load balancer settings are identical under DNS load balancing
/// when no traffic goes through the load balancer (same sessions, same seeds), so they are
/// simulated once. Their replication 0 also records the same time series.
fn identical_runs(runs: &[&Run]) -> Vec<usize> {
    let keys: Vec<String> = runs
        .iter()
        .map(|r| {
            let mut cfg = r.config.clone();
            if !cfg.pool.hlb_in_use(&cfg.features) {
                // Settings no session of this run reaches.
                cfg.pool.hardware = runs[0].config.pool.hardware.clone();
            }
            format!("{cfg:?}")
        })
        .collect();
    (0..runs.len())
        .map(|r| keys.iter().position(|k| *k == keys[r]).unwrap_or(r))
        .collect()
}

/// The worker pool of `opts.jobs` threads.
fn thread_pool(opts: &RunOptions) -> Result<rayon::ThreadPool, RunError> {
    worker_pool(opts.jobs).map_err(RunError::Threads)
}

/// A pool of `jobs` worker threads (default: one per core). Shared with the planner, which
/// runs its candidates' replications through [`par_pairs`] as runs do.
pub(crate) fn worker_pool(jobs: Option<usize>) -> Result<rayon::ThreadPool, String> {
    let mut builder = rayon::ThreadPoolBuilder::new();
    if let Some(j) = jobs {
        builder = builder.num_threads(j.max(1));
    }
    builder.build().map_err(|e| e.to_string())
}

/// The one parallel loop over (item, replication) pairs: `f` on every pair on `pool`, the
/// results in the order of `pairs` whatever the thread count (what makes reports identical
/// for any `--jobs`). `None` when `cancel` was set: pairs not yet started are skipped and the
/// results are incomplete.
pub(crate) fn par_pairs<T: Send, E: Send>(
    pool: &rayon::ThreadPool,
    cancel: Option<&AtomicBool>,
    pairs: &[(usize, u32)],
    f: impl Fn(usize, u32) -> Result<T, E> + Sync,
) -> Option<Vec<Result<T, E>>> {
    let cancelled = || cancel.is_some_and(|c| c.load(Ordering::Relaxed));
    let out: Vec<Option<Result<T, E>>> = pool.install(|| {
        pairs
            .par_iter()
            .map(|&(i, k)| (!cancelled()).then(|| f(i, k)))
            .collect()
    });
    if cancelled() {
        return None;
    }
    out.into_iter().collect()
}

/// Simulates the (run, replication) pairs in parallel, in a fixed result order.
fn simulate_pairs(
    pool: &rayon::ThreadPool,
    scenario: &Scenario,
    runs: &[&Run],
    pairs: &[(usize, u32)],
    opts: &RunOptions,
) -> Result<Vec<Result<ReplicationOutcome, RunError>>, RunError> {
    let cancel = opts.cancel.clone();
    par_pairs(pool, cancel.as_deref(), pairs, |r, k| {
        let out = simulate(scenario, runs[r], k, cancel.as_deref())
            .map_err(|source| replication_error(runs[r], r, k, source));
        if let Some(f) = &opts.on_replication {
            f();
        }
        out
    })
    .ok_or(RunError::Interrupted)
}

/// The error of replication `k` of run `r`.
fn replication_error(run: &Run, r: usize, k: u32, source: SimError) -> RunError {
    match source {
        SimError::Cancelled { .. } => RunError::Interrupted,
        source => RunError::Simulation {
            run: r,
            labels: run
                .labels
                .iter()
                .map(|(c, v)| format!("{c} = {v}"))
                .collect::<Vec<_>>()
                .join(", "),
            replication: k,
            source,
        },
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::scenario::{self, NoFiles};

    fn runs(sweep: &str) -> (Scenario, Vec<Run>) {
        let text = format!(
            "horizon = \"10m\"\nreplications = 2\n[pool]\nservers = 4\n\
             [[feature]]\nname = \"im\"\narrivals_per_hour = 600\n\
             duration = {{ distribution = \"exponential\", mean = \"1m\" }}\n[sweep]\n{sweep}\n"
        );
        let s = scenario::parse(&text, "t.toml", &NoFiles).expect("valid");
        let runs = scenario::expand(&s).expect("expands");
        (s, runs)
    }

    #[test]
    fn dns_runs_that_differ_only_in_hardware_settings_are_simulated_once() {
        let (s, runs) = runs(
            "load_balancing = [\"dns\", \"hardware\"]\n\
             \"pool.hardware.algorithm\" = [\"round_robin\", \"random\", \"least_connections\"]",
        );
        let refs: Vec<&Run> = runs.iter().collect();
        // Runs 0–2 are DNS (one simulated), 3–5 hardware (each its own).
        assert_eq!(identical_runs(&refs), [0, 0, 0, 3, 4, 5]);
        let count = Arc::new(std::sync::atomic::AtomicUsize::new(0));
        let c = count.clone();
        let opts = RunOptions {
            jobs: Some(2),
            on_replication: Some(Arc::new(move || {
                c.fetch_add(1, Ordering::Relaxed);
            })),
            ..Default::default()
        };
        let results = run_all(&s, runs, &opts).expect("runs");
        assert_eq!(
            count.load(Ordering::Relaxed),
            12,
            "progress counts every replication"
        );
        for r in 1..3 {
            let (a, b) = (&results[0].replications, &results[r].replications);
            assert_eq!(a.len(), b.len());
            for (x, y) in a.iter().zip(b.iter()) {
                assert_eq!(
                    x.metrics.features[0].accepted,
                    y.metrics.features[0].accepted
                );
            }
        }
    }

    #[test]
    fn spilled_replications_read_back_as_simulated() {
        let (s, runs) = runs(
            "load_balancing = [\"dns\", \"hardware\"]\n\
             \"pool.hardware.algorithm\" = [\"round_robin\", \"random\"]",
        );
        let dir = std::env::temp_dir().join(format!("drainsim-spill-test-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(&dir).expect("temp folder");
        let spilled = RunOptions {
            jobs: Some(2),
            spill: Some(dir.clone()),
            ..Default::default()
        };
        let runs_again = runs.clone();
        let mut a = run_all(&s, runs.clone(), &RunOptions::default()).expect("runs");
        let mut b = run_all(&s, runs, &spilled).expect("runs");
        // A later batch, as a sequential decision adds.
        extend(&s, &mut a, 5, &RunOptions::default()).expect("extends");
        extend(&s, &mut b, 5, &spilled).expect("extends");
        // Runs 0 and 1 (DNS) share one file; 2 and 3 have their own.
        assert_eq!(std::fs::read_dir(&dir).expect("lists").count(), 3);
        for (x, y) in a.iter().zip(&b) {
            assert_eq!(x.replications.len(), 5);
            assert_eq!(y.replications.len(), 5);
            let ys: Vec<_> = y.replications.iter().collect();
            for (p, q) in x.replications.iter().zip(&ys) {
                assert_eq!(p.replication, q.replication);
                assert_eq!(p.metrics, q.metrics);
            }
            assert!(
                !y.replications
                    .first()
                    .expect("one")
                    .metrics
                    .timeseries
                    .times
                    .is_empty()
            );
        }
        drop(b);
        assert_eq!(
            std::fs::read_dir(&dir).expect("lists").count(),
            0,
            "files removed"
        );
        // Read through the handle that wrote them: removing the files' names changes nothing,
        // and two readers of one store keep their own positions.
        let c = run_all(&s, runs_again, &spilled).expect("runs");
        for entry in std::fs::read_dir(&dir).expect("lists") {
            std::fs::remove_file(entry.expect("entry").path()).expect("removes");
        }
        for (x, y) in a.iter().zip(&c) {
            let (mut one, mut two) = (y.replications.iter(), y.replications.iter());
            assert!(y.replications.len() >= 2, "two replications to read past");
            for p in x.replications.iter().take(y.replications.len()) {
                let (q1, q2) = (one.next().expect("one"), two.next().expect("two"));
                assert_eq!(p.metrics, q1.metrics);
                assert_eq!(p.metrics, q2.metrics);
            }
        }
        drop(c);
        let _ = std::fs::remove_dir_all(&dir);
    }

    #[test]
    fn runs_that_differ_in_what_a_session_meets_are_all_simulated() {
        let (_, runs) = runs("\"pool.dns.failover_clients\" = [1.0, 0.5]");
        let refs: Vec<&Run> = runs.iter().collect();
        assert_eq!(identical_runs(&refs), [0, 1]);
    }
}
