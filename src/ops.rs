//! What the tools do to one file: hash it, sign it (IMA or EVM), install a detached
//! signature, clear or touch its attributes. Each operation goes through the one open
//! descriptor of the file ([`OpenFile`]) and reports its steps as [`Event`]s while it
//! runs, so that a front end can print them in its own words, in order, even when a
//! later step fails.

use std::fmt;
use std::path::{Path, PathBuf};

use crate::evm::{EvmError, EvmParams, EvmTrace};
use crate::format::{FormatError, ImaValue};
use crate::fsops::{self, FileError, FileErrorKind, OpenFile};
use crate::hash::HashAlgo;
use crate::sign::{self, Scheme, SignError, Signer};

/// A step of an operation, as it happens.
#[derive(Debug)]
pub enum Event<'a> {
    /// The file (or EVM input) was hashed.
    Digest { algo: HashAlgo, digest: &'a [u8] },
    /// What went into an EVM digest.
    EvmInputs(&'a EvmTrace),
    /// A signature of `len` bytes (after the type byte) was made.
    Signed { scheme: Scheme, len: usize },
    /// The value to write (type byte first).
    Value(&'a [u8]),
    /// The value is about to be written to this detached signature file.
    WritingSigFile(&'a Path),
}

/// Where a value goes besides the event.
#[derive(Clone, Copy, Debug)]
pub struct Target {
    /// The attribute to set (`None`: print only).
    pub xattr: Option<&'static str>,
    /// Also write `FILE.sig`.
    pub sigfile: bool,
}

/// Why an operation on a file failed.
#[derive(Debug)]
pub enum OpError {
    File(FileError),
    Sign(PathBuf, SignError),
    Evm(EvmError),
}

impl fmt::Display for OpError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            OpError::File(e) => e.fmt(f),
            OpError::Sign(p, e) => write!(f, "{}: {e}", p.display()),
            OpError::Evm(e) => e.fmt(f),
        }
    }
}

impl std::error::Error for OpError {}

impl From<FileError> for OpError {
    fn from(e: FileError) -> OpError {
        OpError::File(e)
    }
}

impl From<EvmError> for OpError {
    fn from(e: EvmError) -> OpError {
        OpError::Evm(e)
    }
}

/// A sink for events.
pub type Events<'e> = dyn FnMut(Event) + 'e;

/// Writes `value` to FILE.sig (when asked), then to the attribute (when asked).
fn write_value(file: &OpenFile, value: &[u8], to: Target, ev: &mut Events) -> Result<(), OpError> {
    if to.sigfile {
        ev(Event::WritingSigFile(&fsops::sig_path(file.path())));
        fsops::write_sig_file(file.path(), value)?;
    }
    if let Some(name) = to.xattr {
        file.set_xattr(name, value)?;
    }
    Ok(())
}

/// `ima_hash`: the file's hash value (type 0x04, or 0x01 for md4/md5/sha1).
pub fn hash_file(
    file: &OpenFile,
    algo: HashAlgo,
    to: Target,
    ev: &mut Events,
) -> Result<(), OpError> {
    let digest = file.digest(algo)?;
    ev(Event::Digest {
        algo,
        digest: &digest,
    });
    let value = ImaValue::hash_value(algo, digest).encode();
    ev(Event::Value(&value));
    write_value(file, &value, to, ev)
}

fn signature(
    file: &OpenFile,
    signer: &dyn Signer,
    scheme: Scheme,
    algo: HashAlgo,
    digest: &[u8],
    ev: &mut Events,
) -> Result<sign::SignatureBody, OpError> {
    let body = sign::sign_body(signer, scheme, algo, digest)
        .map_err(|e| OpError::Sign(file.path().to_path_buf(), e))?;
    ev(Event::Signed {
        scheme,
        len: body.ima_value().len() - 1,
    });
    Ok(body)
}

/// `ima_sign`: a signature over the file's content, as a `security.ima` value.
pub fn sign_file(
    file: &OpenFile,
    signer: &dyn Signer,
    scheme: Scheme,
    algo: HashAlgo,
    to: Target,
    ev: &mut Events,
) -> Result<(), OpError> {
    let digest = file.digest(algo)?;
    ev(Event::Digest {
        algo,
        digest: &digest,
    });
    let value = signature(file, signer, scheme, algo, &digest, ev)?.ima_value();
    ev(Event::Value(&value));
    write_value(file, &value, to, ev)
}

/// `sign`: an EVM signature over the file's protected attributes and metadata, as a
/// `security.evm` value (portable when `params` says so), set in `evm_xattr` unless
/// `None`.
pub fn sign_evm(
    file: &OpenFile,
    signer: &dyn Signer,
    scheme: Scheme,
    algo: HashAlgo,
    params: &EvmParams,
    evm_xattr: Option<&'static str>,
    ev: &mut Events,
) -> Result<(), OpError> {
    let (digest, trace) = crate::evm::evm_digest(algo, file, params)?;
    ev(Event::EvmInputs(&trace));
    ev(Event::Digest {
        algo,
        digest: &digest,
    });
    let mut body = signature(file, signer, scheme, algo, &digest, ev)?;
    if let (true, sign::SignatureBody::V2(sig)) = (params.immutable, &mut body) {
        // Upstream marks an immutable EVM signature by version 3 in the header.
        sig.version = 3;
    }
    let value = body.evm_value(params.portable);
    ev(Event::Value(&value));
    let to = Target {
        xattr: evm_xattr,
        sigfile: false,
    };
    write_value(file, &value, to, ev)
}

/// Why a detached signature could not be installed.
#[derive(Debug)]
pub enum InstallError {
    File(FileError),
    /// The signature file does not hold a valid `security.ima` value.
    Invalid(PathBuf, FormatError),
}

impl InstallError {
    /// The filesystem has no xattrs (EOPNOTSUPP) or the process may not set security.*
    /// (EPERM): what a container or a build root gives.
    pub fn is_unsupported(&self) -> bool {
        matches!(
            self,
            InstallError::File(FileError {
                what: FileErrorKind::SetXattr(_, io),
                ..
            }) if matches!(io.raw_os_error(), Some(libc::EOPNOTSUPP) | Some(libc::EPERM))
        )
    }
}

impl fmt::Display for InstallError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            InstallError::File(e) => e.fmt(f),
            InstallError::Invalid(sig, e) => {
                write!(f, "{}: not a valid security.ima value: {e}", sig.display())
            }
        }
    }
}

impl std::error::Error for InstallError {}

/// `ima_setxattr`: sets `name` of `file` to the value in `sig` (a detached signature or
/// hash value), after checking that it is one.
pub fn install_value(file: &Path, sig: &Path, name: &'static str) -> Result<(), InstallError> {
    let value = fsops::read_sig_file(file, sig).map_err(InstallError::File)?;
    ImaValue::parse(&value).map_err(|e| InstallError::Invalid(sig.to_path_buf(), e))?;
    let opened = OpenFile::open(file).map_err(InstallError::File)?;
    opened.set_xattr(name, &value).map_err(InstallError::File)
}

/// `ima_clear`: removes each of `names` (absent ones are fine); every failure is returned.
pub fn clear(path: &Path, names: &[&'static str]) -> Vec<FileError> {
    match OpenFile::open(path) {
        Ok(f) => names
            .iter()
            .filter_map(|n| f.remove_xattr(n).err())
            .collect(),
        Err(e) => vec![e],
    }
}

/// `ima_fix`: opens the file so that a kernel in fix mode writes its attributes; with
/// `skip_if_labelled`, a file that has all of `names` is left alone (`Ok(false)`).
pub fn touch(
    path: &Path,
    names: &[&'static str],
    skip_if_labelled: bool,
) -> Result<bool, FileError> {
    if skip_if_labelled
        && names
            .iter()
            .all(|n| fsops::get_xattr_nofollow(path, n).is_ok())
    {
        return Ok(false);
    }
    OpenFile::open(path).map(|_| true)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hashing_reports_digest_then_value_and_writes_the_sig_file() {
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path().join("f");
        std::fs::write(&p, b"hello").unwrap();
        let file = OpenFile::open(&p).unwrap();
        let mut seen = Vec::new();
        hash_file(
            &file,
            HashAlgo::Sha256,
            Target {
                xattr: None,
                sigfile: true,
            },
            &mut |e| {
                seen.push(
                    format!("{e:?}")
                        .split([' ', '('])
                        .next()
                        .unwrap()
                        .to_string(),
                )
            },
        )
        .unwrap();
        assert_eq!(seen, ["Digest", "Value", "WritingSigFile"]);
        let v = std::fs::read(dir.path().join("f.sig")).unwrap();
        assert_eq!(v[..2], [0x04, 4]);
        assert_eq!(v[2..], HashAlgo::Sha256.digest(b"hello")[..]);
    }

    #[test]
    fn install_refuses_a_value_that_is_not_one_and_changes_nothing() {
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path().join("f");
        std::fs::write(&p, b"x").unwrap();
        let sig = dir.path().join("f.sig");
        std::fs::write(&sig, [0x09, 1, 2]).unwrap();
        let e = install_value(&p, &sig, "user.ima").unwrap_err();
        assert!(matches!(e, InstallError::Invalid(..)), "{e}");
        assert!(!e.is_unsupported());
        assert!(fsops::get_xattr_nofollow(&p, "user.ima").is_err());
    }

    #[test]
    fn clear_and_touch_report_missing_files() {
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path().join("missing");
        assert_eq!(clear(&p, &["user.ima"]).len(), 1);
        assert!(touch(&p, &["user.ima"], false).is_err());
        std::fs::write(&p, b"x").unwrap();
        assert!(
            clear(&p, &["user.ima"]).is_empty(),
            "absent attributes are fine"
        );
        assert!(touch(&p, &["user.ima"], true).unwrap());
    }
}
