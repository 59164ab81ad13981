//! `drainsim check`: validate scenario files without running them.

use std::path::PathBuf;

use super::load::load_file;
use super::{CliError, Outcome};
use crate::scenario;

/// Prints `<file>: ok (…)` for each valid file, after its warnings (on stderr, which do not
/// change the exit code); every problem of the others is in the error.
pub fn check(paths: &[PathBuf]) -> Result<Outcome, CliError> {
    let mut invalid = Vec::new();
    for p in paths {
        match load_file(p) {
            Ok((s, _)) => {
                for w in &s.warnings {
                    eprintln!("{}", w.as_warning());
                }
                for w in crate::expect::never_warnings(&s) {
                    eprintln!("{w}");
                }
                let runs = scenario::expand(&s).map(|r| r.len()).unwrap_or(0);
                outln!(
                    "{}: ok ({} run{}, {} replications each)",
                    p.display(),
                    runs,
                    if runs == 1 { "" } else { "s" },
                    s.replications
                );
            }
            Err(e) => invalid.push(e),
        }
    }
    if invalid.is_empty() {
        Ok(Outcome::Success)
    } else {
        Err(CliError::Scenarios(invalid))
    }
}
