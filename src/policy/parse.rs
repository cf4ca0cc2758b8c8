//! Reading policy text: splits lines into tokens with their line and column, and turns each
//! token into a typed term of [`Rule`]. It knows every keyword any profile accepts and
//! reports what no kernel could read (unknown keywords, malformed values, a missing or second
//! action). Whether a given kernel accepts the rule is [`super::validate`]'s job.

use super::{
    did_you_mean, keyword, Action, AppraiseType, Condition, Diagnostic, Func, IdKind, IdOp,
    LsmKind, Mask, MaskBit, Rule, RuleOption, Term, KERNEL_HASH_NAMES, KEYWORDS, TEMPLATES,
};

/// A token as written, with its 1-based position.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Token {
    pub text: String,
    pub line: usize,
    pub column: usize,
}

/// A rule that parsed, with where each of its parts was written.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ParsedRule {
    /// 1-based line number.
    pub line: usize,
    /// The line as written.
    pub source: String,
    pub rule: Rule,
    pub action_token: Token,
    /// How many terms were written before the action (the kernel reads tokens in order).
    pub action_pos: usize,
    /// The token of each term, parallel to `rule.terms`.
    pub term_tokens: Vec<Token>,
    /// A trailing `# comment`, if any (its first token).
    pub comment: Option<Token>,
}

/// A whole policy text: the rules that parsed and the errors of those that did not.
#[derive(Clone, Debug, Default)]
pub struct ParsedPolicy {
    pub rules: Vec<ParsedRule>,
    /// Rules with parse errors, holding the terms that did parse, so that their other
    /// errors can be reported too. Never loaded.
    pub partial: Vec<PartialRule>,
    /// Parse errors, in line order.
    pub diagnostics: Vec<Diagnostic>,
    /// Lines that hold a rule (parsed or not).
    pub rule_lines: usize,
    /// Warnings the author marked as intended: (rule line, check name), from a comment
    /// `# imactl: intended CHECK[,CHECK...]` on the line right before the rule.
    pub intended: Vec<(usize, String)>,
}

/// What is left of a rule with parse errors.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct PartialRule {
    pub rule: ParsedRule,
    /// A `func=` token was there but unreadable: checks that depend on the func would
    /// only guess.
    pub func_unreadable: bool,
}

pub use super::limits::MAX_RULES;
use super::limits::{self, MAX_DIAGNOSTICS, MAX_LINE_BYTES};

/// The comment that marks the warnings of the next rule as intended:
/// `# imactl: intended policy-check`.
pub const INTENDED_MARKER: &str = "imactl: intended ";

/// Parses a policy text. Blank lines and lines whose first non-blank character is `#` are
/// skipped, as the kernel does. The bounds of [`limits`] apply: a line that is too long is
/// an error and not parsed; past [`MAX_RULES`] rule lines or [`MAX_DIAGNOSTICS`] findings,
/// an error ends the parse.
pub fn parse_policy(text: &str) -> ParsedPolicy {
    let mut out = ParsedPolicy::default();
    for (i, line) in text.split('\n').enumerate() {
        let line_no = i + 1;
        let trimmed = line.trim_start_matches([' ', '\t']);
        if let Some(codes) = trimmed
            .strip_prefix('#')
            .and_then(|c| c.trim_start().strip_prefix(INTENDED_MARKER))
        {
            for code in codes.split([',', ' ', '\t']).filter(|c| !c.is_empty()) {
                out.intended.push((line_no + 1, code.to_string()));
            }
        }
        if trimmed.is_empty() || trimmed.starts_with('#') {
            continue;
        }
        if out.rule_lines == MAX_RULES {
            out.diagnostics.push(limits::too_many_rules(line_no, line));
            break;
        }
        if out.diagnostics.len() >= MAX_DIAGNOSTICS {
            out.diagnostics
                .push(limits::too_many_diagnostics_at(line_no, line));
            break;
        }
        out.rule_lines += 1;
        if line.len() > MAX_LINE_BYTES {
            out.diagnostics.push(limits::line_too_long(line_no, line));
            continue;
        }
        let (rule, mut errors) = parse_rule_parts(line_no, line);
        match rule {
            Some(r) if errors.is_empty() => out.rules.push(r),
            Some(r) => out.partial.push(PartialRule {
                func_unreadable: errors
                    .iter()
                    .any(|d| d.token.starts_with("func=") || d.token == "func"),
                rule: r,
            }),
            None => {}
        }
        out.diagnostics.append(&mut errors);
    }
    out
}

/// Splits a line into tokens on spaces and tabs, as the kernel's strsep(" \t") does.
pub fn tokenize(line_no: usize, line: &str) -> Vec<Token> {
    let mut tokens = Vec::new();
    let mut cur = String::new();
    let mut start = 0;
    for (col, c) in line.chars().enumerate() {
        if c == ' ' || c == '\t' {
            if !cur.is_empty() {
                tokens.push(Token {
                    text: std::mem::take(&mut cur),
                    line: line_no,
                    column: start + 1,
                });
            }
        } else {
            if cur.is_empty() {
                start = col;
            }
            cur.push(c);
        }
    }
    if !cur.is_empty() {
        tokens.push(Token {
            text: cur,
            line: line_no,
            column: start + 1,
        });
    }
    tokens
}

/// Parses one rule line (not blank, not a whole-line comment).
pub fn parse_rule_line(line_no: usize, line: &str) -> Result<ParsedRule, Vec<Diagnostic>> {
    match parse_rule_parts(line_no, line) {
        (Some(r), e) if e.is_empty() => Ok(r),
        (_, e) => Err(e),
    }
}

/// Parses what can be parsed of a rule line: the rule without its unreadable tokens (none
/// when it has no action) and the errors.
fn parse_rule_parts(line_no: usize, line: &str) -> (Option<ParsedRule>, Vec<Diagnostic>) {
    let tokens = tokenize(line_no, line);
    let mut errors = Vec::new();
    let mut action: Option<(Action, Token, usize)> = None;
    let mut terms = Vec::new();
    let mut term_tokens = Vec::new();
    let mut comment = None;
    for tok in tokens {
        if tok.text.starts_with('#') {
            comment = Some(tok);
            break;
        }
        if tok.text.contains('\r') {
            errors.push(Diagnostic::error(
                &tok,
                format!(
                    "carriage return in `{}`: the kernel reads it as part of the token",
                    tok.text.escape_debug()
                ),
                Some("convert the file to Unix line endings".into()),
            ));
            continue;
        }
        if let Some(a) = Action::from_name(&tok.text) {
            match &action {
                Some((first, first_tok, _)) => errors.push(Diagnostic::error(
                    &tok,
                    format!(
                        "second action `{}`: a rule has exactly one action and this one already has `{}` (column {})",
                        tok.text,
                        first.name(),
                        first_tok.column
                    ),
                    Some("split it into one rule per action".into()),
                )
                .with_code("second-action")),
                None => action = Some((a, tok.clone(), terms.len())),
            }
            continue;
        }
        match parse_term(&tok) {
            Ok(t) => {
                terms.push(t);
                term_tokens.push(tok);
            }
            Err(d) => errors.push(d),
        }
    }
    let Some((action, action_token, action_pos)) = action else {
        let first = tokenize(line_no, line).into_iter().next().unwrap_or(Token {
            text: String::new(),
            line: line_no,
            column: 1,
        });
        let suggestion = first
            .text
            .split(['=', '<', '>'])
            .next()
            .and_then(|w| did_you_mean(w, &Action::ALL.map(|a| a.name())))
            .filter(|_| !first.text.contains('='));
        let no_action = "the kernel refuses a rule without measure, appraise, audit, hash or one of their dont_ forms";
        // A misspelt action is one error, not "unknown keyword" plus "no action".
        errors.retain(|d| !(d.column == first.column && d.code == "unknown-keyword"));
        let (message, hint) = match suggestion {
            Some(s) => (
                format!("unknown action `{}`: {no_action}", first.text),
                format!("did you mean `{s}`?"),
            ),
            None => (
                format!("rule has no action: {no_action}"),
                "start the rule with its action, e.g. `measure func=BPRM_CHECK`".into(),
            ),
        };
        errors.insert(
            0,
            Diagnostic::error(&first, message, Some(hint)).with_code("no-action"),
        );
        return (None, errors);
    };
    let rule = ParsedRule {
        line: line_no,
        source: line.to_string(),
        rule: Rule { action, terms },
        action_token,
        action_pos,
        term_tokens,
        comment,
    };
    (Some(rule), errors)
}

fn err(tok: &Token, message: String, hint: Option<String>) -> Diagnostic {
    Diagnostic::error(tok, message, hint)
}

fn mean(word: &str, candidates: &[&str]) -> Option<String> {
    did_you_mean(word, candidates).map(|s| format!("did you mean `{s}`?"))
}

/// Parses one condition or option token.
fn parse_term(tok: &Token) -> Result<Term, Diagnostic> {
    let text = tok.text.as_str();
    let split = text.find(['=', '<', '>']);
    let (key, op, value) = match split {
        Some(i) => (&text[..i], text.as_bytes()[i] as char, &text[i + 1..]),
        None => (text, ' ', ""),
    };
    let Some(kw) = keyword(key) else {
        let names: Vec<&str> = KEYWORDS.iter().map(|k| k.name).collect();
        let message = format!("unknown keyword `{key}`: the kernel refuses the rule (EINVAL)");
        return Err(err(tok, message, mean(key, &names)).with_code("unknown-keyword"));
    };
    if kw.kind == super::KeywordKind::Action {
        // Found by fuzzing: `hash=X` reached the option parser.
        return Err(err(
            tok,
            format!(
                "`{key}` is an action and takes no value: the kernel refuses the rule (EINVAL)"
            ),
            Some(format!("write `{key}` alone, once, as the rule's action")),
        ));
    }
    if key == "permit_directio" {
        if split.is_some() {
            return Err(err(
                tok,
                "permit_directio takes no value".into(),
                Some("write `permit_directio` alone".into()),
            ));
        }
        return Ok(Term::Opt(RuleOption::PermitDirectio));
    }
    if split.is_none() {
        return Err(err(
            tok,
            format!("`{key}` needs a value: the kernel only knows `{key}=VALUE`"),
            None,
        ));
    }
    let id_kind = IdKind::from_name(key);
    if op != '=' && id_kind.is_none() {
        return Err(err(
            tok,
            format!("`{key}` is written `{key}=VALUE`; only uid, euid, gid, egid, fowner and fgroup compare with < or >"),
            None,
        ));
    }
    if value.is_empty() {
        return Err(err(
            tok,
            format!("`{key}{op}` has an empty value: the kernel does not recognise the token"),
            None,
        ));
    }
    if let Some(kind) = id_kind {
        return parse_id(tok, key, kind, op, value);
    }
    if let Some(kind) = LsmKind::from_name(key) {
        return Ok(Term::Cond(Condition::Lsm {
            kind,
            label: value.to_string(),
        }));
    }
    match key {
        "func" | "mask" | "fsmagic" | "fsname" | "fs_subtype" | "fsuuid" | "keyrings" | "label" => {
            parse_condition(tok, key, value).map(Term::Cond)
        }
        _ => parse_option(tok, key, value).map(Term::Opt),
    }
}

/// `uid=`, `euid<`, `fowner>`...: a decimal id the kernel can hold.
fn parse_id(
    tok: &Token,
    key: &str,
    kind: IdKind,
    op: char,
    value: &str,
) -> Result<Term, Diagnostic> {
    let op = match op {
        '=' => IdOp::Eq,
        '>' => IdOp::Gt,
        _ => IdOp::Lt,
    };
    let digits = value.strip_prefix('+').unwrap_or(value);
    let n: Option<u32> = if digits.bytes().all(|b| b.is_ascii_digit()) {
        digits.parse().ok()
    } else {
        None
    };
    match n {
        Some(v) if v != u32::MAX => Ok(Term::Cond(Condition::Id { kind, op, value: v })),
        Some(_) => Err(err(
            tok,
            format!("{key} 4294967295 is the kernel's invalid id (-1) and is refused"),
            None,
        )
        .with_code("bad-id")),
        None => Err(err(
            tok,
            format!("{key} needs a decimal id from 0 to 4294967294, not `{value}`"),
            Some("names are not resolved by the kernel; use the numeric id".into()),
        )
        .with_code("bad-id")),
    }
}

/// A condition keyword's value (`key` is one of the condition keywords but the ids and LSM
/// labels).
fn parse_condition(tok: &Token, key: &str, value: &str) -> Result<Condition, Diagnostic> {
    match key {
        "func" => match Func::from_name(value) {
            Some(f) => Ok(Condition::Func(f)),
            None => Err(err(
                tok,
                format!("unknown func {value}{}", {
                    match did_you_mean(value, &Func::spellings()) {
                        Some(s) => format!("; did you mean `{s}`?"),
                        None => String::new(),
                    }
                }),
                Some(format!(
                    "the kernel knows {}",
                    Func::ALL.map(|f| f.name()).join(", ")
                )),
            )
            .with_code("unknown-func")),
        },
        "mask" => {
            let (inmask, name) = match value.strip_prefix('^') {
                Some(rest) => (true, rest),
                None => (false, value),
            };
            match MaskBit::from_name(name) {
                Some(bit) => Ok(Condition::Mask(Mask { inmask, bit })),
                None => Err(err(
                    tok,
                    format!("unknown mask {value}: the kernel knows MAY_EXEC, MAY_WRITE, MAY_READ and MAY_APPEND, optionally prefixed with ^"),
                    mean(name, &MaskBit::ALL.map(|m| m.name())),
                )
                .with_code("bad-mask")),
            }
        }
        "fsmagic" => {
            let hex = value
                .strip_prefix("0x")
                .or_else(|| value.strip_prefix("0X"))
                .unwrap_or(value);
            match u64::from_str_radix(hex, 16) {
                Ok(v) if !hex.starts_with('+') && !hex.starts_with('-') => {
                    Ok(Condition::Fsmagic(v))
                }
                _ => Err(err(
                    tok,
                    format!("fsmagic needs a hexadecimal number, not `{value}`"),
                    Some("e.g. fsmagic=0x9fa0 (proc); see statfs(2) for the magic numbers".into()),
                )),
            }
        }
        "fsname" => Ok(Condition::Fsname(value.to_string())),
        "fs_subtype" => Ok(Condition::FsSubtype(value.to_string())),
        "fsuuid" => match parse_uuid(value) {
            Some(u) => Ok(Condition::Fsuuid(u)),
            None => Err(err(
                tok,
                format!("fsuuid `{value}` is not a UUID (xxxxxxxx-xxxx-xxxx-xxxx-xxxxxxxxxxxx)"),
                Some("blkid shows the UUID of a filesystem".into()),
            )),
        },
        "keyrings" | "label" => match parse_list(value) {
            Some(items) if key == "keyrings" => Ok(Condition::Keyrings(items)),
            Some(items) => Ok(Condition::Label(items)),
            None => Err(err(
                tok,
                format!("{key} has an empty item: the kernel wants names separated by single `|`"),
                None,
            )),
        },
        _ => unreachable!("keyword table and parser disagree on {key}"),
    }
}

/// An option keyword's value.
fn parse_option(tok: &Token, key: &str, value: &str) -> Result<RuleOption, Diagnostic> {
    match key {
        "appraise_type" => match AppraiseType::from_name(value) {
            Some(t) => Ok(RuleOption::AppraiseType(t)),
            None => Err(err(
                tok,
                format!("unknown appraise_type {value}: the kernel knows imasig, imasig|modsig and sigv3"),
                mean(value, &["imasig", "imasig|modsig", "sigv3"]),
            )),
        },
        "appraise_flag" => match value {
            "check_blacklist" => Ok(RuleOption::CheckBlacklist),
            _ => Err(err(
                tok,
                format!("unknown appraise_flag {value}: the only flag is check_blacklist"),
                None,
            )),
        },
        "appraise_algos" => {
            let names: Vec<&str> = KERNEL_HASH_NAMES.iter().map(|(n, _)| *n).collect();
            let mut algos = Vec::new();
            for a in value.split(',') {
                if !names.contains(&a) {
                    let what = if a.is_empty() {
                        "an empty item".to_string()
                    } else {
                        format!("unknown hash algorithm `{a}`")
                    };
                    return Err(err(
                        tok,
                        format!("appraise_algos has {what}: the kernel refuses the whole list"),
                        mean(a, &names).or(Some(
                            "write kernel hash names separated by commas, e.g. appraise_algos=sha256,sha512".into(),
                        )),
                    ));
                }
                algos.push(a.to_string());
            }
            Ok(RuleOption::AppraiseAlgos(algos))
        }
        "digest_type" => match value {
            "verity" => Ok(RuleOption::DigestVerity),
            _ => Err(err(
                tok,
                format!("unknown digest_type {value}: the only digest type is verity"),
                None,
            )),
        },
        "pcr" => {
            let digits = value.strip_prefix('+').unwrap_or(value);
            match digits.parse::<u8>() {
                Ok(n) if n < 64 && digits.bytes().all(|b| b.is_ascii_digit()) => {
                    Ok(RuleOption::Pcr(n))
                }
                _ => Err(err(
                    tok,
                    format!("pcr must be a number from 0 to 63, not `{value}`"),
                    None,
                )),
            }
        }
        "template" => {
            if TEMPLATES.contains(&value) {
                Ok(RuleOption::Template(value.to_string()))
            } else {
                Err(err(
                    tok,
                    format!("unknown template {value}: the kernel knows {}", TEMPLATES.join(", ")),
                    mean(value, &TEMPLATES),
                ))
            }
        }
        _ => unreachable!("keyword table and parser disagree on {key}"),
    }
}

/// The kernel's uuid_parse(): 36 characters, dashes at 8, 13, 18, 23, hex elsewhere.
fn parse_uuid(s: &str) -> Option<String> {
    if s.len() != 36 {
        return None;
    }
    for (i, b) in s.bytes().enumerate() {
        let ok = if matches!(i, 8 | 13 | 18 | 23) {
            b == b'-'
        } else {
            b.is_ascii_hexdigit()
        };
        if !ok {
            return None;
        }
    }
    Some(s.to_ascii_lowercase())
}

/// A `|`-separated list with no empty item.
fn parse_list(s: &str) -> Option<Vec<String>> {
    let items: Vec<String> = s.split('|').map(str::to_string).collect();
    if items.iter().any(String::is_empty) {
        None
    } else {
        Some(items)
    }
}

#[cfg(test)]
#[path = "parse_tests.rs"]
mod tests;
