//! Helpers shared by the keyring tests (`mod keyring_common;`).
//!
//! Isolation: every test calls [`fresh_session`] first. It joins a new anonymous session
//! keyring (KEYCTL_JOIN_SESSION_KEYRING with no name). Keyring credentials are per thread,
//! and libtest runs each test on its own thread, so the new session belongs to that test
//! alone: the commands it spawns inherit it (a child gets the credentials of the thread
//! that forked it), the machine's session is untouched, and the session keyring with
//! every key in it is released when the test's thread and children end. Keys are only
//! ever added to keyrings made inside that session, except in the one test that checks
//! the user-keyring default, which removes what it made (see keyring_kernel.rs).
#![allow(dead_code)] // each test crate uses a different subset

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

use imaevm::format::ImaValue;
use imaevm::hash::HashAlgo;
use imaevm::keyring::{self, KeySerial};

#[path = "../common/skip.rs"]
mod skip;
#[allow(unused_imports)] // each test crate uses a different subset
pub use skip::{skip, skip_part};

/// Joins a fresh anonymous session keyring for this test's thread, or says why the test
/// is skipped.
pub fn fresh_session(test: &str) -> Option<KeySerial> {
    match keyring::join_session_keyring(None) {
        Ok(s) => Some(s),
        Err(e) => {
            skip(test, &format!("cannot join a new session keyring: {e}"));
            None
        }
    }
}

/// A new keyring `name` linked in the (fresh) session keyring.
pub fn new_keyring(name: &str) -> KeySerial {
    keyring::add_key("keyring", Some(name), &[], keyring::SESSION_KEYRING)
        .expect("create a keyring in the session keyring")
}

fn openssl(args: &[&str]) -> bool {
    Command::new("openssl")
        .args(args)
        .output()
        .map(|o| o.status.success())
        .unwrap_or(false)
}

/// Test key material made by openssl.
pub struct TestKey {
    pub key: PathBuf,
    pub cert_pem: PathBuf,
    pub cert_der: PathBuf,
}

/// A self-signed RSA-2048 (or P-256 with `ec`) certificate and its key in `dir`.
pub fn make_key(dir: &Path, stem: &str, ec: bool, test: &str) -> Option<TestKey> {
    let k = TestKey {
        key: dir.join(format!("{stem}.key.pem")),
        cert_pem: dir.join(format!("{stem}.crt.pem")),
        cert_der: dir.join(format!("{stem}.crt.der")),
    };
    let newkey = if ec { "ec" } else { "rsa:2048" };
    let mut args = vec!["req", "-x509", "-newkey", newkey];
    if ec {
        args.extend(["-pkeyopt", "ec_paramgen_curve:prime256v1"]);
    }
    let subj = format!("/CN={stem}");
    args.extend([
        "-nodes",
        "-keyout",
        k.key.to_str().unwrap(),
        "-out",
        k.cert_pem.to_str().unwrap(),
        "-days",
        "1",
        "-subj",
        &subj,
        "-outform",
        "PEM",
    ]);
    if !openssl(&args)
        || !openssl(&[
            "x509",
            "-in",
            k.cert_pem.to_str().unwrap(),
            "-outform",
            "DER",
            "-out",
            k.cert_der.to_str().unwrap(),
        ])
    {
        skip(test, "openssl could not make a test certificate");
        return None;
    }
    Some(k)
}

/// Whether this kernel holds RSA certificates as "asymmetric" keys (probed in a scratch
/// keyring of the fresh session).
pub fn kernel_has_rsa_keys(key: &TestKey, test: &str) -> bool {
    let ring = new_keyring("probe");
    let der = std::fs::read(&key.cert_der).unwrap();
    match keyring::add_key("asymmetric", None, &der, ring) {
        Ok(_) => {
            keyring::unlink(ring, keyring::SESSION_KEYRING).unwrap();
            true
        }
        Err(e) => {
            skip(
                test,
                &format!("the kernel does not take RSA asymmetric keys: {e}"),
            );
            false
        }
    }
}

/// Signs `file` with our evmctl (`evmctl ima_sign --key KEY FILE`), which sets
/// security.ima. Returns the keyid in the value written, or None (with a SKIP line) when
/// security.* xattrs cannot be set here.
pub fn ima_sign(key: &Path, file: &Path, test: &str) -> Option<[u8; 4]> {
    ima_sign_with(HashAlgo::Sha256, key, file, test)
}

/// [`ima_sign`] with `-a ALGO`.
pub fn ima_sign_with(algo: HashAlgo, key: &Path, file: &Path, test: &str) -> Option<[u8; 4]> {
    let out = Command::new(env!("CARGO_BIN_EXE_evmctl"))
        .args(["ima_sign", "-a", algo.name(), "--key"])
        .arg(key)
        .arg(file)
        .output()
        .expect("run evmctl");
    if !out.status.success() {
        let err = text(&out.stderr);
        if err.contains("security.ima") {
            skip(
                test,
                &format!("evmctl ima_sign cannot set security.ima here: {err}"),
            );
            return None;
        }
        panic!("evmctl ima_sign failed: {err}");
    }
    let value = xattr::get(file, "security.ima")
        .expect("read security.ima")
        .expect("ima_sign wrote security.ima");
    match ImaValue::parse(&value).expect("a valid value") {
        ImaValue::Signature(sig) => Some(sig.keyid),
        other => panic!("ima_sign wrote {other:?}"),
    }
}

/// Sets security.ima to `value`; false (with a SKIP line) without the privilege.
pub fn set_ima(file: &Path, value: &[u8], test: &str) -> bool {
    match xattr::set(file, "security.ima", value) {
        Ok(()) => true,
        Err(e) => {
            skip(
                test,
                &format!("cannot set security.ima (needs root and xattrs): {e}"),
            );
            false
        }
    }
}

pub fn imactl(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_imactl"))
        .args(args)
        .output()
        .expect("run imactl")
}

pub fn text(b: &[u8]) -> String {
    String::from_utf8_lossy(b).into_owned()
}
