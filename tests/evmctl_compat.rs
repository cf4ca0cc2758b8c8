//! Compatibility of our evmctl with Debian's upstream evmctl (package ima-evm-utils, 1.4):
//! byte identity where output is deterministic (RSA signatures, hashes), cross-verification
//! where it is not (ECDSA), and the keyid rules. Every comparison runs both programs on the
//! same files, side by side.

mod common;

use common::*;
use std::path::Path;

/// Hash algorithms upstream's ima_hash computes on this machine (OpenSSL 3 has no md4 and
/// no Streebog without the gost engine). Probed, and checked to include the common ones.
fn upstream_hash_algos(dir: &Path) -> Vec<&'static str> {
    let f = dir.join("probe");
    std::fs::write(&f, b"probe").unwrap();
    let all = [
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
        "md_gost12_256",
        "md_gost12_512",
    ];
    let ok: Vec<&str> = all
        .into_iter()
        .filter(|a| code(&run(upstream().args(["ima_hash", "-n", "-a", a]).arg(&f))) == 0)
        .collect();
    for must in ["md5", "sha1", "sha224", "sha256", "sha384", "sha512"] {
        assert!(ok.contains(&must), "upstream cannot hash {must}?");
    }
    eprintln!("algorithms both support: {ok:?}");
    ok
}

#[test]
fn ima_hash_values_are_byte_identical() {
    if skip_without_upstream("ima_hash_values_are_byte_identical") {
        return;
    }
    let d = scratch();
    let (xattr, ns_args) = ns();
    for algo in upstream_hash_algos(d.path()) {
        for (i, len) in [0usize, 1, 4095, 4096, 100_000].into_iter().enumerate() {
            let ours = d.path().join(format!("ours-{algo}-{i}"));
            let theirs = d.path().join(format!("theirs-{algo}-{i}"));
            write_sample(&ours, len, i as u8);
            write_sample(&theirs, len, i as u8);
            // -n: the printed value.
            let a = run(evmctl().args(["ima_hash", "-n", "-a", algo]).arg(&ours));
            let b = run(upstream().args(["ima_hash", "-n", "-a", algo]).arg(&theirs));
            assert_eq!(code(&a), 0, "{algo}: {}", stderr(&a));
            assert_eq!(stdout(&a), stdout(&b), "ima_hash -n -a {algo}, {len} bytes");
            // The xattr value.
            let a = run(evmctl()
                .args(["ima_hash", "-a", algo])
                .args(ns_args)
                .arg(&ours));
            let b = run(upstream()
                .args(["ima_hash", "-a", algo])
                .args(ns_args)
                .arg(&theirs));
            assert_eq!((code(&a), code(&b)), (0, 0), "{}", stderr(&a));
            let va = get_xattr(&ours, xattr).expect("our xattr");
            assert_eq!(
                Some(va.clone()),
                get_xattr(&theirs, xattr),
                "{xattr} -a {algo}"
            );
            let ty = if ["md4", "md5", "sha1"].contains(&algo) {
                1
            } else {
                4
            };
            assert_eq!(va[0], ty, "{algo} value type");
        }
    }
}

#[test]
fn rsa_signatures_are_byte_identical() {
    if skip_without_upstream("rsa_signatures_are_byte_identical") {
        return;
    }
    let f = fixture();
    let d = scratch();
    let (xattr, ns_args) = ns();
    let algos = upstream_hash_algos(d.path());
    let mut compared = 0;
    for kp in [&f.rsa1024, &f.rsa2048, &f.rsa4096] {
        for algo in &algos {
            let ours = d.path().join("ours.bin");
            let theirs = d.path().join("theirs.bin");
            write_sample(&ours, 12345, 7);
            write_sample(&theirs, 12345, 7);
            let up = run(upstream()
                .args(["ima_sign", "-n", "-a", algo, "--key"])
                .arg(&kp.key)
                .arg(&theirs));
            if code(&up) != 0 {
                // e.g. OpenSSL refuses RSA with SM3: not an algorithm both support.
                skip_part(
                    "rsa_signatures_are_byte_identical",
                    algo,
                    &format!(
                        "upstream cannot sign {algo} with {}: {}",
                        kp.key.file_name().unwrap().to_string_lossy(),
                        stderr(&up)
                    ),
                );
                continue;
            }
            // -n output (stdout), then the xattr and the .sig file.
            let a = run(evmctl()
                .args(["ima_sign", "-n", "-a", algo, "--key"])
                .arg(&kp.key)
                .arg(&ours));
            assert_eq!(code(&a), 0, "{}", stderr(&a));
            assert_eq!(
                stdout(&a),
                stdout(&up),
                "ima_sign -n -a {algo} {}",
                kp.key.display()
            );
            let a = run(evmctl()
                .args(["ima_sign", "--sigfile", "-a", algo, "--key"])
                .arg(&kp.key)
                .args(ns_args)
                .arg(&ours));
            let b = run(upstream()
                .args(["ima_sign", "--sigfile", "-a", algo, "--key"])
                .arg(&kp.key)
                .args(ns_args)
                .arg(&theirs));
            assert_eq!((code(&a), code(&b)), (0, 0), "{}", stderr(&a));
            let va = get_xattr(&ours, xattr).unwrap();
            assert_eq!(Some(va.clone()), get_xattr(&theirs, xattr));
            let sa = std::fs::read(d.path().join("ours.bin.sig")).unwrap();
            let sb = std::fs::read(d.path().join("theirs.bin.sig")).unwrap();
            assert_eq!(sa, sb, ".sig files differ for {algo}");
            assert_eq!(sa, va);
            // sig_size equals the bytes that follow, which equal the modulus length.
            let sig_size = u16::from_be_bytes([va[7], va[8]]) as usize;
            assert_eq!(sig_size, va.len() - 9);
            compared += 1;
        }
    }
    assert!(compared >= 3 * 6, "only {compared} combinations compared");
}

/// Signs `file` with `key` by `signer` (ours or upstream) into `xattr`.
fn sign_with(mut signer: std::process::Command, key: &Path, algo: &str, file: &Path) {
    let (_, ns_args) = ns();
    let o = run(signer
        .args(["ima_sign", "-a", algo, "--key"])
        .arg(key)
        .args(ns_args)
        .arg(file));
    assert_eq!(code(&o), 0, "signing {}: {}", file.display(), stderr(&o));
}

fn verify_with(mut verifier: std::process::Command, cert: &Path, file: &Path) -> i32 {
    let (_, ns_args) = ns();
    code(&run(verifier
        .args(["ima_verify", "--key"])
        .arg(cert)
        .args(ns_args)
        .arg(file)))
}

#[test]
fn cross_verification_both_ways() {
    if skip_without_upstream("cross_verification_both_ways") {
        return;
    }
    let f = fixture();
    let d = scratch();
    let keys = [
        &f.rsa1024, &f.rsa2048, &f.rsa4096, &f.p192, &f.p256, &f.p384, &f.p521,
    ];
    let mut n = 0;
    for kp in keys {
        for algo in ["sha1", "sha256", "sha384", "sha512"] {
            for (who, signer) in [("ours", true), ("upstream", false)] {
                let file = d.path().join(format!("x-{who}"));
                write_sample(&file, 5000, 3);
                let cmd = if signer { evmctl() } else { upstream() };
                sign_with(cmd, &kp.key, algo, &file);
                let ctx = format!("{who} signed with {} {algo}", kp.key.display());
                assert_eq!(
                    verify_with(upstream(), &kp.cert_der, &file),
                    0,
                    "upstream verifies {ctx}"
                );
                assert_eq!(
                    verify_with(evmctl(), &kp.cert_der, &file),
                    0,
                    "ours verifies {ctx}"
                );
                // A wrong key: both refuse with exit code 1.
                assert_eq!(
                    verify_with(upstream(), &f.other_rsa.cert_der, &file),
                    1,
                    "{ctx}"
                );
                assert_eq!(
                    verify_with(evmctl(), &f.other_rsa.cert_der, &file),
                    1,
                    "{ctx}"
                );
                // A tampered file: both refuse with exit code 1.
                let mut data = std::fs::read(&file).unwrap();
                data[100] ^= 1;
                std::fs::write(&file, data).unwrap();
                assert_eq!(
                    verify_with(upstream(), &kp.cert_der, &file),
                    1,
                    "tampered, {ctx}"
                );
                assert_eq!(
                    verify_with(evmctl(), &kp.cert_der, &file),
                    1,
                    "tampered, {ctx}"
                );
                n += 1;
            }
        }
    }
    assert_eq!(n, 7 * 4 * 2);
}

/// The keyid bytes (header bytes 3..7) of `ima_sign -n` output.
fn keyid_of(out: &std::process::Output) -> String {
    let s = stdout(out);
    assert!(s.len() > 14, "no signature printed: {}", stderr(out));
    s[6..14].to_string()
}

#[test]
fn keyid_rules_match_upstream() {
    if skip_without_upstream("keyid_rules_match_upstream") {
        return;
    }
    let d = scratch();
    let dir = d.path();
    let file = dir.join("f");
    write_sample(&file, 1000, 1);
    let default = make_keypair(dir, "default", "rsa:2048", &[]);
    let custom = make_keypair(
        dir,
        "custom",
        "rsa:2048",
        &["-addext", "subjectKeyIdentifier=0102030405060708"],
    );
    let none = make_keypair(
        dir,
        "none",
        "rsa:2048",
        &["-addext", "subjectKeyIdentifier=none"],
    );
    let appended = |kp: &KeyPair, name: &str| {
        let p = dir.join(name);
        let mut v = std::fs::read(&kp.key).unwrap();
        v.extend(std::fs::read(&kp.cert_pem).unwrap());
        std::fs::write(&p, v).unwrap();
        p
    };
    let both = |args: &[&std::ffi::OsStr]| {
        let a = run(evmctl().args(["ima_sign", "-n"]).args(args).arg(&file));
        let b = run(upstream().args(["ima_sign", "-n"]).args(args).arg(&file));
        (a, b)
    };
    let os = |p: &Path| p.as_os_str().to_owned();
    let key = std::ffi::OsString::from("--key");

    // Default SKID (the SHA-1 hash): the computed keyid equals the SKID tail.
    let (a, b) = both(&[&key, &os(&default.key)]);
    assert_eq!(keyid_of(&a), keyid_of(&b));
    let skid = run(std::process::Command::new("openssl")
        .args(["x509", "-noout", "-ext", "subjectKeyIdentifier", "-in"])
        .arg(&default.cert_pem));
    let skid = stdout(&skid).replace([':', ' ', '\n'], "").to_lowercase();
    assert!(
        skid.ends_with(&keyid_of(&a)),
        "SKID {skid} vs keyid {}",
        keyid_of(&a)
    );

    // A non-hash SKID: --keyid-from-cert and an appended certificate both take its tail.
    let (a, b) = both(&[
        &key,
        &os(&custom.key),
        "--keyid-from-cert".as_ref(),
        &os(&custom.cert_pem),
    ]);
    assert_eq!(
        (keyid_of(&a).as_str(), keyid_of(&b).as_str()),
        ("05060708", "05060708")
    );
    let (a, b) = both(&[
        "--keyid-from-cert".as_ref(),
        &os(&custom.cert_der),
        &key,
        &os(&custom.key),
    ]);
    assert_eq!(keyid_of(&a), keyid_of(&b));
    let app = appended(&custom, "custom-with-cert.pem");
    let (a, b) = both(&[&key, &os(&app)]);
    assert_eq!(
        (keyid_of(&a).as_str(), keyid_of(&b).as_str()),
        ("05060708", "05060708")
    );

    // No SKID: the computed keyid. (Upstream 1.4 crashes when such a certificate is
    // appended to the key or given to --keyid-from-cert, so compare with the bare key.)
    let (a, b) = both(&[&key, &os(&none.key)]);
    assert_eq!(keyid_of(&a), keyid_of(&b));
    let app = appended(&none, "none-with-cert.pem");
    let ours = run(evmctl()
        .args(["ima_sign", "-n", "--key"])
        .arg(&app)
        .arg(&file));
    assert_eq!(
        keyid_of(&ours),
        keyid_of(&b),
        "appended cert without SKID: computed keyid"
    );
    let ours = run(evmctl()
        .args(["ima_sign", "-n", "--keyid-from-cert"])
        .arg(&none.cert_pem)
        .arg("--key")
        .arg(&none.key)
        .arg(&file));
    assert_eq!(code(&ours), 1);
    assert!(
        stderr(&ours).contains("no Subject Key Identifier"),
        "{}",
        stderr(&ours)
    );

    // --keyid wins over everything.
    let (a, b) = both(&["--keyid".as_ref(), "1a2b3c4d".as_ref(), &key, &os(&app)]);
    assert_eq!(
        (keyid_of(&a).as_str(), keyid_of(&b).as_str()),
        ("1a2b3c4d", "1a2b3c4d")
    );
    let (a, b) = both(&["--keyid".as_ref(), "0".as_ref(), &key, &os(&default.key)]);
    assert_eq!((code(&a), code(&b)), (1, 1));
    assert_eq!(stdout(&a), stdout(&b));
}

#[test]
fn exit_codes_and_streams_match_upstream() {
    if skip_without_upstream("exit_codes_and_streams_match_upstream") {
        return;
    }
    let f = fixture();
    let d = scratch();
    let file = d.path().join("f");
    write_sample(&file, 10, 0);
    let missing = d.path().join("missing");
    let k = f.rsa2048.key.to_str().unwrap();
    let c = f.rsa2048.cert_der.to_str().unwrap();
    let cases: Vec<Vec<&str>> = vec![
        vec![],
        vec!["--version"],
        vec!["nosuchcommand"],
        vec!["--nosuchoption"],
        vec!["-z"],
        vec!["ima_sign", "-k"],
        vec!["ima_sign", "--key", k],
        vec!["ima_hash", missing.to_str().unwrap()],
        vec!["ima_hash", d.path().to_str().unwrap()],
        vec![
            "ima_sign",
            "--key",
            missing.to_str().unwrap(),
            file.to_str().unwrap(),
        ],
        vec!["ima_verify", "--key", c, missing.to_str().unwrap()],
        vec!["ima_verify", "--key", c, file.to_str().unwrap()],
        vec!["ima_hash", "-a", "SHA1", file.to_str().unwrap()],
    ];
    for args in cases {
        let a = run(evmctl().args(&args));
        let b = run(upstream().args(&args));
        assert_eq!(
            code(&a),
            code(&b),
            "exit code of evmctl {args:?}: ours {} / upstream {}",
            stderr(&a),
            stderr(&b)
        );
        // Hex values and usage go to stdout in both; we do not print errors on stdout
        // except where upstream does (unknown command).
        if ["--version"].contains(&args.first().copied().unwrap_or("")) {
            assert!(stdout(&a).starts_with("evmctl "));
        } else if args.first() == Some(&"nosuchcommand") {
            assert_eq!(stdout(&a), stdout(&b));
        }
    }
}

#[test]
fn sign_hash_output_is_byte_identical() {
    if skip_without_upstream("sign_hash_output_is_byte_identical") {
        return;
    }
    let f = fixture();
    let d = scratch();
    for (algo, sum) in [
        ("sha256", "sha256sum"),
        ("sha1", "sha1sum"),
        ("sha512", "sha512sum"),
    ] {
        for i in 0..3 {
            write_sample(&d.path().join(format!("f{i}")), 1000 * i, i as u8);
        }
        let sums = run(std::process::Command::new(sum)
            .args(["f0", "f1", "f2"])
            .current_dir(d.path()));
        let input = d.path().join(format!("{sum}.txt"));
        std::fs::write(&input, &sums.stdout).unwrap();
        let feed = |mut c: std::process::Command| {
            c.args(["sign_hash", "-a", algo, "--key"])
                .arg(&f.rsa2048.key)
                .stdin(std::fs::File::open(&input).unwrap())
                .output()
                .unwrap()
        };
        let a = feed(evmctl());
        let b = feed(upstream());
        assert_eq!(code(&a), 0, "{}", stderr(&a));
        assert_eq!(stdout(&a).lines().count(), 3);
        assert_eq!(stdout(&a), stdout(&b), "sign_hash -a {algo}");
    }
}

#[test]
fn evm_signatures_are_byte_identical_and_cross_verify() {
    if skip_without_upstream("evm_signatures_are_byte_identical_and_cross_verify") {
        return;
    }
    let f = fixture();
    let d = scratch();
    let (xattr, ns_args) = ns();
    let evm_xattr = xattr.replace("ima", "evm");
    let file = d.path().join("f");
    write_sample(&file, 3000, 2);
    // Deterministic EVM inputs: no filesystem UUID lookup (this container has no
    // /dev/disk/by-uuid), fixed or real generation.
    let variants: &[&[&str]] = &[
        &["-u"],
        &["-u", "--generation", "7"],
        &["--uuid=01234567-89ab-cdef-0123-456789abcdef"],
        &["--portable"],
        &["--portable", "--imasig"],
        &["-u", "--imahash", "-a", "sha1"],
        &["-u", "--m32"],
        &[
            "-u",
            "--smack",
            "--selinux=system_u:object_r:bin_t:s0",
            "--caps",
            "--uid",
            "0",
            "--gid",
            "0",
            "--mode",
            "33188",
            "--inode",
            "12",
        ],
    ];
    for kp in [&f.rsa2048, &f.rsa4096] {
        for v in variants {
            // security.ima present, as after ima_sign.
            let o = run(evmctl()
                .args(["ima_sign", "--key"])
                .arg(&kp.key)
                .args(ns_args)
                .arg(&file));
            assert_eq!(code(&o), 0, "{}", stderr(&o));
            let a = run(evmctl()
                .args(["sign", "-n"])
                .args(*v)
                .args(ns_args)
                .arg("--key")
                .arg(&kp.key)
                .arg(&file));
            let b = run(upstream()
                .args(["sign", "-n"])
                .args(*v)
                .args(ns_args)
                .arg("--key")
                .arg(&kp.key)
                .arg(&file));
            assert_eq!(code(&a), 0, "sign {v:?}: {}", stderr(&a));
            assert_eq!(code(&b), 0, "upstream sign {v:?}: {}", stderr(&b));
            assert_eq!(stdout(&a), stdout(&b), "evmctl sign -n {v:?}");
        }
    }
    // Both ways: one signs security.evm, the other verifies; a wrong key and a changed
    // mode are refused with the same exit codes.
    for (signer_is_ours, args) in [
        (true, &["-u"][..]),
        (false, &["-u"][..]),
        (true, &["--portable"][..]),
        (false, &["--portable"][..]),
    ] {
        let o = run(evmctl()
            .args(["ima_sign", "--key"])
            .arg(&f.rsa2048.key)
            .args(ns_args)
            .arg(&file));
        assert_eq!(code(&o), 0);
        std::fs::set_permissions(&file, std::os::unix::fs::PermissionsExt::from_mode(0o644))
            .unwrap();
        let mut signer = if signer_is_ours { evmctl() } else { upstream() };
        let o = run(signer
            .arg("sign")
            .args(args)
            .args(ns_args)
            .arg("--key")
            .arg(&f.rsa2048.key)
            .arg(&file));
        assert_eq!(code(&o), 0, "{}", stderr(&o));
        assert!(get_xattr(&file, &evm_xattr).is_some());
        // Upstream 1.4 reads security.* names for EVM even with --xattr-user, so the
        // verify half needs the real attributes (root); ours and theirs agree either way.
        let verify = |mut c: std::process::Command, cert: &Path| {
            code(&run(c
                .arg("verify")
                .args(args)
                .args(ns_args)
                .arg("--key")
                .arg(cert)
                .arg(&file)))
        };
        assert_eq!(
            verify(evmctl(), &f.rsa2048.cert_der),
            verify(upstream(), &f.rsa2048.cert_der)
        );
        if is_root() {
            assert_eq!(
                verify(evmctl(), &f.rsa2048.cert_der),
                0,
                "{args:?} signed by ours={signer_is_ours}"
            );
        } else {
            skip_part(
                "evm_signatures_are_byte_identical_and_cross_verify",
                "verify succeeds",
                "not root: upstream reads security.* for EVM verification",
            );
        }
        assert_eq!(
            verify(evmctl(), &f.other_rsa.cert_der),
            verify(upstream(), &f.other_rsa.cert_der)
        );
        assert_ne!(verify(evmctl(), &f.other_rsa.cert_der), 0);
        std::fs::set_permissions(&file, std::os::unix::fs::PermissionsExt::from_mode(0o600))
            .unwrap();
        assert_eq!(
            verify(evmctl(), &f.rsa2048.cert_der),
            verify(upstream(), &f.rsa2048.cert_der)
        );
        assert_ne!(
            verify(evmctl(), &f.rsa2048.cert_der),
            0,
            "a changed mode must be refused"
        );
    }
}

#[test]
fn legacy_v1_signatures_and_convert() {
    if skip_without_upstream("legacy_v1_signatures_and_convert") {
        return;
    }
    let f = fixture();
    let d = scratch();
    let dir = d.path();
    let (_, ns_args) = ns();
    openssl(
        dir,
        &[
            "pkey",
            "-in",
            f.rsa2048.key.to_str().unwrap(),
            "-pubout",
            "-out",
            "pub.pem",
        ],
    );
    openssl(
        dir,
        &[
            "pkey",
            "-in",
            f.rsa2048.key.to_str().unwrap(),
            "-pubout",
            "-out",
            "pub2.pem",
        ],
    );
    let pubkey = dir.join("pub.pem");
    // convert: the same .bin blob and .keyid.
    let a = run(evmctl().arg("convert").arg(&pubkey));
    let b = run(upstream().arg("convert").arg(dir.join("pub2.pem")));
    assert_eq!((code(&a), code(&b)), (0, 0), "{}", stderr(&a));
    for ext in ["bin", "keyid"] {
        assert_eq!(
            std::fs::read(dir.join(format!("pub.pem.{ext}"))).unwrap(),
            std::fs::read(dir.join(format!("pub2.pem.{ext}"))).unwrap(),
            "convert .{ext}"
        );
    }
    for algo in ["sha1", "sha256"] {
        // Byte identity: the header holds the time in seconds, so compare runs made in
        // the same second (retried when a second boundary falls between them).
        let file = dir.join("f");
        write_sample(&file, 777, 1);
        let mut same = false;
        for _ in 0..5 {
            let a = run(evmctl()
                .args(["ima_sign", "-n", "--rsa", "-a", algo, "--key"])
                .arg(&f.rsa2048.key)
                .arg(&file));
            let b = run(upstream()
                .args(["ima_sign", "-n", "--rsa", "-a", algo, "--key"])
                .arg(&f.rsa2048.key)
                .arg(&file));
            assert_eq!(code(&a), 0, "{}", stderr(&a));
            if stdout(&a)[4..12] == stdout(&b)[4..12] {
                assert_eq!(stdout(&a), stdout(&b), "v1 {algo}");
                same = true;
                break;
            }
        }
        assert!(same, "never signed within one second");
        // Cross-verification both ways, and a tampered file.
        for ours_signs in [true, false] {
            let mut signer = if ours_signs { evmctl() } else { upstream() };
            let o = run(signer
                .args(["ima_sign", "--rsa", "-a", algo, "--key"])
                .arg(&f.rsa2048.key)
                .args(ns_args)
                .arg(&file));
            assert_eq!(code(&o), 0, "{}", stderr(&o));
            let verify = |mut c: std::process::Command| {
                code(&run(c
                    .args(["ima_verify", "--rsa", "--key"])
                    .arg(&pubkey)
                    .args(ns_args)
                    .arg(&file)))
            };
            assert_eq!(
                (verify(evmctl()), verify(upstream())),
                (0, 0),
                "{algo} signed by ours={ours_signs}"
            );
            let mut data = std::fs::read(&file).unwrap();
            data[3] ^= 4;
            std::fs::write(&file, &data).unwrap();
            assert_eq!(
                (verify(evmctl()), verify(upstream())),
                (1, 1),
                "tampered, {algo}"
            );
        }
    }
    // v1 supports sha1 and sha256 only.
    let o = run(evmctl()
        .args(["ima_sign", "-n", "--rsa", "-a", "sha512", "--key"])
        .arg(&f.rsa2048.key)
        .arg(dir.join("f")));
    assert_eq!(code(&o), 125);
    assert!(
        stderr(&o).contains("does not support hash algo sha512"),
        "{}",
        stderr(&o)
    );
}
