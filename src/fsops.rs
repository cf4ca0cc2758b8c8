//! File access for signing and verifying: each file is opened once, without following a
//! symbolic link, hashed through that descriptor, and its xattr is read or written through
//! the same descriptor, so a rename in between cannot put a value on the wrong file.
//! Detached `.sig` files are written atomically (temporary file + rename), and never
//! through a symbolic link. Directory walks visit regular files only and never follow links.

use std::ffi::OsStr;
use std::fmt;
use std::fs::File;
use std::io::{self, Write};
use std::path::{Path, PathBuf};

use xattr::FileExt;

use crate::error::io_words;
use crate::hash::HashAlgo;

#[path = "fsops_read.rs"]
mod read;
pub use read::OVERLAP_FROM;
use read::{read_chunks, read_overlapped, SMALL_BUF, SMALL_CHUNK};

/// Which xattr namespace holds the IMA value (`--xattr-user` selects `user.`).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum XattrNamespace {
    Security,
    User,
}

impl XattrNamespace {
    pub fn ima(self) -> &'static str {
        match self {
            XattrNamespace::Security => "security.ima",
            XattrNamespace::User => "user.ima",
        }
    }
    pub fn evm(self) -> &'static str {
        match self {
            XattrNamespace::Security => "security.evm",
            XattrNamespace::User => "user.evm",
        }
    }
}

/// A failure on one file, with the file named.
#[derive(Debug)]
pub struct FileError {
    pub path: PathBuf,
    pub what: FileErrorKind,
}

#[derive(Debug)]
pub enum FileErrorKind {
    Open(io::Error),
    NotRegular(&'static str),
    Read(io::Error),
    SetXattr(&'static str, io::Error),
    GetXattr(&'static str, io::Error),
    RemoveXattr(&'static str, io::Error),
    NoXattr(&'static str),
    /// The inode is immutable or append-only (chattr +i / +a): even root cannot change
    /// its attributes until the flag is cleared.
    Immutable(&'static str, &'static str),
    WriteSig(PathBuf, io::Error),
    ReadSig(PathBuf, io::Error),
    EmptySig(PathBuf),
    Walk(String),
    /// FS_IOC_MEASURE_VERITY failed for a reason other than fs-verity being absent.
    Verity(crate::verity::MeasureError),
}

impl fmt::Display for FileError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let p = self.path.display();
        match &self.what {
            FileErrorKind::Open(e) => write!(f, "{p}: cannot open: {}", io_words(e)),
            FileErrorKind::NotRegular(kind) => write!(f, "{p}: not a regular file ({kind})"),
            FileErrorKind::Read(e) => write!(f, "{p}: read error: {}", io_words(e)),
            FileErrorKind::SetXattr(name, e) => {
                write!(f, "{p}: cannot set {name}: {}", xattr_words(name, e))
            }
            FileErrorKind::GetXattr(name, e) => {
                write!(f, "{p}: cannot read {name}: {}", io_words(e))
            }
            FileErrorKind::RemoveXattr(name, e) => {
                write!(f, "{p}: cannot remove {name}: {}", xattr_words(name, e))
            }
            FileErrorKind::NoXattr(name) => write!(f, "{p}: has no {name} attribute"),
            FileErrorKind::Immutable(name, flag) => write!(
                f,
                "{p}: cannot change {name}: the file is {flag} (chattr -{}: clear the flag first)",
                if *flag == "immutable" { 'i' } else { 'a' }
            ),
            FileErrorKind::WriteSig(s, e) => {
                write!(f, "{p}: cannot write {}: {}", s.display(), io_words(e))
            }
            FileErrorKind::ReadSig(s, e) => {
                write!(
                    f,
                    "{p}: cannot read signature file {}: {}",
                    s.display(),
                    io_words(e)
                )
            }
            FileErrorKind::EmptySig(s) => {
                write!(f, "{p}: signature file {} is empty", s.display())
            }
            FileErrorKind::Walk(m) => write!(f, "{p}: {m}"),
            FileErrorKind::Verity(e) => write!(f, "{p}: {}", e.describe("the file")),
        }
    }
}

impl std::error::Error for FileError {}

fn xattr_words(name: &str, e: &io::Error) -> String {
    match e.raw_os_error() {
        Some(libc::EOPNOTSUPP) => {
            "the filesystem does not support extended attributes (or this namespace)".into()
        }
        Some(libc::EPERM) if name.starts_with("security.") => {
            "permission denied: writing security.* attributes needs CAP_SYS_ADMIN (run as root, \
             or use --xattr-user for testing)"
                .into()
        }
        Some(libc::EACCES) if name == "security.ima" => "permission denied (the kernel refused \
             the value: IMA appraisal may be enforcing, or the hash algorithm is unavailable)"
            .into(),
        _ => io_words(e),
    }
}

/// A regular file opened for reading, never through a symbolic link.
pub struct OpenFile {
    path: PathBuf,
    file: File,
    /// The size fstat(2) reported when the file was opened: it chooses how the file is
    /// read, and a short read that ends there is taken as the end (one pread for a small
    /// file); a file that has grown since is read on to its end.
    len: u64,
}

impl OpenFile {
    /// Opens `path` read-only with O_NOFOLLOW|O_NONBLOCK (a FIFO does not block us) and
    /// checks that it is a regular file.
    pub fn open(path: &Path) -> Result<OpenFile, FileError> {
        let err = |what| FileError {
            path: path.to_path_buf(),
            what,
        };
        use crate::input::{open_file_stat, Access, InputError};
        let (file, md) = open_file_stat(path, Access::ReadNoFollow).map_err(|e| match e {
            InputError::Io(e) if e.raw_os_error() == Some(libc::ELOOP) => err(
                FileErrorKind::NotRegular("a symbolic link; give the target's path"),
            ),
            InputError::Io(e) => err(FileErrorKind::Open(e)),
            InputError::NotRegular(what) => err(FileErrorKind::NotRegular(what)),
            other => err(FileErrorKind::Open(other.into())),
        })?;
        Ok(OpenFile {
            path: path.to_path_buf(),
            file,
            len: md.len(),
        })
    }

    /// Opens `path` read-only following symbolic links, for the kernel's magic links
    /// (`/proc/PID/exe`, `/proc/PID/map_files/...`) that reach the very file a process
    /// runs, even in another mount namespace; checks that it is a regular file. `shown`
    /// is the name messages give it.
    pub fn open_link_target(path: &Path, shown: &Path) -> Result<OpenFile, FileError> {
        use crate::input::{open_file_stat, Access, InputError};
        let err = |what| FileError {
            path: shown.to_path_buf(),
            what,
        };
        let (file, md) = open_file_stat(path, Access::Read).map_err(|e| match e {
            InputError::Io(e) => err(FileErrorKind::Open(e)),
            InputError::NotRegular(what) => err(FileErrorKind::NotRegular(what)),
            other => err(FileErrorKind::Open(other.into())),
        })?;
        Ok(OpenFile {
            path: shown.to_path_buf(),
            file,
            len: md.len(),
        })
    }

    pub fn path(&self) -> &Path {
        &self.path
    }

    pub fn file(&self) -> &File {
        &self.file
    }

    fn err(&self, what: FileErrorKind) -> FileError {
        FileError {
            path: self.path.clone(),
            what,
        }
    }

    /// Hashes the whole file from its start to its end through this descriptor, with
    /// pread(2) (no seek). A file of [`OVERLAP_FROM`] bytes or more (as fstat said at the
    /// open) is read on a second thread while this one hashes, when a core is free for it
    /// (docs/speed.md, "Hashing").
    pub fn digest(&self, algo: HashAlgo) -> Result<Vec<u8>, FileError> {
        let mut h = algo.hasher();
        let read = if self.len >= OVERLAP_FROM && crate::cores::spare() {
            use std::os::fd::AsFd;
            // Advice only: a filesystem that takes none is read the same way.
            let _ = crate::sys::fadvise::sequential(self.file.as_fd());
            read_overlapped(&self.file, self.len, &mut h)
        } else {
            SMALL_BUF.with_borrow_mut(|buf| {
                buf.resize(SMALL_CHUNK, 0);
                read_chunks(&self.file, self.len, buf, &mut |b| h.update(b))
            })
        };
        read.map_err(|e| self.err(FileErrorKind::Read(e)))?;
        Ok(h.finalize())
    }

    /// The fs-verity digest the kernel enforces for this file (FS_IOC_MEASURE_VERITY).
    pub fn verity_digest(&self) -> Result<(HashAlgo, Vec<u8>), crate::verity::MeasureError> {
        use std::os::fd::AsFd;
        crate::verity::measure(self.file.as_fd())
    }

    /// Sets xattr `name` through this descriptor (fsetxattr).
    pub fn set_xattr(&self, name: &'static str, value: &[u8]) -> Result<(), FileError> {
        self.file
            .set_xattr(name, value)
            .map_err(|e| self.err(self.xattr_refusal(name, e)))
    }

    /// EPERM on an immutable or append-only inode is not a missing privilege: say which.
    fn xattr_refusal(&self, name: &'static str, e: io::Error) -> FileErrorKind {
        if e.raw_os_error() == Some(libc::EPERM) {
            use crate::sys::ioctl::{fs_ioc_getflags, FS_APPEND_FL, FS_IMMUTABLE_FL};
            use std::os::fd::AsFd;
            match fs_ioc_getflags(self.file.as_fd()) {
                Ok(fl) if fl & FS_IMMUTABLE_FL != 0 => {
                    return FileErrorKind::Immutable(name, "immutable")
                }
                Ok(fl) if fl & FS_APPEND_FL != 0 => {
                    return FileErrorKind::Immutable(name, "append-only")
                }
                _ => {}
            }
        }
        FileErrorKind::SetXattr(name, e)
    }

    /// Removes xattr `name` through this descriptor (fremovexattr); absent is fine.
    pub fn remove_xattr(&self, name: &'static str) -> Result<(), FileError> {
        match self.file.remove_xattr(name) {
            Ok(()) => Ok(()),
            Err(e) if e.raw_os_error() == Some(libc::ENODATA) => Ok(()),
            Err(e) => Err(self.err(match self.xattr_refusal(name, e) {
                FileErrorKind::SetXattr(name, e) => FileErrorKind::RemoveXattr(name, e),
                other => other,
            })),
        }
    }

    /// Reads xattr `name` through this descriptor (fgetxattr).
    pub fn get_xattr(&self, name: &'static str) -> Result<Vec<u8>, FileError> {
        match self.file.get_xattr(name) {
            Ok(Some(v)) => Ok(v),
            Ok(None) => Err(self.err(FileErrorKind::NoXattr(name))),
            Err(e) if e.raw_os_error() == Some(libc::ENODATA) => {
                Err(self.err(FileErrorKind::NoXattr(name)))
            }
            Err(e) => Err(self.err(FileErrorKind::GetXattr(name, e))),
        }
    }
}

/// `<path>.sig`: where `--sigfile` keeps a detached signature.
pub fn sig_path(path: &Path) -> PathBuf {
    let mut s = path.as_os_str().to_os_string();
    s.push(".sig");
    PathBuf::from(s)
}

/// Writes `data` to `target` atomically: the file appears whole or not at all, and a
/// process killed while writing leaves nothing behind (see [`write_atomic_with`]).
pub fn write_atomic(target: &Path, data: &[u8]) -> io::Result<()> {
    write_atomic_with(target, |f| f.write_all(data))
}

/// The name of the temporary file [`write_atomic_with`] uses where it needs one:
/// `.NAME.tmpPID.N` in the target's directory.
fn temp_name(name: &OsStr, attempt: u32) -> std::ffi::OsString {
    let mut tmp_name = std::ffi::OsString::from(".");
    tmp_name.push(name);
    tmp_name.push(format!(".tmp{}.{attempt}", std::process::id()));
    tmp_name
}

/// True when `name` has the form of [`write_atomic_with`]'s temporary files,
/// `.NAME.tmpPID.N`: what a process killed between writing and renaming (or an older
/// version, which wrote every file that way) leaves. `-r` walks skip these instead of
/// signing them.
pub fn is_write_temp_name(name: &OsStr) -> bool {
    let b = name.as_encoded_bytes();
    let Some(rest) = b.strip_prefix(b".") else {
        return false;
    };
    let Some(pos) = rest.windows(4).rposition(|w| w == b".tmp") else {
        return false;
    };
    let (stem, tail) = (&rest[..pos], &rest[pos + 4..]);
    let digits =
        |p: Option<&[u8]>| p.is_some_and(|p| !p.is_empty() && p.iter().all(u8::is_ascii_digit));
    let mut parts = tail.split(|&c| c == b'.');
    !stem.is_empty() && digits(parts.next()) && digits(parts.next()) && parts.next().is_none()
}

/// [`write_atomic`] with the contents written by `fill` (a copy of any size streams).
///
/// The contents go to an anonymous file (O_TMPFILE) in the target's directory, fsynced,
/// then linked to `target` when it does not exist yet: nothing has a name until it is
/// complete, so a kill at any point leaves nothing. When `target` exists, the finished
/// file is linked to a temporary name and renamed over it (rename replaces a symbolic link
/// itself, never its target). Where the filesystem has no O_TMPFILE, the contents are
/// written to a new temporary file (O_EXCL, so nothing existing is followed or truncated)
/// and renamed; a kill then may leave that file, which [`is_write_temp_name`] recognises.
pub fn write_atomic_with(
    target: &Path,
    fill: impl FnOnce(&mut File) -> io::Result<()>,
) -> io::Result<()> {
    use crate::input::{open_file, Access, InputError};
    let dir = match target.parent() {
        Some(d) if !d.as_os_str().is_empty() => d.to_path_buf(),
        _ => PathBuf::from("."),
    };
    let name = target.file_name().unwrap_or(OsStr::new("sig"));
    match open_file(&dir, Access::Anonymous(0o644)) {
        Ok(mut f) => {
            fill(&mut f).and_then(|()| f.sync_all())?;
            return link_complete(&f, &dir, name, target);
        }
        Err(InputError::Io(e))
            if matches!(
                e.raw_os_error(),
                Some(libc::EOPNOTSUPP | libc::EISDIR | libc::EINVAL)
            ) => {}
        Err(e) => return Err(e.into()),
    }
    let mut fill = Some(fill);
    for attempt in 0..100u32 {
        let tmp = dir.join(temp_name(name, attempt));
        let mut f = match open_file(&tmp, Access::CreateNew(0o644)) {
            Ok(f) => f,
            Err(InputError::Io(e)) if e.kind() == io::ErrorKind::AlreadyExists => continue,
            Err(e) => return Err(e.into()),
        };
        let fill = fill.take().expect("called once: the loop returns after it");
        let r = fill(&mut f)
            .and_then(|()| f.sync_all())
            .and_then(|()| std::fs::rename(&tmp, target));
        if r.is_err() {
            let _ = std::fs::remove_file(&tmp);
        }
        return r;
    }
    Err(io::Error::new(
        io::ErrorKind::AlreadyExists,
        "could not create a temporary file",
    ))
}

/// Gives the complete anonymous file `f` the name `target`: directly when the name is
/// free, else through a temporary name renamed over it.
fn link_complete(f: &File, dir: &Path, name: &OsStr, target: &Path) -> io::Result<()> {
    use std::os::fd::AsFd;
    match crate::sys::fd::link_anonymous(f.as_fd(), target) {
        Ok(()) => return Ok(()),
        Err(e) if e.errno == libc::EEXIST => {}
        Err(e) => return Err(e.into()),
    }
    for attempt in 0..100u32 {
        let tmp = dir.join(temp_name(name, attempt));
        match crate::sys::fd::link_anonymous(f.as_fd(), &tmp) {
            Ok(()) => {}
            Err(e) if e.errno == libc::EEXIST => continue,
            Err(e) => return Err(e.into()),
        }
        let r = std::fs::rename(&tmp, target);
        if r.is_err() {
            let _ = std::fs::remove_file(&tmp);
        }
        return r;
    }
    Err(io::Error::new(
        io::ErrorKind::AlreadyExists,
        "could not create a temporary file",
    ))
}

/// Writes `<file>.sig` for `file` atomically.
pub fn write_sig_file(file: &Path, value: &[u8]) -> Result<PathBuf, FileError> {
    let target = sig_path(file);
    write_atomic(&target, value).map_err(|e| FileError {
        path: file.to_path_buf(),
        what: FileErrorKind::WriteSig(target.clone(), e),
    })?;
    Ok(target)
}

/// Reads a detached signature file; an empty one is an error.
pub fn read_sig_file(file: &Path, sig: &Path) -> Result<Vec<u8>, FileError> {
    let err = |what| FileError {
        path: file.to_path_buf(),
        what,
    };
    let data = crate::input::read_input(sig, crate::input::InputKind::Signature)
        .map_err(|e| err(FileErrorKind::ReadSig(sig.to_path_buf(), e.into())))?;
    if data.is_empty() {
        return Err(err(FileErrorKind::EmptySig(sig.to_path_buf())));
    }
    Ok(data)
}

/// Where a file's `security.ima` value is read from.
#[derive(Clone, Copy, Debug)]
pub enum ValueSource<'a> {
    /// The extended attribute of that name, through the open descriptor.
    Xattr(&'static str),
    /// A detached signature file (`FILE.sig`, or another one named).
    SigFile(&'a Path),
}

/// Reads the value of `file` from `source`: `Ok(None)` when there is none (no such
/// attribute, or no such signature file); an empty signature file is an error.
pub fn read_value(file: &OpenFile, source: ValueSource) -> Result<Option<Vec<u8>>, FileError> {
    let r = match source {
        ValueSource::Xattr(name) => file.get_xattr(name),
        ValueSource::SigFile(sig) => read_sig_file(file.path(), sig),
    };
    match r {
        Ok(v) => Ok(Some(v)),
        Err(FileError {
            what: FileErrorKind::NoXattr(_),
            ..
        }) => Ok(None),
        Err(FileError {
            what: FileErrorKind::ReadSig(_, ref e),
            ..
        }) if e.kind() == io::ErrorKind::NotFound => Ok(None),
        Err(e) => Err(e),
    }
}

/// Reads xattr `name` of `path` without following a final symbolic link.
pub fn get_xattr_nofollow(path: &Path, name: &'static str) -> Result<Vec<u8>, FileError> {
    let err = |what| FileError {
        path: path.to_path_buf(),
        what,
    };
    match xattr::get(path, name) {
        Ok(Some(v)) => Ok(v),
        Ok(None) => Err(err(FileErrorKind::NoXattr(name))),
        Err(e) if e.raw_os_error() == Some(libc::ENODATA) => Err(err(FileErrorKind::NoXattr(name))),
        Err(e) => Err(err(FileErrorKind::GetXattr(name, e))),
    }
}

/// One item of a walk: a regular file to process, or an error to report.
pub type WalkItem = Result<PathBuf, FileError>;

/// Every regular file under `root` (or `root` itself when it is a regular file), in upstream
/// evmctl's order (nftw: each directory's entries as the filesystem lists them, a
/// subdirectory's contents where the subdirectory is met), without following symbolic
/// links; unreadable directories are reported as errors, other file types are skipped, and
/// so are the leftovers of an interrupted [`write_atomic_with`] ([`is_write_temp_name`]).
/// `same_fs` stays on root's filesystem.
pub fn walk_regular_files(
    root: &Path,
    same_fs: bool,
) -> impl Iterator<Item = WalkItem> + Send + use<> {
    let root = root.to_path_buf();
    walkdir::WalkDir::new(&root)
        .follow_links(false)
        .same_file_system(same_fs)
        .into_iter()
        .filter_map(move |entry| match entry {
            // A temporary file of an interrupted write of ours is not signed or hashed.
            Ok(e) if e.file_type().is_file() && is_write_temp_name(e.file_name()) => None,
            Ok(e) if e.file_type().is_file() => Some(Ok(e.into_path())),
            Ok(_) => None,
            Err(e) => {
                let path = e
                    .path()
                    .map(Path::to_path_buf)
                    .unwrap_or_else(|| root.to_path_buf());
                let msg = match e.io_error() {
                    Some(io) => format!("cannot read directory: {}", io_words(io)),
                    None => e.to_string(),
                };
                Some(Err(FileError {
                    path,
                    what: FileErrorKind::Walk(msg),
                }))
            }
        })
}

#[cfg(test)]
#[path = "fsops_tests.rs"]
mod tests;
