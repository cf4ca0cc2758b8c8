//! Unit tests for fast.rs: which backend signs what, byte identity of RSA between the
//! backends, ECDSA from AWS-LC verified by RustCrypto, and the forced-backend refusals.

use super::*;
use crate::keys::test_keys::{key, p192, p521};
use crate::keys::PublicKey;

/// The hashes aws-lc signs with each key under `Auto`.
fn fast_algos(k: &SigningKey) -> Vec<HashAlgo> {
    HashAlgo::ALL
        .into_iter()
        .filter(|a| k.backend_for(*a).unwrap() == Backend::AwsLc)
        .collect()
}

#[test]
fn auto_uses_aws_lc_for_what_it_covers_and_rustcrypto_for_the_rest() {
    use HashAlgo::*;
    let cases: Vec<(&str, PrivateKey, Vec<HashAlgo>)> = vec![
        (
            "RSA-2048",
            key("rsa2048.pk8.pem"),
            vec![Sha256, Sha384, Sha512],
        ),
        ("RSA-1024", key("rsa1024.pk8.pem"), vec![]),
        ("P-256", key("p256.pk8.pem"), vec![Sha256]),
        ("P-384", key("p384.pk8.pem"), vec![Sha384]),
        ("P-521", p521(), vec![Sha512, Sha224, Sha256, Sha384]),
        ("P-192", p192(), vec![]),
    ];
    for (name, k, mut want) in cases {
        let k = SigningKey::new(k, Backend::Auto);
        let mut got = fast_algos(&k);
        got.sort_by_key(|a| a.name());
        want.sort_by_key(|a| a.name());
        assert_eq!(got, want, "{name}");
    }
}

#[test]
fn rustcrypto_forced_never_uses_aws_lc() {
    for k in [
        key("rsa2048.pk8.pem"),
        key("p256.pk8.pem"),
        key("p384.pk8.pem"),
    ] {
        let k = SigningKey::new(k, Backend::RustCrypto);
        for a in HashAlgo::ALL {
            assert_eq!(k.backend_for(a).unwrap(), Backend::RustCrypto);
        }
    }
}

#[test]
fn aws_lc_forced_refuses_what_it_does_not_cover() {
    let k = SigningKey::new(key("rsa2048.pk8.pem"), Backend::AwsLc);
    assert_eq!(k.backend_for(HashAlgo::Sha256).unwrap(), Backend::AwsLc);
    let e = k.sign_digest(HashAlgo::Sha1, &[0u8; 20]).unwrap_err();
    assert!(e.to_string().contains("IMAEVM_SIGN_BACKEND=aws-lc"), "{e}");
    assert!(e.to_string().contains("sha1"), "{e}");
    let small = SigningKey::new(key("rsa1024.pk8.pem"), Backend::AwsLc);
    assert!(small.sign_digest(HashAlgo::Sha256, &[0u8; 32]).is_err());
    let p192 = SigningKey::new(p192(), Backend::AwsLc);
    assert!(p192.sign_digest(HashAlgo::Sha256, &[0u8; 32]).is_err());
}

#[test]
fn rsa_bytes_are_identical_from_both_backends() {
    for name in ["rsa2048.pk8.pem", "rsa2048.pk1.pem"] {
        let fast = SigningKey::new(key(name), Backend::AwsLc);
        let soft = SigningKey::new(key(name), Backend::RustCrypto);
        for algo in [HashAlgo::Sha256, HashAlgo::Sha384, HashAlgo::Sha512] {
            let digest = algo.digest(b"the same digest for both");
            let a = fast.sign_digest(algo, &digest).unwrap();
            let b = soft.sign_digest(algo, &digest).unwrap();
            assert_eq!(a.len(), 256);
            assert_eq!(a, b, "{name} {algo}");
        }
    }
}

#[test]
fn ecdsa_from_aws_lc_verifies_with_rustcrypto() {
    for (k, algo) in [
        (key("p256.pk8.pem"), HashAlgo::Sha256),
        (key("p256.sec1.pem"), HashAlgo::Sha256),
        (key("p384.pk8.pem"), HashAlgo::Sha384),
        (p521(), HashAlgo::Sha512),
        (p521(), HashAlgo::Sha224),
    ] {
        let public: PublicKey = k.public_key();
        let k = SigningKey::new(k, Backend::AwsLc);
        let digest = algo.digest(b"signed by aws-lc");
        let sig = k.sign_digest(algo, &digest).unwrap();
        assert!(public.verify_digest(algo, &digest, &sig), "{algo}");
        let other = algo.digest(b"another file");
        assert!(!public.verify_digest(algo, &other, &sig), "{algo}");
    }
}

#[test]
fn a_digest_of_the_wrong_length_is_refused_by_either_backend() {
    for b in [Backend::Auto, Backend::AwsLc, Backend::RustCrypto] {
        let k = SigningKey::new(key("rsa2048.pk8.pem"), b);
        assert!(matches!(
            k.sign_digest(HashAlgo::Sha256, &[0u8; 20]),
            Err(SignError::DigestLength { got: 20, .. })
        ));
    }
}

#[test]
fn backend_names_parse() {
    assert_eq!(Backend::parse("").unwrap(), Backend::Auto);
    assert_eq!(Backend::parse("auto").unwrap(), Backend::Auto);
    assert_eq!(Backend::parse("rustcrypto").unwrap(), Backend::RustCrypto);
    assert_eq!(Backend::parse("aws-lc").unwrap(), Backend::AwsLc);
    let e = Backend::parse("openssl").unwrap_err();
    assert!(e.contains("IMAEVM_SIGN_BACKEND=openssl"), "{e}");
    for b in [Backend::Auto, Backend::RustCrypto, Backend::AwsLc] {
        assert_eq!(Backend::parse(b.name()).unwrap(), b);
    }
}
