//! What Secure Boot changes for kexec (ima_efi.c, kexec_file.c and platform_certs/, read
//! for facts): the IMA arch policy's rules, whether PE signatures are enforced, where
//! `.ima`'s trust comes from, and what a kexec image needs on this machine (the
//! `arch-policy`, `pe-enforced`, `ima-trust` and `kexec-needs` checks).

use super::facts::{Facts, PolicyFile};
use super::report::{Checks, State};

/// The rules the arch policy adds under Secure Boot, with the options that decide each.
fn arch_rules(f: &Facts) -> Vec<&'static str> {
    let on = |o: &str| f.config_enabled(o) == Some(true);
    let mut v = Vec::new();
    if !on("KEXEC_SIG") {
        v.push("appraise func=KEXEC_KERNEL_CHECK appraise_type=imasig");
    }
    v.push("measure func=KEXEC_KERNEL_CHECK");
    if on("INTEGRITY_MACHINE_KEYRING") && on("IMA_KEYRINGS_PERMIT_SIGNED_BY_BUILTIN_OR_SECONDARY") {
        v.push("appraise func=POLICY_CHECK appraise_type=imasig");
    }
    v
}

/// A policy line in the kernel's read-back form, for comparison.
fn normal(line: &str) -> String {
    line.split_whitespace().collect::<Vec<_>>().join(" ")
}

/// The `arch-policy` check.
fn arch_policy(f: &Facts, c: &mut Checks) {
    let sb = f.secure_boot_effective();
    match (f.config_enabled("IMA_ARCH_POLICY"), sb) {
        (None, _) => c.add(
            "arch-policy",
            State::Unknown,
            "the kernel configuration is not readable (CONFIG_IMA_ARCH_POLICY)".into(),
        ),
        (Some(false), _) => c.add(
            "arch-policy",
            State::Info,
            "CONFIG_IMA_ARCH_POLICY is not set: no arch rules".into(),
        ),
        (Some(true), Some(false)) => c.add(
            "arch-policy",
            State::Info,
            "CONFIG_IMA_ARCH_POLICY=y, inactive: Secure Boot is off".into(),
        ),
        (Some(true), None) => c.add(
            "arch-policy",
            State::Unknown,
            "CONFIG_IMA_ARCH_POLICY=y; whether Secure Boot is on cannot be read".into(),
        ),
        (Some(true), Some(true)) => {
            let expected = arch_rules(f);
            let detail = match &f.policy {
                PolicyFile::Readable(t) => {
                    let lines: Vec<String> = t.lines().map(normal).collect();
                    let missing: Vec<&str> = expected
                        .iter()
                        .copied()
                        .filter(|r| {
                            !lines
                                .iter()
                                .any(|l| l == r || l.starts_with(&format!("{r} ")))
                        })
                        .collect();
                    if missing.is_empty() {
                        format!(
                            "active, its rules are in the policy: {}",
                            expected.join("; ")
                        )
                    } else {
                        format!(
                            "active, but these expected rules are not in the policy: {}",
                            missing.join("; ")
                        )
                    }
                }
                _ => format!(
                    "active (the policy is not readable to confirm): {}",
                    expected.join("; ")
                ),
            };
            c.add("arch-policy", State::Ok, detail);
        }
    }
}

/// The `pe-enforced` check.
fn pe_enforced(f: &Facts, c: &mut Checks) {
    match super::preflight::pe_enforced(f) {
        Some((true, why)) => c.add(
            "pe-enforced",
            State::Ok,
            format!("yes ({why}): every kexec image needs a PE signature"),
        ),
        Some((false, why)) => c.add("pe-enforced", State::Info, format!("no ({why})")),
        None => c.add(
            "pe-enforced",
            State::Unknown,
            "cannot tell (configuration or Secure Boot state not readable)".into(),
        ),
    }
}

/// The `ima-trust` check: which keyrings vouch for keys added to `.ima`.
fn ima_trust(f: &Facts, c: &mut Checks) {
    let on = |o: &str| f.config_enabled(o);
    let Some(trusted) = on("INTEGRITY_TRUSTED_KEYRING") else {
        c.add(
            "ima-trust",
            State::Unknown,
            "the kernel configuration is not readable".into(),
        );
        return;
    };
    if !trusted {
        c.add(
            "ima-trust",
            State::Bad,
            "_ima (no CONFIG_INTEGRITY_TRUSTED_KEYRING): unrestricted, root adds any key".into(),
        );
        return;
    }
    let mut from = vec!["builtin (.builtin_trusted_keys)"];
    if on("IMA_KEYRINGS_PERMIT_SIGNED_BY_BUILTIN_OR_SECONDARY") == Some(true) {
        from.push("secondary (.secondary_trusted_keys)");
        if on("INTEGRITY_MACHINE_KEYRING") == Some(true) {
            from.push(if f.secure_boot_effective() == Some(true) {
                "machine/MOK (.machine, linked into .secondary_trusted_keys; MokListRT CAs enter it under Secure Boot)"
            } else {
                "machine/MOK (.machine; empty without Secure Boot: MOK is not loaded)"
            });
        }
    }
    c.add(
        "ima-trust",
        State::Info,
        format!(
            ".ima takes keys signed by: {}; never platform (.platform: db, and MOK certificates .machine refuses)",
            from.join(", ")
        ),
    );
}

/// The `kexec-needs` check: what an image needs here, in one sentence.
fn kexec_needs(f: &Facts, c: &mut Checks) {
    let pe = super::preflight::pe_enforced(f);
    let kexec_sig = f.config_enabled("KEXEC_SIG");
    let locked = f
        .lockdown
        .as_deref()
        .is_some_and(|l| l.contains("[integrity]") || l.contains("[confidentiality]"));
    let detail = match (pe, kexec_sig) {
        (Some((true, _)), _) => "a PE signature by a key in .builtin_trusted_keys, \
             .secondary_trusted_keys (with .machine) or .platform (db, MOK), and an IMA \
             signature by a key in .ima if an appraise rule for KEXEC_KERNEL_CHECK demands one"
            .to_string(),
        (Some((false, _)), Some(true)) if locked => "lockdown: a valid PE signature, or an IMA \
             signature when the first appraise rule for KEXEC_KERNEL_CHECK is \
             appraise_type=imasig (then the IMA signature is checked against .ima)"
            .to_string(),
        (Some((false, _)), _) => "only what the IMA policy demands: nothing is checked without \
             an appraise rule for KEXEC_KERNEL_CHECK"
            .to_string(),
        (None, _) => {
            c.add(
                "kexec-needs",
                State::Unknown,
                "cannot tell: the configuration or Secure Boot state is not readable".into(),
            );
            return;
        }
    };
    c.add(
        "kexec-needs",
        State::Info,
        format!("{detail}; check one image with imactl status --kexec IMAGE"),
    );
}

/// Adds the Secure Boot checks.
pub(super) fn assess_secure_boot(f: &Facts, c: &mut Checks) {
    arch_policy(f, c);
    pe_enforced(f, c);
    ima_trust(f, c);
    kexec_needs(f, c);
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::status::KernelConfig;

    fn facts(config: &[&str], policy: &str) -> Facts {
        Facts {
            efi: true,
            secure_boot: Some(true),
            setup_mode: Some(false),
            config: Some(KernelConfig::parse("t", &config.join("\n"))),
            policy: PolicyFile::Readable(policy.into()),
            ..Facts::default()
        }
    }

    #[test]
    fn the_arch_rules_follow_the_options() {
        let f = facts(&["CONFIG_IMA_ARCH_POLICY=y"], "");
        assert_eq!(
            arch_rules(&f)[0],
            "appraise func=KEXEC_KERNEL_CHECK appraise_type=imasig"
        );
        let f = facts(
            &[
                "CONFIG_KEXEC_SIG=y",
                "CONFIG_INTEGRITY_MACHINE_KEYRING=y",
                "CONFIG_IMA_KEYRINGS_PERMIT_SIGNED_BY_BUILTIN_OR_SECONDARY=y",
            ],
            "",
        );
        assert_eq!(
            arch_rules(&f),
            vec![
                "measure func=KEXEC_KERNEL_CHECK",
                "appraise func=POLICY_CHECK appraise_type=imasig"
            ]
        );
    }

    #[test]
    fn the_arch_rules_are_found_in_the_policy() {
        let cfg = ["CONFIG_IMA_ARCH_POLICY=y", "CONFIG_KEXEC_SIG=y"];
        let mut c = Checks::default();
        arch_policy(&facts(&cfg, "measure func=KEXEC_KERNEL_CHECK \n"), &mut c);
        assert!(
            c.0[0].detail.starts_with("active, its rules"),
            "{}",
            c.0[0].detail
        );
        let mut c = Checks::default();
        arch_policy(&facts(&cfg, ""), &mut c);
        assert!(
            c.0[0].detail.contains("not in the policy"),
            "{}",
            c.0[0].detail
        );
    }
}
