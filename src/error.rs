//! Turning system errors into words a packager understands.

use std::io;

/// The cause of an I/O error in plain words (no "os error N" suffix).
pub fn io_words(e: &io::Error) -> String {
    match e.raw_os_error() {
        Some(code) => errno_words(code),
        None => e.to_string(),
    }
}

/// strerror-like text for an errno value, without Rust's "(os error N)" suffix.
pub fn errno_words(code: i32) -> String {
    let s = io::Error::from_raw_os_error(code).to_string();
    match s.find(" (os error") {
        Some(i) => s[..i].to_string(),
        None => s,
    }
}

/// The symbolic name of common errno values (EACCES, ENOENT, ...), for messages that
/// should match what people search for.
pub fn errno_name(code: i32) -> &'static str {
    match code {
        libc::EPERM => "EPERM",
        libc::ENOENT => "ENOENT",
        libc::EIO => "EIO",
        libc::E2BIG => "E2BIG",
        libc::EBADF => "EBADF",
        libc::EAGAIN => "EAGAIN",
        libc::ENOMEM => "ENOMEM",
        libc::EACCES => "EACCES",
        libc::EFAULT => "EFAULT",
        libc::EBUSY => "EBUSY",
        libc::EEXIST => "EEXIST",
        libc::ENOTDIR => "ENOTDIR",
        libc::EISDIR => "EISDIR",
        libc::EINVAL => "EINVAL",
        libc::ENOSPC => "ENOSPC",
        libc::EROFS => "EROFS",
        libc::ERANGE => "ERANGE",
        libc::ENOSYS => "ENOSYS",
        libc::ENODATA => "ENODATA",
        libc::EOPNOTSUPP => "EOPNOTSUPP",
        libc::EBADMSG => "EBADMSG",
        libc::EKEYREJECTED => "EKEYREJECTED",
        libc::ENOKEY => "ENOKEY",
        libc::EKEYEXPIRED => "EKEYEXPIRED",
        libc::EKEYREVOKED => "EKEYREVOKED",
        libc::EDQUOT => "EDQUOT",
        libc::ELOOP => "ELOOP",
        libc::ENXIO => "ENXIO",
        libc::EMSGSIZE => "EMSGSIZE",
        libc::ENOPKG => "ENOPKG",
        libc::EFBIG => "EFBIG",
        libc::EPIPE => "EPIPE",
        _ => "E?",
    }
}
