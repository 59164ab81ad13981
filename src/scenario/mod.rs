//! Scenario files (docs/scenario.md): parse (stage one, serde) → validate (stage two, into model
//! types), collecting every problem with its field path and `file:line:col`, then expand the
//! sweep into runs.
//!
//! Dependencies run one way, each module using only those listed before it:
//!
//! - `span`: field paths and their positions in the source; `raw`: the file as written (serde),
//!   from which `schema` derives the JSON Schema.
//! - `ctx`: the validation context (diagnostics, limits, file access, shared value parsers).
//! - `sweep`: sweep axes, validated and applied to a run.
//! - `validated`: the validated [`Scenario`]; `expand`: its runs.
//! - `trace`: the call-detail export reader; `spool`: the checked trace's sessions as the runs
//!   replay them.
//! - `validate`: stage two, one module per section of the file.

mod admin;
mod ctx;
mod expand;
mod raw;
mod schema;
mod span;
pub mod spool;
mod sweep;
pub mod trace;
mod validate;
mod validated;

pub use ctx::{Diagnostic, FileSource, Limits, NoFiles, Opener, ScenarioError};
pub use expand::{Run, expand};
pub use raw::*;
pub use schema::json_schema;
pub use span::{FieldPath, Seg, line_col, span_of};
pub use sweep::{Axis, AxisValue, FeatureSet};
pub use validated::{Bound, Expectation, PlanObjective, PlanSpec, PlanWait, Precision, Scenario};

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

#[cfg(test)]
mod tests {
    /// The modules in dependency order, with their sources: each may use only those before it.
    const LAYERS: &[(&str, &[&str])] = &[
        ("span", &[include_str!("span.rs")]),
        ("raw", &[include_str!("raw.rs")]),
        ("schema", &[include_str!("schema.rs")]),
        ("ctx", &[include_str!("ctx.rs")]),
        ("sweep", &[include_str!("sweep.rs")]),
        ("validated", &[include_str!("validated.rs")]),
        ("expand", &[include_str!("expand.rs")]),
        (
            "validate",
            &[
                include_str!("validate/mod.rs"),
                include_str!("validate/dist.rs"),
                include_str!("validate/expect.rs"),
                include_str!("validate/features.rs"),
                include_str!("validate/horizon.rs"),
                include_str!("validate/plan.rs"),
                include_str!("validate/pool.rs"),
                include_str!("validate/steps.rs"),
                include_str!("validate/syntax.rs"),
                include_str!("validate/topology.rs"),
            ],
        ),
    ];

    /// No circle such as `sweep` ↔ `validate`: a module never names one listed after it.
    #[test]
    fn dependencies_run_one_way() {
        for (i, (name, sources)) in LAYERS.iter().enumerate() {
            for (later, _) in &LAYERS[i + 1..] {
                for end in ["::", ";", ",", "}"] {
                    let use_of = format!("super::{later}{end}");
                    assert!(
                        sources.iter().all(|s| !s.contains(&use_of)),
                        "`{name}` uses `{later}`, which depends on it"
                    );
                }
            }
        }
    }
}
