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
            let _ = std::io::stderr().write_fmt(msg);
        }
    }
    pub fn debug(self, msg: std::fmt::Arguments) {
        if self.shows_debug() {
            let _ = std::io::stderr().write_fmt(msg);
        }
    }
}
