//! posix_fadvise(2) POSIX_FADV_SEQUENTIAL: a large file about to be read from its start to
//! its end, so that the kernel reads ahead twice as far when it is not cached yet.

use std::os::fd::{AsRawFd, BorrowedFd};

use super::SysError;

/// posix_fadvise(2) of the whole file `fd` with POSIX_FADV_SEQUENTIAL. Advice only: the
/// kernel reads the file the same whatever it answers.
pub fn sequential(fd: BorrowedFd<'_>) -> Result<(), SysError> {
    // SAFETY: `fd` is borrowed, so it stays open during the call; the other arguments are
    // plain integers (offset 0 and length 0: the whole file).
    let rc = unsafe { libc::posix_fadvise(fd.as_raw_fd(), 0, 0, libc::POSIX_FADV_SEQUENTIAL) };
    // posix_fadvise returns the error number itself and leaves errno alone.
    if rc != 0 {
        return Err(SysError {
            call: "posix_fadvise",
            errno: rc,
        });
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::os::fd::AsFd;

    #[test]
    fn a_regular_file_takes_the_advice_and_a_pipe_does_not() {
        let f = tempfile::tempfile().unwrap();
        sequential(f.as_fd()).unwrap();
        let (r, _w) = std::io::pipe().unwrap();
        assert_eq!(sequential(r.as_fd()).unwrap_err().errno, libc::ESPIPE);
    }
}
