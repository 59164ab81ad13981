//! Scenario files (DESIGN §3): parse (stage one, serde) → validate (stage two, into model types),
//! collecting every problem with its field path and `file:line:col`.

mod raw;
mod span;
mod sweep;
mod validate;

pub use raw::*;
pub use span::{FieldPath, Seg, line_col, span_of};
pub use sweep::{Axis, AxisValue, FeatureSet, Run, expand};
pub use validate::{Bound, Expectation, Limits, Scenario};

use std::fmt;

/// One problem in a scenario file.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Diagnostic {
    /// File name as given (or `<default>` for the embedded scenario).
    pub file: String,
    /// 1-based line and column, when the problem has a position.
    pub position: Option<(usize, usize)>,
    /// Field path (empty for syntax errors).
    pub path: String,
    /// What is wrong.
    pub message: String,
}

impl fmt::Display for Diagnostic {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}", self.file)?;
        if let Some((l, c)) = self.position {
            write!(f, ":{l}:{c}")?;
        }
        if self.path.is_empty() {
            write!(f, ": {}", self.message)
        } else {
            write!(f, ": {}: {}", self.path, self.message)
        }
    }
}

/// Every problem found in one scenario file.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ScenarioError {
    /// The problems, in file order as far as known.
    pub diagnostics: Vec<Diagnostic>,
}

impl fmt::Display for ScenarioError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for (i, d) in self.diagnostics.iter().enumerate() {
            if i > 0 {
                writeln!(f)?;
            }
            write!(f, "{d}")?;
        }
        Ok(())
    }
}

impl std::error::Error for ScenarioError {}

/// Reads files a scenario refers to (empirical distributions), relative to the scenario. The
/// library never opens files itself: the CLI passes one that reads from disk, tests pass maps.
pub trait FileSource {
    /// The text of `path` (as written in the scenario), or a message saying why not.
    fn read(&self, path: &str) -> Result<String, String>;
}

/// A [`FileSource`] that has no files.
pub struct NoFiles;

impl FileSource for NoFiles {
    fn read(&self, path: &str) -> Result<String, String> {
        Err(format!("cannot read {path:?}: no files are available here"))
    }
}

/// Parses and validates a scenario. `file` names it in messages.
pub fn parse(text: &str, file: &str, files: &dyn FileSource) -> Result<Scenario, ScenarioError> {
    validate::parse(text, file, files, &Limits::default())
}

/// As [`parse`], with explicit limits.
pub fn parse_with_limits(
    text: &str,
    file: &str,
    files: &dyn FileSource,
    limits: &Limits,
) -> Result<Scenario, ScenarioError> {
    validate::parse(text, file, files, limits)
}
