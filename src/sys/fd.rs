//! close(2), for the one caller that must see its error: the IMA policy file, where the
//! kernel applies a batch of rules on release and reports a failure there.

use std::os::fd::{IntoRawFd, OwnedFd};

use super::SysError;

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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn closes_a_file() {
        let f = tempfile::tempfile().unwrap();
        close(OwnedFd::from(f)).unwrap();
    }
}
