//! The lockout check of `imactl policy load`, as this front end prints it: which running
//! programs the new policy would have the kernel refuse ([`crate::policy::lockout`]), the
//! ways out, and whether the load goes on.

use std::path::Path;

use crate::escape;
use crate::input::source_name;
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

/// "1 file", "2 files"; "process" takes "es".
fn plural(n: usize, word: &str) -> String {
    match (n, word.ends_with('s')) {
        (1, _) => format!("{n} {word}"),
        (_, true) => format!("{n} {word}es"),
        _ => format!("{n} {word}s"),
    }
}

/// What the lockout check decided.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(super) enum Lockout {
    /// Nothing would be refused, or the load goes on despite it (warned).
    Proceed,
    /// Programs would be refused: do not load.
    Refuse,
}

/// How many files of a list are shown.
const LOCKOUT_SHOWN: usize = 10;

/// The lockout check of `policy load`: the programs this system runs now, judged under the
/// new rules ([`crate::policy::lockout`]). Refuses when one would be refused, IMA
/// appraisal enforces, and neither --force nor --dry-run was given; otherwise the finding
/// is a warning.
pub(super) fn lockout_check(a: &LockoutArgs, parsed: &ParsedPolicy, securityfs: &Path) -> Lockout {
    use crate::policy::lockout;
    if !lockout::applies(&parsed.rules) {
        return Lockout::Proceed;
    }
    let live = a.root == Path::new("/");
    let (verifier, _) = if live {
        let _ = crate::keyring::possess_user_keyring();
        super::verify::keyring_verifier(
            &crate::keyring::KeyringSpec::Purpose(crate::keyring::Purpose::Ima),
            false,
        )
    } else {
        let why = format!("{} is not the live system", a.root.display());
        (
            crate::verify::Verifier::new(crate::verify::Keys::Absent { why }),
            None,
        )
    };
    let env = lockout::Env {
        proc_root: a.root.join("proc"),
        verifier: &verifier,
        evm_active: lockout::evm_active(securityfs),
    };
    let finding = lockout::check(&parsed.rules, &env);
    let facts = crate::status::gather::gather(a.root);
    let enforcing = crate::status::preflight::appraise_enforcing(&facts);
    let e = |t: &str| escape::terminal(t).into_owned();
    let file = e(&source_name(a.file).to_string());
    if finding.unreadable_count > 0 {
        eprintln!(
            "imactl: warning: the lockout check could not read {} (their programs are not checked): {}{}",
            plural(finding.unreadable_count, "process"),
            e(&finding.unreadable.join("; ")),
            if finding.unreadable_count > finding.unreadable.len() {
                "; ..."
            } else {
                ""
            }
        );
    }
    if !finding.unknown.is_empty() {
        eprintln!(
            "imactl: warning: {} this system runs now could not be judged under {file}; the kernel may refuse {}:",
            plural(finding.unknown.len(), "file"),
            if finding.unknown.len() == 1 { "it" } else { "them" }
        );
        print_judged(&finding.unknown);
    }
    if finding.refused.is_empty() {
        return Lockout::Proceed;
    }
    let n = finding.refused.len();
    let what = format!(
        "{} of the {} files this system runs now ({}) would be refused (EACCES) at their next exec{} under {file}",
        n,
        finding.files,
        if finding.mapped_checked {
            "programs and the files they map executable"
        } else {
            "the programs of its processes"
        },
        if finding.mapped_checked { " or mapping" } else { "" },
    );
    let refuse_real = enforcing && !a.force;
    let stop = refuse_real && !a.dry_run;
    let level = match (refuse_real, a.dry_run) {
        (true, true) => "dry run: a real load would refuse this policy",
        (true, false) => "error",
        (false, _) if !enforcing => "warning",
        (false, _) => "warning (--force)",
    };
    eprintln!("imactl: {level}: {what}:");
    print_judged(&finding.refused);
    if !enforcing {
        let mode = facts
            .cmdline
            .as_deref()
            .and_then(|c| {
                c.split_whitespace()
                    .rev()
                    .find_map(|w| w.strip_prefix("ima_appraise="))
            })
            .unwrap_or("not enforce");
        eprintln!(
            "imactl: IMA appraisal does not enforce on this boot (ima_appraise={}, and Secure Boot, which would override it, is not seen on): the kernel logs each of these files and runs it anyway{}",
            e(mode),
            if a.dry_run { "" } else { "; loading" }
        );
    } else if a.force && !a.dry_run {
        eprintln!(
            "imactl: loading anyway (--force): once it is loaded, the kernel refuses these files"
        );
    }
    if refuse_real {
        eprintln!("  hint: sign them first: `evmctl ima_sign -r --key KEY DIR` for each directory holding them, with the certificate's key in the IMA keyring (`imactl key import CERT`)");
        eprintln!("  hint: or try the policy with ima_appraise=log on the kernel command line: the kernel then logs each file it would refuse and runs it anyway");
        eprintln!("  hint: or load it anyway with --force");
    }
    if stop {
        eprintln!("imactl: nothing was written");
        Lockout::Refuse
    } else {
        Lockout::Proceed
    }
}

/// Up to [`LOCKOUT_SHOWN`] judged files, then "... and N more".
fn print_judged(list: &[crate::policy::lockout::Judged]) {
    use crate::policy::lockout::{Outcome, Role};
    let e = |t: &str| escape::terminal(t).into_owned();
    for j in list.iter().take(LOCKOUT_SHOWN) {
        let role = match j.role {
            Role::Program => "program",
            Role::Mapped => "mapped executable",
        };
        let head = format!("  {} ({role} of pid {})", e(&j.path), e(&j.pid));
        match &j.outcome {
            Outcome::Refused { cause, rule } => {
                eprintln!("{head}: {}", e(cause));
                eprintln!("      line {}: {}", rule.line, e(&rule.text));
            }
            Outcome::Unknown(why) => eprintln!("{head}: {}", e(why)),
            Outcome::Pass => {}
        }
    }
    if list.len() > LOCKOUT_SHOWN {
        eprintln!("  ... and {} more", list.len() - LOCKOUT_SHOWN);
    }
}
