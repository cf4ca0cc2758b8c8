//! Unit tests for public.rs: reading public keys (SPKI DER, PEM), what they verify, and
//! the refusals. Fixtures and their commands: tests/data/README.md.

use std::path::PathBuf;

use super::*;
use crate::keys::{KeyErrorKind, PrivateKey};

fn data(name: &str) -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("tests/data/keys")
        .join(name)
}

fn private(name: &str) -> PrivateKey {
    PrivateKey::load(&data(name), None).unwrap().key
}

#[test]
fn pem_public_key_is_the_private_keys_public_half() {
    let k = PublicKey::load_pem(&data("rsa2048.pub.pem")).unwrap();
    let from_private = private("rsa2048.pk8.pem").public_key();
    assert_eq!(k.public_key_bits(), from_private.public_key_bits());
    assert_eq!(k.algorithm(), KeyAlgorithm::Rsa { bits: 2048 });
    // The SPKI it re-encodes reads back to the same key.
    let spki = k.rsa_spki_der().unwrap();
    let again = PublicKey::from_spki_der(&spki).unwrap();
    assert_eq!(again.public_key_bits(), k.public_key_bits());
    // No RSA SPKI for an EC key.
    assert!(private("p256.pk8.pem")
        .public_key()
        .rsa_spki_der()
        .is_none());
}

#[test]
fn verify_digest_accepts_the_signature_and_nothing_else() {
    for key in ["rsa2048.pk8.pem", "p256.pk8.pem", "p384.pk8.pem"] {
        let k = private(key);
        let public = k.public_key();
        let digest = HashAlgo::Sha256.digest(b"signed");
        let sig = k.sign_digest(HashAlgo::Sha256, &digest).unwrap();
        assert!(
            public.verify_digest(HashAlgo::Sha256, &digest, &sig),
            "{key}"
        );
        let other = HashAlgo::Sha256.digest(b"not signed");
        assert!(
            !public.verify_digest(HashAlgo::Sha256, &other, &sig),
            "{key}"
        );
        let mut bad = sig.clone();
        let last = bad.len() - 1;
        bad[last] ^= 1;
        assert!(
            !public.verify_digest(HashAlgo::Sha256, &digest, &bad),
            "{key}"
        );
        assert!(
            !public.verify_digest(HashAlgo::Sha256, &digest, &[]),
            "{key}"
        );
    }
    // RSA: the DigestInfo names the hash, so a SHA-256 signature is not a SHA-512 one even
    // for the same digest bytes extended to length.
    let k = private("rsa2048.pk8.pem");
    let d256 = HashAlgo::Sha256.digest(b"x");
    let sig = k.sign_digest(HashAlgo::Sha256, &d256).unwrap();
    let mut d512 = d256.clone();
    d512.resize(64, 0);
    assert!(!k.public_key().verify_digest(HashAlgo::Sha512, &d512, &sig));
}

#[test]
fn algorithms_are_named_as_the_messages_and_the_kernel_need() {
    let rsa = private("rsa2048.pk8.pem").public_key().algorithm();
    assert_eq!(rsa.to_string(), "RSA-2048");
    assert_eq!((rsa.family(), rsa.kernel_encoding()), ("rsa", "pkcs1"));
    assert_eq!(rsa.curve(), None);
    let ec = private("p256.pk8.pem").public_key().algorithm();
    assert_eq!(ec.to_string(), "ECDSA P-256");
    assert_eq!((ec.family(), ec.kernel_encoding()), ("ecdsa", "x962"));
    assert_eq!(ec.bits(), 256);
    assert_eq!(KeyAlgorithm::EcdsaP384.curve(), Some("P-384"));
}

#[test]
fn unusable_public_keys_are_refused() {
    // Ed25519 (RFC 8410): SEQUENCE { SEQUENCE { OID 1.3.101.112 }, BIT STRING (32 bytes) }.
    let mut ed25519 = vec![
        0x30, 0x2a, 0x30, 0x05, 0x06, 0x03, 0x2b, 0x65, 0x70, 0x03, 0x21, 0x00,
    ];
    ed25519.extend([7u8; 32]);
    let e = PublicKey::from_spki_der(&ed25519).unwrap_err();
    assert!(
        e.contains("unsupported public key algorithm 1.3.101.112"),
        "{e}"
    );
    assert!(PublicKey::from_spki_der(b"\x30\x03\x02\x01").is_err());
    // A P-256 SPKI whose point is not on the curve.
    let pem = std::fs::read(data("p256.crt.pem")).unwrap();
    let cert = crate::keys::Certificate::from_bytes(&data("p256.crt.pem"), &pem).unwrap();
    let mut spki = cert.spki_der();
    let last = spki.len() - 1;
    spki[last] ^= 1;
    let e = PublicKey::from_spki_der(&spki).unwrap_err();
    assert!(e.contains("malformed EC public key point"), "{e}");
}

#[test]
fn load_pem_names_the_file_and_what_it_holds() {
    for (file, words) in [
        ("rsa2048.pk8.pem", "this is a private key"),
        ("rsa2048.crt.pem", "this is a certificate"),
    ] {
        let e = PublicKey::load_pem(&data(file)).expect_err("refused");
        let msg = e.to_string();
        assert!(msg.starts_with(&data(file).display().to_string()), "{msg}");
        assert!(msg.contains(words), "{file}: {msg}");
    }
    let e = PublicKey::load_pem(&data("rsa2048.crt.der")).err().unwrap();
    assert!(matches!(e.kind, KeyErrorKind::Malformed(_)), "{e}");
    assert!(e.to_string().contains("no PEM 'PUBLIC KEY' block"), "{e}");
    let e = PublicKey::load_pem(&data("missing.pub.pem")).err().unwrap();
    assert!(matches!(e.kind, KeyErrorKind::Io(_)), "{e}");
}
