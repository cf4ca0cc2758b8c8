//! mount(2) and statfs(2): what the policy loader needs to find or mount securityfs.

use std::ffi::OsStr;
use std::os::unix::ffi::OsStrExt;
use std::path::Path;

use super::{c_string, SysError};

/// statfs(2) (man 2 statfs): the filesystem type (`f_type`, a magic number from
/// include/uapi/linux/magic.h) of the filesystem holding `path`.
pub fn statfs_type(path: &Path) -> Result<i64, SysError> {
    let c = c_string("statfs", path.as_os_str().as_bytes())?;
    // SAFETY: struct statfs is plain old data; all zeroes is a valid value.
    let mut st: libc::statfs = unsafe { std::mem::zeroed() };
    // SAFETY: c is a NUL-terminated path alive across the call; st is ours to fill.
    if unsafe { libc::statfs(c.as_ptr(), &mut st) } != 0 {
        return Err(SysError::last("statfs"));
    }
    #[allow(clippy::unnecessary_cast)] // f_type is i64 on x86_64, other widths elsewhere.
    Ok(st.f_type as i64)
}

/// fstatfs(2) (man 2 statfs): the filesystem type (`f_type`) of the filesystem holding the
/// open file `fd`, as the kernel's `s_magic` (every magic number fits in 32 bits; a 32-bit
/// `f_type` is not sign-extended).
pub fn fstatfs_type(fd: std::os::fd::BorrowedFd<'_>) -> Result<u64, SysError> {
    use std::os::fd::AsRawFd;
    // SAFETY: struct statfs is plain old data; all zeroes is a valid value.
    let mut st: libc::statfs = unsafe { std::mem::zeroed() };
    // SAFETY: fd is open for the borrow's lifetime; st is ours to fill.
    if unsafe { libc::fstatfs(fd.as_raw_fd(), &mut st) } != 0 {
        return Err(SysError::last("fstatfs"));
    }
    #[allow(clippy::unnecessary_cast)] // f_type is i64 on x86_64, other widths elsewhere.
    Ok(u64::from(st.f_type as u32))
}

/// mount(2) (man 2 mount) of a pseudo filesystem with no device and no data: `fstype`
/// (also used as the source name, as mount(8) shows it) on `target`, with `flags`
/// (`libc::MS_*`).
pub fn mount_pseudo(fstype: &str, target: &Path, flags: libc::c_ulong) -> Result<(), SysError> {
    let src = c_string("mount", OsStr::new(fstype).as_bytes())?;
    let tgt = c_string("mount", target.as_os_str().as_bytes())?;
    // SAFETY: both strings are NUL-terminated and alive across the call; data is NULL,
    // which mount(2) allows.
    let rc = unsafe {
        libc::mount(
            src.as_ptr(),
            tgt.as_ptr(),
            src.as_ptr(),
            flags,
            std::ptr::null(),
        )
    };
    if rc != 0 {
        return Err(SysError::last("mount"));
    }
    Ok(())
}

/// umount2(2) (man 2 umount) of `target` with no flags.
pub fn unmount(target: &Path) -> Result<(), SysError> {
    let tgt = c_string("umount", target.as_os_str().as_bytes())?;
    // SAFETY: tgt is a NUL-terminated path alive across the call.
    if unsafe { libc::umount2(tgt.as_ptr(), 0) } != 0 {
        return Err(SysError::last("umount"));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn statfs_of_a_missing_path_is_enoent() {
        let e = statfs_type(Path::new("/nonexistent/imaevm-test")).unwrap_err();
        assert_eq!((e.call, e.errno), ("statfs", libc::ENOENT));
        assert!(statfs_type(Path::new("/")).is_ok());
    }

    #[test]
    fn mount_on_a_missing_target_fails_with_its_errno() {
        // As root the kernel answers ENOENT, otherwise EPERM: either way nothing is mounted.
        let e = mount_pseudo("tmpfs", Path::new("/nonexistent/imaevm-test"), 0).unwrap_err();
        assert!([libc::ENOENT, libc::EPERM].contains(&e.errno), "{e}");
        assert_eq!(e.call, "mount");
    }
}
