//! `imactl boot` runs the lockout check of `imactl policy load` before it loads the policy:
//! the real binary against the fake system of tests/common/fake_system.rs (hidden
//! `--root DIR`), its certificates directory empty, the policy going to the securityfs
//! double. Needs root, as tests/policy_lockout.rs (otherwise SKIP).

use std::fs;
use std::path::Path;
use std::process::{Command, Output};

#[path = "common/fake_system.rs"]
mod fake_system;
#[path = "common/skip.rs"]
mod skip;
use fake_system::{policies, two_unsigned, Sys, IMACTL, SIGNED_RULE};

/// `imactl boot` against the fake system, with `policy`.
fn boot(sys: &Sys, policy: &Path, extra: &[&str]) -> Output {
    let root = sys.root.path();
    fs::create_dir_all(root.join("keys")).unwrap();
    Command::new(IMACTL)
        .arg("boot")
        .arg("--keys-dir")
        .arg(root.join("keys"))
        .arg("--kernel-cert")
        .arg(root.join("none.der"))
        .arg("--policy")
        .arg(policy)
        .arg("--securityfs")
        .arg(root.join("sec"))
        .arg("--state-dir")
        .arg(root.join("run"))
        .args(["--kernel", "6.12", "--root"])
        .arg(root)
        .args(extra)
        .output()
        .expect("run imactl")
}

fn shown(o: &Output) -> String {
    format!(
        "status {:?}\nstdout:\n{}\nstderr:\n{}",
        o.status.code(),
        String::from_utf8_lossy(&o.stdout),
        String::from_utf8_lossy(&o.stderr)
    )
}

fn stdout(o: &Output) -> String {
    String::from_utf8_lossy(&o.stdout).into_owned()
}

fn headline(policy: &Path) -> String {
    format!(
        "2 of the 2 files this system runs now (the programs of its processes) would be refused (EACCES) at their next exec under {}:",
        policy.display()
    )
}

#[test]
fn boot_refuses_a_policy_that_would_refuse_running_programs() {
    let Some(mut sys) = Sys::new(
        "boot_refuses_a_policy_that_would_refuse_running_programs",
        "ro quiet\n",
    ) else {
        return;
    };
    let (none, hashed) = two_unsigned(&mut sys);
    let policy = policies().join("signed-programs.policy");
    let o = boot(&sys, &policy, &[]);
    let out = stdout(&o);
    assert_eq!(o.status.code(), Some(1), "{}", shown(&o));
    assert_eq!(sys.written(), "", "nothing may be written: {}", shown(&o));
    assert!(
        !sys.root.path().join("run/policy-loaded").exists(),
        "no record of a load"
    );
    let first = format!(
        "policy: {}: error: {}\n  {} (program of pid 100): no security.ima (IMA-signature-required) at BPRM_CHECK\n",
        policy.display(),
        headline(&policy),
        none.display()
    );
    assert!(out.contains(&first), "{}", shown(&o));
    assert!(
        out.contains(&format!("  {} (program of pid 101): ", hashed.display())),
        "{}",
        shown(&o)
    );
    assert!(
        out.contains("  hint: or load it anyway with `imactl boot --force`\n"),
        "{}",
        shown(&o)
    );
    assert!(
        out.ends_with("imactl boot: the IMA policy is NOT in force\n"),
        "{}",
        shown(&o)
    );
}

#[test]
fn boot_refusal_in_json() {
    let Some(mut sys) = Sys::new("boot_refusal_in_json", "ro quiet\n") else {
        return;
    };
    let (none, _) = two_unsigned(&mut sys);
    let policy = policies().join("signed-programs.policy");
    let o = boot(&sys, &policy, &["--json"]);
    assert_eq!(o.status.code(), Some(1), "{}", shown(&o));
    let v: serde_json::Value = serde_json::from_slice(&o.stdout).expect("one JSON object");
    assert_eq!(v["verdict"], "not-in-force", "{v}");
    let p = &v["policy"];
    assert_eq!(p["result"], "failed", "{v}");
    assert!(
        p["error"].as_str().unwrap().starts_with(&headline(&policy)),
        "{v}"
    );
    let l = &p["lockout"];
    assert_eq!(l["decision"], "refused", "{v}");
    assert_eq!(l["enforcing"], true, "{v}");
    assert_eq!(
        (l["files"].as_u64(), l["refused"].as_u64()),
        (Some(2), Some(2)),
        "{v}"
    );
    assert_eq!(
        l["refused_files"][0]["path"],
        none.display().to_string(),
        "{v}"
    );
    assert_eq!(l["refused_files"][0]["pid"], "100", "{v}");
    assert_eq!(l["refused_files"][0]["rule"], SIGNED_RULE, "{v}");
    assert_eq!(sys.written(), "");
}

#[test]
fn boot_force_loads_with_a_warning_and_a_second_run_does_not_check_again() {
    let Some(mut sys) = Sys::new(
        "boot_force_loads_with_a_warning_and_a_second_run_does_not_check_again",
        "ro quiet\n",
    ) else {
        return;
    };
    two_unsigned(&mut sys);
    let policy = policies().join("signed-programs.policy");
    let o = boot(&sys, &policy, &["--force"]);
    let out = stdout(&o);
    assert_eq!(o.status.code(), Some(0), "{}", shown(&o));
    assert!(
        out.contains(&format!(
            "policy: warning (--force): {}\n",
            headline(&policy)
        )),
        "{}",
        shown(&o)
    );
    assert!(
        out.contains(
            "policy: loading anyway (--force): once it is loaded, the kernel refuses these files\n"
        ),
        "{}",
        shown(&o)
    );
    assert!(sys.written().contains(&format!("{SIGNED_RULE}\n")));
    // The same policy again, without --force: in force already (the record), not refused.
    let o = boot(&sys, &policy, &[]);
    let out = stdout(&o);
    assert_eq!(o.status.code(), Some(0), "{}", shown(&o));
    assert!(out.contains(": already in force: "), "{}", shown(&o));
    assert!(!out.contains("would be refused"), "{}", shown(&o));
}

#[test]
fn boot_with_appraisal_in_log_mode_warns_and_loads() {
    let Some(mut sys) = Sys::new(
        "boot_with_appraisal_in_log_mode_warns_and_loads",
        "ro ima_appraise=log quiet\n",
    ) else {
        return;
    };
    two_unsigned(&mut sys);
    let policy = policies().join("signed-programs.policy");
    let o = boot(&sys, &policy, &["--json"]);
    assert_eq!(o.status.code(), Some(0), "{}", shown(&o));
    let v: serde_json::Value = serde_json::from_slice(&o.stdout).expect("one JSON object");
    assert_eq!(v["policy"]["result"], "loaded", "{v}");
    assert_eq!(v["policy"]["lockout"]["decision"], "not-enforcing", "{v}");
    assert_eq!(v["policy"]["lockout"]["enforcing"], false, "{v}");
    let notes = v["policy"]["notes"].to_string();
    assert!(
        notes.contains(&format!(
            "warning: {}",
            headline(&policy).replace('"', "\\\"")
        )),
        "{v}"
    );
    assert!(
        notes.contains("does not enforce on this boot (ima_appraise=log"),
        "{v}"
    );
    assert!(sys.written().contains(&format!("{SIGNED_RULE}\n")));
}

#[test]
fn boot_with_a_policy_that_appraises_no_exec_is_not_checked() {
    let Some(mut sys) = Sys::new(
        "boot_with_a_policy_that_appraises_no_exec_is_not_checked",
        "ro\n",
    ) else {
        return;
    };
    two_unsigned(&mut sys);
    let o = boot(&sys, &policies().join("kexec.policy"), &["--json"]);
    assert_eq!(o.status.code(), Some(0), "{}", shown(&o));
    let v: serde_json::Value = serde_json::from_slice(&o.stdout).expect("one JSON object");
    assert_eq!(v["policy"]["result"], "loaded", "{v}");
    assert!(v["policy"].get("lockout").is_none(), "{v}");
    assert!(sys.written().contains("appraise func=KEXEC_KERNEL_CHECK"));
}
