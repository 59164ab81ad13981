//! Hold-model benchmark of the pending-event set, in the style of ns-3's `bench-scheduler`.
//!
//! A queue is filled with `P` events; each operation pops the earliest event and schedules a
//! new one at the popped time plus a random increment, so the pending population stays `P`.
//! drainsim's [`EventQueue`] and a bare `BinaryHeap<Reverse<(u64, u64, u32)>>` (time, seq,
//! payload) run side by side on the *same* increments and the same `P`, in the same run, so
//! their ratio is meaningful even on a loaded machine.
//!
//! Increments are in microseconds (drainsim's time unit) with a mean of 180 s, a typical
//! holding time of the default scenario, drawn from three laws: exponential, Pareto (α = 1.5,
//! infinite variance) and log-normal (σ = 2). They are drawn before timing, so the random
//! number generator is not measured.
//!
//! `cargo bench --bench queue`; `python3 benches/collect.py` turns the results into
//! `reports/bench/queue.csv`.

use std::cmp::Reverse;
use std::collections::BinaryHeap;
use std::hint::black_box;
use std::time::Duration;

use criterion::{BenchmarkId, Criterion, Throughput, criterion_group, criterion_main};
use drainsim::engine::{EventQueue, SimTime};
use rand::{RngExt, SeedableRng};
use rand_distr::{Distribution, Exp, LogNormal};

/// Hold operations (one pop + one schedule) per timed iteration.
const OPS: u64 = 10_000;
/// Pending populations.
const POPULATIONS: [usize; 4] = [1_000, 10_000, 100_000, 1_000_000];
/// Mean increment, µs (180 s).
const MEAN_US: f64 = 180e6;
/// Increments are drawn once and reused cyclically (a power of two).
const INCREMENTS: usize = 1 << 20;

/// The increment laws, all with mean [`MEAN_US`].
const LAWS: [&str; 3] = ["exponential", "pareto1.5", "lognormal2"];

fn increments(law: &str) -> Vec<u64> {
    let mut rng = rand_pcg::Pcg64Mcg::seed_from_u64(0x5EED);
    let exp = Exp::new(1.0 / MEAN_US).unwrap();
    // Log-normal with σ = 2 and mean MEAN_US: μ = ln(mean) − σ²/2.
    let lognormal = LogNormal::new(MEAN_US.ln() - 2.0, 2.0).unwrap();
    (0..INCREMENTS)
        .map(|_| {
            let x: f64 = match law {
                "exponential" => exp.sample(&mut rng),
                // Pareto with shape α = 1.5 and mean MEAN_US: scale x_m = mean (α − 1) / α.
                "pareto1.5" => {
                    let u: f64 = 1.0 - rng.random::<f64>(); // (0, 1]
                    MEAN_US / 3.0 * u.powf(-1.0 / 1.5)
                }
                "lognormal2" => lognormal.sample(&mut rng),
                _ => unreachable!("unknown law {law}"),
            };
            x.round().min(1e15) as u64
        })
        .collect()
}

/// A queue under the hold model.
trait Hold {
    fn name() -> &'static str;
    fn empty() -> Self;
    fn push(&mut self, time: u64, payload: u32);
    fn pop(&mut self) -> (u64, u32);
}

/// The baseline: a bare binary heap of `(time, seq, payload)`.
struct Bare {
    heap: BinaryHeap<Reverse<(u64, u64, u32)>>,
    seq: u64,
}

impl Hold for Bare {
    fn name() -> &'static str {
        "binary_heap"
    }
    fn empty() -> Self {
        Bare {
            heap: BinaryHeap::new(),
            seq: 0,
        }
    }
    #[inline]
    fn push(&mut self, time: u64, payload: u32) {
        self.seq += 1;
        self.heap.push(Reverse((time, self.seq, payload)));
    }
    #[inline]
    fn pop(&mut self) -> (u64, u32) {
        let Reverse((t, _, p)) = self.heap.pop().expect("population is constant");
        (t, p)
    }
}

impl Hold for EventQueue<u32> {
    fn name() -> &'static str {
        "drainsim_queue"
    }
    fn empty() -> Self {
        EventQueue::new()
    }
    #[inline]
    fn push(&mut self, time: u64, payload: u32) {
        self.schedule(SimTime(time), payload);
    }
    #[inline]
    fn pop(&mut self) -> (u64, u32) {
        let s = EventQueue::pop(self).expect("population is constant");
        (s.time.0, s.event)
    }
}

/// A queue filled with `p` events and brought to its steady state.
struct Model<'a, Q> {
    q: Q,
    inc: &'a [u64],
    next: usize,
}

impl<'a, Q: Hold> Model<'a, Q> {
    fn new(p: usize, inc: &'a [u64]) -> Self {
        let mut m = Model {
            q: Q::empty(),
            inc,
            next: 0,
        };
        for i in 0..p {
            let t = m.increment();
            m.q.push(t, i as u32);
        }
        // Warm up: every initial event is popped about twice, so the pending times have the
        // steady-state spread rather than the initial one.
        for _ in 0..(2 * p).max(100_000) {
            m.hold();
        }
        m
    }

    #[inline]
    fn increment(&mut self) -> u64 {
        let x = self.inc[self.next & (INCREMENTS - 1)];
        self.next += 1;
        x
    }

    #[inline]
    fn hold(&mut self) -> u32 {
        let (t, p) = self.q.pop();
        let inc = self.increment();
        self.q.push(t + inc, p);
        p
    }
}

fn bench_one<Q: Hold>(
    g: &mut criterion::BenchmarkGroup<'_, criterion::measurement::WallTime>,
    p: usize,
    inc: &[u64],
) {
    let mut m = Model::<Q>::new(p, inc);
    g.bench_with_input(BenchmarkId::new(Q::name(), p), &p, |b, _| {
        b.iter(|| {
            let mut acc = 0u32;
            for _ in 0..OPS {
                acc = acc.wrapping_add(m.hold());
            }
            black_box(acc)
        })
    });
}

fn hold_model(c: &mut Criterion) {
    for law in LAWS {
        let inc = increments(law);
        let mut g = c.benchmark_group(format!("hold/{law}"));
        g.throughput(Throughput::Elements(OPS));
        g.warm_up_time(Duration::from_secs(1));
        g.measurement_time(Duration::from_secs(3));
        g.sample_size(30);
        for p in POPULATIONS {
            // Side by side at each P, heap first then drainsim's queue.
            bench_one::<Bare>(&mut g, p, &inc);
            bench_one::<EventQueue<u32>>(&mut g, p, &inc);
        }
        g.finish();
    }
}

criterion_group!(benches, hold_model);
criterion_main!(benches);
