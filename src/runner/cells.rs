//! A compact, exact binary encoding of one replication's outcome (a *cell* record), for the
//! replications a run spills to disk and for shard folders.
//!
//! Every number is an unsigned LEB128 varint; the metrics hold integers only (times in µs),
//! so a record decodes to exactly the outcome that was encoded. A record is framed by its byte
//! length (a varint) and followed by the CRC-32 of its body, so that a truncated or damaged
//! file is detected rather than misread: a CRC-32 detects every single-bit error and every
//! burst of up to 32 bits.
//!
//! A shard's `cells.bin` ([`ShardWriter`], [`ShardReader`]) adds what merge must not take on
//! trust: a header naming the shard, the shard count and the seed; the run of each record
//! beside its replication; and a trailer holding the number of records and the CRC-32 of every
//! byte before it, so that a file cut at a record boundary, or records moved between files,
//! are refused too.

use std::io::{self, Read, Write};

use crate::engine::SimTime;
use crate::model::metrics::{
    DomainOutcome, DomainRecord, DrainEnd, DrainRecord, FeatureCounts, ReplicationMetrics,
    RestartRecord, RgQuorumLoss, StepOutcome, StepRecord, TimeSeries, UserCounts,
};
use crate::model::{ActionKind, Seeds};

use super::ReplicationOutcome;

const DRAIN_ENDS: [DrainEnd; 5] = [
    DrainEnd::Drained,
    DrainEnd::Restarted,
    DrainEnd::Stopped,
    DrainEnd::Resumed,
    DrainEnd::Horizon,
];
const STEP_OUTCOMES: [StepOutcome; 5] = [
    StepOutcome::Running,
    StepOutcome::Done,
    StepOutcome::Drained,
    StepOutcome::Timeout,
    StepOutcome::Failed,
];
const DOMAIN_OUTCOMES: [DomainOutcome; 4] = [
    DomainOutcome::Running,
    DomainOutcome::Done,
    DomainOutcome::Busy,
    DomainOutcome::Insufficient,
];

/// Appends varints to a buffer.
struct Enc(Vec<u8>);

impl Enc {
    fn u(&mut self, mut x: u64) {
        loop {
            let b = (x & 0x7f) as u8;
            x >>= 7;
            if x == 0 {
                self.0.push(b);
                return;
            }
            self.0.push(b | 0x80);
        }
    }
    fn t(&mut self, t: SimTime) {
        self.u(t.0);
    }
    fn ot(&mut self, t: Option<SimTime>) {
        match t {
            None => self.u(0),
            Some(t) => {
                self.u(1);
                self.t(t);
            }
        }
    }
    fn len(&mut self, n: usize) {
        self.u(n as u64);
    }
    fn s(&mut self, s: &str) {
        self.len(s.len());
        self.0.extend_from_slice(s.as_bytes());
    }
    fn index_of<T: PartialEq>(&mut self, all: &[T], x: &T) {
        self.len(all.iter().position(|a| a == x).unwrap_or(0));
    }
}

/// Reads varints from a record.
struct Dec<'a> {
    b: &'a [u8],
    at: usize,
}

type R<T> = Result<T, String>;

impl Dec<'_> {
    fn u(&mut self) -> R<u64> {
        let mut x = 0u64;
        for shift in (0..64).step_by(7) {
            let b = *self.b.get(self.at).ok_or("record ends early")?;
            self.at += 1;
            x |= u64::from(b & 0x7f) << shift;
            if b & 0x80 == 0 {
                return Ok(x);
            }
        }
        Err("number too long".into())
    }
    fn u32(&mut self) -> R<u32> {
        u32::try_from(self.u()?).map_err(|_| "number out of range".into())
    }
    fn t(&mut self) -> R<SimTime> {
        Ok(SimTime(self.u()?))
    }
    fn ot(&mut self) -> R<Option<SimTime>> {
        match self.u()? {
            0 => Ok(None),
            1 => Ok(Some(self.t()?)),
            _ => Err("bad option tag".into()),
        }
    }
    fn len(&mut self) -> R<usize> {
        let n = self.u()? as usize;
        // Every element takes at least one byte: a longer length is a corrupt record.
        if n > self.b.len() - self.at {
            return Err("length beyond the record".into());
        }
        Ok(n)
    }
    fn s(&mut self) -> R<String> {
        let n = self.len()?;
        let s = std::str::from_utf8(&self.b[self.at..self.at + n])
            .map_err(|_| "text is not UTF-8")?
            .to_string();
        self.at += n;
        Ok(s)
    }
    fn pick<T: Copy>(&mut self, all: &[T]) -> R<T> {
        let i = self.u()? as usize;
        all.get(i).copied().ok_or_else(|| "unknown value".into())
    }
    fn vec<T>(&mut self, mut f: impl FnMut(&mut Self) -> R<T>) -> R<Vec<T>> {
        let n = self.len()?;
        (0..n).map(|_| f(self)).collect()
    }
}

/// Appends the framed record of `o` to `out`: its length, its body, the CRC-32 of the body.
pub fn encode(o: &ReplicationOutcome, out: &mut Vec<u8>) {
    let mut e = Enc(Vec::with_capacity(512));
    encode_body(o, &mut e);
    frame(&e.0, out);
}

/// Appends `body` framed: its length (a varint), the body, the CRC-32 of the body (4 bytes,
/// little-endian).
fn frame(body: &[u8], out: &mut Vec<u8>) {
    let mut f = Enc(std::mem::take(out));
    f.len(body.len());
    f.0.extend_from_slice(body);
    f.0.extend_from_slice(&crc32fast::hash(body).to_le_bytes());
    *out = f.0;
}

/// Appends the body of `o`'s record to `e`.
fn encode_body(o: &ReplicationOutcome, e: &mut Enc) {
    e.u(u64::from(o.replication));
    e.u(o.seeds.sessions);
    e.u(o.seeds.pair);
    // Destructured, so that a new field cannot be forgotten here.
    let ReplicationMetrics {
        features,
        restarts,
        drains,
        steps,
        timeseries,
        domains,
        plan_started,
        plan_ended,
        plan_failure,
        peak_active,
        above_threshold,
        events,
        pool_quorum_losses,
        rg_quorum_losses,
    } = &o.metrics;
    e.len(features.len());
    for f in features {
        encode_counts(e, f);
    }
    e.len(restarts.len());
    for r in restarts {
        e.len(r.server);
        e.t(r.at);
        e.ot(r.paused_at);
        e.len(r.cut.len());
        r.cut.iter().for_each(|&x| e.u(x));
        e.len(r.disrupted.len());
        r.disrupted.iter().for_each(|&x| e.u(x));
        e.len(r.users_cut.len());
        r.users_cut.iter().for_each(|&x| e.u(x));
        e.len(r.users_disrupted.len());
        r.users_disrupted.iter().for_each(|&x| e.u(x));
    }
    e.len(drains.len());
    for d in drains {
        e.len(d.server);
        e.t(d.paused_at);
        e.t(d.ended_at);
        e.index_of(&DRAIN_ENDS, &d.end);
        e.u(d.left);
    }
    e.len(steps.len());
    for s in steps {
        e.len(s.index);
        let names: Vec<&str> = ActionKind::ALL.iter().map(|k| k.name()).collect();
        e.index_of(&names, &s.action);
        e.t(s.started);
        e.ot(s.ended);
        e.index_of(&STEP_OUTCOMES, &s.outcome);
    }
    e.len(timeseries.times.len());
    timeseries.times.iter().for_each(|&t| e.t(t));
    e.len(timeseries.active.len());
    timeseries.active.iter().for_each(|&a| e.u(u64::from(a)));
    e.len(domains.len());
    for d in domains {
        e.len(d.domain);
        e.t(d.first_poll);
        e.u(u64::from(d.busy_polls));
        e.ot(d.ready_at);
        e.ot(d.paused_at);
        e.ot(d.restarted_at);
        e.u(u64::from(d.drained));
        e.ot(d.up_at);
        e.index_of(&DOMAIN_OUTCOMES, &d.outcome);
    }
    e.ot(*plan_started);
    e.ot(*plan_ended);
    match plan_failure {
        None => e.u(0),
        Some(s) => {
            e.u(1);
            e.s(s);
        }
    }
    e.len(peak_active.len());
    peak_active.iter().for_each(|&p| e.u(u64::from(p)));
    e.len(above_threshold.len());
    above_threshold.iter().for_each(|&t| e.t(t));
    e.u(*events);
    e.u(u64::from(*pool_quorum_losses));
    e.len(rg_quorum_losses.len());
    for l in rg_quorum_losses {
        e.len(l.group);
        e.t(l.from);
        e.ot(l.to);
    }
}

fn encode_counts(e: &mut Enc, f: &FeatureCounts) {
    let FeatureCounts {
        arrivals,
        accepted,
        redirected,
        landed_on_paused,
        blocked,
        failed,
        connecting,
        arrivals_in_maintenance,
        blocked_in_maintenance,
        blocked_rg_quorum,
        cut_by,
        disrupted,
        completed,
        active_at_end,
        setup_delay_sum_us,
        setup_delays,
        users,
    } = f;
    for x in [
        arrivals,
        accepted,
        redirected,
        landed_on_paused,
        blocked,
        failed,
        connecting,
        arrivals_in_maintenance,
        blocked_in_maintenance,
        blocked_rg_quorum,
        &cut_by[0],
        &cut_by[1],
        &cut_by[2],
        disrupted,
        completed,
        active_at_end,
        setup_delay_sum_us,
    ] {
        e.u(*x);
    }
    e.len(setup_delays.len());
    for (k, v) in setup_delays {
        e.u(*k);
        e.u(*v);
    }
    encode_users(e, users);
}

/// The users twins (R21), after the session counts.
fn encode_users(e: &mut Enc, u: &UserCounts) {
    let UserCounts {
        arrivals,
        accepted,
        blocked,
        failed,
        connecting,
        arrivals_in_maintenance,
        blocked_in_maintenance,
        cut_by,
        disrupted,
        completed,
        active_at_end,
    } = u;
    for x in [
        arrivals,
        accepted,
        blocked,
        failed,
        connecting,
        arrivals_in_maintenance,
        blocked_in_maintenance,
        &cut_by[0],
        &cut_by[1],
        &cut_by[2],
        disrupted,
        completed,
        active_at_end,
    ] {
        e.u(*x);
    }
}

fn decode_users(d: &mut Dec<'_>) -> R<UserCounts> {
    let mut x = [0u64; 13];
    for v in &mut x {
        *v = d.u()?;
    }
    Ok(UserCounts {
        arrivals: x[0],
        accepted: x[1],
        blocked: x[2],
        failed: x[3],
        connecting: x[4],
        arrivals_in_maintenance: x[5],
        blocked_in_maintenance: x[6],
        cut_by: [x[7], x[8], x[9]],
        disrupted: x[10],
        completed: x[11],
        active_at_end: x[12],
    })
}

fn decode_counts(d: &mut Dec<'_>) -> R<FeatureCounts> {
    let mut x = [0u64; 17];
    for v in &mut x {
        *v = d.u()?;
    }
    let n = d.len()?;
    let mut setup_delays = std::collections::BTreeMap::new();
    for _ in 0..n {
        let k = d.u()?;
        setup_delays.insert(k, d.u()?);
    }
    Ok(FeatureCounts {
        arrivals: x[0],
        accepted: x[1],
        redirected: x[2],
        landed_on_paused: x[3],
        blocked: x[4],
        failed: x[5],
        connecting: x[6],
        arrivals_in_maintenance: x[7],
        blocked_in_maintenance: x[8],
        blocked_rg_quorum: x[9],
        cut_by: [x[10], x[11], x[12]],
        disrupted: x[13],
        completed: x[14],
        active_at_end: x[15],
        setup_delay_sum_us: x[16],
        setup_delays,
        users: decode_users(d)?,
    })
}

/// Decodes one record body (without its frame).
pub fn decode(b: &[u8]) -> R<ReplicationOutcome> {
    let d = &mut Dec { b, at: 0 };
    let o = decode_body(d)?;
    if d.at != b.len() {
        return Err("trailing bytes in a record".into());
    }
    Ok(o)
}

/// Decodes the body of a record from `d`.
fn decode_body(d: &mut Dec<'_>) -> R<ReplicationOutcome> {
    let replication = d.u32()?;
    let seeds = Seeds {
        sessions: d.u()?,
        pair: d.u()?,
    };
    let features = d.vec(decode_counts)?;
    let restarts = d.vec(|d| {
        Ok(RestartRecord {
            server: d.u()? as usize,
            at: d.t()?,
            paused_at: d.ot()?,
            cut: d.vec(Dec::u)?,
            disrupted: d.vec(Dec::u)?,
            users_cut: d.vec(Dec::u)?,
            users_disrupted: d.vec(Dec::u)?,
        })
    })?;
    let drains = d.vec(|d| {
        Ok(DrainRecord {
            server: d.u()? as usize,
            paused_at: d.t()?,
            ended_at: d.t()?,
            end: d.pick(&DRAIN_ENDS)?,
            left: d.u()?,
        })
    })?;
    let steps = d.vec(|d| {
        Ok(StepRecord {
            index: d.u()? as usize,
            action: d.pick(ActionKind::ALL)?.name(),
            started: d.t()?,
            ended: d.ot()?,
            outcome: d.pick(&STEP_OUTCOMES)?,
        })
    })?;
    let timeseries = TimeSeries {
        times: d.vec(Dec::t)?,
        active: d.vec(Dec::u32)?,
    };
    let domains = d.vec(|d| {
        Ok(DomainRecord {
            domain: d.u()? as usize,
            first_poll: d.t()?,
            busy_polls: d.u32()?,
            ready_at: d.ot()?,
            paused_at: d.ot()?,
            restarted_at: d.ot()?,
            drained: d.u()? != 0,
            up_at: d.ot()?,
            outcome: d.pick(&DOMAIN_OUTCOMES)?,
        })
    })?;
    let plan_started = d.ot()?;
    let plan_ended = d.ot()?;
    let plan_failure = match d.u()? {
        0 => None,
        1 => Some(d.s()?),
        _ => return Err("bad option tag".into()),
    };
    let metrics = ReplicationMetrics {
        features,
        restarts,
        drains,
        steps,
        timeseries,
        domains,
        plan_started,
        plan_ended,
        plan_failure,
        peak_active: d.vec(Dec::u32)?,
        above_threshold: d.vec(Dec::t)?,
        events: d.u()?,
        pool_quorum_losses: d.u32()?,
        rg_quorum_losses: d.vec(|d| {
            Ok(RgQuorumLoss {
                group: d.u()? as usize,
                from: d.t()?,
                to: d.ot()?,
            })
        })?,
    };
    Ok(ReplicationOutcome {
        replication,
        seeds,
        metrics,
    })
}

/// Reads framed records one at a time.
pub struct Reader<T: Read> {
    inner: T,
    buf: Vec<u8>,
}

/// Reads one frame's body into `buf` and checks its CRC-32; `Ok(false)` at a clean end of the
/// input. Every byte read is also handed to `seen` (for a file's checksum).
fn read_frame(
    inner: &mut impl Read,
    buf: &mut Vec<u8>,
    seen: &mut impl FnMut(&[u8]),
) -> io::Result<bool> {
    let mut len = 0u64;
    for (i, shift) in (0..64).step_by(7).enumerate() {
        let mut b = [0u8];
        if inner.read(&mut b)? == 0 {
            if i == 0 {
                return Ok(false);
            }
            return Err(invalid("a record ends early"));
        }
        seen(&b);
        len |= u64::from(b[0] & 0x7f) << shift;
        if b[0] & 0x80 == 0 {
            break;
        }
    }
    let len = usize::try_from(len).map_err(|_| invalid("a record is too long"))?;
    if len > MAX_RECORD {
        return Err(invalid("a record is too long"));
    }
    buf.resize(len + 4, 0);
    inner
        .read_exact(buf)
        .map_err(|_| invalid("a record ends early"))?;
    seen(buf);
    let crc = u32::from_le_bytes([buf[len], buf[len + 1], buf[len + 2], buf[len + 3]]);
    buf.truncate(len);
    if crc32fast::hash(buf) != crc {
        return Err(invalid("a record's checksum does not match its bytes"));
    }
    Ok(true)
}

/// The longest record body read: far beyond any record drainsim writes (a replication's
/// counts and events, its time series only in replication 0), short of an allocation a
/// damaged length could make fail.
const MAX_RECORD: usize = 1 << 30;

impl<T: Read> Reader<T> {
    /// Reads records from `inner`.
    pub fn new(inner: T) -> Self {
        Reader {
            inner,
            buf: Vec::new(),
        }
    }

    /// The next record; `Ok(None)` at a clean end of the input.
    pub fn next_record(&mut self) -> io::Result<Option<ReplicationOutcome>> {
        if !read_frame(&mut self.inner, &mut self.buf, &mut |_| {})? {
            return Ok(None);
        }
        decode(&self.buf).map(Some).map_err(|e| invalid(&e))
    }
}

/// The first bytes of a shard's `cells.bin`.
const SHARD_MAGIC: &[u8] = b"drainsim cells\n";
/// Version of a shard's `cells.bin` layout.
const SHARD_LAYOUT: u64 = 4;

/// What a shard's `cells.bin` says it is, in its header.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ShardHeader {
    /// The shard's index, 0-based.
    pub shard: u32,
    /// Shards in all.
    pub shards: u32,
    /// The seed its replications were simulated with.
    pub seed: u64,
}

/// Writes a shard's `cells.bin`: the header, one record per cell (its run, then the record),
/// and a trailer with the number of records and the CRC-32 of every byte before it.
pub struct ShardWriter<W: Write> {
    inner: W,
    crc: crc32fast::Hasher,
    count: u64,
    buf: Vec<u8>,
}

impl<W: Write> ShardWriter<W> {
    /// Writes the header of `header` to `inner`.
    pub fn new(mut inner: W, header: ShardHeader) -> io::Result<Self> {
        let mut e = Enc(SHARD_MAGIC.to_vec());
        e.u(SHARD_LAYOUT);
        e.u(u64::from(header.shard));
        e.u(u64::from(header.shards));
        e.u(header.seed);
        inner.write_all(&e.0)?;
        let mut crc = crc32fast::Hasher::new();
        crc.update(&e.0);
        Ok(ShardWriter {
            inner,
            crc,
            count: 0,
            buf: Vec::new(),
        })
    }

    /// Appends the record of replication `o` of run `run`.
    pub fn write(&mut self, run: usize, o: &ReplicationOutcome) -> io::Result<()> {
        let mut e = Enc(Vec::with_capacity(512));
        e.len(run);
        encode_body(o, &mut e);
        self.buf.clear();
        frame(&e.0, &mut self.buf);
        self.crc.update(&self.buf);
        self.count += 1;
        self.inner.write_all(&self.buf)
    }

    /// Writes the trailer; returns the inner writer (to flush).
    pub fn finish(mut self) -> io::Result<W> {
        // A frame of length 0 (no record is empty) starts the trailer.
        let mut e = Enc(Vec::new());
        frame(&[], &mut e.0);
        e.u(self.count);
        self.crc.update(&e.0);
        e.0.extend_from_slice(&self.crc.finalize().to_le_bytes());
        self.inner.write_all(&e.0)?;
        Ok(self.inner)
    }
}

/// Reads a shard's `cells.bin` written by [`ShardWriter`], checking every record's and the
/// file's checksum.
pub struct ShardReader<T: Read> {
    inner: T,
    crc: crc32fast::Hasher,
    count: u64,
    buf: Vec<u8>,
    ended: bool,
}

impl<T: Read> ShardReader<T> {
    /// Reads the header from `inner` and checks that it is `expected`.
    pub fn new(mut inner: T, expected: ShardHeader) -> io::Result<Self> {
        let mut magic = vec![0u8; SHARD_MAGIC.len()];
        inner
            .read_exact(&mut magic)
            .map_err(|_| invalid("not a drainsim cells file (too short)"))?;
        if magic != SHARD_MAGIC {
            return Err(invalid("not a drainsim cells file of this version"));
        }
        let mut crc = crc32fast::Hasher::new();
        crc.update(&magic);
        let mut field = |inner: &mut T| -> io::Result<u64> {
            let mut x = 0u64;
            for shift in (0..64).step_by(7) {
                let mut b = [0u8];
                inner
                    .read_exact(&mut b)
                    .map_err(|_| invalid("the header ends early"))?;
                crc.update(&b);
                x |= u64::from(b[0] & 0x7f) << shift;
                if b[0] & 0x80 == 0 {
                    return Ok(x);
                }
            }
            Err(invalid("a number in the header is too long"))
        };
        let layout = field(&mut inner)?;
        if layout != SHARD_LAYOUT {
            return Err(invalid(&format!(
                "cells layout {layout} (this drainsim reads layout {SHARD_LAYOUT})"
            )));
        }
        let (shard, shards, seed) = (field(&mut inner)?, field(&mut inner)?, field(&mut inner)?);
        let got = (shard, shards, seed);
        let want = (
            u64::from(expected.shard),
            u64::from(expected.shards),
            expected.seed,
        );
        if got != want {
            return Err(invalid(&format!(
                "its header says shard {shard} of {shards}, seed {seed}; shard.json says shard                  {} of {}, seed {}",
                expected.shard, expected.shards, expected.seed
            )));
        }
        Ok(ShardReader {
            inner,
            crc,
            count: 0,
            buf: Vec::new(),
            ended: false,
        })
    }

    /// The next record and its run; `Ok(None)` after the trailer, once it has been checked
    /// (and nothing follows it).
    pub fn next_record(&mut self) -> io::Result<Option<(usize, ReplicationOutcome)>> {
        if self.ended {
            return Ok(None);
        }
        let crc = &mut self.crc;
        if !read_frame(&mut self.inner, &mut self.buf, &mut |b| crc.update(b))? {
            return Err(invalid("the file ends early (no trailer)"));
        }
        if self.buf.is_empty() {
            return self.trailer().map(|()| None);
        }
        let d = &mut Dec {
            b: &self.buf,
            at: 0,
        };
        let run = d.len().map_err(|e| invalid(&e))?;
        let o = decode_body(d).map_err(|e| invalid(&e))?;
        if d.at != self.buf.len() {
            return Err(invalid("trailing bytes in a record"));
        }
        self.count += 1;
        Ok(Some((run, o)))
    }

    /// Checks the trailer, whose zero-length frame (with its CRC) was just read.
    fn trailer(&mut self) -> io::Result<()> {
        self.ended = true;
        let mut rest = Vec::new();
        (&mut self.inner).take(32).read_to_end(&mut rest)?;
        let d = &mut Dec { b: &rest, at: 0 };
        let count = d.u().map_err(|_| invalid("the trailer ends early"))?;
        self.crc.update(&rest[..d.at]);
        let sum = rest
            .get(d.at..d.at + 4)
            .ok_or_else(|| invalid("the trailer ends early"))?;
        if rest.len() != d.at + 4 {
            return Err(invalid("bytes after the trailer"));
        }
        if count != self.count {
            return Err(invalid(&format!(
                "the trailer counts {count} records, the file holds {}",
                self.count
            )));
        }
        let crc = std::mem::take(&mut self.crc).finalize();
        if u32::from_le_bytes([sum[0], sum[1], sum[2], sum[3]]) != crc {
            return Err(invalid("the file's checksum does not match its bytes"));
        }
        Ok(())
    }
}

fn invalid(msg: &str) -> io::Error {
    io::Error::new(io::ErrorKind::InvalidData, msg.to_string())
}

/// Writes `o` as a framed record.
pub fn write(w: &mut impl Write, o: &ReplicationOutcome, buf: &mut Vec<u8>) -> io::Result<()> {
    buf.clear();
    encode(o, buf);
    w.write_all(buf)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::scenario::{self, NoFiles};

    #[test]
    fn records_round_trip_exactly() {
        let text = crate::DEFAULT_SCENARIO.replace("horizon = \"3h\"", "horizon = \"2h40m\"");
        let s = scenario::parse(&text, "default.toml", &NoFiles).expect("parses");
        let runs = scenario::expand(&s).expect("expands");
        let mut bytes = Vec::new();
        let mut outs = Vec::new();
        for (k, run) in runs.iter().enumerate() {
            let o = super::super::simulate(&s, run, k as u32, None).expect("runs");
            write(&mut bytes, &o, &mut Vec::new()).expect("in memory");
            outs.push(o);
        }
        let mut r = Reader::new(&bytes[..]);
        for o in &outs {
            let back = r.next_record().expect("reads").expect("a record");
            assert_eq!(back.replication, o.replication);
            assert_eq!(back.seeds, o.seeds);
            assert_eq!(back.metrics, o.metrics);
        }
        assert!(r.next_record().expect("clean end").is_none());
        // A truncated file is an error, not a shorter run.
        let mut r = Reader::new(&bytes[..bytes.len() - 3]);
        assert!(r.next_record().is_ok());
        assert!(r.next_record().is_err());
    }

    /// A shard file of the first replications of the default scenario's runs.
    fn shard_file(header: ShardHeader) -> (Vec<u8>, Vec<(usize, ReplicationOutcome)>) {
        let text = crate::DEFAULT_SCENARIO.replace("horizon = \"3h\"", "horizon = \"2h40m\"");
        let s = scenario::parse(&text, "default.toml", &NoFiles).expect("parses");
        let runs = scenario::expand(&s).expect("expands");
        let mut w = ShardWriter::new(Vec::new(), header).expect("in memory");
        let mut outs = Vec::new();
        for (r, run) in runs.iter().enumerate().take(2) {
            // Not replication 0, whose time series would make the file long to flip bit by bit.
            for k in 1..3 {
                let o = super::super::simulate(&s, run, k, None).expect("runs");
                w.write(r, &o).expect("in memory");
                outs.push((r, o));
            }
        }
        (w.finish().expect("in memory"), outs)
    }

    fn read_all(bytes: &[u8], header: ShardHeader) -> io::Result<Vec<(usize, ReplicationOutcome)>> {
        let mut r = ShardReader::new(bytes, header)?;
        let mut all = Vec::new();
        while let Some(x) = r.next_record()? {
            all.push(x);
        }
        Ok(all)
    }

    const HEADER: ShardHeader = ShardHeader {
        shard: 1,
        shards: 3,
        seed: 42,
    };

    #[test]
    fn shard_files_round_trip_with_their_runs() {
        let (bytes, outs) = shard_file(HEADER);
        let back = read_all(&bytes, HEADER).expect("reads");
        assert_eq!(back.len(), outs.len());
        for ((r, o), (br, b)) in outs.iter().zip(&back) {
            assert_eq!((r, o.replication, &o.seeds), (br, b.replication, &b.seeds));
            assert_eq!(o.metrics, b.metrics);
        }
        // Another shard's header, index or seed is refused.
        for other in [
            ShardHeader { shard: 2, ..HEADER },
            ShardHeader {
                shards: 4,
                ..HEADER
            },
            ShardHeader { seed: 43, ..HEADER },
        ] {
            let e = read_all(&bytes, other).expect_err("another shard");
            assert!(
                e.to_string().contains("header says shard 1 of 3, seed 42"),
                "{e}"
            );
        }
    }

    #[test]
    fn every_single_bit_flip_and_every_cut_of_a_shard_file_is_refused() {
        let (bytes, _) = shard_file(HEADER);
        for at in 0..bytes.len() {
            for bit in 0..8 {
                let mut b = bytes.clone();
                b[at] ^= 1 << bit;
                assert!(
                    read_all(&b, HEADER).is_err(),
                    "a flip of bit {bit} of byte {at} (of {}) was read",
                    bytes.len()
                );
            }
        }
        for len in 0..bytes.len() {
            assert!(read_all(&bytes[..len], HEADER).is_err(), "cut at {len}");
        }
        let mut longer = bytes.clone();
        longer.push(0);
        assert!(read_all(&longer, HEADER).is_err());
    }
}
