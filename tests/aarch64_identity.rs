//! The aarch64 build (tests/tools/build-aarch64.sh) against this x86_64 build, the aarch64
//! binaries run under qemu-user (`qemu-aarch64-static`, Debian's qemu-user-static, called
//! directly: no binfmt_misc registration needed). Byte identity where the output is
//! deterministic (ima_hash values, RSA PKCS#1 v1.5 signatures, with both signing
//! backends), cross-verification where it is not (ECDSA: each build verifies what the other
//! signed). Nothing touches xattrs: hashes with -n, signatures with -n --sigfile.
//!
//! The binaries are looked for in IMAEVM_AARCH64_BIN (a directory), else in
//! target/aarch64/aarch64-unknown-linux-gnu/release/; tests/run.sh builds them first.

mod common;

use common::*;
use std::path::{Path, PathBuf};
use std::process::Command;

const QEMU: &str = "/usr/bin/qemu-aarch64-static";

fn aarch64_dir() -> PathBuf {
    match std::env::var_os("IMAEVM_AARCH64_BIN") {
        Some(d) => PathBuf::from(d),
        None => Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("target/aarch64/aarch64-unknown-linux-gnu/release"),
    }
}

/// The aarch64 binaries and qemu-user, or the reason this test cannot run (then skipped).
fn setup(test: &str) -> Option<PathBuf> {
    let dir = aarch64_dir();
    let reason = if !Path::new(QEMU).exists() {
        Some(format!(
            "{QEMU} is missing (apt-get install qemu-user-static; tests/setup.sh installs it)"
        ))
    } else if !dir.join("evmctl").exists() || !dir.join("imactl").exists() {
        Some(format!(
            "no aarch64 evmctl/imactl in {} (build them with tests/tools/build-aarch64.sh; tests/run.sh does)",
            dir.display()
        ))
    } else {
        newer_source(&dir.join("evmctl")).map(|newer| {
            format!(
                "the aarch64 build in {} is older than {} (run tests/tools/build-aarch64.sh again)",
                dir.display(),
                newer.display()
            )
        })
    };
    match reason {
        Some(r) => {
            skip(test, &r);
            None
        }
        None => Some(dir),
    }
}

/// A source file (src/, Cargo.toml, Cargo.lock) changed after `bin` was built, if any: the
/// aarch64 build is then not of this tree.
fn newer_source(bin: &Path) -> Option<PathBuf> {
    let built = std::fs::metadata(bin).and_then(|m| m.modified()).ok()?;
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let mut stack = vec![root.join("src")];
    let mut files = vec![root.join("Cargo.toml"), root.join("Cargo.lock")];
    while let Some(d) = stack.pop() {
        for e in std::fs::read_dir(&d).into_iter().flatten().flatten() {
            let p = e.path();
            if p.is_dir() {
                stack.push(p);
            } else {
                files.push(p);
            }
        }
    }
    files.into_iter().find(|f| {
        std::fs::metadata(f)
            .and_then(|m| m.modified())
            .is_ok_and(|t| t > built)
    })
}

/// The aarch64 `bin` under qemu-user.
fn arm(dir: &Path, bin: &str) -> Command {
    let mut c = Command::new(QEMU);
    c.arg(dir.join(bin));
    c
}

fn x86(bin: &str) -> Command {
    Command::new(match bin {
        "evmctl" => env!("CARGO_BIN_EXE_evmctl"),
        _ => env!("CARGO_BIN_EXE_imactl"),
    })
}

/// Both builds are of this tree: the same version line (a stale aarch64 build from another
/// version would make the comparison meaningless).
#[test]
fn aarch64_binaries_are_this_version_and_aarch64() {
    let Some(dir) = setup("aarch64_binaries_are_this_version_and_aarch64") else {
        return;
    };
    for bin in ["evmctl", "imactl"] {
        let a = run(arm(&dir, bin).arg("--version"));
        let b = run(x86(bin).arg("--version"));
        assert_eq!(code(&a), 0, "{bin} --version under qemu: {}", stderr(&a));
        assert_eq!(stdout(&a), stdout(&b), "{bin} --version differs");
        let f = run(Command::new("file").arg("-b").arg(dir.join(bin)));
        let desc = stdout(&f);
        assert!(
            desc.contains("ARM aarch64")
                && (desc.contains("statically linked") || desc.contains("static-pie linked")),
            "{bin}: {desc}"
        );
    }
}

#[test]
fn ima_hash_values_are_byte_identical() {
    let Some(dir) = setup("ima_hash_values_are_byte_identical") else {
        return;
    };
    let d = scratch();
    let algos = [
        "md4",
        "md5",
        "sha1",
        "sha224",
        "sha256",
        "sha384",
        "sha512",
        "rmd160",
        "sm3",
        "streebog256",
        "streebog512",
    ];
    let mut compared = 0;
    for (i, len) in [0usize, 1, 4095, 4096, 100_000, 1 << 20]
        .into_iter()
        .enumerate()
    {
        let f = d.path().join(format!("f{i}"));
        write_sample(&f, len, i as u8);
        for algo in algos {
            let a = run(arm(&dir, "evmctl")
                .args(["ima_hash", "-n", "-a", algo])
                .arg(&f));
            let b = run(x86("evmctl").args(["ima_hash", "-n", "-a", algo]).arg(&f));
            assert_eq!(
                (code(&a), stdout(&a)),
                (code(&b), stdout(&b)),
                "ima_hash -n -a {algo}, {len} bytes: aarch64 stderr {} / x86_64 stderr {}",
                stderr(&a),
                stderr(&b)
            );
            if code(&b) == 0 {
                assert!(!stdout(&b).trim().is_empty(), "{algo}: no value printed");
                compared += 1;
            }
        }
    }
    // md5, sha1, sha224, sha256, sha384, sha512 at least, on every size
    assert!(compared >= 6 * 6, "only {compared} hashes compared");
}

#[test]
fn rsa_signatures_are_byte_identical() {
    let Some(dir) = setup("rsa_signatures_are_byte_identical") else {
        return;
    };
    let f = fixture();
    let d = scratch();
    let mut compared = 0;
    // The default backend, and each one forced: aws-lc refuses some combinations (sha1);
    // both builds must then refuse alike.
    for backend in [None, Some("rustcrypto"), Some("aws-lc")] {
        for kp in [&f.rsa1024, &f.rsa2048, &f.rsa4096] {
            for algo in ["sha1", "sha224", "sha256", "sha384", "sha512"] {
                let ctx = format!("backend {backend:?}, {} {algo}", kp.key.display());
                let fa = d.path().join("a.bin");
                let fb = d.path().join("b.bin");
                write_sample(&fa, 12345, 9);
                write_sample(&fb, 12345, 9);
                let _ = std::fs::remove_file(d.path().join("a.bin.sig"));
                let _ = std::fs::remove_file(d.path().join("b.bin.sig"));
                let mut a = arm(&dir, "evmctl");
                let mut b = x86("evmctl");
                if let Some(be) = backend {
                    a.env("IMAEVM_SIGN_BACKEND", be);
                    b.env("IMAEVM_SIGN_BACKEND", be);
                }
                let a = run(a
                    .args(["ima_sign", "-n", "--sigfile", "-a", algo, "--key"])
                    .arg(&kp.key)
                    .arg(&fa));
                let b = run(b
                    .args(["ima_sign", "-n", "--sigfile", "-a", algo, "--key"])
                    .arg(&kp.key)
                    .arg(&fb));
                assert_eq!(
                    code(&a),
                    code(&b),
                    "{ctx}: aarch64: {} / x86_64: {}",
                    stderr(&a),
                    stderr(&b)
                );
                if code(&b) != 0 {
                    assert_eq!(backend, Some("aws-lc"), "{ctx}: {}", stderr(&b));
                    continue;
                }
                assert_eq!(stdout(&a), stdout(&b), "printed signature, {ctx}");
                let sa = std::fs::read(d.path().join("a.bin.sig")).unwrap();
                let sb = std::fs::read(d.path().join("b.bin.sig")).unwrap();
                assert_eq!(sa, sb, ".sig files differ, {ctx}");
                assert_eq!(sa[0], 3, "a v2 signature (type 0x03), {ctx}");
                compared += 1;
            }
        }
    }
    // every combination with the default and the RustCrypto backend, some with aws-lc
    assert!(compared > 2 * 3 * 5, "only {compared} signatures compared");
}

/// Verifies FILE.sig of `file` against `cert` with `cmd` (evmctl ima_verify --sigfile).
fn verify(mut cmd: Command, cert: &Path, file: &Path) -> std::process::Output {
    run(cmd
        .args(["ima_verify", "--sigfile", "--key"])
        .arg(cert)
        .arg(file))
}

#[test]
fn ecdsa_and_rsa_signatures_cross_verify() {
    let Some(dir) = setup("ecdsa_and_rsa_signatures_cross_verify") else {
        return;
    };
    let f = fixture();
    let d = scratch();
    let mut checked = 0;
    for kp in [&f.p256, &f.p384, &f.p521, &f.rsa2048] {
        for algo in ["sha256", "sha384", "sha512"] {
            for signer_is_arm in [true, false] {
                let who = if signer_is_arm {
                    "aarch64 signs, x86_64 verifies"
                } else {
                    "x86_64 signs, aarch64 verifies"
                };
                let ctx = format!("{who}: {} {algo}", kp.key.display());
                let file = d.path().join("x.bin");
                write_sample(&file, 70_000, 5);
                let _ = std::fs::remove_file(d.path().join("x.bin.sig"));
                let signer = if signer_is_arm {
                    arm(&dir, "evmctl")
                } else {
                    x86("evmctl")
                };
                let verifier = || {
                    if signer_is_arm {
                        x86("evmctl")
                    } else {
                        arm(&dir, "evmctl")
                    }
                };
                let mut signer = signer;
                let s = run(signer
                    .args(["ima_sign", "-n", "--sigfile", "-a", algo, "--key"])
                    .arg(&kp.key)
                    .arg(&file));
                assert_eq!(code(&s), 0, "{ctx}: signing: {}", stderr(&s));
                let v = verify(verifier(), &kp.cert_der, &file);
                assert_eq!(code(&v), 0, "{ctx}: {}{}", stdout(&v), stderr(&v));
                // the same signature over other content, and under another key: refused
                write_sample(&file, 70_000, 6);
                let v = verify(verifier(), &kp.cert_der, &file);
                assert_eq!(code(&v), 1, "{ctx}: a changed file verified");
                write_sample(&file, 70_000, 5);
                let v = verify(verifier(), &f.other_rsa.cert_der, &file);
                assert_eq!(code(&v), 1, "{ctx}: verified with another key");
                checked += 1;
            }
        }
    }
    assert_eq!(checked, 4 * 3 * 2);
}
