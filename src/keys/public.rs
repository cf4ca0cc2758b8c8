//! Public keys from a SubjectPublicKeyInfo, and verification of IMA signatures with them.

use ecdsa::signature::hazmat::PrehashVerifier;
use rsa::pkcs1v15::Pkcs1v15Sign;
use rsa::traits::PublicKeyParts;
use spki::der::Decode;
use spki::{ObjectIdentifier, SubjectPublicKeyInfoRef};

use crate::hash::HashAlgo;

pub(crate) const OID_RSA: ObjectIdentifier = ObjectIdentifier::new_unwrap("1.2.840.113549.1.1.1");
pub(crate) const OID_EC: ObjectIdentifier = ObjectIdentifier::new_unwrap("1.2.840.10045.2.1");
pub(crate) const OID_P192: ObjectIdentifier = ObjectIdentifier::new_unwrap("1.2.840.10045.3.1.1");
pub(crate) const OID_P256: ObjectIdentifier = ObjectIdentifier::new_unwrap("1.2.840.10045.3.1.7");
pub(crate) const OID_P384: ObjectIdentifier = ObjectIdentifier::new_unwrap("1.3.132.0.34");
pub(crate) const OID_P521: ObjectIdentifier = ObjectIdentifier::new_unwrap("1.3.132.0.35");

/// The kind and size of a key, for messages and listings.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum KeyAlgorithm {
    Rsa { bits: usize },
    EcdsaP192,
    EcdsaP256,
    EcdsaP384,
    EcdsaP521,
}

impl KeyAlgorithm {
    /// "rsa" or "ecdsa".
    pub fn family(self) -> &'static str {
        match self {
            KeyAlgorithm::Rsa { .. } => "rsa",
            _ => "ecdsa",
        }
    }

    pub fn bits(self) -> usize {
        match self {
            KeyAlgorithm::Rsa { bits } => bits,
            KeyAlgorithm::EcdsaP192 => 192,
            KeyAlgorithm::EcdsaP256 => 256,
            KeyAlgorithm::EcdsaP384 => 384,
            KeyAlgorithm::EcdsaP521 => 521,
        }
    }

    /// Why the kernel will not use a key of this kind, if it will not: its RSA takes only
    /// 512 to 4096-bit keys of a whole number of 512-bit steps up to 2048, then 3072 or 4096.
    pub fn kernel_refusal(self) -> Option<String> {
        match self {
            KeyAlgorithm::Rsa { bits }
                if !matches!(bits, 512 | 1024 | 1536 | 2048 | 3072 | 4096) =>
            {
                Some(format!(
                    "a {bits}-bit RSA key: the kernel accepts RSA keys of 512, 1024, 1536, 2048, \
                     3072 or 4096 bits only (at most {KERNEL_RSA_MAX_BITS}), so it cannot load \
                     this key nor verify its signatures"
                ))
            }
            _ => None,
        }
    }

    /// The curve name for ECDSA keys.
    pub fn curve(self) -> Option<&'static str> {
        match self {
            KeyAlgorithm::Rsa { .. } => None,
            KeyAlgorithm::EcdsaP192 => Some("P-192"),
            KeyAlgorithm::EcdsaP256 => Some("P-256"),
            KeyAlgorithm::EcdsaP384 => Some("P-384"),
            KeyAlgorithm::EcdsaP521 => Some("P-521"),
        }
    }

    /// The kernel's `enc=` parameter for KEYCTL_PKEY_VERIFY with this key.
    pub fn kernel_encoding(self) -> &'static str {
        match self {
            KeyAlgorithm::Rsa { .. } => "pkcs1",
            _ => "x962",
        }
    }
}

impl std::fmt::Display for KeyAlgorithm {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self.curve() {
            None => write!(f, "RSA-{}", self.bits()),
            Some(c) => write!(f, "ECDSA {c}"),
        }
    }
}

/// A public key usable to verify IMA signatures.
#[derive(Clone, Debug)]
pub enum PublicKey {
    Rsa(rsa::RsaPublicKey),
    P192(p192::ecdsa::VerifyingKey),
    P256(p256::ecdsa::VerifyingKey),
    P384(p384::ecdsa::VerifyingKey),
    P521(p521::ecdsa::VerifyingKey),
}

impl PublicKey {
    /// Parses a DER SubjectPublicKeyInfo.
    pub fn from_spki_der(der: &[u8]) -> Result<PublicKey, String> {
        let spki = SubjectPublicKeyInfoRef::from_der(der)
            .map_err(|e| format!("malformed SubjectPublicKeyInfo ({e})"))?;
        let bits = spki
            .subject_public_key
            .as_bytes()
            .ok_or("malformed public key bit string")?;
        if spki.algorithm.oid == OID_RSA {
            let key = rsa_from_pkcs1(bits)
                .map_err(|e| format!("malformed or unusable RSA public key ({e})"))?;
            return Ok(PublicKey::Rsa(key));
        }
        if spki.algorithm.oid != OID_EC {
            return Err(format!(
                "unsupported public key algorithm {} (RSA and ECDSA are supported)",
                spki.algorithm.oid
            ));
        }
        let curve: ObjectIdentifier = spki
            .algorithm
            .parameters
            .ok_or("an EC public key without curve parameters")?
            .decode_as()
            .map_err(|_| {
                "an EC public key with explicit curve parameters (only named curves are supported)"
                    .to_string()
            })?;
        let bad = |e: ecdsa::Error| format!("malformed EC public key point ({e})");
        Ok(match curve {
            OID_P192 => {
                PublicKey::P192(p192::ecdsa::VerifyingKey::from_sec1_bytes(bits).map_err(bad)?)
            }
            OID_P256 => {
                PublicKey::P256(p256::ecdsa::VerifyingKey::from_sec1_bytes(bits).map_err(bad)?)
            }
            OID_P384 => {
                PublicKey::P384(p384::ecdsa::VerifyingKey::from_sec1_bytes(bits).map_err(bad)?)
            }
            OID_P521 => {
                PublicKey::P521(p521::ecdsa::VerifyingKey::from_sec1_bytes(bits).map_err(bad)?)
            }
            other => {
                return Err(format!(
                    "unsupported EC curve {other} (P-192, P-256, P-384 and P-521 are supported)"
                ))
            }
        })
    }

    pub fn algorithm(&self) -> KeyAlgorithm {
        match self {
            PublicKey::Rsa(k) => KeyAlgorithm::Rsa {
                bits: k.n().as_ref().bits() as usize,
            },
            PublicKey::P192(_) => KeyAlgorithm::EcdsaP192,
            PublicKey::P256(_) => KeyAlgorithm::EcdsaP256,
            PublicKey::P384(_) => KeyAlgorithm::EcdsaP384,
            PublicKey::P521(_) => KeyAlgorithm::EcdsaP521,
        }
    }

    /// The contents of the SubjectPublicKeyInfo BIT STRING: the DER RSAPublicKey for RSA,
    /// the uncompressed SEC1 point for ECDSA. The computed keyid hashes these bytes.
    pub fn public_key_bits(&self) -> Vec<u8> {
        match self {
            PublicKey::Rsa(k) => rsa::pkcs1::EncodeRsaPublicKey::to_pkcs1_der(k)
                .expect("RSAPublicKey encodes")
                .into_vec(),
            PublicKey::P192(k) => k.to_sec1_point(false).as_bytes().to_vec(),
            PublicKey::P256(k) => k.to_sec1_point(false).as_bytes().to_vec(),
            PublicKey::P384(k) => k.to_sec1_point(false).as_bytes().to_vec(),
            PublicKey::P521(k) => k.to_sec1_point(false).as_bytes().to_vec(),
        }
    }

    /// The DER SubjectPublicKeyInfo of an RSA key (for the v1 blob); None for ECDSA.
    pub fn rsa_spki_der(&self) -> Option<Vec<u8>> {
        match self {
            PublicKey::Rsa(k) => rsa::pkcs8::EncodePublicKey::to_public_key_der(k)
                .ok()
                .map(|d| d.as_bytes().to_vec()),
            _ => None,
        }
    }

    /// Loads a PEM public key ("PUBLIC KEY", or "RSA PUBLIC KEY" as an extension), as
    /// the legacy v1 commands take it.
    pub fn load_pem(path: &std::path::Path) -> Result<PublicKey, super::KeyError> {
        use super::{KeyError, KeyErrorKind};
        let bytes = crate::input::read_input(path, crate::input::InputKind::Key)
            .map_err(|e| KeyError::new(path, KeyErrorKind::Io(e.into())))?;
        for b in super::pem::blocks(&bytes) {
            let der = match (&b.der, b.label.as_str()) {
                (Ok(d), "PUBLIC KEY") => d.to_vec(),
                (Ok(d), "RSA PUBLIC KEY") => {
                    let k = rsa_from_pkcs1(d)
                        .map_err(|e| KeyError::new(path, KeyErrorKind::Malformed(format!("not a valid RSA public key ({e})"))))?;
                    return Ok(PublicKey::Rsa(k));
                }
                (_, l) if l.contains("PRIVATE KEY") => {
                    return Err(KeyError::new(path, KeyErrorKind::Unsupported(
                        "this is a private key; give the public key (openssl pkey -pubout)".into(),
                    )))
                }
                (_, "CERTIFICATE") => {
                    return Err(KeyError::new(path, KeyErrorKind::Unsupported(
                        "this is a certificate, not a PEM public key (openssl x509 -pubkey -noout gives it)".into(),
                    )))
                }
                _ => continue,
            };
            return PublicKey::from_spki_der(&der)
                .map_err(|m| KeyError::new(path, KeyErrorKind::Malformed(m)));
        }
        Err(KeyError::new(
            path,
            KeyErrorKind::Malformed("no PEM 'PUBLIC KEY' block".into()),
        ))
    }

    /// evmctl's computed keyid for this key.
    pub fn computed_keyid(&self) -> [u8; 4] {
        super::keyid_from_public_key_bits(&self.public_key_bits())
    }

    /// Checks `sig` over the prehashed `digest` the way the kernel does: PKCS#1 v1.5 with
    /// the DigestInfo of `algo` for RSA, DER ECDSA-Sig-Value for ECDSA. True when valid.
    pub fn verify_digest(&self, algo: HashAlgo, digest: &[u8], sig: &[u8]) -> bool {
        match self {
            PublicKey::Rsa(k) => {
                let scheme = Pkcs1v15Sign {
                    hash_len: Some(algo.digest_len()),
                    prefix: algo.digest_info_prefix().into_boxed_slice(),
                };
                k.verify(scheme, digest, sig).is_ok()
            }
            PublicKey::P192(k) => verify_ec::<_, p192::ecdsa::DerSignature>(k, digest, sig),
            PublicKey::P256(k) => verify_ec::<_, p256::ecdsa::DerSignature>(k, digest, sig),
            PublicKey::P384(k) => verify_ec::<_, p384::ecdsa::DerSignature>(k, digest, sig),
            PublicKey::P521(k) => verify_ec::<_, p521::ecdsa::DerSignature>(k, digest, sig),
        }
    }
}

fn verify_ec<V, S>(key: &V, digest: &[u8], sig: &[u8]) -> bool
where
    V: PrehashVerifier<S>,
    S: for<'a> TryFrom<&'a [u8]>,
{
    S::try_from(sig).is_ok_and(|sig| key.verify_prehash(digest, &sig).is_ok())
}

/// The largest RSA modulus verified: signing accepts keys this large, so verifying must
/// too, although the kernel takes RSA keys only up to 4096 bits ([`KERNEL_RSA_MAX_BITS`]).
pub const RSA_MAX_BITS: usize = 16384;
/// The largest RSA key the kernel's rsa implementation accepts (crypto/rsa.c,
/// rsa_check_key_length: 512 to 4096 bits).
pub const KERNEL_RSA_MAX_BITS: usize = 4096;

/// An RSA public key from PKCS#1 DER, up to [`RSA_MAX_BITS`] (the rsa crate's own
/// decoder stops at 8192 bits).
fn rsa_from_pkcs1(der: &[u8]) -> Result<rsa::RsaPublicKey, String> {
    use der::Decode;
    let k = rsa::pkcs1::RsaPublicKeyRef::from_der(der).map_err(|e| e.to_string())?;
    let uint = |b: &[u8]| {
        let b = &b[b.iter().take_while(|&&x| x == 0).count()..];
        let bits = (b.len().max(1) * 8) as u32;
        rsa::BoxedUint::from_be_slice(b, bits).map_err(|_| "malformed integer".to_string())
    };
    let n = uint(k.modulus.as_bytes())?;
    let e = uint(k.public_exponent.as_bytes())?;
    rsa::RsaPublicKey::new_with_size_limits(n, e, rsa::RsaPublicKey::MIN_SIZE..=RSA_MAX_BITS)
        .map_err(|e| e.to_string())
}

#[cfg(test)]
#[path = "public_tests.rs"]
mod tests;
