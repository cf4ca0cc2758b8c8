//! Issue 14, item 6: without a keyring, `imactl verify` still judges what needs no key (no
//! signature, a hash where a signature is required), and `evmctl import CERT _evm|_ima`
//! with no such keyring says how to create it.

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

#[path = "common/skip.rs"]
mod skip;

fn repo() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

fn out(o: &Output) -> (String, String) {
    (
        String::from_utf8_lossy(&o.stdout).into_owned(),
        String::from_utf8_lossy(&o.stderr).into_owned(),
    )
}

fn verify(args: &[&str], files: &[&Path]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_imactl"))
        .arg("verify")
        .args(["--keyring", "%keyring:imaevm-test-no-such-keyring"])
        .args(args)
        .args(files)
        .output()
        .unwrap()
}

#[test]
fn verify_without_a_keyring_judges_unsigned_and_hash_only_files() {
    let t = tempfile::tempdir().unwrap();
    let unsigned = t.path().join("unsigned");
    std::fs::write(&unsigned, "data\n").unwrap();
    let o = verify(&[], &[&unsigned]);
    let (stdout, stderr) = out(&o);
    assert_eq!(o.status.code(), Some(1), "{stdout}{stderr}");
    assert!(
        stderr.contains("no keyring imaevm-test-no-such-keyring"),
        "{stderr}"
    );
    assert!(stdout.contains("unsigned: no signature"), "{stdout}");

    // A hash-only value (type 0x04, sha256) in FILE.sig.
    let hashed = t.path().join("hashed");
    std::fs::write(&hashed, "data\n").unwrap();
    let mut v = vec![0x04, 0x04];
    v.extend(sha256(b"data\n"));
    std::fs::write(t.path().join("hashed.sig"), v).unwrap();
    let o = verify(&["--sigfile", "--json"], &[&hashed]);
    let (stdout, stderr) = out(&o);
    assert_eq!(o.status.code(), Some(1), "{stdout}{stderr}");
    let j: serde_json::Value = serde_json::from_str(&stdout).expect("JSON on stdout");
    assert_eq!(j["files"][0]["verdict"], "IMA-signature-required", "{j}");
    assert!(j["keyring"].is_null());
}

fn sha256(data: &[u8]) -> Vec<u8> {
    let o = Command::new("sha256sum")
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::piped())
        .spawn()
        .and_then(|mut c| {
            use std::io::Write;
            c.stdin.take().unwrap().write_all(data)?;
            c.wait_with_output()
        })
        .unwrap();
    let hex = String::from_utf8_lossy(&o.stdout);
    (0..32)
        .map(|i| u8::from_str_radix(&hex[2 * i..2 * i + 2], 16).unwrap())
        .collect()
}

#[test]
fn evmctl_import_into_a_missing_user_keyring_says_how_to_make_it() {
    let name = "_evm";
    let probe = Command::new(env!("CARGO_BIN_EXE_imactl"))
        .args(["key", "list", "--keyring", name])
        .output()
        .unwrap();
    if probe.status.success() {
        skip::skip(
            "evmctl_import_into_a_missing_user_keyring_says_how_to_make_it",
            "this user already has a _evm keyring",
        );
        return;
    }
    let o = Command::new(env!("CARGO_BIN_EXE_evmctl"))
        .arg("import")
        .arg(repo().join("tests/data/keys/rsa2048.crt.der"))
        .arg(name)
        .output()
        .unwrap();
    let (stdout, stderr) = out(&o);
    assert_eq!(o.status.code(), Some(125), "{stdout}{stderr}");
    assert!(stderr.contains("keyctl newring _evm @u"), "{stderr}");
    assert!(stdout.is_empty(), "{stdout}");
}
