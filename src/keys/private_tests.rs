//! Unit tests for private.rs: every key encoding we read gives the same key, encrypted
//! keys need the right password, an appended certificate is kept, and anything else is
//! refused with the file named. Fixtures and their commands: tests/data/README.md.

use std::path::{Path, PathBuf};

use super::*;
use crate::keys::KeyAlgorithm;

fn data(name: &str) -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("tests/data/keys")
        .join(name)
}

fn load(name: &str) -> LoadedKey {
    PrivateKey::load(&data(name), None).unwrap_or_else(|e| panic!("{e}"))
}

fn refused(path: &Path, bytes: &[u8], password: Option<&str>) -> KeyError {
    match PrivateKey::from_bytes(path, bytes, password) {
        Ok(_) => panic!("{} was accepted", path.display()),
        Err(e) => {
            assert_eq!(e.path, path);
            assert!(
                e.to_string().starts_with(&format!("{}: ", path.display())),
                "the message names the file: {e}"
            );
            e
        }
    }
}

/// The public key bits (PKCS#1 RSAPublicKey or SEC1 point), compared across encodings.
fn bits(k: &LoadedKey) -> Vec<u8> {
    k.key.public_key().public_key_bits()
}

#[test]
fn rsa_pkcs8_pkcs1_and_der_are_the_same_key() {
    let pk8 = load("rsa2048.pk8.pem");
    assert_eq!(
        pk8.key.public_key().algorithm(),
        KeyAlgorithm::Rsa { bits: 2048 }
    );
    assert!(pk8.appended_cert.is_none());
    for other in ["rsa2048.pk1.pem", "rsa2048.pk8.der"] {
        assert_eq!(bits(&load(other)), bits(&pk8), "{other}");
    }
    // The public key is the one in the certificate openssl made from it.
    let cert = Certificate::load(&data("rsa2048.crt.der")).unwrap();
    assert_eq!(bits(&pk8), cert.public_key().unwrap().public_key_bits());
}

#[test]
fn ec_pkcs8_and_sec1_are_the_same_key() {
    let pk8 = load("p256.pk8.pem");
    let sec1 = load("p256.sec1.pem");
    assert_eq!(pk8.key.public_key().algorithm(), KeyAlgorithm::EcdsaP256);
    assert_eq!(bits(&sec1), bits(&pk8));
    assert_eq!(bits(&pk8).len(), 65, "an uncompressed P-256 point");
    assert_eq!(
        load("p384.pk8.pem").key.public_key().algorithm(),
        KeyAlgorithm::EcdsaP384
    );
    // A SEC1 key given as DER (no PEM armour) is read too.
    let pem = std::fs::read(data("p256.sec1.pem")).unwrap();
    let der = crate::keys::pem::blocks(&pem)[0].der.clone().unwrap();
    let k = PrivateKey::from_bytes(Path::new("p256.sec1.der"), &der, None).unwrap();
    assert_eq!(bits(&k), bits(&pk8));
}

/// rsa2048.enc.pem: `KEYPASS='fixture password' openssl pkcs8 -topk8 -v2 aes-256-cbc
/// -in rsa2048.pk8.pem -passout env:KEYPASS -out rsa2048.enc.pem`.
#[test]
fn encrypted_pkcs8_needs_the_right_password() {
    let path = data("rsa2048.enc.pem");
    let bytes = std::fs::read(&path).unwrap();
    let e = refused(&path, &bytes, None);
    assert!(matches!(e.kind, KeyErrorKind::PasswordRequired), "{e}");
    assert!(e.to_string().contains("encrypted"), "{e}");
    let e = refused(&path, &bytes, Some("not the password"));
    assert!(matches!(e.kind, KeyErrorKind::WrongPassword), "{e}");
    assert!(e.to_string().contains("wrong password"), "{e}");
    let k = PrivateKey::from_bytes(&path, &bytes, Some("fixture password")).unwrap();
    assert_eq!(bits(&k), bits(&load("rsa2048.pk8.pem")));
    // A password given for a key that is not encrypted is not needed and does no harm.
    let plain = std::fs::read(data("rsa2048.pk8.pem")).unwrap();
    assert!(PrivateKey::from_bytes(&path, &plain, Some("unused")).is_ok());
}

#[test]
fn a_certificate_appended_to_the_key_is_kept() {
    let k = load("rsa2048.key-crt.pem");
    let cert = k.appended_cert.as_ref().expect("the appended certificate");
    assert_eq!(cert.subject(), "CN=imaevm-test-rsa-skid");
    assert_eq!(cert.skid_keyid(), Some([1, 2, 3, 4]));
    assert_eq!(bits(&k), bits(&load("rsa2048.pk8.pem")));
    // A certificate before the key is not "appended": the key is still found.
    let mut swapped = std::fs::read(data("rsa2048-skid.crt.pem")).unwrap();
    swapped.extend(std::fs::read(data("rsa2048.pk8.pem")).unwrap());
    let k = PrivateKey::from_bytes(Path::new("swapped.pem"), &swapped, None).unwrap();
    assert!(k.appended_cert.is_none());
}

#[test]
fn what_is_not_a_usable_private_key_is_refused_with_the_file_named() {
    let p = Path::new("/keys/given.pem");
    let e = refused(p, b"", None);
    assert!(e.to_string().contains("empty"), "{e}");
    let e = refused(p, b"just some text, no key here\n", None);
    assert!(matches!(e.kind, KeyErrorKind::Malformed(_)), "{e}");
    let e = refused(p, &[0x30, 0x82, 0x01], None);
    assert!(matches!(e.kind, KeyErrorKind::Malformed(_)), "{e}");
    // A certificate or a public key where the private key belongs.
    for (file, what) in [
        ("rsa2048.crt.pem", "an X.509 certificate"),
        ("rsa2048.crt.der", "an X.509 certificate"),
        ("rsa2048.pub.pem", "a public key"),
    ] {
        let bytes = std::fs::read(data(file)).unwrap();
        let e = refused(p, &bytes, None);
        assert!(
            matches!(e.kind, KeyErrorKind::NotAPrivateKey(w) if w == what),
            "{file}: {e}"
        );
    }
    // A PEM key cut short: no END line.
    let whole = std::fs::read(data("rsa2048.pk8.pem")).unwrap();
    let e = refused(p, &whole[..whole.len() / 2], None);
    assert!(e.to_string().contains("no END line"), "{e}");
    // Damaged base64 inside a complete block.
    let text = String::from_utf8(whole.clone()).unwrap();
    let damaged = text.replacen("MII", "M!I", 1);
    let e = refused(p, damaged.as_bytes(), None);
    assert!(e.to_string().contains("base64"), "{e}");
    // Legacy OpenSSL PEM encryption (Proc-Type/DEK-Info headers): refused, with the way out.
    let legacy = text
        .replace("-----BEGIN PRIVATE KEY-----\n", "-----BEGIN RSA PRIVATE KEY-----\nProc-Type: 4,ENCRYPTED\nDEK-Info: AES-128-CBC,00112233445566778899AABBCCDDEEFF\n\n")
        .replace("END PRIVATE KEY", "END RSA PRIVATE KEY");
    let e = refused(p, legacy.as_bytes(), Some("x"));
    assert!(matches!(e.kind, KeyErrorKind::Unsupported(_)), "{e}");
    assert!(e.to_string().contains("openssl pkcs8 -topk8"), "{e}");
    // RSA below 1024 bits.
    let small = std::fs::read(data("rsa512.pk8.pem")).unwrap();
    let e = refused(p, &small, None);
    assert!(e.to_string().contains("512 bits"), "{e}");
}

#[test]
fn a_missing_file_is_named() {
    let p = data("no-such-key.pem");
    let e = PrivateKey::load(&p, None).err().expect("refused");
    assert!(matches!(e.kind, KeyErrorKind::Io(_)));
    assert!(e.to_string().contains("no-such-key.pem"), "{e}");
}
