//! "Is kexec protected on this machine, and if not, why not": a verdict from the facts the
//! kernel exposes. [`Facts`] is a snapshot (gathered by [`gather`] from /proc, /sys, /boot
//! under a root directory); [`assess`] is pure: facts in, [`Report`] out. Facts are from
//! kernel.md and trust-chain.md.

pub mod gather;

use serde::Serialize;

use crate::keyring::ProcKey;

/// A snapshot of what the kernel says. `None` means "could not be read".
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Facts {
    /// The kernel release (/proc/sys/kernel/osrelease).
    pub release: Option<String>,
    /// /sys/kernel/security/lsm (None: securityfs not mounted, or no LSM support).
    pub lsm: Option<String>,
    /// Whether /sys/kernel/security/ima exists (IMA is active; before 6.9 IMA is not in
    /// the LSM list even when it runs).
    pub ima_dir: bool,
    /// /proc/cmdline.
    pub cmdline: Option<String>,
    /// /sys/kernel/security/lockdown ("none [integrity] confidentiality").
    pub lockdown: Option<String>,
    /// Booted through EFI (/sys/firmware/efi exists).
    pub efi: bool,
    /// The SecureBoot EFI variable: Some(true) when enabled.
    pub secure_boot: Option<bool>,
    /// The state of /sys/kernel/security/ima/policy.
    pub policy: PolicyFile,
    /// The policy a boot loads (/etc/ima/ima-policy, read by systemd), when present.
    pub boot_policy: Option<String>,
    /// The kernel configuration, with where it came from.
    pub config: Option<KernelConfig>,
    /// /proc/keys, parsed.
    pub proc_keys: Option<Vec<ProcKey>>,
    /// Members of keyrings by serial, where the keyring could be read (live only).
    pub members: Vec<(i32, Vec<KeyMember>)>,
}

/// /sys/kernel/security/ima/policy.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub enum PolicyFile {
    /// IMA has no policy file (no IMA, or securityfs not mounted).
    #[default]
    NoImaDir,
    /// The file is gone: a policy was written and the kernel (without
    /// CONFIG_IMA_WRITE_POLICY) removed the file; it is fixed until reboot.
    Removed,
    /// Present but not readable (no CONFIG_IMA_READ_POLICY).
    WriteOnly,
    /// Present and readable: the rules in force.
    Readable(String),
}

/// The parts of the kernel configuration that matter here.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct KernelConfig {
    /// Where it was read ("/boot/config-6.1.0-13-amd64", "/proc/config.gz").
    pub source: String,
    /// `CONFIG_X=value` lines ("y", "m", "\"string\""); unset options are absent.
    pub values: Vec<(String, String)>,
}

impl KernelConfig {
    /// Parses a .config text.
    pub fn parse(source: &str, text: &str) -> KernelConfig {
        let values = text
            .lines()
            .filter_map(|l| l.strip_prefix("CONFIG_"))
            .filter_map(|l| l.split_once('='))
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect();
        KernelConfig {
            source: source.to_string(),
            values,
        }
    }

    fn get(&self, name: &str) -> Option<&str> {
        self.values
            .iter()
            .find(|(k, _)| k == name)
            .map(|(_, v)| v.as_str())
    }

    /// Whether `CONFIG_<name>` is y.
    pub fn enabled(&self, name: &str) -> bool {
        self.get(name) == Some("y")
    }
}

/// A key linked in a keyring (read with keyctl).
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct KeyMember {
    pub serial: i32,
    #[serde(rename = "type")]
    pub key_type: String,
    pub description: String,
    pub keyid: Option<String>,
}

/// The state of one check.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum State {
    Ok,
    Warn,
    Bad,
    Unknown,
    Info,
}

/// One line of the report.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Check {
    /// A stable word: "ima", "appraise-mode", "lockdown", "secure-boot", "policy",
    /// "policy-fixed", "ima-keyring", "kexec-sig", "config".
    pub name: &'static str,
    pub state: State,
    pub detail: String,
}

/// A keyring the kernel made or IMA may use.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct KeyringReport {
    pub name: String,
    pub serial: i32,
    /// The count /proc/keys shows.
    pub keys: Option<u32>,
    /// The keys, when the keyring could be read.
    pub members: Option<Vec<KeyMember>>,
    /// What it is for, in words.
    pub role: &'static str,
}

/// The answer.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum Verdict {
    /// Only kernels signed by a key the kernel's trusted keyrings vouch for can be loaded:
    /// root cannot load a kernel of its choice.
    Protected,
    /// Kernels must be signed, but by a key root can add (`_ima`): a guard against
    /// accidents, not against root.
    AccidentsOnly,
    /// Any kernel can be loaded.
    NotProtected,
    /// The facts needed are not readable.
    Unknown,
}

impl Verdict {
    pub fn words(self) -> &'static str {
        match self {
            Verdict::Protected => "PROTECTED against root: only signed kernels whose key the kernel's built-in trust vouches for can be loaded",
            Verdict::AccidentsOnly => "PROTECTED AGAINST ACCIDENTS ONLY, not against root: kexec images must be signed, but by a key any root process can add",
            Verdict::NotProtected => "NOT PROTECTED: root can load any kernel with kexec",
            Verdict::Unknown => "UNKNOWN: the facts needed could not be read",
        }
    }
}

/// The whole report.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Report {
    pub release: Option<String>,
    pub checks: Vec<Check>,
    pub keyrings: Vec<KeyringReport>,
    pub verdict: Verdict,
    pub reasons: Vec<String>,
    pub first_step: String,
}

/// How the kexec rule stands in a policy text.
#[derive(Clone, Debug, PartialEq, Eq)]
enum KexecRule {
    /// `appraise func=KEXEC_KERNEL_CHECK appraise_type=imasig` (the first matching rule).
    Imasig(String),
    /// A matching appraise rule without a signature requirement (a hash is enough: root
    /// writes one).
    HashOnly(String),
    /// `dont_appraise` matches first.
    DontAppraise(String),
    /// No rule matches kexec images.
    None,
}

/// The first appraise/dont_appraise rule of `text` that matches every kexec image
/// (func=KEXEC_KERNEL_CHECK or no func, with no narrowing condition).
fn kexec_rule(text: &str) -> KexecRule {
    for line in text.lines() {
        let line = line.split('#').next().unwrap_or("").trim();
        let mut words = line.split_whitespace();
        let Some(action) = words.next() else { continue };
        if action != "appraise" && action != "dont_appraise" {
            continue;
        }
        let mut func = None;
        let mut narrowing = false;
        let mut imasig = false;
        for w in words {
            let (k, v) = w.split_once('=').unwrap_or((w, ""));
            match k {
                "func" => func = Some(v),
                "appraise_type" => imasig = v.split('|').any(|t| t == "imasig"),
                "appraise_flag" | "appraise_algos" | "template" | "digest_type" => {}
                _ => narrowing = true,
            }
        }
        let matches = matches!(func, None | Some("KEXEC_KERNEL_CHECK"));
        if !matches || narrowing {
            continue;
        }
        let rule = line.to_string();
        return match (action, imasig) {
            ("dont_appraise", _) => KexecRule::DontAppraise(rule),
            (_, true) => KexecRule::Imasig(rule),
            (_, false) => KexecRule::HashOnly(rule),
        };
    }
    KexecRule::None
}

fn cmdline_value<'a>(cmdline: &'a str, key: &str) -> Option<&'a str> {
    cmdline
        .split_whitespace()
        .rev()
        .find_map(|w| w.strip_prefix(key).and_then(|r| r.strip_prefix('=')))
}

fn selected(s: &str) -> Option<&str> {
    let start = s.find('[')?;
    let end = s[start..].find(']')? + start;
    Some(&s[start + 1..end])
}

const KEYRINGS: [(&str, &str); 7] = [
    (
        ".builtin_trusted_keys",
        "keys built into the kernel (CONFIG_SYSTEM_TRUSTED_KEYS, the module-signing key)",
    ),
    (
        ".secondary_trusted_keys",
        "keys vouched for by the built-in ones (added at run time, or linked from .machine)",
    ),
    (
        ".machine",
        "Machine Owner Keys from shim (secondary trusted with CONFIG_INTEGRITY_MACHINE_KEYRING)",
    ),
    (
        ".platform",
        "firmware db keys: also checked for kexec (IMA and PE signatures)",
    ),
    (
        ".ima",
        "made by the kernel, restricted: takes only keys signed by a trusted key",
    ),
    (
        "_ima",
        "made by userspace: ANY ROOT PROCESS CAN ADD A KEY TO IT",
    ),
    (".ima_blacklist", "keys IMA refuses"),
];

fn keyring_entry(keys: &[ProcKey], name: &str) -> Option<(i32, Option<u32>)> {
    keys.iter().find_map(|k| {
        if k.key_type != "keyring" {
            return None;
        }
        let rest = k.text.strip_prefix(name)?;
        if rest.is_empty() {
            return Some((k.serial, None));
        }
        let n = rest.strip_prefix(": ")?;
        Some((k.serial, n.trim().parse().ok()))
    })
}

/// The warning for a command about to rely on `_ima` on a kernel that made `.ima` (where
/// IMA looks keys up, ignoring `_ima`): `importing_into` is the keyring a key import
/// resolved to; `None` is a policy load with signature rules, which relies on `_ima` when
/// `.ima` is empty and `_ima` exists. `keys` is /proc/keys.
pub fn relying_on_user_ima(keys: &[ProcKey], importing_into: Option<&str>) -> Option<String> {
    let (_, dot_count) = keyring_entry(keys, ".ima")?;
    let user = keyring_entry(keys, "_ima");
    let relies = match importing_into {
        Some(name) => name == "_ima",
        None => user.is_some() && dot_count == Some(0),
    };
    relies.then(|| {
        "this kernel made .ima: IMA looks keys up there only and ignores _ima, so a key in \
         _ima verifies nothing (and _ima, which any root process can fill, would guard only \
         against accidents). Put into .ima (imactl key import CERT, the default keyring) a \
         certificate issued by a CA in .builtin_trusted_keys (imactl key new)"
            .to_string()
    })
}

/// Assesses the facts.
pub fn assess(f: &Facts) -> Report {
    let mut checks = Vec::new();
    let mut check = |name, state, detail: String| {
        checks.push(Check {
            name,
            state,
            detail,
        })
    };
    let cfg = f.config.as_ref();
    let cfg_on = |n: &str| cfg.map(|c| c.enabled(n));

    // IMA itself.
    let ima_in_lsm = f
        .lsm
        .as_deref()
        .is_some_and(|l| l.trim().split(',').any(|m| m == "ima"));
    let ima_active = ima_in_lsm || f.ima_dir;
    // Some(false): known absent; None: cannot tell.
    let ima_known: Option<bool> = if ima_active {
        Some(true)
    } else if cfg_on("IMA") == Some(false) || f.lsm.is_some() {
        Some(false)
    } else {
        None
    };
    match (&f.lsm, ima_known) {
        (_, Some(true)) if ima_in_lsm => check("ima", State::Ok, "IMA is in the LSM list".into()),
        (_, Some(true)) => check(
            "ima",
            State::Ok,
            "IMA is active (/sys/kernel/security/ima exists; kernels before 6.9 do not list \
             it among the LSMs)"
                .into(),
        ),
        (_, Some(false)) if cfg_on("IMA") == Some(false) => check(
            "ima",
            State::Bad,
            "the kernel has no IMA (CONFIG_IMA is not set)".into(),
        ),
        (Some(l), _) => check(
            "ima",
            State::Bad,
            format!("IMA is not running (LSM list: {})", l.trim()),
        ),
        (None, _) => check(
            "ima",
            State::Unknown,
            "/sys/kernel/security/lsm is not readable: is securityfs mounted? \
             (mount -t securityfs securityfs /sys/kernel/security)"
                .into(),
        ),
    }

    // Appraise mode.
    let secure_boot = f.secure_boot == Some(true);
    let appraise_param = f
        .cmdline
        .as_deref()
        .and_then(|c| cmdline_value(c, "ima_appraise"));
    let enforcing =
        match appraise_param {
            _ if ima_known == Some(false) => {
                check(
                    "appraise-mode",
                    State::Info,
                    "no IMA: nothing is appraised".into(),
                );
                false
            }
            None | Some("enforce") => {
                check(
                    "appraise-mode",
                    State::Ok,
                    "enforce (no ima_appraise= on the command line, or ima_appraise=enforce)"
                        .into(),
                );
                true
            }
            Some(m) if secure_boot => {
                check(
                    "appraise-mode",
                    State::Ok,
                    format!(
                        "ima_appraise={m} is on the command line, but the kernel ignores it under \
                     secure boot: enforce"
                    ),
                );
                true
            }
            Some(m) => {
                check(
                    "appraise-mode",
                    State::Bad,
                    format!(
                    "ima_appraise={m}: failures are {} (remove it from the kernel command line)",
                    if m == "off" { "not even checked" } else { "logged, not refused" }
                ),
                );
                false
            }
        };
    if f.cmdline.is_none() {
        check(
            "appraise-mode",
            State::Unknown,
            "/proc/cmdline is not readable".into(),
        );
    }

    // Lockdown and secure boot.
    let lockdown = f.lockdown.as_deref().and_then(selected).map(str::to_string);
    match lockdown.as_deref() {
        Some("none") => check("lockdown", State::Info, "none".into()),
        Some(l) => check(
            "lockdown",
            State::Ok,
            format!("{l}: kexec_load is refused and kexec_file_load demands a PE signature"),
        ),
        None => check(
            "lockdown",
            State::Info,
            "not available (no lockdown LSM, or securityfs not mounted)".into(),
        ),
    }
    let locked = matches!(lockdown.as_deref(), Some("integrity" | "confidentiality"));
    match (f.efi, f.secure_boot) {
        (false, _) => check("secure-boot", State::Info, "not an EFI boot".into()),
        (true, Some(true)) => check("secure-boot", State::Ok, "enabled".into()),
        (true, Some(false)) => check("secure-boot", State::Info, "disabled".into()),
        (true, None) => check(
            "secure-boot",
            State::Unknown,
            "EFI boot, but the SecureBoot variable is not readable".into(),
        ),
    }

    // The policy.
    let builtin_secure_boot = f
        .cmdline
        .as_deref()
        .and_then(|c| cmdline_value(c, "ima_policy"))
        .is_some_and(|p| p.split('|').any(|t| t == "secure_boot"));
    let write_policy = cfg_on("IMA_WRITE_POLICY");
    let mut rule_in_force: Option<bool> = None; // Some(true): imasig rule known in force
    let mut hash_only = false;
    match &f.policy {
        PolicyFile::NoImaDir => check(
            "policy",
            State::Bad,
            "no /sys/kernel/security/ima/policy: no IMA policy can be loaded".into(),
        ),
        PolicyFile::Readable(text) => match kexec_rule(text) {
            KexecRule::Imasig(r) => {
                check("policy", State::Ok, format!("in force: '{r}'"));
                rule_in_force = Some(true);
            }
            KexecRule::HashOnly(r) => {
                check(
                    "policy",
                    State::Bad,
                    format!(
                        "'{r}' appraises kexec images without requiring a signature: root \
                         writes a matching hash"
                    ),
                );
                rule_in_force = Some(false);
                hash_only = true;
            }
            KexecRule::DontAppraise(r) => {
                check("policy", State::Bad, format!("'{r}' exempts kexec images"));
                rule_in_force = Some(false);
            }
            KexecRule::None if builtin_secure_boot => {
                check(
                    "policy",
                    State::Ok,
                    "the built-in secure_boot policy (ima_policy=secure_boot) appraises \
                     KEXEC_KERNEL_CHECK with imasig"
                        .into(),
                );
                rule_in_force = Some(true);
            }
            KexecRule::None => {
                check(
                    "policy",
                    State::Bad,
                    "the policy in force has no rule appraising KEXEC_KERNEL_CHECK".into(),
                );
                rule_in_force = Some(false);
            }
        },
        PolicyFile::Removed => {
            let hint = match f.boot_policy.as_deref().map(kexec_rule) {
                Some(KexecRule::Imasig(r)) => {
                    format!("; /etc/ima/ima-policy, which boots load, has '{r}'")
                }
                Some(_) => {
                    "; /etc/ima/ima-policy has no imasig rule for KEXEC_KERNEL_CHECK".to_string()
                }
                None => String::new(),
            };
            if builtin_secure_boot {
                rule_in_force = Some(true);
                check(
                    "policy",
                    State::Ok,
                    "the built-in secure_boot policy (ima_policy=secure_boot) appraises \
                     KEXEC_KERNEL_CHECK with imasig; a custom policy was also loaded"
                        .into(),
                );
            } else {
                check(
                    "policy",
                    State::Unknown,
                    format!(
                        "a custom policy was loaded (the kernel removed the policy file), but \
                         the kernel cannot show it (no CONFIG_IMA_READ_POLICY){hint}"
                    ),
                );
            }
        }
        PolicyFile::WriteOnly => {
            if builtin_secure_boot {
                rule_in_force = Some(true);
                check(
                    "policy",
                    State::Ok,
                    "the built-in secure_boot policy (ima_policy=secure_boot) appraises \
                     KEXEC_KERNEL_CHECK with imasig"
                        .into(),
                );
            } else if write_policy == Some(false) {
                rule_in_force = Some(false);
                check(
                    "policy",
                    State::Bad,
                    "no policy has been loaded this boot (the policy file is still there and \
                     the kernel has no CONFIG_IMA_WRITE_POLICY): only the built-in rules, which \
                     do not appraise kexec images"
                        .into(),
                );
            } else {
                check(
                    "policy",
                    State::Unknown,
                    "the policy file is write-only (no CONFIG_IMA_READ_POLICY) and may have \
                     been written (CONFIG_IMA_WRITE_POLICY may be set): the rules in force \
                     cannot be read"
                        .into(),
                );
            }
        }
    }
    match (&f.policy, write_policy) {
        (PolicyFile::Removed, _) => check(
            "policy-fixed",
            State::Ok,
            "the policy cannot be changed until reboot".into(),
        ),
        (PolicyFile::NoImaDir, _) => {}
        (_, Some(true)) => check(
            "policy-fixed",
            State::Info,
            "CONFIG_IMA_WRITE_POLICY=y: root can append rules this boot (an appended rule \
             never overrides an earlier one that matches, so it cannot undo a kexec rule)"
                .into(),
        ),
        (PolicyFile::WriteOnly | PolicyFile::Readable(_), Some(false)) => check(
            "policy-fixed",
            State::Warn,
            "no policy loaded yet: the first root process to write one decides it for the \
             whole boot"
                .into(),
        ),
        (_, None) => check(
            "policy-fixed",
            State::Unknown,
            "kernel configuration not found: whether the policy can be replaced is unknown".into(),
        ),
    }

    // Keyrings.
    let mut keyrings = Vec::new();
    let keys = f.proc_keys.as_deref();
    let mut dot_ima: Option<Option<u32>> = None;
    let mut user_ima: Option<Option<u32>> = None;
    let mut builtin: Option<Option<u32>> = None;
    let mut secondary: Option<Option<u32>> = None;
    if let Some(keys) = keys {
        for (name, role) in KEYRINGS {
            if let Some((serial, count)) = keyring_entry(keys, name) {
                let members = f
                    .members
                    .iter()
                    .find(|(s, _)| *s == serial)
                    .map(|(_, m)| m.clone());
                let count = count.or(members.as_ref().map(|m| m.len() as u32));
                match name {
                    ".ima" => dot_ima = Some(count),
                    "_ima" => user_ima = Some(count),
                    ".builtin_trusted_keys" => builtin = Some(count),
                    ".secondary_trusted_keys" => secondary = Some(count),
                    _ => {}
                }
                keyrings.push(KeyringReport {
                    name: name.to_string(),
                    serial,
                    keys: count,
                    members,
                    role,
                });
            }
        }
    }
    let trusted_integrity = cfg_on("INTEGRITY_TRUSTED_KEYRING");
    let ima_keyring_state = match (keys, dot_ima, user_ima) {
        (None, _, _) => {
            check(
                "ima-keyring",
                State::Unknown,
                "/proc/keys is not readable".into(),
            );
            None
        }
        (Some(_), Some(n), _) => {
            let permit =
                if cfg_on("IMA_KEYRINGS_PERMIT_SIGNED_BY_BUILTIN_OR_SECONDARY") == Some(true) {
                    ".builtin_trusted_keys or .secondary_trusted_keys"
                } else {
                    ".builtin_trusted_keys"
                };
            let n = n.unwrap_or(0);
            check(
                "ima-keyring",
                if n > 0 { State::Ok } else { State::Warn },
                format!(
                    ".ima exists, made and restricted by the kernel: it takes only keys signed \
                     by a key in {permit}; it holds {n} key{}",
                    if n == 1 { "" } else { "s" }
                ),
            );
            Some(("dot", n))
        }
        (Some(_), None, Some(n)) => {
            let n = n.unwrap_or(0);
            check(
                "ima-keyring",
                State::Bad,
                format!(
                    "IMA uses _ima, a keyring userspace made: any root process can add its own \
                     key to it and sign its own kernel ({n} key{} now). The kernel has no \
                     .ima (CONFIG_INTEGRITY_TRUSTED_KEYRING is not set)",
                    if n == 1 { "" } else { "s" }
                ),
            );
            Some(("user", n))
        }
        (Some(_), None, None) => {
            check(
                "ima-keyring",
                State::Bad,
                if trusted_integrity == Some(true) {
                    "no .ima in /proc/keys although CONFIG_INTEGRITY_TRUSTED_KEYRING=y".into()
                } else {
                    "no IMA keyring: no .ima (CONFIG_INTEGRITY_TRUSTED_KEYRING is not set) \
                     and no _ima: no signature can verify"
                        .into()
                },
            );
            Some(("none", 0))
        }
    };

    // PE signatures.
    let kexec_sig = cfg_on("KEXEC_SIG");
    let kexec_sig_force = cfg_on("KEXEC_SIG_FORCE") == Some(true);
    let pe_required = kexec_sig == Some(true) && (kexec_sig_force || locked);
    match (cfg, kexec_sig) {
        (None, _) => check(
            "config",
            State::Unknown,
            "kernel configuration not found (/boot/config-RELEASE or /proc/config.gz)".into(),
        ),
        (Some(c), _) => check("config", State::Info, format!("read from {}", c.source)),
    }
    match kexec_sig {
        Some(true) if pe_required => check(
            "kexec-sig",
            State::Ok,
            format!(
                "CONFIG_KEXEC_SIG=y and {}: kexec_file_load also demands a PE signature by a \
                 key in .builtin_trusted_keys, .secondary_trusted_keys or .platform",
                if kexec_sig_force {
                    "CONFIG_KEXEC_SIG_FORCE=y"
                } else {
                    "lockdown"
                }
            ),
        ),
        Some(true) => check(
            "kexec-sig",
            State::Info,
            "CONFIG_KEXEC_SIG=y, not forced (no KEXEC_SIG_FORCE, no lockdown): a PE signature \
             is checked only when present"
                .into(),
        ),
        Some(false) => check(
            "kexec-sig",
            State::Info,
            "CONFIG_KEXEC_SIG is not set: the kernel does not check PE signatures".into(),
        ),
        None => {}
    }

    // The verdict.
    let mut reasons = Vec::new();
    let ima_enforcing = ima_active && enforcing;
    let verdict;
    let first_step;
    if pe_required {
        verdict = Verdict::Protected;
        reasons.push(
            "kexec_file_load demands a PE signature from a trusted or firmware key, and \
             kexec_load is refused; any kernel signed by such a key (your distribution's \
             included) can still be loaded"
                .into(),
        );
        first_step = "nothing required; to allow only kernels you signed, add IMA appraisal \
                      with .ima (see below)"
            .to_string();
    } else if ima_known.is_none() {
        verdict = Verdict::Unknown;
        reasons.push("whether IMA runs cannot be read (securityfs is not mounted)".into());
        first_step = "run as root with securityfs mounted (mount -t securityfs securityfs \
                      /sys/kernel/security)"
            .to_string();
    } else if !ima_active {
        verdict = Verdict::NotProtected;
        reasons.push("IMA is not running".into());
        first_step =
            "boot a kernel with CONFIG_IMA_APPRAISE (and CONFIG_INTEGRITY_TRUSTED_KEYRING)"
                .to_string();
    } else if !ima_enforcing {
        verdict = Verdict::NotProtected;
        reasons.push("IMA appraisal does not enforce".into());
        first_step = "remove ima_appraise=... from the kernel command line".to_string();
    } else if rule_in_force == Some(false) || matches!(f.policy, PolicyFile::NoImaDir) {
        verdict = Verdict::NotProtected;
        reasons.push(if hash_only {
            "kexec images are appraised by hash only".into()
        } else {
            "no policy rule demands a signature on kexec images".into()
        });
        first_step = if matches!(f.policy, PolicyFile::WriteOnly | PolicyFile::Readable(_)) {
            "load the kexec policy: imactl policy load /usr/share/imaevm/policies/kexec.policy \
             (at every boot: install it as /etc/ima/ima-policy)"
                .to_string()
        } else {
            "install /usr/share/imaevm/policies/kexec.policy as /etc/ima/ima-policy and reboot"
                .to_string()
        };
    } else {
        match ima_keyring_state {
            Some(("user", n)) => {
                verdict = Verdict::AccidentsOnly;
                reasons.push(
                    "IMA trusts _ima, which any root process can fill with its own key".into(),
                );
                if n == 0 {
                    reasons.push("_ima holds no key: no signed kernel can be loaded either".into());
                }
                first_step = "build a kernel with CONFIG_INTEGRITY_TRUSTED_KEYRING=y and your \
                              CA in CONFIG_SYSTEM_TRUSTED_KEYS (imactl key ca), then import a \
                              key it issued into .ima (imactl key new; imactl key import)"
                    .to_string();
            }
            Some(("none", _)) => {
                verdict = Verdict::NotProtected;
                reasons.push(
                    "no IMA keyring: every signature fails, but a root process can create _ima \
                     and add its key"
                        .into(),
                );
                first_step = "build a kernel with CONFIG_INTEGRITY_TRUSTED_KEYRING=y and your \
                              CA in CONFIG_SYSTEM_TRUSTED_KEYS (imactl key ca)"
                    .to_string();
            }
            Some(("dot", n)) => {
                let trusted = builtin.flatten().unwrap_or(0) + secondary.flatten().unwrap_or(0);
                if rule_in_force == Some(true) {
                    verdict = Verdict::Protected;
                    reasons.push(
                        "kexec images must carry an IMA signature from a key in .ima, which \
                         takes only keys signed by the kernel's trusted keys; the old \
                         kexec_load call is refused while the rule is loaded"
                            .into(),
                    );
                    first_step = if n == 0 {
                        reasons.push(
                            ".ima holds no key yet: no kernel can be loaded with kexec".into(),
                        );
                        "import your signing certificate, issued by a CA the kernel trusts: \
                         imactl key import ima.der"
                            .to_string()
                    } else {
                        "nothing; keep the CA key offline".to_string()
                    };
                } else {
                    verdict = Verdict::Unknown;
                    reasons.push(
                        ".ima is restricted, but whether a rule demands signatures on kexec \
                         images cannot be read"
                            .into(),
                    );
                    first_step = "check that the policy loaded at boot (/etc/ima/ima-policy) \
                                  has 'appraise func=KEXEC_KERNEL_CHECK appraise_type=imasig'"
                        .to_string();
                }
                if trusted == 0 && builtin.is_some() {
                    reasons
                        .push("the trusted keyrings hold no key: no IMA key can be added".into());
                }
            }
            _ => {
                verdict = Verdict::Unknown;
                reasons.push("the IMA keyring cannot be determined".into());
                first_step = "run as root (read /proc/keys)".to_string();
            }
        }
    }
    if rule_in_force.is_none() && verdict == Verdict::AccidentsOnly {
        reasons.push("the policy in force could not be read".into());
    }

    Report {
        release: f.release.clone(),
        checks,
        keyrings,
        verdict,
        reasons,
        first_step,
    }
}

impl Report {
    /// One screen of text.
    pub fn to_text(&self) -> String {
        let mut s = format!(
            "kexec protection on {}\n\n",
            self.release.as_deref().unwrap_or("this kernel")
        );
        for c in &self.checks {
            let tag = match c.state {
                State::Ok => "ok",
                State::Warn => "warn",
                State::Bad => "BAD",
                State::Unknown => "??",
                State::Info => "-",
            };
            s.push_str(&format!("[{tag:>4}] {:<13} {}\n", c.name, c.detail));
        }
        if !self.keyrings.is_empty() {
            s.push_str("\nkeyrings:\n");
            for k in &self.keyrings {
                let n = k
                    .keys
                    .map(|n| format!("{n} key{}", if n == 1 { "" } else { "s" }))
                    .unwrap_or_else(|| "? keys".into());
                s.push_str(&format!(
                    "  {:<24} {:>10}  {:<8} {}\n",
                    k.name, k.serial, n, k.role
                ));
                for m in k.members.iter().flatten() {
                    s.push_str(&format!(
                        "      {:>10} {:<11} {}\n",
                        m.serial,
                        m.keyid
                            .as_deref()
                            .map(|i| format!("id:{i}"))
                            .unwrap_or_else(|| "-".into()),
                        m.description
                    ));
                }
            }
        }
        s.push_str(&format!("\nverdict: {}\n", self.verdict.words()));
        for r in &self.reasons {
            s.push_str(&format!("  - {r}\n"));
        }
        s.push_str(&format!("first step: {}\n", self.first_step));
        s
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn kexec_rule_first_match() {
        assert!(matches!(
            kexec_rule("measure func=KEXEC_KERNEL_CHECK\nappraise func=KEXEC_KERNEL_CHECK appraise_type=imasig|modsig\n"),
            KexecRule::Imasig(_)
        ));
        assert!(matches!(
            kexec_rule("dont_appraise func=KEXEC_KERNEL_CHECK\nappraise func=KEXEC_KERNEL_CHECK appraise_type=imasig\n"),
            KexecRule::DontAppraise(_)
        ));
        assert!(matches!(
            kexec_rule("appraise func=KEXEC_KERNEL_CHECK fowner=0 appraise_type=imasig\n"),
            KexecRule::None
        ));
        assert!(matches!(
            kexec_rule("appraise func=KEXEC_KERNEL_CHECK\n"),
            KexecRule::HashOnly(_)
        ));
        assert!(matches!(
            kexec_rule("# appraise func=KEXEC_KERNEL_CHECK appraise_type=imasig\n"),
            KexecRule::None
        ));
    }

    #[test]
    fn warnings_about_user_ima() {
        let keys = crate::keyring::parse_proc_keys(
            "10000111 I------     1 perm 1f0b0000     0     0 keyring   .ima: 0\n\
             10000222 I------     1 perm 3f010000     0     0 keyring   _ima: 1\n",
        );
        assert!(relying_on_user_ima(&keys, Some("_ima")).is_some());
        assert!(relying_on_user_ima(&keys, Some(".ima")).is_none());
        assert!(relying_on_user_ima(&keys, None).is_some());
        let debian = crate::keyring::parse_proc_keys(
            "10000222 I------     1 perm 3f010000     0     0 keyring   _ima: 1\n",
        );
        assert!(relying_on_user_ima(&debian, Some("_ima")).is_none());
        assert!(relying_on_user_ima(&debian, None).is_none());
        let filled = crate::keyring::parse_proc_keys(
            "10000111 I------     1 perm 1f0b0000     0     0 keyring   .ima: 1\n\
             10000222 I------     1 perm 3f010000     0     0 keyring   _ima: 1\n",
        );
        assert!(relying_on_user_ima(&filled, None).is_none());
    }

    #[test]
    fn command_line_and_lockdown() {
        assert_eq!(
            cmdline_value("ro ima_appraise=log quiet", "ima_appraise"),
            Some("log")
        );
        assert_eq!(cmdline_value("ro quiet", "ima_appraise"), None);
        assert_eq!(
            selected("none [integrity] confidentiality"),
            Some("integrity")
        );
    }
}
