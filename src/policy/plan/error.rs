//! Why a policy load did not happen, in words: the typed [`LoadError`] and the errno
//! explanations of opening and writing the kernel's policy file.

use std::fmt;
use std::io;
use std::path::{Path, PathBuf};

use crate::error::{errno_name, errno_words, io_words};
use crate::input::source_name;
use crate::policy::load::MountError;
use crate::policy::Profile;

/// Advice a front end phrases with its own flags.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Remedy {
    /// Sign the policy file and load it by path.
    SignAndLoadByPath,
    /// Check the policy for another kernel version.
    CheckForAnotherKernel,
}

/// Why a load did not happen (or did not finish). Display gives the message without a
/// program name; [`LoadError::is_located`] says when it starts with `FILE:LINE:` instead.
#[derive(Debug)]
pub enum LoadError {
    /// The policy has errors for the profile: nothing was written.
    Invalid {
        file: PathBuf,
        errors: usize,
        profile: Profile,
        profile_source: String,
    },
    /// The policy has no rules: the kernel fails a load that writes nothing.
    NoRules { file: PathBuf },
    /// securityfs (or sysfs) could not be mounted.
    Mount(MountError),
    /// The text cannot be loaded by path (`why` says what the kernel's reader would do).
    ByPathProblem { file: PathBuf, why: &'static str },
    /// The policy comes from standard input, which has no path for the kernel to read
    /// and appraise. `demanded`: the loaded policy demands signed policies (the caller did
    /// not ask for a path write).
    ByPathFromStdin { demanded: bool },
    /// The file's absolute path could not be found.
    Resolve { file: PathBuf, err: io::Error },
    /// The policy file could not be opened.
    Open {
        policy_file: PathBuf,
        securityfs: PathBuf,
        errno: i32,
    },
    /// The policy file is not a regular file (a FIFO, a device ...): refused unopened.
    NotAFile { policy_file: PathBuf, what: String },
    /// The kernel refused write `index` (0-based); `line` is the rule's line, `None` for
    /// a path write.
    Refused {
        file: PathBuf,
        index: usize,
        line: Option<usize>,
        text: String,
        errno: i32,
        profile: Profile,
    },
    /// The kernel took fewer bytes than the write had.
    Short {
        file: PathBuf,
        line: Option<usize>,
        text: String,
        wrote: usize,
        expected: usize,
    },
    /// close(2) failed: the kernel did not take the policy.
    Close { policy_file: PathBuf, errno: i32 },
}

fn plural(n: usize, word: &str) -> String {
    if n == 1 {
        format!("{n} {word}")
    } else {
        format!("{n} {word}s")
    }
}

/// Why opening `<securityfs>/ima/policy` failed with `errno`, when there is more to say
/// than the errno's words.
pub fn explain_open_error(errno: i32, securityfs: &Path) -> Option<String> {
    match errno {
        libc::ENOENT => Some(
            crate::policy::state::policy_file_state(securityfs)
                .why_not(securityfs)
                .unwrap_or_else(|| format!(
                    "IMA is not enabled, securityfs is not at {}, or the kernel already took its one policy for this boot (kernels without CONFIG_IMA_WRITE_POLICY remove the file after the first load)",
                    securityfs.display()
                )),
        ),
        libc::EBUSY => Some("another process has the policy file open for writing".into()),
        libc::EACCES | libc::EPERM => Some(
            "writing the IMA policy needs root (CAP_SYS_ADMIN), or the kernel made the file read-only after its one load".into(),
        ),
        _ => None,
    }
}

/// What a refused write means: an explanation, and the advice a front end adds to it.
/// `by_path` is whether the write was the file's path.
pub fn explain_refusal(
    errno: i32,
    by_path: bool,
    profile: Profile,
) -> Option<(String, Option<Remedy>)> {
    match errno {
        libc::EACCES if by_path => Some((
            "the file needs a security.ima signature from a key in the IMA keyring (evmctl ima_sign), and every rule in it must be valid".into(),
            None,
        )),
        libc::EACCES => Some((
            "the kernel takes only signed policies (an appraise func=POLICY_CHECK rule is in force)".into(),
            Some(Remedy::SignAndLoadByPath),
        )),
        libc::EINVAL => Some((
            format!("the rule passed the Linux {profile} checks; the kernel may lack an option it needs (CONFIG_IMA_APPRAISE_MODSIG for imasig|modsig and check_blacklist, CONFIG_IMA_MEASURE_ASYMMETRIC_KEYS for KEY_CHECK and keyrings=, an LSM for obj_/subj_ labels, the hash algorithm of appraise_algos) or be another version"),
            Some(Remedy::CheckForAnotherKernel),
        )),
        _ => None,
    }
}

impl LoadError {
    /// True when the message starts with the policy file's position (`FILE:LINE: error:`),
    /// as a compiler's does, rather than being a sentence about the program's work.
    pub fn is_located(&self) -> bool {
        matches!(self, LoadError::Refused { .. } | LoadError::Short { .. })
    }

    /// An explanation of a refusal, and the advice a front end adds in its own words.
    pub fn explanation(&self) -> Option<(String, Option<Remedy>)> {
        match self {
            LoadError::Refused {
                errno,
                line,
                profile,
                ..
            } => explain_refusal(*errno, line.is_none(), *profile),
            LoadError::ByPathFromStdin { demanded: true } => Some((
                "give the policy as a file signed with evmctl ima_sign, not as -".into(),
                Some(Remedy::SignAndLoadByPath),
            )),
            _ => None,
        }
    }

    /// What the failure left behind, when that needs saying.
    pub fn aftermath(&self) -> Option<String> {
        match self {
            LoadError::Refused { file, index, .. } => Some(format!(
                "stopped after {}; the kernel discards this batch when the file is closed, so nothing of {} is loaded and the policy file stays for another try",
                plural(*index, "accepted write"),
                source_name(file)
            )),
            _ => None,
        }
    }
}

impl fmt::Display for LoadError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let name_words = |e: i32| format!("{} ({})", errno_name(e), errno_words(e));
        let words_name = |e: i32| format!("{} ({})", errno_words(e), errno_name(e));
        match self {
            LoadError::Invalid {
                file,
                errors,
                profile,
                profile_source,
            } => write!(
                f,
                "{} has {} for Linux {profile} ({profile_source}); nothing was written to the kernel",
                source_name(file),
                plural(*errors, "error")
            ),
            LoadError::NoRules { file } => write!(
                f,
                "{} has no rules; the kernel fails a load that writes nothing",
                source_name(file)
            ),
            LoadError::Mount(e) => write!(f, "{e}"),
            LoadError::ByPathProblem { file, why } => write!(
                f,
                "cannot load {} by path: {why}; nothing was written",
                source_name(file)
            ),
            LoadError::ByPathFromStdin { demanded: true } => write!(
                f,
                "the loaded policy appraises POLICY_CHECK, so the kernel takes only signed policies that it reads itself by path, and a policy from standard input has no path; nothing was written"
            ),
            LoadError::ByPathFromStdin { demanded: false } => write!(
                f,
                "a policy from standard input cannot be loaded by path: the kernel reads and appraises a policy given by path from its file, and standard input has none; name the signed policy file instead of -"
            ),
            LoadError::Resolve { file, err } => {
                write!(f, "cannot resolve {}: {}", source_name(file), io_words(err))
            }
            LoadError::Open {
                policy_file,
                securityfs,
                errno,
            } => {
                write!(f, "cannot open {}: {}", policy_file.display(), words_name(*errno))?;
                match explain_open_error(*errno, securityfs) {
                    Some(why) => write!(f, ": {why}"),
                    None => Ok(()),
                }
            }
            LoadError::NotAFile { policy_file, what } => write!(
                f,
                "cannot open {}: {what}; securityfs files are regular files: is --securityfs \
                 the securityfs mount?",
                policy_file.display()
            ),
            LoadError::Refused {
                file,
                index,
                line: Some(l),
                text,
                errno,
                ..
            } => write!(
                f,
                "{}:{l}: error: the kernel refused rule {} `{text}`: {}",
                source_name(file),
                index + 1,
                name_words(*errno)
            ),
            LoadError::Refused {
                file,
                line: None,
                errno,
                ..
            } => write!(
                f,
                "{}: error: the kernel refused the policy file given by path: {}",
                source_name(file),
                name_words(*errno)
            ),
            LoadError::Short {
                file,
                line,
                text,
                wrote,
                expected,
            } => {
                let at = line.map_or(String::new(), |l| format!(":{l}"));
                write!(
                    f,
                    "{}{at}: error: the kernel took {wrote} of the {expected} bytes of `{text}`, so it did not read the rule as written; stopped, nothing of {} is loaded",
                    source_name(file),
                    source_name(file)
                )
            }
            LoadError::Close { policy_file, errno } => write!(
                f,
                "closing {} failed: {}; the kernel did not take the policy",
                policy_file.display(),
                name_words(*errno)
            ),
        }
    }
}

impl std::error::Error for LoadError {}
