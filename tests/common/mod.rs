//! Shared helpers for the integration tests: key fixtures made with openssl, running our
//! binaries and Debian's upstream evmctl, and xattr access.
#![allow(dead_code)]

use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};
use std::sync::OnceLock;

mod bounded;
pub mod crafted_keys;
pub mod rpm_pkg;
mod skip;
#[allow(unused_imports)] // each test crate uses a different subset
pub use bounded::{assert_peak_rss, peak_rss_kib, run_bounded, timed_command, with_peak_rss};
#[allow(unused_imports)] // each test crate uses a different subset
pub use skip::{skip, skip_part};

pub const UPSTREAM: &str = "/usr/bin/evmctl";

pub fn evmctl() -> Command {
    Command::new(env!("CARGO_BIN_EXE_evmctl"))
}

pub fn upstream() -> Command {
    Command::new(UPSTREAM)
}

pub fn have_upstream() -> bool {
    Path::new(UPSTREAM).exists()
}

/// Prints why a test does not run and returns true when upstream evmctl is missing.
pub fn skip_without_upstream(test: &str) -> bool {
    if have_upstream() {
        return false;
    }
    skip(
        test,
        &format!(
            "{UPSTREAM} is missing (apt-get install ima-evm-utils; tests/setup.sh installs it)"
        ),
    );
    true
}

pub fn is_root() -> bool {
    // SAFETY: geteuid has no preconditions and cannot fail.
    unsafe { libc::geteuid() == 0 }
}

/// Runs a command with stdin closed and returns its output.
pub fn run(cmd: &mut Command) -> Output {
    cmd.stdin(Stdio::null())
        .output()
        .unwrap_or_else(|e| panic!("cannot run {cmd:?}: {e}"))
}

pub fn stdout(o: &Output) -> String {
    String::from_utf8_lossy(&o.stdout).into_owned()
}

pub fn stderr(o: &Output) -> String {
    String::from_utf8_lossy(&o.stderr).into_owned()
}

pub fn code(o: &Output) -> i32 {
    o.status.code().unwrap_or(-1)
}

/// Runs openssl with `args` in `dir`, panicking with its stderr on failure.
pub fn openssl(dir: &Path, args: &[&str]) {
    let o = Command::new("openssl")
        .args(args)
        .current_dir(dir)
        .stdin(Stdio::null())
        .output()
        .expect("openssl is installed");
    assert!(o.status.success(), "openssl {args:?}: {}", stderr(&o));
}

/// A key pair: private key (PEM PKCS#8), certificate PEM and DER.
#[derive(Clone, Debug)]
pub struct KeyPair {
    pub key: PathBuf,
    pub cert_pem: PathBuf,
    pub cert_der: PathBuf,
}

/// Makes a self-signed key pair `name` in `dir`. `newkey` is openssl's -newkey argument
/// (e.g. "rsa:2048" or "ec" with `ec_curve`), `extra` are more `req` arguments.
pub fn make_keypair(dir: &Path, name: &str, newkey: &str, extra: &[&str]) -> KeyPair {
    let key = format!("{name}.key.pem");
    let crt = format!("{name}.crt.pem");
    let der = format!("{name}.crt.der");
    let mut args = vec!["req", "-x509", "-newkey", newkey];
    args.extend_from_slice(extra);
    let subj = format!("/CN=imaevm test {name}");
    args.extend_from_slice(&[
        "-nodes", "-keyout", &key, "-out", &crt, "-days", "30", "-subj", &subj,
    ]);
    openssl(dir, &args);
    openssl(dir, &["x509", "-in", &crt, "-outform", "DER", "-out", &der]);
    KeyPair {
        key: dir.join(key),
        cert_pem: dir.join(crt),
        cert_der: dir.join(der),
    }
}

/// Makes an EC key pair on `curve` (openssl names: prime192v1, prime256v1, secp384r1,
/// secp521r1).
pub fn make_ec_keypair(dir: &Path, name: &str, curve: &str) -> KeyPair {
    let param = format!("ec_paramgen_curve:{curve}");
    make_keypair(dir, name, "ec", &["-pkeyopt", &param])
}

/// The process-wide fixture: one temporary directory with the keys every test shares.
pub struct Fixture {
    pub dir: PathBuf,
    pub rsa1024: KeyPair,
    pub rsa2048: KeyPair,
    pub rsa4096: KeyPair,
    pub other_rsa: KeyPair,
    pub p192: KeyPair,
    pub p256: KeyPair,
    pub p384: KeyPair,
    pub p521: KeyPair,
}

pub fn fixture() -> &'static Fixture {
    static F: OnceLock<Fixture> = OnceLock::new();
    F.get_or_init(|| {
        // Under cargo's per-target scratch directory, so /tmp is not littered.
        let dir =
            Path::new(env!("CARGO_TARGET_TMPDIR")).join(format!("keys-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(&dir).expect("fixture dir");
        Fixture {
            rsa1024: make_keypair(&dir, "rsa1024", "rsa:1024", &[]),
            rsa2048: make_keypair(&dir, "rsa2048", "rsa:2048", &[]),
            rsa4096: make_keypair(&dir, "rsa4096", "rsa:4096", &[]),
            other_rsa: make_keypair(&dir, "other", "rsa:2048", &[]),
            p192: make_ec_keypair(&dir, "p192", "prime192v1"),
            p256: make_ec_keypair(&dir, "p256", "prime256v1"),
            p384: make_ec_keypair(&dir, "p384", "secp384r1"),
            p521: make_ec_keypair(&dir, "p521", "secp521r1"),
            dir,
        }
    })
}

/// A fresh scratch directory for one test.
pub fn scratch() -> tempfile::TempDir {
    tempfile::Builder::new()
        .prefix("imaevm-test")
        .tempdir()
        .expect("tempdir")
}

/// Writes a file with deterministic but non-trivial contents of `len` bytes.
pub fn write_sample(path: &Path, len: usize, seed: u8) {
    let data: Vec<u8> = (0..len)
        .map(|i| (i as u32).wrapping_mul(2654435761).to_be_bytes()[0] ^ seed)
        .collect();
    std::fs::write(path, data).unwrap();
}

pub fn get_xattr(path: &Path, name: &str) -> Option<Vec<u8>> {
    xattr::get(path, name).ok().flatten()
}

pub fn hex(b: &[u8]) -> String {
    b.iter().map(|x| format!("{x:02x}")).collect()
}

/// The xattr namespace arguments: security.ima as root, user.ima otherwise.
pub fn ns() -> (&'static str, &'static [&'static str]) {
    if is_root() {
        ("security.ima", &[])
    } else {
        ("user.ima", &["--xattr-user"])
    }
}
