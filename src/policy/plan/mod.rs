//! `policy load` as decisions on data: whether a checked policy may be loaded, whether
//! securityfs must be mounted, whether the rules or the file's path are written (the
//! loaded policy may demand signed policies), the exact writes, and what each kernel
//! refusal means. The kernel's side is the [`LoadEnv`] trait, so every decision is tested
//! with a double and no binary. Front ends print the [`LoadNote`]s, the plan and the
//! [`LoadError`]s; advice that names a front end's flag is theirs to add ([`Remedy`]).

mod error;
#[cfg(test)]
mod tests;

pub use error::{explain_open_error, explain_refusal, LoadError, Remedy};

use std::fmt;
use std::io;
use std::path::{Path, PathBuf};

use crate::format::XattrType;
use crate::policy::load::{
    self, AfterLoad, MountAction, MountError, PlannedWrite, PolicyFile, PolicySink, WriteError,
};
use crate::policy::parse::{parse_policy, ParsedPolicy};
use crate::policy::validate::Report;
use crate::policy::Profile;

/// What the caller asks for: a policy file already read and checked.
#[derive(Clone, Copy, Debug)]
pub struct LoadRequest<'a> {
    /// The policy file as the user named it (messages show it so); `-` is standard input.
    pub file: &'a Path,
    /// Its text.
    pub text: &'a str,
    /// The text parsed, and the findings of checking it for `profile`.
    pub parsed: &'a ParsedPolicy,
    pub report: &'a Report,
    pub profile: Profile,
    /// Where `profile` came from, in the caller's words ("running kernel 6.12.48"); echoed
    /// in messages.
    pub profile_source: &'a str,
    /// The securityfs root; `None` means [`load::DEFAULT_SECURITYFS`], mounted if needed.
    pub securityfs: Option<&'a Path>,
    /// Write the file's path instead of its rules (the kernel then reads and appraises it).
    pub by_path: bool,
    /// Plan only: mount nothing, open nothing.
    pub dry_run: bool,
}

/// The kernel's side of a load. [`System`] is the real one.
pub trait LoadEnv {
    /// Makes sure securityfs is mounted at the default place.
    fn ensure_securityfs(&mut self) -> Result<MountAction, MountError>;
    /// The policy the kernel has loaded, when it lets us read it.
    fn read_policy(&mut self, securityfs: &Path) -> io::Result<String>;
    /// The absolute path of `file`, symlinks resolved.
    fn canonicalize(&mut self, file: &Path) -> io::Result<PathBuf>;
    /// The file's `security.ima` value, if it has one.
    fn ima_xattr(&mut self, path: &Path) -> Option<Vec<u8>>;
    /// Opens the policy file for writing.
    fn open_policy(&mut self, policy_file: &Path) -> io::Result<Box<dyn PolicySink>>;
    /// What the kernel left of the policy file after a load.
    fn after_load(&mut self, securityfs: &Path) -> AfterLoad;
}

/// The running system: securityfs, the filesystem and xattrs.
pub struct System;

impl LoadEnv for System {
    fn ensure_securityfs(&mut self) -> Result<MountAction, MountError> {
        load::ensure_securityfs()
    }

    fn read_policy(&mut self, securityfs: &Path) -> io::Result<String> {
        load::read_policy(securityfs)
    }

    fn canonicalize(&mut self, file: &Path) -> io::Result<PathBuf> {
        std::fs::canonicalize(file)
    }

    fn ima_xattr(&mut self, path: &Path) -> Option<Vec<u8>> {
        crate::fsops::get_xattr_nofollow(path, "security.ima").ok()
    }

    fn open_policy(&mut self, policy_file: &Path) -> io::Result<Box<dyn PolicySink>> {
        Ok(Box::new(PolicyFile::open(policy_file)?))
    }

    fn after_load(&mut self, securityfs: &Path) -> AfterLoad {
        load::after_load(securityfs)
    }
}

/// Something the caller should tell the user while the load goes on.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum LoadNote {
    /// sysfs was not mounted on /sys; now it is.
    MountedSysfs,
    /// securityfs was not mounted at the default place; now it is.
    MountedSecurityfs,
    /// The loaded policy appraises POLICY_CHECK, so the file's path is written instead of
    /// its rules.
    SwitchedToByPath { file: PathBuf },
    /// The file loaded by path carries no signature in `security.ima`.
    Unsigned { path: PathBuf },
}

impl fmt::Display for LoadNote {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            LoadNote::MountedSysfs => write!(f, "mounted sysfs on /sys"),
            LoadNote::MountedSecurityfs => {
                write!(f, "mounted securityfs on {}", load::DEFAULT_SECURITYFS)
            }
            LoadNote::SwitchedToByPath { file } => write!(
                f,
                "the loaded policy appraises POLICY_CHECK, so the kernel takes only signed policies read by path: writing the path of {} instead of its rules (the file must carry a valid security.ima signature)",
                file.display()
            ),
            LoadNote::Unsigned { path } => write!(
                f,
                "note: {} has no IMA signature in security.ima; a kernel that appraises POLICY_CHECK refuses it (EACCES)",
                path.display()
            ),
        }
    }
}

/// The mounts a load made (securityfs, then sysfs when it had to be mounted first), in
/// the order to undo them.
pub fn mounts_to_undo(notes: &[LoadNote]) -> Vec<PathBuf> {
    let mut v = Vec::new();
    if notes.contains(&LoadNote::MountedSecurityfs) {
        v.push(PathBuf::from(load::DEFAULT_SECURITYFS));
    }
    if notes.contains(&LoadNote::MountedSysfs) {
        v.push(PathBuf::from("/sys"));
    }
    v
}

/// Unmounts what a load mounted ([`mounts_to_undo`]), leaving the system as it was found.
/// Returns the unmounts that failed, in words.
pub fn undo_mounts(notes: &[LoadNote]) -> Vec<String> {
    mounts_to_undo(notes)
        .into_iter()
        .filter_map(|p| {
            crate::sys::mount::unmount(&p)
                .err()
                .map(|e| format!("cannot unmount {}: {}", p.display(), e.cause()))
        })
        .collect()
}

/// What a load will do.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct LoadPlan {
    /// The securityfs root.
    pub securityfs: PathBuf,
    /// `<securityfs>/ima/policy`.
    pub policy_file: PathBuf,
    /// The file's path is written, not its rules.
    pub by_path: bool,
    /// Exactly the write() calls, in order.
    pub writes: Vec<PlannedWrite>,
    /// Rules in the policy.
    pub rules: usize,
    /// The policy appraises POLICY_CHECK: once loaded, later policies must be signed and
    /// loaded by path.
    pub demands_signed_policies: bool,
}

/// A finished load.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Loaded {
    /// Whether the kernel takes another load this boot.
    pub after: AfterLoad,
}

/// Whether a `security.ima` value is a signature a POLICY_CHECK appraisal can use (a
/// digital signature or an fs-verity signature), judged by its type byte.
pub fn is_signature(value: &[u8]) -> bool {
    value
        .first()
        .is_some_and(|&b| b == XattrType::DigSig as u8 || b == XattrType::VerityDigSig as u8)
}

/// Decides the load: refuses a policy with errors or without rules, mounts securityfs
/// when the default root is used (not for a dry run), switches to a path write when the
/// loaded policy demands signed policies, and lists the exact writes. A policy from
/// standard input (`file` is `-`) has no path: a path write is refused for it. Notes for the user
/// are pushed to `notes` as they arise, so they come before an error that follows them.
pub fn plan_load(
    req: &LoadRequest,
    env: &mut dyn LoadEnv,
    notes: &mut Vec<LoadNote>,
) -> Result<LoadPlan, LoadError> {
    let file = req.file.to_path_buf();
    if !req.report.is_valid() {
        return Err(LoadError::Invalid {
            file,
            errors: req.report.errors(),
            profile: req.profile,
            profile_source: req.profile_source.to_string(),
        });
    }
    if req.parsed.rules.is_empty() {
        return Err(LoadError::NoRules { file });
    }
    let securityfs = req.securityfs.map_or_else(
        || PathBuf::from(load::DEFAULT_SECURITYFS),
        Path::to_path_buf,
    );
    if req.securityfs.is_none() && !req.dry_run {
        if let MountAction::Mounted { sysfs_too } =
            env.ensure_securityfs().map_err(LoadError::Mount)?
        {
            if sysfs_too {
                notes.push(LoadNote::MountedSysfs);
            }
            notes.push(LoadNote::MountedSecurityfs);
        }
    }
    let from_stdin = crate::input::is_stdin(req.file);
    let mut by_path = req.by_path;
    if by_path && from_stdin {
        return Err(LoadError::ByPathFromStdin { demanded: false });
    }
    if !by_path {
        if let Ok(current) = env.read_policy(&securityfs) {
            if load::requires_signed_policy(&parse_policy(&current)) {
                if from_stdin {
                    return Err(LoadError::ByPathFromStdin { demanded: true });
                }
                notes.push(LoadNote::SwitchedToByPath { file: file.clone() });
                by_path = true;
            }
        }
    }
    let writes = if by_path {
        if let Some(why) = load::by_path_problem(req.text) {
            return Err(LoadError::ByPathProblem { file, why });
        }
        let abs = env
            .canonicalize(req.file)
            .map_err(|err| LoadError::Resolve { file, err })?;
        if !env.ima_xattr(&abs).is_some_and(|v| is_signature(&v)) {
            notes.push(LoadNote::Unsigned { path: abs.clone() });
        }
        load::plan_by_path(&abs)
    } else {
        load::plan_rules(req.parsed)
    };
    Ok(LoadPlan {
        policy_file: load::policy_path(&securityfs),
        securityfs,
        by_path,
        writes,
        rules: req.parsed.rules.len(),
        demands_signed_policies: load::requires_signed_policy(req.parsed),
    })
}

/// Carries out `plan` for the policy file `file` checked for `profile`: one open, the
/// writes in order, and the close whose error the kernel reports a failed batch with.
pub fn run_load(
    plan: &LoadPlan,
    file: &Path,
    profile: Profile,
    env: &mut dyn LoadEnv,
) -> Result<Loaded, LoadError> {
    let mut sink = env
        .open_policy(&plan.policy_file)
        .map_err(|e| match e.raw_os_error() {
            Some(errno) => LoadError::Open {
                policy_file: plan.policy_file.clone(),
                securityfs: plan.securityfs.clone(),
                errno,
            },
            // Refused before the kernel was asked: not a regular file (a FIFO ...).
            None => LoadError::NotAFile {
                policy_file: plan.policy_file.clone(),
                what: e.to_string(),
            },
        })?;
    let result = load::write_plan(sink.as_mut(), &plan.writes);
    let closed = sink.close();
    let file = file.to_path_buf();
    match result {
        Ok(_) => {}
        Err(WriteError::Refused {
            index,
            line,
            text,
            error,
        }) => {
            return Err(LoadError::Refused {
                file,
                index,
                line,
                text,
                errno: error.raw_os_error().unwrap_or(0),
                profile,
            })
        }
        Err(WriteError::Short {
            line,
            text,
            wrote,
            expected,
            ..
        }) => {
            return Err(LoadError::Short {
                file,
                line,
                text,
                wrote,
                expected,
            })
        }
    }
    closed.map_err(|e| LoadError::Close {
        policy_file: plan.policy_file.clone(),
        errno: e.raw_os_error().unwrap_or(0),
    })?;
    Ok(Loaded {
        after: env.after_load(&plan.securityfs),
    })
}
