//! `-` reads standard input wherever imactl reads a file's content (issue 14, item 7):
//! `policy check -`, `policy load -` (never by path), `key show -`, `key import -` and
//! `modsig --cert -`. Standard input goes through the same per-kind cap as a file (an
//! endless stream is cut at the cap, not read to its end), messages name "standard
//! input", `-` given twice is refused before anything is read, and a failing command
//! other than the linter prints nothing on stdout.

use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};
use std::time::{Duration, Instant};

mod keyring_common;

const IMACTL: &str = env!("CARGO_BIN_EXE_imactl");

/// What the test feeds on standard input.
enum Feed {
    Bytes(Vec<u8>),
    /// Zero bytes for ever: only a reader that stops at its cap finishes.
    Endless,
}

/// Runs imactl with `args` and `feed` on standard input, killing it after 60 s.
fn imactl_with(args: &[&str], feed: Feed) -> Output {
    let mut child = Command::new(IMACTL)
        .args(args)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("spawn imactl");
    let mut stdin = child.stdin.take().unwrap();
    // The writer may hit EPIPE when imactl stops reading: that is the point of a cap.
    let writer = std::thread::spawn(move || match feed {
        Feed::Bytes(b) => {
            let _ = stdin.write_all(&b);
        }
        Feed::Endless => {
            let chunk = vec![0u8; 1 << 16];
            while stdin.write_all(&chunk).is_ok() {}
        }
    });
    let start = Instant::now();
    while child.try_wait().expect("wait").is_none() {
        if start.elapsed() > Duration::from_secs(60) {
            child.kill().expect("kill");
            panic!("imactl {args:?} did not finish in 60 s: standard input is not capped");
        }
        std::thread::sleep(Duration::from_millis(20));
    }
    let out = child.wait_with_output().expect("output");
    writer.join().unwrap();
    out
}

fn piped(args: &[&str], input: &[u8]) -> Output {
    imactl_with(args, Feed::Bytes(input.to_vec()))
}

fn text(b: &[u8]) -> String {
    String::from_utf8_lossy(b).into_owned()
}

fn key_data(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/data/keys")
        .join(name)
}

const GOOD: &str =
    "measure func=BPRM_CHECK\nappraise func=KEXEC_KERNEL_CHECK appraise_type=imasig\n";
const BAD: &str =
    "measure func=BPRM_CHECK\nappraise func=KEXEC_KERNAL_CHECK appraise_type=imasig\n";

#[test]
fn policy_check_lints_standard_input() {
    let ok = piped(
        &["policy", "check", "--kernel", "6.12", "-"],
        GOOD.as_bytes(),
    );
    assert_eq!(ok.status.code(), Some(0), "{}", text(&ok.stderr));
    assert_eq!(
        text(&ok.stdout),
        "standard input: 2 rules, 0 errors, 0 warnings for Linux 6.12 (--kernel 6.12): ok\n"
    );

    let bad = piped(
        &["policy", "check", "--kernel", "6.12", "-"],
        BAD.as_bytes(),
    );
    assert_eq!(bad.status.code(), Some(1), "{}", text(&bad.stderr));
    let out = text(&bad.stdout);
    assert!(
        out.starts_with("standard input:2:10: error: unknown func KEXEC_KERNAL_CHECK"),
        "{out}"
    );
    assert!(
        out.ends_with(
            "standard input: 2 rules, 1 error, 0 warnings for Linux 6.12 (--kernel 6.12): FAILED\n"
        ),
        "{out}"
    );

    // A file and standard input in one run: each named as given.
    let d = tempfile::tempdir().unwrap();
    let f = d.path().join("good.policy");
    std::fs::write(&f, GOOD).unwrap();
    let both = piped(
        &[
            "policy",
            "check",
            "--kernel",
            "6.12",
            f.to_str().unwrap(),
            "-",
        ],
        BAD.as_bytes(),
    );
    assert_eq!(both.status.code(), Some(1));
    let out = text(&both.stdout);
    assert!(
        out.contains(&format!("{}: 2 rules, 0 errors", f.display())),
        "{out}"
    );
    assert!(out.contains("standard input: 2 rules, 1 error"), "{out}");

    let json = piped(
        &["policy", "check", "--json", "--kernel", "6.12", "-"],
        BAD.as_bytes(),
    );
    let v: serde_json::Value = serde_json::from_slice(&json.stdout).unwrap();
    assert_eq!(v["files"][0]["file"], "standard input");
    assert_eq!(v["files"][0]["errors"], 1);
    assert_eq!(v["valid"], false);
}

#[test]
fn policy_load_dry_run_takes_the_rules_from_standard_input() {
    let d = tempfile::tempdir().unwrap();
    let missing = d.path().join("no-securityfs");
    let sec = missing.to_str().unwrap();
    let o = piped(
        &[
            "policy",
            "load",
            "--dry-run",
            "--kernel",
            "6.12",
            "--securityfs",
            sec,
            "-",
        ],
        GOOD.as_bytes(),
    );
    assert_eq!(o.status.code(), Some(0), "{}", text(&o.stderr));
    assert_eq!(text(&o.stdout), GOOD, "exactly the writes, one rule each");
    assert!(
        text(&o.stderr).contains("dry run: 2 writes to"),
        "{}",
        text(&o.stderr)
    );
    assert!(!missing.exists());

    // Errors are refused before any write and name standard input.
    let bad = piped(
        &[
            "policy",
            "load",
            "--dry-run",
            "--kernel",
            "6.12",
            "--securityfs",
            sec,
            "-",
        ],
        BAD.as_bytes(),
    );
    assert_eq!(bad.status.code(), Some(1));
    assert!(bad.stdout.is_empty(), "{}", text(&bad.stdout));
    let err = text(&bad.stderr);
    assert!(
        err.contains("standard input:2:10: error: unknown func"),
        "{err}"
    );
    assert!(
        err.contains(
            "standard input has 1 error for Linux 6.12 (--kernel 6.12); nothing was written"
        ),
        "{err}"
    );
}

#[test]
fn a_policy_from_standard_input_is_never_loaded_by_path() {
    // Asked for: a usage error, before anything is read or written.
    let o = piped(
        &[
            "policy",
            "load",
            "--by-path",
            "--dry-run",
            "--kernel",
            "6.12",
            "-",
        ],
        GOOD.as_bytes(),
    );
    assert_eq!(o.status.code(), Some(2));
    assert!(o.stdout.is_empty());
    assert!(
        text(&o.stderr).contains("a policy from standard input cannot be loaded by path"),
        "{}",
        text(&o.stderr)
    );

    // Demanded by the loaded policy (a securityfs double whose policy appraises
    // POLICY_CHECK): refused, and the policy file is left as it was.
    let sec = tempfile::tempdir().unwrap();
    std::fs::create_dir(sec.path().join("ima")).unwrap();
    let target = sec.path().join("ima/policy");
    let loaded = "appraise func=POLICY_CHECK appraise_type=imasig\n";
    std::fs::write(&target, loaded).unwrap();
    let o = piped(
        &[
            "policy",
            "load",
            "--kernel",
            "6.12",
            "--securityfs",
            sec.path().to_str().unwrap(),
            "-",
        ],
        GOOD.as_bytes(),
    );
    assert_eq!(o.status.code(), Some(1), "{}", text(&o.stderr));
    assert!(o.stdout.is_empty(), "{}", text(&o.stdout));
    let err = text(&o.stderr);
    assert!(
        err.contains("a policy from standard input has no path; nothing was written"),
        "{err}"
    );
    assert!(
        err.contains("sign the file and load it with --by-path"),
        "{err}"
    );
    assert_eq!(std::fs::read_to_string(&target).unwrap(), loaded);

    // The boot step keeps its policy in a file: `boot --policy -` is a usage error, and
    // nothing is read, imported or written.
    let o = piped(
        &[
            "boot",
            "--keys-dir",
            sec.path().join("no-keys").to_str().unwrap(),
            "--securityfs",
            sec.path().to_str().unwrap(),
            "--policy",
            "-",
        ],
        GOOD.as_bytes(),
    );
    assert_eq!(o.status.code(), Some(2), "{}", text(&o.stderr));
    assert!(o.stdout.is_empty(), "{}", text(&o.stdout));
    assert!(
        text(&o.stderr).contains("--policy - is not accepted"),
        "{}",
        text(&o.stderr)
    );
    assert_eq!(std::fs::read_to_string(&target).unwrap(), loaded);
}

#[test]
fn key_show_reads_a_der_or_pem_certificate_from_standard_input() {
    for name in ["rsa2048.crt.der", "p256.crt.pem"] {
        let path = key_data(name);
        let from_file = Command::new(IMACTL)
            .args(["key", "show"])
            .arg(&path)
            .output()
            .unwrap();
        assert_eq!(from_file.status.code(), Some(0));
        let o = piped(&["key", "show", "-"], &std::fs::read(&path).unwrap());
        assert_eq!(o.status.code(), Some(0), "{name}: {}", text(&o.stderr));
        // The same report; only the line naming the source differs.
        let want =
            text(&from_file.stdout).replacen(&path.display().to_string(), "standard input", 1);
        assert_eq!(text(&o.stdout), want, "{name}");
        assert!(text(&o.stdout).starts_with("standard input\n"));
    }
    // Not a certificate: the error names standard input, nothing on stdout.
    let o = piped(
        &["key", "show", "-"],
        &std::fs::read(key_data("rsa2048.pk8.pem")).unwrap(),
    );
    assert_eq!(o.status.code(), Some(1));
    assert!(o.stdout.is_empty());
    assert_eq!(
        text(&o.stderr),
        "imactl: standard input: this is a private key, not an X.509 certificate\n"
    );
}

#[test]
fn standard_input_over_the_cap_is_refused_naming_the_cap() {
    // 16 MiB + 1 byte of comment lines: a valid policy but for its size.
    let mut big = Vec::with_capacity((16 << 20) + 64);
    while big.len() <= 16 << 20 {
        big.extend_from_slice(b"# padding padding padding padding padding padding padding\n");
    }
    let o = imactl_with(
        &["policy", "check", "--kernel", "6.12", "-"],
        Feed::Bytes(big),
    );
    assert_eq!(o.status.code(), Some(2));
    assert!(o.stdout.is_empty(), "{}", text(&o.stdout));
    assert_eq!(
        text(&o.stderr),
        "imactl: cannot read standard input: larger than the 16 MiB limit for a policy file\n"
    );

    // An endless stream is cut at the cap (the run would time out otherwise).
    let o = imactl_with(&["key", "show", "-"], Feed::Endless);
    assert_eq!(o.status.code(), Some(1));
    assert!(o.stdout.is_empty());
    assert_eq!(
        text(&o.stderr),
        "imactl: standard input: cannot read: larger than the 1 MiB limit for a key or certificate\n"
    );
    let o = imactl_with(
        &["policy", "load", "--dry-run", "--kernel", "6.12", "-"],
        Feed::Endless,
    );
    assert_eq!(o.status.code(), Some(2));
    assert!(o.stdout.is_empty());
    assert!(text(&o.stderr).contains("larger than the 16 MiB limit for a policy file"));
}

#[test]
fn dash_twice_is_refused_before_anything_is_read() {
    let twice =
        "imactl: - (standard input) is given 2 times; standard input can be read only once\n";
    let cert = key_data("p256.crt.pem");
    let cert = cert.to_str().unwrap();
    for args in [
        &["policy", "check", "--kernel", "6.12", "-", "-"][..],
        &["key", "show", "-", cert, "-"],
        &["key", "import", "--keyring", "@u", "-", "-"],
        &["modsig", "verify", "--cert", "-", "--cert", "-", cert],
    ] {
        let o = piped(args, GOOD.as_bytes());
        assert_eq!(o.status.code(), Some(2), "{args:?}: {}", text(&o.stderr));
        assert!(o.stdout.is_empty(), "{args:?}");
        assert_eq!(text(&o.stderr), twice, "{args:?}");
    }
    // With --json: the one object, with the error.
    for args in [
        &["policy", "check", "--json", "--kernel", "6.12", "-", "-"][..],
        &["key", "show", "--json", "-", "-"],
    ] {
        let o = piped(args, GOOD.as_bytes());
        assert_eq!(o.status.code(), Some(2), "{args:?}");
        let v: serde_json::Value = serde_json::from_slice(&o.stdout).unwrap();
        assert_eq!(v["error"]["code"], "stdin-twice", "{args:?}");
    }
}

#[test]
fn modsig_takes_the_certificate_from_standard_input_and_refuses_dash_as_file() {
    let d = tempfile::tempdir().unwrap();
    let image = d.path().join("vmlinuz");
    let signed = d.path().join("vmlinuz.signed");
    std::fs::write(&image, b"not really a kernel, but bytes to sign\n").unwrap();
    let cert = std::fs::read(key_data("p256.crt.pem")).unwrap();
    let key = key_data("p256.pk8.pem");
    let o = piped(
        &[
            "modsig",
            "sign",
            "--key",
            key.to_str().unwrap(),
            "--cert",
            "-",
            "--out",
            signed.to_str().unwrap(),
            image.to_str().unwrap(),
        ],
        &cert,
    );
    assert_eq!(o.status.code(), Some(0), "{}", text(&o.stderr));
    let o = piped(
        &["modsig", "verify", "--cert", "-", signed.to_str().unwrap()],
        &cert,
    );
    assert_eq!(o.status.code(), Some(0), "{}", text(&o.stderr));
    assert!(
        text(&o.stdout).contains("certificate standard input"),
        "{}",
        text(&o.stdout)
    );
    // FILE is read and rewritten by path: `-` there is refused, nothing read.
    let o = piped(&["modsig", "remove", "-"], b"data");
    assert_eq!(o.status.code(), Some(2));
    assert!(o.stdout.is_empty());
    assert!(
        text(&o.stderr).contains("- (standard input) is not a FILE here"),
        "{}",
        text(&o.stderr)
    );
}

#[test]
fn key_import_adds_a_certificate_read_from_standard_input() {
    const T: &str = "key_import_adds_a_certificate_read_from_standard_input";
    // A keyring of this test's own session: nothing outside the test is touched.
    let Some(_) = keyring_common::fresh_session(T) else {
        return;
    };
    let ring = keyring_common::new_keyring("_ima").to_string();
    let der = std::fs::read(key_data("rsa2048.crt.der")).unwrap();
    let o = piped(&["key", "import", "--keyring", &ring, "-"], &der);
    let err = text(&o.stderr);
    if o.status.code() == Some(1) && err.contains("(ENOENT)") {
        keyring_common::skip(T, &format!("the kernel does not take the RSA key: {err}"));
        return;
    }
    assert_eq!(o.status.code(), Some(0), "{err}");
    // SERIAL id:KEYID standard input
    let out = text(&o.stdout);
    let fields: Vec<&str> = out.splitn(3, ' ').collect();
    assert_eq!(fields.len(), 3, "{out}");
    assert!(fields[0].parse::<i32>().is_ok(), "{out}");
    assert!(
        fields[1].starts_with("id:") && fields[1].len() == 11,
        "{out}"
    );
    assert_eq!(fields[2], "standard input\n");
    // The key is in the keyring.
    let list = Command::new(IMACTL)
        .args(["key", "list", "--keyring", &ring])
        .output()
        .unwrap();
    assert!(
        text(&list.stdout).contains(fields[1]),
        "{}",
        text(&list.stdout)
    );
}
