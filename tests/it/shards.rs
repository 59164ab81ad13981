//! Shards through the binary: `run --shard K/N` and `merge` give the report folder of the
//! unsharded run, byte for byte, whatever N and the order the shards are given in; shard
//! folders that are incomplete, of another run or version, missing, doubled or out of range
//! are refused with exit 2 and nothing written.

use std::path::Path;
use std::process::{Command, Output, Stdio};

use crate::common::{TempDir, drainsim, stderr};

/// A small sweep (4 runs: DNS runs identical across the hardware axis are simulated once)
/// with a plan and two expectations: one decided at once, one (no session blocked, so every
/// replication agrees) that needs 16 replications to be decided — more than the shards hold.
fn sweep(seed: u64) -> String {
    format!(
        r#"name = "small sweep"
seed = {seed}
horizon = "1h"
replications = 4
max_replications = 32

[pool]
servers = 3
quorum = "none"

[[feature]]
name = "im"
arrivals_per_hour = 300
duration = {{ distribution = "exponential", mean = "3m" }}

[[feature]]
name = "av_conference"
arrivals_per_hour = 40
duration = {{ distribution = "lognormal", median = "20m", sigma = 0.8 }}

[[step]]
at = "20m"
action = "pause"
server = 1

[[step]]
action = "wait"
duration = "10m"

[[step]]
action = "restart"
server = 1
downtime = "5m"

[sweep]
load_balancing = ["dns", "hardware"]
"pool.hardware.algorithm" = ["round_robin", "random"]

[[expect]]
feature = "im"
arrivals_mean = {{ min = 1 }}

[[expect]]
blocked_mean = {{ max = 0, rarer_than = 0.1 }}
"#
    )
}

fn ok(o: &Output) {
    assert!(
        o.status.success(),
        "exit {:?}: {}",
        o.status.code(),
        stderr(o)
    );
}

fn bad(o: &Output, names: &str) -> String {
    assert_eq!(o.status.code(), Some(2), "{}", stderr(o));
    let e = stderr(o);
    assert!(e.contains(names), "{names:?} not named in: {e}");
    assert!(!e.contains("panicked"), "{e}");
    e
}

/// Every file of `dir`, name → bytes, sorted.
fn files(dir: &Path) -> Vec<(String, Vec<u8>)> {
    let mut v: Vec<(String, Vec<u8>)> = std::fs::read_dir(dir)
        .unwrap_or_else(|e| panic!("{}: {e}", dir.display()))
        .map(|e| {
            let e = e.expect("entry");
            (
                e.file_name().to_string_lossy().into_owned(),
                std::fs::read(e.path()).expect("read"),
            )
        })
        .collect();
    v.sort();
    v
}

fn same_folders(a: &Path, b: &Path) {
    let (fa, fb) = (files(a), files(b));
    let names = |f: &[(String, Vec<u8>)]| f.iter().map(|x| x.0.clone()).collect::<Vec<_>>();
    assert_eq!(names(&fa), names(&fb), "{} vs {}", a.display(), b.display());
    for ((name, x), (_, y)) in fa.iter().zip(&fb) {
        assert!(
            x == y,
            "{name} differs between {} and {}",
            a.display(),
            b.display()
        );
    }
}

/// Runs the `n` shards of `scenario` into `<prefix>-<k>`.
fn shards(dir: &TempDir, scenario: &str, n: u32, prefix: &str, extra: &[&str]) -> Vec<String> {
    (0..n)
        .map(|k| {
            let out = format!("{prefix}-{k}");
            let spec = format!("{k}/{n}");
            let mut args = vec!["run", scenario, "--shard", &spec, "--out", &out, "-q"];
            args.extend(extra);
            ok(&drainsim(dir.path(), &args));
            out
        })
        .collect()
}

#[test]
fn merged_shards_are_the_unsharded_report_byte_for_byte() {
    let dir = TempDir::new("shards");
    dir.write("sweep.toml", &sweep(7));
    ok(&drainsim(
        dir.path(),
        &["run", "sweep.toml", "--out", "full", "-q"],
    ));
    for n in 1..=3u32 {
        let mut given = shards(&dir, "sweep.toml", n, &format!("s{n}"), &["--jobs", "2"]);
        // Any order: reversed, then the first moved last.
        given.reverse();
        given.rotate_left(1);
        let out = format!("merged{n}");
        let mut args = vec!["merge"];
        args.extend(given.iter().map(String::as_str));
        args.extend(["--out", &out, "--jobs", "1"]);
        let o = drainsim(dir.path(), &args);
        ok(&o);
        // The blocked expectation needs more replications than the shards hold: merge
        // simulates them and says so.
        assert!(
            stderr(&o).contains("simulating replications 4–7"),
            "{}",
            stderr(&o)
        );
        same_folders(&dir.path().join("full"), &dir.path().join(&out));
    }
    // No spill or temporary folder is left behind.
    let hidden: Vec<String> = std::fs::read_dir(dir.path())
        .unwrap()
        .filter_map(Result::ok)
        .map(|e| e.file_name().to_string_lossy().into_owned())
        .filter(|n| n.starts_with('.'))
        .collect();
    assert!(hidden.is_empty(), "{hidden:?}");
}

#[test]
fn shard_and_report_folders_have_default_names() {
    let dir = TempDir::new("shards-default");
    dir.write("sweep.toml", &sweep(3));
    ok(&drainsim(
        dir.path(),
        &[
            "run",
            "sweep.toml",
            "--shard",
            "0/1",
            "--replications",
            "16",
            "-q",
        ],
    ));
    let shard = dir.path().join("reports/sweep.shard-0-of-1");
    assert!(shard.join(".drainsim-shard").is_file());
    // The two DNS runs differ only in hardware settings: one of them is simulated, so the
    // shard holds 3 of the 4 runs' 16 replications.
    let manifest = std::fs::read_to_string(shard.join("shard.json")).unwrap();
    assert!(manifest.contains("\"runs\": 4"), "{manifest}");
    assert!(
        manifest.contains(&format!("\"cells\": {}", 3 * 16)),
        "{manifest}"
    );
    let o = drainsim(dir.path(), &["merge", "reports/sweep.shard-0-of-1", "-q"]);
    ok(&o);
    assert!(!stderr(&o).contains("simulating"), "{}", stderr(&o));
    let report = std::fs::read_to_string(dir.path().join("reports/sweep/report.md")).unwrap();
    // The report names the command that reproduces it without shards.
    assert!(
        report.contains("drainsim run sweep.toml --seed 3 --replications 16"),
        "{report}"
    );
}

#[test]
fn auto_takes_the_index_from_the_batch_engine() {
    let dir = TempDir::new("shards-auto");
    dir.write("sweep.toml", &sweep(5));
    let run = |vars: &[(&str, &str)]| {
        let mut c = Command::new(env!("CARGO_BIN_EXE_drainsim"));
        c.args(["run", "sweep.toml", "--shard", "auto/2", "-q"])
            .current_dir(dir.path());
        for v in INDEX_VARIABLES {
            c.env_remove(v);
        }
        for (k, v) in vars {
            c.env(k, v);
        }
        c.output().expect("runs")
    };
    bad(&run(&[]), "SLURM_ARRAY_TASK_ID");
    bad(
        &run(&[("SLURM_ARRAY_TASK_ID", "1"), ("JOB_COMPLETION_INDEX", "0")]),
        "disagree",
    );
    bad(
        &run(&[("AWS_BATCH_JOB_ARRAY_INDEX", "2")]),
        "between 0 and 1",
    );
    ok(&run(&[("SLURM_ARRAY_TASK_ID", "1")]));
    assert!(dir.path().join("reports/sweep.shard-1-of-2").is_dir());
    ok(&run(&[("JOB_COMPLETION_INDEX", "0")]));
    ok(&run(&[
        ("AWS_BATCH_JOB_ARRAY_INDEX", "1"),
        ("SLURM_ARRAY_TASK_ID", "1"),
    ]));
    ok(&drainsim(
        dir.path(),
        &[
            "merge",
            "reports/sweep.shard-1-of-2",
            "reports/sweep.shard-0-of-2",
            "-q",
        ],
    ));
}

/// The variables `--shard auto/N` reads (kept here so that a test environment that sets one
/// does not change the tests).
pub const INDEX_VARIABLES: [&str; 3] = [
    "JOB_COMPLETION_INDEX",
    "SLURM_ARRAY_TASK_ID",
    "AWS_BATCH_JOB_ARRAY_INDEX",
];

#[test]
fn bad_indices_are_refused() {
    let dir = TempDir::new("shards-index");
    dir.write("sweep.toml", &sweep(5));
    for (spec, says) in [
        ("3/3", "between 0 and 2"),
        ("0/0", "at least 1"),
        ("1", "K/N"),
        ("x/2", "whole number"),
        ("-1/2", "whole number"),
    ] {
        let flag = format!("--shard={spec}");
        let o = drainsim(dir.path(), &["run", "sweep.toml", &flag]);
        bad(&o, says);
        assert!(!dir.path().join("reports").exists(), "{spec}");
    }
}

/// Copies the files of shard folder `from` into a new folder `to`.
fn copy(dir: &TempDir, from: &str, to: &str) {
    let (a, b) = (dir.path().join(from), dir.path().join(to));
    std::fs::create_dir(&b).unwrap();
    for (name, bytes) in files(&a) {
        std::fs::write(b.join(name), bytes).unwrap();
    }
}

/// Copies shard folder `from` into `to` with `was` replaced by `now` in its `shard.json`
/// (which must hold `was`).
fn copy_edited(dir: &TempDir, from: &str, to: &str, was: &str, now: &str) {
    copy(dir, from, to);
    let m = dir.path().join(to).join("shard.json");
    let text = std::fs::read_to_string(&m).unwrap();
    assert!(text.contains(was), "{text}");
    std::fs::write(&m, text.replace(was, now)).unwrap();
}

#[test]
fn faulty_shard_sets_are_refused_and_nothing_is_written() {
    let dir = TempDir::new("shards-faults");
    dir.write("sweep.toml", &sweep(7));
    shards(&dir, "sweep.toml", 3, "s", &[]);
    let merge = |given: &[&str]| {
        let mut args = vec!["merge"];
        args.extend(given);
        args.extend(["--out", "out"]);
        let o = drainsim(dir.path(), &args);
        assert!(!dir.path().join("out").exists(), "nothing written");
        o
    };
    // Missing, doubled.
    let e = bad(&merge(&["s-0", "s-2"]), "missing shard 1 of 3");
    assert!(e.contains("s-0") && e.contains("s-2"), "{e}");
    copy(&dir, "s-1", "again");
    bad(
        &merge(&["s-0", "s-1", "again", "s-2"]),
        "are both shard 1 of 3",
    );
    // Incomplete (an interrupted writer leaves no marker).
    copy(&dir, "s-2", "incomplete");
    std::fs::remove_file(dir.path().join("incomplete/.drainsim-shard")).unwrap();
    bad(
        &merge(&["s-0", "s-1", "incomplete"]),
        "incomplete: not a complete shard folder",
    );
    // Another version.
    let version = format!("\"drainsim\": \"{}\"", env!("CARGO_PKG_VERSION"));
    copy_edited(&dir, "s-2", "old", &version, "\"drainsim\": \"0.0.1\"");
    bad(
        &merge(&["s-0", "s-1", "old"]),
        "old: written by drainsim 0.0.1",
    );
    // Out of range.
    copy_edited(&dir, "s-2", "range", "\"shard\": 2", "\"shard\": 7");
    bad(
        &merge(&["s-0", "s-1", "range"]),
        "range: shard 7 of 3 is out of range",
    );
    // Foreign: another seed, another scenario text.
    ok(&drainsim(
        dir.path(),
        &[
            "run",
            "sweep.toml",
            "--shard",
            "2/3",
            "--seed",
            "8",
            "--out",
            "seed8",
            "-q",
        ],
    ));
    bad(
        &merge(&["s-0", "s-1", "seed8"]),
        "seed8: a shard of another run than s-0",
    );
    assert!(
        sweep(7).contains("rarer_than = 0.1"),
        "the edit below must change the text"
    );
    dir.write(
        "sweep.toml",
        &sweep(7).replace("rarer_than = 0.1", "rarer_than = 0.09"),
    );
    ok(&drainsim(
        dir.path(),
        &[
            "run",
            "sweep.toml",
            "--shard",
            "2/3",
            "--out",
            "edited",
            "-q",
        ],
    ));
    bad(
        &merge(&["edited", "s-0", "s-1"]),
        "s-0: a shard of another run than edited",
    );
    // Damaged cells.
    copy(&dir, "s-2", "cut");
    let c = dir.path().join("cut/cells.bin");
    let bytes = std::fs::read(&c).unwrap();
    std::fs::write(&c, &bytes[..bytes.len() - 5]).unwrap();
    bad(&merge(&["s-0", "s-1", "cut"]), "cut/cells.bin");
    // Not a folder.
    bad(&merge(&["s-0", "s-1", "nowhere"]), "nowhere: not a folder");
}

#[test]
fn folders_holding_other_files_are_never_overwritten() {
    let dir = TempDir::new("shards-out");
    dir.write("sweep.toml", &sweep(7));
    let s = shards(&dir, "sweep.toml", 1, "s", &[]);
    // A report folder the user put a file in.
    std::fs::create_dir(dir.path().join("mine")).unwrap();
    dir.write("mine/notes.txt", "keep");
    bad(
        &drainsim(dir.path(), &["merge", &s[0], "--out", "mine"]),
        "mine exists and was not written by drainsim",
    );
    bad(
        &drainsim(
            dir.path(),
            &["run", "sweep.toml", "--shard", "0/1", "--out", "mine"],
        ),
        "mine exists and was not written by drainsim",
    );
    assert_eq!(
        files(&dir.path().join("mine")),
        [("notes.txt".to_string(), b"keep".to_vec())]
    );
    // A shard folder is not a report folder, nor the other way round.
    ok(&drainsim(
        dir.path(),
        &["merge", &s[0], "--out", "report", "-q"],
    ));
    bad(
        &drainsim(
            dir.path(),
            &["run", "sweep.toml", "--shard", "0/1", "--out", "report"],
        ),
        "report exists and was not written by drainsim",
    );
    bad(
        &drainsim(dir.path(), &["merge", &s[0], "--out", &s[0]]),
        "s-0 exists and was not written by drainsim",
    );
    assert!(dir.path().join("s-0/.drainsim-shard").is_file());
    // A user's file in a shard folder: a shard folder still, but never replaced.
    dir.write("s-0/notes.txt", "keep");
    bad(
        &drainsim(
            dir.path(),
            &["run", "sweep.toml", "--shard", "0/1", "--out", "s-0"],
        ),
        "drainsim shard folder but also holds \"notes.txt\"",
    );
    // Replacing its own shard folder is fine.
    std::fs::remove_file(dir.path().join("s-0/notes.txt")).unwrap();
    ok(&drainsim(
        dir.path(),
        &["run", "sweep.toml", "--shard", "0/1", "--out", "s-0", "-q"],
    ));
}

/// A shard stopped by Ctrl-C or killed leaves no folder merge accepts.
#[test]
fn an_interrupted_shard_leaves_nothing_merge_accepts() {
    let dir = TempDir::new("shards-kill");
    dir.write("sweep.toml", &sweep(7));
    for signal in ["-INT", "-KILL"] {
        let mut child = Command::new(env!("CARGO_BIN_EXE_drainsim"))
            .args(["run", "sweep.toml", "--shard", "0/2", "--out", "cut", "-q"])
            .args(["--replications", "100000", "--jobs", "1"])
            .current_dir(dir.path())
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("starts");
        // Wait for its temporary folder: the shard is being written.
        let started = std::time::Instant::now();
        let tmp = loop {
            let found = std::fs::read_dir(dir.path())
                .unwrap()
                .filter_map(Result::ok)
                .map(|e| e.file_name().to_string_lossy().into_owned())
                .find(|n| n.starts_with(".cut.tmp-"));
            if let Some(n) = found {
                break n;
            }
            assert!(
                started.elapsed().as_secs() < 120,
                "the shard never started writing"
            );
            std::thread::sleep(std::time::Duration::from_millis(20));
        };
        let pid = child.id().to_string();
        let sent = Command::new("kill")
            .args([signal, &pid])
            .status()
            .expect("kill");
        assert!(sent.success());
        let status = child.wait().expect("ends");
        assert!(!status.success(), "{signal}: the shard was stopped");
        assert!(
            !dir.path().join("cut").exists(),
            "{signal}: no shard folder"
        );
        if signal == "-INT" {
            assert_eq!(status.code(), Some(130));
            assert!(!dir.path().join(&tmp).exists(), "Ctrl-C cleans up");
        } else if dir.path().join(&tmp).exists() {
            // What a killed writer leaves is not a shard folder.
            bad(
                &drainsim(dir.path(), &["merge", &tmp, "--out", "out"]),
                "not a complete shard folder",
            );
            std::fs::remove_dir_all(dir.path().join(&tmp)).unwrap();
        }
    }
}

/// The files a scenario reads are part of what a shard computed: merge refuses shards whose
/// files have changed since.
#[test]
fn merge_checks_the_files_the_scenario_reads() {
    let dir = TempDir::new("shards-files");
    dir.write("durations.csv", "duration_s\n60\n120\n600\n1800\n");
    let text = sweep(7).replace(
        r#"duration = { distribution = "lognormal", median = "20m", sigma = 0.8 }"#,
        r#"duration = { distribution = "empirical", file = "durations.csv" }"#,
    );
    assert!(text.contains("empirical"));
    dir.write("sweep.toml", &text);
    ok(&drainsim(
        dir.path(),
        &["run", "sweep.toml", "--out", "full", "-q"],
    ));
    let s = shards(&dir, "sweep.toml", 2, "s", &[]);
    ok(&drainsim(
        dir.path(),
        &["merge", &s[1], &s[0], "--out", "merged", "-q"],
    ));
    same_folders(&dir.path().join("full"), &dir.path().join("merged"));
    dir.write("durations.csv", "duration_s\n60\n120\n600\n1801\n");
    let o = drainsim(dir.path(), &["merge", &s[0], &s[1], "--out", "again"]);
    bad(&o, "sweep.toml: the files the scenario reads have changed");
    assert!(!dir.path().join("again").exists());
}

/// A bootstrapped trace: replications 2k and 2k + 1 share a resample, and the summary's
/// intervals come from the pairs. Cells are dealt to shards one by one, so with 3 shards every
/// pair is split between two of them; merge still writes the unsharded report (the pair's
/// seed travels in each cell record), with its odd last replication outside the pairs.
#[test]
fn a_bootstrap_split_across_shards_merges_to_the_unsharded_report() {
    let dir = TempDir::new("shards-bootstrap");
    let mut csv = String::from("InviteTime,EndTime,Media\n");
    let mut x: u64 = 11;
    for i in 0..600u64 {
        x = x.wrapping_mul(6_364_136_223_846_793_005).wrapping_add(1);
        let start = i * 6 + (x >> 62);
        let end = start + 30 + (x >> 33) % 1_200;
        let t = |s: u64| {
            format!(
                "2026-11-03 {:02}:{:02}:{:02}",
                8 + s / 3600,
                s / 60 % 60,
                s % 60
            )
        };
        csv.push_str(&format!("{},{},IM\n", t(start), t(end)));
    }
    dir.write("day.csv", &csv);
    dir.write(
        "boot.toml",
        r#"name = "bootstrap"
seed = 3
horizon = "30m"
replications = 7
[trace]
file = "day.csv"
start = "2026-11-03 08:20:00"
mode = "bootstrap"
[trace.features]
IM = "im"
[pool]
servers = 3
quorum = "none"
[[feature]]
name = "im"
[[step]]
at = "08:30"
action = "pause"
server = 1
[[step]]
action = "wait"
duration = "5m"
[[step]]
action = "restart"
server = 1
downtime = "2m"
"#,
    );
    ok(&drainsim(
        dir.path(),
        &["run", "boot.toml", "--out", "full", "-q"],
    ));
    let s = shards(&dir, "boot.toml", 3, "s", &[]);
    ok(&drainsim(
        dir.path(),
        &["merge", &s[2], &s[0], &s[1], "--out", "merged", "-q"],
    ));
    same_folders(&dir.path().join("full"), &dir.path().join("merged"));
    // The intervals exist (3 complete pairs) and are for the process, not for the mean: the
    // arrivals of a pair are the same (no routing noise within), so the interval is that of
    // a new pair mean, t(2) · √(4/3) · sₘ, several times the mean's t(6) · sd / √7.
    let summary = std::fs::read_to_string(dir.path().join("full/summary.csv")).unwrap();
    let mut lines = summary.lines();
    let head: Vec<&str> = lines.next().unwrap().split(',').collect();
    let row: Vec<&str> = lines
        .find(|l| l.contains(",im,"))
        .unwrap()
        .split(',')
        .collect();
    let col = |name: &str| -> f64 {
        let i = head.iter().position(|c| *c == name).unwrap();
        row[i]
            .parse()
            .unwrap_or_else(|e| panic!("{name} = {:?}: {e}", row[i]))
    };
    let (sd, low, high) = (
        col("arrivals_sd"),
        col("arrivals_ci95_low"),
        col("arrivals_ci95_high"),
    );
    let t_half = 2.447 * sd / 7f64.sqrt();
    assert!((high - low) / 2.0 > 2.0 * t_half, "{low}–{high}, sd {sd}");
}

/// Merge refuses a shard whose cells were damaged or whose `shard.json` was edited, naming the
/// shard, and writes nothing: a flipped bit anywhere in `cells.bin` (each record and the file
/// carry a CRC-32), records that break conservation although their checksums match, one
/// shard's cells presented as another's, a seed edited in every manifest.
#[test]
fn damaged_or_edited_shards_are_refused_naming_the_shard() {
    let dir = TempDir::new("shards-damage");
    dir.write("sweep.toml", &sweep(7));
    shards(&dir, "sweep.toml", 3, "s", &[]);
    let refused = |given: &[&str], names: &str| {
        let mut args = vec!["merge"];
        args.extend(given);
        args.extend(["--out", "out"]);
        let e = bad(&drainsim(dir.path(), &args), names);
        assert!(!dir.path().join("out").exists(), "nothing written: {e}");
        e
    };
    // Single-bit flips: in the header, in records, in the trailer.
    let cells = std::fs::read(dir.path().join("s-1/cells.bin")).unwrap();
    let n = cells.len();
    for at in [3, 16, n / 5, n / 3, n / 2, 2 * n / 3, n - 9, n - 2] {
        let name = format!("flip{at}");
        copy(&dir, "s-1", &name);
        let mut b = cells.clone();
        b[at] ^= 1 << 2;
        std::fs::write(dir.path().join(&name).join("cells.bin"), b).unwrap();
        let e = refused(&["s-0", &name, "s-2"], &format!("{name}/cells.bin"));
        assert!(e.contains("compute shard 1 again"), "{e}");
    }
    // Counts that break conservation, with valid checksums.
    use drainsim::runner::cells::{ShardHeader, ShardReader, ShardWriter};
    let header = ShardHeader {
        shard: 1,
        shards: 3,
        seed: 7,
    };
    let mut r = ShardReader::new(&cells[..], header).expect("a shard file");
    let mut w = ShardWriter::new(Vec::new(), header).unwrap();
    let mut first = true;
    while let Some((run, mut o)) = r.next_record().expect("reads") {
        if std::mem::take(&mut first) {
            o.metrics.features[0].completed += 1;
        }
        w.write(run, &o).unwrap();
    }
    copy(&dir, "s-1", "unconserved");
    std::fs::write(
        dir.path().join("unconserved/cells.bin"),
        w.finish().unwrap(),
    )
    .unwrap();
    let e = refused(&["s-0", "unconserved", "s-2"], "unconserved/cells.bin");
    assert!(e.contains("breaks conservation for feature 0"), "{e}");
    // A seed edited in every manifest: the records were simulated with another.
    for k in 0..3 {
        copy_edited(
            &dir,
            &format!("s-{k}"),
            &format!("seed-{k}"),
            "\"seed\": 7,",
            "\"seed\": 8,",
        );
    }
    refused(&["seed-0", "seed-1", "seed-2"], "seed-");
    // One replication per run, one run per shard: every shard holds replication 0 of one run,
    // so a copy of shard 0 presented as shard 1 holds the right replication of the wrong run.
    shards(&dir, "sweep.toml", 3, "one", &["--replications", "1"]);
    copy_edited(&dir, "one-0", "copied", "\"shard\": 0", "\"shard\": 1");
    refused(&["one-0", "copied", "one-2"], "copied/cells.bin");
}

/// A `stem` in `shard.json` names a folder under `reports/`: one with a path separator, `..`
/// or an absolute path is refused, and nothing is written where it points.
#[test]
fn a_stem_that_leads_out_of_reports_is_refused() {
    let dir = TempDir::new("shards-stem");
    dir.write("sweep.toml", &sweep(7));
    shards(&dir, "sweep.toml", 2, "s", &[]);
    let inner = dir.path().join("a/b");
    std::fs::create_dir_all(&inner).unwrap();
    let abs = dir.path().join("abs").display().to_string();
    for (tag, stem) in [("up", "../../x"), ("dots", ".."), ("abs", abs.as_str())] {
        for k in 0..2 {
            copy_edited(
                &dir,
                &format!("s-{k}"),
                &format!("{tag}-{k}"),
                "\"stem\": \"sweep\"",
                &format!("\"stem\": {}", serde_json::to_string(stem).unwrap()),
            );
        }
        let (a, b) = (format!("../../{tag}-0"), format!("../../{tag}-1"));
        let o = drainsim(&inner, &["merge", &a, &b, "-q"]);
        bad(&o, "is not a folder name");
        assert!(!dir.path().join("a/x").exists(), "{tag}");
        assert!(!dir.path().join("abs").exists(), "{tag}");
        assert!(!inner.join("reports").exists(), "{tag}");
    }
}
