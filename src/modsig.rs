//! Appended signatures ("modsig"): the kernel module signature format, which IMA also
//! accepts for kernel images and initramfs (`appraise_type=imasig|modsig`), where a file on
//! a vfat ESP cannot carry security.ima (docs/formats.md, "Appended signatures").
//!
//! Layout at the end of the file: a PKCS#7/CMS SignedData (DER; content type pkcs7-data,
//! detached, no signed attributes, no certificates), then the 12-byte module_signature
//! trailer (id_type 2 = PKCS#7, every other field zero except the big-endian length of the
//! SignedData), then the marker `~Module signature appended~\n`. The signature covers the
//! file's bytes before the SignedData. This is what the kernel's scripts/sign-file writes.

use std::fmt;

use cms::cert::IssuerAndSerialNumber;
use cms::content_info::{CmsVersion, ContentInfo};
use cms::signed_data::{
    EncapsulatedContentInfo, SignedData, SignerIdentifier, SignerInfo, SignerInfos,
};
use der::asn1::{ObjectIdentifier, OctetString, SetOfVec};
use der::{Any, Decode, Encode};
use spki::AlgorithmIdentifierOwned;

use crate::hash::HashAlgo;
use crate::keys::{Certificate, KeyAlgorithm, PublicKey, SignError};
use crate::sign::Signer;

/// The marker that ends a signed file.
pub const MARKER: &[u8] = b"~Module signature appended~\n";
/// The size of struct module_signature.
pub const TRAILER_LEN: usize = 12;
/// module_signature.id_type for PKCS#7 (PKEY_ID_PKCS7).
const PKEY_ID_PKCS7: u8 = 2;

const ID_DATA: ObjectIdentifier = ObjectIdentifier::new_unwrap("1.2.840.113549.1.7.1");
const ID_SIGNED_DATA: ObjectIdentifier = ObjectIdentifier::new_unwrap("1.2.840.113549.1.7.2");
const RSA_ENCRYPTION: ObjectIdentifier = ObjectIdentifier::new_unwrap("1.2.840.113549.1.1.1");

/// The CMS digest algorithm OID of `algo` (the kernel's PKCS#7 parser knows these).
fn digest_oid(algo: HashAlgo) -> Option<ObjectIdentifier> {
    Some(ObjectIdentifier::new_unwrap(match algo {
        HashAlgo::Sha1 => "1.3.14.3.2.26",
        HashAlgo::Sha224 => "2.16.840.1.101.3.4.2.4",
        HashAlgo::Sha256 => "2.16.840.1.101.3.4.2.1",
        HashAlgo::Sha384 => "2.16.840.1.101.3.4.2.2",
        HashAlgo::Sha512 => "2.16.840.1.101.3.4.2.3",
        _ => return None,
    }))
}

fn algo_of_digest_oid(oid: &ObjectIdentifier) -> Option<HashAlgo> {
    [
        HashAlgo::Sha1,
        HashAlgo::Sha224,
        HashAlgo::Sha256,
        HashAlgo::Sha384,
        HashAlgo::Sha512,
    ]
    .into_iter()
    .find(|a| digest_oid(*a).as_ref() == Some(oid))
}

/// The signature algorithm as OpenSSL's CMS writes it: rsaEncryption with NULL
/// parameters, or ecdsa-with-SHAn without parameters.
fn signature_algorithm(key: KeyAlgorithm, algo: HashAlgo) -> Option<AlgorithmIdentifierOwned> {
    if matches!(key, KeyAlgorithm::Rsa { .. }) {
        return Some(AlgorithmIdentifierOwned {
            oid: RSA_ENCRYPTION,
            parameters: Some(Any::null()),
        });
    }
    let oid = match algo {
        HashAlgo::Sha1 => "1.2.840.10045.4.1",
        HashAlgo::Sha224 => "1.2.840.10045.4.3.1",
        HashAlgo::Sha256 => "1.2.840.10045.4.3.2",
        HashAlgo::Sha384 => "1.2.840.10045.4.3.3",
        HashAlgo::Sha512 => "1.2.840.10045.4.3.4",
        _ => return None,
    };
    Some(AlgorithmIdentifierOwned {
        oid: ObjectIdentifier::new_unwrap(oid),
        parameters: None,
    })
}

/// Why an appended signature could not be made, read or checked.
#[derive(Debug)]
pub enum ModsigError {
    /// The hash algorithm has no CMS identifier the kernel knows.
    Hash(HashAlgo),
    /// The certificate is not the signing key's.
    CertificateMismatch,
    Sign(SignError),
    /// The file has no appended signature.
    NotSigned,
    /// The trailer or the SignedData is not what the kernel accepts (the reason).
    Malformed(String),
    /// No given certificate names the signer.
    UnknownSigner(String),
    /// The signature does not match the file's contents.
    Invalid(String),
    /// The file could not be read.
    Io(std::io::Error),
    /// The output could not be written.
    Write(std::io::Error),
}

impl fmt::Display for ModsigError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            ModsigError::Hash(a) => write!(
                f,
                "{a} has no PKCS#7 digest identifier the kernel knows (sha1, sha224, sha256, \
                 sha384, sha512)"
            ),
            ModsigError::CertificateMismatch => {
                write!(f, "the certificate is not for the signing key")
            }
            ModsigError::Sign(e) => e.fmt(f),
            ModsigError::NotSigned => write!(
                f,
                "no appended signature (no '~Module signature appended~' marker)"
            ),
            ModsigError::Malformed(m) => write!(f, "malformed appended signature: {m}"),
            ModsigError::UnknownSigner(s) => {
                write!(f, "signed by {s}, which none of the given certificates is")
            }
            ModsigError::Invalid(s) => {
                write!(
                    f,
                    "invalid signature: the contents do not match the signature by {s}"
                )
            }
            ModsigError::Io(e) => write!(f, "cannot read: {}", crate::error::io_words(e)),
            ModsigError::Write(e) => write!(f, "cannot write: {}", crate::error::io_words(e)),
        }
    }
}

impl std::error::Error for ModsigError {}

fn der_err(what: &str) -> impl FnOnce(der::Error) -> ModsigError + '_ {
    move |e| ModsigError::Malformed(format!("{what}: {e}"))
}

/// The DER SignedData (in its ContentInfo) over `content`, signed by `signer` whose
/// certificate is `cert` (it names the signer by issuer and serial number).
pub fn sign_pkcs7(
    signer: &dyn Signer,
    cert: &Certificate,
    algo: HashAlgo,
    content: &[u8],
) -> Result<Vec<u8>, ModsigError> {
    sign_pkcs7_digest(signer, cert, algo, &algo.digest(content))
}

/// [`sign_pkcs7`] over content whose `algo` digest is `digest`.
pub fn sign_pkcs7_digest(
    signer: &dyn Signer,
    cert: &Certificate,
    algo: HashAlgo,
    digest: &[u8],
) -> Result<Vec<u8>, ModsigError> {
    let digest_alg = AlgorithmIdentifierOwned {
        oid: digest_oid(algo).ok_or(ModsigError::Hash(algo))?,
        parameters: None,
    };
    let sig_alg = signature_algorithm(signer.algorithm(), algo).ok_or(ModsigError::Hash(algo))?;
    let cert_key = cert
        .public_key()
        .map_err(|e| ModsigError::Malformed(e.to_string()))?;
    if cert_key.algorithm() != signer.algorithm() {
        return Err(ModsigError::CertificateMismatch);
    }
    let signature = signer
        .sign_digest(algo, digest)
        .map_err(ModsigError::Sign)?;
    if !cert_key.verify_digest(algo, digest, &signature) {
        return Err(ModsigError::CertificateMismatch);
    }
    let tbs = cert.inner().tbs_certificate();
    let sid = SignerIdentifier::IssuerAndSerialNumber(IssuerAndSerialNumber {
        issuer: tbs.issuer().clone(),
        serial_number: tbs.serial_number().clone(),
    });
    let info = SignerInfo {
        version: CmsVersion::V1,
        sid,
        digest_alg: digest_alg.clone(),
        signed_attrs: None,
        signature_algorithm: sig_alg,
        signature: OctetString::new(signature).map_err(der_err("signature"))?,
        unsigned_attrs: None,
    };
    let mut digests = SetOfVec::new();
    digests
        .insert(digest_alg)
        .map_err(der_err("digest algorithms"))?;
    let mut infos = SetOfVec::new();
    infos.insert(info).map_err(der_err("signer infos"))?;
    let sd = SignedData {
        version: CmsVersion::V1,
        digest_algorithms: digests,
        encap_content_info: EncapsulatedContentInfo {
            econtent_type: ID_DATA,
            econtent: None,
        },
        certificates: None,
        crls: None,
        signer_infos: SignerInfos(infos),
    };
    let ci = ContentInfo {
        content_type: ID_SIGNED_DATA,
        content: Any::encode_from(&sd).map_err(der_err("SignedData"))?,
    };
    ci.to_der().map_err(der_err("ContentInfo"))
}

/// The module_signature trailer and the marker for a SignedData of `len` bytes.
pub fn trailer(len: usize) -> Vec<u8> {
    let mut t = vec![0, 0, PKEY_ID_PKCS7, 0, 0, 0, 0, 0];
    t.extend_from_slice(&(len as u32).to_be_bytes());
    t.extend_from_slice(MARKER);
    t
}

/// `content` with an appended signature. A file that is signed already is refused (its
/// signature would be signed over): remove it first.
pub fn append(
    signer: &dyn Signer,
    cert: &Certificate,
    algo: HashAlgo,
    content: &[u8],
) -> Result<Vec<u8>, ModsigError> {
    if content.ends_with(MARKER) {
        return Err(ModsigError::Malformed(
            "the file is signed already (remove the signature first)".into(),
        ));
    }
    let p7 = sign_pkcs7(signer, cert, algo, content)?;
    let mut out = Vec::with_capacity(content.len() + p7.len() + 40);
    out.extend_from_slice(content);
    out.extend_from_slice(&p7);
    out.extend(trailer(p7.len()));
    Ok(out)
}

/// A file split into its signed part and its appended signature.
pub struct Appended<'a> {
    pub content: &'a [u8],
    pub pkcs7: &'a [u8],
}

/// Finds the appended signature of `data` and checks the trailer as the kernel does.
pub fn split(data: &[u8]) -> Result<Appended<'_>, ModsigError> {
    let body = data.strip_suffix(MARKER).ok_or(ModsigError::NotSigned)?;
    if body.len() < TRAILER_LEN {
        return Err(ModsigError::Malformed(
            "no room for the module_signature trailer".into(),
        ));
    }
    let (rest, t) = body.split_at(body.len() - TRAILER_LEN);
    if t[2] != PKEY_ID_PKCS7 {
        return Err(ModsigError::Malformed(format!(
            "id_type {} (the kernel accepts only 2, PKCS#7)",
            t[2]
        )));
    }
    if t[..2] != [0, 0] || t[3..8] != [0; 5] {
        return Err(ModsigError::Malformed(
            "the trailer's algo, hash, signer_len, key_id_len or padding is not zero".into(),
        ));
    }
    let len = u32::from_be_bytes([t[8], t[9], t[10], t[11]]) as usize;
    if len == 0 || len > rest.len() {
        return Err(ModsigError::Malformed(format!(
            "sig_len {len} does not fit the {} bytes before the trailer",
            rest.len()
        )));
    }
    let (content, pkcs7) = rest.split_at(rest.len() - len);
    Ok(Appended { content, pkcs7 })
}

/// The file without its appended signature (an error when it has none).
pub fn remove(data: &[u8]) -> Result<&[u8], ModsigError> {
    split(data).map(|a| a.content)
}

/// Who signed, as the SignedData names them, and with what.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ModsigInfo {
    pub issuer: String,
    pub serial: Vec<u8>,
    pub hash: HashAlgo,
    /// The signer's certificate, among those given.
    pub certificate: String,
}

fn parse_signed_data(pkcs7: &[u8]) -> Result<SignedData, ModsigError> {
    let ci = ContentInfo::from_der(pkcs7).map_err(der_err("ContentInfo"))?;
    if ci.content_type != ID_SIGNED_DATA {
        return Err(ModsigError::Malformed(format!(
            "content type {} is not signedData",
            ci.content_type
        )));
    }
    let sd: SignedData = ci.content.decode_as().map_err(der_err("SignedData"))?;
    if sd.encap_content_info.econtent_type != ID_DATA {
        return Err(ModsigError::Malformed(
            "the encapsulated content type is not pkcs7-data".into(),
        ));
    }
    if sd.encap_content_info.econtent.is_some() {
        return Err(ModsigError::Malformed(
            "the content is embedded (the kernel wants it detached)".into(),
        ));
    }
    Ok(sd)
}

/// Checks the appended signature of `data` against `certs`, with the rules of the kernel's
/// PKCS#7 verifier: one signer, no signed attributes, a digest algorithm it knows.
pub fn verify(data: &[u8], certs: &[Certificate]) -> Result<ModsigInfo, ModsigError> {
    let a = split(data)?;
    verify_pkcs7(a.pkcs7, certs, &mut |hash| Ok(hash.digest(a.content)))
}

/// Checks the SignedData `pkcs7` against `certs`; `digest_of` gives the digest of the
/// signed content with the algorithm the signer names (a file is hashed as a stream).
pub fn verify_pkcs7(
    pkcs7: &[u8],
    certs: &[Certificate],
    digest_of: &mut dyn FnMut(HashAlgo) -> Result<Vec<u8>, ModsigError>,
) -> Result<ModsigInfo, ModsigError> {
    let sd = parse_signed_data(pkcs7)?;
    let infos = sd.signer_infos.0.as_slice();
    let [si] = infos else {
        return Err(ModsigError::Malformed(format!(
            "{} signers (exactly one is expected)",
            infos.len()
        )));
    };
    if si.signed_attrs.is_some() {
        return Err(ModsigError::Malformed(
            "the signer has authenticated attributes (the kernel's modsig has none)".into(),
        ));
    }
    let hash = algo_of_digest_oid(&si.digest_alg.oid).ok_or_else(|| {
        ModsigError::Malformed(format!("unknown digest algorithm {}", si.digest_alg.oid))
    })?;
    // sign-file names the signer by issuer and serial number, or with -k by its SKID; the
    // kernel accepts both.
    let (issuer, serial, who, cert) = match &si.sid {
        SignerIdentifier::IssuerAndSerialNumber(ias) => {
            let issuer = ias.issuer.to_string();
            let serial = ias.serial_number.as_bytes().to_vec();
            let who = format!("{issuer}, serial {}", crate::hash::to_hex(&serial));
            let cert = certs.iter().find(|c| {
                let t = c.inner().tbs_certificate();
                t.issuer() == &ias.issuer && t.serial_number() == &ias.serial_number
            });
            (issuer, serial, who, cert)
        }
        SignerIdentifier::SubjectKeyIdentifier(skid) => {
            let id = skid.0.as_bytes().to_vec();
            let who = format!("the key with SKID {}", crate::hash::to_hex(&id));
            let cert = certs.iter().find(|c| c.skid().as_deref() == Some(&id[..]));
            let issuer = cert.map(|c| c.inner().tbs_certificate().issuer().to_string());
            let serial = cert.map(|c| {
                c.inner()
                    .tbs_certificate()
                    .serial_number()
                    .as_bytes()
                    .to_vec()
            });
            (
                issuer.unwrap_or_default(),
                serial.unwrap_or_default(),
                who,
                cert,
            )
        }
    };
    let cert = cert.ok_or_else(|| ModsigError::UnknownSigner(who.clone()))?;
    let key: PublicKey = cert
        .public_key()
        .map_err(|e| ModsigError::Malformed(e.to_string()))?;
    let digest = digest_of(hash)?;
    if !key.verify_digest(hash, &digest, si.signature.as_bytes()) {
        return Err(ModsigError::Invalid(who));
    }
    Ok(ModsigInfo {
        issuer,
        serial,
        hash,
        certificate: cert.path().display().to_string(),
    })
}

#[cfg(test)]
#[path = "modsig_tests.rs"]
mod tests;
