//! Encrypted PKCS#8 keys: the key-derivation cost written in the key file is capped
//! (docs/compatibility.md, "Input limits"). Keys made by OpenSSL with its defaults load; a key
//! over a cap is refused before anything is derived, fast, with the file, the parameter and
//! the cap named.
//! Passphrases reach openssl and the tools through the environment, never argv.

mod common;

use common::crafted_keys::{pbkdf2_pem, scrypt_der};
use common::*;
use std::path::Path;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

const PW_ENV: &str = "KDF_TEST_PASSPHRASE";
const PW: &str = "correct horse";

/// Runs openssl in `dir` with the passphrase in its environment.
fn openssl_pw(dir: &Path, args: &[&str]) {
    let o = Command::new("openssl")
        .args(args)
        .env(PW_ENV, PW)
        .current_dir(dir)
        .stdin(Stdio::null())
        .output()
        .expect("openssl is installed");
    assert!(o.status.success(), "openssl {args:?}: {}", stderr(&o));
}

/// Signs a small file with `key` (evmctl ima_sign -n), the passphrase in the environment;
/// returns the output and how long it took.
fn sign_with(dir: &Path, key: &Path) -> (std::process::Output, Duration) {
    let file = dir.join("file");
    write_sample(&file, 100, 1);
    let start = Instant::now();
    let o = run_bounded(
        evmctl()
            .args(["ima_sign", "-n", "--key"])
            .arg(key)
            .arg(&file)
            .env("EVMCTL_KEY_PASSWORD", PW),
        Duration::from_secs(60),
    );
    (o, start.elapsed())
}

/// Encrypts plain.pem in `dir` to `out` with `openssl pkcs8 -topk8 -v2 aes-256-cbc EXTRA`.
fn topk8(dir: &Path, out: &str, extra: &[&str]) {
    let mut args = vec!["pkcs8", "-topk8", "-v2", "aes-256-cbc", "-in", "plain.pem"];
    args.extend_from_slice(extra);
    let passout = format!("env:{PW_ENV}");
    args.extend_from_slice(&["-passout", &passout, "-out", out]);
    openssl_pw(dir, &args);
}

#[test]
fn keys_openssl_makes_by_default_load() {
    let d = scratch();
    let dir = d.path();
    openssl(
        dir,
        &[
            "genpkey",
            "-algorithm",
            "EC",
            "-pkeyopt",
            "ec_paramgen_curve:P-256",
            "-out",
            "plain.pem",
        ],
    );
    topk8(dir, "pbkdf2.pem", &[]);
    topk8(dir, "scrypt.pem", &["-scrypt"]);
    // Debug builds run scrypt about 70 times slower than release (3.5 s for this default
    // key): keys at the caps are timed in release only (src/keys/kdf_caps.rs).
    let pass = format!("env:{PW_ENV}");
    openssl_pw(
        dir,
        &[
            "genpkey",
            "-algorithm",
            "RSA",
            "-pkeyopt",
            "rsa_keygen_bits:2048",
            "-aes-256-cbc",
            "-pass",
            &pass,
            "-out",
            "genpkey.pem",
        ],
    );
    for k in ["pbkdf2.pem", "scrypt.pem", "genpkey.pem"] {
        let (o, t) = sign_with(dir, &dir.join(k));
        eprintln!("{k}: exit {} in {t:?}", code(&o));
        assert_eq!(code(&o), 0, "{k}: {}", stderr(&o));
        // A v2 signature (type 3, version 2) in hex.
        assert!(stdout(&o).starts_with("0302"), "{k}: {}", stdout(&o));
    }
}

/// The refusal: exit 125, the file, the parameter and the cap named, fast.
fn assert_refused(dir: &Path, key: &Path, words: &[&str]) {
    let (o, t) = sign_with(dir, key);
    let err = stderr(&o);
    eprintln!("{}: exit {} in {t:?}: {err}", key.display(), code(&o));
    assert_eq!(code(&o), 125, "{err}");
    assert!(err.contains(&key.display().to_string()), "{err}");
    assert!(err.contains("refused before deriving the key"), "{err}");
    for w in words {
        assert!(err.contains(w), "{w:?} not in {err}");
    }
    assert!(o.stdout.is_empty(), "{}", stdout(&o));
    // Debug builds derive 100x slower than release; a refusal derives nothing.
    assert!(t < Duration::from_secs(2), "took {t:?}");
}

#[test]
fn keys_over_a_cap_are_refused_before_deriving() {
    let d = scratch();
    let dir = d.path();
    openssl(
        dir,
        &[
            "genpkey",
            "-algorithm",
            "EC",
            "-pkeyopt",
            "ec_paramgen_curve:P-256",
            "-out",
            "plain.pem",
        ],
    );
    // One iteration over the cap, made by OpenSSL (it takes it about 0.5 s).
    topk8(dir, "iter.pem", &["-iter", "5000001"]);
    assert_refused(
        dir,
        &dir.join("iter.pem"),
        &["5000001 PBKDF2 iterations", "cap of 5000000"],
    );
    // OpenSSL makes scrypt with p over the work cap (its memory limit counts N and r only).
    topk8(
        dir,
        "p17.pem",
        &[
            "-scrypt",
            "-scrypt_N",
            "16384",
            "-scrypt_r",
            "8",
            "-scrypt_p",
            "17",
        ],
    );
    assert_refused(
        dir,
        &dir.join("p17.pem"),
        &["p=17", "N·r·p = 2228224", "cap of 2097152"],
    );
    // What OpenSSL will not make: the largest iteration count, and 1 GiB of scrypt memory.
    let k = dir.join("max-iter.pem");
    std::fs::write(&k, pbkdf2_pem(u32::MAX)).unwrap();
    assert_refused(dir, &k, &["4294967295 PBKDF2 iterations"]);
    let k = dir.join("scrypt-1g.der");
    std::fs::write(&k, scrypt_der(1 << 20, 8, 1)).unwrap();
    assert_refused(
        dir,
        &k,
        &[
            "N=1048576, r=8",
            "1024 MiB of memory, over the cap of 64 MiB",
        ],
    );
    // imactl reads keys through the same loader.
    openssl(
        dir,
        &[
            "req",
            "-x509",
            "-new",
            "-key",
            "plain.pem",
            "-subj",
            "/CN=kdf",
            "-out",
            "cert.pem",
        ],
    );
    let o = run_bounded(
        Command::new(env!("CARGO_BIN_EXE_imactl"))
            .args(["modsig", "sign", "--key"])
            .arg(dir.join("iter.pem"))
            .arg("--cert")
            .arg(dir.join("cert.pem"))
            .arg(dir.join("file"))
            .env("EVMCTL_KEY_PASSWORD", PW),
        Duration::from_secs(20),
    );
    assert_ne!(code(&o), 0);
    let err = stderr(&o);
    assert!(err.contains("cap of 5000000"), "{err}");
}
