//! Every verification backend through `evmctl ima_verify`, with the backend forced by
//! `IMAEVM_VERIFY_BACKEND` (docs/speed.md, "Verification"). `aws-lc` is strict: it
//! verifies with AWS-LC or fails, so a pass here cannot come from the other backend.
//! The verify-heavy suites also run under each backend: tests/run.sh runs them once as
//! they are (auto) and once with `IMAEVM_VERIFY_BACKEND=rustcrypto`.

mod common;

use common::*;
use std::path::Path;

const BACKENDS: [&str; 2] = ["aws-lc", "rustcrypto"];

fn verify(backend: &str, cert: &Path, file: &Path) -> std::process::Output {
    run(evmctl()
        .env("IMAEVM_VERIFY_BACKEND", backend)
        .args(["ima_verify", "--sigfile", "--key"])
        .arg(cert)
        .arg(file))
}

fn sign(key: &Path, algo: &str, file: &Path) {
    let o = run(evmctl()
        .args(["ima_sign", "--sigfile", "-a", algo, "--key"])
        .arg(key)
        .arg(file));
    assert_eq!(code(&o), 0, "{}", stderr(&o));
}

#[test]
fn every_backend_accepts_good_signatures_and_refuses_bad_ones() {
    let f = fixture();
    let d = scratch();
    let file = d.path().join("file");
    let mut n = 0;
    for (kp, algo) in [
        (&f.rsa2048, "sha256"),
        (&f.rsa2048, "sha1"),
        (&f.rsa4096, "sha512"),
        (&f.p256, "sha256"),
        (&f.p384, "sha384"),
        (&f.p521, "sha512"),
    ] {
        write_sample(&file, 5000, n as u8);
        sign(&kp.key, algo, &file);
        let ctx = format!("{algo} {}", kp.key.display());
        for backend in BACKENDS {
            let o = verify(backend, &kp.cert_der, &file);
            assert_eq!(code(&o), 0, "{backend} {ctx}: {}", stderr(&o));
            let o = verify(backend, &f.other_rsa.cert_der, &file);
            assert_eq!(code(&o), 1, "{backend} {ctx}: other key");
        }
        // The same signature over other contents.
        let mut data = std::fs::read(&file).unwrap();
        data[7] ^= 0x01;
        std::fs::write(&file, data).unwrap();
        for backend in BACKENDS {
            let o = verify(backend, &kp.cert_der, &file);
            assert_eq!(code(&o), 1, "{backend} {ctx}: tampered file");
        }
        // A damaged signature over the original contents.
        write_sample(&file, 5000, n as u8);
        let sigfile = d.path().join("file.sig");
        let mut sig = std::fs::read(&sigfile).unwrap();
        let last = sig.len() - 1;
        sig[last] ^= 0x40;
        std::fs::write(&sigfile, &sig).unwrap();
        for backend in BACKENDS {
            let o = verify(backend, &kp.cert_der, &file);
            assert_eq!(code(&o), 1, "{backend} {ctx}: damaged signature");
        }
        n += 1;
    }
    assert_eq!(n, 6);
}

#[test]
fn a_forced_backend_that_cannot_verify_is_a_clear_error() {
    let f = fixture();
    let d = scratch();
    let file = d.path().join("file");
    write_sample(&file, 100, 3);
    for (kp, algo, what) in [
        (
            &f.rsa1024,
            "sha256",
            "sha256 signatures made with a RSA-1024 key",
        ),
        (
            &f.rsa2048,
            "sha224",
            "sha224 signatures made with a RSA-2048 key",
        ),
        (
            &f.p192,
            "sha256",
            "sha256 signatures made with a ECDSA P-192 key",
        ),
    ] {
        sign(&kp.key, algo, &file);
        let o = verify("aws-lc", &kp.cert_der, &file);
        assert_ne!(code(&o), 0, "{algo} {}", kp.key.display());
        let all = format!("{}{}", stdout(&o), stderr(&o));
        assert!(
            all.contains(&format!(
                "IMAEVM_VERIFY_BACKEND=aws-lc: the aws-lc backend does not verify {what}"
            )),
            "{all}"
        );
        // The default choice verifies it, through RustCrypto.
        let o = verify("auto", &kp.cert_der, &file);
        assert_eq!(code(&o), 0, "{}", stderr(&o));
    }
    sign(&f.rsa2048.key, "sha256", &file);
    let o = verify("openssl", &f.rsa2048.cert_der, &file);
    assert_ne!(code(&o), 0);
    let all = format!("{}{}", stdout(&o), stderr(&o));
    assert!(
        all.contains("IMAEVM_VERIFY_BACKEND=openssl: unknown verification backend"),
        "{all}"
    );
}
