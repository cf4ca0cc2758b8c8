//! `imactl verify --packages`: an `rpm -V` for IMA. Each packaged file's security.ima
//! against the package's FILESIGNATURES, and whether that signature verifies over the
//! file's content with the trusted keys (/etc/keys/ima below the root, the IMA keyring).

use std::path::Path;

use crate::fsops::{FileErrorKind, OpenFile};
use crate::kernel_hook::config::under;
use crate::kernel_hook::keys::TrustKeys;
use crate::verify::Verdict;

use super::Record;

/// One file's state.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum State {
    /// It carries the package's signature, and the signature verifies.
    Ok,
    /// It carries a value other than the package's.
    OtherValue,
    /// It has no security.ima.
    Missing,
    /// It carries the package's signature, which does not verify over its content.
    BadSignature(String),
    /// It carries the package's signature, made by a key not among the trusted keys.
    UnknownKey(String),
    /// Not checked: not a regular file, not there, no signature in the package, or an
    /// error (the reason says which).
    NotChecked(String),
}

impl State {
    pub fn code(&self) -> &'static str {
        match self {
            State::Ok => "ok",
            State::OtherValue => "other-value",
            State::Missing => "missing",
            State::BadSignature(_) => "bad-signature",
            State::UnknownKey(_) => "unknown-key",
            State::NotChecked(_) => "not-checked",
        }
    }

    /// Something is wrong with the file (not-checked is not counted).
    pub fn is_problem(&self) -> bool {
        !matches!(self, State::Ok | State::NotChecked(_))
    }
}

/// Checks one packaged file below `root`.
pub fn check_one(root: &Path, rec: &Record, keys: &TrustKeys) -> State {
    let host = under(root, &rec.path);
    match std::fs::symlink_metadata(&host) {
        Ok(m) if m.file_type().is_file() => {}
        Ok(_) => return State::NotChecked("not a regular file".into()),
        Err(e) => return State::NotChecked(crate::error::io_words(&e)),
    }
    let Some(want) = &rec.value else {
        return State::NotChecked(format!("{} has no signature for it", rec.origin));
    };
    let file = match OpenFile::open(&host) {
        Ok(f) => f,
        Err(e) => return State::NotChecked(e.to_string()),
    };
    let have = match file.get_xattr("security.ima") {
        Ok(v) => v,
        Err(e) if matches!(e.what, FileErrorKind::NoXattr(_)) => return State::Missing,
        Err(e) => return State::NotChecked(e.to_string()),
    };
    if &have != want {
        return State::OtherValue;
    }
    // A key that was found and refused the signature wins over a key not found elsewhere.
    let (mut bad, mut unknown) = (None, None);
    for v in [&keys.certs, &keys.keyring].into_iter().flatten() {
        match v.verify_file_value(&file, Some(&have), &mut |_| {}) {
            Ok(Verdict::Ok { .. }) => return State::Ok,
            Ok(v @ (Verdict::UnknownKey { .. } | Verdict::NotChecked { .. })) => {
                unknown = Some(v.to_string())
            }
            Ok(v) => bad = Some(v.to_string()),
            Err(e) => return State::NotChecked(e.to_string()),
        }
    }
    match (bad, unknown) {
        (Some(b), _) => State::BadSignature(b),
        (None, Some(u)) => State::UnknownKey(u),
        (None, None) => State::UnknownKey(format!("no keys to check with in {}", keys.described)),
    }
}
