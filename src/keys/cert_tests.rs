//! Unit tests for cert.rs: PEM and DER certificates, SKID and keyids, and refusals with
//! the file named. Fixtures and their commands: tests/data/README.md.

use std::path::{Path, PathBuf};

use super::*;

fn data(name: &str) -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("tests/data/keys")
        .join(name)
}

fn refused(path: &Path, bytes: &[u8]) -> KeyError {
    let e = Certificate::from_bytes(path, bytes)
        .err()
        .unwrap_or_else(|| panic!("{} was accepted", path.display()));
    assert_eq!(e.path, path);
    assert!(
        e.to_string().starts_with(&format!("{}: ", path.display())),
        "the message names the file: {e}"
    );
    e
}

/// rsa2048.crt.pem and .der are one certificate (`openssl x509 -outform DER`); openssl
/// gave it SKID 3029FEB5C6F344191D2C45301D4A06C97909934E
/// (`openssl x509 -in rsa2048.crt.pem -noout -ext subjectKeyIdentifier`).
#[test]
fn pem_and_der_are_one_certificate_with_its_skid() {
    let pem = Certificate::load(&data("rsa2048.crt.pem")).unwrap();
    let der = Certificate::load(&data("rsa2048.crt.der")).unwrap();
    assert_eq!(pem.der(), der.der());
    assert_eq!(der.der(), std::fs::read(data("rsa2048.crt.der")).unwrap());
    assert_eq!(pem.subject(), "CN=imaevm-test-rsa");
    assert_eq!(pem.path(), data("rsa2048.crt.pem"));
    assert_eq!(
        pem.skid().unwrap(),
        crate::hash::from_hex("3029FEB5C6F344191D2C45301D4A06C97909934E").unwrap()
    );
    assert_eq!(pem.skid_keyid(), Some([0x79, 0x09, 0x93, 0x4e]));
    // openssl's SKID is SHA-1 of the key bits, so it agrees with the computed keyid.
    assert_eq!(pem.computed_keyid(), [0x79, 0x09, 0x93, 0x4e]);
    assert_eq!(
        pem.computed_keyid(),
        pem.public_key().unwrap().computed_keyid()
    );
}

#[test]
fn the_skid_wins_and_its_absence_falls_back_to_the_computed_keyid() {
    let skid = Certificate::load(&data("rsa2048-skid.crt.pem")).unwrap();
    assert_eq!(skid.keyid(), [1, 2, 3, 4]);
    assert_eq!(skid.computed_keyid(), [0x79, 0x09, 0x93, 0x4e]);
    // p256-noskid.crt.der: made with -addext subjectKeyIdentifier=none.
    let none = Certificate::load(&data("p256-noskid.crt.der")).unwrap();
    assert_eq!(none.skid(), None);
    assert_eq!(none.skid_keyid(), None);
    assert_eq!(none.keyid(), none.computed_keyid());
    // The same key as p256.crt.pem: the same computed keyid.
    let with = Certificate::load(&data("p256.crt.pem")).unwrap();
    assert_eq!(none.computed_keyid(), with.computed_keyid());
}

#[test]
fn a_certificate_after_other_pem_blocks_is_found() {
    let bytes = std::fs::read(data("rsa2048.key-crt.pem")).unwrap();
    let c = Certificate::from_bytes(Path::new("bundle.pem"), &bytes).unwrap();
    assert_eq!(c.subject(), "CN=imaevm-test-rsa-skid");
}

#[test]
fn what_is_not_a_certificate_is_refused_with_the_file_named() {
    let p = Path::new("/certs/given.crt");
    let e = refused(p, b"");
    assert!(e.to_string().contains("empty"), "{e}");
    for (file, what) in [
        ("rsa2048.pk8.pem", "a private key"),
        ("p256.sec1.pem", "a private key"),
        ("rsa2048.pk8.der", "a private key"),
        ("rsa2048.pub.pem", "a public key"),
    ] {
        let e = refused(p, &std::fs::read(data(file)).unwrap());
        assert!(
            matches!(e.kind, KeyErrorKind::NotACertificate(w) if w == what),
            "{file}: {e}"
        );
    }
    let der = std::fs::read(data("rsa2048.crt.der")).unwrap();
    let e = refused(p, &der[..der.len() - 10]);
    assert!(e.to_string().contains("truncated or damaged"), "{e}");
    let e = refused(
        p,
        b"-----BEGIN X509 CRL-----\nAAAA\n-----END X509 CRL-----\n",
    );
    assert!(e.to_string().contains("PEM 'X509 CRL' block"), "{e}");
    let e = refused(p, b"-----BEGIN CERTIFICATE-----\nMIIB\n");
    assert!(matches!(e.kind, KeyErrorKind::Malformed(_)), "{e}");
    assert!(!e.is_unreadable(), "read, but malformed: {e}");
    let e = Certificate::load(&data("missing.crt")).err().unwrap();
    assert!(matches!(e.kind, KeyErrorKind::Io(_)), "{e}");
    assert!(e.is_unreadable(), "{e}");
    // A directory is not a regular file: it cannot be read either.
    let e = Certificate::load(Path::new(env!("CARGO_MANIFEST_DIR")))
        .err()
        .unwrap();
    assert!(e.is_unreadable(), "{e}");
    // A private key where a certificate is expected was read: the wrong kind.
    let e = Certificate::load(&data("rsa2048.pk8.pem")).err().unwrap();
    assert!(!e.is_unreadable(), "{e}");
}
