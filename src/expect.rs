//! Checking a scenario's `[[expect]]` entries against its summary.

use crate::scenario::Expectation;
use crate::summary::SummaryRow;

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
        let has_feature = e.selectors.iter().any(|(k, _)| k == "feature");
        let selected: Vec<&SummaryRow> = rows
            .iter()
            .filter(|r| has_feature || r.feature == "all")
            .filter(|r| {
                e.selectors
                    .iter()
                    .all(|(k, v)| r.label(k).as_deref() == Some(v.as_str()))
            })
            .collect();
        let sel = e
            .selectors
            .iter()
            .map(|(k, v)| format!("{k} = {v}"))
            .collect::<Vec<_>>()
            .join(", ");
        if selected.is_empty() {
            out.push(Failure {
                location: e.location.clone(),
                message: format!("no summary row matches [{sel}]"),
            });
            continue;
        }
        for r in selected {
            for b in &e.bounds {
                let Some(x) = r.column(&b.column) else {
                    out.push(Failure {
                        location: e.location.clone(),
                        message: format!(
                            "run {} feature {}: column {} is empty",
                            r.run, r.feature, b.column
                        ),
                    });
                    continue;
                };
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
                if !problems.is_empty() {
                    let where_ = r
                        .labels
                        .iter()
                        .map(|(k, v)| format!("{k} = {v}"))
                        .collect::<Vec<_>>()
                        .join(", ");
                    out.push(Failure {
                        location: e.location.clone(),
                        message: format!(
                            "{} = {x:.4} {} (run {}, {where_}, feature {})",
                            b.column,
                            problems.join(" and "),
                            r.run,
                            r.feature
                        ),
                    });
                }
            }
        }
    }
    out
}
