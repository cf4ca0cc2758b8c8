//! `evmctl ima_verify` and `imactl verify` on files whose security.ima holds an fs-verity
//! signature (sigv3, type 0x06): the signature is checked over ima_file_id built from the
//! file's fs-verity digest (FS_IOC_MEASURE_VERITY), as the kernel does under a
//! `digest_type=verity` rule, and a file without fs-verity is refused with the reason.
//!
//! The fs-verity files live on an ext4 image made with `mkfs.ext4 -O verity` and
//! loop-mounted in a temporary directory (root only); `fsverity` (Debian package fsverity,
//! tests/setup.sh installs it) enables fs-verity and prints the digests that
//! `evmctl sign_hash --veritysig` signs. A kernel without CONFIG_FS_VERITY cannot enable
//! it: the cases that need a verity file are then skipped with that reason, and the refusal
//! of a sigv3 value on a file without fs-verity is still checked.

mod common;

use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};

use common::{code, evmctl, fixture, is_root, run, scratch, skip, skip_part, stderr, KeyPair};

/// An ext4 image with the verity feature, loop-mounted at `mnt` until dropped.
struct VerityMount {
    _dir: tempfile::TempDir,
    mnt: PathBuf,
}

impl Drop for VerityMount {
    fn drop(&mut self) {
        // `mount -o loop` sets autoclear: unmounting also frees the loop device.
        let o = run(Command::new("umount").arg(&self.mnt));
        if !o.status.success() {
            eprintln!("umount {}: {}", self.mnt.display(), stderr(&o));
        }
    }
}

/// Makes and mounts the image, or says why it cannot be done here.
fn verity_mount() -> Result<VerityMount, String> {
    if !is_root() {
        return Err("loop-mounting an ext4 image needs root".into());
    }
    let dir = scratch();
    let img = dir.path().join("verity.ext4");
    let mnt = dir.path().join("mnt");
    std::fs::create_dir(&mnt).unwrap();
    std::fs::File::create(&img)
        .unwrap()
        .set_len(32 << 20)
        .unwrap();
    // 4096-byte blocks: kernels before 6.3 enable fs-verity only with page-sized blocks.
    let o = run(Command::new("mkfs.ext4")
        .args(["-q", "-F", "-b", "4096", "-O", "verity"])
        .arg(&img));
    if !o.status.success() {
        return Err(format!("mkfs.ext4 -O verity: {}", stderr(&o).trim()));
    }
    let o = run(Command::new("mount")
        .args(["-o", "loop"])
        .arg(&img)
        .arg(&mnt));
    if !o.status.success() {
        return Err(format!(
            "cannot loop-mount an ext4 image: {}",
            stderr(&o).trim()
        ));
    }
    Ok(VerityMount { _dir: dir, mnt })
}

fn fsverity(args: &[&str], file: &Path) -> Output {
    run(Command::new("fsverity").args(args).arg(file))
}

/// Enables fs-verity on `file` with `algo`; Err is why this kernel cannot.
fn enable(file: &Path, algo: &str) -> Result<(), String> {
    let o = fsverity(&["enable", &format!("--hash-alg={algo}")], file);
    if o.status.success() {
        return Ok(());
    }
    let e = stderr(&o);
    assert!(
        e.contains("Operation not supported") || e.contains("Inappropriate ioctl"),
        "fsverity enable {}: {e}",
        file.display()
    );
    Err(format!(
        "the running kernel cannot enable fs-verity on ext4 (no CONFIG_FS_VERITY?): {}; \
         tests/vm/verity-file.sh runs these cases on Debian's kernels in QEMU",
        e.trim()
    ))
}

/// The `fsverity digest` line of `file` (computed in userspace: no kernel support needed).
fn digest_line(file: &Path, algo: &str) -> String {
    let o = fsverity(&["digest", &format!("--hash-alg={algo}")], file);
    assert!(o.status.success(), "fsverity digest: {}", stderr(&o));
    common::stdout(&o)
}

/// The sigv3 value `sign_hash --veritysig` makes for `line` with `key`.
fn sigv3(key: &Path, line: &str) -> Vec<u8> {
    let mut child = evmctl()
        .args(["sign_hash", "--veritysig", "--key"])
        .arg(key)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    child
        .stdin
        .take()
        .unwrap()
        .write_all(line.as_bytes())
        .unwrap();
    let o = child.wait_with_output().unwrap();
    assert_eq!(code(&o), 0, "sign_hash --veritysig: {}", stderr(&o));
    let out = common::stdout(&o);
    let hex = out.trim_end().rsplit_once(' ').unwrap().1;
    imaevm::hash::from_hex(hex).unwrap()
}

fn imactl(args: &[&str]) -> Output {
    run(Command::new(env!("CARGO_BIN_EXE_imactl")).args(args))
}

/// Joins a fresh anonymous session keyring for this test's thread (libtest runs each test
/// on its own thread; the commands it spawns inherit it), with a keyring `_ima` in it.
fn private_ima_keyring() -> Result<imaevm::keyring::KeySerial, String> {
    use imaevm::keyring;
    keyring::join_session_keyring(None)
        .map_err(|e| format!("cannot join a new session keyring: {e}"))?;
    keyring::add_key("keyring", Some("_ima"), &[], keyring::SESSION_KEYRING)
        .map_err(|e| format!("cannot make a keyring in the session keyring: {e}"))
}

fn set_ima(file: &Path, value: &[u8]) {
    xattr::set(file, "security.ima", value).unwrap();
}

fn ima_verify(cert: &Path, file: &Path) -> Output {
    run(evmctl().args(["ima_verify", "--key"]).arg(cert).arg(file))
}

fn assert_fails(o: &Output, what: &str, needle: &str) {
    assert_eq!(code(o), 1, "{what}: {}", stderr(o));
    assert!(stderr(o).contains(needle), "{what}: {}", stderr(o));
}

/// The cases on verity files for one key (RSA or ECDSA).
fn check_key(m: &Path, name: &str, pair: &KeyPair, stranger: &KeyPair) {
    let f = |n: &str| m.join(format!("{name}-{n}"));
    for (n, seed) in [
        ("signed", 1u8),
        ("other", 2),
        ("signed512", 3),
        ("plain", 4),
    ] {
        common::write_sample(&f(n), 10_000 + usize::from(seed) * 777, seed);
    }
    for (n, algo) in [
        ("signed", "sha256"),
        ("other", "sha256"),
        ("signed512", "sha512"),
    ] {
        enable(&f(n), algo).unwrap();
    }
    let value = sigv3(&pair.key, &digest_line(&f("signed"), "sha256"));
    let value512 = sigv3(&pair.key, &digest_line(&f("signed512"), "sha512"));
    set_ima(&f("signed"), &value);
    set_ima(&f("signed512"), &value512);

    // The signature verifies over the fs-verity digest, which is what the kernel reports.
    let o = run(evmctl()
        .args(["-v", "ima_verify", "--key"])
        .arg(&pair.cert_der)
        .arg(f("signed")));
    assert_eq!(code(&o), 0, "{name}: {}", stderr(&o));
    let ok = format!("{}: verification is OK", f("signed").display());
    assert!(stderr(&o).contains(&ok), "{name}: {}", stderr(&o));
    let measured = fsverity(&["measure"], &f("signed"));
    let measured = common::stdout(&measured);
    let (kernel_digest, _) = measured.split_once(' ').unwrap();
    let ours = format!("{}{}", common::stdout(&o), stderr(&o));
    assert!(
        ours.contains(&format!("fs-verity digest: {kernel_digest}")),
        "{name}: `fsverity measure` says {kernel_digest}; evmctl -v printed:\n{ours}"
    );
    let o = ima_verify(&pair.cert_der, &f("signed512"));
    assert_eq!(code(&o), 0, "{name} sha512: {}", stderr(&o));

    // Another key: not the signer's.
    let o = ima_verify(&stranger.cert_der, &f("signed"));
    assert_fails(&o, &format!("{name}: stranger's key"), "unknown key id:");

    // The value of one file on another: the digests differ.
    set_ima(&f("other"), &value);
    let o = ima_verify(&pair.cert_der, &f("other"));
    assert_fails(&o, &format!("{name}: other file"), "invalid-signature");
    assert!(
        stderr(&o).contains("checked over the file's fs-verity digest sha256:"),
        "{}",
        stderr(&o)
    );

    // A sha256 signature on a file whose fs-verity digest is sha512.
    set_ima(&f("signed512"), &value);
    let o = ima_verify(&pair.cert_der, &f("signed512"));
    assert_fails(
        &o,
        &format!("{name}: sha256 value on a sha512 file"),
        "the sigv3 signature is over a sha256 fs-verity digest, and the file's is sha512",
    );
    set_ima(&f("signed512"), &value512);

    // A file without fs-verity, with the value of its own (userspace) fs-verity digest.
    set_ima(
        &f("plain"),
        &sigv3(&pair.key, &digest_line(&f("plain"), "sha256")),
    );
    let o = ima_verify(&pair.cert_der, &f("plain"));
    let p = f("plain").display().to_string();
    assert_fails(
        &o,
        &format!("{name}: no fs-verity"),
        &format!(
            "{p}: verification failed: fs-verity is not enabled on {p}; a sigv3 signature needs it"
        ),
    );
}

#[test]
fn sigv3_files_verify_against_their_fs_verity_digest() {
    const T: &str = "sigv3_files_verify_against_their_fs_verity_digest";
    let m = match verity_mount() {
        Ok(m) => m,
        Err(e) => return skip(T, &e),
    };
    let probe = m.mnt.join("probe");
    std::fs::write(&probe, b"probe").unwrap();
    if let Err(e) = enable(&probe, "sha256") {
        return skip(T, &e);
    }
    let fx = fixture();
    check_key(&m.mnt, "rsa", &fx.rsa2048, &fx.other_rsa);
    check_key(&m.mnt, "p256", &fx.p256, &fx.rsa2048);
    kernel_keyring_judges_alike(T, &m.mnt, &fx.rsa2048);
    upstream_15_on_verity_files(T, &m.mnt, &fx.rsa2048);
}

/// `imactl verify` with the certificate in a kernel keyring: the kernel checks the
/// signature over the same ima_file_id hash (KEYCTL_PKEY_VERIFY).
fn kernel_keyring_judges_alike(test: &str, m: &Path, pair: &KeyPair) {
    let ring = match private_ima_keyring() {
        Ok(r) => r.to_string(),
        Err(e) => return skip_part(test, "keyring", &e),
    };
    let out = imactl(&[
        "key",
        "import",
        pair.cert_der.to_str().unwrap(),
        "--keyring",
        &ring,
    ]);
    if !out.status.success() {
        return skip_part(
            test,
            "keyring",
            &format!(
                "the kernel does not take the RSA certificate: {}",
                stderr(&out)
            ),
        );
    }
    let files: Vec<String> = ["signed", "signed512", "other", "plain"]
        .iter()
        .map(|n| m.join(format!("rsa-{n}")).display().to_string())
        .collect();
    let mut args = vec!["verify", "--keyring", &ring, "--json"];
    args.extend(files.iter().map(String::as_str));
    let out = imactl(&args);
    assert_eq!(out.status.code(), Some(1), "{}", stderr(&out));
    let doc: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    let verdicts: Vec<&str> = doc["files"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r["verdict"].as_str().unwrap())
        .collect();
    assert_eq!(
        verdicts,
        ["ok", "ok", "invalid-signature", "no-verity-digest"],
        "{doc}"
    );
    assert_eq!(
        doc["files"][3]["reason"],
        "no-verity-digest (fs-verity is not enabled on the file; a sigv3 signature needs it)"
    );
}

/// Upstream evmctl 1.5 (tests/tools/build-upstream-1.5.sh), or why not.
fn upstream_15() -> Result<PathBuf, String> {
    let script = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/tools/build-upstream-1.5.sh");
    let o = run(Command::new("bash").arg(script));
    if !o.status.success() {
        return Err(format!(
            "cannot build upstream evmctl 1.5: {}",
            stderr(&o).lines().last().unwrap_or("")
        ));
    }
    Ok(common::stdout(&o).trim().into())
}

/// Upstream 1.5 signs the same value (RSA is deterministic), which ours verifies on the
/// file; its own ima_verify has no fs-verity path: it refuses every sigv3 file with exit 1.
fn upstream_15_on_verity_files(test: &str, m: &Path, pair: &KeyPair) {
    let up = match upstream_15() {
        Ok(p) => p,
        Err(e) => return skip_part(test, "upstream-1.5", &e),
    };
    let file = m.join("rsa-signed");
    let line = digest_line(&file, "sha256");
    let mut child = Command::new(&up)
        .args(["sign_hash", "--veritysig", "--key"])
        .arg(&pair.key)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    child
        .stdin
        .take()
        .unwrap()
        .write_all(line.as_bytes())
        .unwrap();
    let o = child.wait_with_output().unwrap();
    assert_eq!(code(&o), 0, "upstream 1.5 sign_hash: {}", stderr(&o));
    let theirs = common::stdout(&o);
    let hex = theirs.trim_end().rsplit_once(' ').unwrap().1;
    assert_eq!(
        imaevm::hash::from_hex(hex).unwrap(),
        sigv3(&pair.key, &line)
    );
    let o = run(Command::new(&up)
        .args(["ima_verify", "--key"])
        .arg(&pair.cert_der)
        .arg(&file));
    assert_eq!(code(&o), 1, "upstream 1.5 ima_verify: {}", stderr(&o));
    assert!(
        stderr(&o).contains("calculating the fs-verity digest is not supported"),
        "{}",
        stderr(&o)
    );
}

/// Runs on any kernel: a sigv3 value on a file that has no fs-verity (a filesystem without
/// it, or one whose file does not have it enabled) is refused, naming the file.
#[test]
fn sigv3_value_on_a_file_without_fs_verity_is_refused() {
    const T: &str = "sigv3_value_on_a_file_without_fs_verity_is_refused";
    let (xattr_name, xattr_args) = common::ns();
    let d = scratch();
    let fx = fixture();
    let file = d.path().join("plain");
    common::write_sample(&file, 5000, 9);
    let line = format!("sha256:{} plain\n", "5a".repeat(32));
    let value = sigv3(&fx.rsa2048.key, &line);
    xattr::set(&file, xattr_name, &value).unwrap();
    let o = run(evmctl()
        .arg("ima_verify")
        .args(xattr_args)
        .arg("--key")
        .arg(&fx.rsa2048.cert_der)
        .arg(&file));
    let p = file.display().to_string();
    assert_eq!(code(&o), 1, "{}", stderr(&o));
    let e = stderr(&o);
    assert!(
        e.contains(&format!("{p}: verification failed: "))
            && e.contains("a sigv3 signature needs it"),
        "{e}"
    );
    // The same refusal without keys at all: fs-verity is judged before the signature.
    if is_root() {
        let out = imactl(&["verify", &p]);
        assert_eq!(out.status.code(), Some(1));
        let s = common::stdout(&out);
        assert!(s.starts_with(&format!("{p}: no-verity-digest (")), "{s}");
    } else {
        skip_part(
            T,
            "imactl",
            "imactl verify reads security.ima, which needs root",
        );
    }
    match verity_mount() {
        Ok(m) => {
            let f = m.mnt.join("plain");
            std::fs::copy(&file, &f).unwrap();
            set_ima(&f, &value);
            let o = ima_verify(&fx.rsa2048.cert_der, &f);
            assert_eq!(code(&o), 1, "{}", stderr(&o));
            let p = f.display().to_string();
            assert!(
                stderr(&o).contains(&format!("{p}: verification failed: "))
                    && stderr(&o).contains("a sigv3 signature needs it"),
                "{}",
                stderr(&o)
            );
        }
        Err(e) => skip_part(T, "ext4-verity", &e),
    }
}
