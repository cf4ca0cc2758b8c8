//! Regression tests for issue 12 (robustness), one group per defect: each runs the
//! binaries on the input that showed the defect and checks the exit code and the message.

mod common;

use common::*;
use std::path::{Path, PathBuf};
use std::process::{Command, Output};
use std::time::Duration;

const BOUND: Duration = Duration::from_secs(20);

fn imactl() -> Command {
    Command::new(env!("CARGO_BIN_EXE_imactl"))
}

fn bounded(cmd: &mut Command) -> Output {
    run_bounded(cmd, BOUND)
}

fn mkfifo(p: &Path) {
    let st = Command::new("mkfifo").arg(p).status().expect("mkfifo");
    assert!(st.success());
}

/// A directory with a signed-looking regular file and its paths.
struct Setup {
    _d: tempfile::TempDir,
    dir: PathBuf,
    file: PathBuf,
}

fn setup() -> Setup {
    let d = scratch();
    let dir = d.path().to_path_buf();
    let file = dir.join("file");
    write_sample(&file, 100, 1);
    Setup { _d: d, dir, file }
}

/// Every command that reads an input file whole, with `bad` in the input's place.
fn readers(s: &Setup, bad: &Path) -> Vec<(String, Command)> {
    let mut v = Vec::new();
    let mut c = evmctl();
    c.args(["ima_sign", "--xattr-user", "--key"])
        .arg(bad)
        .arg(&s.file);
    v.push(("signing key".into(), c));
    let mut c = evmctl();
    c.args(["ima_verify", "--xattr-user", "--key"])
        .arg(bad)
        .arg(&s.file);
    v.push(("verification certificate".into(), c));
    let mut c = evmctl();
    c.args(["ima_verify", "--rsa", "--xattr-user", "--key"])
        .arg(bad)
        .arg(&s.file);
    v.push(("v1 public key".into(), c));
    let mut c = imactl();
    c.args(["key", "import", "--keyring", "@s"]).arg(bad);
    v.push(("imported certificate".into(), c));
    let mut c = imactl();
    c.args(["policy", "check", "--kernel", "6.1"]).arg(bad);
    v.push(("policy check".into(), c));
    let mut c = imactl();
    c.args([
        "policy",
        "load",
        "--dry-run",
        "--kernel",
        "6.1",
        "--securityfs",
    ])
    .arg(&s.dir)
    .arg(bad);
    v.push(("policy load --dry-run".into(), c));
    let mut c = evmctl();
    c.arg("ima_measurement").arg(bad);
    v.push(("measurement list".into(), c));
    let mut c = evmctl();
    c.arg("ima_boot_aggregate").arg(bad);
    v.push(("event log".into(), c));
    let mut c = evmctl();
    c.args(["ima_boot_aggregate", "--pcrs"])
        .arg(format!("sha256,{}", bad.display()));
    v.push(("pcrs file".into(), c));
    v
}

fn refuses_without_hanging(bad: &Path, what: &str) {
    let s = setup();
    for (name, mut cmd) in readers(&s, bad) {
        let o = bounded(&mut cmd);
        let err = stderr(&o);
        assert_ne!(code(&o), 0, "{name}: {cmd:?} accepted {bad:?}\n{err}");
        assert!(
            err.contains(&bad.display().to_string()) && err.contains(what),
            "{name}: {cmd:?}: stderr does not name {bad:?} and {what:?}:\n{err}"
        );
        assert!(stdout(&o).is_empty(), "{name}: stdout: {}", stdout(&o));
    }
}

/// The readers of [`readers`] whose file is the command's own input, named on purpose
/// (`imactl policy check <(cmd)`): a FIFO or pipe is read there (issue 24, defect 8), so a
/// FIFO nobody writes to ends with the idle time limit instead of at once.
const ON_PURPOSE: [&str; 3] = [
    "imported certificate",
    "policy check",
    "policy load --dry-run",
];

/// Defect 5: a FIFO with no writer used to block every reader forever. Where a FIFO is
/// not an input the user names, it is refused at once; where it is, a FIFO that never
/// sends anything ends with an error naming it within the bound.
#[test]
fn defect5_a_fifo_as_any_input_is_refused_at_once() {
    let d = scratch();
    let fifo = d.path().join("a-fifo");
    mkfifo(&fifo);
    let s = setup();
    let all = readers(&s, &fifo);
    std::thread::scope(|scope| {
        for (name, mut cmd) in all {
            let fifo = &fifo;
            scope.spawn(move || {
                let on_purpose = ON_PURPOSE.contains(&name.as_str());
                let t = std::time::Instant::now();
                let o = bounded(&mut cmd);
                let err = stderr(&o);
                assert_ne!(code(&o), 0, "{name}: {cmd:?} accepted {fifo:?}\n{err}");
                let what = if on_purpose {
                    "a pipe that sent nothing for 10 s"
                } else {
                    assert!(t.elapsed() < Duration::from_secs(5), "{name}: not at once");
                    "not a regular file (a FIFO)"
                };
                assert!(
                    err.contains(&fifo.display().to_string()) && err.contains(what),
                    "{name}: {cmd:?}: stderr does not name {fifo:?} and {what:?}:\n{err}"
                );
                assert!(stdout(&o).is_empty(), "{name}: stdout: {}", stdout(&o));
            });
        }
    });
}

/// Defect 5: the securityfs policy file as a FIFO (`imactl policy show`).
#[test]
fn defect5_a_fifo_as_the_securityfs_policy_is_refused() {
    let d = scratch();
    std::fs::create_dir(d.path().join("ima")).unwrap();
    let fifo = d.path().join("ima/policy");
    mkfifo(&fifo);
    let o = bounded(
        imactl()
            .args(["policy", "show", "--securityfs"])
            .arg(d.path()),
    );
    let err = stderr(&o);
    assert_ne!(code(&o), 0, "{err}");
    assert!(
        err.contains("ima/policy") && err.contains("a FIFO"),
        "{err}"
    );
    assert!(!err.contains("Success"), "{err}");
}

/// Defect 6 and 14: /dev/zero and /dev/urandom are refused before a byte is read.
#[test]
fn defect6_endless_devices_as_any_input_are_refused() {
    for dev in ["/dev/zero", "/dev/urandom"] {
        refuses_without_hanging(Path::new(dev), "not a regular file (a character device)");
    }
}

/// Defect 6: a regular file over its kind's cap is refused with the cap named.
#[test]
fn defect6_oversized_inputs_are_refused_with_the_limit() {
    let s = setup();
    let big_sig = s.dir.join("file.sig");
    std::fs::write(&big_sig, vec![3u8; 64 * 1024 + 1]).unwrap();
    let f = fixture();
    let o = bounded(
        evmctl()
            .args(["ima_verify", "--sigfile", "--key"])
            .arg(&f.rsa2048.cert_der)
            .arg(&s.file),
    );
    let err = stderr(&o);
    assert_ne!(code(&o), 0, "{err}");
    assert!(
        err.contains("file.sig") && err.contains("larger than the 64 KiB limit"),
        "{err}"
    );
    let big_pcrs = s.dir.join("pcrs");
    std::fs::write(&big_pcrs, "#".repeat(64 * 1024 + 1)).unwrap();
    let o = bounded(
        evmctl()
            .args(["ima_boot_aggregate", "--pcrs"])
            .arg(format!("sha256,{}", big_pcrs.display())),
    );
    let err = stderr(&o);
    assert_ne!(code(&o), 0, "{err}");
    assert!(
        err.contains("pcrs") && err.contains("larger than the 64 KiB limit"),
        "{err}"
    );
}

/// Defect 14: `--key /dev/null,cert.der,` skips the unusable entry with a message and
/// verifies with the others, as upstream 1.6 does.
#[test]
fn defect14_a_key_list_skips_an_unusable_entry() {
    let s = setup();
    let f = fixture();
    let (attr, flags) = ns();
    let o = bounded(
        evmctl()
            .arg("ima_sign")
            .args(flags)
            .arg("--key")
            .arg(&f.rsa2048.key)
            .arg(&s.file),
    );
    assert_eq!(code(&o), 0, "{}", stderr(&o));
    assert!(get_xattr(&s.file, attr).is_some());
    let list = format!("/dev/null,{},", f.rsa2048.cert_der.display());
    let o = bounded(
        evmctl()
            .arg("ima_verify")
            .args(flags)
            .arg("--key")
            .arg(&list)
            .arg(&s.file),
    );
    let err = stderr(&o);
    assert_eq!(code(&o), 0, "{err}");
    assert!(
        err.contains("/dev/null") && err.contains("skipping"),
        "{err}"
    );
    // A list with no usable entry is still a plain failure naming the entry.
    let o = bounded(
        evmctl()
            .arg("ima_verify")
            .args(flags)
            .args(["--key", "/dev/zero"])
            .arg(&s.file),
    );
    let err = stderr(&o);
    assert_ne!(code(&o), 0, "{err}");
    assert!(err.contains("/dev/zero"), "{err}");
}

/// The "Input limits" table of docs/compatibility.md states every cap the reader applies.
#[test]
fn the_input_caps_are_documented() {
    use imaevm::input::{size_words, InputKind};
    let readme = std::fs::read_to_string(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/docs/compatibility.md"
    ))
    .unwrap();
    let start = readme
        .find("## Input limits")
        .expect("docs/compatibility.md section Input limits");
    let section = &readme[start..];
    let section = &section[..section[3..].find("\n## ").map_or(section.len(), |i| i + 3)];
    for k in InputKind::ALL {
        let row = section
            .lines()
            .find(|l| l.starts_with("| ") && l.contains(k.noun()))
            .unwrap_or_else(|| panic!("no docs/compatibility.md row for {}", k.noun()));
        assert!(
            row.ends_with(&format!("| {} |", size_words(k.limit()))),
            "docs/compatibility.md row {row:?} does not state {}",
            size_words(k.limit())
        );
    }
}

/// Signs `s.file` with rsa2048 into the test's ima attribute and returns the value.
fn signed_value(s: &Setup) -> Vec<u8> {
    let (attr, flags) = ns();
    let o = bounded(
        evmctl()
            .arg("ima_sign")
            .args(flags)
            .arg("--key")
            .arg(&fixture().rsa2048.key)
            .arg(&s.file),
    );
    assert_eq!(code(&o), 0, "{}", stderr(&o));
    get_xattr(&s.file, attr).expect("signed")
}

fn verify_value(s: &Setup, value: &[u8]) -> Output {
    let (attr, flags) = ns();
    xattr::set(&s.file, attr, value).unwrap();
    bounded(
        evmctl()
            .arg("ima_verify")
            .args(flags)
            .arg("--key")
            .arg(&fixture().rsa2048.cert_der)
            .arg(&s.file),
    )
}

/// Defect 1: type 0x03 with version byte 3 is not a v2 signature; the kernel refuses it.
#[test]
fn defect1_a_type3_value_with_version3_is_refused() {
    let s = setup();
    let mut v = signed_value(&s);
    assert_eq!(code(&verify_value(&s, &v)), 0);
    assert_eq!(&v[..2], &[3, 2]);
    v[1] = 3;
    let o = verify_value(&s, &v);
    assert_ne!(code(&o), 0, "accepted version 3: {}", stderr(&o));
    assert!(!stdout(&o).contains("is OK"), "{}", stdout(&o));
}

/// Defect 2: an EVM portable signature (0x05) in security.ima is no IMA signature.
#[test]
fn defect2_a_portable_evm_signature_in_the_ima_attribute_is_refused() {
    let s = setup();
    let mut v = signed_value(&s);
    v[0] = 5;
    let o = verify_value(&s, &v);
    assert_ne!(code(&o), 0, "accepted type 0x05: {}", stderr(&o));
    assert!(!stdout(&o).contains("is OK"), "{}", stdout(&o));
}

fn field(out: &mut Vec<u8>, f: &[u8]) {
    out.extend_from_slice(&(f.len() as u32).to_ne_bytes());
    out.extend_from_slice(f);
}

/// One binary measurement record of template `name` with raw template `data` whose
/// template digest is right.
fn record(name: &str, data: &[u8]) -> Vec<u8> {
    use imaevm::hash::HashAlgo;
    let mut out = 10u32.to_ne_bytes().to_vec();
    out.extend(HashAlgo::Sha1.digest(data));
    field(&mut out, name.as_bytes());
    field(&mut out, data);
    out
}

/// ima-ng template data for `path`.
fn ng_data(path: &str) -> Vec<u8> {
    use imaevm::hash::HashAlgo;
    let mut dng = b"sha256:\0".to_vec();
    dng.extend(HashAlgo::Sha256.digest(path.as_bytes()));
    let mut d = Vec::new();
    field(&mut d, &dng);
    field(&mut d, format!("{path}\0").as_bytes());
    d
}

/// PCR-00..23 lines of one value each.
fn pcr_lines(value: &str) -> String {
    (0..24).map(|i| format!("PCR-{i:02}: {value}\n")).collect()
}

/// Defect 3: a list of one record never matches made-up PCR values, whichever banks the
/// --pcrs files give.
#[test]
fn defect3_made_up_pcr_values_never_match() {
    let s = setup();
    let list = s.dir.join("list");
    std::fs::write(&list, record("ima-ng", &ng_data("/bin/a"))).unwrap();
    let sha1 = s.dir.join("sha1");
    std::fs::write(&sha1, pcr_lines(&"ab".repeat(20))).unwrap();
    let sha256 = s.dir.join("sha256");
    std::fs::write(&sha256, pcr_lines(&"cd".repeat(32))).unwrap();
    for pcrs in [
        vec![format!("sha1,{}", sha1.display())],
        vec![format!("sha256,{}", sha256.display())],
        vec![
            format!("sha1,{}", sha1.display()),
            format!("sha256,{}", sha256.display()),
        ],
    ] {
        let mut c = evmctl();
        c.arg("ima_measurement");
        for p in &pcrs {
            c.args(["--pcrs", p]);
        }
        let o = bounded(c.arg(&list));
        assert_ne!(code(&o), 0, "{pcrs:?} matched:\n{}", stderr(&o));
        assert!(!stdout(&o).contains("Matched"), "{pcrs:?}: {}", stdout(&o));
    }
}

/// Defect 4: malformed template data after a valid record is an error naming the record.
#[test]
fn defect4_malformed_template_data_is_an_error_naming_the_record() {
    let s = setup();
    let good = record("ima-ng", &ng_data("/bin/a"));
    let mut extra = ng_data("/bin/b");
    field(&mut extra, b"extra");
    let mut past = ng_data("/bin/c");
    past.extend_from_slice(&1000u32.to_ne_bytes());
    past.extend_from_slice(b"short");
    let mut long_sig = ng_data("/bin/d");
    let mut sig = vec![3, 2, 4, 1, 2, 3, 4, 0x01, 0x00];
    sig.extend([0u8; 16]);
    field(&mut long_sig, &sig);
    let bad: [(&str, Vec<u8>, &str); 5] = [
        (
            "zero-length template name",
            record("", &ng_data("/bin/e")),
            "empty template name",
        ),
        (
            "zero data length",
            {
                let mut r = 10u32.to_ne_bytes().to_vec();
                r.extend([1u8; 20]);
                field(&mut r, b"ima-ng");
                r.extend(0u32.to_ne_bytes());
                r
            },
            "no template data",
        ),
        (
            "field length past the record",
            record("ima-ng", &past),
            "runs past the record",
        ),
        (
            "signature longer than its field",
            record("ima-sig", &long_sig),
            "signature field",
        ),
        (
            "extra field in ima-ng",
            record("ima-ng", &extra),
            "3 fields, the template has 2",
        ),
    ];
    for (what, rec, needle) in bad {
        let list = s.dir.join("list");
        let mut bytes = good.clone();
        bytes.extend(rec);
        std::fs::write(&list, bytes).unwrap();
        let o = bounded(evmctl().arg("ima_measurement").arg(&list));
        let err = stderr(&o);
        assert_ne!(code(&o), 0, "{what}: accepted:\n{err}");
        assert!(
            err.contains("record 2") && err.contains(needle) && err.contains("list"),
            "{what}: {err}"
        );
    }
}

/// Defect 4: duplicate PCR-NN lines in a --pcrs file are refused, naming the line.
#[test]
fn defect4_duplicate_pcr_lines_are_refused() {
    let s = setup();
    let z = "00".repeat(32);
    let pcrs = s.dir.join("pcrs");
    std::fs::write(&pcrs, format!("PCR-00: {z}\nPCR-00: {z}\n")).unwrap();
    let o = bounded(
        evmctl()
            .args(["ima_boot_aggregate", "--pcrs"])
            .arg(format!("sha256,{}", pcrs.display())),
    );
    let err = stderr(&o);
    assert_ne!(code(&o), 0, "{err}");
    assert!(
        err.contains("pcrs") && err.contains("line 2: PCR-00 given twice"),
        "{err}"
    );
}

/// Defect 7: a policy past MAX_RULES is an error at the first rule over, and the rest is
/// not parsed, so memory stays bounded (the speed itself is measured by
/// tests/bench_policy.sh, not by a timed test).
#[test]
fn defect7_a_policy_past_the_rule_cap_is_refused() {
    use imaevm::policy::parse::{parse_policy, MAX_RULES};
    let text = "measure uid=1\n".repeat(MAX_RULES + 5);
    let parsed = parse_policy(&text);
    assert_eq!(parsed.rules.len(), MAX_RULES);
    let d = parsed
        .diagnostics
        .iter()
        .find(|d| d.code == "too-many-rules")
        .expect("an error");
    assert_eq!(d.line, MAX_RULES + 1);
}

/// Defect 10: an empty event log is an error, not the all-zero aggregate.
#[test]
fn defect10_an_empty_event_log_is_an_error() {
    let s = setup();
    let log = s.dir.join("empty.log");
    std::fs::write(&log, b"").unwrap();
    let o = bounded(evmctl().arg("ima_boot_aggregate").arg(&log));
    let err = stderr(&o);
    assert_ne!(code(&o), 0, "{err}");
    assert!(err.contains("empty.log") && err.contains("empty"), "{err}");
    assert!(!stdout(&o).contains(&"0".repeat(40)), "{}", stdout(&o));
}

/// Defect 12: an immutable file is named as such, and --ignore-unsupported does not
/// turn the refusal into success.
#[test]
fn defect12_an_immutable_file_is_not_a_missing_privilege() {
    if !is_root() {
        skip(
            "defect12_an_immutable_file_is_not_a_missing_privilege",
            "chattr +i needs root",
        );
        return;
    }
    let s = setup();
    let set = Command::new("chattr").arg("+i").arg(&s.file).status();
    if !matches!(set, Ok(st) if st.success()) {
        skip(
            "defect12_an_immutable_file_is_not_a_missing_privilege",
            "the scratch filesystem has no immutable flag",
        );
        return;
    }
    let key = &fixture().rsa2048.key;
    let mut outs = Vec::new();
    for extra in [&[][..], &["--ignore-unsupported"][..]] {
        outs.push(bounded(
            evmctl()
                .arg("ima_sign")
                .args(extra)
                .arg("--key")
                .arg(key)
                .arg(&s.file),
        ));
    }
    let _ = Command::new("chattr").arg("-i").arg(&s.file).status();
    for o in outs {
        let err = stderr(&o);
        assert_ne!(code(&o), 0, "{err}");
        assert!(
            err.contains("immutable") && err.contains("chattr -i"),
            "{err}"
        );
        assert!(!err.contains("CAP_SYS_ADMIN"), "{err}");
    }
}

/// Defect 13: imactl's exit codes: 2 for usage errors and unreadable inputs under every
/// command, and the codes are in --help (and so in the man page).
#[test]
fn defect13_imactl_exit_codes_are_defined_once() {
    let d = scratch();
    let fifo = d.path().join("ima/policy");
    std::fs::create_dir(d.path().join("ima")).unwrap();
    mkfifo(&fifo);
    let check = bounded(
        imactl()
            .args(["policy", "check", "--kernel", "6.1"])
            .arg(&fifo),
    );
    let show = bounded(
        imactl()
            .args(["policy", "show", "--securityfs"])
            .arg(d.path()),
    );
    assert_eq!(code(&check), 2, "{}", stderr(&check));
    assert_eq!(code(&show), code(&check), "{}", stderr(&show));
    for args in [
        &["policy", "check", "--kernel", "nonsense", "x"][..],
        &["key", "remove", "id:zzzz"][..],
        &["no-such-command"][..],
        &["policy", "check"][..],
    ] {
        let o = bounded(imactl().args(args));
        assert_eq!(code(&o), 2, "{args:?}: {}", stderr(&o));
        assert!(stdout(&o).is_empty(), "{args:?}");
    }
    let help = bounded(imactl().arg("--help"));
    assert_eq!(code(&help), 0);
    let text = stdout(&help);
    for line in [
        "  0  done",
        "  1  the answer is no",
        "  2  the command cannot run",
    ] {
        assert!(text.contains(line), "--help lacks {line:?}:\n{text}");
    }
    let man =
        std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/man/imactl.8")).unwrap();
    assert!(
        man.contains("Exit status:"),
        "man/imactl.8 lacks the exit codes"
    );
}

/// Defect 11: invisible bytes in a policy are named, and escaped in what is printed.
#[test]
fn defect11_invisible_bytes_in_a_policy_are_named() {
    let s = setup();
    for (bytes, name, shown) in [
        (
            &b"measure func=\xef\xbb\xbfBPRM_CHECK\n"[..],
            "byte order mark",
            "\\u{feff}BPRM_CHECK",
        ),
        (
            &b"measure func=BPRM_CHECK\x00 uid=0\n"[..],
            "NUL byte",
            "BPRM_CHECK\\x00",
        ),
        (
            &b"measure func=BPRM\x1b[2J_CHECK\n"[..],
            "escape character",
            "BPRM\\x1b[2J_CHECK",
        ),
    ] {
        let p = s.dir.join("p.policy");
        std::fs::write(&p, bytes).unwrap();
        let o = bounded(
            imactl()
                .args(["policy", "check", "--kernel", "6.1"])
                .arg(&p),
        );
        let all = format!("{}{}", stdout(&o), stderr(&o));
        assert_eq!(code(&o), 1, "{all}");
        assert!(all.contains(name) && all.contains(shown), "{all}");
        assert!(
            !all.contains('\u{feff}') && !all.contains('\0') && !all.contains('\x1b'),
            "{all:?}"
        );
    }
}

/// Defect 11: file names from a measurement list are escaped under -v.
#[test]
fn defect11_file_names_in_a_measurement_list_are_escaped() {
    let s = setup();
    let list = s.dir.join("list");
    std::fs::write(&list, record("ima-ng", &ng_data("/tmp/\x1b]0;owned\x07x"))).unwrap();
    let o = bounded(evmctl().args(["-v", "ima_measurement"]).arg(&list));
    let all = format!("{}{}", stdout(&o), stderr(&o));
    assert!(all.contains("/tmp/\\x1b]0;owned\\x07x"), "{all:?}");
    assert!(!all.contains('\x1b') && !all.contains('\x07'), "{all:?}");
}

/// Defect 11: key descriptions in `imactl key list` are escaped.
#[test]
fn defect11_key_descriptions_are_escaped() {
    let keyctl = |args: &[&str]| Command::new("keyctl").args(args).output();
    let Ok(ring) = keyctl(&["newring", "imaevm-robust-test", "@u"]) else {
        skip("defect11_key_descriptions_are_escaped", "no keyctl(1)");
        return;
    };
    if !ring.status.success() {
        skip(
            "defect11_key_descriptions_are_escaped",
            "cannot make a keyring",
        );
        return;
    }
    let ring = stdout(&ring).trim().to_string();
    let added = keyctl(&["add", "user", "evil\x1b[31mred\u{202e}", "data", &ring]).unwrap();
    assert!(added.status.success(), "{}", stderr(&added));
    let o = bounded(imactl().args(["key", "list", "--keyring", &ring]));
    let _ = keyctl(&["unlink", &ring, "@u"]);
    let out = stdout(&o);
    assert_eq!(code(&o), 0, "{}", stderr(&o));
    assert!(out.contains("evil\\x1b[31mred\\u{202e}"), "{out:?}");
    assert!(
        !out.contains('\x1b') && !out.contains('\u{202e}'),
        "{out:?}"
    );
}

fn data_key(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/data/keys")
        .join(name)
}

/// Defect 8: a 10240-bit RSA key signs with a warning that the kernel takes at most 4096
/// bits, and the key's own certificate verifies the signature (the rsa crate's decoder
/// stops at 8192 bits).
#[test]
fn defect8_rsa_over_4096_bits_warns_and_verifies() {
    let s = setup();
    let (_, flags) = ns();
    let o = bounded(
        evmctl()
            .arg("ima_sign")
            .args(flags)
            .arg("--key")
            .arg(data_key("rsa10240.pk8.pem"))
            .arg(&s.file),
    );
    let err = stderr(&o);
    assert_eq!(code(&o), 0, "{err}");
    assert!(
        err.contains("warning") && err.contains("10240-bit RSA key") && err.contains("4096"),
        "{err}"
    );
    let o = bounded(
        evmctl()
            .arg("ima_verify")
            .args(flags)
            .arg("--key")
            .arg(data_key("rsa10240.crt.der"))
            .arg(&s.file),
    );
    assert_eq!(code(&o), 0, "{}", stderr(&o));
}

/// Defect 8: `imactl key import` explains a certificate the kernel refuses for what it is
/// (an RSA key over 4096 bits, an even modulus, a bad self-signature), not as a bad keyring.
#[test]
fn defect8_import_refusals_name_the_certificate_problem() {
    use imaevm::keys::kernel_fit::kernel_refusal;
    use imaevm::keys::Certificate;
    let big = Certificate::load(&data_key("rsa10240.crt.der")).unwrap();
    assert!(kernel_refusal(&big).unwrap().contains("10240-bit RSA key"));
    let good_path = data_key("rsa2048.crt.der");
    let good = std::fs::read(&good_path).unwrap();
    assert_eq!(
        kernel_refusal(&Certificate::load(&good_path).unwrap()),
        None
    );
    let mut bad_sig = good.clone();
    *bad_sig.last_mut().unwrap() ^= 1;
    let c = Certificate::from_der(Path::new("bad-sig.der"), bad_sig.clone()).unwrap();
    assert!(kernel_refusal(&c).unwrap().contains("self-signed"));
    // The modulus: the public key's PKCS#1 bytes, found in the DER by openssl's -modulus.
    let m = Command::new("openssl")
        .args(["x509", "-inform", "DER", "-noout", "-modulus", "-in"])
        .arg(&good_path)
        .output()
        .unwrap();
    let hex_modulus = stdout(&m).trim().trim_start_matches("Modulus=").to_string();
    let modulus: Vec<u8> = (0..hex_modulus.len())
        .step_by(2)
        .map(|i| u8::from_str_radix(&hex_modulus[i..i + 2], 16).unwrap())
        .collect();
    let at = good
        .windows(modulus.len())
        .position(|w| w == modulus)
        .expect("modulus in the DER");
    let mut even = good.clone();
    even[at + modulus.len() - 1] &= 0xfe;
    let c = Certificate::from_der(Path::new("even.der"), even.clone()).unwrap();
    assert!(kernel_refusal(&c).unwrap().contains("modulus is even"));
    // Through imactl, into a fresh keyring of this session: the kernel refuses each, and
    // the message names the certificate's problem.
    let ring = Command::new("keyctl")
        .args(["newring", "imaevm-robust-import", "@u"])
        .output();
    let Ok(ring) = ring.map(|o| stdout(&o).trim().to_string()) else {
        skip(
            "defect8_import_refusals_name_the_certificate_problem",
            "no keyctl(1)",
        );
        return;
    };
    if ring.is_empty() {
        skip(
            "defect8_import_refusals_name_the_certificate_problem",
            "cannot make a keyring",
        );
        return;
    }
    let s = setup();
    let cases = [
        (
            "big.der",
            std::fs::read(data_key("rsa10240.crt.der")).unwrap(),
            "10240-bit RSA key",
        ),
        ("even.der", even, "modulus is even"),
        ("bad-sig.der", bad_sig, "self-signed"),
    ];
    let mut outs = Vec::new();
    for (name, bytes, needle) in cases {
        let p = s.dir.join(name);
        std::fs::write(&p, bytes).unwrap();
        outs.push((
            needle,
            bounded(imactl().args(["key", "import", "--keyring", &ring]).arg(&p)),
        ));
    }
    let _ = Command::new("keyctl")
        .args(["unlink", &ring, "@u"])
        .status();
    for (needle, o) in outs {
        let err = stderr(&o);
        assert_eq!(code(&o), 1, "{err}");
        assert!(err.contains(needle), "{err}");
        assert!(!err.contains("not a valid keyring id"), "{err}");
    }
}

/// Defect 7 (and the 256 MiB bound): a line over the line cap is one error, not parsed; a
/// policy with more findings than the cap stops at the cap, saying so.
#[test]
fn policy_checks_keep_bounded_findings() {
    use imaevm::policy::limits::{MAX_DIAGNOSTICS, MAX_LINE_BYTES};
    use imaevm::policy::validate::check_text;
    use imaevm::policy::Profile;
    let long = format!("measure {}\n", "uid=1 ".repeat(MAX_LINE_BYTES / 6 + 1));
    let (_, r) = check_text(&long, Profile::V6_1);
    assert_eq!(r.diagnostics.len(), 1, "{:?}", r.diagnostics);
    assert_eq!(r.diagnostics[0].code, "too-long");
    let many = "measure func=NOPE\n".repeat(MAX_DIAGNOSTICS + 50);
    let (_, r) = check_text(&many, Profile::V6_1);
    assert_eq!(r.diagnostics.len(), MAX_DIAGNOSTICS + 1);
    assert_eq!(r.diagnostics.last().unwrap().code, "too-many-diagnostics");
    let shadowed = "measure\n".repeat(MAX_DIAGNOSTICS + 50);
    let (_, r) = check_text(&shadowed, Profile::V6_1);
    assert_eq!(r.diagnostics.len(), MAX_DIAGNOSTICS + 1);
    assert_eq!(r.diagnostics.last().unwrap().code, "too-many-diagnostics");
}

/// Issue 24, defect 8: `imactl policy check <(generate-policy)` and `-` read the pipe,
/// through the same cap; a pipe that keeps sending is read to its end however long it
/// takes, one that sends too much is refused by the cap.
#[test]
fn issue24_defect8_a_pipe_named_on_purpose_is_read_with_the_cap() {
    let d = scratch();
    let policy = "measure func=BPRM_CHECK\nappraise func=MODULE_CHECK appraise_type=imasig\n";
    let pol = d.path().join("p");
    std::fs::write(&pol, policy).unwrap();
    let ok_line = "2 rules, 0 errors";
    // Process substitution, through bash as a user types it.
    let script = format!(
        "exec {} policy check --kernel 6.1 <(cat {})",
        env!("CARGO_BIN_EXE_imactl"),
        pol.display()
    );
    let o = bounded(Command::new("bash").args(["-c", &script]));
    assert_eq!(code(&o), 0, "{}", stderr(&o));
    assert!(stdout(&o).contains(ok_line), "{}", stdout(&o));
    assert!(stdout(&o).contains("/dev/fd/"), "{}", stdout(&o));
    // A named FIFO whose writer pauses (3 s in all, under the 10 s idle limit each time).
    let fifo = d.path().join("fifo");
    mkfifo(&fifo);
    let script = format!(
        "(sleep 1; printf 'measure func=BPRM_CHECK\\n'; sleep 1; \
          printf 'appraise func=MODULE_CHECK appraise_type=imasig\\n'; sleep 1) > {} & \
         exec {} policy check --kernel 6.1 {}",
        fifo.display(),
        env!("CARGO_BIN_EXE_imactl"),
        fifo.display()
    );
    let o = bounded(Command::new("bash").args(["-c", &script]));
    assert_eq!(code(&o), 0, "{}", stderr(&o));
    assert!(stdout(&o).contains(ok_line), "{}", stdout(&o));
    // `-` from a pipe.
    let script = format!(
        "cat {} | {} policy check --kernel 6.1 -",
        pol.display(),
        env!("CARGO_BIN_EXE_imactl")
    );
    let o = bounded(Command::new("bash").args(["-c", &script]));
    assert_eq!(code(&o), 0, "{}", stderr(&o));
    assert!(stdout(&o).contains("standard input"), "{}", stdout(&o));
    // The cap: an endless pipe is refused by the policy limit, named, within the bound.
    let script = format!(
        "exec {} policy check --kernel 6.1 <(yes 'measure func=BPRM_CHECK')",
        env!("CARGO_BIN_EXE_imactl")
    );
    let o = bounded(Command::new("bash").args(["-c", &script]));
    assert_eq!(code(&o), 2, "{}", stderr(&o));
    assert!(
        stderr(&o).contains("/dev/fd/") && stderr(&o).contains("larger than the 16 MiB limit"),
        "{}",
        stderr(&o)
    );
    // A certificate for key show, the same way.
    let f = fixture();
    let script = format!(
        "exec {} key show <(cat {})",
        env!("CARGO_BIN_EXE_imactl"),
        f.rsa2048.cert_pem.display()
    );
    let o = bounded(Command::new("bash").args(["-c", &script]));
    assert!(
        stdout(&o).contains("subject:"),
        "{}\n{}",
        stdout(&o),
        stderr(&o)
    );
    // /dev/zero named on purpose is still a device, refused at once.
    let o = bounded(imactl().args(["policy", "check", "--kernel", "6.1", "/dev/zero"]));
    assert_eq!(code(&o), 2);
    assert!(stderr(&o).contains("not a regular file (a character device)"));
}

/// Issue 24, defect 3: a FIFO where the securityfs policy file or `imactl boot`'s record
/// is expected is refused by name, without blocking: `policy load` by rules and by path,
/// and `imactl boot` (its securityfs policy, its state record).
#[test]
fn issue24_defect3_fifos_for_securityfs_files_and_records_do_not_hang() {
    let d = scratch();
    let dir = d.path();
    let pol = dir.join("pol");
    std::fs::write(&pol, "measure func=BPRM_CHECK\n").unwrap();
    let sfs = dir.join("sfs");
    std::fs::create_dir_all(sfs.join("ima")).unwrap();
    std::fs::create_dir(dir.join("keys")).unwrap();
    std::fs::create_dir(dir.join("state")).unwrap();
    let policy_file = sfs.join("ima/policy");
    mkfifo(&policy_file);
    let boot = |dir: &Path| {
        let mut c = imactl();
        c.args(["boot", "--kernel", "6.1", "--securityfs"])
            .arg(dir.join("sfs"))
            .arg("--state-dir")
            .arg(dir.join("state"))
            .arg("--policy")
            .arg(dir.join("pol"))
            .arg("--keys-dir")
            .arg(dir.join("keys"))
            .arg("--kernel-cert")
            .arg(dir.join("no-such-cert"));
        c
    };
    for by_path in [false, true] {
        let mut c = imactl();
        c.args(["policy", "load", "--kernel", "6.1", "--securityfs"])
            .arg(&sfs);
        if by_path {
            c.arg("--by-path");
        }
        let o = bounded(c.arg(&pol));
        let err = stderr(&o);
        assert_eq!(code(&o), 1, "by path {by_path}: {err}");
        assert!(
            err.contains("ima/policy") && err.contains("not a regular file (a FIFO)"),
            "by path {by_path}: {err}"
        );
    }
    let o = bounded(&mut boot(dir));
    let err = format!("{}{}", stdout(&o), stderr(&o));
    assert_eq!(code(&o), 1, "{err}");
    assert!(
        err.contains("ima/policy") && err.contains("not a regular file (a FIFO)"),
        "{err}"
    );
    // The securityfs policy a regular file, the record a FIFO: the load goes on, and the
    // record is refused by name instead of blocking; the FIFO is left as it was.
    std::fs::remove_file(&policy_file).unwrap();
    std::fs::write(&policy_file, "").unwrap();
    let record = dir.join("state/policy-loaded");
    mkfifo(&record);
    let o = bounded(&mut boot(dir));
    let err = format!("{}{}", stdout(&o), stderr(&o));
    assert!(
        err.contains("policy-loaded") && err.contains("not a regular file (a FIFO)"),
        "{err}"
    );
    assert_eq!(
        std::fs::read_to_string(&policy_file).unwrap(),
        "measure func=BPRM_CHECK\n"
    );
    use std::os::unix::fs::FileTypeExt;
    assert!(std::fs::symlink_metadata(&record)
        .unwrap()
        .file_type()
        .is_fifo());
}

/// Issue 24, defect 4: a `pkcs11:` URI whose module-path= is a FIFO (or a device, or a
/// directory) is refused by name before the loader sees it, instead of hanging in dlopen.
#[test]
fn issue24_defect4_a_pkcs11_module_path_that_is_not_a_file_is_refused() {
    let s = setup();
    let fifo = s.dir.join("module.so");
    mkfifo(&fifo);
    for (module, what) in [
        (fifo.clone(), "a FIFO"),
        (PathBuf::from("/dev/zero"), "a character device"),
        (s.dir.clone(), "a directory"),
    ] {
        let uri = format!("pkcs11:token=t;object=k?module-path={}", module.display());
        let o = bounded(
            evmctl()
                .args(["ima_sign", "-n", "--key", &uri])
                .arg(&s.file),
        );
        let err = stderr(&o);
        assert_eq!(code(&o), 125, "{module:?}: {err}");
        assert!(
            err.contains(&module.display().to_string())
                && err.contains(&format!("not a regular file ({what})")),
            "{module:?}: {err}"
        );
    }
}
