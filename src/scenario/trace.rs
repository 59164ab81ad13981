//! Call-detail exports (docs/formats.md, "Call-detail export (trace)"): one row per session,
//! with its start, its end and a value naming its kind (the Monitoring database's `Media`, for
//! example), read as a stream.
//!
//! The reader takes any [`std::io::Read`] and never opens a file, so checking a scenario's
//! trace (which also copies its sessions for the replications to replay, see
//! [`super::spool`]) and `drainsim fit` use the same code, and tests can feed it bytes. It
//! holds one row at a time: memory does not grow with the file.
//!
//! ## Decisions
//!
//! - **Times**: SQL Server datetime text (`2026-11-03 21:04:05.123`, with or without the
//!   fraction, `T` or a space between date and time), RFC 3339 (`…Z`, `…+01:00`: converted to
//!   UTC; SQL Server's `datetimeoffset` text with a space before the offset too), or a plain
//!   number of seconds. Text without an offset is taken as written (as UTC), so the clock hours
//!   of a trace are the ones the export shows. Parsed without allocating.
//! - **Sorted by start**: a stream cannot be sorted afterwards, so a row that starts before the
//!   previous one is an error that names the `ORDER BY` to add.
//! - **Empty or `NULL` end**: the session was still in progress when the data was exported (or
//!   the Monitoring agent never saw its end). Such rows are skipped and counted
//!   ([`TraceReader::skipped`]), not refused: an administrator exporting a live database
//!   always has a few, and refusing them would make every export fail. The caller reports the
//!   count.
//! - **Every bad row is an error, and reading goes on**: the iterator gives the error and then
//!   the rows after it, so a caller can report every bad row ([`BadRows`] keeps the first
//!   [`MAX_REPORTED_ERRORS`] and counts the others). Only an error after which the rows cannot
//!   be told apart ends the stream: the input cannot be read, or a row or the file is longer
//!   than its limit ([`TraceLimits`]: 1 MiB and 64 GiB; an export with a quote left open, or
//!   `/dev/zero`, stops there instead of filling memory). Messages quote at most
//!   [`QUOTED_CHARS`] characters of a value, and never past a line break.
//! - **Parsing by hand**: records are split by hand (a line found with `memchr`, split at its
//!   commas in place); a record holding a quote takes the slower quote-aware path (`""` is a
//!   quote, a quoted line break joins the next line). Line numbers are the file's own. Times
//!   are parsed by hand too (above). Measured against the libraries on one 10,000,000-row
//!   export (582 MB, SQL Server text with milliseconds) doing the same work per row, best of 3
//!   interleaved rounds on a shared 2-core machine (`benches/trace_parsers`):
//!
//!   | reader | ns per row | × this reader |
//!   |---|---|---|
//!   | this reader | 341 | 1.00 |
//!   | `csv` `ByteRecord`, splitting only | 231 | 0.68 |
//!   | `csv` `ByteRecord` + this module's time parser | 435 | 1.28 |
//!   | `csv` `ByteRecord` + `jiff` 1.0 `DateTimeParser` | 584 | 1.72 |
//!   | `csv` `ByteRecord` + `time` 0.3, one fixed format | 975 | 2.86 |
//!
//!   Both library pairs cost more than half again as much, so the hand parser stays. The
//!   `csv` crate alone would be cheap enough, but it has no limit on a record's length (a
//!   quote left open would take the rest of the file into one record), and it reads a space
//!   before a quote as data where exports mean a quoted field.
//! - **What `sqlcmd` adds**: the dashed line under the header and a `(N rows affected)` line
//!   are skipped, so `sqlcmd -s, -W` output reads as it is.

use std::fmt;
use std::io::{self, BufRead, BufReader, Read};

use super::ctx::did_you_mean;

/// Column names of a trace. The defaults are what the documented SQL produces.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TraceColumns {
    /// When the session started (`InviteTime`).
    pub start: String,
    /// When it ended (`EndTime`).
    pub end: String,
    /// Its kind, mapped to a feature (`Media`).
    pub feature: String,
}

impl Default for TraceColumns {
    fn default() -> Self {
        TraceColumns {
            start: "InviteTime".into(),
            end: "EndTime".into(),
            feature: "Media".into(),
        }
    }
}

/// The time formats a trace accepts, for messages.
pub const TIME_FORMATS: &str = "expected SQL Server datetime text such as \
    \"2026-11-03 21:04:05.123\", RFC 3339 such as \"2026-11-03T21:04:05Z\" or \
    \"2026-11-03T22:04:05+01:00\", or a number of seconds";

/// Plain numbers of seconds beyond this (about 31,700 years) are refused: they are not times,
/// and f64 seconds lose sub-millisecond precision long before.
const MAX_SECONDS: f64 = 1e12;

/// A timestamp as seconds: SQL Server datetime text and RFC 3339 give seconds since
/// 1970-01-01 UTC (text without an offset is taken as UTC); a plain number is seconds as
/// written. Surrounding spaces are ignored.
pub fn parse_instant(text: &str) -> Result<f64, String> {
    instant(trim(text.as_bytes())).ok_or_else(|| format!("{text:?} is not a time; {TIME_FORMATS}"))
}

/// [`parse_instant`] on bytes already trimmed; `None` if they are not a time.
fn instant(b: &[u8]) -> Option<f64> {
    instant_cached(b, &mut DayCache::default())
}

/// The last date parsed and its seconds since 1970-01-01: consecutive rows of an export share
/// their date, so most rows skip the calendar arithmetic.
#[derive(Debug, Clone, Copy, Default)]
struct DayCache {
    date: [u8; 10],
    secs: f64,
}

/// [`instant`], reusing `cache` when the date is the one before.
fn instant_cached(b: &[u8], cache: &mut DayCache) -> Option<f64> {
    if b.len() >= 10 && b[4] == b'-' && b[7] == b'-' {
        return date_time(b, cache);
    }
    let v: f64 = std::str::from_utf8(b).ok()?.parse().ok()?;
    (v.is_finite() && v.abs() <= MAX_SECONDS).then_some(v)
}

/// `YYYY-MM-DD[( |T)HH:MM[:SS[.fff…]]][ ][Z|±HH[:]MM]`: the fixed-width fast path for SQL
/// Server text, and RFC 3339.
fn date_time(b: &[u8], cache: &mut DayCache) -> Option<f64> {
    let mut secs = if b[..10] == cache.date {
        cache.secs
    } else {
        let year = digits(b, 0, 4)? as i64;
        let month = digits(b, 5, 2)?;
        let day = digits(b, 8, 2)?;
        if !(1..=12).contains(&month) || day == 0 || day > days_in_month(year, month) {
            return None;
        }
        let secs = days_from_civil(year, month, day) as f64 * 86_400.0;
        cache.date.copy_from_slice(&b[..10]);
        cache.secs = secs;
        secs
    };
    if b.len() == 10 {
        return Some(secs);
    }
    if !matches!(b[10], b' ' | b'T' | b't') || b.len() < 16 || b[13] != b':' {
        return None;
    }
    let hour = digits(b, 11, 2)?;
    let minute = digits(b, 14, 2)?;
    let mut i = 16;
    let mut second = 0;
    if b.get(i) == Some(&b':') {
        second = digits(b, 17, 2)?;
        i = 19;
    }
    // 60 only for an RFC 3339 leap second.
    if hour > 23 || minute > 59 || second > 60 {
        return None;
    }
    secs += f64::from(hour * 3600 + minute * 60 + second);
    if matches!(b.get(i), Some(b'.' | b',')) {
        i += 1;
        let start = i;
        let mut frac = 0u64;
        let mut scale = 1u64;
        while let Some(d) = b.get(i).filter(|c| c.is_ascii_digit()) {
            // Nanoseconds are the most any export writes; further digits are read and dropped.
            if i - start < 9 {
                frac = frac * 10 + u64::from(d - b'0');
                scale *= 10;
            }
            i += 1;
        }
        if i == start {
            return None;
        }
        secs += frac as f64 / scale as f64;
    }
    let rest = &b[i..];
    let rest = rest.strip_prefix(b" ").unwrap_or(rest);
    secs -= offset(rest)?;
    Some(secs)
}

/// The UTC offset written at the end of a time, in seconds: none, `Z`, `±HH:MM` or `±HHMM`.
fn offset(b: &[u8]) -> Option<f64> {
    let sign = match b {
        [] | [b'Z' | b'z'] => return Some(0.0),
        [b'+', ..] => 1.0,
        [b'-', ..] => -1.0,
        _ => return None,
    };
    let (h, m) = match b.len() {
        6 if b[3] == b':' => (digits(b, 1, 2)?, digits(b, 4, 2)?),
        5 => (digits(b, 1, 2)?, digits(b, 3, 2)?),
        _ => return None,
    };
    if h > 23 || m > 59 {
        return None;
    }
    Some(sign * f64::from(h * 3600 + m * 60))
}

/// The decimal number in `b[at..at + n]`, all digits.
#[inline]
fn digits(b: &[u8], at: usize, n: usize) -> Option<u32> {
    let s = b.get(at..at + n)?;
    let mut acc = 0u32;
    for &c in s {
        let d = c.wrapping_sub(b'0');
        if d > 9 {
            return None;
        }
        acc = acc * 10 + u32::from(d);
    }
    Some(acc)
}

fn days_in_month(year: i64, month: u32) -> u32 {
    match month {
        2 if year % 4 == 0 && (year % 100 != 0 || year % 400 == 0) => 29,
        2 => 28,
        4 | 6 | 9 | 11 => 30,
        _ => 31,
    }
}

/// Days from 1970-01-01 to the given date of the proleptic Gregorian calendar (Howard
/// Hinnant's `days_from_civil`).
fn days_from_civil(year: i64, month: u32, day: u32) -> i64 {
    let y = if month <= 2 { year - 1 } else { year };
    let era = y.div_euclid(400);
    let yoe = y - era * 400;
    let m = i64::from(month);
    let doy = (153 * (if m > 2 { m - 3 } else { m + 9 }) + 2) / 5 + i64::from(day) - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    era * 146_097 + doe - 719_468
}

/// `b` without ASCII spaces, tabs and carriage returns at either end.
fn trim(b: &[u8]) -> &[u8] {
    let is_space = |c: &u8| matches!(c, b' ' | b'\t' | b'\r');
    let start = b.iter().position(|c| !is_space(c)).unwrap_or(b.len());
    let end = b
        .iter()
        .rposition(|c| !is_space(c))
        .map_or(start, |e| e + 1);
    &b[start..end]
}

/// One session of the trace.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct TraceRow {
    /// The row's line in the file (the header is line 1).
    pub line: u64,
    /// Start, seconds (see [`parse_instant`]).
    pub start_s: f64,
    /// End, seconds, never before the start.
    pub end_s: f64,
    /// Index of its feature: the position of its value in [`TraceReader::values`].
    pub feature: u16,
}

/// A problem with a trace, at a 1-based line of the file (the header is line 1).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TraceError {
    /// Line (0 when the input could not be read at all).
    pub line: u64,
    /// What is wrong.
    pub message: String,
}

impl fmt::Display for TraceError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "line {}: {}", self.line, self.message)
    }
}

impl std::error::Error for TraceError {}

impl TraceError {
    fn new(line: u64, message: impl Into<String>) -> TraceError {
        TraceError {
            line,
            message: message.into(),
        }
    }
}

/// How values of the feature column become feature indices.
#[derive(Debug, Clone)]
pub enum FeatureMap {
    /// Each listed value gets the index beside it; a value not listed is an error that names
    /// it and lists the mapped ones.
    Fixed(Vec<(String, u16)>),
    /// Every distinct value gets the next index (0, 1, …); [`TraceReader::values`] lists them
    /// in order of first appearance.
    Learn,
}

/// Distinct values a [`FeatureMap::Learn`] takes before refusing more (an index is a `u16`,
/// and a column with thousands of values is not a feature column).
pub const MAX_LEARNED_VALUES: usize = 1000;

/// How long a trace and its rows may be: beyond either, reading stops with an error that
/// names the limit, instead of holding a quote left open or an endless input in memory.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct TraceLimits {
    /// Bytes of one row, its line ends (and the lines a quoted field runs over) included.
    pub record_bytes: usize,
    /// Bytes of the whole file.
    pub file_bytes: u64,
}

impl Default for TraceLimits {
    /// 1 MiB a row (a row of the documented export is under 100 bytes), 64 GiB a file (a
    /// year of sessions of the largest pool, 80,000 users, is about 30 GiB).
    fn default() -> Self {
        TraceLimits {
            record_bytes: 1 << 20,
            file_bytes: 64 << 30,
        }
    }
}

/// Bad rows a caller reports one by one ([`BadRows`]); beyond them it gives a count.
pub const MAX_REPORTED_ERRORS: usize = 20;

/// The errors of a trace as a caller reports them: the first [`MAX_REPORTED_ERRORS`], then
/// how many more there were.
#[derive(Debug, Default)]
pub struct BadRows {
    /// The errors reported one by one, in file order.
    pub shown: Vec<TraceError>,
    /// Errors beyond those.
    pub more: u64,
}

impl BadRows {
    /// Counts `e`, keeping it if fewer than [`MAX_REPORTED_ERRORS`] are kept.
    pub fn push(&mut self, e: TraceError) {
        if self.shown.len() < MAX_REPORTED_ERRORS {
            self.shown.push(e);
        } else {
            self.more += 1;
        }
    }

    /// No error yet.
    pub fn is_empty(&self) -> bool {
        self.shown.is_empty()
    }

    /// The line that closes a report of more errors than were shown, if there were more.
    pub fn more_message(&self) -> Option<String> {
        (self.more > 0).then(|| {
            format!(
                "and {} more bad row{} (the first {MAX_REPORTED_ERRORS} are shown)",
                self.more,
                if self.more == 1 { "" } else { "s" }
            )
        })
    }
}

/// The input with a UTF-8 byte-order mark (SQL Server Management Studio and PowerShell write
/// one) taken off its start.
type Unmarked<R> = io::Chain<io::Cursor<Vec<u8>>, R>;

/// Reads a trace row by row; see the module documentation.
pub struct TraceReader<R: Read> {
    record: Records<BufReader<Unmarked<R>>>,
    /// Field indices of start, end and feature.
    at: [usize; 3],
    columns: TraceColumns,
    map: FeatureMap,
    values: Vec<String>,
    last_start_s: f64,
    last_start_line: u64,
    skipped: u64,
    first_skipped_line: Option<u64>,
    /// No record read yet after the header.
    after_header: bool,
    days: DayCache,
    done: bool,
}

impl<R: Read> TraceReader<R> {
    /// Reads the header and finds the three columns: a missing one is an error naming it and
    /// listing the header's columns. Column names match exactly, or else ignoring case (SQL
    /// Server's own names are case-insensitive) if only one column matches that way.
    pub fn new(input: R, columns: &TraceColumns, map: FeatureMap) -> Result<Self, TraceError> {
        Self::with_limits(input, columns, map, TraceLimits::default())
    }

    /// [`TraceReader::new`] with other limits than the defaults.
    pub fn with_limits(
        input: R,
        columns: &TraceColumns,
        map: FeatureMap,
        limits: TraceLimits,
    ) -> Result<Self, TraceError> {
        let input = unmarked(input).map_err(|e| TraceError::new(0, format!("cannot read: {e}")))?;
        let mut record = Records::new(BufReader::with_capacity(1 << 16, input), limits);
        let line = loop {
            match record.next_record()? {
                None => {
                    return Err(TraceError::new(
                        record.lines.max(1),
                        "the file is empty; expected a header row naming the columns",
                    ));
                }
                // Blank lines before the header are skipped.
                Some(_) if record.is_blank() => continue,
                Some(line) => break line,
            }
        };
        let names: Vec<String> = (0..record.len())
            .map(|i| String::from_utf8_lossy(trim(record.get(i).unwrap_or_default())).into_owned())
            .collect();
        let at = [
            find_column(&names, line, "start", &columns.start)?,
            find_column(&names, line, "end", &columns.end)?,
            find_column(&names, line, "feature", &columns.feature)?,
        ];
        let values = match &map {
            FeatureMap::Fixed(pairs) => pairs.iter().map(|(v, _)| v.clone()).collect(),
            FeatureMap::Learn => Vec::new(),
        };
        Ok(TraceReader {
            record,
            at,
            columns: columns.clone(),
            map,
            values,
            last_start_s: f64::NEG_INFINITY,
            last_start_line: 1,
            skipped: 0,
            first_skipped_line: None,
            after_header: true,
            days: DayCache::default(),
            done: false,
        })
    }

    /// The values of the feature column: with [`FeatureMap::Learn`] every distinct value seen
    /// so far, in order of first appearance (a row's `feature` is its index here); with
    /// [`FeatureMap::Fixed`] the mapped values in the map's order.
    pub fn values(&self) -> &[String] {
        &self.values
    }

    /// Rows skipped so far because their end was empty or `NULL` (sessions still in progress
    /// when the data was exported).
    pub fn skipped(&self) -> u64 {
        self.skipped
    }

    /// The line of the first row skipped for an empty or `NULL` end, if any.
    pub fn first_skipped_line(&self) -> Option<u64> {
        self.first_skipped_line
    }

    /// The next row, `Ok(None)` at the end of the file.
    fn next_row(&mut self) -> Result<Option<TraceRow>, TraceError> {
        loop {
            let line = match self.record.next_record() {
                Ok(Some(line)) => line,
                Ok(None) => return Ok(None),
                Err(e) => {
                    self.done = true;
                    return Err(e);
                }
            };
            if self.record.is_blank() {
                continue;
            }
            let decoration = self.is_sqlcmd_decoration();
            self.after_header = false;
            if decoration {
                continue;
            }
            if let Some(row) = self.row(line)? {
                return Ok(Some(row));
            }
        }
    }

    /// The current record as a row; `None` if it is skipped for an open end.
    fn row(&mut self, line: u64) -> Result<Option<TraceRow>, TraceError> {
        let [start_at, end_at, feature_at] = self.at;
        let Self {
            record, columns, ..
        } = self;
        let start = field(record, columns, line, start_at, Role::Start)?;
        if start.is_empty() || is_null(start) {
            return Err(TraceError::new(
                line,
                format!("the start ({}) is empty", columns.start),
            ));
        }
        let start_s = instant_cached(start, &mut self.days)
            .ok_or_else(|| bad_time(columns, line, Role::Start, start))?;
        if start_s < self.last_start_s {
            return Err(TraceError::new(
                line,
                format!(
                    "this row starts before the previous one (line {}): the file must be sorted \
                     by start time; sort the export by its start column (ORDER BY {})",
                    self.last_start_line, columns.start
                ),
            ));
        }
        self.last_start_s = start_s;
        self.last_start_line = line;
        let end = field(record, columns, line, end_at, Role::End)?;
        if end.is_empty() || is_null(end) {
            self.skipped += 1;
            self.first_skipped_line.get_or_insert(line);
            return Ok(None);
        }
        let end_s = instant_cached(end, &mut self.days)
            .ok_or_else(|| bad_time(columns, line, Role::End, end))?;
        if end_s < start_s {
            return Err(TraceError::new(
                line,
                format!(
                    "the end ({} {}) is before the start ({} {})",
                    columns.end,
                    clip(end),
                    columns.start,
                    clip(start),
                ),
            ));
        }
        let value = field(record, columns, line, feature_at, Role::Feature)?;
        let feature = feature_of(&self.map, &mut self.values, columns, line, value)?;
        Ok(Some(TraceRow {
            line,
            start_s,
            end_s,
            feature,
        }))
    }

    /// `sqlcmd` writes a line of dashes under the header and, unless the query sets
    /// `NOCOUNT ON`, a `(N rows affected)` line at the end.
    fn is_sqlcmd_decoration(&self) -> bool {
        if !self.after_header && self.record.len() != 1 {
            return false;
        }
        let first = self.record.get(0).map(trim).unwrap_or_default();
        let dashes = self.after_header
            && (0..self.record.len()).all(|i| {
                let f = trim(self.record.get(i).unwrap_or_default());
                !f.is_empty() && f.iter().all(|&c| c == b'-')
            });
        let affected = self.record.len() == 1
            && first.starts_with(b"(")
            && (first.ends_with(b"rows affected)") || first.ends_with(b"row affected)"));
        dashes || affected
    }
}

impl<R: Read> Iterator for TraceReader<R> {
    type Item = Result<TraceRow, TraceError>;

    fn next(&mut self) -> Option<Self::Item> {
        if self.done {
            return None;
        }
        let next = self.next_row();
        if matches!(next, Ok(None)) {
            self.done = true;
        }
        next.transpose()
    }
}

/// The three columns a trace reads.
#[derive(Clone, Copy)]
enum Role {
    Start,
    End,
    Feature,
}

impl Role {
    fn column(self, columns: &TraceColumns) -> &str {
        match self {
            Role::Start => &columns.start,
            Role::End => &columns.end,
            Role::Feature => &columns.feature,
        }
    }
}

/// Field `at` of `record`, trimmed.
fn field<'r, B: BufRead>(
    record: &'r Records<B>,
    columns: &TraceColumns,
    line: u64,
    at: usize,
    role: Role,
) -> Result<&'r [u8], TraceError> {
    record.get(at).map(trim).ok_or_else(|| {
        TraceError::new(
            line,
            format!(
                "the row has {} field{}, but column {} is field {}",
                record.len(),
                if record.len() == 1 { "" } else { "s" },
                role.column(columns),
                at + 1
            ),
        )
    })
}

fn bad_time(columns: &TraceColumns, line: u64, role: Role, text: &[u8]) -> TraceError {
    TraceError::new(
        line,
        format!(
            "{} {:?} is not a time; {TIME_FORMATS}",
            role.column(columns),
            clip(text)
        ),
    )
}

/// Characters of a value that a message quotes at most.
pub const QUOTED_CHARS: usize = 60;

/// `b` as text for a message: up to its first line break and at most [`QUOTED_CHARS`]
/// characters, with `…` where it was cut.
fn clip(b: &[u8]) -> String {
    let text = String::from_utf8_lossy(b);
    let line = text.split(['\n', '\r']).next().unwrap_or_default();
    let mut out: String = line.chars().take(QUOTED_CHARS).collect();
    if out.len() < text.len() {
        out.push('…');
    }
    out
}

/// The feature index of `value`.
fn feature_of(
    map: &FeatureMap,
    values: &mut Vec<String>,
    columns: &TraceColumns,
    line: u64,
    value: &[u8],
) -> Result<u16, TraceError> {
    match map {
        FeatureMap::Fixed(pairs) => pairs
            .iter()
            .find(|(v, _)| v.as_bytes() == value)
            .map(|(_, f)| *f)
            .ok_or_else(|| unmapped(values, columns, line, value)),
        FeatureMap::Learn => {
            if let Some(i) = values.iter().position(|v| v.as_bytes() == value) {
                return Ok(i as u16);
            }
            if values.len() >= MAX_LEARNED_VALUES {
                return Err(TraceError::new(
                    line,
                    format!(
                        "column {} has more than {MAX_LEARNED_VALUES} distinct values; is it the \
                         column that names the kind of session?",
                        columns.feature
                    ),
                ));
            }
            values.push(String::from_utf8_lossy(value).into_owned());
            Ok((values.len() - 1) as u16)
        }
    }
}

fn unmapped(values: &[String], columns: &TraceColumns, line: u64, value: &[u8]) -> TraceError {
    let value = clip(value);
    let mapped = values
        .iter()
        .map(|v| format!("{v:?}"))
        .collect::<Vec<_>>()
        .join(", ");
    TraceError::new(
        line,
        format!(
            "{} value {value:?} is not mapped to a feature (mapped: {mapped}){}; map it, or leave \
             such rows out of the export",
            columns.feature,
            did_you_mean(&value, values.iter().map(String::as_str)),
        ),
    )
}

/// The index of column `name` in the header `names`.
fn find_column(names: &[String], line: u64, role: &str, name: &str) -> Result<usize, TraceError> {
    let exact: Vec<usize> = (0..names.len()).filter(|&i| names[i] == name).collect();
    let found = if exact.is_empty() {
        (0..names.len())
            .filter(|&i| names[i].eq_ignore_ascii_case(name))
            .collect()
    } else {
        exact
    };
    match found[..] {
        [i] => Ok(i),
        [] => Err(TraceError::new(
            line,
            format!(
                "no {role} column {name:?} in the header (its columns: {}){}",
                header_list(names),
                did_you_mean(name, names.iter().map(String::as_str)),
            ),
        )),
        [a, b, ..] => Err(TraceError::new(
            line,
            format!(
                "the header has two columns named {name:?} (columns {} and {}); give one \
                 another name in the query (AS …)",
                a + 1,
                b + 1
            ),
        )),
    }
}

/// Header columns a message lists at most.
const LISTED_COLUMNS: usize = 30;

/// The header's column names for a message: each clipped, at most [`LISTED_COLUMNS`].
fn header_list(names: &[String]) -> String {
    let mut list: Vec<String> = (names.iter().take(LISTED_COLUMNS))
        .map(|n| format!("{:?}", clip(n.as_bytes())))
        .collect();
    if names.len() > LISTED_COLUMNS {
        list.push(format!("and {} more", names.len() - LISTED_COLUMNS));
    }
    list.join(", ")
}

fn is_null(b: &[u8]) -> bool {
    b.eq_ignore_ascii_case(b"NULL")
}

/// Splits the input into records: lines, or several lines when a quoted field holds a line
/// break. A record without quotes is split at its commas in place; one with quotes is parsed
/// field by field (`""` inside quotes is a quote) into a scratch buffer. A record longer than
/// [`TraceLimits::record_bytes`] or a file longer than [`TraceLimits::file_bytes`] is an error, so a
/// quote left open or an endless input never makes memory or time grow without bound.
struct Records<R: BufRead> {
    input: R,
    /// The record's bytes, as read (with its line end).
    line: Vec<u8>,
    /// Unquoted field contents, for a record with quotes.
    scratch: Vec<u8>,
    /// Field ranges, into `line` or into `scratch` (`quoted`).
    ranges: Vec<(usize, usize)>,
    quoted: bool,
    /// Lines read so far.
    lines: u64,
    /// Bytes read so far (after the byte-order mark).
    bytes: u64,
    limits: TraceLimits,
}

impl<R: BufRead> Records<R> {
    fn new(input: R, limits: TraceLimits) -> Self {
        Records {
            input,
            line: Vec::with_capacity(256),
            scratch: Vec::new(),
            ranges: Vec::with_capacity(16),
            quoted: false,
            lines: 0,
            bytes: 0,
            limits,
        }
    }

    /// Appends the next line to `line`, reading no more than the record's limit allows (one
    /// byte more, to tell a record at the limit from one beyond it); the bytes read.
    fn read_line(&mut self, first: u64) -> Result<usize, TraceError> {
        let room = self.limits.record_bytes.saturating_sub(self.line.len()) as u64 + 1;
        let n = (&mut self.input)
            .take(room)
            .read_until(b'\n', &mut self.line)
            .map_err(|e| TraceError::new(self.lines + 1, format!("cannot read: {e}")))?;
        self.bytes += n as u64;
        if self.line.len() > self.limits.record_bytes {
            let quotes = memchr::memchr_iter(b'"', &self.line).count();
            let why = if quotes % 2 == 1 {
                "a quote opened in it is never closed"
            } else {
                "no line end"
            };
            return Err(TraceError::new(
                first,
                format!(
                    "this row runs on for more than {} bytes ({why}); a row of an export is a \
                     few hundred bytes: is this file a CSV export?",
                    self.limits.record_bytes
                ),
            ));
        }
        if self.bytes > self.limits.file_bytes {
            return Err(TraceError::new(
                self.lines + 1,
                format!(
                    "the file is longer than {} bytes, the most a trace may be; export a \
                     shorter period",
                    self.limits.file_bytes
                ),
            ));
        }
        Ok(n)
    }

    /// Reads the next record; returns the line it began on, or `None` at the end. Every error
    /// is fatal: the records after it cannot be told apart.
    fn next_record(&mut self) -> Result<Option<u64>, TraceError> {
        self.line.clear();
        let first = self.lines + 1;
        if self.read_line(first)? == 0 {
            return Ok(None);
        }
        self.lines += 1;
        // An odd number of quotes: a quoted field runs on to the next line.
        let mut quotes = memchr::memchr_iter(b'"', &self.line).count();
        while quotes % 2 == 1 {
            let from = self.line.len();
            if self.read_line(first)? == 0 {
                break; // an unterminated quote runs to the end of the file
            }
            self.lines += 1;
            quotes += memchr::memchr_iter(b'"', &self.line[from..]).count();
        }
        let mut end = self.line.len();
        while end > 0 && matches!(self.line[end - 1], b'\n' | b'\r') {
            end -= 1;
        }
        self.ranges.clear();
        self.quoted = quotes > 0;
        if self.quoted {
            self.split_quoted(end);
        } else {
            let mut start = 0;
            for comma in memchr::memchr_iter(b',', &self.line[..end]) {
                self.ranges.push((start, comma));
                start = comma + 1;
            }
            self.ranges.push((start, end));
        }
        Ok(Some(first))
    }

    /// Fields of `line[..end]`, quotes removed, into `scratch`.
    fn split_quoted(&mut self, end: usize) {
        self.scratch.clear();
        let line = &self.line[..end];
        let mut i = 0;
        loop {
            let start = self.scratch.len();
            // Spaces before an opening quote do not make it data.
            let mut j = i;
            while j < line.len() && matches!(line[j], b' ' | b'\t') {
                j += 1;
            }
            if j < line.len() && line[j] == b'"' {
                i = j + 1;
                while i < line.len() {
                    if line[i] == b'"' {
                        if line.get(i + 1) == Some(&b'"') {
                            self.scratch.push(b'"');
                            i += 2;
                            continue;
                        }
                        i += 1;
                        break;
                    }
                    self.scratch.push(line[i]);
                    i += 1;
                }
            }
            // Up to the next comma (after a closing quote: anything there is kept as data).
            while i < line.len() && line[i] != b',' {
                self.scratch.push(line[i]);
                i += 1;
            }
            self.ranges.push((start, self.scratch.len()));
            if i >= line.len() {
                break;
            }
            i += 1;
        }
    }

    /// A line with nothing but spaces.
    fn is_blank(&self) -> bool {
        self.len() == 1 && trim(self.get(0).unwrap_or_default()).is_empty()
    }

    fn len(&self) -> usize {
        self.ranges.len()
    }

    fn get(&self, i: usize) -> Option<&[u8]> {
        let &(a, b) = self.ranges.get(i)?;
        Some(if self.quoted {
            &self.scratch[a..b]
        } else {
            &self.line[a..b]
        })
    }
}

/// `input` without a leading UTF-8 byte-order mark.
fn unmarked<R: Read>(mut input: R) -> io::Result<Unmarked<R>> {
    let mut head = Vec::with_capacity(3);
    let mut byte = [0u8; 1];
    // Byte by byte until three are read or the input ends, so a short read cannot split the mark.
    while head.len() < 3 {
        match input.read(&mut byte) {
            Ok(0) => break,
            Ok(_) => head.push(byte[0]),
            Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
            Err(e) => return Err(e),
        }
    }
    if head == b"\xEF\xBB\xBF" {
        head.clear();
    }
    Ok(io::Cursor::new(head).chain(input))
}

#[cfg(test)]
mod tests {
    use super::*;

    const HEADER: &str = "InviteTime,EndTime,Media\n";

    fn read(text: &str, map: FeatureMap) -> Result<(Vec<TraceRow>, Vec<String>, u64), TraceError> {
        let mut r = TraceReader::new(text.as_bytes(), &TraceColumns::default(), map)?;
        let rows = r.by_ref().collect::<Result<Vec<_>, _>>()?;
        Ok((rows, r.values().to_vec(), r.skipped()))
    }

    fn error(text: &str, map: FeatureMap) -> TraceError {
        match read(text, map) {
            Ok(r) => panic!("expected an error, read {r:?}"),
            Err(e) => e,
        }
    }

    fn fixed(pairs: &[(&str, u16)]) -> FeatureMap {
        FeatureMap::Fixed(pairs.iter().map(|(v, f)| (v.to_string(), *f)).collect())
    }

    #[test]
    fn sql_server_text_with_and_without_fraction_and_t() {
        // 2026-11-03 is day 20,760 since 1970-01-01.
        let day = 20_760.0 * 86_400.0;
        let at = day + 21.0 * 3600.0 + 4.0 * 60.0 + 5.0;
        assert_eq!(parse_instant("2026-11-03 21:04:05"), Ok(at));
        assert_eq!(parse_instant("2026-11-03T21:04:05"), Ok(at));
        assert_eq!(parse_instant(" 2026-11-03 21:04:05.123 "), Ok(at + 0.123));
        assert_eq!(
            parse_instant("2026-11-03 21:04:05.1234567"),
            Ok(at + 0.1234567)
        );
        assert_eq!(parse_instant("2026-11-03 21:04"), Ok(at - 5.0));
        assert_eq!(parse_instant("2026-11-03"), Ok(day));
        assert_eq!(parse_instant("1970-01-01 00:00:00"), Ok(0.0));
        assert_eq!(parse_instant("1969-12-31 23:59:59"), Ok(-1.0));
        assert_eq!(parse_instant("2000-03-01"), Ok(11_017.0 * 86_400.0));
        assert_eq!(parse_instant("2024-02-29"), Ok(19_782.0 * 86_400.0));
    }

    #[test]
    fn rfc3339_offsets_are_converted_to_utc() {
        let utc = parse_instant("2026-11-03T21:04:05Z").unwrap();
        assert_eq!(parse_instant("2026-11-03 21:04:05"), Ok(utc));
        assert_eq!(parse_instant("2026-11-03T22:04:05+01:00"), Ok(utc));
        assert_eq!(parse_instant("2026-11-03T16:34:05-04:30"), Ok(utc));
        assert_eq!(parse_instant("2026-11-03T22:04:05+0100"), Ok(utc));
        // SQL Server datetimeoffset text.
        assert_eq!(parse_instant("2026-11-03 22:04:05.5 +01:00"), Ok(utc + 0.5));
        assert_eq!(parse_instant("2026-11-04T00:04:05+03:00"), Ok(utc));
    }

    #[test]
    fn plain_numbers_are_seconds_as_written() {
        assert_eq!(parse_instant("0"), Ok(0.0));
        assert_eq!(parse_instant("3600.5"), Ok(3600.5));
        assert_eq!(parse_instant("-12"), Ok(-12.0));
        assert_eq!(parse_instant("1.5e3"), Ok(1500.0));
    }

    #[test]
    fn what_is_not_a_time() {
        for bad in [
            "",
            "NaN",
            "inf",
            "1e300",
            "yesterday",
            "2026-13-01 00:00:00",
            "2026-02-29 00:00:00",
            "2026-11-31",
            "2026-11-03 24:00:00",
            "2026-11-03 21:60:00",
            "2026-11-03 21:04:05.",
            "2026-11-03 21:04:05+1",
            "2026-11-03 21:04:05+01:00x",
            "2026-11-03X21:04:05",
            "11/3/2026 9:04:05 PM",
            "2026-1-3 21:04:05",
            "２０２６-11-03",
        ] {
            let e = parse_instant(bad).expect_err(bad);
            assert!(e.contains("is not a time; expected SQL Server"), "{e}");
        }
    }

    #[test]
    fn rows_stream_with_line_numbers_and_crlf_and_a_bom() {
        let text = "\u{feff}InviteTime,EndTime,Media\r\n\
                    2026-11-03 08:00:00.000,2026-11-03 08:05:00.000,Audio\r\n\
                    2026-11-03 08:00:00.000,2026-11-03 08:00:30.250,IM\r\n\
                    \r\n\
                    \"2026-11-03 09:00:00\",\"2026-11-03 10:00:00\",\"Audio\"\r\n";
        let (rows, values, skipped) = read(text, fixed(&[("IM", 0), ("Audio", 1)])).expect("valid");
        assert_eq!(values, ["IM", "Audio"]);
        assert_eq!(skipped, 0);
        let t0 = parse_instant("2026-11-03 08:00:00").unwrap();
        assert_eq!(
            rows,
            [
                TraceRow {
                    line: 2,
                    start_s: t0,
                    end_s: t0 + 300.0,
                    feature: 1
                },
                TraceRow {
                    line: 3,
                    start_s: t0,
                    end_s: t0 + 30.25,
                    feature: 0
                },
                TraceRow {
                    line: 5,
                    start_s: t0 + 3600.0,
                    end_s: t0 + 7200.0,
                    feature: 1
                },
            ]
        );
    }

    #[test]
    fn a_quoted_header_after_a_bom_is_read() {
        // PowerShell's Export-Csv quotes every field and writes a byte-order mark.
        let text = "\u{feff}\"InviteTime\",\"EndTime\",\"Media\"\n\"10\",\"20\",\"IM\"\n";
        let (rows, _, _) = read(text, FeatureMap::Learn).expect("valid");
        assert_eq!(rows.len(), 1);
        assert_eq!((rows[0].start_s, rows[0].end_s), (10.0, 20.0));
    }

    #[test]
    fn learn_numbers_values_in_order_of_first_appearance() {
        let text = format!("{HEADER}1,2,Video\n1,3,IM\n2,4,Video\n3,5,Audio\n4,5,IM\n");
        let (rows, values, _) = read(&text, FeatureMap::Learn).expect("valid");
        assert_eq!(values, ["Video", "IM", "Audio"]);
        let features: Vec<u16> = rows.iter().map(|r| r.feature).collect();
        assert_eq!(features, [0, 1, 0, 2, 1]);
    }

    #[test]
    fn dates_changing_from_field_to_field_are_each_read() {
        let text = format!(
            "{HEADER}2026-11-03 23:59:59,2026-11-04 00:00:01,IM\n\
             2026-11-03 23:59:59.5,2026-11-03 23:59:59.5,IM\n\
             2026-12-31 23:00:00,2027-01-01 01:00:00,IM\n"
        );
        let (rows, _, _) = read(&text, FeatureMap::Learn).expect("valid");
        let lengths: Vec<f64> = rows.iter().map(|r| r.end_s - r.start_s).collect();
        assert_eq!(lengths, [2.0, 0.0, 7200.0]);
        assert_eq!(
            rows[2].start_s,
            parse_instant("2026-12-31T23:00:00Z").unwrap()
        );
    }

    #[test]
    fn quoted_fields_keep_commas_and_doubled_quotes() {
        let text = format!("{HEADER}1,2, \"App, \"\"Sharing\"\"\" \n\"3\",4,IM\n");
        let (rows, values, _) = read(&text, FeatureMap::Learn).expect("valid");
        assert_eq!(values, ["App, \"Sharing\"", "IM"]);
        assert_eq!((rows[1].line, rows[1].start_s), (3, 3.0));
    }

    #[test]
    fn columns_are_found_anywhere_and_case_insensitively() {
        let text = "Pool,media,ENDTIME,FrontEnd,InviteTime\np,IM,20,fe1,10\n";
        let (rows, values, _) = read(text, FeatureMap::Learn).expect("valid");
        assert_eq!((rows[0].start_s, rows[0].end_s), (10.0, 20.0));
        assert_eq!(values, ["IM"]);
    }

    #[test]
    fn null_or_empty_ends_are_skipped_and_counted() {
        let text = format!("{HEADER}1,2,IM\n2,NULL,IM\n3,,IM\n4,5,IM\n");
        let mut r =
            TraceReader::new(text.as_bytes(), &TraceColumns::default(), FeatureMap::Learn).unwrap();
        let rows: Vec<TraceRow> = r.by_ref().map(Result::unwrap).collect();
        assert_eq!(rows.iter().map(|r| r.line).collect::<Vec<_>>(), [2, 5]);
        assert_eq!(r.skipped(), 2);
        assert_eq!(r.first_skipped_line(), Some(3));
    }

    #[test]
    fn sqlcmd_dashes_and_row_count_are_skipped() {
        let text =
            "InviteTime,EndTime,Media\n----------,-------,-----\n1,2,IM\n\n(1 rows affected)\n";
        let (rows, _, _) = read(text, FeatureMap::Learn).expect("valid");
        assert_eq!(rows.len(), 1);
    }

    #[test]
    fn each_bad_row_is_an_error_at_its_line() {
        let learn = || FeatureMap::Learn;
        let cases: &[(String, u64, &str)] = &[
            (
                format!("{HEADER}1,2,IM\n2026-11-03 25:00:00,9,IM\n"),
                3,
                "InviteTime \"2026-11-03 25:00:00\" is not a time; expected SQL Server datetime text",
            ),
            (
                format!("{HEADER}1,soon,IM\n"),
                2,
                "EndTime \"soon\" is not a time",
            ),
            (
                format!("{HEADER}1,NaN,IM\n"),
                2,
                "EndTime \"NaN\" is not a time",
            ),
            (
                format!("{HEADER}10,5,IM\n"),
                2,
                "the end (EndTime 5) is before the start (InviteTime 10)",
            ),
            (
                format!("{HEADER}5,6,IM\n4,6,IM\n"),
                3,
                "starts before the previous one (line 2): the file must be sorted by start time; sort the export by its start column (ORDER BY InviteTime)",
            ),
            (
                format!("{HEADER}5,6\n"),
                2,
                "the row has 2 fields, but column Media is field 3",
            ),
            (
                format!("{HEADER}NULL,6,IM\n"),
                2,
                "the start (InviteTime) is empty",
            ),
            // Lines are the file's: a quoted line break and blank lines count, and the last
            // row needs no line end.
            (
                format!("{HEADER}1,2,\"I\nM\"\r\n\r\n3,x,IM"),
                5,
                "EndTime \"x\" is not a time",
            ),
        ];
        for (text, line, message) in cases {
            let e = error(text, learn());
            assert_eq!(e.line, *line, "{e}");
            assert!(e.message.contains(message), "{e}");
        }
    }

    #[test]
    fn an_unmapped_value_is_named_with_the_mapped_ones() {
        let text = format!("{HEADER}1,2,IM\n2,3,Vidoe\n");
        let e = error(&text, fixed(&[("IM", 0), ("Video", 1)]));
        assert_eq!(e.line, 3);
        assert_eq!(
            e.message,
            "Media value \"Vidoe\" is not mapped to a feature (mapped: \"IM\", \"Video\"); did \
             you mean \"Video\"?; map it, or leave such rows out of the export"
        );
        assert_eq!(e.to_string(), format!("line 3: {}", e.message));
    }

    #[test]
    fn a_missing_column_lists_the_header() {
        let text = "InviteTme,EndTime,Media\n1,2,IM\n";
        let e = error(text, FeatureMap::Learn);
        assert_eq!(e.line, 1);
        assert_eq!(
            e.message,
            "no start column \"InviteTime\" in the header (its columns: \"InviteTme\", \
             \"EndTime\", \"Media\"); did you mean \"InviteTme\"?"
        );
        let twice = "InviteTime,EndTime,Media,EndTime\n";
        assert!(
            error(twice, FeatureMap::Learn)
                .message
                .contains("two columns named \"EndTime\" (columns 2 and 4)")
        );
    }

    #[test]
    fn empty_header_only_and_garbage_inputs_never_panic() {
        let e = error("", FeatureMap::Learn);
        assert_eq!((e.line, e.message.contains("empty")), (1, true));
        assert_eq!(error("\u{feff}", FeatureMap::Learn).line, 1);
        let (rows, _, _) = read(HEADER, FeatureMap::Learn).expect("header only is no rows");
        assert!(rows.is_empty());
        let garbage: Vec<u8> = (0..4096u32)
            .map(|i| (i.wrapping_mul(2_654_435_761) >> 13) as u8)
            .collect();
        let mut bytes = HEADER.as_bytes().to_vec();
        bytes.extend_from_slice(&garbage);
        let r = TraceReader::new(&bytes[..], &TraceColumns::default(), FeatureMap::Learn).unwrap();
        let results: Vec<_> = r.collect();
        assert!(
            results.last().is_some_and(Result::is_err),
            "garbage must end in an error"
        );
        assert!(
            TraceReader::new(&garbage[..], &TraceColumns::default(), FeatureMap::Learn).is_err()
        );
    }

    #[test]
    fn reading_goes_on_after_a_bad_row() {
        let text = format!("{HEADER}1,x,IM\n2,3,IM\n1,4,IM\n5,6,IM\n7,,IM\n8,2,IM\n");
        let r =
            TraceReader::new(text.as_bytes(), &TraceColumns::default(), FeatureMap::Learn).unwrap();
        let lines: Vec<Result<u64, u64>> =
            r.map(|x| x.map(|r| r.line).map_err(|e| e.line)).collect();
        // Line 4 starts before line 3; line 6 is skipped for its open end.
        assert_eq!(lines, [Err(2), Ok(3), Err(4), Ok(5), Err(7)]);
    }

    #[test]
    fn bad_rows_keep_the_first_ones_and_count_the_rest() {
        let mut bad = BadRows::default();
        assert_eq!(bad.more_message(), None);
        for line in 0..MAX_REPORTED_ERRORS as u64 + 3 {
            bad.push(TraceError::new(line, "bad"));
        }
        assert_eq!(bad.shown.len(), MAX_REPORTED_ERRORS);
        assert_eq!(bad.shown.last().map(|e| e.line), Some(19));
        assert_eq!(
            bad.more_message().as_deref(),
            Some("and 3 more bad rows (the first 20 are shown)")
        );
    }

    fn limited(bytes: &[u8], limits: TraceLimits) -> Vec<Result<u64, TraceError>> {
        let r =
            TraceReader::with_limits(bytes, &TraceColumns::default(), FeatureMap::Learn, limits)
                .unwrap();
        r.map(|x| x.map(|r| r.line)).collect()
    }

    #[test]
    fn a_quote_left_open_stops_at_the_record_limit() {
        let limits = TraceLimits {
            record_bytes: 100,
            file_bytes: 1 << 20,
        };
        let mut text = format!("{HEADER}1,2,IM\n3,4,\"IM\n").into_bytes();
        text.extend(std::iter::repeat_n(b"5,6,IM\n", 1000).flatten());
        let got = limited(&text, limits);
        assert_eq!(got.len(), 2, "{got:?}");
        let e = got[1].as_ref().unwrap_err();
        assert_eq!(e.line, 3);
        assert!(
            e.message.starts_with(
                "this row runs on for more than 100 bytes (a quote opened in it is never closed)"
            ),
            "{e}"
        );
        // A line with no end at all (`/dev/zero`) is cut at the limit too.
        let zeros = [HEADER.as_bytes(), &[0u8; 10_000]].concat();
        let got = limited(&zeros, limits);
        let e = got[0].as_ref().unwrap_err();
        assert_eq!(e.line, 2);
        assert!(e.message.contains("(no line end)"), "{e}");
        // A row of exactly the limit is read.
        let row = format!("1,2,{}\n", "I".repeat(100 - 5));
        let got = limited(format!("{HEADER}{row}").as_bytes(), limits);
        assert_eq!(got.len(), 1);
        assert!(got[0].is_ok(), "{got:?}");
    }

    #[test]
    fn an_endless_file_stops_at_the_file_limit() {
        let limits = TraceLimits {
            record_bytes: 100,
            file_bytes: 1000,
        };
        let text = [HEADER.as_bytes(), &b"5,6,IM\n".repeat(1000)].concat();
        let got = limited(&text, limits);
        let last = got.last().unwrap().as_ref().unwrap_err();
        assert!(
            last.message
                .starts_with("the file is longer than 1000 bytes")
        );
        // The header's 25 bytes and 139 rows of 7 are 998 bytes; the 140th row is beyond.
        assert_eq!((got.len(), last.line), (140, 141));
        assert!(got[..139].iter().all(Result::is_ok));
    }

    #[test]
    fn messages_quote_at_most_a_line_of_a_value() {
        let long = "9".repeat(5000);
        let text = format!("{HEADER}1,\"x{long}\ny\",IM\n");
        let e = error(&text, FeatureMap::Learn);
        assert_eq!(
            e.message,
            format!(
                "EndTime \"x{}…\" is not a time; {TIME_FORMATS}",
                &long[..QUOTED_CHARS - 1]
            )
        );
        let e = error(&format!("{HEADER}1,2,{long}\n"), fixed(&[("IM", 0)]));
        assert!(e.message.len() < 300, "{}", e.message);
        let wide = format!("{}\n", vec!["c"; 1000].join(","));
        let e = error(&wide, FeatureMap::Learn);
        assert!(e.message.contains("\"c\", and 970 more)"), "{}", e.message);
    }
}
