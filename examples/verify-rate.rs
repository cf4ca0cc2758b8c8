//! Verifications per CPU second of one prehashed digest, per backend (docs/speed.md,
//! "Verification"): signs a digest of `HASH` with the key in the first argument, then
//! verifies it for about `SECONDS` with each backend, through the library's seam
//! (keys::VerifyingKey).
//!
//!     cargo run --release --example verify-rate -- KEY.pem HASH [SECONDS]
//!
//! Prints one line per backend: `<backend> <key> <hash> <verifications per CPU second>`,
//! or `<backend> <key> <hash> -` where that backend does not cover the key and hash.
//! CPU time of this thread (/proc/thread-self/schedstat), not wall time.

use std::path::PathBuf;

use imaevm::hash::HashAlgo;
use imaevm::keys::{Backend, PrivateKey, VerifyingKey};

#[path = "support/cpu_rate.rs"]
mod cpu_rate;

fn main() {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let (Some(key), Some(hash)) = (args.first(), args.get(1)) else {
        eprintln!("usage: verify-rate KEY.pem HASH [SECONDS]");
        std::process::exit(2);
    };
    let seconds: f64 = args.get(2).and_then(|s| s.parse().ok()).unwrap_or(2.0);
    let fail = |e: String| -> ! {
        eprintln!("verify-rate: {e}");
        std::process::exit(1)
    };
    let password = std::env::var("EVMCTL_KEY_PASSWORD").ok();
    let key = PrivateKey::load(&PathBuf::from(key), password.as_deref())
        .unwrap_or_else(|e| fail(e.to_string()))
        .key;
    let algo: HashAlgo = hash
        .parse()
        .unwrap_or_else(|_| fail(format!("unknown hash {hash}")));
    let digest = algo.digest(b"verify-rate");
    let sig = key
        .sign_digest(algo, &digest)
        .unwrap_or_else(|e| fail(e.to_string()));
    let name = key.public_key().algorithm();
    for backend in [Backend::RustCrypto, Backend::AwsLc] {
        let v = VerifyingKey::new(key.public_key(), backend);
        if v.backend_for(algo).is_err() {
            println!("{} {name} {algo} -", backend.name());
            continue;
        }
        assert_eq!(v.verify_digest(algo, &digest, &sig), Ok(true));
        let rate = cpu_rate::per_cpu_second(seconds, 16, || {
            assert_eq!(v.verify_digest(algo, &digest, &sig), Ok(true));
        });
        println!("{} {name} {algo} {rate:.0}", backend.name());
    }
}
