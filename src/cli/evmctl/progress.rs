//! A progress line for long multi-file runs, on a terminal only: files done, files per
//! second and failures so far, redrawn in place on stderr, then a one-line summary. When
//! stderr is not a terminal nothing is ever written, so scripts see upstream's streams.

use std::io::{IsTerminal, Write};
use std::time::{Duration, Instant};

/// A run shorter than this shows no progress and no summary.
const SHOW_AFTER: Duration = Duration::from_secs(1);
/// Redraws at most this often.
const REDRAW_EVERY: Duration = Duration::from_millis(250);

pub struct Progress {
    /// What a successful file was: "signed", "hashed", "verified"...
    verb: &'static str,
    tty: bool,
    start: Instant,
    last_draw: Option<Instant>,
    /// The progress line is on the screen now (to be erased before other output).
    visible: bool,
    /// The line was erased for a file's output: draw it again right after.
    erased: bool,
    done: usize,
    failed: usize,
}

impl Progress {
    pub fn new(verb: &'static str) -> Progress {
        Progress::with_terminal(verb, std::io::stderr().is_terminal())
    }

    fn with_terminal(verb: &'static str, tty: bool) -> Progress {
        Progress {
            verb,
            tty,
            start: Instant::now(),
            last_draw: None,
            visible: false,
            erased: false,
            done: 0,
            failed: 0,
        }
    }

    /// Erases the progress line, so that a file's own output starts on a clean line.
    pub fn clear(&mut self) {
        if self.visible {
            let _ = std::io::stderr().lock().write_all(b"\r\x1b[K");
            self.visible = false;
            self.erased = true;
        }
    }

    /// Counts one finished file and redraws the line when it is due.
    pub fn file_done(&mut self, ok: bool) {
        self.done += 1;
        self.failed += usize::from(!ok);
        if let Some(line) = self.line_due(Instant::now()) {
            let _ = std::io::stderr().lock().write_all(line.as_bytes());
            self.visible = true;
        }
    }

    /// The line to draw at `now`, if one is due (terminal, long run, not drawn recently).
    fn line_due(&mut self, now: Instant) -> Option<String> {
        let elapsed = now.duration_since(self.start);
        if !self.tty || elapsed < SHOW_AFTER {
            return None;
        }
        let recent = self
            .last_draw
            .is_some_and(|t| now.duration_since(t) < REDRAW_EVERY);
        let erased = std::mem::take(&mut self.erased);
        if recent && !erased {
            return None;
        }
        self.last_draw = Some(now);
        let rate = self.done as f64 / elapsed.as_secs_f64();
        Some(format!(
            "\r\x1b[Kevmctl: {} files, {rate:.0} files/s, {} failed",
            self.done, self.failed
        ))
    }

    /// The summary line, when progress was shown.
    fn summary(&self) -> Option<String> {
        self.last_draw.map(|_| {
            format!(
                "evmctl: {} {}, failed {}\n",
                self.verb,
                self.done - self.failed,
                self.failed
            )
        })
    }

    /// Replaces the progress line with the summary (only if progress was shown).
    pub fn finish(mut self) {
        self.clear();
        if let Some(s) = self.summary() {
            let _ = std::io::stderr().lock().write_all(s.as_bytes());
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn nothing_is_drawn_without_a_terminal() {
        let mut p = Progress::with_terminal("signed", false);
        p.done = 5000;
        assert_eq!(p.line_due(p.start + Duration::from_secs(10)), None);
        assert_eq!(p.summary(), None);
    }

    #[test]
    fn a_short_run_draws_nothing() {
        let mut p = Progress::with_terminal("signed", true);
        assert_eq!(p.line_due(p.start + Duration::from_millis(900)), None);
        assert_eq!(p.summary(), None);
    }

    #[test]
    fn a_long_run_draws_counts_rate_and_failures_then_a_summary() {
        let mut p = Progress::with_terminal("signed", true);
        p.done = 3000;
        p.failed = 2;
        let t = p.start + Duration::from_secs(2);
        assert_eq!(
            p.line_due(t).as_deref(),
            Some("\r\x1b[Kevmctl: 3000 files, 1500 files/s, 2 failed")
        );
        // Not again within the redraw interval.
        assert_eq!(p.line_due(t + Duration::from_millis(100)), None);
        assert!(p.line_due(t + Duration::from_millis(300)).is_some());
        // Erased for a file's output: back at once.
        p.visible = true;
        p.clear();
        assert!(p.line_due(t + Duration::from_millis(310)).is_some());
        assert_eq!(p.line_due(t + Duration::from_millis(320)), None);
        assert_eq!(
            p.summary().as_deref(),
            Some("evmctl: signed 2998, failed 2\n")
        );
    }
}
