//! The pending-event set, ordered by `(time, seq)`.
//!
//! Simulated time only moves forward: the engine never schedules an event before the time of
//! the last event popped. That makes the queue *monotone*, and a monotone queue can be a
//! **radix heap** (Ahuja, Mehlhorn, Orlin and Tarjan, 1990) instead of a binary heap. Here it
//! has 8-bit digits:
//!
//! - `current` holds the events at exactly `now` (the time of the last pop), in scheduling
//!   order.
//! - Every other pending event sits in the bucket named by the most significant 8-bit digit in
//!   which its time differs from `now` (the *level*, 0–7) and its own digit there (1–255). Bucket
//!   order is time order: everything in a lower bucket is earlier than everything in a higher
//!   one. Scheduling is an append, O(1).
//! - When `current` runs dry, the lowest non-empty bucket (found through a two-level bitmap)
//!   holds the earliest events: `now` moves to its minimum and its events are moved down into
//!   `current` and lower-level buckets. An event moves at most 8 times in its life (once per
//!   level), in practice once or twice; a binary heap does ~log₂ P comparisons and cache misses
//!   per operation, so the radix heap wins more the more events are pending.
//!
//! **Equal times pop in scheduling order without comparing `seq`.** By induction every bucket
//! keeps its equal-time events in scheduling order: a new event is appended and has the
//! largest `seq` so far; a bucket is emptied only when it is the lowest non-empty one, so the
//! buckets its events move into are empty and receive them in the bucket's own order; and
//! events with equal times always share a bucket. `seq` is still stored, because
//! [`Scheduled`] reports it.
//!
//! `benches/queue.rs` measures this queue against `BinaryHeap<Reverse<(u64, u64, u32)>>` in a
//! hold model; `benches/queue_candidates.rs` keeps the alternatives that were tried and
//! rejected (1-, 2- and 4-bit digits, a 4-ary heap, the former `BinaryHeap<Scheduled>`), and
//! `reports/bench/queue_design_history.csv` the memory of each way of storing the buckets.

use super::SimTime;
use std::cmp::Ordering;
use std::collections::VecDeque;
use std::fmt;

/// An event with its firing time and scheduling sequence number.
#[derive(Debug, Clone, Copy)]
pub struct Scheduled<E> {
    /// When the event fires.
    pub time: SimTime,
    /// Order of scheduling: among events at the same time, the one scheduled first runs first.
    /// This makes the run deterministic without relying on the queue's internals.
    pub seq: u64,
    /// The payload.
    pub event: E,
}

impl<E> PartialEq for Scheduled<E> {
    fn eq(&self, other: &Self) -> bool {
        self.time == other.time && self.seq == other.seq
    }
}
impl<E> Eq for Scheduled<E> {}
impl<E> PartialOrd for Scheduled<E> {
    fn partial_cmp(&self, other: &Self) -> Option<Ordering> {
        Some(self.cmp(other))
    }
}
impl<E> Ord for Scheduled<E> {
    /// Reversed, so that a max-heap such as `BinaryHeap` pops the earliest `(time, seq)`.
    fn cmp(&self, other: &Self) -> Ordering {
        (other.time, other.seq).cmp(&(self.time, self.seq))
    }
}

/// Bits per digit of the radix heap. 8 was the fastest of 1, 2, 4 and 8 up to 10⁵ pending events
/// in `benches/queue_candidates.rs` (4 won at 10⁶): fewer levels means fewer moves per event,
/// and 2,048 buckets still fit a two-level bitmap.
const DIGIT_BITS: u32 = 8;
/// Values of one digit.
const DIGITS: usize = 1 << DIGIT_BITS;
/// Levels: digits in a `u64` time.
const LEVELS: usize = 64 / DIGIT_BITS as usize;
/// Buckets, indexed `level * DIGITS + digit`; digit 0 of every level is never used (an event's
/// digit at its level is greater than `now`'s, hence at least 1).
const BUCKETS: usize = LEVELS * DIGITS;
/// Words of the occupancy bitmap (one bit per bucket); one summary bit per word.
const WORDS: usize = BUCKETS / 64;
const _: () = assert!(WORDS <= 64, "the summary bitmap is one u64");

/// Events per segment. Buckets are chains of fixed-size segments drawn from one arena, so
/// emptying a bucket hands its memory straight to the buckets its events move into.
const SEGMENT: usize = 8;
/// No segment (end of a chain, or an empty bucket).
const NIL: u32 = u32::MAX;

/// A block of up to `SEGMENT` events of one bucket, in scheduling order, and the next block.
struct Segment<E> {
    events: Vec<Scheduled<E>>,
    next: u32,
}

/// Future events. Time only moves forward: scheduling before `now()` is a bug and panics in
/// debug builds (it would silently reorder causality otherwise, and would break the radix
/// heap's invariant); release builds clamp to `now`.
///
/// Memory follows the pending population, not the horizon: buckets are chains of
/// `SEGMENT`-event segments from one arena with a free list, so the arena holds at most the
/// peak number of segments in use. (Two designs measured in `benches/memory.rs` did worse: one
/// vector per bucket, each keeping its capacity, doubled the peak heap from a 3 h to a 30 h
/// horizon, because ever new (level, digit) buckets fill once as time advances and each kept
/// its peak; handing emptied vectors to the next bucket instead still grew it 1.3× and freed
/// and allocated a vector every few events.)
pub struct EventQueue<E> {
    /// Time of the last event popped; every pending event is at or after it.
    now: SimTime,
    next_seq: u64,
    len: usize,
    /// Earliest pending time (`u64::MAX` when empty), kept up to date so that `peek_time` is
    /// O(1) and takes `&self`.
    min: u64,
    /// Events at exactly `now`, in scheduling order.
    current: VecDeque<Scheduled<E>>,
    /// First and last segment of each bucket (`NIL` when empty); see the module docs.
    chains: Box<[(u32, u32)]>,
    /// Every segment ever allocated; those not in a chain are in `free`, empty.
    segments: Vec<Segment<E>>,
    free: Vec<u32>,
    /// Bit `b` set ⇔ bucket `b` is not empty.
    occupied: [u64; WORDS],
    /// Bit `w` set ⇔ `occupied[w] != 0`.
    summary: u64,
}

impl<E> fmt::Debug for EventQueue<E> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("EventQueue")
            .field("now", &self.now)
            .field("len", &self.len)
            .field("next_time", &self.peek_time())
            .field("next_seq", &self.next_seq)
            .field("segments", &self.segments.len())
            .finish_non_exhaustive()
    }
}

impl<E> Default for EventQueue<E> {
    fn default() -> Self {
        Self::new()
    }
}

impl<E> EventQueue<E> {
    /// An empty queue at time zero.
    pub fn new() -> Self {
        Self::with_capacity(0)
    }

    /// An empty queue with room for about `n` pending events (segments are allocated on
    /// demand and reused, so the hint only saves the first allocations).
    pub fn with_capacity(n: usize) -> Self {
        let mut q = EventQueue {
            now: SimTime::ZERO,
            next_seq: 0,
            len: 0,
            min: u64::MAX,
            current: VecDeque::new(),
            chains: vec![(NIL, NIL); BUCKETS].into_boxed_slice(),
            segments: Vec::new(),
            free: Vec::new(),
            occupied: [0; WORDS],
            summary: 0,
        };
        for _ in 0..n.div_ceil(SEGMENT) {
            let k = q.new_segment();
            q.free.push(k);
        }
        q
    }

    /// Time of the last event popped.
    pub fn now(&self) -> SimTime {
        self.now
    }

    /// Number of pending events.
    pub fn len(&self) -> usize {
        self.len
    }

    /// Whether no event is pending.
    pub fn is_empty(&self) -> bool {
        self.len == 0
    }

    /// Schedules `event` at absolute time `time`.
    pub fn schedule(&mut self, time: SimTime, event: E) {
        debug_assert!(time >= self.now, "event scheduled in the past");
        let time = time.max(self.now);
        let seq = self.next_seq;
        self.next_seq += 1;
        self.len += 1;
        self.min = self.min.min(time.0);
        let item = Scheduled { time, seq, event };
        match self.bucket(time.0) {
            0 => self.current.push_back(item),
            b => self.push_to(b, item),
        }
    }

    /// Schedules `event` after `delay` from now.
    pub fn schedule_in(&mut self, delay: SimTime, event: E) {
        self.schedule(self.now.plus(delay), event);
    }

    /// Time of the next event, if any.
    pub fn peek_time(&self) -> Option<SimTime> {
        (self.len > 0).then_some(SimTime(self.min))
    }

    /// Removes and returns the next event, advancing `now` to its time.
    pub fn pop(&mut self) -> Option<Scheduled<E>> {
        if self.len == 0 {
            return None;
        }
        let s = match self.current.pop_front() {
            Some(s) => s,
            None => {
                // The lowest non-empty bucket holds the earliest events; `min` is theirs.
                let b = self.lowest();
                self.now = SimTime(self.min);
                self.unmark(b);
                let (mut k, _) = std::mem::replace(&mut self.chains[b], (NIL, NIL));
                let first = &mut self.segments[k as usize];
                if first.next == NIL && first.events.len() == 1 {
                    // A lone earliest event (the usual case when times rarely tie): pop it
                    // without moving it through `current`.
                    let s = first.events.pop().expect("bucket marked non-empty");
                    self.free.push(k);
                    self.len -= 1;
                    self.refresh_min();
                    return Some(s);
                }
                while k != NIL {
                    let seg = &mut self.segments[k as usize];
                    let next = std::mem::replace(&mut seg.next, NIL);
                    let mut events = std::mem::take(&mut seg.events);
                    for s in events.drain(..) {
                        match self.bucket(s.time.0) {
                            0 => self.current.push_back(s),
                            nb => {
                                debug_assert!(nb < b, "radix heap events only move down");
                                self.push_to(nb, s);
                            }
                        }
                    }
                    // The segment is free again at once, for the buckets still filling.
                    self.segments[k as usize].events = events;
                    self.free.push(k);
                    k = next;
                }
                self.current
                    .pop_front()
                    .expect("the minimum moved to `current`")
            }
        };
        self.len -= 1;
        if self.current.is_empty() {
            self.refresh_min();
        }
        Some(s)
    }

    /// The bucket of an event at `time` (≥ `now`): 0 for `current`, else `level * DIGITS + digit`.
    #[inline]
    fn bucket(&self, time: u64) -> usize {
        let diff = time ^ self.now.0;
        if diff == 0 {
            return 0;
        }
        let level = (63 - diff.leading_zeros()) / DIGIT_BITS;
        let digit = (time >> (level * DIGIT_BITS)) as usize & (DIGITS - 1);
        level as usize * DIGITS + digit
    }

    /// A new empty segment in the arena; returns its index.
    #[cold]
    fn new_segment(&mut self) -> u32 {
        let k = u32::try_from(self.segments.len()).expect("fewer than 2^32 segments");
        assert!(k != NIL, "event queue segment arena full");
        self.segments.push(Segment {
            events: Vec::with_capacity(SEGMENT),
            next: NIL,
        });
        k
    }

    /// Appends to bucket `b` (≥ 1), chaining a segment from the free list when the last is full.
    #[inline]
    fn push_to(&mut self, b: usize, item: Scheduled<E>) {
        let (head, tail) = self.chains[b];
        if tail != NIL {
            let last = &mut self.segments[tail as usize].events;
            if last.len() < SEGMENT {
                last.push(item);
                return;
            }
        }
        let k = match self.free.pop() {
            Some(k) => k,
            None => self.new_segment(),
        };
        self.segments[k as usize].events.push(item);
        if tail == NIL {
            self.chains[b] = (k, k);
            self.occupied[b / 64] |= 1 << (b % 64);
            self.summary |= 1 << (b / 64);
        } else {
            self.segments[tail as usize].next = k;
            self.chains[b] = (head, k);
        }
    }

    #[inline]
    fn unmark(&mut self, b: usize) {
        let w = b / 64;
        self.occupied[w] &= !(1 << (b % 64));
        if self.occupied[w] == 0 {
            self.summary &= !(1 << w);
        }
    }

    /// The lowest non-empty bucket; only called when `current` is empty and `len > 0`.
    #[inline]
    fn lowest(&self) -> usize {
        let w = self.summary.trailing_zeros() as usize;
        w * 64 + self.occupied[w].trailing_zeros() as usize
    }

    /// Recomputes `min` once `current` is empty: the minimum of the lowest bucket.
    fn refresh_min(&mut self) {
        self.min = if self.len == 0 {
            u64::MAX
        } else if !self.current.is_empty() {
            self.now.0
        } else {
            let mut k = self.chains[self.lowest()].0;
            let mut min = u64::MAX;
            while k != NIL {
                let seg = &self.segments[k as usize];
                min = seg.events.iter().fold(min, |m, s| m.min(s.time.0));
                k = seg.next;
            }
            min
        };
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::cmp::Reverse;
    use std::collections::BinaryHeap;

    #[test]
    fn equal_times_pop_in_scheduling_order() {
        let mut q = EventQueue::new();
        q.schedule(SimTime(5), 'b');
        q.schedule(SimTime(1), 'a');
        q.schedule(SimTime(5), 'c');
        q.schedule(SimTime(5), 'd');
        let order: Vec<char> = std::iter::from_fn(|| q.pop().map(|s| s.event)).collect();
        assert_eq!(order, vec!['a', 'b', 'c', 'd']);
        assert_eq!(q.now(), SimTime(5));
    }

    /// SplitMix64: a tiny deterministic generator, so the test needs no seed plumbing.
    fn next(state: &mut u64) -> u64 {
        *state = state.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = *state;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }

    /// A delay drawn from a mix of scales: zero (ties at `now`), a few µs (ties later on),
    /// seconds, hours, and huge values near the top of the time range.
    fn delay(state: &mut u64, shape: u64) -> u64 {
        let r = next(state);
        match (r >> 60) % shape {
            0 => 0,
            1 => r % 4,
            2 => r % 1_000_000,
            3 => r % 3_600_000_000,
            4 => r % (1 << 40),
            _ => r >> (r % 64),
        }
    }

    /// Pops from the queue and from a `BinaryHeap<Reverse<(time, seq, payload)>>` reference
    /// must agree event for event, on random interleavings of schedules and pops with many
    /// equal times, for several delay mixes (seed printed on failure).
    #[test]
    fn pops_in_the_same_order_as_a_binary_heap() {
        for seed in 0..40u64 {
            let mut rng = seed.wrapping_mul(0x2545_F491_4F6C_DD1D);
            let shape = 2 + seed % 5;
            let mut q: EventQueue<u32> = EventQueue::new();
            let mut reference: BinaryHeap<Reverse<(u64, u64, u32)>> = BinaryHeap::new();
            let mut seq = 0u64;
            let mut payload = 0u32;
            let mut popped = 0;
            for _ in 0..20_000 {
                let pushes = next(&mut rng) % 4; // on average 1.5 schedules per pop
                for _ in 0..pushes {
                    let now = q.now().0;
                    let t = now.saturating_add(delay(&mut rng, shape));
                    q.schedule(SimTime(t), payload);
                    reference.push(Reverse((t, seq, payload)));
                    seq += 1;
                    payload += 1;
                }
                assert_eq!(q.len(), reference.len(), "seed {seed}");
                assert_eq!(
                    q.peek_time().map(|t| t.0),
                    reference.peek().map(|r| r.0.0),
                    "seed {seed}"
                );
                match (q.pop(), reference.pop()) {
                    (None, None) => {}
                    (Some(s), Some(Reverse((t, sq, p)))) => {
                        assert_eq!((s.time.0, s.seq, s.event), (t, sq, p), "seed {seed}");
                        assert_eq!(q.now(), s.time, "seed {seed}");
                        popped += 1;
                    }
                    (a, b) => panic!("seed {seed}: queue gave {a:?}, reference {b:?}"),
                }
            }
            while let Some(Reverse((t, sq, p))) = reference.pop() {
                let s = q.pop().expect("queue ran out before the reference");
                assert_eq!((s.time.0, s.seq, s.event), (t, sq, p), "seed {seed}");
            }
            assert!(q.pop().is_none() && q.is_empty() && q.peek_time().is_none());
            assert!(popped > 10_000, "seed {seed}: the test must exercise pops");
        }
    }

    #[test]
    fn schedule_in_and_refill_after_empty() {
        let mut q = EventQueue::with_capacity(4);
        q.schedule_in(SimTime(10), 1);
        assert_eq!(q.pop().map(|s| (s.time, s.event)), Some((SimTime(10), 1)));
        assert!(q.is_empty());
        q.schedule_in(SimTime(0), 2);
        q.schedule_in(SimTime(300), 3);
        q.schedule(SimTime(10), 4);
        assert_eq!(q.peek_time(), Some(SimTime(10)));
        let order: Vec<i32> = std::iter::from_fn(|| q.pop().map(|s| s.event)).collect();
        assert_eq!(order, vec![2, 4, 3]);
        assert_eq!(q.now(), SimTime(310));
    }
}
