use super::*;

#[test]
fn maps_lines() {
    let l = "7f1c2a000000-7f1c2a1c6000 r-xp 00028000 fd:01 1311014                    /usr/lib/x86_64-linux-gnu/libc.so.6";
    let m = parse_maps_line(l).unwrap();
    assert_eq!(m.range, "7f1c2a000000-7f1c2a1c6000");
    assert_eq!(m.path, "/usr/lib/x86_64-linux-gnu/libc.so.6");
    assert!(parse_maps_line(
        "7f1c2a000000-7f1c2a1c6000 r--p 00000000 fd:01 1311014  /usr/lib/libc.so.6"
    )
    .is_none());
    assert!(parse_maps_line(
        "7ffd4b5f7000-7ffd4b5f9000 r-xp 00000000 00:00 0                          [vdso]"
    )
    .is_none());
    assert!(parse_maps_line("7f1c2a000000-7f1c2a1c6000 r-xp 00000000 00:00 0 ").is_none());
    let with_space = "1000-2000 r-xp 00000000 fd:01 5   /opt/my app/bin";
    assert_eq!(parse_maps_line(with_space).unwrap().path, "/opt/my app/bin");
    let deleted = parse_maps_line("1000-2000 r-xp 00000000 fd:01 5   /tmp/x (deleted)").unwrap();
    assert_eq!((deleted.path, deleted.deleted), ("/tmp/x", true));
    assert!(!m.deleted);
}

#[test]
fn device_numbers_as_mountinfo_writes_them() {
    assert_eq!(major_minor(0xfd01), "253:1");
    assert_eq!(major_minor(0x0803), "8:3");
    assert_eq!(major_minor((259 << 8) | 2), "259:2");
}

/// A file without security.ima, judged under `policy` at the exec hooks, with root's
/// facts on ext4.
fn judge_unsigned(policy: &str) -> Outcome {
    let dir = tempfile::tempdir().unwrap();
    let p = dir.path().join("prog");
    std::fs::write(&p, b"program").unwrap();
    let file = OpenFile::open(&p).unwrap();
    let facts = FileFacts {
        uid: 0,
        gid: 0,
        mode: 0o100755,
        fsmagic: Ok(0xef53),
        fsuuid: Err("not read".into()),
        fsname: Ok("ext4".into()),
    };
    let verifier = Verifier::new(crate::verify::Keys::Absent {
        why: "a test".into(),
    });
    let env = Env {
        proc_root: PathBuf::from("/nonexistent"),
        verifier: &verifier,
        evm_active: None,
    };
    let parsed = crate::policy::parse::parse_policy(policy);
    assert!(parsed.diagnostics.is_empty(), "{:?}", parsed.diagnostics);
    judge(&parsed.rules, &facts, &Event::EXEC, &file, &env)
}

#[test]
fn a_sure_appraise_rule_refuses_an_unsigned_program() {
    match judge_unsigned("appraise func=BPRM_CHECK fowner=0\n") {
        Outcome::Refused { cause, rule } => {
            assert_eq!(cause, "no security.ima (missing-hash) at BPRM_CHECK");
            assert_eq!(rule.line, 1);
            assert_eq!(rule.text, "appraise func=BPRM_CHECK fowner=0");
        }
        other => panic!("{other:?}"),
    }
    // A rule without func decides at the first hook of an exec: the open.
    match judge_unsigned("appraise fowner=0 appraise_type=imasig\n") {
        Outcome::Refused { cause, .. } => assert_eq!(
            cause,
            "no security.ima (IMA-signature-required) at FILE_CHECK (MAY_EXEC)"
        ),
        other => panic!("{other:?}"),
    }
}

#[test]
fn dont_appraise_first_lets_it_run() {
    let p = "dont_appraise fsmagic=0xef53\nappraise func=BPRM_CHECK fowner=0\n";
    assert_eq!(judge_unsigned(p), Outcome::Pass);
    // Another owner: no appraise rule matches.
    assert_eq!(
        judge_unsigned("appraise func=BPRM_CHECK fowner=5\n"),
        Outcome::Pass
    );
}

#[test]
fn an_unknown_rule_makes_the_outcome_unknown() {
    // A dont_appraise that may match before the appraise rule that surely does.
    match judge_unsigned("dont_appraise obj_type=bin_t\nappraise func=BPRM_CHECK\n") {
        Outcome::Unknown(why) => {
            assert!(
                why.contains("refused at BPRM_CHECK if line 2 decides"),
                "{why}"
            );
            assert!(why.contains("line 1 may decide first"), "{why}");
        }
        other => panic!("{other:?}"),
    }
    // An appraise rule that may match, and nothing after it.
    match judge_unsigned("appraise func=BPRM_CHECK uid=0 appraise_type=imasig\n") {
        Outcome::Unknown(why) => assert!(why.contains("uid:"), "{why}"),
        other => panic!("{other:?}"),
    }
    // Both possible rules refuse: refused whatever decides.
    match judge_unsigned("appraise func=BPRM_CHECK uid=0\nappraise func=BPRM_CHECK\n") {
        Outcome::Refused { rule, .. } => assert_eq!(rule.line, 2),
        other => panic!("{other:?}"),
    }
}

#[test]
fn evm_counts_when_a_key_is_loaded() {
    let d = tempfile::tempdir().unwrap();
    assert_eq!(evm_active(d.path()), None, "no EVM file");
    std::fs::create_dir_all(d.path().join("integrity/evm")).unwrap();
    let f = d.path().join("integrity/evm/evm");
    for (value, active) in [
        ("0\n", None),
        ("1\n", Some("1")),
        ("2\n", Some("2")),
        ("2147483648\n", None),
        ("2147483650\n", Some("2147483650")),
    ] {
        std::fs::write(&f, value).unwrap();
        assert_eq!(evm_active(d.path()).as_deref(), active, "{value}");
    }
}
