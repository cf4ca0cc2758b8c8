//! Asking the kernel to verify a `security.ima` signature with its own copy of the key,
//! as appraisal does, and turning its answer into a [`Verdict`].

use std::fmt;

use crate::error::{errno_name, errno_words};
use crate::hash::{to_hex, HashAlgo};

use super::list::listed_key;
use super::proc_keys::{asymmetric_details, proc_keys};
use super::{describe, is_absent, pkey_query, pkey_verify, search, KeySerial};

/// The kernel's answer for one `security.ima` value. The reasons use the words of the
/// kernel's audit record and log where one applies.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Verdict {
    /// The kernel verified the signature with key `serial`.
    Ok {
        keyid: [u8; 4],
        serial: KeySerial,
        hash: HashAlgo,
    },
    /// No `security.ima` (or `.sig` file) at all.
    NoSignature,
    /// A hash value where a signature is required ("IMA-signature-required").
    SignatureRequired,
    /// No key `id:<keyid>` in the keyring ("Request for unknown key 'id:...'").
    UnknownKey { keyid: [u8; 4] },
    /// The key is in `.ima_blacklist`.
    Blacklisted { keyid: [u8; 4] },
    /// The kernel rejected the signature ("invalid-signature"); `detail` says more.
    InvalidSignature {
        keyid: Option<[u8; 4]>,
        detail: String,
    },
    /// The header's hash algorithm cannot be computed (by us or by the kernel).
    UnavailableHash { hash: String, detail: String },
    /// A value this command does not check (v1, sigv3, fs-verity).
    NotChecked { detail: String },
}

impl Verdict {
    pub fn is_ok(&self) -> bool {
        matches!(self, Verdict::Ok { .. })
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
}

impl fmt::Display for Verdict {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Verdict::Ok {
                keyid,
                serial,
                hash,
            } => write!(
                f,
                "OK (key id:{} serial {serial}, {})",
                to_hex(keyid),
                hash.name()
            ),
            Verdict::NoSignature => write!(f, "no signature"),
            Verdict::SignatureRequired => write!(
                f,
                "IMA-signature-required (the value is a file hash, not a signature)"
            ),
            Verdict::UnknownKey { keyid } => {
                write!(f, "unknown key id:{} (not in the keyring)", to_hex(keyid))
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
            Verdict::NotChecked { detail } => write!(f, "not checked: {detail}"),
        }
    }
}

/// The `enc=` the kernel uses for a key algorithm (digsig_asymmetric.c).
fn kernel_encoding(pkey_algo: Option<&str>) -> &'static str {
    match pkey_algo {
        Some(a) if a.starts_with("ecdsa") => "x962",
        Some("ecrdsa") | Some("sm2") => "raw",
        _ => "pkcs1",
    }
}

/// Checks a `security.ima` value the way appraisal does, with the kernel's own copy of
/// the key: the key is found by `id:<keyid>` in `keyring` (after `.ima_blacklist` when
/// given), the file is hashed with the header's algorithm by `digest`, and the kernel
/// verifies with KEYCTL_PKEY_VERIFY. `value` is `None` when the file has none.
/// An `Err` is a failure to ask (hashing or a keyring syscall), not a verdict.
pub fn kernel_verify(
    keyring: KeySerial,
    blacklist: Option<KeySerial>,
    value: Option<&[u8]>,
    digest: &mut dyn FnMut(HashAlgo) -> Result<Vec<u8>, String>,
) -> Result<Verdict, String> {
    use crate::format::ImaValue;
    let Some(value) = value else {
        return Ok(Verdict::NoSignature);
    };
    let sig = match ImaValue::parse(value) {
        Err(e) => {
            return Ok(Verdict::InvalidSignature {
                keyid: None,
                detail: format!("malformed value: {e}"),
            })
        }
        Ok(ImaValue::Digest(_)) | Ok(ImaValue::DigestNg { .. }) => {
            return Ok(Verdict::SignatureRequired)
        }
        Ok(ImaValue::SignatureV1(_)) => {
            return Ok(Verdict::NotChecked {
                detail: "a legacy v1 signature (checked by the kernel with a 'user' key, \
                         not through KEYCTL_PKEY_VERIFY)"
                    .into(),
            })
        }
        Ok(ImaValue::VeritySignature(_)) => {
            return Ok(Verdict::NotChecked {
                detail: "an fs-verity signature (type 0x06), checked against the fs-verity \
                         digest under a digest_type=verity rule"
                    .into(),
            })
        }
        Ok(ImaValue::Signature(s)) if s.version != 2 => {
            return Ok(Verdict::NotChecked {
                detail: format!("a version {} signature", s.version),
            })
        }
        Ok(ImaValue::Signature(s)) => s,
    };
    let keyid = sig.keyid;
    let id = format!("id:{}", to_hex(&keyid));
    let Some(algo) = sig.hash_algo() else {
        return Ok(Verdict::UnavailableHash {
            hash: format!("id {}", sig.hash_id),
            detail: "imactl cannot compute this hash".into(),
        });
    };
    if let Some(bl) = blacklist {
        if search(bl, "asymmetric", &id).is_ok() {
            return Ok(Verdict::Blacklisted { keyid });
        }
    }
    let key = match search(keyring, "asymmetric", &id) {
        Ok(k) => k,
        Err(e) if is_absent(&e) || e.raw_os_error() == Some(libc::EACCES) => {
            // A search skips keys this process may not use (and then fails with EACCES):
            // keys in a keyring it does not possess (.ima) grant userspace "view" only.
            // Appraisal is not bound by that.
            match listed_key(keyring, keyid) {
                Some(serial) => {
                    return Ok(Verdict::NotChecked {
                        detail: unusable_key(keyid, serial),
                    })
                }
                None if is_absent(&e) => return Ok(Verdict::UnknownKey { keyid }),
                None => {
                    return Err(format!(
                        "cannot search keyring {keyring} for {id}: {}",
                        e.cause()
                    ))
                }
            }
        }
        Err(e) => {
            return Err(format!(
                "cannot search keyring {keyring} for {id}: {}",
                e.cause()
            ))
        }
    };
    let digest = digest(algo)?;
    let pkey_algo = proc_keys().ok().and_then(|keys| {
        let entry = keys.into_iter().find(|p| p.serial == key)?;
        let d = describe(key).ok()?;
        asymmetric_details(&entry, &d.description).pkey_algo
    });
    let enc = kernel_encoding(pkey_algo.as_deref());
    let info = format!("enc={enc} hash={}", algo.name());
    let errno = match pkey_verify(key, &info, &digest, &sig.sig) {
        Ok(()) => {
            return Ok(Verdict::Ok {
                keyid,
                serial: key,
                hash: algo,
            })
        }
        Err(e) => e.raw_os_error().unwrap_or(libc::EIO),
    };
    if errno == libc::EACCES {
        return Ok(Verdict::NotChecked {
            detail: unusable_key(keyid, key),
        });
    }
    // EINVAL means a malformed signature or a hash the kernel cannot use with this key;
    // KEYCTL_PKEY_QUERY with the same parameters tells the two apart.
    let hash_usable = match errno {
        libc::EINVAL | libc::ENOENT | libc::ENOPKG => pkey_query(key, &info).is_ok(),
        _ => true,
    };
    Ok(verify_errno_verdict(errno, hash_usable, keyid, algo, enc))
}

fn unusable_key(keyid: [u8; 4], serial: KeySerial) -> String {
    format!(
        "key id:{} is in the keyring (serial {serial}), but its permissions do not let \
         this process use it (a key in a keyring the process does not possess, such as the \
         kernel's .ima, grants userspace only 'view'); the kernel's own appraisal is not \
         limited by this, so the signature was not checked here",
        to_hex(&keyid)
    )
}

/// Maps a KEYCTL_PKEY_VERIFY errno to a verdict; `hash_usable` is whether the kernel
/// accepts "enc=... hash=..." for this key at all.
fn verify_errno_verdict(
    errno: i32,
    hash_usable: bool,
    keyid: [u8; 4],
    algo: HashAlgo,
    enc: &str,
) -> Verdict {
    if !hash_usable {
        return Verdict::UnavailableHash {
            hash: algo.name().into(),
            detail: format!(
                "the kernel cannot verify {enc} signatures over {} digests ({}): it lacks \
                 the algorithm, or its module is not loaded",
                algo.name(),
                errno_name(errno),
            ),
        };
    }
    match errno {
        libc::EKEYREJECTED | libc::EBADMSG => Verdict::InvalidSignature {
            keyid: Some(keyid),
            detail: format!(
                "the signature does not match the file's {} digest with this key",
                algo.name()
            ),
        },
        other => Verdict::InvalidSignature {
            keyid: Some(keyid),
            detail: format!(
                "the kernel refused the signature: {} ({})",
                errno_words(other),
                errno_name(other)
            ),
        },
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn verify_errnos_in_kernel_words() {
        let k = [1, 2, 3, 4];
        let v = verify_errno_verdict(libc::EKEYREJECTED, true, k, HashAlgo::Sha256, "pkcs1");
        assert_eq!(v.code(), "invalid-signature");
        assert!(v.to_string().starts_with("invalid-signature"));
        let v = verify_errno_verdict(libc::EINVAL, true, k, HashAlgo::Sha256, "pkcs1");
        assert_eq!(v.code(), "invalid-signature");
        let v = verify_errno_verdict(libc::ENOENT, false, k, HashAlgo::Sha512, "pkcs1");
        assert_eq!(v.code(), "unavailable-hash");
        assert!(v
            .to_string()
            .starts_with("unavailable hash algorithm sha512"));
        let v = verify_errno_verdict(libc::EINVAL, false, k, HashAlgo::Md5, "x962");
        assert_eq!(v.code(), "unavailable-hash");
        assert_eq!(kernel_encoding(Some("ecdsa-nist-p256")), "x962");
        assert_eq!(kernel_encoding(Some("rsa")), "pkcs1");
        assert_eq!(kernel_encoding(None), "pkcs1");
    }
}
