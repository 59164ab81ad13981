//! The sessions of a checked call-detail trace, as a compact binary copy that replications
//! replay.
//!
//! Checking a trace reads the export to the end once (every bad row is reported before anything
//! runs). As it reads, the sessions a run can see — those that end after simulated time 0 and
//! start before the horizon — are appended here, already in simulated seconds, as fixed-size
//! records. Each replication then streams this copy instead of reading and parsing the export
//! again.
//!
//! ## Decisions
//!
//! - **Record**: start and end as the `f64` bits the check computed, and the feature index
//!   (`u16`), little-endian, 18 bytes. A replication gets exactly the sessions, bit for bit,
//!   that reading the export would give it, so results do not depend on the copy.
//! - **Where**: a copy of up to [`IN_MEMORY`] bytes (about 58,000 sessions) stays in memory;
//!   a larger one moves to an anonymous temporary file (`tempfile::tempfile`, in the system's
//!   temporary folder, `TMPDIR` on Unix). Such a file has no name (Linux) or is deleted on
//!   close (other Unix systems unlink it at once, Windows opens it delete-on-close), so
//!   nothing is left behind however the process ends: normally, on an error, on Ctrl-C, or
//!   killed.
//! - **Memory**: each pass reads the file a batch at a time (as many records as the simulation
//!   asks for, at most [`CHUNK_RECORDS`]) into a buffer of its own, at the pass's own offset (no
//!   lock: the replications running in parallel share the open file, not a position). What a run holds is bounded by a
//!   constant besides the sessions in progress, whatever the export's length.
//! - **The export may change afterwards**: the runs read only the copy, so editing, replacing
//!   or deleting the export while a run is going on affects nothing.

use std::fs::File;
use std::io::{self, BufWriter, Read, Write};

use crate::model::trace::{TraceFeed, TracePass, TraceSession};

/// Bytes per session: start `f64`, end `f64`, feature `u16`.
const RECORD: usize = 18;

/// A copy up to this many bytes stays in memory.
pub const IN_MEMORY: usize = 1 << 20;

/// The most records one read of a file copy takes.
pub const CHUNK_RECORDS: usize = 4096;

fn encode(s: &TraceSession) -> [u8; RECORD] {
    let mut r = [0u8; RECORD];
    r[..8].copy_from_slice(&s.start_s.to_le_bytes());
    r[8..16].copy_from_slice(&s.end_s.to_le_bytes());
    r[16..].copy_from_slice(&s.feature.to_le_bytes());
    r
}

#[inline]
fn decode(r: &[u8]) -> TraceSession {
    let f64_at = |at: usize| {
        let mut b = [0u8; 8];
        b.copy_from_slice(&r[at..at + 8]);
        f64::from_le_bytes(b)
    };
    TraceSession {
        start_s: f64_at(0),
        end_s: f64_at(8),
        feature: u16::from_le_bytes([r[16], r[17]]),
    }
}

/// Builds a copy, session by session.
#[derive(Default)]
pub struct SpoolWriter {
    memory: Vec<u8>,
    file: Option<BufWriter<File>>,
    records: u64,
}

impl SpoolWriter {
    /// An empty copy, in memory.
    pub fn new() -> SpoolWriter {
        SpoolWriter::default()
    }

    /// Appends a session (sessions come in the order they are to be replayed). Moving to a
    /// temporary file, or writing to it, can fail.
    pub fn push(&mut self, s: &TraceSession) -> io::Result<()> {
        let r = encode(s);
        match &mut self.file {
            Some(f) => f.write_all(&r)?,
            None if self.memory.len() + RECORD > IN_MEMORY => {
                let mut f = BufWriter::with_capacity(1 << 16, tempfile::tempfile()?);
                f.write_all(&self.memory)?;
                f.write_all(&r)?;
                self.memory = Vec::new();
                self.file = Some(f);
            }
            None => self.memory.extend_from_slice(&r),
        }
        self.records += 1;
        Ok(())
    }

    /// The finished copy.
    pub fn finish(self) -> io::Result<Spool> {
        let store = match self.file {
            Some(f) => Store::File(f.into_inner().map_err(|e| e.into_error())?),
            None => Store::Memory(self.memory.into_boxed_slice()),
        };
        Ok(Spool {
            store,
            records: self.records,
        })
    }
}

enum Store {
    Memory(Box<[u8]>),
    File(File),
}

/// A finished copy: a [`TraceFeed`] whose every pass yields the same sessions.
pub struct Spool {
    store: Store,
    records: u64,
}

impl Spool {
    /// Sessions in the copy.
    pub fn len(&self) -> u64 {
        self.records
    }

    /// Whether the copy has no session.
    pub fn is_empty(&self) -> bool {
        self.records == 0
    }

    /// Whether the copy is in a temporary file rather than in memory.
    pub fn on_disk(&self) -> bool {
        matches!(self.store, Store::File(_))
    }
}

impl std::fmt::Debug for Spool {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Spool")
            .field("records", &self.records)
            .field("on_disk", &self.on_disk())
            .finish()
    }
}

impl TraceFeed for Spool {
    fn sessions(&self) -> Result<Box<dyn TracePass + '_>, String> {
        Ok(match &self.store {
            Store::Memory(bytes) => Box::new(MemoryPass(bytes)),
            Store::File(file) => Box::new(FilePass {
                file,
                buf: Vec::new(),
                offset: 0,
                left: self.records,
            }),
        })
    }
}

/// Decodes the records of `bytes` (whole records) onto `out`.
fn decode_all(bytes: &[u8], out: &mut Vec<TraceSession>) {
    out.extend(bytes.chunks_exact(RECORD).map(decode));
}

/// A pass over a copy in memory: the records not yet read.
struct MemoryPass<'a>(&'a [u8]);

impl TracePass for MemoryPass<'_> {
    fn next_batch(&mut self, out: &mut Vec<TraceSession>, max: usize) -> Result<(), String> {
        let (now, rest) = self
            .0
            .split_at(self.0.len().min(max.saturating_mul(RECORD)));
        decode_all(now, out);
        self.0 = rest;
        Ok(())
    }
}

/// A pass over a copy in a file.
struct FilePass<'a> {
    file: &'a File,
    /// The bytes of the last read.
    buf: Vec<u8>,
    /// Where the next read starts in the file.
    offset: u64,
    /// Records not yet read (0 after an error, which ends the pass).
    left: u64,
}

impl TracePass for FilePass<'_> {
    fn next_batch(&mut self, out: &mut Vec<TraceSession>, max: usize) -> Result<(), String> {
        let n = self.left.min(max.min(CHUNK_RECORDS) as u64) as usize;
        if n == 0 {
            return Ok(());
        }
        self.buf.resize(n * RECORD, 0);
        let read = crate::read_at::ReadAt::new(self.file, self.offset).read_exact(&mut self.buf);
        if let Err(e) = read {
            self.left = 0;
            return Err(format!("cannot read the temporary copy of the trace: {e}"));
        }
        self.offset += self.buf.len() as u64;
        self.left -= n as u64;
        decode_all(&self.buf, out);
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sessions(n: u64) -> Vec<TraceSession> {
        (0..n)
            .map(|i| TraceSession {
                start_s: i as f64 * 0.1 - 5.0,
                end_s: i as f64 * 0.1 + 1.0 / 3.0,
                feature: (i % 7) as u16,
            })
            .collect()
    }

    /// A whole pass, in batches of `max`.
    fn pass(spool: &Spool, max: usize) -> Vec<TraceSession> {
        let mut p = spool.sessions().unwrap();
        let mut out = Vec::new();
        loop {
            let before = out.len();
            p.next_batch(&mut out, max).unwrap();
            assert!(out.len() - before <= max);
            if out.len() == before {
                return out;
            }
        }
    }

    #[test]
    fn small_copies_stay_in_memory_and_large_ones_go_to_a_file_bit_for_bit() {
        let limit = (IN_MEMORY / RECORD) as u64;
        for n in [0, 1, limit, limit + 1, 2 * limit + 17] {
            let want = sessions(n);
            let mut w = SpoolWriter::new();
            for s in &want {
                w.push(s).unwrap();
            }
            let spool = w.finish().unwrap();
            assert_eq!(spool.len(), n);
            assert_eq!(spool.on_disk(), n > limit, "{n} sessions");
            // Every pass gives the same sessions, bit for bit, whatever its batches.
            for max in [1, 1000, CHUNK_RECORDS + 1] {
                let got = pass(&spool, max);
                assert_eq!(got.len(), want.len());
                for (g, w) in got.iter().zip(&want) {
                    assert_eq!(g.start_s.to_bits(), w.start_s.to_bits());
                    assert_eq!(g.end_s.to_bits(), w.end_s.to_bits());
                    assert_eq!(g.feature, w.feature);
                }
            }
            // Passes side by side do not disturb each other.
            let mut a = spool.sessions().unwrap();
            let mut b = spool.sessions().unwrap();
            let (mut got_a, mut got_b) = (Vec::new(), Vec::new());
            loop {
                let before = (got_a.len(), got_b.len());
                a.next_batch(&mut got_a, 777).unwrap();
                b.next_batch(&mut got_b, 1234).unwrap();
                if (got_a.len(), got_b.len()) == before {
                    break;
                }
            }
            assert_eq!(got_a, want);
            assert_eq!(got_b, want);
        }
    }

    #[test]
    fn special_values_survive() {
        let odd = [f64::MIN_POSITIVE, -0.0, 1e300, -1e-300, f64::INFINITY];
        let mut w = SpoolWriter::new();
        for (i, &x) in odd.iter().enumerate() {
            w.push(&TraceSession {
                start_s: x,
                end_s: -x,
                feature: u16::MAX - i as u16,
            })
            .unwrap();
        }
        let got = pass(&w.finish().unwrap(), 2);
        assert_eq!(got.len(), odd.len());
        for (i, (g, &x)) in got.iter().zip(&odd).enumerate() {
            assert_eq!(g.start_s.to_bits(), x.to_bits());
            assert_eq!(g.end_s.to_bits(), (-x).to_bits());
            assert_eq!(g.feature, u16::MAX - i as u16);
        }
    }
}
