//! PKCS#11 keys (`--key pkcs11:URI`) against SoftHSM2 in a throwaway token directory.
//!
//! The token is initialised and the keys imported with p11tool (gnutls-bin), the tool
//! users of tokens have; PINs travel in environment variables only (GNUTLS_PIN,
//! GNUTLS_SO_PIN for p11tool, EVMCTL_KEY_PASSWORD or a pin-source file for evmctl).
//! RSA signatures made in the token must be byte-identical to the same key used from its
//! file (PKCS#1 v1.5 is deterministic); ECDSA signatures must verify with openssl.

mod common;

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

use common::{evmctl, fixture, hex, run, scratch, skip, stderr, stdout, write_sample};

const SOFTHSM: &str = "/usr/lib/softhsm/libsofthsm2.so";
/// Test-only PINs of a token that lives in a temporary directory.
const USER_PIN: &str = "4321";
const SO_PIN: &str = "87654321";

struct Token {
    _dir: tempfile::TempDir,
    conf: PathBuf,
    dir: PathBuf,
}

impl Token {
    /// A command with this token's SoftHSM configuration (and nothing of the host's).
    fn cmd(&self, mut c: Command) -> Command {
        c.env("SOFTHSM2_CONF", &self.conf)
            .env_remove("EVMCTL_KEY_PASSWORD")
            .env_remove("EVMCTL_PKCS11_MODULE");
        c
    }

    fn p11tool(&self, args: &[&str]) {
        let mut c = self.cmd(Command::new("p11tool"));
        c.env("GNUTLS_PIN", USER_PIN)
            .env("GNUTLS_SO_PIN", SO_PIN)
            .arg("--provider")
            .arg(SOFTHSM)
            .args(args);
        let o = run(&mut c);
        assert!(o.status.success(), "p11tool {args:?}: {}", stderr(&o));
    }

    fn evmctl(&self, args: &[&str], pin: Option<&str>) -> Output {
        let mut c = self.cmd(evmctl());
        if let Some(p) = pin {
            c.env("EVMCTL_KEY_PASSWORD", p);
        }
        run(c.args(args))
    }
}

/// SoftHSM with one token "imaevm": the fixture's RSA 2048 key (id 01, no certificate),
/// its P-256 key (id 02, public key and certificate alongside).
fn token(test: &str) -> Option<Token> {
    for (what, path) in [
        ("softhsm2", SOFTHSM),
        ("p11tool (gnutls-bin)", "/usr/bin/p11tool"),
    ] {
        if !Path::new(path).exists() {
            skip(
                test,
                &format!("{what} is not installed (tests/setup.sh installs it)"),
            );
            return None;
        }
    }
    let dir = scratch();
    let tokens = dir.path().join("tokens");
    std::fs::create_dir(&tokens).unwrap();
    let conf = dir.path().join("softhsm2.conf");
    std::fs::write(
        &conf,
        format!(
            "directories.tokendir = {}\nobjectstore.backend = file\nlog.level = ERROR\n",
            tokens.display()
        ),
    )
    .unwrap();
    let t = Token {
        conf,
        dir: dir.path().to_path_buf(),
        _dir: dir,
    };
    t.p11tool(&[
        "--initialize",
        "--label",
        "imaevm",
        "pkcs11:model=SoftHSM%20v2;manufacturer=SoftHSM%20project;serial=;token=",
    ]);
    t.p11tool(&["--initialize-pin", "pkcs11:token=imaevm"]);
    let f = fixture();
    let write = |args: &[&str]| {
        let mut a = vec!["--login", "--write"];
        a.extend_from_slice(args);
        a.push("pkcs11:token=imaevm");
        t.p11tool(&a);
    };
    let key = |p: &Path| p.to_str().unwrap().to_string();
    write(&[
        "--load-privkey",
        &key(&f.rsa2048.key),
        "--label",
        "rsa",
        "--id",
        "01",
    ]);
    write(&[
        "--load-privkey",
        &key(&f.p256.key),
        "--label",
        "ec",
        "--id",
        "02",
    ]);
    let ec_pub = t.dir.join("p256.pub.pem");
    common::openssl(
        &t.dir,
        &[
            "pkey",
            "-in",
            &key(&f.p256.key),
            "-pubout",
            "-out",
            &key(&ec_pub),
        ],
    );
    write(&[
        "--load-pubkey",
        &key(&ec_pub),
        "--label",
        "ec",
        "--id",
        "02",
    ]);
    write(&[
        "--load-certificate",
        &key(&f.p256.cert_pem),
        "--label",
        "ec",
        "--id",
        "02",
    ]);
    Some(t)
}

fn uri(object: &str, module: bool) -> String {
    if module {
        format!("pkcs11:token=imaevm;object={object}?module-path={SOFTHSM}")
    } else {
        format!("pkcs11:token=imaevm;object={object}")
    }
}

#[test]
fn token_keys_sign_like_their_files() {
    let Some(t) = token("token_keys_sign_like_their_files") else {
        return;
    };
    let f = fixture();
    let file = t.dir.join("payload");
    write_sample(&file, 5000, 3);
    let file = file.to_str().unwrap();
    let rsa_file = f.rsa2048.key.to_str().unwrap();

    // RSA: ima_sign, with and without --engine/--provider, is byte-identical.
    for (algo, extra) in [
        ("sha256", None),
        ("sha512", Some("--provider")),
        ("sha1", Some("--engine")),
    ] {
        let from_file = t.evmctl(
            &["ima_sign", "-n", "-a", algo, "--key", rsa_file, file],
            None,
        );
        assert!(from_file.status.success(), "{}", stderr(&from_file));
        let mut args = vec!["ima_sign", "-n", "-a", algo];
        if let Some(e) = extra {
            args.extend([e, "pkcs11"]);
        }
        let u = uri("rsa", true);
        args.extend(["--key", &u, file]);
        let from_token = t.evmctl(&args, Some(USER_PIN));
        assert!(from_token.status.success(), "{}", stderr(&from_token));
        assert_eq!(stdout(&from_token), stdout(&from_file), "{algo}");
        println!(
            "ima_sign {algo}: token == file: {}",
            stdout(&from_token).trim()
        );
    }

    // --keyid and --keyid-from-cert apply to token keys as to files; a certificate of
    // another key is refused.
    let u = uri("rsa", true);
    let cert = f.rsa2048.cert_pem.to_str().unwrap();
    for extra in [
        &["--keyid", "1a2b3c4d"][..],
        &["--keyid-from-cert", cert][..],
    ] {
        let mut a = vec!["ima_sign", "-n"];
        a.extend_from_slice(extra);
        let from_token = {
            let mut b = a.clone();
            b.extend(["--key", &u, file]);
            t.evmctl(&b, Some(USER_PIN))
        };
        a.extend(["--key", rsa_file, file]);
        let from_file = t.evmctl(&a, None);
        assert!(
            from_token.status.success(),
            "{extra:?}: {}",
            stderr(&from_token)
        );
        assert_eq!(stdout(&from_token), stdout(&from_file), "{extra:?}");
    }
    let other = f.other_rsa.cert_pem.to_str().unwrap();
    let o = t.evmctl(
        &[
            "ima_sign",
            "-n",
            "--keyid-from-cert",
            other,
            "--key",
            &u,
            file,
        ],
        Some(USER_PIN),
    );
    assert_eq!(o.status.code(), Some(125), "{}", stderr(&o));
    assert!(stderr(&o).contains("another key"), "{}", stderr(&o));

    // sign (EVM, portable so no inode-specific input): token == file.
    let evm = |key: &str, pin: Option<&str>| {
        let uuid = "--uuid=01234567-89ab-cdef-0123-456789abcdef";
        let o = t.evmctl(
            &[
                "sign", "-n", "--ima", "0404aabb", "-o", uuid, "--key", key, file,
            ],
            pin,
        );
        assert!(o.status.success(), "sign {key}: {}", stderr(&o));
        stdout(&o)
    };
    assert_eq!(evm(&uri("rsa", true), Some(USER_PIN)), evm(rsa_file, None));

    // sign_hash: the same lines, and the module from EVMCTL_PKCS11_MODULE.
    let digest = format!("{}  {file}\n", hex(&[0x5a; 32]));
    let run_hash = |key: &str, pin: Option<&str>, module: bool| {
        let mut c = t.cmd(evmctl());
        if let Some(p) = pin {
            c.env("EVMCTL_KEY_PASSWORD", p);
        }
        if module {
            c.env("EVMCTL_PKCS11_MODULE", SOFTHSM);
        }
        let mut child = c
            .args(["sign_hash", "--key", key])
            .stdin(std::process::Stdio::piped())
            .stdout(std::process::Stdio::piped())
            .stderr(std::process::Stdio::piped())
            .spawn()
            .unwrap();
        use std::io::Write;
        child
            .stdin
            .take()
            .unwrap()
            .write_all(digest.as_bytes())
            .unwrap();
        child.wait_with_output().unwrap()
    };
    let a = run_hash(rsa_file, None, false);
    let b = run_hash(&uri("rsa", false), Some(USER_PIN), true);
    assert!(b.status.success(), "{}", stderr(&b));
    assert_eq!(stdout(&a), stdout(&b));

    // imactl takes the same key reference: an appended signature made in the token is
    // the file key's, byte for byte.
    let signed = |key: &str, out: &str| {
        let mut c = t.cmd(Command::new(env!("CARGO_BIN_EXE_imactl")));
        c.env("EVMCTL_KEY_PASSWORD", USER_PIN)
            .args(["modsig", "sign", "--key", key, "--cert"])
            .arg(&f.rsa2048.cert_pem)
            .arg("--out")
            .arg(t.dir.join(out))
            .arg(file);
        let o = run(&mut c);
        assert!(
            o.status.success(),
            "imactl modsig sign {key}: {}",
            stderr(&o)
        );
        std::fs::read(t.dir.join(out)).unwrap()
    };
    assert_eq!(
        signed(&uri("rsa", true), "token.signed"),
        signed(rsa_file, "file.signed")
    );

    // The PIN from a pin-source file, the module from p11-kit's proxy (when installed).
    let pin_file = t.dir.join("pin");
    std::fs::write(&pin_file, format!("{USER_PIN}\n")).unwrap();
    let proxy = "/usr/lib/x86_64-linux-gnu/p11-kit-proxy.so";
    if Path::new(proxy).exists() {
        let u = format!(
            "{}?pin-source=file:{}",
            uri("rsa", false),
            pin_file.display()
        );
        let o = t.evmctl(&["ima_sign", "-n", "--key", &u, file], None);
        assert!(o.status.success(), "{}", stderr(&o));
        let want = t.evmctl(&["ima_sign", "-n", "--key", rsa_file, file], None);
        assert_eq!(stdout(&o), stdout(&want));
    } else {
        common::skip_part(
            "token_keys_sign_like_their_files",
            "p11-kit-proxy",
            "p11-kit-modules is not installed (tests/setup.sh installs it)",
        );
    }
}

#[test]
fn token_ecdsa_signatures_verify_with_openssl() {
    let Some(t) = token("token_ecdsa_signatures_verify_with_openssl") else {
        return;
    };
    let f = fixture();
    let file = t.dir.join("payload");
    write_sample(&file, 7000, 9);
    let o = t.evmctl(
        &[
            "ima_sign",
            "-n",
            "--key",
            &uri("ec", true),
            file.to_str().unwrap(),
        ],
        Some(USER_PIN),
    );
    assert!(o.status.success(), "{}", stderr(&o));
    let value = stdout(&o);
    let value = value.lines().last().unwrap().trim();
    let bytes: Vec<u8> = (0..value.len())
        .step_by(2)
        .map(|i| u8::from_str_radix(&value[i..i + 2], 16).unwrap())
        .collect();
    // 03 02 hash(04=sha256) keyid[4] size[2] DER
    assert_eq!(&bytes[..3], &[3, 2, 4]);
    // The keyid is the SKID of the token's certificate (openssl's SKID is the key's SHA-1).
    let skid = run(Command::new("openssl").args([
        "x509",
        "-noout",
        "-ext",
        "subjectKeyIdentifier",
        "-in",
        f.p256.cert_pem.to_str().unwrap(),
    ]));
    let skid: String = stdout(&skid)
        .lines()
        .nth(1)
        .unwrap()
        .trim()
        .replace(':', "")
        .to_lowercase();
    assert_eq!(hex(&bytes[3..7]), skid[skid.len() - 8..]);
    let sig = &bytes[9..];
    assert_eq!(u16::from_be_bytes([bytes[7], bytes[8]]) as usize, sig.len());
    let digest = {
        use sha2::Digest;
        sha2::Sha256::digest(std::fs::read(&file).unwrap()).to_vec()
    };
    std::fs::write(t.dir.join("digest"), &digest).unwrap();
    std::fs::write(t.dir.join("sig"), sig).unwrap();
    let v = run(Command::new("openssl").current_dir(&t.dir).args([
        "pkeyutl",
        "-verify",
        "-pubin",
        "-inkey",
        "p256.pub.pem",
        "-in",
        "digest",
        "-sigfile",
        "sig",
    ]));
    assert!(v.status.success(), "openssl: {}{}", stdout(&v), stderr(&v));
    println!("openssl: {}", stdout(&v).trim());
}

#[test]
fn token_errors_name_the_cause() {
    let Some(t) = token("token_errors_name_the_cause") else {
        return;
    };
    let file = t.dir.join("payload");
    write_sample(&file, 10, 1);
    let file = file.to_str().unwrap();
    let cases: &[(&[&str], Option<&str>, &str)] = &[
        (&["--key", &uri("rsa", true)], None, "needs a PIN"),
        (&["--key", &uri("rsa", true)], Some("0000"), "PIN incorrect"),
        (
            &["--key", &uri("nosuch", true)],
            Some(USER_PIN),
            "no private key",
        ),
        (
            &[
                "--key",
                "pkcs11:token=other?module-path=/usr/lib/softhsm/libsofthsm2.so",
            ],
            Some(USER_PIN),
            "no token matches",
        ),
        (
            &[
                "--key",
                "pkcs11:token=imaevm?module-path=/nonexistent/module.so",
            ],
            Some(USER_PIN),
            "/nonexistent/module.so",
        ),
        (
            &["--key", "pkcs11:tokn=imaevm"],
            Some(USER_PIN),
            "unknown path attribute 'tokn'",
        ),
        (
            &[
                "--key",
                "pkcs11:token=imaevm?module-path=/usr/lib/softhsm/libsofthsm2.so",
            ],
            Some(USER_PIN),
            "private keys match the URI: add object=LABEL or id=ID",
        ),
        (
            &[
                "--key",
                "pkcs11:token=imaevm;type=cert?module-path=/usr/lib/softhsm/libsofthsm2.so",
            ],
            Some(USER_PIN),
            "signing needs type=private",
        ),
        (
            &["--rsa", "--key", &uri("rsa", true)],
            Some(USER_PIN),
            "legacy v1 signatures are made with key files only",
        ),
        (
            &["--provider", "tpm2", "--key", &uri("rsa", true)],
            Some(USER_PIN),
            "--provider tpm2",
        ),
        (
            &["--engine", "gost", "--key", &uri("rsa", true)],
            Some(USER_PIN),
            "--engine gost",
        ),
    ];
    for (args, pin, want) in cases {
        let mut a = vec!["ima_sign", "-n"];
        a.extend_from_slice(args);
        a.push(file);
        let o = t.evmctl(&a, *pin);
        assert_eq!(o.status.code(), Some(125), "{a:?}: {}", stderr(&o));
        assert!(stderr(&o).contains(want), "{a:?}: {}", stderr(&o));
        // The file's path has the scratch directory's random name, which holds the four
        // digits of the PIN once in about 5 million draws: left out of the check.
        let err = stderr(&o).replace(&t.dir.display().to_string(), "SCRATCH");
        assert!(!err.contains(USER_PIN), "{a:?} printed the PIN: {err}");
    }
}

#[test]
fn a_token_ca_key_issues_ima_certificates() {
    let Some(t) = token("a_token_ca_key_issues_ima_certificates") else {
        return;
    };
    let imactl = || t.cmd(Command::new(env!("CARGO_BIN_EXE_imactl")));
    let ca = t.dir.join("ca");
    let new = t.dir.join("new");
    std::fs::create_dir(&ca).unwrap();
    std::fs::create_dir(&new).unwrap();
    let o = run(imactl()
        .args(["key", "ca", "--type", "p256", "--out"])
        .arg(&ca));
    assert!(o.status.success(), "key ca: {}", stderr(&o));
    let ca_key = ca.join("ca.key");
    t.p11tool(&[
        "--login",
        "--write",
        "--load-privkey",
        ca_key.to_str().unwrap(),
        "--label",
        "ca",
        "--id",
        "03",
        "pkcs11:token=imaevm",
    ]);
    // With its certificate (same id): an EC private key does not carry its public point.
    t.p11tool(&[
        "--login",
        "--write",
        "--load-certificate",
        ca.join("ca.pem").to_str().unwrap(),
        "--label",
        "ca",
        "--id",
        "03",
        "pkcs11:token=imaevm",
    ]);
    // The CA key now lives in the token only.
    std::fs::remove_file(&ca_key).unwrap();
    let mut c = imactl();
    c.env("IMACTL_CA_KEY_PASSWORD", USER_PIN)
        .args(["key", "new", "--ca-cert"])
        .arg(ca.join("ca.pem"))
        .args(["--ca-key", &uri("ca", true), "--out"])
        .arg(&new);
    let o = run(&mut c);
    assert!(o.status.success(), "key new: {}", stderr(&o));
    let v = run(Command::new("openssl")
        .args(["verify", "-CAfile"])
        .arg(ca.join("ca.pem"))
        .arg(new.join("ima.pem")));
    assert!(
        v.status.success(),
        "openssl verify: {}{}",
        stdout(&v),
        stderr(&v)
    );
    println!("{}", stdout(&v).trim());
}

/// Issue 24, defect 7: upstream's tests and scripts written for libp11's engine sign
/// through a URI that says `type=public`; the engine resolves the private key with the
/// same id or label. RSA signatures through `type=public`, `type=private` and no type are
/// byte-identical to `openssl dgst -engine pkcs11 -keyform engine -sign URI` (Debian's
/// libengine-pkcs11-openssl, configured through an OpenSSL config file that holds the
/// module and the test PIN) over the same file, and `-v` says which key signs.
#[test]
fn type_public_signs_with_the_private_key_as_libp11_does() {
    const T: &str = "type_public_signs_with_the_private_key_as_libp11_does";
    let Some(t) = token(T) else {
        return;
    };
    let engine = ["/usr/lib/x86_64-linux-gnu/engines-3/pkcs11.so"]
        .into_iter()
        .chain(["/usr/lib/aarch64-linux-gnu/engines-3/pkcs11.so"])
        .find(|p| Path::new(p).exists());
    let Some(engine) = engine else {
        skip(
            T,
            "libengine-pkcs11-openssl is not installed (tests/setup.sh installs it)",
        );
        return;
    };
    let conf = t.dir.join("openssl-pkcs11.cnf");
    std::fs::write(
        &conf,
        format!(
            "openssl_conf = openssl_init\n[openssl_init]\nengines = engine_section\n\
             [engine_section]\npkcs11 = pkcs11_section\n[pkcs11_section]\n\
             engine_id = pkcs11\ndynamic_path = {engine}\nMODULE_PATH = {SOFTHSM}\n\
             PIN = {USER_PIN}\ninit = 0\n"
        ),
    )
    .unwrap();
    let file = t.dir.join("payload");
    write_sample(&file, 5000, 9);
    let file = file.to_str().unwrap();
    for ty in ["", ";type=public", ";type=private"] {
        let engine_uri = format!("pkcs11:token=imaevm;object=rsa{ty}");
        let sig = t.dir.join("engine.sig");
        let mut c = t.cmd(Command::new("openssl"));
        c.env("OPENSSL_CONF", &conf).args([
            "dgst",
            "-sha256",
            "-engine",
            "pkcs11",
            "-keyform",
            "engine",
            "-sign",
            &engine_uri,
            "-out",
            sig.to_str().unwrap(),
            file,
        ]);
        let o = run(&mut c);
        assert!(o.status.success(), "openssl {ty}: {}", stderr(&o));
        let theirs = std::fs::read(&sig).unwrap();
        assert_eq!(theirs.len(), 256);

        let ours_uri = format!("{engine_uri}?module-path={SOFTHSM}");
        let o = t.evmctl(
            &[
                "ima_sign", "-v", "-n", "-a", "sha256", "--key", &ours_uri, file,
            ],
            Some(USER_PIN),
        );
        assert!(o.status.success(), "evmctl {ty}: {}", stderr(&o));
        let value = stdout(&o);
        let value = value.split_whitespace().next().unwrap();
        // The v2 header (type, version, algorithm, keyid, length: 9 bytes), then the
        // RSA signature.
        assert_eq!(
            &value[18..],
            hex(&theirs),
            "{ty}: ours differs from the engine's"
        );
        assert_eq!(
            stderr(&o).contains("type=public: signing with the private key"),
            ty == ";type=public",
            "{ty}: {}",
            stderr(&o)
        );
        println!("type{ty}: byte-identical to openssl's pkcs11 engine");
    }
}

const P11_KIT_CLIENT: &str = "/usr/lib/x86_64-linux-gnu/pkcs11/p11-kit-client.so";

/// Issue 24, a signing server: the SoftHSM token is held by a `p11-kit server` process,
/// which exports it on a unix socket; evmctl signs a 2000-file tree through Debian's
/// `p11-kit-client.so` (p11-kit-modules), which forwards every PKCS#11 call to the socket.
/// The signatures are byte-identical to those made with the local token. The signing
/// process runs in a mount namespace where the token directory is covered by an empty
/// tmpfs and without SOFTHSM2_CONF: it cannot read the key store, so the key stays with the
/// server. The cost per signature of both ways is printed.
#[test]
fn a_p11_kit_server_signs_for_another_process_like_the_local_token() {
    const T: &str = "a_p11_kit_server_signs_for_another_process_like_the_local_token";
    let Some(t) = token(T) else {
        return;
    };
    for p in ["/usr/bin/p11-kit", P11_KIT_CLIENT] {
        if !Path::new(p).exists() {
            skip(T, &format!("{p} is missing (p11-kit, p11-kit-modules)"));
            return;
        }
    }
    let tree = t.dir.join("tree");
    for d in 0..10 {
        std::fs::create_dir_all(tree.join(format!("d{d}"))).unwrap();
    }
    for i in 0..2000 {
        std::fs::write(tree.join(format!("d{}/f{i}", i % 10)), format!("{i}\n")).unwrap();
    }
    let tree_s = tree.to_str().unwrap();

    // The local token.
    let local_uri = uri("rsa", true);
    let start = std::time::Instant::now();
    let local = t.evmctl(
        &["ima_sign", "-r", "-n", "--key", &local_uri, tree_s],
        Some(USER_PIN),
    );
    let local_time = start.elapsed();
    assert!(local.status.success(), "{}", stderr(&local));
    assert_eq!(stdout(&local).lines().count(), 2000);

    // The server, holding the token.
    let sock = t.dir.join("p11.sock");
    let mut server = t
        .cmd(Command::new("p11-kit"))
        .args(["server", "--provider", SOFTHSM, "-f", "-n"])
        .arg(&sock)
        .arg("pkcs11:token=imaevm")
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(10);
    while !sock.exists() && std::time::Instant::now() < deadline {
        std::thread::sleep(std::time::Duration::from_millis(20));
    }
    assert!(sock.exists(), "p11-kit server made no socket");

    // The signing process: no SoftHSM configuration, the token store hidden.
    let tokens = t.dir.join("tokens");
    let remote_uri = format!("pkcs11:token=imaevm;object=rsa?module-path={P11_KIT_CLIENT}");
    let script = format!(
        "mount -t tmpfs -o size=1m,mode=0700 none '{}' || exit 200; \
         [ -z \"$(ls -A '{}')\" ] || exit 201; \
         exec '{}' ima_sign -r -n --key '{}' '{}'",
        tokens.display(),
        tokens.display(),
        env!("CARGO_BIN_EXE_evmctl"),
        remote_uri,
        tree_s
    );
    let mut c = Command::new("unshare");
    c.args(["-m", "sh", "-c", &script])
        .env_remove("SOFTHSM2_CONF")
        .env_remove("EVMCTL_PKCS11_MODULE")
        .env(
            "P11_KIT_SERVER_ADDRESS",
            format!("unix:path={}", sock.display()),
        )
        .env("EVMCTL_KEY_PASSWORD", USER_PIN);
    let start = std::time::Instant::now();
    let mut remote = run(&mut c);
    let mut remote_time = start.elapsed();
    // 200: the tmpfs could not be mounted; "unshare:": no mount namespace (not root).
    if remote.status.code() == Some(200) || stderr(&remote).starts_with("unshare:") {
        common::skip_part(
            T,
            "isolation",
            &format!(
                "cannot hide the token store in a mount namespace ({}); signing without it",
                stderr(&remote)
            ),
        );
        let mut c = Command::new(env!("CARGO_BIN_EXE_evmctl"));
        c.args(["ima_sign", "-r", "-n", "--key", &remote_uri, tree_s])
            .env_remove("SOFTHSM2_CONF")
            .env_remove("EVMCTL_PKCS11_MODULE")
            .env(
                "P11_KIT_SERVER_ADDRESS",
                format!("unix:path={}", sock.display()),
            )
            .env("EVMCTL_KEY_PASSWORD", USER_PIN);
        let start = std::time::Instant::now();
        remote = run(&mut c);
        remote_time = start.elapsed();
    }
    let _ = server.kill();
    let server_out = server.wait_with_output().unwrap();
    assert!(
        remote.status.success(),
        "through p11-kit-client: {}\nserver: {}",
        stderr(&remote),
        String::from_utf8_lossy(&server_out.stderr)
    );
    assert_eq!(
        stdout(&remote),
        stdout(&local),
        "the server's signatures differ from the local token's"
    );
    // And the token itself is not usable from where the signing process ran: without the
    // server, the client module finds no token.
    let mut c = Command::new(env!("CARGO_BIN_EXE_evmctl"));
    c.args(["ima_sign", "-n", "--key", &remote_uri])
        .arg(tree.join("d0/f0"))
        .env_remove("SOFTHSM2_CONF")
        .env(
            "P11_KIT_SERVER_ADDRESS",
            format!("unix:path={}", sock.display()),
        )
        .env("EVMCTL_KEY_PASSWORD", USER_PIN);
    let o = run(&mut c);
    assert!(!o.status.success(), "signed with the server gone");
    println!(
        "2000 signatures: local token {:.2} ms each, through p11-kit server {:.2} ms each",
        local_time.as_secs_f64() * 1000.0 / 2000.0,
        remote_time.as_secs_f64() * 1000.0 / 2000.0
    );
}
