//! Trace replay (R13): sessions read from a call-detail export instead of drawn arrivals.
//!
//! The model does no I/O: the caller supplies a [`TraceFeed`] that yields the sessions in
//! order of start time, in simulated seconds (a session in progress at time 0 starts before
//! it). The simulation pulls them a small batch at a time, so memory follows the sessions
//! active at once, not the length of the export.

use std::fmt;
use std::sync::Arc;

/// One session of the trace, in simulated seconds.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct TraceSession {
    /// When it starts (negative: before simulated time 0).
    pub start_s: f64,
    /// When it ends (after `start_s`).
    pub end_s: f64,
    /// Index into [`Trace::features`].
    pub feature: u16,
}

/// The sessions of a trace, in non-decreasing start order, one pass per call of
/// [`TraceFeed::sessions`]; a replication makes one pass and stops reading at its horizon.
pub trait TraceFeed: Send + Sync {
    /// A new pass over the sessions that end after time 0.
    fn sessions(&self) -> Result<Box<dyn TracePass + '_>, String>;
}

/// One pass over a trace's sessions, read a batch at a time.
pub trait TracePass: Send {
    /// Appends the next sessions of the pass to `out`: at most `max`, and at least one unless
    /// the pass is over (nothing appended ends it). An `Err` ends the pass too (the source could
    /// not be read); the sessions appended before it still count.
    fn next_batch(&mut self, out: &mut Vec<TraceSession>, max: usize) -> Result<(), String>;
}

/// How replications use the trace.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TraceMode {
    /// Every replication replays the same sessions (routing choices stay random).
    Replay,
    /// Each pair of replications (`2k`, `2k + 1`) takes every session a Poisson(1) number of
    /// times (the Poisson bootstrap): a resample of the sessions that keeps their times of day.
    /// The summary's intervals are then for the process behind the recorded night
    /// (`stats::TwoPass::paired`).
    Bootstrap,
}

impl TraceMode {
    /// Name used in scenarios and reports.
    pub fn name(self) -> &'static str {
        match self {
            TraceMode::Replay => "replay",
            TraceMode::Bootstrap => "bootstrap",
        }
    }
}

/// A trace as a run uses it.
#[derive(Clone)]
pub struct Trace {
    /// Where the sessions come from.
    pub feed: Arc<dyn TraceFeed>,
    /// Replay or bootstrap.
    pub mode: TraceMode,
    /// Feature names, by the index a [`TraceSession`] carries.
    pub features: Vec<String>,
    /// Where it comes from, for messages and reports (the file as written).
    pub source: String,
}

impl fmt::Debug for Trace {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Trace")
            .field("source", &self.source)
            .field("mode", &self.mode)
            .field("features", &self.features)
            .finish_non_exhaustive()
    }
}

/// A feed over sessions held in memory (tests, and small traces built by a program).
#[derive(Debug, Clone, Default)]
pub struct VecFeed(pub Vec<TraceSession>);

impl TraceFeed for VecFeed {
    fn sessions(&self) -> Result<Box<dyn TracePass + '_>, String> {
        Ok(Box::new(VecPass(&self.0)))
    }
}

/// A pass over a [`VecFeed`]: the sessions not yet read.
struct VecPass<'a>(&'a [TraceSession]);

impl TracePass for VecPass<'_> {
    fn next_batch(&mut self, out: &mut Vec<TraceSession>, max: usize) -> Result<(), String> {
        let mut taken = 0;
        while let Some((s, rest)) = self.0.split_first()
            && taken < max
        {
            self.0 = rest;
            if s.end_s > 0.0 {
                out.push(*s);
                taken += 1;
            }
        }
        Ok(())
    }
}
