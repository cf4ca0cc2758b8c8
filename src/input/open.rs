//! The one function through which either tool opens a file: [`open_file`]. Every open of
//! the library goes through it (tests/one_open_rule.rs fails on an `open` elsewhere), so
//! one rule holds for inputs, kernel interface files, test roots and new files alike:
//!
//! - the open itself never blocks: O_NONBLOCK (a FIFO without a writer, or without a
//!   reader for a write, does not hang the open), O_NOCTTY, O_CLOEXEC;
//! - fstat(2) of the opened descriptor then says what it is, and anything but a regular
//!   file (a FIFO, a character or block device such as /dev/zero, a socket, a directory)
//!   is refused as [`InputError::NotRegular`], whose text names what it is ("not a
//!   regular file (a FIFO)"); callers put the path in front;
//! - only where the user names an input on purpose ([`Access::ReadOrPipe`]: `<(cmd)`,
//!   `/dev/stdin`, a FIFO made for it) is a FIFO or pipe accepted; [`read_pipe`] then reads
//!   it with the cap of its kind and a time limit ([`PIPE_IDLE_LIMIT`]) that runs only
//!   while nothing arrives.
//!
//! Reading is done by the callers through the bounded reader of `input.rs`, with the cap
//! of the input's kind. Kernel interface files (securityfs, procfs, sysfs) are regular
//! files that fstat reports with size 0; the cap bounds them.

use std::fs::{File, OpenOptions};
use std::io::{self, Read};
use std::os::fd::AsFd;
use std::os::unix::fs::{FileTypeExt, OpenOptionsExt};
use std::path::Path;
use std::time::Duration;

use super::{file_type_words, InputError, InputKind};

/// How a file is opened.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Access {
    /// Read a regular file; symbolic links are followed (keys, certificates, policies and
    /// kernel interface files are often reached through links).
    Read,
    /// Read a regular file, never through a symbolic link (O_NOFOLLOW: the files that are
    /// signed or verified). A link is an ELOOP I/O error.
    ReadNoFollow,
    /// Read an input the user named on purpose: a regular file, or a FIFO or pipe
    /// (`<(cmd)`, `/dev/stdin`), which is then read with [`read_pipe`].
    ReadOrPipe,
    /// Write to an existing regular file without creating or truncating it (the securityfs
    /// policy file).
    WriteExisting,
    /// Create a new file with this mode: never an existing one and never through a link
    /// (O_CREAT|O_EXCL|O_NOFOLLOW).
    CreateNew(u32),
    /// Create an anonymous file with this mode in the directory `path` (O_TMPFILE): it has
    /// no name until `crate::sys::fd::link_anonymous` gives it one, so a process killed
    /// while writing leaves nothing. A filesystem without O_TMPFILE fails with EOPNOTSUPP
    /// (or EISDIR on old kernels).
    Anonymous(u32),
}

/// Opens `path` as `how` says, without blocking, and checks with fstat(2) that it is a
/// regular file (or, for [`Access::ReadOrPipe`], a FIFO or pipe). The error does not name
/// the path: callers do.
pub fn open_file(path: &Path, how: Access) -> Result<File, InputError> {
    open_file_stat(path, how).map(|(f, _)| f)
}

/// [`open_file`], also returning what its fstat(2) said (the size of a file to be read
/// whole, without a second call).
pub fn open_file_stat(path: &Path, how: Access) -> Result<(File, std::fs::Metadata), InputError> {
    let mut o = OpenOptions::new();
    let mut flags = libc::O_NONBLOCK | libc::O_NOCTTY | libc::O_CLOEXEC;
    match how {
        Access::Read | Access::ReadOrPipe => {
            o.read(true);
        }
        Access::ReadNoFollow => {
            o.read(true);
            flags |= libc::O_NOFOLLOW;
        }
        Access::WriteExisting => {
            o.write(true);
        }
        Access::CreateNew(mode) => {
            o.write(true).create_new(true).mode(mode);
            flags |= libc::O_NOFOLLOW;
        }
        Access::Anonymous(mode) => {
            o.write(true).mode(mode);
            flags |= libc::O_TMPFILE;
        }
    }
    let acceptable =
        |ft: std::fs::FileType| ft.is_file() || (how == Access::ReadOrPipe && ft.is_fifo());
    let file = match o.custom_flags(flags).open(path) {
        Ok(f) => f,
        // A FIFO without a reader (opened for writing), a socket (ENXIO), a directory
        // opened for writing (EISDIR) or a device without a driver (ENODEV): say what
        // the file is rather than the errno.
        Err(e)
            if !matches!(how, Access::Anonymous(_))
                && matches!(
                    e.raw_os_error(),
                    Some(libc::ENXIO | libc::EISDIR | libc::ENODEV)
                ) =>
        {
            return Err(match std::fs::metadata(path) {
                Ok(md) if !acceptable(md.file_type()) => {
                    InputError::NotRegular(file_type_words(md.file_type()))
                }
                _ => InputError::Io(e),
            });
        }
        Err(e) => return Err(InputError::Io(e)),
    };
    let md = file.metadata().map_err(InputError::Io)?;
    let ft = md.file_type();
    if acceptable(ft) {
        Ok((file, md))
    } else {
        Err(InputError::NotRegular(file_type_words(ft)))
    }
}

/// True when `file` is a FIFO or a pipe.
pub fn is_pipe(file: &File) -> bool {
    file.metadata().is_ok_and(|m| m.file_type().is_fifo())
}

/// How long a pipe the user named may stay silent: the limit restarts whenever bytes
/// arrive, so a slow generator that keeps writing is read to its end, and a FIFO nobody
/// writes to ends with an error instead of a hang.
pub const PIPE_IDLE_LIMIT: Duration = Duration::from_secs(10);

/// Reads the FIFO or pipe `file` to its end: at most `kind.limit()` bytes (more is
/// [`InputError::TooLarge`]), waiting at most `idle` each time nothing has arrived
/// ([`InputError::Silent`] then). A FIFO opened before its writer is waited for the same
/// way (Linux reports no hang-up until a writer has come and gone).
pub fn read_pipe(mut file: &File, kind: InputKind, idle: Duration) -> Result<Vec<u8>, InputError> {
    let limit = kind.limit();
    let ms = i32::try_from(idle.as_millis()).unwrap_or(i32::MAX);
    let mut out = Vec::new();
    let mut buf = vec![0u8; 64 * 1024];
    loop {
        let ready = crate::sys::poll::wait_readable(file.as_fd(), ms)
            .map_err(|e| InputError::Io(e.into()))?;
        if !ready {
            return Err(InputError::Silent(idle));
        }
        match file.read(&mut buf) {
            Ok(0) => return Ok(out),
            Ok(n) => {
                out.extend_from_slice(&buf[..n]);
                if out.len() as u64 > limit {
                    return Err(InputError::TooLarge(kind));
                }
            }
            Err(e)
                if matches!(
                    e.kind(),
                    io::ErrorKind::WouldBlock | io::ErrorKind::Interrupted
                ) => {}
            Err(e) => return Err(InputError::Io(e)),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::io::Write;

    fn mkfifo(p: &Path) {
        let ok = std::process::Command::new("mkfifo")
            .arg(p)
            .status()
            .unwrap()
            .success();
        assert!(ok);
    }

    #[test]
    fn only_regular_files_unless_a_pipe_is_named_on_purpose() {
        let d = tempfile::tempdir().unwrap();
        let fifo = d.path().join("fifo");
        mkfifo(&fifo);
        for how in [Access::Read, Access::ReadNoFollow, Access::WriteExisting] {
            let e = open_file(Path::new("/dev/zero"), how).unwrap_err();
            assert_eq!(e.to_string(), "not a regular file (a character device)");
            let e = open_file(d.path(), Access::Read).unwrap_err();
            assert_eq!(e.to_string(), "not a regular file (a directory)");
            if how != Access::WriteExisting {
                let e = open_file(&fifo, how).unwrap_err();
                assert_eq!(e.to_string(), "not a regular file (a FIFO)", "{how:?}");
            }
        }
        // Written without a reader: the non-blocking open fails instead of hanging, and the
        // error says what the file is.
        let e = open_file(&fifo, Access::WriteExisting).unwrap_err();
        assert_eq!(e.to_string(), "not a regular file (a FIFO)");
        let e = open_file(d.path(), Access::WriteExisting).unwrap_err();
        assert_eq!(e.to_string(), "not a regular file (a directory)");
        let f = open_file(&fifo, Access::ReadOrPipe).unwrap();
        assert!(is_pipe(&f));
        assert!(open_file(Path::new("/dev/zero"), Access::ReadOrPipe).is_err());
    }

    #[test]
    fn new_files_are_new_and_never_links() {
        let d = tempfile::tempdir().unwrap();
        let p = d.path().join("n");
        open_file(&p, Access::CreateNew(0o600)).unwrap();
        assert!(open_file(&p, Access::CreateNew(0o600)).is_err());
        let l = d.path().join("l");
        std::os::unix::fs::symlink(d.path().join("target"), &l).unwrap();
        assert!(open_file(&l, Access::CreateNew(0o600)).is_err());
        assert!(!d.path().join("target").exists());
        let e = open_file(&l, Access::ReadNoFollow).unwrap_err();
        assert!(matches!(e, InputError::Io(ref e) if e.raw_os_error() == Some(libc::ELOOP)));
    }

    #[test]
    fn a_pipe_is_read_to_its_end_capped_and_timed_only_while_silent() {
        let d = tempfile::tempdir().unwrap();
        let fifo = d.path().join("fifo");
        mkfifo(&fifo);
        let f = open_file(&fifo, Access::ReadOrPipe).unwrap();
        // No writer at all: the idle limit ends the wait.
        let t = std::time::Instant::now();
        let e = read_pipe(&f, InputKind::Policy, Duration::from_millis(300)).unwrap_err();
        assert!(matches!(e, InputError::Silent(_)), "{e}");
        assert!(t.elapsed() < Duration::from_secs(5));
        // A slow writer whose total time is longer than the limit, each pause shorter.
        let writer = {
            let fifo = fifo.clone();
            std::thread::spawn(move || {
                let mut w = OpenOptions::new().write(true).open(&fifo).unwrap();
                for _ in 0..5 {
                    w.write_all(b"measure func=BPRM_CHECK\n").unwrap();
                    std::thread::sleep(Duration::from_millis(150));
                }
            })
        };
        let text = read_pipe(&f, InputKind::Policy, Duration::from_millis(400)).unwrap();
        writer.join().unwrap();
        assert_eq!(text.len(), 5 * 24);
        // An endless writer stops at the cap.
        let (r, mut w) = std::io::pipe().unwrap();
        let writer = std::thread::spawn(move || {
            let chunk = vec![b'x'; 4096];
            while w.write_all(&chunk).is_ok() {}
        });
        let r = File::from(std::os::fd::OwnedFd::from(r));
        let e = read_pipe(&r, InputKind::Pcrs, Duration::from_secs(5)).unwrap_err();
        assert!(matches!(e, InputError::TooLarge(InputKind::Pcrs)));
        drop(r);
        writer.join().unwrap();
    }
}
