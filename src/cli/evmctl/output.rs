//! How evmctl prints: upstream's verbosity levels, error lines, and per-file outcomes that
//! are collected while files are processed in parallel and printed in input order.

use std::io::Write;
use std::path::{Path, PathBuf};

use rayon::prelude::*;

use super::args::Files;
use crate::fsops;

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

/// Prints an error line on stderr (always shown: upstream's LOG_ERR is below LOG_INFO).
pub fn error(msg: impl std::fmt::Display) {
    let _ = writeln!(std::io::stderr().lock(), "evmctl: {msg}");
}

/// What processing one file produced, printed in input order once it is done.
pub struct FileOutcome {
    log: Log,
    /// Pieces in order, `true` for stdout and `false` for stderr.
    output: Vec<(bool, Vec<u8>)>,
    failed: bool,
}

impl FileOutcome {
    pub fn new(log: Log) -> FileOutcome {
        FileOutcome {
            log,
            output: Vec::new(),
            failed: false,
        }
    }
    pub fn out(&mut self, text: impl Into<Vec<u8>>) {
        self.output.push((true, text.into()));
    }
    pub fn err(&mut self, text: impl Into<Vec<u8>>) {
        self.output.push((false, text.into()));
    }
    pub fn info(&mut self, text: String) {
        if self.log.shows_info() {
            self.err(text);
        }
    }
    pub fn fail(&mut self, text: impl std::fmt::Display) {
        self.err(format!("evmctl: {text}\n"));
        self.failed = true;
    }
    pub fn shows_info(&self) -> bool {
        self.log.shows_info()
    }
    /// Prints the pieces; `true` when the file succeeded.
    pub fn print(self) -> bool {
        let stdout = std::io::stdout();
        let stderr = std::io::stderr();
        for (is_out, bytes) in self.output {
            if is_out {
                let mut o = stdout.lock();
                let _ = o.write_all(&bytes);
                let _ = o.flush();
            } else {
                let _ = stderr.lock().write_all(&bytes);
            }
        }
        !self.failed
    }
}

/// Expands the operands (walking directories with -r), runs `f` on every file, in
/// parallel when there are several, and prints the outcomes in order. Returns how many
/// failed.
pub fn for_each_file<F>(log: Log, files: &Files, f: F) -> usize
where
    F: Fn(&Path, &mut FileOutcome) + Sync,
{
    let mut items: Vec<Result<PathBuf, String>> = Vec::new();
    for p in &files.operands {
        if files.recursive {
            items.extend(
                fsops::walk_regular_files(p, files.same_fs).map(|r| r.map_err(|e| e.to_string())),
            );
        } else {
            items.push(Ok(p.clone()));
        }
    }
    let run = |item: &Result<PathBuf, String>| {
        let mut o = FileOutcome::new(log);
        match item {
            Ok(p) => f(p, &mut o),
            Err(msg) => o.fail(msg),
        }
        o
    };
    let outcomes: Vec<FileOutcome> = if items.len() > 1 {
        items.par_iter().map(run).collect()
    } else {
        items.iter().map(run).collect()
    };
    outcomes
        .into_iter()
        .map(FileOutcome::print)
        .filter(|ok| !ok)
        .count()
}
