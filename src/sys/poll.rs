//! poll(2) on one descriptor, for reading a pipe the user named (`<(...)`, `-`) with a
//! time limit while nothing arrives.

use std::os::fd::{AsRawFd, BorrowedFd};

use super::SysError;

/// poll(2) for POLLIN on `fd`, waiting at most `timeout_ms` milliseconds. True when the
/// descriptor is readable or its writer has gone (POLLIN, POLLHUP or POLLERR: a read then
/// returns data, end of file or the error); false when the time ran out. EINTR is retried.
pub fn wait_readable(fd: BorrowedFd<'_>, timeout_ms: i32) -> Result<bool, SysError> {
    let mut pfd = libc::pollfd {
        fd: fd.as_raw_fd(),
        events: libc::POLLIN,
        revents: 0,
    };
    loop {
        // SAFETY: `pfd` is one valid, initialised pollfd that lives across the call, and
        // nfds is 1; `fd` is borrowed, so it stays open during the call.
        let n = unsafe { libc::poll(&mut pfd, 1, timeout_ms) };
        if n < 0 {
            let e = SysError::last("poll");
            if e.errno == libc::EINTR {
                continue;
            }
            return Err(e);
        }
        return Ok(n > 0);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::io::Write;
    use std::os::fd::AsFd;

    #[test]
    fn a_pipe_with_data_is_readable_and_an_idle_one_times_out() {
        let (r, mut w) = std::io::pipe().unwrap();
        assert!(!wait_readable(r.as_fd(), 10).unwrap());
        w.write_all(b"x").unwrap();
        assert!(wait_readable(r.as_fd(), 1000).unwrap());
    }
}
