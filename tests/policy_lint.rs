//! `imactl policy check` as a linter (issue 14, item 5): findings on stdout, one error per
//! typo quoted one way, a suggestion for a func written without its _CHECK, "1 rule",
//! distinct JSON codes for mask= and uid=, and a way to mark a warning as intended (the
//! shipped signed-policy.policy passes --strict).

use std::path::PathBuf;
use std::process::{Command, Output};

fn repo() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

fn check(text: &str, extra: &[&str]) -> Output {
    let t = tempfile::tempdir().unwrap();
    let f = t.path().join("p.policy");
    std::fs::write(&f, text).unwrap();
    Command::new(env!("CARGO_BIN_EXE_imactl"))
        .args(["policy", "check", "--kernel", "6.12"])
        .args(extra)
        .arg(&f)
        .output()
        .unwrap()
}

fn stdout(o: &Output) -> String {
    String::from_utf8_lossy(&o.stdout).into_owned()
}

#[test]
fn findings_are_on_stdout_so_grep_finds_them() {
    let o = check("measure func=FOO_CHECK\n", &[]);
    assert_eq!(o.status.code(), Some(1));
    assert!(
        stdout(&o).lines().any(|l| l.contains(": error: ")),
        "{}",
        stdout(&o)
    );
}

#[test]
fn a_func_without_check_gets_a_suggestion() {
    let o = check("appraise func=KEXEC_KERNEL appraise_type=imasig\n", &[]);
    assert!(
        stdout(&o).contains("did you mean `KEXEC_KERNEL_CHECK`?"),
        "{}",
        stdout(&o)
    );
}

#[test]
fn one_typo_is_one_error_quoted_one_way() {
    let o = check(
        "apraise func=KEXEC_KERNEL_CHECK appraise_type=imasig\n",
        &[],
    );
    let out = stdout(&o);
    let errors: Vec<_> = out.lines().filter(|l| l.contains(": error: ")).collect();
    assert_eq!(errors.len(), 1, "{out}");
    assert!(
        out.contains("`apraise`") && out.contains("did you mean `appraise`?"),
        "{out}"
    );
    assert!(!out.contains("did you mean appraise"), "{out}");
}

#[test]
fn one_rule_is_singular() {
    let out = stdout(&check("measure func=BPRM_CHECK\n", &[]));
    assert!(out.contains(": 1 rule, 0 errors, 0 warnings"), "{out}");
    let out = stdout(&check(
        "measure func=BPRM_CHECK\nmeasure func=FILE_CHECK\n",
        &[],
    ));
    assert!(out.contains(": 2 rules,"), "{out}");
}

#[test]
fn mask_and_uid_errors_have_their_own_codes() {
    let o = check(
        "measure func=FILE_CHECK mask=MAY_EXECC\nmeasure func=FILE_CHECK uid=root\n",
        &["--json"],
    );
    let v: serde_json::Value = serde_json::from_slice(&o.stdout).unwrap();
    let codes: Vec<&str> = v["files"][0]["diagnostics"]
        .as_array()
        .unwrap()
        .iter()
        .map(|d| d["code"].as_str().unwrap())
        .collect();
    assert_eq!(codes, ["bad-mask", "bad-id"]);
}

#[test]
fn the_shipped_signed_policy_passes_strict_and_the_marker_is_needed() {
    let f = repo().join("policies/signed-policy.policy");
    let o = Command::new(env!("CARGO_BIN_EXE_imactl"))
        .args(["policy", "check", "--strict", "--kernel", "6.12"])
        .arg(&f)
        .output()
        .unwrap();
    assert_eq!(o.status.code(), Some(0), "{}", stdout(&o));
    // Without the marker the warning is back: the marker, not a blanket silence, did it.
    let text = std::fs::read_to_string(&f)
        .unwrap()
        .replace("# imactl: intended policy-check\n", "");
    let o = check(&text, &["--strict"]);
    assert_eq!(o.status.code(), Some(1), "{}", stdout(&o));
    assert!(stdout(&o).contains("warning: appraise func=POLICY_CHECK"));
    // A marker names a check: another name leaves the warning.
    let o = check(
        "# imactl: intended shadowed\nappraise func=POLICY_CHECK appraise_type=imasig\n",
        &["--strict"],
    );
    assert_eq!(o.status.code(), Some(1), "{}", stdout(&o));
}
