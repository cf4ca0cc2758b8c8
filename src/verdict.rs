//! What a signature check found, in the words of the kernel's audit log: one type for
//! the file-key verifier ([`crate::verify`]) and the kernel's own answer
//! ([`crate::keyring::kernel_verify`]).

use std::fmt;

use crate::hash::{to_hex, HashAlgo};
use crate::sys::keyctl::KeySerial;
use crate::sys::SysError;
use crate::verity::MeasureError;

/// The kind of key that can check a value which the verifier's keys cannot.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum KeyNeeded {
    /// A legacy v1 signature needs the RSA public key it was made with.
    LegacyRsaPublicKey,
    /// A v2 signature needs an X.509 certificate (or a keyring).
    Certificate,
}

/// What a verification found. The codes and words follow the kernel's audit records
/// where there is one ("IMA-signature-required", "invalid-signature", "unknown key").
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Verdict {
    /// Verified with the key of `keyid` (`serial` when it came from a keyring).
    Ok {
        keyid: [u8; 4],
        serial: Option<KeySerial>,
        hash: HashAlgo,
    },
    /// No signature value at all.
    NoSignature,
    /// A hash value where a signature is required ("IMA-signature-required").
    SignatureRequired,
    /// No key `id:<keyid>` among the keys ("Request for unknown key 'id:...'").
    UnknownKey { keyid: [u8; 4] },
    /// The key is in `.ima_blacklist`.
    Blacklisted { keyid: [u8; 4] },
    /// The signature was refused: it does not match, or the value is malformed.
    InvalidSignature {
        keyid: Option<[u8; 4]>,
        detail: String,
    },
    /// The header's hash algorithm cannot be computed (by us or by the kernel).
    UnavailableHash { hash: String, detail: String },
    /// An fs-verity signature (sigv3, type 0x06) on a file that has no fs-verity digest:
    /// the kernel refuses it ("no-verity-digest"), whatever the keys.
    NoVerityDigest(MeasureError),
    /// A value these keys cannot check; `needs` says which key would.
    NotChecked {
        detail: String,
        needs: Option<KeyNeeded>,
    },
}

impl Verdict {
    pub fn is_ok(&self) -> bool {
        matches!(self, Verdict::Ok { .. })
    }

    /// A signature that was checked against its key and did not match (as opposed to a
    /// value that could not be checked at all).
    pub fn is_mismatch(&self) -> bool {
        matches!(
            self,
            Verdict::InvalidSignature { keyid: Some(_), .. } | Verdict::Blacklisted { .. }
        )
    }

    /// A stable one-word code for JSON and scripts.
    pub fn code(&self) -> &'static str {
        match self {
            Verdict::Ok { .. } => "ok",
            Verdict::NoSignature => "no-signature",
            Verdict::SignatureRequired => "IMA-signature-required",
            Verdict::UnknownKey { .. } => "unknown-key",
            Verdict::Blacklisted { .. } => "blacklisted-key",
            Verdict::InvalidSignature { .. } => "invalid-signature",
            Verdict::UnavailableHash { .. } => "unavailable-hash",
            Verdict::NoVerityDigest(_) => "no-verity-digest",
            Verdict::NotChecked { .. } => "not-checked",
        }
    }

    /// The keyid the value names, when it is a signature.
    pub fn keyid(&self) -> Option<[u8; 4]> {
        match self {
            Verdict::Ok { keyid, .. }
            | Verdict::UnknownKey { keyid }
            | Verdict::Blacklisted { keyid } => Some(*keyid),
            Verdict::InvalidSignature { keyid, .. } => *keyid,
            _ => None,
        }
    }

    pub(crate) fn malformed(e: impl fmt::Display) -> Verdict {
        Verdict::InvalidSignature {
            keyid: None,
            detail: format!("malformed value: {e}"),
        }
    }
}

impl fmt::Display for Verdict {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Verdict::Ok {
                keyid,
                serial: Some(serial),
                hash,
            } => write!(
                f,
                "OK (key id:{} serial {serial}, {})",
                to_hex(keyid),
                hash.name()
            ),
            Verdict::Ok {
                keyid,
                serial: None,
                hash,
            } => write!(f, "OK (key id:{}, {})", to_hex(keyid), hash.name()),
            Verdict::NoSignature => write!(f, "no signature"),
            Verdict::SignatureRequired => write!(
                f,
                "IMA-signature-required (the value is a file hash, not a signature)"
            ),
            Verdict::UnknownKey { keyid } => {
                write!(f, "unknown key id:{} (not among the keys)", to_hex(keyid))
            }
            Verdict::Blacklisted { keyid } => write!(
                f,
                "invalid-signature (key id:{} is in .ima_blacklist)",
                to_hex(keyid)
            ),
            Verdict::InvalidSignature { detail, .. } => write!(f, "invalid-signature ({detail})"),
            Verdict::UnavailableHash { hash, detail } => {
                write!(f, "unavailable hash algorithm {hash} ({detail})")
            }
            Verdict::NoVerityDigest(why) => {
                write!(f, "no-verity-digest ({})", why.describe("the file"))
            }
            Verdict::NotChecked { detail, .. } => write!(f, "not checked: {detail}"),
        }
    }
}

/// Why a verification could not be asked at all (not a verdict about the signature).
#[derive(Debug)]
pub enum VerifyError<E> {
    /// Reading the value or hashing the signed data failed.
    Input(E),
    /// Asking the kernel failed: searching `keyring` for the key `id`.
    Keyring {
        keyring: KeySerial,
        id: String,
        error: SysError,
    },
}

impl<E: fmt::Display> fmt::Display for VerifyError<E> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            VerifyError::Input(e) => e.fmt(f),
            VerifyError::Keyring { keyring, id, error } => write!(
                f,
                "cannot search keyring {keyring} for {id}: {}",
                error.cause()
            ),
        }
    }
}

impl<E: fmt::Debug + fmt::Display> std::error::Error for VerifyError<E> {}
