//! The JSON Schema of the scenario format, derived (schemars) from the serde types that read
//! scenarios ([`RawScenario`] and the types it holds), so it says what stage one accepts and
//! cannot drift from it: every table with `deny_unknown_fields` has `additionalProperties:
//! false`, durations are strings, step actions are the names of the one action vocabulary.
//! Stage two's checks (ranges, cross-references) and the hand-read `[sweep]` and `[[expect]]`
//! tables are described only as far as their types go. Editors such as Taplo and the VS Code
//! "Even Better TOML" extension validate TOML files against a JSON Schema.

use schemars::Schema;
use schemars::generate::SchemaSettings;
use schemars::transform::RecursiveTransform;
use serde_json::Value;

use super::raw::RawScenario;

/// The JSON Schema (draft 2020-12) of a scenario file, pretty-printed.
pub fn json_schema() -> String {
    let generator = SchemaSettings::draft2020_12()
        .with_transform(RecursiveTransform(drop_null))
        .into_generator();
    let schema = generator.into_root_schema_for::<RawScenario>();
    // Serialising a JSON value to a string cannot fail (no non-string keys, no I/O).
    serde_json::to_string_pretty(&schema).unwrap_or_default()
}

/// TOML has no null: an optional field is one that may be left out, not one that may be
/// null, so the `null` that schemars allows for every `Option` (and the `default` a field read
/// by hand gets) is taken out again.
fn drop_null(schema: &mut Schema) {
    let Some(obj) = schema.as_object_mut() else {
        return;
    };
    if obj.get("default") == Some(&Value::Null) {
        obj.remove("default");
    }
    if let Some(Value::Array(types)) = obj.get_mut("type") {
        types.retain(|t| t != "null");
        if types.len() == 1 {
            let only = types.remove(0);
            obj.insert("type".into(), only);
        }
    }
    let null = serde_json::json!({ "type": "null" });
    if let Some(Value::Array(any)) = obj.get_mut("anyOf") {
        any.retain(|s| *s != null);
        if any.len() == 1
            && let Value::Object(only) = any.remove(0)
        {
            obj.remove("anyOf");
            for (k, v) in only {
                obj.entry(k).or_insert(v);
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::plan::ActionKind;
    use serde_json::{Value, json};

    fn schema() -> Value {
        serde_json::from_str(&json_schema()).expect("the schema is JSON")
    }

    /// The schema of `name` in `$defs` (or the root for `Scenario`).
    fn def<'a>(schema: &'a Value, name: &str) -> &'a Value {
        if name == "Scenario" {
            return schema;
        }
        &schema["$defs"][name]
    }

    /// The `type` of property `field` of `def`, resolving one `$ref`.
    fn field_type<'a>(schema: &'a Value, def_name: &str, field: &str) -> &'a Value {
        let prop = &def(schema, def_name)["properties"][field];
        assert!(prop.is_object(), "{def_name}.{field} missing");
        &prop["type"]
    }

    #[test]
    fn names_the_top_level_tables() {
        let s = schema();
        let props = s["properties"].as_object().expect("properties");
        for key in [
            "name", "seed", "horizon", "pool", "workload", "feature", "step", "expect", "sweep",
        ] {
            assert!(props.contains_key(key), "no top-level `{key}`");
        }
        assert_eq!(s["type"], "object");
        assert_eq!(field_type(&s, "Scenario", "feature"), "array");
        assert_eq!(field_type(&s, "Scenario", "step"), "array");
        assert_eq!(field_type(&s, "Scenario", "expect"), "array");
        assert_eq!(field_type(&s, "Scenario", "sweep"), "object");
    }

    #[test]
    fn durations_are_strings() {
        let s = schema();
        for (def_name, field) in [
            ("Scenario", "horizon"),
            ("Scenario", "sample_interval"),
            ("Pool", "replica_rebuild"),
            ("Dns", "retry_delay"),
            ("Dns", "connect_timeout"),
            ("Hardware", "detect_delay"),
            ("Step", "at"),
            ("Step", "duration"),
            ("Step", "downtime"),
            ("Step", "timeout"),
            ("Step", "wait_time"),
        ] {
            assert_eq!(
                field_type(&s, def_name, field),
                "string",
                "{def_name}.{field}"
            );
        }
        // Optional fields may be left out; TOML has no null to write instead.
        let text = json_schema();
        assert!(
            !text.contains("\"null\"") && !text.contains(": null"),
            "{text}"
        );
    }

    #[test]
    fn unknown_fields_are_refused_where_serde_refuses_them() {
        let s = schema();
        for name in [
            "Scenario", "Pool", "Dns", "Hardware", "Workload", "Feature", "Step",
        ] {
            assert_eq!(
                def(&s, name)["additionalProperties"],
                false,
                "{name} accepts unknown fields"
            );
        }
        let variants = s["$defs"]["Distribution"]["oneOf"]
            .as_array()
            .expect("one schema per distribution");
        assert_eq!(variants.len(), 7);
        for v in variants {
            assert_eq!(v["additionalProperties"], false, "{v}");
            assert!(v["properties"]["distribution"].is_object(), "{v}");
        }
    }

    #[test]
    fn step_actions_are_the_action_vocabulary() {
        let s = schema();
        let names: Vec<&str> = ActionKind::ALL.iter().map(|k| k.name()).collect();
        assert_eq!(
            s["$defs"]["Step"]["properties"]["action"]["enum"],
            json!(names)
        );
        let required = s["$defs"]["Step"]["required"].as_array().expect("required");
        assert_eq!(required, &vec![json!("action")]);
    }
}
