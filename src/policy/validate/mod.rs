//! Whether a kernel accepts a policy, and whether it does what its author expects. Errors
//! follow the kernel: the keywords each profile knows, the parse-time checks of
//! `ima_parse_rule` (once-only fields, `template=` after `measure`, 6.1's option order) and
//! the cross-field checks of `ima_validate_rule`; every one of them makes the kernel refuse
//! the rule with EINVAL. Warnings cover rules the kernel takes but that cannot work as
//! written (shadowed rules, an unsigned kexec appraisal, a POLICY_CHECK appraisal).
//!
//! This file runs the checks and holds the [`Report`]; `errors.rs` has the kernel's
//! reasons to refuse a rule, `warnings.rs` the warnings and the shadowing analysis.

mod errors;
mod shadow;
mod warnings;

pub use errors::rule_errors;
pub use shadow::covers;
pub use warnings::{rule_warnings, shadow_warnings};

use super::limits::{self, MAX_DIAGNOSTICS};
use super::parse::{parse_policy, ParsedPolicy, Token};
use super::{Diagnostic, Profile, Severity};

/// The names of the checks that make the kernel refuse a rule (the `code` of an error).
pub const ERROR_CHECKS: &[&str] = &[
    "not-in-kernel",
    "trailing-comment",
    "duplicate",
    "template-action",
    "template-order",
    "pcr-action",
    "appraise-option-action",
    "sigv3-verity",
    "verity-sigtype",
    "verity-order",
    "modsig-func",
    "verity-func",
    "func-action",
    "func-term",
    "setxattr-algos",
    "blacklist-signature",
    "verity-signature",
    "too-long",
];

/// The names of the warnings.
pub const WARNING_CHECKS: &[&str] = &[
    "shadowed",
    "disabled-by-dont",
    "kexec-unsigned",
    "policy-check",
    "blacklist-ignored",
    "repeated",
    "modsig-config",
];

/// The findings about one policy for one profile.
#[derive(Clone, Debug, serde::Serialize)]
pub struct Report {
    #[serde(serialize_with = "ser_profile")]
    pub profile: Profile,
    /// Rules in the file (lines that are neither blank nor comments).
    pub rules: usize,
    /// Errors and warnings, by line and column.
    pub diagnostics: Vec<Diagnostic>,
}

fn ser_profile<S: serde::Serializer>(p: &Profile, s: S) -> Result<S::Ok, S::Error> {
    s.serialize_str(p.name())
}

impl Report {
    pub fn errors(&self) -> usize {
        self.count(Severity::Error)
    }

    pub fn warnings(&self) -> usize {
        self.count(Severity::Warning)
    }

    /// True when the kernel of the profile would accept every rule.
    pub fn is_valid(&self) -> bool {
        self.errors() == 0
    }

    /// True when a check fails: on an error, or with `strict` on a warning too.
    pub fn fails(&self, strict: bool) -> bool {
        !self.is_valid() || (strict && self.warnings() > 0)
    }

    fn count(&self, s: Severity) -> usize {
        self.diagnostics.iter().filter(|d| d.severity == s).count()
    }
}

/// Parses and checks a policy text for `profile`.
pub fn check_text(text: &str, profile: Profile) -> (ParsedPolicy, Report) {
    let parsed = parse_policy(text);
    let report = check_policy(&parsed, profile);
    (parsed, report)
}

/// Checks a parsed policy for `profile`: parse errors, each rule's kernel acceptance, and
/// the warnings, sorted by position.
pub fn check_policy(parsed: &ParsedPolicy, profile: Profile) -> Report {
    let mut diagnostics = parsed.diagnostics.clone();
    let mut accepted = Vec::new();
    for r in &parsed.rules {
        if diagnostics.len() >= MAX_DIAGNOSTICS {
            let near = Diagnostic::error(&r.action_token, "", None);
            diagnostics.push(limits::too_many_diagnostics(&near));
            break;
        }
        let errors = rule_errors(r, profile);
        if errors.is_empty() {
            diagnostics.extend(rule_warnings(r, profile));
            accepted.push(r);
        }
        diagnostics.extend(errors);
    }
    for p in &parsed.partial {
        // The rule is already refused; report its other errors, except those that would
        // be guesses about a func the parser could not read.
        let func_dependent = [
            "modsig-func",
            "verity-func",
            "func-action",
            "func-term",
            "setxattr-algos",
            "blacklist-signature",
        ];
        diagnostics.extend(
            rule_errors(&p.rule, profile)
                .into_iter()
                .filter(|d| !(p.func_unreadable && func_dependent.contains(&d.code))),
        );
    }
    let room = MAX_DIAGNOSTICS.saturating_sub(diagnostics.len());
    let mut shadowed = shadow_warnings(&accepted, room + 1);
    if shadowed.len() > room {
        shadowed.truncate(room + 1);
        let stop = limits::too_many_diagnostics(&shadowed[room]);
        shadowed[room] = stop;
    }
    diagnostics.extend(shadowed);
    for d in &mut diagnostics {
        if let Some(what) = crate::escape::describe_invisible(&d.token) {
            d.message = format!("{} (the word {what})", d.message);
        }
    }
    // Warnings the author marked as intended are not findings.
    diagnostics.retain(|d| {
        d.severity != Severity::Warning
            || !parsed
                .intended
                .iter()
                .any(|(line, code)| *line == d.line && code == d.code)
    });
    diagnostics.sort_by_key(|d| (d.line, d.column, d.severity == Severity::Warning));
    Report {
        profile,
        rules: parsed.rule_lines,
        diagnostics,
    }
}

pub(super) fn err(
    tok: &Token,
    code: &'static str,
    msg: String,
    hint: Option<String>,
) -> Diagnostic {
    Diagnostic::error(tok, msg, hint).with_code(code)
}

pub(super) fn warn(
    tok: &Token,
    code: &'static str,
    msg: String,
    hint: Option<String>,
) -> Diagnostic {
    Diagnostic::warning(tok, msg, hint).with_code(code)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn codes(text: &str, p: Profile) -> Vec<&'static str> {
        check_text(text, p)
            .1
            .diagnostics
            .iter()
            .map(|d| d.code)
            .collect()
    }

    #[test]
    fn shadowed_by_broader_rule() {
        let t = "measure func=BPRM_CHECK\nmeasure func=BPRM_CHECK uid=0\n";
        let (_, r) = check_text(t, Profile::V6_1);
        assert_eq!(r.diagnostics.len(), 1);
        assert_eq!(
            (r.diagnostics[0].line, r.diagnostics[0].code),
            (2, "shadowed")
        );
        // The other way round both rules can match something.
        assert!(codes(
            "measure func=BPRM_CHECK uid=0\nmeasure func=BPRM_CHECK\n",
            Profile::V6_1
        )
        .is_empty());
    }

    #[test]
    fn dont_rule_disables_later_rule() {
        let t = "dont_appraise fsmagic=0x9fa0\nappraise fsmagic=0x9fa0 func=BPRM_CHECK\n";
        assert_eq!(codes(t, Profile::V6_12), vec!["disabled-by-dont"]);
    }

    #[test]
    fn other_families_do_not_shadow() {
        assert!(codes(
            "measure func=BPRM_CHECK\nappraise func=BPRM_CHECK\n",
            Profile::V6_1
        )
        .is_empty());
        assert!(codes("measure\nmeasure func=KEY_CHECK\n", Profile::V6_1).is_empty());
    }

    #[test]
    fn errors_of_a_rule_with_a_parse_error_are_reported_too() {
        let t = "measure func=KEXEC_KERNAL_CHECK appraise_type=imasig pcr=99\n";
        assert_eq!(
            codes(t, Profile::V6_1),
            vec!["unknown-func", "appraise-option-action", "parse"]
        );
        // A guess about the unreadable func is not reported.
        let t = "appraise func=MODUL_CHECK appraise_type=imasig|modsig\n";
        assert_eq!(codes(t, Profile::V6_1), vec!["unknown-func"]);
    }

    #[test]
    fn strict_fails_on_warnings_too() {
        let (_, warned) = check_text("measure\nmeasure uid=0\n", Profile::V6_1);
        assert_eq!((warned.errors(), warned.warnings()), (0, 1));
        assert!(!warned.fails(false));
        assert!(warned.fails(true));
        let (_, broken) = check_text("measure func=NOPE\n", Profile::V6_1);
        assert!(broken.fails(false));
        let (_, clean) = check_text("measure func=BPRM_CHECK\n", Profile::V6_1);
        assert!(!clean.fails(true));
    }

    #[test]
    fn id_ranges_cover() {
        let t = "measure uid<1000\nmeasure uid=5\n";
        assert_eq!(codes(t, Profile::V6_1), vec!["shadowed"]);
    }
}
