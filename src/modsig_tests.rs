use super::*;
use crate::sign::SoftwareSigner;
use std::path::{Path, PathBuf};

fn data(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/data/keys")
        .join(name)
}

fn signer(key: &str) -> SoftwareSigner {
    let k = crate::keys::PrivateKey::load(&data(key), None).unwrap().key;
    SoftwareSigner::new(k, None, None)
}

fn cert(name: &str) -> Certificate {
    Certificate::load(&data(name)).unwrap()
}

#[test]
fn append_verify_remove_round_trip() {
    let content: Vec<u8> = (0..5000u32).map(|i| (i * 7) as u8).collect();
    for (key, crt, algo) in [
        ("rsa2048.pk8.pem", "rsa2048.crt.pem", HashAlgo::Sha256),
        ("rsa2048.pk8.pem", "rsa2048.crt.der", HashAlgo::Sha512),
        ("p256.pk8.pem", "p256.crt.pem", HashAlgo::Sha384),
    ] {
        let c = cert(crt);
        let signed = append(&signer(key), &c, algo, &content).unwrap();
        assert!(signed.ends_with(MARKER));
        let a = split(&signed).unwrap();
        assert_eq!(a.content, &content[..]);
        let info = verify(&signed, std::slice::from_ref(&c)).unwrap();
        assert_eq!(info.hash, algo);
        assert_eq!(remove(&signed).unwrap(), &content[..]);
        // Signing twice is refused: the old signature would be signed over.
        assert!(append(&signer(key), &c, algo, &signed).is_err());
    }
}

#[test]
fn tampering_and_wrong_certificates_are_refused() {
    let content = b"a kernel image".to_vec();
    let c = cert("rsa2048.crt.pem");
    let signed = append(&signer("rsa2048.pk8.pem"), &c, HashAlgo::Sha256, &content).unwrap();
    let mut tampered = signed.clone();
    tampered[0] ^= 1;
    assert!(matches!(
        verify(&tampered, std::slice::from_ref(&c)),
        Err(ModsigError::Invalid(_))
    ));
    assert!(matches!(
        verify(&signed, &[cert("p256.crt.pem")]),
        Err(ModsigError::UnknownSigner(_))
    ));
    // A trailer that lies about the length, another id_type, no marker.
    let n = signed.len() - MARKER.len() - 1;
    let mut bad_len = signed.clone();
    bad_len[n - 3] = 0xff;
    assert!(matches!(split(&bad_len), Err(ModsigError::Malformed(_))));
    let mut bad_type = signed.clone();
    bad_type[n - 9] = 1;
    assert!(matches!(split(&bad_type), Err(ModsigError::Malformed(_))));
    assert!(matches!(split(&content), Err(ModsigError::NotSigned)));
    // The key and the certificate must belong together.
    assert!(matches!(
        append(&signer("p256.pk8.pem"), &c, HashAlgo::Sha256, &content),
        Err(ModsigError::CertificateMismatch)
    ));
    assert!(matches!(
        append(&signer("rsa2048.pk8.pem"), &c, HashAlgo::Sm3, &content),
        Err(ModsigError::Hash(HashAlgo::Sm3))
    ));
}

#[test]
fn trailer_layout() {
    let t = trailer(0x0195);
    assert_eq!(&t[..12], &[0, 0, 2, 0, 0, 0, 0, 0, 0, 0, 1, 0x95]);
    assert_eq!(&t[12..], MARKER);
}
