//! Building X.509 certificates for the IMA trust chain: a self-signed local CA (the key a
//! kernel is built with, CONFIG_SYSTEM_TRUSTED_KEYS, or enrols through MOK) and IMA
//! signing certificates issued by it, with the extensions the kernel's `.ima` restriction
//! checks (trust-chain.md). No printing and no argv.

use std::str::FromStr;
use std::time::{Duration, SystemTime};

use der::asn1::{BitString, OctetString};
use der::{Decode, Encode};
use ecdsa::signature;
use spki::{
    AlgorithmIdentifierOwned, DynSignatureAlgorithmIdentifier, EncodePublicKey, ObjectIdentifier,
    SignatureBitStringEncoding, SubjectPublicKeyInfoOwned, SubjectPublicKeyInfoRef,
};
use x509_cert::builder::profile::BuilderProfile;
use x509_cert::builder::{Builder, CertificateBuilder};
use x509_cert::certificate::TbsCertificate;
use x509_cert::ext::pkix::{
    AuthorityKeyIdentifier, BasicConstraints, ExtendedKeyUsage, KeyUsage, KeyUsages,
    SubjectKeyIdentifier,
};
use x509_cert::ext::Extension;
use x509_cert::name::Name;
use x509_cert::serial_number::SerialNumber;
use x509_cert::time::{Time, Validity};

use super::cert::Certificate;
use super::gen::{signing_hash, spki_der};
use super::private::PrivateKey;
use super::public::PublicKey;
use crate::hash::HashAlgo;

/// id-kp-codeSigning.
pub const OID_KP_CODE_SIGNING: ObjectIdentifier = ObjectIdentifier::new_unwrap("1.3.6.1.5.5.7.3.3");
const OID_SHA256_WITH_RSA: ObjectIdentifier = ObjectIdentifier::new_unwrap("1.2.840.113549.1.1.11");
const OID_SHA384_WITH_RSA: ObjectIdentifier = ObjectIdentifier::new_unwrap("1.2.840.113549.1.1.12");
const OID_ECDSA_SHA256: ObjectIdentifier = ObjectIdentifier::new_unwrap("1.2.840.10045.4.3.2");
const OID_ECDSA_SHA384: ObjectIdentifier = ObjectIdentifier::new_unwrap("1.2.840.10045.4.3.3");

/// What a new certificate says about its subject and how long it lasts.
#[derive(Clone, Debug)]
pub struct CertSpec {
    /// The subject as an RFC 4514 string ("CN=IMA local CA,O=Example").
    pub subject: String,
    /// Days of validity from `not_before`.
    pub days: u32,
    /// Start of validity.
    pub not_before: SystemTime,
}

impl CertSpec {
    /// A spec starting now (less five minutes, for clocks slightly behind).
    pub fn starting_now(subject: &str, days: u32) -> CertSpec {
        CertSpec {
            subject: subject.to_string(),
            days,
            not_before: SystemTime::now() - Duration::from_secs(300),
        }
    }
}

/// The Subject Key Identifier of a SubjectPublicKeyInfo: SHA-1 of the public key bits
/// (RFC 5280 4.2.1.2 method 1, OpenSSL's `hash`), so that its last four bytes are the
/// keyid evmctl computes from the key and writes in signatures.
pub fn skid_for(spki: SubjectPublicKeyInfoRef<'_>) -> Vec<u8> {
    HashAlgo::Sha1.digest(spki.subject_public_key.raw_bytes())
}

/// Parses a subject string, with a message naming the problem.
pub fn parse_subject(s: &str) -> Result<Name, String> {
    if s.trim().is_empty() {
        return Err("the subject is empty (give e.g. CN=IMA local CA,O=Example)".into());
    }
    let name = Name::from_str(s).map_err(|e| {
        format!("'{s}' is not an RFC 4514 name such as CN=IMA signing key,O=Example ({e})")
    })?;
    if name.is_empty() {
        return Err(format!("'{s}' gives an empty name"));
    }
    Ok(name)
}

/// A self-signed CA certificate for `key`: basicConstraints CA:TRUE (critical), keyUsage
/// keyCertSign and cRLSign (critical), SKID and AKID (its own). Returns the DER.
pub fn make_ca(key: &PrivateKey, spec: &CertSpec) -> Result<Vec<u8>, String> {
    let subject = parse_subject(&spec.subject)?;
    let profile = Profile {
        subject: subject.clone(),
        issuer: subject,
        issuer_skid: None,
        ca: true,
    };
    let public = key.public_key();
    let sign = |algo: HashAlgo, digest: &[u8]| key.sign_digest(algo, digest);
    build(profile, &public, &public, &sign, spec)
}

/// An IMA signing certificate for `subject_key`, issued by `ca_key` whose certificate is
/// `ca_cert`: basicConstraints CA:FALSE (critical), keyUsage digitalSignature (critical),
/// extendedKeyUsage codeSigning, SKID, AKID (the CA's SKID). Returns the DER.
pub fn issue_signing_cert(
    ca_key: &PrivateKey,
    ca_cert: &Certificate,
    subject_key: &PublicKey,
    spec: &CertSpec,
) -> Result<Vec<u8>, String> {
    let sign = |algo: HashAlgo, digest: &[u8]| ca_key.sign_digest(algo, digest);
    issue_signing_cert_with(&ca_key.public_key(), &sign, ca_cert, subject_key, spec)
}

/// Signs a prehashed digest with a CA key held elsewhere (a PKCS#11 token): PKCS#1 v1.5
/// with the DigestInfo, or a DER ECDSA-Sig-Value, as [`PrivateKey::sign_digest`].
pub type DigestSigner<'a> = dyn Fn(HashAlgo, &[u8]) -> Result<Vec<u8>, super::SignError> + 'a;

/// [`issue_signing_cert`] with the CA's public key and a signing function instead of its
/// private key.
pub fn issue_signing_cert_with(
    ca_pub: &PublicKey,
    sign: &DigestSigner<'_>,
    ca_cert: &Certificate,
    subject_key: &PublicKey,
    spec: &CertSpec,
) -> Result<Vec<u8>, String> {
    let ca_spki = spki_der(ca_pub)?;
    if ca_spki != ca_cert.spki_der() {
        return Err(format!(
            "{}: the CA private key does not belong to the CA certificate {}",
            ca_cert.path().display(),
            ca_cert.path().display()
        ));
    }
    let issuer_skid = Some(ca_cert.skid().unwrap_or_else(|| {
        let spki = SubjectPublicKeyInfoRef::from_der(&ca_spki).expect("re-parses");
        skid_for(spki)
    }));
    let profile = Profile {
        subject: parse_subject(&spec.subject)?,
        issuer: ca_cert.inner().tbs_certificate().subject().clone(),
        issuer_skid,
        ca: false,
    };
    build(profile, subject_key, ca_pub, sign, spec)
}

fn build(
    profile: Profile,
    subject_key: &PublicKey,
    signer_pub: &PublicKey,
    sign: &DigestSigner<'_>,
    spec: &CertSpec,
) -> Result<Vec<u8>, String> {
    if spec.days == 0 {
        return Err("the validity must be at least one day".into());
    }
    let not_after = spec.not_before + Duration::from_secs(u64::from(spec.days) * 86_400);
    let time = |t: SystemTime| {
        Time::try_from(t).map_err(|e| format!("a validity date out of range ({e})"))
    };
    let validity = Validity::new(time(spec.not_before)?, time(not_after)?);
    let serial = SerialNumber::generate(&mut getrandom::rand_core::UnwrapErr(getrandom::SysRng));
    let spki = SubjectPublicKeyInfoOwned::from_der(&spki_der(subject_key)?)
        .map_err(|e| format!("cannot re-read the public key ({e})"))?;
    let signer = CertSigner::new(signer_pub, sign)?;
    let builder = CertificateBuilder::new(profile, serial, validity, spki)
        .map_err(|e| format!("cannot start the certificate ({e})"))?;
    let cert = builder
        .build::<_, RawSignature>(&signer)
        .map_err(|e| format!("cannot sign the certificate ({e})"))?;
    cert.to_der()
        .map_err(|e| format!("cannot encode the certificate ({e})"))
}

/// The extensions of our two kinds of certificate.
struct Profile {
    subject: Name,
    issuer: Name,
    /// The issuer's SKID for the AKID; None for a self-signed certificate (its own SKID).
    issuer_skid: Option<Vec<u8>>,
    ca: bool,
}

fn extension<T: Encode + der::oid::AssociatedOid>(
    critical: bool,
    value: &T,
) -> x509_cert::builder::Result<Extension> {
    Ok(Extension {
        extn_id: T::OID,
        critical,
        extn_value: OctetString::new(value.to_der()?)?,
    })
}

impl BuilderProfile for Profile {
    fn get_issuer(&self, _subject: &Name) -> Name {
        self.issuer.clone()
    }

    fn get_subject(&self) -> Name {
        self.subject.clone()
    }

    fn build_extensions(
        &self,
        spk: SubjectPublicKeyInfoRef<'_>,
        _issuer_spk: SubjectPublicKeyInfoRef<'_>,
        _tbs: &TbsCertificate,
    ) -> x509_cert::builder::Result<Vec<Extension>> {
        let skid = skid_for(spk);
        let akid = self.issuer_skid.clone().unwrap_or_else(|| skid.clone());
        let mut v = vec![
            extension(
                true,
                &BasicConstraints {
                    ca: self.ca,
                    path_len_constraint: None,
                },
            )?,
            extension(
                true,
                &KeyUsage(if self.ca {
                    KeyUsages::KeyCertSign | KeyUsages::CRLSign
                } else {
                    KeyUsages::DigitalSignature.into()
                }),
            )?,
        ];
        if !self.ca {
            v.push(extension(
                false,
                &ExtendedKeyUsage(vec![OID_KP_CODE_SIGNING]),
            )?);
        }
        v.push(extension(
            false,
            &SubjectKeyIdentifier(OctetString::new(skid)?),
        )?);
        v.push(extension(
            false,
            &AuthorityKeyIdentifier {
                key_identifier: Some(OctetString::new(akid)?),
                authority_cert_issuer: None,
                authority_cert_serial_number: None,
            },
        )?);
        Ok(v)
    }
}

/// A signature value as the builder wants it.
struct RawSignature(Vec<u8>);

impl SignatureBitStringEncoding for RawSignature {
    fn to_bitstring(&self) -> der::Result<BitString> {
        BitString::from_bytes(&self.0)
    }
}

/// A public key already in DER SubjectPublicKeyInfo form.
#[derive(Clone)]
struct SpkiDer(Vec<u8>);

impl EncodePublicKey for SpkiDer {
    fn to_public_key_der(&self) -> spki::Result<der::Document> {
        Ok(der::Document::from_der(&self.0)?)
    }
}

/// Signs a TBSCertificate with one of our private keys: sha256WithRSAEncryption, or ECDSA
/// with SHA-256 (P-256) / SHA-384 (P-384).
struct CertSigner<'a> {
    sign: &'a DigestSigner<'a>,
    spki: Vec<u8>,
    hash: HashAlgo,
    algorithm: ObjectIdentifier,
    rsa: bool,
}

impl<'a> CertSigner<'a> {
    fn new(public: &PublicKey, sign: &'a DigestSigner<'a>) -> Result<CertSigner<'a>, String> {
        let hash = signing_hash(public);
        let rsa = matches!(public, PublicKey::Rsa(_));
        let algorithm = match (rsa, hash) {
            (true, HashAlgo::Sha384) => OID_SHA384_WITH_RSA,
            (true, _) => OID_SHA256_WITH_RSA,
            (false, HashAlgo::Sha384) => OID_ECDSA_SHA384,
            (false, _) => OID_ECDSA_SHA256,
        };
        Ok(CertSigner {
            sign,
            spki: spki_der(public)?,
            hash,
            algorithm,
            rsa,
        })
    }
}

impl signature::Keypair for CertSigner<'_> {
    type VerifyingKey = SpkiDer;
    fn verifying_key(&self) -> SpkiDer {
        SpkiDer(self.spki.clone())
    }
}

impl DynSignatureAlgorithmIdentifier for CertSigner<'_> {
    fn signature_algorithm_identifier(&self) -> spki::Result<AlgorithmIdentifierOwned> {
        Ok(AlgorithmIdentifierOwned {
            oid: self.algorithm,
            // RFC 4055: NULL parameters for RSA; RFC 5758: absent for ECDSA.
            parameters: self.rsa.then_some(der::Any::null()),
        })
    }
}

impl signature::Signer<RawSignature> for CertSigner<'_> {
    fn try_sign(&self, msg: &[u8]) -> Result<RawSignature, signature::Error> {
        let digest = self.hash.digest(msg);
        (self.sign)(self.hash, &digest)
            .map(RawSignature)
            .map_err(|_| signature::Error::new())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::keys::gen::{generate, KeyType};
    use std::path::Path;

    fn ext<'a>(c: &'a x509_cert::Certificate, oid: &str) -> Option<&'a Extension> {
        let oid = ObjectIdentifier::new_unwrap(oid);
        c.tbs_certificate()
            .extensions()?
            .iter()
            .find(|e| e.extn_id == oid)
    }

    #[test]
    fn chain_has_the_extensions_and_verifies() {
        let ca_key = generate(KeyType::P256).unwrap();
        let ca_der = make_ca(&ca_key, &CertSpec::starting_now("CN=Test CA,O=imaevm", 30)).unwrap();
        let ca = Certificate::from_der(Path::new("ca.der"), ca_der).unwrap();
        assert_eq!(ca.subject(), "CN=Test CA,O=imaevm");
        let bc = ext(ca.inner(), "2.5.29.19").unwrap();
        assert!(bc.critical);
        assert!(
            BasicConstraints::from_der(bc.extn_value.as_bytes())
                .unwrap()
                .ca
        );
        assert_eq!(
            ca.skid_keyid(),
            Some(ca_key.public_key().computed_keyid()),
            "SKID tail is the computed keyid"
        );

        let leaf_key = generate(KeyType::P384).unwrap();
        let leaf_der = issue_signing_cert(
            &ca_key,
            &ca,
            &leaf_key.public_key(),
            &CertSpec::starting_now("CN=IMA key", 10),
        )
        .unwrap();
        let leaf = Certificate::from_der(Path::new("ima.der"), leaf_der).unwrap();
        let ku = ext(leaf.inner(), "2.5.29.15").unwrap();
        assert!(ku.critical);
        let ku = KeyUsage::from_der(ku.extn_value.as_bytes()).unwrap();
        assert!(ku.digital_signature() && !ku.key_cert_sign());
        let eku = ext(leaf.inner(), "2.5.29.37").unwrap();
        let eku = ExtendedKeyUsage::from_der(eku.extn_value.as_bytes()).unwrap();
        assert_eq!(eku.0, vec![OID_KP_CODE_SIGNING]);
        let akid = ext(leaf.inner(), "2.5.29.35").unwrap();
        let akid = AuthorityKeyIdentifier::from_der(akid.extn_value.as_bytes()).unwrap();
        assert_eq!(akid.key_identifier.unwrap().as_bytes(), ca.skid().unwrap());
        assert_eq!(leaf.keyid(), leaf_key.public_key().computed_keyid());

        // The leaf's signature verifies with the CA's key over the TBS bytes.
        let tbs = leaf.inner().tbs_certificate().to_der().unwrap();
        let digest = HashAlgo::Sha256.digest(&tbs);
        let sig = leaf.inner().signature().raw_bytes();
        assert!(ca
            .public_key()
            .unwrap()
            .verify_digest(HashAlgo::Sha256, &digest, sig));
    }

    #[test]
    fn wrong_ca_key_is_refused() {
        let ca_key = generate(KeyType::P256).unwrap();
        let other = generate(KeyType::P256).unwrap();
        let ca_der = make_ca(&ca_key, &CertSpec::starting_now("CN=CA", 30)).unwrap();
        let ca = Certificate::from_der(Path::new("ca.der"), ca_der).unwrap();
        let e = issue_signing_cert(
            &other,
            &ca,
            &other.public_key(),
            &CertSpec::starting_now("CN=x", 1),
        )
        .unwrap_err();
        assert!(e.contains("does not belong"), "{e}");
    }

    #[test]
    fn bad_subjects_are_refused() {
        assert!(parse_subject("").is_err());
        assert!(parse_subject("no equals sign").is_err());
        assert!(parse_subject("CN=ok").is_ok());
    }
}
