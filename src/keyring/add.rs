//! Adding certificates to a keyring, and explaining in words why the kernel refused one.

use std::fmt;

use crate::error::{errno_name, errno_words};
use crate::keys::{Certificate, KeyAlgorithm};

use super::{add_key, describe, KeySerial, Keyring};

/// The keyid IMA's `id:` lookup will match for this certificate: the tail of its Subject
/// Key Identifier; without one, the tail of the kernel's serial||issuer id, which is the
/// last four bytes of the issuer name's DER (evmctl's computed keyid will not match).
pub fn kernel_keyid(cert: &Certificate) -> [u8; 4] {
    if let Some(k) = cert.skid_keyid() {
        return k;
    }
    use der::Encode;
    let issuer = cert
        .inner()
        .tbs_certificate()
        .issuer()
        .to_der()
        .expect("a parsed Name re-encodes");
    let n = issuer.len();
    [issuer[n - 4], issuer[n - 3], issuer[n - 2], issuer[n - 1]]
}

/// A key the kernel accepted.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct AddedKey {
    pub serial: KeySerial,
    /// The description the kernel gave it ("CN: SKID-hex").
    pub description: String,
    /// What `id:` matches for it.
    pub keyid: [u8; 4],
}

/// add_key refused a key; `errno` is the kernel's answer, `why` says it in words.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AddKeyError {
    pub errno: i32,
    pub why: String,
}

impl fmt::Display for AddKeyError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "the kernel refused the key ({}): {}",
            errno_name(self.errno),
            self.why
        )
    }
}

impl std::error::Error for AddKeyError {}

/// Facts about a certificate that explain the kernel's refusals.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct CertTraits {
    /// Why the kernel will refuse the certificate's key or self-signature, when it can be
    /// told beforehand (keys::kernel_fit).
    pub refusal: Option<String>,
    pub ecdsa: bool,
    /// basicConstraints CA:TRUE.
    pub ca: bool,
    /// keyUsage present without digitalSignature.
    pub no_digital_signature: bool,
}

impl CertTraits {
    pub fn of(cert: &Certificate) -> CertTraits {
        use x509_cert::ext::pkix::{BasicConstraints, KeyUsage};
        let tbs = cert.inner().tbs_certificate();
        CertTraits {
            refusal: crate::keys::kernel_fit::kernel_refusal(cert),
            ecdsa: cert
                .public_key()
                .map(|k| !matches!(k.algorithm(), KeyAlgorithm::Rsa { .. }))
                .unwrap_or(false),
            ca: matches!(tbs.get_extension::<BasicConstraints>(), Ok(Some((_, bc))) if bc.ca),
            no_digital_signature: matches!(
                tbs.get_extension::<KeyUsage>(),
                Ok(Some((_, ku))) if !ku.digital_signature()
            ),
        }
    }
}

/// Explains an add_key errno for a certificate going into `keyring_name` (when known).
pub fn explain_add_key_error(errno: i32, cert: CertTraits, keyring_name: Option<&str>) -> String {
    let restricted = keyring_name.is_some_and(|n| n.starts_with('.'));
    let ring = keyring_name.unwrap_or("the keyring");
    if let (Some(why), libc::EINVAL | libc::EKEYREJECTED | libc::EBADMSG | libc::ENOPKG) =
        (&cert.refusal, errno)
    {
        return why.clone();
    }
    match errno {
        libc::EBADMSG => "the kernel could not parse the payload as a DER X.509 certificate \
                          (add_key takes DER only: a PEM file gives this error)"
            .into(),
        libc::ENOENT | libc::ENOPKG if cert.ecdsa => "this kernel has no ECDSA support \
             (CONFIG_CRYPTO_ECDSA is not built in and its module is not loaded; Debian's 6.1 \
             kernel lacks it, 6.12 has it): use an RSA key, or a kernel with ECDSA"
            .into(),
        libc::ENOENT | libc::ENOPKG => "the kernel lacks a crypto algorithm this certificate \
             needs (its key type or the hash of its signature)"
            .into(),
        libc::ENOKEY | libc::EKEYREJECTED if restricted => {
            let mut s = format!(
                "{ring} accepts only certificates signed by a key in the builtin or secondary \
                 trusted keyrings (.builtin_trusted_keys, .secondary_trusted_keys): sign this \
                 certificate with a CA whose key the kernel trusts"
            );
            if cert.ca {
                s.push_str(
                    "; also, this is a CA certificate (basicConstraints CA:TRUE), which kernels \
                     from 6.12 on refuse in .ima",
                );
            }
            if cert.no_digital_signature {
                s.push_str(
                    "; also, its keyUsage lacks digitalSignature, which kernels from 6.12 on \
                     require in .ima",
                );
            }
            s
        }
        libc::ENOKEY => format!("{ring} does not exist"),
        libc::EKEYREJECTED => "the kernel rejected the certificate".into(),
        libc::EACCES | libc::EPERM => format!(
            "permission denied: no write permission on {ring} (a '.'-keyring may only be \
             written by root, and only if the kernel allows it)"
        ),
        libc::EDQUOT => "the key quota of this user is exhausted \
             (/proc/sys/kernel/keys/maxkeys and maxbytes)"
            .into(),
        libc::EINVAL => format!("{ring} is not a valid keyring id, or the payload is invalid"),
        libc::ENOTDIR => format!("{ring} is not a keyring"),
        other => errno_words(other),
    }
}

/// Adds `cert` (its DER, whatever the file held) as an "asymmetric" key to `keyring`,
/// letting the kernel choose the description, as evmctl import does.
pub fn add_certificate(cert: &Certificate, keyring: &Keyring) -> Result<AddedKey, AddKeyError> {
    let serial = add_key("asymmetric", None, cert.der(), keyring.serial).map_err(|e| {
        let errno = e.raw_os_error().unwrap_or(libc::EIO);
        AddKeyError {
            errno,
            why: explain_add_key_error(errno, CertTraits::of(cert), Some(&keyring.name)),
        }
    })?;
    let description = describe(serial).map(|d| d.description).unwrap_or_default();
    Ok(AddedKey {
        serial,
        description,
        keyid: kernel_keyid(cert),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn add_key_errors_in_words() {
        let ec = CertTraits {
            ecdsa: true,
            ..Default::default()
        };
        assert!(explain_add_key_error(libc::ENOENT, ec, Some("_ima")).contains("no ECDSA"));
        let pem = explain_add_key_error(libc::EBADMSG, CertTraits::default(), None);
        assert!(pem.contains("PEM"));
        let ca = CertTraits {
            ca: true,
            ..Default::default()
        };
        let r = explain_add_key_error(libc::ENOKEY, ca.clone(), Some(".ima"));
        assert!(r.contains("builtin or secondary trusted"));
        assert!(r.contains("6.12"));
        assert!(explain_add_key_error(libc::ENOKEY, ca, Some("_ima")).contains("does not exist"));
    }
}
