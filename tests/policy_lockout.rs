//! `imactl policy load` refuses a policy that would lock the running system out of its own
//! programs. The real binary runs against a test root (`--root DIR`, hidden, as for
//! `imactl status`): tests/common/fake_system.rs describes it; the policy goes to its
//! securityfs double (`--securityfs`).

use std::fs;
use std::path::Path;
use std::process::{Command, Output};

#[path = "common/fake_system.rs"]
mod fake_system;
#[path = "common/skip.rs"]
mod skip;
use fake_system::{policies, sha256_value, stderr, two_unsigned, Sys, IMACTL, SIGNED_RULE};

/// `imactl policy load` against the fake system.
trait Load {
    fn load(&self, policy: &Path, extra: &[&str]) -> Output;
}

impl Load for Sys {
    fn load(&self, policy: &Path, extra: &[&str]) -> Output {
        Command::new(IMACTL)
            .args(["policy", "load", "--kernel", "6.12", "--root"])
            .arg(self.root.path())
            .arg("--securityfs")
            .arg(self.root.path().join("sec"))
            .args(extra)
            .arg(policy)
            .output()
            .expect("run imactl")
    }
}

/// The line number of the rule starting with `start` in `file`.
fn line_of(file: &Path, start: &str) -> usize {
    fs::read_to_string(file)
        .unwrap()
        .lines()
        .position(|l| l.starts_with(start))
        .expect("rule in the file")
        + 1
}

#[test]
fn signed_programs_policy_is_refused_when_programs_are_unsigned() {
    let Some(mut sys) = Sys::new(
        "signed_programs_policy_is_refused_when_programs_are_unsigned",
        "ro quiet\n",
    ) else {
        return;
    };
    let (none, hashed) = two_unsigned(&mut sys);
    let policy = policies().join("signed-programs.policy");
    let o = sys.load(&policy, &[]);
    let err = stderr(&o);
    assert_eq!(o.status.code(), Some(1), "{err}");
    assert_eq!(sys.written(), "", "nothing may be written: {err}");
    assert!(err.contains("2 of the 2 files"), "{err}");
    assert!(err.contains(&none.display().to_string()), "{err}");
    assert!(err.contains(&hashed.display().to_string()), "{err}");
    assert!(
        err.contains("no security.ima (IMA-signature-required) at BPRM_CHECK"),
        "{err}"
    );
    assert!(
        err.contains("security.ima holds a hash where the rule requires a signature"),
        "{err}"
    );
    let line = line_of(&policy, SIGNED_RULE);
    assert!(
        err.contains(&format!("line {line}: {SIGNED_RULE}")),
        "{err}"
    );
    for way in ["evmctl ima_sign -r --key", "ima_appraise=log", "--force"] {
        assert!(err.contains(way), "{way}: {err}");
    }
    assert!(err.contains("nothing was written"), "{err}");
}

#[test]
fn force_loads_despite_the_finding() {
    let Some(mut sys) = Sys::new("force_loads_despite_the_finding", "ro quiet\n") else {
        return;
    };
    two_unsigned(&mut sys);
    let o = sys.load(&policies().join("signed-programs.policy"), &["--force"]);
    let err = stderr(&o);
    assert_eq!(o.status.code(), Some(0), "{err}");
    assert!(err.contains("warning (--force): 2 of the 2 files"), "{err}");
    assert!(
        sys.written().contains(&format!("{SIGNED_RULE}\n")),
        "{}",
        sys.written()
    );
}

#[test]
fn a_policy_without_exec_appraisal_is_not_affected() {
    let Some(mut sys) = Sys::new("a_policy_without_exec_appraisal_is_not_affected", "ro\n") else {
        return;
    };
    two_unsigned(&mut sys);
    let o = sys.load(&policies().join("kexec.policy"), &[]);
    let err = stderr(&o);
    assert_eq!(o.status.code(), Some(0), "{err}");
    assert!(!err.contains("would be refused"), "{err}");
    assert!(sys.written().contains("appraise func=KEXEC_KERNEL_CHECK"));
}

#[test]
fn appraisal_in_log_mode_warns_and_loads() {
    let Some(mut sys) = Sys::new(
        "appraisal_in_log_mode_warns_and_loads",
        "ro ima_appraise=log quiet\n",
    ) else {
        return;
    };
    two_unsigned(&mut sys);
    let o = sys.load(&policies().join("signed-programs.policy"), &[]);
    let err = stderr(&o);
    assert_eq!(o.status.code(), Some(0), "{err}");
    assert!(err.contains("imactl: warning: 2 of the 2 files"), "{err}");
    assert!(
        err.contains("does not enforce on this boot (ima_appraise=log"),
        "{err}"
    );
    assert!(sys.written().contains(&format!("{SIGNED_RULE}\n")));
}

#[test]
fn dry_run_reports_what_a_real_load_would_refuse() {
    let Some(mut sys) = Sys::new("dry_run_reports_what_a_real_load_would_refuse", "ro\n") else {
        return;
    };
    two_unsigned(&mut sys);
    let o = sys.load(&policies().join("signed-programs.policy"), &["--dry-run"]);
    let err = stderr(&o);
    assert_eq!(o.status.code(), Some(0), "{err}");
    assert!(
        err.contains("dry run: a real load would refuse this policy: 2 of the 2 files"),
        "{err}"
    );
    assert_eq!(sys.written(), "");
}

/// Without appraise_type, a hash is enough when it matches the content: the matching hash
/// passes; a stale hash (invalid-hash) and none (missing-hash) are refused. Files owned by
/// another user are outside fowner=0, and a file two processes run counts once.
#[test]
fn hashes_are_checked_against_the_content() {
    let Some(mut sys) = Sys::new("hashes_are_checked_against_the_content", "ro\n") else {
        return;
    };
    let good = sys.file("good", b"good program", Some(sha256_value(b"good program")));
    let stale = sys.file(
        "stale",
        b"changed program",
        Some(sha256_value(b"old program")),
    );
    let none = sys.file("none", b"no value", None);
    let users = sys.file("users", b"user's program", None);
    std::os::unix::fs::chown(&users, Some(1000), Some(1000)).unwrap();
    for p in [&good, &stale, &none, &users, &none] {
        sys.process(p, &[]);
    }
    let policy = sys.policy("hash.policy", "appraise func=BPRM_CHECK fowner=0\n");
    let o = sys.load(&policy, &[]);
    let err = stderr(&o);
    assert_eq!(o.status.code(), Some(1), "{err}");
    assert!(err.contains("2 of the 4 files"), "{err}");
    assert!(
        err.contains(
            "the sha256 hash in security.ima does not match the file (invalid-hash) at BPRM_CHECK"
        ),
        "{err}"
    );
    assert!(
        err.contains("no security.ima (missing-hash) at BPRM_CHECK"),
        "{err}"
    );
    assert!(!err.contains(&format!("{}:", good.display())), "{err}");
    assert!(!err.contains(&users.display().to_string()), "{err}");
    assert!(
        err.contains("line 1: appraise func=BPRM_CHECK fowner=0"),
        "{err}"
    );
    assert_eq!(sys.written(), "");
}

#[test]
fn at_most_ten_files_are_listed() {
    let Some(mut sys) = Sys::new("at_most_ten_files_are_listed", "ro\n") else {
        return;
    };
    for i in 0..13 {
        let p = sys.file(&format!("prog{i}"), format!("program {i}").as_bytes(), None);
        sys.process(&p, &[]);
    }
    let o = sys.load(&policies().join("signed-programs.policy"), &[]);
    let err = stderr(&o);
    assert_eq!(o.status.code(), Some(1), "{err}");
    assert!(err.contains("13 of the 13 files"), "{err}");
    assert!(err.contains("  ... and 3 more"), "{err}");
    assert_eq!(err.matches("\n      line ").count(), 10, "{err}");
}

/// An MMAP_CHECK rule reaches the files a process maps executable (maps lines with x); a
/// BPRM_CHECK-only policy does not look at them.
#[test]
fn mapped_libraries_are_checked_under_an_mmap_rule() {
    let Some(mut sys) = Sys::new("mapped_libraries_are_checked_under_an_mmap_rule", "ro\n") else {
        return;
    };
    let prog = sys.file(
        "prog",
        b"signed-looking program",
        Some(sha256_value(b"signed-looking program")),
    );
    let lib = sys.file("libfoo.so.1", b"library", None);
    sys.process(&prog, &[&lib]);
    let mmap = sys.policy("mmap.policy", "appraise func=MMAP_CHECK fowner=0\n");
    let o = sys.load(&mmap, &[]);
    let err = stderr(&o);
    assert_eq!(o.status.code(), Some(1), "{err}");
    assert!(err.contains("1 of the 2 files"), "{err}");
    assert!(
        err.contains(&format!(
            "{} (mapped executable of pid 100): no security.ima (missing-hash) at MMAP_CHECK",
            lib.display()
        )),
        "{err}"
    );
    // The same library under a BPRM_CHECK rule: not looked at.
    let bprm = sys.policy("bprm.policy", "appraise func=BPRM_CHECK fowner=0\n");
    let o = sys.load(&bprm, &[]);
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
}

/// A rule whose match depends on an LSM label cannot be judged here: a warning naming the
/// file and why, and the policy loads.
#[test]
fn unknown_matches_warn_and_load() {
    let Some(mut sys) = Sys::new("unknown_matches_warn_and_load", "ro\n") else {
        return;
    };
    let p = sys.file("labelled", b"labelled program", None);
    sys.process(&p, &[]);
    let policy = sys.policy(
        "lsm.policy",
        "appraise func=BPRM_CHECK obj_type=bin_t appraise_type=imasig\n",
    );
    let o = sys.load(&policy, &[]);
    let err = stderr(&o);
    assert_eq!(o.status.code(), Some(0), "{err}");
    assert!(
        err.contains("1 file this system runs now could not be judged"),
        "{err}"
    );
    assert!(
        err.contains("obj_type=bin_t: LSM labels are not evaluated here"),
        "{err}"
    );
    assert!(sys.written().contains("obj_type=bin_t"));
}

/// A program replaced since its process started (the kernel shows "PATH (deleted)"): the
/// next exec runs the file now at PATH, so that one is judged.
#[test]
fn a_replaced_program_is_judged_by_the_file_now_at_its_path() {
    let Some(sys) = Sys::new(
        "a_replaced_program_is_judged_by_the_file_now_at_its_path",
        "ro\n",
    ) else {
        return;
    };
    let new = sys.file("sshd", b"new sshd, unsigned", None);
    let dir = sys.root.path().join("proc/300");
    fs::create_dir_all(&dir).unwrap();
    std::os::unix::fs::symlink(format!("{} (deleted)", new.display()), dir.join("exe")).unwrap();
    let o = sys.load(&policies().join("signed-programs.policy"), &[]);
    let err = stderr(&o);
    assert_eq!(o.status.code(), Some(1), "{err}");
    assert!(
        err.contains(&format!(
            "{} (program of pid 300): no security.ima",
            new.display()
        )),
        "{err}"
    );
}

/// A program with a signature in security.ima: it is verified with the keys of the IMA
/// keyring, as `imactl verify` does; a test root has none to offer, so the signature cannot
/// be checked: a warning that names the file, not a refusal, and the policy loads.
#[test]
fn a_signature_that_cannot_be_checked_is_a_warning() {
    let Some(mut sys) = Sys::new("a_signature_that_cannot_be_checked_is_a_warning", "ro\n") else {
        return;
    };
    // A v2 signature header (sha256, key id deadbeef) and 16 bytes of signature.
    let mut sig = vec![0x03, 0x02, 0x04, 0xde, 0xad, 0xbe, 0xef, 0x00, 0x10];
    sig.extend_from_slice(&[0x5a; 16]);
    let signed = sys.file("signed", b"signed program", Some(sig));
    sys.process(&signed, &[]);
    let o = sys.load(&policies().join("signed-programs.policy"), &[]);
    let err = stderr(&o);
    assert_eq!(o.status.code(), Some(0), "{err}");
    assert!(
        err.contains("1 file this system runs now could not be judged"),
        "{err}"
    );
    let line = line_of(&policies().join("signed-programs.policy"), SIGNED_RULE);
    assert!(
        err.contains(&format!(
            "{} (program of pid 100): line {line} (BPRM_CHECK): its signature could not be checked",
            signed.display()
        )),
        "{err}"
    );
    assert!(!err.contains("would be refused"), "{err}");
    assert!(sys.written().contains(&format!("{SIGNED_RULE}\n")));
}

/// With EVM holding a key (securityfs integrity/evm/evm with bit 0 or 1 set), appraisal
/// also checks security.evm, which the check does not: a file that passes on its
/// security.ima is reported unknown instead.
#[test]
fn evm_with_a_key_makes_a_passing_file_unknown() {
    let Some(mut sys) = Sys::new("evm_with_a_key_makes_a_passing_file_unknown", "ro\n") else {
        return;
    };
    let good = sys.file("good", b"good program", Some(sha256_value(b"good program")));
    sys.process(&good, &[]);
    let policy = sys.policy("hash.policy", "appraise func=BPRM_CHECK fowner=0\n");
    let o = sys.load(&policy, &[]);
    let err = stderr(&o);
    assert_eq!(o.status.code(), Some(0), "{err}");
    assert!(!err.contains("could not be judged"), "{err}");
    fs::create_dir_all(sys.root.path().join("sec/integrity/evm")).unwrap();
    fs::write(sys.root.path().join("sec/integrity/evm/evm"), "1\n").unwrap();
    let o = sys.load(&policy, &[]);
    let err = stderr(&o);
    assert_eq!(o.status.code(), Some(0), "{err}");
    assert!(
        err.contains("1 file this system runs now could not be judged"),
        "{err}"
    );
    assert!(err.contains("EVM has a key loaded (evm=1)"), "{err}");
}

/// Under Secure Boot the kernel ignores ima_appraise= and enforces: the finding stops the
/// load as without the parameter. The kernel's view of Secure Boot is boot_params byte
/// 0x1ec (3: enabled), as `imactl status` reads it.
#[test]
fn secure_boot_overrides_ima_appraise_log() {
    let Some(mut sys) = Sys::new(
        "secure_boot_overrides_ima_appraise_log",
        "ro ima_appraise=log\n",
    ) else {
        return;
    };
    two_unsigned(&mut sys);
    let dir = sys.root.path().join("sys/kernel/boot_params");
    fs::create_dir_all(&dir).unwrap();
    let mut params = vec![0u8; 0x1000];
    params[0x1ec] = 3;
    fs::write(dir.join("data"), params).unwrap();
    let o = sys.load(&policies().join("signed-programs.policy"), &[]);
    let err = stderr(&o);
    assert_eq!(o.status.code(), Some(1), "{err}");
    assert!(err.contains("imactl: error: 2 of the 2 files"), "{err}");
    assert_eq!(sys.written(), "");
}
