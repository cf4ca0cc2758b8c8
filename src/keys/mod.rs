//! Keys and certificates: private keys (PKCS#1, PKCS#8, encrypted PKCS#8, SEC1; PEM or
//! DER), X.509 certificates (PEM or DER), public keys, and the IMA keyid derivations of
//! docs/formats.md ("keyids"). No printing and no argv: errors carry the file and the cause.

mod cert;
pub mod fast;
pub mod fast_verify;
pub mod gen;
pub mod inspect;
pub mod kdf_caps;
pub mod kernel_fit;
pub mod payload;
mod pem;
mod private;
mod public;
#[cfg(test)]
mod test_keys;
pub mod v1;
pub mod x509gen;

use std::fmt;
use std::path::{Path, PathBuf};

pub use cert::Certificate;
pub use fast::{Backend, SigningKey, BACKEND_ENV};
pub use fast_verify::{VerifyingKey, VERIFY_BACKEND_ENV};
pub use private::{Password, PrivateKey};
pub use public::{KeyAlgorithm, PublicKey};

/// Why a key or certificate could not be used. Every variant names the file.
#[derive(Debug)]
pub struct KeyError {
    pub path: PathBuf,
    pub kind: KeyErrorKind,
}

#[derive(Debug)]
pub enum KeyErrorKind {
    /// The file could not be opened or read.
    Io(std::io::Error),
    /// The file is encrypted and no password was given.
    PasswordRequired,
    /// Decryption failed: wrong password (or a corrupted file).
    WrongPassword,
    /// The file holds a certificate or public key where a private key was expected.
    NotAPrivateKey(&'static str),
    /// The file holds a private key where a certificate was expected.
    NotACertificate(&'static str),
    /// Nothing in the file could be parsed as what was expected.
    Malformed(String),
    /// A well-formed key of a kind this tool cannot use.
    Unsupported(String),
}

impl KeyError {
    pub(crate) fn new(path: &Path, kind: KeyErrorKind) -> KeyError {
        KeyError {
            path: path.to_path_buf(),
            kind,
        }
    }

    /// True when the file could not be read at all (missing, unreadable, not a regular
    /// file, over its size cap): an input the command cannot use, as opposed to a file
    /// that was read and holds something else or something malformed.
    pub fn is_unreadable(&self) -> bool {
        matches!(self.kind, KeyErrorKind::Io(_))
    }
}

impl fmt::Display for KeyError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let p = self.path.display();
        match &self.kind {
            KeyErrorKind::Io(e) => write!(f, "{p}: cannot read: {}", crate::error::io_words(e)),
            KeyErrorKind::PasswordRequired => write!(
                f,
                "{p}: the private key is encrypted and no password was given"
            ),
            KeyErrorKind::WrongPassword => write!(
                f,
                "{p}: cannot decrypt the private key: wrong password (or a damaged file)"
            ),
            KeyErrorKind::NotAPrivateKey(what) => {
                write!(f, "{p}: this is {what}, not a private key")
            }
            KeyErrorKind::NotACertificate(what) => {
                write!(f, "{p}: this is {what}, not an X.509 certificate")
            }
            KeyErrorKind::Malformed(why) => write!(f, "{p}: {why}"),
            KeyErrorKind::Unsupported(why) => write!(f, "{p}: {why}"),
        }
    }
}

impl std::error::Error for KeyError {}

/// The last four bytes of SHA-1 over `public_key_bits` (the contents of a
/// SubjectPublicKeyInfo BIT STRING): evmctl's computed v2 keyid.
pub fn keyid_from_public_key_bits(public_key_bits: &[u8]) -> [u8; 4] {
    let d = crate::hash::HashAlgo::Sha1.digest(public_key_bits);
    [d[16], d[17], d[18], d[19]]
}

/// Parses a keyid given in hex the way `--keyid` takes it: a non-zero 32-bit value.
pub fn parse_keyid_hex(s: &str) -> Option<[u8; 4]> {
    if s.is_empty() || s.len() > 8 || !s.bytes().all(|b| b.is_ascii_hexdigit()) {
        return None;
    }
    let v = u32::from_str_radix(s, 16).ok()?;
    (v != 0).then(|| v.to_be_bytes())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keyid_hex_rules() {
        assert_eq!(parse_keyid_hex("1a2b3c4d"), Some([0x1a, 0x2b, 0x3c, 0x4d]));
        assert_eq!(parse_keyid_hex("ff"), Some([0, 0, 0, 0xff]));
        assert_eq!(parse_keyid_hex("0"), None);
        assert_eq!(parse_keyid_hex("123456789"), None);
        assert_eq!(parse_keyid_hex("xyz"), None);
        assert_eq!(parse_keyid_hex(""), None);
    }
}

/// Why a signature could not be made.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum SignError {
    /// The digest has the wrong length for its algorithm.
    DigestLength {
        algo: crate::hash::HashAlgo,
        expected: usize,
        got: usize,
    },
    /// Legacy v1 signatures are RSA only.
    V1NeedsRsa,
    /// Legacy v1 signatures know sha1 and sha256 only.
    V1Hash(crate::hash::HashAlgo),
    /// The signature is too large for the v2 header's 16-bit size.
    TooLarge(usize),
    /// The key's backend failed (its own words).
    Backend {
        algorithm: KeyAlgorithm,
        detail: String,
    },
}

impl fmt::Display for SignError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            SignError::DigestLength {
                algo,
                expected,
                got,
            } => write!(f, "a {algo} digest is {expected} bytes, got {got}"),
            SignError::V1NeedsRsa => write!(f, "v1 signatures need an RSA key"),
            SignError::V1Hash(algo) => {
                write!(f, "Signature version 1 does not support hash algo {algo}")
            }
            SignError::TooLarge(n) => {
                write!(f, "a {n}-byte signature does not fit a v2 header")
            }
            SignError::Backend { algorithm, detail } => {
                write!(f, "{algorithm} signing failed ({detail})")
            }
        }
    }
}

impl std::error::Error for SignError {}
