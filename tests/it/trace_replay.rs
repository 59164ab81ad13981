//! Trace replay from the checked copy of an export: exactly the export's sessions, whether the
//! copy is in memory or in a temporary file, and no temporary file left behind by a run or by a
//! refused trace.

use std::fmt::Write as _;
use std::sync::Arc;

use drainsim::model::trace::{TraceSession, VecFeed};
use drainsim::scenario::trace::{FeatureMap, TraceColumns, TraceReader};
use drainsim::scenario::{self, FileSource};

use crate::common::{self, TempDir, stderr};

/// Trace files in memory.
struct Files(Vec<(&'static str, String)>);

impl FileSource for Files {
    fn read(&self, path: &str) -> Result<String, String> {
        (self.0.iter())
            .find(|(p, _)| *p == path)
            .map(|(_, t)| t.clone())
            .ok_or_else(|| format!("no file {path:?}"))
    }
}

/// An export of `rows` sessions (IM and Audio alternately) from 2026-11-03 08:00, one every
/// 0.25 s, each holding 30 s to 20 minutes, with millisecond times; and the number that
/// overlap `[09:00, 09:00 + horizon_s)`.
fn export(rows: u64, horizon_s: u64) -> (String, u64) {
    let mut text = String::from("InviteTime,EndTime,Media\n");
    let (from, to) = (3_600_000, 3_600_000 + horizon_s * 1000);
    let mut overlapping = 0;
    let mut x: u64 = 7;
    for i in 0..rows {
        x = x.wrapping_mul(6_364_136_223_846_793_005).wrapping_add(1);
        let start = i * 250 + (x >> 60);
        let end = start + 30_000 + (x >> 33) % 1_170_000;
        overlapping += u64::from(end > from && start < to);
        let stamp = |ms: u64| {
            let s = ms / 1000 + 8 * 3600;
            format!(
                "2026-11-03 {:02}:{:02}:{:02}.{:03}",
                s / 3600,
                s / 60 % 60,
                s % 60,
                ms % 1000
            )
        };
        let media = if i % 2 == 0 { "IM" } else { "Audio" };
        writeln!(text, "{},{},{media}", stamp(start), stamp(end)).unwrap();
    }
    (text, overlapping)
}

fn scenario_text(horizon: &str, mode: &str) -> String {
    format!(
        "horizon = \"{horizon}\"\nreplications = 2\nsample_interval = \"0s\"\n\
         [trace]\nfile = \"cdr.csv\"\nstart = \"2026-11-03 09:00:00\"\nmode = \"{mode}\"\n\
         [trace.features]\nIM = \"im\"\nAudio = \"p2p_av_call\"\n\
         [pool]\nservers = 4\nquorum = \"none\"\n\
         [[feature]]\nname = \"im\"\n[[feature]]\nname = \"p2p_av_call\"\n\
         [[step]]\nat = \"09:10\"\naction = \"pause\"\nserver = 1\n\
         [[step]]\naction = \"wait\"\nduration = \"5m\"\n\
         [[step]]\naction = \"restart\"\nserver = 1\ndowntime = \"5m\"\n"
    )
}

/// The sessions the export holds for a run from 09:00 over `horizon_s`, read directly.
fn read_directly(text: &str, horizon_s: f64) -> Vec<TraceSession> {
    let map = FeatureMap::Fixed(vec![("IM".into(), 0), ("Audio".into(), 1)]);
    let reader = TraceReader::new(text.as_bytes(), &TraceColumns::default(), map).unwrap();
    let origin = scenario::trace::parse_instant("2026-11-03 09:00:00").unwrap();
    reader
        .map(|r| r.unwrap())
        .map(|r| TraceSession {
            start_s: r.start_s - origin,
            end_s: r.end_s - origin,
            feature: r.feature,
        })
        .filter(|s| s.end_s > 0.0 && s.start_s < horizon_s)
        .collect()
}

#[test]
fn a_replay_runs_exactly_the_exports_sessions_from_memory_or_from_a_file() {
    // About 5,000 sessions in the window stay in memory; about 86,000 go to a temporary file.
    for (rows, horizon, horizon_s) in [(20_000, "20m", 1200), (120_000, "6h", 21_600)] {
        let (text, overlapping) = export(rows, horizon_s);
        // 18 bytes a session: only the larger export's copy outgrows memory.
        assert_eq!(
            overlapping as usize * 18 > drainsim::scenario::spool::IN_MEMORY,
            rows == 120_000,
            "{rows} rows, {overlapping} sessions in the window"
        );
        let files = Files(vec![("cdr.csv", text.clone())]);
        for mode in ["replay", "bootstrap"] {
            let s = scenario::parse(&scenario_text(horizon, mode), "t.toml", &files)
                .unwrap_or_else(|e| panic!("{e}"));
            let run = scenario::expand(&s).unwrap().remove(0);
            let copied = run.config.clone();
            let mut direct = run.config.clone();
            let trace = direct.trace.as_mut().unwrap();
            trace.feed = Arc::new(VecFeed(read_directly(&text, horizon_s as f64)));
            for rep in 0..2 {
                let a = common::sim(&copied, 5, rep).run().unwrap();
                let b = common::sim(&direct, 5, rep).run().unwrap();
                assert_eq!(a, b, "{rows} rows, {mode}, replication {rep}");
                if mode == "replay" {
                    let arrivals: u64 = a.features.iter().map(|f| f.arrivals).sum();
                    assert_eq!(arrivals, overlapping, "{rows} rows");
                }
            }
        }
    }
}

/// The entries of `dir`.
fn entries(dir: &std::path::Path) -> Vec<String> {
    let mut v: Vec<String> = std::fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    v.sort();
    v
}

#[test]
fn a_large_trace_leaves_no_temporary_file_after_a_run_or_an_error() {
    let dir = TempDir::new("trace-copy");
    let tmp = TempDir::new("trace-copy-tmpdir");
    let (mut text, _) = export(120_000, 21_600);
    dir.write("cdr.csv", &text);
    dir.write("s.toml", &scenario_text("6h", "replay"));
    let run = |args: &[&str]| {
        std::process::Command::new(env!("CARGO_BIN_EXE_drainsim"))
            .args(args)
            .current_dir(dir.path())
            .env("TMPDIR", tmp.path())
            .env("TMP", tmp.path())
            .env("TEMP", tmp.path())
            .output()
            .expect("run drainsim")
    };
    let o = run(&["run", "s.toml", "--out", "r"]);
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    assert_eq!(entries(tmp.path()), Vec::<String>::new());

    // A bad row after the 86,000 sessions the copy holds: refused with its line, and nothing
    // left behind.
    text.push_str("2026-11-03 23:00:00,2026-11-03 22:00:00,IM\n");
    dir.write("cdr.csv", &text);
    let o = run(&["check", "s.toml"]);
    assert_eq!(o.status.code(), Some(2), "{}", stderr(&o));
    assert!(
        stderr(&o).contains("cdr.csv:120002: the end (EndTime 2026-11-03 22:00:00) is before"),
        "{}",
        stderr(&o)
    );
    assert_eq!(entries(tmp.path()), Vec::<String>::new());
}

/// Trace files on disk, opened afresh on every read.
struct Disk(std::path::PathBuf);

impl FileSource for Disk {
    fn read(&self, path: &str) -> Result<String, String> {
        std::fs::read_to_string(self.0.join(path)).map_err(|e| e.to_string())
    }

    fn opener(&self, path: &str) -> Result<scenario::Opener, String> {
        let p = self.0.join(path);
        Ok(Arc::new(move || {
            let f = std::fs::File::open(&p).map_err(|e| e.to_string())?;
            Ok(Box::new(f) as Box<dyn std::io::Read + Send>)
        }))
    }
}

#[test]
fn the_export_changing_or_vanishing_after_the_check_changes_nothing() {
    let dir = TempDir::new("trace-change");
    for (rows, horizon, horizon_s) in [(20_000, "20m", 1200), (120_000, "6h", 21_600)] {
        let (text, _) = export(rows, horizon_s);
        dir.write("cdr.csv", &text);
        let s = scenario::parse(
            &scenario_text(horizon, "replay"),
            "t.toml",
            &Disk(dir.path().into()),
        )
        .unwrap_or_else(|e| panic!("{e}"));
        let run = scenario::expand(&s).unwrap().remove(0);
        let before = common::sim(&run.config, 9, 1).run().unwrap();
        // Rewritten with half the rows, then removed: the runs replay the checked sessions.
        let half: String = text
            .lines()
            .take(rows as usize / 2)
            .collect::<Vec<_>>()
            .join("\n");
        dir.write("cdr.csv", &half);
        assert_eq!(common::sim(&run.config, 9, 1).run().unwrap(), before);
        std::fs::remove_file(dir.path().join("cdr.csv")).unwrap();
        assert_eq!(common::sim(&run.config, 9, 1).run().unwrap(), before);
    }
}

/// `drainsim check` of [`scenario_text`] over `cdr.csv` holding `export`: its exit code and
/// the lines of its stderr.
fn check_export(tag: &str, export: &[u8]) -> (Option<i32>, Vec<String>) {
    let dir = TempDir::new(tag);
    std::fs::write(dir.path().join("cdr.csv"), export).unwrap();
    dir.write("t.toml", &scenario_text("20m", "replay"));
    let o = common::drainsim(dir.path(), &["check", "t.toml"]);
    let lines = stderr(&o).lines().map(str::to_string).collect();
    (o.status.code(), lines)
}

#[test]
fn every_bad_row_of_a_trace_is_reported_up_to_a_limit_then_counted() {
    let (text, _) = export(400, 1200);
    let mut lines: Vec<String> = text.lines().map(str::to_string).collect();
    // Rows on lines 11, 21, …, 251 of the file: 25 bad ones, of three kinds.
    let mut bad_lines = Vec::new();
    for k in 0..25 {
        let at = 10 + 10 * k; // index in `lines`: file line at + 1
        lines[at] = match k % 3 {
            0 => lines[at]
                .replace(",IM", ",Vidoe")
                .replace(",Audio", ",Vidoe"),
            1 => lines[at].replacen("2026-11-03 ", "2026-11-03 x", 2),
            _ => lines[at].split(',').take(2).collect::<Vec<_>>().join(","),
        };
        bad_lines.push(at as u64 + 1);
    }
    let (code, err) = check_export("trace-bad-rows", lines.join("\n").as_bytes());
    assert_eq!(code, Some(2), "{err:?}");
    let reported: Vec<u64> = (err.iter())
        .filter_map(|l| l.strip_prefix("cdr.csv:"))
        .filter_map(|rest| rest.split(':').next()?.parse().ok())
        .collect();
    assert_eq!(reported, bad_lines[..20], "{err:#?}");
    assert!(
        err.iter()
            .any(|l| l.ends_with("cdr.csv: and 5 more bad rows (the first 20 are shown)")),
        "{err:#?}"
    );
    for (line, kind) in [
        (11, "Media value \"Vidoe\" is not mapped to a feature"),
        (21, "is not a time"),
        (31, "the row has 2 fields, but column Media is field 3"),
    ] {
        assert!(
            err.iter()
                .any(|l| l.contains(&format!("cdr.csv:{line}: ")) && l.contains(kind)),
            "line {line}: {err:#?}"
        );
    }
}

#[test]
fn a_quote_left_open_in_a_large_export_is_one_short_error() {
    // About 6 MB of export, with a quote opened on line 11 that nothing closes.
    let (text, _) = export(100_000, 1200);
    let mut lines: Vec<&str> = text.lines().collect();
    let opened = lines[10]
        .replacen(",IM", ",\"IM", 1)
        .replacen(",Audio", ",\"Audio", 1);
    lines[10] = &opened;
    let (code, err) = check_export("trace-open-quote", lines.join("\n").as_bytes());
    assert_eq!(code, Some(2), "{err:?}");
    assert_eq!(err.len(), 1, "{err:#?}");
    assert!(
        err[0].contains(
            "cdr.csv:11: this row runs on for more than 1048576 bytes (a quote \
                         opened in it is never closed)"
        ),
        "{}",
        err[0]
    );
    assert!(err[0].len() < 400, "{} bytes of message", err[0].len());
}

#[test]
fn an_export_without_line_ends_stops_at_the_record_limit() {
    // Zeros, as `/dev/zero` gives: the header itself never ends.
    let (code, err) = check_export("trace-zeros", &vec![0u8; 3 << 20]);
    assert_eq!(code, Some(2), "{err:?}");
    assert_eq!(err.len(), 1, "{err:#?}");
    assert!(
        err[0].contains("cdr.csv:1: this row runs on for more than 1048576 bytes (no line end)"),
        "{}",
        err[0]
    );
    // `/dev/zero` itself, read directly: an error after 1 MiB, not an allocation of the
    // whole input.
    let zero = std::fs::File::open("/dev/zero").unwrap();
    let e = TraceReader::new(zero, &TraceColumns::default(), FeatureMap::Learn)
        .err()
        .expect("an error");
    assert_eq!(e.line, 1);
    assert!(e.message.contains("(no line end)"), "{e}");
}
