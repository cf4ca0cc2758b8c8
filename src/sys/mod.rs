//! Every system call the library makes without the standard library's help, and the only
//! place in the crate where `unsafe` is allowed. Each wrapper is safe to call, named after
//! the call (or the operation) it wraps, names its man page, and keeps the kernel's errno in
//! a [`SysError`]. Nothing here decides anything: callers above say what a failure means.
//!
//! - [`keyctl`]: add_key(2) and the keyctl(2) operations the keyring code uses.
//! - [`mount`]: mount(2) and statfs(2) for securityfs.
//! - [`fd`]: close(2) with its error (dropping a `File` ignores it), and linkat(2) of an
//!   anonymous O_TMPFILE file to its name.
//! - [`fadvise`]: posix_fadvise(2) POSIX_FADV_SEQUENTIAL before a large file is hashed.
//! - [`poll`]: poll(2) on one descriptor, to wait for a pipe with a time limit.
//! - [`uname`]: uname(2), the running kernel's release.
//! - [`sched`]: sched_getcpu(3), sched_getaffinity(2) and sched_setaffinity(2): a core
//!   per pipeline worker while it runs, a helper thread started on another core.
//! - [`ioctl`]: ioctl(2) FS_IOC_GETVERSION (an inode's generation), FS_IOC_GETFLAGS and
//!   FS_IOC_MEASURE_VERITY (a file's fs-verity digest).
//!
//! Files, xattrs and reads go through `std` and the `xattr` crate, which are safe already.

use std::ffi::CString;
use std::fmt;
use std::io;

use crate::error::{errno_name, errno_words};

pub mod fadvise;
pub mod fd;
pub mod ioctl;
pub mod keyctl;
pub mod mount;
pub mod poll;
pub mod sched;
pub mod uname;

/// A system call failed: which one, and the kernel's errno.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct SysError {
    /// The call as a person would search for it: "add_key", "keyctl(KEYCTL_SEARCH)", "mount".
    pub call: &'static str,
    /// The errno value (EACCES, ENOKEY, ...).
    pub errno: i32,
}

impl SysError {
    /// The error of `call` from `errno` as the calling thread left it.
    pub(crate) fn last(call: &'static str) -> SysError {
        SysError {
            call,
            errno: io::Error::last_os_error()
                .raw_os_error()
                .unwrap_or(libc::EIO),
        }
    }

    /// An error the wrapper found before asking the kernel (an argument it cannot pass).
    pub(crate) fn invalid(call: &'static str) -> SysError {
        SysError {
            call,
            errno: libc::EINVAL,
        }
    }

    /// The errno, in the shape `std::io::Error` offers it (always `Some`).
    pub fn raw_os_error(&self) -> Option<i32> {
        Some(self.errno)
    }

    /// The cause without the call: "Required key not available (ENOKEY)".
    pub fn cause(&self) -> String {
        format!("{} ({})", errno_words(self.errno), errno_name(self.errno))
    }
}

/// "keyctl(KEYCTL_SEARCH): Required key not available (ENOKEY)".
impl fmt::Display for SysError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}: {}", self.call, self.cause())
    }
}

impl std::error::Error for SysError {}

impl From<SysError> for io::Error {
    fn from(e: SysError) -> io::Error {
        io::Error::from_raw_os_error(e.errno)
    }
}

/// A C string for `call`, or EINVAL when `bytes` holds a NUL (the kernel could not see it).
pub(crate) fn c_string(call: &'static str, bytes: &[u8]) -> Result<CString, SysError> {
    CString::new(bytes).map_err(|_| SysError::invalid(call))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn error_says_call_words_and_name() {
        let e = SysError {
            call: "keyctl(KEYCTL_SEARCH)",
            errno: libc::ENOKEY,
        };
        assert_eq!(
            e.to_string(),
            "keyctl(KEYCTL_SEARCH): Required key not available (ENOKEY)"
        );
        assert_eq!(e.cause(), "Required key not available (ENOKEY)");
        assert_eq!(io::Error::from(e).raw_os_error(), Some(libc::ENOKEY));
        assert_eq!(e.raw_os_error(), Some(libc::ENOKEY));
    }

    #[test]
    fn nul_in_an_argument_is_einval() {
        let e = c_string("mount", b"a\0b").unwrap_err();
        assert_eq!((e.call, e.errno), ("mount", libc::EINVAL));
        assert_eq!(c_string("mount", b"/sys").unwrap().as_bytes(), b"/sys");
    }
}
