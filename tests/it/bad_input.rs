//! Robustness: every bad input gets a clear error — its field path, a hint, and
//! `file:line:col` where TOML gives a position — the command exits 2, nothing panics or hangs,
//! and a failed run leaves no half-written report.
//!
//! 1. The catalogue of bad inputs, each class checked in the library and through the binary.
//! 2. Extreme but valid inputs: they run, conserve sessions (R10) and are deterministic.
//! 3. No panic on any input: arbitrary strings and mutated scenario files (proptest). The same
//!    check runs as a cargo-fuzz target (`fuzz/`); `long_fuzz` below is its stand-in on stable.

use std::panic::{AssertUnwindSafe, catch_unwind};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant};

use drainsim::model::{LoadBalancing, ReplicationMetrics, Seeds, SimError, Simulation};
use drainsim::scenario::{self, FileSource, Limits, NoFiles};
use proptest::prelude::*;
use proptest::test_runner::FileFailurePersistence;

use crate::common::{self, TempDir, drainsim, stderr};

/// A small valid scenario. Line numbers matter: the cases below replace text within a line,
/// so a problem on line 5 is reported at `test.toml:5:…`.
const BASE: &str = r#"horizon = "1h"
replications = 2

[pool]
servers = 4

[[feature]]
name = "im"
arrivals_per_hour = 100
duration = { distribution = "exponential", mean = "3m" }
"#;

const EXP: &str = r#"{ distribution = "exponential", mean = "3m" }"#;

/// BASE with its exponential distribution replaced (same line, 10, starting at column 12).
fn with_dist(dist: &str) -> String {
    BASE.replace(EXP, dist)
}

/// In-memory files for empirical distributions.
struct MapFiles(&'static [(&'static str, &'static str)]);

impl FileSource for MapFiles {
    fn read(&self, path: &str) -> Result<String, String> {
        self.0
            .iter()
            .find(|(p, _)| *p == path)
            .map(|(_, t)| t.to_string())
            .ok_or_else(|| format!("cannot read {path}: No such file or directory"))
    }
}

const CSV_FILES: &[(&str, &str)] = &[
    ("empty.csv", ""),
    ("header-only.csv", "duration_s\n"),
    ("words.csv", "duration_s\n12\nforty\n"),
    ("negative.csv", "12\n-3\n"),
    ("good.csv", "duration_s\n12\n30s\n2m\n"),
    ("bad-profile.csv", "time,multiplier\n00:00,0.1\n25:00,1\n"),
    (
        "cdr-time.csv",
        "InviteTime,EndTime,Media\n2026-11-03 21:00:00,2026-11-03 21:05:00,IM\n\
         2026-11-03 21:01:00,yesterday,IM\n",
    ),
    (
        "cdr-order.csv",
        "InviteTime,EndTime,Media\n2026-11-03 21:00:00,2026-11-03 21:05:00,IM\n\
         2026-11-03 21:02:00,2026-11-03 21:01:00,IM\n",
    ),
    (
        "cdr-media.csv",
        "InviteTime,EndTime,Media\n2026-11-03 21:00:00,2026-11-03 21:05:00,IM\n\
         2026-11-03 21:01:00,2026-11-03 21:02:00,Telepathy\n",
    ),
    (
        "cdr-good.csv",
        "InviteTime,EndTime,Media\n2026-11-03 21:00:00,2026-11-03 21:05:00,IM\n",
    ),
    (
        "cdr-columns.csv",
        "Start,EndTime,Media\n2026-11-03 21:00:00,2026-11-03 21:05:00,IM\n",
    ),
];

/// BASE replaying `file` for `im` from 21:00 on 3 November 2026.
fn trace(file: &str) -> String {
    format!(
        "{BASE}\n[trace]\nfile = \"{file}\"\nstart = \"2026-11-03 21:00:00\"\n\
         [trace.features]\nIM = \"im\"\n"
    )
}

/// The diagnostics of `text` (which must be invalid), one string each.
fn errors_with(text: &str, files: &dyn FileSource) -> Vec<String> {
    match scenario::parse(text, "test.toml", files) {
        Ok(_) => panic!("scenario should be invalid:\n{text}"),
        Err(e) => e.diagnostics.iter().map(|d| d.to_string()).collect(),
    }
}

/// Asserts that some diagnostic of `text` contains every one of `needles`.
fn assert_error(class: &str, text: &str, files: &dyn FileSource, needles: &[&str]) {
    let errs = errors_with(text, files);
    assert!(
        errs.iter().any(|e| needles.iter().all(|n| e.contains(n))),
        "{class}: expected a diagnostic containing {needles:?}, got:\n{}",
        errs.join("\n")
    );
}

// ---------------------------------------------------------------------------------------------
// Temporary folders and the binary.

/// The folder's entries (names and contents), for "left untouched" checks.
fn snapshot(dir: &Path) -> Vec<(String, Vec<u8>)> {
    let mut out: Vec<(String, Vec<u8>)> = std::fs::read_dir(dir)
        .expect("read dir")
        .map(|e| {
            let e = e.expect("dir entry");
            let bytes = std::fs::read(e.path()).unwrap_or_default();
            (e.file_name().to_string_lossy().into_owned(), bytes)
        })
        .collect();
    out.sort();
    out
}

/// Temporary report folders (`.NAME.tmp-*`) left in `dir`.
fn leftovers(dir: &Path) -> Vec<String> {
    std::fs::read_dir(dir)
        .expect("read dir")
        .filter_map(|e| e.ok())
        .map(|e| e.file_name().to_string_lossy().into_owned())
        .filter(|n| n.contains(".tmp-"))
        .collect()
}

// ---------------------------------------------------------------------------------------------
// 1. The catalogue.

/// One class of bad input: the file, and what its diagnostic must contain (position, field
/// path, hint).
struct Bad {
    class: &'static str,
    text: String,
    needles: &'static [&'static str],
}

fn bad(class: &'static str, text: impl Into<String>, needles: &'static [&'static str]) -> Bad {
    Bad {
        class,
        text: text.into(),
        needles,
    }
}

fn step(body: &str) -> String {
    format!("{BASE}\n[[step]]\n{body}\n")
}

/// BASE with a `response_group` feature (lines 12–15), `[sweep]` (line 17) with the axis lines
/// `sweep`, then one `[[expect]]` with the lines `expect` and a bound on `cut_mean`, then a
/// `wait` step (for `wait` axes).
fn expecting(sweep: &[&str], expect: &[&str]) -> String {
    let mut s = format!(
        "{BASE}\n[[feature]]\nname = \"response_group\"\narrivals_per_hour = 100\nduration = {EXP}\n\n[sweep]\n"
    );
    for line in sweep {
        s.push_str(line);
        s.push('\n');
    }
    s.push_str("\n[[expect]]\n");
    for line in expect {
        s.push_str(line);
        s.push('\n');
    }
    s.push_str("cut_mean = { max = 1 }\n\n[[step]]\naction = \"wait\"\nduration = \"1m\"\n");
    s
}

/// `n` DNS-dependent features (not in the catalogue), for `all_subsets` blow-ups.
fn ucas_features(n: usize) -> String {
    (0..n)
        .map(|i| {
            format!(
                "\n[[feature]]\nname = \"ucas{i}\"\nservice = \"RTCRGS\"\nneeds_dns_lb = true\n\
                 arrivals_per_hour = 1\nduration = {EXP}\n"
            )
        })
        .collect()
}

/// Every class of bad input that a scenario file alone can show, with the diagnostic expected.
fn catalogue() -> Vec<Bad> {
    vec![
        bad(
            "not TOML",
            "this is not toml\n",
            &["test.toml:1:6: ", "expected `=`"],
        ),
        bad(
            "not TOML: duplicate key",
            BASE.replace("servers = 4", "servers = 4\nservers = 5"),
            &["test.toml:6:1: ", "duplicate key"],
        ),
        bad(
            "unknown field, top level",
            format!("colour = \"red\"\n{BASE}"),
            &["test.toml:1:1: colour: unknown field `colour`", "`horizon`"],
        ),
        bad(
            "unknown field in [pool]",
            BASE.replace("servers = 4", "servers = 4\nserver_count = 4"),
            &[
                "test.toml:6:1: pool.server_count: unknown field `server_count`",
                "`servers`",
            ],
        ),
        bad(
            "unknown field in [[feature]]",
            BASE.replace("name = \"im\"", "name = \"im\"\nrate = 5"),
            &[
                "test.toml:9:1: feature[0].rate: unknown field `rate`",
                "`arrivals_per_hour`",
            ],
        ),
        bad(
            "unknown field in a distribution table",
            with_dist(r#"{ distribution = "exponential", mean = "3m", median = "2m" }"#),
            &[
                "test.toml:10:12: feature[0].duration: unknown field `median`",
                "expected `mean`",
            ],
        ),
        bad(
            "unknown distribution",
            with_dist(r#"{ distribution = "pareto", mean = "3m" }"#),
            &[
                "test.toml:10:29: feature[0].duration.distribution: unknown variant `pareto`",
                "`lognormal`",
            ],
        ),
        bad(
            "wrong type: string for an integer",
            BASE.replace("servers = 4", "servers = \"four\""),
            &[
                "test.toml:5:11: pool.servers: invalid type: string \"four\", expected a number of \
                 Front Ends, or a list of their FQDNs",
            ],
        ),
        bad(
            "wrong type: number for a duration",
            BASE.replace("horizon = \"1h\"", "horizon = 3600"),
            &[
                "test.toml:1:11: horizon: invalid type: integer `3600`",
                "\"1h30m\"",
            ],
        ),
        bad(
            "wrong type: string for a distribution",
            with_dist("\"3m\""),
            &[
                "test.toml:10:12: feature[0].duration: ",
                "distribution = \"exponential\"",
            ],
        ),
        bad(
            "wrong type: negative replications",
            BASE.replace("replications = 2", "replications = -1"),
            &["test.toml:2:16: replications: ", "expected a whole number"],
        ),
        bad(
            "integer out of range",
            BASE.replace("servers = 4", "servers = 99999999999999999999"),
            &["test.toml:5:11: pool.servers: integer 99999999999999999999 is out of range"],
        ),
        bad(
            "negative duration",
            BASE.replace("\"1h\"", "\"-5s\""),
            &["test.toml:1:11: horizon: invalid duration \"-5s\": durations cannot be negative"],
        ),
        bad(
            "negative duration in a distribution",
            with_dist(r#"{ distribution = "exponential", mean = "-3m" }"#),
            &[
                "test.toml:10:51: feature[0].duration.mean: ",
                "cannot be negative",
            ],
        ),
        bad(
            "duration without unit",
            BASE.replace("\"1h\"", "\"3600\""),
            &[
                "test.toml:1:11: horizon: ",
                "missing unit",
                "use d, h, m, s, ms or us",
            ],
        ),
        bad(
            "zero horizon",
            BASE.replace("\"1h\"", "\"0s\""),
            &["test.toml:1:11: horizon: must be longer than zero"],
        ),
        bad(
            "zero mean",
            with_dist(r#"{ distribution = "exponential", mean = "0s" }"#),
            &["test.toml:10:51: feature[0].duration.mean: mean must be a finite number > 0"],
        ),
        bad(
            "absurd duration",
            BASE.replace("\"1h\"", "\"99999999d\""),
            &["test.toml:1:11: horizon: ", "beyond the limit of 8784h"],
        ),
        bad(
            "duration beyond any clock",
            BASE.replace("\"1h\"", "\"999999999999999999999d\""),
            &["test.toml:1:11: horizon: ", "too large"],
        ),
        bad(
            "horizon beyond its limit",
            BASE.replace("\"1h\"", "\"367d\""),
            &["test.toml:1:11: horizon: 8808h is beyond the limit of 8784h"],
        ),
        bad(
            "horizon before a step's `at`",
            step("at = \"2h\"\naction = \"pause\"\nserver = 1"),
            &["test.toml:13:6: step[0].at: 2h is not before the horizon (1h)"],
        ),
        bad(
            "server 0",
            step("action = \"pause\"\nserver = 0"),
            &[
                "test.toml:14:10: step[0].server: server 0 does not exist: servers are numbered 1 to 4",
            ],
        ),
        bad(
            "server beyond `servers`",
            step("action = \"restart\"\nservers = [1, 5]"),
            &[
                "test.toml:14:15: step[0].servers[1]: server 5 does not exist",
                "1 to 4",
            ],
        ),
        bad(
            "unknown Windows service",
            step("action = \"pause\"\nserver = 1\nservices = [\"RTCRGS\", \"RTCFOO\"]"),
            &[
                "test.toml:15:23: step[0].services[1]: unknown Windows service \"RTCFOO\"",
                "known: RTCSRV",
            ],
        ),
        bad(
            "no features",
            "horizon = \"1h\"\n[pool]\nservers = 4\n",
            &["test.toml: feature: no features", "[[feature]]"],
        ),
        bad(
            "rate zero",
            BASE.replace("= 100", "= 0"),
            &["test.toml:9:21: feature[0].arrivals_per_hour: must be a finite number > 0, got 0"],
        ),
        bad(
            "rate negative",
            BASE.replace("= 100", "= -3.5"),
            &[
                "test.toml:9:21: feature[0].arrivals_per_hour: must be a finite number > 0, got -3.5",
            ],
        ),
        bad(
            "rate NaN",
            BASE.replace("= 100", "= nan"),
            &["test.toml:9:21: feature[0].arrivals_per_hour: must be a finite number > 0, got NaN"],
        ),
        bad(
            "rate infinite",
            BASE.replace("= 100", "= inf"),
            &["test.toml:9:21: feature[0].arrivals_per_hour: must be a finite number > 0, got inf"],
        ),
        bad(
            "sigma zero",
            with_dist(r#"{ distribution = "lognormal", median = "2m", sigma = 0.0 }"#),
            &[
                "test.toml:10:65: feature[0].duration.sigma: sigma must be a finite number > 0, got 0",
            ],
        ),
        bad(
            "sigma negative",
            with_dist(r#"{ distribution = "lognormal", median = "2m", sigma = -1 }"#),
            &[
                "test.toml:10:65: feature[0].duration.sigma: ",
                "> 0, got -1",
            ],
        ),
        bad(
            "sigma NaN",
            with_dist(r#"{ distribution = "lognormal", median = "2m", sigma = nan }"#),
            &["test.toml:10:65: feature[0].duration.sigma: ", "got NaN"],
        ),
        bad(
            "sigma so large the mean overflows",
            with_dist(r#"{ distribution = "lognormal", median = "2m", sigma = 1e10 }"#),
            &["test.toml:10:12: feature[0].duration: ", "no finite mean"],
        ),
        bad(
            "cv out of range",
            with_dist(r#"{ distribution = "lognormal", mean = "2m", cv = 1e200 }"#),
            &[
                "test.toml:10:60: feature[0].duration.cv: cv = ",
                "out of range",
            ],
        ),
        bad(
            "uniform min > max",
            with_dist(r#"{ distribution = "uniform", min = "5m", max = "1m" }"#),
            &["test.toml:10:12: feature[0].duration: min (300 s) is greater than max (60 s)"],
        ),
        bad(
            "lognormal with both median and mean",
            with_dist(r#"{ distribution = "lognormal", median = "2m", sigma = 1, mean = "3m" }"#),
            &[
                "test.toml:10:12: feature[0].duration: ",
                "either `median` and `sigma`, or `mean` and `cv`",
            ],
        ),
        bad(
            "gamma shape zero",
            with_dist(r#"{ distribution = "gamma", mean = "3m", shape = 0 }"#),
            &["test.toml:10:59: feature[0].duration.shape: shape must be a finite number > 0"],
        ),
        bad(
            "weibull with no finite mean",
            with_dist(r#"{ distribution = "weibull", scale = "3m", shape = 0.001 }"#),
            &[
                "test.toml:10:12: feature[0].duration: weibull(",
                "no finite mean",
            ],
        ),
        bad(
            "empirical file empty",
            with_dist(r#"{ distribution = "empirical", file = "empty.csv" }"#),
            &["test.toml:10:49: feature[0].duration.file: empty.csv: no durations found"],
        ),
        bad(
            "empirical file with only a header",
            with_dist(r#"{ distribution = "empirical", file = "header-only.csv" }"#),
            &["test.toml:10:49: feature[0].duration.file: header-only.csv: no durations found"],
        ),
        bad(
            "empirical file not numeric",
            with_dist(r#"{ distribution = "empirical", file = "words.csv" }"#),
            &[
                "test.toml:10:49: feature[0].duration.file: words.csv: line 3: \"forty\" is not a duration",
            ],
        ),
        bad(
            "empirical file with a negative duration",
            with_dist(r#"{ distribution = "empirical", file = "negative.csv" }"#),
            &["test.toml:10:49: feature[0].duration.file: negative.csv: line 2: \"-3\""],
        ),
        bad(
            "empirical file missing",
            with_dist(r#"{ distribution = "empirical", file = "missing.csv" }"#),
            &[
                "test.toml:10:49: feature[0].duration.file: cannot read ",
                "missing.csv",
            ],
        ),
        bad(
            "unknown sweep axis",
            format!("{BASE}\n[sweep]\ncolour = [\"red\"]\n"),
            &[
                "test.toml:13:10: sweep.colour: unknown sweep axis \"colour\"",
                "load_balancing",
            ],
        ),
        bad(
            "unknown sweep axis, empty",
            format!("{BASE}\n[sweep]\ncolour = []\n"),
            &["test.toml:13:10: sweep.colour: unknown sweep axis \"colour\""],
        ),
        bad(
            "empty sweep axis",
            format!("{BASE}\n[sweep]\nload_balancing = []\n"),
            &["test.toml:13:18: sweep.load_balancing: is empty: give at least one value"],
        ),
        bad(
            "sweep axis that is not an array",
            format!("{BASE}\n[sweep]\nservers = 4\n"),
            &["test.toml:13:11: sweep.servers: a sweep axis must be an array of values"],
        ),
        bad(
            "sweep of servers beyond the pool size limit",
            format!("{BASE}\n[sweep]\nservers = [4, 1001]\n"),
            &[
                "test.toml:13:15: sweep.servers[1]: expected a number of servers from 1 to 1000, got 1001",
            ],
        ),
        bad(
            "sweep of pool.servers beyond the pool size limit",
            format!("{BASE}\n[sweep]\n\"pool.servers\" = [1001]\n"),
            &[
                "test.toml:13:19: sweep.\"pool.servers\"[0]: servers must be between 1 and 1000, got 1001",
            ],
        ),
        bad(
            "sweep of a session cap beyond 32 bits (was truncated to 0)",
            format!("{BASE}\n[sweep]\n\"pool.max_sessions_per_server\" = [4294967296]\n"),
            &[
                "test.toml:13:35: sweep.\"pool.max_sessions_per_server\"[0]: must be at least 1, got 4294967296",
            ],
        ),
        bad(
            "all_subsets of too many features",
            format!(
                "{BASE}{}\n[sweep]\nfeature_sets = \"all_subsets\"\n",
                ucas_features(13)
            ),
            &["sweep.feature_sets: \"all_subsets\" of 13 DNS-dependent features is too many runs"],
        ),
        bad(
            "all_subsets times another axis beyond the run limit",
            format!(
                "{BASE}{}\n[sweep]\nfeature_sets = \"all_subsets\"\nservers = [4, 5, 6]\n",
                ucas_features(12)
            ),
            &["sweep: the sweep expands to 12288 runs, beyond the limit of 10000"],
        ),
        bad(
            "sweep beyond the replication limit",
            BASE.replace("replications = 2", "replications = 100000")
                + "\n[sweep]\nload_balancing = [\"dns\", \"hardware\"]\nservers = [4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14]\n",
            &[
                "sweep: 22 runs × 100000 replications = 2200000 replications, beyond the limit of 2000000",
            ],
        ),
        bad(
            "sweep that would not fit in memory",
            BASE.replace("servers = 4", "servers = 1000\nrouting_groups = 100000")
                + "\n[sweep]\nload_balancing = [\"dns\", \"hardware\"]\nservers = [1000, 999, 998, 997, 996, 995, 994, 993, 992]\n",
            &[
                "sweep: the sweep's 18 runs would hold about",
                "fewer servers or routing groups",
            ],
        ),
        bad(
            "replications zero",
            BASE.replace("replications = 2", "replications = 0"),
            &["test.toml:2:16: replications: must be between 1 and 100000, got 0"],
        ),
        bad(
            "replications beyond the limit",
            BASE.replace("replications = 2", "replications = 100001"),
            &["test.toml:2:16: replications: must be between 1 and 100000, got 100001"],
        ),
        bad(
            "workload that would exhaust memory",
            BASE.replace("= 100", "= 1e12"),
            &[
                "test.toml:7:1: feature: the features would keep about",
                "lower the rates or durations",
            ],
        ),
        bad(
            "workload beyond the event budget",
            BASE.replace("replications = 2", "replications = 2\nevent_budget = 50"),
            &[
                "test.toml:3:16: event_budget: about 2.000e2 events are expected",
                "raise event_budget",
            ],
        ),
        bad(
            "time series too large",
            BASE.replace(
                "replications = 2",
                "replications = 2\nsample_interval = \"1ms\"",
            ),
            &[
                "test.toml:3:19: sample_interval: ",
                "use a sample_interval of at least",
                "\"0s\"",
            ],
        ),
        // Selector values are checked against the rows the runs will write (one sweep line:
        // the entry's first line is 21).
        bad(
            "selector: a feature the scenario does not have",
            expecting(&["servers = [4]"], &["feature = \"response_grup\""]),
            &[
                "test.toml:21:11: expect[0].feature: feature \"response_grup\" is not a feature of this scenario",
                "\"im\", \"response_group\"",
                "did you mean feature = \"response_group\"?",
            ],
        ),
        bad(
            "selector: a load_balancing value in the wrong case",
            expecting(
                &["load_balancing = [\"dns\", \"hardware\"]"],
                &["load_balancing = \"DNS\""],
            ),
            &[
                "test.toml:21:18: expect[0].load_balancing: no run has load_balancing = \"DNS\"",
                "did you mean load_balancing = \"dns\"?",
            ],
        ),
        bad(
            "selector: a load balancing no run uses",
            expecting(&["servers = [4]"], &["load_balancing = \"hardware\""]),
            &[
                "test.toml:21:18: expect[0].load_balancing: no run uses load_balancing = \"hardware\": every run uses \"dns\"",
                "sweep load_balancing = [\"dns\", \"hardware\"]",
            ],
        ),
        bad(
            "selector: a wait_s value no run has",
            expecting(&["wait = [\"30m\", \"1h\"]"], &["wait_s = 180"]),
            &[
                "test.toml:21:10: expect[0].wait_s: no run has wait_s = 180: the values of wait_s are 1800, 3600",
                "did you mean wait_s = 1800?",
            ],
        ),
        bad(
            "selector: wait_s written as a duration",
            expecting(&["wait = [\"30m\", \"1h\"]"], &["wait_s = \"30m\""]),
            &[
                "test.toml:21:10: expect[0].wait_s: wait_s is in whole seconds",
                "\"30m\" is wait_s = 1800",
            ],
        ),
        bad(
            "selector: a feature_set label with a typo",
            expecting(
                &["feature_sets = [[\"im\"], [\"im\", \"response_group\"]]"],
                &["feature_set = \"im+response_grup\""],
            ),
            &[
                "test.toml:21:15: expect[0].feature_set: no run has feature_set = \"im+response_grup\"",
                "did you mean feature_set = \"im+response_group\"?",
            ],
        ),
        bad(
            "selector: a servers value no run has",
            expecting(&["servers = [4, 6]"], &["servers = 8"]),
            &[
                "test.toml:21:11: expect[0].servers: no run has servers = 8: the values of servers are 4, 6",
            ],
        ),
        bad(
            "selector: a pool.* axis value with a typo",
            expecting(
                &["\"pool.hardware.algorithm\" = [\"round_robin\", \"random\"]"],
                &["\"pool.hardware.algorithm\" = \"rando\""],
            ),
            &[
                "test.toml:21:29: expect[0].\"pool.hardware.algorithm\": no run has pool.hardware.algorithm = \"rando\"",
                "did you mean pool.hardware.algorithm = \"random\"?",
            ],
        ),
        bad(
            "selector: a run that does not exist",
            expecting(&["load_balancing = [\"dns\", \"hardware\"]"], &["run = 2"]),
            &["test.toml:21:7: expect[0].run: run 2 does not exist: the runs are numbered 0 to 1"],
        ),
        bad(
            "selector: a feature the feature sets leave out of every run",
            expecting(
                &["feature_sets = [[\"im\"]]"],
                &["feature = \"response_group\""],
            ),
            &[
                "test.toml:21:11: expect[0].feature: feature \"response_group\" is in no run",
                "feature_sets",
            ],
        ),
        bad(
            "selector: values that exist, but never in the same row",
            expecting(
                &["feature_sets = [[\"im\"], [\"response_group\"]]"],
                &["feature_set = \"im\"", "feature = \"response_group\""],
            ),
            &[
                "test.toml:20:1: expect[0]: no row of summary.csv has feature_set = \"im\" and feature = \"response_group\" together",
            ],
        ),
        bad(
            "selector: pool.load_balancing (its runs fill load_balancing)",
            expecting(
                &["\"pool.load_balancing\" = [\"dns\", \"hardware\"]"],
                &["\"pool.load_balancing\" = \"dns\""],
            ),
            &[
                "test.toml:21:25: expect[0].\"pool.load_balancing\": the `pool.load_balancing` axis fills the `load_balancing` column",
            ],
        ),
        bad(
            "expect: a misspelt selector key",
            expecting(&["servers = [4]"], &["featur = \"im\""]),
            &[
                "test.toml:21:10: expect[0].featur: unknown key \"featur\"",
                "did you mean `feature`?",
            ],
        ),
        bad(
            "expect: a bound on a misspelt column",
            expecting(&["servers = [4]"], &["cut_maen = { max = 1 }"]),
            &[
                "test.toml:21:12: expect[0].cut_maen: \"cut_maen\" is not a numeric column of summary.csv; did you mean `cut_mean`?",
            ],
        ),
        bad(
            "expect: a summary column without a table",
            expecting(&["servers = [4]"], &["cut_sd = 3"]),
            &[
                "test.toml:21:10: expect[0].cut_sd: \"cut_sd\" is a summary column, so it takes a bound",
                "cut_sd = { max = 0.5 }",
            ],
        ),
        bad(
            "expect: a misspelt bound",
            expecting(&["servers = [4]"], &["blocked_mean = { mx = 1 }"]),
            &[
                "test.toml:21:23: expect[0].blocked_mean.mx: unknown bound \"mx\"",
                "did you mean `max`?",
            ],
        ),
        // "Did you mean" wherever a name is read from a list.
        bad(
            "feature not in the catalogue, close to a catalogue name",
            BASE.replace("name = \"im\"", "name = \"response_grup\""),
            &[
                "feature[0].service: feature \"response_grup\" is not in the catalogue",
                "did you mean \"response_group\"?",
            ],
        ),
        bad(
            "quorum lync2013 for 13–16 servers",
            BASE.replace("servers = 4", "servers = 14\nquorum = \"lync2013\""),
            &[
                "test.toml:6:10: pool.quorum: quorum \"lync2013\" covers pools of 2–12 Front Ends, not 14",
                "Skype for Business Server 2019 allows up to 16 Front Ends",
                "use quorum = \"sfb2019\"",
            ],
        ),
        bad(
            "quorum lync2013 for a swept pool of 13–16 servers",
            format!("{BASE}\n[sweep]\n\"pool.servers\" = [4, 16]\n"),
            &[
                "sweep.\"pool.servers\"[1]: quorum \"lync2013\" covers pools of 2–12 Front Ends, not 16",
                "use quorum = \"sfb2019\"",
            ],
        ),
        bad(
            "quorum lync2013 beyond 16 servers: no sfb2019 suggested",
            BASE.replace("servers = 4", "servers = 17\nquorum = \"lync2013\""),
            &[
                "pool.quorum: quorum \"lync2013\" covers pools of 2–12 Front Ends, not 17; use quorum = \"none\" for other sizes",
            ],
        ),
        bad(
            "load balancing in the wrong case",
            BASE.replace("servers = 4", "servers = 4\nload_balancing = \"DNS\""),
            &[
                "test.toml:6:18: pool.load_balancing: unknown value \"DNS\"; expected one of \"dns\", \"hardware\"; did you mean \"dns\"?",
            ],
        ),
        bad(
            "misspelt action",
            step("action = \"puase\"\nserver = 1"),
            &[
                "test.toml:13:10: step[0].action: unknown action \"puase\"",
                "did you mean \"pause\"?",
            ],
        ),
        bad(
            "misspelt startup type",
            step("action = \"set_startup\"\nserver = 1\nstartup = \"Manual\""),
            &[
                "test.toml:15:11: step[0].startup: unknown value \"Manual\"",
                "did you mean \"manual\"?",
            ],
        ),
        bad(
            "misspelt Windows service in a step",
            step("action = \"pause\"\nserver = 1\nservices = [\"RTCRSG\"]"),
            &[
                "test.toml:15:13: step[0].services[0]: unknown Windows service \"RTCRSG\"",
                "did you mean \"RTCRGS\"?",
            ],
        ),
        bad(
            "misspelt field (serde)",
            BASE.replace("servers = 4", "serverz = 4"),
            &[
                "test.toml:5:1: pool.serverz: unknown field `serverz`",
                "did you mean `servers`?",
            ],
        ),
        bad(
            "misspelt distribution (serde)",
            with_dist(r#"{ distribution = "exponentail", mean = "3m" }"#),
            &[
                "feature[0].duration.distribution: unknown variant `exponentail`",
                "did you mean `exponential`?",
            ],
        ),
        bad(
            "misspelt sweep axis",
            format!("{BASE}\n[sweep]\nwait_s = [\"5m\"]\n"),
            &[
                "test.toml:13:10: sweep.wait_s: unknown sweep axis \"wait_s\"",
                "did you mean \"wait\"?",
            ],
        ),
        bad(
            "misspelt feature in a feature set",
            format!("{BASE}\n[sweep]\nfeature_sets = [[\"IM\"]]\n"),
            &[
                "sweep.feature_sets[0]: feature \"IM\" is not defined in this scenario",
                "did you mean \"im\"?",
            ],
        ),
        bad(
            "more than 64 Windows services (panicked: shift overflow)",
            format!(
                "{}\n[[step]]\naction = \"pause\"\nserver = 1\nservices = [\"SVC69\"]\n",
                (0..70).fold(BASE.to_string(), |mut s, i| {
                    s.push_str(&format!(
                        "\n[[feature]]\nname = \"f{i}\"\nservice = \"SVC{i}\"\n\
                         arrivals_per_hour = 1\nduration = {EXP}\n"
                    ));
                    s
                })
            ),
            &["test.toml:7:1: feature: at most 64 distinct Windows services, got 80"],
        ),
        // Time of day and traces.
        bad(
            "a profile that is not 24 numbers",
            format!("{BASE}profile = [1, 2]\n"),
            &["test.toml:11:11: feature[0].profile: a profile list needs 24 hourly multipliers"],
        ),
        bad(
            "a negative profile multiplier",
            format!("{BASE}profile = [{}-1]\n", "1, ".repeat(23)),
            &["feature[0].profile[23]: must be a finite number >= 0, got -1"],
        ),
        bad(
            "a misspelt built-in profile",
            format!("{BASE}profile = \"lync2013_workdy\"\n"),
            &[
                "feature[0].profile: unknown profile \"lync2013_workdy\"",
                "did you mean \"lync2013_workday\"?",
            ],
        ),
        bad(
            "a bad row in a profile file",
            format!("{BASE}profile = {{ file = \"bad-profile.csv\" }}\n"),
            &["feature[0].profile.file: bad-profile.csv:3: \"25:00\" is not a time of day"],
        ),
        bad(
            "a clock time like 25:00",
            format!("clock_start = \"25:00\"\n{BASE}"),
            &[
                "test.toml:1:15: clock_start: \"25:00\" is not a time of day: hour 25 is out of range",
            ],
        ),
        bad(
            "a step at a clock time that does not exist",
            step("at = \"12:75\"\naction = \"pause\"\nserver = 1"),
            &["step[0].at: \"12:75\" is not a time of day: minute 75"],
        ),
        bad(
            "a load factor of 0",
            format!("{BASE}load_factor = 0\n"),
            &["feature[0].load_factor: must be a finite number above 0"],
        ),
        bad(
            "an unparseable time in a trace",
            trace("cdr-time.csv"),
            &["cdr-time.csv:3: ", "yesterday"],
        ),
        bad(
            "a trace session that ends before it starts",
            trace("cdr-order.csv"),
            &["cdr-order.csv:3: ", "before"],
        ),
        bad(
            "a value of the feature column with no mapping",
            trace("cdr-media.csv"),
            &["cdr-media.csv:3: ", "Telepathy"],
        ),
        bad(
            "a trace without the start column",
            trace("cdr-columns.csv"),
            &["cdr-columns.csv:1: ", "InviteTime"],
        ),
        bad(
            "a trace that does not overlap the horizon",
            trace("cdr-good.csv").replace("2026-11-03 21:00:00\"", "2026-11-05 21:00:00\""),
            &["trace.start: no session of the trace overlaps the simulated time"],
        ),
        bad(
            "a trace mapped to an undefined feature",
            trace("cdr-media.csv").replace("IM = \"im\"", "IM = \"imm\""),
            &[
                "trace.features.IM: feature \"imm\" is not defined",
                "did you mean \"im\"?",
            ],
        ),
        // The administrator's own words (R22): each slip names what was meant.
        bad(
            "load balancing written as the product: F5",
            BASE.replace("servers = 4", "servers = 4\nload_balancing = \"F5\""),
            &[
                "test.toml:6:18: pool.load_balancing: unknown value \"F5\"",
                "did you mean \"hardware\"? (any load balancer in front of the pool",
            ],
        ),
        bad(
            "load balancing written as HLB",
            BASE.replace("servers = 4", "servers = 4\nload_balancing = \"HLB\""),
            &[
                "pool.load_balancing: unknown value \"HLB\"",
                "did you mean \"hardware\"?",
            ],
        ),
        bad(
            "load balancing written as NLB",
            BASE.replace("servers = 4", "servers = 4\nload_balancing = \"NLB\""),
            &[
                "pool.load_balancing: unknown value \"NLB\"",
                "did you mean \"hardware\"?",
            ],
        ),
        bad(
            "load balancing written as load balancer",
            BASE.replace(
                "servers = 4",
                "servers = 4\nload_balancing = \"load balancer\"",
            ),
            &[
                "unknown value \"load balancer\"",
                "did you mean \"hardware\"?",
            ],
        ),
        bad(
            "load balancing swept as F5",
            format!("{BASE}\n[sweep]\nload_balancing = [\"dns\", \"F5\"]\n"),
            &["sweep.load_balancing[1]: ", "did you mean \"hardware\"?"],
        ),
        bad(
            "action written as the cmdlet's word: suspend",
            step("action = \"suspend\"\nserver = 1"),
            &[
                "test.toml:13:10: step[0].action: unknown action \"suspend\"",
                "did you mean \"pause\"? (Suspend-Service",
            ],
        ),
        bad(
            "action written as the cmdlet: Suspend-Service",
            step("action = \"Suspend-Service\"\nserver = 1"),
            &[
                "step[0].action: unknown action \"Suspend-Service\"",
                "did you mean \"pause\"?",
            ],
        ),
        bad(
            "action written as drain",
            step("action = \"drain\"\nserver = 1"),
            &[
                "step[0].action: unknown action \"drain\"",
                "did you mean \"stop_graceful\"? (Stop-CsWindowsService -Graceful",
                "\"pause\" drains",
            ],
        ),
        bad(
            "action written as reboot",
            step("action = \"reboot\"\nserver = 1"),
            &["unknown action \"reboot\"", "did you mean \"restart\"?"],
        ),
        bad(
            "duration with a spaced unit: 45 min",
            step("action = \"wait\"\nduration = \"45 min\""),
            &[
                "test.toml:14:12: step[0].duration: invalid duration \"45 min\"",
                "did you mean \"45m\"?",
            ],
        ),
        bad(
            "duration in words: 45 minutes",
            step("action = \"wait\"\nduration = \"45 minutes\""),
            &[
                "step[0].duration: invalid duration \"45 minutes\"",
                "did you mean \"45m\"?",
            ],
        ),
        bad(
            "duration in words: 1 hour 30 minutes",
            BASE.replace("\"1h\"", "\"1 hour 30 minutes\""),
            &["test.toml:1:11: horizon: ", "did you mean \"1h30m\"?"],
        ),
        bad(
            "duration as a clock: 00:45:00",
            step("action = \"wait\"\nduration = \"00:45:00\""),
            &[
                "step[0].duration: invalid duration \"00:45:00\"",
                "did you mean \"45m\"?",
            ],
        ),
        bad(
            "distribution mean in words",
            with_dist(r#"{ distribution = "exponential", mean = "3 mins" }"#),
            &["feature[0].duration.mean: ", "did you mean \"3m\"?"],
        ),
        bad(
            "a trace mapped to a catalogue feature no [[feature]] defines",
            trace("cdr-good.csv").replace("IM = \"im\"", "IM = \"app_sharing\""),
            &[
                "trace.features.IM: feature \"app_sharing\" is not defined in this scenario; add \
                 `[[feature]] name = \"app_sharing\"`",
                "a catalogue name alone is enough",
            ],
        ),
        bad(
            "a trace and no [[feature]] at all",
            "horizon = \"1h\"\n[pool]\nservers = 2\n[trace]\nfile = \"cdr-good.csv\"\n\
             [trace.features]\nIM = \"im\"\n",
            &[
                "feature: no features: [trace.features] maps the trace to \"im\", which no \
                 [[feature]] defines; add `[[feature]] name = \"im\"`",
            ],
        ),
        // Front Ends by name (R22).
        bad(
            "a server named in a step of a pool given as a count",
            step("action = \"pause\"\nserver = \"fe01.contoso.com\""),
            &[
                "test.toml:14:10: step[0].server: \"fe01.contoso.com\" names a server, but \
                 `[pool] servers` is a count",
            ],
        ),
        bad(
            "a server name that is not in the pool",
            step("action = \"pause\"\nserver = \"fe03.contoso.com\"").replace(
                "servers = 4",
                "servers = [\"fe01.contoso.com\", \"fe02.contoso.com\", \"fe04.contoso.com\"]",
            ),
            &[
                "step[0].server: no server of this pool is named \"fe03.contoso.com\"",
                "did you mean \"fe01.contoso.com\"?",
            ],
        ),
        bad(
            "a server named twice in the pool",
            BASE.replace(
                "servers = 4",
                "servers = [\"fe01.contoso.com\", \"FE01.contoso.com\"]",
            ),
            &["test.toml:5:32: pool.servers[1]: \"FE01.contoso.com\" is listed twice"],
        ),
        bad(
            "a server name that is no DNS name",
            BASE.replace("servers = 4", "servers = [\"fe01.contoso.com\", \"fe 02\"]"),
            &["pool.servers[1]: \"fe 02\" holds ' ', which no DNS name holds"],
        ),
        bad(
            "no server names at all",
            BASE.replace("servers = 4", "servers = []"),
            &["pool.servers: lists no server"],
        ),
        bad(
            "an upgrade domain naming a server the pool does not have",
            BASE.replace(
                "servers = 4",
                "servers = [\"fe01.contoso.com\", \"fe02.contoso.com\"]\n\
                 upgrade_domains = [[\"fe01.contoso.com\"], [\"fe2\"]]",
            ),
            &["pool.upgrade_domains[1][0]: no server of this pool is named \"fe2\""],
        ),
        bad(
            "a named pool whose size is swept",
            format!(
                "{}\n[sweep]\nservers = [2, 3]\n",
                BASE.replace(
                    "servers = 4",
                    "servers = [\"fe01.contoso.com\", \"fe02.contoso.com\"]"
                )
            ),
            &["names 2 Front Ends, so the pool size cannot change to 3"],
        ),
        // Load balancer administration (R14).
        bad(
            "lb_* step under DNS load balancing",
            step("action = \"lb_disable\"\nserver = 1"),
            &[
                "test.toml:13:10: step[0].action: \"lb_disable\" acts on a hardware load balancer",
                "use \"dns_remove\"",
            ],
        ),
        bad(
            "dns_* step under a hardware load balancer",
            step("action = \"dns_remove\"\nserver = 1")
                .replace("servers = 4", "servers = 4\nload_balancing = \"hardware\""),
            &[
                "test.toml:14:10: step[0].action: \"dns_remove\" changes the pool's DNS records",
                "use \"lb_disable\"",
            ],
        ),
        bad(
            "lb_* step in a swept DNS run",
            format!(
                "{}\n[sweep]\nload_balancing = [\"hardware\", \"dns\"]\n",
                step("action = \"lb_force_offline\"\nserver = 1")
            ),
            &["sweep: run with load_balancing = dns: step[0]: \"lb_force_offline\" acts on"],
        ),
        bad(
            "persistence without clients",
            format!("{BASE}\n[pool.hardware]\npersistence = \"source_address\"\n"),
            &[
                "test.toml:13:15: pool.hardware.persistence: \"source_address\" persistence \
                 needs `clients`",
            ],
        ),
        bad(
            "persistence without clients, swept",
            format!("{BASE}\n[sweep]\npool.hardware.persistence = [\"source_address\"]\n"),
            &["sweep.pool.hardware.persistence[0]: \"source_address\" persistence needs `clients`"],
        ),
        bad(
            "TTL longer than the horizon",
            format!("{BASE}\n[pool.dns]\nttl = \"2h\"\n"),
            &["test.toml:13:7: pool.dns.ttl: 2h is longer than the horizon (1h)"],
        ),
        bad(
            "failover_clients above 1",
            format!("{BASE}\n[pool.dns]\nfailover_clients = 1.5\n"),
            &[
                "test.toml:13:20: pool.dns.failover_clients: must be a fraction of clients between 0 and 1",
            ],
        ),
        bad(
            "failover_clients below 0, swept",
            format!("{BASE}\n[sweep]\npool.dns.failover_clients = [0.5, -0.1]\n"),
            &["sweep.pool.dns.failover_clients[1]: must be a fraction of clients between 0 and 1"],
        ),
        bad(
            "case without a label",
            format!("{BASE}\n[sweep]\ncase = [{{ load_balancing = \"dns\" }}]\n"),
            &["sweep.case[0]: a case needs a `label`"],
        ),
        bad(
            "unknown transport",
            BASE.replace("name = \"im\"", "name = \"im\"\ntransport = \"http\""),
            &[
                "feature[0].transport: unknown value \"http\"",
                "did you mean \"https\"?",
            ],
        ),
    ]
}

#[test]
fn every_bad_input_class_gets_a_positioned_message_with_its_field_path() {
    let files = MapFiles(CSV_FILES);
    for b in catalogue() {
        assert_error(b.class, &b.text, &files, b.needles);
    }
}

/// Each class through the binary: `check` and `run` exit 2 with the same message, and `run`
/// writes nothing.
#[test]
fn every_bad_input_class_exits_2_through_the_binary() {
    let dir = TempDir::new("classes");
    for (name, text) in CSV_FILES {
        dir.write(name, text);
    }
    for b in catalogue() {
        dir.write("test.toml", &b.text);
        for args in [
            &["check", "test.toml"][..],
            &["run", "test.toml", "--out", "out", "-q"],
        ] {
            let o = drainsim(dir.path(), args);
            let err = stderr(&o);
            assert_eq!(
                o.status.code(),
                Some(2),
                "{}: {args:?} exit code; stderr:\n{err}",
                b.class
            );
            assert!(
                err.lines().any(|l| b.needles.iter().all(|n| l.contains(n))),
                "{}: {args:?}: expected a line containing {:?}, got:\n{err}",
                b.class,
                b.needles
            );
        }
        assert!(
            !dir.path().join("out").exists(),
            "{}: a report was written",
            b.class
        );
        assert!(
            leftovers(dir.path()).is_empty(),
            "{}: temporary folder left",
            b.class
        );
    }
}

/// The warnings of `text`, which must be valid, one string each (`file:line:col: warning: …`).
fn warnings(text: &str) -> Vec<String> {
    match scenario::parse(text, "test.toml", &NoFiles) {
        Ok(s) => s
            .warnings
            .iter()
            .map(|w| w.as_warning().to_string())
            .collect(),
        Err(e) => panic!("scenario should be valid:\n{e}"),
    }
}

#[test]
fn a_plan_longer_than_the_horizon_is_a_warning_at_the_step_that_crosses_it() {
    // 30m + 25m wait + 10m downtime = 1h5m, beyond the 1h horizon: the restart crosses it.
    let plan = "[[step]]\nat = \"30m\"\naction = \"pause\"\nserver = 1\n\n\
                [[step]]\naction = \"wait\"\nduration = \"25m\"\n\n\
                [[step]]\naction = \"restart\"\nserver = 1\n\n\
                [[step]]\naction = \"start\"\nserver = 1\n";
    let text = format!("{BASE}\n{plan}");
    assert_eq!(
        warnings(&text),
        [
            "test.toml:21:1: warning: step[2]: the plan needs at least 1h5m but the horizon is 1h: \
          this `restart` cannot end before 1h5m, counting only `at` times, waits and restart \
          downtimes, and the steps after it never run; raise `horizon` to at least 1h5m or \
          shorten the plan"
        ]
    );
    // Exactly the horizon fits (a step ending at the horizon is done).
    assert_eq!(
        warnings(&text.replace("\"25m\"", "\"20m\"")),
        Vec::<String>::new()
    );
    // Drains count as nothing: however long they may take, they could end at once.
    let drains = format!(
        "{BASE}\n[[step]]\naction = \"pause\"\nserver = 1\n\n[[step]]\naction = \
         \"wait_until_drained\"\nserver = 1\n\n[[step]]\naction = \"failover\"\nserver = 2\n\
         wait_time = \"2h\"\n"
    );
    assert_eq!(warnings(&drains), Vec::<String>::new());
}

#[test]
fn a_rolling_restart_counts_its_downtimes_and_the_waits_between_domains() {
    // 4 domains: 4 × 10m down + 3 × 20m after Ready = 1h40m; a 15m replica rebuild adds two
    // Busy polls (2 × 10m) before each of the last three domains: 2h40m.
    let rolling = |extra: &str| {
        format!(
            "{}\n[[step]]\naction = \"rolling_restart\"\n",
            BASE.replace(
                "servers = 4",
                &format!("servers = 4\nquorum = \"none\"{extra}")
            )
        )
    };
    let w = warnings(&rolling(""));
    assert_eq!(w.len(), 1, "{w:?}");
    assert!(
        w[0].contains("step[0]: the plan needs at least 1h40m but the horizon is 1h"),
        "{w:?}"
    );
    let w = warnings(&rolling("\nreplica_rebuild = \"15m\""));
    assert!(w[0].contains("needs at least 2h40m"), "{w:?}");
    let w = warnings(&rolling("\nupgrade_domains = 2").replace("\"1h\"", "\"1h20m\""));
    assert_eq!(w, Vec::<String>::new(), "2 × 10m + 20m = 40m fits");
}

#[test]
fn a_sweep_warns_once_naming_the_run_that_needs_the_longest() {
    let text = format!(
        "{BASE}\n[[step]]\naction = \"wait\"\nduration = \"5m\"\n\n\
         [[step]]\naction = \"restart\"\nserver = 1\n\n\
         [sweep]\nwait = [\"10m\", \"55m\", \"2h\"]\n"
    );
    let w = warnings(&text);
    assert_eq!(w.len(), 1, "{w:?}");
    assert!(
        w[0].contains(
            "the plan needs at least 2h10m but the horizon is 1h (in 2 of 3 runs; the longest \
             is run 2: load_balancing = dns, wait_s = 7200)"
        ),
        "{w:?}"
    );
    // Which step crosses the horizon is that run's: the wait.
    assert!(w[0].contains("warning: step[0]: "), "{w:?}");
}

#[test]
fn a_service_spelt_like_a_catalogue_service_is_a_warning() {
    let text = BASE.replace(
        "name = \"im\"",
        "name = \"contact_centre\"\nservice = \"rtcrgs\"",
    );
    assert_eq!(
        warnings(&text),
        [
            "test.toml:9:11: warning: feature[0].service: \"rtcrgs\" is not a known Windows \
          service, so it adds a new one (names are compared exactly here); did you mean \
          \"RTCRGS\"?"
        ]
    );
    // Services of the file's own are not compared with each other.
    let own = format!(
        "{}\n[[feature]]\nname = \"f2\"\nservice = \"SVC2\"\narrivals_per_hour = 1\nduration = {EXP}\n",
        BASE.replace("name = \"im\"", "name = \"f1\"\nservice = \"SVC1\"")
    );
    assert_eq!(warnings(&own), Vec::<String>::new());
}

#[test]
fn a_number_selects_the_cell_holding_the_same_number_however_written() {
    let text = format!(
        "{BASE}\n[sweep]\n\"pool.hardware.not_redirected\" = [1.0, 0.5]\n\n\
         [[expect]]\n\"pool.hardware.not_redirected\" = 1\ncut_mean = {{ max = 1 }}\n"
    );
    let s = common::scenario(&text);
    // The summary writes 1.0 as the sweep did: the selector is rewritten to match it.
    assert_eq!(
        s.expects[0].selectors,
        [(
            "pool.hardware.not_redirected".to_string(),
            "1.0".to_string()
        )]
    );
}

#[test]
fn serde_errors_name_the_field_path() {
    let cases = [
        (
            BASE.replace("name = \"im\"\n", ""),
            "test.toml:7:1: feature[0]: missing field `name`",
        ),
        (
            with_dist(r#"{ mean = "3m" }"#),
            "test.toml:10:12: feature[0].duration: missing field `distribution`",
        ),
        (
            step("server = 1"),
            "test.toml:12:1: step[0]: missing field `action`",
        ),
        (
            BASE.replace("servers = 4", "servers = 4.5"),
            "test.toml:5:11: pool.servers: invalid type: floating point `4.5`, expected a number \
             of Front Ends, or a list of their FQDNs such as [\"fe01.contoso.com\", \
             \"fe02.contoso.com\"]",
        ),
        (
            step("action = \"pause\"\nserver = 1\nservices = \"RTCSRV\""),
            "test.toml:15:12: step[0].services: invalid type: string \"RTCSRV\", expected an array",
        ),
        (
            format!("pool = 5\n{}", BASE.replace("[pool]\nservers = 4\n", "")),
            "test.toml:1:8: pool: invalid type: integer `5`, expected a table",
        ),
    ];
    for (text, want) in cases {
        let errs = errors_with(&text, &NoFiles);
        assert_eq!(errs, vec![want.to_string()], "for:\n{text}");
    }
}

#[test]
fn sweeps_beyond_small_limits_are_refused() {
    let text =
        format!("{BASE}\n[sweep]\nload_balancing = [\"dns\", \"hardware\"]\nservers = [2, 3, 4]\n");
    let limits = Limits {
        max_runs: 5,
        ..Limits::default()
    };
    let err = scenario::parse_with_limits(&text, "test.toml", &NoFiles, &limits).unwrap_err();
    assert_eq!(
        err.to_string(),
        "test.toml:12:1: sweep: the sweep expands to 6 runs, beyond the limit of 5"
    );
    let limits = Limits {
        max_total_replications: 11,
        ..Limits::default()
    };
    let err = scenario::parse_with_limits(&text, "test.toml", &NoFiles, &limits).unwrap_err();
    assert!(
        err.to_string()
            .contains("6 runs × 2 replications = 12 replications, beyond the limit of 11"),
        "{err}"
    );
    let limits = Limits {
        max_horizon: drainsim::engine::SimTime::from_secs(1800),
        max_replications: 1,
        ..Limits::default()
    };
    let err = scenario::parse_with_limits(BASE, "test.toml", &NoFiles, &limits).unwrap_err();
    let msgs: Vec<String> = err.diagnostics.iter().map(|d| d.to_string()).collect();
    assert_eq!(
        msgs,
        [
            "test.toml:1:11: horizon: 1h is beyond the limit of 30m",
            "test.toml:2:16: replications: must be between 1 and 1, got 2",
        ]
    );
    // The same scenario is fine within the default limits.
    assert!(scenario::parse(&text, "test.toml", &NoFiles).is_ok());
}

/// A sweep axis is held to the limit of the field it varies, whatever the limit: the `servers`
/// and `pool.servers` axes once allowed 1 to 1000 servers whatever `max_servers` said.
#[test]
fn sweep_axes_follow_the_pool_size_limit() {
    let text = format!("{BASE}\n[sweep]\nservers = [4, 9]\n\"pool.servers\" = [2, 12]\n");
    let limits = Limits {
        max_servers: 8,
        ..Limits::default()
    };
    let err = scenario::parse_with_limits(&text, "test.toml", &NoFiles, &limits).unwrap_err();
    let msgs: Vec<String> = err.diagnostics.iter().map(|d| d.to_string()).collect();
    assert_eq!(
        msgs,
        [
            "test.toml:13:15: sweep.servers[1]: expected a number of servers from 1 to 8, got 9",
            "test.toml:14:22: sweep.\"pool.servers\"[1]: servers must be between 1 and 8, got 12",
        ]
    );
    // The plain field gets the same limit.
    let plain = BASE.replace("servers = 4", "servers = 9");
    let err = scenario::parse_with_limits(&plain, "test.toml", &NoFiles, &limits).unwrap_err();
    assert_eq!(
        err.to_string(),
        "test.toml:5:11: pool.servers: must be between 1 and 8, got 9"
    );
    // A higher limit lets both the field and the axes go beyond 1000.
    let limits = Limits {
        max_servers: 2000,
        ..Limits::default()
    };
    let big = format!("{BASE}\n[sweep]\nservers = [1500]\n\"pool.servers\" = [1200]\n")
        .replace("servers = 4", "servers = 4\nquorum = \"none\"");
    let s = scenario::parse_with_limits(&big, "test.toml", &NoFiles, &limits).expect("valid");
    let runs = scenario::expand(&s).expect("expands");
    assert_eq!(runs[0].config.pool.servers, 1200, "the later axis wins");
}

/// Regression: a sweep of 10,000 runs of 1,000-server pools with 100,000 routing groups took
/// 12 minutes and 23 GB in `drainsim check` (every run resolved and held its own topology). It
/// is now refused at once.
#[test]
fn a_sweep_of_huge_pools_is_refused_quickly() {
    let text = format!(
        "{}\n[[step]]\naction = \"wait\"\nduration = \"1m\"\n\n[sweep]\nservers = [{}]\nwait = [{}]\n",
        BASE.replace("servers = 4", "servers = 1000\nrouting_groups = 100000"),
        vec!["1000"; 100].join(", "),
        vec!["\"1m\""; 100].join(", ")
    );
    let started = Instant::now();
    let errs = errors_with(&text, &NoFiles);
    assert!(
        started.elapsed() < Duration::from_secs(5),
        "took {:?}",
        started.elapsed()
    );
    assert!(
        errs.iter()
            .any(|e| e.contains("sweep: the sweep's 10000 runs would hold about 3.0e9")),
        "{errs:?}"
    );
}

#[test]
fn empirical_files_that_are_fine_are_read() {
    let s = scenario::parse(
        &with_dist(r#"{ distribution = "empirical", file = "good.csv" }"#),
        "test.toml",
        &MapFiles(CSV_FILES),
    )
    .expect("valid");
    assert_eq!(
        s.base.features[0].duration.describe(),
        "empirical(3 points)"
    );
}

#[test]
fn several_errors_in_one_file_are_all_listed_in_file_order() {
    // Validation meets the pool before the features and the steps, whatever the file order.
    let text = r#"horizon = "1h"
replications = 0

[[feature]]
name = "im"
arrivals_per_hour = -1
duration = { distribution = "uniform", min = "5m", max = "1m" }

[pool]
servers = 0
load_balancing = "round_robin"

[[step]]
action = "explode"
"#;
    let errs = errors_with(text, &NoFiles);
    assert_eq!(
        errs,
        [
            "test.toml:2:16: replications: must be between 1 and 100000, got 0",
            "test.toml:6:21: feature[0].arrivals_per_hour: must be a finite number > 0, got -1",
            "test.toml:7:12: feature[0].duration: min (300 s) is greater than max (60 s)",
            "test.toml:10:11: pool.servers: must be between 1 and 1000, got 0",
            "test.toml:11:18: pool.load_balancing: unknown value \"round_robin\"; expected one of \"dns\", \"hardware\"",
            "test.toml:14:10: step[0].action: unknown action \"explode\"; expected one of \"pause\", \"resume\", \"stop_graceful\", \"stop\", \"start\", \"restart\", \"set_startup\", \"wait\", \"wait_until_drained\", \"rolling_restart\", \"failover\", \"failback\", \"lb_disable\", \"lb_force_offline\", \"lb_enable\", \
             \"dns_remove\", \"dns_add\"",
        ]
    );
}

#[test]
fn check_reports_every_error_of_every_file() {
    let dir = TempDir::new("check");
    dir.write(
        "a.toml",
        &BASE
            .replace("servers = 4", "servers = 0")
            .replace("= 100", "= nan"),
    );
    dir.write("b.toml", "[pool\nservers = 4\n");
    dir.write("c.toml", BASE);
    let o = drainsim(
        dir.path(),
        &["check", "a.toml", "b.toml", "c.toml", "d.toml"],
    );
    assert_eq!(o.status.code(), Some(2));
    let err = stderr(&o);
    let lines: Vec<&str> = err.lines().collect();
    assert_eq!(lines.len(), 4, "{err}");
    assert_eq!(
        lines[0],
        "a.toml:5:11: pool.servers: must be between 1 and 1000, got 0"
    );
    assert_eq!(
        lines[1],
        "a.toml:9:21: feature[0].arrivals_per_hour: must be a finite number > 0, got NaN"
    );
    assert!(lines[2].starts_with("b.toml:1:6: "), "{err}");
    assert!(lines[3].starts_with("d.toml: cannot read: "), "{err}");
    let out = String::from_utf8_lossy(&o.stdout);
    assert!(
        out.contains("c.toml: ok (1 run, 2 replications each)"),
        "{out}"
    );
}

#[test]
fn command_line_limits_exit_2() {
    let dir = TempDir::new("cli");
    dir.write("test.toml", BASE);
    for (args, want) in [
        (
            &["run", "test.toml", "--replications", "0"][..],
            "--replications must be between 1 and 100000, got 0",
        ),
        (
            &["run", "test.toml", "--replications", "100001"][..],
            "--replications must be between 1 and 100000, got 100001",
        ),
        (
            &["run", "test.toml", "--replications", "-1"][..],
            "unexpected argument '-1'",
        ),
        (
            &["run", "test.toml", "--jobs", "0"][..],
            "--jobs must be at least 1",
        ),
        (&["run", "missing.toml"][..], "missing.toml: cannot read: "),
        (&["run", "test.toml", "--colour"][..], "--colour"),
        (&["check"][..], "SCENARIOS"),
    ] {
        let o = drainsim(dir.path(), args);
        assert_eq!(o.status.code(), Some(2), "{args:?}: {}", stderr(&o));
        assert!(
            stderr(&o).contains(want),
            "{args:?}: expected {want:?} in:\n{}",
            stderr(&o)
        );
    }
    assert!(!dir.path().join("reports").exists());
}

/// A plan that passes the up-front estimate (two events per session) but needs more events:
/// 1,200 steps for 100 sessions.
fn over_budget_at_run_time() -> String {
    let mut text = r#"horizon = "10h"
replications = 3
event_budget = 500
sample_interval = "0s"

[pool]
servers = 4

[[feature]]
name = "im"
arrivals_per_hour = 10
duration = { distribution = "exponential", mean = "3m" }
"#
    .to_string();
    for _ in 0..300 {
        text.push_str(
            "\n[[step]]\naction = \"pause\"\nserver = 1\n\n[[step]]\naction = \"wait\"\nduration = \"30s\"\n\
             \n[[step]]\naction = \"resume\"\nserver = 1\n\n[[step]]\naction = \"wait\"\nduration = \"30s\"\n",
        );
    }
    text
}

#[test]
fn event_budget_exhausted_in_the_library_is_an_error_not_a_hang() {
    let mut cfg = common::run_config(BASE);
    cfg.event_budget = 10;
    let err = Simulation::new(&cfg, Seeds::derive(1, 0))
        .run()
        .unwrap_err();
    let SimError::EventBudget {
        budget,
        at,
        horizon,
    } = err.clone()
    else {
        panic!("expected EventBudget, got {err:?}");
    };
    assert_eq!((budget, horizon), (10, cfg.horizon));
    assert!(at < horizon, "stopped at {at}");
    let msg = err.to_string();
    assert!(
        msg.contains("event budget of 10 events exhausted at simulated time"),
        "{msg}"
    );
    assert!(msg.contains("raise `event_budget`"), "{msg}");
}

#[test]
fn event_budget_exhausted_mid_run_exits_2_and_keeps_the_old_report() {
    let dir = TempDir::new("budget");
    dir.write("good.toml", BASE);
    dir.write("heavy.toml", &over_budget_at_run_time());
    // The estimate passes: the scenario is valid.
    assert_eq!(
        drainsim(dir.path(), &["check", "heavy.toml"]).status.code(),
        Some(0)
    );

    let o = drainsim(dir.path(), &["run", "good.toml", "--out", "report", "-q"]);
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    let before = snapshot(&dir.path().join("report"));
    assert!(before.iter().any(|(n, _)| n == "summary.csv"));

    let o = drainsim(dir.path(), &["run", "heavy.toml", "--out", "report", "-q"]);
    assert_eq!(o.status.code(), Some(2), "{}", stderr(&o));
    let err = stderr(&o);
    assert!(
        err.contains("heavy.toml: run 0 (load_balancing = dns), replication ")
            && err.contains("event budget of 500 events exhausted at simulated time ")
            && err.contains("(horizon 10h)"),
        "{err}"
    );
    assert_eq!(
        snapshot(&dir.path().join("report")),
        before,
        "the old report changed"
    );
    assert!(
        leftovers(dir.path()).is_empty(),
        "temporary folder left: {:?}",
        leftovers(dir.path())
    );
}

#[test]
fn out_refuses_a_folder_drainsim_did_not_write() {
    let dir = TempDir::new("out");
    dir.write("test.toml", BASE);
    std::fs::create_dir(dir.path().join("mine")).unwrap();
    std::fs::write(dir.path().join("mine/thesis.tex"), "precious").unwrap();

    let o = drainsim(dir.path(), &["run", "test.toml", "--out", "mine", "-q"]);
    assert_eq!(o.status.code(), Some(2));
    let err = stderr(&o);
    assert!(
        err.contains("mine exists and was not written by drainsim") && err.contains("--force"),
        "{err}"
    );
    assert_eq!(
        std::fs::read_to_string(dir.path().join("mine/thesis.tex")).unwrap(),
        "precious"
    );

    // An empty folder, or one drainsim wrote, is fine without --force.
    std::fs::create_dir(dir.path().join("empty")).unwrap();
    let o = drainsim(dir.path(), &["run", "test.toml", "--out", "empty", "-q"]);
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    let o = drainsim(dir.path(), &["run", "test.toml", "--out", "empty", "-q"]);
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));

    // A file is never a report folder, not even with --force.
    dir.write("file", "x");
    let o = drainsim(
        dir.path(),
        &["run", "test.toml", "--out", "file", "--force", "-q"],
    );
    assert_eq!(o.status.code(), Some(2));
    assert!(
        stderr(&o).contains("exists and is not a folder"),
        "{}",
        stderr(&o)
    );

    // Not even with --force (tests/it/cli.rs checks the rest of the rule).
    let o = drainsim(
        dir.path(),
        &["run", "test.toml", "--out", "mine", "--force", "-q"],
    );
    assert_eq!(o.status.code(), Some(2), "{}", stderr(&o));
    assert!(
        stderr(&o).contains("not even with --force"),
        "{}",
        stderr(&o)
    );
    assert_eq!(
        snapshot(&dir.path().join("mine")),
        vec![("thesis.tex".to_string(), b"precious".to_vec())]
    );
    assert!(leftovers(dir.path()).is_empty());
}

// ---------------------------------------------------------------------------------------------
// 2. Extreme but valid inputs.

fn run_rep(text: &str, rep: u64) -> ReplicationMetrics {
    let cfg = common::run_config(text);
    let started = Instant::now();
    let m = common::sim(&cfg, 7, rep).run().expect("runs");
    assert!(
        started.elapsed() < Duration::from_secs(30),
        "took {:?}",
        started.elapsed()
    );
    for (f, c) in cfg.features.iter().zip(&m.features) {
        assert!(c.conserved(), "{}: conservation fails: {c:?}", f.name);
    }
    m
}

fn all_servers(action: &str, lb: &str) -> String {
    format!(
        r#"horizon = "2h"
[pool]
servers = 3
load_balancing = "{lb}"
quorum = "none"

[[feature]]
name = "im"
arrivals_per_hour = 600
duration = {{ distribution = "exponential", mean = "2m" }}

[[feature]]
name = "response_group"
arrivals_per_hour = 300
duration = {{ distribution = "exponential", mean = "2m" }}

[[step]]
at = "30m"
action = "{action}"
servers = [1, 2, 3]
"#
    )
}

#[test]
fn every_server_paused_under_dns_blocks_new_sessions() {
    let m = run_rep(&all_servers("pause", "dns"), 0);
    for c in &m.features {
        assert!(c.blocked > 0, "{c:?}");
        assert_eq!(c.landed_on_paused, 0);
    }
}

#[test]
fn every_server_paused_under_hardware_lands_or_blocks() {
    let m = run_rep(&all_servers("pause", "hardware"), 0);
    // im does not need DNS LB: the pool would redirect it, but no server runs → blocked.
    // response_group needs DNS LB: it lands on the paused server the HLB picked.
    let (im, rg) = (&m.features[0], &m.features[1]);
    assert!(im.blocked > 0, "{im:?}");
    assert!(rg.landed_on_paused > 0, "{rg:?}");
}

#[test]
fn every_server_stopped_blocks_or_fails_and_cuts() {
    for lb in ["dns", "hardware"] {
        let m = run_rep(&all_servers("stop", lb), 0);
        for c in &m.features {
            assert!(c.blocked + c.failed > 0, "{lb}: {c:?}");
            assert_eq!(c.active_at_end, 0, "{lb}: {c:?}");
        }
        // Sessions active at the stop: im recovers (disrupted), response_group is dropped (cut).
        assert!(m.features[0].disrupted > 0, "{lb}: {:?}", m.features[0]);
        assert!(m.features[1].cut() > 0, "{lb}: {:?}", m.features[1]);
    }
}

#[test]
fn zero_length_sessions_complete_at_once() {
    let text = with_dist(r#"{ distribution = "deterministic", value = "0s" }"#);
    let m = run_rep(&text, 0);
    let c = &m.features[0];
    assert!(c.arrivals > 0);
    assert_eq!(c.completed, c.accepted, "{c:?}");
    assert_eq!(c.active_at_end, 0);
}

#[test]
fn many_events_at_the_same_instant_run_in_a_deterministic_order() {
    // Deterministic durations and several steps at the same `at`: ties everywhere.
    let text = r#"horizon = "2h"
[pool]
servers = 4
load_balancing = "hardware"

[[feature]]
name = "im"
arrivals_per_hour = 2000
duration = { distribution = "deterministic", value = "10m" }

[[feature]]
name = "response_group"
arrivals_per_hour = 2000
duration = { distribution = "deterministic", value = "10m" }

[[step]]
at = "30m"
action = "pause"
server = 1

[[step]]
at = "30m"
action = "pause"
server = 2

[[step]]
at = "30m"
action = "restart"
servers = [1, 2]
downtime = "10m"

[[step]]
at = "30m"
action = "stop"
server = 3
"#;
    let a = run_rep(text, 3);
    let b = run_rep(text, 3);
    assert_eq!(a, b);
    assert!(
        a.features
            .iter()
            .map(|c| c.cut() + c.disrupted)
            .sum::<u64>()
            > 0
    );
}

#[test]
fn a_thousand_servers_with_a_small_rate_run() {
    let text = BASE
        .replace("arrivals_per_hour = 100", "arrivals_per_hour = 5")
        .replace("servers = 4", "servers = 1000");
    let cfg = common::run_config(&text);
    assert_eq!(cfg.pool.servers, 1000);
    let a = run_rep(&text, 0);
    assert_eq!(a, run_rep(&text, 0));
    assert!(a.features[0].accepted > 0);
    // Both load balancers.
    let hlb = text.replace(
        "servers = 1000",
        "servers = 1000\nload_balancing = \"hardware\"",
    );
    assert_eq!(
        common::run_config(&hlb).pool.load_balancing,
        LoadBalancing::Hardware
    );
    run_rep(&hlb, 0);
}

// ---------------------------------------------------------------------------------------------
// 3. No panic on any input.

/// Empirical files name their own content: `file = "data:1|2"` reads as "1\n2" (as in the fuzz
/// target), so that mutations reach the CSV reader.
struct InlineFiles;

impl FileSource for InlineFiles {
    fn read(&self, path: &str) -> Result<String, String> {
        match path.strip_prefix("data:") {
            Some(body) => Ok(body.replace('|', "\n")),
            None => Err(format!("cannot read {path:?}: no such file")),
        }
    }
}

/// Parses (and on success expands) `text`; a panic or a slow answer is the failure, with the
/// input in the message.
fn survives(text: &str) -> Result<(), String> {
    let started = Instant::now();
    let r = catch_unwind(AssertUnwindSafe(|| {
        if let Ok(s) = scenario::parse(text, "fuzz.toml", &InlineFiles) {
            let _ = scenario::expand(&s);
        }
    }));
    if r.is_err() {
        return Err(format!("panicked on input:\n-----\n{text}\n-----"));
    }
    if started.elapsed() > Duration::from_secs(10) {
        return Err(format!(
            "took {:?} on input:\n-----\n{text}\n-----",
            started.elapsed()
        ));
    }
    Ok(())
}

/// The valid scenarios that mutations start from: every file in `scenarios/`, plus small ones
/// that reach what those do not (empirical files, upgrade domains, every action).
fn seeds() -> Vec<String> {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("scenarios");
    let mut files: Vec<PathBuf> = std::fs::read_dir(&dir)
        .expect("scenarios/")
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| p.extension().is_some_and(|x| x == "toml"))
        .collect();
    files.sort();
    let mut out: Vec<String> = files
        .iter()
        .map(|p| std::fs::read_to_string(p).expect("read scenario"))
        .collect();
    out.push(with_dist(
        r#"{ distribution = "empirical", file = "data:seconds|12|30s|2m" }"#,
    ));
    // Time of day and a call-detail trace, inline.
    out.push(format!(
        "clock_start = \"22:00\"\n{BASE}profile = \"lync2013_workday\"\nload_factor = 0.5\n\
         [workload]\nprofile = {{ file = \"data:time,multiplier|00:00,0.1|08:00,1\" }}\n\
         [[feature]]\nname = \"av_conference\"\n\
         [trace]\nfile = \"data:InviteTime,EndTime,Media|2026-11-03 21:50:00,2026-11-03 22:05:00,Video|\
         2026-11-03 22:10:00.250,2026-11-03T22:20:00Z,Video\"\nstart = \"2026-11-03 22:00:00\"\n\
         mode = \"bootstrap\"\n[trace.features]\nVideo = \"av_conference\"\n\
         [[step]]\nat = \"22:30\"\naction = \"pause\"\nserver = 1\n[sweep]\nstart = [\"02:00\", \"12:00\"]\n"
    ));
    out.push(format!(
        "{}{}",
        BASE.replace(
            "servers = 4",
            "servers = 6\nupgrade_domains = [[1, 2], [3, 4], [5, 6]]\nrouting_groups = 10\nreplica_rebuild = \"5m\"\nmax_sessions_per_server = 100"
        ),
        r#"
[[step]]
action = "set_startup"
servers = [1, 2]
services = ["RTCSRV"]
startup = "manual"

[[step]]
action = "stop_graceful"
server = 3

[[step]]
action = "wait_until_drained"
server = 3
timeout = "10m"

[[step]]
action = "rolling_restart"
downtime = "5m"

[[step]]
action = "failover"
server = 4

[[step]]
action = "failback"
server = 4

[sweep]
paused_servers = [1, 2]
"pool.hardware.not_redirected" = [0.0, 1.0]
"#
    ));
    out
}

/// Values a mutation may put in place of another.
const VALUES: &[&str] = &[
    "0",
    "-1",
    "1",
    "65",
    "1000",
    "1001",
    "4294967296",
    "9223372036854775807",
    "-9223372036854775808",
    "1e308",
    "-1e308",
    "5e-324",
    "nan",
    "inf",
    "-inf",
    "0.0",
    "true",
    "\"\"",
    "\"0s\"",
    "\"1us\"",
    "\"-5s\"",
    "\"99999999d\"",
    "\"1e400s\"",
    "\"1h30m\"",
    "[]",
    "{}",
    "[1, 2]",
    "\"all_subsets\"",
    "\"each_dns_dependent\"",
    "\"hardware\"",
    "\"RTCSRV\"",
    "\"data:\"",
    "\"data:x|1\"",
    "\"data:0|0\"",
    "\"lognormal\"",
    "\"empirical\"",
];

/// Lines a mutation may insert.
const LINES: &[&str] = &[
    "[[step]]\naction = \"pause\"\nserver = 1",
    "[[step]]\naction = \"restart\"\nservers = [1, 2]\ndowntime = \"0s\"",
    "[sweep]\nservers = [1, 2, 1000]",
    "[sweep]\nfeature_sets = \"all_subsets\"",
    "[[feature]]\nname = \"x\"\nservice = \"RTCX\"\narrivals_per_hour = 1\nduration = { distribution = \"deterministic\", value = \"0s\" }",
    "[[expect]]\ncut_mean = { max = 0.5 }",
    "[workload]\npreset = \"lync2013\"\nusers = 10000000",
    "routing_groups = 100000",
    "sample_interval = \"1us\"",
    "event_budget = 1",
    "upgrade_domains = 1000",
    "max_per_server = 1",
    "[pool.hardware]",
    "x.y.z = 1",
];

/// One edit of a scenario file; indices are taken modulo what they index.
#[derive(Debug, Clone)]
enum Mutation {
    DeleteLine(usize),
    DuplicateLine(usize),
    InsertLine(usize, usize),
    SetChar(usize, char),
    SetValue(usize, usize),
    SwapValues(usize, usize),
}

fn mutation() -> impl Strategy<Value = Mutation> {
    // Weighted towards edits that keep the file TOML, so that most cases reach validation.
    prop_oneof![
        2 => any::<usize>().prop_map(Mutation::DeleteLine),
        1 => any::<usize>().prop_map(Mutation::DuplicateLine),
        2 => (any::<usize>(), 0..LINES.len()).prop_map(|(i, l)| Mutation::InsertLine(i, l)),
        1 => (
            any::<usize>(),
            prop::sample::select(vec!['[', ']', '{', '}', '=', '"', '.', ',', '\n', '#', '-', '0', '9', 'e', ' ', 'é'])
        )
            .prop_map(|(i, c)| Mutation::SetChar(i, c)),
        5 => (any::<usize>(), 0..VALUES.len()).prop_map(|(i, v)| Mutation::SetValue(i, v)),
        2 => (any::<usize>(), any::<usize>()).prop_map(|(i, j)| Mutation::SwapValues(i, j)),
    ]
}

/// Byte ranges of the values in `text`: numbers, words after `= `, and quoted strings.
fn value_spans(text: &str) -> Vec<(usize, usize)> {
    let b = text.as_bytes();
    let mut out = Vec::new();
    let mut i = 0;
    while i < b.len() {
        if b[i] == b'#' {
            while i < b.len() && b[i] != b'\n' {
                i += 1;
            }
        } else if b[i] == b'"' {
            let start = i;
            i += 1;
            while i < b.len() && b[i] != b'"' && b[i] != b'\n' {
                i += 1;
            }
            i = (i + 1).min(b.len());
            out.push((start, i));
        } else if b[i].is_ascii_digit()
            || (b[i] == b'-' && b.get(i + 1).is_some_and(u8::is_ascii_digit))
        {
            let start = i;
            i += 1;
            while i < b.len()
                && (b[i].is_ascii_alphanumeric() || matches!(b[i], b'.' | b'_' | b'+' | b'-'))
            {
                i += 1;
            }
            out.push((start, i));
        } else {
            i += 1;
        }
    }
    out
}

fn apply(text: &str, m: &Mutation) -> String {
    let mut lines: Vec<String> = text.lines().map(str::to_string).collect();
    if lines.is_empty() {
        lines.push(String::new());
    }
    let n = lines.len();
    match *m {
        Mutation::DeleteLine(i) => {
            lines.remove(i % n);
        }
        Mutation::DuplicateLine(i) => {
            let l = lines[i % n].clone();
            lines.insert(i % n, l);
        }
        Mutation::InsertLine(i, l) => lines.insert(i % (n + 1), LINES[l].to_string()),
        Mutation::SetChar(i, c) => {
            let mut s = lines.join("\n");
            let chars: Vec<(usize, char)> = s.char_indices().collect();
            if let Some(&(at, old)) = chars.get(i % chars.len().max(1)) {
                s.replace_range(at..at + old.len_utf8(), &c.to_string());
            }
            return s;
        }
        Mutation::SetValue(i, v) => {
            let mut s = lines.join("\n");
            let spans = value_spans(&s);
            if !spans.is_empty() {
                let (a, b) = spans[i % spans.len()];
                s.replace_range(a..b, VALUES[v]);
            }
            return s;
        }
        Mutation::SwapValues(i, j) => {
            let assigns: Vec<usize> = (0..n).filter(|&k| lines[k].contains(" = ")).collect();
            if !assigns.is_empty() {
                let (a, b) = (assigns[i % assigns.len()], assigns[j % assigns.len()]);
                let split = |l: &str| {
                    let (k, v) = l.split_once(" = ").unwrap_or((l, ""));
                    (k.to_string(), v.to_string())
                };
                let ((ka, va), (kb, vb)) = (split(&lines[a]), split(&lines[b]));
                lines[a] = format!("{ka} = {vb}");
                lines[b] = format!("{kb} = {va}");
            }
        }
    }
    lines.join("\n") + "\n"
}

fn mutated(seeds: Vec<String>) -> impl Strategy<Value = String> {
    (
        prop::sample::select(seeds),
        prop::collection::vec(mutation(), 1..4),
    )
        .prop_map(|(seed, ms)| ms.iter().fold(seed, |t, m| apply(&t, m)))
}

/// Strings that look a little like TOML, so that they get past the first character.
fn tomlish() -> impl Strategy<Value = String> {
    "([a-z_.]{1,12} = (\"[0-9a-z.:| -]{0,10}\"|-?[0-9.e]{1,8}|nan|inf|\\[[0-9, \"a-z]{0,12}\\]|\\{[a-z =\"0-9,]{0,20}\\}|true)\n|\\[\\[?[a-z.]{1,10}\\]\\]?\n|#[^\n]{0,10}\n){0,12}"
}

fn config(cases: u32) -> ProptestConfig {
    ProptestConfig {
        failure_persistence: Some(Box::new(FileFailurePersistence::Direct(
            "proptest-regressions/bad_input.txt",
        ))),
        ..ProptestConfig::with_cases(cases)
    }
}

proptest! {
    #![proptest_config(config(3000))]

    /// Arbitrary text: `Ok` or a list of diagnostics, never a panic.
    #[test]
    fn arbitrary_strings_never_panic(text in any::<String>()) {
        survives(&text).map_err(TestCaseError::fail)?;
    }

    /// TOML-like text gets further into the parser.
    #[test]
    fn tomlish_strings_never_panic(text in tomlish()) {
        survives(&text).map_err(TestCaseError::fail)?;
    }
}

proptest! {
    #![proptest_config(config(8000))]

    /// Valid scenario files with lines deleted, duplicated or inserted, characters and values
    /// replaced, values swapped between keys: never a panic.
    #[test]
    fn mutated_scenarios_never_panic(text in mutated(seeds())) {
        survives(&text).map_err(TestCaseError::fail)?;
    }
}

/// The fuzzing stand-in for machines without cargo-fuzz: many more mutated scenarios and
/// strings. Run with
/// `DRAINSIM_FUZZ_CASES=2000000 cargo test --release --test it -- --ignored bad_input::long_fuzz`.
#[test]
#[ignore = "long: a fuzzing session on stable"]
fn long_fuzz() {
    let cases: u32 = std::env::var("DRAINSIM_FUZZ_CASES")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(200_000);
    let started = Instant::now();
    let valid = AtomicUsize::new(0);
    let mut runner = proptest::test_runner::TestRunner::new(config(cases));
    let strategy = prop_oneof![3 => mutated(seeds()), 1 => tomlish(), 1 => any::<String>()];
    let result = runner.run(&strategy, |text| {
        survives(&text).map_err(TestCaseError::fail)?;
        if simulates(&text)? {
            valid.fetch_add(1, Ordering::Relaxed);
        }
        Ok(())
    });
    eprintln!(
        "long_fuzz: {cases} cases ({} valid, each simulated) in {:?}",
        valid.load(Ordering::Relaxed),
        started.elapsed()
    );
    if let Err(e) = result {
        panic!("{e}");
    }
}

/// Runs one short replication of the first run of `text` if it is valid (with the event budget
/// cut to 200,000 so that a case stays short): the model must not panic either. Returns whether
/// `text` was valid.
fn simulates(text: &str) -> Result<bool, TestCaseError> {
    let Ok(s) = scenario::parse(text, "fuzz.toml", &InlineFiles) else {
        return Ok(false);
    };
    let Ok(runs) = scenario::expand(&s) else {
        return Ok(false);
    };
    let Some(run) = runs.into_iter().next() else {
        return Ok(false);
    };
    let mut cfg = run.config;
    cfg.event_budget = cfg.event_budget.min(200_000);
    let r = catch_unwind(AssertUnwindSafe(|| {
        let _ = Simulation::new(&cfg, Seeds::derive(s.seed, 0))
            .record_timeseries(true)
            .run();
    }));
    if r.is_err() {
        return Err(TestCaseError::fail(format!(
            "the simulation panicked on:\n-----\n{text}\n-----"
        )));
    }
    Ok(true)
}
