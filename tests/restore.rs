//! Issue 20, item 2: `imactl restore` re-applies security.ima from the rpm database (with
//! --root), a package file and .sig files, and never writes a value onto a file whose
//! content is not the package's.
//!
//! The package is built in the test with rpmbuild, and its file signatures are added the
//! way rpmsign --signfiles stores them (see `add_file_signatures`): Debian 12's rpmsign has
//! no --signfiles. rpm itself then reads them back (`rpm -qp --qf %{FILESIGNATURES}`).

mod common;

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

use common::{code, hex, run, skip, stderr, stdout};

const PKG: &str = "imaevm-restore-test";

fn data(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/data/keys")
        .join(name)
}

fn imactl() -> Command {
    Command::new(env!("CARGO_BIN_EXE_imactl"))
}

fn have(tool: &str) -> bool {
    Command::new("sh")
        .args(["-c", &format!("command -v {tool}")])
        .output()
        .is_ok_and(|o| o.status.success())
}

fn ok(o: Output, what: &str) -> Output {
    assert!(o.status.success(), "{what}: {}{}", stdout(&o), stderr(&o));
    o
}

/// Adds file signatures to a built package the way rpmsign --signfiles stores them:
/// RPMSIGTAG_FILESIGNATURES (274, a string array of hex security.ima values, one per file in
/// header order, "" for none) and RPMSIGTAG_FILESIGNATURELENGTH (275, int32) in the
/// signature header. Debian's rpmsign has no --signfiles (rpm is built without libimaevm),
/// so the test writes the tags itself: the lead, the main header and the payload are kept
/// byte for byte, so the header and payload digests still hold.
fn add_file_signatures(rpm: &[u8], sigs_hex: &[String], max_len: u32) -> Vec<u8> {
    const MAGIC: [u8; 8] = [0x8e, 0xad, 0xe8, 0x01, 0, 0, 0, 0];
    let be32 = |b: &[u8], at: usize| u32::from_be_bytes(b[at..at + 4].try_into().unwrap());
    let lead = 96;
    assert_eq!(
        rpm[lead..lead + 8],
        MAGIC,
        "no signature header after the lead"
    );
    let il = be32(rpm, lead + 8) as usize;
    let dl = be32(rpm, lead + 12) as usize;
    let index_at = lead + 16;
    let data_at = index_at + il * 16;
    let data = &rpm[data_at..data_at + dl];
    let sig_end = data_at + dl;
    let main_at = sig_end + (8 - sig_end % 8) % 8;
    // (tag, type, count, bytes) of each entry but the region, with its data.
    struct Entry {
        tag: u32,
        ty: u32,
        count: u32,
        bytes: Vec<u8>,
    }
    let size_of = |ty: u32, count: u32, from: &[u8]| -> usize {
        match ty {
            0 => 0,
            1 | 2 | 7 => count as usize,
            3 => 2 * count as usize,
            4 => 4 * count as usize,
            5 => 8 * count as usize,
            6 | 8 | 9 => {
                let mut n = 0;
                let mut left = if ty == 6 { 1 } else { count };
                while left > 0 {
                    n += from[n..].iter().position(|&b| b == 0).unwrap() + 1;
                    left -= 1;
                }
                n
            }
            _ => panic!("header type {ty}"),
        }
    };
    let mut region = None;
    let mut entries = Vec::new();
    for i in 0..il {
        let e = &rpm[index_at + i * 16..index_at + i * 16 + 16];
        let (tag, ty, off, count) = (be32(e, 0), be32(e, 4), be32(e, 8) as usize, be32(e, 12));
        if tag == 62 {
            region = Some(tag);
            continue;
        }
        assert!(
            tag != 274 && tag != 275,
            "the package has file signatures already"
        );
        let len = size_of(ty, count, &data[off..]);
        entries.push(Entry {
            tag,
            ty,
            count,
            bytes: data[off..off + len].to_vec(),
        });
    }
    assert!(region.is_some(), "no signature header region (tag 62)");
    let mut strings = Vec::new();
    for s in sigs_hex {
        strings.extend_from_slice(s.as_bytes());
        strings.push(0);
    }
    entries.push(Entry {
        tag: 274,
        ty: 8,
        count: sigs_hex.len() as u32,
        bytes: strings,
    });
    entries.push(Entry {
        tag: 275,
        ty: 4,
        count: 1,
        bytes: max_len.to_be_bytes().to_vec(),
    });
    entries.sort_by_key(|e| e.tag);
    // The data in index order (rpm wants offsets to grow with the index), aligned per type.
    let mut store = Vec::new();
    let mut index = Vec::new();
    for e in &entries {
        let align = match e.ty {
            3 => 2,
            4 => 4,
            5 => 8,
            _ => 1,
        };
        while !store.len().is_multiple_of(align) {
            store.push(0);
        }
        index.push((e.tag, e.ty, store.len() as u32, e.count));
        store.extend_from_slice(&e.bytes);
    }
    let n = entries.len() + 1;
    let trailer_at = store.len() as u32;
    store.extend_from_slice(&62u32.to_be_bytes());
    store.extend_from_slice(&7u32.to_be_bytes());
    store.extend_from_slice(&(-((n * 16) as i32)).to_be_bytes());
    store.extend_from_slice(&16u32.to_be_bytes());
    let mut out = rpm[..lead].to_vec();
    out.extend_from_slice(&MAGIC);
    out.extend_from_slice(&(n as u32).to_be_bytes());
    out.extend_from_slice(&(store.len() as u32).to_be_bytes());
    for (tag, ty, off, count) in std::iter::once((62, 7, trailer_at, 16)).chain(index) {
        for v in [tag, ty, off, count] {
            out.extend_from_slice(&v.to_be_bytes());
        }
    }
    out.extend_from_slice(&store);
    while !out.len().is_multiple_of(8) {
        out.push(0);
    }
    out.extend_from_slice(&rpm[main_at..]);
    out
}

/// The files of the test package: (path, content, %config).
const FILES: &[(&str, &str, bool)] = &[
    ("/opt/imaevm-restore/alpha", "alpha\n", false),
    ("/opt/imaevm-restore/bravo", "bravo\n", false),
    ("/opt/imaevm-restore/charlie.conf", "charlie\n", true),
];

/// The security.ima value evmctl makes for `content` with the test key.
fn signature_of(dir: &Path, content: &str) -> Vec<u8> {
    let f = dir.join("to-sign");
    std::fs::write(&f, content).unwrap();
    let _ = std::fs::remove_file(dir.join("to-sign.sig"));
    ok(
        run(common::evmctl()
            .args(["ima_sign", "--sigfile", "--key"])
            .arg(data("rsa2048.pk8.pem"))
            .arg(&f)),
        "evmctl ima_sign --sigfile",
    );
    std::fs::read(dir.join("to-sign.sig")).unwrap()
}

/// Builds the package with rpmbuild and adds its file signatures; returns the signed .rpm.
fn build_signed_package(dir: &Path) -> PathBuf {
    let mut spec = format!(
        "Name: {PKG}\nVersion: 1\nRelease: 1\nSummary: test\nLicense: MIT\nBuildArch: noarch\n\
         %description\ntest\n%install\nmkdir -p %{{buildroot}}/opt/imaevm-restore\n"
    );
    for (p, c, _) in FILES {
        spec.push_str(&format!(
            "printf '{}' > %{{buildroot}}{p}\n",
            c.replace('\n', "\\n")
        ));
    }
    spec.push_str("ln -s alpha %{buildroot}/opt/imaevm-restore/link\n%files\n%dir /opt/imaevm-restore\n/opt/imaevm-restore/link\n");
    for (p, _, config) in FILES {
        spec.push_str(&format!("{}{p}\n", if *config { "%config " } else { "" }));
    }
    std::fs::write(dir.join("t.spec"), spec).unwrap();
    let top = dir.join("top");
    ok(
        run(Command::new("rpmbuild")
            .args(["-bb", "--nodeps", "--define"])
            .arg(format!("_topdir {}", top.display()))
            .arg(dir.join("t.spec"))),
        "rpmbuild",
    );
    let built = top.join(format!("RPMS/noarch/{PKG}-1-1.noarch.rpm"));
    // The header's file order, from rpm.
    let names = stdout(&ok(
        run(Command::new("rpm")
            .args(["-qp", "--qf", "[%{FILENAMES}\\n]"])
            .arg(&built)),
        "rpm -qp",
    ));
    let sigs: Vec<String> = names
        .lines()
        .map(|n| match FILES.iter().find(|f| f.0 == n) {
            Some((_, c, _)) => hex(&signature_of(dir, c)),
            None => String::new(),
        })
        .collect();
    let max = sigs.iter().map(|s| s.len() as u32 / 2).max().unwrap();
    let signed = dir.join(format!("{PKG}-signed.rpm"));
    std::fs::write(
        &signed,
        add_file_signatures(&std::fs::read(&built).unwrap(), &sigs, max),
    )
    .unwrap();
    // rpm reads them back as FILESIGNATURES.
    let q = stdout(&ok(
        run(Command::new("rpm")
            .args(["-qp", "--qf", "[%{FILENAMES}|%{FILESIGNATURES}\\n]"])
            .arg(&signed)),
        "rpm -qp FILESIGNATURES",
    ));
    for ((name, sig), line) in names.lines().zip(&sigs).zip(q.lines()) {
        assert_eq!(line, format!("{name}|{sig}"), "{q}");
    }
    signed
}

/// A scratch root with the package installed (rpm --root) and the test certificate in
/// etc/keys/ima; every file's security.ima stripped.
fn installed_root(dir: &Path, rpm: &Path) -> PathBuf {
    let root = dir.join("root");
    std::fs::create_dir_all(root.join("etc/keys/ima")).unwrap();
    std::fs::copy(data("rsa2048.crt.der"), root.join("etc/keys/ima/ima.der")).unwrap();
    ok(
        run(Command::new("rpm").arg("--root").arg(&root).arg("--initdb")),
        "rpm --initdb",
    );
    ok(
        run(Command::new("rpm")
            .arg("--root")
            .arg(&root)
            .args(["--nodeps", "--noscripts", "--ignoresize", "-i"])
            .arg(rpm)),
        "rpm -i",
    );
    for (p, _, _) in FILES {
        let _ = xattr::remove(root.join(&p[1..]), "security.ima");
    }
    root
}

fn ima(p: &Path) -> Option<Vec<u8>> {
    common::get_xattr(p, "security.ima")
}

fn restore(root: &Path, args: &[&str]) -> Output {
    let o = run(imactl().args(["restore", "--root"]).arg(root).args(args));
    println!(
        "imactl restore {args:?}: exit {}\n{}{}",
        code(&o),
        stdout(&o),
        stderr(&o)
    );
    o
}

/// Why the tests cannot run here, if they cannot.
fn cannot_run() -> Option<String> {
    for tool in ["rpm", "rpmbuild"] {
        if !have(tool) {
            return Some(format!(
                "{tool} is not installed (tests/setup.sh installs rpm)"
            ));
        }
    }
    (!common::is_root()).then(|| "security.ima and rpm --root need root".to_string())
}

#[test]
fn restore_never_writes_onto_a_file_whose_digest_differs_from_the_package() {
    const T: &str = "restore_never_writes_onto_a_file_whose_digest_differs_from_the_package";
    if let Some(why) = cannot_run() {
        skip(T, &why);
        return;
    }
    let dir = common::scratch();
    let rpm = build_signed_package(dir.path());
    let root = installed_root(dir.path(), &rpm);
    let alpha = root.join("opt/imaevm-restore/alpha");
    let bravo = root.join("opt/imaevm-restore/bravo");
    let charlie = root.join("opt/imaevm-restore/charlie.conf");
    // bravo changed after installation: its signature must not be put back on it.
    std::fs::write(&bravo, "bravo, edited\n").unwrap();
    let o = restore(&root, &[]);
    assert_eq!(code(&o), 1, "a refused file is exit status 1");
    let out = stdout(&o);
    assert!(out.contains("/opt/imaevm-restore/alpha: restored"), "{out}");
    assert!(
        out.contains("/opt/imaevm-restore/bravo: refused: its content differs from the one imaevm-restore-test-1-1.noarch records (sha256 digest"),
        "{out}"
    );
    assert!(
        out.contains("charlie.conf: skipped: a %config file"),
        "{out}"
    );
    assert_eq!(ima(&bravo), None, "nothing written onto the changed file");
    assert_eq!(ima(&charlie), None);
    assert_eq!(ima(&alpha), Some(signature_of(dir.path(), "alpha\n")));
    // The restored value verifies with our evmctl and with upstream's.
    ok(
        run(common::evmctl()
            .args(["ima_verify", "--key"])
            .arg(data("rsa2048.crt.pem"))
            .arg(&alpha)),
        "evmctl ima_verify",
    );
    if common::have_upstream() {
        ok(
            run(common::upstream()
                .args(["ima_verify", "--key"])
                .arg(data("rsa2048.crt.der"))
                .arg(&alpha)),
            "upstream evmctl ima_verify",
        );
    } else {
        common::skip_part(
            T,
            "upstream",
            "no /usr/bin/evmctl (tests/setup.sh installs ima-evm-utils)",
        );
    }
    // Also when the digest algorithm matches but the value does not verify (a key outside
    // /etc/keys/ima): nothing written.
    std::fs::write(&bravo, "bravo\n").unwrap();
    std::fs::remove_file(root.join("etc/keys/ima/ima.der")).unwrap();
    let o = restore(&root, &[PKG]);
    assert_eq!(code(&o), 1);
    assert!(
        stdout(&o)
            .contains("bravo: refused: the recorded signature does not verify over this content"),
        "{}",
        stdout(&o)
    );
    assert_eq!(ima(&bravo), None);
}

#[test]
fn restore_from_the_database_a_package_file_and_sig_files_with_dry_run_and_json() {
    const T: &str = "restore_from_the_database_a_package_file_and_sig_files_with_dry_run_and_json";
    if let Some(why) = cannot_run() {
        skip(T, &why);
        return;
    }
    let dir = common::scratch();
    let rpm = build_signed_package(dir.path());
    let root = installed_root(dir.path(), &rpm);
    let alpha = root.join("opt/imaevm-restore/alpha");
    let bravo = root.join("opt/imaevm-restore/bravo");
    // --dry-run changes nothing.
    let o = restore(&root, &["--dry-run", PKG]);
    assert_eq!(code(&o), 3, "%config skipped: exit status 3");
    assert!(
        stdout(&o).contains("alpha: would restore"),
        "{}",
        stdout(&o)
    );
    assert_eq!(ima(&alpha), None);
    // The database, with --config: every file restored, exit 0; again: already there.
    let o = restore(&root, &["--config", PKG]);
    assert_eq!(code(&o), 0);
    assert!(
        stdout(&o).contains("3 restored, 0 carrying it already"),
        "{}",
        stdout(&o)
    );
    let o = restore(&root, &["--config", "--json", PKG]);
    assert_eq!(code(&o), 0);
    let doc: serde_json::Value = serde_json::from_str(stdout(&o).trim()).unwrap();
    assert_eq!(doc["command"], "restore");
    assert_eq!(doc["summary"]["present"], 3, "{doc}");
    assert!(doc["files"]
        .as_array()
        .unwrap()
        .iter()
        .any(|f| f["action"] == "not-a-file"));
    // A package file.
    xattr::remove(&bravo, "security.ima").unwrap();
    let o = restore(&root, &["--package", rpm.to_str().unwrap()]);
    assert_eq!(code(&o), 3);
    assert!(stdout(&o).contains("bravo: restored"), "{}", stdout(&o));
    assert!(ima(&bravo).is_some());
    // .sig files: the value next to the file; a .sig for other content is refused.
    xattr::remove(&alpha, "security.ima").unwrap();
    std::fs::write(
        root.join("opt/imaevm-restore/alpha.sig"),
        signature_of(dir.path(), "alpha\n"),
    )
    .unwrap();
    std::fs::write(
        root.join("opt/imaevm-restore/bravo.sig"),
        signature_of(dir.path(), "other\n"),
    )
    .unwrap();
    xattr::remove(&bravo, "security.ima").unwrap();
    let o = restore(
        &root,
        &[
            "--sigfiles",
            "/opt/imaevm-restore/alpha",
            "/opt/imaevm-restore/bravo",
        ],
    );
    assert_eq!(code(&o), 1);
    assert!(stdout(&o).contains("alpha: restored"), "{}", stdout(&o));
    assert!(
        stdout(&o).contains("bravo: refused: the recorded signature does not verify"),
        "{}",
        stdout(&o)
    );
    assert_eq!(ima(&bravo), None);
    // A package that is not installed: rpm's message, exit 1.
    let o = restore(&root, &["no-such-package"]);
    assert_eq!(code(&o), 1);
    assert!(stderr(&o).contains("no-such-package"), "{}", stderr(&o));
}

fn verify_packages(root: &Path, args: &[&str]) -> Output {
    let o = run(imactl()
        .args(["verify", "--packages", "--root"])
        .arg(root)
        .args(args));
    println!(
        "imactl verify --packages {args:?}: exit {}\n{}{}",
        code(&o),
        stdout(&o),
        stderr(&o)
    );
    o
}

#[test]
fn verify_packages_tells_ok_missing_other_value_bad_signature_and_unknown_key() {
    const T: &str = "verify_packages_tells_ok_missing_other_value_bad_signature_and_unknown_key";
    if let Some(why) = cannot_run() {
        skip(T, &why);
        return;
    }
    let dir = common::scratch();
    let rpm = build_signed_package(dir.path());
    let root = installed_root(dir.path(), &rpm);
    let alpha = root.join("opt/imaevm-restore/alpha");
    let bravo = root.join("opt/imaevm-restore/bravo");
    ok(restore(&root, &["--config", PKG]), "restore");
    let o = verify_packages(&root, &[PKG]);
    assert_eq!(code(&o), 0, "all carry the package's signature");
    assert!(stdout(&o).contains("3 ok, 0 missing"), "{}", stdout(&o));
    // charlie.conf: missing; bravo: another value.
    xattr::remove(root.join("opt/imaevm-restore/charlie.conf"), "security.ima").unwrap();
    xattr::set(&bravo, "security.ima", &signature_of(dir.path(), "other\n")).unwrap();
    let o = verify_packages(&root, &[]);
    assert_eq!(code(&o), 1);
    let out = stdout(&o);
    assert!(
        out.contains("charlie.conf: missing (imaevm-restore-test-1-1.noarch)"),
        "{out}"
    );
    assert!(out.contains("bravo: other-value"), "{out}");
    // bravo: the package's value over changed content: bad signature.
    xattr::set(&bravo, "security.ima", &signature_of(dir.path(), "bravo\n")).unwrap();
    std::fs::write(&bravo, "bravo, edited\n").unwrap();
    let o = verify_packages(&root, &["--json", PKG]);
    assert_eq!(code(&o), 1);
    let doc: serde_json::Value = serde_json::from_str(stdout(&o).trim()).unwrap();
    let state = |f: &str| {
        doc["files"]
            .as_array()
            .unwrap()
            .iter()
            .find(|r| r["file"] == f)
            .map(|r| r["state"].as_str().unwrap().to_string())
    };
    assert_eq!(
        state("/opt/imaevm-restore/bravo").as_deref(),
        Some("bad-signature"),
        "{doc}"
    );
    assert_eq!(
        state("/opt/imaevm-restore/alpha").as_deref(),
        Some("ok"),
        "{doc}"
    );
    assert_eq!(doc["summary"]["missing"], 1, "{doc}");
    // Without the certificate: the key is unknown.
    std::fs::remove_file(root.join("etc/keys/ima/ima.der")).unwrap();
    let o = verify_packages(&root, &[PKG]);
    assert_eq!(code(&o), 1);
    assert!(stdout(&o).contains("alpha: unknown-key"), "{}", stdout(&o));
    assert!(ima(&alpha).is_some(), "verify changes nothing");
}
