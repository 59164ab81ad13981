//! `[trace]` (R13): the call-detail export replayed for the features it maps. The file is read
//! once here, to the end, so that every bad row is reported before anything runs; the sessions
//! a run can see are copied as they are read ([`super::super::spool`]), and the replications
//! replay that copy: the export is not read again.

use std::sync::Arc;

use super::super::ctx::{Ctx, Diagnostic, FileSource, Opener, one_of};
use super::super::raw::RawTrace;
use super::super::span::FieldPath;
use super::super::spool::{Spool, SpoolWriter};
use super::super::trace::{
    BadRows, FeatureMap, TraceColumns, TraceError, TraceReader, parse_instant,
};
use crate::engine::SimTime;
use crate::model::profile::DAY_S;
use crate::model::trace::{Trace, TraceMode, TraceSession};

/// The trace of a scenario, and the time of day of its start (the default `clock_start`).
pub(super) struct Validated {
    pub trace: Trace,
    pub clock_start_s: f64,
}

/// The names of the features `[trace.features]` maps to, in file order, each once.
pub(super) fn mapped_features(raw: &Option<RawTrace>) -> Vec<String> {
    let mut out: Vec<String> = Vec::new();
    for v in raw.iter().flat_map(|t| t.features.values()) {
        if let Some(name) = v.as_str()
            && !out.iter().any(|n| n == name)
        {
            out.push(name.to_string());
        }
    }
    out
}

/// `[trace]`, checked against the scenario's features and horizon.
pub(super) fn validate_trace(
    ctx: &mut Ctx<'_>,
    raw: &RawTrace,
    features: &[String],
    horizon: Option<SimTime>,
    files: &dyn FileSource,
) -> Option<Validated> {
    let p = FieldPath::root().key("trace");
    let before = ctx.diags.len();
    let mode = match raw.mode.as_deref() {
        None => Some(TraceMode::Replay),
        Some(m) => ctx.pick(
            p.key("mode"),
            one_of(
                m,
                &[
                    ("replay", TraceMode::Replay),
                    ("bootstrap", TraceMode::Bootstrap),
                ],
            ),
        ),
    };
    let defaults = TraceColumns::default();
    let columns = TraceColumns {
        start: raw.columns.start.clone().unwrap_or(defaults.start),
        end: raw.columns.end.clone().unwrap_or(defaults.end),
        feature: raw.columns.feature.clone().unwrap_or(defaults.feature),
    };
    let map = feature_map(ctx, &p.key("features"), raw, features);
    let start = match &raw.start {
        Some(s) => Some(ctx.pick(p.key("start"), parse_instant(s))?),
        None => None,
    };
    let opener = ctx.pick(p.key("file"), files.opener(&raw.file))?;
    if ctx.diags.len() > before {
        return None;
    }
    let shown = files.display(&raw.file);
    // The trace's features, each once, in the order of `[trace.features]`; a row carries the
    // index of its feature here.
    let mut feature_names: Vec<String> = Vec::new();
    for (_, _, f) in &map {
        if !feature_names.contains(f) {
            feature_names.push(f.clone());
        }
    }
    let fixed = (map.iter())
        .map(|(value, _, f)| {
            let ix = feature_names.iter().position(|n| n == f).unwrap_or(0);
            (value.clone(), ix as u16)
        })
        .collect();
    let scan = match scan(&opener, &columns, fixed, start, horizon) {
        Ok(s) => s,
        Err(errors) => {
            for (line, message) in errors {
                ctx.diags.push(Diagnostic {
                    file: shown.clone(),
                    position: line.map(|l| (l as usize, 0)),
                    path: String::new(),
                    message,
                });
            }
            return None;
        }
    };
    let origin = start.or(scan.first_start)?;
    if scan.overlapping == 0 {
        let span = match (scan.first_start, scan.last_end) {
            (Some(a), Some(b)) => format!(
                "its sessions run from {} to {} s after `start`",
                fmt_s(a - origin),
                fmt_s(b - origin)
            ),
            _ => "it has no sessions of the mapped features".to_string(),
        };
        let h = horizon.map_or(String::new(), |h| format!(" (0 to {h})"));
        ctx.err(
            &p.key("start"),
            format!("no session of the trace overlaps the simulated time{h}: {span}"),
        );
        return None;
    }
    Some(Validated {
        trace: Trace {
            feed: Arc::new(scan.sessions),
            mode: mode?,
            features: feature_names,
            source: raw.file.clone(),
        },
        clock_start_s: origin.rem_euclid(DAY_S),
    })
}

/// `s` seconds with one decimal, as messages show them.
fn fmt_s(s: f64) -> String {
    format!("{s:.1}")
}

/// `[trace.features]` as (value, feature index in `features`, feature name); every value a
/// string naming a defined feature.
fn feature_map(
    ctx: &mut Ctx<'_>,
    p: &FieldPath,
    raw: &RawTrace,
    features: &[String],
) -> Vec<(String, usize, String)> {
    if raw.features.is_empty() {
        ctx.err(
            p,
            "map at least one value of the feature column to a feature, e.g. \
             [trace.features] Audio = \"p2p_av_call\"",
        );
        return Vec::new();
    }
    let mut out = Vec::new();
    for (value, v) in &raw.features {
        let Some(name) = v.as_str() else {
            ctx.err(&p.key(value), "must be a feature name (a string)");
            continue;
        };
        match features.iter().position(|f| f == name) {
            Some(ix) => out.push((value.clone(), ix, name.to_string())),
            None => ctx.err(
                &p.key(value),
                match super::super::ctx::suggest(name, features.iter().map(String::as_str)) {
                    Some(s) => format!(
                        "feature \"{name}\" is not defined in this scenario; did you mean \
                         \"{s}\"? (or add {})",
                        super::features::feature_to_add(&[name.to_string()])
                    ),
                    None => format!(
                        "feature \"{name}\" is not defined in this scenario; add {}",
                        super::features::feature_to_add(&[name.to_string()])
                    ),
                },
            ),
        }
    }
    out
}

/// What one pass over the file found.
struct Scan {
    first_start: Option<f64>,
    last_end: Option<f64>,
    /// Sessions that overlap `[origin, origin + horizon)`.
    overlapping: u64,
    /// Those sessions, in simulated seconds, as the runs replay them.
    sessions: Spool,
}

/// Errors of a trace: (line, if there is one; message), in file order.
type ScanErrors = Vec<(Option<u64>, String)>;

/// Reads the whole file once: every bad row is an error (the first
/// [`MAX_REPORTED_ERRORS`](super::super::trace::MAX_REPORTED_ERRORS), then a count). The
/// sessions that end after the origin and start before the horizon are copied as they are
/// read, in simulated seconds, until a bad row is found.
fn scan(
    opener: &Opener,
    columns: &TraceColumns,
    map: Vec<(String, u16)>,
    mut start: Option<f64>,
    horizon: Option<SimTime>,
) -> Result<Scan, ScanErrors> {
    let at = |e: TraceError| ((e.line > 0).then_some(e.line), e.message);
    let input = opener().map_err(|e| vec![(None, e)])?;
    let reader =
        TraceReader::new(input, columns, FeatureMap::Fixed(map)).map_err(|e| vec![at(e)])?;
    let mut bad = BadRows::default();
    let h = horizon.map_or(f64::INFINITY, |h| h.as_secs_f64());
    let mut first_start = None;
    let mut last_end: Option<f64> = None;
    let mut overlapping = 0;
    let mut copy = SpoolWriter::new();
    // Rows are sorted by start: once one starts at the horizon, no later row is copied.
    let mut copying = true;
    for row in reader {
        let row = match row {
            Ok(row) if bad.is_empty() => row,
            // Once a row is bad the trace is refused: the rest is read for its errors only.
            Ok(_) => continue,
            Err(e) => {
                bad.push(e);
                continue;
            }
        };
        let origin = *start.get_or_insert(row.start_s);
        first_start.get_or_insert(row.start_s);
        last_end = Some(last_end.map_or(row.end_s, |e| e.max(row.end_s)));
        if row.end_s > origin && row.start_s < origin + h {
            overlapping += 1;
        }
        let session = TraceSession {
            start_s: row.start_s - origin,
            end_s: row.end_s - origin,
            feature: row.feature,
        };
        copying &= session.start_s < h;
        if copying && session.end_s > 0.0 {
            copy.push(&session)
                .map_err(|e| vec![(None, spool_error(&e))])?;
        }
    }
    if !bad.is_empty() {
        let more = bad.more_message();
        let mut errors: ScanErrors = bad.shown.into_iter().map(at).collect();
        errors.extend(more.map(|m| (None, m)));
        return Err(errors);
    }
    let sessions = copy.finish().map_err(|e| vec![(None, spool_error(&e))])?;
    Ok(Scan {
        first_start,
        last_end,
        overlapping,
        sessions,
    })
}

/// Why the copy of a trace could not be made.
fn spool_error(e: &std::io::Error) -> String {
    format!(
        "cannot copy the trace's sessions to a temporary file ({e}); the temporary folder \
         ({}) must be writable",
        std::env::temp_dir().display()
    )
}
