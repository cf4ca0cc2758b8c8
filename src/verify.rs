//! Verifying `security.ima` and `security.evm` values: one [`Verifier`] for the three
//! places a key can come from (certificates for v2 signatures, an RSA public key for
//! legacy v1 signatures, or a kernel keyring, where the kernel itself gives the answer),
//! and one [`Verdict`] type for what it found, in the words of the kernel's audit log.
//!
//! It owns the decisions: which value types are signatures for which attribute, which
//! signature versions a key source can check, what a refusal means. It does no argv
//! parsing and prints nothing; hashing the file is the caller's closure, so that the
//! verifier never opens a file itself.

use crate::format::{ImaValue, SignatureV2, XattrType};
use crate::fsops::{self, FileError, OpenFile, ValueSource};
use crate::hash::HashAlgo;
use crate::keyring::KeySerial;
use crate::keys::{Certificate, KeyError, PublicKey};
use crate::sign::{self, VerifyKey};

/// Which attribute a value comes from: the types allowed differ.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ValueKind {
    /// `security.ima`: a v2 signature (0x03), or a hash (0x01, 0x04), which is not one.
    Ima,
    /// `security.evm`: a v2 signature (0x03) or a portable one (0x05).
    Evm,
    /// An fs-verity signature (0x06, version 3) from a `verity:` measurement record: the
    /// caller's digest is that of the ima_file_id ([`crate::verity::file_id_bytes`]).
    Verity,
}

pub use crate::verdict::{KeyNeeded, Verdict, VerifyError};

/// A digest [`Verifier::verify_file_value`] took from a file.
#[derive(Clone, Copy, Debug)]
pub enum FileDigest<'a> {
    /// The hash of the file's content.
    Content(HashAlgo, &'a [u8]),
    /// The file's fs-verity digest (FS_IOC_MEASURE_VERITY).
    Verity(HashAlgo, &'a [u8]),
}

/// Where the keys come from.
pub enum Keys {
    /// Certificates, for v2 signatures: the key is chosen by the header's keyid.
    Certificates(Vec<VerifyKey>),
    /// An RSA public key, for legacy v1 signatures.
    LegacyV1(PublicKey),
    /// A kernel keyring: the kernel finds the key and verifies (KEYCTL_PKEY_VERIFY),
    /// after looking in the blacklist keyring when there is one.
    Keyring {
        keyring: KeySerial,
        blacklist: Option<KeySerial>,
    },
    /// No keys at all (no IMA keyring on this machine, `why` says so): values that need
    /// no key (none, a hash) are still judged; a signature is not checked.
    Absent { why: String },
}

/// Checks signature values with one set of keys.
pub struct Verifier {
    keys: Keys,
}

/// A certificate loaded for verification, for the caller to report.
pub struct LoadedCertificate {
    pub keyid: [u8; 4],
    pub path: std::path::PathBuf,
}

/// What [`Verifier::from_certificate_list`] made of a key list.
pub struct CertificateList {
    pub verifier: Verifier,
    /// The entries in use, in order.
    pub loaded: Vec<LoadedCertificate>,
    /// Why each unusable entry was skipped.
    pub skipped: Vec<KeyError>,
}

/// The verifier of the kernel keyring `spec` names, with `.ima_blacklist` when it is IMA's
/// (IMA looks there first, whatever its keyring is called), and the keyring; without that
/// keyring, a verifier without keys (values that need none are still judged) and why.
pub fn keyring_verifier(
    spec: &crate::keyring::KeyringSpec,
) -> (Verifier, Result<crate::keyring::Keyring, String>) {
    use crate::keyring::{self, KeyringSpec, Purpose};
    match keyring::locate(spec, false) {
        Ok(ring) => {
            let blacklist = if ring.name == ".ima" || ring.name == "_ima" {
                keyring::ima_blacklist()
            } else {
                None
            };
            let keys = Keys::Keyring {
                keyring: ring.serial,
                blacklist,
            };
            (Verifier::new(keys), Ok(ring))
        }
        Err(e) => {
            let why = match spec {
                KeyringSpec::Purpose(Purpose::Ima) => format!(
                    "{e}; create it with 'imactl key import CERT' or 'keyctl newring _ima @u'"
                ),
                _ => e.to_string(),
            };
            let verifier = Verifier::new(Keys::Absent { why: why.clone() });
            (verifier, Err(why))
        }
    }
}

impl Verifier {
    pub fn new(keys: Keys) -> Verifier {
        Verifier { keys }
    }

    /// A verifier over a list of certificate files as `--key A,B,C` gives it: an entry
    /// that cannot be used (unreadable, not a certificate, an unsupported key) is skipped
    /// and returned for the caller to report, and the others are used. Only a list with no
    /// usable entry at all is an error (the first entry's).
    pub fn from_certificate_list<P: AsRef<std::path::Path>>(
        paths: &[P],
    ) -> Result<CertificateList, KeyError> {
        let mut keys = Vec::new();
        let mut loaded = Vec::new();
        let mut skipped = Vec::new();
        for p in paths {
            let one = Certificate::load(p.as_ref())
                .and_then(|cert| Ok((VerifyKey::from_certificate(&cert)?, cert.keyid())));
            match one {
                Ok((key, keyid)) => {
                    keys.push(key);
                    loaded.push(LoadedCertificate {
                        keyid,
                        path: p.as_ref().to_path_buf(),
                    });
                }
                Err(e) => skipped.push(e),
            }
        }
        if loaded.is_empty() && !skipped.is_empty() {
            return Err(skipped.remove(0));
        }
        Ok(CertificateList {
            verifier: Verifier::new(Keys::Certificates(keys)),
            loaded,
            skipped,
        })
    }

    pub fn keys(&self) -> &Keys {
        &self.keys
    }

    /// Verifies the `security.ima` value `source` holds for `file`, hashing `file` itself.
    pub fn verify_file(
        &self,
        file: &OpenFile,
        source: ValueSource,
    ) -> Result<Verdict, VerifyError<FileError>> {
        let value = fsops::read_value(file, source).map_err(VerifyError::Input)?;
        self.verify_file_value(file, value.as_deref(), &mut |_| {})
    }

    /// Verifies `value` as `file`'s `security.ima`, as appraisal would: a sigv3 value
    /// (type 0x06) against the file's fs-verity digest (the kernel's `digest_type=verity`
    /// rules), any other value against the hash of the file's content. `seen` is shown
    /// each digest taken from the file (for a debug log).
    pub fn verify_file_value(
        &self,
        file: &OpenFile,
        value: Option<&[u8]>,
        seen: &mut dyn FnMut(FileDigest<'_>),
    ) -> Result<Verdict, VerifyError<FileError>> {
        match value {
            Some(v) if v.first() == Some(&(XattrType::VerityDigSig as u8)) => {
                self.verify_verity_file(file, v, seen)
            }
            _ => self.verify(ValueKind::Ima, value, &mut |algo| {
                let d = file.digest(algo)?;
                seen(FileDigest::Content(algo, &d));
                Ok(d)
            }),
        }
    }

    /// A sigv3 value on a file: the kernel measures the fs-verity digest (none: refused as
    /// "no-verity-digest"), and checks the signature over the hash of ima_file_id built
    /// with the digest's own algorithm, so a header naming another algorithm cannot match.
    fn verify_verity_file(
        &self,
        file: &OpenFile,
        value: &[u8],
        seen: &mut dyn FnMut(FileDigest<'_>),
    ) -> Result<Verdict, VerifyError<FileError>> {
        let (measured, digest) = match file.verity_digest() {
            Ok(m) => m,
            Err(e) if e.is_absent() => return Ok(Verdict::NoVerityDigest(e)),
            Err(e) => {
                return Err(VerifyError::Input(FileError {
                    path: file.path().to_path_buf(),
                    what: fsops::FileErrorKind::Verity(e),
                }))
            }
        };
        seen(FileDigest::Verity(measured, &digest));
        let verdict = self.verify(ValueKind::Verity, Some(value), &mut |algo| {
            if algo == measured {
                Ok(algo.digest(&crate::verity::file_id_bytes(algo, &digest)))
            } else {
                Err(algo)
            }
        });
        let keyid = match ImaValue::parse(value) {
            Ok(ImaValue::VeritySignature(s)) => Some(s.keyid),
            _ => None,
        };
        match verdict {
            // A signature checked against its key (not a malformed value): say over what.
            Ok(Verdict::InvalidSignature {
                keyid: Some(keyid),
                detail,
            }) => Ok(Verdict::InvalidSignature {
                keyid: Some(keyid),
                detail: format!(
                    "{detail}; checked over the file's fs-verity digest {measured}:{}",
                    crate::hash::to_hex(&digest)
                ),
            }),
            Ok(v) => Ok(v),
            Err(VerifyError::Input(signed)) => Ok(Verdict::InvalidSignature {
                keyid,
                detail: format!(
                    "the sigv3 signature is over a {signed} fs-verity digest, and the file's \
                     is {measured}"
                ),
            }),
            Err(VerifyError::Keyring { keyring, id, error }) => {
                Err(VerifyError::Keyring { keyring, id, error })
            }
        }
    }

    /// Verifies `value` (type byte first; `None` when there is none) read from an
    /// attribute of `kind`. `digest` computes the signed data's digest with the algorithm
    /// the header names, and is called at most once.
    pub fn verify<E>(
        &self,
        kind: ValueKind,
        value: Option<&[u8]>,
        digest: &mut dyn FnMut(HashAlgo) -> Result<Vec<u8>, E>,
    ) -> Result<Verdict, VerifyError<E>> {
        let Some(value) = value else {
            return Ok(Verdict::NoSignature);
        };
        let decoded = match decode(kind, value) {
            Ok(d) => d,
            Err(v) => return Ok(v),
        };
        match (&self.keys, decoded) {
            (Keys::Absent { why }, _) => Ok(Verdict::NotChecked {
                detail: format!("a signature, and there are no keys to check it with: {why}"),
                needs: None,
            }),
            (Keys::Keyring { keyring, blacklist }, Decoded::V2(sig)) => {
                crate::keyring::kernel_verify(*keyring, *blacklist, &sig, digest)
            }
            (Keys::Certificates(keys), Decoded::V2(sig)) => verify_v2(keys, &sig, digest),
            (Keys::LegacyV1(key), Decoded::V1(body)) => verify_v1(key, &body, digest),
            (Keys::LegacyV1(_), Decoded::V2(_)) => Ok(Verdict::NotChecked {
                detail: "a v2 signature, and the key given is a legacy v1 public key".into(),
                needs: Some(KeyNeeded::Certificate),
            }),
            (Keys::Certificates(_), Decoded::V1(_)) => Ok(Verdict::NotChecked {
                detail: "a legacy v1 signature, which certificates do not check".into(),
                needs: Some(KeyNeeded::LegacyRsaPublicKey),
            }),
            (Keys::Keyring { .. }, Decoded::V1(_)) => Ok(Verdict::NotChecked {
                detail: "a legacy v1 signature (checked by the kernel with a 'user' key, \
                         not through KEYCTL_PKEY_VERIFY)"
                    .into(),
                needs: Some(KeyNeeded::LegacyRsaPublicKey),
            }),
        }
    }
}

/// A value that is a signature these rules accept.
enum Decoded {
    V2(SignatureV2),
    V1(Vec<u8>),
}

/// Decides whether `value` is a signature for an attribute of `kind`: `Err` is the
/// verdict for one that is not.
fn decode(kind: ValueKind, value: &[u8]) -> Result<Decoded, Verdict> {
    let value = match (kind, value.first().copied().and_then(XattrType::from_u8)) {
        (ValueKind::Evm, Some(XattrType::EvmPortableDigSig)) => as_ima_signature(value),
        (ValueKind::Evm, Some(XattrType::EvmHmac)) => {
            return Err(Verdict::NotChecked {
                detail: "an EVM HMAC (type 0x02), made with the machine's secret EVM key".into(),
                needs: None,
            })
        }
        (ValueKind::Evm, Some(XattrType::DigSig)) => value.to_vec(),
        (ValueKind::Evm, _) => {
            return Err(Verdict::malformed(
                "not an EVM signature (type 0x03 or 0x05)",
            ))
        }
        (ValueKind::Ima, Some(XattrType::EvmPortableDigSig | XattrType::EvmHmac)) => {
            return Err(Verdict::malformed(format!(
                "type 0x{:02x} is an EVM value, not a security.ima value",
                value[0]
            )))
        }
        (ValueKind::Ima, _) => value.to_vec(),
        (ValueKind::Verity, Some(XattrType::VerityDigSig)) => {
            return match ImaValue::parse(value) {
                Ok(ImaValue::VeritySignature(s)) if s.version == 3 => Ok(Decoded::V2(s)),
                Ok(_) => Err(Verdict::malformed(
                    "an fs-verity signature must have a version 3 (sigv3) header",
                )),
                Err(e) => Err(Verdict::malformed(e)),
            }
        }
        (ValueKind::Verity, _) => {
            return Err(Verdict::malformed(
                "not an fs-verity signature (type 0x06) for a verity digest",
            ))
        }
    };
    match ImaValue::parse(&value) {
        Err(e) => Err(Verdict::malformed(e)),
        Ok(ImaValue::Digest(_) | ImaValue::DigestNg { .. }) => Err(Verdict::SignatureRequired),
        Ok(ImaValue::SignatureV1(body)) => Ok(Decoded::V1(body)),
        Ok(ImaValue::VeritySignature(_)) => Err(Verdict::NotChecked {
            detail: "an fs-verity signature (type 0x06), checked against the fs-verity \
                     digest under a digest_type=verity rule"
                .into(),
            needs: None,
        }),
        // The kernel checks a type 0x03 value as a version 2 signature only.
        Ok(ImaValue::Signature(s)) if s.version != 2 => Err(Verdict::malformed(format!(
            "a version {} header in a type 0x03 signature (only version 2 is valid there)",
            s.version
        ))),
        Ok(ImaValue::Signature(s)) => Ok(Decoded::V2(s)),
    }
}

/// The value with an EVM portable type byte read as a plain signature.
fn as_ima_signature(value: &[u8]) -> Vec<u8> {
    let mut v = value.to_vec();
    if v.first() == Some(&(XattrType::EvmPortableDigSig as u8)) {
        v[0] = XattrType::DigSig as u8;
    }
    v
}

fn verify_v2<E>(
    keys: &[VerifyKey],
    sig: &SignatureV2,
    digest: &mut dyn FnMut(HashAlgo) -> Result<Vec<u8>, E>,
) -> Result<Verdict, VerifyError<E>> {
    let Some(algo) = sig.hash_algo() else {
        return Ok(Verdict::UnavailableHash {
            hash: format!("id {}", sig.hash_id),
            detail: "this tool cannot compute this hash".into(),
        });
    };
    let digest = digest(algo).map_err(VerifyError::Input)?;
    Ok(match sign::verify_v2(keys, sig, &digest) {
        Ok(()) => Verdict::Ok {
            keyid: sig.keyid,
            serial: None,
            hash: algo,
        },
        Err(sign::VerifyError::UnknownKeyid(keyid)) => Verdict::UnknownKey { keyid },
        Err(e @ sign::VerifyError::Invalid { .. }) => Verdict::InvalidSignature {
            keyid: Some(sig.keyid),
            detail: e.to_string(),
        },
        Err(e) => Verdict::InvalidSignature {
            keyid: None,
            detail: e.to_string(),
        },
    })
}

fn verify_v1<E>(
    key: &PublicKey,
    body: &[u8],
    digest: &mut dyn FnMut(HashAlgo) -> Result<Vec<u8>, E>,
) -> Result<Verdict, VerifyError<E>> {
    let Some(algo) = sign::v1_hash_algo(body) else {
        return Ok(Verdict::malformed("a v1 signature with an unknown hash"));
    };
    let digest = digest(algo).map_err(VerifyError::Input)?;
    let keyid = body
        .get(11..15)
        .and_then(|k| k.try_into().ok())
        .unwrap_or([0; 4]);
    Ok(match sign::verify_v1(key, &digest, body) {
        Ok(()) => Verdict::Ok {
            keyid,
            serial: None,
            hash: algo,
        },
        Err(_) => Verdict::InvalidSignature {
            keyid: Some(keyid),
            detail: "the digest does not match this v1 signature and public key".into(),
        },
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn no_digest(_: HashAlgo) -> Result<Vec<u8>, String> {
        Err("must not hash".into())
    }

    fn certs() -> Verifier {
        Verifier::new(Keys::Certificates(Vec::new()))
    }

    fn v2_value(version: u8, ty: u8) -> Vec<u8> {
        let mut v = vec![ty, version, 4, 1, 2, 3, 4, 0, 2, 0xaa, 0xbb];
        v.truncate(11);
        v
    }

    #[test]
    fn absent_and_hash_values_are_not_signatures() {
        let v = certs();
        assert_eq!(
            v.verify(ValueKind::Ima, None, &mut no_digest).unwrap(),
            Verdict::NoSignature
        );
        let mut hash = vec![0x04, 4];
        hash.extend([0u8; 32]);
        assert_eq!(
            v.verify(ValueKind::Ima, Some(&hash), &mut no_digest)
                .unwrap(),
            Verdict::SignatureRequired
        );
    }

    #[test]
    fn version_3_in_a_type_3_value_is_refused_without_hashing() {
        let verdict = certs()
            .verify(ValueKind::Ima, Some(&v2_value(3, 0x03)), &mut no_digest)
            .unwrap();
        assert!(
            matches!(&verdict, Verdict::InvalidSignature { keyid: None, detail } if detail.contains("version 3")),
            "{verdict:?}"
        );
    }

    #[test]
    fn evm_types_are_not_ima_signatures() {
        for ty in [0x02, 0x05] {
            let verdict = certs()
                .verify(ValueKind::Ima, Some(&v2_value(2, ty)), &mut no_digest)
                .unwrap();
            assert_eq!(verdict.code(), "invalid-signature", "{ty}: {verdict:?}");
            assert!(!verdict.is_ok() && !verdict.is_mismatch());
        }
    }

    #[test]
    fn portable_evm_signature_is_read_as_a_signature_for_evm() {
        let mut seen = None;
        let verdict = certs()
            .verify(
                ValueKind::Evm,
                Some(&v2_value(2, 0x05)),
                &mut |a: HashAlgo| -> Result<Vec<u8>, String> {
                    seen = Some(a);
                    Ok(vec![0; 32])
                },
            )
            .unwrap();
        assert_eq!(seen, Some(HashAlgo::Sha256));
        assert_eq!(
            verdict,
            Verdict::UnknownKey {
                keyid: [1, 2, 3, 4]
            }
        );
    }

    #[test]
    fn hash_only_values_are_refused_for_evm() {
        let mut hash = vec![0x04, 4];
        hash.extend([0u8; 32]);
        let verdict = certs()
            .verify(ValueKind::Evm, Some(&hash), &mut no_digest)
            .unwrap();
        assert_eq!(verdict.code(), "invalid-signature");
    }

    #[test]
    fn a_digest_failure_is_an_error_not_a_verdict() {
        let r = certs().verify(
            ValueKind::Ima,
            Some(&v2_value(2, 0x03)),
            &mut |_| -> Result<Vec<u8>, String> { Err("read error".into()) },
        );
        assert!(matches!(r, Err(VerifyError::Input(ref e)) if e == "read error"));
    }

    #[test]
    fn wrong_scheme_names_the_key_needed() {
        let mut v1 = vec![0x03, 1];
        v1.extend([0u8; 20]);
        let verdict = certs()
            .verify(ValueKind::Ima, Some(&v1), &mut no_digest)
            .unwrap();
        assert!(matches!(
            verdict,
            Verdict::NotChecked {
                needs: Some(KeyNeeded::LegacyRsaPublicKey),
                ..
            }
        ));
    }

    #[test]
    fn a_sigv3_value_on_a_file_without_fs_verity_is_refused_whatever_the_keys() {
        // A temporary file never has fs-verity: the kernel answers "no-verity-digest"
        // before it looks for a key, and so does the verifier, without hashing the file.
        let tmp = tempfile::NamedTempFile::new().unwrap();
        std::fs::write(tmp.path(), b"contents").unwrap();
        let file = OpenFile::open(tmp.path()).unwrap();
        let value = v2_value(3, 0x06);
        for keys in [
            Keys::Certificates(Vec::new()),
            Keys::Absent { why: "none".into() },
        ] {
            let mut seen = 0;
            let verdict = Verifier::new(keys)
                .verify_file_value(&file, Some(&value), &mut |_| seen += 1)
                .unwrap();
            assert_eq!(verdict.code(), "no-verity-digest", "{verdict:?}");
            assert!(verdict.to_string().contains("a sigv3 signature needs it"));
            assert!(!verdict.is_ok() && !verdict.is_mismatch());
            assert_eq!(seen, 0);
        }
        // Any other value is checked against the content hash, as before.
        let verdict = certs()
            .verify_file_value(&file, Some(&v2_value(2, 0x03)), &mut |d| {
                assert!(matches!(d, FileDigest::Content(HashAlgo::Sha256, _)))
            })
            .unwrap();
        assert_eq!(verdict.code(), "unknown-key");
    }

    #[test]
    fn unknown_hash_ids_are_unavailable() {
        let mut v = v2_value(2, 0x03);
        v[2] = 99;
        let verdict = certs()
            .verify(ValueKind::Ima, Some(&v), &mut no_digest)
            .unwrap();
        assert_eq!(verdict.code(), "unavailable-hash");
    }
}
