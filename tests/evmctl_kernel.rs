//! The host kernel as judge of our signature bytes: the certificate goes into a fresh
//! anonymous session keyring (`keyctl session -`, discarded when the command ends), and
//! KEYCTL_PKEY_VERIFY checks the digest and signature that our `ima_sign` wrote with the
//! kernel's own RSA code: the check IMA appraisal makes.

mod common;

use common::*;
use imaevm::hash::HashAlgo;
use std::path::Path;
use std::process::Command;

fn have_keyctl() -> bool {
    Path::new("/usr/bin/keyctl").exists() || Path::new("/bin/keyctl").exists()
}

/// Runs `script` with sh inside a new session keyring; returns (exit code, stdout+stderr).
fn in_fresh_session(dir: &Path, script: &str) -> (i32, String) {
    let o = run(Command::new("keyctl")
        .args(["session", "-", "sh", "-c", script])
        .current_dir(dir));
    (code(&o), format!("{}{}", stdout(&o), stderr(&o)))
}

#[test]
fn kernel_accepts_our_rsa_signatures() {
    if !have_keyctl() {
        skip(
            "kernel_accepts_our_rsa_signatures",
            "keyctl is missing (apt-get install keyutils)",
        );
        return;
    }
    let f = fixture();
    let d = scratch();
    let dir = d.path();
    // Probe: can this kernel hold an asymmetric key at all?
    std::fs::copy(&f.rsa2048.cert_der, dir.join("probe.der")).unwrap();
    let (rc, out) = in_fresh_session(dir, "keyctl padd asymmetric '' @s < probe.der");
    if rc != 0 {
        skip(
            "kernel_accepts_our_rsa_signatures",
            &format!("this kernel cannot add an asymmetric key: {out}"),
        );
        return;
    }
    let mut checked = 0;
    for kp in [&f.rsa1024, &f.rsa2048, &f.rsa4096] {
        for algo in [
            HashAlgo::Sha1,
            HashAlgo::Sha256,
            HashAlgo::Sha384,
            HashAlgo::Sha512,
        ] {
            let file = dir.join("image");
            write_sample(&file, 70_000, 9);
            let o = run(evmctl()
                .args(["ima_sign", "-n", "--sigfile", "-a", algo.name(), "--key"])
                .arg(&kp.key)
                .arg(&file));
            assert_eq!(code(&o), 0, "{}", stderr(&o));
            let value = std::fs::read(dir.join("image.sig")).unwrap();
            let digest = algo.digest(&std::fs::read(&file).unwrap());
            std::fs::write(dir.join("digest.bin"), &digest).unwrap();
            std::fs::write(dir.join("sig.bin"), &value[9..]).unwrap();
            let mut bad = value[9..].to_vec();
            let last = bad.len() - 1;
            bad[last] ^= 0x01;
            std::fs::write(dir.join("bad.bin"), &bad).unwrap();
            std::fs::copy(&kp.cert_der, dir.join("cert.der")).unwrap();
            let script = format!(
                "set -e; id=$(keyctl padd asymmetric '' @s < cert.der); \
                 keyctl pkey_verify $id 0 digest.bin sig.bin enc=pkcs1 hash={a}; echo GOOD; \
                 if keyctl pkey_verify $id 0 digest.bin bad.bin enc=pkcs1 hash={a} 2>/dev/null; \
                 then echo BAD-ACCEPTED; else echo BAD-REFUSED; fi",
                a = algo.name()
            );
            let (rc, out) = in_fresh_session(dir, &script);
            let ctx = format!("{} {}", kp.key.display(), algo.name());
            assert_eq!(rc, 0, "kernel refused our signature ({ctx}): {out}");
            assert!(out.contains("GOOD"), "{ctx}: {out}");
            assert!(
                out.contains("BAD-REFUSED"),
                "kernel accepted a damaged signature ({ctx}): {out}"
            );
            checked += 1;
        }
    }
    assert_eq!(checked, 12);
}

#[test]
fn kernel_without_ecdsa_refuses_the_certificate_clearly() {
    if !have_keyctl() {
        skip(
            "kernel_without_ecdsa_refuses_the_certificate_clearly",
            "keyctl is missing (apt-get install keyutils)",
        );
        return;
    }
    let f = fixture();
    let d = scratch();
    std::fs::copy(&f.p256.cert_der, d.path().join("ec.der")).unwrap();
    let (rc, out) = in_fresh_session(d.path(), "keyctl padd asymmetric '' @s < ec.der");
    if rc == 0 {
        skip(
            "kernel_without_ecdsa_refuses_the_certificate_clearly",
            "this kernel has ECDSA; the VM test boots Debian 6.1, which has not",
        );
    } else {
        assert!(
            out.contains("No such file or directory"),
            "unexpected refusal: {out}"
        );
    }
}

#[test]
fn evmctl_import_binary_matches_upstream() {
    if !have_keyctl() {
        skip(
            "evmctl_import_binary_matches_upstream",
            "keyctl is missing (apt-get install keyutils)",
        );
        return;
    }
    if skip_without_upstream("evmctl_import_binary_matches_upstream") {
        return;
    }
    let f = fixture();
    let d = scratch();
    let dir = d.path();
    std::fs::copy(&f.rsa2048.cert_der, dir.join("cert.der")).unwrap();
    let ours = env!("CARGO_BIN_EXE_evmctl");
    for (args, want_rc) in [
        ("cert.der @s", 0),
        ("missing.der @s", 1),
        ("cert.der 0x7fffffff", 125),
    ] {
        let mut outs = Vec::new();
        for bin in [ours, UPSTREAM] {
            let script = format!(
                "out=$({bin} import {args} 2>err); rc=$?; echo \"rc=$rc\"; \
                 case \"$out\" in ''|*[!0-9]*) echo \"stdout=$out\";; *) echo 'stdout=<serial>'; keyctl describe \"$out\";; esac; \
                 sed 's/[0-9]\\{{6,\\}}/<n>/g' err"
            );
            let (_, out) = in_fresh_session(dir, &script);
            // keyctl describe: "<serial>: perm uid gid type: description".
            outs.push(
                out.lines()
                    .map(|l| l.split_once(": ").map_or(l, |(_, r)| r).to_string())
                    .collect::<Vec<_>>(),
            );
        }
        assert_eq!(
            outs[0][0],
            format!("rc={want_rc}"),
            "evmctl import {args}: {:?}",
            outs[0]
        );
        assert_eq!(outs[0][..2], outs[1][..2], "evmctl import {args}");
        if want_rc == 0 {
            assert_eq!(outs[0][2], outs[1][2], "key description");
        }
    }
}
