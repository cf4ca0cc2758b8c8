//! The lockout check ([`super::lockout`]) as the tools run it and word it, shared by
//! `imactl policy load` and `imactl boot`: [`assess`] gathers the facts of the system under
//! a root (the running programs judged under the new rules, whether IMA appraisal
//! enforces), [`describe`] turns them into messages and says whether the load must stop,
//! [`summary`] is the machine-readable form. Nothing here prints.

use std::path::Path;

use serde::Serialize;

use super::lockout::{self, Finding, Judged, Outcome, Role};
use super::parse::ParsedRule;
use crate::escape;
use crate::verify::{Keys, Verifier};

/// What the check found on one system.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Assessment {
    pub finding: Finding,
    /// Whether IMA appraisal enforces on this boot: no `ima_appraise=` (or `=enforce`), or
    /// Secure Boot on, which overrides it.
    pub enforcing: bool,
    /// The last `ima_appraise=` value of the kernel command line, when there is one.
    pub mode: Option<String>,
}

/// Runs the check of `rules` on the system under `root` ("/": this one; /proc and /sys are
/// read under it), EVM's state from `securityfs`. `None` when no rule could appraise an
/// exec (nothing to check). On the live system signatures are verified with the keys of
/// the IMA keyring, as `imactl verify` does; a test root has no keys to offer.
pub fn assess(rules: &[ParsedRule], root: &Path, securityfs: &Path) -> Option<Assessment> {
    if !lockout::applies(rules) {
        return None;
    }
    let verifier = if root == Path::new("/") {
        let spec = crate::keyring::KeyringSpec::Purpose(crate::keyring::Purpose::Ima);
        crate::verify::keyring_verifier(&spec).0
    } else {
        let why = format!("{} is not the live system", root.display());
        Verifier::new(Keys::Absent { why })
    };
    let env = lockout::Env {
        proc_root: root.join("proc"),
        verifier: &verifier,
        evm_active: lockout::evm_active(securityfs),
    };
    let finding = lockout::check(rules, &env);
    let facts = crate::status::gather::gather(root);
    let enforcing = crate::status::preflight::appraise_enforcing(&facts);
    let mode = facts.cmdline.as_deref().and_then(|c| {
        c.split_whitespace()
            .rev()
            .find_map(|w| w.strip_prefix("ima_appraise="))
            .map(str::to_string)
    });
    Some(Assessment {
        finding,
        enforcing,
        mode,
    })
}

/// What becomes of a load, given the finding.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum Decision {
    /// No running program would be refused.
    Pass,
    /// Programs would be refused and appraisal enforces: not loaded (or, in a dry run, a
    /// real load would not be).
    Refused,
    /// Programs would be refused; loaded anyway (--force).
    Forced,
    /// Programs would be refused, but appraisal does not enforce on this boot: the kernel
    /// logs them and runs them; loaded.
    NotEnforcing,
}

/// How the tool was asked, for the words.
pub struct Wording<'a> {
    /// The policy as named in messages.
    pub file: &'a str,
    pub force: bool,
    pub dry_run: bool,
    /// The last way out, after "or ": e.g. "load it anyway with --force".
    pub force_hint: &'a str,
}

/// One message: a headline (its level, e.g. "warning", and text) and lines printed under
/// it as they are (indented).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Message {
    /// Empty: none.
    pub level: String,
    pub text: String,
    pub details: Vec<String>,
}

impl Message {
    fn new(level: &str, text: String) -> Message {
        Message {
            level: level.to_string(),
            text,
            details: Vec::new(),
        }
    }

    /// The text and the lines under it, without the level.
    pub fn body(&self) -> String {
        let mut s = self.text.clone();
        for d in &self.details {
            s.push('\n');
            s.push_str(d);
        }
        s
    }

    /// "LEVEL: TEXT" (or TEXT) and the lines under it.
    pub fn render(&self) -> String {
        if self.level.is_empty() {
            self.body()
        } else {
            format!("{}: {}", self.level, self.body())
        }
    }
}

/// The finding in words.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Described {
    pub decision: Decision,
    /// Warnings and notes, in order; the load goes on as far as they are concerned.
    pub notes: Vec<Message>,
    /// When the load must stop: the files that would be refused, and the ways out.
    pub refusal: Option<Message>,
}

/// How many files of a list are shown.
pub const SHOWN: usize = 10;

/// "1 file", "2 files"; "process" takes "es".
fn plural(n: usize, word: &str) -> String {
    match (n, word.ends_with('s')) {
        (1, _) => format!("{n} {word}"),
        (_, true) => format!("{n} {word}es"),
        _ => format!("{n} {word}s"),
    }
}

fn e(t: &str) -> String {
    escape::terminal(t).into_owned()
}

/// The decision alone (what [`describe`] decides).
pub fn decide(a: &Assessment, force: bool) -> Decision {
    match (a.finding.refused.is_empty(), a.enforcing, force) {
        (true, _, _) => Decision::Pass,
        (false, false, _) => Decision::NotEnforcing,
        (false, true, true) => Decision::Forced,
        (false, true, false) => Decision::Refused,
    }
}

/// The finding in words, and whether the load stops: it does when a running program would
/// be refused, appraisal enforces, and neither --force nor --dry-run was given.
pub fn describe(a: &Assessment, w: &Wording) -> Described {
    let finding = &a.finding;
    let file = e(w.file);
    let mut notes = Vec::new();
    if finding.unreadable_count > 0 {
        notes.push(Message::new(
            "warning",
            format!(
                "the lockout check could not read {} (their programs are not checked): {}{}",
                plural(finding.unreadable_count, "process"),
                e(&finding.unreadable.join("; ")),
                if finding.unreadable_count > finding.unreadable.len() {
                    "; ..."
                } else {
                    ""
                }
            ),
        ));
    }
    if !finding.unknown.is_empty() {
        let mut m = Message::new(
            "warning",
            format!(
                "{} this system runs now could not be judged under {file}; the kernel may refuse {}:",
                plural(finding.unknown.len(), "file"),
                if finding.unknown.len() == 1 { "it" } else { "them" }
            ),
        );
        m.details = judged_lines(&finding.unknown);
        notes.push(m);
    }
    let decision = decide(a, w.force);
    if decision == Decision::Pass {
        return Described {
            decision,
            notes,
            refusal: None,
        };
    }
    let refuse_real = decision == Decision::Refused;
    let level = match (refuse_real, w.dry_run) {
        (true, true) => "dry run: a real load would refuse this policy",
        (true, false) => "error",
        (false, _) if !a.enforcing => "warning",
        (false, _) => "warning (--force)",
    };
    let mut m = Message::new(level, format!("{}:", refused_headline(finding, &file)));
    m.details = judged_lines(&finding.refused);
    if refuse_real {
        m.details.push("  hint: sign them first: `evmctl ima_sign -r --key KEY DIR` for each directory holding them, with the certificate's key in the IMA keyring (`imactl key import CERT`)".into());
        m.details.push("  hint: or try the policy with ima_appraise=log on the kernel command line: the kernel then logs each file it would refuse and runs it anyway".into());
        m.details.push(format!("  hint: or {}", w.force_hint));
        if !w.dry_run {
            return Described {
                decision,
                notes,
                refusal: Some(m),
            };
        }
    }
    notes.push(m);
    if !a.enforcing {
        notes.push(Message::new("", format!(
            "IMA appraisal does not enforce on this boot (ima_appraise={}, and Secure Boot, which would override it, is not seen on): the kernel logs each of these files and runs it anyway{}",
            e(a.mode.as_deref().unwrap_or("not enforce")),
            if w.dry_run { "" } else { "; loading" }
        )));
    } else if w.force && !w.dry_run {
        notes.push(Message::new(
            "",
            "loading anyway (--force): once it is loaded, the kernel refuses these files".into(),
        ));
    }
    Described {
        decision,
        notes,
        refusal: None,
    }
}

/// "N of the M files this system runs now (...) would be refused (EACCES) at their next
/// exec under FILE".
fn refused_headline(finding: &Finding, file: &str) -> String {
    format!(
        "{} of the {} files this system runs now ({}) would be refused (EACCES) at their next exec{} under {file}",
        finding.refused.len(),
        finding.files,
        if finding.mapped_checked {
            "programs and the files they map executable"
        } else {
            "the programs of its processes"
        },
        if finding.mapped_checked { " or mapping" } else { "" },
    )
}

fn role_words(role: Role) -> &'static str {
    match role {
        Role::Program => "program",
        Role::Mapped => "mapped executable",
    }
}

/// Up to [`SHOWN`] judged files (two lines for a refused one: the file and why, the rule),
/// then "... and N more".
fn judged_lines(list: &[Judged]) -> Vec<String> {
    let mut out = Vec::new();
    for j in list.iter().take(SHOWN) {
        let head = format!(
            "  {} ({} of pid {})",
            e(&j.path),
            role_words(j.role),
            e(&j.pid)
        );
        match &j.outcome {
            Outcome::Refused { cause, rule } => {
                out.push(format!("{head}: {}", e(cause)));
                out.push(format!("      line {}: {}", rule.line, e(&rule.text)));
            }
            Outcome::Unknown(why) => out.push(format!("{head}: {}", e(why))),
            Outcome::Pass => {}
        }
    }
    if list.len() > SHOWN {
        out.push(format!("  ... and {} more", list.len() - SHOWN));
    }
    out
}

/// One refused file, for machines.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct RefusedFile {
    pub path: String,
    /// "program" or "mapped executable".
    pub role: &'static str,
    pub pid: String,
    /// Why, in the audit log's words.
    pub cause: String,
    /// The rule that refuses it: its line in the policy file, and its text.
    pub line: usize,
    pub rule: String,
}

/// The check's result for machines (`imactl boot --json`).
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Summary {
    pub decision: Decision,
    pub enforcing: bool,
    /// Distinct files judged.
    pub files: usize,
    /// How many would be refused, and the first [`SHOWN`] of them.
    pub refused: usize,
    pub refused_files: Vec<RefusedFile>,
    /// How many could not be judged here.
    pub unknown: usize,
    /// Processes whose programs could not be read.
    pub unreadable: usize,
}

/// The machine-readable form of `a`, with the decision [`describe`] made.
pub fn summary(a: &Assessment, decision: Decision) -> Summary {
    let f = &a.finding;
    let refused_files = f
        .refused
        .iter()
        .take(SHOWN)
        .filter_map(|j| match &j.outcome {
            Outcome::Refused { cause, rule } => Some(RefusedFile {
                path: j.path.clone(),
                role: role_words(j.role),
                pid: j.pid.clone(),
                cause: cause.clone(),
                line: rule.line,
                rule: rule.text.clone(),
            }),
            _ => None,
        })
        .collect();
    Summary {
        decision,
        enforcing: a.enforcing,
        files: f.files,
        refused: f.refused.len(),
        refused_files,
        unknown: f.unknown.len(),
        unreadable: f.unreadable_count,
    }
}
