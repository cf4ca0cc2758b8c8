//! What a certificate says, and what the kernel will think of it as an IMA key: the facts
//! of trust-chain.md applied to one certificate. Pure: a certificate and a time in, a
//! report out (no files, no clock, no printing).

use std::time::SystemTime;

use der::{Decode, Encode};
use serde::Serialize;
use x509_cert::ext::pkix::{
    AuthorityKeyIdentifier, BasicConstraints, ExtendedKeyUsage, KeyUsage, KeyUsages,
};

use super::cert::Certificate;
use super::public::KeyAlgorithm;
use super::x509gen::OID_KP_CODE_SIGNING;
use crate::hash::to_hex;

/// How serious a finding is for use as an IMA key.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Severity {
    /// The kernel will refuse the certificate for `.ima` (or cannot use the key at all).
    Error,
    /// It works only under a condition worth knowing.
    Warning,
    /// A fact to know.
    Info,
}

/// One thing the kernel (or a tool) will think.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Finding {
    pub severity: Severity,
    /// A stable word for scripts: "ca-cert", "no-digital-signature", "self-signed",
    /// "needs-trusted-issuer", "rsa-size", "ecdsa-kernel", "expired", "not-yet-valid",
    /// "no-skid", "keyid-mismatch", "no-code-signing".
    pub code: &'static str,
    pub message: String,
}

/// An extension's presence and criticality.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct BasicConstraintsInfo {
    pub ca: bool,
    pub path_len: Option<u8>,
    pub critical: bool,
}

/// A certificate's description and the kernel's view of it.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct CertReport {
    pub path: String,
    pub subject: String,
    pub issuer: String,
    /// Hex, as `openssl x509 -serial` prints it.
    pub serial: String,
    pub not_before: String,
    pub not_after: String,
    /// "RSA-3072", "ECDSA P-256", or the OID of another algorithm.
    pub algorithm: String,
    pub bits: Option<usize>,
    pub signature_algorithm: String,
    pub skid: Option<String>,
    pub akid: Option<String>,
    /// The keyid IMA matches for this certificate (`id:` + it) and signatures must carry.
    pub ima_keyid: String,
    /// The keyid evmctl computes from the public key when signing without --keyid.
    pub computed_keyid: String,
    pub basic_constraints: Option<BasicConstraintsInfo>,
    /// keyUsage bits by their RFC 5280 names ("digitalSignature", "keyCertSign"...).
    pub key_usage: Option<Vec<String>>,
    pub key_usage_critical: bool,
    /// extendedKeyUsage purposes by name ("codeSigning") or OID.
    pub extended_key_usage: Option<Vec<String>>,
    pub self_signed: bool,
    /// CA:TRUE or keyCertSign: a key to vouch for others, not to sign files.
    pub is_ca: bool,
    pub expired: bool,
    /// Whether a kernel >= 6.5 with `.ima` takes it, provided its issuer is trusted.
    pub ima_acceptable: bool,
    pub findings: Vec<Finding>,
}

const KU_NAMES: [(KeyUsages, &str); 9] = [
    (KeyUsages::DigitalSignature, "digitalSignature"),
    (KeyUsages::NonRepudiation, "nonRepudiation"),
    (KeyUsages::KeyEncipherment, "keyEncipherment"),
    (KeyUsages::DataEncipherment, "dataEncipherment"),
    (KeyUsages::KeyAgreement, "keyAgreement"),
    (KeyUsages::KeyCertSign, "keyCertSign"),
    (KeyUsages::CRLSign, "cRLSign"),
    (KeyUsages::EncipherOnly, "encipherOnly"),
    (KeyUsages::DecipherOnly, "decipherOnly"),
];

fn eku_name(oid: &der::asn1::ObjectIdentifier) -> String {
    match oid.to_string().as_str() {
        "1.3.6.1.5.5.7.3.1" => "serverAuth".into(),
        "1.3.6.1.5.5.7.3.2" => "clientAuth".into(),
        "1.3.6.1.5.5.7.3.3" => "codeSigning".into(),
        "1.3.6.1.5.5.7.3.4" => "emailProtection".into(),
        "1.3.6.1.5.5.7.3.8" => "timeStamping".into(),
        "1.3.6.1.5.5.7.3.9" => "OCSPSigning".into(),
        other => other.into(),
    }
}

fn sig_alg_name(oid: &str) -> String {
    match oid {
        "1.2.840.113549.1.1.5" => "sha1WithRSAEncryption".into(),
        "1.2.840.113549.1.1.11" => "sha256WithRSAEncryption".into(),
        "1.2.840.113549.1.1.12" => "sha384WithRSAEncryption".into(),
        "1.2.840.113549.1.1.13" => "sha512WithRSAEncryption".into(),
        "1.2.840.113549.1.1.10" => "RSASSA-PSS".into(),
        "1.2.840.10045.4.3.2" => "ecdsa-with-SHA256".into(),
        "1.2.840.10045.4.3.3" => "ecdsa-with-SHA384".into(),
        "1.2.840.10045.4.3.4" => "ecdsa-with-SHA512".into(),
        other => other.into(),
    }
}

/// "2026-11-26 13:00:00 UTC".
fn time_text(t: &x509_cert::time::Time) -> String {
    let d = t.to_date_time();
    format!(
        "{:04}-{:02}-{:02} {:02}:{:02}:{:02} UTC",
        d.year(),
        d.month(),
        d.day(),
        d.hour(),
        d.minutes(),
        d.seconds()
    )
}

/// Upper-case hex without leading zero bytes, as `openssl x509 -serial` prints it.
fn serial_text(b: &[u8]) -> String {
    let start = b
        .iter()
        .position(|&x| x != 0)
        .unwrap_or(b.len().saturating_sub(1));
    to_hex(&b[start..]).to_uppercase()
}

/// Analyses `cert` as of `now`.
pub fn analyse(cert: &Certificate, now: SystemTime) -> CertReport {
    let tbs = cert.inner().tbs_certificate();
    let subject = cert.subject();
    let issuer = tbs.issuer().to_string();
    let validity = tbs.validity();
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

    let mut bc = None;
    let mut ku: Option<(KeyUsage, bool)> = None;
    let mut eku: Option<Vec<der::asn1::ObjectIdentifier>> = None;
    let mut akid = None;
    for e in tbs.extensions().map(|e| e.as_slice()).unwrap_or(&[]) {
        let v = e.extn_value.as_bytes();
        match e.extn_id.to_string().as_str() {
            "2.5.29.19" => {
                if let Ok(b) = BasicConstraints::from_der(v) {
                    bc = Some(BasicConstraintsInfo {
                        ca: b.ca,
                        path_len: b.path_len_constraint,
                        critical: e.critical,
                    });
                }
            }
            "2.5.29.15" => {
                if let Ok(k) = KeyUsage::from_der(v) {
                    ku = Some((k, e.critical));
                }
            }
            "2.5.29.37" => {
                if let Ok(k) = ExtendedKeyUsage::from_der(v) {
                    eku = Some(k.0);
                }
            }
            "2.5.29.35" => {
                if let Ok(a) = AuthorityKeyIdentifier::from_der(v) {
                    akid = a.key_identifier.map(|k| k.as_bytes().to_vec());
                }
            }
            _ => {}
        }
    }
    let skid = cert.skid();
    let has_ku = |u: KeyUsages| ku.as_ref().is_some_and(|(k, _)| k.0.contains(u));
    let digital_signature = has_ku(KeyUsages::DigitalSignature);
    let key_cert_sign = has_ku(KeyUsages::KeyCertSign);
    let ca_flag = bc.as_ref().is_some_and(|b| b.ca);
    let is_ca = ca_flag || key_cert_sign;
    let same_name = tbs.subject().to_der().ok() == tbs.issuer().to_der().ok();
    let self_signed = same_name
        && match (&akid, &skid) {
            (Some(a), Some(s)) => a == s,
            _ => true,
        };

    let ima_keyid = crate::keyring::kernel_keyid(cert);
    let computed = cert.computed_keyid();
    let mut findings = Vec::new();
    let mut add = |severity, code, message: String| {
        findings.push(Finding {
            severity,
            code,
            message,
        })
    };

    if is_ca {
        add(
            Severity::Error,
            "ca-cert",
            format!(
                "a CA certificate ({}): kernels >= 6.5 refuse it in .ima (ENOKEY). A CA \
                 belongs in .builtin_trusted_keys (CONFIG_SYSTEM_TRUSTED_KEYS) or \
                 .secondary_trusted_keys, where it vouches for IMA keys; make the signing \
                 key with 'imactl key new'",
                match (ca_flag, key_cert_sign) {
                    (true, true) => "CA:TRUE, keyCertSign",
                    (true, false) => "CA:TRUE",
                    _ => "keyCertSign",
                }
            ),
        );
    }
    if !digital_signature {
        add(
            Severity::Error,
            "no-digital-signature",
            if ku.is_none() {
                "no keyUsage extension, so no digitalSignature usage: kernels >= 6.5 refuse \
                 it in .ima and .evm (ENOKEY); 6.1 takes it"
                    .to_string()
            } else {
                "keyUsage lacks digitalSignature: kernels >= 6.5 refuse it in .ima and .evm \
                 (ENOKEY); 6.1 takes it"
                    .to_string()
            },
        );
    }
    if self_signed && is_ca {
        add(
            Severity::Info,
            "self-signed",
            "self-signed: a root CA, trusted only where it is put (built in, or enrolled)"
                .to_string(),
        );
    } else if self_signed {
        add(
            Severity::Error,
            "self-signed",
            "self-signed: no kernel-made .ima takes it (ENOKEY), since no trusted key signed \
             it. It works only in a userspace _ima keyring, which any root process can fill \
             with its own keys: protection against accidents, not against root"
                .to_string(),
        );
    } else {
        let by = match &akid {
            Some(a) => format!("{issuer} (key id {})", to_hex(a)),
            None => issuer.clone(),
        };
        add(
            Severity::Info,
            "needs-trusted-issuer",
            format!(
                ".ima takes it only when the kernel holds its issuer {by} in \
                 .builtin_trusted_keys (built in with CONFIG_SYSTEM_TRUSTED_KEYS), or in \
                 .secondary_trusted_keys with \
                 CONFIG_IMA_KEYRINGS_PERMIT_SIGNED_BY_BUILTIN_OR_SECONDARY"
            ),
        );
    }
    match key_algo {
        Some(KeyAlgorithm::Rsa { bits }) => {
            if bits > 4096 {
                add(
                    Severity::Error,
                    "rsa-size",
                    format!(
                        "RSA-{bits}: the kernel's RSA supports at most 4096 bits; signatures \
                         made with this key cannot be verified"
                    ),
                );
            } else if ![1024, 1536, 2048, 3072, 4096].contains(&bits) {
                add(
                    Severity::Error,
                    "rsa-size",
                    format!(
                        "RSA-{bits}: the kernel's RSA takes only 1024, 1536, 2048, 3072 and \
                         4096-bit moduli (crypto/rsa.c)"
                    ),
                );
            } else if bits < 2048 {
                add(
                    Severity::Warning,
                    "rsa-size",
                    format!("RSA-{bits}: too weak, and refused by kernels in FIPS mode"),
                );
            }
        }
        Some(a) => {
            let extra = match a {
                KeyAlgorithm::EcdsaP521 => "; P-521 only since 6.10",
                _ => "",
            };
            add(
                Severity::Warning,
                "ecdsa-kernel",
                format!(
                    "{a}: the kernel needs CONFIG_CRYPTO_ECDSA (Debian's 6.1 lacks it: \
                     add_key fails with ENOENT; 6.12 has it){extra}"
                ),
            );
        }
        None => add(
            Severity::Error,
            "unsupported-key",
            format!("public key algorithm {algorithm}: IMA signs with RSA or ECDSA keys"),
        ),
    }
    if expired {
        add(
            Severity::Warning,
            "expired",
            format!(
                "expired on {}: the kernel does not check certificate dates when it loads a \
                 key, but openssl verify and other tools refuse it; issue a new one",
                time_text(&validity.not_after)
            ),
        );
    }
    if not_yet {
        add(
            Severity::Warning,
            "not-yet-valid",
            format!(
                "not valid before {} (the kernel ignores dates; other tools refuse it)",
                time_text(&validity.not_before)
            ),
        );
    }
    match &skid {
        None => add(
            Severity::Warning,
            "no-skid",
            format!(
                "no Subject Key Identifier: the kernel matches the key as id:{} (from the \
                 issuer), while evmctl signs with the computed keyid {}; sign with \
                 --keyid {}",
                to_hex(&ima_keyid),
                to_hex(&computed),
                to_hex(&ima_keyid)
            ),
        ),
        Some(_) if ima_keyid != computed => add(
            Severity::Warning,
            "keyid-mismatch",
            format!(
                "the SKID is not the SHA-1 of the key: the kernel matches id:{}, evmctl \
                 computes {}; sign with --keyid {} (or --keyid-from-cert)",
                to_hex(&ima_keyid),
                to_hex(&computed),
                to_hex(&ima_keyid)
            ),
        ),
        Some(_) => {}
    }
    if !is_ca
        && !eku
            .as_ref()
            .is_some_and(|e| e.contains(&OID_KP_CODE_SIGNING))
    {
        add(
            Severity::Info,
            "no-code-signing",
            "no extendedKeyUsage codeSigning: the kernel does not check it, but it says \
             what the key is for"
                .to_string(),
        );
    }

    let ima_acceptable = !findings.iter().any(|f| f.severity == Severity::Error);
    CertReport {
        path: cert.path().display().to_string(),
        subject,
        issuer,
        serial: serial_text(tbs.serial_number().as_bytes()),
        not_before: time_text(&validity.not_before),
        not_after: time_text(&validity.not_after),
        algorithm,
        bits,
        signature_algorithm: sig_alg_name(&cert.inner().signature_algorithm().oid.to_string()),
        skid: skid.as_ref().map(|s| to_hex(s)),
        akid: akid.as_ref().map(|s| to_hex(s)),
        ima_keyid: to_hex(&ima_keyid),
        computed_keyid: to_hex(&computed),
        basic_constraints: bc,
        key_usage: ku.as_ref().map(|(k, _)| {
            KU_NAMES
                .iter()
                .filter(|(u, _)| k.0.contains(*u))
                .map(|(_, n)| n.to_string())
                .collect()
        }),
        key_usage_critical: ku.as_ref().is_some_and(|(_, c)| *c),
        extended_key_usage: eku.map(|v| v.iter().map(eku_name).collect()),
        self_signed,
        is_ca,
        expired,
        ima_acceptable,
        findings,
    }
}

impl CertReport {
    /// The report as text, one field a line, then the kernel's view.
    pub fn to_text(&self) -> String {
        let opt = |o: &Option<String>| o.clone().unwrap_or_else(|| "-".into());
        let list = |o: &Option<Vec<String>>| match o {
            None => "(absent)".to_string(),
            Some(v) if v.is_empty() => "(empty)".to_string(),
            Some(v) => v.join(", "),
        };
        let bc = match &self.basic_constraints {
            None => "(absent)".to_string(),
            Some(b) => format!(
                "CA:{}{}{}",
                if b.ca { "TRUE" } else { "FALSE" },
                b.path_len
                    .map(|p| format!(", pathlen:{p}"))
                    .unwrap_or_default(),
                if b.critical { " (critical)" } else { "" }
            ),
        };
        let mut s = format!(
            "{}\n  subject:            {}\n  issuer:             {}{}\n  serial:             {}\n  \
             valid:              {} to {}{}\n  key:                {}\n  signature:          {}\n  \
             SKID:               {}\n  AKID:               {}\n  IMA keyid:          id:{}{}\n  \
             basicConstraints:   {}\n  keyUsage:           {}{}\n  extendedKeyUsage:   {}\n",
            self.path,
            self.subject,
            self.issuer,
            if self.self_signed { " (self-signed)" } else { "" },
            self.serial,
            self.not_before,
            self.not_after,
            if self.expired { " (EXPIRED)" } else { "" },
            self.algorithm,
            self.signature_algorithm,
            opt(&self.skid),
            opt(&self.akid),
            self.ima_keyid,
            if self.ima_keyid != self.computed_keyid {
                format!(" (evmctl computes {})", self.computed_keyid)
            } else {
                String::new()
            },
            bc,
            list(&self.key_usage),
            if self.key_usage_critical {
                " (critical)"
            } else {
                ""
            },
            list(&self.extended_key_usage),
        );
        s.push_str(&format!(
            "  as an IMA key:      {}\n",
            if self.ima_acceptable {
                "usable in .ima if its issuer is trusted"
            } else {
                "REFUSED by .ima"
            }
        ));
        for f in &self.findings {
            let tag = match f.severity {
                Severity::Error => "refused",
                Severity::Warning => "warning",
                Severity::Info => "note",
            };
            s.push_str(&format!("  - {tag}: {}\n", f.message));
        }
        s
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
