//! The progress line of long runs: on a terminal (a pseudo-terminal made by `script`),
//! `ima_sign -r` over a tree that takes more than a second shows files, files/s and
//! failures, then a summary; without a terminal the same run prints only upstream's lines.

mod common;

use common::*;
use std::process::Command;

/// Adds files `f00000`... to `dir` until there are `n`.
fn grow_tree(dir: &std::path::Path, n: usize) {
    std::fs::create_dir_all(dir).unwrap();
    for i in 0..n {
        let p = dir.join(format!("f{i:06}"));
        if !p.exists() {
            std::fs::write(p, format!("file {i}")).unwrap();
        }
    }
}

fn sign_tree(cmd: &mut Command) -> std::process::Output {
    run(cmd.env("IMAEVM_SIGN_BACKEND", "rustcrypto"))
}

#[test]
fn progress_and_summary_on_a_terminal_only() {
    if Command::new("script").arg("--version").output().is_err() {
        skip(
            "progress_and_summary_on_a_terminal_only",
            "script (bsdutils) is missing",
        );
        return;
    }
    let f = fixture();
    let d = scratch();
    let files = d.path().join("tree");
    let missing = d.path().join("missing");
    let plain = |files: &std::path::Path| {
        let mut c = evmctl();
        c.args(["ima_sign", "-n", "-r", "--key"])
            .arg(&f.rsa2048.key)
            .arg(files)
            .arg(&missing);
        c
    };
    let on_terminal = |files: &std::path::Path| {
        let cmd = format!(
            "{} ima_sign -n -r --key {} {} {}",
            env!("CARGO_BIN_EXE_evmctl"),
            f.rsa2048.key.display(),
            files.display(),
            missing.display()
        );
        sign_tree(Command::new("script").args(["-qec", &cmd, "/dev/null"]))
    };
    // On a terminal. The tree grows until a run takes over 1.5 s, past the one-second mark
    // after which progress shows (RustCrypto RSA: slow in a debug build, faster in a
    // release one). The run that is timed is the one that must show progress, so a load
    // that changes between runs cannot make it too short.
    let mut n = 32;
    let o = loop {
        grow_tree(&files, n);
        let t = std::time::Instant::now();
        let o = on_terminal(&files);
        if t.elapsed().as_millis() > 1500 || n >= 64_000 {
            break o;
        }
        n *= 4;
    };
    let tty = stdout(&o);
    let tail = &tty[tty.len().saturating_sub(400)..];
    assert!(
        tty.contains("files/s") && tty.contains(" files, "),
        "no progress line: {tail}"
    );
    assert!(
        tty.contains(&format!("evmctl: signed {n}, failed 1")),
        "no summary: {tail}"
    );
    // The same run, not on a terminal: stderr has each file's lines and
    // the failure, as upstream prints them; no progress, no summary.
    let o = sign_tree(&mut plain(&files));
    let err = stderr(&o);
    assert!(!err.contains("files/s"), "{err}");
    assert!(!err.contains("failed 1"), "{err}");
    assert!(!err.contains('\r'), "{err:?}");
    assert!(err.contains("missing"), "{err}");
    assert_eq!(stdout(&o).lines().count(), n);
}
