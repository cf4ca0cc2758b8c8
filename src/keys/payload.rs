//! Preparing a key file for the kernel's add_key(2): which key type, description and
//! payload bytes a certificate (asymmetric key, DER) or a legacy v1 public key ("user"
//! key holding the key2bin blob, described by its v1 keyid) becomes. No system calls:
//! [`crate::keyring`] adds what this prepares.

use std::fmt;
use std::path::{Path, PathBuf};

use super::{pem, v1, Certificate, KeyError};
use crate::error::io_words;
use crate::hash::to_hex;

/// A key ready for add_key.
pub struct KernelKey {
    /// "asymmetric" for certificates, "user" for legacy v1 keys.
    pub key_type: &'static str,
    /// The description to give (`None`: the kernel derives one from the certificate).
    pub description: Option<String>,
    pub payload: Vec<u8>,
    /// The keyid as evmctl prints it: v2 `%x` of the computed keyid, v1 upper-case hex.
    pub keyid_name: String,
    /// The keyid bytes (4 for v2, 8 for v1).
    pub keyid: Vec<u8>,
    /// The certificate, for explaining a refusal.
    pub cert: Option<Certificate>,
}

/// Why a key file cannot be prepared.
#[derive(Debug)]
pub enum PayloadError {
    /// The file could not be read.
    Read(PathBuf, std::io::Error),
    /// Not a certificate (for an asymmetric key).
    Certificate(KeyError),
    /// No PEM public key block (for a v1 key).
    NoPublicKey(PathBuf),
    /// A public key that is not usable as a v1 key.
    UnsupportedV1(PathBuf, String),
}

impl PayloadError {
    /// The errno of a read failure.
    pub fn errno(&self) -> Option<i32> {
        match self {
            PayloadError::Read(_, e) => Some(e.raw_os_error().unwrap_or(libc::EIO)),
            _ => None,
        }
    }
}

impl fmt::Display for PayloadError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            PayloadError::Read(p, e) => write!(f, "{}: cannot read: {}", p.display(), io_words(e)),
            PayloadError::Certificate(e) => e.fmt(f),
            PayloadError::NoPublicKey(p) => write!(
                f,
                "{}: no PEM 'PUBLIC KEY' block (a legacy v1 key is a PEM RSA public key, e.g. \
                 from 'openssl pkey -pubout')",
                p.display()
            ),
            PayloadError::UnsupportedV1(p, why) => write!(f, "{}: {why}", p.display()),
        }
    }
}

impl std::error::Error for PayloadError {}

impl KernelKey {
    /// An X.509 certificate (DER, or PEM, whose DER is what add_key takes).
    pub fn certificate(path: &Path) -> Result<KernelKey, PayloadError> {
        let bytes = crate::input::read_input(path, crate::input::InputKind::Key)
            .map_err(|e| PayloadError::Read(path.to_path_buf(), e.into()))?;
        let cert = Certificate::from_bytes(path, &bytes).map_err(PayloadError::Certificate)?;
        let keyid = cert.computed_keyid();
        Ok(KernelKey {
            key_type: "asymmetric",
            description: None,
            payload: cert.der().to_vec(),
            keyid_name: format!("{:x}", u32::from_be_bytes(keyid)),
            keyid: keyid.to_vec(),
            cert: Some(cert),
        })
    }

    /// A legacy v1 key: the key2bin blob of a PEM RSA public key, as a "user" key
    /// described by its v1 keyid.
    pub fn legacy_v1(path: &Path) -> Result<KernelKey, PayloadError> {
        let bytes = crate::input::read_input(path, crate::input::InputKind::Key)
            .map_err(|e| PayloadError::Read(path.to_path_buf(), e.into()))?;
        let spki = pem::blocks(&bytes)
            .into_iter()
            .find(|b| b.label == "PUBLIC KEY")
            .and_then(|b| b.der.ok())
            .ok_or_else(|| PayloadError::NoPublicKey(path.to_path_buf()))?;
        let blob = v1::key2bin(&spki)
            .map_err(|why| PayloadError::UnsupportedV1(path.to_path_buf(), why))?;
        let keyid = v1::keyid(&blob);
        let name = v1::keyid_name(&keyid);
        Ok(KernelKey {
            key_type: "user",
            description: Some(name.clone()),
            payload: blob,
            keyid_name: name,
            keyid: keyid.to_vec(),
            cert: None,
        })
    }

    /// The keyid in lower-case hex (for verbose output).
    pub fn keyid_hex(&self) -> String {
        to_hex(&self.keyid)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn missing_files_and_wrong_contents_are_named() {
        let dir = tempfile::tempdir().unwrap();
        let missing = dir.path().join("nope.der");
        let e = KernelKey::certificate(&missing).err().unwrap();
        assert_eq!(e.errno(), Some(libc::ENOENT));
        assert!(e.to_string().starts_with(&missing.display().to_string()));
        let junk = dir.path().join("junk.pem");
        std::fs::write(&junk, "not a key\n").unwrap();
        let e = KernelKey::legacy_v1(&junk).err().unwrap();
        assert!(matches!(e, PayloadError::NoPublicKey(_)), "{e}");
        assert!(KernelKey::certificate(&junk).is_err());
    }
}
