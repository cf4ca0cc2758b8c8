//! `imactl policy` as a user runs it: the real binary against policy files, and against
//! test doubles of securityfs (`--securityfs DIR`):
//! - DIR/ima/policy as a FIFO read by a test thread records what the loader writes, in
//!   order, through one open (a second open would find no reader and hang: the run times out);
//! - DIR/ima/policy as a regular file under RLIMIT_FSIZE makes the kernel-side write fail
//!   with a real errno (EFBIG) at a chosen rule: the limit is set to the bytes of the
//!   first k rules, so write k+1 fails only if every earlier rule went in its own write()
//!   (a write joining rules would cross the limit and come back short instead).

use std::fs;
use std::os::unix::process::CommandExt;
use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};
use std::time::{Duration, Instant};

#[path = "common/skip.rs"]
mod skip;
use skip::skip;

use imaevm::policy::parse::parse_policy;
use imaevm::policy::validate::check_text;
use imaevm::policy::Profile;

const IMACTL: &str = env!("CARGO_BIN_EXE_imactl");

fn imactl() -> Command {
    Command::new(IMACTL)
}

/// Runs a command, killing it after 30 s (a loader that opened the FIFO twice would hang).
fn run(mut cmd: Command) -> Output {
    let mut child = cmd
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("spawn imactl");
    let start = Instant::now();
    loop {
        if child.try_wait().expect("wait").is_some() {
            break;
        }
        if start.elapsed() > Duration::from_secs(30) {
            child.kill().expect("kill");
            panic!("imactl did not finish in 30 s");
        }
        std::thread::sleep(Duration::from_millis(20));
    }
    child.wait_with_output().expect("output")
}

fn text(b: &[u8]) -> String {
    String::from_utf8_lossy(b).into_owned()
}

fn write(dir: &Path, name: &str, content: &str) -> PathBuf {
    let p = dir.join(name);
    fs::write(&p, content).unwrap();
    p
}

/// A securityfs double: DIR/ima/ exists.
fn securityfs_dir() -> tempfile::TempDir {
    let d = tempfile::tempdir().unwrap();
    fs::create_dir(d.path().join("ima")).unwrap();
    d
}

const THREE_BROKEN: &str = "\
# three broken rules, one good
measure func=BPRM_CHECK appraise_type=imasig
appraise func=KEXEC_KERNAL_CHECK appraise_type=imasig

measure func=KEXEC_CMDLINE
  appraise func=MODULE_CHECK template=ima-sig
";

#[test]
fn check_reports_every_error_with_line_and_column() {
    let d = tempfile::tempdir().unwrap();
    let f = write(d.path(), "broken.policy", THREE_BROKEN);
    for v in ["6.1", "6.12", "7.2"] {
        let out = run({
            let mut c = imactl();
            c.args(["policy", "check", "--kernel", v]).arg(&f);
            c
        });
        assert_eq!(out.status.code(), Some(1), "{v}");
        let stdout = text(&out.stdout);
        let fname = f.display().to_string();
        let errors: Vec<&str> = stdout.lines().filter(|l| l.contains(": error: ")).collect();
        assert_eq!(errors.len(), 3, "{stdout}");
        assert!(errors[0].starts_with(&format!(
            "{fname}:2:25: error: appraise_type=imasig is not allowed with measure"
        )));
        assert!(errors[1].starts_with(&format!(
            "{fname}:3:10: error: unknown func KEXEC_KERNAL_CHECK; did you mean `KEXEC_KERNEL_CHECK`?"
        )));
        assert!(errors[2].starts_with(&format!(
            "{fname}:6:30: error: template=ima-sig is not allowed with appraise"
        )));
        assert!(stdout.contains("  hint: "));
        assert!(
            stdout.contains(&format!("3 errors, 0 warnings for Linux {v}")),
            "{stdout}"
        );
    }
}

const SHADOWED: &str = "\
measure func=BPRM_CHECK
measure func=BPRM_CHECK uid=0 template=ima-sig
";

#[test]
fn shadowed_rule_warns_and_strict_fails() {
    let d = tempfile::tempdir().unwrap();
    let f = write(d.path(), "shadow.policy", SHADOWED);
    let out = run({
        let mut c = imactl();
        c.args(["policy", "check", "--kernel", "6.12"]).arg(&f);
        c
    });
    assert_eq!(out.status.code(), Some(0));
    let stdout = text(&out.stdout);
    assert!(
        stdout.contains(&format!(
            "{}:2:1: warning: this rule can never match: the measure rule at line 1",
            f.display()
        )),
        "{stdout}"
    );
    let strict = run({
        let mut c = imactl();
        c.args(["policy", "check", "--strict", "--kernel", "6.12"])
            .arg(&f);
        c
    });
    assert_eq!(strict.status.code(), Some(1));
}

#[test]
fn check_json_names_profile_and_findings() {
    let d = tempfile::tempdir().unwrap();
    let f = write(d.path(), "c.policy", "measure func=BPRM_CHECK # exec\n");
    let out = run({
        let mut c = imactl();
        c.args(["policy", "check", "--json", "--kernel", "6.1"])
            .arg(&f);
        c
    });
    assert_eq!(out.status.code(), Some(1));
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(v["profile"], "6.1");
    assert_eq!(v["valid"], false);
    let diag = &v["files"][0]["diagnostics"][0];
    assert_eq!(diag["code"], "trailing-comment");
    assert_eq!(diag["line"], 1);
    assert_eq!(diag["column"], 25);
    assert_eq!(diag["severity"], "error");
    // The same file is fine for 7.2.
    let ok = run({
        let mut c = imactl();
        c.args(["policy", "check", "--json", "--kernel", "7.2"])
            .arg(&f);
        c
    });
    assert_eq!(ok.status.code(), Some(0));
}

#[test]
fn default_profile_is_the_running_kernel() {
    let d = tempfile::tempdir().unwrap();
    let f = write(d.path(), "k.policy", "measure func=BPRM_CHECK\n");
    let out = run({
        let mut c = imactl();
        c.args(["policy", "check"]).arg(&f);
        c
    });
    assert_eq!(out.status.code(), Some(0));
    let release = imaevm::policy::kernel_release().unwrap();
    assert!(text(&out.stdout).contains(&format!("running kernel {release}")));
}

fn policy_files() -> Vec<PathBuf> {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("policies");
    let mut v: Vec<PathBuf> = fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|e| e == "policy"))
        .collect();
    v.sort();
    v
}

/// Every shipped policy passes every profile, with only the warnings it documents.
#[test]
fn shipped_policies_pass_every_profile() {
    let files = policy_files();
    let names: Vec<String> = files
        .iter()
        .map(|p| p.file_name().unwrap().to_string_lossy().into_owned())
        .collect();
    for required in [
        "kexec.policy",
        "modules-firmware.policy",
        "signed-policy.policy",
        "measure-exec.policy",
        "signed-programs.policy",
    ] {
        assert!(
            names.iter().any(|n| n == required),
            "policies/{required} missing"
        );
    }
    for f in &files {
        let content = fs::read_to_string(f).unwrap();
        assert!(
            content.starts_with("# "),
            "{} must start with comments",
            f.display()
        );
        for key in ["Protects:", "Requires:", "Checked against:"] {
            assert!(content.contains(key), "{} lacks `{key}`", f.display());
        }
        let allowed: &[&str] = if f.ends_with("signed-policy.policy") {
            &["policy-check"]
        } else {
            &[]
        };
        for p in Profile::ALL {
            let (parsed, report) = check_text(&content, p);
            assert!(
                report.is_valid(),
                "{} on {p}: {:#?}",
                f.display(),
                report.diagnostics
            );
            assert!(!parsed.rules.is_empty());
            for d in &report.diagnostics {
                assert!(allowed.contains(&d.code), "{} on {p}: {d:?}", f.display());
            }
            let out = run({
                let mut c = imactl();
                c.args(["policy", "check", "--kernel", p.name()]).arg(f);
                c
            });
            assert_eq!(
                out.status.code(),
                Some(0),
                "{}: {}",
                f.display(),
                text(&out.stdout)
            );
        }
    }
}

#[test]
fn kexec_policy_has_the_rules_the_chain_needs() {
    let p = Path::new(env!("CARGO_MANIFEST_DIR")).join("policies/kexec.policy");
    let parsed = parse_policy(&fs::read_to_string(p).unwrap());
    let canon: Vec<String> = parsed.rules.iter().map(|r| r.rule.canonical()).collect();
    for want in [
        "appraise func=KEXEC_KERNEL_CHECK appraise_type=imasig",
        "measure func=KEXEC_KERNEL_CHECK",
        "measure func=KEXEC_INITRAMFS_CHECK",
        "measure func=KEXEC_CMDLINE template=ima-buf",
    ] {
        assert!(canon.iter().any(|c| c == want), "{want} missing: {canon:?}");
    }
    assert!(!canon
        .iter()
        .any(|c| c.starts_with("appraise func=KEXEC_INITRAMFS_CHECK")));
}

/// signed-programs.policy: every program root owns is appraised at exec with imasig; the
/// tmpfs and ramfs exclusions come first (the first matching rule decides) and are for
/// BPRM_CHECK only, so that loading it beside kexec.policy exempts no kexec image on tmpfs.
#[test]
fn signed_programs_policy_appraises_root_owned_programs_only_at_exec() {
    let p = Path::new(env!("CARGO_MANIFEST_DIR")).join("policies/signed-programs.policy");
    let parsed = parse_policy(&fs::read_to_string(p).unwrap());
    let canon: Vec<String> = parsed.rules.iter().map(|r| r.rule.canonical()).collect();
    assert_eq!(
        canon,
        [
            "dont_appraise func=BPRM_CHECK fsmagic=0x1021994",
            "dont_appraise func=BPRM_CHECK fsmagic=0x858458f6",
            "appraise func=BPRM_CHECK fowner=0 appraise_type=imasig",
        ],
        "{canon:?}"
    );
}

const LOADABLE: &str = "\
# test policy
measure func=KEXEC_KERNEL_CHECK

appraise   func=KEXEC_KERNEL_CHECK appraise_type=imasig
measure func=KEXEC_INITRAMFS_CHECK
measure func=PATH_CHECK mask=MAY_READ uid=0
";

/// The writes the loader must make for LOADABLE, in order.
const LOADABLE_WRITES: [(usize, &str); 4] = [
    (2, "measure func=KEXEC_KERNEL_CHECK\n"),
    (4, "appraise func=KEXEC_KERNEL_CHECK appraise_type=imasig\n"),
    (5, "measure func=KEXEC_INITRAMFS_CHECK\n"),
    (6, "measure func=FILE_CHECK mask=MAY_READ uid=0\n"),
];

/// The stand-in for securityfs is a regular file (a FIFO is refused where a securityfs
/// file is expected, issue 24): the writes land one after the other only if they all go
/// through one open (a second open would start again at offset 0 and overwrite).
#[test]
fn load_writes_each_rule_in_order_through_one_open() {
    let sec = securityfs_dir();
    let policy_file = sec.path().join("ima/policy");
    fs::write(&policy_file, "").unwrap();
    let d = tempfile::tempdir().unwrap();
    let f = write(d.path(), "kexec.policy", LOADABLE);
    let out = run({
        let mut c = imactl();
        c.args(["policy", "load", "--kernel", "6.1", "--securityfs"])
            .arg(sec.path())
            .arg(&f);
        c
    });
    let got = fs::read(&policy_file).unwrap();
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    let expected: String = LOADABLE_WRITES.iter().map(|(_, w)| *w).collect();
    assert_eq!(text(&got), expected);
    let stdout = text(&out.stdout);
    assert!(stdout.contains("loaded 4 rules from"), "{stdout}");
    assert!(
        stdout.contains("still writable: this kernel accepts further rules"),
        "{stdout}"
    );
}

/// Runs `imactl policy load` with RLIMIT_FSIZE = `limit` bytes and SIGXFSZ ignored, so a
/// write at the limit fails with EFBIG.
fn load_with_fsize_limit(sec: &Path, policy: &Path, limit: u64) -> Output {
    let mut c = imactl();
    c.args(["policy", "load", "--kernel", "6.12", "--securityfs"])
        .arg(sec)
        .arg(policy);
    // SAFETY: only async-signal-safe calls (setrlimit, signal) between fork and exec.
    unsafe {
        c.pre_exec(move || {
            let lim = libc::rlimit {
                rlim_cur: limit,
                rlim_max: limit,
            };
            if libc::setrlimit(libc::RLIMIT_FSIZE, &lim) != 0 {
                return Err(std::io::Error::last_os_error());
            }
            libc::signal(libc::SIGXFSZ, libc::SIG_IGN);
            Ok(())
        });
    }
    run(c)
}

#[test]
fn refused_rule_reports_line_and_errno_and_fails() {
    let d = tempfile::tempdir().unwrap();
    let f = write(d.path(), "kexec.policy", LOADABLE);
    for k in 0..LOADABLE_WRITES.len() {
        let sec = securityfs_dir();
        let target = sec.path().join("ima/policy");
        fs::write(&target, "").unwrap();
        let limit: usize = LOADABLE_WRITES[..k].iter().map(|(_, w)| w.len()).sum();
        let out = load_with_fsize_limit(sec.path(), &f, limit as u64);
        let stderr = text(&out.stderr);
        assert_eq!(out.status.code(), Some(1), "k={k}: {stderr}");
        let (line, rule) = LOADABLE_WRITES[k];
        let want = format!(
            "{}:{line}: error: the kernel refused rule {} `{}`: EFBIG (File too large)",
            f.display(),
            k + 1,
            rule.trim_end()
        );
        assert!(stderr.contains(&want), "k={k}: want {want}\n got {stderr}");
        let written: String = LOADABLE_WRITES[..k].iter().map(|(_, w)| *w).collect();
        assert_eq!(fs::read_to_string(&target).unwrap(), written, "k={k}");
        assert!(
            text(&out.stdout).is_empty(),
            "no success message: {}",
            text(&out.stdout)
        );
    }
}

#[test]
fn load_of_an_invalid_file_writes_nothing() {
    let sec = securityfs_dir();
    let target = sec.path().join("ima/policy");
    fs::write(&target, "").unwrap();
    let d = tempfile::tempdir().unwrap();
    let f = write(d.path(), "bad.policy", THREE_BROKEN);
    let out = run({
        let mut c = imactl();
        c.args(["policy", "load", "--kernel", "6.12", "--securityfs"])
            .arg(sec.path())
            .arg(&f);
        c
    });
    assert_eq!(out.status.code(), Some(1));
    let stderr = text(&out.stderr);
    assert!(
        stderr.contains(":3:10: error: unknown func KEXEC_KERNAL_CHECK"),
        "{stderr}"
    );
    assert!(
        stderr.contains("nothing was written to the kernel"),
        "{stderr}"
    );
    assert_eq!(fs::read_to_string(&target).unwrap(), "");
}

#[test]
fn load_checks_for_the_requested_kernel() {
    let sec = securityfs_dir();
    let target = sec.path().join("ima/policy");
    fs::write(&target, "").unwrap();
    let d = tempfile::tempdir().unwrap();
    let f = write(d.path(), "c.policy", "measure func=BPRM_CHECK # exec\n");
    let refused = run({
        let mut c = imactl();
        c.args(["policy", "load", "--kernel", "6.1", "--securityfs"])
            .arg(sec.path())
            .arg(&f);
        c
    });
    assert_eq!(refused.status.code(), Some(1));
    assert_eq!(fs::read_to_string(&target).unwrap(), "");
    let ok = run({
        let mut c = imactl();
        c.args(["policy", "load", "--kernel", "7.2", "--securityfs"])
            .arg(sec.path())
            .arg(&f);
        c
    });
    assert_eq!(ok.status.code(), Some(0), "{}", text(&ok.stderr));
    assert_eq!(
        fs::read_to_string(&target).unwrap(),
        "measure func=BPRM_CHECK\n"
    );
}

#[test]
fn dry_run_prints_exactly_the_writes() {
    let d = tempfile::tempdir().unwrap();
    let f = write(d.path(), "kexec.policy", LOADABLE);
    let missing = d.path().join("no-securityfs");
    let out = run({
        let mut c = imactl();
        c.args([
            "policy",
            "load",
            "--dry-run",
            "--kernel",
            "6.1",
            "--securityfs",
        ])
        .arg(&missing)
        .arg(&f);
        c
    });
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    let expected: String = LOADABLE_WRITES.iter().map(|(_, w)| *w).collect();
    assert_eq!(text(&out.stdout), expected);
    assert!(!missing.exists());

    let by_path = run({
        let mut c = imactl();
        c.args(["policy", "load", "--dry-run", "--by-path", "--securityfs"])
            .arg(&missing)
            .arg(&f);
        c
    });
    assert_eq!(by_path.status.code(), Some(0));
    assert!(text(&by_path.stderr).contains("has no IMA signature in security.ima"));
    let abs = fs::canonicalize(&f).unwrap();
    assert_eq!(text(&by_path.stdout), format!("{}\n", abs.display()));
}

#[test]
fn signed_policy_requirement_switches_to_by_path() {
    let sec = securityfs_dir();
    let target = sec.path().join("ima/policy");
    // The "loaded policy" the double shows when read.
    fs::write(&target, "appraise func=POLICY_CHECK appraise_type=imasig\n").unwrap();
    let d = tempfile::tempdir().unwrap();
    let f = write(d.path(), "next.policy", "measure func=BPRM_CHECK\n");
    let out = run({
        let mut c = imactl();
        c.args(["policy", "load", "--kernel", "6.12", "--securityfs"])
            .arg(sec.path())
            .arg(&f);
        c
    });
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    assert!(text(&out.stderr).contains("the loaded policy appraises POLICY_CHECK"));
    let abs = fs::canonicalize(&f).unwrap();
    let content = fs::read_to_string(&target).unwrap();
    assert!(
        content.starts_with(&format!("{}\n", abs.display())),
        "{content}"
    );
    assert!(text(&out.stdout).contains("by path"));
}

#[test]
fn load_without_policy_file_explains() {
    let sec = securityfs_dir();
    let d = tempfile::tempdir().unwrap();
    let f = write(d.path(), "p.policy", "measure func=BPRM_CHECK\n");
    let out = run({
        let mut c = imactl();
        c.args(["policy", "load", "--kernel", "6.1", "--securityfs"])
            .arg(sec.path())
            .arg(&f);
        c
    });
    assert_eq!(out.status.code(), Some(1));
    let stderr = text(&out.stderr);
    assert!(
        stderr.contains("No such file or directory (ENOENT)"),
        "{stderr}"
    );
    assert!(stderr.contains("already took its one policy"), "{stderr}");
}

#[test]
fn show_prints_a_readable_policy_and_explains_a_missing_one() {
    let sec = securityfs_dir();
    let policy = "measure func=BPRM_CHECK\nappraise func=KEXEC_KERNEL_CHECK appraise_type=imasig\n";
    fs::write(sec.path().join("ima/policy"), policy).unwrap();
    let out = run({
        let mut c = imactl();
        c.args(["policy", "show", "--securityfs"]).arg(sec.path());
        c
    });
    assert_eq!(out.status.code(), Some(0));
    assert_eq!(text(&out.stdout), policy);

    let empty = securityfs_dir();
    let out = run({
        let mut c = imactl();
        c.args(["policy", "show", "--securityfs"]).arg(empty.path());
        c
    });
    assert_eq!(out.status.code(), Some(1));
    assert!(text(&out.stderr).contains("IMA is not enabled"));
}

/// Runs a shell script in a private mount namespace (unshare -m), so that mounting
/// securityfs or sysfs there leaves the host untouched. `None` (with the reason) when this
/// machine cannot: not root, or no unshare(1).
fn in_private_mount_ns(script: &str) -> Result<Output, String> {
    // SAFETY: geteuid has no preconditions.
    if unsafe { libc::geteuid() } != 0 {
        return Err("needs root to mount".into());
    }
    let probe = Command::new("unshare")
        .args(["-m", "--propagation", "private", "true"])
        .output();
    match probe {
        Ok(o) if o.status.success() => {}
        Ok(o) => return Err(format!("unshare -m fails: {}", text(&o.stderr).trim())),
        Err(e) => return Err(format!("no unshare(1): {e}")),
    }
    let mut c = Command::new("unshare");
    c.args(["-m", "--propagation", "private", "sh", "-c", script])
        .env("IMACTL", IMACTL);
    Ok(run(c))
}

/// `imactl policy show` (read-only, so safe on a machine with IMA) mounts securityfs when
/// it is not mounted, and leaves it alone when it is. Only `show` is run against the real
/// securityfs: a real `load` here would change the host's IMA policy.
#[test]
fn securityfs_is_mounted_when_needed() {
    let script = r#"
        umount /sys/kernel/security 2>/dev/null
        "$IMACTL" policy show >/dev/null; echo "first=$?"
        "$IMACTL" policy show >/dev/null; echo "second=$?"
        stat -f -c 'type=%t' /sys/kernel/security
    "#;
    let out = match in_private_mount_ns(script) {
        Ok(o) => o,
        Err(why) => {
            skip("securityfs_is_mounted_when_needed", &why);
            return;
        }
    };
    let stderr = text(&out.stderr);
    let stdout = text(&out.stdout);
    assert_eq!(
        stderr
            .matches("mounted securityfs on /sys/kernel/security")
            .count(),
        1,
        "{stderr}"
    );
    assert!(!stderr.contains("mounted sysfs"), "{stderr}");
    assert!(stdout.contains("type=73636673"), "{stdout}");
}

/// As in a busybox initramfs where nothing is mounted: /sys is not sysfs, so imactl mounts
/// sysfs on /sys and then securityfs.
#[test]
fn sysfs_and_securityfs_are_mounted_in_a_bare_root() {
    let script = r#"
        mount -t tmpfs none /sys || exit 99
        "$IMACTL" policy show >/dev/null
        stat -f -c 'sys=%t' /sys
        stat -f -c 'sec=%t' /sys/kernel/security
    "#;
    let out = match in_private_mount_ns(script) {
        Ok(o) => o,
        Err(why) => {
            skip("sysfs_and_securityfs_are_mounted_in_a_bare_root", &why);
            return;
        }
    };
    let stderr = text(&out.stderr);
    let stdout = text(&out.stdout);
    assert!(stderr.contains("mounted sysfs on /sys"), "{stderr}");
    assert!(
        stderr.contains("mounted securityfs on /sys/kernel/security"),
        "{stderr}"
    );
    assert!(stdout.contains("sys=62656572"), "{stdout}");
    assert!(stdout.contains("sec=73636673"), "{stdout}");
}

#[test]
fn by_path_needs_a_final_newline() {
    let sec = securityfs_dir();
    let target = sec.path().join("ima/policy");
    fs::write(&target, "").unwrap();
    let d = tempfile::tempdir().unwrap();
    let f = write(d.path(), "p.policy", "measure func=BPRM_CHECK");
    let out = run({
        let mut c = imactl();
        c.args([
            "policy",
            "load",
            "--by-path",
            "--kernel",
            "6.1",
            "--securityfs",
        ])
        .arg(sec.path())
        .arg(&f);
        c
    });
    assert_eq!(out.status.code(), Some(1));
    assert!(text(&out.stderr).contains("does not end with a newline"));
    assert_eq!(fs::read_to_string(&target).unwrap(), "");
}
