//! The policy rule table: each rule with the verdict expected from the 6.1, 6.12 and 7.2
//! profiles. A verdict is `ok` (no finding), `warn:CODE` (accepted, with that warning) or
//! `err:CODE` (refused, with that error among the findings). The coverage tests at the end
//! fail when a keyword, func, action or check has no row.

use std::collections::BTreeSet;

use imaevm::policy::parse::parse_policy;
use imaevm::policy::validate::{check_text, ERROR_CHECKS, WARNING_CHECKS};
use imaevm::policy::{Action, Func, Profile, Severity, Term, KEYWORDS};

/// (rule, 6.1, 6.12, 7.2)
const TABLE: &[(&str, &str, &str, &str)] = &[
    // Actions.
    ("measure", "ok", "ok", "ok"),
    ("dont_measure fsmagic=0x9fa0", "ok", "ok", "ok"),
    (
        "appraise func=BPRM_CHECK appraise_type=imasig",
        "ok",
        "ok",
        "ok",
    ),
    ("dont_appraise fsmagic=0x73636673", "ok", "ok", "ok"),
    ("audit func=BPRM_CHECK", "ok", "ok", "ok"),
    (
        "dont_audit func=BPRM_CHECK",
        "err:not-in-kernel",
        "err:not-in-kernel",
        "ok",
    ),
    ("hash func=FILE_CHECK", "ok", "ok", "ok"),
    ("dont_hash fsmagic=0x1021994", "ok", "ok", "ok"),
    ("func=BPRM_CHECK measure", "ok", "ok", "ok"),
    // Every func, with the read-back aliases.
    (
        "measure func=PATH_CHECK mask=MAY_READ uid=0",
        "ok",
        "ok",
        "ok",
    ),
    ("measure func=FILE_CHECK mask=MAY_WRITE", "ok", "ok", "ok"),
    ("measure func=FILE_MMAP mask=MAY_EXEC", "ok", "ok", "ok"),
    ("measure func=MMAP_CHECK mask=MAY_EXEC", "ok", "ok", "ok"),
    (
        "measure func=MMAP_CHECK_REQPROT mask=MAY_EXEC",
        "err:not-in-kernel",
        "ok",
        "ok",
    ),
    ("measure func=BPRM_CHECK mask=MAY_APPEND", "ok", "ok", "ok"),
    ("measure func=CREDS_CHECK", "ok", "ok", "ok"),
    (
        "appraise func=MODULE_CHECK appraise_type=imasig|modsig",
        "warn:modsig-config",
        "warn:modsig-config",
        "warn:modsig-config",
    ),
    (
        "appraise func=FIRMWARE_CHECK appraise_type=imasig",
        "ok",
        "ok",
        "ok",
    ),
    (
        "appraise func=KEXEC_KERNEL_CHECK appraise_type=imasig",
        "ok",
        "ok",
        "ok",
    ),
    (
        "appraise func=KEXEC_INITRAMFS_CHECK appraise_type=imasig|modsig",
        "warn:modsig-config",
        "warn:modsig-config",
        "warn:modsig-config",
    ),
    (
        "appraise func=POLICY_CHECK appraise_type=imasig",
        "warn:policy-check",
        "warn:policy-check",
        "warn:policy-check",
    ),
    ("measure func=POLICY_CHECK", "ok", "ok", "ok"),
    (
        "measure func=KEXEC_CMDLINE template=ima-buf",
        "ok",
        "ok",
        "ok",
    ),
    (
        "measure func=KEY_CHECK keyrings=.ima|_ima template=ima-buf",
        "ok",
        "ok",
        "ok",
    ),
    (
        "measure func=CRITICAL_DATA label=selinux uid=0 pcr=11",
        "ok",
        "ok",
        "ok",
    ),
    (
        "appraise func=SETXATTR_CHECK appraise_algos=sha256,sha384,sha512",
        "ok",
        "ok",
        "ok",
    ),
    // Conditions.
    ("measure mask=^MAY_READ uid=0", "ok", "ok", "ok"),
    ("measure fsname=tmpfs", "ok", "ok", "ok"),
    (
        "measure fs_subtype=fuse.sshfs",
        "err:not-in-kernel",
        "err:not-in-kernel",
        "ok",
    ),
    (
        "dont_measure fsuuid=6a4b31c2-5a8f-4d3b-9c8e-2f1a0b3c4d5e",
        "ok",
        "ok",
        "ok",
    ),
    ("measure func=BPRM_CHECK euid=0", "ok", "ok", "ok"),
    ("measure gid=100", "ok", "ok", "ok"),
    ("measure egid>1000", "ok", "ok", "ok"),
    ("appraise func=FILE_CHECK fowner=0", "ok", "ok", "ok"),
    ("measure fowner<1000 fgroup=0", "ok", "ok", "ok"),
    ("measure func=BPRM_CHECK uid>999", "ok", "ok", "ok"),
    (
        "measure obj_user=system_u obj_role=object_r obj_type=bin_t",
        "ok",
        "ok",
        "ok",
    ),
    (
        "dont_measure subj_user=u subj_role=r subj_type=unconfined_t",
        "ok",
        "ok",
        "ok",
    ),
    // Options.
    (
        "appraise func=BPRM_CHECK appraise_type=imasig permit_directio",
        "ok",
        "ok",
        "ok",
    ),
    ("measure func=BPRM_CHECK pcr=11", "ok", "ok", "ok"),
    (
        "measure func=FILE_CHECK template=ima-ng fsname=ext4 pcr=0",
        "ok",
        "ok",
        "ok",
    ),
    ("measure func=BPRM_CHECK template=ima-sig", "ok", "ok", "ok"),
    (
        "appraise func=MODULE_CHECK appraise_type=imasig|modsig appraise_flag=check_blacklist",
        "warn:modsig-config",
        "warn:blacklist-ignored",
        "warn:blacklist-ignored",
    ),
    (
        "appraise func=BPRM_CHECK appraise_type=imasig appraise_flag=check_blacklist",
        "err:func-term",
        "warn:blacklist-ignored",
        "warn:blacklist-ignored",
    ),
    (
        "appraise func=MODULE_CHECK appraise_flag=check_blacklist",
        "err:blacklist-signature",
        "warn:blacklist-ignored",
        "warn:blacklist-ignored",
    ),
    (
        "appraise func=BPRM_CHECK digest_type=verity appraise_type=sigv3",
        "ok",
        "ok",
        "ok",
    ),
    (
        "appraise func=BPRM_CHECK appraise_type=sigv3 digest_type=verity",
        "err:verity-order",
        "err:verity-order",
        "err:verity-order",
    ),
    (
        "appraise func=FILE_CHECK appraise_type=imasig digest_type=verity",
        "err:verity-sigtype",
        "err:verity-sigtype",
        "err:verity-sigtype",
    ),
    (
        "measure func=BPRM_CHECK digest_type=verity",
        "ok",
        "ok",
        "ok",
    ),
    (
        "appraise func=BPRM_CHECK appraise_algos=sha256,sha3-256",
        "err:not-in-kernel",
        "ok",
        "ok",
    ),
    // ima_validate_rule and ima_parse_rule refusals.
    (
        "appraise func=BPRM_CHECK digest_type=verity appraise_type=imasig",
        "err:verity-sigtype",
        "err:verity-sigtype",
        "err:verity-sigtype",
    ),
    (
        "appraise func=MODULE_CHECK appraise_type=sigv3",
        "err:sigv3-verity",
        "err:sigv3-verity",
        "err:sigv3-verity",
    ),
    (
        "appraise func=MODULE_CHECK appraise_type=imasig appraise_flag=check_blacklist",
        "err:blacklist-signature",
        "warn:blacklist-ignored",
        "warn:blacklist-ignored",
    ),
    (
        "appraise func=BPRM_CHECK appraise_type=sigv3",
        "err:sigv3-verity",
        "err:sigv3-verity",
        "ok",
    ),
    (
        "appraise func=BPRM_CHECK digest_type=verity",
        "err:verity-signature",
        "err:verity-signature",
        "err:verity-signature",
    ),
    (
        "appraise func=KEXEC_KERNEL_CHECK digest_type=verity appraise_type=sigv3",
        "err:verity-func",
        "err:verity-func",
        "err:verity-func",
    ),
    (
        "appraise func=MODULE_CHECK digest_type=verity appraise_type=sigv3",
        "err:verity-func",
        "err:verity-func",
        "err:verity-func",
    ),
    (
        "appraise func=BPRM_CHECK appraise_type=imasig|modsig",
        "err:modsig-func",
        "err:modsig-func",
        "err:modsig-func",
    ),
    (
        "appraise appraise_type=imasig|modsig",
        "err:modsig-func",
        "err:modsig-func",
        "err:modsig-func",
    ),
    (
        "appraise func=BPRM_CHECK pcr=11",
        "err:pcr-action",
        "err:pcr-action",
        "err:pcr-action",
    ),
    (
        "dont_measure func=BPRM_CHECK pcr=11",
        "err:pcr-action",
        "err:pcr-action",
        "err:pcr-action",
    ),
    (
        "template=ima-ng measure",
        "err:template-order",
        "err:template-order",
        "err:template-order",
    ),
    (
        "appraise func=BPRM_CHECK template=ima-sig",
        "err:template-action",
        "err:template-action",
        "err:template-action",
    ),
    (
        "measure func=BPRM_CHECK appraise_type=imasig",
        "err:appraise-option-action",
        "err:appraise-option-action",
        "err:appraise-option-action",
    ),
    (
        "measure func=BPRM_CHECK appraise_algos=sha256",
        "err:appraise-option-action",
        "err:appraise-option-action",
        "err:appraise-option-action",
    ),
    (
        "dont_appraise func=MODULE_CHECK appraise_flag=check_blacklist",
        "err:appraise-option-action",
        "warn:blacklist-ignored",
        "warn:blacklist-ignored",
    ),
    (
        "measure func=KEY_CHECK appraise_flag=check_blacklist",
        "err:appraise-option-action",
        "warn:blacklist-ignored",
        "warn:blacklist-ignored",
    ),
    (
        "appraise func=KEY_CHECK",
        "err:func-action",
        "err:func-action",
        "err:func-action",
    ),
    (
        "appraise func=KEXEC_CMDLINE",
        "err:func-action",
        "err:func-action",
        "err:func-action",
    ),
    (
        "hash func=CRITICAL_DATA",
        "err:func-action",
        "err:func-action",
        "err:func-action",
    ),
    (
        "measure func=SETXATTR_CHECK",
        "err:func-action",
        "err:func-action",
        "err:func-action",
    ),
    (
        "appraise func=SETXATTR_CHECK",
        "err:setxattr-algos",
        "err:setxattr-algos",
        "err:setxattr-algos",
    ),
    (
        "appraise func=SETXATTR_CHECK appraise_algos=sha256 fowner=0",
        "err:func-term",
        "err:func-term",
        "err:func-term",
    ),
    (
        "appraise func=SETXATTR_CHECK appraise_algos=sha256 obj_type=bin_t",
        "err:func-term",
        "err:func-term",
        "err:func-term",
    ),
    (
        "measure func=KEXEC_CMDLINE mask=MAY_READ",
        "err:func-term",
        "err:func-term",
        "err:func-term",
    ),
    (
        "measure func=KEY_CHECK euid=0",
        "err:func-term",
        "err:func-term",
        "err:func-term",
    ),
    (
        "measure func=KEY_CHECK obj_type=bin_t",
        "err:func-term",
        "err:func-term",
        "err:func-term",
    ),
    (
        "measure func=CRITICAL_DATA keyrings=.ima",
        "err:func-term",
        "err:func-term",
        "err:func-term",
    ),
    (
        "measure keyrings=.ima",
        "err:func-term",
        "err:func-term",
        "err:func-term",
    ),
    (
        "measure func=BPRM_CHECK label=selinux",
        "err:func-term",
        "err:func-term",
        "err:func-term",
    ),
    (
        "measure func=BPRM_CHECK func=FILE_CHECK",
        "err:duplicate",
        "err:duplicate",
        "err:duplicate",
    ),
    (
        "measure uid=0 euid=0",
        "err:duplicate",
        "err:duplicate",
        "err:duplicate",
    ),
    (
        "measure gid=0 egid=0",
        "err:duplicate",
        "err:duplicate",
        "err:duplicate",
    ),
    (
        "measure func=BPRM_CHECK template=ima-ng template=ima-sig",
        "err:duplicate",
        "err:duplicate",
        "err:duplicate",
    ),
    (
        "measure func=BPRM_CHECK # executables",
        "err:trailing-comment",
        "err:trailing-comment",
        "ok",
    ),
    // Text no kernel reads.
    (
        "measure func=BPRM_CHECK measure",
        "err:second-action",
        "err:second-action",
        "err:second-action",
    ),
    (
        "func=BPRM_CHECK",
        "err:no-action",
        "err:no-action",
        "err:no-action",
    ),
    (
        "mesure func=BPRM_CHECK",
        "err:no-action",
        "err:no-action",
        "err:no-action",
    ),
    (
        "appraise func=KEXEC_KERNAL_CHECK appraise_type=imasig",
        "err:unknown-func",
        "err:unknown-func",
        "err:unknown-func",
    ),
    (
        "measure fnuc=BPRM_CHECK",
        "err:unknown-keyword",
        "err:unknown-keyword",
        "err:unknown-keyword",
    ),
    (
        "measure uid=4294967295",
        "err:bad-id",
        "err:bad-id",
        "err:bad-id",
    ),
    ("measure uid=root", "err:bad-id", "err:bad-id", "err:bad-id"),
    ("measure fsmagic=xyz", "err:parse", "err:parse", "err:parse"),
    ("measure fsuuid=1234", "err:parse", "err:parse", "err:parse"),
    (
        "measure mask=MAY_RUN",
        "err:bad-mask",
        "err:bad-mask",
        "err:bad-mask",
    ),
    (
        "appraise appraise_type=pgp",
        "err:parse",
        "err:parse",
        "err:parse",
    ),
    (
        "appraise func=MODULE_CHECK appraise_flag=no_blacklist",
        "err:parse",
        "err:parse",
        "err:parse",
    ),
    (
        "appraise appraise_algos=sha256,,sha512",
        "err:parse",
        "err:parse",
        "err:parse",
    ),
    (
        "appraise appraise_algos=sha257",
        "err:parse",
        "err:parse",
        "err:parse",
    ),
    (
        "measure digest_type=sha",
        "err:parse",
        "err:parse",
        "err:parse",
    ),
    (
        "measure permit_directio=1",
        "err:parse",
        "err:parse",
        "err:parse",
    ),
    ("measure func=", "err:parse", "err:parse", "err:parse"),
    ("measure func", "err:parse", "err:parse", "err:parse"),
    ("measure pcr=64", "err:parse", "err:parse", "err:parse"),
    (
        "measure template=ima-foo",
        "err:parse",
        "err:parse",
        "err:parse",
    ),
    (
        "measure func=KEY_CHECK keyrings=a||b",
        "err:parse",
        "err:parse",
        "err:parse",
    ),
    ("measure fsname>ext4", "err:parse", "err:parse", "err:parse"),
    // Accepted, with warnings.
    (
        "appraise func=KEXEC_KERNEL_CHECK",
        "warn:kexec-unsigned",
        "warn:kexec-unsigned",
        "warn:kexec-unsigned",
    ),
    (
        "measure fsname=ext4 fsname=xfs",
        "warn:repeated",
        "warn:repeated",
        "warn:repeated",
    ),
    (
        "measure func=BPRM_CHECK pcr=10 pcr=11",
        "warn:repeated",
        "warn:repeated",
        "warn:repeated",
    ),
];

/// Multi-rule policies for the ordering warnings: (text, code expected on the last rule).
const ORDER_TABLE: &[(&str, &str)] = &[
    (
        "measure func=FILE_CHECK\nmeasure func=FILE_CHECK uid=0\n",
        "shadowed",
    ),
    (
        "measure func=MMAP_CHECK\nmeasure func=MMAP_CHECK_REQPROT mask=MAY_EXEC\n",
        "shadowed",
    ),
    (
        "measure uid<1000\nmeasure uid=0 func=BPRM_CHECK\n",
        "shadowed",
    ),
    (
        "measure func=KEY_CHECK keyrings=.ima|_ima\nmeasure func=KEY_CHECK keyrings=_ima\n",
        "shadowed",
    ),
    (
        "dont_measure fsmagic=0x9fa0\nmeasure fsmagic=0x9fa0 func=FILE_CHECK\n",
        "disabled-by-dont",
    ),
    (
        "dont_appraise\nappraise func=KEXEC_KERNEL_CHECK appraise_type=imasig\n",
        "disabled-by-dont",
    ),
    (
        "appraise func=BPRM_CHECK appraise_type=imasig\ndont_appraise func=BPRM_CHECK uid=0\n",
        "shadowed",
    ),
    (
        "measure func=FILE_CHECK mask=^MAY_READ\nmeasure func=FILE_CHECK mask=MAY_READ uid=0\n",
        "shadowed",
    ),
];

/// Policies where neither rule hides the other.
const NO_ORDER_WARNING: &[&str] = &[
    "measure func=FILE_CHECK mask=MAY_READ\nmeasure func=FILE_CHECK mask=^MAY_READ\n",
    "measure func=FILE_CHECK uid=0\nmeasure func=FILE_CHECK\n",
    "measure func=BPRM_CHECK\nappraise func=BPRM_CHECK appraise_type=imasig\n",
    "dont_measure\nmeasure func=KEY_CHECK\n",
    "measure func=MMAP_CHECK_REQPROT\nmeasure func=MMAP_CHECK\n",
    "measure uid>10\nmeasure uid<5\n",
];

fn verdict_matches(text: &str, profile: Profile, expected: &str) -> Result<(), String> {
    let (_, report) = check_text(text, profile);
    let diags = &report.diagnostics;
    let describe = || format!("{text:?} on {profile}: expected {expected}, got {diags:#?}");
    let ok = match expected.split_once(':') {
        None if expected == "ok" => diags.is_empty(),
        Some(("warn", code)) => {
            report.errors() == 0
                && diags
                    .iter()
                    .any(|d| d.severity == Severity::Warning && d.code == code)
        }
        Some(("err", code)) => diags
            .iter()
            .any(|d| d.severity == Severity::Error && d.code == code),
        _ => return Err(format!("bad verdict {expected}")),
    };
    if ok {
        Ok(())
    } else {
        Err(describe())
    }
}

#[test]
fn table_has_at_least_sixty_rules() {
    assert!(TABLE.len() >= 60, "{} rows", TABLE.len());
}

#[test]
fn every_rule_gets_its_verdict_on_every_profile() {
    let mut failures = Vec::new();
    for (text, v61, v612, v72) in TABLE {
        for (p, v) in [
            (Profile::V6_1, v61),
            (Profile::V6_12, v612),
            (Profile::V7_2, v72),
        ] {
            if let Err(e) = verdict_matches(text, p, v) {
                failures.push(e);
            }
        }
    }
    let long = format!("measure fsname={}", "a".repeat(5000));
    for p in Profile::ALL {
        if let Err(e) = verdict_matches(&long, p, "err:too-long") {
            failures.push(e);
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}

#[test]
fn ordering_warnings() {
    for (text, code) in ORDER_TABLE {
        for p in Profile::ALL {
            if *text == ORDER_TABLE[1].0 && p == Profile::V6_1 {
                continue; // MMAP_CHECK_REQPROT is unknown to 6.1
            }
            let (_, r) = check_text(text, p);
            let codes: Vec<(usize, &str)> =
                r.diagnostics.iter().map(|d| (d.line, d.code)).collect();
            assert_eq!(codes, vec![(2, *code)], "{text:?} on {p}");
        }
    }
    for text in NO_ORDER_WARNING {
        let (_, r) = check_text(text, Profile::V7_2);
        assert!(r.diagnostics.is_empty(), "{text:?}: {:#?}", r.diagnostics);
    }
}

#[test]
fn error_diagnostics_name_token_reason_and_position() {
    let (_, r) = check_text(
        "measure func=BPRM_CHECK\n\n  measure func=BPRM_CHECK appraise_type=imasig\n",
        Profile::V6_12,
    );
    let d = &r.diagnostics[0];
    assert_eq!((d.line, d.column), (3, 27));
    assert_eq!(d.token, "appraise_type=imasig");
    assert!(
        d.message
            .starts_with("appraise_type=imasig is not allowed with measure"),
        "{}",
        d.message
    );
    assert!(d.message.contains("EINVAL"));
    assert!(d.hint.is_some());
}

/// Every keyword, func and action is accepted somewhere in the table, and every check has
/// a row that triggers it.
#[test]
fn table_covers_the_grammar_and_the_checks() {
    let mut keywords = BTreeSet::new();
    let mut funcs = BTreeSet::new();
    let mut actions = BTreeSet::new();
    for (text, v61, v612, v72) in TABLE {
        if ![v61, v612, v72]
            .iter()
            .any(|v| **v == "ok" || v.starts_with("warn:"))
        {
            continue;
        }
        let p = parse_policy(text);
        for r in &p.rules {
            actions.insert(r.rule.action.name());
            for t in &r.rule.terms {
                keywords.insert(t.keyword());
                if let Term::Cond(imaevm::policy::Condition::Func(f)) = t {
                    funcs.insert(f.name());
                }
            }
        }
    }
    for k in KEYWORDS {
        let seen = keywords.contains(k.name) || actions.contains(k.name);
        assert!(seen, "keyword {} has no accepted row", k.name);
    }
    for f in Func::ALL {
        assert!(
            funcs.contains(f.name()),
            "func {} has no accepted row",
            f.name()
        );
    }
    for a in Action::ALL {
        assert!(
            actions.contains(a.name()),
            "action {} has no accepted row",
            a.name()
        );
    }
    for alias in ["PATH_CHECK", "FILE_MMAP"] {
        assert!(TABLE.iter().any(|r| r.0.contains(alias)), "{alias}");
    }
    let expected: BTreeSet<&str> = TABLE
        .iter()
        .flat_map(|(_, a, b, c)| [*a, *b, *c])
        .filter_map(|v| v.split_once(':').map(|(_, c)| c))
        .chain(["too-long"])
        .chain(ORDER_TABLE.iter().map(|(_, c)| *c))
        .collect();
    for c in ERROR_CHECKS.iter().chain(WARNING_CHECKS) {
        assert!(expected.contains(c), "check {c} has no row");
    }
}

/// The canonical text of every accepted rule means the same rule and is accepted by the
/// same profiles (the loader writes the canonical text).
#[test]
fn canonical_text_round_trips() {
    for (text, v61, v612, v72) in TABLE {
        let parsed = parse_policy(text);
        let Some(r) = parsed.rules.first() else {
            continue;
        };
        let canon = r.rule.canonical();
        let again = parse_policy(&canon);
        assert_eq!(again.rules.len(), 1, "{canon}");
        assert_eq!(
            again.rules[0].rule,
            r.rule.canonical_order(),
            "{text} -> {canon}"
        );
        for (p, v) in [
            (Profile::V6_1, v61),
            (Profile::V6_12, v612),
            (Profile::V7_2, v72),
        ] {
            let (_, orig) = check_text(text, p);
            let (_, canon_report) = check_text(&canon, p);
            if orig.is_valid() {
                assert!(
                    canon_report.is_valid(),
                    "{canon} on {p} ({v}): {:#?}",
                    canon_report.diagnostics
                );
            }
        }
    }
}
