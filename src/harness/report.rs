//! The suite's verdict: a summary per case and every violation found.

use std::fmt;

use super::{Violation, ViolationKind};

/// What one case gave.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CaseSummary {
    /// Name of the case.
    pub name: String,
    /// Replications run (each twice when determinism is checked).
    pub replications: u32,
    /// Routing decisions checked.
    pub decisions: u64,
    /// Events handled.
    pub events: u64,
    /// Server restarts that happened (a sign that the plan did run).
    pub restarts: u64,
    /// Violations found (including suppressed ones).
    pub violations: u64,
}

/// The suite's verdict: every violation found, or none.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Report {
    /// Name of the policy under test (from the first policy the factory built).
    pub policy: String,
    /// One summary per case, in order.
    pub cases: Vec<CaseSummary>,
    /// Violations, in order of case, replication and time; at most
    /// [`Harness::max_violations_per_kind`](super::Harness::max_violations_per_kind) per case and kind.
    pub violations: Vec<Violation>,
    /// Violations found beyond that limit, counted but not listed.
    pub suppressed: u64,
}

impl Report {
    /// Whether no rule was broken.
    pub fn is_ok(&self) -> bool {
        self.violations.is_empty() && self.suppressed == 0
    }

    /// Listed violations of one kind.
    pub fn of_kind(&self, kind: ViolationKind) -> impl Iterator<Item = &Violation> {
        self.violations.iter().filter(move |v| v.kind == kind)
    }

    /// Whether any listed violation is of `kind`.
    pub fn has(&self, kind: ViolationKind) -> bool {
        self.of_kind(kind).next().is_some()
    }

    /// Routing decisions checked, over every case.
    pub fn decisions(&self) -> u64 {
        self.cases.iter().map(|c| c.decisions).sum()
    }
}

impl fmt::Display for Report {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let total: u64 = self.cases.iter().map(|c| c.violations).sum();
        writeln!(
            f,
            "policy {:?}: {} cases, {} decisions checked, {} violations",
            self.policy,
            self.cases.len(),
            self.decisions(),
            total
        )?;
        for c in &self.cases {
            writeln!(
                f,
                "  {}: {} replications, {} decisions, {} events, {} restarts, {} violations",
                c.name, c.replications, c.decisions, c.events, c.restarts, c.violations
            )?;
        }
        for v in &self.violations {
            writeln!(f, "  {v}")?;
        }
        if self.suppressed > 0 {
            writeln!(f, "  … and {} more not listed", self.suppressed)?;
        }
        Ok(())
    }
}
