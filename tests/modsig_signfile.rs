//! Appended signatures (`imactl modsig`) against the kernel's own scripts/sign-file, built
//! from Debian's linux-source-6.12 by tests/tools/build-sign-file.sh (cached outside the
//! repository). RSA signatures are deterministic, so the signed files must be
//! byte-identical; ECDSA ones must have the same structure (everything but the signature
//! value) and verify both ways. openssl cms checks ours too, and a tampered image fails.

mod common;

use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::OnceLock;

use common::{fixture, run, scratch, skip, stderr, stdout, write_sample};

fn imactl() -> Command {
    Command::new(env!("CARGO_BIN_EXE_imactl"))
}

/// The sign-file binary, built once per test process (None: why not).
fn sign_file() -> Result<PathBuf, String> {
    static BIN: OnceLock<Result<PathBuf, String>> = OnceLock::new();
    BIN.get_or_init(|| {
        let script = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/tools/build-sign-file.sh");
        let o = run(Command::new("bash").arg(script));
        if !o.status.success() {
            return Err(format!(
                "cannot build the kernel's sign-file: {}",
                stderr(&o).lines().last().unwrap_or("")
            ));
        }
        Ok(PathBuf::from(stdout(&o).trim()))
    })
    .clone()
}

fn kernel_sign(bin: &Path, algo: &str, key: &Path, cert: &Path, file: &Path, out: &Path) {
    let o = run(Command::new(bin)
        .arg(algo)
        .arg(key)
        .arg(cert)
        .arg(file)
        .arg(out));
    assert!(o.status.success(), "sign-file: {}", stderr(&o));
}

fn our_sign(algo: &str, key: &Path, cert: &Path, file: &Path, out: &Path) {
    let o = run(imactl()
        .args(["modsig", "sign", "--hash", algo, "--key"])
        .arg(key)
        .arg("--cert")
        .arg(cert)
        .arg("--out")
        .arg(out)
        .arg(file));
    assert!(o.status.success(), "imactl modsig sign: {}", stderr(&o));
}

fn our_verify(cert: &Path, file: &Path) -> std::process::Output {
    run(imactl()
        .args(["modsig", "verify", "--cert"])
        .arg(cert)
        .arg(file))
}

/// The SignedData of a signed file with the signature value emptied, re-encoded; and the
/// trailer without its length.
fn structure(signed: &[u8]) -> (Vec<u8>, Vec<u8>) {
    use der::{Decode, Encode};
    let a = imaevm::modsig::split(signed).expect("a signed file");
    let ci = cms::content_info::ContentInfo::from_der(a.pkcs7).expect("ContentInfo");
    let mut sd: cms::signed_data::SignedData = ci.content.decode_as().expect("SignedData");
    let mut infos: Vec<_> = sd.signer_infos.0.iter().cloned().collect();
    for i in &mut infos {
        i.signature = der::asn1::OctetString::new(Vec::new()).unwrap();
    }
    sd.signer_infos.0 = der::asn1::SetOfVec::try_from(infos).unwrap();
    let trailer = signed[signed.len() - 40..signed.len() - 32].to_vec();
    (sd.to_der().unwrap(), trailer)
}

#[test]
fn rsa_appended_signatures_are_sign_files_bytes() {
    let bin = match sign_file() {
        Ok(b) => b,
        Err(e) => return skip("rsa_appended_signatures_are_sign_files_bytes", &e),
    };
    let d = scratch();
    let f = fixture();
    let img = d.path().join("vmlinuz");
    write_sample(&img, 300_000, 5);
    for algo in ["sha256", "sha512", "sha1"] {
        let theirs = d.path().join(format!("theirs.{algo}"));
        let ours = d.path().join(format!("ours.{algo}"));
        kernel_sign(
            &bin,
            algo,
            &f.rsa2048.key,
            &f.rsa2048.cert_pem,
            &img,
            &theirs,
        );
        our_sign(algo, &f.rsa2048.key, &f.rsa2048.cert_der, &img, &ours);
        assert_eq!(
            std::fs::read(&ours).unwrap(),
            std::fs::read(&theirs).unwrap(),
            "{algo}"
        );
        let v = our_verify(&f.rsa2048.cert_pem, &theirs);
        assert!(v.status.success(), "{}", stdout(&v));
    }
    println!("RSA sha256/sha512/sha1: imactl modsig sign == sign-file, byte for byte");

    // sign-file -k names the signer by its SKID instead: verified too, and refused with a
    // certificate of another key.
    let by_skid = d.path().join("theirs.skid");
    let o = run(Command::new(&bin)
        .arg("-k")
        .arg("sha256")
        .arg(&f.rsa2048.key)
        .arg(&f.rsa2048.cert_pem)
        .arg(&img)
        .arg(&by_skid));
    assert!(o.status.success(), "sign-file -k: {}", stderr(&o));
    let v = our_verify(&f.rsa2048.cert_pem, &by_skid);
    assert!(v.status.success(), "{}", stdout(&v));
    let v = our_verify(&f.other_rsa.cert_pem, &by_skid);
    assert!(stdout(&v).contains("the key with SKID"), "{}", stdout(&v));
}

#[test]
fn ecdsa_appended_signatures_have_sign_files_structure() {
    let bin = match sign_file() {
        Ok(b) => b,
        Err(e) => return skip("ecdsa_appended_signatures_have_sign_files_structure", &e),
    };
    let d = scratch();
    let f = fixture();
    let img = d.path().join("vmlinuz");
    write_sample(&img, 100_000, 8);
    for (pair, algo) in [(&f.p256, "sha256"), (&f.p384, "sha384")] {
        let theirs = d.path().join("theirs");
        let ours = d.path().join("ours");
        kernel_sign(&bin, algo, &pair.key, &pair.cert_pem, &img, &theirs);
        our_sign(algo, &pair.key, &pair.cert_pem, &img, &ours);
        let (t, o) = (
            std::fs::read(&theirs).unwrap(),
            std::fs::read(&ours).unwrap(),
        );
        assert_eq!(structure(&o), structure(&t), "{algo}");
        for file in [&theirs, &ours] {
            let v = our_verify(&pair.cert_pem, file);
            assert!(v.status.success(), "{}", stdout(&v));
        }
    }
}

#[test]
fn openssl_accepts_ours_and_tampering_is_refused() {
    let d = scratch();
    let f = fixture();
    let img = d.path().join("vmlinuz");
    write_sample(&img, 50_000, 2);
    let signed = d.path().join("signed");
    our_sign("sha256", &f.rsa2048.key, &f.rsa2048.cert_pem, &img, &signed);
    let data = std::fs::read(&signed).unwrap();
    let a = imaevm::modsig::split(&data).unwrap();
    std::fs::write(d.path().join("p7"), a.pkcs7).unwrap();
    std::fs::write(d.path().join("content"), a.content).unwrap();
    let cms_verify = |content: &str| {
        run(Command::new("openssl")
            .current_dir(d.path())
            .args([
                "cms",
                "-verify",
                "-binary",
                "-inform",
                "DER",
                "-in",
                "p7",
                "-content",
                content,
                "-certfile",
            ])
            .arg(&f.rsa2048.cert_pem)
            .args(["-nointern", "-noverify", "-out", "/dev/null"]))
    };
    let ok = cms_verify("content");
    assert!(ok.status.success(), "openssl cms: {}", stderr(&ok));

    // One flipped byte in the image: refused by us and by openssl.
    let mut bad = data.clone();
    bad[1000] ^= 0x40;
    let tampered = d.path().join("tampered");
    std::fs::write(&tampered, &bad).unwrap();
    let v = our_verify(&f.rsa2048.cert_pem, &tampered);
    assert_eq!(v.status.code(), Some(1));
    assert!(stdout(&v).contains("invalid signature"), "{}", stdout(&v));
    std::fs::write(d.path().join("content2"), &bad[..a.content.len()]).unwrap();
    assert!(!cms_verify("content2").status.success());

    // Another certificate: the signer is named and not found. Unsigned files are refused.
    let v = our_verify(&f.other_rsa.cert_pem, &signed);
    assert!(
        stdout(&v).contains("none of the given certificates"),
        "{}",
        stdout(&v)
    );
    let v = our_verify(&f.rsa2048.cert_pem, &img);
    assert!(
        stdout(&v).contains("no appended signature"),
        "{}",
        stdout(&v)
    );

    // remove gives the original bytes back, in place; removing again is an error.
    let o = run(imactl().args(["modsig", "remove"]).arg(&signed));
    assert!(o.status.success(), "{}", stderr(&o));
    assert_eq!(
        std::fs::read(&signed).unwrap(),
        std::fs::read(&img).unwrap()
    );
    let o = run(imactl().args(["modsig", "remove"]).arg(&signed));
    assert_eq!(o.status.code(), Some(1));
    assert!(
        stderr(&o).contains("no appended signature"),
        "{}",
        stderr(&o)
    );
    assert_eq!(
        std::fs::read(&signed).unwrap(),
        std::fs::read(&img).unwrap()
    );
}

/// The test keys of tests/data/keys.
fn test_key(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/data/keys")
        .join(name)
}

/// Asserts exit status `code` and that stderr names `named`.
fn assert_exit(o: &std::process::Output, code: i32, named: &Path, what: &str) {
    assert_eq!(o.status.code(), Some(code), "{what}: {}", stderr(o));
    assert!(
        stderr(o).contains(named.to_str().unwrap()),
        "{what}: stderr names {}: {}",
        named.display(),
        stderr(o)
    );
}

/// An input modsig cannot read (missing, a directory) is exit status 2, naming the file,
/// as `imactl --help` says; a file that is read and is the wrong kind stays 1. In verify,
/// each FILE keeps its own verdict: an unreadable FILE is one "no" (1).
#[test]
fn modsig_inputs_that_cannot_be_read_are_exit_2() {
    let d = scratch();
    let img = d.path().join("img");
    write_sample(&img, 4096, 7);
    let missing = d.path().join("missing.pem");
    let dir = d.path().join("a-directory");
    std::fs::create_dir(&dir).unwrap();
    let (key, cert) = (test_key("rsa2048.pk8.pem"), test_key("rsa2048.crt.pem"));
    let sign = |key: &Path, cert: &Path, file: &Path| {
        run(imactl()
            .args(["modsig", "sign", "--key"])
            .arg(key)
            .arg("--cert")
            .arg(cert)
            .arg("--out")
            .arg(d.path().join("signed"))
            .arg(file))
    };
    for bad in [&missing, &dir] {
        assert_exit(&sign(&key, bad, &img), 2, bad, "sign --cert");
        assert_exit(&sign(bad, &cert, &img), 2, bad, "sign --key");
        assert_exit(&sign(&key, &cert, bad), 2, bad, "sign FILE");
        assert_exit(&our_verify(bad, &img), 2, bad, "verify --cert");
        let o = run(imactl().args(["modsig", "remove"]).arg(bad));
        assert_exit(&o, 2, bad, "remove FILE");
    }
    assert!(!d.path().join("signed").exists(), "nothing was written");
    // Read, but the wrong kind: the answer is no.
    assert_exit(&sign(&key, &key, &img), 1, &key, "sign --cert KEY");
    assert_exit(&sign(&cert, &cert, &img), 1, &cert, "sign --key CERT");
    assert_exit(&our_verify(&key, &img), 1, &key, "verify --cert KEY");
    let o = run(imactl().args(["modsig", "remove"]).arg(&img));
    assert_eq!(o.status.code(), Some(1), "remove unsigned: {}", stderr(&o));
    // verify: an unreadable FILE is one verdict among the others.
    let o = run(imactl()
        .args(["modsig", "verify", "--cert"])
        .arg(&cert)
        .arg(&missing)
        .arg(&img));
    assert_eq!(o.status.code(), Some(1), "verify FILEs: {}", stderr(&o));
    assert!(stdout(&o).contains(&format!("{}: cannot read", missing.display())));
    assert!(stdout(&o).contains(&format!("{}: no appended signature", img.display())));
}

/// `modsig sign --hash` that names no digest algorithm is a usage error (2), said before
/// anything is read or written.
#[test]
fn modsig_sign_with_an_unknown_hash_is_exit_2() {
    let d = scratch();
    let img = d.path().join("img");
    write_sample(&img, 4096, 8);
    let o = run(imactl()
        .args(["modsig", "sign", "--hash", "BAD", "--key"])
        .arg(test_key("rsa2048.pk8.pem"))
        .arg("--cert")
        .arg(test_key("rsa2048.crt.pem"))
        .arg("--out")
        .arg(d.path().join("signed"))
        .arg(&img));
    assert_eq!(o.status.code(), Some(2), "{}", stderr(&o));
    assert!(stderr(&o).contains("--hash"), "{}", stderr(&o));
    assert!(stderr(&o).contains("'BAD'"), "{}", stderr(&o));
    assert!(!d.path().join("signed").exists(), "nothing was written");
}

/// A key that cannot be used is named once in the message, not as "K: K: ...".
#[test]
fn modsig_sign_names_the_key_once() {
    let d = scratch();
    let img = d.path().join("img");
    write_sample(&img, 4096, 9);
    let missing = d.path().join("missing.key");
    let cert = test_key("rsa2048.crt.pem");
    for (key, code) in [(&missing, 2), (&cert, 1)] {
        let o = run(imactl()
            .args(["modsig", "sign", "--key"])
            .arg(key)
            .arg("--cert")
            .arg(&cert)
            .arg("--out")
            .arg(d.path().join("signed"))
            .arg(&img));
        assert_eq!(o.status.code(), Some(code), "{}", stderr(&o));
        let line = stderr(&o);
        let needle = format!("{}:", key.display());
        assert_eq!(line.matches(&needle).count(), 1, "named once: {line}");
    }
}
