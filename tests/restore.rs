//! Issue 20, item 2: `imactl restore` re-applies security.ima from the rpm database (with
//! --root), a package file and .sig files, and never writes a value onto a file whose
//! content is not the package's.
//!
//! The package is built in the test with rpmbuild, and its file signatures are added the
//! way rpmsign --signfiles stores them (tests/common/rpm_pkg.rs): Debian 12's rpmsign has
//! no --signfiles. rpm itself then reads them back (`rpm -qp --qf %{FILESIGNATURES}`).

mod common;

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

use common::{code, rpm_pkg, run, skip, stderr, stdout};

const PKG: &str = "imaevm-restore-test";

fn data(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/data/keys")
        .join(name)
}

fn imactl() -> Command {
    Command::new(env!("CARGO_BIN_EXE_imactl"))
}

fn have(tool: &str) -> bool {
    Command::new("sh")
        .args(["-c", &format!("command -v {tool}")])
        .output()
        .is_ok_and(|o| o.status.success())
}

fn ok(o: Output, what: &str) -> Output {
    assert!(o.status.success(), "{what}: {}{}", stdout(&o), stderr(&o));
    o
}

/// The files of the test package: (path, content, %config).
const FILES: &[(&str, &str, bool)] = &[
    ("/opt/imaevm-restore/alpha", "alpha\n", false),
    ("/opt/imaevm-restore/bravo", "bravo\n", false),
    ("/opt/imaevm-restore/charlie.conf", "charlie\n", true),
];

fn signature_of(dir: &Path, content: &str) -> Vec<u8> {
    rpm_pkg::signature_of(dir, content.as_bytes())
}

/// The test package, built and signed (tests/common/rpm_pkg.rs).
fn build_signed_package(dir: &Path) -> PathBuf {
    let files: Vec<rpm_pkg::PkgFile> = FILES
        .iter()
        .map(|(path, c, config)| rpm_pkg::PkgFile {
            path,
            content: c.as_bytes(),
            config: *config,
        })
        .collect();
    rpm_pkg::build_signed_package(
        dir,
        PKG,
        &files,
        &["/opt/imaevm-restore"],
        &[("/opt/imaevm-restore/link", "alpha")],
    )
}

/// A scratch root with the package installed (rpm --root) and the test certificate in
/// etc/keys/ima; every file's security.ima stripped.
fn installed_root(dir: &Path, rpm: &Path) -> PathBuf {
    let root = dir.join("root");
    rpm_pkg::install(&root, rpm);
    std::fs::create_dir_all(root.join("etc/keys/ima")).unwrap();
    std::fs::copy(data("rsa2048.crt.der"), root.join("etc/keys/ima/ima.der")).unwrap();
    for (p, _, _) in FILES {
        let _ = xattr::remove(root.join(&p[1..]), "security.ima");
    }
    root
}

fn ima(p: &Path) -> Option<Vec<u8>> {
    common::get_xattr(p, "security.ima")
}

fn restore(root: &Path, args: &[&str]) -> Output {
    let o = run(imactl().args(["restore", "--root"]).arg(root).args(args));
    println!(
        "imactl restore {args:?}: exit {}\n{}{}",
        code(&o),
        stdout(&o),
        stderr(&o)
    );
    o
}

/// Why the tests cannot run here, if they cannot.
fn cannot_run() -> Option<String> {
    for tool in ["rpm", "rpmbuild"] {
        if !have(tool) {
            return Some(format!(
                "{tool} is not installed (tests/setup.sh installs rpm)"
            ));
        }
    }
    (!common::is_root()).then(|| "security.ima and rpm --root need root".to_string())
}

#[test]
fn restore_never_writes_onto_a_file_whose_digest_differs_from_the_package() {
    const T: &str = "restore_never_writes_onto_a_file_whose_digest_differs_from_the_package";
    if let Some(why) = cannot_run() {
        skip(T, &why);
        return;
    }
    let dir = common::scratch();
    let rpm = build_signed_package(dir.path());
    let root = installed_root(dir.path(), &rpm);
    let alpha = root.join("opt/imaevm-restore/alpha");
    let bravo = root.join("opt/imaevm-restore/bravo");
    let charlie = root.join("opt/imaevm-restore/charlie.conf");
    // bravo changed after installation: its signature must not be put back on it.
    std::fs::write(&bravo, "bravo, edited\n").unwrap();
    let o = restore(&root, &[]);
    assert_eq!(code(&o), 1, "a refused file is exit status 1");
    let out = stdout(&o);
    assert!(out.contains("/opt/imaevm-restore/alpha: restored"), "{out}");
    assert!(
        out.contains("/opt/imaevm-restore/bravo: refused: its content differs from the one imaevm-restore-test-1-1.noarch records (sha256 digest"),
        "{out}"
    );
    assert!(
        out.contains("charlie.conf: skipped: a %config file"),
        "{out}"
    );
    assert_eq!(ima(&bravo), None, "nothing written onto the changed file");
    assert_eq!(ima(&charlie), None);
    assert_eq!(ima(&alpha), Some(signature_of(dir.path(), "alpha\n")));
    // The restored value verifies with our evmctl and with upstream's.
    ok(
        run(common::evmctl()
            .args(["ima_verify", "--key"])
            .arg(data("rsa2048.crt.pem"))
            .arg(&alpha)),
        "evmctl ima_verify",
    );
    if common::have_upstream() {
        ok(
            run(common::upstream()
                .args(["ima_verify", "--key"])
                .arg(data("rsa2048.crt.der"))
                .arg(&alpha)),
            "upstream evmctl ima_verify",
        );
    } else {
        common::skip_part(
            T,
            "upstream",
            "no /usr/bin/evmctl (tests/setup.sh installs ima-evm-utils)",
        );
    }
    // Also when the digest algorithm matches but the value does not verify (a key outside
    // /etc/keys/ima): nothing written.
    std::fs::write(&bravo, "bravo\n").unwrap();
    std::fs::remove_file(root.join("etc/keys/ima/ima.der")).unwrap();
    let o = restore(&root, &[PKG]);
    assert_eq!(code(&o), 1);
    assert!(
        stdout(&o)
            .contains("bravo: refused: the recorded signature does not verify over this content"),
        "{}",
        stdout(&o)
    );
    assert_eq!(ima(&bravo), None);
}

#[test]
fn restore_from_the_database_a_package_file_and_sig_files_with_dry_run_and_json() {
    const T: &str = "restore_from_the_database_a_package_file_and_sig_files_with_dry_run_and_json";
    if let Some(why) = cannot_run() {
        skip(T, &why);
        return;
    }
    let dir = common::scratch();
    let rpm = build_signed_package(dir.path());
    let root = installed_root(dir.path(), &rpm);
    let alpha = root.join("opt/imaevm-restore/alpha");
    let bravo = root.join("opt/imaevm-restore/bravo");
    // --dry-run changes nothing.
    let o = restore(&root, &["--dry-run", PKG]);
    assert_eq!(code(&o), 3, "%config skipped: exit status 3");
    assert!(
        stdout(&o).contains("alpha: would restore"),
        "{}",
        stdout(&o)
    );
    assert_eq!(ima(&alpha), None);
    // The database, with --config: every file restored, exit 0; again: already there.
    let o = restore(&root, &["--config", PKG]);
    assert_eq!(code(&o), 0);
    assert!(
        stdout(&o).contains("3 restored, 0 re-signed, 0 carrying it already"),
        "{}",
        stdout(&o)
    );
    let o = restore(&root, &["--config", "--json", PKG]);
    assert_eq!(code(&o), 0);
    let doc: serde_json::Value = serde_json::from_str(stdout(&o).trim()).unwrap();
    assert_eq!(doc["command"], "restore");
    assert_eq!(doc["summary"]["present"], 3, "{doc}");
    assert!(doc["files"]
        .as_array()
        .unwrap()
        .iter()
        .any(|f| f["action"] == "not-a-file"));
    // A package file.
    xattr::remove(&bravo, "security.ima").unwrap();
    let o = restore(&root, &["--package", rpm.to_str().unwrap()]);
    assert_eq!(code(&o), 3);
    assert!(stdout(&o).contains("bravo: restored"), "{}", stdout(&o));
    assert!(ima(&bravo).is_some());
    // .sig files: the value next to the file; a .sig for other content is refused.
    xattr::remove(&alpha, "security.ima").unwrap();
    std::fs::write(
        root.join("opt/imaevm-restore/alpha.sig"),
        signature_of(dir.path(), "alpha\n"),
    )
    .unwrap();
    std::fs::write(
        root.join("opt/imaevm-restore/bravo.sig"),
        signature_of(dir.path(), "other\n"),
    )
    .unwrap();
    xattr::remove(&bravo, "security.ima").unwrap();
    let o = restore(
        &root,
        &[
            "--sigfiles",
            "/opt/imaevm-restore/alpha",
            "/opt/imaevm-restore/bravo",
        ],
    );
    assert_eq!(code(&o), 1);
    assert!(stdout(&o).contains("alpha: restored"), "{}", stdout(&o));
    assert!(
        stdout(&o).contains("bravo: refused: the recorded signature does not verify"),
        "{}",
        stdout(&o)
    );
    assert_eq!(ima(&bravo), None);
    // A package that is not installed: rpm's message, exit 1.
    let o = restore(&root, &["no-such-package"]);
    assert_eq!(code(&o), 1);
    assert!(stderr(&o).contains("no-such-package"), "{}", stderr(&o));
}

fn verify_packages(root: &Path, args: &[&str]) -> Output {
    let o = run(imactl()
        .args(["verify", "--packages", "--root"])
        .arg(root)
        .args(args));
    println!(
        "imactl verify --packages {args:?}: exit {}\n{}{}",
        code(&o),
        stdout(&o),
        stderr(&o)
    );
    o
}

#[test]
fn verify_packages_tells_ok_missing_other_value_bad_signature_and_unknown_key() {
    const T: &str = "verify_packages_tells_ok_missing_other_value_bad_signature_and_unknown_key";
    if let Some(why) = cannot_run() {
        skip(T, &why);
        return;
    }
    let dir = common::scratch();
    let rpm = build_signed_package(dir.path());
    let root = installed_root(dir.path(), &rpm);
    let alpha = root.join("opt/imaevm-restore/alpha");
    let bravo = root.join("opt/imaevm-restore/bravo");
    ok(restore(&root, &["--config", PKG]), "restore");
    let o = verify_packages(&root, &[PKG]);
    assert_eq!(code(&o), 0, "all carry the package's signature");
    assert!(stdout(&o).contains("3 ok, 0 missing"), "{}", stdout(&o));
    // charlie.conf: missing; bravo: another value.
    xattr::remove(root.join("opt/imaevm-restore/charlie.conf"), "security.ima").unwrap();
    xattr::set(&bravo, "security.ima", &signature_of(dir.path(), "other\n")).unwrap();
    let o = verify_packages(&root, &[]);
    assert_eq!(code(&o), 1);
    let out = stdout(&o);
    assert!(
        out.contains("charlie.conf: missing (imaevm-restore-test-1-1.noarch)"),
        "{out}"
    );
    assert!(out.contains("bravo: other-value"), "{out}");
    // bravo: the package's value over changed content: bad signature.
    xattr::set(&bravo, "security.ima", &signature_of(dir.path(), "bravo\n")).unwrap();
    std::fs::write(&bravo, "bravo, edited\n").unwrap();
    let o = verify_packages(&root, &["--json", PKG]);
    assert_eq!(code(&o), 1);
    let doc: serde_json::Value = serde_json::from_str(stdout(&o).trim()).unwrap();
    let state = |f: &str| {
        doc["files"]
            .as_array()
            .unwrap()
            .iter()
            .find(|r| r["file"] == f)
            .map(|r| r["state"].as_str().unwrap().to_string())
    };
    assert_eq!(
        state("/opt/imaevm-restore/bravo").as_deref(),
        Some("bad-signature"),
        "{doc}"
    );
    assert_eq!(
        state("/opt/imaevm-restore/alpha").as_deref(),
        Some("ok"),
        "{doc}"
    );
    assert_eq!(doc["summary"]["missing"], 1, "{doc}");
    // Without the certificate: the key is unknown.
    std::fs::remove_file(root.join("etc/keys/ima/ima.der")).unwrap();
    let o = verify_packages(&root, &[PKG]);
    assert_eq!(code(&o), 1);
    assert!(stdout(&o).contains("alpha: unknown-key"), "{}", stdout(&o));
    assert!(ima(&alpha).is_some(), "verify changes nothing");
}

#[test]
fn resign_with_a_local_key_only_where_the_content_is_the_package_s() {
    const T: &str = "resign_with_a_local_key_only_where_the_content_is_the_package_s";
    if let Some(why) = cannot_run() {
        skip(T, &why);
        return;
    }
    let dir = common::scratch();
    let rpm = build_signed_package(dir.path());
    let root = installed_root(dir.path(), &rpm);
    let alpha = root.join("opt/imaevm-restore/alpha");
    let bravo = root.join("opt/imaevm-restore/bravo");
    // The package's key is not trusted here; the local key (p256) is.
    std::fs::remove_file(root.join("etc/keys/ima/ima.der")).unwrap();
    std::fs::copy(data("p256.crt.pem"), root.join("etc/keys/ima/local.pem")).unwrap();
    std::fs::write(&bravo, "bravo, edited\n").unwrap();
    let key = data("p256.pk8.pem");
    let o = restore(
        &root,
        &["--resign-with", key.to_str().unwrap(), "--dry-run", PKG],
    );
    assert_eq!(code(&o), 1);
    assert!(
        stdout(&o).contains("alpha: would re-sign"),
        "{}",
        stdout(&o)
    );
    assert_eq!(ima(&alpha), None);
    let o = restore(&root, &["--resign-with", key.to_str().unwrap(), PKG]);
    assert_eq!(code(&o), 1, "bravo refused");
    let out = stdout(&o);
    assert!(out.contains("alpha: re-signed with "), "{out}");
    assert!(
        out.contains("bravo: refused: its content differs from the one imaevm-restore-test-1-1.noarch records (sha256 digests differ): not written, not signed"),
        "{out}"
    );
    assert_eq!(ima(&bravo), None, "a changed file is never signed");
    ok(
        run(common::evmctl()
            .args(["ima_verify", "--key"])
            .arg(data("p256.crt.pem"))
            .arg(&alpha)),
        "evmctl ima_verify",
    );
    // Again: alpha carries a trusted signature already.
    let o = restore(&root, &["--resign-with", key.to_str().unwrap(), PKG]);
    assert!(
        stdout(&o).contains("0 re-signed, 1 carrying it already"),
        "{}",
        stdout(&o)
    );
}

#[test]
fn a_filesystem_without_xattrs_is_named_not_skipped_silently() {
    const T: &str = "a_filesystem_without_xattrs_is_named_not_skipped_silently";
    if let Some(why) = cannot_run() {
        skip(T, &why);
        return;
    }
    let dir = common::scratch();
    let rpm = build_signed_package(dir.path());
    let root = dir.path().join("root");
    let opt = root.join("opt/imaevm-restore");
    std::fs::create_dir_all(&opt).unwrap();
    // ramfs has no xattr handlers: EOPNOTSUPP, as vfat gives.
    let m = run(Command::new("mount")
        .args(["-t", "ramfs", "imaevm-test"])
        .arg(&opt));
    if code(&m) != 0 {
        skip(T, &format!("cannot mount a ramfs: {}", stderr(&m)));
        return;
    }
    struct Unmount(PathBuf);
    impl Drop for Unmount {
        fn drop(&mut self) {
            let _ = Command::new("umount").arg(&self.0).status();
        }
    }
    let _guard = Unmount(opt.clone());
    let root = installed_root(dir.path(), &rpm);
    let o = restore(&root, &[PKG]);
    assert_eq!(code(&o), 3, "skipped, not an error");
    let out = stdout(&o);
    assert!(
        out.contains(&format!(
            "alpha: skipped: its filesystem holds no extended attributes (ramfs on {})",
            std::fs::canonicalize(&opt).unwrap().display()
        )),
        "{out}"
    );
}

/// A --package file that cannot be read (missing, a directory) is exit status 2, named,
/// before rpm is run; a file that is read but is not a package stays 1 (rpm refuses it).
#[test]
fn a_package_file_that_cannot_be_read_is_exit_2() {
    let d = tempfile::tempdir().unwrap();
    let root = d.path().join("root");
    std::fs::create_dir(&root).unwrap();
    let missing = d.path().join("missing.rpm");
    let a_dir = d.path().join("a-directory.rpm");
    std::fs::create_dir(&a_dir).unwrap();
    for bad in [&missing, &a_dir] {
        let o = restore(&root, &["--package", bad.to_str().unwrap()]);
        assert_eq!(code(&o), 2, "{}", stderr(&o));
        assert!(
            stderr(&o).contains(&format!("{}: cannot read", bad.display())),
            "{}",
            stderr(&o)
        );
        assert!(stdout(&o).is_empty(), "{}", stdout(&o));
        let o = restore(&root, &["--json", "--package", bad.to_str().unwrap()]);
        assert_eq!(code(&o), 2, "{}", stderr(&o));
        assert!(stdout(&o).contains("\"unreadable\""), "{}", stdout(&o));
    }
    let junk = d.path().join("junk.rpm");
    std::fs::write(&junk, b"not a package\n").unwrap();
    let o = restore(&root, &["--package", junk.to_str().unwrap()]);
    assert_eq!(code(&o), 1, "{}", stderr(&o));
}

/// A --resign-with key file that cannot be read (missing, a directory) is exit status 2;
/// one that is read and is not a usable private key (a certificate, garbage) is 1. Each is
/// named once, checked before rpm is asked, and with --json is the error object (codes
/// unreadable and bad-key). A --hash that names no algorithm is a usage error (bad-hash).
#[test]
fn a_resign_key_that_cannot_be_read_is_2_one_read_but_unusable_is_1() {
    let d = tempfile::tempdir().unwrap();
    let root = d.path().join("root");
    std::fs::create_dir(&root).unwrap();
    let missing = d.path().join("missing.key");
    let a_dir = d.path().join("a-directory.key");
    std::fs::create_dir(&a_dir).unwrap();
    let garbage = d.path().join("garbage.key");
    std::fs::write(&garbage, b"not a key\n").unwrap();
    let cert = data("p256.crt.pem");
    for (key, want, json_code) in [
        (&missing, 2, "unreadable"),
        (&a_dir, 2, "unreadable"),
        (&garbage, 1, "bad-key"),
        (&cert, 1, "bad-key"),
    ] {
        let o = restore(&root, &["--resign-with", key.to_str().unwrap()]);
        assert_eq!(code(&o), want, "{key:?}: {}", stderr(&o));
        let needle = format!("{}:", key.display());
        assert_eq!(
            stderr(&o).matches(&needle).count(),
            1,
            "named once: {}",
            stderr(&o)
        );
        assert!(stdout(&o).is_empty(), "{}", stdout(&o));
        let o = restore(&root, &["--json", "--resign-with", key.to_str().unwrap()]);
        assert_eq!(code(&o), want, "{key:?} --json: {}", stderr(&o));
        let v: serde_json::Value = serde_json::from_str(stdout(&o).trim()).expect("one object");
        assert_eq!(v["error"]["code"], json_code, "{v}");
    }
    let key = data("p256.pk8.pem");
    let o = restore(
        &root,
        &[
            "--json",
            "--resign-with",
            key.to_str().unwrap(),
            "--hash",
            "BAD",
        ],
    );
    assert_eq!(code(&o), 2, "{}", stderr(&o));
    let v: serde_json::Value = serde_json::from_str(stdout(&o).trim()).expect("one object");
    assert_eq!(v["error"]["code"], "bad-hash", "{v}");
}
