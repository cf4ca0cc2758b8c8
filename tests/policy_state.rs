//! Issue 14, item 2: on a host where a load cannot work, imactl says which cause it is
//! (the LSM list in securityfs settles whether IMA is there; a present ima/ directory
//! without its policy file means the one policy of this boot was taken), and --dry-run
//! says when a real load would fail. A directory stands in for securityfs.

use std::path::Path;
use std::process::Output;

fn load(sec: &Path, extra: &[&str]) -> Output {
    std::process::Command::new(env!("CARGO_BIN_EXE_imactl"))
        .args(["policy", "load", "--kernel", "6.12", "--securityfs"])
        .arg(sec)
        .args(extra)
        .arg(Path::new(env!("CARGO_MANIFEST_DIR")).join("policies/kexec.policy"))
        .output()
        .unwrap()
}

fn stderr(o: &Output) -> String {
    String::from_utf8_lossy(&o.stderr).into_owned()
}

#[test]
fn a_load_says_which_cause_stops_it() {
    let t = tempfile::tempdir().unwrap();
    let sec = t.path();
    std::fs::write(
        sec.join("lsm"),
        "lockdown,capability,landlock,yama,apparmor\n",
    )
    .unwrap();
    let o = load(sec, &[]);
    assert_eq!(o.status.code(), Some(1), "{}", stderr(&o));
    let e = stderr(&o);
    assert!(e.contains("IMA is not enabled in this kernel"), "{e}");
    assert!(
        e.contains("lockdown,capability,landlock,yama,apparmor"),
        "{e}"
    );
    assert!(
        !e.contains(" or the kernel already took"),
        "still guessing: {e}"
    );

    std::fs::write(sec.join("lsm"), "lockdown,capability,integrity,apparmor\n").unwrap();
    std::fs::create_dir(sec.join("ima")).unwrap();
    let e = stderr(&load(sec, &[]));
    assert!(e.contains("already took its one policy this boot"), "{e}");
    assert!(!e.contains("IMA is not enabled"), "{e}");
}

#[test]
fn a_dry_run_says_when_a_real_load_would_fail() {
    let t = tempfile::tempdir().unwrap();
    let sec = t.path();
    std::fs::write(sec.join("lsm"), "capability,ima,evm\n").unwrap();
    std::fs::create_dir(sec.join("ima")).unwrap();
    let o = load(sec, &["--dry-run"]);
    let e = stderr(&o);
    assert!(e.contains("a real load would fail on this kernel"), "{e}");
    assert!(e.contains("already took its one policy"), "{e}");
    // Where a load can be made, the dry run says nothing of the kind.
    std::fs::write(sec.join("ima/policy"), "").unwrap();
    let e = stderr(&load(sec, &["--dry-run"]));
    assert!(!e.contains("would fail"), "{e}");
    assert_eq!(
        std::fs::read(sec.join("ima/policy")).unwrap(),
        b"",
        "a dry run wrote"
    );
}
