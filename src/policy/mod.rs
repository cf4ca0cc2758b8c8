//! IMA policy rules: the typed model of one rule (action, conditions, options), the keyword
//! table with the kernel versions that know each keyword, and the kernel profiles a policy is
//! checked against. This module owns the vocabulary; reading text is [`parse`], the kernel's
//! acceptance rules and the author-facing warnings are [`validate`], the canonical text is
//! [`print`], writing to securityfs is [`load`], and deciding what a load does is
//! [`plan`]. Nothing here prints or reads argv.
//!
//! The vocabulary itself is split in three files, re-exported here: `profile.rs` (kernel
//! profiles, the running release), `rule.rs` (the rule model) and `keywords.rs` (the
//! keyword table and kernel name lists). This file holds the [`Diagnostic`] type.
//!
//! Facts come from the kernel's security/integrity/ima/ima_policy.c (`ima_parse_rule`,
//! `ima_validate_rule`, `ima_match_rules`) and ima_fs.c, as summarised in the project's
//! docs/kernel.md ("Policy rules", "Loading a policy").

pub mod limits;
pub mod load;
pub mod lockout;
pub mod lockout_report;
pub mod matcher;
pub mod parse;
pub mod plan;
pub mod print;
pub mod state;
pub mod validate;

mod keywords;
mod profile;
mod rule;

pub use keywords::{
    did_you_mean, keyword, Keyword, KeywordKind, KERNEL_HASH_NAMES, KEYWORDS, MAX_RULE_BYTES,
    TEMPLATES, TRAILING_COMMENT_SINCE,
};
pub use profile::{choose_profile, kernel_release, Profile, ProfileSource, UnknownProfile};
pub use rule::{
    Action, AppraiseType, Condition, Func, IdKind, IdOp, LsmKind, Mask, MaskBit, Rule, RuleOption,
    Term,
};

/// How bad a finding is: errors make the kernel refuse the rule (or the whole load);
/// warnings are rules the kernel takes that do not do what their author likely expects.
#[derive(Clone, Copy, Debug, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Severity {
    Error,
    Warning,
}

/// One finding about a policy text, located at the token it is about.
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize)]
pub struct Diagnostic {
    pub severity: Severity,
    /// 1-based line of the policy file.
    pub line: usize,
    /// 1-based column (in characters) of the token.
    pub column: usize,
    /// The token as written.
    pub token: String,
    /// What is wrong and, for errors, why the kernel refuses it.
    pub message: String,
    /// What to do about it.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub hint: Option<String>,
    /// A short stable name of the check (`unknown-keyword`, `func-term`, `shadowed`, ...).
    pub code: &'static str,
}

impl Diagnostic {
    pub fn error(tok: &parse::Token, message: impl Into<String>, hint: Option<String>) -> Self {
        Diagnostic {
            severity: Severity::Error,
            line: tok.line,
            column: tok.column,
            token: tok.text.clone(),
            message: message.into(),
            hint,
            code: "parse",
        }
    }

    /// The same finding with the name of the check that made it.
    pub fn with_code(mut self, code: &'static str) -> Self {
        self.code = code;
        self
    }

    pub fn warning(tok: &parse::Token, message: impl Into<String>, hint: Option<String>) -> Self {
        Diagnostic {
            severity: Severity::Warning,
            ..Diagnostic::error(tok, message, hint)
        }
    }
}
