//! Peak memory of `drainsim run` on the default scenario (embedded) against the number of
//! replications: memory must be bounded by the runs, not the replications (100,000
//! replications within 1.2× the peak of 1,000).
//!
//! Each measurement runs the whole command — simulation, summaries, expectations, the report
//! folder — in a fresh child process (this binary re-executed), so that its peaks are its own:
//! the peak of live heap bytes (a counting global allocator) and the peak resident set
//! (`VmHWM`). `cargo bench --bench replications_memory` measures 1,000 and 100,000
//! replications (100,000 take a while: 200,000 simulated replications);
//! `DRAINSIM_MEMORY_REPLICATIONS=1000,10000` measures other counts.
//! `DRAINSIM_MEMORY_LIGHT=1` divides the two busiest arrival rates of the default scenario (P2P
//! IM and PSTN calls, 95 % of its sessions) by ten: the same runs, plan, report and charts at
//! about a tenth of the simulation time, for measuring 100,000 replications on a busy machine.
//! It prints a CSV and writes `target/criterion/replications_memory.csv`.

use std::io::Write;
use std::sync::atomic::Ordering::Relaxed;

use clap::Parser;

#[path = "common/counting.rs"]
mod counting;
use counting::{PEAK, child_numbers, status_kb};

/// Child: `drainsim run --replications n` of the default scenario into a temporary folder;
/// prints `peak heap bytes,peak rss kB,seconds`.
fn child(n: &str) {
    let out = std::env::temp_dir().join(format!("drainsim-memory-{}", std::process::id()));
    let mut args: Vec<String> = ["drainsim", "run", "--quiet", "--replications", n, "--out"]
        .map(String::from)
        .to_vec();
    args.push(out.display().to_string());
    let light = std::env::temp_dir().join(format!("drainsim-memory-{}.toml", std::process::id()));
    if std::env::var("DRAINSIM_MEMORY_LIGHT").is_ok_and(|v| v == "1") {
        let text = drainsim::DEFAULT_SCENARIO
            .replace("arrivals_per_hour = 21000", "arrivals_per_hour = 2100")
            .replace("arrivals_per_hour = 14112", "arrivals_per_hour = 1411");
        assert_ne!(
            text,
            drainsim::DEFAULT_SCENARIO,
            "the rates to divide are in the scenario"
        );
        std::fs::write(&light, text).expect("temporary scenario");
        args.insert(2, light.display().to_string());
    }
    let started = std::time::Instant::now();
    let cli = drainsim::cli::Cli::try_parse_from(args).expect("arguments");
    let outcome = drainsim::cli::execute(cli);
    let seconds = started.elapsed().as_secs_f64();
    let _ = std::fs::remove_dir_all(&out);
    let _ = std::fs::remove_file(&light);
    if let Err(e) = outcome {
        panic!("run failed: {e}");
    }
    println!(
        "{},{},{seconds:.1}",
        PEAK.load(Relaxed),
        status_kb("VmHWM:")
    );
}

fn main() {
    let args: Vec<String> = std::env::args().collect();
    if args.iter().any(|a| a == "--list") {
        return;
    }
    if let Ok(n) = std::env::var("DRAINSIM_MEMORY_CHILD") {
        child(&n);
        return;
    }
    let counts = std::env::var("DRAINSIM_MEMORY_REPLICATIONS").unwrap_or("1000,100000".into());
    let mut out = String::from(
        "replications,peak_heap_bytes,peak_rss_kb,seconds,heap_ratio_to_first,rss_ratio_to_first\n",
    );
    print!("{out}");
    let mut base = None;
    for n in counts.split(',') {
        let v: Vec<f64> = child_numbers(n);
        let (heap, rss) = *base.get_or_insert((v[0], v[1]));
        let row = format!(
            "{n},{},{},{},{:.3},{:.3}\n",
            v[0],
            v[1],
            v[2],
            v[0] / heap,
            v[1] / rss
        );
        print!("{row}");
        out += &row;
    }
    let _ = std::fs::create_dir_all("target/criterion");
    if let Ok(mut f) = std::fs::File::create("target/criterion/replications_memory.csv") {
        let _ = f.write_all(out.as_bytes());
    }
}
