//! Private keys for the unit tests of the signing and verifying backends: the fixture
//! files in tests/data/keys, and keys from a fixed scalar for the curves without one.

use std::path::PathBuf;

use super::PrivateKey;

pub fn key(name: &str) -> PrivateKey {
    let p = PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("tests/data/keys")
        .join(name);
    PrivateKey::load(&p, None).unwrap().key
}

pub fn p521() -> PrivateKey {
    let mut s = [0u8; 66];
    s[1..]
        .iter_mut()
        .enumerate()
        .for_each(|(i, b)| *b = i as u8 + 7);
    PrivateKey::P521(p521::SecretKey::from_slice(&s).unwrap().into())
}

pub fn p192() -> PrivateKey {
    let s: Vec<u8> = (0..24u8).map(|i| i + 3).collect();
    PrivateKey::P192(ecdsa::elliptic_curve::SecretKey::<p192::NistP192>::from_slice(&s).unwrap())
}
