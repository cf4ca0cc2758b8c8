//! The report on one certificate: its description, the findings, and the text
//! `imactl key show` prints.

use serde::Serialize;

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
    /// Whether `.machine` takes it from MokListRT under INTEGRITY_CA_MACHINE_KEYRING:
    /// CA:TRUE and keyCertSign (restrict_link_by_ca); otherwise it goes to `.platform`.
    pub machine_acceptable: bool,
    /// The same under INTEGRITY_CA_MACHINE_KEYRING_MAX, which also demands no
    /// digitalSignature.
    pub machine_acceptable_max: bool,
    pub findings: Vec<Finding>,
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
                "usable in .ima if its issuer is trusted (digitalSignature, not a CA, no \
                 keyCertSign: .ima takes it when a key in .builtin_trusted_keys, or with \
                 IMA_KEYRINGS_PERMIT_SIGNED_BY_BUILTIN_OR_SECONDARY in .secondary_trusted_keys \
                 or .machine, signed it)"
            } else {
                "REFUSED by .ima"
            }
        ));
        s.push_str(&format!(
            "  into .machine:      {}\n",
            match (self.machine_acceptable, self.machine_acceptable_max) {
                (true, true) =>
                    "yes from MokListRT (CA:TRUE, keyCertSign, no digitalSignature: \
                     also under INTEGRITY_CA_MACHINE_KEYRING_MAX)",
                (true, false) =>
                    "only without INTEGRITY_CA_MACHINE_KEYRING_MAX (it has \
                     digitalSignature); under _MAX it goes to .platform, which .ima does not trust",
                _ =>
                    "no under INTEGRITY_CA_MACHINE_KEYRING[_MAX] (needs CA:TRUE and \
                     keyCertSign): from MokListRT it goes to .platform, which .ima does not trust",
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
