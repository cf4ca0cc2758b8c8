//! Asking the kernel to verify a `security.ima` signature with its own copy of the key,
//! as appraisal does, and turning its answer into a [`Verdict`].

use crate::error::{errno_name, errno_words};
use crate::hash::{to_hex, HashAlgo};

use super::list::listed_key;
use super::proc_keys::{asymmetric_details, proc_keys};
use super::{describe, is_absent, pkey_query, pkey_verify, search, KeySerial};

pub use crate::verdict::Verdict;

/// The `enc=` the kernel uses for a key algorithm (digsig_asymmetric.c).
fn kernel_encoding(pkey_algo: Option<&str>) -> &'static str {
    match pkey_algo {
        Some(a) if a.starts_with("ecdsa") => "x962",
        Some("ecrdsa") | Some("sm2") => "raw",
        _ => "pkcs1",
    }
}

/// Checks a v2 signature the way appraisal does, with the kernel's own copy of the key:
/// the key is found by `id:<keyid>` in `keyring` (after `.ima_blacklist` when given), the
/// file is hashed with the header's algorithm by `digest`, and the kernel verifies with
/// KEYCTL_PKEY_VERIFY. Which values are signatures is decided by [`crate::verify`].
/// An `Err` is a failure to ask (hashing or a keyring syscall), not a verdict.
pub fn kernel_verify(
    keyring: KeySerial,
    blacklist: Option<KeySerial>,
    sig: &crate::format::SignatureV2,
    digest: &mut dyn FnMut(HashAlgo) -> Result<Vec<u8>, String>,
) -> Result<Verdict, String> {
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
                        needs: None,
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
                serial: Some(key),
                hash: algo,
            })
        }
        Err(e) => e.raw_os_error().unwrap_or(libc::EIO),
    };
    if errno == libc::EACCES {
        return Ok(Verdict::NotChecked {
            detail: unusable_key(keyid, key),
            needs: None,
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
