//! Warnings: rules the kernel takes that do not do what their author likely expects,
//! and rules an earlier rule shadows.

use std::collections::HashMap;

use super::super::parse::{ParsedRule, Token};
use super::super::{Action, AppraiseType, Condition, Diagnostic, Func, Profile, RuleOption, Term};
use super::errors::once_slot;
use super::shadow::{ShadowIndex, COMPARISON_BUDGET};
use super::warn;

/// Warnings about one rule that the kernel of `profile` accepts.
pub fn rule_warnings(pr: &ParsedRule, profile: Profile) -> Vec<Diagnostic> {
    let r = &pr.rule;
    let mut out = Vec::new();
    let terms: Vec<(&Term, &Token)> = r.terms.iter().zip(&pr.term_tokens).collect();
    let func_tok = terms
        .iter()
        .find(|(t, _)| matches!(t, Term::Cond(Condition::Func(_))))
        .map_or(&pr.action_token, |(_, tok)| *tok);
    if r.action == Action::Appraise
        && r.func() == Some(Func::KexecKernelCheck)
        && !r.requires_signature()
    {
        out.push(warn(
            func_tok,
            "kexec-unsigned",
            "appraise for KEXEC_KERNEL_CHECK without a signature requirement: a plain hash in security.ima satisfies it, and anyone who can set that xattr can make any kernel bootable by kexec".into(),
            Some("add appraise_type=imasig".into()),
        ));
    }
    if r.action == Action::Appraise && r.func() == Some(Func::PolicyCheck) {
        out.push(warn(
            func_tok,
            "policy-check",
            "appraise func=POLICY_CHECK: once loaded, every later policy must carry a valid security.ima signature and be loaded by path; policy text written to the kernel is refused (EACCES)".into(),
            Some("sign later policies (evmctl ima_sign) and load them by path, so that the kernel reads and appraises the file".into()),
        ));
    }
    let mut repeated: HashMap<&'static str, usize> = HashMap::new();
    for (t, tok) in &terms {
        if matches!(
            t,
            Term::Opt(RuleOption::AppraiseType(AppraiseType::ImasigModsig))
        ) {
            out.push(warn(
                tok,
                "modsig-config",
                "appraise_type=imasig|modsig needs a kernel built with CONFIG_IMA_APPRAISE_MODSIG; \
                 kernels without it (Debian's 6.1 and 6.12 among them) refuse the rule with EINVAL, \
                 and with it the whole policy"
                    .into(),
                Some("use appraise_type=imasig unless every target kernel has CONFIG_IMA_APPRAISE_MODSIG=y".into()),
            ));
        }
        if profile >= Profile::V6_12 && matches!(t, Term::Opt(RuleOption::CheckBlacklist)) {
            out.push(warn(
                tok,
                "blacklist-ignored",
                format!("appraise_flag=check_blacklist is accepted and ignored by Linux {profile}: signed files are always checked against the blacklist"),
                Some("drop it unless the policy must also load on 6.1".into()),
            ));
        }
        if once_slot(t).is_none() {
            let n = repeated.entry(t.keyword()).or_default();
            *n += 1;
            if *n == 2 {
                out.push(warn(
                    tok,
                    "repeated",
                    format!(
                        "`{}` repeats {}: the kernel keeps only one value of it per rule",
                        tok.text,
                        t.keyword()
                    ),
                    Some("write it once".into()),
                ));
            }
        }
    }
    out
}

/// Rules that can never take effect because an earlier rule of the same family (measure /
/// dont_measure, appraise / dont_appraise, ...) matches all their events first. At most
/// `limit` warnings are made.
pub fn shadow_warnings(rules: &[&ParsedRule], limit: usize) -> Vec<Diagnostic> {
    let mut out = Vec::new();
    let mut index = ShadowIndex::default();
    for (j, later) in rules.iter().enumerate() {
        if out.len() >= limit {
            break;
        }
        let la = later.rule.action;
        let found = index.first_cover(rules, later);
        index.add(j, later);
        let earlier = match found {
            Ok(Some(i)) => rules[i],
            Ok(None) => continue,
            Err(()) => {
                out.push(warn(
                    &later.action_token,
                    "shadow-limit",
                    format!("rules from this line on were not checked for shadowing: the policy has too many overlapping rules ({COMPARISON_BUDGET} comparisons made)"),
                    Some("split the policy or make its rules less alike".into()),
                ));
                break;
            }
        };
        let ea = earlier.rule.action;
        let (code, msg, hint) = if ea == la {
            (
                "shadowed",
                format!("this rule can never match: the {} rule at line {} matches every event it matches, and the first matching rule wins", ea.name(), earlier.line),
                format!("remove it, or move it above line {} if its options were meant to apply", earlier.line),
            )
        } else if ea.is_negative() {
            (
                "disabled-by-dont",
                format!("this {} rule never applies: the {} rule at line {} matches all of its events first", la.name(), ea.name(), earlier.line),
                format!("narrow the {} rule or move this rule above it", ea.name()),
            )
        } else {
            (
                "shadowed",
                format!("this {} rule never applies: the {} rule at line {} matches all of its events first", la.name(), ea.name(), earlier.line),
                format!("move it above line {}", earlier.line),
            )
        };
        out.push(warn(&later.action_token, code, msg, Some(hint)));
    }
    out
}
