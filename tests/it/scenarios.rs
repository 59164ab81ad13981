//! Every shipped scenario runs end to end (README, "Performance"), reports do not depend on the thread
//! count (R11), and the default scenario shows the drain behaviour docs/model.md describes.

use std::path::{Path, PathBuf};

use drainsim::model::{FeatureCounts, LoadBalancing};
use drainsim::report::{ReportData, render};
use drainsim::runner::{RunOptions, RunResult, run_all};
use drainsim::scenario::{self, Scenario};
use drainsim::stats::estimate;
use drainsim::summary::{compare, summarize};

/// The five UCAS applications: they drain only with DNS load balancing (docs/model.md, R2).
const UCAS: [&str; 5] = [
    "conferencing_attendant",
    "conferencing_announcement",
    "response_group",
    "announcement",
    "call_park",
];

/// Session arrivals one scenario may simulate in this test, all runs and replications together:
/// enough for a few replications of a busy 8-server pool, small enough for the debug profile.
const ARRIVAL_BUDGET: f64 = 1.5e6;

/// Every `*.toml` in `scenarios/`, listed now so that new files are picked up, sorted.
fn shipped_scenarios() -> Vec<PathBuf> {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("scenarios");
    let mut files: Vec<PathBuf> = std::fs::read_dir(&dir)
        .unwrap_or_else(|e| panic!("cannot list {}: {e}", dir.display()))
        .map(|entry| entry.expect("directory entry").path())
        .filter(|p| p.extension().is_some_and(|x| x == "toml"))
        .collect();
    files.sort();
    files
}

/// Expected session arrivals of one replication of one run.
fn arrivals_per_replication(run: &scenario::Run) -> f64 {
    let hours = run.config.horizon.as_secs_f64() / 3600.0;
    run.config
        .features
        .iter()
        .map(|f| f.arrivals_per_hour * hours)
        .sum()
}

fn default_scenario() -> Scenario {
    match scenario::parse(
        drainsim::DEFAULT_SCENARIO,
        "default.toml",
        &scenario::NoFiles,
    ) {
        Ok(s) => s,
        Err(e) => panic!("the default scenario should be valid:\n{e}"),
    }
}

fn run(s: &Scenario, jobs: Option<usize>) -> Vec<RunResult> {
    let runs = scenario::expand(s).unwrap_or_else(|e| panic!("{}: {}", s.file, e.join("\n")));
    let opts = RunOptions {
        jobs,
        ..RunOptions::default()
    };
    run_all(s, runs, &opts).unwrap_or_else(|e| panic!("{}: {e}", s.file))
}

/// Checks R10 in every replication of every run, per feature and in total.
fn assert_conserved(file: &str, results: &[RunResult]) {
    for r in results {
        let names: Vec<&str> = r
            .run
            .config
            .features
            .iter()
            .map(|f| f.name.as_str())
            .collect();
        for rep in r.replications.iter() {
            let m = &rep.metrics;
            let rows = m.features.iter().zip(&names).map(|(c, n)| (*n, c.clone()));
            for (name, c) in rows.chain([("all", m.total())]) {
                assert!(
                    c.conserved(),
                    "{file}: run {} {:?}, replication {}, feature {name}: R10 broken: {c:?}",
                    r.run.index,
                    r.run.labels,
                    rep.replication
                );
            }
        }
    }
}

#[test]
fn every_shipped_scenario_runs_and_conserves_sessions() {
    let files = shipped_scenarios();
    assert!(
        files.iter().any(|p| p.ends_with("default.toml")),
        "scenarios/default.toml is missing from {files:?}"
    );
    for path in files {
        let file = path.display().to_string();
        let (mut s, _source) =
            drainsim::cli::load_file(&path).unwrap_or_else(|e| panic!("{file}:\n{e}"));
        let runs = scenario::expand(&s).unwrap_or_else(|e| panic!("{file}: {}", e.join("\n")));
        let work: f64 = runs.iter().map(arrivals_per_replication).sum();
        // 3 replications, fewer for a large sweep or a busy pool; every run gets at least one.
        s.replications = (ARRIVAL_BUDGET / work).floor().clamp(1.0, 3.0) as u32;
        let n_runs = runs.len();
        let results =
            run_all(&s, runs, &RunOptions::default()).unwrap_or_else(|e| panic!("{file}: {e}"));
        assert_eq!(results.len(), n_runs, "{file}");
        assert!(
            results
                .iter()
                .all(|r| r.replications.len() == s.replications as usize),
            "{file}: missing replications"
        );
        assert_conserved(&file, &results);
        let rows = summarize(&results);
        let expected_rows: usize = results
            .iter()
            .map(|r| r.run.config.features.len() + 1)
            .sum();
        assert_eq!(
            rows.len(),
            expected_rows,
            "{file}: one row per (run, feature) and `all`"
        );
        for row in &rows {
            let col = |c: &str| row.column(c).unwrap_or_else(|| panic!("no column {c}"));
            let arrivals = col("arrivals_mean");
            let outcomes = col("accepted_mean") + col("blocked_mean") + col("failed_mean");
            assert!(
                (arrivals - outcomes).abs() <= 1e-9 * arrivals.max(1.0),
                "{file}: run {}, {}: arrivals_mean {arrivals} ≠ {outcomes}",
                row.run,
                row.feature
            );
        }
    }
}

#[test]
fn r11_reports_are_byte_identical_whatever_the_thread_count() {
    let mut s = default_scenario();
    s.replications = 4;
    let render_with = |jobs: usize| -> Vec<(String, Vec<u8>)> {
        let results = run(&s, Some(jobs));
        let rows = summarize(&results);
        let comparisons = compare(&results);
        render(&ReportData {
            scenario: &s,
            source: drainsim::DEFAULT_SCENARIO,
            results: &results,
            rows: &rows,
            comparisons: &comparisons,
            command: "drainsim run --replications 4".into(),
            detail: true,
        })
    };
    let (one, two) = (render_with(1), render_with(2));
    let names =
        |files: &[(String, Vec<u8>)]| files.iter().map(|(n, _)| n.clone()).collect::<Vec<_>>();
    assert_eq!(names(&one), names(&two));
    assert!(one.iter().any(|(n, _)| n == "summary.csv"));
    for ((name, a), (_, b)) in one.iter().zip(&two) {
        if a != b {
            let line = a
                .split(|&c| c == b'\n')
                .zip(b.split(|&c| c == b'\n'))
                .position(|(x, y)| x != y)
                .map_or("at the end".to_string(), |k| format!("at line {}", k + 1));
            panic!("{name} differs between --jobs 1 and --jobs 2, first {line}");
        }
    }
}

/// Per replication, the cut sessions of the UCAS features of a run, summed.
fn ucas_cut(r: &RunResult) -> Vec<f64> {
    let ids: Vec<usize> = UCAS
        .iter()
        .map(|name| {
            r.run
                .config
                .features
                .iter()
                .position(|f| f.name == *name)
                .unwrap_or_else(|| panic!("the default scenario has no {name}"))
        })
        .collect();
    r.replications
        .iter()
        .map(|rep| {
            ids.iter()
                .map(|&f| rep.metrics.features[f].cut() as f64)
                .sum()
        })
        .collect()
}

fn feature_cut_mean(r: &RunResult, name: &str) -> f64 {
    let f = r
        .run
        .config
        .features
        .iter()
        .position(|f| f.name == name)
        .unwrap_or_else(|| panic!("no {name}"));
    let cuts: Vec<f64> = r
        .replications
        .iter()
        .map(|rep| FeatureCounts::cut(&rep.metrics.features[f]) as f64)
        .collect();
    estimate(&cuts).mean
}

#[test]
fn default_scenario_cuts_ucas_sessions_only_behind_a_hardware_load_balancer() {
    let mut s = default_scenario();
    s.replications = 30;
    let results = run(&s, None);
    let by_lb = |lb: LoadBalancing| {
        results
            .iter()
            .find(|r| r.run.config.pool.load_balancing == lb)
            .unwrap_or_else(|| panic!("no {lb:?} run in the default scenario"))
    };
    let (dns, hlb) = (by_lb(LoadBalancing::Dns), by_lb(LoadBalancing::Hardware));
    for name in UCAS {
        let (d, h) = (feature_cut_mean(dns, name), feature_cut_mean(hlb, name));
        assert!(
            h > 0.0,
            "hardware LB: {name} should be cut by the restart, cut_mean = {h}"
        );
        assert!(d <= 0.2, "DNS LB: {name} should drain, cut_mean = {d}");
    }
    let (d, h) = (estimate(&ucas_cut(dns)), estimate(&ucas_cut(hlb)));
    assert!(
        h.low > d.high,
        "UCAS cut: hardware {:.2} ({:.2}–{:.2}) should lie above DNS {:.2} ({:.2}–{:.2})",
        h.mean,
        h.low,
        h.high,
        d.mean,
        d.low,
        d.high
    );
}
