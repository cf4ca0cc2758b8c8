//! `evmctl sign_hash` and `sign_hash --veritysig` read standard input (issue 24): a device,
//! a directory, a 1 GiB file, garbage and a FIFO there are refused with a message naming
//! standard input, exit 125, within 20 s and 256 MiB. Upstream 1.4 reads /dev/zero until
//! the kernel kills it.

mod common;

use std::fs::File;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

const EVMCTL: &str = env!("CARGO_BIN_EXE_evmctl");

fn key() -> String {
    concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/tests/data/keys/rsa2048.pk8.pem"
    )
    .to_string()
}

/// Runs sign_hash (with `extra` options) with `stdin`; exit status and stderr, checked
/// for time and, with GNU time, peak memory.
fn sign_hash(extra: &[&str], stdin: Stdio) -> (Option<i32>, String) {
    let start = Instant::now();
    let (mut c, timed) = common::timed_command(20, EVMCTL);
    let o = c
        .arg("sign_hash")
        .args(extra)
        .args(["--key", &key()])
        .stdin(stdin)
        .output()
        .unwrap();
    assert!(
        start.elapsed() < Duration::from_secs(19),
        "still running after 19 s"
    );
    let err = String::from_utf8_lossy(&o.stderr).into_owned();
    if timed {
        common::assert_peak_rss(&err, 256 * 1024);
    }
    (o.status.code(), err)
}

fn refused(what: &str, extra: &[&str], stdin: Stdio, expect: &str) {
    let (code, err) = sign_hash(extra, stdin);
    assert_eq!(code, Some(125), "{what} {extra:?}: {err}");
    assert!(
        err.contains("standard input") && err.contains(expect),
        "{what} {extra:?}: expected a message naming standard input with {expect:?}:\n{err}"
    );
}

#[test]
fn sign_hash_refuses_malformed_standard_input_within_bounds() {
    let dir = tempfile::tempdir().unwrap();
    let big = dir.path().join("big");
    File::create(&big).unwrap().set_len(1 << 30).unwrap();
    let garbage = dir.path().join("garbage");
    std::fs::write(&garbage, b"\xff\x00\x13 garbage\n").unwrap();
    for extra in [&[][..], &["--veritysig"][..]] {
        refused(
            "/dev/zero",
            extra,
            File::open("/dev/zero").unwrap().into(),
            "a line longer than 64 KiB",
        );
        refused(
            "a 1 GiB file",
            extra,
            File::open(&big).unwrap().into(),
            "a line longer than 64 KiB",
        );
        refused(
            "a directory",
            extra,
            File::open(dir.path()).unwrap().into(),
            "Is a directory",
        );
        refused(
            "garbage",
            extra,
            File::open(&garbage).unwrap().into(),
            "not UTF-8",
        );
        // a FIFO: a writer sends one line that is not a digest line, then closes
        let fifo = dir.path().join(format!("fifo{}", extra.len()));
        assert!(Command::new("mkfifo")
            .arg(&fifo)
            .status()
            .unwrap()
            .success());
        let f2 = fifo.clone();
        let writer = std::thread::spawn(move || {
            std::fs::write(&f2, b"not a digest line\n").unwrap();
        });
        refused(
            "a FIFO",
            extra,
            std::fs::OpenOptions::new()
                .read(true)
                .open(&fifo)
                .unwrap()
                .into(),
            "line 1",
        );
        writer.join().unwrap();
    }
}
