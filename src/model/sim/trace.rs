//! Trace replay (R13): the cursor over a call-detail trace. Sessions in progress at time 0 are
//! placed before the first event; the others arrive one at a time, each scheduled when the one
//! before it arrives. The cursor reads the trace a batch of [`BATCH`] sessions at a time, so a
//! replication holds at most that many sessions not yet arrived.

use rand::SeedableRng;
use rand_distr::{Distribution, Poisson};

use super::*;
use crate::model::trace::{TraceMode, TracePass, TraceSession};

/// Sessions read from the trace at a time.
const BATCH: usize = 1024;

/// A session scheduled to arrive: what its arrival needs.
#[derive(Clone, Copy)]
struct Pending {
    hold: SimTime,
    /// Run feature id.
    feature: u16,
}

/// Where a replication is in its trace.
pub(super) struct Cursor<'a> {
    /// The pass over the trace (`None` once it is over).
    pass: Option<Box<dyn TracePass + 'a>>,
    /// The last batch read; `batch[at..]` are still to come.
    batch: Vec<TraceSession>,
    at: usize,
    /// Run feature id of each trace feature (`None`: not in this run, its rows are skipped).
    to_feature: Vec<Option<u16>>,
    /// The session scheduled as the next `TraceArrival`.
    pending: Option<Pending>,
    /// Copies of `pending` still to arrive after it (bootstrap).
    copies_left: u32,
    /// Draws the number of copies of each row (bootstrap only; the same draws for both
    /// replications of a pair).
    resample: Option<(SimRng, Poisson<f64>)>,
    /// Why the trace stopped early, if it did.
    pub(super) error: Option<String>,
}

impl<'a> Cursor<'a> {
    /// The cursor of `cfg`'s trace, if it has one. A trace that cannot be opened is recorded
    /// as the cursor's error and replays nothing.
    pub(super) fn open(cfg: &'a RunConfig, seeds: Seeds) -> Option<Cursor<'a>> {
        let trace = cfg.trace.as_ref()?;
        let to_feature = (trace.features.iter())
            .map(|n| {
                (cfg.features.iter())
                    .position(|f| &f.name == n)
                    .map(|i| i as u16)
            })
            .collect();
        let (pass, error) = match trace.feed.sessions() {
            Ok(p) => (Some(p), None),
            Err(e) => (None, Some(e)),
        };
        let resample = (trace.mode == TraceMode::Bootstrap).then(|| {
            // Keyed by the pair, not the replication: replications 2k and 2k + 1 take the
            // same resample (see `Seeds`).
            let mut rng = SimRng::seed_from_u64(mix64(seeds.pair ^ stable_hash("trace")));
            rng.set_stream(4);
            (rng, Poisson::new(1.0).expect("a rate of 1 is valid"))
        });
        Some(Cursor {
            pass,
            batch: Vec::new(),
            at: 0,
            to_feature,
            pending: None,
            copies_left: 0,
            resample,
            error,
        })
    }

    /// Reads the next batch; `None` if the pass is over.
    #[cold]
    fn read_batch(&mut self) -> Option<()> {
        let pass = self.pass.as_mut()?;
        self.batch.clear();
        self.at = 0;
        if self.batch.capacity() == 0 {
            self.batch.reserve_exact(BATCH);
        }
        if let Err(e) = pass.next_batch(&mut self.batch, BATCH) {
            self.error = Some(e);
            self.pass = None;
        }
        if self.batch.is_empty() {
            self.pass = None;
            return None;
        }
        Some(())
    }

    /// Schedules the next session of this run (and remembers it) that starts after time 0,
    /// skipping rows a bootstrap takes no copy of; returns a session in progress at time 0
    /// instead, with its run feature id and how many times it arrives, for the caller to
    /// place. `None` once scheduled, at the end, or on an error.
    fn schedule_next(&mut self, q: &mut EventQueue<Event>) -> Option<(TraceSession, usize, u32)> {
        self.pending = None;
        loop {
            if self.at == self.batch.len() {
                self.read_batch()?;
            }
            let s = self.batch[self.at];
            self.at += 1;
            // Every row draws its copies, whether or not its feature is in this run.
            let copies = match &mut self.resample {
                Some((rng, poisson)) => poisson.sample(rng) as u32,
                None => 1,
            };
            let Some(&Some(f)) = self.to_feature.get(s.feature as usize) else {
                continue;
            };
            if s.start_s <= 0.0 {
                return Some((s, f as usize, copies));
            }
            if copies > 0 {
                self.pending = Some(Pending {
                    hold: SimTime::from_secs_f64(s.end_s - s.start_s),
                    feature: f,
                });
                self.copies_left = copies - 1;
                q.schedule(SimTime::from_secs_f64(s.start_s), Event::TraceArrival);
                return None;
            }
        }
    }
}

impl State<'_> {
    /// Places the sessions in progress at time 0 (every server runs, nothing is scheduled
    /// yet) and schedules the first later one.
    pub(super) fn start_trace(&mut self, q: &mut EventQueue<Event>) {
        while let Some((s, f, copies)) = self.trace.as_mut().and_then(|c| c.schedule_next(q)) {
            let hold = SimTime::from_secs_f64(s.end_s);
            for _ in 0..copies {
                self.new_session(SimTime::ZERO, f, hold, q);
            }
        }
    }

    /// The pending trace session arrives; the next one (or the next copy) is scheduled.
    pub(super) fn on_trace_arrival(&mut self, now: SimTime, q: &mut EventQueue<Event>) {
        let Some(cursor) = self.trace.as_mut() else {
            return;
        };
        let Some(Pending { hold, feature }) = cursor.pending else {
            return;
        };
        if cursor.copies_left > 0 {
            cursor.copies_left -= 1;
            q.schedule(now, Event::TraceArrival);
        } else {
            // Rows are sorted by start, so none after the first arrival starts before time 0.
            cursor.schedule_next(q);
        }
        self.new_session(now, feature as usize, hold, q);
    }
}
