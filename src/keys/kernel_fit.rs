//! What the kernel will check when a certificate is added to a keyring, checked here first
//! so that a refusal can be explained (docs/kernel.md): the RSA key size the kernel's rsa
//! takes, an RSA modulus that is odd, and a self-signed certificate's own signature, which
//! the x509 parser verifies on add_key.

use der::{Decode, Encode};
use spki::ObjectIdentifier;

use super::public::OID_RSA;
use super::Certificate;
use crate::hash::HashAlgo;

/// Why the kernel would refuse `cert`'s key or its self-signature, in words; `None` when
/// nothing here predicts a refusal.
pub fn kernel_refusal(cert: &Certificate) -> Option<String> {
    if rsa_modulus_is_even(cert) {
        return Some("its RSA modulus is even, which no RSA key has: the key is invalid".into());
    }
    if let Ok(k) = cert.public_key() {
        if let Some(why) = k.algorithm().kernel_refusal() {
            return Some(format!("it holds {why}"));
        }
    }
    if self_signature(cert) == SelfSignature::Invalid {
        return Some(
            "it is self-signed but its signature does not verify with its own key, and the \
             kernel checks that signature when the certificate is added"
                .into(),
        );
    }
    None
}

/// A certificate's own signature, when it names itself as its issuer.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum SelfSignature {
    /// Issued by another certificate: the kernel checks it against its trusted keys.
    NotSelfIssued,
    Valid,
    Invalid,
    /// An algorithm not checked here.
    Unknown,
}

/// The hash of an X.509 signature algorithm (RSA PKCS#1 v1.5 and ECDSA with SHA-1/SHA-2).
pub(crate) fn signature_hash(oid: &ObjectIdentifier) -> Option<HashAlgo> {
    Some(match oid.to_string().as_str() {
        "1.2.840.113549.1.1.5" | "1.2.840.10045.4.1" => HashAlgo::Sha1,
        "1.2.840.113549.1.1.14" | "1.2.840.10045.4.3.1" => HashAlgo::Sha224,
        "1.2.840.113549.1.1.11" | "1.2.840.10045.4.3.2" => HashAlgo::Sha256,
        "1.2.840.113549.1.1.12" | "1.2.840.10045.4.3.3" => HashAlgo::Sha384,
        "1.2.840.113549.1.1.13" | "1.2.840.10045.4.3.4" => HashAlgo::Sha512,
        _ => return None,
    })
}

/// Checks the signature of a self-issued certificate with its own public key.
pub fn self_signature(cert: &Certificate) -> SelfSignature {
    let c = cert.inner();
    let tbs = c.tbs_certificate();
    if tbs.issuer() != tbs.subject() {
        return SelfSignature::NotSelfIssued;
    }
    let (Some(algo), Ok(key), Ok(tbs_der), Some(sig)) = (
        signature_hash(&c.signature_algorithm().oid),
        cert.public_key(),
        tbs.to_der(),
        c.signature().as_bytes(),
    ) else {
        return SelfSignature::Unknown;
    };
    if key.verify_digest(algo, &algo.digest(&tbs_der), sig) {
        SelfSignature::Valid
    } else {
        SelfSignature::Invalid
    }
}

/// Whether `cert` holds an RSA key whose modulus is even.
fn rsa_modulus_is_even(cert: &Certificate) -> bool {
    let spki = cert.inner().tbs_certificate().subject_public_key_info();
    if spki.algorithm.oid != OID_RSA {
        return false;
    }
    let Some(bits) = spki.subject_public_key.as_bytes() else {
        return false;
    };
    rsa::pkcs1::RsaPublicKeyRef::from_der(bits)
        .ok()
        .and_then(|k| k.modulus.as_bytes().last().copied())
        .is_some_and(|b| b & 1 == 0)
}
