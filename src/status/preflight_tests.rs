//! The gates' reading of the policy, as the kernel's ima_appraise_signature() and
//! ima_match_policy() read it.

use super::*;
use crate::status::compressed::Compression;

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
                revoked: None,
                revocation_lists: vec![],
                revocation_known: true,
            },
            initrd: None,
            compression: None,
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

/// A machine without lockdown or PE enforcement, with `policy` in force, and an image whose
/// own security.ima verifies.
fn signed_image(policy: &str, compression: Option<Compression>) -> (Facts, Evidence) {
    use crate::status::KernelConfig;
    let f = Facts {
        lockdown: Some("[none] integrity confidentiality\n".into()),
        policy: PolicyFile::Readable(policy.into()),
        config: Some(KernelConfig::parse(
            "t",
            "CONFIG_IMA_APPRAISE=y\nCONFIG_KEXEC_SIG=y\nCONFIG_KEXEC_BZIMAGE_VERIFY_SIG=y\n\
             CONFIG_INTEGRITY_TRUSTED_KEYRING=y\n",
        )),
        ..Facts::default()
    };
    let ev = Evidence {
        image: FileEvidence {
            path: "/boot/Image.gz".into(),
            ima: ImaCheck::ValidSignature("key id:0011, in .ima".into()),
            modsig: None,
        },
        pe: PeCheck {
            present: false,
            signer: None,
            digest_matches: None,
            problem: Some("not a PE image the kernel can check".into()),
            trusted_by: None,
            lists: vec![],
            trust_known: true,
            revoked: None,
            revocation_lists: vec![],
            revocation_known: true,
        },
        initrd: None,
        compression,
    };
    (f, ev)
}

const IMASIG: &str = "appraise func=KEXEC_KERNEL_CHECK appraise_type=imasig\n";

fn gate<'a>(p: &'a Preflight, name: &str) -> &'a Gate {
    &p.gates.iter().find(|(n, _)| n == name).unwrap().1
}

#[test]
fn a_signed_gzip_image_is_refused_on_arm64_because_the_copy_is_appraised() {
    let (f, ev) = signed_image(IMASIG, Some(Compression::Gzip));
    let p = predict_on(&f, ev, true, "aarch64");
    assert_eq!(p.prediction, "refuse", "{p:?}");
    assert!(
        p.reason.starts_with(
            "/boot/Image.gz is gzip-compressed: kexec-tools decompresses it into a temporary file"
        ),
        "{}",
        p.reason
    );
    assert!(
        p.reason.contains("which has no security.ima"),
        "{}",
        p.reason
    );
    assert!(
        p.reason
            .ends_with("Sign the uncompressed Image and load that"),
        "{}",
        p.reason
    );
    assert!(matches!(gate(&p, "ima-image"), Gate::Refuse(_)));
    assert!(matches!(gate(&p, "format"), Gate::Pass(_)));
    assert!(p.to_text().contains("compression:    gzip-compressed"));
}

#[test]
fn the_same_signature_on_an_uncompressed_image_loads() {
    let (f, ev) = signed_image(IMASIG, None);
    let p = predict_on(&f, ev, true, "aarch64");
    assert_eq!(
        (p.prediction, p.reason.as_str()),
        ("load", "every gate passes")
    );
    assert!(!p.gates.iter().any(|(n, _)| n == "format"));
}

#[test]
fn on_x86_64_a_compressed_image_is_refused_for_want_of_a_bzimage_too() {
    let (f, ev) = signed_image(IMASIG, Some(Compression::Gzip));
    let p = predict_on(&f, ev, true, "x86_64");
    assert_eq!(p.prediction, "refuse", "{p:?}");
    assert!(p.reason.contains("takes only a bzImage"), "{}", p.reason);
    assert!(
        p.reason.contains("cannot determine its file type"),
        "{}",
        p.reason
    );
    for c in [
        Compression::Xz,
        Compression::Lzma,
        Compression::Zstd,
        Compression::EfiZboot("zstd".into()),
    ] {
        let (f, ev) = signed_image(IMASIG, Some(c));
        let p = predict_on(&f, ev, true, "aarch64");
        assert_eq!(p.prediction, "refuse", "{p:?}");
        assert!(
            p.reason.contains("no signature on it counts"),
            "{}",
            p.reason
        );
    }
}

#[test]
fn without_an_appraise_rule_the_copy_is_not_appraised() {
    // arm64 gzip: kexec-tools decompresses it, nothing appraises the copy: it loads.
    let (f, ev) = signed_image("measure func=KEXEC_KERNEL_CHECK\n", Some(Compression::Gzip));
    let p = predict_on(&f, ev, true, "aarch64");
    assert_eq!(p.prediction, "load", "{p:?}");
    // Elsewhere it depends on kexec-tools' version and build: never "load".
    let (f, ev) = signed_image("", Some(Compression::Gzip));
    let p = predict_on(&f, ev, true, "x86_64");
    assert_eq!(p.prediction, "unknown", "{p:?}");
    assert!(
        p.reason.contains("depends on its version and build"),
        "{}",
        p.reason
    );
    // appraisal not enforcing: the copy passes IMA, as the image would
    let (f, ev) = signed_image(IMASIG, Some(Compression::Gzip));
    assert_eq!(predict_on(&f, ev, false, "aarch64").prediction, "load");
}

/// A PE-signed, uncompressed image on a kernel that enforces PE signatures
/// (KEXEC_SIG_FORCE) with `verify` as the loader's verification option, no IMA rule.
fn pe_signed_image(verify: &str) -> (Facts, Evidence) {
    use crate::status::KernelConfig;
    let f = Facts {
        lockdown: Some("[none] integrity confidentiality\n".into()),
        policy: PolicyFile::Readable(String::new()),
        config: Some(KernelConfig::parse(
            "t",
            &format!("CONFIG_KEXEC_SIG=y\nCONFIG_KEXEC_SIG_FORCE=y\n{verify}"),
        )),
        ..Facts::default()
    };
    let (_, mut ev) = signed_image("", None);
    ev.image.path = "/boot/vmlinuz".into();
    ev.image.ima = ImaCheck::None;
    ev.pe = PeCheck {
        present: true,
        signer: Some("CN=Distribution signing key".into()),
        digest_matches: Some(true),
        problem: None,
        trusted_by: Some("db[0] CN=Distribution CA".into()),
        lists: vec!["db: 1 certificate".into()],
        trust_known: true,
        revoked: None,
        revocation_lists: vec![],
        revocation_known: true,
    };
    (f, ev)
}

#[test]
fn each_architecture_has_its_own_pe_verification_option() {
    // arm64's Image loader verifies with KEXEC_IMAGE_VERIFY_SIG, x86's bzImage loader
    // with KEXEC_BZIMAGE_VERIFY_SIG; the other one's option does nothing.
    for (arch, option, other) in [
        (
            "aarch64",
            "KEXEC_IMAGE_VERIFY_SIG",
            "KEXEC_BZIMAGE_VERIFY_SIG",
        ),
        (
            "x86_64",
            "KEXEC_BZIMAGE_VERIFY_SIG",
            "KEXEC_IMAGE_VERIFY_SIG",
        ),
    ] {
        let (f, ev) = pe_signed_image(&format!("CONFIG_{option}=y\n"));
        let p = predict_on(&f, ev, true, arch);
        assert_eq!(p.prediction, "load", "{arch}: {p:?}");
        assert!(matches!(gate(&p, "pe"), Gate::Pass(_)), "{arch}: {p:?}");

        // Without the loader's option, kexec_image_verify_sig() rejects every image,
        // and PE signatures are enforced.
        let (f, ev) = pe_signed_image(&format!("CONFIG_{other}=y\n"));
        let p = predict_on(&f, ev, true, arch);
        assert_eq!(p.prediction, "refuse", "{arch}: {p:?}");
        assert!(
            p.reason
                .contains(&format!("a PE signature, but CONFIG_{option} is not set")),
            "{arch}: {}",
            p.reason
        );
    }
    // An architecture whose loader is not modelled: never a guess.
    let (f, ev) = pe_signed_image("CONFIG_KEXEC_BZIMAGE_VERIFY_SIG=y\n");
    let p = predict_on(&f, ev, true, "powerpc64");
    assert_eq!(p.prediction, "unknown", "{p:?}");
    assert!(p.reason.contains("powerpc64"), "{}", p.reason);
}

/// kimage_validate_signature() treats a revoked signature (-EKEYREJECTED) like any failed
/// PE check: refused where PE signatures are enforced, loaded where nothing demands one.
#[test]
fn a_revoked_signature_fails_the_pe_check_like_any_other() {
    use crate::status::KernelConfig;
    let machine = |extra: &str| Facts {
        lockdown: Some("[none] integrity confidentiality\n".into()),
        policy: PolicyFile::Readable(String::new()),
        config: Some(KernelConfig::parse(
            "t",
            &format!("CONFIG_KEXEC_SIG=y\nCONFIG_KEXEC_BZIMAGE_VERIFY_SIG=y\n{extra}"),
        )),
        ..Facts::default()
    };
    let pe = |revoked: Option<&str>, known: bool| PeCheck {
        present: true,
        signer: Some("CN=db".into()),
        digest_matches: Some(true),
        problem: None,
        trusted_by: Some("db[0] 'CN=db' (.platform)".into()),
        lists: vec![],
        trust_known: true,
        revoked: revoked.map(str::to_string),
        revocation_lists: vec!["dbx: not readable (a directory)".into()],
        revocation_known: known,
    };
    let forced = machine("CONFIG_KEXEC_SIG_FORCE=y\n");
    let g = pe_gate(
        &forced,
        &pe(Some("dbx revokes the signer certificate CN=db"), true),
        true,
        "x86_64",
    );
    let Gate::Refuse(r) = g else { panic!("{g:?}") };
    assert!(
        r.contains("revoked (the kernel's check fails with EKEYREJECTED): dbx revokes the signer"),
        "{r}"
    );
    // Not enforced, no lockdown: the kernel loads it anyway.
    let open = machine("");
    let g = pe_gate(&open, &pe(Some("dbx revokes ..."), true), true, "x86_64");
    assert!(matches!(g, Gate::Pass(_)), "{g:?}");
    // A list not read: unknown where the signature is needed, a pass where it is not.
    let g = pe_gate(&forced, &pe(None, false), true, "x86_64");
    let Gate::Unknown(r) = g else { panic!("{g:?}") };
    assert!(r.contains("dbx: not readable"), "{r}");
    assert!(matches!(
        pe_gate(&open, &pe(None, false), true, "x86_64"),
        Gate::Pass(_)
    ));
    assert!(matches!(
        pe_gate(&forced, &pe(None, true), true, "x86_64"),
        Gate::Pass(_)
    ));
}
