//! The event-queue designs that were tried for `src/engine/queue.rs`, measured side by side in
//! the hold model of `benches/queue.rs` (pop the earliest event, schedule one at its time plus a
//! random increment of mean 180 s; pending population `P` constant).
//!
//! A plain timing loop rather than criterion, so that all candidates run interleaved in one
//! process (best of three rounds each) in about two minutes: `cargo bench --bench
//! queue_candidates` prints a CSV and writes `target/criterion/queue_candidates.csv`.
//!
//! Candidates: the bare `BinaryHeap<Reverse<(u64, u64, u32)>>`; drainsim's former queue (a
//! `BinaryHeap` of a struct with a hand-written reversed `Ord`); a 4-ary heap on a packed
//! `u128` key (time << 64 | seq); radix heaps with 1-, 2-, 4- and 8-bit digits and one vector
//! per bucket that keeps its capacity. drainsim's `EventQueue` (measured too, through its
//! public API) is the 8-bit one with each bucket a linked list of nodes in one arena instead:
//! slower than one vector per bucket at 10⁶ pending events, but its memory follows the pending
//! population, where one vector per bucket doubled the peak heap from a 3 h to a 30 h horizon
//! (`reports/bench/queue_design_history.csv`).

use std::cmp::{Ordering, Reverse};
use std::collections::BinaryHeap;
use std::hint::black_box;
use std::io::Write;
use std::time::Instant;

use drainsim::engine::{EventQueue, SimTime};
use rand::{RngExt, SeedableRng};
use rand_distr::{Distribution, Exp};

const MEAN_US: f64 = 180e6;
const INCREMENTS: usize = 1 << 20;
const OPS: usize = 2_000_000;

trait Hold {
    fn empty() -> Self;
    fn push(&mut self, t: u64, p: u32);
    fn pop(&mut self) -> (u64, u32);
}

struct Bare(BinaryHeap<Reverse<(u64, u64, u32)>>, u64);
impl Hold for Bare {
    fn empty() -> Self {
        Bare(BinaryHeap::new(), 0)
    }
    #[inline]
    fn push(&mut self, t: u64, p: u32) {
        self.1 += 1;
        self.0.push(Reverse((t, self.1, p)));
    }
    #[inline]
    fn pop(&mut self) -> (u64, u32) {
        let Reverse((t, _, p)) = self.0.pop().unwrap();
        (t, p)
    }
}

/// drainsim's queue before the radix heap: `BinaryHeap<Scheduled>` with a reversed `Ord`.
#[derive(Clone, Copy)]
struct Sched {
    time: u64,
    seq: u64,
    event: u32,
}
impl PartialEq for Sched {
    fn eq(&self, o: &Self) -> bool {
        self.time == o.time && self.seq == o.seq
    }
}
impl Eq for Sched {}
impl PartialOrd for Sched {
    fn partial_cmp(&self, o: &Self) -> Option<Ordering> {
        Some(self.cmp(o))
    }
}
impl Ord for Sched {
    fn cmp(&self, o: &Self) -> Ordering {
        (o.time, o.seq).cmp(&(self.time, self.seq))
    }
}
struct Former(BinaryHeap<Sched>, u64);
impl Hold for Former {
    fn empty() -> Self {
        Former(BinaryHeap::new(), 0)
    }
    #[inline]
    fn push(&mut self, t: u64, p: u32) {
        let seq = self.1;
        self.1 += 1;
        self.0.push(Sched {
            time: t,
            seq,
            event: p,
        });
    }
    #[inline]
    fn pop(&mut self) -> (u64, u32) {
        let s = self.0.pop().unwrap();
        (s.time, s.event)
    }
}

/// 4-ary implicit heap on a packed `(time << 64) | seq` key.
struct Quaternary(Vec<(u128, u32)>, u64);
impl Hold for Quaternary {
    fn empty() -> Self {
        Quaternary(Vec::new(), 0)
    }
    #[inline]
    fn push(&mut self, t: u64, p: u32) {
        let key = ((t as u128) << 64) | self.1 as u128;
        self.1 += 1;
        let v = &mut self.0;
        let mut i = v.len();
        v.push((key, p));
        while i > 0 {
            let parent = (i - 1) / 4;
            if v[parent].0 <= key {
                break;
            }
            v[i] = v[parent];
            i = parent;
        }
        v[i] = (key, p);
    }
    #[inline]
    fn pop(&mut self) -> (u64, u32) {
        let v = &mut self.0;
        let top = v[0];
        let last = v.pop().unwrap();
        let n = v.len();
        if n > 0 {
            let mut i = 0;
            loop {
                let c = 4 * i + 1;
                if c >= n {
                    break;
                }
                let (mut m, mut mk) = (c, v[c].0);
                for (j, child) in v.iter().enumerate().take((c + 4).min(n)).skip(c + 1) {
                    if child.0 < mk {
                        mk = child.0;
                        m = j;
                    }
                }
                if mk >= last.0 {
                    break;
                }
                v[i] = v[m];
                i = m;
            }
            v[i] = last;
        }
        ((top.0 >> 64) as u64, top.1)
    }
}

/// Radix heap with `W`-bit digits, FIFO among equal times (same algorithm as `EventQueue`,
/// parameterised; a flat occupancy bitmap scanned word by word).
struct Radix<const W: u32> {
    last: u64,
    min: u64,
    len: usize,
    current: std::collections::VecDeque<(u64, u64, u32)>,
    buckets: Vec<Vec<(u64, u64, u32)>>,
    mask: Vec<u64>,
    seq: u64,
}
impl<const W: u32> Radix<W> {
    const DIGITS: usize = 1 << W;
    #[inline]
    fn bucket(&self, t: u64) -> usize {
        let x = t ^ self.last;
        if x == 0 {
            return 0;
        }
        let lvl = (63 - x.leading_zeros()) / W;
        lvl as usize * Self::DIGITS + ((t >> (lvl * W)) as usize & (Self::DIGITS - 1))
    }
    #[inline]
    fn lowest(&self) -> usize {
        for (i, w) in self.mask.iter().enumerate() {
            if *w != 0 {
                return i * 64 + w.trailing_zeros() as usize;
            }
        }
        unreachable!()
    }
    #[inline]
    fn place(&mut self, it: (u64, u64, u32)) {
        match self.bucket(it.0) {
            0 => self.current.push_back(it),
            b => {
                self.buckets[b].push(it);
                self.mask[b / 64] |= 1 << (b % 64);
            }
        }
    }
    fn refresh(&mut self) {
        self.min = if self.len == 0 {
            u64::MAX
        } else {
            let b = self.lowest();
            self.buckets[b].iter().map(|x| x.0).min().unwrap()
        };
    }
}
impl<const W: u32> Hold for Radix<W> {
    fn empty() -> Self {
        let nb = (64 / W as usize) * Self::DIGITS;
        Radix {
            last: 0,
            min: u64::MAX,
            len: 0,
            current: Default::default(),
            buckets: (0..nb).map(|_| Vec::new()).collect(),
            mask: vec![0; nb.div_ceil(64)],
            seq: 0,
        }
    }
    #[inline]
    fn push(&mut self, t: u64, p: u32) {
        self.seq += 1;
        self.len += 1;
        self.min = self.min.min(t);
        self.place((t, self.seq, p));
    }
    #[inline]
    fn pop(&mut self) -> (u64, u32) {
        let it = match self.current.pop_front() {
            Some(it) => it,
            None => {
                let b = self.lowest();
                self.last = self.min;
                self.mask[b / 64] &= !(1 << (b % 64));
                if self.buckets[b].len() == 1 {
                    let it = self.buckets[b].pop().unwrap();
                    self.len -= 1;
                    self.refresh();
                    return (it.0, it.2);
                }
                let mut v = std::mem::take(&mut self.buckets[b]);
                for it in v.drain(..) {
                    self.place(it);
                }
                self.buckets[b] = v;
                self.current.pop_front().unwrap()
            }
        };
        self.len -= 1;
        if self.current.is_empty() {
            self.refresh();
        }
        (it.0, it.2)
    }
}

impl Hold for EventQueue<u32> {
    fn empty() -> Self {
        EventQueue::new()
    }
    #[inline]
    fn push(&mut self, t: u64, p: u32) {
        self.schedule(SimTime(t), p);
    }
    #[inline]
    fn pop(&mut self) -> (u64, u32) {
        let s = EventQueue::pop(self).unwrap();
        (s.time.0, s.event)
    }
}

/// Millions of hold operations per second at population `p`.
fn run<Q: Hold>(p: usize, inc: &[u64]) -> f64 {
    let mut q = Q::empty();
    let mut j = 0usize;
    let mut next = || {
        j += 1;
        inc[j & (INCREMENTS - 1)]
    };
    for i in 0..p {
        q.push(next(), i as u32);
    }
    for _ in 0..(2 * p).max(100_000) {
        let (t, x) = q.pop();
        q.push(t + next(), x);
    }
    let start = Instant::now();
    let mut acc = 0u32;
    for _ in 0..OPS {
        let (t, x) = q.pop();
        acc = acc.wrapping_add(x);
        q.push(t + next(), x);
    }
    let dt = start.elapsed().as_secs_f64();
    black_box(acc);
    OPS as f64 / dt / 1e6
}

fn main() {
    if std::env::args().any(|a| a == "--list") {
        return; // `cargo bench -- --list` and `cargo test --benches` probe bench binaries
    }
    let mut rng = rand_pcg::Pcg64Mcg::seed_from_u64(0x5EED);
    let exp = Exp::new(1.0 / MEAN_US).unwrap();
    let exponential: Vec<u64> = (0..INCREMENTS)
        .map(|_| exp.sample(&mut rng).round() as u64)
        .collect();
    let pareto: Vec<u64> = (0..INCREMENTS)
        .map(|_| {
            let u: f64 = 1.0 - rng.random::<f64>();
            (MEAN_US / 3.0 * u.powf(-1.0 / 1.5)).round().min(1e15) as u64
        })
        .collect();
    type Cand = (&'static str, fn(usize, &[u64]) -> f64);
    let candidates: [Cand; 8] = [
        ("binary_heap", run::<Bare>),
        ("former_binary_heap_scheduled", run::<Former>),
        ("quaternary_heap_u128", run::<Quaternary>),
        ("radix_1bit", run::<Radix<1>>),
        ("radix_2bit", run::<Radix<2>>),
        ("radix_4bit", run::<Radix<4>>),
        ("radix_8bit", run::<Radix<8>>),
        ("drainsim_queue", run::<EventQueue<u32>>),
    ];
    let mut out = String::from("law,population,candidate,mops_best_of_3,ratio_to_binary_heap\n");
    for (law, inc) in [("exponential", &exponential), ("pareto1.5", &pareto)] {
        for p in [1_000usize, 10_000, 100_000, 1_000_000] {
            let mut best = [0f64; 8];
            for _round in 0..3 {
                for (i, (_, f)) in candidates.iter().enumerate() {
                    best[i] = best[i].max(f(p, inc));
                }
            }
            for (i, (name, _)) in candidates.iter().enumerate() {
                let line = format!("{law},{p},{name},{:.3},{:.3}\n", best[i], best[i] / best[0]);
                print!("{line}");
                out += &line;
            }
        }
    }
    let _ = std::fs::create_dir_all("target/criterion");
    if let Ok(mut f) = std::fs::File::create("target/criterion/queue_candidates.csv") {
        let _ = f.write_all(out.as_bytes());
    }
}
