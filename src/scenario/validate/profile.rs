//! Time of day (R12): `clock_start`, `profile` (24 numbers, a built-in name, or a file) and
//! `load_factor`.

use super::super::ctx::{Ctx, FileSource, did_you_mean};
use super::super::span::FieldPath;
use crate::model::profile::{self, BUILTIN, DEFAULT_NIGHT, Profile, parse_clock};

/// `clock_start`: seconds after midnight (`None` when absent or invalid; invalid is recorded).
pub(super) fn validate_clock(
    ctx: &mut Ctx<'_>,
    p: &FieldPath,
    text: &Option<String>,
) -> Option<f64> {
    let t = text.as_ref()?;
    ctx.pick(p.clone(), parse_clock(t))
}

/// A `load_factor`: a finite number above 0 (1 when absent).
pub(super) fn validate_load_factor(ctx: &mut Ctx<'_>, p: &FieldPath, v: Option<f64>) -> f64 {
    match v {
        None => 1.0,
        Some(f) if f.is_finite() && f > 0.0 => f,
        Some(f) => {
            ctx.err(
                p,
                format!(
                    "must be a finite number above 0 (1 = the rates as written), got {f}; to \
                     leave a feature out, set `enabled = false`"
                ),
            );
            1.0
        }
    }
}

/// A `profile` value; every problem recorded.
pub(super) fn validate_profile(
    ctx: &mut Ctx<'_>,
    p: &FieldPath,
    v: &toml::Value,
    files: &dyn FileSource,
) -> Option<Profile> {
    match v {
        toml::Value::String(name) => builtin(ctx, p, name, None),
        toml::Value::Array(items) => hourly(ctx, p, items),
        toml::Value::Table(t) => {
            for k in t.keys() {
                if !["name", "night", "file"].contains(&k.as_str()) {
                    let msg = format!(
                        "unknown key `{k}` in a profile table; expected `name` (with `night`) or \
                         `file`{}",
                        did_you_mean(k, ["name", "night", "file"])
                    );
                    ctx.err(&p.key(k), msg);
                    return None;
                }
            }
            match (t.get("name"), t.get("file")) {
                (Some(_), Some(_)) => {
                    ctx.err(p, "give a profile `name` or a `file`, not both");
                    None
                }
                (Some(toml::Value::String(name)), None) => {
                    let night = match t.get("night") {
                        None => None,
                        Some(n) => Some(number(ctx, &p.key("night"), n)?),
                    };
                    builtin(ctx, p, name, night)
                }
                (None, Some(toml::Value::String(file))) => {
                    if t.contains_key("night") {
                        ctx.err(&p.key("night"), "`night` applies to a built-in `name` only");
                        return None;
                    }
                    let text = ctx.pick(p.key("file"), files.read(file))?;
                    ctx.pick(
                        p.key("file"),
                        parse_profile_file(&text).map_err(|e| format!("{file}:{e}")),
                    )
                }
                (None, None) => {
                    ctx.err(p, "a profile table needs a `name` or a `file`");
                    None
                }
                (Some(_), None) => {
                    ctx.err(&p.key("name"), "must be a string");
                    None
                }
                (None, Some(_)) => {
                    ctx.err(&p.key("file"), "must be a string (a path to a CSV file)");
                    None
                }
            }
        }
        _ => {
            ctx.err(p, profile_help());
            None
        }
    }
}

fn profile_help() -> String {
    format!(
        "a profile is 24 hourly multipliers (a list), a built-in name ({}), \
         {{ name = \"lync2013_workday\", night = 0.15 }} or {{ file = \"profile.csv\" }}",
        BUILTIN
            .iter()
            .map(|b| format!("\"{b}\""))
            .collect::<Vec<_>>()
            .join(", ")
    )
}

fn builtin(ctx: &mut Ctx<'_>, p: &FieldPath, name: &str, night: Option<f64>) -> Option<Profile> {
    if let Some(n) = night
        && name != "lync2013_workday"
    {
        ctx.err(
            &p.key("night"),
            format!("`night` applies to \"lync2013_workday\", not \"{name}\" (n = {n})"),
        );
        return None;
    }
    match Profile::builtin(name, night.unwrap_or(DEFAULT_NIGHT)) {
        Some(prof) => Some(prof),
        None => {
            let msg = format!(
                "unknown profile \"{name}\"; {}{}",
                profile_help(),
                did_you_mean(name, BUILTIN.iter().copied())
            );
            ctx.err(p, msg);
            None
        }
    }
}

/// A non-negative finite number (integers accepted).
fn number(ctx: &mut Ctx<'_>, p: &FieldPath, v: &toml::Value) -> Option<f64> {
    let x = match v {
        toml::Value::Float(f) => *f,
        toml::Value::Integer(i) => *i as f64,
        _ => {
            ctx.err(p, "must be a number >= 0");
            return None;
        }
    };
    if !(x.is_finite() && x >= 0.0) {
        ctx.err(p, format!("must be a finite number >= 0, got {x}"));
        return None;
    }
    Some(x)
}

fn hourly(ctx: &mut Ctx<'_>, p: &FieldPath, items: &[toml::Value]) -> Option<Profile> {
    if items.len() != 24 {
        ctx.err(
            p,
            format!(
                "a profile list needs 24 hourly multipliers (00:00 to 23:00), got {}",
                items.len()
            ),
        );
        return None;
    }
    let mut values = Vec::with_capacity(24);
    let mut ok = true;
    for (i, v) in items.iter().enumerate() {
        match number(ctx, &p.index(i), v) {
            Some(x) => values.push(x),
            None => ok = false,
        }
    }
    if !ok {
        return None;
    }
    if values.iter().all(|&v| v == 0.0) {
        ctx.err(p, "every multiplier is 0: the feature would never arrive");
        return None;
    }
    ctx.pick(p.clone(), Profile::hourly(&values))
}

/// Reads a profile CSV: rows `HH:MM,multiplier`, each holding until the next row's time (the
/// last until the first of the next day); an optional header row, blank lines and lines
/// starting with `#` are skipped. Errors are `line: message`.
pub fn parse_profile_file(text: &str) -> Result<Profile, String> {
    let mut rows: Vec<(f64, f64)> = Vec::new();
    let mut first = true;
    for (i, line) in text.lines().enumerate() {
        let n = i + 1;
        let line = line.trim().trim_start_matches('\u{feff}');
        if line.is_empty() || line.starts_with('#') {
            continue;
        }
        let mut cells = line.split(',').map(str::trim);
        let (Some(time), Some(mult), None) = (cells.next(), cells.next(), cells.next()) else {
            return Err(format!(
                "{n}: expected two columns, `HH:MM,multiplier`, got {line:?}"
            ));
        };
        let t = match parse_clock(time) {
            Ok(t) => t,
            Err(_) if first && mult.parse::<f64>().is_err() => {
                first = false;
                continue; // header
            }
            Err(e) => return Err(format!("{n}: {e}")),
        };
        first = false;
        let m: f64 = mult
            .parse()
            .map_err(|_| format!("{n}: {mult:?} is not a number"))?;
        if !(m.is_finite() && m >= 0.0) {
            return Err(format!(
                "{n}: multiplier {mult} is not a finite number >= 0"
            ));
        }
        if let Some(&(prev, _)) = rows.last()
            && t <= prev
        {
            return Err(format!(
                "{n}: {} does not come after {}; rows must be in increasing time of day",
                profile::format_clock(t),
                profile::format_clock(prev)
            ));
        }
        rows.push((t, m));
    }
    if rows.is_empty() {
        return Err(" no rows `HH:MM,multiplier` found".into());
    }
    if rows.iter().all(|r| r.1 == 0.0) {
        return Err(" every multiplier is 0: the feature would never arrive".into());
    }
    Profile::from_rows(&rows).map_err(|e| format!(" {e}"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn profile_files_name_the_bad_line() {
        let p = parse_profile_file("time,multiplier\n00:00,0.1\n08:00,1\n").unwrap();
        assert_eq!(p.at(9.0 * 3600.0), 1.0);
        assert_eq!(p.at(3600.0), 0.1);
        let e = parse_profile_file("00:00,0.1\n25:00,1\n").unwrap_err();
        assert!(e.starts_with("2: ") && e.contains("hour 25"), "{e}");
        let e = parse_profile_file("08:00,1\n07:00,1\n").unwrap_err();
        assert!(e.starts_with("2: ") && e.contains("increasing"), "{e}");
        let e = parse_profile_file("08:00,-1\n").unwrap_err();
        assert!(e.starts_with("1: "), "{e}");
        assert!(parse_profile_file("# nothing\n").is_err());
    }
}
