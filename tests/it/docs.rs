//! The documentation kept in step with the code, where a test can see both:
//!
//! - every field of the scenario schema (`drainsim schema`) is documented in docs/scenario.md;
//! - every rule the code, tests, scenarios and docs cite (R1, R2, …) has its section in
//!   docs/model.md, the contents lists every section, and a range such as "R1–R9" names the
//!   last rule;
//! - every file a report or plan folder can hold is named in docs/formats.md;
//! - every repository path the docs name (`src/…`, `tests/…`, …) exists;
//! - no sentence of docs/model.md that says something is left out ("not modelled", "never
//!   fails") names what the scenario schema models.
//!
//! Each check is a function of texts, so the tests below also run it on a planted drift (the
//! sentences these docs held before they were corrected) and see it fail.

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};

use serde_json::Value;

fn root() -> &'static Path {
    Path::new(env!("CARGO_MANIFEST_DIR"))
}

fn read(rel: &str) -> String {
    std::fs::read_to_string(root().join(rel)).unwrap_or_else(|e| panic!("{rel}: {e}"))
}

/// Files under `dir` (relative to the crate root) whose names end in one of `exts`, sorted.
fn files(dir: &str, exts: &[&str]) -> Vec<PathBuf> {
    let mut out = Vec::new();
    let mut stack = vec![root().join(dir)];
    while let Some(d) = stack.pop() {
        let Ok(entries) = std::fs::read_dir(&d) else {
            continue;
        };
        for entry in entries {
            let p = entry.expect("readable entry").path();
            if p.is_dir() {
                // Build output and the standalone crates' own targets are not the repository's.
                if !p.ends_with("target") {
                    stack.push(p);
                }
            } else if exts.iter().any(|e| p.to_string_lossy().ends_with(e)) {
                out.push(p);
            }
        }
    }
    out.sort();
    out
}

// --- the schema's fields -----------------------------------------------------------------

/// Every property name of a JSON Schema, following `$ref`s into `$defs`, with the path it
/// was found at (for messages).
fn schema_fields(schema: &Value) -> Vec<(String, String)> {
    fn walk(
        v: &Value,
        defs: &Value,
        path: &str,
        seen: &mut BTreeSet<String>,
        out: &mut Vec<(String, String)>,
    ) {
        match v {
            Value::Object(map) => {
                if let Some(Value::String(r)) = map.get("$ref") {
                    let name = r.trim_start_matches("#/$defs/");
                    if seen.insert(name.to_string())
                        && let Some(def) = defs.get(name)
                    {
                        walk(def, defs, path, seen, out);
                    }
                }
                if let Some(Value::Object(props)) = map.get("properties") {
                    for (k, p) in props {
                        let at = if path.is_empty() {
                            k.clone()
                        } else {
                            format!("{path}.{k}")
                        };
                        out.push((k.clone(), at.clone()));
                        walk(p, defs, &at, seen, out);
                    }
                }
                for (k, sub) in map {
                    if k != "properties" && k != "$defs" {
                        walk(sub, defs, path, seen, out);
                    }
                }
            }
            Value::Array(items) => {
                for i in items {
                    walk(i, defs, path, seen, out);
                }
            }
            _ => {}
        }
    }
    let defs = schema.get("$defs").cloned().unwrap_or(Value::Null);
    let mut out = Vec::new();
    walk(schema, &defs, "", &mut BTreeSet::new(), &mut out);
    out
}

/// Names a reference documents as fields: every backquoted name (a dotted name gives each of
/// its parts, `` `[pool.dns]` `` gives `pool` and `dns`), and every name written before ` = `
/// (TOML examples and inline tables such as `{ half_width = 0.5 }`).
fn documented_fields(doc: &str) -> BTreeSet<String> {
    let word = |c: char| c.is_ascii_alphanumeric() || c == '_';
    let mut out = BTreeSet::new();
    for (i, part) in doc.split('`').enumerate() {
        if i % 2 == 1 {
            let name = part.trim_matches(|c| c == '[' || c == ']');
            out.extend(name.split('.').map(|s| s.trim().to_string()));
        }
    }
    for (i, _) in doc.match_indices(" = ") {
        let before = &doc[..i];
        let start = before
            .char_indices()
            .rev()
            .find(|&(_, c)| !word(c))
            .map_or(0, |(k, c)| k + c.len_utf8());
        out.insert(before[start..].to_string());
    }
    out
}

/// Schema fields missing from `doc`.
fn undocumented_fields(schema: &Value, doc: &str) -> Vec<String> {
    let documented = documented_fields(doc);
    let mut missing: Vec<String> = schema_fields(schema)
        .into_iter()
        .filter(|(name, _)| !documented.contains(name))
        .map(|(name, at)| format!("scenario field `{name}` (at {at}) is not in docs/scenario.md"))
        .collect();
    missing.dedup();
    missing
}

fn schema() -> Value {
    serde_json::from_str(&drainsim::scenario::json_schema()).expect("the schema is JSON")
}

#[test]
fn every_scenario_field_is_documented() {
    let missing = undocumented_fields(&schema(), &read("docs/scenario.md"));
    assert!(missing.is_empty(), "{}", missing.join("\n"));
}

#[test]
fn a_field_missing_from_the_reference_is_found() {
    let schema = schema();
    let fields = schema_fields(&schema);
    for name in ["failover_clients", "ttl", "persistence_timeout", "horizon"] {
        assert!(
            fields.iter().any(|(n, _)| n == name),
            "{name} in the schema"
        );
    }
    let doc = read("docs/scenario.md");
    let planted = doc.replace("failover_clients", "failover clients");
    assert_ne!(
        planted, doc,
        "the row the drift removes is in the reference"
    );
    let missing = undocumented_fields(&schema, &planted);
    assert_eq!(
        missing,
        [
            "scenario field `failover_clients` (at pool.dns.failover_clients) is not in docs/scenario.md"
        ]
    );
}

// --- rules -------------------------------------------------------------------------------

/// Rule numbers cited in `text`: `R` and one or two digits, standing alone.
fn cited_rules(text: &str) -> BTreeSet<u32> {
    let b = text.as_bytes();
    let mut out = BTreeSet::new();
    for (i, _) in text.match_indices('R') {
        let before_ok = i == 0 || !b[i - 1].is_ascii_alphanumeric();
        let digits = b[i + 1..].iter().take_while(|c| c.is_ascii_digit()).count();
        let after = b.get(i + 1 + digits);
        if before_ok
            && (1..=2).contains(&digits)
            && !after.is_some_and(|c| c.is_ascii_alphanumeric() || *c == b'_')
            && let Ok(n) = text[i + 1..i + 1 + digits].parse()
        {
            out.insert(n);
        }
    }
    out
}

/// The rules model.md defines: its `## Rn Title` headings.
fn rule_sections(model: &str) -> BTreeSet<u32> {
    (model.lines())
        .filter_map(|l| l.strip_prefix("## R"))
        .filter_map(|rest| rest.split(' ').next()?.parse().ok())
        .collect()
}

/// What is wrong with model.md's rules, given the rules cited elsewhere (`cited`: rule →
/// where it is cited).
fn rule_problems(model: &str, cited: &[(u32, String)]) -> Vec<String> {
    let sections = rule_sections(model);
    let mut out = Vec::new();
    for (n, at) in cited {
        if !sections.contains(n) {
            out.push(format!(
                "R{n} is cited in {at} but docs/model.md has no section R{n}"
            ));
        }
    }
    // The contents: a link to each section.
    let contents: String = (model.lines())
        .skip_while(|l| !l.starts_with("Contents"))
        .take_while(|l| !l.starts_with("---") && !l.starts_with("Words"))
        .collect();
    for n in &sections {
        if !contents.contains(&format!("(#r{n}-")) {
            out.push(format!("the contents of docs/model.md does not list R{n}"));
        }
    }
    // A range claimed in words: "R1–R13" must end at the last rule.
    let last = sections.iter().max().copied().unwrap_or(0);
    for sep in ['–', '-'] {
        for (i, _) in model.match_indices(&format!("R1{sep}R")) {
            let rest = &model[i + 3 + sep.len_utf8()..];
            let digits: String = rest.chars().take_while(char::is_ascii_digit).collect();
            if digits.parse() != Ok(last) {
                out.push(format!(
                    "docs/model.md says the rules are R1{sep}R{digits}, but the last is R{last}"
                ));
            }
        }
    }
    out
}

/// Every rule cited outside model.md, with the first file citing it.
fn citations() -> Vec<(u32, String)> {
    let mut paths = files("src", &[".rs"]);
    paths.extend(files("tests/it", &[".rs"]));
    paths.extend(files("benches", &[".rs"]));
    paths.extend(files("examples", &[".rs"]));
    paths.extend(files("scenarios", &[".toml"]));
    paths.extend(files("docs", &[".md"]));
    paths.push(root().join("README.md"));
    let this = root().join("tests/it/docs.rs");
    let mut first: Vec<(u32, String)> = Vec::new();
    for p in paths.iter().filter(|p| **p != this) {
        let text = std::fs::read_to_string(p).unwrap_or_default();
        let rel = p.strip_prefix(root()).unwrap().display().to_string();
        for n in cited_rules(&text) {
            if !first.iter().any(|(m, _)| *m == n) {
                first.push((n, rel.clone()));
            }
        }
    }
    first.sort();
    first
}

#[test]
fn every_rule_cited_is_defined_and_listed() {
    let cited = citations();
    assert!(cited.len() >= 18, "citations found: {cited:?}");
    let problems = rule_problems(&read("docs/model.md"), &cited);
    assert!(problems.is_empty(), "{}", problems.join("\n"));
}

#[test]
fn a_stale_rule_count_a_missing_section_and_an_unlisted_rule_are_found() {
    let model = read("docs/model.md");
    let last = *rule_sections(&model).iter().max().unwrap();
    assert_eq!(
        cited_rules("R1–R13, (R4), R10: not R2D2 nor AR9 or R123"),
        BTreeSet::from([1, 4, 10, 13])
    );
    // The sentence this page held: the rules "R1–R13".
    let planted = model.replacen(
        "The rules are numbered\nR1, R2, …",
        "The rules are numbered\nR1–R13.",
        1,
    );
    assert_ne!(planted, model);
    assert_eq!(
        rule_problems(&planted, &[]),
        [format!(
            "docs/model.md says the rules are R1–R13, but the last is R{last}"
        )]
    );
    // A rule cited in the code without a section, and a section the contents leaves out.
    let cited = [(last + 1, "src/x.rs".to_string())];
    let unlisted = model.replacen(
        "[R14 Load balancer administration](#r14-load-balancer-administration) · ",
        "",
        1,
    );
    assert_ne!(unlisted, model);
    assert_eq!(
        rule_problems(&unlisted, &cited),
        [
            format!(
                "R{} is cited in src/x.rs but docs/model.md has no section R{}",
                last + 1,
                last + 1
            ),
            "the contents of docs/model.md does not list R14".to_string(),
        ]
    );
}

// --- report files ------------------------------------------------------------------------

/// Report file names `formats` does not name: `` `summary.csv` ``, or for a chart its stem or
/// its `.svg`.
fn undocumented_files(names: &[String], formats: &str) -> Vec<String> {
    names
        .iter()
        .filter(|name| {
            let stem = name
                .strip_suffix(".svg")
                .or_else(|| name.strip_suffix(".png"));
            let named = |s: &str| formats.contains(&format!("`{s}`"));
            !(named(name) || stem.is_some_and(|s| named(s) || named(&format!("{s}.svg"))))
        })
        .map(|name| format!("report file {name} is not in docs/formats.md"))
        .collect()
}

#[test]
fn every_report_file_is_documented() {
    let names: Vec<String> = drainsim::report::folder::report_file_names().collect();
    assert!(names.iter().any(|n| n == "summary.csv") && names.iter().any(|n| n == "plan.md"));
    let missing = undocumented_files(&names, &read("docs/formats.md"));
    assert!(missing.is_empty(), "{}", missing.join("\n"));
    // Planted: a file the writers write and the page does not name.
    let planted = read("docs/formats.md").replace("`domains.csv`", "domains");
    assert_eq!(
        undocumented_files(&names, &planted),
        ["report file domains.csv is not in docs/formats.md"]
    );
}

// --- paths -------------------------------------------------------------------------------

/// Repository paths `` `src/…` `` (and tests/, benches/, …) in `doc` that do not exist.
fn missing_paths(doc: &str, name: &str) -> Vec<String> {
    const ROOTS: [&str; 8] = [
        "src/",
        "tests/",
        "benches/",
        "scenarios/",
        "examples/",
        "docs/",
        "deploy/",
        "fuzz/",
    ];
    let mut out = Vec::new();
    for (i, part) in doc.split('`').enumerate() {
        let plain = !part.contains(['<', '*', ' ', '…', '{']);
        if i % 2 == 1 && plain && ROOTS.iter().any(|r| part.starts_with(r)) {
            let p = part.split(':').next().unwrap_or(part);
            if !root().join(p).exists() {
                out.push(format!("{name} names {part}, which does not exist"));
            }
        }
    }
    out
}

#[test]
fn every_path_the_docs_name_exists() {
    let mut missing = Vec::new();
    for p in files("docs", &[".md"])
        .iter()
        .chain([&root().join("README.md")])
    {
        let name = p.strip_prefix(root()).unwrap().display().to_string();
        missing.extend(missing_paths(&std::fs::read_to_string(p).unwrap(), &name));
    }
    assert!(missing.is_empty(), "{}", missing.join("\n"));
    // The path model.md gave for R11 before the runner became a folder.
    assert_eq!(
        missing_paths("| R11 | `src/runner.rs`, `src/stats.rs` |", "model.md"),
        ["model.md names src/runner.rs, which does not exist"]
    );
}

// --- claims that something is left out ---------------------------------------------------

/// What a sentence says when it claims something is left out or cannot happen.
const ABSENCE: [&str; 5] = [
    "not modelled",
    "never *fails*",
    "never fails",
    "applies to the hardware load balancer",
    "hardware load balancer only",
];

/// Words of the docs for what a schema name models: a sentence claiming absence may not use
/// the words of a name the schema has.
const MODELLED: [(&str, &str); 5] = [
    ("Disabled", "lb_disable"),
    ("Forced Offline", "lb_force_offline"),
    ("TTL", "ttl"),
    ("persistence", "persistence"),
    ("DNS", "failover_clients"),
];

/// Paragraphs of `doc` claiming absence of something `names` (the schema's fields and values)
/// models.
fn false_absences(doc: &str, names: &BTreeSet<String>) -> Vec<String> {
    let mut out = Vec::new();
    for sentence in paragraphs(doc) {
        if !ABSENCE.iter().any(|a| sentence.contains(a)) {
            continue;
        }
        for (words, name) in MODELLED {
            if names.contains(name) && sentence.contains(words) {
                out.push(format!(
                    "docs/model.md says {words:?} is left out, but the scenario has `{name}`: {}",
                    sentence.trim()
                ));
            }
        }
    }
    out
}

/// The paragraphs of `doc`, each on one line: a list item or a table row is a paragraph of
/// its own.
fn paragraphs(doc: &str) -> Vec<String> {
    let mut out: Vec<String> = Vec::new();
    let mut open = false;
    for line in doc.lines() {
        let t = line.trim_start();
        let item = t.starts_with("- ")
            || t.starts_with('|')
            || t.starts_with('#')
            || t.split_once(". ")
                .is_some_and(|(n, _)| n.parse::<u32>().is_ok());
        if t.is_empty() {
            open = false;
        } else if open && !item {
            let last = out.last_mut().expect("an open paragraph");
            last.push(' ');
            last.push_str(t);
        } else {
            out.push(t.to_string());
            open = true;
        }
    }
    out
}

/// The schema's field names and the string values it enumerates (step actions, …).
fn schema_names(schema: &Value) -> BTreeSet<String> {
    fn values(v: &Value, out: &mut BTreeSet<String>) {
        match v {
            Value::Object(m) => {
                for (k, sub) in m {
                    if k == "enum" || k == "const" {
                        let list = sub.as_array().cloned().unwrap_or_else(|| vec![sub.clone()]);
                        out.extend(list.iter().filter_map(|s| s.as_str().map(String::from)));
                    }
                    values(sub, out);
                }
            }
            Value::Array(a) => a.iter().for_each(|x| values(x, out)),
            _ => {}
        }
    }
    let mut out: BTreeSet<String> = schema_fields(schema).into_iter().map(|(n, _)| n).collect();
    values(schema, &mut out);
    out
}

/// The row defining `measure` in a Markdown table of `doc`.
fn measure_row<'d>(doc: &'d str, measure: &str) -> Option<&'d str> {
    doc.lines()
        .find(|l| l.starts_with(&format!("| `{measure}` |")))
}

#[test]
fn no_sentence_says_left_out_what_the_scenario_models() {
    let names = schema_names(&schema());
    for name in MODELLED.map(|(_, n)| n) {
        assert!(names.contains(name), "the schema has {name}");
    }
    let model = read("docs/model.md");
    let found = false_absences(&model, &names);
    assert!(found.is_empty(), "{}", found.join("\n"));
    // `failed` is counted under DNS load balancing too (clients that do not fail over): its
    // definition says so.
    let row = measure_row(&model, "failed").expect("R10 defines `failed`");
    assert!(row.contains("failover_clients"), "{row}");
}

#[test]
fn the_absence_claims_these_docs_held_are_found() {
    let names = schema_names(&schema());
    let planted = [
        // Domain facts, on F5's member states (R14 models them).
        (
            "F5 has *Disabled* (existing and persistent connections only) and *Forced Offline* \
             (existing connections only). HAProxy has `drain` and `maint`. These are not \
             modelled, but the `health_monitor = \"service\"` setting (R5) stands for a balancer \
             that does know about the pause.",
            2,
        ),
        // R4, on DNS sessions that never fail (a client that does not fail over fails).
        (
            "Under DNS load balancing a session is never accepted on a paused server, and it \
             never *fails* (the `failed` measure applies to the hardware load balancer).",
            1,
        ),
        // R4, on client DNS caches (R14 models their TTL).
        (
            "Two things are not modelled. UCMA applications avoid a failed server for 10 \
             minutes, and client DNS caches have TTLs. Neither matters.",
            2,
        ),
    ];
    for (text, n) in planted {
        let found = false_absences(text, &names);
        assert_eq!(found.len(), n, "{text}: {found:#?}");
    }
    // R10's definition of `failed` as the hardware load balancer's alone.
    let old = "| `failed` | sent by the hardware load balancer to a dead member its monitor had \
               not yet marked down (R5) |";
    assert!(
        !measure_row(old, "failed")
            .unwrap()
            .contains("failover_clients")
    );
}
