//! The gates' reading of the policy, as the kernel's ima_appraise_signature() and
//! ima_match_policy() read it.

use super::*;

fn rules_of(text: &str) -> Vec<ParsedRule> {
    parse_policy(text).rules
}

#[test]
fn lockdown_looks_at_the_first_appraise_rule_and_skips_dont_appraise() {
    let r = rules_of(
        "dont_appraise func=KEXEC_KERNEL_CHECK\nappraise func=KEXEC_KERNEL_CHECK appraise_type=imasig\n",
    );
    assert!(ima_vouches_for_lockdown(&r).is_some());
    let r = rules_of("appraise func=KEXEC_KERNEL_CHECK\nappraise appraise_type=imasig\n");
    assert!(ima_vouches_for_lockdown(&r).is_none());
    // A rule without func matches kexec images; its other conditions are not looked at.
    let r = rules_of("appraise fowner=0 appraise_type=imasig\n");
    assert!(ima_vouches_for_lockdown(&r).is_some());
    let r = rules_of("appraise func=MODULE_CHECK appraise_type=imasig\n");
    assert!(ima_vouches_for_lockdown(&r).is_none());
}

#[test]
fn the_deciding_rule_is_the_first_appraise_or_dont_appraise_for_the_hook() {
    let r = rules_of(
        "measure func=KEXEC_KERNEL_CHECK\ndont_appraise func=KEXEC_KERNEL_CHECK\nappraise func=KEXEC_KERNEL_CHECK appraise_type=imasig\n",
    );
    let d = deciding_rule(&r, Func::KexecKernelCheck).unwrap().unwrap();
    assert_eq!(d.rule.action, Action::DontAppraise);
    let r = rules_of("appraise func=KEXEC_INITRAMFS_CHECK appraise_type=imasig\n");
    assert!(deciding_rule(&r, Func::KexecKernelCheck).unwrap().is_none());
    assert!(deciding_rule(&r, Func::KexecInitramfsCheck)
        .unwrap()
        .is_some());
    // A rule narrowed by another condition: not judged here.
    let r = rules_of("appraise func=KEXEC_KERNEL_CHECK uid=0 appraise_type=imasig\n");
    assert!(deciding_rule(&r, Func::KexecKernelCheck).is_err());
}

#[test]
fn the_lockdown_word_is_the_selected_one() {
    let f = Facts {
        lockdown: Some("none [integrity] confidentiality\n".into()),
        ..Facts::default()
    };
    assert_eq!(lockdown(&f).as_deref(), Some("integrity"));
}

#[test]
fn text_from_files_cannot_forge_a_prediction_line() {
    let file = FileEvidence {
        path: "evil\nprediction: load".into(),
        ima: ImaCheck::None,
        modsig: None,
    };
    let p = Preflight {
        evidence: Evidence {
            image: file,
            pe: PeCheck {
                present: true,
                signer: Some("CN=x\nprediction: load".into()),
                digest_matches: Some(true),
                problem: None,
                trusted_by: None,
                lists: vec![],
                trust_known: true,
            },
            initrd: None,
        },
        gates: vec![("pe".into(), Gate::Refuse("r\nprediction: load".into()))],
        prediction: "refuse",
        reason: "r\nprediction: load".into(),
    };
    let t = p.to_text();
    let lines: Vec<&str> = t
        .lines()
        .filter(|l| l.starts_with("prediction: "))
        .collect();
    assert_eq!(
        lines,
        ["prediction: refuse (r\\x0aprediction: load)"],
        "{t}"
    );
}

#[test]
fn lockdown_is_inferred_only_where_the_configuration_decides() {
    use crate::status::KernelConfig;
    let with = |lines: &[&str], sb: Option<bool>| Facts {
        efi: true,
        secure_boot: sb,
        setup_mode: Some(false),
        config: Some(KernelConfig::parse("t", &lines.join("\n"))),
        ..Facts::default()
    };
    assert_eq!(lockdown(&with(&[], None)).as_deref(), Some("none"));
    let distro = [
        "CONFIG_SECURITY_LOCKDOWN_LSM=y",
        "CONFIG_LOCK_DOWN_IN_EFI_SECURE_BOOT=y",
    ];
    assert_eq!(
        lockdown(&with(&distro, Some(true))).as_deref(),
        Some("integrity")
    );
    assert_eq!(lockdown(&with(&distro, Some(false))), None);
}
