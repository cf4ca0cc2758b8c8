//! Making and checking v2 signatures over file digests.
//!
//! [`Signer`] is the seam between "what to sign" and "who holds the key": the software
//! signer below uses a key file; a faster backend or a PKCS#11 token implements the same
//! trait and nothing above it changes. Signers are `Send + Sync` so that walking and
//! signing can run in parallel.

use std::fmt;
use std::path::{Path, PathBuf};

pub use crate::format::SignatureBody;
use crate::format::{ImaValue, SignatureV2};
use crate::hash::{to_hex, HashAlgo};
use crate::keys::{
    Backend, Certificate, KeyAlgorithm, KeyError, PrivateKey, PublicKey, SigningKey, VerifyingKey,
};

/// Something that can sign a prehashed digest for IMA.
pub trait Signer: Send + Sync {
    /// The keyid written into the signature header.
    fn keyid(&self) -> [u8; 4];
    /// The key's algorithm (for messages).
    fn algorithm(&self) -> KeyAlgorithm;
    /// Signs `digest`, the output of `algo`: PKCS#1 v1.5 (RSA) or DER ECDSA-Sig-Value.
    fn sign_digest(&self, algo: HashAlgo, digest: &[u8]) -> Result<Vec<u8>, SignError>;
    /// A legacy v1 body (RSA only); backends that cannot make one refuse.
    fn sign_v1(
        &self,
        _algo: HashAlgo,
        _digest: &[u8],
        _timestamp: u32,
    ) -> Result<Vec<u8>, SignError> {
        Err(SignError::V1NeedsRsa)
    }
}

pub use crate::keys::SignError;

/// Where the keyid of a signature comes from, in evmctl's order of precedence.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum KeyidSource {
    /// `--keyid HEX`.
    Explicit([u8; 4]),
    /// `--keyid-from-cert CERT`: the SKID tail of that certificate.
    FromCert([u8; 4]),
    /// A PEM certificate appended to the key file: its SKID tail.
    AppendedCert([u8; 4]),
    /// SHA-1 of the public key (docs/formats.md, "keyids").
    Computed([u8; 4]),
}

impl KeyidSource {
    pub fn keyid(&self) -> [u8; 4] {
        match self {
            KeyidSource::Explicit(k)
            | KeyidSource::FromCert(k)
            | KeyidSource::AppendedCert(k)
            | KeyidSource::Computed(k) => *k,
        }
    }
}

/// A signer backed by a private key held in memory (zeroized on drop), signing with
/// AWS-LC or RustCrypto ([`Backend`], docs/speed.md "Forcing a backend").
pub struct SoftwareSigner {
    key: SigningKey,
    keyid: KeyidSource,
}

impl SoftwareSigner {
    /// `explicit` is `--keyid` or `--keyid-from-cert` (already resolved); otherwise the
    /// appended certificate's SKID, otherwise the computed keyid. The backend is
    /// [`Backend::Auto`]; see [`SoftwareSigner::with_backend`].
    pub fn new(
        key: PrivateKey,
        appended_cert: Option<&Certificate>,
        explicit: Option<KeyidSource>,
    ) -> SoftwareSigner {
        SoftwareSigner::build(key, appended_cert, explicit, Backend::Auto)
    }

    fn build(
        key: PrivateKey,
        appended_cert: Option<&Certificate>,
        explicit: Option<KeyidSource>,
        backend: Backend,
    ) -> SoftwareSigner {
        let keyid = explicit
            .or_else(|| {
                appended_cert
                    .and_then(|c| c.skid_keyid())
                    .map(KeyidSource::AppendedCert)
            })
            .unwrap_or_else(|| KeyidSource::Computed(key.public_key().computed_keyid()));
        SoftwareSigner {
            key: SigningKey::new(key, backend),
            keyid,
        }
    }

    /// The same key, signing with `backend`.
    pub fn with_backend(self, backend: Backend) -> SoftwareSigner {
        let key = self.key.into_private();
        SoftwareSigner {
            key: SigningKey::new(key, backend),
            keyid: self.keyid,
        }
    }

    /// The backend that signs `algo` digests (an error when aws-lc is forced and does not
    /// cover them).
    pub fn backend_for(&self, algo: HashAlgo) -> Result<Backend, SignError> {
        self.key.backend_for(algo)
    }

    pub fn keyid_source(&self) -> &KeyidSource {
        &self.keyid
    }

    pub fn public_key(&self) -> PublicKey {
        self.key.private().public_key()
    }
}

impl Signer for SoftwareSigner {
    fn keyid(&self) -> [u8; 4] {
        self.keyid.keyid()
    }
    fn algorithm(&self) -> KeyAlgorithm {
        self.public_key().algorithm()
    }
    fn sign_digest(&self, algo: HashAlgo, digest: &[u8]) -> Result<Vec<u8>, SignError> {
        self.key.sign_digest(algo, digest)
    }
    fn sign_v1(&self, algo: HashAlgo, digest: &[u8], timestamp: u32) -> Result<Vec<u8>, SignError> {
        SoftwareSigner::sign_v1(self, algo, digest, timestamp)
    }
}

/// How the keyid of signatures is chosen (evmctl's order: an explicit keyid, then a
/// certificate's SKID, then a certificate appended to the key file, then computed).
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum KeyidChoice {
    /// An appended certificate's SKID, else the computed keyid.
    Default,
    /// This keyid.
    Explicit([u8; 4]),
    /// The SKID tail of this certificate, which must be the signing key's.
    FromCertificate(PathBuf),
}

/// Why a signing key could not be made ready.
#[derive(Debug)]
pub enum SignerError {
    /// The private key could not be loaded.
    Key(KeyError),
    /// The keyid certificate could not be loaded.
    KeyidCertificate(KeyError),
    /// The keyid certificate has no usable Subject Key Identifier.
    NoSkid(PathBuf),
    /// A certificate that names the keyid is not the signing key's: signatures would name
    /// a key the kernel does not hold ("unknown key" at appraisal).
    CertificateMismatch { cert: PathBuf, key: PathBuf },
    /// The signing backend asked for in the environment is unknown.
    Backend(String),
}

impl fmt::Display for SignerError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            SignerError::Key(e) | SignerError::KeyidCertificate(e) => e.fmt(f),
            SignerError::Backend(m) => f.write_str(m),
            SignerError::NoSkid(p) => write!(
                f,
                "{}: the certificate has no Subject Key Identifier of at least 4 bytes",
                p.display()
            ),
            SignerError::CertificateMismatch { cert, key } => write!(
                f,
                "{}: the certificate is for another key than the private key in {}: \
                 signatures would carry a keyid the kernel cannot find",
                cert.display(),
                key.display()
            ),
        }
    }
}

impl std::error::Error for SignerError {}

impl SoftwareSigner {
    /// Loads the private key in `path` and chooses the keyid. A certificate that gives the
    /// keyid (appended to the key file, or named by `choice`) must hold the same public
    /// key. The backend is the one `IMAEVM_SIGN_BACKEND` names ([`Backend::from_env`]).
    pub fn load(
        path: &Path,
        password: Option<&str>,
        choice: &KeyidChoice,
    ) -> Result<SoftwareSigner, SignerError> {
        let backend = Backend::from_env().map_err(SignerError::Backend)?;
        let explicit = match choice {
            KeyidChoice::Default => None,
            KeyidChoice::Explicit(k) => Some((KeyidSource::Explicit(*k), None)),
            KeyidChoice::FromCertificate(cert) => {
                let c = Certificate::load(cert).map_err(SignerError::KeyidCertificate)?;
                let k = c
                    .skid_keyid()
                    .ok_or_else(|| SignerError::NoSkid(cert.clone()))?;
                Some((
                    KeyidSource::FromCert(k),
                    Some((cert.clone(), c.computed_keyid())),
                ))
            }
        };
        let loaded = PrivateKey::load(path, password).map_err(SignerError::Key)?;
        let own = loaded.key.public_key().computed_keyid();
        let mismatch = |cert: PathBuf| SignerError::CertificateMismatch {
            cert,
            key: path.to_path_buf(),
        };
        if let Some((_, Some((cert, keyid)))) = &explicit {
            if *keyid != own {
                return Err(mismatch(cert.clone()));
            }
        }
        if let (None, Some(c)) = (&explicit, &loaded.appended_cert) {
            if c.computed_keyid() != own {
                return Err(mismatch(path.to_path_buf()));
            }
        }
        Ok(SoftwareSigner::build(
            loaded.key,
            loaded.appended_cert.as_ref(),
            explicit.map(|(k, _)| k),
            backend,
        ))
    }
}

/// Length of the v1 header (after the type byte): version, u32 timestamp, algo, hash,
/// keyid[8], nmpi.
pub const SIG_V1_HEADER_LEN: usize = 16;

/// The v1 header's hash byte: 0 for sha1, 1 for sha256 (the only two v1 knows).
fn v1_hash_id(algo: HashAlgo) -> Option<u8> {
    match algo {
        HashAlgo::Sha1 => Some(0),
        HashAlgo::Sha256 => Some(1),
        _ => None,
    }
}

impl SoftwareSigner {
    /// A legacy v1 signature body (after the type byte): header, big-endian bit length,
    /// then RSA type-1 padding of SHA-1(digest || header). `timestamp` is seconds since the
    /// epoch, stored in host byte order as upstream does.
    pub fn sign_v1(
        &self,
        algo: HashAlgo,
        digest: &[u8],
        timestamp: u32,
    ) -> Result<Vec<u8>, SignError> {
        let hash = v1_hash_id(algo).ok_or(SignError::V1Hash(algo))?;
        if self.key.choice() == Backend::AwsLc {
            return Err(self.key.not_covered("legacy v1 signatures"));
        }
        let spki = self
            .public_key()
            .rsa_spki_der()
            .ok_or(SignError::V1NeedsRsa)?;
        let blob = crate::keys::v1::key2bin(&spki).map_err(|detail| SignError::Backend {
            algorithm: self.public_key().algorithm(),
            detail,
        })?;
        let keyid = crate::keys::v1::keyid(&blob);
        let mut body = vec![1];
        body.extend_from_slice(&timestamp.to_ne_bytes());
        body.push(0);
        body.push(hash);
        body.extend_from_slice(&keyid);
        body.push(1);
        let mut h = HashAlgo::Sha1.hasher();
        h.update(digest);
        h.update(&body);
        let sig = self.key.private().sign_raw_pkcs1(&h.finalize())?;
        body.extend_from_slice(&((sig.len() * 8) as u16).to_be_bytes());
        body.extend_from_slice(&sig);
        Ok(body)
    }
}

/// The hash algorithm a v1 body names.
pub fn v1_hash_algo(body: &[u8]) -> Option<HashAlgo> {
    match body.get(6)? {
        0 => Some(HashAlgo::Sha1),
        1 => Some(HashAlgo::Sha256),
        _ => None,
    }
}

/// Verifies a v1 body (after the type byte) over `digest` with an RSA public key.
pub fn verify_v1(key: &PublicKey, digest: &[u8], body: &[u8]) -> Result<(), VerifyError> {
    let PublicKey::Rsa(rsa_key) = key else {
        return Err(VerifyError::Malformed(
            "v1 signatures need an RSA key".into(),
        ));
    };
    if body.len() < SIG_V1_HEADER_LEN + 2 || body[0] != 1 {
        return Err(VerifyError::Malformed("truncated v1 signature".into()));
    }
    let header = &body[..SIG_V1_HEADER_LEN];
    let mut h = HashAlgo::Sha1.hasher();
    h.update(digest);
    h.update(header);
    let sighash = h.finalize();
    let sig = &body[SIG_V1_HEADER_LEN + 2..];
    rsa_key
        .verify(rsa::pkcs1v15::Pkcs1v15Sign::new_unprefixed(), &sighash, sig)
        .map_err(|_| VerifyError::Invalid {
            keyid: [0; 4],
            algorithm: key.algorithm(),
        })
}

/// Signs `digest` and wraps it in a v2 header. RSA output is exactly the modulus length,
/// so `sig_size` always equals the bytes that follow.
pub fn sign_v2(
    signer: &dyn Signer,
    algo: HashAlgo,
    digest: &[u8],
) -> Result<SignatureV2, SignError> {
    let sig = signer.sign_digest(algo, digest)?;
    if sig.len() > u16::MAX as usize {
        return Err(SignError::TooLarge(sig.len()));
    }
    Ok(SignatureV2 {
        version: 2,
        hash_id: algo.kernel_id(),
        keyid: signer.keyid(),
        sig,
    })
}

/// Which signature format to make.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Scheme {
    /// The v2 header (what every current kernel checks).
    V2,
    /// The legacy v1 header, with its timestamp (seconds since the epoch).
    V1 { timestamp: u32 },
}

/// Signs `digest` (made with `algo`) in `scheme`; the caller encodes the result as an
/// xattr value with [`SignatureBody::ima_value`] or [`SignatureBody::evm_value`].
pub fn sign_body(
    signer: &dyn Signer,
    scheme: Scheme,
    algo: HashAlgo,
    digest: &[u8],
) -> Result<SignatureBody, SignError> {
    match scheme {
        Scheme::V2 => sign_v2(signer, algo, digest).map(SignatureBody::V2),
        Scheme::V1 { timestamp } => signer
            .sign_v1(algo, digest, timestamp)
            .map(SignatureBody::V1),
    }
}

/// A public key available for verification, with the keyids it answers to.
pub struct VerifyKey {
    /// The key with its verification backends (keys::fast_verify).
    pub key: VerifyingKey,
    /// keyids that select this key: the certificate's SKID tail and the computed keyid.
    pub keyids: Vec<[u8; 4]>,
    /// Where it came from (for messages).
    pub source: String,
}

impl VerifyKey {
    pub fn from_certificate(cert: &Certificate) -> Result<VerifyKey, crate::keys::KeyError> {
        let key = VerifyingKey::from_env(cert.public_key()?).map_err(|why| {
            crate::keys::KeyError::new(cert.path(), crate::keys::KeyErrorKind::Unsupported(why))
        })?;
        let mut keyids = vec![cert.computed_keyid()];
        if let Some(s) = cert.skid_keyid() {
            if !keyids.contains(&s) {
                keyids.insert(0, s);
            }
        }
        Ok(VerifyKey {
            key,
            keyids,
            source: cert.path().display().to_string(),
        })
    }
}

/// Why a `security.ima` value did not verify.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum VerifyError {
    /// The value is a hash, not a signature (the kernel's "IMA-signature-required").
    NotASignature,
    /// A legacy v1 signature; this tool verifies v2 only.
    LegacyV1,
    /// The value could not be decoded.
    Malformed(String),
    /// The header names a hash algorithm this tool cannot compute.
    UnsupportedHash(u8),
    /// No given key has this keyid.
    UnknownKeyid([u8; 4]),
    /// The signature does not match the file's digest with the key of that keyid.
    Invalid {
        keyid: [u8; 4],
        algorithm: KeyAlgorithm,
    },
    /// The verification backend forced by IMAEVM_VERIFY_BACKEND cannot check this signature.
    Backend(String),
}

impl fmt::Display for VerifyError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            VerifyError::NotASignature => {
                write!(f, "the value is a hash, not a signature (IMA-signature-required)")
            }
            VerifyError::LegacyV1 => write!(f, "a legacy v1 signature (RSA v1 is not supported by this command)"),
            VerifyError::Malformed(m) => write!(f, "invalid signature value: {m}"),
            VerifyError::UnsupportedHash(id) => {
                write!(f, "the signature uses hash algorithm id {id}, which is not supported")
            }
            VerifyError::UnknownKeyid(k) => write!(
                f,
                "no key with keyid {} among the certificates given",
                to_hex(k)
            ),
            VerifyError::Invalid { keyid, algorithm } => write!(
                f,
                "invalid signature: the file's digest does not match the signature made with key {} ({algorithm})",
                to_hex(keyid)
            ),
            VerifyError::Backend(why) => write!(f, "{why}"),
        }
    }
}

/// Decodes a `security.ima` value that must be a v2 signature.
pub fn parse_signature(value: &[u8]) -> Result<SignatureV2, VerifyError> {
    match ImaValue::parse(value).map_err(|e| VerifyError::Malformed(e.to_string()))? {
        ImaValue::Signature(s) => Ok(s),
        ImaValue::SignatureV1(_) => Err(VerifyError::LegacyV1),
        ImaValue::Digest(_) | ImaValue::DigestNg { .. } => Err(VerifyError::NotASignature),
        ImaValue::VeritySignature(_) => Err(VerifyError::Malformed(
            "an fs-verity signature (type 0x06) cannot be checked against the file contents".into(),
        )),
    }
}

/// Verifies signature `sig` over `digest` (computed with the header's algorithm) with the
/// key whose keyid the header names.
pub fn verify_v2(keys: &[VerifyKey], sig: &SignatureV2, digest: &[u8]) -> Result<(), VerifyError> {
    let algo = sig
        .hash_algo()
        .ok_or(VerifyError::UnsupportedHash(sig.hash_id))?;
    let key = keys
        .iter()
        .find(|k| k.keyids.contains(&sig.keyid))
        .ok_or(VerifyError::UnknownKeyid(sig.keyid))?;
    let valid = key
        .key
        .verify_digest(algo, digest, &sig.sig)
        .map_err(VerifyError::Backend)?;
    if valid {
        Ok(())
    } else {
        Err(VerifyError::Invalid {
            keyid: sig.keyid,
            algorithm: key.key.algorithm(),
        })
    }
}

#[cfg(test)]
#[path = "sign_tests.rs"]
mod tests;
