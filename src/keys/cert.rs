//! X.509 certificates: PEM or DER, their public key, Subject Key Identifier and the keyid
//! IMA uses for them.

use std::path::{Path, PathBuf};

use der::{Decode, Encode};
use x509_cert::ext::pkix::SubjectKeyIdentifier;

use super::pem;
use super::public::PublicKey;
use super::{KeyError, KeyErrorKind};

/// A parsed certificate with its DER bytes (what the kernel's add_key takes).
#[derive(Clone, Debug)]
pub struct Certificate {
    path: PathBuf,
    der: Vec<u8>,
    cert: x509_cert::Certificate,
}

impl Certificate {
    /// Loads a PEM or DER certificate. A PEM file's first CERTIFICATE block is used.
    pub fn load(path: &Path) -> Result<Certificate, KeyError> {
        let bytes = crate::input::read_input(path, crate::input::InputKind::Key)
            .map_err(|e| KeyError::new(path, KeyErrorKind::Io(e.into())))?;
        Self::from_bytes(path, &bytes)
    }

    /// A certificate the user names as the command's input: [`Certificate::load`]'s file,
    /// a pipe (`<(cmd)`), or standard input when `path` is `-`, all read through the same
    /// cap (`crate::input::read_input_or_stdin`). From `-`, the certificate and its errors
    /// name "standard input".
    pub fn load_or_stdin(path: &Path) -> Result<Certificate, KeyError> {
        let name = if crate::input::is_stdin(path) {
            Path::new(crate::input::STDIN_NAME)
        } else {
            path
        };
        let bytes = crate::input::read_input_or_stdin(path, crate::input::InputKind::Key)
            .map_err(|e| KeyError::new(name, KeyErrorKind::Io(e.into())))?;
        Self::from_bytes(name, &bytes)
    }

    /// Parses file contents; `path` names the source in errors.
    pub fn from_bytes(path: &Path, bytes: &[u8]) -> Result<Certificate, KeyError> {
        let err = |kind| KeyError::new(path, kind);
        if bytes.is_empty() {
            return Err(err(KeyErrorKind::Malformed(
                "the certificate file is empty".into(),
            )));
        }
        if !pem::looks_like_pem(bytes) {
            return Self::from_der(path, bytes.to_vec());
        }
        let blocks = pem::blocks(bytes);
        if let Some(b) = blocks.iter().find(|b| b.label == "CERTIFICATE") {
            let der = b.der.clone().map_err(|m| err(KeyErrorKind::Malformed(m)))?;
            return Self::from_der(path, der.to_vec());
        }
        Err(err(match blocks.first().map(|b| b.label.as_str()) {
            Some(l) if l.contains("PRIVATE KEY") => KeyErrorKind::NotACertificate("a private key"),
            Some(l) if l.contains("PUBLIC KEY") => KeyErrorKind::NotACertificate("a public key"),
            Some(l) => KeyErrorKind::Malformed(format!(
                "no certificate found (the file holds a PEM '{l}' block)"
            )),
            None => KeyErrorKind::Malformed("no complete PEM certificate in the file".into()),
        }))
    }

    /// Parses a DER certificate.
    pub fn from_der(path: &Path, der: Vec<u8>) -> Result<Certificate, KeyError> {
        match x509_cert::Certificate::from_der(&der) {
            Ok(cert) => Ok(Certificate {
                path: path.to_path_buf(),
                der,
                cert,
            }),
            Err(e) => {
                let kind = if looks_like_private_key(&der) {
                    KeyErrorKind::NotACertificate("a private key")
                } else {
                    KeyErrorKind::Malformed(format!(
                        "not a valid X.509 certificate (truncated or damaged DER: {e})"
                    ))
                };
                Err(KeyError::new(path, kind))
            }
        }
    }

    /// Where the certificate was read from.
    pub fn path(&self) -> &Path {
        &self.path
    }

    /// The DER encoding, as the kernel's add_key wants it.
    pub fn der(&self) -> &[u8] {
        &self.der
    }

    /// The parsed certificate.
    pub fn inner(&self) -> &x509_cert::Certificate {
        &self.cert
    }

    /// The subject as an RFC 4514 string.
    pub fn subject(&self) -> String {
        self.cert.tbs_certificate().subject().to_string()
    }

    /// The Subject Key Identifier extension's value, when present.
    pub fn skid(&self) -> Option<Vec<u8>> {
        match self
            .cert
            .tbs_certificate()
            .get_extension::<SubjectKeyIdentifier>()
        {
            Ok(Some((_, skid))) => Some(skid.0.as_bytes().to_vec()),
            _ => None,
        }
    }

    /// The DER SubjectPublicKeyInfo.
    pub fn spki_der(&self) -> Vec<u8> {
        self.cert
            .tbs_certificate()
            .subject_public_key_info()
            .to_der()
            .expect("a parsed SPKI re-encodes")
    }

    /// The certificate's public key.
    pub fn public_key(&self) -> Result<PublicKey, KeyError> {
        PublicKey::from_spki_der(&self.spki_der())
            .map_err(|m| KeyError::new(&self.path, KeyErrorKind::Unsupported(m)))
    }

    /// The keyid computed from the public key (SHA-1 of the key bits, last 4 bytes).
    pub fn computed_keyid(&self) -> [u8; 4] {
        let spki = self.cert.tbs_certificate().subject_public_key_info();
        super::keyid_from_public_key_bits(spki.subject_public_key.raw_bytes())
    }

    /// The last four bytes of the SKID, when it has at least four.
    pub fn skid_keyid(&self) -> Option<[u8; 4]> {
        let s = self.skid()?;
        (s.len() >= 4).then(|| {
            [
                s[s.len() - 4],
                s[s.len() - 3],
                s[s.len() - 2],
                s[s.len() - 1],
            ]
        })
    }

    /// The keyid the kernel will match for this certificate (`id:<keyid>` matches the
    /// tail of the SKID): the SKID tail when there is one, else the computed keyid.
    pub fn keyid(&self) -> [u8; 4] {
        self.skid_keyid().unwrap_or_else(|| self.computed_keyid())
    }
}

fn looks_like_private_key(der: &[u8]) -> bool {
    pkcs8::PrivateKeyInfoRef::from_der(der).is_ok()
        || <rsa::RsaPrivateKey as rsa::pkcs1::DecodeRsaPrivateKey>::from_pkcs1_der(der).is_ok()
        || sec1::EcPrivateKey::from_der(der).is_ok()
        || pkcs8::EncryptedPrivateKeyInfoRef::from_der(der).is_ok()
}

#[cfg(test)]
#[path = "cert_tests.rs"]
mod tests;
