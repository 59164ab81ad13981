//! The fault catalogue (docs/faults.md) through the binary: what a hostile tester did to
//! drainsim, each with the test that keeps it fixed. Shards' faults (damaged or edited shard
//! folders) are in `shards.rs`; a few pieces are unit tests beside their code (`files`,
//! `quote`, `runner::cells`).

use std::io::Read;
use std::path::Path;
use std::process::{Child, Command, Output, Stdio};
use std::time::{Duration, Instant};

use crate::common::{TempDir, drainsim, stderr};

/// A small scenario (one run, about 100 sessions) named `name` (the inside of a TOML basic
/// string) with an expectation that holds (`holds`) or fails.
fn scenario(name: &str, holds: bool) -> String {
    let bound = if holds { "min = 1" } else { "max = 0" };
    format!(
        r#"name = "{name}"
horizon = "1h"
replications = 2

[pool]
servers = 2
quorum = "none"

[[feature]]
name = "im"
arrivals_per_hour = 100
duration = {{ distribution = "exponential", mean = "3m" }}

[[expect]]
feature = "im"
arrivals_mean = {{ {bound} }}
"#
    )
}

/// The entries of `dir` whose names hold `part`.
fn entries_with(dir: &Path, part: &str) -> Vec<String> {
    let mut v: Vec<String> = std::fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .filter(|n| n.contains(part))
        .collect();
    v.sort();
    v
}

/// No temporary folder or file drainsim made is left in `dir`.
fn no_leftovers(dir: &Path) {
    for part in [".tmp", ".old-", ".cells-"] {
        let left = entries_with(dir, part);
        assert!(left.is_empty(), "{}: {left:?}", dir.display());
    }
}

fn code(o: &Output) -> Option<i32> {
    o.status.code()
}

/// Waits for `child` at most `limit`; kills it and fails if it is still running (a hang).
fn wait_or_fail(mut child: Child, limit: Duration, what: &str) -> Output {
    let started = Instant::now();
    loop {
        if child.try_wait().expect("wait").is_some() {
            return child.wait_with_output().expect("output");
        }
        if started.elapsed() > limit {
            let _ = child.kill();
            let _ = child.wait();
            panic!("{what}: still running after {limit:?} (a hang)");
        }
        std::thread::sleep(Duration::from_millis(50));
    }
}

/// Fault 3: replacing a report folder never leaves neither the old report nor the new one —
/// also where the folder cannot be renamed (`--out rep/.`, as on a mount point), where the old
/// folder's files are replaced inside it — and leaves no temporary folder.
#[test]
fn replacing_a_report_in_place_keeps_a_complete_report() {
    let dir = TempDir::new("fault-replace");
    dir.write("s.toml", &scenario("small", true));
    let run = |out: &str, seed: &str| {
        drainsim(
            dir.path(),
            &["run", "s.toml", "--out", out, "--seed", seed, "-q"],
        )
    };
    assert_eq!(code(&run("rep", "1")), Some(0));
    // A stale report file of the user's kind that the new report does not write.
    std::fs::write(dir.path().join("rep/domains.csv"), "stale\n").unwrap();
    for (out, seed) in [("rep/.", "2"), ("rep", "3"), ("./rep/./", "4")] {
        let o = run(out, seed);
        assert_eq!(code(&o), Some(0), "{out}: {}", stderr(&o));
        let md = std::fs::read_to_string(dir.path().join("rep/report.md")).unwrap();
        assert!(md.contains(&format!("--seed {seed} ")), "{out}: {md}");
        assert!(dir.path().join("rep/.drainsim-report").is_file(), "{out}");
        assert!(!dir.path().join("rep/domains.csv").exists(), "{out}");
        no_leftovers(dir.path());
        no_leftovers(&dir.path().join("rep"));
    }
}

/// Fault 4: a symbolic link given as `--out` is followed: the report replaces the one in the
/// folder it points to and the link stays a link. A link to nothing is refused.
#[test]
#[cfg(unix)]
fn a_link_given_as_out_is_followed() {
    let dir = TempDir::new("fault-link");
    dir.write("s.toml", &scenario("small", true));
    let run = |out: &str, seed: &str| {
        drainsim(
            dir.path(),
            &["run", "s.toml", "--out", out, "--seed", seed, "-q"],
        )
    };
    assert_eq!(code(&run("real", "1")), Some(0));
    std::os::unix::fs::symlink("real", dir.path().join("link")).unwrap();
    let o = run("link", "2");
    assert_eq!(code(&o), Some(0), "{}", stderr(&o));
    let link = std::fs::symlink_metadata(dir.path().join("link")).unwrap();
    assert!(link.file_type().is_symlink(), "the link is kept");
    let md = std::fs::read_to_string(dir.path().join("real/report.md")).unwrap();
    assert!(
        md.contains("--seed 2 "),
        "the folder it points to is replaced"
    );
    no_leftovers(dir.path());
    std::os::unix::fs::symlink("nowhere", dir.path().join("dangling")).unwrap();
    let o = run("dangling", "3");
    assert_eq!(code(&o), Some(2), "{}", stderr(&o));
    assert!(
        stderr(&o).contains("was not written by drainsim"),
        "{}",
        stderr(&o)
    );
    assert!(!dir.path().join("nowhere").exists());
}

/// Fault 4: a link planted under a temporary name never redirects a write: JUnit's former
/// `<name>.drainsim-tmp` and fit's former `.<name>.tmp-<pid>` (the pid is the shell's, kept by
/// `exec`).
#[test]
#[cfg(unix)]
fn temporary_files_are_never_written_through_a_planted_link() {
    let dir = TempDir::new("fault-tmp-link");
    dir.write("s.toml", &scenario("small", true));
    dir.write("important.txt", "precious\n");
    std::os::unix::fs::symlink("important.txt", dir.path().join("j.drainsim-tmp")).unwrap();
    let o = drainsim(dir.path(), &["test", "s.toml", "--junit", "j.xml"]);
    assert_eq!(code(&o), Some(0), "{}", stderr(&o));
    assert!(
        std::fs::read_to_string(dir.path().join("j.xml"))
            .unwrap()
            .contains("<testsuites name=\"drainsim\"")
    );
    // fit --out, through a shell that plants the link under its own pid, then becomes fit.
    dir.write(
        "cdr.csv",
        "InviteTime,EndTime,Media\n2026-01-05 09:00:00,2026-01-05 09:05:00,IM\n\
         2026-01-05 10:00:00,2026-01-05 10:03:00,IM\n2026-01-05 11:00:00,2026-01-05 11:09:00,IM\n",
    );
    let o = Command::new("sh")
        .arg("-c")
        .arg(r#"ln -s important.txt ".out.toml.tmp-$$" && exec "$0" fit cdr.csv --out out.toml"#)
        .arg(env!("CARGO_BIN_EXE_drainsim"))
        .current_dir(dir.path())
        .output()
        .unwrap();
    assert_eq!(code(&o), Some(0), "{}", stderr(&o));
    assert!(
        std::fs::read_to_string(dir.path().join("out.toml"))
            .unwrap()
            .starts_with("# Written by drainsim fit")
    );
    assert_eq!(
        std::fs::read_to_string(dir.path().join("important.txt")).unwrap(),
        "precious\n"
    );
}

/// Fault 6: `--junit /dev/stdout` is written as a stream, never read (reading the pipe it is
/// hung for ever), and `--jobs` beyond a sane limit is refused.
#[test]
#[cfg(unix)]
fn junit_to_a_pipe_and_huge_jobs_do_not_hang() {
    let dir = TempDir::new("fault-hang");
    dir.write("s.toml", &scenario("small", true));
    let child = Command::new(env!("CARGO_BIN_EXE_drainsim"))
        .args(["test", "s.toml", "--junit", "/dev/stdout"])
        .current_dir(dir.path())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let o = wait_or_fail(child, Duration::from_secs(120), "--junit /dev/stdout");
    assert_eq!(code(&o), Some(0), "{}", stderr(&o));
    assert!(String::from_utf8_lossy(&o.stdout).contains("<testsuites name=\"drainsim\""));
    for jobs in ["100000", "18446744073709551615"] {
        let o = drainsim(dir.path(), &["run", "s.toml", "--jobs", jobs, "-q"]);
        assert_eq!(code(&o), Some(2), "{}", stderr(&o));
        assert!(stderr(&o).contains("at most 1024"), "{}", stderr(&o));
    }
}

/// Fault 8: a closed or full standard output is not a panic: the command ends with the status
/// the run earned (1: its expectation failed).
#[test]
#[cfg(unix)]
fn a_closed_or_full_stdout_keeps_the_exit_status() {
    let dir = TempDir::new("fault-stdout");
    dir.write("s.toml", &scenario("small", false));
    let full = std::fs::OpenOptions::new()
        .write(true)
        .open("/dev/full")
        .unwrap();
    let o = Command::new(env!("CARGO_BIN_EXE_drainsim"))
        .args(["run", "s.toml", "--format", "json", "--out", "a"])
        .current_dir(dir.path())
        .stdout(full)
        .output()
        .unwrap();
    assert_eq!(code(&o), Some(1), "{}", stderr(&o));
    assert!(!stderr(&o).contains("panicked"), "{}", stderr(&o));
    // A pipe whose reader has gone.
    let mut child = Command::new(env!("CARGO_BIN_EXE_drainsim"))
        .args(["run", "s.toml", "--out", "b"])
        .current_dir(dir.path())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    drop(child.stdout.take());
    let mut err = String::new();
    child
        .stderr
        .take()
        .unwrap()
        .read_to_string(&mut err)
        .unwrap();
    let status = child.wait().unwrap();
    assert_eq!(status.code(), Some(1), "{err}");
    assert!(!err.contains("panicked"), "{err}");
}

/// Fault 9: the Reproduce command of report.md is one shell command whose arguments are what
/// ran, whatever the scenario's path holds; control characters in a scenario's name reach
/// neither the terminal nor report.md.
#[test]
#[cfg(unix)]
fn reproduce_commands_are_quoted_and_names_escaped() {
    let dir = TempDir::new("fault-quote");
    let sub = dir.path().join("dir with space");
    std::fs::create_dir(&sub).unwrap();
    let path = "dir with space/my scen;touch pwned 'x'.toml";
    dir.write(
        path,
        &scenario(r"evil\u001b]0;title\u0007\u001b[31m red", true),
    );
    let o = drainsim(dir.path(), &["run", path, "--out", "r"]);
    assert_eq!(code(&o), Some(0), "{}", stderr(&o));
    let out = String::from_utf8_lossy(&o.stdout);
    assert!(!out.contains('\u{1b}') && !out.contains('\u{7}'), "{out:?}");
    assert!(out.contains("evil\\u{1b}]0;title"), "{out}");
    let md = std::fs::read_to_string(dir.path().join("r/report.md")).unwrap();
    assert!(!md.contains('\u{1b}') && !md.contains('\u{7}'));
    let command = md
        .lines()
        .find(|l| l.starts_with("drainsim run"))
        .expect("a Reproduce command");
    // The shell reads the command back: its arguments, one per line, with drainsim replaced
    // by printf.
    let printed = Command::new("sh")
        .arg("-c")
        .arg(command.replacen("drainsim run", "printf '%s\\n'", 1))
        .current_dir(dir.path())
        .output()
        .unwrap();
    let args = String::from_utf8_lossy(&printed.stdout);
    assert_eq!(args.lines().next(), Some(path), "{command}");
    assert!(!dir.path().join("pwned").exists(), "{command}");
}

/// Fault 10: a `TMPDIR` that does not exist is an error, not a new folder; `fit` of an export
/// whose sessions all have zero length writes nothing and exits 2.
#[test]
fn a_missing_tmpdir_is_not_created_and_fit_of_nothing_writes_nothing() {
    let dir = TempDir::new("fault-small");
    dir.write("s.toml", &scenario("small", true));
    let missing = dir.path().join("nonexistent");
    let o = Command::new(env!("CARGO_BIN_EXE_drainsim"))
        .args(["test", "s.toml"])
        .env("TMPDIR", &missing)
        .current_dir(dir.path())
        .output()
        .unwrap();
    assert_eq!(code(&o), Some(2), "{}", stderr(&o));
    assert!(stderr(&o).contains("nonexistent"), "{}", stderr(&o));
    assert!(!missing.exists());
    dir.write(
        "zero.csv",
        "InviteTime,EndTime,Media\n2026-01-05 09:00:00,2026-01-05 09:00:00,IM\n\
         2026-01-05 10:00:00,2026-01-05 10:00:00,Audio\n",
    );
    let o = drainsim(dir.path(), &["fit", "zero.csv", "--out", "z.toml"]);
    assert_eq!(code(&o), Some(2), "{}", stderr(&o));
    assert!(stderr(&o).contains("nothing to fit"), "{}", stderr(&o));
    assert!(!dir.path().join("z.toml").exists());
}

/// Fault 5: a scenario or a file it names that is a device, a pipe or far too long is
/// refused at once with a one-line message, not read into memory.
#[test]
#[cfg(unix)]
fn endless_or_huge_inputs_are_refused_without_reading_them() {
    let dir = TempDir::new("fault-huge");
    let o = drainsim(dir.path(), &["check", "/dev/zero"]);
    assert_eq!(code(&o), Some(2), "{}", stderr(&o));
    assert!(stderr(&o).contains("not a regular file"), "{}", stderr(&o));
    let fifo = dir.path().join("fifo.toml");
    assert!(
        Command::new("mkfifo")
            .arg(&fifo)
            .status()
            .unwrap()
            .success()
    );
    let child = Command::new(env!("CARGO_BIN_EXE_drainsim"))
        .args(["check", "fifo.toml"])
        .current_dir(dir.path())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let o = wait_or_fail(child, Duration::from_secs(60), "check a FIFO");
    assert_eq!(code(&o), Some(2), "{}", stderr(&o));
    // 17 MiB of one comment line: beyond the 16 MiB a scenario may have.
    let big = dir.path().join("big.toml");
    let f = std::fs::File::create(&big).unwrap();
    f.set_len(17 << 20).unwrap();
    let o = drainsim(dir.path(), &["check", "big.toml"]);
    assert_eq!(code(&o), Some(2), "{}", stderr(&o));
    assert!(stderr(&o).contains("longer than 16 MiB"), "{}", stderr(&o));
    assert!(stderr(&o).len() < 300, "{}", stderr(&o));
    // A durations file that is a device.
    let text = scenario("small", true).replace(
        r#"{ distribution = "exponential", mean = "3m" }"#,
        r#"{ distribution = "empirical", file = "/dev/zero" }"#,
    );
    dir.write("dev.toml", &text);
    let o = drainsim(dir.path(), &["check", "dev.toml"]);
    assert_eq!(code(&o), Some(2), "{}", stderr(&o));
    assert!(stderr(&o).contains("not a regular file"), "{}", stderr(&o));
}

/// Fault 7: SIGTERM and SIGHUP stop a run as Ctrl-C does: exit 130 and no temporary folder
/// left (the report's, the spill files').
#[test]
#[cfg(unix)]
fn sigterm_and_sighup_clean_up_like_ctrl_c() {
    let dir = TempDir::new("fault-signals");
    dir.write("s.toml", &scenario("small", true));
    for signal in ["-TERM", "-HUP"] {
        let child = Command::new(env!("CARGO_BIN_EXE_drainsim"))
            .args(["run", "s.toml", "--out", "r", "-q"])
            .args(["--replications", "100000", "--jobs", "1"])
            .current_dir(dir.path())
            .stdout(Stdio::null())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap();
        let started = Instant::now();
        while entries_with(dir.path(), ".r.cells-").is_empty() {
            assert!(started.elapsed().as_secs() < 120, "the run never started");
            std::thread::sleep(Duration::from_millis(20));
        }
        let pid = child.id().to_string();
        assert!(
            Command::new("kill")
                .args([signal, &pid])
                .status()
                .unwrap()
                .success()
        );
        let o = wait_or_fail(child, Duration::from_secs(120), signal);
        assert_eq!(code(&o), Some(130), "{signal}: {}", stderr(&o));
        no_leftovers(dir.path());
        assert!(!dir.path().join("r").exists(), "{signal}");
    }
}

/// Fault 11: memory does not grow with servers through the time series: a run of 1,000
/// servers sampled every 5 s for an hour (721 samples × 1,000 servers, 721,000 rows of
/// `timeseries.csv`) peaks well under 100 MB. Its rows once were held all at once (about 300 B
/// each).
#[test]
#[cfg(target_os = "linux")]
fn a_thousand_server_time_series_stays_small() {
    let dir = TempDir::new("fault-memory");
    let text = scenario("big pool", true)
        .replace("servers = 2", "servers = 1000")
        .replace(
            "horizon = \"1h\"",
            "horizon = \"1h\"\nsample_interval = \"5s\"",
        )
        .replace("replications = 2", "replications = 1")
        + "\n[[step]]\nat = \"10m\"\naction = \"pause\"\nserver = 1\n";
    dir.write("big.toml", &text);
    let mut child = Command::new(env!("CARGO_BIN_EXE_drainsim"))
        .args(["run", "big.toml", "--out", "r", "-q", "--detail"])
        .current_dir(dir.path())
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    // The process's own high-water mark, read until it ends (the exit status and `getrusage`
    // would count the pages of this test process it was forked from). Memory peaks while the
    // report is written, well before the end; the last reading is the peak.
    let status = format!("/proc/{}/status", child.id());
    let mut peak_kb = 0u64;
    let ended = loop {
        if let Some(kb) = std::fs::read_to_string(&status).ok().and_then(|s| {
            s.lines()
                .find_map(|l| l.strip_prefix("VmHWM:"))
                .and_then(|v| v.trim().trim_end_matches("kB").trim().parse().ok())
        }) {
            peak_kb = peak_kb.max(kb);
        }
        if let Some(e) = child.try_wait().unwrap() {
            break e;
        }
        std::thread::sleep(Duration::from_millis(5));
    };
    assert!(ended.success());
    assert!(peak_kb > 0, "no reading of {status}");
    let csv = std::fs::metadata(dir.path().join("r/timeseries.csv")).unwrap();
    assert!(csv.len() > 10 << 20, "{} bytes", csv.len());
    let peak_mb = peak_kb as f64 / 1024.0;
    assert!(peak_mb < 100.0, "peak {peak_mb:.0} MB");
}

/// Sets or clears the immutable attribute of `path` (`chattr`, root on a file system that has
/// it); `false` where that cannot be done.
#[cfg(target_os = "linux")]
fn immutable(path: &Path, on: bool) -> bool {
    Command::new("chattr")
        .arg(if on { "+i" } else { "-i" })
        .arg(path)
        .stderr(Stdio::null())
        .status()
        .is_ok_and(|s| s.success())
}

/// Faults 3 and 7: an old report that cannot be deleted whole (an immutable file in it) is
/// still replaced, never left half-deleted; a report folder that cannot be changed (immutable,
/// as a read-only one is for anyone but root) keeps its old report, exit 2, and no complete
/// new report is stranded in a temporary folder. Needs `chattr` (root, ext4 and the like):
/// elsewhere it says so and checks nothing.
#[test]
#[cfg(target_os = "linux")]
fn undeletable_or_unchangeable_report_folders_lose_nothing() {
    let dir = TempDir::new("fault-immutable");
    dir.write("s.toml", &scenario("small", true));
    let run = |seed: &str| {
        drainsim(
            dir.path(),
            &["run", "s.toml", "--out", "rep", "--seed", seed, "-q"],
        )
    };
    let report = |name: &str| std::fs::read_to_string(dir.path().join("rep").join(name));
    assert_eq!(code(&run("1")), Some(0));
    let stuck = dir.path().join("rep/summary.csv");
    if !immutable(&stuck, true) {
        eprintln!("chattr +i is not available here: nothing checked");
        return;
    }
    let o = run("2");
    let aside = entries_with(dir.path(), ".rep.old-");
    for old in &aside {
        immutable(&dir.path().join(old).join("summary.csv"), false);
    }
    immutable(&stuck, false);
    // Replaced: the new report is complete in place; the old one, set aside, could not be
    // deleted whole and is named in a warning.
    assert_eq!(code(&o), Some(0), "{}", stderr(&o));
    assert!(report("report.md").unwrap().contains("--seed 2 "));
    assert!(report("summary.csv").is_ok() && report(".drainsim-report").is_ok());
    assert!(
        stderr(&o).contains("could not be removed"),
        "{}",
        stderr(&o)
    );
    assert_eq!(aside.len(), 1, "{aside:?}");
    for old in aside {
        std::fs::remove_dir_all(dir.path().join(old)).unwrap();
    }
    no_leftovers(dir.path());
    // An unchangeable folder: refused at the end, the old report kept whole, nothing stranded.
    let before: Vec<String> = entries_with(&dir.path().join("rep"), "");
    let folder = dir.path().join("rep");
    assert!(immutable(&folder, true));
    let o = run("3");
    immutable(&folder, false);
    assert_eq!(code(&o), Some(2), "{}", stderr(&o));
    assert!(report("report.md").unwrap().contains("--seed 2 "));
    assert_eq!(entries_with(&folder, ""), before);
    no_leftovers(dir.path());
}
