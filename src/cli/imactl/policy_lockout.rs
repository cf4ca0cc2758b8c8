//! The lockout check of `imactl policy load`, as this front end prints it: which running
//! programs the new policy would have the kernel refuse, the ways out, and whether the load
//! goes on (the words are [`crate::policy::lockout_report`]'s, shared with `imactl boot`).

use std::path::Path;

use crate::input::source_name;
use crate::policy::lockout_report;
use crate::policy::parse::ParsedPolicy;

/// What `policy load` was asked, as far as the lockout check is concerned.
pub(super) struct LockoutArgs<'a> {
    /// The policy file as named (`-`: standard input).
    pub file: &'a Path,
    /// The root /proc and /sys are read under ("/" on the live system).
    pub root: &'a Path,
    pub dry_run: bool,
    pub force: bool,
}

/// What the lockout check decided.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(super) enum Lockout {
    /// Nothing would be refused, or the load goes on despite it (warned).
    Proceed,
    /// Programs would be refused: do not load.
    Refuse,
}

/// The lockout check of `policy load`: the programs this system runs now, judged under the
/// new rules ([`crate::policy::lockout_report`]). Refuses when one would be refused, IMA
/// appraisal enforces, and neither --force nor --dry-run was given; otherwise the finding
/// is a warning.
pub(super) fn lockout_check(a: &LockoutArgs, parsed: &ParsedPolicy, securityfs: &Path) -> Lockout {
    let Some(assessment) = lockout_report::assess(&parsed.rules, a.root, securityfs) else {
        return Lockout::Proceed;
    };
    let file = source_name(a.file).to_string();
    let words = lockout_report::Wording {
        file: &file,
        force: a.force,
        dry_run: a.dry_run,
        force_hint: "load it anyway with --force",
    };
    let described = lockout_report::describe(&assessment, &words);
    for m in &described.notes {
        eprintln!("imactl: {}", m.render());
    }
    match described.refusal {
        Some(m) => {
            eprintln!("imactl: {}", m.render());
            eprintln!("imactl: nothing was written");
            Lockout::Refuse
        }
        None => Lockout::Proceed,
    }
}
