//! A counting global allocator (live and peak heap bytes), `/proc/self/status` readings, and
//! the child process each measurement runs in; shared by the memory benches
//! (`#[path]`-included; not a bench of its own).

use std::alloc::{GlobalAlloc, Layout, System};
use std::sync::atomic::{AtomicUsize, Ordering::Relaxed};

/// The allocator: every bench that includes this module counts its allocations.
pub struct Counting;
/// Bytes allocated now.
pub static LIVE: AtomicUsize = AtomicUsize::new(0);
/// Most bytes allocated at once.
pub static PEAK: AtomicUsize = AtomicUsize::new(0);

unsafe impl GlobalAlloc for Counting {
    unsafe fn alloc(&self, l: Layout) -> *mut u8 {
        let p = unsafe { System.alloc(l) };
        if !p.is_null() {
            let now = LIVE.fetch_add(l.size(), Relaxed) + l.size();
            PEAK.fetch_max(now, Relaxed);
        }
        p
    }
    unsafe fn dealloc(&self, p: *mut u8, l: Layout) {
        unsafe { System.dealloc(p, l) };
        LIVE.fetch_sub(l.size(), Relaxed);
    }
    unsafe fn realloc(&self, p: *mut u8, l: Layout, new: usize) -> *mut u8 {
        let q = unsafe { System.realloc(p, l, new) };
        if !q.is_null() {
            if new > l.size() {
                let now = LIVE.fetch_add(new - l.size(), Relaxed) + new - l.size();
                PEAK.fetch_max(now, Relaxed);
            } else {
                LIVE.fetch_sub(l.size() - new, Relaxed);
            }
        }
        q
    }
}

#[global_allocator]
static ALLOC: Counting = Counting;

/// A `kB` field of `/proc/self/status` (`VmHWM`, `VmRSS`), 0 where there is none.
pub fn status_kb(field: &str) -> u64 {
    std::fs::read_to_string("/proc/self/status")
        .ok()
        .and_then(|s| {
            s.lines()
                .find(|l| l.starts_with(field))
                .and_then(|l| l.split_whitespace().nth(1)?.parse().ok())
        })
        .unwrap_or(0)
}

/// Runs this bench binary again with `DRAINSIM_MEMORY_CHILD=arg` (a fresh process, so its peak
/// resident set is its own) and returns the comma-separated numbers it prints.
pub fn child_numbers<T: std::str::FromStr>(arg: &str) -> Vec<T> {
    let exe = std::env::current_exe().expect("own path");
    let o = std::process::Command::new(&exe)
        .env("DRAINSIM_MEMORY_CHILD", arg)
        .output()
        .expect("child runs");
    assert!(
        o.status.success(),
        "child failed: {}",
        String::from_utf8_lossy(&o.stderr)
    );
    String::from_utf8_lossy(&o.stdout)
        .trim()
        .split(',')
        .map(|x| x.parse().ok().expect("a number"))
        .collect()
}
