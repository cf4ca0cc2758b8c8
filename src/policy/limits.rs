//! Bounds on what a policy check holds in memory, so that no policy file (up to its
//! 64 MiB read cap) makes `imactl policy check` or `load` use more than 256 MiB or run for
//! long: at most [`MAX_RULES`] rule lines, lines of at most [`MAX_LINE_BYTES`], and at most
//! [`MAX_DIAGNOSTICS`] findings kept. Each bound, when reached, is itself reported.

use super::{Diagnostic, Severity};

/// The most rule lines a policy may have: more is an error, and the rest is not parsed,
/// which keeps the memory of a check bounded (about 1 KiB per rule).
pub const MAX_RULES: usize = 131_072;

/// The longest line parsed: twice what one write() to the kernel carries
/// ([`super::keywords::MAX_RULE_BYTES`]), so that spacing does not count against a rule.
pub const MAX_LINE_BYTES: usize = 8192;

/// The most findings kept (errors and warnings alike); the check stops adding more there.
pub const MAX_DIAGNOSTICS: usize = 10_000;

/// Where an error about a whole line points: its first word (at most 40 characters).
struct At {
    line: usize,
    column: usize,
    token: String,
}

fn first_token(line_no: usize, line: &str) -> At {
    let trimmed = line.trim_start_matches([' ', '\t']);
    let word: String = trimmed
        .chars()
        .take_while(|c| *c != ' ' && *c != '\t')
        .take(40)
        .collect();
    At {
        line: line_no,
        column: line.len() - trimmed.len() + 1,
        token: word,
    }
}

fn error(at: At, code: &'static str, message: String, hint: &str) -> Diagnostic {
    Diagnostic {
        severity: Severity::Error,
        line: at.line,
        column: at.column,
        token: at.token,
        message,
        hint: Some(hint.into()),
        code,
    }
}

/// The error for the first rule line past [`MAX_RULES`].
pub fn too_many_rules(line_no: usize, line: &str) -> Diagnostic {
    error(
        first_token(line_no, line),
        "too-many-rules",
        format!("more than {MAX_RULES} rules: the rest of the policy is not read"),
        "the kernel walks the rules one by one for every event; merge rules or split the policy",
    )
}

/// The error for a line over [`MAX_LINE_BYTES`], which is not parsed.
pub fn line_too_long(line_no: usize, line: &str) -> Diagnostic {
    error(
        first_token(line_no, line),
        "too-long",
        format!(
            "the line is {} bytes: lines over {MAX_LINE_BYTES} bytes are not read (the kernel \
             takes at most {} bytes per rule)",
            line.len(),
            super::keywords::MAX_RULE_BYTES
        ),
        "split it into several rules",
    )
}

/// The finding that ends a check at [`MAX_DIAGNOSTICS`], at the start of a line.
pub fn too_many_diagnostics_at(line_no: usize, line: &str) -> Diagnostic {
    error(
        first_token(line_no, line),
        "too-many-diagnostics",
        format!("more than {MAX_DIAGNOSTICS} errors and warnings: the check stopped here"),
        "fix the errors above and check again",
    )
}

/// [`too_many_diagnostics_at`] where a finding already points.
pub fn too_many_diagnostics(near: &Diagnostic) -> Diagnostic {
    Diagnostic {
        severity: Severity::Error,
        code: "too-many-diagnostics",
        message: format!("more than {MAX_DIAGNOSTICS} errors and warnings: the check stopped here"),
        hint: Some("fix the errors above and check again".into()),
        ..near.clone()
    }
}
