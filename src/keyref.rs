//! A signing key reference, as both front ends take it: a key file, or a `pkcs11:` URI
//! naming a key in a token. [`open`] turns it into one [`Signer`] whatever holds the key.

use std::fmt;
use std::path::{Path, PathBuf};

use crate::hash::HashAlgo;
use crate::keys::{Certificate, KeyAlgorithm, SignError};
use crate::pkcs11::{is_pkcs11_uri, Pkcs11Error, Pkcs11Signer, Pkcs11Uri};
use crate::sign::{KeyidChoice, KeyidSource, Signer, SignerError, SoftwareSigner};

/// Where the signing key is.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum KeyRef {
    File(PathBuf),
    /// An RFC 7512 URI (it may carry a PIN: print it with [`KeyRef::display`]).
    Pkcs11(String),
}

impl KeyRef {
    /// A `pkcs11:` URI, else a file name.
    pub fn parse(text: &std::ffi::OsStr) -> KeyRef {
        match text.to_str() {
            Some(s) if is_pkcs11_uri(s) => KeyRef::Pkcs11(s.to_string()),
            _ => KeyRef::File(PathBuf::from(text)),
        }
    }

    /// For messages: the file name, or the URI without its PIN.
    pub fn display(&self) -> String {
        match self {
            KeyRef::File(p) => p.display().to_string(),
            KeyRef::Pkcs11(u) => Pkcs11Uri::display_without_pin(u),
        }
    }
}

/// A signer of either kind.
pub enum AnySigner {
    Software(SoftwareSigner),
    Pkcs11(Pkcs11Signer),
}

impl AnySigner {
    pub fn keyid_source(&self) -> &KeyidSource {
        match self {
            AnySigner::Software(s) => s.keyid_source(),
            AnySigner::Pkcs11(s) => s.keyid_source(),
        }
    }

    pub fn public_key(&self) -> crate::keys::PublicKey {
        match self {
            AnySigner::Software(s) => s.public_key(),
            AnySigner::Pkcs11(s) => s.public_key().clone(),
        }
    }
}

impl Signer for AnySigner {
    fn keyid(&self) -> [u8; 4] {
        self.keyid_source().keyid()
    }
    fn algorithm(&self) -> KeyAlgorithm {
        match self {
            AnySigner::Software(s) => s.algorithm(),
            AnySigner::Pkcs11(s) => s.algorithm(),
        }
    }
    fn sign_digest(&self, algo: HashAlgo, digest: &[u8]) -> Result<Vec<u8>, SignError> {
        match self {
            AnySigner::Software(s) => s.sign_digest(algo, digest),
            AnySigner::Pkcs11(s) => s.sign_digest(algo, digest),
        }
    }
    fn sign_v1(&self, algo: HashAlgo, digest: &[u8], ts: u32) -> Result<Vec<u8>, SignError> {
        match self {
            AnySigner::Software(s) => s.sign_v1(algo, digest, ts),
            AnySigner::Pkcs11(s) => s.sign_v1(algo, digest, ts),
        }
    }
}

/// Why a key reference could not be opened.
#[derive(Debug)]
pub enum OpenError {
    Software(SignerError),
    Pkcs11(Pkcs11Error),
}

impl fmt::Display for OpenError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            OpenError::Software(e) => e.fmt(f),
            OpenError::Pkcs11(e) => e.fmt(f),
        }
    }
}

impl std::error::Error for OpenError {}

impl OpenError {
    /// True when a key or certificate file could not be read at all (see
    /// [`crate::keys::KeyError::is_unreadable`]); false for a file that was read but is not
    /// usable, and for token errors.
    pub fn is_unreadable(&self) -> bool {
        match self {
            OpenError::Software(SignerError::Key(e) | SignerError::KeyidCertificate(e)) => {
                e.is_unreadable()
            }
            _ => false,
        }
    }

    /// True when the message names the key file already (the key file's own error, or a
    /// certificate that is not the key's): a caller that names the key too would print
    /// its path twice. False for token errors, a keyid certificate's (which name the
    /// certificate) and the backend's.
    pub fn names_key(&self) -> bool {
        matches!(
            self,
            OpenError::Software(SignerError::Key(_) | SignerError::CertificateMismatch { .. })
        )
    }
}

/// Opens `key`. `password` unlocks an encrypted key file, or is the token's PIN (it wins
/// over the URI's pin-value). `pkcs11_module` is the module to use when the URI names
/// none (before p11-kit's proxy).
pub fn open(
    key: &KeyRef,
    password: Option<&str>,
    choice: &KeyidChoice,
    pkcs11_module: Option<&Path>,
) -> Result<AnySigner, OpenError> {
    let uri = match key {
        KeyRef::File(path) => {
            return SoftwareSigner::load(path, password, choice)
                .map(AnySigner::Software)
                .map_err(OpenError::Software)
        }
        KeyRef::Pkcs11(uri) => uri,
    };
    let (explicit, cert) = match choice {
        KeyidChoice::Default => (None, None),
        KeyidChoice::Explicit(k) => (Some(KeyidSource::Explicit(*k)), None),
        KeyidChoice::FromCertificate(path) => {
            let c = Certificate::load(path)
                .map_err(|e| OpenError::Software(SignerError::KeyidCertificate(e)))?;
            let k = c
                .skid_keyid()
                .ok_or_else(|| OpenError::Software(SignerError::NoSkid(path.clone())))?;
            (Some(KeyidSource::FromCert(k)), Some((path, c)))
        }
    };
    let signer =
        Pkcs11Signer::open(uri, password, pkcs11_module, explicit).map_err(OpenError::Pkcs11)?;
    if let Some((path, c)) = cert {
        if c.computed_keyid() != signer.public_key().computed_keyid() {
            return Err(OpenError::Software(SignerError::CertificateMismatch {
                cert: path.clone(),
                key: PathBuf::from(key.display()),
            }));
        }
    }
    Ok(AnySigner::Pkcs11(signer))
}
