//! `imactl key show` on certificates of every shape the kernel judges differently: ours
//! (CA and leaf, RSA and ECDSA), openssl's defaults, a leaf without keyUsage, one without
//! digitalSignature, RSA above 4096 bits and below 2048, an expired one, one without
//! SKID, one whose SKID is not the key hash, and files that are not certificates.
//! Fixtures are made by openssl (SKIP without it) and by the library's own builder.

#[path = "common/skip.rs"]
mod skip;

use std::path::{Path, PathBuf};
use std::process::{Command, Output};
use std::time::{Duration, SystemTime};

use imaevm::keys::gen::{generate, KeyType};
use imaevm::keys::x509gen::{issue_signing_cert, make_ca, CertSpec};
use imaevm::keys::Certificate;

fn text(b: &[u8]) -> String {
    String::from_utf8_lossy(b).into_owned()
}

fn have_openssl() -> bool {
    Command::new("openssl")
        .arg("version")
        .output()
        .is_ok_and(|o| o.status.success())
}

fn openssl(args: &[&str]) {
    let o = Command::new("openssl")
        .args(args)
        .output()
        .expect("openssl");
    assert!(o.status.success(), "openssl {args:?}: {}", text(&o.stderr));
}

fn show(paths: &[&Path], json: bool) -> Output {
    let mut c = Command::new(env!("CARGO_BIN_EXE_imactl"));
    c.args(["key", "show"]);
    if json {
        c.arg("--json");
    }
    c.args(paths).output().expect("run imactl")
}

/// The JSON report of one certificate.
fn report(path: &Path) -> serde_json::Value {
    let o = show(&[path], true);
    assert!(
        o.status.success(),
        "{}: {}",
        path.display(),
        text(&o.stderr)
    );
    let v: serde_json::Value = serde_json::from_slice(&o.stdout).unwrap();
    v["certificates"][0].clone()
}

fn codes(r: &serde_json::Value) -> Vec<String> {
    r["findings"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| f["code"].as_str().unwrap().to_string())
        .collect()
}

fn has_error(r: &serde_json::Value, code: &str) -> bool {
    r["findings"]
        .as_array()
        .unwrap()
        .iter()
        .any(|f| f["code"] == code && f["severity"] == "error")
}

struct Fixtures {
    _tmp: tempfile::TempDir,
    dir: PathBuf,
}

impl Fixtures {
    fn new() -> Fixtures {
        let tmp = tempfile::tempdir().unwrap();
        let dir = tmp.path().to_path_buf();
        Fixtures { _tmp: tmp, dir }
    }
    fn p(&self, name: &str) -> PathBuf {
        self.dir.join(name)
    }
    fn s(&self, name: &str) -> String {
        self.p(name).to_str().unwrap().to_string()
    }
    /// An openssl CA (ca.pem/ca.key), once.
    fn openssl_ca(&self) {
        if self.p("ossl-ca.pem").exists() {
            return;
        }
        openssl(&[
            "req",
            "-x509",
            "-newkey",
            "rsa:2048",
            "-nodes",
            "-keyout",
            &self.s("ossl-ca.key"),
            "-out",
            &self.s("ossl-ca.pem"),
            "-days",
            "2",
            "-subj",
            "/CN=OpenSSL Test CA",
            "-addext",
            "basicConstraints=critical,CA:TRUE",
            "-addext",
            "keyUsage=critical,keyCertSign,cRLSign",
        ]);
    }
    /// A leaf of `newkey` issued by the openssl CA with the extension lines `ext`.
    fn openssl_leaf(&self, name: &str, newkey: &str, ext: &str) -> PathBuf {
        self.openssl_ca();
        let extfile = self.p(&format!("{name}.ext"));
        std::fs::write(&extfile, format!("[v3]\n{ext}\n")).unwrap();
        openssl(&[
            "req",
            "-new",
            "-newkey",
            newkey,
            "-nodes",
            "-keyout",
            &self.s(&format!("{name}.key")),
            "-out",
            &self.s(&format!("{name}.csr")),
            "-subj",
            &format!("/CN={name}"),
        ]);
        openssl(&[
            "x509",
            "-req",
            "-in",
            &self.s(&format!("{name}.csr")),
            "-CA",
            &self.s("ossl-ca.pem"),
            "-CAkey",
            &self.s("ossl-ca.key"),
            "-CAcreateserial",
            "-days",
            "2",
            "-extfile",
            extfile.to_str().unwrap(),
            "-extensions",
            "v3",
            "-out",
            &self.s(&format!("{name}.pem")),
        ]);
        self.p(&format!("{name}.pem"))
    }
}

fn write_der(path: &Path, der: &[u8]) -> PathBuf {
    std::fs::write(path, der).unwrap();
    path.to_path_buf()
}

/// 1-3: our own chain (RSA CA, RSA leaf, P-256 leaf) with text and JSON.
#[test]
fn our_ca_and_leaves() {
    let f = Fixtures::new();
    let ca_key = generate(KeyType::Rsa2048).unwrap();
    let ca_der = make_ca(
        &ca_key,
        &CertSpec::starting_now("CN=Fixture CA,O=imaevm", 30),
    )
    .unwrap();
    let ca_path = write_der(&f.p("ca.der"), &ca_der);
    let ca = Certificate::from_der(&ca_path, ca_der).unwrap();

    // 1: the CA: refused by .ima as a CA, and says where it belongs.
    let r = report(&ca_path);
    println!("our CA: {:?}", codes(&r));
    assert_eq!(r["is_ca"], true);
    assert_eq!(r["ima_acceptable"], false);
    assert!(has_error(&r, "ca-cert") && has_error(&r, "no-digital-signature"));
    assert_eq!(r["basic_constraints"]["ca"], true);
    assert_eq!(r["basic_constraints"]["critical"], true);
    assert_eq!(
        r["key_usage"],
        serde_json::json!(["keyCertSign", "cRLSign"])
    );

    // 2: an RSA leaf: acceptable, names the issuer it needs, keyid = SKID tail = computed.
    let leaf_key = generate(KeyType::Rsa2048).unwrap();
    let leaf = write_der(
        &f.p("rsa-leaf.der"),
        &issue_signing_cert(
            &ca_key,
            &ca,
            &leaf_key.public_key(),
            &CertSpec::starting_now("CN=Leaf", 30),
        )
        .unwrap(),
    );
    let r = report(&leaf);
    println!("our RSA leaf: {:?}", codes(&r));
    assert_eq!(r["ima_acceptable"], true);
    assert_eq!(codes(&r), ["needs-trusted-issuer"]);
    assert!(r["findings"][0]["message"]
        .as_str()
        .unwrap()
        .contains("CN=Fixture CA,O=imaevm"));
    assert_eq!(
        r["ima_keyid"],
        imaevm::hash::to_hex(&leaf_key.public_key().computed_keyid())
    );
    assert_eq!(r["ima_keyid"], r["computed_keyid"]);
    assert_eq!(r["extended_key_usage"], serde_json::json!(["codeSigning"]));
    assert_eq!(r["algorithm"], "RSA-2048");

    // 3: a P-256 leaf: acceptable, with the ECDSA kernel warning.
    let ec_key = generate(KeyType::P256).unwrap();
    let ec = write_der(
        &f.p("ec-leaf.der"),
        &issue_signing_cert(
            &ca_key,
            &ca,
            &ec_key.public_key(),
            &CertSpec::starting_now("CN=EC", 30),
        )
        .unwrap(),
    );
    let r = report(&ec);
    assert_eq!(r["ima_acceptable"], true);
    assert!(codes(&r).contains(&"ecdsa-kernel".to_string()));

    // The text form of both, in one call.
    let o = show(&[&leaf, &ca_path], false);
    let t = text(&o.stdout);
    println!("{t}");
    assert!(o.status.success());
    assert!(t.contains("IMA keyid:          id:"));
    assert!(t.contains("basicConstraints:   CA:FALSE (critical)"));
    assert!(t.contains("keyUsage:           digitalSignature (critical)"));
    assert!(t.contains("usable in .ima if its issuer is trusted"));
    assert!(t.contains("REFUSED by .ima"));
}

/// 4: expired (made in the past with the library builder).
#[test]
fn expired() {
    let f = Fixtures::new();
    let key = generate(KeyType::P256).unwrap();
    let ca_der = make_ca(
        &key,
        &CertSpec {
            subject: "CN=Old CA".into(),
            days: 10,
            not_before: SystemTime::now() - Duration::from_secs(400 * 86400),
        },
    )
    .unwrap();
    let ca_path = write_der(&f.p("old-ca.der"), &ca_der);
    let ca = Certificate::from_der(&ca_path, ca_der).unwrap();
    let leaf = write_der(
        &f.p("old.der"),
        &issue_signing_cert(
            &key,
            &ca,
            &key.public_key(),
            &CertSpec {
                subject: "CN=Old".into(),
                days: 10,
                not_before: SystemTime::now() - Duration::from_secs(400 * 86400),
            },
        )
        .unwrap(),
    );
    let r = report(&leaf);
    println!("expired: {:?}", codes(&r));
    assert_eq!(r["expired"], true);
    assert!(codes(&r).contains(&"expired".to_string()));
    let t = text(&show(&[&leaf], false).stdout);
    assert!(
        t.contains("(EXPIRED)") && t.contains("does not check certificate dates"),
        "{t}"
    );
}

/// 5-12: openssl-made certificates.
#[test]
fn openssl_shapes() {
    if !have_openssl() {
        skip::skip("openssl_shapes", "openssl is not installed");
        return;
    }
    let f = Fixtures::new();

    // 5: openssl's plain self-signed certificate (the README's old recipe): CA:TRUE by
    // default, self-signed.
    openssl(&[
        "req",
        "-x509",
        "-newkey",
        "rsa:2048",
        "-nodes",
        "-keyout",
        &f.s("self.key"),
        "-out",
        &f.s("self.pem"),
        "-days",
        "2",
        "-subj",
        "/CN=self",
    ]);
    let r = report(&f.p("self.pem"));
    println!("openssl self-signed: {:?}", codes(&r));
    assert_eq!(r["self_signed"], true);
    assert_eq!(r["ima_acceptable"], false);
    assert!(has_error(&r, "self-signed") || has_error(&r, "ca-cert"));

    // 6: self-signed, but a proper leaf otherwise: refused only for being self-signed,
    // and the message says _ima is no protection against root.
    openssl(&[
        "req",
        "-x509",
        "-newkey",
        "rsa:2048",
        "-nodes",
        "-keyout",
        &f.s("self-leaf.key"),
        "-out",
        &f.s("self-leaf.pem"),
        "-days",
        "2",
        "-subj",
        "/CN=self leaf",
        "-addext",
        "basicConstraints=critical,CA:FALSE",
        "-addext",
        "keyUsage=critical,digitalSignature",
    ]);
    let r = report(&f.p("self-leaf.pem"));
    println!("self-signed leaf: {:?}", codes(&r));
    assert!(has_error(&r, "self-signed"));
    assert!(!has_error(&r, "ca-cert") && !has_error(&r, "no-digital-signature"));
    let msg = r["findings"]
        .as_array()
        .unwrap()
        .iter()
        .find(|x| x["code"] == "self-signed")
        .unwrap()["message"]
        .as_str()
        .unwrap()
        .to_string();
    assert!(msg.contains("any root process"), "{msg}");

    // 7: a leaf without keyUsage: refused by kernels >= 6.5.
    let p = f.openssl_leaf(
        "no-ku",
        "rsa:2048",
        "basicConstraints=CA:FALSE\nsubjectKeyIdentifier=hash",
    );
    let r = report(&p);
    println!("no keyUsage: {:?}", codes(&r));
    assert!(has_error(&r, "no-digital-signature"));
    assert_eq!(r["key_usage"], serde_json::Value::Null);
    assert!(r["findings"]
        .as_array()
        .unwrap()
        .iter()
        .any(|x| x["message"]
            .as_str()
            .unwrap()
            .contains("no keyUsage extension")));

    // 8: keyUsage without digitalSignature.
    let p = f.openssl_leaf(
        "ke-only",
        "rsa:2048",
        "basicConstraints=CA:FALSE\nkeyUsage=critical,keyEncipherment\nsubjectKeyIdentifier=hash",
    );
    let r = report(&p);
    assert!(has_error(&r, "no-digital-signature"));
    assert_eq!(r["key_usage"], serde_json::json!(["keyEncipherment"]));

    // 9: RSA above 4096 bits.
    let p = f.openssl_leaf(
        "big",
        "rsa:4104",
        "basicConstraints=CA:FALSE\nkeyUsage=critical,digitalSignature\nsubjectKeyIdentifier=hash",
    );
    let r = report(&p);
    println!("RSA-4104: {:?}", codes(&r));
    assert!(has_error(&r, "rsa-size"));
    assert_eq!(r["bits"], 4104);

    // 10: RSA-1024: usable, with a warning.
    let p = f.openssl_leaf(
        "small",
        "rsa:1024",
        "basicConstraints=CA:FALSE\nkeyUsage=critical,digitalSignature\nsubjectKeyIdentifier=hash",
    );
    let r = report(&p);
    assert_eq!(r["ima_acceptable"], true);
    assert!(codes(&r).contains(&"rsa-size".to_string()));

    // 11: no SKID: the kernel's id comes from the issuer, not the key.
    let p = f.openssl_leaf(
        "no-skid",
        "rsa:2048",
        "basicConstraints=CA:FALSE\nkeyUsage=critical,digitalSignature\nsubjectKeyIdentifier=none\nauthorityKeyIdentifier=none",
    );
    let r = report(&p);
    println!("no SKID: {:?}", codes(&r));
    assert_eq!(r["skid"], serde_json::Value::Null);
    assert!(codes(&r).contains(&"no-skid".to_string()));
    assert_ne!(r["ima_keyid"], r["computed_keyid"]);

    // 12: a SKID that is not the key's SHA-1: evmctl must be told the keyid.
    let p = f.openssl_leaf(
        "odd-skid",
        "rsa:2048",
        "basicConstraints=CA:FALSE\nkeyUsage=critical,digitalSignature\nsubjectKeyIdentifier=0102030405060708",
    );
    let r = report(&p);
    assert_eq!(r["ima_keyid"], "05060708");
    assert!(codes(&r).contains(&"keyid-mismatch".to_string()));

    // 13: an openssl leaf issued by a CA, with codeSigning: acceptable, AKID named.
    let p = f.openssl_leaf(
        "good",
        "rsa:3072",
        "basicConstraints=critical,CA:FALSE\nkeyUsage=critical,digitalSignature\nextendedKeyUsage=codeSigning\nsubjectKeyIdentifier=hash\nauthorityKeyIdentifier=keyid",
    );
    let r = report(&p);
    println!("openssl CA-issued leaf: {:?}", codes(&r));
    assert_eq!(r["ima_acceptable"], true);
    assert_eq!(codes(&r), ["needs-trusted-issuer"]);
    assert!(r["findings"][0]["message"]
        .as_str()
        .unwrap()
        .contains("CN=OpenSSL Test CA"));
    assert!(r["akid"].is_string());
}

/// 14: inputs that are not certificates: named, exit 1, other files still shown.
#[test]
fn not_certificates() {
    let f = Fixtures::new();
    let key = generate(KeyType::P256).unwrap();
    let pem = imaevm::keys::gen::pkcs8_pem(&key, None).unwrap();
    std::fs::write(f.p("key.pem"), pem.as_bytes()).unwrap();
    std::fs::write(f.p("junk.der"), b"\x30\x03\x02\x01").unwrap();
    let ca_der = make_ca(&key, &CertSpec::starting_now("CN=x", 1)).unwrap();
    let good = write_der(&f.p("good.der"), &ca_der);
    let o = show(
        &[
            &f.p("key.pem"),
            &f.p("junk.der"),
            &f.p("missing.der"),
            &good,
        ],
        false,
    );
    let err = text(&o.stderr);
    println!("{err}");
    assert_eq!(o.status.code(), Some(1));
    assert!(
        err.contains("key.pem: this is a private key, not an X.509 certificate"),
        "{err}"
    );
    assert!(err.contains("junk.der"), "{err}");
    assert!(err.contains("missing.der"), "{err}");
    assert!(text(&o.stdout).contains("good.der"));
}

/// Issue 19, item 4: whether a certificate can enter `.machine` from MokListRT
/// (INTEGRITY_CA_MACHINE_KEYRING: CA:TRUE and keyCertSign; _MAX: also no
/// digitalSignature), and `imactl key ca` makes one that passes both.
#[test]
fn machine_keyring_admission() {
    if !have_openssl() {
        skip::skip("machine_keyring_admission", "openssl is not installed");
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let o = Command::new(env!("CARGO_BIN_EXE_imactl"))
        .args(["key", "ca", "--type", "p256", "--out"])
        .arg(dir.path())
        .output()
        .unwrap();
    assert!(o.status.success(), "key ca: {}", text(&o.stderr));
    let ours = dir.path().join("ca.der");
    let r = report(&ours);
    assert_eq!(r["machine_acceptable"], true, "{r}");
    assert_eq!(r["machine_acceptable_max"], true, "{r}");
    let shown = text(&show(&[&ours], false).stdout);
    assert!(
        shown.contains("into .machine:      yes from MokListRT"),
        "{shown}"
    );
    let make = |name: &str, ext: &str| -> PathBuf {
        let p = dir.path().join(format!("{name}.pem"));
        let key = dir.path().join(format!("{name}.key"));
        let subj = format!("/CN={name}");
        let mut args = vec![
            "req",
            "-x509",
            "-newkey",
            "ec",
            "-pkeyopt",
            "ec_paramgen_curve:P-256",
            "-nodes",
            "-days",
            "30",
            "-subj",
            &subj,
            "-keyout",
            key.to_str().unwrap(),
            "-out",
            p.to_str().unwrap(),
        ];
        for e in ext.split(';').filter(|e| !e.is_empty()) {
            args.push("-addext");
            args.push(e);
        }
        openssl(&args);
        p
    };
    // A CA that also signs: .machine takes it only without _MAX.
    let signing_ca = make(
        "signing-ca",
        "basicConstraints=critical,CA:TRUE;keyUsage=critical,keyCertSign,digitalSignature",
    );
    let r = report(&signing_ca);
    assert_eq!(
        (
            r["machine_acceptable"].clone(),
            r["machine_acceptable_max"].clone()
        ),
        (true.into(), false.into()),
        "{r}"
    );
    // CA:TRUE without keyCertSign, and a leaf: never .machine (they go to .platform).
    let no_certsign = make(
        "no-certsign",
        "basicConstraints=critical,CA:TRUE;keyUsage=critical,cRLSign",
    );
    let leaf = make(
        "leaf",
        "basicConstraints=critical,CA:FALSE;keyUsage=critical,digitalSignature",
    );
    for p in [&no_certsign, &leaf] {
        let r = report(p);
        assert_eq!(r["machine_acceptable"], false, "{r}");
        assert_eq!(r["machine_acceptable_max"], false, "{r}");
    }
    // The leaf is self-signed: .ima refuses it too (it needs a trusted issuer).
    assert_eq!(report(&leaf)["ima_acceptable"], false);
}
