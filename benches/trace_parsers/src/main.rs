//! drainsim's trace reader against the `csv` crate (`ByteRecord`) with a datetime crate
//! (`jiff`, `time`), on one in-memory export of ROWS rows (default 10,000,000) in the shape the
//! documented SQL writes: SQL Server datetime text with milliseconds, CRLF, a `Media` value.
//!
//! Each variant does the work a replay's check does per row: split the record, trim the three
//! fields, parse start and end into seconds since 1970 (UTC), check the order and the end,
//! look the value up in a fixed map. Variants run in rounds, interleaved (the machine is
//! shared), and the best round of each is printed, in ns per row.

use std::hint::black_box;
use std::time::Instant;

use drainsim::scenario::trace::{FeatureMap, TraceColumns, TraceReader, parse_instant};

const MEDIA: [&str; 5] = ["IM", "Audio", "PSTN", "conf:audio-video", "conf:data-conf"];

fn export(rows: u64) -> Vec<u8> {
    use std::io::Write as _;
    let mut out = Vec::with_capacity(rows as usize * 60);
    out.extend_from_slice(b"InviteTime,EndTime,Media\r\n");
    let mut x: u64 = 0x5EED;
    let mut next = || {
        x = x.wrapping_mul(6_364_136_223_846_793_005).wrapping_add(1);
        x >> 33
    };
    for i in 0..rows {
        let start_ms = i * 86_400_000 / rows;
        let end_ms = start_ms + next() % 3_600_000;
        let stamp = |out: &mut Vec<u8>, ms: u64| {
            let (s, ms) = (ms / 1000, ms % 1000);
            let day = 3 + s / 86_400;
            let (h, m, s) = (s / 3600 % 24, s / 60 % 60, s % 60);
            write!(out, "2026-11-{day:02} {h:02}:{m:02}:{s:02}.{ms:03}").unwrap();
        };
        stamp(&mut out, start_ms);
        out.push(b',');
        stamp(&mut out, end_ms);
        let kind = MEDIA[(next() % MEDIA.len() as u64) as usize];
        write!(out, ",{kind}\r\n").unwrap();
    }
    out
}

fn fixed() -> Vec<(String, u16)> {
    MEDIA
        .iter()
        .enumerate()
        .map(|(i, m)| (m.to_string(), i as u16))
        .collect()
}

fn trim(b: &[u8]) -> &[u8] {
    let is_space = |c: &u8| matches!(c, b' ' | b'\t' | b'\r');
    let start = b.iter().position(|c| !is_space(c)).unwrap_or(b.len());
    let end = b
        .iter()
        .rposition(|c| !is_space(c))
        .map_or(start, |e| e + 1);
    &b[start..end]
}

/// drainsim's reader, as `scenario::trace` ships it.
fn hand(bytes: &[u8]) -> f64 {
    let reader =
        TraceReader::new(bytes, &TraceColumns::default(), FeatureMap::Fixed(fixed())).unwrap();
    let mut sum = 0.0;
    for row in reader {
        let row = row.unwrap();
        sum += row.end_s - row.start_s + f64::from(row.feature);
    }
    sum
}

/// The csv crate's splitting alone, into one reused ByteRecord.
fn csv_only(bytes: &[u8]) -> f64 {
    let mut rdr = csv::ReaderBuilder::new().flexible(true).from_reader(bytes);
    let mut record = csv::ByteRecord::new();
    let mut n = 0usize;
    while rdr.read_byte_record(&mut record).unwrap() {
        n += record.len();
    }
    n as f64
}

/// The whole per-row work with the csv crate, `parse` turning a trimmed field into seconds.
fn with_csv(bytes: &[u8], parse: impl Fn(&[u8]) -> Option<f64>) -> f64 {
    let map = fixed();
    let mut rdr = csv::ReaderBuilder::new().flexible(true).from_reader(bytes);
    let headers = rdr.byte_headers().unwrap().clone();
    let col = |name: &str| {
        headers
            .iter()
            .position(|h| trim(h) == name.as_bytes())
            .unwrap()
    };
    let (s, e, f) = (col("InviteTime"), col("EndTime"), col("Media"));
    let mut record = csv::ByteRecord::new();
    let mut last = f64::NEG_INFINITY;
    let mut sum = 0.0;
    while rdr.read_byte_record(&mut record).unwrap() {
        let line = record.position().map_or(0, |p| p.line());
        let start = parse(trim(&record[s])).expect("start");
        assert!(start >= last, "line {line}");
        last = start;
        let end_field = trim(&record[e]);
        if end_field.is_empty() || end_field.eq_ignore_ascii_case(b"NULL") {
            continue;
        }
        let end = parse(end_field).expect("end");
        assert!(end >= start);
        let value = trim(&record[f]);
        let feature = map.iter().find(|(v, _)| v.as_bytes() == value).unwrap().1;
        sum += end - start + f64::from(feature);
    }
    sum
}

/// drainsim's own datetime parser, from the csv crate's fields (its day cache is not used).
fn hand_time(b: &[u8]) -> Option<f64> {
    parse_instant(std::str::from_utf8(b).ok()?).ok()
}

/// jiff: SQL Server text is a civil datetime (no offset), taken as UTC.
fn jiff_time(b: &[u8]) -> Option<f64> {
    static PARSER: jiff::fmt::temporal::DateTimeParser = jiff::fmt::temporal::DateTimeParser::new();
    let dt = PARSER.parse_datetime(b).ok()?;
    let ts = jiff::tz::Offset::UTC.to_timestamp(dt).ok()?;
    Some(ts.as_second() as f64 + f64::from(ts.subsec_nanosecond()) * 1e-9)
}

/// time: the one format these rows use (the most favourable case for it).
fn time_time(b: &[u8]) -> Option<f64> {
    let format = time::macros::format_description!(
        "[year]-[month]-[day] [hour]:[minute]:[second].[subsecond]"
    );
    let dt = time::PrimitiveDateTime::parse(std::str::from_utf8(b).ok()?, format).ok()?;
    Some(dt.assume_utc().unix_timestamp_nanos() as f64 * 1e-9)
}

fn main() {
    let rows: u64 = std::env::args()
        .nth(1)
        .map_or(10_000_000, |a| a.parse().unwrap());
    let t = Instant::now();
    let bytes = export(rows);
    eprintln!(
        "export: {rows} rows, {:.0} MB, built in {:.1} s",
        bytes.len() as f64 / 1e6,
        t.elapsed().as_secs_f64()
    );
    // The variants agree on the sum (a check that each parses every row the same way).
    type Variant = (&'static str, fn(&[u8]) -> f64);
    let variants: [Variant; 5] = [
        ("drainsim reader (hand split + hand datetime)", hand),
        ("csv ByteRecord split only", csv_only),
        ("csv ByteRecord + drainsim datetime", |b| {
            with_csv(b, hand_time)
        }),
        ("csv ByteRecord + jiff", |b| with_csv(b, jiff_time)),
        ("csv ByteRecord + time", |b| with_csv(b, time_time)),
    ];
    let rounds = 3;
    let mut best = vec![f64::INFINITY; variants.len()];
    let mut sums = vec![0.0; variants.len()];
    for _ in 0..rounds {
        for (i, (_, f)) in variants.iter().enumerate() {
            let t = Instant::now();
            sums[i] = black_box(f(black_box(&bytes)));
            best[i] = best[i].min(t.elapsed().as_secs_f64());
        }
    }
    let base = best[0];
    println!("variant,best_of_{rounds}_s,ns_per_row,ratio_to_drainsim,check_sum");
    for (i, (name, _)) in variants.iter().enumerate() {
        println!(
            "{name},{:.3},{:.1},{:.2},{:.6e}",
            best[i],
            best[i] * 1e9 / rows as f64,
            best[i] / base,
            sums[i]
        );
    }
}
