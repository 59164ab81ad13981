//! `drainsim schema`: the JSON Schema of the scenario format, derived from the types that
//! read scenario files, for editors (taplo / Even Better TOML: `#:schema ./scenario.schema.json`).

use super::Outcome;

/// Prints the schema.
pub fn schema() -> Outcome {
    outln!("{}", crate::scenario::json_schema());
    Outcome::Success
}
