//! `imactl key ca` and `imactl key new` against the outside world:
//! - openssl verifies the chain and shows the extensions, for every key type;
//! - upstream evmctl (/usr/bin/evmctl, Debian's ima-evm-utils) signs with a generated key
//!   and verifies with the generated DER certificate, and verifies our evmctl's signatures;
//! - the host kernel takes the certificates as asymmetric keys, and a keyring restricted to
//!   keys signed by the CA (the signature half of `.ima`'s rule) takes the leaf and refuses
//!   a self-signed certificate and another CA's leaf with ENOKEY (the other half, no CA
//!   certificates and digitalSignature required, is not available to keyctl: it is what
//!   `imactl key show` reports, and the kernel lab proves it);
//! - files are new, private, never overwritten; passwords come from the environment.
//!
//! A check whose tool is missing prints "SKIP <name>: <reason>".

mod keyring_common;

use std::os::unix::fs::PermissionsExt;
use std::path::{Path, PathBuf};
use std::process::{Command, Output};

use imaevm::keyring;
use keyring_common::{fresh_session, new_keyring, text};

const TYPES: [&str; 5] = ["rsa2048", "rsa3072", "rsa4096", "p256", "p384"];

fn run_imactl(args: &[&str], env: &[(&str, &str)]) -> Output {
    let mut c = Command::new(env!("CARGO_BIN_EXE_imactl"));
    c.args(args)
        .env_remove("EVMCTL_KEY_PASSWORD")
        .env_remove("IMACTL_CA_KEY_PASSWORD");
    for (k, v) in env {
        c.env(k, v);
    }
    c.output().expect("run imactl")
}

fn have(tool: &str) -> bool {
    Path::new(tool).is_file()
        || Command::new("sh")
            .args(["-c", &format!("command -v {tool}")])
            .output()
            .is_ok_and(|o| o.status.success())
}

fn s(p: &Path) -> &str {
    p.to_str().unwrap()
}

/// A CA and a leaf of `kind` in `dir`; returns the keyid `key new` printed.
fn make_chain(dir: &Path, kind: &str, env: &[(&str, &str)]) -> String {
    let o = run_imactl(
        &[
            "key",
            "ca",
            "--type",
            kind,
            "--subject",
            &format!("CN=Test CA {kind},O=imaevm tests"),
            "--days",
            "30",
            "--out",
            s(dir),
        ],
        env,
    );
    assert!(o.status.success(), "key ca {kind}: {}", text(&o.stderr));
    let ca_out = text(&o.stdout);
    assert!(ca_out.contains("CONFIG_SYSTEM_TRUSTED_KEYS="), "{ca_out}");
    assert!(ca_out.contains("mokutil --import"), "{ca_out}");
    let o = run_imactl(
        &[
            "key",
            "new",
            "--type",
            kind,
            "--ca-cert",
            s(&dir.join("ca.pem")),
            "--ca-key",
            s(&dir.join("ca.key")),
            "--out",
            s(dir),
        ],
        env,
    );
    assert!(o.status.success(), "key new {kind}: {}", text(&o.stderr));
    let out = text(&o.stdout);
    assert!(out.contains("/etc/keys/ima/"), "{out}");
    let keyid = out
        .lines()
        .find_map(|l| l.strip_prefix("keyid:"))
        .expect("a keyid line")
        .split_whitespace()
        .next()
        .unwrap()
        .to_string();
    assert_eq!(keyid.len(), 8, "{out}");
    keyid
}

fn openssl(args: &[&str]) -> Output {
    Command::new("openssl")
        .args(args)
        .output()
        .expect("run openssl")
}

/// The last 8 hex digits of the SKID openssl shows.
fn openssl_skid_tail(cert: &Path) -> String {
    let o = openssl(&[
        "x509",
        "-in",
        s(cert),
        "-noout",
        "-ext",
        "subjectKeyIdentifier",
    ]);
    assert!(o.status.success(), "{}", text(&o.stderr));
    let hex: String = text(&o.stdout)
        .lines()
        .nth(1)
        .unwrap()
        .trim()
        .replace(':', "")
        .to_lowercase();
    hex[hex.len() - 8..].to_string()
}

#[test]
fn chain_verifies_with_openssl_and_upstream_evmctl_for_every_type() {
    const T: &str = "chain_verifies_with_openssl_and_upstream_evmctl_for_every_type";
    if !have("openssl") {
        keyring_common::skip(T, "openssl is not installed");
        return;
    }
    let upstream = Path::new("/usr/bin/evmctl");
    let tmp = tempfile::tempdir().unwrap();
    // The key types are independent: make them in parallel (RSA-4096 is slow in debug).
    let handles: Vec<_> = TYPES
        .iter()
        .map(|&kind| {
            let dir = tmp.path().join(kind);
            std::thread::spawn(move || {
                let keyid = make_chain(&dir, kind, &[]);
                (kind, dir, keyid)
            })
        })
        .collect();
    for h in handles {
        let (kind, dir, keyid) = h.join().unwrap();
        let ca = dir.join("ca.pem");
        let ima = dir.join("ima.pem");

        let o = openssl(&["verify", "-CAfile", s(&ca), s(&ima)]);
        println!("{kind}: openssl verify: {}", text(&o.stdout).trim());
        assert!(
            o.status.success(),
            "{kind}: {}{}",
            text(&o.stdout),
            text(&o.stderr)
        );
        // The leaf is not a CA: it must not verify another certificate.
        let o = openssl(&["verify", "-CAfile", s(&ima), s(&ima)]);
        assert!(!o.status.success(), "{kind}: the leaf acted as a CA");

        let o = openssl(&["x509", "-in", s(&ima), "-noout", "-text"]);
        let t = text(&o.stdout);
        for want in [
            "X509v3 Basic Constraints: critical",
            "CA:FALSE",
            "X509v3 Key Usage: critical",
            "Digital Signature",
            "X509v3 Extended Key Usage",
            "Code Signing",
            "X509v3 Subject Key Identifier",
            "X509v3 Authority Key Identifier",
        ] {
            assert!(t.contains(want), "{kind}: leaf lacks '{want}':\n{t}");
        }
        assert!(
            !t.contains("Certificate Sign"),
            "{kind}: leaf can sign certs"
        );
        let o = openssl(&["x509", "-in", s(&ca), "-noout", "-text"]);
        let t = text(&o.stdout);
        for want in [
            "X509v3 Basic Constraints: critical",
            "CA:TRUE",
            "X509v3 Key Usage: critical",
            "Certificate Sign, CRL Sign",
            "X509v3 Subject Key Identifier",
        ] {
            assert!(t.contains(want), "{kind}: CA lacks '{want}':\n{t}");
        }
        let bits = match kind {
            k if k.starts_with("rsa") => format!("Public-Key: ({} bit)", &k[3..]),
            "p256" => "Public-Key: (256 bit)".into(),
            _ => "Public-Key: (384 bit)".into(),
        };
        assert!(t.contains(&bits), "{kind}: {t}");

        // The printed keyid is the SKID tail, and the DER is the PEM's certificate.
        assert_eq!(keyid, openssl_skid_tail(&ima), "{kind}");
        let o = openssl(&[
            "x509",
            "-in",
            s(&dir.join("ima.der")),
            "-inform",
            "DER",
            "-noout",
            "-fingerprint",
        ]);
        let p = openssl(&["x509", "-in", s(&ima), "-noout", "-fingerprint"]);
        assert_eq!(
            text(&o.stdout),
            text(&p.stdout),
            "{kind}: DER and PEM differ"
        );

        // Modes: keys 0600.
        for f in ["ca.key", "ima.key"] {
            let m = std::fs::metadata(dir.join(f)).unwrap().permissions().mode() & 0o777;
            assert_eq!(m, 0o600, "{kind}: {f}");
        }
        // openssl reads the key as PKCS#8 and it matches the certificate.
        let o = openssl(&["pkey", "-in", s(&dir.join("ima.key")), "-pubout"]);
        let p = openssl(&["x509", "-in", s(&ima), "-noout", "-pubkey"]);
        assert!(o.status.success());
        assert_eq!(
            text(&o.stdout),
            text(&p.stdout),
            "{kind}: key and certificate differ"
        );

        // Signatures: upstream signs with the generated key and verifies with the DER.
        let file = dir.join("payload");
        std::fs::write(&file, format!("kernel image stand-in {kind}\n")).unwrap();
        let hash = if kind == "p384" { "sha384" } else { "sha256" };
        if !upstream.is_file() {
            keyring_common::skip(
                T,
                "/usr/bin/evmctl is not installed (apt-get install ima-evm-utils)",
            );
            continue;
        }
        let o = Command::new(upstream)
            .args(["ima_sign", "--sigfile", "-a", hash, "--key"])
            .arg(dir.join("ima.key"))
            .arg(&file)
            .env_remove("EVMCTL_KEY_PASSWORD")
            .output()
            .unwrap();
        assert!(
            o.status.success(),
            "{kind}: upstream ima_sign: {}",
            text(&o.stderr)
        );
        let sig = std::fs::read(dir.join("payload.sig")).unwrap();
        // type 3, version 2, hash id, then the keyid.
        assert_eq!(
            imaevm::hash::to_hex(&sig[3..7]),
            keyid,
            "{kind}: keyid in the header"
        );
        let o = Command::new(upstream)
            .args(["ima_verify", "--sigfile", "--key"])
            .arg(dir.join("ima.der"))
            .arg(&file)
            .output()
            .unwrap();
        println!(
            "{kind}: upstream ima_verify --key ima.der of its own signature: exit {}",
            o.status
        );
        assert!(
            o.status.success(),
            "{kind}: upstream ima_verify: {}{}",
            text(&o.stdout),
            text(&o.stderr)
        );

        // Our evmctl signs; upstream verifies.
        std::fs::remove_file(dir.join("payload.sig")).unwrap();
        let o = Command::new(env!("CARGO_BIN_EXE_evmctl"))
            .args(["ima_sign", "--sigfile", "-a", hash, "--key"])
            .arg(dir.join("ima.key"))
            .arg(&file)
            .env_remove("EVMCTL_KEY_PASSWORD")
            .output()
            .unwrap();
        assert!(
            o.status.success(),
            "{kind}: our ima_sign: {}",
            text(&o.stderr)
        );
        let o = Command::new(upstream)
            .args(["ima_verify", "--sigfile", "--key"])
            .arg(dir.join("ima.der"))
            .arg(&file)
            .output()
            .unwrap();
        assert!(
            o.status.success(),
            "{kind}: upstream verify of ours: {}",
            text(&o.stderr)
        );
        // And a changed file fails.
        std::fs::write(&file, b"another kernel\n").unwrap();
        let o = Command::new(upstream)
            .args(["ima_verify", "--sigfile", "--key"])
            .arg(dir.join("ima.der"))
            .arg(&file)
            .output()
            .unwrap();
        assert!(!o.status.success(), "{kind}: a changed file verified");
    }
}

#[test]
fn encrypted_keys_use_the_environment_and_never_the_command_line() {
    const T: &str = "encrypted_keys_use_the_environment_and_never_the_command_line";
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path();
    let env = [
        ("IMACTL_CA_KEY_PASSWORD", "ca secret"),
        ("EVMCTL_KEY_PASSWORD", "key secret"),
    ];
    make_chain(dir, "p256", &env);
    for f in ["ca.key", "ima.key"] {
        let t = std::fs::read_to_string(dir.join(f)).unwrap();
        assert!(
            t.starts_with("-----BEGIN ENCRYPTED PRIVATE KEY-----\n"),
            "{f}"
        );
    }
    // The wrong CA password: refused, nothing written.
    let o = run_imactl(
        &[
            "key",
            "new",
            "--ca-cert",
            s(&dir.join("ca.pem")),
            "--ca-key",
            s(&dir.join("ca.key")),
            "--out",
            s(dir),
            "--name",
            "second",
        ],
        &[("IMACTL_CA_KEY_PASSWORD", "wrong")],
    );
    assert!(!o.status.success());
    assert!(
        text(&o.stderr).contains("wrong password"),
        "{}",
        text(&o.stderr)
    );
    assert!(!dir.join("second.key").exists() && !dir.join("second.pem").exists());
    // No password option exists on the command line.
    let o = run_imactl(&["key", "ca", "--out", s(dir), "--password", "x"], &[]);
    assert!(!o.status.success());

    if have("openssl") {
        let o = Command::new("openssl")
            .args([
                "pkey",
                "-in",
                s(&dir.join("ima.key")),
                "-passin",
                "env:EVMCTL_KEY_PASSWORD",
                "-noout",
            ])
            .env("EVMCTL_KEY_PASSWORD", "key secret")
            .output()
            .unwrap();
        assert!(
            o.status.success(),
            "openssl cannot decrypt: {}",
            text(&o.stderr)
        );
    }
    let upstream = Path::new("/usr/bin/evmctl");
    if !upstream.is_file() {
        keyring_common::skip(T, "/usr/bin/evmctl is not installed");
        return;
    }
    let file = dir.join("f");
    std::fs::write(&file, b"x\n").unwrap();
    let o = Command::new(upstream)
        .args(["ima_sign", "--sigfile", "--key"])
        .arg(dir.join("ima.key"))
        .arg(&file)
        .env("EVMCTL_KEY_PASSWORD", "key secret")
        .output()
        .unwrap();
    assert!(
        o.status.success(),
        "upstream with the password: {}",
        text(&o.stderr)
    );
    let o = Command::new(upstream)
        .args(["ima_verify", "--sigfile", "--key"])
        .arg(dir.join("ima.der"))
        .arg(&file)
        .output()
        .unwrap();
    assert!(o.status.success(), "{}", text(&o.stderr));
}

#[test]
fn existing_files_and_links_are_never_overwritten() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path().join("pki");
    let o = run_imactl(&["key", "ca", "--type", "p256", "--out", s(&dir)], &[]);
    assert!(o.status.success(), "{}", text(&o.stderr));
    let m = std::fs::metadata(&dir).unwrap().permissions().mode() & 0o777;
    assert_eq!(m, 0o700, "a new output directory is private");
    let before = std::fs::read(dir.join("ca.key")).unwrap();
    let o = run_imactl(&["key", "ca", "--type", "p256", "--out", s(&dir)], &[]);
    assert!(!o.status.success());
    assert!(
        text(&o.stderr).contains("already exists"),
        "{}",
        text(&o.stderr)
    );
    assert_eq!(std::fs::read(dir.join("ca.key")).unwrap(), before);

    // A symbolic link planted where the key goes: refused, its target untouched.
    let victim = tmp.path().join("victim");
    std::fs::write(&victim, b"precious").unwrap();
    std::os::unix::fs::symlink(&victim, dir.join("ima.key")).unwrap();
    let o = run_imactl(
        &[
            "key",
            "new",
            "--type",
            "p256",
            "--ca-cert",
            s(&dir.join("ca.pem")),
            "--ca-key",
            s(&dir.join("ca.key")),
            "--out",
            s(&dir),
        ],
        &[],
    );
    assert!(!o.status.success());
    assert_eq!(std::fs::read(&victim).unwrap(), b"precious");
    assert!(!dir.join("ima.pem").exists());

    // A leaf cannot act as the CA.
    std::fs::remove_file(dir.join("ima.key")).unwrap();
    let o = run_imactl(
        &[
            "key",
            "new",
            "--type",
            "p256",
            "--ca-cert",
            s(&dir.join("ca.pem")),
            "--ca-key",
            s(&dir.join("ca.key")),
            "--out",
            s(&dir),
        ],
        &[],
    );
    assert!(o.status.success(), "{}", text(&o.stderr));
    let o = run_imactl(
        &[
            "key",
            "new",
            "--type",
            "p256",
            "--ca-cert",
            s(&dir.join("ima.pem")),
            "--ca-key",
            s(&dir.join("ima.key")),
            "--out",
            s(&dir),
            "--name",
            "x",
        ],
        &[],
    );
    assert!(!o.status.success());
    assert!(
        text(&o.stderr).contains("not a CA certificate"),
        "{}",
        text(&o.stderr)
    );
    // Bad input is named.
    let o = run_imactl(&["key", "ca", "--type", "rsa1024", "--out", s(&dir)], &[]);
    assert!(!o.status.success());
    assert!(text(&o.stderr).contains("rsa1024"));
    let o = run_imactl(
        &[
            "key",
            "ca",
            "--subject",
            "no equals",
            "--out",
            s(&dir),
            "--name",
            "y",
        ],
        &[],
    );
    assert!(!o.status.success());
    assert!(text(&o.stderr).contains("RFC 4514"), "{}", text(&o.stderr));
    assert!(!dir.join("y.key").exists());
}

fn add_der(path: &Path, ring: keyring::KeySerial) -> std::io::Result<keyring::KeySerial> {
    keyring::add_key("asymmetric", None, &std::fs::read(path).unwrap(), ring).map_err(Into::into)
}

/// The host kernel: the certificates load as asymmetric keys, and a keyring restricted
/// to keys signed by a key in the CA's keyring (`.ima`'s rule, emulated) accepts the
/// leaf and refuses a self-signed certificate and a CA from elsewhere with ENOKEY.
#[test]
fn kernel_accepts_the_leaf_under_a_ca_restriction() {
    const T: &str = "kernel_accepts_the_leaf_under_a_ca_restriction";
    let Some(_) = fresh_session(T) else { return };
    if !have("keyctl") {
        keyring_common::skip(T, "keyctl is not installed (apt-get install keyutils)");
        return;
    }
    let tmp = tempfile::tempdir().unwrap();
    let mut tested = 0;
    for kind in ["rsa2048", "p256"] {
        let dir: PathBuf = tmp.path().join(kind);
        let keyid = make_chain(&dir, kind, &[]);
        // Another CA, whose self-signed certificate must be refused.
        let other = tmp.path().join(format!("{kind}-other"));
        let o = run_imactl(&["key", "ca", "--type", kind, "--out", s(&other)], &[]);
        assert!(o.status.success());

        let probe = new_keyring(&format!("probe-{kind}"));
        match add_der(&dir.join("ima.der"), probe) {
            Ok(serial) => {
                let d = keyring::describe(serial).unwrap();
                println!(
                    "{kind}: kernel took the leaf: {} {}",
                    d.key_type, d.description
                );
                assert_eq!(d.key_type, "asymmetric");
            }
            Err(e) if kind == "p256" => {
                keyring_common::skip_part(
                    T,
                    kind,
                    &format!("the host kernel takes no ECDSA keys: {e}"),
                );
                continue;
            }
            Err(e) => panic!("{kind}: the kernel refused the generated leaf: {e}"),
        }
        // IMA finds keys by id:<keyid>: the kernel's copy answers to the printed keyid.
        keyring::search(probe, "asymmetric", &format!("id:{keyid}"))
            .unwrap_or_else(|e| panic!("{kind}: no key id:{keyid} in the kernel: {e}"));

        let ca_ring = new_keyring(&format!("ca-{kind}"));
        // A self-signed certificate's signature is checked at load: ECDSA verification
        // needs CONFIG_CRYPTO_ECDSA (ENOENT without it; openssl's own EC CAs fail the same).
        match add_der(&dir.join("ca.der"), ca_ring) {
            Ok(_) => {}
            Err(e) if kind == "p256" && e.raw_os_error() == Some(libc::ENOENT) => {
                keyring_common::skip_part(
                    T,
                    kind,
                    &format!("the host kernel cannot verify ECDSA signatures: {e}"),
                );
                continue;
            }
            Err(e) => panic!("{kind}: the CA certificate does not load: {e}"),
        }
        let ima_ring = new_keyring(&format!("ima-{kind}"));
        let o = Command::new("keyctl")
            .args([
                "restrict_keyring",
                &ima_ring.to_string(),
                "asymmetric",
                &format!("key_or_keyring:{ca_ring}"),
            ])
            .output()
            .unwrap();
        assert!(o.status.success(), "restrict_keyring: {}", text(&o.stderr));

        let e = add_der(&other.join("ca.der"), ima_ring).unwrap_err();
        println!("{kind}: self-signed CA of another into the restricted ring: {e}");
        assert_eq!(e.raw_os_error(), Some(libc::ENOKEY), "{kind}");
        // A leaf issued by the other CA: refused too.
        let o = run_imactl(
            &[
                "key",
                "new",
                "--type",
                kind,
                "--ca-cert",
                s(&other.join("ca.pem")),
                "--ca-key",
                s(&other.join("ca.key")),
                "--out",
                s(&other),
            ],
            &[],
        );
        assert!(o.status.success(), "{}", text(&o.stderr));
        let e = add_der(&other.join("ima.der"), ima_ring).unwrap_err();
        println!("{kind}: leaf of another CA into the restricted ring: {e}");
        assert_eq!(e.raw_os_error(), Some(libc::ENOKEY), "{kind}");
        let serial = add_der(&dir.join("ima.der"), ima_ring)
            .unwrap_or_else(|e| panic!("{kind}: the restricted ring refused our leaf: {e}"));
        println!("{kind}: leaf issued by our CA into the restricted ring: accepted ({serial})");

        // The kernel verifies a signature made with the generated key.
        let file = dir.join("payload");
        std::fs::write(&file, b"payload\n").unwrap();
        let o = Command::new(env!("CARGO_BIN_EXE_evmctl"))
            .args(["ima_sign", "--sigfile", "--key"])
            .arg(dir.join("ima.key"))
            .arg(&file)
            .env_remove("EVMCTL_KEY_PASSWORD")
            .output()
            .unwrap();
        assert!(o.status.success(), "{}", text(&o.stderr));
        let o = Command::new(env!("CARGO_BIN_EXE_imactl"))
            .args([
                "verify",
                "--sigfile",
                "--keyring",
                &ima_ring.to_string(),
                s(&file),
            ])
            .output()
            .unwrap();
        println!("{kind}: imactl verify: {}", text(&o.stdout).trim());
        assert!(
            o.status.success(),
            "{kind}: {}{}",
            text(&o.stdout),
            text(&o.stderr)
        );
        tested += 1;
    }
    assert!(tested > 0, "no key type could be tested");
}

/// A self-signed P-256 certificate with the extensions in `ext` (openssl config syntax),
/// made by openssl in `dir` as NAME.pem / NAME.key.
fn openssl_cert(dir: &Path, name: &str, ext: &str) -> (PathBuf, PathBuf) {
    let conf = dir.join(format!("{name}.cnf"));
    std::fs::write(
        &conf,
        format!(
            "[req]\ndistinguished_name=dn\nx509_extensions=ext\nprompt=no\n\
             [dn]\nCN={name}\n[ext]\nsubjectKeyIdentifier=hash\n{ext}\n"
        ),
    )
    .unwrap();
    let (cert, key) = (
        dir.join(format!("{name}.pem")),
        dir.join(format!("{name}.key")),
    );
    let o = openssl(&[
        "req",
        "-x509",
        "-config",
        s(&conf),
        "-newkey",
        "ec",
        "-pkeyopt",
        "ec_paramgen_curve:P-256",
        "-nodes",
        "-days",
        "30",
        "-keyout",
        s(&key),
        "-out",
        s(&cert),
    ]);
    assert!(o.status.success(), "openssl req: {}", text(&o.stderr));
    (cert, key)
}

/// Issue 24, defect 1: an issuer needs basicConstraints CA:TRUE *and* keyUsage keyCertSign
/// (RFC 5280); either alone, or a CA key that is not the certificate's, is refused before
/// anything is written, with the reason named.
#[test]
fn key_new_refuses_a_partial_ca_and_a_mismatched_ca_key() {
    const T: &str = "key_new_refuses_a_partial_ca_and_a_mismatched_ca_key";
    if !have("openssl") {
        keyring_common::skip(T, "openssl is not installed");
        return;
    }
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path();
    let key_new = |cert: &Path, key: &Path, name: &str| {
        run_imactl(
            &[
                "key",
                "new",
                "--type",
                "p256",
                "--ca-cert",
                s(cert),
                "--ca-key",
                s(key),
                "--out",
                s(&dir.join("out")),
                "--name",
                name,
            ],
            &[],
        )
    };
    let cases = [
        (
            "ca_false_kcs",
            "basicConstraints=critical,CA:FALSE\nkeyUsage=critical,keyCertSign,cRLSign",
            "CA:FALSE",
        ),
        (
            "no_bc_kcs",
            "keyUsage=critical,keyCertSign,cRLSign",
            "no basicConstraints",
        ),
        (
            "ca_true_no_kcs",
            "basicConstraints=critical,CA:TRUE\nkeyUsage=critical,digitalSignature,cRLSign",
            "lacks keyCertSign",
        ),
        (
            "ca_true_no_ku",
            "basicConstraints=critical,CA:TRUE",
            "no keyUsage",
        ),
    ];
    for (name, ext, why) in cases {
        let (cert, key) = openssl_cert(dir, name, ext);
        let o = key_new(&cert, &key, name);
        let err = text(&o.stderr);
        assert_eq!(o.status.code(), Some(1), "{name}: {err}");
        assert!(err.contains("not a CA certificate"), "{name}: {err}");
        assert!(err.contains(why), "{name}: {err}");
        assert!(err.contains(s(&cert)), "{name}: the file is named: {err}");
        assert!(
            !dir.join("out").join(format!("{name}.key")).exists(),
            "{name}: nothing written"
        );
    }

    // A full CA works, and its key only with its certificate.
    let ext = "basicConstraints=critical,CA:TRUE\nkeyUsage=critical,keyCertSign,cRLSign";
    let (good_cert, good_key) = openssl_cert(dir, "good", ext);
    let (_, other_key) = openssl_cert(dir, "other", ext);
    let o = key_new(&good_cert, &other_key, "mismatch");
    let err = text(&o.stderr);
    assert_eq!(o.status.code(), Some(1), "{err}");
    assert!(err.contains("does not match the CA certificate"), "{err}");
    assert!(
        err.contains(s(&other_key)) && err.contains(s(&good_cert)),
        "{err}"
    );
    assert!(!dir.join("out").join("mismatch.key").exists());
    let o = key_new(&good_cert, &good_key, "leaf");
    assert!(o.status.success(), "{}", text(&o.stderr));
    let o = openssl(&[
        "verify",
        "-CAfile",
        s(&good_cert),
        s(&dir.join("out").join("leaf.pem")),
    ]);
    assert!(o.status.success(), "{}", text(&o.stderr));
}

/// A --ca-cert or --ca-key that cannot be read (missing, a directory) is exit status 2,
/// naming the file, as `imactl --help` says; a file that is read and is not a CA
/// certificate, or not a private key, stays 1. Nothing is written either way.
#[test]
fn key_new_inputs_that_cannot_be_read_are_exit_2() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path();
    let o = run_imactl(
        &["key", "ca", "--type", "p256", "--out", s(&dir.join("ca"))],
        &[],
    );
    assert!(o.status.success(), "key ca: {}", text(&o.stderr));
    let (ca_cert, ca_key) = (dir.join("ca/ca.pem"), dir.join("ca/ca.key"));
    let missing = dir.join("missing.pem");
    let a_dir = dir.join("a-directory");
    std::fs::create_dir(&a_dir).unwrap();
    // A certificate that is not a CA's (no keyCertSign).
    let leaf = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/data/keys/rsa2048.crt.pem");
    let out = dir.join("out");
    let key_new = |cert: &Path, key: &Path| {
        run_imactl(
            &[
                "key",
                "new",
                "--type",
                "p256",
                "--ca-cert",
                s(cert),
                "--ca-key",
                s(key),
                "--out",
                s(&out),
            ],
            &[],
        )
    };
    let cases: [(&str, &Path, &Path, i32, &Path); 6] = [
        ("--ca-cert missing", &missing, &ca_key, 2, &missing),
        ("--ca-cert a directory", &a_dir, &ca_key, 2, &a_dir),
        ("--ca-cert not a CA", &leaf, &ca_key, 1, &leaf),
        ("--ca-key missing", &ca_cert, &missing, 2, &missing),
        ("--ca-key a directory", &ca_cert, &a_dir, 2, &a_dir),
        ("--ca-key a certificate", &ca_cert, &ca_cert, 1, &ca_cert),
    ];
    for (what, cert, key, code, named) in cases {
        let o = key_new(cert, key);
        let err = text(&o.stderr);
        assert_eq!(o.status.code(), Some(code), "{what}: {err}");
        assert!(err.contains(s(named)), "{what}: the file is named: {err}");
        assert!(!out.exists(), "{what}: nothing written");
    }
}
