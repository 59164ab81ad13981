//! Reading speed of the call-detail trace reader ([`TraceReader`]): rows per second over an
//! in-memory export of 1,000,000 rows in the shape the documented SQL produces (SQL Server
//! datetime text with milliseconds, a `Media` value), with a fixed feature map as a replay
//! uses it. The export is built before timing, so only the reading is measured.
//!
//! `cargo bench --bench trace`. The reader runs once per scenario, when it is checked (the
//! replications replay the check's binary copy of the sessions, see `src/scenario/spool.rs`),
//! so its speed is the time a large export takes to check.

use std::fmt::Write as _;
use std::hint::black_box;
use std::time::Duration;

use criterion::{Criterion, Throughput, criterion_group, criterion_main};
use drainsim::scenario::trace::{FeatureMap, TraceColumns, TraceReader};

const ROWS: u64 = 1_000_000;

/// An export of [`ROWS`] sessions over about a day, sorted by start.
fn export() -> Vec<u8> {
    let mut text = String::from("InviteTime,EndTime,Media\r\n");
    let media = ["IM", "Audio", "PSTN", "conf:audio-video", "conf:data-conf"];
    // A small linear congruential generator: deterministic, no dependency on rand's streams.
    let mut x: u64 = 0x5EED;
    let mut next = || {
        x = x.wrapping_mul(6_364_136_223_846_793_005).wrapping_add(1);
        x >> 33
    };
    for i in 0..ROWS {
        let start_ms = i * 86_400_000 / ROWS;
        let end_ms = start_ms + next() % 3_600_000;
        let stamp = |ms: u64| {
            let (s, ms) = (ms / 1000, ms % 1000);
            let day = 3 + s / 86_400;
            let (h, m, s) = (s / 3600 % 24, s / 60 % 60, s % 60);
            format!("2026-11-{day:02} {h:02}:{m:02}:{s:02}.{ms:03}")
        };
        let kind = media[(next() % media.len() as u64) as usize];
        writeln!(text, "{},{},{kind}\r", stamp(start_ms), stamp(end_ms)).unwrap();
    }
    text.into_bytes()
}

fn bench(c: &mut Criterion) {
    let bytes = export();
    let map = FeatureMap::Fixed(vec![
        ("IM".into(), 0),
        ("Audio".into(), 1),
        ("PSTN".into(), 2),
        ("conf:audio-video".into(), 3),
        ("conf:data-conf".into(), 4),
    ]);
    let mut group = c.benchmark_group("trace");
    group.throughput(Throughput::Elements(ROWS));
    group.sample_size(10);
    group.measurement_time(Duration::from_secs(20));
    group.bench_function("read_1m_rows", |b| {
        b.iter(|| {
            let reader =
                TraceReader::new(&bytes[..], &TraceColumns::default(), map.clone()).unwrap();
            let mut sum = 0.0;
            for row in reader {
                let row = row.unwrap();
                sum += row.end_s - row.start_s + f64::from(row.feature);
            }
            black_box(sum)
        })
    });
    // A reference: the csv crate's own parsing of the same bytes into one reused ByteRecord
    // (the reader splits records by hand; see the `scenario::trace` module documentation).
    group.bench_function("csv_byte_records_only", |b| {
        b.iter(|| {
            let mut rdr = csv::ReaderBuilder::new().from_reader(&bytes[..]);
            let mut record = csv::ByteRecord::new();
            let mut n = 0usize;
            while rdr.read_byte_record(&mut record).unwrap() {
                n += record.len();
            }
            black_box(n)
        })
    });
    group.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);
