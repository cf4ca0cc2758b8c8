//! The IMA policy in force and whether it can change (the `policy` and `policy-fixed`
//! checks). Policy text is read by the project's parser ([`crate::policy::parse`]); this
//! file only asks which rule decides the appraisal of kexec images.

use super::facts::{Facts, PolicyFile};
use super::report::{Checks, State};
use crate::policy::parse::{parse_policy, ParsedRule};
use crate::policy::{Action, AppraiseType, Condition, Func, Term};

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

/// Whether `r` matches every kexec image: an appraise or dont_appraise rule with
/// func=KEXEC_KERNEL_CHECK or no func, and no other condition to narrow it (options such
/// as appraise_type or template say what the rule does, not what it matches).
fn matches_every_kexec_image(r: &ParsedRule) -> bool {
    r.rule.action.family() == Action::Appraise
        && matches!(r.rule.func(), None | Some(Func::KexecKernelCheck))
        && r.rule.terms.iter().all(|t| match t {
            Term::Cond(c) => matches!(c, Condition::Func(_)),
            Term::Opt(_) => true,
        })
}

/// The rule as written, without its trailing comment.
fn rule_text(r: &ParsedRule) -> String {
    let text: String = match &r.comment {
        Some(c) => r.source.chars().take(c.column - 1).collect(),
        None => r.source.clone(),
    };
    text.trim().to_string()
}

/// The first appraise/dont_appraise rule of `text` that matches every kexec image. Rules
/// the parser cannot read are skipped: the kernel refuses them.
fn kexec_rule(text: &str) -> KexecRule {
    let parsed = parse_policy(text);
    let Some(r) = parsed.rules.iter().find(|r| matches_every_kexec_image(r)) else {
        return KexecRule::None;
    };
    let rule = rule_text(r);
    let imasig = matches!(
        r.rule.appraise_type(),
        Some(AppraiseType::Imasig | AppraiseType::ImasigModsig)
    );
    match (r.rule.action, imasig) {
        (Action::DontAppraise, _) => KexecRule::DontAppraise(rule),
        (_, true) => KexecRule::Imasig(rule),
        (_, false) => KexecRule::HashOnly(rule),
    }
}

/// What the policy says about kexec images.
pub(super) struct PolicyState {
    /// Some(true): an imasig rule is known to be in force; Some(false): known not to be;
    /// None: cannot tell.
    pub(super) rule_in_force: Option<bool>,
    /// The rule in force appraises kexec images by hash only.
    pub(super) hash_only: bool,
}

/// Adds the `policy` and `policy-fixed` checks.
pub(super) fn assess_policy(f: &Facts, c: &mut Checks) -> PolicyState {
    let builtin_secure_boot = f
        .cmdline_param("ima_policy")
        .is_some_and(|p| p.split('|').any(|t| t == "secure_boot"));
    let write_policy = f.config_enabled("IMA_WRITE_POLICY");
    let state = match &f.policy {
        PolicyFile::NoImaDir => {
            c.add(
                "policy",
                State::Bad,
                "no /sys/kernel/security/ima/policy: no IMA policy can be loaded".into(),
            );
            PolicyState {
                rule_in_force: None,
                hash_only: false,
            }
        }
        PolicyFile::Readable(text) => readable(text, builtin_secure_boot, c),
        PolicyFile::Removed => PolicyState {
            rule_in_force: removed(f, builtin_secure_boot, c),
            hash_only: false,
        },
        PolicyFile::WriteOnly => PolicyState {
            rule_in_force: write_only(builtin_secure_boot, write_policy, c),
            hash_only: false,
        },
    };
    policy_fixed(f, write_policy, c);
    state
}

/// The policy in force can be read: its first kexec rule decides.
fn readable(text: &str, builtin_secure_boot: bool, c: &mut Checks) -> PolicyState {
    let mut hash_only = false;
    let rule_in_force = match kexec_rule(text) {
        KexecRule::Imasig(r) => {
            c.add("policy", State::Ok, format!("in force: '{r}'"));
            Some(true)
        }
        KexecRule::HashOnly(r) => {
            c.add(
                "policy",
                State::Bad,
                format!(
                    "'{r}' appraises kexec images without requiring a signature: root \
                     writes a matching hash"
                ),
            );
            hash_only = true;
            Some(false)
        }
        KexecRule::DontAppraise(r) => {
            c.add("policy", State::Bad, format!("'{r}' exempts kexec images"));
            Some(false)
        }
        KexecRule::None if builtin_secure_boot => {
            c.add(
                "policy",
                State::Ok,
                "the built-in secure_boot policy (ima_policy=secure_boot) appraises \
                 KEXEC_KERNEL_CHECK with imasig"
                    .into(),
            );
            Some(true)
        }
        KexecRule::None => {
            c.add(
                "policy",
                State::Bad,
                "the policy in force has no rule appraising KEXEC_KERNEL_CHECK".into(),
            );
            Some(false)
        }
    };
    PolicyState {
        rule_in_force,
        hash_only,
    }
}

/// A custom policy was loaded and the kernel removed the policy file.
fn removed(f: &Facts, builtin_secure_boot: bool, c: &mut Checks) -> Option<bool> {
    let hint = match f.boot_policy.as_deref().map(kexec_rule) {
        Some(KexecRule::Imasig(r)) => {
            format!("; /etc/ima/ima-policy, which boots load, has '{r}'")
        }
        Some(_) => "; /etc/ima/ima-policy has no imasig rule for KEXEC_KERNEL_CHECK".to_string(),
        None => String::new(),
    };
    if builtin_secure_boot {
        c.add(
            "policy",
            State::Ok,
            "the built-in secure_boot policy (ima_policy=secure_boot) appraises \
             KEXEC_KERNEL_CHECK with imasig; a custom policy was also loaded"
                .into(),
        );
        Some(true)
    } else {
        c.add(
            "policy",
            State::Unknown,
            format!(
                "a custom policy was loaded (the kernel removed the policy file), but \
                 the kernel cannot show it (no CONFIG_IMA_READ_POLICY){hint}"
            ),
        );
        None
    }
}

/// The policy file is there but cannot be read.
fn write_only(
    builtin_secure_boot: bool,
    write_policy: Option<bool>,
    c: &mut Checks,
) -> Option<bool> {
    if builtin_secure_boot {
        c.add(
            "policy",
            State::Ok,
            "the built-in secure_boot policy (ima_policy=secure_boot) appraises \
             KEXEC_KERNEL_CHECK with imasig"
                .into(),
        );
        Some(true)
    } else if write_policy == Some(false) {
        c.add(
            "policy",
            State::Bad,
            "no policy has been loaded this boot (the policy file is still there and \
             the kernel has no CONFIG_IMA_WRITE_POLICY): only the built-in rules, which \
             do not appraise kexec images"
                .into(),
        );
        Some(false)
    } else {
        c.add(
            "policy",
            State::Unknown,
            "the policy file is write-only (no CONFIG_IMA_READ_POLICY) and may have \
             been written (CONFIG_IMA_WRITE_POLICY may be set): the rules in force \
             cannot be read"
                .into(),
        );
        None
    }
}

/// Whether the policy can still change this boot.
fn policy_fixed(f: &Facts, write_policy: Option<bool>, c: &mut Checks) {
    match (&f.policy, write_policy) {
        (PolicyFile::Removed, _) => c.add(
            "policy-fixed",
            State::Ok,
            "the policy cannot be changed until reboot".into(),
        ),
        (PolicyFile::NoImaDir, _) => {}
        (_, Some(true)) => c.add(
            "policy-fixed",
            State::Info,
            "CONFIG_IMA_WRITE_POLICY=y: root can append rules this boot (an appended rule \
             never overrides an earlier one that matches, so it cannot undo a kexec rule)"
                .into(),
        ),
        (PolicyFile::WriteOnly | PolicyFile::Readable(_), Some(false)) => c.add(
            "policy-fixed",
            State::Warn,
            "no policy loaded yet: the first root process to write one decides it for the \
             whole boot"
                .into(),
        ),
        (_, None) => c.add(
            "policy-fixed",
            State::Unknown,
            "kernel configuration not found: whether the policy can be replaced is unknown".into(),
        ),
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
    fn kexec_rule_reading() {
        // The rule as written, without its comment.
        assert_eq!(
            kexec_rule("  appraise func=KEXEC_KERNEL_CHECK appraise_type=imasig # kexec\n"),
            KexecRule::Imasig("appraise func=KEXEC_KERNEL_CHECK appraise_type=imasig".into())
        );
        // No func: the rule matches kexec images too.
        assert!(matches!(
            kexec_rule("appraise appraise_type=imasig\n"),
            KexecRule::Imasig(_)
        ));
        // Another hook, or another condition, does not decide kexec images.
        assert_eq!(
            kexec_rule("appraise func=KEXEC_INITRAMFS_CHECK appraise_type=imasig\n"),
            KexecRule::None
        );
        assert_eq!(
            kexec_rule("appraise func=KEXEC_KERNEL_CHECK mask=MAY_READ appraise_type=imasig\n"),
            KexecRule::None
        );
        // Options say what a rule does, not what it matches.
        assert!(matches!(
            kexec_rule("appraise func=KEXEC_KERNEL_CHECK appraise_type=imasig appraise_flag=check_blacklist\n"),
            KexecRule::Imasig(_)
        ));
        assert!(matches!(
            kexec_rule("appraise func=KEXEC_KERNEL_CHECK appraise_type=imasig permit_directio\n"),
            KexecRule::Imasig(_)
        ));
        // The kernel takes the action anywhere in the rule.
        assert!(matches!(
            kexec_rule("func=KEXEC_KERNEL_CHECK dont_appraise\n"),
            KexecRule::DontAppraise(_)
        ));
        // A rule the kernel could not read is skipped; the next one decides.
        assert!(matches!(
            kexec_rule(
                "appraise func=KEXEC_KERNEL_CHECK bogus=1\nappraise func=KEXEC_KERNEL_CHECK\n"
            ),
            KexecRule::HashOnly(_)
        ));
    }
}
