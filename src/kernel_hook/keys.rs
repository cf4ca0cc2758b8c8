//! The keys a signature must verify with to be accepted by the kernel: the certificates in
//! /etc/keys/ima below the root (what `imactl boot` and dracut load) and, on the running
//! system, the IMA keyring. Shared by the kernel hook and `imactl restore`.

use std::path::Path;

use crate::fsops::OpenFile;
use crate::keys::Certificate;
use crate::verify::{Keys, Verifier};

/// The keys the kernel may check with: certificates in /etc/keys/ima (below the root) and,
/// on the running system (root /), the IMA keyring.
pub struct TrustKeys {
    pub certs: Option<Verifier>,
    pub cert_list: Vec<Certificate>,
    pub keyring: Option<Verifier>,
    /// "/etc/keys/ima (2 certificates) and the IMA keyring .ima"
    pub described: String,
}

pub fn trust_keys(root: &Path) -> TrustKeys {
    let files = super::image::key_files(root);
    let certs = Verifier::from_certificate_list(&files)
        .ok()
        .map(|l| l.verifier);
    let cert_list: Vec<Certificate> = files
        .iter()
        .filter_map(|f| Certificate::load(f).ok())
        .collect();
    let mut described = format!(
        "{} ({} certificate{})",
        root.join("etc/keys/ima").display(),
        cert_list.len(),
        if cert_list.len() == 1 { "" } else { "s" }
    );
    let mut keyring = None;
    if root == Path::new("/") {
        let spec = crate::keyring::KeyringSpec::Purpose(crate::keyring::Purpose::Ima);
        if let Ok(ring) = crate::keyring::locate(&spec, false) {
            described.push_str(&format!(" and the IMA keyring {}", ring.name));
            keyring = Some(Verifier::new(Keys::Keyring {
                keyring: ring.serial,
                blacklist: crate::keyring::ima_blacklist(),
            }));
        }
    }
    TrustKeys {
        certs,
        cert_list,
        keyring,
        described,
    }
}

/// Whether `value` (None: the file's own security.ima) verifies for `file`: Ok(how) or
/// Err(why not).
pub fn verify_value(
    file: &OpenFile,
    value: Option<&[u8]>,
    keys: &TrustKeys,
) -> Result<String, String> {
    let mut why = String::from("no keys to check with");
    for v in [&keys.certs, &keys.keyring].into_iter().flatten() {
        match v.verify_file_value(file, value, &mut |_| {}) {
            Ok(verdict) if verdict.is_ok() => return Ok(verdict.to_string()),
            Ok(verdict) => why = verdict.to_string(),
            Err(e) => why = e.to_string(),
        }
    }
    Err(why)
}
