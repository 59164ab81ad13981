//! `drainsim fit`: a scenario fitted to a call-detail export (docs/cli.md, `drainsim fit`).
//!
//! Reads the export once, as a stream, gathering each value of the feature column's sessions;
//! maps values to features (the values the documented SQL writes have defaults; `--map` adds
//! or overrides); fits; writes the scenario (and `empirical` durations files next to it)
//! atomically, or prints it. Nothing is written when the export has a bad row. A file is
//! replaced only if `fit` wrote it (its first line starts with [`MARKER`]).

use std::fs::File;
use std::io::BufReader;
use std::path::{Path, PathBuf};

use super::args::FitArgs;
use super::{CliError, Outcome};
use crate::fit::{self, FeatureInput, MARKER, ScenarioInput, Sessions, Window};
use crate::model::catalogue_entry;
use crate::scenario::trace::{BadRows, FeatureMap, TraceColumns, TraceReader};

/// Values of the documented SQL's `Media` column and the features they become unless
/// `--map` says otherwise. A value that is itself a feature name maps to that feature.
pub const DEFAULT_MAP: &[(&str, &str)] = &[
    ("IM", "im"),
    ("Audio", "p2p_av_call"),
    ("PSTN", "pstn_call"),
    ("conf:audio-video", "av_conference"),
    ("conf:data-conf", "web_conference"),
    ("conf:applicationsharing", "app_sharing"),
    ("conf:chat", "im_conference"),
];

/// Feature names fit knows although this build's catalogue may not list them.
const KNOWN_FEATURES: &[&str] = &["p2p_av_call"];

/// What the export held, value by value.
struct Gathered {
    values: Vec<String>,
    sessions: Vec<Sessions>,
    window: Window,
    rows: u64,
    skipped_open: u64,
}

/// Runs `drainsim fit`.
pub fn fit(args: &FitArgs) -> Result<Outcome, CliError> {
    let map = feature_map(&args.map)?;
    let export = args.export.display().to_string();
    let gathered = gather(&args.export, &export, &columns(args))?;
    if gathered.rows == 0 {
        return Err(CliError::Fit(format!(
            "{export}: no sessions to fit (every row lacked an end time, or there were no rows)"
        )));
    }
    let stem = args
        .out
        .as_deref()
        .and_then(Path::file_stem)
        .map(|s| s.to_string_lossy().into_owned());
    let groups = group(&gathered, &map);
    let mut features = Vec::new();
    for (name, mapped, values, sessions) in &groups {
        features.push(feature_input(
            name,
            *mapped,
            values,
            sessions,
            &gathered.window,
            stem.as_deref(),
        ));
    }
    // A scenario without a feature fails `check`: say so instead of writing one.
    if !features.iter().any(|f| f.mapped && f.duration.is_some()) {
        let zero: u64 = groups.iter().map(|g| g.3.zero_length).sum();
        return Err(CliError::Fit(format!(
            "{export}: nothing to fit: {zero} of {} sessions have zero length and no other \
             session is of a value that maps to a feature (--map VALUE=FEATURE); a scenario \
             without features would not run, so none is written",
            gathered.rows
        )));
    }
    let input = ScenarioInput {
        export: &export,
        rows: gathered.rows,
        skipped_open: gathered.skipped_open,
        window: gathered.window,
        features,
    };
    notes(&export, &gathered, &input);
    let text = fit::render_scenario(&input);
    match &args.out {
        None => {
            out!("{text}");
            Ok(Outcome::Success)
        }
        Some(out) => {
            write_all(out, &export, &input, &text)?;
            eprintln!("{}: written", out.display());
            Ok(Outcome::Success)
        }
    }
}

fn columns(args: &FitArgs) -> TraceColumns {
    TraceColumns {
        start: args.start_column.clone(),
        end: args.end_column.clone(),
        feature: args.feature_column.clone(),
    }
}

/// The defaults overridden by `--map VALUE=FEATURE` entries.
fn feature_map(entries: &[String]) -> Result<Vec<(String, String)>, CliError> {
    let mut map: Vec<(String, String)> = DEFAULT_MAP
        .iter()
        .map(|(v, f)| (v.to_string(), f.to_string()))
        .collect();
    let mut given: Vec<&str> = Vec::new();
    for e in entries {
        let Some((value, feature)) = e.rsplit_once('=') else {
            return Err(CliError::Fit(format!(
                "--map {e:?}: expected VALUE=FEATURE, such as --map Audio=p2p_av_call"
            )));
        };
        let valid = !feature.is_empty()
            && feature
                .chars()
                .all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '-');
        if !valid || feature == "all" {
            return Err(CliError::Fit(format!(
                "--map {e:?}: {feature:?} is not a feature name (letters, digits, _ and -; not \
                 \"all\"); `drainsim features` lists the catalogue"
            )));
        }
        if given.contains(&value) {
            return Err(CliError::Fit(format!(
                "--map: value {value:?} is mapped twice"
            )));
        }
        given.push(value);
        map.retain(|(v, _)| v != value);
        map.push((value.to_string(), feature.to_string()));
    }
    Ok(map)
}

/// Reads the export, every row, into sessions per value of the feature column.
fn gather(path: &Path, export: &str, columns: &TraceColumns) -> Result<Gathered, CliError> {
    let file =
        File::open(path).map_err(|e| CliError::Fit(format!("{export}: cannot read: {e}")))?;
    let at = |e: crate::scenario::trace::TraceError| {
        CliError::Fit(if e.line == 0 {
            format!("{export}: {}", e.message)
        } else {
            format!("{export}:{}: {}", e.line, e.message)
        })
    };
    let mut reader =
        TraceReader::new(BufReader::new(file), columns, FeatureMap::Learn).map_err(at)?;
    let mut sessions: Vec<Sessions> = Vec::new();
    let mut window = Window::default();
    let mut rows = 0;
    // Every bad row is reported, one per line (the first ones, then a count).
    let mut bad = BadRows::default();
    for row in reader.by_ref() {
        let row = match row {
            Ok(row) => row,
            Err(e) => {
                bad.push(e);
                continue;
            }
        };
        let i = usize::from(row.feature);
        if i >= sessions.len() {
            sessions.resize_with(i + 1, Sessions::default);
        }
        sessions[i].add(row.start_s, row.end_s);
        window.add(row.start_s);
        rows += 1;
    }
    if !bad.is_empty() {
        let more = bad.more_message().map(|m| format!("{export}: {m}"));
        let lines: Vec<String> = (bad.shown.into_iter())
            .map(|e| at(e).to_string())
            .chain(more)
            .collect();
        return Err(CliError::Fit(lines.join("\n")));
    }
    Ok(Gathered {
        values: reader.values().to_vec(),
        sessions,
        window,
        rows,
        skipped_open: reader.skipped(),
    })
}

/// Values grouped by feature, in order of first appearance: (feature name or value, mapped,
/// values, their sessions merged).
fn group(g: &Gathered, map: &[(String, String)]) -> Vec<(String, bool, Vec<String>, Sessions)> {
    let mut groups: Vec<(String, bool, Vec<String>, Sessions)> = Vec::new();
    for (value, sessions) in g.values.iter().zip(&g.sessions) {
        let target = map
            .iter()
            .find(|(v, _)| v == value)
            .map(|(_, f)| f.clone())
            .or_else(|| is_feature(value).then(|| value.clone()));
        let (name, mapped) = match target {
            Some(f) => (f, true),
            None => (value.clone(), false),
        };
        match groups
            .iter_mut()
            .find(|(n, m, ..)| *m && mapped && *n == name)
        {
            Some(gr) => {
                gr.2.push(value.clone());
                gr.3.merge(sessions);
            }
            None => groups.push((name, mapped, vec![value.clone()], sessions.clone())),
        }
    }
    groups
}

fn is_feature(name: &str) -> bool {
    catalogue_entry(name).is_some() || KNOWN_FEATURES.contains(&name)
}

fn feature_input<'a>(
    name: &str,
    mapped: bool,
    values: &[String],
    sessions: &'a Sessions,
    window: &Window,
    stem: Option<&str>,
) -> FeatureInput<'a> {
    let duration = fit::fit_durations(&sessions.durations_s);
    let empirical_file = match (&duration, stem) {
        (Some(d), Some(stem)) if mapped && d.choice == fit::DurationChoice::Empirical => {
            Some(format!("{stem}-{}.csv", file_safe(name)))
        }
        _ => None,
    };
    FeatureInput {
        name: name.to_string(),
        values: values.to_vec(),
        mapped,
        in_catalogue: is_feature(name),
        sessions,
        profile: fit::hourly_profile(&sessions.per_hour, window),
        duration,
        empirical_file,
    }
}

/// `name` with anything but letters, digits, `_` and `-` replaced by `_`.
fn file_safe(name: &str) -> String {
    name.chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || c == '-' {
                c
            } else {
                '_'
            }
        })
        .collect()
}

/// What the administrator should know, on standard error.
fn notes(export: &str, g: &Gathered, input: &ScenarioInput<'_>) {
    if g.skipped_open > 0 {
        eprintln!(
            "{export}: {} row(s) with no end time (NULL or empty) left out",
            g.skipped_open
        );
    }
    for f in input.features.iter().filter(|f| !f.mapped) {
        eprintln!(
            "{export}: value {:?} has no feature; its block is commented out (map it with \
             --map {:?}=FEATURE)",
            f.values[0], f.values[0]
        );
    }
    for f in &input.features {
        if f.mapped
            && f.empirical_file.is_none()
            && f.duration
                .as_ref()
                .is_some_and(|d| d.choice == fit::DurationChoice::Empirical)
        {
            eprintln!(
                "{export}: no family fits {}'s durations; with --out, fit writes them as an \
                 empirical file",
                f.name
            );
        }
    }
}

/// Writes the empirical files, then the scenario, each atomically, after checking that none
/// would replace a file `fit` did not write.
fn write_all(
    out: &Path,
    export: &str,
    input: &ScenarioInput<'_>,
    text: &str,
) -> Result<(), CliError> {
    let dir = out.parent().unwrap_or(Path::new(""));
    let mut files: Vec<(PathBuf, String)> = Vec::new();
    for f in &input.features {
        if let Some(name) = &f.empirical_file {
            let body = fit::durations_csv(export, &f.name, &f.sessions.durations_s);
            files.push((dir.join(name), body));
        }
    }
    files.push((out.to_path_buf(), text.to_string()));
    for (path, _) in &files {
        refuse_foreign(path)?;
    }
    for (path, body) in &files {
        write_atomically(path, body)?;
    }
    Ok(())
}

/// Refuses `path` unless it is absent or a regular file `fit` wrote (its first bytes are
/// [`MARKER`]); only those first bytes are read. A link is followed to the file it points to;
/// a link to nothing, a device or a pipe is refused.
fn refuse_foreign(path: &Path) -> Result<(), CliError> {
    if std::fs::symlink_metadata(path).is_err() {
        return Ok(());
    }
    let ours = crate::files::read_head(path, MARKER.len() as u64)
        .is_ok_and(|head| head == MARKER.as_bytes());
    if ours {
        Ok(())
    } else {
        Err(CliError::Fit(format!(
            "{}: exists and was not written by drainsim fit; choose another --out, or move it \
             away (drainsim never overwrites a file it did not write)",
            path.display()
        )))
    }
}

/// Writes `body` to `path` through a temporary file created exclusively beside it (never
/// through a link left under a temporary name), renamed over `path`; a link given as `path`
/// is followed (checked by [`refuse_foreign`] to lead to a file `fit` wrote).
fn write_atomically(path: &Path, body: &str) -> Result<(), CliError> {
    let target = std::fs::canonicalize(path).unwrap_or_else(|_| path.to_path_buf());
    crate::files::replace_file(&target, body.as_bytes())
        .map_err(|e| CliError::Fit(format!("cannot write {}: {e}", path.display())))
}
