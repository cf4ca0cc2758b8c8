//! Every signing backend against upstream evmctl and the kernel, with the backend forced
//! by `IMAEVM_SIGN_BACKEND` (docs/speed.md, "Forcing a backend"). `aws-lc` is strict: it
//! signs with AWS-LC or fails, so a pass here cannot come from the other backend.
//! The whole compat and kernel suites also run under each backend: tests/run.sh runs
//! them once as they are (auto) and once with `IMAEVM_SIGN_BACKEND=rustcrypto`.

mod common;

use common::*;
use std::path::Path;
use std::process::Command;

const BACKENDS: [&str; 2] = ["aws-lc", "rustcrypto"];

fn ours(backend: &str) -> Command {
    let mut c = evmctl();
    c.env("IMAEVM_SIGN_BACKEND", backend);
    c
}

#[test]
fn rsa_bytes_match_upstream_with_every_backend() {
    if skip_without_upstream("rsa_bytes_match_upstream_with_every_backend") {
        return;
    }
    let f = fixture();
    let d = scratch();
    let file = d.path().join("file");
    write_sample(&file, 9000, 5);
    let mut compared = 0;
    for kp in [&f.rsa2048, &f.rsa4096] {
        for algo in ["sha256", "sha384", "sha512"] {
            let up = run(upstream()
                .args(["ima_sign", "-n", "-a", algo, "--key"])
                .arg(&kp.key)
                .arg(&file));
            assert_eq!(code(&up), 0, "{}", stderr(&up));
            for backend in BACKENDS {
                let o = run(ours(backend)
                    .args(["ima_sign", "-n", "-a", algo, "--key"])
                    .arg(&kp.key)
                    .arg(&file));
                assert_eq!(code(&o), 0, "{backend}: {}", stderr(&o));
                assert_eq!(
                    stdout(&o),
                    stdout(&up),
                    "{backend} {algo} {}",
                    kp.key.display()
                );
                compared += 1;
            }
        }
    }
    assert_eq!(compared, 2 * 3 * 2);
}

#[test]
fn ecdsa_from_every_backend_verifies_with_upstream() {
    if skip_without_upstream("ecdsa_from_every_backend_verifies_with_upstream") {
        return;
    }
    let f = fixture();
    let d = scratch();
    let (_, ns_args) = ns();
    let file = d.path().join("file");
    let mut n = 0;
    for (kp, algo) in [
        (&f.p256, "sha256"),
        (&f.p384, "sha384"),
        (&f.p521, "sha512"),
        (&f.p521, "sha256"),
    ] {
        for backend in BACKENDS {
            write_sample(&file, 7000, 1);
            let o = run(ours(backend)
                .args(["ima_sign", "-a", algo, "--key"])
                .arg(&kp.key)
                .args(ns_args)
                .arg(&file));
            assert_eq!(code(&o), 0, "{backend}: {}", stderr(&o));
            let ctx = format!("{backend} {algo} {}", kp.key.display());
            let verify = |cmd: Command, cert: &Path| {
                let mut cmd = cmd;
                code(&run(cmd
                    .args(["ima_verify", "--key"])
                    .arg(cert)
                    .args(ns_args)
                    .arg(&file)))
            };
            assert_eq!(verify(upstream(), &kp.cert_der), 0, "upstream, {ctx}");
            assert_eq!(verify(evmctl(), &kp.cert_der), 0, "ours, {ctx}");
            assert_eq!(verify(upstream(), &f.other_rsa.cert_der), 1, "{ctx}");
            let mut data = std::fs::read(&file).unwrap();
            data[10] ^= 0x80;
            std::fs::write(&file, data).unwrap();
            assert_eq!(verify(upstream(), &kp.cert_der), 1, "tampered, {ctx}");
            n += 1;
        }
    }
    assert_eq!(n, 4 * 2);
}

#[test]
fn the_kernel_verifies_rsa_from_every_backend() {
    let have_keyctl = ["/usr/bin/keyctl", "/bin/keyctl"]
        .iter()
        .any(|p| Path::new(p).exists());
    if !have_keyctl {
        skip(
            "the_kernel_verifies_rsa_from_every_backend",
            "keyctl is missing (apt-get install keyutils)",
        );
        return;
    }
    let f = fixture();
    let d = scratch();
    let dir = d.path();
    std::fs::copy(&f.rsa2048.cert_der, dir.join("cert.der")).unwrap();
    let file = dir.join("image");
    write_sample(&file, 50_000, 4);
    let digest = imaevm::hash::HashAlgo::Sha256.digest(&std::fs::read(&file).unwrap());
    std::fs::write(dir.join("digest.bin"), digest).unwrap();
    for backend in BACKENDS {
        let o = run(ours(backend)
            .args(["ima_sign", "-n", "--sigfile", "--key"])
            .arg(&f.rsa2048.key)
            .arg(&file));
        assert_eq!(code(&o), 0, "{backend}: {}", stderr(&o));
        let value = std::fs::read(dir.join("image.sig")).unwrap();
        std::fs::write(dir.join("sig.bin"), &value[9..]).unwrap();
        let script = "set -e; id=$(keyctl padd asymmetric '' @s < cert.der); \
             keyctl pkey_verify $id 0 digest.bin sig.bin enc=pkcs1 hash=sha256; echo GOOD";
        let o = run(Command::new("keyctl")
            .args(["session", "-", "sh", "-c", script])
            .current_dir(dir));
        let out = format!("{}{}", stdout(&o), stderr(&o));
        if o.status.code() != Some(0) && out.contains("padd") {
            skip(
                "the_kernel_verifies_rsa_from_every_backend",
                &format!("this kernel cannot add an asymmetric key: {out}"),
            );
            return;
        }
        assert!(out.contains("GOOD"), "{backend}: the kernel refused: {out}");
    }
}

#[test]
fn a_forced_backend_that_cannot_sign_is_a_clear_error() {
    let f = fixture();
    let d = scratch();
    let file = d.path().join("file");
    write_sample(&file, 100, 2);
    for (key, algo, what) in [
        (&f.rsa1024.key, "sha256", "sha256 digests"),
        (&f.rsa2048.key, "sha1", "sha1 digests"),
        (&f.p192.key, "sha256", "sha256 digests"),
        (&f.p256.key, "sha512", "sha512 digests"),
    ] {
        let o = run(ours("aws-lc")
            .args(["ima_sign", "-n", "-a", algo, "--key"])
            .arg(key)
            .arg(&file));
        assert_eq!(code(&o), 125, "{}", stderr(&o));
        assert!(
            stderr(&o).contains(&format!(
                "IMAEVM_SIGN_BACKEND=aws-lc: the aws-lc backend does not sign {what}"
            )),
            "{}",
            stderr(&o)
        );
        assert!(stdout(&o).is_empty());
    }
    // The same work is done by the default choice, through RustCrypto.
    let o = run(ours("auto")
        .args(["ima_sign", "-n", "-a", "sha1", "--key"])
        .arg(&f.rsa1024.key)
        .arg(&file));
    assert_eq!(code(&o), 0, "{}", stderr(&o));
    let o = run(ours("openssl")
        .args(["ima_sign", "-n", "--key"])
        .arg(&f.rsa2048.key)
        .arg(&file));
    assert_eq!(code(&o), 125);
    assert!(
        stderr(&o).contains("IMAEVM_SIGN_BACKEND=openssl: unknown signing backend"),
        "{}",
        stderr(&o)
    );
}
