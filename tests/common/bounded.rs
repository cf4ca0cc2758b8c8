//! Running a command with a time bound: a command that hangs (a FIFO read, an endless
//! device) is killed and reported instead of hanging the test suite.

use std::io::Read;
use std::process::{Command, Output, Stdio};
use std::time::{Duration, Instant};

/// Runs `cmd` with stdin closed; kills it and panics when it runs past `limit`.
pub fn run_bounded(cmd: &mut Command, limit: Duration) -> Output {
    let mut child = cmd
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap_or_else(|e| panic!("cannot run {cmd:?}: {e}"));
    // Drain both pipes on threads so a chatty child cannot block on a full pipe.
    let mut out = child.stdout.take().unwrap();
    let mut err = child.stderr.take().unwrap();
    let t_out = std::thread::spawn(move || {
        let mut b = Vec::new();
        let _ = out.read_to_end(&mut b);
        b
    });
    let t_err = std::thread::spawn(move || {
        let mut b = Vec::new();
        let _ = err.read_to_end(&mut b);
        b
    });
    let start = Instant::now();
    let status = loop {
        if let Some(s) = child.try_wait().expect("wait") {
            break s;
        }
        if start.elapsed() > limit {
            let _ = child.kill();
            let _ = child.wait();
            panic!("{cmd:?} ran past {limit:?} and was killed");
        }
        std::thread::sleep(Duration::from_millis(10));
    };
    Output {
        status,
        stdout: t_out.join().unwrap(),
        stderr: t_err.join().unwrap(),
    }
}

/// What `timed_command` asks GNU time to print on stderr before the peak RSS in KiB.
const PEAK_RSS_PREFIX: &str = "imaevm-peak-rss-kib=";

/// `timeout SECS [/usr/bin/time -f ...] PROGRAM`: a run bounded in time and, where GNU time
/// is installed (tests/setup.sh), measured for peak memory. The flag says whether the peak
/// RSS will be on stderr, for [`assert_peak_rss`].
pub fn timed_command(secs: u32, program: &str) -> (Command, bool) {
    let timed = std::path::Path::new("/usr/bin/time").exists();
    let mut c = Command::new("timeout");
    c.arg(secs.to_string());
    if timed {
        c.args(["/usr/bin/time", "-f"])
            .arg(format!("{PEAK_RSS_PREFIX}%M"));
    }
    c.arg(program);
    (c, timed)
}

/// `cmd` run under GNU time, which prints its peak RSS on stderr ([`peak_rss_kib`]); None
/// when GNU time is not installed.
pub fn with_peak_rss(cmd: &Command) -> Option<Command> {
    if !std::path::Path::new("/usr/bin/time").exists() {
        return None;
    }
    let mut w = Command::new("/usr/bin/time");
    w.arg("-f")
        .arg(format!("{PEAK_RSS_PREFIX}%M"))
        .arg(cmd.get_program())
        .args(cmd.get_args());
    if let Some(d) = cmd.get_current_dir() {
        w.current_dir(d);
    }
    for (k, v) in cmd.get_envs() {
        match v {
            Some(v) => w.env(k, v),
            None => w.env_remove(k),
        };
    }
    Some(w)
}

/// The peak RSS in KiB that GNU time printed on `stderr` for [`timed_command`] or
/// [`with_peak_rss`].
pub fn peak_rss_kib(stderr: &str) -> Option<u64> {
    stderr
        .lines()
        .find_map(|l| l.strip_prefix(PEAK_RSS_PREFIX))
        .and_then(|v| v.trim().parse().ok())
}

/// Checks the peak RSS `timed_command` had GNU time print on `stderr`: at most `max_kib`.
pub fn assert_peak_rss(stderr: &str, max_kib: u64) {
    let kib =
        peak_rss_kib(stderr).unwrap_or_else(|| panic!("no peak RSS from /usr/bin/time:\n{stderr}"));
    assert!(
        kib <= max_kib,
        "peak RSS {kib} KiB over {max_kib} KiB:\n{stderr}"
    );
}
