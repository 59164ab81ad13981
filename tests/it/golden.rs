//! Golden files: the `summary.csv` of every shipped scenario, at its own seed and two
//! replications, compared byte for byte with `tests/golden/<scenario>.summary.csv`.
//!
//! A difference means the model's numbers changed. When that is intended (a model change named
//! in the commit message), regenerate with
//!
//! ```sh
//! DRAINSIM_BLESS=1 cargo test --test it golden
//! ```
//!
//! and commit the new files with the change. Regenerating to silence an unexplained difference
//! defeats the purpose: find out first what moved.

use std::path::{Path, PathBuf};

use drainsim::report::{self, ReportData};
use drainsim::runner::{RunOptions, run_all};
use drainsim::scenario;
use drainsim::summary;

const REPLICATIONS: u32 = 2;

fn scenario_files() -> Vec<PathBuf> {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("scenarios");
    let mut files: Vec<PathBuf> = std::fs::read_dir(&dir)
        .expect("scenarios/ exists")
        .map(|e| e.expect("readable").path())
        .filter(|p| p.extension().is_some_and(|x| x == "toml"))
        .collect();
    files.sort();
    assert!(files.len() >= 5, "the shipped scenarios are missing");
    files
}

fn summary_bytes(path: &Path) -> Vec<u8> {
    let (mut s, text) = drainsim::cli::load_file(path).unwrap_or_else(|e| panic!("{e}"));
    s.replications = REPLICATIONS;
    let runs = scenario::expand(&s).expect("expands");
    let results = run_all(
        &s,
        runs,
        &RunOptions {
            jobs: Some(2),
            ..Default::default()
        },
    )
    .expect("runs");
    let rows = summary::summarize(&results);
    let comparisons = summary::compare(&results);
    let data = ReportData {
        scenario: &s,
        source: &text,
        results: &results,
        rows: &rows,
        comparisons: &comparisons,
        command: String::new(),
        detail: false,
    };
    report::summary_csv(&data)
}

#[test]
fn summaries_match_the_golden_files() {
    let bless = std::env::var_os("DRAINSIM_BLESS").is_some();
    let golden = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/golden");
    let mut problems = Vec::new();
    for f in scenario_files() {
        let stem = f.file_stem().unwrap().to_string_lossy().into_owned();
        let want_path = golden.join(format!("{stem}.summary.csv"));
        let got = summary_bytes(&f);
        if bless {
            std::fs::create_dir_all(&golden).unwrap();
            std::fs::write(&want_path, &got).unwrap();
            continue;
        }
        match std::fs::read(&want_path) {
            Err(_) => problems.push(format!(
                "{}: no golden file; run DRAINSIM_BLESS=1 cargo test --test it golden",
                want_path.display()
            )),
            Ok(want) if want != got => {
                let (w, g) = (
                    String::from_utf8_lossy(&want),
                    String::from_utf8_lossy(&got),
                );
                let line = w
                    .lines()
                    .zip(g.lines())
                    .position(|(a, b)| a != b)
                    .unwrap_or_else(|| w.lines().count().min(g.lines().count()));
                problems.push(format!(
                    "{stem}: summary.csv differs from {} at line {}:\n  golden: {}\n  now:    {}",
                    want_path.display(),
                    line + 1,
                    w.lines()
                        .nth(line)
                        .unwrap_or("<end>")
                        .chars()
                        .take(200)
                        .collect::<String>(),
                    g.lines()
                        .nth(line)
                        .unwrap_or("<end>")
                        .chars()
                        .take(200)
                        .collect::<String>(),
                ));
            }
            Ok(_) => {}
        }
    }
    assert!(
        problems.is_empty(),
        "{}\n(if the change is intended, regenerate: DRAINSIM_BLESS=1 cargo test --test it golden)",
        problems.join("\n")
    );
}
