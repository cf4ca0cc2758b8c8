//! Bad input gets a clear message naming the file and the problem, a non-zero exit code,
//! and changes nothing; privileges: user.ima works without root, security.ima as root.

mod common;

use common::*;
use std::collections::BTreeMap;
use std::os::unix::fs::PermissionsExt;
use std::path::{Path, PathBuf};
use std::process::Command;

/// Per path: contents and sorted xattrs.
type Snapshot = BTreeMap<PathBuf, (Vec<u8>, Vec<(String, Vec<u8>)>)>;

/// Everything about a directory tree that a command could change: names, contents, xattrs.
fn snapshot(dir: &Path) -> Snapshot {
    let mut m = BTreeMap::new();
    for e in walkdir::WalkDir::new(dir).sort_by_file_name() {
        let e = e.unwrap();
        let p = e.path().to_path_buf();
        let data = if e.file_type().is_file() {
            std::fs::read(&p).unwrap_or_default()
        } else {
            vec![]
        };
        let mut xs: Vec<(String, Vec<u8>)> = xattr::list(&p)
            .map(|l| {
                l.map(|n| {
                    let n = n.to_string_lossy().into_owned();
                    let v = xattr::get(&p, &n).ok().flatten().unwrap_or_default();
                    (n, v)
                })
                .collect()
            })
            .unwrap_or_default();
        xs.sort();
        m.insert(p, (data, xs));
    }
    m
}

/// Runs `cmd` and checks: exit code `want`, every `needles` in stderr, nothing changed.
fn refused(dir: &Path, cmd: &mut Command, want: i32, needles: &[&str]) {
    let before = snapshot(dir);
    let o = run(cmd);
    let err = stderr(&o);
    assert_eq!(code(&o), want, "{cmd:?}\nstderr: {err}");
    for n in needles {
        assert!(err.contains(n), "{cmd:?}: stderr lacks {n:?}:\n{err}");
    }
    assert!(
        stdout(&o).is_empty(),
        "{cmd:?} printed on stdout: {}",
        stdout(&o)
    );
    assert_eq!(before, snapshot(dir), "{cmd:?} changed files");
}

#[test]
fn bad_keys_and_certificates() {
    let f = fixture();
    let d = scratch();
    let dir = d.path();
    let file = dir.join("file");
    write_sample(&file, 100, 1);
    let file_s = file.to_str().unwrap();
    let (_, ns_args) = ns();
    let sign = |key: &Path| {
        let mut c = evmctl();
        c.args(["ima_sign", "--sigfile"])
            .args(ns_args)
            .arg("--key")
            .arg(key)
            .arg(file_s);
        c
    };
    // Missing key.
    let missing = dir.join("no-such-key.pem");
    refused(
        dir,
        &mut sign(&missing),
        125,
        &["no-such-key.pem", "No such file or directory"],
    );
    // A directory as key.
    let subdir = dir.join("adir");
    std::fs::create_dir(&subdir).unwrap();
    refused(
        dir,
        &mut sign(&subdir),
        125,
        &["adir", "not a regular file (a directory)"],
    );
    // A certificate as key (PEM and DER).
    let cert_pem = dir.join("cert.pem");
    std::fs::copy(&f.rsa2048.cert_pem, &cert_pem).unwrap();
    refused(
        dir,
        &mut sign(&cert_pem),
        125,
        &["cert.pem", "X.509 certificate, not a private key"],
    );
    let cert_der = dir.join("cert.der");
    std::fs::copy(&f.rsa2048.cert_der, &cert_der).unwrap();
    refused(
        dir,
        &mut sign(&cert_der),
        125,
        &["cert.der", "X.509 certificate, not a private key"],
    );
    // Truncated and garbage keys.
    let key = std::fs::read(&f.rsa2048.key).unwrap();
    let trunc = dir.join("trunc.pem");
    std::fs::write(&trunc, &key[..key.len() / 2]).unwrap();
    refused(dir, &mut sign(&trunc), 125, &["trunc.pem", "no END line"]);
    let garbage = dir.join("garbage.bin");
    std::fs::write(&garbage, b"\x30\x82\x01\x00 certainly not a key").unwrap();
    refused(
        dir,
        &mut sign(&garbage),
        125,
        &["garbage.bin", "no private key found"],
    );
    let empty = dir.join("empty.pem");
    std::fs::write(&empty, b"").unwrap();
    refused(dir, &mut sign(&empty), 125, &["empty.pem", "empty"]);
    // A key given as certificate to ima_verify; a truncated DER certificate.
    let key_copy = dir.join("key.pem");
    std::fs::copy(&f.rsa2048.key, &key_copy).unwrap();
    refused(
        dir,
        evmctl()
            .args(["ima_verify", "--key"])
            .arg(&key_copy)
            .args(ns_args)
            .arg(file_s),
        1,
        &["key.pem", "private key, not an X.509 certificate"],
    );
    let der = std::fs::read(&f.rsa2048.cert_der).unwrap();
    let tder = dir.join("trunc.der");
    std::fs::write(&tder, &der[..der.len() - 20]).unwrap();
    refused(
        dir,
        evmctl()
            .args(["ima_verify", "--key"])
            .arg(&tder)
            .args(ns_args)
            .arg(file_s),
        1,
        &["trunc.der", "not a valid X.509 certificate"],
    );
}

#[test]
fn encrypted_keys_and_passwords() {
    let f = fixture();
    let d = scratch();
    let dir = d.path();
    let file = dir.join("file");
    write_sample(&file, 100, 2);
    std::fs::write(dir.join("pw"), "correct horse").unwrap();
    openssl(
        dir,
        &[
            "pkcs8",
            "-topk8",
            "-v2",
            "aes-256-cbc",
            "-in",
            f.rsa2048.key.to_str().unwrap(),
            "-out",
            "enc.pem",
            "-passout",
            "file:pw",
        ],
    );
    let enc = dir.join("enc.pem");
    let sign = || {
        let mut c = evmctl();
        c.args(["ima_sign", "-n", "--key"]).arg(&enc).arg(&file);
        c
    };
    // No password and no terminal: a clear error, no prompt.
    refused(
        dir,
        &mut sign(),
        125,
        &["enc.pem", "encrypted and no password was given"],
    );
    // Wrong password.
    refused(
        dir,
        sign().env("EVMCTL_KEY_PASSWORD", "wrong"),
        125,
        &["enc.pem", "wrong password"],
    );
    // Right password from the environment, and from --pass=; same signature as the plain key.
    let plain = run(evmctl()
        .args(["ima_sign", "-n", "--key"])
        .arg(&f.rsa2048.key)
        .arg(&file));
    let a = run(sign().env("EVMCTL_KEY_PASSWORD", "correct horse"));
    assert_eq!(code(&a), 0, "{}", stderr(&a));
    assert_eq!(stdout(&a), stdout(&plain));
    let b = run(sign().arg("--pass=correct horse"));
    assert_eq!(stdout(&b), stdout(&plain), "{}", stderr(&b));
    // Legacy OpenSSL PEM encryption: explained, not a cryptic failure.
    openssl(
        dir,
        &[
            "rsa",
            "-aes256",
            "-traditional",
            "-in",
            f.rsa2048.key.to_str().unwrap(),
            "-out",
            "legacy.pem",
            "-passout",
            "file:pw",
        ],
    );
    refused(
        dir,
        evmctl()
            .args(["ima_sign", "-n", "--key"])
            .arg(dir.join("legacy.pem"))
            .arg(&file)
            .env("EVMCTL_KEY_PASSWORD", "correct horse"),
        125,
        &["legacy.pem", "openssl pkcs8 -topk8"],
    );
}

#[test]
fn key_formats_pkcs1_sec1_and_der_sign_alike() {
    let f = fixture();
    let d = scratch();
    let dir = d.path();
    let file = dir.join("file");
    write_sample(&file, 1000, 3);
    let k = f.rsa2048.key.to_str().unwrap();
    openssl(dir, &["rsa", "-traditional", "-in", k, "-out", "pkcs1.pem"]);
    openssl(
        dir,
        &[
            "pkcs8",
            "-topk8",
            "-nocrypt",
            "-in",
            k,
            "-outform",
            "DER",
            "-out",
            "pkcs8.der",
        ],
    );
    openssl(
        dir,
        &[
            "rsa",
            "-traditional",
            "-in",
            k,
            "-outform",
            "DER",
            "-out",
            "pkcs1.der",
        ],
    );
    let reference = stdout(&run(evmctl()
        .args(["ima_sign", "-n", "--key", k])
        .arg(&file)));
    for name in ["pkcs1.pem", "pkcs8.der", "pkcs1.der"] {
        let o = run(evmctl()
            .args(["ima_sign", "-n", "--key"])
            .arg(dir.join(name))
            .arg(&file));
        assert_eq!(stdout(&o), reference, "{name}: {}", stderr(&o));
    }
    // SEC1 EC keys (PEM and DER) verify against the certificate.
    let (_, ns_args) = ns();
    for (name, kp) in [("p256", &f.p256), ("p384", &f.p384)] {
        let sec1 = format!("{name}.sec1.pem");
        openssl(dir, &["ec", "-in", kp.key.to_str().unwrap(), "-out", &sec1]);
        let sec1der = format!("{name}.sec1.der");
        openssl(
            dir,
            &[
                "ec",
                "-in",
                kp.key.to_str().unwrap(),
                "-outform",
                "DER",
                "-out",
                &sec1der,
            ],
        );
        for key in [sec1, sec1der] {
            let o = run(evmctl()
                .args(["ima_sign", "--key"])
                .arg(dir.join(&key))
                .args(ns_args)
                .arg(&file));
            assert_eq!(code(&o), 0, "{key}: {}", stderr(&o));
            let o = run(evmctl()
                .args(["ima_verify", "--key"])
                .arg(&kp.cert_pem)
                .args(ns_args)
                .arg(&file));
            assert_eq!(code(&o), 0, "{key}: {}", stderr(&o));
        }
    }
}

#[test]
fn bad_files() {
    let f = fixture();
    let d = scratch();
    let dir = d.path();
    let (_, ns_args) = ns();
    let sub = dir.join("a-directory");
    std::fs::create_dir(&sub).unwrap();
    let fifo = dir.join("a-fifo");
    let c = std::ffi::CString::new(fifo.to_str().unwrap()).unwrap();
    // SAFETY: c is a valid NUL-terminated path.
    assert_eq!(unsafe { libc::mkfifo(c.as_ptr(), 0o644) }, 0);
    let link = dir.join("a-link");
    write_sample(&dir.join("target"), 10, 0);
    std::os::unix::fs::symlink(dir.join("target"), &link).unwrap();
    for (path, words) in [
        (&sub, "a directory"),
        (&fifo, "a FIFO"),
        (&link, "a symbolic link"),
    ] {
        for cmd in ["ima_sign", "ima_hash"] {
            let mut c = evmctl();
            c.args([cmd, "--sigfile"])
                .args(ns_args)
                .arg("--key")
                .arg(&f.rsa2048.key)
                .arg(path);
            refused(
                dir,
                &mut c,
                125,
                &[path.file_name().unwrap().to_str().unwrap(), words],
            );
        }
    }
    // ima_setxattr without its .sig file: an error (upstream exits 0).
    let plain = dir.join("target");
    refused(
        dir,
        evmctl().args(["ima_setxattr"]).args(ns_args).arg(&plain),
        125,
        &["target.sig", "No such file"],
    );
    let sig = dir.join("target.sig");
    std::fs::write(&sig, b"").unwrap();
    refused(
        dir,
        evmctl().args(["ima_setxattr"]).args(ns_args).arg(&plain),
        125,
        &["target.sig", "empty"],
    );
    std::fs::write(&sig, b"\x03\x02\x04garbage").unwrap();
    refused(
        dir,
        evmctl().args(["ima_setxattr"]).args(ns_args).arg(&plain),
        125,
        &["target.sig", "not a valid security.ima value"],
    );
}

#[test]
fn filesystem_that_refuses_xattrs() {
    if !is_root() {
        skip(
            "filesystem_that_refuses_xattrs",
            "mounting a ramfs needs root",
        );
        return;
    }
    let f = fixture();
    let d = scratch();
    let mnt = d.path().join("ramfs");
    std::fs::create_dir(&mnt).unwrap();
    let o = run(Command::new("mount")
        .args(["-t", "ramfs", "ramfs"])
        .arg(&mnt));
    if code(&o) != 0 {
        skip(
            "filesystem_that_refuses_xattrs",
            &format!("cannot mount ramfs: {}", stderr(&o)),
        );
        return;
    }
    let file = mnt.join("file");
    write_sample(&file, 100, 0);
    let result = std::panic::catch_unwind(|| {
        for cmd in [
            vec!["ima_hash"],
            vec!["ima_sign", "--key", f.rsa2048.key.to_str().unwrap()],
        ] {
            let o = run(evmctl().args(&cmd).arg(&file));
            assert_eq!(code(&o), 125, "{}", stderr(&o));
            assert!(
                stderr(&o).contains("does not support extended attributes"),
                "{}",
                stderr(&o)
            );
            assert!(stderr(&o).contains(file.to_str().unwrap()));
        }
    });
    run(Command::new("umount").arg(&mnt));
    result.unwrap();
}

/// Runs `args` as an unprivileged user (nobody) when we are root, else as ourselves.
fn unprivileged(args: &[&std::ffi::OsStr]) -> Command {
    if is_root() {
        let mut c = Command::new("setpriv");
        c.args([
            "--reuid=65534",
            "--regid=65534",
            "--clear-groups",
            "--inh-caps=-all",
        ]);
        c.arg(env!("CARGO_BIN_EXE_evmctl"));
        c.args(args);
        c
    } else {
        let mut c = evmctl();
        c.args(args);
        c
    }
}

#[test]
fn user_ima_without_root_and_security_ima_as_root() {
    let f = fixture();
    let d = scratch();
    let dir = d.path();
    std::fs::set_permissions(dir, std::fs::Permissions::from_mode(0o777)).unwrap();
    let file = dir.join("file");
    write_sample(&file, 3000, 5);
    let key = dir.join("key.pem");
    std::fs::copy(&f.rsa2048.key, &key).unwrap();
    let cert = dir.join("cert.der");
    std::fs::copy(&f.rsa2048.cert_der, &cert).unwrap();
    if is_root() {
        for p in [&file, &key, &cert] {
            std::os::unix::fs::chown(p, Some(65534), Some(65534)).unwrap();
        }
    }
    let os = |s: &str| std::ffi::OsString::from(s);
    let (k, fl, c) = (key.as_os_str(), file.as_os_str(), cert.as_os_str());
    let o = run(&mut unprivileged(&[
        &os("ima_sign"),
        &os("--xattr-user"),
        &os("--key"),
        k,
        fl,
    ]));
    assert_eq!(code(&o), 0, "{}", stderr(&o));
    let v = get_xattr(&file, "user.ima").expect("user.ima set");
    assert_eq!(&v[..2], &[3, 2]);
    let o = run(&mut unprivileged(&[
        &os("ima_verify"),
        &os("--xattr-user"),
        &os("--key"),
        c,
        fl,
    ]));
    assert_eq!(code(&o), 0, "{}", stderr(&o));
    // Without privileges security.ima is refused with words, not just errno.
    let o = run(&mut unprivileged(&[&os("ima_sign"), &os("--key"), k, fl]));
    assert_eq!(code(&o), 125);
    assert!(stderr(&o).contains("security.ima"), "{}", stderr(&o));
    assert!(get_xattr(&file, "security.ima").is_none());
    if is_root() {
        let o = run(evmctl().args(["ima_sign", "--key"]).arg(&key).arg(&file));
        assert_eq!(code(&o), 0, "{}", stderr(&o));
        let v = get_xattr(&file, "security.ima").expect("security.ima set as root");
        assert_eq!(&v[..2], &[3, 2]);
        let o = run(evmctl().args(["ima_verify", "--key"]).arg(&cert).arg(&file));
        assert_eq!(code(&o), 0, "{}", stderr(&o));
    } else {
        skip_part(
            "user_ima_without_root_and_security_ima_as_root",
            "security.ima",
            "not root: security.ima cannot be set",
        );
    }
}

#[test]
fn recursive_signing_reports_every_failure_and_skips_links() {
    let f = fixture();
    let d = scratch();
    let dir = d.path();
    let tree = dir.join("tree");
    std::fs::create_dir_all(tree.join("a/b")).unwrap();
    for (i, p) in ["one", "a/two", "a/b/three"].iter().enumerate() {
        write_sample(&tree.join(p), 100 + i, i as u8);
    }
    let outside = dir.join("outside");
    write_sample(&outside, 10, 9);
    std::os::unix::fs::symlink(&outside, tree.join("link-out")).unwrap();
    std::os::unix::fs::symlink(dir, tree.join("a/dirlink")).unwrap();
    let (xattr, ns_args) = ns();
    // Relative key path and relative tree (upstream silently signs nothing there).
    let key = dir.join("k.pem");
    std::fs::copy(&f.rsa2048.key, &key).unwrap();
    let o = run(evmctl()
        .current_dir(dir)
        .args(["ima_sign", "-r", "--key", "k.pem"])
        .args(ns_args)
        .arg("tree"));
    assert_eq!(code(&o), 0, "{}", stderr(&o));
    for p in ["one", "a/two", "a/b/three"] {
        assert!(get_xattr(&tree.join(p), xattr).is_some(), "{p} not signed");
    }
    assert!(
        get_xattr(&outside, xattr).is_none(),
        "a symlink was followed"
    );
    assert_eq!(stdout(&o).lines().count(), 3);
    // An unreadable directory (as nobody) is reported and fails the run.
    if is_root() {
        let locked = tree.join("locked");
        std::fs::create_dir(&locked).unwrap();
        write_sample(&locked.join("secret"), 10, 0);
        std::fs::set_permissions(&locked, std::fs::Permissions::from_mode(0o700)).unwrap();
        std::fs::set_permissions(dir, std::fs::Permissions::from_mode(0o755)).unwrap();
        let mut c = unprivileged(&[
            "ima_hash".as_ref(),
            "-r".as_ref(),
            "-n".as_ref(),
            tree.as_os_str(),
        ]);
        let o = run(&mut c);
        assert_eq!(code(&o), 125, "{}", stderr(&o));
        assert!(stderr(&o).contains("locked"), "{}", stderr(&o));
        assert!(stderr(&o).contains("Permission denied"), "{}", stderr(&o));
        assert_eq!(
            stdout(&o).lines().count(),
            3,
            "the readable files are still hashed"
        );
    } else {
        skip_part(
            "recursive_signing_reports_every_failure_and_skips_links",
            "unreadable directory",
            "not root: cannot run as nobody",
        );
    }
}

#[test]
fn setxattr_is_idempotent_and_can_tolerate_unsupported_filesystems() {
    let f = fixture();
    let d = scratch();
    let dir = d.path();
    let (xattr, ns_args) = ns();
    let file = dir.join("shipped");
    write_sample(&file, 500, 4);
    let o = run(evmctl()
        .args(["ima_sign", "-n", "--sigfile", "--key"])
        .arg(&f.rsa2048.key)
        .arg(&file));
    assert_eq!(code(&o), 0, "{}", stderr(&o));
    let sig = std::fs::read(dir.join("shipped.sig")).unwrap();
    for _ in 0..2 {
        let o = run(evmctl()
            .args(["ima_setxattr", "--sigfile"])
            .args(ns_args)
            .arg(&file));
        assert_eq!(code(&o), 0, "{}", stderr(&o));
        assert_eq!(get_xattr(&file, xattr), Some(sig.clone()));
    }
    // The upstream form: --sigfile SIG FILE.
    let other = dir.join("other");
    write_sample(&other, 500, 4);
    let o = run(evmctl()
        .args(["ima_setxattr", "--sigfile"])
        .arg(dir.join("shipped.sig"))
        .args(ns_args)
        .arg(&other));
    assert_eq!(code(&o), 0, "{}", stderr(&o));
    assert_eq!(get_xattr(&other, xattr), Some(sig.clone()));
    if !is_root() {
        skip_part(
            "setxattr_is_idempotent_and_can_tolerate_unsupported_filesystems",
            "--ignore-unsupported on ramfs",
            "mounting a ramfs needs root",
        );
        return;
    }
    let mnt = dir.join("ramfs");
    std::fs::create_dir(&mnt).unwrap();
    if code(&run(Command::new("mount")
        .args(["-t", "ramfs", "ramfs"])
        .arg(&mnt)))
        != 0
    {
        skip_part(
            "setxattr_is_idempotent_and_can_tolerate_unsupported_filesystems",
            "--ignore-unsupported on ramfs",
            "cannot mount a ramfs",
        );
        return;
    }
    let target = mnt.join("shipped");
    std::fs::copy(&file, &target).unwrap();
    std::fs::copy(dir.join("shipped.sig"), mnt.join("shipped.sig")).unwrap();
    let strict = run(evmctl().args(["ima_setxattr", "--sigfile"]).arg(&target));
    let lenient = run(evmctl()
        .args(["ima_setxattr", "--ignore-unsupported", "--sigfile"])
        .arg(&target));
    run(Command::new("umount").arg(&mnt));
    assert_eq!(code(&strict), 125);
    assert_eq!(
        stderr(&strict).lines().count(),
        1,
        "one line: {}",
        stderr(&strict)
    );
    assert_eq!(code(&lenient), 0, "{}", stderr(&lenient));
    assert!(stderr(&lenient).contains("warning"), "{}", stderr(&lenient));
}

/// Runs `cmd` (a shell command line) on a pseudo-terminal with `script`, typing `input`
/// once `prompt` is on the terminal. Typing earlier (a fixed delay after the start, on a
/// loaded machine) reaches the terminal while it still echoes, before the program turns
/// echo off: the typed text would then show whatever the program does. The prompt is
/// written just before echo is turned off, hence the short pause after it; the wait gives
/// up after 60 s and types anyway, so a missing prompt fails the test's own checks.
fn on_terminal(dir: &Path, cmd: &str, prompt: &str, input: &str) -> Option<String> {
    if !Path::new("/usr/bin/script").exists() {
        return None;
    }
    let script = format!(
        "(i=0; until grep -qF '{prompt}' typescript 2>/dev/null || [ $i -ge 1200 ]; do \
         sleep 0.05; i=$((i + 1)); done; sleep 0.3; printf '{input}\\n') | \
         script -qfec \"{cmd}\" typescript"
    );
    let o = run(Command::new("sh").args(["-c", &script]).current_dir(dir));
    let _ = std::fs::remove_file(dir.join("typescript"));
    Some(stdout(&o).replace('\r', ""))
}

#[test]
fn password_prompt_on_the_terminal_without_echo_or_newline() {
    let f = fixture();
    let d = scratch();
    let dir = d.path();
    write_sample(&dir.join("file"), 100, 6);
    openssl(
        dir,
        &[
            "pkcs8",
            "-topk8",
            "-v2",
            "aes-256-cbc",
            "-in",
            f.rsa2048.key.to_str().unwrap(),
            "-out",
            "enc.pem",
            "-passout",
            "pass:open sesame",
        ],
    );
    let plain = stdout(&run(evmctl()
        .args(["ima_sign", "-n", "--key"])
        .arg(&f.rsa2048.key)
        .arg(dir.join("file"))));
    let bin = env!("CARGO_BIN_EXE_evmctl");
    // A bare -p asks; so does an encrypted key without any password when a terminal exists.
    for cmd in [
        format!("{bin} ima_sign -n -p --key enc.pem file"),
        format!("{bin} ima_sign -n --key enc.pem file"),
    ] {
        let Some(out) = on_terminal(dir, &cmd, "PEM password: ", "open sesame") else {
            skip(
                "password_prompt_on_the_terminal_without_echo_or_newline",
                "script(1) is missing (apt-get install bsdutils)",
            );
            return;
        };
        assert!(out.contains("PEM password: "), "no prompt: {out}");
        assert!(
            !out.contains("open sesame"),
            "the password was echoed: {out}"
        );
        assert!(
            out.contains(plain.trim()),
            "the typed password (without its newline) did not decrypt the key: {out}"
        );
    }
}

#[test]
fn ima_clear_removes_both_attributes_and_never_follows_links() {
    let f = fixture();
    let d = scratch();
    let dir = d.path();
    let (xattr, ns_args) = ns();
    let evm = xattr.replace("ima", "evm");
    let file = dir.join("file");
    write_sample(&file, 100, 1);
    let outside = dir.join("outside");
    write_sample(&outside, 100, 2);
    for p in [&file, &outside] {
        let o = run(evmctl()
            .args(["ima_sign", "--key"])
            .arg(&f.rsa2048.key)
            .args(ns_args)
            .arg(p));
        assert_eq!(code(&o), 0, "{}", stderr(&o));
    }
    xattr::set(&file, &evm, b"\x02value").unwrap();
    let tree = dir.join("tree");
    std::fs::create_dir(&tree).unwrap();
    std::os::unix::fs::symlink(&outside, tree.join("link")).unwrap();
    std::fs::rename(&file, tree.join("file")).unwrap();
    let o = run(evmctl().args(["ima_clear", "-r"]).args(ns_args).arg(&tree));
    assert_eq!(code(&o), 0, "{}", stderr(&o));
    assert_eq!(get_xattr(&tree.join("file"), xattr), None);
    assert_eq!(get_xattr(&tree.join("file"), &evm), None);
    assert!(
        get_xattr(&outside, xattr).is_some(),
        "followed a symbolic link"
    );
    // Clearing again is not an error.
    let o = run(evmctl()
        .args(["ima_clear"])
        .args(ns_args)
        .arg(tree.join("file")));
    assert_eq!(code(&o), 0, "{}", stderr(&o));
}

#[test]
fn ima_fix_opens_every_file_and_can_skip_labelled_ones() {
    if !is_root() {
        skip(
            "ima_fix_opens_every_file_and_can_skip_labelled_ones",
            "needs root to set security.* and drop privileges",
        );
        return;
    }
    let d = scratch();
    let dir = d.path();
    std::fs::set_permissions(dir, std::fs::Permissions::from_mode(0o755)).unwrap();
    let tree = dir.join("tree");
    std::fs::create_dir(&tree).unwrap();
    write_sample(&tree.join("readable"), 10, 1);
    let locked = tree.join("locked");
    write_sample(&locked, 10, 2);
    std::fs::set_permissions(&locked, std::fs::Permissions::from_mode(0o000)).unwrap();
    // As nobody, the unreadable file cannot be opened: reported, exit 125.
    let o = run(&mut unprivileged(&[
        "ima_fix".as_ref(),
        "-r".as_ref(),
        tree.as_os_str(),
    ]));
    assert_eq!(code(&o), 125, "{}", stderr(&o));
    assert!(
        stderr(&o).contains("locked") && stderr(&o).contains("Permission denied"),
        "{}",
        stderr(&o)
    );
    // With -t x, a file that already has both xattrs is not opened.
    xattr::set(
        &locked,
        "security.ima",
        b"\x04\x04aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa",
    )
    .unwrap();
    xattr::set(&locked, "security.evm", b"\x02bbbbbbbbbbbbbbbbbbbb").unwrap();
    let o = run(&mut unprivileged(&[
        "ima_fix".as_ref(),
        "-r".as_ref(),
        "-t".as_ref(),
        "fx".as_ref(),
        tree.as_os_str(),
    ]));
    assert_eq!(code(&o), 0, "{}", stderr(&o));
    let o = run(evmctl().args(["ima_fix", "-r", "-t", "q"]).arg(&tree));
    assert_eq!(code(&o), 125);
}

/// A certificate that gives the keyid must be the signing key's: otherwise every signature
/// would name a key the kernel does not hold, and appraisal would say "unknown key".
#[test]
fn a_keyid_certificate_of_another_key_is_refused() {
    let data = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/data/keys");
    let dir = scratch();
    let file = dir.path().join("f");
    write_sample(&file, 100, 3);
    // The P-256 key with the RSA key's certificate appended.
    let mut mixed = std::fs::read(data.join("p256.pk8.pem")).unwrap();
    mixed.extend(std::fs::read(data.join("rsa2048.crt.pem")).unwrap());
    let mixed_path = dir.path().join("mixed.pem");
    std::fs::write(&mixed_path, mixed).unwrap();
    for args in [
        vec![
            "ima_sign".into(),
            "-n".into(),
            "--key".into(),
            mixed_path.clone(),
        ],
        vec![
            "ima_sign".into(),
            "-n".into(),
            "--key".into(),
            data.join("p256.pk8.pem"),
            "--keyid-from-cert".into(),
            data.join("rsa2048-skid.crt.pem"),
        ],
    ] {
        let o = run(evmctl().args(&args).arg(&file));
        assert_eq!(code(&o), 125, "{args:?}: {}", stderr(&o));
        assert!(stdout(&o).is_empty());
        assert!(
            stderr(&o).contains("is for another key than the private key"),
            "{}",
            stderr(&o)
        );
    }
    // The matching pair still signs.
    let o = run(evmctl()
        .args(["ima_sign", "-n", "--key"])
        .arg(data.join("rsa2048.key-crt.pem"))
        .arg(&file));
    assert_eq!(code(&o), 0, "{}", stderr(&o));
}
