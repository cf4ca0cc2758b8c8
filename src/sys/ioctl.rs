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

/// `FS_IOC_GETFSUUID` (include/uapi/linux/fs.h: `_IOR(0x15, 0, struct fsuuid2)`, 17 bytes).
const FS_IOC_GETFSUUID: libc::c_ulong = 0x8011_1500;

/// `struct fsuuid2`: the length of the UUID and up to 16 bytes of it.
#[repr(C)]
struct Fsuuid2 {
    len: u8,
    uuid: [u8; 16],
}

/// ioctl(2) FS_IOC_GETFSUUID (Linux 6.5 and later; fs/ioctl.c): the UUID of the filesystem
/// holding the open file, as the kernel keeps it in the superblock (`s_uuid`, what an
/// IMA `fsuuid=` rule compares), padded with zeroes to 16 bytes. ENOTTY when the
/// filesystem does not report one, or the kernel is older.
pub fn fs_ioc_getfsuuid(fd: BorrowedFd<'_>) -> Result<[u8; 16], SysError> {
    let mut arg = Fsuuid2 {
        len: 0,
        uuid: [0; 16],
    };
    // SAFETY: fd is open for the borrow's lifetime; the kernel writes one struct fsuuid2
    // (17 bytes) to the pointer, which points to a repr(C) struct of that layout we own.
    let r = unsafe { libc::ioctl(fd.as_raw_fd(), FS_IOC_GETFSUUID, &mut arg) };
    if r < 0 {
        return Err(SysError::last("ioctl(FS_IOC_GETFSUUID)"));
    }
    let mut out = [0u8; 16];
    let n = usize::from(arg.len).min(16);
    out[..n].copy_from_slice(&arg.uuid[..n]);
    Ok(out)
}

/// `FS_IOC_MEASURE_VERITY` (include/uapi/linux/fsverity.h:
/// `_IOWR('f', 134, struct fsverity_digest)`, a 4-byte header before the flexible array).
const FS_IOC_MEASURE_VERITY: libc::c_ulong = 0xc004_6686;

/// The largest fs-verity file digest (`FS_VERITY_MAX_DIGEST_SIZE`, SHA-512).
pub const FS_VERITY_MAX_DIGEST_SIZE: usize = 64;

/// `struct fsverity_digest` with room for the largest digest after its header.
#[repr(C)]
struct FsverityDigest {
    digest_algorithm: u16,
    digest_size: u16,
    digest: [u8; FS_VERITY_MAX_DIGEST_SIZE],
}

/// ioctl(2) FS_IOC_MEASURE_VERITY (Documentation/filesystems/fsverity.rst): the fs-verity
/// file digest the kernel enforces for the open file, as (FS_VERITY_HASH_ALG_* number,
/// digest). The kernel's errno is kept: ENODATA when fs-verity is not enabled on the file,
/// ENOTTY or EOPNOTSUPP when the filesystem (or kernel) has no fs-verity, EOVERFLOW when
/// the digest is longer than [`FS_VERITY_MAX_DIGEST_SIZE`].
pub fn fs_ioc_measure_verity(fd: BorrowedFd<'_>) -> Result<(u16, Vec<u8>), SysError> {
    let mut arg = FsverityDigest {
        digest_algorithm: 0,
        digest_size: FS_VERITY_MAX_DIGEST_SIZE as u16,
        digest: [0; FS_VERITY_MAX_DIGEST_SIZE],
    };
    // SAFETY: fd is open for the borrow's lifetime; the kernel reads digest_size, refuses
    // (EOVERFLOW) a digest longer than it, and writes at most the 4-byte header plus
    // digest_size bytes, all inside `arg`, a repr(C) struct we own.
    let r = unsafe { libc::ioctl(fd.as_raw_fd(), FS_IOC_MEASURE_VERITY, &mut arg) };
    if r < 0 {
        return Err(SysError::last("ioctl(FS_IOC_MEASURE_VERITY)"));
    }
    let len = usize::from(arg.digest_size).min(FS_VERITY_MAX_DIGEST_SIZE);
    Ok((arg.digest_algorithm, arg.digest[..len].to_vec()))
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

    #[test]
    fn measure_verity_says_why_on_a_plain_file() {
        // A temporary file never has fs-verity enabled: either the filesystem has none
        // (ENOTTY, EOPNOTSUPP) or it has and the file is not a verity file (ENODATA).
        let f = tempfile::tempfile().unwrap();
        let e = fs_ioc_measure_verity(f.as_fd()).unwrap_err();
        assert_eq!(e.call, "ioctl(FS_IOC_MEASURE_VERITY)");
        assert!(
            [libc::ENOTTY, libc::EOPNOTSUPP, libc::ENODATA].contains(&e.errno),
            "{e}"
        );
    }
}
