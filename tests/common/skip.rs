//! Reporting a test (or a part of one) that cannot run here. Shared by every test crate:
//! `mod skip;` from tests/common, `#[path = ...]` from the others.
//!
//! libtest counts a test that returns early as passed and hides what it printed, so a
//! skip is made visible twice: the line `SKIP <crate>::<test>: <reason>` goes straight to
//! the process's stderr (past libtest's capture), and `<crate>::<test>: <reason>` is
//! appended to the file named by `IMAEVM_SKIP_LOG` when it is set. tests/run.sh sets it,
//! counts the lines, lists them in its summary and, on CI, fails on a skip that
//! tests/expected-skips.txt does not list.
#![allow(dead_code)]

use std::io::Write;

/// The environment variable naming the file the skips are appended to.
pub const SKIP_LOG: &str = "IMAEVM_SKIP_LOG";

/// The whole test `test` does not run, for `reason`; the caller returns right after.
/// tests/run.sh takes one whole-test skip off libtest's "passed" count.
pub fn skip(test: &str, reason: &str) {
    record(&format!("{}::{test}", env!("CARGO_CRATE_NAME")), reason);
}

/// One part of `test` (named `part`) does not run, for `reason`; the rest of the test does.
/// Recorded as `<crate>::<test>[<part>]`.
pub fn skip_part(test: &str, part: &str, reason: &str) {
    record(
        &format!("{}::{test}[{part}]", env!("CARGO_CRATE_NAME")),
        reason,
    );
}

fn record(name: &str, reason: &str) {
    // One line per skip, without newlines inside (reasons may quote a tool's stderr).
    let reason = reason.split_whitespace().collect::<Vec<_>>().join(" ");
    let line = format!("{name}: {reason}\n");
    // Written to the stderr handle directly: eprintln! would be captured by libtest.
    let _ = std::io::stderr().write_all(format!("SKIP {line}").as_bytes());
    if let Some(path) = std::env::var_os(SKIP_LOG) {
        let mut f = std::fs::OpenOptions::new()
            .create(true)
            .append(true)
            .open(&path)
            .unwrap_or_else(|e| panic!("{SKIP_LOG}={}: {e}", path.to_string_lossy()));
        // O_APPEND and one write per line: tests running in parallel do not interleave.
        f.write_all(line.as_bytes())
            .unwrap_or_else(|e| panic!("{SKIP_LOG}={}: {e}", path.to_string_lossy()));
    }
}
