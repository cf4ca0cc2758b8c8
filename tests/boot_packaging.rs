//! The boot step and where distributions run it:
//! - `imactl boot` end to end against a securityfs stand-in (a directory whose ima/policy
//!   is a plain file): loads, records, and a second run reports the policy in force and
//!   writes nothing; an invalid policy writes nothing and exits 1; --json prints one object.
//! - packaging/systemd/imaevm-boot.service passes `systemd-analyze verify`, ordered before
//!   kdump.
//! - packaging/dracut/98imaevm: dracut builds an image with it (dracut's own module checks)
//!   holding imactl, the certificates, the policy and the pre-pivot hook; without imactl
//!   dracut refuses the module.
//! - packaging/initramfs-tools: the hook fills an image tree; the scripts parse.
//!
//! The boots with these images are tests/vm/boot.sh.

#[path = "common/user_ima.rs"]
mod user_ima;

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

#[path = "common/skip.rs"]
mod skip;
use skip::skip;

fn repo() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

fn imactl() -> &'static str {
    env!("CARGO_BIN_EXE_imactl")
}

fn have(tool: &str) -> bool {
    Command::new("sh")
        .args(["-c", &format!("command -v {tool}")])
        .output()
        .is_ok_and(|o| o.status.success())
}

fn text(o: &Output) -> String {
    format!(
        "status {:?}\nstdout:\n{}\nstderr:\n{}",
        o.status.code(),
        String::from_utf8_lossy(&o.stdout),
        String::from_utf8_lossy(&o.stderr)
    )
}

const POLICY: &str =
    "measure func=KEXEC_KERNEL_CHECK\nappraise func=KEXEC_KERNEL_CHECK appraise_type=imasig\n";

fn boot_cmd(dir: &Path, extra: &[&str]) -> Output {
    Command::new(imactl())
        .arg("boot")
        .arg("--keys-dir")
        .arg(dir.join("keys"))
        .arg("--kernel-cert")
        .arg(dir.join("none.der"))
        .arg("--policy")
        .arg(dir.join("ima-policy"))
        .arg("--securityfs")
        .arg(dir.join("sec"))
        .arg("--state-dir")
        .arg(dir.join("run"))
        .args(["--kernel", "6.12"])
        .args(extra)
        .output()
        .unwrap()
}

#[test]
fn boot_loads_once_and_a_second_run_reports_the_policy_in_force() {
    let _ima = user_ima::UserImaGuard::new();
    let t = tempfile::tempdir().unwrap();
    std::fs::create_dir_all(t.path().join("sec/ima")).unwrap();
    std::fs::write(t.path().join("sec/ima/policy"), "").unwrap();
    std::fs::write(t.path().join("ima-policy"), POLICY).unwrap();

    let o = boot_cmd(t.path(), &[]);
    assert_eq!(o.status.code(), Some(0), "{}", text(&o));
    let out = String::from_utf8_lossy(&o.stdout);
    assert!(out.contains("key: no certificates configured"), "{out}");
    assert!(out.contains("loaded 2 rules"), "{out}");
    assert!(
        out.contains("imactl boot: the IMA policy is in force"),
        "{out}"
    );
    let written = std::fs::read_to_string(t.path().join("sec/ima/policy")).unwrap();
    assert_eq!(written, POLICY);
    assert!(t.path().join("run/policy-loaded").is_file());

    let o = boot_cmd(t.path(), &["--json"]);
    assert_eq!(o.status.code(), Some(0), "{}", text(&o));
    let v: serde_json::Value = serde_json::from_slice(&o.stdout).expect("one JSON object");
    assert_eq!(v["version"], 1);
    assert_eq!(v["command"], "boot");
    assert_eq!(v["policy"]["result"], "already-in-force", "{v}");
    assert_eq!(v["verdict"], "in-force");
    let again = std::fs::read_to_string(t.path().join("sec/ima/policy")).unwrap();
    assert_eq!(again, POLICY, "the second run wrote nothing");
}

#[test]
fn boot_with_an_invalid_policy_writes_nothing_and_fails() {
    let _ima = user_ima::UserImaGuard::new();
    let t = tempfile::tempdir().unwrap();
    std::fs::create_dir_all(t.path().join("sec/ima")).unwrap();
    std::fs::create_dir_all(t.path().join("keys")).unwrap();
    std::fs::write(t.path().join("keys/junk.der"), "not a certificate").unwrap();
    std::fs::write(t.path().join("sec/ima/policy"), "").unwrap();
    std::fs::write(
        t.path().join("ima-policy"),
        "apraise func=KEXEC_KERNEL_CHECK\n",
    )
    .unwrap();
    let o = boot_cmd(t.path(), &[]);
    assert_eq!(o.status.code(), Some(1), "{}", text(&o));
    let out = String::from_utf8_lossy(&o.stdout);
    assert!(out.contains("junk.der: error:"), "{out}");
    assert!(out.contains("ima-policy:1:1: error:"), "{out}");
    assert!(out.contains("the IMA policy is NOT in force"), "{out}");
    assert_eq!(std::fs::read(t.path().join("sec/ima/policy")).unwrap(), b"");
}

#[test]
fn systemd_unit_verifies_and_runs_before_kdump() {
    let unit =
        std::fs::read_to_string(repo().join("packaging/systemd/imaevm-boot.service")).unwrap();
    for want in [
        "Before=kdump.service kdump-tools.service",
        "After=local-fs.target",
        "ConditionSecurity=ima",
        "ExecStart=/usr/bin/imactl boot",
    ] {
        assert!(unit.contains(want), "the unit lacks {want}");
    }
    if !have("systemd-analyze") {
        skip(
            "systemd_unit_verifies_and_runs_before_kdump",
            "no systemd-analyze (apt install systemd)",
        );
        return;
    }
    // verify checks that ExecStart's binary exists: point it at the one just built.
    let t = tempfile::tempdir().unwrap();
    let copy = t.path().join("imaevm-boot.service");
    std::fs::write(&copy, unit.replace("/usr/bin/imactl", imactl())).unwrap();
    let o = Command::new("systemd-analyze")
        .args(["verify", "--man=no"])
        .arg(&copy)
        .output()
        .unwrap();
    assert!(o.status.success() && o.stderr.is_empty(), "{}", text(&o));
    // The check can fail: a unit with an unknown directive does not pass.
    std::fs::write(
        &copy,
        unit.replace("RemainAfterExit", "RemainAfterExiit")
            .replace("/usr/bin/imactl", imactl()),
    )
    .unwrap();
    let o = Command::new("systemd-analyze")
        .args(["verify", "--man=no"])
        .arg(&copy)
        .output()
        .unwrap();
    assert!(
        !o.stderr.is_empty(),
        "systemd-analyze noticed nothing: {}",
        text(&o)
    );
}

/// A dracut base directory with every installed module plus ours.
fn dracut_base(dir: &Path) -> PathBuf {
    let base = dir.join("dracut");
    std::fs::create_dir_all(base.join("modules.d")).unwrap();
    for e in std::fs::read_dir("/usr/lib/dracut").unwrap() {
        let e = e.unwrap();
        if e.file_name() != "modules.d" {
            std::os::unix::fs::symlink(e.path(), base.join(e.file_name())).unwrap();
        }
    }
    for e in std::fs::read_dir("/usr/lib/dracut/modules.d").unwrap() {
        let e = e.unwrap();
        std::os::unix::fs::symlink(e.path(), base.join("modules.d").join(e.file_name())).unwrap();
    }
    std::os::unix::fs::symlink(
        repo().join("packaging/dracut/98imaevm"),
        base.join("modules.d/98imaevm"),
    )
    .unwrap();
    base
}

fn dracut(dir: &Path, base: &Path, imactl_path: &str, img: &Path) -> Output {
    std::fs::create_dir_all(dir.join("conf.d")).unwrap();
    Command::new("dracut")
        .env("dracutbasedir", base)
        .env("IMAEVM_IMACTL", imactl_path)
        .env("IMAEVM_KEYS_DIR", dir.join("keys"))
        .env("IMAEVM_KERNEL_CERT", dir.join("x509_ima.der"))
        .env("IMAEVM_POLICY", dir.join("ima-policy"))
        .args([
            "--no-kernel",
            "--no-hostonly",
            "-m",
            "base imaevm",
            "--conf",
            "/dev/null",
        ])
        .arg("--confdir")
        .arg(dir.join("conf.d"))
        .args(["--no-compress", "--force"])
        .arg(img)
        .output()
        .unwrap()
}

#[test]
fn dracut_builds_an_image_with_the_module() {
    if !have("dracut") || !have("lsinitrd") || !Path::new("/usr/lib/dracut/modules.d").is_dir() {
        skip(
            "dracut_builds_an_image_with_the_module",
            "no dracut (apt install dracut-core)",
        );
        return;
    }
    let t = tempfile::tempdir().unwrap();
    let d = t.path();
    std::fs::create_dir_all(d.join("keys")).unwrap();
    std::fs::copy(
        repo().join("tests/data/keys/rsa2048.crt.der"),
        d.join("keys/ima.der"),
    )
    .unwrap();
    std::fs::copy(
        repo().join("tests/data/keys/p256.crt.pem"),
        d.join("x509_ima.der"),
    )
    .unwrap();
    std::fs::write(d.join("ima-policy"), POLICY).unwrap();
    let base = dracut_base(d);
    let img = d.join("initrd.img");
    let o = dracut(d, &base, imactl(), &img);
    assert!(o.status.success(), "{}", text(&o));
    let err = String::from_utf8_lossy(&o.stderr);
    assert!(!err.contains("cannot be installed"), "{err}");
    let o = Command::new("lsinitrd").arg(&img).output().unwrap();
    let list = String::from_utf8_lossy(&o.stdout);
    for want in [
        "usr/bin/imactl",
        "etc/keys/ima/ima.der",
        "etc/keys/x509_ima.der",
        "etc/ima/ima-policy",
        "usr/lib/dracut/hooks/pre-pivot/59-imaevm-boot.sh",
    ] {
        assert!(list.contains(want), "{want} not in the image:\n{list}");
    }
    assert!(
        list.lines().any(|l| l.trim() == "imaevm"),
        "module not listed:\n{list}"
    );

    // dracut's own check refuses the module when imactl is missing.
    let o = dracut(d, &base, "/nonexistent/imactl", &d.join("bad.img"));
    let all = text(&o);
    assert!(
        !o.status.success() && all.contains("module 'imaevm' cannot be found or installed"),
        "dracut took the module without imactl: {all}"
    );
}

#[test]
fn initramfs_tools_hook_fills_the_image_and_the_scripts_parse() {
    let hook = repo().join("packaging/initramfs-tools/hooks/imaevm");
    let script = repo().join("packaging/initramfs-tools/scripts/init-bottom/imaevm");
    for s in [
        &hook,
        &script,
        &repo().join("packaging/dracut/98imaevm/imaevm-boot.sh"),
    ] {
        let o = Command::new("sh").arg("-n").arg(s).output().unwrap();
        assert!(o.status.success(), "{}: {}", s.display(), text(&o));
    }
    let o = Command::new("sh")
        .arg(&script)
        .arg("prereqs")
        .output()
        .unwrap();
    assert!(o.status.success(), "{}", text(&o));
    if !Path::new("/usr/share/initramfs-tools/hook-functions").is_file() {
        skip(
            "initramfs_tools_hook_fills_the_image_and_the_scripts_parse",
            "no initramfs-tools (apt install initramfs-tools-core)",
        );
        return;
    }
    let t = tempfile::tempdir().unwrap();
    let d = t.path();
    std::fs::create_dir_all(d.join("keys")).unwrap();
    std::fs::create_dir_all(d.join("dest")).unwrap();
    std::fs::copy(
        repo().join("tests/data/keys/rsa2048.crt.der"),
        d.join("keys/a.der"),
    )
    .unwrap();
    std::fs::write(d.join("ima-policy"), POLICY).unwrap();
    let o = Command::new("sh")
        .arg(&hook)
        .env("DESTDIR", d.join("dest"))
        .env("IMAEVM_IMACTL", imactl())
        .env("IMAEVM_KEYS_DIR", d.join("keys"))
        .env("IMAEVM_KERNEL_CERT", d.join("none"))
        .env("IMAEVM_POLICY", d.join("ima-policy"))
        .output()
        .unwrap();
    assert!(o.status.success(), "{}", text(&o));
    for f in ["usr/bin/imactl", "etc/keys/ima/a.der", "etc/ima/ima-policy"] {
        assert!(
            d.join("dest").join(f).is_file(),
            "{f} missing: {}",
            text(&o)
        );
    }
}
