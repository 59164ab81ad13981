//! The architecture's absences, enforced: a rule of `src/lib.rs`'s map that a change breaks
//! fails here, with the file and line that broke it.
//!
//! - `model/` and `engine/` do no I/O (`std::fs`, `std::io`, `std::net`), no serde, never
//!   read the wall clock (`Instant`, `SystemTime`), never iterate a `HashMap`/`HashSet`
//!   (their order is random per process) and never draw from `thread_rng`.
//! - `engine/` never names the model.
//!
//! Comments are skipped, so a module doc may still name what it avoids.

use std::path::{Path, PathBuf};

/// Every `.rs` file under `dir`, sorted.
fn rust_files(dir: &Path) -> Vec<PathBuf> {
    let mut out = Vec::new();
    let mut stack = vec![dir.to_path_buf()];
    while let Some(d) = stack.pop() {
        for entry in std::fs::read_dir(&d).expect("readable source folder") {
            let p = entry.expect("readable entry").path();
            if p.is_dir() {
                stack.push(p);
            } else if p.extension().is_some_and(|e| e == "rs") {
                out.push(p);
            }
        }
    }
    out.sort();
    out
}

/// `file:line: line` for every code line (comments stripped) under `dir` containing a word
/// of `banned`.
fn offences(dir: &str, banned: &[&str]) -> Vec<String> {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("src").join(dir);
    let mut found = Vec::new();
    for file in rust_files(&root) {
        let text = std::fs::read_to_string(&file).expect("readable source file");
        for (k, line) in text.lines().enumerate() {
            let code = line.split("//").next().unwrap_or("");
            for word in banned {
                if code.contains(word) {
                    found.push(format!(
                        "src/{dir}/{}:{}: `{word}` in: {}",
                        file.strip_prefix(&root).unwrap().display(),
                        k + 1,
                        line.trim()
                    ));
                }
            }
        }
    }
    found
}

const SANS_IO: [&str; 10] = [
    "std::fs",
    "std::io",
    "std::net",
    "serde",
    "Instant",
    "SystemTime",
    "HashMap",
    "HashSet",
    "thread_rng",
    "std::env",
];

#[test]
fn model_and_engine_do_no_io_no_serde_no_wall_clock_no_hash_iteration() {
    let mut found = offences("model", &SANS_IO);
    found.extend(offences("engine", &SANS_IO));
    assert!(found.is_empty(), "broken absences:\n{}", found.join("\n"));
}

#[test]
fn engine_knows_nothing_of_the_model() {
    let found = offences(
        "engine",
        &["crate::model", "super::model", "drainsim::model"],
    );
    assert!(
        found.is_empty(),
        "engine names the model:\n{}",
        found.join("\n")
    );
}

#[test]
fn the_checker_sees_what_it_looks_for() {
    // A test that cannot fail is worse than none: the scan finds the words where they are.
    let found = offences("cli", &["std::fs"]);
    assert!(
        !found.is_empty(),
        "the CLI reads files, and the scan should see it"
    );
}
