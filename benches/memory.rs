//! Peak memory of one replication, horizon ×1 (3 h) against ×10 (30 h) (the README's Performance target: a 10×
//! longer horizon must not grow peak memory by more than 20 %).
//!
//! Each measurement runs in a fresh child process (this binary re-executed), so that its peak
//! resident set (`VmHWM` from `/proc/self/status`) is its own. A counting global allocator also
//! gives the peak of live heap bytes, which is not blurred by the ~2 MB of code and libraries
//! every process maps. Both are measured with and without the time series (`sample_interval`,
//! recorded for replication 0 only), which by design grows with the horizon.
//!
//! `cargo bench --bench memory` prints a CSV and writes `target/criterion/memory.csv`.

use std::io::Write;
use std::sync::atomic::Ordering::Relaxed;

use drainsim::model::{Seeds, Simulation};
use drainsim::runner::simulate;
use drainsim::scenario::{self, NoFiles};

#[path = "common/counting.rs"]
mod counting;
use counting::{LIVE, PEAK, child_numbers, status_kb};

/// Child: one replication of the default scenario's DNS run; prints its measures.
fn child(horizon: &str, timeseries: bool) {
    let text =
        drainsim::DEFAULT_SCENARIO.replace("horizon = \"3h\"", &format!("horizon = \"{horizon}\""));
    let s = scenario::parse(&text, "default.toml", &NoFiles).expect("parses");
    let runs = scenario::expand(&s).expect("expands");
    let before = LIVE.load(Relaxed);
    PEAK.store(before, Relaxed);
    // Replication 0 records the time series; replication 1 does not.
    let out = simulate(&s, &runs[0], if timeseries { 0 } else { 1 }, None).expect("runs");
    let (heap, rss) = (PEAK.load(Relaxed) - before, status_kb("VmHWM:"));
    let sessions: u64 = out.metrics.features.iter().map(|f| f.arrivals).sum();
    // The same replication again, stepped, for the largest number of pending events (after
    // the measurements above, so it does not disturb them).
    let rep = if timeseries { 0 } else { 1 };
    let mut sim =
        Simulation::new(&runs[0].config, Seeds::derive(s.seed, rep)).record_timeseries(timeseries);
    let mut max_pending = sim.pending_events();
    while sim.step().is_some() {
        max_pending = max_pending.max(sim.pending_events());
    }
    println!(
        "{},{},{},{},{},{}",
        sessions,
        out.metrics.events,
        heap,
        rss,
        out.metrics.timeseries.times.len(),
        max_pending
    );
}

fn main() {
    let args: Vec<String> = std::env::args().collect();
    if args.iter().any(|a| a == "--list") {
        return;
    }
    if let Ok(spec) = std::env::var("DRAINSIM_MEMORY_CHILD") {
        let (h, ts) = spec.split_once(',').expect("horizon,timeseries");
        child(h, ts == "1");
        return;
    }
    let mut out = String::from(
        "horizon,timeseries,sessions,events,samples,max_pending_events,peak_heap_bytes,peak_rss_kb,heap_ratio_to_x1,rss_ratio_to_x1\n",
    );
    for ts in [false, true] {
        let mut base = (0f64, 0f64);
        for horizon in ["3h", "30h"] {
            let v: Vec<u64> = child_numbers(&format!("{horizon},{}", u8::from(ts)));
            let (sessions, events, heap, rss, samples, pending) =
                (v[0], v[1], v[2], v[3], v[4], v[5]);
            if horizon == "3h" {
                base = (heap as f64, rss as f64);
            }
            let row = format!(
                "{horizon},{ts},{sessions},{events},{samples},{pending},{heap},{rss},{:.3},{:.3}\n",
                heap as f64 / base.0,
                rss as f64 / base.1
            );
            print!("{row}");
            out += &row;
        }
    }
    let _ = std::fs::create_dir_all("target/criterion");
    if let Ok(mut f) = std::fs::File::create("target/criterion/memory.csv") {
        let _ = f.write_all(out.as_bytes());
    }
}
