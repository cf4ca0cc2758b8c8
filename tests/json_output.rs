//! Issue 14, item 4: with --json every imactl run prints exactly one object on one line,
//! with "version" and "command", its results, and an "error" object when it failed before
//! having results; a file that cannot be read is in the results, not left out; `policy
//! show` has --json. Runs without root: fake securityfs, missing keyrings and files.

#[path = "common/user_ima.rs"]
mod user_ima;

use std::path::PathBuf;
use std::process::Command;

fn repo() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

/// Runs imactl and returns (exit code, the one JSON object it printed).
fn run(args: &[&str]) -> (i32, serde_json::Value) {
    let o = Command::new(env!("CARGO_BIN_EXE_imactl"))
        .args(args)
        .output()
        .unwrap();
    let stdout = String::from_utf8_lossy(&o.stdout);
    let lines: Vec<&str> = stdout.lines().collect();
    assert_eq!(
        lines.len(),
        1,
        "imactl {}: not one line on stdout:\n{stdout}\nstderr:\n{}",
        args.join(" "),
        String::from_utf8_lossy(&o.stderr)
    );
    let v: serde_json::Value = serde_json::from_str(lines[0]).expect("an object");
    assert!(v.is_object(), "{v}");
    assert_eq!(v["version"], 1, "imactl {}: {v}", args.join(" "));
    (o.status.code().unwrap(), v)
}

fn error_message(v: &serde_json::Value) -> &str {
    v["error"]["message"]
        .as_str()
        .unwrap_or_else(|| panic!("no error object: {v}"))
}

#[test]
fn policy_check_keeps_an_unreadable_file_and_fails_with_an_error_object() {
    let kexec = repo().join("policies/kexec.policy");
    let (code, v) = run(&[
        "policy",
        "check",
        "--json",
        "--kernel",
        "6.12",
        kexec.to_str().unwrap(),
        "/nonexistent/imaevm.policy",
    ]);
    assert_eq!(code, 2);
    assert_eq!(v["command"], "policy check");
    let files = v["files"].as_array().unwrap();
    assert_eq!(files.len(), 2, "{v}");
    assert_eq!(files[1]["file"], "/nonexistent/imaevm.policy");
    assert_eq!(files[1]["error"]["code"], "unreadable");

    let (code, v) = run(&[
        "policy",
        "check",
        "--json",
        "--kernel",
        "5.4",
        kexec.to_str().unwrap(),
    ]);
    assert_eq!(code, 2);
    assert_eq!(v["error"]["code"], "bad-kernel");
    assert!(!error_message(&v).is_empty());
}

#[test]
fn policy_show_has_json_and_an_error_object() {
    let t = tempfile::tempdir().unwrap();
    let sec = t.path();
    std::fs::create_dir(sec.join("ima")).unwrap();
    let (code, v) = run(&[
        "policy",
        "show",
        "--json",
        "--securityfs",
        sec.to_str().unwrap(),
    ]);
    assert_eq!(code, 1);
    assert_eq!(v["command"], "policy show");
    assert!(error_message(&v).contains("cannot read"), "{v}");

    std::fs::write(
        sec.join("ima/policy"),
        "measure func=KEXEC_KERNEL_CHECK\nappraise func=POLICY_CHECK appraise_type=imasig\n",
    )
    .unwrap();
    let (code, v) = run(&[
        "policy",
        "show",
        "--json",
        "--securityfs",
        sec.to_str().unwrap(),
    ]);
    assert_eq!(code, 0);
    assert_eq!(v["rules"].as_array().unwrap().len(), 2, "{v}");
    assert_eq!(v["demands_signed_policies"], true);
}

#[test]
fn key_list_verify_key_show_status_and_boot_print_one_versioned_object() {
    let _ima = user_ima::UserImaGuard::new();
    let (code, v) = run(&[
        "key",
        "list",
        "--json",
        "--keyring",
        "%keyring:imaevm-json-none",
    ]);
    assert_eq!(code, 1);
    assert_eq!(v["command"], "key list");
    assert!(error_message(&v).contains("imaevm-json-none"));

    let t = tempfile::tempdir().unwrap();
    let f = t.path().join("file");
    std::fs::write(&f, "x").unwrap();
    let (code, v) = run(&[
        "verify",
        "--json",
        "--keyring",
        "%keyring:imaevm-json-none",
        f.to_str().unwrap(),
        "/nonexistent/imaevm-file",
    ]);
    assert_eq!(code, 1);
    assert_eq!(v["command"], "verify");
    assert_eq!(
        v["files"].as_array().unwrap().len(),
        2,
        "a missing file is in files[]: {v}"
    );

    let cert = repo().join("tests/data/keys/rsa2048.crt.der");
    let not_cert = repo().join("tests/data/keys/rsa2048.pk8.pem");
    let (code, v) = run(&[
        "key",
        "show",
        "--json",
        cert.to_str().unwrap(),
        not_cert.to_str().unwrap(),
    ]);
    assert_eq!(code, 1);
    assert_eq!(v["certificates"].as_array().unwrap().len(), 1);
    assert_eq!(v["errors"][0]["error"]["code"], "not-a-certificate");
    // A CERT that cannot be read has the code other commands use for it (policy check,
    // restore), not not-a-certificate; the exit status stays key show's 1.
    let (code, v) = run(&[
        "key",
        "show",
        "--json",
        "/nonexistent/imaevm-cert",
        t.path().to_str().unwrap(),
    ]);
    assert_eq!(code, 1);
    assert_eq!(v["errors"][0]["error"]["code"], "unreadable", "{v}");
    assert_eq!(
        v["errors"][1]["error"]["code"], "unreadable",
        "a directory: {v}"
    );

    let (code, v) = run(&["status", "--json", "--root", "/nonexistent/imaevm-root"]);
    assert_eq!(code, 1);
    assert_eq!(v["command"], "status");
    assert!(!error_message(&v).is_empty());

    let empty = t.path().join("empty");
    std::fs::create_dir(&empty).unwrap();
    let (code, v) = run(&[
        "boot",
        "--json",
        "--keys-dir",
        empty.to_str().unwrap(),
        "--policy",
        "/nonexistent/imaevm-policy",
        "--state-dir",
        t.path().join("run").to_str().unwrap(),
        "--kernel",
        "6.12",
        "--securityfs",
        empty.to_str().unwrap(),
    ]);
    assert_eq!(code, 1);
    assert_eq!(v["command"], "boot");
    assert_eq!(v["policy"]["result"], "failed");
}
