//! The extensions of a certificate that decide its use as an IMA key: basicConstraints,
//! keyUsage, extendedKeyUsage and the authority key identifier.

use der::asn1::ObjectIdentifier;
use der::Decode;
use x509_cert::certificate::TbsCertificate;
use x509_cert::ext::pkix::{AuthorityKeyIdentifier, BasicConstraints, ExtendedKeyUsage, KeyUsage};

use super::report::BasicConstraintsInfo;

/// The extensions read (an extension that does not decode counts as absent).
#[derive(Default)]
pub(super) struct Extensions {
    pub(super) bc: Option<BasicConstraintsInfo>,
    /// keyUsage and whether it is critical.
    pub(super) ku: Option<(KeyUsage, bool)>,
    pub(super) eku: Option<Vec<ObjectIdentifier>>,
    /// The keyIdentifier of the authority key identifier.
    pub(super) akid: Option<Vec<u8>>,
}

/// Reads the extensions of `tbs`.
pub(super) fn read_extensions(tbs: &TbsCertificate) -> Extensions {
    let mut x = Extensions::default();
    for e in tbs.extensions().map(|e| e.as_slice()).unwrap_or(&[]) {
        let v = e.extn_value.as_bytes();
        match e.extn_id.to_string().as_str() {
            "2.5.29.19" => {
                if let Ok(b) = BasicConstraints::from_der(v) {
                    x.bc = Some(BasicConstraintsInfo {
                        ca: b.ca,
                        path_len: b.path_len_constraint,
                        critical: e.critical,
                    });
                }
            }
            "2.5.29.15" => {
                if let Ok(k) = KeyUsage::from_der(v) {
                    x.ku = Some((k, e.critical));
                }
            }
            "2.5.29.37" => {
                if let Ok(k) = ExtendedKeyUsage::from_der(v) {
                    x.eku = Some(k.0);
                }
            }
            "2.5.29.35" => {
                if let Ok(a) = AuthorityKeyIdentifier::from_der(v) {
                    x.akid = a.key_identifier.map(|k| k.as_bytes().to_vec());
                }
            }
            _ => {}
        }
    }
    x
}
