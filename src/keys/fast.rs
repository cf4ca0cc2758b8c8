//! Which backend signs: AWS-LC (through aws-lc-rs) for every key and hash its safe API
//! covers, RustCrypto for the rest (docs/speed.md, "The choice: aws-lc-rs").
//!
//! Both backends give the same RSA PKCS#1 v1.5 bytes (the scheme is deterministic) and
//! ECDSA signatures any verifier accepts. Key material: aws-lc-rs frees its keys with
//! `EVP_PKEY_free`, and AWS-LC's allocator overwrites every allocation before releasing
//! it; the PKCS#8 bytes passed to it are a zeroizing `SecretDocument`.

use aws_lc_rs::digest::{self as lc_digest, Digest};
use aws_lc_rs::signature::{self as lc, EcdsaKeyPair, EcdsaSigningAlgorithm, RsaEncoding};
use pkcs8::EncodePrivateKey;

use super::{KeyAlgorithm, PrivateKey, SignError};
use crate::hash::HashAlgo;

/// The environment variable that forces a backend (read when a signing key is loaded).
pub const BACKEND_ENV: &str = "IMAEVM_SIGN_BACKEND";

/// Which signing backend to use.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Backend {
    /// AWS-LC where it covers the key and hash, RustCrypto otherwise (the default).
    Auto,
    /// RustCrypto for everything.
    RustCrypto,
    /// AWS-LC only: a key or hash it does not cover is an error.
    AwsLc,
}

impl Backend {
    /// Parses a value of [`BACKEND_ENV`].
    pub fn parse(value: &str) -> Result<Backend, String> {
        match value {
            "" | "auto" => Ok(Backend::Auto),
            "rustcrypto" => Ok(Backend::RustCrypto),
            "aws-lc" => Ok(Backend::AwsLc),
            other => Err(format!(
                "{BACKEND_ENV}={other}: unknown signing backend (auto, rustcrypto or aws-lc)"
            )),
        }
    }

    /// The backend [`BACKEND_ENV`] asks for; `Auto` when it is not set.
    pub fn from_env() -> Result<Backend, String> {
        match std::env::var(BACKEND_ENV) {
            Ok(v) => Backend::parse(&v),
            Err(std::env::VarError::NotPresent) => Ok(Backend::Auto),
            Err(std::env::VarError::NotUnicode(_)) => {
                Err(format!("{BACKEND_ENV}: the value is not valid UTF-8"))
            }
        }
    }

    pub fn name(self) -> &'static str {
        match self {
            Backend::Auto => "auto",
            Backend::RustCrypto => "rustcrypto",
            Backend::AwsLc => "aws-lc",
        }
    }
}

/// An aws-lc-rs copy of a private key. aws-lc-rs binds an ECDSA key to one hash, so an
/// EC key has one key pair per hash it can sign with.
enum FastKey {
    Rsa(aws_lc_rs::rsa::KeyPair),
    Ec(Vec<(HashAlgo, EcdsaKeyPair)>),
}

fn lc_digest_algorithm(algo: HashAlgo) -> Option<&'static lc_digest::Algorithm> {
    Some(match algo {
        HashAlgo::Sha224 => &lc_digest::SHA224,
        HashAlgo::Sha256 => &lc_digest::SHA256,
        HashAlgo::Sha384 => &lc_digest::SHA384,
        HashAlgo::Sha512 => &lc_digest::SHA512,
        _ => return None,
    })
}

fn rsa_encoding(algo: HashAlgo) -> Option<&'static dyn RsaEncoding> {
    Some(match algo {
        HashAlgo::Sha256 => &lc::RSA_PKCS1_SHA256,
        HashAlgo::Sha384 => &lc::RSA_PKCS1_SHA384,
        HashAlgo::Sha512 => &lc::RSA_PKCS1_SHA512,
        _ => return None,
    })
}

/// The (hash, signing algorithm) pairs aws-lc-rs offers for a curve, DER output.
fn ec_algorithms(key: KeyAlgorithm) -> &'static [(HashAlgo, &'static EcdsaSigningAlgorithm)] {
    match key {
        KeyAlgorithm::EcdsaP256 => &[(HashAlgo::Sha256, &lc::ECDSA_P256_SHA256_ASN1_SIGNING)],
        KeyAlgorithm::EcdsaP384 => &[(HashAlgo::Sha384, &lc::ECDSA_P384_SHA384_ASN1_SIGNING)],
        KeyAlgorithm::EcdsaP521 => &[
            (HashAlgo::Sha224, &lc::ECDSA_P521_SHA224_ASN1_SIGNING),
            (HashAlgo::Sha256, &lc::ECDSA_P521_SHA256_ASN1_SIGNING),
            (HashAlgo::Sha384, &lc::ECDSA_P521_SHA384_ASN1_SIGNING),
            (HashAlgo::Sha512, &lc::ECDSA_P521_SHA512_ASN1_SIGNING),
        ],
        KeyAlgorithm::EcdsaP192 | KeyAlgorithm::Rsa { .. } => &[],
    }
}

impl FastKey {
    /// The aws-lc-rs copy of `key`, or `None` when aws-lc-rs signs nothing with it
    /// (RSA under 2048 bits, P-192).
    fn from_private(key: &PrivateKey) -> Option<FastKey> {
        let pkcs8 = match key {
            PrivateKey::Rsa(k) => k.to_pkcs8_der().ok()?,
            PrivateKey::P192(_) => return None,
            PrivateKey::P256(k) => k.to_pkcs8_der().ok()?,
            PrivateKey::P384(k) => k.to_pkcs8_der().ok()?,
            PrivateKey::P521(k) => k.to_pkcs8_der().ok()?,
        };
        if let PrivateKey::Rsa(_) = key {
            // from_pkcs8 refuses moduli outside 2048..=8192 bits.
            return aws_lc_rs::rsa::KeyPair::from_pkcs8(pkcs8.as_bytes())
                .ok()
                .map(FastKey::Rsa);
        }
        let pairs: Vec<_> = ec_algorithms(key.public_key().algorithm())
            .iter()
            .filter_map(|(h, alg)| {
                EcdsaKeyPair::from_pkcs8(alg, pkcs8.as_bytes())
                    .ok()
                    .map(|k| (*h, k))
            })
            .collect();
        (!pairs.is_empty()).then_some(FastKey::Ec(pairs))
    }

    fn covers(&self, algo: HashAlgo) -> bool {
        match self {
            FastKey::Rsa(_) => rsa_encoding(algo).is_some(),
            FastKey::Ec(pairs) => pairs.iter().any(|(h, _)| *h == algo),
        }
    }

    /// Signs `digest` (already checked to be `algo`'s length, `algo` covered).
    fn sign(
        &self,
        algo: HashAlgo,
        digest: &[u8],
    ) -> Result<Vec<u8>, aws_lc_rs::error::Unspecified> {
        let lc_algo = lc_digest_algorithm(algo).ok_or(aws_lc_rs::error::Unspecified)?;
        let d = Digest::import_less_safe(digest, lc_algo)?;
        match self {
            FastKey::Rsa(k) => {
                let enc = rsa_encoding(algo).ok_or(aws_lc_rs::error::Unspecified)?;
                let mut sig = vec![0u8; k.public_modulus_len()];
                k.sign_digest(enc, &d, &mut sig)?;
                Ok(sig)
            }
            FastKey::Ec(pairs) => {
                let (_, k) = pairs
                    .iter()
                    .find(|(h, _)| *h == algo)
                    .ok_or(aws_lc_rs::error::Unspecified)?;
                Ok(k.sign_digest(&d)?.as_ref().to_vec())
            }
        }
    }
}

/// A private key with the backends that can sign with it, and the choice among them.
pub struct SigningKey {
    soft: PrivateKey,
    fast: Option<FastKey>,
    choice: Backend,
}

impl SigningKey {
    /// Prepares `key` for `choice` (the aws-lc-rs copy is made unless RustCrypto is forced).
    pub fn new(key: PrivateKey, choice: Backend) -> SigningKey {
        let fast = match choice {
            Backend::RustCrypto => None,
            Backend::Auto | Backend::AwsLc => FastKey::from_private(&key),
        };
        SigningKey {
            soft: key,
            fast,
            choice,
        }
    }

    /// The RustCrypto key (public key, legacy v1 signing).
    pub fn private(&self) -> &PrivateKey {
        &self.soft
    }

    /// The RustCrypto key, dropping the aws-lc-rs copy.
    pub fn into_private(self) -> PrivateKey {
        self.soft
    }

    pub fn choice(&self) -> Backend {
        self.choice
    }

    /// The backend that signs `algo` digests with this key: `AwsLc` or `RustCrypto`, or
    /// an error when aws-lc is forced and does not cover them.
    pub fn backend_for(&self, algo: HashAlgo) -> Result<Backend, SignError> {
        match (&self.fast, self.choice) {
            (Some(f), Backend::Auto | Backend::AwsLc) if f.covers(algo) => Ok(Backend::AwsLc),
            (_, Backend::AwsLc) => Err(self.not_covered(&format!("{algo} digests"))),
            _ => Ok(Backend::RustCrypto),
        }
    }

    /// The error for work the forced aws-lc backend does not do.
    pub fn not_covered(&self, what: &str) -> SignError {
        SignError::Backend {
            algorithm: self.soft.public_key().algorithm(),
            detail: format!(
                "{BACKEND_ENV}=aws-lc: the aws-lc backend does not sign {what} with this key"
            ),
        }
    }

    /// Signs a prehashed digest with the chosen backend (see [`PrivateKey::sign_digest`]
    /// for the formats).
    pub fn sign_digest(&self, algo: HashAlgo, digest: &[u8]) -> Result<Vec<u8>, SignError> {
        if digest.len() != algo.digest_len() {
            return Err(SignError::DigestLength {
                algo,
                expected: algo.digest_len(),
                got: digest.len(),
            });
        }
        match (self.backend_for(algo)?, &self.fast) {
            (Backend::AwsLc, Some(f)) => f.sign(algo, digest).map_err(|e| SignError::Backend {
                algorithm: self.soft.public_key().algorithm(),
                detail: format!("aws-lc: {e}"),
            }),
            _ => self.soft.sign_digest(algo, digest),
        }
    }
}

#[cfg(test)]
#[path = "fast_tests.rs"]
mod tests;
