//! How evmctl prints: upstream's verbosity levels, error lines, and per-file outcomes that
//! are collected while files are processed in parallel and printed in input order.

use std::io::Write;
use std::path::Path;

pub use super::log::{Log, LOG_INFO};
use super::progress::Progress;
use super::request::{Files, Refusal};
use crate::pipeline;

/// Prints why a command line cannot run and returns its exit code.
pub fn print_refusal(r: Refusal) -> i32 {
    let mut err = std::io::stderr().lock();
    for l in &r.stderr {
        let _ = writeln!(err, "{l}");
    }
    let mut out = std::io::stdout().lock();
    for l in &r.stdout {
        let _ = writeln!(out, "{l}");
    }
    r.exit
}

/// Prints an error line on stderr (always shown: upstream's LOG_ERR is below LOG_INFO).
pub fn error(msg: impl std::fmt::Display) {
    super::log::write_line(format_args!("evmctl: {msg}\n"));
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
        self.push(true, text.into());
    }
    pub fn err(&mut self, text: impl Into<Vec<u8>>) {
        self.push(false, text.into());
    }
    /// Appends to the last piece when it goes to the same stream: one write(2) for the
    /// lines a file prints in a row on a stream, the same bytes in the same order.
    fn push(&mut self, is_out: bool, text: Vec<u8>) {
        match self.output.last_mut() {
            Some((last_is_out, bytes)) if *last_is_out == is_out => bytes.extend_from_slice(&text),
            _ => self.output.push((is_out, text)),
        }
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

/// Runs `f` on every file the operands name (walking directories with -r), in
/// parallel, and prints the outcomes in input order. `verb` names a success in the
/// summary of a long run on a terminal ("signed"). Returns how many failed.
pub fn for_each_file<F>(log: Log, files: &Files, verb: &'static str, f: F) -> usize
where
    F: Fn(&Path, &mut FileOutcome) + Sync,
{
    let mut failures = 0;
    let mut progress = Progress::new(verb);
    let items = pipeline::expand_operands(&files.operands, files.recursive, files.same_fs);
    pipeline::map_ordered(
        items,
        pipeline::WINDOW,
        |item| {
            let mut o = FileOutcome::new(log);
            match item {
                Ok(p) => f(&p, &mut o),
                Err(e) => o.fail(e),
            }
            o
        },
        |o| {
            if !o.output.is_empty() {
                progress.clear();
            }
            let ok = o.print();
            failures += usize::from(!ok);
            progress.file_done(ok);
        },
    );
    progress.finish();
    failures
}
