//! Private keys: loading from PEM or DER in every form evmctl users have, and signing a
//! prehashed digest. Key material is zeroized on drop (the rsa and ecdsa types do it
//! themselves; the file bytes and passwords are held in `Zeroizing` buffers here).

use std::path::Path;

use ecdsa::signature::hazmat::PrehashSigner;
use pkcs8::der::Decode;
use pkcs8::{DecodePrivateKey, EncryptedPrivateKeyInfoRef, PrivateKeyInfoRef};
use rsa::pkcs1::DecodeRsaPrivateKey;
use rsa::pkcs1v15::Pkcs1v15Sign;
use rsa::traits::PublicKeyParts;
use spki::ObjectIdentifier;
use zeroize::Zeroizing;

use super::cert::Certificate;
use super::pem;
use super::public::{PublicKey, OID_EC, OID_P192, OID_P256, OID_P384, OID_P521, OID_RSA};
use super::{KeyError, KeyErrorKind, SignError};
use crate::hash::HashAlgo;

/// A password, wiped from memory when dropped.
pub type Password = Zeroizing<String>;

/// Smallest RSA modulus accepted for signing.
pub const MIN_RSA_BITS: usize = 1024;

/// A signing key.
pub enum PrivateKey {
    Rsa(rsa::RsaPrivateKey),
    /// P-192 has no RFC 6979 digest binding in the p192 crate; nonces use HMAC-SHA-256.
    P192(ecdsa::elliptic_curve::SecretKey<p192::NistP192>),
    P256(p256::ecdsa::SigningKey),
    P384(p384::ecdsa::SigningKey),
    P521(p521::ecdsa::SigningKey),
}

/// What a key file held: the key and, when one follows it, a PEM certificate.
pub struct LoadedKey {
    pub key: PrivateKey,
    pub appended_cert: Option<Certificate>,
}

impl PrivateKey {
    /// Loads the key in `path`. `password` is used for encrypted PKCS#8.
    pub fn load(path: &Path, password: Option<&str>) -> Result<LoadedKey, KeyError> {
        let bytes = Zeroizing::new(
            crate::input::read_input(path, crate::input::InputKind::Key)
                .map_err(|e| KeyError::new(path, KeyErrorKind::Io(e.into())))?,
        );
        Self::from_bytes(path, &bytes, password)
    }

    /// Parses key file contents; `path` is only used in errors.
    pub fn from_bytes(
        path: &Path,
        bytes: &[u8],
        password: Option<&str>,
    ) -> Result<LoadedKey, KeyError> {
        let err = |kind| KeyError::new(path, kind);
        if bytes.is_empty() {
            return Err(err(KeyErrorKind::Malformed("the key file is empty".into())));
        }
        if !pem::looks_like_pem(bytes) {
            let key = from_der_any(bytes, password).map_err(err)?;
            return Ok(LoadedKey {
                key,
                appended_cert: None,
            });
        }
        let blocks = pem::blocks(bytes);
        let mut key = None;
        let mut appended_cert = None;
        let mut first_problem = None;
        for b in &blocks {
            let is_key = matches!(
                b.label.as_str(),
                "PRIVATE KEY" | "RSA PRIVATE KEY" | "EC PRIVATE KEY" | "ENCRYPTED PRIVATE KEY"
            );
            if is_key && key.is_none() {
                if b.has_headers {
                    return Err(err(KeyErrorKind::Unsupported(
                        "the key uses legacy OpenSSL PEM encryption (Proc-Type/DEK-Info); \
                         convert it to encrypted PKCS#8 with 'openssl pkcs8 -topk8'"
                            .into(),
                    )));
                }
                let der = b.der.clone().map_err(|m| err(KeyErrorKind::Malformed(m)))?;
                let parsed = match b.label.as_str() {
                    "PRIVATE KEY" => from_pkcs8(&der),
                    "RSA PRIVATE KEY" => from_pkcs1(&der),
                    "EC PRIVATE KEY" => from_sec1(&der),
                    _ => from_encrypted_pkcs8(&der, password),
                };
                key = Some(parsed.map_err(err)?);
            } else if b.label == "CERTIFICATE" && key.is_some() && appended_cert.is_none() {
                let der = b.der.clone().map_err(|m| err(KeyErrorKind::Malformed(m)))?;
                appended_cert = Some(Certificate::from_der(path, der.to_vec())?);
            } else if first_problem.is_none() {
                first_problem = Some(b.label.clone());
            }
        }
        match key {
            Some(key) => {
                key.check_usable().map_err(err)?;
                Ok(LoadedKey { key, appended_cert })
            }
            None => Err(err(match first_problem.as_deref() {
                Some("CERTIFICATE") => KeyErrorKind::NotAPrivateKey("an X.509 certificate"),
                Some("PUBLIC KEY") | Some("RSA PUBLIC KEY") => {
                    KeyErrorKind::NotAPrivateKey("a public key")
                }
                Some(other) => KeyErrorKind::Malformed(format!(
                    "no private key found (the file holds a PEM '{other}' block)"
                )),
                None => KeyErrorKind::Malformed(
                    "no private key found (no complete PEM block in the file)".into(),
                ),
            })),
        }
    }

    fn check_usable(&self) -> Result<(), KeyErrorKind> {
        if let PrivateKey::Rsa(k) = self {
            let bits = k.n().as_ref().bits() as usize;
            if bits < MIN_RSA_BITS {
                return Err(KeyErrorKind::Unsupported(format!(
                    "the RSA key has {bits} bits; at least {MIN_RSA_BITS} are required"
                )));
            }
        }
        Ok(())
    }

    /// The matching public key.
    pub fn public_key(&self) -> PublicKey {
        match self {
            PrivateKey::Rsa(k) => PublicKey::Rsa(k.to_public_key()),
            PrivateKey::P192(k) => PublicKey::P192(
                p192::ecdsa::VerifyingKey::from_affine(*k.public_key().as_affine())
                    .expect("a valid public key"),
            ),
            PrivateKey::P256(k) => PublicKey::P256(*k.verifying_key()),
            PrivateKey::P384(k) => PublicKey::P384(*k.verifying_key()),
            PrivateKey::P521(k) => PublicKey::P521(*k.verifying_key()),
        }
    }

    /// RSA PKCS#1 v1.5 type-1 padding of `data` itself, with no DigestInfo (the legacy v1
    /// scheme signs a raw SHA-1 this way). Exactly the modulus length.
    pub fn sign_raw_pkcs1(&self, data: &[u8]) -> Result<Vec<u8>, SignError> {
        match self {
            PrivateKey::Rsa(k) => k
                .sign(Pkcs1v15Sign::new_unprefixed(), data)
                .map_err(|e| self.backend_error(e)),
            _ => Err(SignError::V1NeedsRsa),
        }
    }

    fn backend_error(&self, e: impl std::fmt::Display) -> SignError {
        SignError::Backend {
            algorithm: self.public_key().algorithm(),
            detail: e.to_string(),
        }
    }

    /// Signs a prehashed digest: PKCS#1 v1.5 with the DigestInfo of `algo` (exactly the
    /// modulus length), or a DER ECDSA-Sig-Value (RFC 6979 nonces).
    pub fn sign_digest(&self, algo: HashAlgo, digest: &[u8]) -> Result<Vec<u8>, SignError> {
        if digest.len() != algo.digest_len() {
            return Err(SignError::DigestLength {
                algo,
                expected: algo.digest_len(),
                got: digest.len(),
            });
        }
        let ec_err = |e: ecdsa::Error| self.backend_error(e);
        match self {
            PrivateKey::Rsa(k) => {
                let scheme = Pkcs1v15Sign {
                    hash_len: Some(algo.digest_len()),
                    prefix: algo.digest_info_prefix().into_boxed_slice(),
                };
                let sig = k
                    // `sign` blinds with the OS RNG (rsa's getrandom feature).
                    .sign(scheme, digest)
                    .map_err(|e| self.backend_error(e))?;
                Ok(sig)
            }
            PrivateKey::P192(k) => {
                let (sig, _) = ecdsa::hazmat::sign_prehashed_rfc6979::<p192::NistP192, sha2::Sha256>(
                    &k.to_nonzero_scalar(),
                    digest,
                    &[],
                );
                Ok(sig.to_der().as_bytes().to_vec())
            }
            PrivateKey::P256(k) => Ok(PrehashSigner::<p256::ecdsa::DerSignature>::sign_prehash(
                k, digest,
            )
            .map_err(ec_err)?
            .as_bytes()
            .to_vec()),
            PrivateKey::P384(k) => Ok(PrehashSigner::<p384::ecdsa::DerSignature>::sign_prehash(
                k, digest,
            )
            .map_err(ec_err)?
            .as_bytes()
            .to_vec()),
            PrivateKey::P521(k) => Ok(PrehashSigner::<p521::ecdsa::DerSignature>::sign_prehash(
                k, digest,
            )
            .map_err(ec_err)?
            .as_bytes()
            .to_vec()),
        }
    }
}

fn malformed(what: &str, e: impl std::fmt::Display) -> KeyErrorKind {
    KeyErrorKind::Malformed(format!("not a valid {what} ({e})"))
}

fn from_pkcs1(der: &[u8]) -> Result<PrivateKey, KeyErrorKind> {
    rsa::RsaPrivateKey::from_pkcs1_der(der)
        .map(PrivateKey::Rsa)
        .map_err(|e| malformed("PKCS#1 RSA private key", e))
}

fn curve_key(curve: ObjectIdentifier, pkcs8_der: &[u8]) -> Result<PrivateKey, KeyErrorKind> {
    let bad = |e: pkcs8::Error| malformed("EC private key", e);
    Ok(match curve {
        OID_P192 => PrivateKey::P192(
            ecdsa::elliptic_curve::SecretKey::<p192::NistP192>::from_pkcs8_der(pkcs8_der)
                .map_err(bad)?,
        ),
        OID_P256 => {
            PrivateKey::P256(p256::ecdsa::SigningKey::from_pkcs8_der(pkcs8_der).map_err(bad)?)
        }
        OID_P384 => {
            PrivateKey::P384(p384::ecdsa::SigningKey::from_pkcs8_der(pkcs8_der).map_err(bad)?)
        }
        OID_P521 => {
            PrivateKey::P521(p521::ecdsa::SigningKey::from_pkcs8_der(pkcs8_der).map_err(bad)?)
        }
        other => {
            return Err(KeyErrorKind::Unsupported(format!(
                "unsupported EC curve {other} (P-192, P-256, P-384 and P-521 are supported)"
            )))
        }
    })
}

fn from_pkcs8(der: &[u8]) -> Result<PrivateKey, KeyErrorKind> {
    let info = PrivateKeyInfoRef::from_der(der).map_err(|e| malformed("PKCS#8 private key", e))?;
    if info.algorithm.oid == OID_RSA {
        return rsa::RsaPrivateKey::from_pkcs8_der(der)
            .map(PrivateKey::Rsa)
            .map_err(|e| malformed("PKCS#8 RSA private key", e));
    }
    if info.algorithm.oid == OID_EC {
        let curve = info
            .algorithm
            .parameters_oid()
            .map_err(|_| KeyErrorKind::Unsupported("an EC key without a named curve".into()))?;
        return curve_key(curve, der);
    }
    Err(KeyErrorKind::Unsupported(format!(
        "unsupported private key algorithm {} (RSA and ECDSA are supported)",
        info.algorithm.oid
    )))
}

fn from_sec1(der: &[u8]) -> Result<PrivateKey, KeyErrorKind> {
    let ec = sec1::EcPrivateKey::from_der(der).map_err(|e| malformed("SEC1 EC private key", e))?;
    let curve = ec
        .parameters
        .and_then(|p| p.named_curve())
        .ok_or_else(|| KeyErrorKind::Unsupported("a SEC1 EC key without a named curve".into()))?;
    let bad = |e: ecdsa::elliptic_curve::DecodeError| malformed("SEC1 EC private key", e);
    Ok(match curve {
        OID_P192 => PrivateKey::P192(
            ecdsa::elliptic_curve::SecretKey::<p192::NistP192>::from_sec1_der(der).map_err(bad)?,
        ),
        OID_P256 => PrivateKey::P256(p256::SecretKey::from_sec1_der(der).map_err(bad)?.into()),
        OID_P384 => PrivateKey::P384(p384::SecretKey::from_sec1_der(der).map_err(bad)?.into()),
        OID_P521 => PrivateKey::P521(p521::SecretKey::from_sec1_der(der).map_err(bad)?.into()),
        other => {
            return Err(KeyErrorKind::Unsupported(format!(
                "unsupported EC curve {other} (P-192, P-256, P-384 and P-521 are supported)"
            )))
        }
    })
}

fn from_encrypted_pkcs8(der: &[u8], password: Option<&str>) -> Result<PrivateKey, KeyErrorKind> {
    let enc = EncryptedPrivateKeyInfoRef::from_der(der)
        .map_err(|e| malformed("encrypted PKCS#8 private key", e))?;
    super::kdf_caps::check(&enc.encryption_algorithm)?;
    let password = password.ok_or(KeyErrorKind::PasswordRequired)?;
    let doc = enc
        .decrypt(password.as_bytes())
        .map_err(|_| KeyErrorKind::WrongPassword)?;
    from_pkcs8(doc.as_bytes()).map_err(|e| match e {
        // A wrong password usually yields garbage that does not parse.
        KeyErrorKind::Malformed(_) => KeyErrorKind::WrongPassword,
        other => other,
    })
}

/// DER input: try every container in turn (an extension over upstream, which reads PEM).
fn from_der_any(der: &[u8], password: Option<&str>) -> Result<PrivateKey, KeyErrorKind> {
    if let Ok(k) = from_pkcs8(der) {
        return Ok(k);
    }
    if let Ok(k) = from_pkcs1(der) {
        return Ok(k);
    }
    if let Ok(k) = from_sec1(der) {
        return Ok(k);
    }
    if EncryptedPrivateKeyInfoRef::from_der(der).is_ok() {
        return from_encrypted_pkcs8(der, password);
    }
    if x509_cert::Certificate::from_der(der).is_ok() {
        return Err(KeyErrorKind::NotAPrivateKey("an X.509 certificate"));
    }
    if spki::SubjectPublicKeyInfoRef::from_der(der).is_ok() {
        return Err(KeyErrorKind::NotAPrivateKey("a public key"));
    }
    Err(KeyErrorKind::Malformed(
        "no private key found (neither PEM nor a DER PKCS#8, PKCS#1 or SEC1 key)".into(),
    ))
}

#[cfg(test)]
#[path = "private_tests.rs"]
mod tests;
