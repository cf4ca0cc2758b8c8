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

use imaevm::hash::HashAlgo;

#[path = "support/cpu_rate.rs"]
mod cpu_rate;

const BLOCK: usize = 16 * 1024;

fn main() {
    let seconds: f64 = std::env::args()
        .nth(1)
        .and_then(|s| s.parse().ok())
        .unwrap_or(3.0);
    let block: Vec<u8> = (0..BLOCK).map(|i| (i * 31 + 7) as u8).collect();
    println!(
        "library-sha2 {:.0}",
        BLOCK as f64
            * cpu_rate::per_cpu_second(seconds, 64, || {
                let mut h = HashAlgo::Sha256.hasher();
                h.update(&block);
                std::hint::black_box(h.finalize());
            })
    );
    println!(
        "aws-lc {:.0}",
        BLOCK as f64
            * cpu_rate::per_cpu_second(seconds, 64, || {
                let d = aws_lc_rs::digest::digest(&aws_lc_rs::digest::SHA256, &block);
                std::hint::black_box(d);
            })
    );
}
