//! `imactl status --kexec IMAGE`: will this kernel load IMAGE with kexec_file_load? The
//! gates in the kernel's order (kernel/kexec_file.c and security/integrity/ima/, read for
//! facts): IMA appraisal of the image at KEXEC_KERNEL_CHECK (and of the initrd at
//! KEXEC_INITRAMFS_CHECK), then kimage_validate_signature(): a valid PE signature, or, when
//! PE signatures are not enforced, either no lockdown or an IMA rule that will demand a
//! signature. Pure: the evidence about the files ([`Evidence`], from [`super::evidence`])
//! and the facts in, a [`Preflight`] out.
//!
//! A compressed image ([`super::compressed`]) is never the file the kernel appraises:
//! kexec-tools hands `kexec_file_load` a decompressed copy (a temporary file or a memfd)
//! without `security.ima`, or cannot load it at all; the image's own signature never counts.

use serde::Serialize;

use super::compressed::Compression;
use super::facts::{Facts, PolicyFile};
use crate::policy::parse::{parse_policy, ParsedRule};
use crate::policy::{Action, AppraiseType, Condition, Func, Term};

/// What one gate says.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
#[serde(tag = "result", content = "reason", rename_all = "lowercase")]
pub enum Gate {
    Pass(String),
    Refuse(String),
    Unknown(String),
}

/// The IMA value of a file, checked.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
#[serde(tag = "kind", content = "detail", rename_all = "kebab-case")]
pub enum ImaCheck {
    /// No security.ima.
    None,
    /// A hash; whether it matches the file.
    Hash(bool),
    /// A signature that verifies (with which key).
    ValidSignature(String),
    /// A signature that does not verify, or whose key is not there (why).
    BadSignature(String),
    /// A signature that could not be checked (no keys given).
    Unchecked(String),
}

/// What was found in one file (the image or the initrd).
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct FileEvidence {
    pub path: String,
    pub ima: ImaCheck,
    /// An appended signature (modsig): None when there is none; Ok(who) when it verifies.
    pub modsig: Option<Result<String, String>>,
}

/// The PE signature of the image.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct PeCheck {
    /// A signature is present in the certificate table.
    pub present: bool,
    /// The signer's subject, when one was found.
    pub signer: Option<String>,
    /// Whether the image's Authenticode digest matches the signed one.
    pub digest_matches: Option<bool>,
    /// Why the signature is unusable (malformed, digest mismatch, signature invalid).
    pub problem: Option<String>,
    /// The firmware certificate that vouches for the signer ("db[0] CN=...").
    pub trusted_by: Option<String>,
    /// Which lists were read ("db: 1 certificate", "MokListRT: not readable").
    pub lists: Vec<String>,
    /// None: the lists could not say (none readable).
    pub trust_known: bool,
    /// Why the kernel's revocation lists refuse the signature, naming the list and the
    /// entry ("dbx revokes the signer certificate CN=... (tbs sha256:...)").
    pub revoked: Option<String>,
    /// Which revocation lists were read ("dbx: 3 entries (...)", "MokListXRT: not
    /// readable", ".blacklist keyring: ...").
    pub revocation_lists: Vec<String>,
    /// Whether every revocation list the kernel holds could be read.
    pub revocation_known: bool,
}

impl PeCheck {
    /// The kernel would accept the signature (present, intact, trusted, not revoked).
    pub fn valid(&self) -> bool {
        self.present
            && self.problem.is_none()
            && self.trusted_by.is_some()
            && self.revoked.is_none()
    }
}

/// Everything known about the image and its initrd.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Evidence {
    pub image: FileEvidence,
    pub pe: PeCheck,
    pub initrd: Option<FileEvidence>,
    /// The image's compression, by its content (None: not compressed).
    pub compression: Option<Compression>,
}

/// The answer, with the gates that led to it.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Preflight {
    pub evidence: Evidence,
    pub gates: Vec<(String, Gate)>,
    /// "load", "refuse" or "unknown".
    pub prediction: &'static str,
    pub reason: String,
}

/// The policy rules in force, and where they come from.
fn rules(f: &Facts) -> Result<Vec<ParsedRule>, String> {
    match &f.policy {
        PolicyFile::Readable(t) => Ok(parse_policy(t).rules),
        PolicyFile::NoImaDir => Ok(Vec::new()),
        PolicyFile::Removed | PolicyFile::WriteOnly => Err(
            "the policy in force cannot be read (no CONFIG_IMA_READ_POLICY, or the file is gone)"
                .into(),
        ),
    }
}

fn matches_func(r: &ParsedRule, func: Func) -> bool {
    r.rule.func().is_none_or(|f| f == func)
}

fn source(r: &ParsedRule) -> String {
    r.source
        .split('#')
        .next()
        .unwrap_or(&r.source)
        .trim()
        .to_string()
}

/// The rule that decides the appraisal of a file read for `func`: the first appraise or
/// dont_appraise rule whose func matches (or that has none). Err: a rule with other
/// conditions comes first, and whether it matches is not known here.
fn deciding_rule(rules: &[ParsedRule], func: Func) -> Result<Option<&ParsedRule>, String> {
    for r in rules {
        if r.rule.action.family() != Action::Appraise || !matches_func(r, func) {
            continue;
        }
        let narrowed = r
            .rule
            .terms
            .iter()
            .any(|t| matches!(t, Term::Cond(c) if !matches!(c, Condition::Func(_))));
        if narrowed {
            return Err(format!(
                "'{}' has conditions this preflight does not evaluate",
                source(r)
            ));
        }
        return Ok(Some(r));
    }
    Ok(None)
}

/// ima_appraise_signature(READING_KEXEC_IMAGE): the first `appraise` rule (not
/// dont_appraise) for KEXEC_KERNEL_CHECK or without func requires a signature; its other
/// conditions are not looked at.
fn ima_vouches_for_lockdown(rules: &[ParsedRule]) -> Option<String> {
    let r = rules
        .iter()
        .find(|r| r.rule.action == Action::Appraise && matches_func(r, Func::KexecKernelCheck))?;
    matches!(
        r.rule.appraise_type(),
        Some(AppraiseType::Imasig | AppraiseType::ImasigModsig)
    )
    .then(|| source(r))
}

/// IMA appraisal of one file under the deciding rule.
fn ima_gate(f: &Facts, func: Func, file: &FileEvidence, enforcing: bool) -> Gate {
    let rules = match rules(f) {
        Ok(r) => r,
        Err(e) => return Gate::Unknown(e),
    };
    let rule = match deciding_rule(&rules, func) {
        Ok(Some(r)) if r.rule.action == Action::Appraise => r,
        Ok(_) => {
            return Gate::Pass(format!(
                "no IMA appraise rule for {} is in force",
                func_name(func)
            ))
        }
        Err(e) => return Gate::Unknown(e),
    };
    let text = source(rule);
    if !enforcing {
        return Gate::Pass(format!(
            "'{text}' applies, but appraisal does not enforce (ima_appraise= on the command line)"
        ));
    }
    let at = rule.rule.appraise_type();
    let sig_required = matches!(
        at,
        Some(AppraiseType::Imasig | AppraiseType::ImasigModsig | AppraiseType::Sigv3)
    );
    let modsig_ok = at == Some(AppraiseType::ImasigModsig);
    if modsig_ok {
        if let Some(Ok(who)) = &file.modsig {
            return Gate::Pass(format!("'{text}': the appended signature verifies ({who})"));
        }
    }
    match &file.ima {
        ImaCheck::ValidSignature(who) => Gate::Pass(format!(
            "'{text}': security.ima is a signature that verifies ({who})"
        )),
        ImaCheck::Hash(true) if !sig_required => {
            Gate::Pass(format!("'{text}': security.ima holds the file's hash"))
        }
        ImaCheck::Unchecked(why) => Gate::Unknown(format!("'{text}': {why}")),
        other => Gate::Refuse(format!(
            "'{text}' refuses {}: {}",
            file.path,
            match other {
                ImaCheck::None => match &file.modsig {
                    Some(Err(e)) if modsig_ok => format!("the appended signature fails: {e}"),
                    _ => "no security.ima".to_string(),
                },
                ImaCheck::Hash(true) => "a hash where a signature is required".to_string(),
                ImaCheck::Hash(false) => "security.ima holds another file's hash".to_string(),
                ImaCheck::BadSignature(e) => format!("the IMA signature fails: {e}"),
                _ => String::new(),
            }
        )),
    }
}

fn func_name(func: Func) -> &'static str {
    match func {
        Func::KexecInitramfsCheck => "KEXEC_INITRAMFS_CHECK",
        _ => "KEXEC_KERNEL_CHECK",
    }
}

/// Whether the kernel enforces PE signatures: KEXEC_SIG_FORCE, or the IMA arch policy
/// under Secure Boot with KEXEC_SIG (set_kexec_sig_enforced()).
pub fn pe_enforced(f: &Facts) -> Option<(bool, String)> {
    let c = f.config.as_ref()?;
    if !c.enabled("KEXEC_SIG") {
        return Some((false, "CONFIG_KEXEC_SIG is not set".into()));
    }
    if c.enabled("KEXEC_SIG_FORCE") {
        return Some((true, "CONFIG_KEXEC_SIG_FORCE=y".into()));
    }
    if !c.enabled("IMA_ARCH_POLICY") {
        return Some((
            false,
            "CONFIG_KEXEC_SIG=y without KEXEC_SIG_FORCE or IMA_ARCH_POLICY".into(),
        ));
    }
    match f.secure_boot_effective() {
        Some(true) => Some((
            true,
            "CONFIG_KEXEC_SIG and the IMA arch policy under Secure Boot \
             (set_kexec_sig_enforced)"
                .into(),
        )),
        Some(false) => Some((
            false,
            "the IMA arch policy is inactive (Secure Boot is off)".into(),
        )),
        None => None,
    }
}

/// The lockdown level in force (`none`, `integrity`, `confidentiality`): read from
/// securityfs, else inferred where the configuration decides it (no lockdown LSM: none;
/// Secure Boot with LOCK_DOWN_IN_EFI_SECURE_BOOT: integrity at least).
fn lockdown(f: &Facts) -> Option<String> {
    if let Some(l) = f.lockdown.as_deref() {
        let start = l.find('[')?;
        let end = l[start..].find(']')? + start;
        return Some(l[start + 1..end].to_string());
    }
    let c = f.config.as_ref()?;
    if !c.enabled("SECURITY_LOCKDOWN_LSM") {
        return Some("none".into());
    }
    if c.enabled("LOCK_DOWN_IN_EFI_SECURE_BOOT") && f.secure_boot_effective() == Some(true) {
        return Some("integrity".into());
    }
    None
}

/// The option that gives the image loader of `arch` its PE check (`.verify_sig`):
/// arch/x86/kernel/kexec-bzimage64.c and arch/arm64/kernel/kexec_image.c. Without it,
/// kexec_image_verify_sig() rejects every image (EKEYREJECTED), as for a bad signature.
fn pe_verify_option(arch: &str) -> Option<&'static str> {
    match arch {
        "x86_64" => Some("KEXEC_BZIMAGE_VERIFY_SIG"),
        "aarch64" => Some("KEXEC_IMAGE_VERIFY_SIG"),
        _ => None,
    }
}

/// kimage_validate_signature(), for a kernel of architecture `arch`.
fn pe_gate(f: &Facts, pe: &PeCheck, enforcing: bool, arch: &str) -> Gate {
    let Some(c) = f.config.as_ref() else {
        return Gate::Unknown("the kernel configuration was not found".into());
    };
    if !c.enabled("KEXEC_SIG") {
        return Gate::Pass(
            "CONFIG_KEXEC_SIG is not set: no PE check, lockdown not consulted".into(),
        );
    }
    let Some(option) = pe_verify_option(arch) else {
        return Gate::Unknown(format!(
            "the PE check of a {arch} kernel's image loader is not modelled here"
        ));
    };
    let verify = c.enabled(option);
    let pe_words = pe_words(pe, verify, option);
    if pe.valid() && verify {
        if pe.revocation_known {
            return Gate::Pass(pe_words);
        }
        // A list the kernel holds was not read: an entry there would refuse the
        // signature, which matters unless the image loads without one.
        let unread = pe
            .revocation_lists
            .iter()
            .filter(|l| l.contains("not readable"))
            .cloned()
            .collect::<Vec<_>>()
            .join("; ");
        let words = format!(
            "{pe_words}, but whether the kernel's revocation lists revoke it is not known \
             ({unread})"
        );
        return match without_valid_pe(f, words, enforcing) {
            Gate::Pass(r) => Gate::Pass(r),
            Gate::Refuse(r) | Gate::Unknown(r) => Gate::Unknown(r),
        };
    }
    let unsure = !pe.trust_known && pe.present && pe.problem.is_none() && pe.revoked.is_none();
    match without_valid_pe(f, pe_words, enforcing) {
        Gate::Refuse(r) if unsure => Gate::Unknown(r),
        g => g,
    }
}

/// kimage_validate_signature() when the PE signature does not verify: refused when PE
/// signatures are enforced, or under lockdown unless IMA will demand a signature.
fn without_valid_pe(f: &Facts, pe_words: String, enforcing: bool) -> Gate {
    let Some(c) = f.config.as_ref() else {
        return Gate::Unknown("the kernel configuration was not found".into());
    };
    match pe_enforced(f) {
        None => return Gate::Unknown("whether Secure Boot is on cannot be read".into()),
        Some((true, why)) => {
            return Gate::Refuse(format!("PE signatures are enforced ({why}): {pe_words}"))
        }
        Some((false, _)) => {}
    }
    match lockdown(f).as_deref() {
        None => Gate::Unknown(format!("{pe_words}, and the lockdown state cannot be read")),
        Some("none") => Gate::Pass(format!("{pe_words}; not enforced, no lockdown")),
        Some(level) => {
            let rules = match rules(f) {
                Ok(r) => r,
                Err(e) => return Gate::Unknown(format!("{pe_words}; lockdown {level}; {e}")),
            };
            let digsig_capable =
                c.enabled("IMA_APPRAISE") && c.enabled("INTEGRITY_TRUSTED_KEYRING");
            match ima_vouches_for_lockdown(&rules) {
                Some(r) if digsig_capable && enforcing => Gate::Pass(format!(
                    "{pe_words}; lockdown {level} is satisfied by IMA: '{r}' demands a signature"
                )),
                _ => Gate::Refuse(format!(
                    "{pe_words}; lockdown {level} refuses it with EPERM (kexec of unsigned \
                     images is restricted): the first IMA appraise rule for KEXEC_KERNEL_CHECK \
                     does not demand a signature"
                )),
            }
        }
    }
}

fn pe_words(pe: &PeCheck, verify_enabled: bool, option: &str) -> String {
    if !pe.present {
        return "no PE signature".into();
    }
    if let Some(p) = &pe.problem {
        return format!("the PE signature is unusable: {p}");
    }
    if !verify_enabled {
        return format!("a PE signature, but CONFIG_{option} is not set");
    }
    if let Some(r) = &pe.revoked {
        return format!(
            "the PE signature is revoked (the kernel's check fails with EKEYREJECTED): {r}"
        );
    }
    match &pe.trusted_by {
        Some(t) => format!("a valid PE signature, trusted through {t}"),
        None if pe.trust_known => format!(
            "a PE signature by {} that no certificate in db or MokListRT (or key in the \
             kernel's PE keyrings) vouches for",
            pe.signer.as_deref().unwrap_or("an unknown signer")
        ),
        None => "a PE signature, and neither db nor MokListRT is readable".into(),
    }
}

/// What kexec-tools does with a compressed image on `arch`, before any system call: on
/// arm64 it decompresses a gzip-compressed Image (every Debian build links zlib); anything
/// else depends on its version and build.
fn format_gate(c: &Compression, path: &str, arch: &str) -> Gate {
    if arch == "aarch64" && *c == Compression::Gzip {
        return Gate::Pass(format!(
            "{path} is gzip-compressed: kexec-tools decompresses it on arm64 and hands \
             kexec_file_load the decompressed copy"
        ));
    }
    Gate::Unknown(format!(
        "{path} is {}: whether kexec-tools can load it at all depends on its version and \
         build ({}); load the uncompressed image",
        c.words(),
        what_kexec_tools_does(c, arch)
    ))
}

/// kexec-tools' handling of a compressed image other than gzip on arm64 (kexec.c,
/// zlib.c, lzma.c, kexec-pe-zboot.c, read for facts).
fn what_kexec_tools_does(c: &Compression, arch: &str) -> String {
    let without = match c {
        Compression::Gzip => "zlib, as Debian 12's amd64 kexec-tools is",
        Compression::Xz | Compression::Lzma => "liblzma, as Debian 12's amd64 and arm64 builds are",
        Compression::Zstd => "libzstd (before 2.0.31 it has no zstd support at all)",
        Compression::EfiZboot(_) => "EFI zboot support (before 2.0.27, as Debian 12's is)",
    };
    let loader = if arch == "x86_64" {
        "kexec_file_load on x86_64 takes only a bzImage: "
    } else {
        ""
    };
    format!(
        "{loader}a kexec-tools built without {without} cannot determine its file type and \
         never calls kexec_file_load; 2.0.25 with the library hands the kernel the compressed \
         file itself, which no kernel image loader recognises (ENOEXEC); 2.0.27 and later \
         hand it a memfd holding the decompressed image, which has no security.ima"
    )
}

/// IMA appraisal of a compressed image: what the kernel appraises is the decompressed copy
/// kexec-tools hands it, which has no security.ima and no appended signature.
fn compressed_ima_gate(
    f: &Facts,
    c: &Compression,
    path: &str,
    arch: &str,
    enforcing: bool,
) -> Gate {
    let copy = FileEvidence {
        path: format!("the decompressed copy of {path}"),
        ima: ImaCheck::None,
        modsig: None,
    };
    match ima_gate(f, Func::KexecKernelCheck, &copy, enforcing) {
        Gate::Refuse(inner) if arch == "aarch64" && *c == Compression::Gzip => {
            Gate::Refuse(format!(
                "{path} is gzip-compressed: kexec-tools decompresses it into a temporary \
                 file (/tmp/ImageXXXXXX in 2.0.25, a memfd from 2.0.27) and hands that file \
                 to kexec_file_load; IMA appraises the temporary file, which has no \
                 security.ima, so this file's signature never counts ({inner}). Sign the \
                 uncompressed Image and load that"
            ))
        }
        Gate::Refuse(inner) => Gate::Refuse(format!(
            "{path} is {}, and no signature on it counts: {}; so the kernel never appraises \
             this file ({inner}). Sign the uncompressed image and load that",
            c.words(),
            what_kexec_tools_does(c, arch)
        )),
        Gate::Pass(r) => Gate::Pass(format!(
            "{r}; kexec_file_load is handed the decompressed copy of {path}, which has no \
             security.ima"
        )),
        Gate::Unknown(r) => Gate::Unknown(format!(
            "{r}; kexec_file_load is handed the decompressed copy of {path}, which has no \
             security.ima"
        )),
    }
}

/// The prediction for the evidence on this machine (the architecture imactl was built
/// for, which is the running kernel's).
pub fn predict(f: &Facts, ev: Evidence, appraise_enforcing: bool) -> Preflight {
    predict_on(f, ev, appraise_enforcing, std::env::consts::ARCH)
}

/// [`predict`] for a kernel of architecture `arch` (Rust's names: x86_64, aarch64).
pub fn predict_on(f: &Facts, ev: Evidence, appraise_enforcing: bool, arch: &str) -> Preflight {
    let mut gates = Vec::new();
    let image_gate = match &ev.compression {
        None => ima_gate(f, Func::KexecKernelCheck, &ev.image, appraise_enforcing),
        Some(c) => {
            gates.push(("format".to_string(), format_gate(c, &ev.image.path, arch)));
            compressed_ima_gate(f, c, &ev.image.path, arch, appraise_enforcing)
        }
    };
    gates.push(("ima-image".to_string(), image_gate));
    let pe = match (
        pe_gate(f, &ev.pe, appraise_enforcing, arch),
        &ev.compression,
    ) {
        // The PE signature that matters is the decompressed image's, not read here.
        (Gate::Refuse(r), Some(c)) => Gate::Unknown(format!(
            "the image is {}: the PE signature of the decompressed image is not checked \
             here ({r})",
            c.words()
        )),
        (g, _) => g,
    };
    gates.push(("pe".to_string(), pe));
    if let Some(i) = &ev.initrd {
        gates.push((
            "ima-initrd".to_string(),
            ima_gate(f, Func::KexecInitramfsCheck, i, appraise_enforcing),
        ));
    }
    let refused = gates.iter().find_map(|(_, g)| match g {
        Gate::Refuse(r) => Some(r.clone()),
        _ => None,
    });
    let unknown = gates.iter().find_map(|(_, g)| match g {
        Gate::Unknown(r) => Some(r.clone()),
        _ => None,
    });
    let (prediction, reason) = match (refused, unknown) {
        (Some(r), _) => ("refuse", r),
        (None, Some(u)) => ("unknown", u),
        (None, None) => ("load", "every gate passes".to_string()),
    };
    Preflight {
        evidence: ev,
        gates,
        prediction,
        reason,
    }
}

/// Whether IMA appraisal enforces: no ima_appraise= (or =enforce), or Secure Boot, under
/// which the kernel ignores the parameter.
pub fn appraise_enforcing(f: &Facts) -> bool {
    match f.cmdline_param("ima_appraise") {
        None | Some("enforce") => true,
        Some(_) => f.secure_boot_effective() == Some(true),
    }
}

#[cfg(test)]
#[path = "preflight_tests.rs"]
mod tests;
