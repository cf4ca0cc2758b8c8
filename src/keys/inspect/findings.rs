//! The findings: what the kernel (and other tools) will think of a certificate as an IMA
//! key, one concern a function. Facts from trust-chain.md.

use super::report::{Finding, Severity};
use crate::hash::to_hex;
use crate::keys::public::KeyAlgorithm;

/// What the findings are drawn from, read off the certificate.
pub(super) struct Observed<'a> {
    /// basicConstraints CA:TRUE.
    pub(super) ca_flag: bool,
    /// keyUsage keyCertSign.
    pub(super) key_cert_sign: bool,
    /// keyUsage digitalSignature.
    pub(super) digital_signature: bool,
    /// A keyUsage extension is present.
    pub(super) has_key_usage: bool,
    pub(super) self_signed: bool,
    pub(super) issuer: &'a str,
    pub(super) akid: Option<&'a [u8]>,
    /// None: an algorithm the kernel cannot use.
    pub(super) key_algo: Option<KeyAlgorithm>,
    /// The algorithm's name, or its OID.
    pub(super) algorithm: &'a str,
    pub(super) expired: bool,
    pub(super) not_yet: bool,
    pub(super) not_before: &'a str,
    pub(super) not_after: &'a str,
    pub(super) skid: Option<&'a [u8]>,
    /// The keyid the kernel matches, and the one evmctl computes.
    pub(super) ima_keyid: [u8; 4],
    pub(super) computed: [u8; 4],
    /// extendedKeyUsage has codeSigning.
    pub(super) code_signing: bool,
}

impl Observed<'_> {
    /// CA:TRUE or keyCertSign: a key to vouch for others, not to sign files.
    pub(super) fn is_ca(&self) -> bool {
        self.ca_flag || self.key_cert_sign
    }
}

/// The findings, in the order they are reported.
#[derive(Default)]
struct Findings(Vec<Finding>);

impl Findings {
    fn add(&mut self, severity: Severity, code: &'static str, message: String) {
        self.0.push(Finding {
            severity,
            code,
            message,
        })
    }
}

/// Everything found about `o`.
pub(super) fn findings(o: &Observed) -> Vec<Finding> {
    let mut out = Findings::default();
    role(o, &mut out);
    key_algorithm(o, &mut out);
    validity(o, &mut out);
    keyid(o, &mut out);
    purpose(o, &mut out);
    out.0
}

/// A CA or a signing key; who must vouch for it.
fn role(o: &Observed, out: &mut Findings) {
    if o.is_ca() {
        out.add(
            Severity::Error,
            "ca-cert",
            format!(
                "a CA certificate ({}): kernels >= 6.5 refuse it in .ima (ENOKEY). A CA \
                 belongs in .builtin_trusted_keys (CONFIG_SYSTEM_TRUSTED_KEYS) or \
                 .secondary_trusted_keys, where it vouches for IMA keys; make the signing \
                 key with 'imactl key new'",
                match (o.ca_flag, o.key_cert_sign) {
                    (true, true) => "CA:TRUE, keyCertSign",
                    (true, false) => "CA:TRUE",
                    _ => "keyCertSign",
                }
            ),
        );
    }
    if !o.digital_signature {
        out.add(
            Severity::Error,
            "no-digital-signature",
            if !o.has_key_usage {
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
    if o.self_signed && o.is_ca() {
        out.add(
            Severity::Info,
            "self-signed",
            "self-signed: a root CA, trusted only where it is put (built in, or enrolled)"
                .to_string(),
        );
    } else if o.self_signed {
        out.add(
            Severity::Error,
            "self-signed",
            "self-signed: no kernel-made .ima takes it (ENOKEY), since no trusted key signed \
             it. It works only in a userspace _ima keyring, which any root process can fill \
             with its own keys: protection against accidents, not against root"
                .to_string(),
        );
    } else {
        let by = match o.akid {
            Some(a) => format!("{} (key id {})", o.issuer, to_hex(a)),
            None => o.issuer.to_string(),
        };
        out.add(
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
}

/// What the kernel's crypto takes.
fn key_algorithm(o: &Observed, out: &mut Findings) {
    match o.key_algo {
        Some(KeyAlgorithm::Rsa { bits }) => {
            if bits > 4096 {
                out.add(
                    Severity::Error,
                    "rsa-size",
                    format!(
                        "RSA-{bits}: the kernel's RSA supports at most 4096 bits; signatures \
                         made with this key cannot be verified"
                    ),
                );
            } else if ![1024, 1536, 2048, 3072, 4096].contains(&bits) {
                out.add(
                    Severity::Error,
                    "rsa-size",
                    format!(
                        "RSA-{bits}: the kernel's RSA takes only 1024, 1536, 2048, 3072 and \
                         4096-bit moduli (crypto/rsa.c)"
                    ),
                );
            } else if bits < 2048 {
                out.add(
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
            out.add(
                Severity::Warning,
                "ecdsa-kernel",
                format!(
                    "{a}: the kernel needs CONFIG_CRYPTO_ECDSA (Debian's 6.1 lacks it: \
                     add_key fails with ENOENT; 6.12 has it){extra}"
                ),
            );
        }
        None => out.add(
            Severity::Error,
            "unsupported-key",
            format!(
                "public key algorithm {}: IMA signs with RSA or ECDSA keys",
                o.algorithm
            ),
        ),
    }
}

/// The dates, which the kernel ignores and other tools do not.
fn validity(o: &Observed, out: &mut Findings) {
    if o.expired {
        out.add(
            Severity::Warning,
            "expired",
            format!(
                "expired on {}: the kernel does not check certificate dates when it loads a \
                 key, but openssl verify and other tools refuse it; issue a new one",
                o.not_after
            ),
        );
    }
    if o.not_yet {
        out.add(
            Severity::Warning,
            "not-yet-valid",
            format!(
                "not valid before {} (the kernel ignores dates; other tools refuse it)",
                o.not_before
            ),
        );
    }
}

/// The keyid the kernel matches against the one evmctl computes.
fn keyid(o: &Observed, out: &mut Findings) {
    match o.skid {
        None => out.add(
            Severity::Warning,
            "no-skid",
            format!(
                "no Subject Key Identifier: the kernel matches the key as id:{} (from the \
                 issuer), while evmctl signs with the computed keyid {}; sign with \
                 --keyid {}",
                to_hex(&o.ima_keyid),
                to_hex(&o.computed),
                to_hex(&o.ima_keyid)
            ),
        ),
        Some(_) if o.ima_keyid != o.computed => out.add(
            Severity::Warning,
            "keyid-mismatch",
            format!(
                "the SKID is not the SHA-1 of the key: the kernel matches id:{}, evmctl \
                 computes {}; sign with --keyid {} (or --keyid-from-cert)",
                to_hex(&o.ima_keyid),
                to_hex(&o.computed),
                to_hex(&o.ima_keyid)
            ),
        ),
        Some(_) => {}
    }
}

/// What the key says it is for.
fn purpose(o: &Observed, out: &mut Findings) {
    if !o.is_ca() && !o.code_signing {
        out.add(
            Severity::Info,
            "no-code-signing",
            "no extendedKeyUsage codeSigning: the kernel does not check it, but it says \
             what the key is for"
                .to_string(),
        );
    }
}
