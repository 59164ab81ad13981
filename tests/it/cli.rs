//! The command line through the binary: `drainsim test`, `run --format json`, the flags `run`
//! and `test` share, and the report folder rule (nothing drainsim did not write is deleted).

use std::process::Output;

use crate::common::{TempDir, drainsim, stderr};

/// A small scenario (one run, about 100 sessions) followed by `expect`.
fn scenario(expect: &str) -> String {
    format!(
        r#"name = "small"
horizon = "1h"
replications = 2

[pool]
servers = 2
quorum = "none"

[[feature]]
name = "im"
arrivals_per_hour = 100
duration = {{ distribution = "exponential", mean = "3m" }}
{expect}"#
    )
}

/// An expectation that holds: some sessions arrive.
const HOLDS: &str = "[[expect]]\nfeature = \"im\"\narrivals_mean = { min = 1 }\n";
/// An expectation that fails: no session arrives.
const FAILS: &str = "[[expect]]\nfeature = \"im\"\narrivals_mean = { max = 0 }\n";

fn stdout(o: &Output) -> String {
    String::from_utf8_lossy(&o.stdout).into_owned()
}

/// A folder `cases/` in `dir` with a passing scenario, a failing one and one without
/// expectations.
fn runbooks(dir: &TempDir) {
    std::fs::create_dir(dir.path().join("cases")).unwrap();
    dir.write("cases/a-passes.toml", &scenario(HOLDS));
    dir.write("cases/b-fails.toml", &scenario(FAILS));
    dir.write("cases/c-no-expectations.toml", &scenario(""));
}

#[test]
fn test_runs_the_scenarios_with_expectations_and_counts_them() {
    let dir = TempDir::new("cli-test");
    runbooks(&dir);
    let o = drainsim(dir.path(), &["test", "cases", "--jobs", "1"]);
    let out = stdout(&o);
    assert_eq!(o.status.code(), Some(1), "{out}{}", stderr(&o));
    let lines: Vec<&str> = out.lines().collect();
    assert!(
        lines[0].starts_with("cases/a-passes.toml: ok (1 of 1 expectations held; "),
        "{out}"
    );
    assert!(
        lines[1].starts_with("cases/b-fails.toml: FAILED (0 of 1 expectations held;"),
        "{out}"
    );
    assert!(lines[2].contains("arrivals_mean"), "{out}");
    assert!(
        out.contains("cases/c-no-expectations.toml: skipped (no [[expect]] entries)"),
        "{out}"
    );
    assert_eq!(
        lines.last(),
        Some(&"1 passed, 1 failed, 1 skipped"),
        "{out}"
    );

    // Without the failing one: exit 0. Files are taken as given, and --replications applies
    // to each.
    let o = drainsim(
        dir.path(),
        &[
            "test",
            "cases/a-passes.toml",
            "cases/c-no-expectations.toml",
            "--replications",
            "3",
        ],
    );
    let out = stdout(&o);
    assert_eq!(o.status.code(), Some(0), "{out}{}", stderr(&o));
    assert!(
        out.contains("replications (from 3)") || out.contains("held; 3 replications"),
        "{out}"
    );
    assert_eq!(
        out.lines().last(),
        Some("1 passed, 0 failed, 1 skipped"),
        "{out}"
    );
}

#[test]
fn test_exits_2_for_a_bad_file_but_runs_the_others() {
    let dir = TempDir::new("cli-test-bad");
    runbooks(&dir);
    dir.write(
        "cases/d-bad.toml",
        &scenario(HOLDS).replace("servers = 2", "servers = 0"),
    );
    let o = drainsim(dir.path(), &["test", "cases"]);
    assert_eq!(o.status.code(), Some(2), "{}", stderr(&o));
    assert!(
        stderr(&o).contains("cases/d-bad.toml:6:11: pool.servers: "),
        "{}",
        stderr(&o)
    );
    assert!(
        stderr(&o).contains("1 scenario file(s) could not be run"),
        "{}",
        stderr(&o)
    );
    assert_eq!(
        stdout(&o).lines().last(),
        Some("1 passed, 1 failed, 1 skipped")
    );

    let o = drainsim(dir.path(), &["test", "nothing-here"]);
    assert_eq!(o.status.code(), Some(2), "{}", stderr(&o));
}

#[test]
fn run_and_test_refuse_the_same_flags_the_same_way() {
    let dir = TempDir::new("cli-flags");
    runbooks(&dir);
    for (flags, message) in [
        (
            &["--replications", "0"][..],
            "--replications must be between 1 and 100000, got 0",
        ),
        (
            &["--replications", "100001"][..],
            "--replications must be between 1 and 100000, got 100001",
        ),
        (
            &["--jobs", "0"][..],
            "--jobs must be at least 1 and at most 1024, got 0",
        ),
    ] {
        for command in [&["run", "cases/a-passes.toml"][..], &["test", "cases"][..]] {
            let args = [command, flags].concat();
            let o = drainsim(dir.path(), &args);
            assert_eq!(o.status.code(), Some(2), "{args:?}: {}", stderr(&o));
            assert_eq!(stderr(&o).trim_end(), message, "{args:?}");
            assert_eq!(stdout(&o), "", "{args:?}: nothing runs");
        }
    }
    assert!(!dir.path().join("reports").exists(), "no report written");
}

#[test]
fn run_format_json_prints_the_summary_rows() {
    let dir = TempDir::new("cli-json");
    let sweep = "[sweep]\nload_balancing = [\"dns\", \"hardware\"]\n";
    dir.write("s.toml", &scenario(&format!("{sweep}{HOLDS}")));
    let o = drainsim(
        dir.path(),
        &["run", "s.toml", "--out", "r", "--format", "json"],
    );
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    let json: serde_json::Value = serde_json::from_slice(&o.stdout).expect("stdout is JSON");
    let rows = json.as_array().expect("an array of rows");

    // One row per (run, feature) and per run for `all`: the rows of summary.csv.
    let csv = std::fs::read_to_string(dir.path().join("r/summary.csv")).unwrap();
    let header: Vec<&str> = csv.lines().next().unwrap().split(',').collect();
    assert_eq!(rows.len(), csv.lines().count() - 1);
    assert_eq!(rows.len(), 4);
    for (row, (run, lb, feature)) in rows.iter().zip([
        (0, "dns", "im"),
        (0, "dns", "all"),
        (1, "hardware", "im"),
        (1, "hardware", "all"),
    ]) {
        assert_eq!(row["run"], run, "{row}");
        assert_eq!(row["load_balancing"], lb, "{row}");
        assert_eq!(row["feature"], feature, "{row}");
        // Two to start with; its expectation may have asked for more.
        assert!(
            row["replications"].as_u64().is_some_and(|n| n >= 2),
            "{row}"
        );
        let arrivals = row["arrivals_mean"].as_f64().expect("a number");
        assert!(arrivals > 0.0, "{row}");
        for stat in ["mean", "sd", "ci95_low", "ci95_high"] {
            assert!(row.get(format!("cut_{stat}")).is_some(), "{row}");
        }
        for key in row.as_object().unwrap().keys() {
            assert!(
                header.contains(&key.as_str()),
                "{key} is not a summary.csv column"
            );
        }
    }
    // Nothing but JSON on stdout; the expectation count goes to stderr.
    assert!(stderr(&o).contains("1 expectation checked, 0 failed"));
}

/// The folder's entries, sorted.
fn entries(dir: &std::path::Path) -> Vec<String> {
    let mut names: Vec<String> = std::fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    names.sort();
    names
}

#[test]
fn force_never_deletes_a_file_drainsim_did_not_write() {
    let dir = TempDir::new("cli-force");
    dir.write("s.toml", &scenario(""));
    let run =
        |extra: &[&str]| drainsim(dir.path(), &[&["run", "s.toml", "-q"][..], extra].concat());

    // A folder of the user's: refused, with or without --force, and left as it was.
    std::fs::create_dir(dir.path().join("mine")).unwrap();
    dir.write("mine/notes.txt", "mine");
    for extra in [&["--out", "mine"][..], &["--out", "mine", "--force"][..]] {
        let o = run(extra);
        assert_eq!(o.status.code(), Some(2), "{extra:?}");
        assert!(
            stderr(&o)
                .contains("mine exists and was not written by drainsim; drainsim never deletes"),
            "{}",
            stderr(&o)
        );
        assert_eq!(entries(&dir.path().join("mine")), ["notes.txt"]);
    }

    // Its own report folder: replaced, with or without --force.
    assert_eq!(run(&["--out", "report"]).status.code(), Some(0));
    let written = entries(&dir.path().join("report"));
    assert!(
        written.contains(&".drainsim-report".to_string()),
        "{written:?}"
    );
    assert_eq!(run(&["--out", "report"]).status.code(), Some(0));
    assert_eq!(run(&["--out", "report", "--force"]).status.code(), Some(0));
    assert_eq!(entries(&dir.path().join("report")), written);

    // Its own report folder with a file of the user's put in it: refused, the file survives.
    dir.write("report/notes.txt", "mine");
    for extra in [
        &["--out", "report"][..],
        &["--out", "report", "--force"][..],
    ] {
        let o = run(extra);
        assert_eq!(o.status.code(), Some(2), "{extra:?}");
        assert!(
            stderr(&o).contains("also holds \"notes.txt\" drainsim did not write"),
            "{}",
            stderr(&o)
        );
        assert_eq!(
            std::fs::read_to_string(dir.path().join("report/notes.txt")).unwrap(),
            "mine"
        );
    }
    let leftovers: Vec<String> = entries(dir.path())
        .into_iter()
        .filter(|n| n.contains(".tmp-"))
        .collect();
    assert!(leftovers.is_empty(), "{leftovers:?}");
}

#[test]
fn check_and_run_print_warnings_and_still_succeed() {
    let dir = TempDir::new("cli-warn");
    // The plan needs 1h10m (a 1h wait, a 10-minute restart) but the horizon is 1h.
    let plan = "\n[[step]]\naction = \"wait\"\nduration = \"1h\"\n\n\
                [[step]]\naction = \"restart\"\nserver = 1\n";
    dir.write("late.toml", &scenario(plan));
    let warning = "late.toml:18:1: warning: step[1]: the plan needs at least 1h10m but the \
                   horizon is 1h: this `restart` cannot end before 1h10m";

    let o = drainsim(dir.path(), &["check", "late.toml"]);
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    assert!(stderr(&o).starts_with(warning), "{}", stderr(&o));
    assert!(
        stderr(&o).contains("raise `horizon` to at least 1h10m"),
        "{}",
        stderr(&o)
    );
    assert_eq!(
        stdout(&o),
        "late.toml: ok (1 run, 2 replications each)\n",
        "warnings go to stderr"
    );

    // `run` prints it too (even with -q), then runs and writes its report.
    let o = drainsim(dir.path(), &["run", "late.toml", "--out", "r", "-q"]);
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    assert!(stderr(&o).starts_with(warning), "{}", stderr(&o));
    assert!(dir.path().join("r/summary.csv").exists());

    // A scenario without anything to warn about prints nothing on stderr.
    dir.write("fine.toml", &scenario(""));
    let o = drainsim(dir.path(), &["check", "fine.toml"]);
    assert_eq!(o.status.code(), Some(0));
    assert_eq!(stderr(&o), "");
}

#[test]
fn a_never_bound_the_cap_cannot_prove_is_a_warning() {
    let dir = TempDir::new("cli-never");
    let capped = |expect: &str| {
        scenario(expect).replace(
            "replications = 2\n",
            "replications = 2\nmax_replications = 100\n",
        )
    };
    let never = "[[expect]]\ncut_mean = { max = 0 }\n";
    dir.write("never.toml", &capped(never));
    let warning = "never.toml:14:1: warning: expect[0].cut_mean: no night above 0 is shown only \
                   after 299 nights without one (rarer than 1 in 100), but max_replications is \
                   100: it can only fail or end inconclusive; raise max_replications to 299 or \
                   set rarer_than (0.05 takes 59 nights)\n";
    let o = drainsim(dir.path(), &["check", "never.toml"]);
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    assert_eq!(stderr(&o), warning);
    // `test` says it too, with the cap it will use: raised, the warning goes.
    let o = drainsim(
        dir.path(),
        &["test", "never.toml", "--max-replications", "120"],
    );
    assert!(
        stderr(&o).contains("max_replications is 120"),
        "{}",
        stderr(&o)
    );
    let o = drainsim(
        dir.path(),
        &["test", "never.toml", "--max-replications", "299"],
    );
    assert!(!stderr(&o).contains("warning"), "{}", stderr(&o));
    // rarer_than = 0.05 needs 59 nights: no warning.
    dir.write(
        "rare.toml",
        &capped(&never.replace("max = 0 }", "max = 0, rarer_than = 0.05 }")),
    );
    let o = drainsim(dir.path(), &["check", "rare.toml"]);
    assert_eq!(stderr(&o), "");
}

/// The per-replication tables `--detail` adds.
const DETAIL: [&str; 4] = [
    "drains.csv",
    "replications.csv",
    "restarts.csv",
    "timeseries.csv",
];

#[test]
fn the_default_folder_holds_the_summaries_and_detail_adds_the_per_night_tables() {
    let dir = TempDir::new("cli-detail");
    dir.write("s.toml", &scenario(""));
    let run = |extra: &[&str]| {
        let o = drainsim(dir.path(), &[&["run", "s.toml", "-q"][..], extra].concat());
        assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    };
    run(&["--out", "small"]);
    run(&["--out", "full", "--detail"]);
    let (small, full) = (
        entries(&dir.path().join("small")),
        entries(&dir.path().join("full")),
    );
    for f in DETAIL {
        assert!(
            !small.contains(&f.to_string()),
            "{f} written without --detail"
        );
        assert!(full.contains(&f.to_string()), "{f} missing with --detail");
    }
    for f in [
        "summary.csv",
        "report.md",
        "scenario.toml",
        "cut_by_feature.svg",
    ] {
        assert!(
            small.contains(&f.to_string()),
            "{f} missing by default: {small:?}"
        );
    }
    // --detail adds the four tables and nothing else; the files both hold are the same bytes,
    // but for report.md's list of files (and report.html, which renders report.md).
    let added: Vec<&String> = full.iter().filter(|f| !small.contains(f)).collect();
    assert_eq!(added, DETAIL.iter().collect::<Vec<_>>());
    for f in &small {
        let read = |d: &str| std::fs::read(dir.path().join(d).join(f)).unwrap();
        if f != "report.md" && f != "report.html" {
            assert!(read("small") == read("full"), "{f} differs with --detail");
        }
    }
    let md = std::fs::read_to_string(dir.path().join("small/report.md")).unwrap();
    assert!(
        md.contains("--detail"),
        "report.md does not say how to get the detail"
    );
    // A detailed folder is replaced by a small one (drainsim wrote every file in it).
    run(&["--out", "full"]);
    assert_eq!(entries(&dir.path().join("full")), small);
}

#[test]
fn merge_writes_the_detail_only_when_asked() {
    let dir = TempDir::new("cli-merge-detail");
    dir.write("s.toml", &scenario(""));
    for k in ["0/2", "1/2"] {
        let o = drainsim(dir.path(), &["run", "s.toml", "-q", "--shard", k]);
        assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    }
    let shards = ["reports/s.shard-0-of-2", "reports/s.shard-1-of-2"];
    let merge = |extra: &[&str]| {
        let o = drainsim(
            dir.path(),
            &[&["merge"][..], &shards[..], &["-q"][..], extra].concat(),
        );
        assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    };
    merge(&["--out", "small"]);
    merge(&["--out", "full", "--detail"]);
    let (small, full) = (
        entries(&dir.path().join("small")),
        entries(&dir.path().join("full")),
    );
    for f in DETAIL {
        assert!(
            !small.contains(&f.to_string()) && full.contains(&f.to_string()),
            "{f}"
        );
    }
}

#[test]
fn the_default_runs_summary_counts_users_cut() {
    let dir = TempDir::new("cli-users");
    let o = drainsim(
        dir.path(),
        &["run", "--replications", "2", "--out", "d", "-q"],
    );
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    let summary = std::fs::read_to_string(dir.path().join("d/summary.csv")).unwrap();
    let header: Vec<&str> = summary.lines().next().unwrap().split(',').collect();
    for c in [
        "users_cut_mean",
        "users_cut_ci95_low",
        "users_cut_ci95_high",
        "users_disrupted_mean",
        "users_failed_mean",
        "users_blocked_mean",
    ] {
        assert!(header.contains(&c), "summary.csv lacks {c}");
    }
    // A conference cut costs its participants: on the `all` rows, users cut ≥ sessions cut,
    // and the conferences' users exceed their sessions (the Lync user model's 4.55 on average).
    let col = |name: &str| header.iter().position(|c| *c == name).unwrap();
    let (feature, cut, users_cut) = (col("feature"), col("cut_mean"), col("users_cut_mean"));
    let (arrivals, users_arrivals) = (col("arrivals_mean"), col("users_arrivals_mean"));
    for line in summary.lines().skip(1) {
        let v: Vec<&str> = line.split(',').collect();
        let x = |i: usize| v[i].parse::<f64>().unwrap();
        assert!(x(users_cut) >= x(cut), "{line}");
        if v[feature] == "av_conference" {
            let ratio = x(users_arrivals) / x(arrivals);
            assert!((4.25..4.85).contains(&ratio), "{ratio}: {line}");
        }
        if v[feature] == "im" {
            assert_eq!(x(users_arrivals), x(arrivals), "{line}");
        }
    }
}
