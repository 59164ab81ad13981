//! Checking a scenario's `[[expect]]` entries against its summary.
//!
//! A bound names a numeric column of `summary.csv`; its value is read through the column table
//! of [`crate::summary::columns`], the same one the CSV writer uses, so an expectation and the
//! file it describes cannot disagree about a column.

use crate::scenario::{Bound, Expectation};
use crate::summary::{self, SummaryRow};

/// One expectation that did not hold.
#[derive(Debug, Clone, PartialEq)]
pub struct Failure {
    /// `file:line:col` of the expectation.
    pub location: String,
    /// What was expected and what was found.
    pub message: String,
}

impl std::fmt::Display for Failure {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}: expectation failed: {}", self.location, self.message)
    }
}

/// Checks every expectation; rows are selected by the selectors, and by `feature = "all"` when
/// no feature is named.
pub fn check(expects: &[Expectation], rows: &[SummaryRow]) -> Vec<Failure> {
    let mut out = Vec::new();
    for e in expects {
        let selected = select(e, rows);
        if selected.is_empty() {
            out.push(Failure {
                location: e.location.clone(),
                message: format!("no summary row matches [{}]", selector_text(e)),
            });
            continue;
        }
        for r in selected {
            out.extend(e.bounds.iter().filter_map(|b| check_bound(e, b, r)));
        }
    }
    out
}

/// The rows an expectation applies to.
fn select<'r>(e: &Expectation, rows: &'r [SummaryRow]) -> Vec<&'r SummaryRow> {
    let has_feature = e.selectors.iter().any(|(k, _)| k == "feature");
    rows.iter()
        .filter(|r| has_feature || r.feature == "all")
        .filter(|r| {
            e.selectors
                .iter()
                .all(|(k, v)| r.label(k).as_deref() == Some(v.as_str()))
        })
        .collect()
}

/// "load_balancing = dns, feature = all": the selectors as written.
fn selector_text(e: &Expectation) -> String {
    e.selectors
        .iter()
        .map(|(k, v)| format!("{k} = {v}"))
        .collect::<Vec<_>>()
        .join(", ")
}

/// The failure of bound `b` on row `r`, if it fails.
fn check_bound(e: &Expectation, b: &Bound, r: &SummaryRow) -> Option<Failure> {
    let Some(x) = summary::column(&b.column).and_then(|c| c.value(r)) else {
        return Some(Failure {
            location: e.location.clone(),
            message: format!(
                "run {} feature {}: column {} is empty",
                r.run, r.feature, b.column
            ),
        });
    };
    let problems = problems(b, x);
    if problems.is_empty() {
        return None;
    }
    let where_ = r
        .labels
        .iter()
        .map(|(k, v)| format!("{k} = {v}"))
        .collect::<Vec<_>>()
        .join(", ");
    Some(Failure {
        location: e.location.clone(),
        message: format!(
            "{} = {x:.4} {} (run {}, {where_}, feature {})",
            b.column,
            problems.join(" and "),
            r.run,
            r.feature
        ),
    })
}

/// What is wrong with value `x` under bound `b` ("is below min 1"…); empty when it holds.
fn problems(b: &Bound, x: f64) -> Vec<String> {
    let mut problems = Vec::new();
    if !x.is_finite() {
        problems.push("is undefined".to_string());
    } else {
        if let Some(m) = b.min.filter(|&m| x < m) {
            problems.push(format!("is below min {m}"));
        }
        if let Some(m) = b.max.filter(|&m| x > m) {
            problems.push(format!("is above max {m}"));
        }
        if let Some((t, tol)) = b.approx.filter(|&(t, tol)| (x - t).abs() > tol) {
            problems.push(format!("is not within {tol} of {t}"));
        }
    }
    problems
}
