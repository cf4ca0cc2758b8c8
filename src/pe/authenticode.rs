//! The Authenticode signature of a PE image: a PKCS#7 SignedData whose content is an
//! SpcIndirectDataContent holding the image's digest. Checked as the kernel's
//! verify_pefile_signature() does (read for facts): the image digest must match the
//! signed one, the signer's signature must verify over the signed attributes (whose
//! messageDigest covers the content), and the signer, or a certificate on its way up the
//! embedded chain, must be a trusted certificate or be issued by one.

use cms::cert::CertificateChoices;
use cms::content_info::ContentInfo;
use cms::signed_data::{SignedData, SignerIdentifier};
use der::asn1::{ObjectIdentifier, OctetString};
use der::{Any, Decode, Encode, Reader, SliceReader};
use spki::AlgorithmIdentifierOwned;
use std::path::Path;
use x509_cert::ext::pkix::AuthorityKeyIdentifier;

use super::PeError;
use crate::hash::HashAlgo;
use crate::keys::Certificate;

const ID_SIGNED_DATA: ObjectIdentifier = ObjectIdentifier::new_unwrap("1.2.840.113549.1.7.2");
const SPC_INDIRECT_DATA: ObjectIdentifier = ObjectIdentifier::new_unwrap("1.3.6.1.4.1.311.2.1.4");
const MESSAGE_DIGEST: ObjectIdentifier = ObjectIdentifier::new_unwrap("1.2.840.113549.1.9.4");

/// The hash of a digest algorithm identifier.
fn hash_of(oid: &ObjectIdentifier) -> Option<HashAlgo> {
    Some(match oid.to_string().as_str() {
        "1.3.14.3.2.26" => HashAlgo::Sha1,
        "2.16.840.1.101.3.4.2.4" => HashAlgo::Sha224,
        "2.16.840.1.101.3.4.2.1" => HashAlgo::Sha256,
        "2.16.840.1.101.3.4.2.2" => HashAlgo::Sha384,
        "2.16.840.1.101.3.4.2.3" => HashAlgo::Sha512,
        _ => return None,
    })
}

fn bad(what: impl std::fmt::Display) -> PeError {
    PeError(format!("malformed Authenticode signature: {what}"))
}

/// A parsed Authenticode signature.
pub struct Authenticode {
    /// The hash algorithm of the image digest, and the digest that was signed.
    pub image_hash: HashAlgo,
    pub image_digest: Vec<u8>,
    /// The signer's certificate, from those embedded.
    pub signer: Certificate,
    /// The other embedded certificates (intermediates).
    pub embedded: Vec<Certificate>,
    /// Whether the signer's signature verifies (over the signed attributes, whose
    /// messageDigest must match the content).
    pub signature_valid: Result<(), String>,
}

/// The image digest inside an SpcIndirectDataContent (its encoding as a whole).
fn spc_digest(content: &Any) -> Result<(HashAlgo, Vec<u8>), PeError> {
    let mut r = SliceReader::new(content.value()).map_err(bad)?;
    let _data: Any = r.decode().map_err(bad)?;
    let digest_info: Any = r.decode().map_err(bad)?;
    let mut d = SliceReader::new(digest_info.value()).map_err(bad)?;
    let algo: AlgorithmIdentifierOwned = d.decode().map_err(bad)?;
    let digest: OctetString = d.decode().map_err(bad)?;
    let hash = hash_of(&algo.oid)
        .ok_or_else(|| bad(format!("unknown image digest algorithm {}", algo.oid)))?;
    Ok((hash, digest.as_bytes().to_vec()))
}

/// Parses the PKCS#7 of a PE image's certificate table.
pub fn parse(pkcs7: &[u8]) -> Result<Authenticode, PeError> {
    let ci = ContentInfo::from_der(pkcs7).map_err(bad)?;
    if ci.content_type != ID_SIGNED_DATA {
        return Err(bad("not a SignedData"));
    }
    let sd: SignedData = ci.content.decode_as().map_err(bad)?;
    if sd.encap_content_info.econtent_type != SPC_INDIRECT_DATA {
        return Err(bad("the content is not an SpcIndirectDataContent"));
    }
    let content = sd
        .encap_content_info
        .econtent
        .as_ref()
        .ok_or_else(|| bad("no content"))?;
    let (image_hash, image_digest) = spc_digest(content)?;
    let mut certs = Vec::new();
    for (i, c) in sd.certificates.iter().flat_map(|s| s.0.iter()).enumerate() {
        if let CertificateChoices::Certificate(c) = c {
            let der = c.to_der().map_err(bad)?;
            let name = format!("the image's certificate {i}");
            certs.push(Certificate::from_der(Path::new(&name), der).map_err(bad)?);
        }
    }
    let [si] = sd.signer_infos.0.as_slice() else {
        return Err(bad("not exactly one signer"));
    };
    let pos = certs.iter().position(|c| match &si.sid {
        SignerIdentifier::IssuerAndSerialNumber(ias) => {
            let t = c.inner().tbs_certificate();
            t.issuer() == &ias.issuer && t.serial_number() == &ias.serial_number
        }
        SignerIdentifier::SubjectKeyIdentifier(skid) => {
            c.skid().as_deref() == Some(skid.0.as_bytes())
        }
    });
    let signer = certs.remove(pos.ok_or_else(|| bad("the signer's certificate is not embedded"))?);
    let signature_valid = check_signer(si, content, &signer);
    Ok(Authenticode {
        image_hash,
        image_digest,
        signer,
        embedded: certs,
        signature_valid,
    })
}

/// The signer's signature: over the signed attributes (messageDigest = the content's
/// digest), or over the content itself when there are none.
fn check_signer(
    si: &cms::signed_data::SignerInfo,
    content: &Any,
    signer: &Certificate,
) -> Result<(), String> {
    let hash = hash_of(&si.digest_alg.oid)
        .ok_or_else(|| format!("unknown digest algorithm {}", si.digest_alg.oid))?;
    let content_digest = hash.digest(content.value());
    let signed = match &si.signed_attrs {
        Some(attrs) => {
            let md = attrs
                .iter()
                .find(|a| a.oid == MESSAGE_DIGEST)
                .and_then(|a| a.values.iter().next())
                .and_then(|v| v.decode_as::<OctetString>().ok())
                .ok_or("the signed attributes have no messageDigest")?;
            if md.as_bytes() != content_digest.as_slice() {
                return Err("the messageDigest attribute does not match the content".into());
            }
            hash.digest(&attrs.to_der().map_err(|e| e.to_string())?)
        }
        None => content_digest,
    };
    let key = signer.public_key().map_err(|e| e.to_string())?;
    if key.verify_digest(hash, &signed, si.signature.as_bytes()) {
        Ok(())
    } else {
        Err("the signer's signature does not verify".into())
    }
}

/// Whether `issuer`'s key signed `cert`.
pub fn issued_by(cert: &Certificate, issuer: &Certificate) -> bool {
    let c = cert.inner();
    if c.tbs_certificate().issuer() != issuer.inner().tbs_certificate().subject() {
        return false;
    }
    let (Some(algo), Ok(key), Ok(tbs), Some(sig)) = (
        crate::keys::kernel_fit::signature_hash(&c.signature_algorithm().oid),
        issuer.public_key(),
        c.tbs_certificate().to_der(),
        c.signature().as_bytes(),
    ) else {
        return false;
    };
    key.verify_digest(algo, &algo.digest(&tbs), sig)
}

/// Whether two certificates are the same one (issuer and serial number, as the kernel
/// finds a key by its id).
pub fn same_certificate(a: &Certificate, b: &Certificate) -> bool {
    let (a, b) = (a.inner().tbs_certificate(), b.inner().tbs_certificate());
    a.issuer() == b.issuer() && a.serial_number() == b.serial_number()
}

/// Whether `cert`'s authority key identifier names `issuer` as the kernel looks it up
/// (find_asymmetric_key with the AKID's keyIdentifier against the SKID, and its issuer
/// serial number against the certificate's): without an AKID the kernel cannot find the
/// issuer at all.
fn akid_names(cert: &Certificate, issuer: &Certificate) -> bool {
    let Ok(Some((_, akid))) = cert
        .inner()
        .tbs_certificate()
        .get_extension::<AuthorityKeyIdentifier>()
    else {
        return false;
    };
    let by_key = akid
        .key_identifier
        .as_ref()
        .map(|k| issuer.skid().as_deref() == Some(k.as_bytes()));
    let by_serial = akid
        .authority_cert_serial_number
        .as_ref()
        .map(|s| s == issuer.inner().tbs_certificate().serial_number());
    match (by_key, by_serial) {
        (None, None) => false,
        (k, s) => k.unwrap_or(true) && s.unwrap_or(true),
    }
}

/// The keyIdentifier of `cert`'s authority key identifier.
pub fn akid_key_id(cert: &Certificate) -> Option<Vec<u8>> {
    let (_, akid) = cert
        .inner()
        .tbs_certificate()
        .get_extension::<AuthorityKeyIdentifier>()
        .ok()??;
    akid.key_identifier.map(|k| k.as_bytes().to_vec())
}

/// The signer and the embedded certificates up its chain, in order.
pub fn chain(sig: &Authenticode) -> Vec<&Certificate> {
    let mut out = vec![&sig.signer];
    while out.len() <= sig.embedded.len() {
        let current = out[out.len() - 1];
        match sig
            .embedded
            .iter()
            .find(|e| !out.iter().any(|o| same_certificate(o, e)) && issued_by(current, e))
        {
            Some(next) => out.push(next),
            None => break,
        }
    }
    out
}

/// Which of `trusted` vouches for the signer: the signer or a certificate up its embedded
/// chain is one of them, or was issued by one of them (signature checked). The index.
pub fn trusted_by(sig: &Authenticode, trusted: &[Certificate]) -> Option<usize> {
    let mut current = &sig.signer;
    for _ in 0..=sig.embedded.len() {
        if let Some(i) = trusted.iter().position(|t| same_certificate(current, t)) {
            return Some(i);
        }
        if let Some(i) = trusted
            .iter()
            .position(|t| akid_names(current, t) && issued_by(current, t))
        {
            return Some(i);
        }
        match sig
            .embedded
            .iter()
            .find(|e| !same_certificate(e, current) && issued_by(current, e))
        {
            Some(next) => current = next,
            None => break,
        }
    }
    None
}
