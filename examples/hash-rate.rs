//! SHA-256 bytes per CPU second on one core, for docs/speed.md ("Hashing"): hashes one
//! 16 KiB block over and over for about `SECONDS` (first argument, default 3), as
//! `openssl speed -bytes 16384 -evp sha256` does, through the library's hasher (the sha2
//! crate, SHA-NI where the CPU has it) and through AWS-LC's (the assembly OpenSSL uses).
//!
//!     cargo run --release --example hash-rate -- [SECONDS]
//!
//! Prints one line per implementation: `<name> <bytes per CPU second>`. CPU time of this
//! thread (/proc/thread-self/schedstat), not wall time, so that other work on the machine
//! lowers the figures less.

use std::time::{Duration, Instant};

use imaevm::hash::HashAlgo;

const BLOCK: usize = 16 * 1024;

fn main() {
    let seconds: f64 = std::env::args()
        .nth(1)
        .and_then(|s| s.parse().ok())
        .unwrap_or(3.0);
    let block: Vec<u8> = (0..BLOCK).map(|i| (i * 31 + 7) as u8).collect();
    let budget = Duration::from_secs_f64(seconds);
    println!(
        "library-sha2 {:.0}",
        rate(budget, || {
            let mut h = HashAlgo::Sha256.hasher();
            h.update(&block);
            std::hint::black_box(h.finalize());
        })
    );
    println!(
        "aws-lc {:.0}",
        rate(budget, || {
            let d = aws_lc_rs::digest::digest(&aws_lc_rs::digest::SHA256, &block);
            std::hint::black_box(d);
        })
    );
}

/// Bytes per CPU second of `one` (one block) repeated for `budget` of wall time.
fn rate(budget: Duration, mut one: impl FnMut()) -> f64 {
    one();
    let start = Instant::now();
    let cpu_start = thread_cpu_ns();
    let mut n = 0u64;
    while start.elapsed() < budget {
        for _ in 0..64 {
            one();
        }
        n += 64;
    }
    let cpu = (thread_cpu_ns() - cpu_start) as f64 / 1e9;
    (n * BLOCK as u64) as f64 / cpu
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
