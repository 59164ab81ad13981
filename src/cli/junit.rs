//! JUnit XML for `drainsim test --junit FILE`: one test case per expectation (named after what
//! it asserts: file, line, rows, bounds; timed until it was decided), a skipped case per file without expectations, an error case per file that
//! could not be run. CI systems (GitLab, Jenkins, GitHub actions that read JUnit) display it.

use std::fmt::Write as _;
use std::path::Path;

use crate::expect::Failure;
use crate::scenario::Expectation;

/// The test cases of one `drainsim test`.
#[derive(Debug, Default)]
pub struct Suite {
    /// In the order the files were tested.
    pub cases: Vec<Case>,
}

/// One test case.
#[derive(Debug)]
pub struct Case {
    classname: String,
    name: String,
    seconds: f64,
    result: CaseResult,
}

#[derive(Debug)]
enum CaseResult {
    Passed,
    Failed(String),
    Skipped(String),
    Error(String),
}

/// The first line drainsim writes, by which it recognises a JUnit file of its own.
const MARK: &str = "<testsuites name=\"drainsim\"";

impl Case {
    /// A file without expectations.
    pub fn skipped(file: &Path) -> Case {
        Case {
            classname: file.display().to_string(),
            name: file.display().to_string(),
            seconds: 0.0,
            result: CaseResult::Skipped("no [[expect]] entries".to_string()),
        }
    }

    /// A file that could not be run (bad input).
    pub fn error(file: &Path, message: &str) -> Case {
        Case {
            classname: file.display().to_string(),
            name: file.display().to_string(),
            seconds: 0.0,
            result: CaseResult::Error(message.to_string()),
        }
    }
}

/// One case per expectation of `file`, named after what it asserts (file and line, its rows,
/// its bounds: `night-patch.toml:56 start = 02:00: cut_mean max 20`), each with its own time:
/// `seconds[i]`, from the start of the file's test until expectation `i` was decided.
pub fn cases(
    file: &Path,
    expects: &[Expectation],
    failures: &[Failure],
    seconds: &[f64],
) -> Vec<Case> {
    expects
        .iter()
        .enumerate()
        .map(|(i, e)| {
            let messages: Vec<&str> = failures
                .iter()
                .filter(|f| f.location == e.location)
                .map(|f| f.message.as_str())
                .collect();
            Case {
                classname: file.display().to_string(),
                name: case_name(file, e),
                seconds: seconds.get(i).copied().unwrap_or(0.0),
                result: if messages.is_empty() {
                    CaseResult::Passed
                } else {
                    CaseResult::Failed(messages.join("\n"))
                },
            }
        })
        .collect()
}

/// "restart-trap-manual.toml:90 feature = all: cut_mean max 0": the file's name and the
/// expectation's line, what it selects, and its bounds.
fn case_name(file: &Path, e: &Expectation) -> String {
    let line = e.location.rsplit(':').nth(1).unwrap_or("");
    let name = file.file_name().map_or_else(
        || file.display().to_string(),
        |n| n.to_string_lossy().into_owned(),
    );
    let mut what = crate::expect::selector_text(e);
    if e.paired {
        what = format!("paired hardware - dns, {what}");
    }
    let bounds: Vec<String> = e
        .bounds
        .iter()
        .map(|b| {
            let text = crate::expect::bound_text(b).replace("bound ", "");
            format!("{} {text}", b.column)
        })
        .collect();
    let what = if what.is_empty() {
        String::new()
    } else {
        format!(" {what}")
    };
    format!("{name}:{line}{what}: {}", bounds.join(", "))
}

/// The XML text of `suite`.
pub fn render(suite: &Suite) -> String {
    let count = |f: fn(&CaseResult) -> bool| suite.cases.iter().filter(|c| f(&c.result)).count();
    let failures = count(|r| matches!(r, CaseResult::Failed(_)));
    let errors = count(|r| matches!(r, CaseResult::Error(_)));
    let skipped = count(|r| matches!(r, CaseResult::Skipped(_)));
    let time: f64 = suite.cases.iter().map(|c| c.seconds).sum();
    let totals = format!(
        "tests=\"{}\" failures=\"{failures}\" errors=\"{errors}\" skipped=\"{skipped}\" \
         time=\"{time:.3}\"",
        suite.cases.len()
    );
    let mut o = String::from("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n");
    let _ = writeln!(o, "{MARK} {totals}>");
    let _ = writeln!(o, "  <testsuite name=\"drainsim test\" {totals}>");
    for c in &suite.cases {
        let _ = write!(
            o,
            "    <testcase classname=\"{}\" name=\"{}\" time=\"{:.3}\"",
            escape(&c.classname),
            escape(&c.name),
            c.seconds
        );
        let _ = match &c.result {
            CaseResult::Passed => writeln!(o, "/>"),
            CaseResult::Failed(m) => writeln!(
                o,
                ">\n      <failure message=\"{}\">{}</failure>\n    </testcase>",
                escape(first_line(m)),
                escape(m)
            ),
            CaseResult::Skipped(m) => writeln!(
                o,
                ">\n      <skipped message=\"{}\"/>\n    </testcase>",
                escape(m)
            ),
            CaseResult::Error(m) => writeln!(
                o,
                ">\n      <error message=\"{}\">{}</error>\n    </testcase>",
                escape(first_line(m)),
                escape(m)
            ),
        };
    }
    o.push_str("  </testsuite>\n</testsuites>\n");
    o
}

/// Writes `suite` to `path` atomically: into a temporary file created exclusively in `path`'s
/// folder (never through a link left under its name), renamed over `path`. A file drainsim did
/// not write (one that does not start as its JUnit files do) is never replaced; only its first
/// bytes are read. A link given as `path` is followed: the file it points to is the one
/// replaced. A device or pipe (`--junit /dev/stdout`) is written into directly, never read.
pub fn write(path: &Path, suite: &Suite) -> Result<(), String> {
    let cannot = |e: &dyn std::fmt::Display| format!("cannot write {}: {e}", path.display());
    let target = match std::fs::metadata(path) {
        Err(_) => path.to_path_buf(),
        Ok(m) if m.is_dir() => return Err(format!("{}: is a folder", path.display())),
        Ok(m) if !m.is_file() => {
            // A terminal, pipe or device: written as a stream, never read or renamed over.
            let mut f = std::fs::OpenOptions::new()
                .write(true)
                .open(path)
                .map_err(|e| cannot(&e))?;
            return std::io::Write::write_all(&mut f, render(suite).as_bytes())
                .map_err(|e| cannot(&e));
        }
        Ok(_) => {
            let target = std::fs::canonicalize(path).map_err(|e| cannot(&e))?;
            let head = crate::files::read_head(&target, 512).unwrap_or_default();
            let head = String::from_utf8_lossy(&head);
            let ours = head.lines().nth(1).is_some_and(|l| l.starts_with(MARK));
            if !ours {
                return Err(format!(
                    "{}: exists and is not a JUnit file drainsim wrote; choose another --junit \
                     path",
                    path.display()
                ));
            }
            target
        }
    };
    crate::files::replace_file(&target, render(suite).as_bytes()).map_err(|e| cannot(&e))
}

fn first_line(s: &str) -> &str {
    s.lines().next().unwrap_or("")
}

/// XML attribute and text escaping.
fn escape(s: &str) -> String {
    let mut o = String::with_capacity(s.len());
    for ch in s.chars() {
        match ch {
            '&' => o.push_str("&amp;"),
            '<' => o.push_str("&lt;"),
            '>' => o.push_str("&gt;"),
            '"' => o.push_str("&quot;"),
            '\n' => o.push_str("&#10;"),
            c if c.is_control() => {}
            c => o.push(c),
        }
    }
    o
}
