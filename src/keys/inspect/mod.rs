//! What a certificate says, and what the kernel will think of it as an IMA key: the facts
//! of trust-chain.md applied to one certificate. Pure: a certificate and a time in, a
//! report out (no files, no clock, no printing).
//!
//! `report.rs` holds the report and its text, `extensions.rs` reads the extensions that
//! matter, `findings.rs` draws the findings, `names.rs` names fields as openssl does; this
//! file puts them together.

mod extensions;
mod findings;
mod names;
mod report;

use std::time::SystemTime;

use der::Encode;
use x509_cert::ext::pkix::KeyUsages;

use super::cert::Certificate;
use super::x509gen::OID_KP_CODE_SIGNING;
use crate::hash::to_hex;

pub use report::{BasicConstraintsInfo, CertReport, Finding, Severity};

/// Analyses `cert` as of `now`.
pub fn analyse(cert: &Certificate, now: SystemTime) -> CertReport {
    let tbs = cert.inner().tbs_certificate();
    let subject = cert.subject();
    let issuer = tbs.issuer().to_string();
    let validity = tbs.validity();
    let not_before = names::time_text(&validity.not_before);
    let not_after = names::time_text(&validity.not_after);
    let expired = validity.not_after.to_system_time() < now;
    let not_yet = validity.not_before.to_system_time() > now;
    let (algorithm, bits, key_algo) = match cert.public_key() {
        Ok(k) => {
            let a = k.algorithm();
            (a.to_string(), Some(a.bits()), Some(a))
        }
        Err(_) => (
            tbs.subject_public_key_info().algorithm.oid.to_string(),
            None,
            None,
        ),
    };
    let x = extensions::read_extensions(tbs);
    let skid = cert.skid();
    let has_ku = |u: KeyUsages| x.ku.as_ref().is_some_and(|(k, _)| k.0.contains(u));
    let same_name = tbs.subject().to_der().ok() == tbs.issuer().to_der().ok();
    let self_signed = same_name
        && match (&x.akid, &skid) {
            (Some(a), Some(s)) => a == s,
            _ => true,
        };
    let observed = findings::Observed {
        ca_flag: x.bc.as_ref().is_some_and(|b| b.ca),
        key_cert_sign: has_ku(KeyUsages::KeyCertSign),
        digital_signature: has_ku(KeyUsages::DigitalSignature),
        has_key_usage: x.ku.is_some(),
        self_signed,
        issuer: &issuer,
        akid: x.akid.as_deref(),
        key_algo,
        algorithm: &algorithm,
        expired,
        not_yet,
        not_before: &not_before,
        not_after: &not_after,
        skid: skid.as_deref(),
        ima_keyid: crate::keyring::kernel_keyid(cert),
        computed: cert.computed_keyid(),
        code_signing: x
            .eku
            .as_ref()
            .is_some_and(|e| e.contains(&OID_KP_CODE_SIGNING)),
    };
    let findings = findings::findings(&observed);
    let is_ca = observed.is_ca();
    let (ima_keyid, computed) = (observed.ima_keyid, observed.computed);

    let ima_acceptable = !findings.iter().any(|f| f.severity == Severity::Error);
    let machine_acceptable = observed.ca_flag && observed.key_cert_sign;
    let machine_acceptable_max = machine_acceptable && !observed.digital_signature;
    CertReport {
        path: cert.path().display().to_string(),
        subject,
        serial: names::serial_text(tbs.serial_number().as_bytes()),
        not_before,
        not_after,
        signature_algorithm: names::sig_alg_name(
            &cert.inner().signature_algorithm().oid.to_string(),
        ),
        skid: skid.as_ref().map(|s| to_hex(s)),
        akid: x.akid.as_ref().map(|s| to_hex(s)),
        ima_keyid: to_hex(&ima_keyid),
        computed_keyid: to_hex(&computed),
        key_usage: x.ku.as_ref().map(|(k, _)| names::key_usage_names(k)),
        key_usage_critical: x.ku.as_ref().is_some_and(|(_, c)| *c),
        extended_key_usage: x.eku.map(|v| v.iter().map(names::eku_name).collect()),
        basic_constraints: x.bc,
        issuer,
        algorithm,
        bits,
        self_signed,
        is_ca,
        expired,
        ima_acceptable,
        machine_acceptable,
        machine_acceptable_max,
        findings,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::keys::gen::{generate, KeyType};
    use crate::keys::x509gen::{issue_signing_cert, make_ca, CertSpec};
    use std::path::Path;
    use std::time::Duration;

    fn codes(r: &CertReport) -> Vec<&'static str> {
        r.findings.iter().map(|f| f.code).collect()
    }

    #[test]
    fn ca_and_leaf() {
        let ca_key = generate(KeyType::P256).unwrap();
        let ca = Certificate::from_der(
            Path::new("ca.der"),
            make_ca(&ca_key, &CertSpec::starting_now("CN=Lab CA", 10)).unwrap(),
        )
        .unwrap();
        let r = analyse(&ca, SystemTime::now());
        assert!(r.is_ca && r.self_signed && !r.ima_acceptable);
        // `imactl key ca` certificates enter .machine, also under CA_MACHINE_KEYRING_MAX.
        assert!(r.machine_acceptable && r.machine_acceptable_max);
        assert_eq!(
            codes(&r),
            vec![
                "ca-cert",
                "no-digital-signature",
                "self-signed",
                "ecdsa-kernel"
            ]
        );
        assert_eq!(r.key_usage.as_deref().unwrap(), ["keyCertSign", "cRLSign"]);

        let leaf_key = generate(KeyType::P256).unwrap();
        let leaf = Certificate::from_der(
            Path::new("ima.der"),
            issue_signing_cert(
                &ca_key,
                &ca,
                &leaf_key.public_key(),
                &CertSpec::starting_now("CN=IMA", 10),
            )
            .unwrap(),
        )
        .unwrap();
        let r = analyse(&leaf, SystemTime::now());
        assert!(r.ima_acceptable, "{:?}", r.findings);
        assert!(!r.machine_acceptable && !r.machine_acceptable_max);
        assert_eq!(codes(&r), vec!["needs-trusted-issuer", "ecdsa-kernel"]);
        assert!(r.findings[0].message.contains("CN=Lab CA"));
        assert_eq!(r.akid, ca.skid().map(|s| to_hex(&s)));
        assert_eq!(r.extended_key_usage.as_deref().unwrap(), ["codeSigning"]);

        let later = SystemTime::now() + Duration::from_secs(20 * 86400);
        let r = analyse(&leaf, later);
        assert!(r.expired);
        assert!(codes(&r).contains(&"expired"));
        let earlier = SystemTime::now() - Duration::from_secs(86400);
        assert!(codes(&analyse(&leaf, earlier)).contains(&"not-yet-valid"));
    }
}
