//! close(2), for the one caller that must see its error: the IMA policy file, where the
//! kernel applies a batch of rules on release and reports a failure there; and linkat(2),
//! which gives an anonymous O_TMPFILE file its name once its contents are complete.

use std::os::fd::{AsRawFd, BorrowedFd, IntoRawFd, OwnedFd};
use std::os::unix::ffi::OsStrExt;
use std::path::Path;

use super::{c_string, SysError};

/// close(2): closes `fd` and returns the kernel's error, which `drop` would ignore.
/// The descriptor is gone either way (Linux frees it even when close fails).
pub fn close(fd: OwnedFd) -> Result<(), SysError> {
    let raw = fd.into_raw_fd();
    // SAFETY: `raw` came from an OwnedFd given up by into_raw_fd, so it is open, ours, and
    // closed exactly once here.
    if unsafe { libc::close(raw) } != 0 {
        return Err(SysError::last("close"));
    }
    Ok(())
}

/// linkat(2) (man 2 linkat) of the open, unnamed file `fd` (made with O_TMPFILE, without
/// O_EXCL) to the new name `target`, which must not exist (EEXIST otherwise; a symbolic
/// link there is not followed). Tries AT_EMPTY_PATH (needs CAP_DAC_READ_SEARCH), then the
/// descriptor's /proc/self/fd link with AT_SYMLINK_FOLLOW, the unprivileged way.
pub fn link_anonymous(fd: BorrowedFd<'_>, target: &Path) -> Result<(), SysError> {
    let to = c_string("linkat", target.as_os_str().as_bytes())?;
    let empty = c_string("linkat", b"")?;
    // SAFETY: `fd` is borrowed, so open across the call; both strings are NUL-terminated
    // and alive across the call.
    let rc = unsafe {
        libc::linkat(
            fd.as_raw_fd(),
            empty.as_ptr(),
            libc::AT_FDCWD,
            to.as_ptr(),
            libc::AT_EMPTY_PATH,
        )
    };
    if rc == 0 {
        return Ok(());
    }
    let first = SysError::last("linkat");
    if !matches!(first.errno, libc::ENOENT | libc::EPERM | libc::EACCES) {
        return Err(first);
    }
    let proc_link = c_string(
        "linkat",
        format!("/proc/self/fd/{}", fd.as_raw_fd()).as_bytes(),
    )?;
    // SAFETY: as above; the /proc path names the same borrowed descriptor.
    let rc = unsafe {
        libc::linkat(
            libc::AT_FDCWD,
            proc_link.as_ptr(),
            libc::AT_FDCWD,
            to.as_ptr(),
            libc::AT_SYMLINK_FOLLOW,
        )
    };
    if rc != 0 {
        return Err(SysError::last("linkat"));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::io::Write;
    use std::os::fd::AsFd;
    use std::os::unix::fs::OpenOptionsExt;

    #[test]
    fn an_anonymous_file_gets_its_name_once() {
        let d = tempfile::tempdir().unwrap();
        let mut f = match std::fs::OpenOptions::new()
            .write(true)
            .custom_flags(libc::O_TMPFILE)
            .open(d.path())
        {
            Ok(f) => f,
            // A filesystem without O_TMPFILE: nothing to test here.
            Err(_) => return,
        };
        f.write_all(b"done").unwrap();
        let target = d.path().join("named");
        link_anonymous(f.as_fd(), &target).unwrap();
        assert_eq!(std::fs::read(&target).unwrap(), b"done");
        let e = link_anonymous(f.as_fd(), &target).unwrap_err();
        assert_eq!(e.errno, libc::EEXIST);
    }

    #[test]
    fn closes_a_file() {
        let f = tempfile::tempfile().unwrap();
        close(OwnedFd::from(f)).unwrap();
    }
}
