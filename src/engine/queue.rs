//! The pending-event set, ordered by `(time, seq)`.
//!
//! Simulated time only moves forward: the engine never schedules an event before the time of
//! the last event popped. That makes the queue *monotone*, and a monotone queue can be a
//! **radix heap** (Ahuja, Mehlhorn, Orlin and Tarjan, 1990) instead of a binary heap. Here it
//! has 8-bit digits:
//!
//! - Bucket 0 holds the events at exactly `now` (the time of the last pop), in scheduling
//!   order.
//! - Every other pending event sits in the bucket named by the most significant 8-bit digit in
//!   which its time differs from `now` (the *level*, 0–7) and its own digit there (1–255). Bucket
//!   order is time order: everything in a lower bucket is earlier than everything in a higher
//!   one. Scheduling is an append, O(1).
//! - When bucket 0 runs dry, the lowest non-empty bucket (found through a two-level bitmap)
//!   holds the earliest events: `now` moves to its minimum and its events are moved down into
//!   bucket 0 and lower-level buckets. An event moves at most 8 times in its life (once per
//!   level), in practice once or twice; a binary heap does ~log₂ P comparisons and cache misses
//!   per operation, so the radix heap wins more the more events are pending.
//!
//! **Equal times pop in scheduling order without storing a sequence number.** By induction
//! every bucket keeps its equal-time events in scheduling order: a new event is appended and
//! is the latest scheduled so far; a bucket is emptied only when it is the lowest non-empty
//! one, so the buckets its events move into are empty and receive them in the bucket's own
//! order; and events with equal times always share a bucket.
//!
//! `benches/queue.rs` measures this queue against `BinaryHeap<Reverse<(u64, u64, u32)>>` in a
//! hold model; `benches/queue_candidates.rs` keeps the alternatives that were tried and
//! rejected (1-, 2- and 4-bit digits, a 4-ary heap, the former `BinaryHeap<Scheduled>`), and
//! `reports/bench/queue_design_history.csv` the memory of each way of storing the buckets.

use super::SimTime;
use std::fmt;

/// An event with its firing time. Events at the same time pop in the order they were
/// scheduled, so the queue's order is `(time, seq)` where `seq` counts schedules; the radix heap
/// keeps that order without storing `seq` (see the module docs).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Scheduled<E> {
    /// When the event fires.
    pub time: SimTime,
    /// The payload.
    pub event: E,
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
/// digit at its level is greater than `now`'s, hence at least 1), and bucket 0 holds the events
/// at exactly `now`.
const BUCKETS: usize = LEVELS * DIGITS;
/// Words of the occupancy bitmap (one bit per bucket); one summary bit per word.
const WORDS: usize = BUCKETS / 64;
const _: () = assert!(WORDS <= 64, "the summary bitmap is one u64");

/// No node (end of a list, an empty bucket, or an empty free list).
const NIL: u32 = u32::MAX;

/// One bucket: a list of nodes, first and last (`NIL` when empty), and the earliest time in
/// it, so that the queue's minimum is known without walking the bucket.
#[derive(Debug, Clone, Copy)]
struct Chain {
    head: u32,
    tail: u32,
    min: u64,
}

const EMPTY: Chain = Chain {
    head: NIL,
    tail: NIL,
    min: u64::MAX,
};

/// A pending event and the next node of its bucket (or of the free list).
#[derive(Debug, Clone, Copy)]
struct Node<E> {
    /// The event's time in µs (the fields of [`Scheduled`] flattened, so that `next` fills
    /// what would be padding: 24 bytes per node for the simulation's 12-byte events).
    time: u64,
    next: u32,
    event: E,
}

/// Future events. Time only moves forward: scheduling before `now()` is a bug and panics in
/// debug builds (it would silently reorder causality otherwise, and would break the radix
/// heap's invariant); release builds clamp to `now`.
///
/// Each bucket is a singly linked list of nodes in one arena, with a free list threaded through
/// the unused nodes: scheduling takes a node, popping returns it, and moving an event to a lower
/// bucket relinks its node without copying the event. The arena holds at most the peak number
/// of pending events, so memory follows the pending population, not the horizon. (Designs
/// measured and rejected: one vector per bucket, each keeping its capacity, doubled the peak
/// heap from a 3 h to a 30 h horizon; chains of 8-event segments bounded memory but most
/// buckets hold one event, so they copied events and wasted 7 slots in 8, and were slower.)
pub struct EventQueue<E: Copy> {
    /// Time of the last event popped; every pending event is at or after it.
    now: SimTime,
    len: usize,
    /// Each bucket's list; bucket 0 holds the events at exactly `now`, in scheduling order.
    chains: Box<[Chain; BUCKETS]>,
    nodes: Vec<Node<E>>,
    /// First unused node (linked through `next`).
    free: u32,
    /// Bit `b` set ⇔ bucket `b` is not empty.
    occupied: [u64; WORDS],
    /// Bit `w` set ⇔ `occupied[w] != 0`.
    summary: u64,
}

impl<E: Copy> fmt::Debug for EventQueue<E> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("EventQueue")
            .field("now", &self.now)
            .field("len", &self.len)
            .field("next_time", &self.peek_time())
            .field("nodes", &self.nodes.len())
            .finish_non_exhaustive()
    }
}

impl<E: Copy> Default for EventQueue<E> {
    fn default() -> Self {
        Self::new()
    }
}

impl<E: Copy> EventQueue<E> {
    /// An empty queue at time zero.
    pub fn new() -> Self {
        Self::with_capacity(0)
    }

    /// An empty queue with room for `n` pending events before its arena grows.
    pub fn with_capacity(n: usize) -> Self {
        EventQueue {
            now: SimTime::ZERO,
            len: 0,
            chains: Box::new([EMPTY; BUCKETS]),
            nodes: Vec::with_capacity(n),
            free: NIL,
            occupied: [0; WORDS],
            summary: 0,
        }
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
    #[inline]
    pub fn schedule(&mut self, time: SimTime, event: E) {
        debug_assert!(time >= self.now, "event scheduled in the past");
        let time = time.max(self.now);
        self.len += 1;
        let item = Scheduled { time, event };
        let k = match self.free {
            NIL => self.new_node(item),
            k => {
                let node = &mut self.nodes[k as usize];
                self.free = node.next;
                *node = Node {
                    time: item.time.0,
                    next: NIL,
                    event: item.event,
                };
                k
            }
        };
        self.append(self.bucket(time.0), k, time.0);
    }

    /// A node for `item` at the end of the arena, when the free list is empty.
    #[cold]
    #[inline(never)]
    fn new_node(&mut self, item: Scheduled<E>) -> u32 {
        let k = u32::try_from(self.nodes.len()).expect("fewer than 2^32 pending events");
        assert!(k != NIL, "event queue full");
        self.nodes.push(Node {
            time: item.time.0,
            next: NIL,
            event: item.event,
        });
        k
    }

    /// Schedules `event` after `delay` from now.
    #[inline]
    pub fn schedule_in(&mut self, delay: SimTime, event: E) {
        self.schedule(self.now.plus(delay), event);
    }

    /// Time of the next event, if any: the minimum of the lowest non-empty bucket, O(1).
    #[inline]
    pub fn peek_time(&self) -> Option<SimTime> {
        (self.len > 0).then(|| SimTime(self.chains[self.lowest()].min))
    }

    /// Removes and returns the next event, advancing `now` to its time.
    #[inline]
    pub fn pop(&mut self) -> Option<Scheduled<E>> {
        self.pop_until(SimTime(u64::MAX))
    }

    /// Removes and returns the next event if it is at or before `limit`, advancing `now` to
    /// its time; `None` if the queue is empty or the next event is later.
    #[inline]
    pub fn pop_until(&mut self, limit: SimTime) -> Option<Scheduled<E>> {
        if self.len == 0 {
            return None;
        }
        // The lowest non-empty bucket holds the earliest events; `min` is theirs.
        let b = self.lowest();
        let Chain { head, tail, min } = self.chains[b];
        if min > limit.0 {
            return None;
        }
        self.now = SimTime(min);
        let k = if head == tail {
            // A lone earliest event (the usual case when times rarely tie): pop it without
            // moving it to bucket 0.
            self.chains[b] = EMPTY;
            self.unmark(b);
            head
        } else {
            self.pop_shared(b)
        };
        Some(self.take(k))
    }

    /// Unlinks the first event of bucket `b`, which holds several, after moving them down if
    /// `b` is not bucket 0 (then `now` is already their minimum). Kept out of line so that
    /// the usual lone pop stays small.
    #[inline(never)]
    fn pop_shared(&mut self, b: usize) -> u32 {
        if b != 0 {
            self.unmark(b);
            let Chain { head, .. } = std::mem::replace(&mut self.chains[b], EMPTY);
            let mut k = head;
            while k != NIL {
                let Node { time, next, .. } = self.nodes[k as usize];
                let nb = self.bucket(time);
                debug_assert!(nb < b, "radix heap events only move down");
                self.append(nb, k, time);
                k = next;
            }
        }
        // Bucket 0: the events at `now`, first scheduled first.
        let k = self.chains[0].head;
        let next = self.nodes[k as usize].next;
        if next == NIL {
            self.chains[0] = EMPTY;
            self.unmark(0);
        } else {
            self.chains[0].head = next;
        }
        k
    }

    /// Frees node `k` (already unlinked from its bucket) and returns its event.
    #[inline]
    fn take(&mut self, k: u32) -> Scheduled<E> {
        let node = &mut self.nodes[k as usize];
        let item = Scheduled {
            time: SimTime(node.time),
            event: node.event,
        };
        node.next = self.free;
        self.free = k;
        self.len -= 1;
        item
    }

    /// The bucket of an event at `time` (≥ `now`): 0 at `now`, else `level * DIGITS + digit`.
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

    /// Appends node `k`, whose event is at `time`, to bucket `b`.
    #[inline]
    fn append(&mut self, b: usize, k: u32, time: u64) {
        self.nodes[k as usize].next = NIL;
        let chain = &mut self.chains[b];
        if chain.tail == NIL {
            *chain = Chain {
                head: k,
                tail: k,
                min: time,
            };
            self.occupied[b / 64] |= 1 << (b % 64);
            self.summary |= 1 << (b / 64);
        } else {
            let tail = std::mem::replace(&mut chain.tail, k);
            chain.min = chain.min.min(time);
            self.nodes[tail as usize].next = k;
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

    /// The lowest non-empty bucket; only called when `len > 0`.
    #[inline]
    fn lowest(&self) -> usize {
        let w = self.summary.trailing_zeros() as usize;
        w * 64 + self.occupied[w].trailing_zeros() as usize
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::cmp::Reverse;
    use std::collections::BinaryHeap;

    #[test]
    fn a_node_of_a_12_byte_event_takes_24_bytes() {
        assert_eq!(std::mem::size_of::<Node<(u32, u16, u32)>>(), 24);
    }

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

    /// Pops from the queue and from a `BinaryHeap<Reverse<(time, seq)>>` reference
    /// must agree event for event, on random interleavings of schedules and pops with many
    /// equal times, for several delay mixes (seed printed on failure).
    #[test]
    fn pops_in_the_same_order_as_a_binary_heap() {
        for seed in 0..40u64 {
            let mut rng = seed.wrapping_mul(0x2545_F491_4F6C_DD1D);
            let shape = 2 + seed % 5;
            // The payload is the scheduling sequence number: the reference orders by it.
            let mut q: EventQueue<u64> = EventQueue::new();
            let mut reference: BinaryHeap<Reverse<(u64, u64)>> = BinaryHeap::new();
            let mut seq = 0u64;
            let mut popped = 0;
            for _ in 0..20_000 {
                let pushes = next(&mut rng) % 4; // on average 1.5 schedules per pop
                for _ in 0..pushes {
                    let now = q.now().0;
                    let t = now.saturating_add(delay(&mut rng, shape));
                    q.schedule(SimTime(t), seq);
                    reference.push(Reverse((t, seq)));
                    seq += 1;
                }
                assert_eq!(q.len(), reference.len(), "seed {seed}");
                assert_eq!(
                    q.peek_time().map(|t| t.0),
                    reference.peek().map(|r| r.0.0),
                    "seed {seed}"
                );
                match (q.pop(), reference.pop()) {
                    (None, None) => {}
                    (Some(s), Some(Reverse((t, sq)))) => {
                        assert_eq!((s.time.0, s.event), (t, sq), "seed {seed}");
                        assert_eq!(q.now(), s.time, "seed {seed}");
                        popped += 1;
                    }
                    (a, b) => panic!("seed {seed}: queue gave {a:?}, reference {b:?}"),
                }
            }
            while let Some(Reverse((t, sq))) = reference.pop() {
                let s = q.pop().expect("queue ran out before the reference");
                assert_eq!((s.time.0, s.event), (t, sq), "seed {seed}");
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
        // Not beyond the limit: nothing is popped and time does not move.
        assert!(q.pop_until(SimTime(9)).is_none());
        assert_eq!(
            (q.len(), q.now(), q.peek_time()),
            (3, SimTime(10), Some(SimTime(10)))
        );
        assert_eq!(q.pop_until(SimTime(10)).map(|s| s.event), Some(2));
        let order: Vec<i32> = std::iter::from_fn(|| q.pop().map(|s| s.event)).collect();
        assert_eq!(order, vec![4, 3]);
        assert_eq!(q.now(), SimTime(310));
    }
}
