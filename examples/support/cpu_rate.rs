//! The measuring loop the `*-rate` examples share: how many times per CPU second of this
//! thread one operation runs. CPU time (the first field of /proc/thread-self/schedstat),
//! not wall time, as `openssl speed` counts by default, so that other work on the machine
//! lowers the figure less.

use std::time::{Duration, Instant};

/// Runs `one` once, then repeatedly in batches of `batch` for about `seconds` of wall
/// time, and returns the runs per CPU second of this thread.
pub fn per_cpu_second(seconds: f64, batch: u64, mut one: impl FnMut()) -> f64 {
    one();
    let budget = Duration::from_secs_f64(seconds);
    let start = Instant::now();
    let cpu_start = thread_cpu_ns();
    let mut n = 0u64;
    while start.elapsed() < budget {
        for _ in 0..batch {
            one();
        }
        n += batch;
    }
    let cpu = (thread_cpu_ns() - cpu_start) as f64 / 1e9;
    n as f64 / cpu
}

/// Nanoseconds this thread has run on a CPU (the first field of schedstat).
fn thread_cpu_ns() -> u64 {
    let s = std::fs::read_to_string("/proc/thread-self/schedstat")
        .expect("/proc/thread-self/schedstat (Linux with schedstats)");
    s.split_whitespace()
        .next()
        .and_then(|v| v.parse().ok())
        .expect("a CPU time in schedstat")
}
