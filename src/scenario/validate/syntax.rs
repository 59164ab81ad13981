//! Stage one's errors as diagnostics: TOML syntax errors keep the parser's position, serde's
//! type errors get the field path back from their position, and Rust type names become words
//! a scenario author knows.

use toml::Spanned;
use toml::de::DeTable;

use super::super::ctx::{Diagnostic, suggest};
use super::super::span::{Seg, line_col, path_at};

/// Keys whose value is a duration string (and `duration`, the table of one).
const DURATION_KEYS: &[&str] = &[
    "horizon",
    "sample_interval",
    "replica_rebuild",
    "retry_delay",
    "connect_timeout",
    "detect_delay",
    "duration",
    "at",
    "downtime",
    "timeout",
    "wait_time",
];

/// A TOML syntax error (or any error with no field path).
pub(super) fn toml_diag(file: &str, text: &str, e: &toml::de::Error) -> Diagnostic {
    Diagnostic {
        file: file.to_string(),
        position: e.span().map(|s| line_col(text, s.start)),
        path: String::new(),
        message: plain_types(e.message().trim()),
    }
}

/// A serde error: serde stops at the first problem and names no path, so the path is
/// recovered from the error's position in the document.
pub(super) fn serde_diag(
    file: &str,
    text: &str,
    doc: &Spanned<DeTable<'_>>,
    e: &toml::de::Error,
) -> Diagnostic {
    let mut d = toml_diag(file, text, e);
    if let Some(path) = e.span().and_then(|s| path_at(doc, s.start)) {
        let last = path.0.last().map(|seg| match seg {
            Seg::Key(k) => k.as_str(),
            Seg::Index(_) => "",
        });
        if d.message.ends_with("expected a string")
            && last.is_some_and(|k| DURATION_KEYS.contains(&k))
        {
            d.message
                .push_str(" (durations are strings such as \"90s\", \"5m\" or \"1h30m\")");
        }
        d.path = path.to_string();
    }
    d.message.push_str(&unknown_name_hint(&d.message));
    d
}

/// serde's "unknown field `x`, expected one of `a`, `b`" (or "unknown variant"): `; did you
/// mean `a`?` when one of the names it lists is close to `x`, else nothing.
fn unknown_name_hint(msg: &str) -> String {
    let Some(rest) = ["unknown field `", "unknown variant `"]
        .iter()
        .find_map(|head| msg.strip_prefix(head))
    else {
        return String::new();
    };
    let Some((word, expected)) = rest.split_once('`') else {
        return String::new();
    };
    // The names serde lists are the odd pieces between backticks.
    let names = expected.split('`').skip(1).step_by(2);
    suggest(word, names)
        .map(|s| format!("; did you mean `{s}`?"))
        .unwrap_or_default()
}

/// serde names Rust types ("expected u32"); say what to write instead.
fn plain_types(msg: &str) -> String {
    const WORDS: &[(&str, &str)] = &[
        ("expected i64", "expected an integer"),
        ("expected u64", "expected a whole number >= 0"),
        (
            "expected u32",
            "expected a whole number from 0 to 4294967295",
        ),
        ("expected f64", "expected a number"),
        (
            "data did not match any variant of untagged enum RawReplications",
            "expected a whole number of replications per run (1 or more), or a precision \
             target: a table with half_width or relative, and optionally start and max, such \
             as { half_width = 0.5, max = 2000 }",
        ),
        ("expected a sequence", "expected an array"),
        ("expected a map", "expected a table"),
        ("expected a borrowed string", "expected a string"),
    ];
    let mut out = msg.to_string();
    for (rust, plain) in WORDS {
        out = out.replace(rust, plain);
    }
    // TOML integers are 64-bit; the parser reports a larger one as an i128 of the wrong type.
    if let Some(i) = out.find("` as i128") {
        let start = out[..i].rfind('`').map_or(0, |s| s + 1);
        return format!("integer {} is out of range", &out[start..i]);
    }
    if out.contains("expected internally tagged enum RawDist") {
        let head = out.split(", expected").next().unwrap_or_default();
        return format!(
            "{head}, expected a distribution table such as {{ distribution = \"exponential\", \
             mean = \"3m\" }}"
        );
    }
    if let Some(i) = out.find("expected struct Raw") {
        out.truncate(i);
        out.push_str("expected a table");
    }
    out
}
