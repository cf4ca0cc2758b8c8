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
        eprintln!(
            "SKIP kernel_accepts_our_rsa_signatures: keyctl is missing (apt-get install keyutils)"
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
        eprintln!("SKIP kernel_accepts_our_rsa_signatures: this kernel cannot add an asymmetric key: {out}");
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
        eprintln!("SKIP kernel_without_ecdsa_refuses_the_certificate_clearly: keyctl is missing");
        return;
    }
    let f = fixture();
    let d = scratch();
    std::fs::copy(&f.p256.cert_der, d.path().join("ec.der")).unwrap();
    let (rc, out) = in_fresh_session(d.path(), "keyctl padd asymmetric '' @s < ec.der");
    if rc == 0 {
        eprintln!("note: this kernel has ECDSA; the VM test covers the kernel without it");
    } else {
        assert!(
            out.contains("No such file or directory"),
            "unexpected refusal: {out}"
        );
    }
}
