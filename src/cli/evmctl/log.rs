//! evmctl's verbosity: upstream's syslog levels, informational lines at the default level,
//! debug lines with -v.

use std::io::Write;

/// Upstream's default verbosity (syslog LOG_INFO): informational lines are printed.
pub const LOG_INFO: i32 = 6;

/// The verbosity: informational lines at the default level, debug lines with -v.
#[derive(Clone, Copy, Debug)]
pub struct Log {
    verbose: i32,
}

impl Log {
    pub fn new(verbose: i32) -> Log {
        Log { verbose }
    }
    pub fn level(self) -> i32 {
        self.verbose
    }
    pub fn shows_info(self) -> bool {
        self.verbose >= LOG_INFO
    }
    pub fn shows_debug(self) -> bool {
        self.verbose > LOG_INFO
    }
    pub fn info(self, msg: std::fmt::Arguments) {
        if self.shows_info() {
            write_line(msg);
        }
    }
    pub fn debug(self, msg: std::fmt::Arguments) {
        if self.shows_debug() {
            write_line(msg);
        }
    }
}

/// Writes `msg` to standard error in one write(2), as upstream's fprintf to its unbuffered
/// stderr does: formatted straight to the unbuffered stream, every piece of the format
/// would be a write of its own (eleven for one `-v ima_measurement` record line), and the
/// pieces of two lines could interleave with another writer's.
pub(super) fn write_line(msg: std::fmt::Arguments) {
    let line = match msg.as_str() {
        Some(s) => std::borrow::Cow::Borrowed(s),
        None => std::borrow::Cow::Owned(msg.to_string()),
    };
    let _ = std::io::stderr().lock().write_all(line.as_bytes());
}
