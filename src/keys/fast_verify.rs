//! Which backend verifies: AWS-LC (through aws-lc-rs) for the keys and hashes where it is
//! faster and answers exactly as RustCrypto does, RustCrypto for the rest
//! (docs/speed.md, "Verification").
//!
//! Covered: RSA keys of 2048 to 4096 bits with SHA-1, SHA-256, SHA-384 or SHA-512
//! (PKCS#1 v1.5, DigestInfo with NULL parameters, the signature exactly as long as the
//! modulus: aws-lc compares the whole encoded block, as the kernel's pkcs1pad does), and
//! ECDSA P-256 (SHA-1/256/384/512), P-384 (SHA-256/384/512) and P-521 (SHA-1/224/256/384/
//! 512) with DER signatures. Everything else (RSA-1024, RSA over 4096 bits, P-192, SHA-224
//! with RSA, SM3, Streebog, ...) stays with RustCrypto. A key aws-lc will not parse (an
//! exponent it refuses, say) also stays with RustCrypto, so a refusal from aws-lc is only
//! ever about the signature. Only public keys are involved.

use aws_lc_rs::digest::{self as lc_digest, Digest};
use aws_lc_rs::signature::{self as lc, ParsedPublicKey, VerificationAlgorithm};

use super::fast::Backend;
use super::{KeyAlgorithm, PublicKey};
use crate::hash::HashAlgo;

/// The environment variable that forces a verification backend (read when a key for
/// verification is loaded): `auto` (the default), `rustcrypto` or `aws-lc`.
pub const VERIFY_BACKEND_ENV: &str = "IMAEVM_VERIFY_BACKEND";

/// Parses a value of [`VERIFY_BACKEND_ENV`].
pub fn parse_verify_backend(value: &str) -> Result<Backend, String> {
    match value {
        "" | "auto" => Ok(Backend::Auto),
        "rustcrypto" => Ok(Backend::RustCrypto),
        "aws-lc" => Ok(Backend::AwsLc),
        other => Err(format!(
            "{VERIFY_BACKEND_ENV}={other}: unknown verification backend (auto, rustcrypto or aws-lc)"
        )),
    }
}

/// The verification backend [`VERIFY_BACKEND_ENV`] asks for; `Auto` when it is not set.
pub fn verify_backend_from_env() -> Result<Backend, String> {
    match std::env::var(VERIFY_BACKEND_ENV) {
        Ok(v) => parse_verify_backend(&v),
        Err(std::env::VarError::NotPresent) => Ok(Backend::Auto),
        Err(std::env::VarError::NotUnicode(_)) => Err(format!(
            "{VERIFY_BACKEND_ENV}: the value is not valid UTF-8"
        )),
    }
}

fn lc_digest_algorithm(algo: HashAlgo) -> Option<&'static lc_digest::Algorithm> {
    Some(match algo {
        HashAlgo::Sha1 => &lc_digest::SHA1_FOR_LEGACY_USE_ONLY,
        HashAlgo::Sha224 => &lc_digest::SHA224,
        HashAlgo::Sha256 => &lc_digest::SHA256,
        HashAlgo::Sha384 => &lc_digest::SHA384,
        HashAlgo::Sha512 => &lc_digest::SHA512,
        _ => return None,
    })
}

type Algos = &'static [(HashAlgo, &'static dyn VerificationAlgorithm)];

/// The (hash, aws-lc verification algorithm) pairs used for a key kind.
fn algorithms(key: KeyAlgorithm) -> Algos {
    match key {
        KeyAlgorithm::Rsa { bits } if (2048..=4096).contains(&bits) => &[
            (
                HashAlgo::Sha1,
                &lc::RSA_PKCS1_2048_8192_SHA1_FOR_LEGACY_USE_ONLY,
            ),
            (HashAlgo::Sha256, &lc::RSA_PKCS1_2048_8192_SHA256),
            (HashAlgo::Sha384, &lc::RSA_PKCS1_2048_8192_SHA384),
            (HashAlgo::Sha512, &lc::RSA_PKCS1_2048_8192_SHA512),
        ],
        KeyAlgorithm::EcdsaP256 => &[
            (HashAlgo::Sha1, &lc::ECDSA_P256_SHA1_ASN1),
            (HashAlgo::Sha256, &lc::ECDSA_P256_SHA256_ASN1),
            (HashAlgo::Sha384, &lc::ECDSA_P256_SHA384_ASN1),
            (HashAlgo::Sha512, &lc::ECDSA_P256_SHA512_ASN1),
        ],
        KeyAlgorithm::EcdsaP384 => &[
            (HashAlgo::Sha256, &lc::ECDSA_P384_SHA256_ASN1),
            (HashAlgo::Sha384, &lc::ECDSA_P384_SHA384_ASN1),
            (HashAlgo::Sha512, &lc::ECDSA_P384_SHA512_ASN1),
        ],
        KeyAlgorithm::EcdsaP521 => &[
            (HashAlgo::Sha1, &lc::ECDSA_P521_SHA1_ASN1),
            (HashAlgo::Sha224, &lc::ECDSA_P521_SHA224_ASN1),
            (HashAlgo::Sha256, &lc::ECDSA_P521_SHA256_ASN1),
            (HashAlgo::Sha384, &lc::ECDSA_P521_SHA384_ASN1),
            (HashAlgo::Sha512, &lc::ECDSA_P521_SHA512_ASN1),
        ],
        KeyAlgorithm::Rsa { .. } | KeyAlgorithm::EcdsaP192 => &[],
    }
}

/// The bytes aws-lc parses for a key: the DER RSAPublicKey for RSA, the uncompressed
/// SEC1 point for ECDSA (both are what [`PublicKey::public_key_bits`] gives).
fn parsed_keys(key: &PublicKey) -> Vec<(HashAlgo, ParsedPublicKey)> {
    let algos = algorithms(key.algorithm());
    if algos.is_empty() {
        return Vec::new();
    }
    let bits = key.public_key_bits();
    algos
        .iter()
        .filter_map(|(h, alg)| ParsedPublicKey::new(*alg, &bits).ok().map(|k| (*h, k)))
        .collect()
}

/// A public key with the backends that can verify with it, and the choice among them.
pub struct VerifyingKey {
    soft: PublicKey,
    fast: Vec<(HashAlgo, ParsedPublicKey)>,
    choice: Backend,
}

impl std::fmt::Debug for VerifyingKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("VerifyingKey")
            .field("key", &self.soft.algorithm())
            .field("choice", &self.choice)
            .finish()
    }
}

impl VerifyingKey {
    /// Prepares `key` for `choice` (the aws-lc copies are made unless RustCrypto is forced).
    pub fn new(key: PublicKey, choice: Backend) -> VerifyingKey {
        let fast = match choice {
            Backend::RustCrypto => Vec::new(),
            Backend::Auto | Backend::AwsLc => parsed_keys(&key),
        };
        VerifyingKey {
            soft: key,
            fast,
            choice,
        }
    }

    /// Prepares `key` for the backend [`VERIFY_BACKEND_ENV`] asks for.
    pub fn from_env(key: PublicKey) -> Result<VerifyingKey, String> {
        Ok(VerifyingKey::new(key, verify_backend_from_env()?))
    }

    /// The RustCrypto key.
    pub fn public(&self) -> &PublicKey {
        &self.soft
    }

    pub fn algorithm(&self) -> KeyAlgorithm {
        self.soft.algorithm()
    }

    /// The backend that verifies `algo` signatures with this key: `AwsLc` or
    /// `RustCrypto`, or an error when aws-lc is forced and does not cover them.
    pub fn backend_for(&self, algo: HashAlgo) -> Result<Backend, String> {
        let covered = self.fast.iter().any(|(h, _)| *h == algo);
        match self.choice {
            Backend::Auto | Backend::AwsLc if covered => Ok(Backend::AwsLc),
            Backend::AwsLc => Err(format!(
                "{VERIFY_BACKEND_ENV}=aws-lc: the aws-lc backend does not verify {algo} \
                 signatures made with a {} key",
                self.soft.algorithm()
            )),
            _ => Ok(Backend::RustCrypto),
        }
    }

    /// Checks `sig` over the prehashed `digest` as [`PublicKey::verify_digest`] does, with
    /// the chosen backend: Ok(true) when valid, Ok(false) when not, an error only when
    /// aws-lc is forced and does not cover the key and hash.
    pub fn verify_digest(&self, algo: HashAlgo, digest: &[u8], sig: &[u8]) -> Result<bool, String> {
        if self.backend_for(algo)? == Backend::RustCrypto {
            return Ok(self.soft.verify_digest(algo, digest, sig));
        }
        let Some((_, key)) = self.fast.iter().find(|(h, _)| *h == algo) else {
            return Ok(self.soft.verify_digest(algo, digest, sig));
        };
        let valid = lc_digest_algorithm(algo)
            .and_then(|a| Digest::import_less_safe(digest, a).ok())
            .is_some_and(|d| key.verify_digest_sig(&d, sig).is_ok());
        Ok(valid)
    }
}

#[cfg(test)]
#[path = "fast_verify_tests.rs"]
mod tests;
