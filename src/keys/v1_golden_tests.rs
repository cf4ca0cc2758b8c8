//! key2bin and the v1 keyid against what upstream evmctl 1.4 wrote for the same key:
//!   cp ../keys/rsa2048.pub.pem . && evmctl convert rsa2048.pub.pem && rm rsa2048.pub.pem
//! (in tests/data/v1; tests/data/README.md).

use std::path::PathBuf;

use super::*;
use crate::keys::PublicKey;

fn data(name: &str) -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("tests/data")
        .join(name)
}

fn spki() -> Vec<u8> {
    PublicKey::load_pem(&data("keys/rsa2048.pub.pem"))
        .unwrap()
        .rsa_spki_der()
        .unwrap()
}

#[test]
fn key2bin_is_the_blob_evmctl_convert_wrote() {
    let blob = key2bin(&spki()).unwrap();
    assert_eq!(blob, std::fs::read(data("v1/rsa2048.pub.pem.bin")).unwrap());
    // 7-byte header, MPI(n) of 2048 bits, MPI(e) = 65537 (17 bits).
    assert_eq!(blob[..9], [1, 0, 0, 0, 0, 0, 2, 0x08, 0x00]);
    assert_eq!(blob[blob.len() - 5..], [0, 17, 1, 0, 1]);
}

#[test]
fn the_v1_keyid_is_the_one_evmctl_convert_wrote() {
    let id = keyid(&key2bin(&spki()).unwrap());
    let written = std::fs::read_to_string(data("v1/rsa2048.pub.pem.keyid")).unwrap();
    assert_eq!(keyid_name(&id), written);
    assert_eq!(written, "C9DCA93467BCA09B");
}

#[test]
fn an_ec_key_has_no_v1_blob() {
    let pem = std::fs::read(data("keys/p256.crt.pem")).unwrap();
    let cert = crate::keys::Certificate::from_bytes(&data("keys/p256.crt.pem"), &pem).unwrap();
    let e = key2bin(&cert.spki_der()).unwrap_err();
    assert!(e.contains("RSA only"), "{e}");
    assert!(key2bin(b"\x30\x00").is_err());
}
