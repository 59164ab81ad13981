//! Trace replay (R13): the cursor over a call-detail trace. Sessions in progress at time 0 are
//! placed before the first event; the others arrive one at a time, the next one read only
//! when the previous one arrives, so a replication holds one pending row.

use rand::SeedableRng;
use rand_distr::{Distribution, Poisson};

use super::*;
use crate::model::trace::{TraceMode, TraceSession};

type Sessions<'a> = Box<dyn Iterator<Item = Result<TraceSession, String>> + Send + 'a>;

/// Where a replication is in its trace.
pub(super) struct Cursor<'a> {
    sessions: Sessions<'a>,
    /// Run feature id of each trace feature (`None`: not in this run, its rows are skipped).
    to_feature: Vec<Option<u16>>,
    /// The session scheduled as the next `TraceArrival`, with its run feature id.
    pending: Option<(TraceSession, usize)>,
    /// Copies of `pending` still to arrive after it (bootstrap).
    copies_left: u32,
    /// Draws the number of copies of each row (bootstrap only).
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
        let (sessions, error): (Sessions<'a>, _) = match trace.feed.sessions() {
            Ok(s) => (s, None),
            Err(e) => (Box::new(std::iter::empty()), Some(e)),
        };
        let resample = (trace.mode == TraceMode::Bootstrap).then(|| {
            let mut rng = SimRng::seed_from_u64(mix64(seeds.sessions ^ stable_hash("trace")));
            rng.set_stream(4);
            (rng, Poisson::new(1.0).expect("a rate of 1 is valid"))
        });
        Some(Cursor {
            sessions,
            to_feature,
            pending: None,
            copies_left: 0,
            resample,
            error,
        })
    }

    /// The next session of this run and how many times it arrives (0 to skip it in a
    /// bootstrap); `None` at the end or on an error.
    fn next_row(&mut self) -> Option<(TraceSession, usize, u32)> {
        loop {
            let s = match self.sessions.next()? {
                Ok(s) => s,
                Err(e) => {
                    self.error = Some(e);
                    return None;
                }
            };
            let copies = match &mut self.resample {
                Some((rng, poisson)) => poisson.sample(rng) as u32,
                None => 1,
            };
            if let Some(Some(f)) = self.to_feature.get(s.feature as usize) {
                return Some((s, *f as usize, copies));
            }
        }
    }
}

impl Cursor<'_> {
    /// Schedules the next session of the trace (and remembers it) that starts after time 0,
    /// skipping rows a bootstrap takes no copy of; returns a session in progress at time 0
    /// instead, for the caller to place.
    fn schedule_next(&mut self, q: &mut EventQueue<Event>) -> Option<(TraceSession, usize, u32)> {
        self.pending = None;
        while let Some((s, f, copies)) = self.next_row() {
            if s.start_s <= 0.0 {
                return Some((s, f, copies));
            }
            if copies > 0 {
                self.pending = Some((s, f));
                self.copies_left = copies - 1;
                q.schedule(SimTime::from_secs_f64(s.start_s), Event::TraceArrival);
                return None;
            }
        }
        None
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
        let Some((s, f)) = cursor.pending else {
            return;
        };
        if cursor.copies_left > 0 {
            cursor.copies_left -= 1;
            q.schedule(now, Event::TraceArrival);
        } else {
            // Rows are sorted by start, so none after the first arrival starts before time 0.
            cursor.schedule_next(q);
        }
        let hold = SimTime::from_secs_f64(s.end_s - s.start_s);
        self.new_session(now, f, hold, q);
    }
}
