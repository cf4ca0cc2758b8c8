//! `imactl restore`: re-applies `security.ima` from where it was recorded (the rpm database,
//! a package file, `.sig` files) onto files that lost it (a backup restored without xattrs,
//! a copy, rpm-plugin-ima missing at install time).
//!
//! The rule that matters: a value is never written onto a file whose content is not the one
//! recorded. Before writing, the file's digest must equal the recorded digest (rpm's
//! FILEDIGESTS, with its algorithm) and the value itself must verify over the file's
//! current content (a signature, with the keys in /etc/keys/ima or the IMA keyring; a hash,
//! by comparison). After writing, the value is read back and checked again, and removed
//! when it does not verify.

pub mod check;
pub mod records;

use std::path::{Path, PathBuf};

use crate::format::ima::ImaValue;
use crate::fsops::{FileErrorKind, OpenFile};
use crate::kernel_hook::config::under;
use crate::kernel_hook::keys::{verify_value, TrustKeys};
pub use records::{Record, RpmSource};

const IMA: &str = "security.ima";

/// What happened to one file.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Action {
    /// The value was written (or, with --dry-run, would be).
    Restored,
    /// Signed with the --resign-with key (or, with --dry-run, would be).
    Resigned,
    /// The file carries that value already.
    Present,
    /// Left alone, not an error: a directory or symbolic link, a %config file, no value
    /// recorded, a file not there, a filesystem without xattrs (the reason says which).
    Skipped(String),
    /// Not a regular file (a directory, a symbolic link): nothing to restore, not counted.
    NotAFile(String),
    /// Refused: the content is not what was recorded, or the value does not verify over it.
    Refused(String),
    /// An error reading or writing the file.
    Error(String),
}

impl Action {
    pub fn code(&self) -> &'static str {
        match self {
            Action::Restored => "restored",
            Action::Resigned => "resigned",
            Action::Present => "present",
            Action::Skipped(_) => "skipped",
            Action::NotAFile(_) => "not-a-file",
            Action::Refused(_) => "refused",
            Action::Error(_) => "error",
        }
    }
}

/// How to restore.
pub struct Options {
    pub root: PathBuf,
    pub dry_run: bool,
    /// Also %config files.
    pub config: bool,
    /// Sign with this key where the recorded value cannot be applied (none recorded, or a
    /// key no trusted key is) but the content is the recorded one (FILEDIGESTS).
    pub resign: Option<Resign>,
}

/// The key `--resign-with` names.
pub struct Resign {
    pub signer: crate::keyref::AnySigner,
    pub hash: crate::hash::HashAlgo,
    /// For messages: the key file or URI.
    pub key: String,
}

/// The content check before anything is written: Ok(()) or the refusal.
fn content_matches(
    file: &OpenFile,
    rec: &Record,
    value: &[u8],
    keys: &TrustKeys,
) -> Result<(), String> {
    if let Some((algo, want)) = &rec.digest {
        let have = file.digest(*algo).map_err(|e| e.to_string())?;
        if &have != want {
            return Err(format!(
                "its content differs from the one {} records ({} digest {} here, {} recorded): not written",
                rec.origin,
                algo.name(),
                crate::hash::to_hex(&have),
                crate::hash::to_hex(want)
            ));
        }
    }
    match ImaValue::parse(value) {
        Ok(ImaValue::DigestNg { hash_id, digest }) => {
            let algo = crate::hash::HashAlgo::from_kernel_id(hash_id).ok_or_else(|| {
                format!("the recorded hash value names unknown algorithm {hash_id}")
            })?;
            let have = file.digest(algo).map_err(|e| e.to_string())?;
            if have != digest {
                return Err("the recorded hash value is not this content's: not written".into());
            }
            Ok(())
        }
        Ok(_) => verify_value(file, Some(value), keys)
            .map(|_| ())
            .map_err(|w| {
                format!(
                    "the recorded signature does not verify over this content ({w}): not written"
                )
            }),
        Err(e) => Err(format!(
            "the recorded value is not a security.ima value: {e}"
        )),
    }
}

/// Restores one record.
pub fn restore_one(rec: &Record, opts: &Options, keys: &TrustKeys) -> Action {
    let host = under(&opts.root, &rec.path);
    let md = match std::fs::symlink_metadata(&host) {
        Ok(m) => m,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
            return Action::Skipped("not there".into())
        }
        Err(e) => return Action::Error(crate::error::io_words(&e)),
    };
    if !md.file_type().is_file() {
        return Action::NotAFile(if md.file_type().is_symlink() {
            "a symbolic link".into()
        } else if md.is_dir() {
            "a directory".into()
        } else {
            "not a regular file".into()
        });
    }
    if rec.config && !opts.config {
        return Action::Skipped("a %config file (--config to include)".into());
    }
    let file = match OpenFile::open(&host) {
        Ok(f) => f,
        Err(e) => return Action::Error(e.to_string()),
    };
    let recorded = match &rec.value {
        Some(v) => content_matches(&file, rec, v, keys).map(|()| v),
        None => Err(format!("{} records no signature for it", rec.origin)),
    };
    let value = match (recorded, &opts.resign) {
        (Ok(v), _) => v,
        (Err(why), Some(r)) => return resign(&file, &host, rec, r, opts.dry_run, keys, &why),
        (Err(why), None) if rec.value.is_none() => return Action::Skipped(why),
        (Err(why), None) => return Action::Refused(why),
    };
    match file.get_xattr(IMA) {
        Ok(v) if &v == value => return Action::Present,
        Ok(_) => {}
        Err(e) => match &e.what {
            FileErrorKind::NoXattr(_) => {}
            FileErrorKind::GetXattr(_, io) if io.raw_os_error() == Some(libc::EOPNOTSUPP) => {
                return Action::Skipped(format!(
                    "its filesystem holds no extended attributes ({})",
                    filesystem_of(&host)
                ))
            }
            _ => return Action::Error(e.to_string()),
        },
    }
    if opts.dry_run {
        return Action::Restored;
    }
    if let Err(e) = file.set_xattr(IMA, value) {
        return match &e.what {
            FileErrorKind::SetXattr(_, io) if io.raw_os_error() == Some(libc::EOPNOTSUPP) => {
                Action::Skipped(format!(
                    "its filesystem holds no extended attributes ({})",
                    filesystem_of(&host)
                ))
            }
            _ => Action::Error(e.to_string()),
        };
    }
    // Read back and check again; a value that does not verify is not left behind.
    let ok = match file.get_xattr(IMA) {
        Ok(v) => &v == value && content_matches(&file, rec, &v, keys).is_ok(),
        Err(_) => false,
    };
    if !ok {
        let _ = file.remove_xattr(IMA);
        return Action::Error("the value written does not verify when read back: removed".into());
    }
    Action::Restored
}

/// `--resign-with`: signs `file` when its content is the recorded one; `why` says why the
/// recorded value could not be used.
fn resign(
    file: &OpenFile,
    host: &Path,
    rec: &Record,
    r: &Resign,
    dry_run: bool,
    keys: &TrustKeys,
    why: &str,
) -> Action {
    let Some((algo, want)) = &rec.digest else {
        return Action::Refused(format!(
            "{why}; no recorded digest to check the content against: not signed"
        ));
    };
    match file.digest(*algo) {
        Ok(d) if &d == want => {}
        Ok(_) => {
            return Action::Refused(format!(
                "its content differs from the one {} records ({} digests differ): not written, not signed",
            rec.origin,
            algo.name()
        ))
        }
        Err(e) => return Action::Error(e.to_string()),
    }
    // Signed already (by a previous run) with a trusted key.
    let current = |file: &OpenFile| {
        let v = file.get_xattr(IMA).map_err(|e| e.to_string())?;
        verify_value(file, Some(&v), keys)
    };
    if current(file).is_ok() {
        return Action::Present;
    }
    if dry_run {
        return Action::Resigned;
    }
    let to = crate::ops::Target {
        xattr: Some(IMA),
        sigfile: false,
    };
    let signed = crate::ops::sign_file(
        file,
        &r.signer,
        crate::sign::Scheme::V2,
        r.hash,
        to,
        &mut |_| {},
    );
    match signed {
        Ok(()) => {}
        Err(crate::ops::OpError::File(e)) if matches!(&e.what, FileErrorKind::SetXattr(_, io) if io.raw_os_error() == Some(libc::EOPNOTSUPP)) => {
            return Action::Skipped(format!(
                "its filesystem holds no extended attributes ({})",
                filesystem_of(host)
            ))
        }
        Err(e) => return Action::Error(format!("signing with {} failed: {e}", r.key)),
    }
    if let Err(w) = current(file) {
        let _ = file.remove_xattr(IMA);
        return Action::Error(format!(
            "the signature made with {} does not verify with {} ({w}): removed",
            r.key, keys.described
        ));
    }
    Action::Resigned
}

/// The mount point and type of the filesystem holding `path`, from /proc/self/mountinfo.
fn filesystem_of(path: &Path) -> String {
    let Some(text) = crate::input::read_input(
        Path::new("/proc/self/mountinfo"),
        crate::input::InputKind::MountInfo,
    )
    .ok()
    .and_then(|b| String::from_utf8(b).ok()) else {
        return "unknown filesystem".into();
    };
    let path = std::fs::canonicalize(path).unwrap_or_else(|_| path.to_path_buf());
    let mut best: Option<(usize, String)> = None;
    for line in text.lines() {
        let f: Vec<&str> = line.split(' ').collect();
        let Some(dash) = f.iter().position(|x| *x == "-") else {
            continue;
        };
        let (Some(mnt), Some(fstype)) = (f.get(4), f.get(dash + 1)) else {
            continue;
        };
        if path.starts_with(mnt) && best.as_ref().is_none_or(|(l, _)| mnt.len() >= *l) {
            best = Some((mnt.len(), format!("{fstype} on {mnt}")));
        }
    }
    best.map_or_else(|| "unknown filesystem".into(), |(_, s)| s)
}
