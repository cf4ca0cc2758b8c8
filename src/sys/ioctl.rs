//! ioctl(2) requests on open files.

use std::os::fd::{AsRawFd, BorrowedFd};

use super::SysError;

/// `FS_IOC_GETVERSION` (include/uapi/linux/fs.h: `_IOR('v', 1, long)`).
const FS_IOC_GETVERSION: libc::c_ulong = 0x8008_7601;

/// ioctl(2) FS_IOC_GETVERSION (man 2 ioctl; the request has no man page of its own): the
/// inode generation of the open file, which EVM hashes. ENOTTY on filesystems without one.
pub fn fs_ioc_getversion(fd: BorrowedFd<'_>) -> Result<u32, SysError> {
    let mut generation: libc::c_long = 0;
    // SAFETY: fd is open for the borrow's lifetime; the request writes at most one long
    // to the pointer, which points to a long we own.
    let r = unsafe { libc::ioctl(fd.as_raw_fd(), FS_IOC_GETVERSION, &mut generation) };
    if r < 0 {
        return Err(SysError::last("ioctl(FS_IOC_GETVERSION)"));
    }
    // The kernel stores a 32-bit generation; the upper half of the long stays zero.
    Ok(generation as u32)
}

/// `FS_IOC_GETFLAGS` (include/uapi/linux/fs.h: `_IOR('f', 1, long)`).
const FS_IOC_GETFLAGS: libc::c_ulong = 0x8008_6601;
/// The inode flag of `chattr +i`.
pub const FS_IMMUTABLE_FL: u32 = 0x10;
/// The inode flag of `chattr +a`.
pub const FS_APPEND_FL: u32 = 0x20;

/// ioctl(2) FS_IOC_GETFLAGS (man 2 ioctl_iflags): the inode flags of the open file
/// (immutable, append-only ...). ENOTTY on filesystems without them.
pub fn fs_ioc_getflags(fd: BorrowedFd<'_>) -> Result<u32, SysError> {
    // The kernel reads and writes an int, whatever the request's encoded size says.
    let mut flags: libc::c_int = 0;
    // SAFETY: fd is open for the borrow's lifetime; the request writes one int to the
    // pointer, which points to an int we own.
    let r = unsafe { libc::ioctl(fd.as_raw_fd(), FS_IOC_GETFLAGS, &mut flags) };
    if r < 0 {
        return Err(SysError::last("ioctl(FS_IOC_GETFLAGS)"));
    }
    Ok(flags as u32)
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::os::fd::AsFd;

    #[test]
    fn answers_or_says_why() {
        let f = tempfile::tempfile().unwrap();
        match fs_ioc_getversion(f.as_fd()) {
            Ok(_) => {}
            // tmpfs and overlay have no generation: the errno is kept.
            Err(e) => assert!(
                [libc::ENOTTY, libc::EOPNOTSUPP, libc::EINVAL].contains(&e.errno),
                "{e}"
            ),
        }
    }
}
