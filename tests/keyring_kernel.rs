//! imactl key / verify against the running kernel (acceptance 1, 3, 4, 5 of the keyring
//! issue). Each test joins a fresh session keyring first: see keyring_common/mod.rs.

mod keyring_common;

use imaevm::format::ImaValue;
use imaevm::hash::{to_hex, HashAlgo};
use imaevm::keyring;
use imaevm::keys::Certificate;
use keyring_common::*;

/// The JSON rows of `imactl verify --json`, by file name.
fn verdicts(doc: &serde_json::Value) -> Vec<(String, String, String)> {
    doc["files"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| {
            let file = r["file"].as_str().unwrap();
            let name = std::path::Path::new(file)
                .file_name()
                .unwrap()
                .to_string_lossy();
            (
                name.into_owned(),
                r["verdict"].as_str().unwrap().to_string(),
                r["reason"].as_str().unwrap().to_string(),
            )
        })
        .collect()
}

#[test]
fn import_then_verify_gives_the_kernels_answers() {
    const T: &str = "import_then_verify_gives_the_kernels_answers";
    let Some(_) = fresh_session(T) else { return };
    let dir = tempfile::tempdir().unwrap();
    let Some(k) = make_key(dir.path(), "signer", false, T) else {
        return;
    };
    let Some(other) = make_key(dir.path(), "stranger", false, T) else {
        return;
    };
    if !kernel_has_rsa_keys(&k, T) {
        return;
    }
    let ring = new_keyring("_ima");
    let ring_arg = ring.to_string();

    // Import (PEM: imactl gives the kernel DER).
    let out = imactl(&[
        "key",
        "import",
        k.cert_pem.to_str().unwrap(),
        "--keyring",
        &ring_arg,
    ]);
    assert!(out.status.success(), "import: {}", text(&out.stderr));
    let cert = Certificate::load(&k.cert_pem).unwrap();
    let keyid = to_hex(&cert.skid_keyid().unwrap());
    let stdout = text(&out.stdout);
    let fields: Vec<&str> = stdout.split_whitespace().collect();
    assert_eq!(fields.len(), 3, "{stdout}");
    let serial: i32 = fields[0].parse().unwrap();
    assert_eq!(fields[1], format!("id:{keyid}"));
    assert_eq!(
        keyring::search(ring, "asymmetric", &format!("id:{keyid}")).unwrap(),
        serial
    );

    // The five cases of the issue.
    let f = |n: &str| dir.path().join(n);
    for n in ["good", "tampered", "stranger", "hashonly", "bare"] {
        std::fs::write(f(n), format!("contents of {n}\n").repeat(100)).unwrap();
    }
    let Some(sig_keyid) = ima_sign(&k.key, &f("good"), T) else {
        return;
    };
    assert_eq!(to_hex(&sig_keyid), keyid, "evmctl's keyid is the SKID tail");
    ima_sign(&k.key, &f("tampered"), T).unwrap();
    let mut bytes = std::fs::read(f("tampered")).unwrap();
    bytes[10] ^= 1;
    std::fs::write(f("tampered"), &bytes).unwrap();
    let stranger_keyid = to_hex(&ima_sign(&other.key, &f("stranger"), T).unwrap());
    let digest = HashAlgo::Sha256.digest(&std::fs::read(f("hashonly")).unwrap());
    assert!(set_ima(
        &f("hashonly"),
        &ImaValue::hash_value(HashAlgo::Sha256, digest).encode(),
        T
    ));

    let files: Vec<String> = ["good", "tampered", "stranger", "hashonly", "bare"]
        .iter()
        .map(|n| f(n).to_str().unwrap().to_string())
        .collect();
    let mut args = vec!["verify", "--keyring", &ring_arg, "--json"];
    args.extend(files.iter().map(String::as_str));
    let out = imactl(&args);
    assert_eq!(out.status.code(), Some(1), "{}", text(&out.stderr));
    let doc: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(doc["keyring"]["serial"], ring);
    let v = verdicts(&doc);
    assert_eq!(v[0].0, "good");
    assert_eq!(v[0].1, "ok");
    assert_eq!(doc["files"][0]["key_serial"], serial);
    assert_eq!(v[1].1, "invalid-signature");
    assert!(v[1].2.starts_with("invalid-signature"), "{}", v[1].2);
    assert_eq!(v[2].1, "unknown-key");
    assert!(
        v[2].2.contains(&format!("unknown key id:{stranger_keyid}")),
        "{}",
        v[2].2
    );
    assert_eq!(v[3].1, "IMA-signature-required");
    assert_eq!(v[4].1, "no-signature");
    assert_eq!(v[4].2, "no signature");

    // Text output, one line per file, same words.
    let mut args = vec!["verify", "--keyring", &ring_arg];
    args.extend(files.iter().map(String::as_str));
    let out = imactl(&args);
    assert_eq!(out.status.code(), Some(1));
    let lines: Vec<String> = text(&out.stdout).lines().map(str::to_string).collect();
    assert_eq!(lines.len(), 5);
    assert!(
        lines[0].starts_with(&format!("{}: OK", files[0])),
        "{}",
        lines[0]
    );
    assert!(lines[1].contains(": invalid-signature"), "{}", lines[1]);
    assert!(
        lines[2].contains(&format!(": unknown key id:{stranger_keyid}")),
        "{}",
        lines[2]
    );
    assert!(
        lines[3].contains(": IMA-signature-required"),
        "{}",
        lines[3]
    );
    assert!(lines[4].ends_with(": no signature"), "{}", lines[4]);

    // Exit 0 only when every file verifies.
    let out = imactl(&["verify", "--keyring", &ring_arg, &files[0]]);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stdout));

    // --sigfile: the same value in FILE.sig, on a file without the xattr.
    std::fs::copy(f("good"), f("detached")).unwrap();
    let value = xattr::get(f("good"), "security.ima").unwrap().unwrap();
    std::fs::write(f("detached.sig"), &value).unwrap();
    let detached = f("detached");
    let out = imactl(&[
        "verify",
        "--sigfile",
        "--keyring",
        &ring_arg,
        detached.to_str().unwrap(),
    ]);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stdout));
    let out = imactl(&["verify", "--keyring", &ring_arg, detached.to_str().unwrap()]);
    assert!(text(&out.stdout).ends_with(": no signature\n"));

    // A hash the kernel cannot use for RSA signatures (md4): named, not "invalid".
    std::fs::write(f("md4"), b"md4\n").unwrap();
    ima_sign_with(HashAlgo::Md4, &k.key, &f("md4"), T).unwrap();
    let out = imactl(&[
        "verify",
        "--keyring",
        &ring_arg,
        "--json",
        f("md4").to_str().unwrap(),
    ]);
    assert_eq!(out.status.code(), Some(1));
    let doc: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    let v = verdicts(&doc);
    assert_eq!(v[0].1, "unavailable-hash", "{}", v[0].2);
    assert!(
        v[0].2.starts_with("unavailable hash algorithm md4"),
        "{}",
        v[0].2
    );

    // After the key is removed, the good file names its keyid as unknown.
    let out = imactl(&[
        "key",
        "remove",
        &format!("id:{keyid}"),
        "--keyring",
        &ring_arg,
    ]);
    assert!(out.status.success(), "{}", text(&out.stderr));
    let out = imactl(&["verify", "--keyring", &ring_arg, &files[0]]);
    assert_eq!(out.status.code(), Some(1));
    assert!(text(&out.stdout).contains(&format!("unknown key id:{keyid}")));
}

#[test]
fn key_list_json_names_the_keyid_ima_sign_wrote() {
    const T: &str = "key_list_json_names_the_keyid_ima_sign_wrote";
    let Some(_) = fresh_session(T) else { return };
    let dir = tempfile::tempdir().unwrap();
    let Some(k) = make_key(dir.path(), "lister", false, T) else {
        return;
    };
    if !kernel_has_rsa_keys(&k, T) {
        return;
    }
    let ring = new_keyring("_ima");
    let file = dir.path().join("signed");
    std::fs::write(&file, b"list me\n").unwrap();
    let Some(sig_keyid) = ima_sign(&k.key, &file, T) else {
        return;
    };
    // The keyid as written in security.ima, read back from the file.
    let value = xattr::get(&file, "security.ima").unwrap().unwrap();
    let ImaValue::Signature(sig) = ImaValue::parse(&value).unwrap() else {
        panic!("ima_sign wrote a signature")
    };
    assert_eq!(sig.keyid, sig_keyid);

    // By name this time: the session's _ima is found through the session keyring.
    let out = imactl(&[
        "key",
        "import",
        k.cert_der.to_str().unwrap(),
        "--keyring",
        "_ima",
    ]);
    assert!(out.status.success(), "{}", text(&out.stderr));
    let serial: i64 = text(&out.stdout)
        .split_whitespace()
        .next()
        .unwrap()
        .parse()
        .unwrap();

    let out = imactl(&["key", "list", "--keyring", &ring.to_string(), "--json"]);
    assert!(out.status.success(), "{}", text(&out.stderr));
    let doc: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(doc["keyring"]["name"], "_ima");
    let keys = doc["keys"].as_array().unwrap();
    assert_eq!(keys.len(), 1, "{doc}");
    assert_eq!(keys[0]["serial"], serial);
    assert_eq!(keys[0]["keyid"], to_hex(&sig.keyid));
    assert_eq!(keys[0]["type"], "asymmetric");
    assert_eq!(keys[0]["algorithm"], "rsa");
    assert_eq!(keys[0]["bits"], 2048);

    // Text listing names it too.
    let out = imactl(&["key", "list", "--keyring", &ring.to_string()]);
    let t = text(&out.stdout);
    assert!(t.contains(&format!("id:{}", to_hex(&sig.keyid))), "{t}");
    assert!(t.contains("rsa-2048"), "{t}");

    // Remove by serial; the list is then empty.
    let out = imactl(&[
        "key",
        "remove",
        &serial.to_string(),
        "--keyring",
        &ring.to_string(),
    ]);
    assert!(out.status.success(), "{}", text(&out.stderr));
    let out = imactl(&["key", "list", "--keyring", &ring.to_string(), "--json"]);
    let doc: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(doc["keys"].as_array().unwrap().len(), 0);
    let out = imactl(&[
        "key",
        "remove",
        &serial.to_string(),
        "--keyring",
        &ring.to_string(),
    ]);
    assert_eq!(out.status.code(), Some(1));
}

#[test]
fn refusals_are_explained() {
    const T: &str = "refusals_are_explained";
    let Some(_) = fresh_session(T) else { return };
    let dir = tempfile::tempdir().unwrap();
    let Some(rsa) = make_key(dir.path(), "rsa", false, T) else {
        return;
    };
    if !kernel_has_rsa_keys(&rsa, T) {
        return;
    }
    let ring = new_keyring("_ima");

    // A PEM file given to add_key as is: EBADMSG, explained.
    let pem = std::fs::read(&rsa.cert_pem).unwrap();
    let e = keyring::add_key("asymmetric", None, &pem, ring).unwrap_err();
    assert_eq!(e.raw_os_error(), Some(libc::EBADMSG));
    let why = keyring::explain_add_key_error(libc::EBADMSG, Default::default(), Some("_ima"));
    assert!(why.contains("DER") && why.contains("PEM"), "{why}");

    // A file that is not a certificate: refused before the kernel is asked.
    let out = imactl(&[
        "key",
        "import",
        rsa.key.to_str().unwrap(),
        "--keyring",
        &ring.to_string(),
    ]);
    assert_eq!(out.status.code(), Some(1));
    assert!(text(&out.stderr).contains("a private key, not an X.509 certificate"));

    // A keyring that does not exist.
    let out = imactl(&[
        "key",
        "import",
        rsa.cert_der.to_str().unwrap(),
        "--keyring",
        "_nosuch",
    ]);
    assert_eq!(out.status.code(), Some(1));
    assert!(
        text(&out.stderr).contains("no keyring _nosuch"),
        "{}",
        text(&out.stderr)
    );

    // ECDSA: on a kernel without it, add_key fails with ENOENT and imactl says so;
    // on a kernel with it (the VM test), the key goes in and verifies through x962.
    let Some(ec) = make_key(dir.path(), "ec", true, T) else {
        return;
    };
    let out = imactl(&[
        "key",
        "import",
        ec.cert_der.to_str().unwrap(),
        "--keyring",
        &ring.to_string(),
    ]);
    let probe = keyring::add_key(
        "asymmetric",
        None,
        &std::fs::read(&ec.cert_der).unwrap(),
        new_keyring("ecprobe"),
    );
    match probe {
        Err(e) => {
            assert_eq!(e.raw_os_error(), Some(libc::ENOENT), "{e}");
            assert_eq!(out.status.code(), Some(1));
            let err = text(&out.stderr);
            assert!(
                err.contains("(ENOENT)") && err.contains("no ECDSA support"),
                "{err}"
            );
        }
        Ok(_) => {
            assert!(out.status.success(), "{}", text(&out.stderr));
            let file = dir.path().join("ec-signed");
            std::fs::write(&file, b"ecdsa\n").unwrap();
            if ima_sign(&ec.key, &file, T).is_none() {
                return;
            }
            let out = imactl(&[
                "verify",
                "--keyring",
                &ring.to_string(),
                file.to_str().unwrap(),
            ]);
            assert_eq!(out.status.code(), Some(0), "{}", text(&out.stdout));
        }
    }
}

/// The default keyring (`--keyring ima`) on a kernel without `.ima`: `_ima` in the user
/// keyring, created when absent. The user keyring outlives the session, so this test
/// removes what it created, and does not write into an `_ima` that was already there.
#[test]
fn default_keyring_is_the_one_ima_uses() {
    const T: &str = "default_keyring_is_the_one_ima_uses";
    let Some(_) = fresh_session(T) else { return };
    let dir = tempfile::tempdir().unwrap();
    let Some(k) = make_key(dir.path(), "default", false, T) else {
        return;
    };
    if !kernel_has_rsa_keys(&k, T) {
        return;
    }
    let kernel_made = keyring::proc_keys()
        .unwrap()
        .iter()
        .any(|p| p.key_type == "keyring" && (p.text == ".ima" || p.text.starts_with(".ima: ")));
    if kernel_made {
        // A self-signed certificate is not signed by a builtin trusted key: refused, and
        // the message says which keys .ima takes.
        let out = imactl(&["key", "import", k.cert_der.to_str().unwrap()]);
        assert_eq!(out.status.code(), Some(1));
        let err = text(&out.stderr);
        assert!(err.contains("builtin or secondary trusted"), "{err}");
        assert!(err.contains("CA certificate"), "{err}");
        return;
    }
    if keyring::search(keyring::USER_KEYRING, "keyring", "_ima").is_ok() {
        let out = imactl(&["key", "list", "--json"]);
        assert!(out.status.success(), "{}", text(&out.stderr));
        let doc: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
        assert_eq!(doc["keyring"]["name"], "_ima");
        skip(
            T,
            "the user keyring already has _ima; not importing into it",
        );
        return;
    }

    /// Unlinks the `_ima` this test creates in @u, even when an assertion fails.
    struct Cleanup;
    impl Drop for Cleanup {
        fn drop(&mut self) {
            if let Ok(s) = keyring::search(keyring::USER_KEYRING, "keyring", "_ima") {
                let _ = keyring::unlink(s, keyring::USER_KEYRING);
            }
        }
    }
    let _cleanup = Cleanup;
    let out = imactl(&["key", "list"]);
    assert_eq!(out.status.code(), Some(1), "nothing is created by list");
    assert!(text(&out.stderr).contains("no keyring .ima or _ima"));

    let out = imactl(&["key", "import", k.cert_pem.to_str().unwrap()]);
    assert!(out.status.success(), "{}", text(&out.stderr));
    assert!(
        text(&out.stderr).contains("created keyring _ima"),
        "{}",
        text(&out.stderr)
    );
    let made = keyring::search(keyring::USER_KEYRING, "keyring", "_ima").unwrap();

    let file = dir.path().join("f");
    std::fs::write(&file, b"default keyring\n").unwrap();
    if ima_sign(&k.key, &file, T).is_none() {
        return;
    }
    let out = imactl(&["verify", "--json", file.to_str().unwrap()]);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stdout));
    let doc: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(doc["keyring"]["serial"], made);
    // A second import finds the keyring instead of making another.
    let out = imactl(&["key", "import", k.cert_der.to_str().unwrap()]);
    assert!(out.status.success());
    assert!(!text(&out.stderr).contains("created"));
    drop(_cleanup);
    assert!(keyring::search(keyring::USER_KEYRING, "keyring", "_ima").is_err());
}

/// A keyring like the kernel's `.ima` seen from userspace: it may be read and searched by
/// its owner, but the process does not possess it, so its keys grant only "view". A key
/// that is there must not be reported as unknown.
#[test]
fn a_key_userspace_may_not_use_is_not_called_unknown() {
    const T: &str = "a_key_userspace_may_not_use_is_not_called_unknown";
    let Some(_) = fresh_session(T) else { return };
    let have_keyctl = std::process::Command::new("keyctl")
        .arg("--version")
        .output()
        .is_ok_and(|o| o.status.success());
    if !have_keyctl {
        skip(T, "keyctl (keyutils) is not installed");
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let Some(k) = make_key(dir.path(), "unpossessed", false, T) else {
        return;
    };
    if !kernel_has_rsa_keys(&k, T) {
        return;
    }
    let ring = new_keyring("_ima");
    let der = std::fs::read(&k.cert_der).unwrap();
    let key = keyring::add_key("asymmetric", None, &der, ring).unwrap();
    // .ima's permissions for its owner: view, read, write, search (no link, no setattr).
    let st = std::process::Command::new("keyctl")
        .args(["setperm", &ring.to_string(), "0x3f0f0000"])
        .status()
        .unwrap();
    assert!(st.success());
    let file = dir.path().join("f");
    std::fs::write(&file, b"unpossessed\n").unwrap();
    let Some(keyid) = ima_sign(&k.key, &file, T) else {
        return;
    };
    let ring_arg = ring.to_string();
    let file_arg = file.to_str().unwrap();

    // In this session (which possesses the keyring) the kernel verifies it.
    let out = imactl(&["verify", "--keyring", &ring_arg, file_arg]);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stdout));

    // From another session: listed, but not usable; not "unknown".
    let in_other_session = |args: &[&str]| {
        std::process::Command::new("keyctl")
            .args(["session", "-", env!("CARGO_BIN_EXE_imactl")])
            .args(args)
            .output()
            .unwrap()
    };
    let out = in_other_session(&["key", "list", "--keyring", &ring_arg, "--json"]);
    assert!(out.status.success(), "{}", text(&out.stderr));
    let doc: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(doc["keys"][0]["serial"], key);
    assert_eq!(doc["keys"][0]["keyid"], to_hex(&keyid));

    let out = in_other_session(&["verify", "--keyring", &ring_arg, "--json", file_arg]);
    assert_eq!(out.status.code(), Some(1));
    let doc: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    let v = verdicts(&doc);
    assert_eq!(v[0].1, "not-checked", "{}", v[0].2);
    assert!(
        v[0].2.contains(&format!(
            "key id:{} is in the keyring (serial {key})",
            to_hex(&keyid)
        )),
        "{}",
        v[0].2
    );

    // Removal by keyid works from there too (by listing), and then the key is unknown.
    let out = in_other_session(&[
        "key",
        "remove",
        &format!("id:{}", to_hex(&keyid)),
        "--keyring",
        &ring_arg,
    ]);
    assert!(out.status.success(), "{}", text(&out.stderr));
    let out = in_other_session(&["verify", "--keyring", &ring_arg, file_arg]);
    assert_eq!(out.status.code(), Some(1));
    assert!(text(&out.stdout).contains(&format!("unknown key id:{}", to_hex(&keyid))));
}

/// A certificate without a Subject Key Identifier (an X.509 v1 certificate): the kernel's
/// `id:` match then falls on its serial||issuer id, and imactl prints that keyid (and
/// warns that evmctl's computed keyid will not match).
#[test]
fn certificate_without_skid_gets_the_keyid_the_kernel_matches() {
    const T: &str = "certificate_without_skid_gets_the_keyid_the_kernel_matches";
    let Some(_) = fresh_session(T) else { return };
    let dir = tempfile::tempdir().unwrap();
    let Some(k) = make_key(dir.path(), "base", false, T) else {
        return;
    };
    if !kernel_has_rsa_keys(&k, T) {
        return;
    }
    let csr = dir.path().join("v1.csr");
    let v1 = dir.path().join("v1.der");
    let ok = std::process::Command::new("openssl")
        .args(["req", "-new", "-subj", "/CN=v1", "-key"])
        .arg(&k.key)
        .arg("-out")
        .arg(&csr)
        .status()
        .is_ok_and(|s| s.success())
        && std::process::Command::new("openssl")
            .args(["x509", "-req", "-days", "1", "-outform", "DER", "-in"])
            .arg(&csr)
            .arg("-signkey")
            .arg(&k.key)
            .arg("-out")
            .arg(&v1)
            .output()
            .is_ok_and(|o| o.status.success());
    if !ok {
        skip(T, "openssl could not make a v1 certificate");
        return;
    }
    let cert = Certificate::load(&v1).unwrap();
    if cert.skid().is_some() {
        skip(T, "this openssl adds a SKID to 'x509 -req' certificates");
        return;
    }
    let ring = new_keyring("_ima");
    let out = imactl(&[
        "key",
        "import",
        v1.to_str().unwrap(),
        "--keyring",
        &ring.to_string(),
    ]);
    assert!(out.status.success(), "{}", text(&out.stderr));
    let stdout = text(&out.stdout);
    let fields: Vec<&str> = stdout.split_whitespace().collect();
    let serial: i32 = fields[0].parse().unwrap();
    let id = fields[1];
    assert_eq!(id, format!("id:{}", to_hex(&keyring::kernel_keyid(&cert))));
    // The kernel finds the key under that keyid, and not under evmctl's computed one.
    assert_eq!(keyring::search(ring, "asymmetric", id).unwrap(), serial);
    let computed = format!("id:{}", to_hex(&cert.computed_keyid()));
    assert!(keyring::search(ring, "asymmetric", &computed).is_err());
    let err = text(&out.stderr);
    assert!(err.contains("no Subject Key Identifier"), "{err}");
    assert!(err.contains(&format!("--keyid {}", &id[3..])), "{err}");
}
