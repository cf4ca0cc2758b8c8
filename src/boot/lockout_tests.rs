//! The lockout check in the boot step: a policy under which the kernel would refuse
//! programs this system runs now is not loaded while appraisal enforces; --force and
//! appraisal that only logs load it with the finding as notes; a policy that appraises no
//! exec, or one already in force, is not checked.

use std::path::{Path, PathBuf};

use super::{cfg, errors, Fake};
use crate::boot::{run, BootVerdict, PolicyOutcome};
use crate::policy::lockout::{Finding, Judged, Outcome, Role, RuleRef};
use crate::policy::lockout_report::{Assessment, Decision};

const EXEC_RULE: &str = "appraise func=BPRM_CHECK fowner=0 appraise_type=imasig";

fn refused(path: &str, pid: &str) -> Judged {
    Judged {
        path: path.into(),
        role: Role::Program,
        pid: pid.into(),
        outcome: Outcome::Refused {
            cause: "no security.ima (IMA-signature-required) at BPRM_CHECK".into(),
            rule: RuleRef {
                line: 2,
                text: EXEC_RULE.into(),
            },
        },
    }
}

/// A system running 5 files, 2 of which (systemd, its libc) the new rules would refuse.
fn finding(enforcing: bool, mode: Option<&str>) -> Assessment {
    Assessment {
        finding: Finding {
            files: 5,
            processes: 3,
            mapped_checked: false,
            refused: vec![
                refused("/usr/lib/systemd/systemd", "1"),
                refused("/usr/sbin/sshd", "612"),
            ],
            ..Finding::default()
        },
        enforcing,
        mode: mode.map(str::to_string),
    }
}

/// A fake system whose policy appraises every root-owned program, and whose lockout check
/// finds `a`.
fn fake(a: Assessment) -> Fake {
    let mut f = Fake::new();
    f.files.insert(
        PathBuf::from("/etc/ima/ima-policy"),
        format!("measure func=KEXEC_KERNEL_CHECK\n{EXEC_RULE}\n").into_bytes(),
    );
    f.lockout = Some(a);
    f
}

const HEADLINE: &str = "2 of the 5 files this system runs now (the programs of its processes) would be refused (EACCES) at their next exec under /etc/ima/ima-policy:";

#[test]
fn running_programs_refused_under_enforcing_appraisal_stop_the_load() {
    let mut f = fake(finding(true, None));
    let r = run(&cfg(), &mut f);
    let PolicyOutcome::Failed { error } = &r.policy.outcome else {
        panic!("not refused: {}", errors(&r));
    };
    let want = format!(
        "{HEADLINE}
  /usr/lib/systemd/systemd (program of pid 1): no security.ima (IMA-signature-required) at BPRM_CHECK
      line 2: {EXEC_RULE}
  /usr/sbin/sshd (program of pid 612): no security.ima (IMA-signature-required) at BPRM_CHECK
      line 2: {EXEC_RULE}
  hint: sign them first: `evmctl ima_sign -r --key KEY DIR` for each directory holding them, with the certificate's key in the IMA keyring (`imactl key import CERT`)
  hint: or try the policy with ima_appraise=log on the kernel command line: the kernel then logs each file it would refuse and runs it anyway
  hint: or load it anyway with `imactl boot --force`"
    );
    assert_eq!(error, &want);
    assert!(f.written.borrow().is_empty(), "nothing may be written");
    assert!(
        !f.files.contains_key(Path::new("/run/imaevm/policy-loaded")),
        "no record of a load that did not happen"
    );
    assert_eq!(r.verdict(), BootVerdict::NotInForce);
    // The check ran once, on the live root, after both certificates were imported.
    assert_eq!(f.lockout_calls, [(PathBuf::from("/"), 2)]);
    let summary = r.policy.lockout.as_ref().expect("the lockout summary");
    assert_eq!(summary.decision, Decision::Refused);
    assert_eq!((summary.files, summary.refused), (5, 2));
    assert_eq!(summary.refused_files[0].path, "/usr/lib/systemd/systemd");
    assert_eq!(summary.refused_files[1].line, 2);
}

#[test]
fn the_refusal_is_machine_readable_in_json() {
    let mut f = fake(finding(true, None));
    let r = run(&cfg(), &mut f);
    let v = serde_json::to_value(&r.policy).unwrap();
    assert_eq!(v["result"], "failed", "{v}");
    assert!(v["error"].as_str().unwrap().starts_with(HEADLINE), "{v}");
    let l = &v["lockout"];
    assert_eq!(l["decision"], "refused", "{v}");
    assert_eq!(l["enforcing"], true, "{v}");
    assert_eq!(l["files"], 5, "{v}");
    assert_eq!(l["refused"], 2, "{v}");
    assert_eq!(l["refused_files"][1]["path"], "/usr/sbin/sshd", "{v}");
    assert_eq!(l["refused_files"][1]["role"], "program", "{v}");
    assert_eq!(l["refused_files"][1]["pid"], "612", "{v}");
    assert_eq!(l["refused_files"][1]["rule"], EXEC_RULE, "{v}");
    assert_eq!(l["unknown"], 0, "{v}");
}

#[test]
fn force_loads_with_the_finding_as_a_note() {
    let mut f = fake(finding(true, None));
    let mut c = cfg();
    c.force = true;
    let r = run(&c, &mut f);
    assert!(
        matches!(r.policy.outcome, PolicyOutcome::Loaded { rules: 2, .. }),
        "{}",
        errors(&r)
    );
    assert_eq!(f.written.borrow().len(), 2);
    assert_eq!(r.verdict(), BootVerdict::InForce);
    assert!(
        r.policy.notes[0].starts_with(&format!(
            "warning (--force): {HEADLINE}\n  /usr/lib/systemd/systemd (program of pid 1)"
        )),
        "{:?}",
        r.policy.notes
    );
    assert_eq!(
        r.policy.notes[1],
        "loading anyway (--force): once it is loaded, the kernel refuses these files"
    );
    assert!(
        !r.policy.notes.iter().any(|n| n.contains("hint:")),
        "{:?}",
        r.policy.notes
    );
    assert_eq!(
        r.policy.lockout.as_ref().unwrap().decision,
        Decision::Forced
    );
}

#[test]
fn appraisal_that_only_logs_loads_with_the_finding_as_a_note() {
    let mut f = fake(finding(false, Some("log")));
    let r = run(&cfg(), &mut f);
    assert!(
        matches!(r.policy.outcome, PolicyOutcome::Loaded { rules: 2, .. }),
        "{}",
        errors(&r)
    );
    assert!(
        r.policy.notes[0].starts_with(&format!("warning: {HEADLINE}\n")),
        "{:?}",
        r.policy.notes
    );
    assert_eq!(
        r.policy.notes[1],
        "IMA appraisal does not enforce on this boot (ima_appraise=log, and Secure Boot, which would override it, is not seen on): the kernel logs each of these files and runs it anyway; loading"
    );
    assert_eq!(
        r.policy.lockout.as_ref().unwrap().decision,
        Decision::NotEnforcing
    );
    assert_eq!(r.verdict(), BootVerdict::InForce);
}

#[test]
fn a_policy_that_appraises_no_exec_is_not_checked() {
    // The standard POLICY appraises KEXEC_KERNEL_CHECK only: whatever runs, it loads.
    let mut f = Fake::new();
    f.lockout = Some(finding(true, None));
    let r = run(&cfg(), &mut f);
    assert!(
        matches!(r.policy.outcome, PolicyOutcome::Loaded { rules: 2, .. }),
        "{}",
        errors(&r)
    );
    assert!(r.policy.lockout.is_none());
    assert!(r.policy.notes.is_empty(), "{:?}", r.policy.notes);
    let v = serde_json::to_value(&r.policy).unwrap();
    assert!(v.get("lockout").is_none(), "{v}");
}

#[test]
fn nothing_refused_loads_and_says_pass() {
    let mut f = fake(Assessment {
        finding: Finding {
            files: 5,
            processes: 3,
            ..Finding::default()
        },
        enforcing: true,
        mode: None,
    });
    let r = run(&cfg(), &mut f);
    assert!(r.policy.in_force(), "{}", errors(&r));
    assert!(r.policy.notes.is_empty(), "{:?}", r.policy.notes);
    assert_eq!(r.policy.lockout.as_ref().unwrap().decision, Decision::Pass);
}

#[test]
fn a_policy_already_in_force_is_not_checked_again() {
    let mut f = fake(finding(true, None));
    let mut c = cfg();
    c.force = true;
    assert_eq!(run(&c, &mut f).verdict(), BootVerdict::InForce);
    assert_eq!(f.lockout_calls.len(), 1);
    // The next run without --force: the record says it is in force; no check, no refusal.
    let r = run(&cfg(), &mut f);
    assert!(
        matches!(r.policy.outcome, PolicyOutcome::AlreadyInForce { .. }),
        "{}",
        errors(&r)
    );
    assert_eq!(f.lockout_calls.len(), 1, "not checked again");
    assert!(r.policy.lockout.is_none());
}

#[test]
fn the_configured_root_is_the_one_checked() {
    let mut f = fake(finding(true, None));
    let mut c = cfg();
    c.root = "/tmp/fake-root".into();
    run(&c, &mut f);
    assert_eq!(f.lockout_calls, [(PathBuf::from("/tmp/fake-root"), 2)]);
}
