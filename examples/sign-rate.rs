//! Signatures per second on one core, for tests/bench.sh: signs a SHA-256 digest with the
//! key in the first argument for about `SECONDS` (second argument, default 3), through the
//! library's signer and the backend `IMAEVM_SIGN_BACKEND` selects (docs/speed.md).
//!
//!     cargo run --release --example sign-rate -- KEY.pem [SECONDS]
//!
//! Prints one line: `<backend that signed> <signatures per CPU second>`. CPU time (this
//! thread's, from /proc/thread-self/schedstat) rather than wall time, as `openssl speed`
//! counts by default, so that other work on the machine does not lower the figure.

use std::path::PathBuf;

use imaevm::hash::HashAlgo;
use imaevm::sign::{KeyidChoice, Signer, SoftwareSigner};

#[path = "support/cpu_rate.rs"]
mod cpu_rate;

fn main() {
    let mut args = std::env::args_os().skip(1);
    let Some(key) = args.next().map(PathBuf::from) else {
        eprintln!("usage: sign-rate KEY.pem [SECONDS]");
        std::process::exit(2);
    };
    let seconds: f64 = args
        .next()
        .and_then(|s| s.to_str()?.parse().ok())
        .unwrap_or(3.0);
    let password = std::env::var("EVMCTL_KEY_PASSWORD").ok();
    let signer = SoftwareSigner::load(&key, password.as_deref(), &KeyidChoice::Default)
        .unwrap_or_else(|e| {
            eprintln!("sign-rate: {e}");
            std::process::exit(1)
        });
    let algo = HashAlgo::Sha256;
    let backend = signer.backend_for(algo).unwrap_or_else(|e| {
        eprintln!("sign-rate: {e}");
        std::process::exit(1)
    });
    let digest = algo.digest(b"sign-rate");
    let rate = cpu_rate::per_cpu_second(seconds, 16, || {
        signer.sign_digest(algo, &digest).expect("a signature");
    });
    println!("{} {rate:.0}", backend.name());
}
