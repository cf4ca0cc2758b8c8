//! Acceptance of packaging/rpm, end to end with the real tools:
//! 1. packaging/rpm/build.sh builds the project RPM (static binaries, man pages, completions,
//!    policies, macros) and rpmbuild builds the demo RPM, which signs its file at build time
//!    with %imaevm_sign (encrypted key, password from a file, no terminal).
//! 2. Both install into a scratch root with `rpm --root DIR --nodeps -i`; the demo's %post
//!    (%imaevm_setxattr) runs chrooted with the project's static evmctl, and the installed
//!    file then carries exactly the security.ima value made at build time, which
//!    `evmctl ima_verify` accepts with the certificate (and refuses with another one).
//! 3. The scriptlet contract: %post run again leaves the same xattr, and never reads an open
//!    stdin; without CAP_SYS_ADMIN (EPERM) and on a ramfs (no xattr support: EOPNOTSUPP) it
//!    fails with status 125 and one line, and the demo built with -i (--ignore-unsupported)
//!    installs with a one-line warning.
//!
//! Needs root (chroot, security.* xattrs) and builds the release binaries (minutes), so plain
//! `cargo test` skips it: run `cargo test --test rpm_packaging -- --ignored` (tests/run.sh
//! does). Missing tools or privileges are reported as skips (tests/common/skip.rs).

use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};

#[path = "common/skip.rs"]
mod skip;
use skip::{skip, skip_part};

const DEMO_FILE: &str = "usr/libexec/imaevm-demo/hello";

fn repo() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

fn have(tool: &str) -> bool {
    Command::new("sh")
        .args(["-c", &format!("command -v {tool}")])
        .output()
        .is_ok_and(|o| o.status.success())
}

/// Runs `cmd` with standard input closed: nothing here may wait for a terminal.
fn run(cmd: &mut Command) -> Output {
    let out = cmd
        .stdin(Stdio::null())
        .output()
        .unwrap_or_else(|e| panic!("{cmd:?}: {e}"));
    out
}

fn run_ok(cmd: &mut Command) -> Output {
    let out = run(cmd);
    assert!(
        out.status.success(),
        "{cmd:?}: {}\n--- stdout\n{}\n--- stderr\n{}",
        out.status,
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    out
}

/// Whether an ELF executable asks for a program interpreter (is dynamically linked).
fn has_interpreter(path: &Path) -> bool {
    let b = std::fs::read(path).unwrap();
    assert_eq!(&b[..4], b"\x7fELF", "{} is not ELF", path.display());
    assert_eq!(b[4], 2, "{} is not ELF64", path.display());
    let u16_at = |o: usize| u16::from_le_bytes([b[o], b[o + 1]]) as usize;
    let phoff = u64::from_le_bytes(b[0x20..0x28].try_into().unwrap()) as usize;
    let (phentsize, phnum) = (u16_at(0x36), u16_at(0x38));
    (0..phnum).any(|i| {
        let p = phoff + i * phentsize;
        u32::from_le_bytes(b[p..p + 4].try_into().unwrap()) == 3 // PT_INTERP
    })
}

fn find_rpm(dir: &Path, prefix: &str) -> PathBuf {
    let mut found: Vec<PathBuf> = walk(dir)
        .into_iter()
        .filter(|p| {
            let n = p.file_name().unwrap().to_string_lossy().into_owned();
            n.starts_with(prefix) && n.ends_with(".rpm") && !n.ends_with(".src.rpm")
        })
        .collect();
    found.sort_by_key(|p| std::fs::metadata(p).and_then(|m| m.modified()).ok());
    found
        .pop()
        .unwrap_or_else(|| panic!("no {prefix}*.rpm under {}", dir.display()))
}

fn walk(dir: &Path) -> Vec<PathBuf> {
    let mut out = Vec::new();
    if let Ok(rd) = std::fs::read_dir(dir) {
        for e in rd.flatten() {
            let p = e.path();
            if p.is_dir() {
                out.extend(walk(&p));
            } else {
                out.push(p);
            }
        }
    }
    out
}

/// A fresh rpm root with a static /bin/sh (busybox): the %post interpreter inside the chroot.
fn scratch_root(dir: &Path, busybox: &Path) -> PathBuf {
    let root = dir.to_path_buf();
    std::fs::create_dir_all(root.join("bin")).unwrap();
    std::fs::create_dir_all(root.join("tmp")).unwrap();
    std::fs::create_dir_all(root.join("var/tmp")).unwrap();
    std::fs::copy(busybox, root.join("bin/sh")).unwrap();
    run_ok(Command::new("rpm").arg("--root").arg(&root).arg("--initdb"));
    root
}

fn rpm_install(root: &Path, rpm: &Path, drop_sys_admin: bool) -> Output {
    let mut cmd = if drop_sys_admin {
        let mut c = Command::new("setpriv");
        c.args(["--bounding-set=-sys_admin", "rpm"]);
        c
    } else {
        Command::new("rpm")
    };
    cmd.arg("--root")
        .arg(root)
        // --ignoresize: a ramfs reports no free space.
        .args(["--nodeps", "--ignoresize", "-i"])
        .arg(rpm);
    run(&mut cmd)
}

fn ima_xattr(path: &Path) -> Option<Vec<u8>> {
    xattr::get(path, "security.ima").unwrap()
}

struct Demo {
    /// The demo RPM built with the plain %post, and with `%imaevm_setxattr -i`.
    plain: PathBuf,
    ignore_unsupported: PathBuf,
}

fn build_demo(work: &Path, root: &Path, key: &Path, passfile: &Path) -> Demo {
    let build = |flags: &str, topdir: &Path| -> PathBuf {
        let mut cmd = Command::new("rpmbuild");
        cmd.args(["-bb", "--nodeps"])
            .arg("--define")
            .arg(format!("_topdir {}", topdir.display()))
            // The macros and the evmctl the project RPM installed.
            .arg("--load")
            .arg(root.join("usr/lib/rpm/macros.d/macros.imaevm"))
            .arg("--define")
            .arg(format!(
                "__imaevm_evmctl {}",
                root.join("usr/bin/evmctl").display()
            ))
            .arg("--define")
            .arg(format!("imaevm_signing_key {}", key.display()))
            .arg("--define")
            .arg(format!("imaevm_demo_passfile {}", passfile.display()));
        if !flags.is_empty() {
            cmd.arg("--define")
                .arg(format!("imaevm_demo_setxattr_flags {flags}"));
        }
        cmd.arg(repo().join("packaging/rpm/example/imaevm-demo.spec"))
            .env_remove("EVMCTL_KEY_PASSWORD");
        let out = run_ok(&mut cmd);
        let log = String::from_utf8_lossy(&out.stdout).into_owned()
            + &String::from_utf8_lossy(&out.stderr);
        let password = std::fs::read_to_string(passfile).unwrap();
        assert!(
            !log.contains(password.trim()),
            "the key's password shows in the rpmbuild log"
        );
        find_rpm(&topdir.join("RPMS"), "imaevm-demo-")
    };
    Demo {
        plain: build("", &work.join("demo-top")),
        ignore_unsupported: build("-i", &work.join("demo-top-i")),
    }
}

/// The files of an RPM's payload, unpacked under `dest`.
fn unpack(rpm: &Path, dest: &Path) {
    std::fs::create_dir_all(dest).unwrap();
    let cmd = format!(
        "rpm2cpio '{}' | cpio -idm --quiet --no-absolute-filenames",
        rpm.display()
    );
    run_ok(Command::new("sh").args(["-c", &cmd]).current_dir(dest));
}

fn make_key(dir: &Path, name: &str) -> (PathBuf, PathBuf, PathBuf) {
    let key = dir.join(format!("{name}.key"));
    let cert = dir.join(format!("{name}.crt"));
    let pass = dir.join(format!("{name}.pass"));
    std::fs::write(&pass, format!("pw-{name}-not-on-any-command-line\n")).unwrap();
    run_ok(
        Command::new("openssl")
            .args([
                "genpkey",
                "-algorithm",
                "RSA",
                "-pkeyopt",
                "rsa_keygen_bits:2048",
            ])
            .args(["-aes-256-cbc", "-pass"])
            .arg(format!("file:{}", pass.display()))
            .arg("-out")
            .arg(&key),
    );
    run_ok(
        Command::new("openssl")
            .args(["req", "-new", "-x509", "-days", "2", "-subj"])
            .arg(format!("/CN=imaevm {name} test key"))
            .arg("-key")
            .arg(&key)
            .arg("-passin")
            .arg(format!("file:{}", pass.display()))
            .arg("-out")
            .arg(&cert),
    );
    (key, cert, pass)
}

fn skip_reason() -> Option<String> {
    // SAFETY: geteuid has no preconditions and cannot fail.
    if unsafe { libc::geteuid() } != 0 {
        return Some("not root: rpm --root chroots and security.* xattrs need root".into());
    }
    for tool in [
        "rpm", "rpmbuild", "rpm2cpio", "cpio", "openssl", "setpriv", "git", "cargo", "timeout",
    ] {
        if !have(tool) {
            return Some(format!(
                "{tool} is not installed (packages: packaging/rpm/packages.txt)"
            ));
        }
    }
    None
}

fn static_busybox() -> Option<PathBuf> {
    ["/bin/busybox", "/usr/bin/busybox"]
        .iter()
        .map(PathBuf::from)
        .find(|p| p.is_file() && !has_interpreter(p))
}

#[test]
#[ignore = "builds the release RPMs (minutes) and needs root: cargo test --test rpm_packaging -- --ignored"]
fn rpm_build_install_and_scriptlet_contract() {
    const T: &str = "rpm_build_install_and_scriptlet_contract";
    if let Some(reason) = skip_reason() {
        skip(T, &reason);
        return;
    }
    let Some(busybox) = static_busybox() else {
        skip(
            T,
            "no static busybox for the scratch root's /bin/sh (apt-get install busybox-static)",
        );
        return;
    };
    let target_tmp = PathBuf::from(env!("CARGO_TARGET_TMPDIR"));
    std::fs::create_dir_all(&target_tmp).unwrap();
    let work = tempfile::tempdir_in(&target_tmp).unwrap();
    let probe = work.path().join("probe");
    std::fs::write(&probe, b"x").unwrap();
    if let Err(e) = xattr::set(&probe, "security.ima", &[0x04, 0x04]) {
        skip(
            T,
            &format!(
                "the filesystem of {} refuses security.ima ({e})",
                work.path().display()
            ),
        );
        return;
    }

    // 1. The project RPM, from this tree (the vendored crates are kept between runs).
    let topdir = target_tmp.join("rpm");
    let out = run_ok(
        Command::new("sh")
            .arg(repo().join("packaging/rpm/build.sh"))
            .env("IMAEVM_RPM_TOPDIR", &topdir),
    );
    let listed = String::from_utf8_lossy(&out.stdout).into_owned();
    if run(Command::new("unshare").args(["-n", "true"]))
        .status
        .success()
    {
        assert!(
            listed.contains("rpmbuild runs without network"),
            "build.sh could make a network namespace but did not build in one"
        );
    }
    let project_rpm = find_rpm(&topdir.join("RPMS"), "imaevm-0");
    assert!(
        listed.contains(&project_rpm.display().to_string()),
        "build.sh did not list {}",
        project_rpm.display()
    );
    assert!(
        walk(&topdir.join("SRPMS"))
            .iter()
            .any(|p| p.to_string_lossy().ends_with(".src.rpm")),
        "no source RPM"
    );

    // 2. Installed into a scratch root.
    let root = scratch_root(&work.path().join("root"), &busybox);
    let out = rpm_install(&root, &project_rpm, false);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    for bin in ["usr/bin/evmctl", "usr/bin/imactl"] {
        let path = root.join(bin);
        assert!(!has_interpreter(&path), "{bin} is dynamically linked");
        run_ok(Command::new(&path).arg("--version"));
    }
    for page in ["usr/share/man/man1/evmctl.1", "usr/share/man/man8/imactl.8"] {
        // Compressed or not, as the build host's brp-compress decides.
        let gz = format!("{page}.gz");
        assert!(
            root.join(page).is_file() || root.join(&gz).is_file(),
            "the project RPM did not install /{page}"
        );
    }
    for f in [
        "usr/share/bash-completion/completions/evmctl",
        "usr/share/bash-completion/completions/imactl",
        "usr/share/zsh/site-functions/_evmctl",
        "usr/share/zsh/site-functions/_imactl",
        "usr/share/fish/vendor_completions.d/evmctl.fish",
        "usr/share/fish/vendor_completions.d/imactl.fish",
        "usr/lib/rpm/macros.d/macros.imaevm",
        "usr/lib/kernel/install.d/95-imaevm.install",
    ] {
        assert!(
            root.join(f).is_file(),
            "the project RPM did not install /{f}"
        );
    }
    assert!(root.join("etc/imaevm").is_dir(), "no /etc/imaevm");
    assert!(root.join("usr/share/imaevm/policies").is_dir());
    if let Ok(rd) = std::fs::read_dir(repo().join("policies")) {
        for e in rd.flatten() {
            let rel = Path::new("usr/share/imaevm/policies").join(e.file_name());
            assert!(
                root.join(&rel).exists(),
                "policies: /{} missing",
                rel.display()
            );
        }
    }

    // The demo, signed at build time with an encrypted key (password from a file).
    let (key, cert, pass) = make_key(work.path(), "signer");
    let demo = build_demo(work.path(), &root, &key, &pass);
    let payload = work.path().join("payload");
    unpack(&demo.plain, &payload);
    let built_sig = std::fs::read(payload.join(format!("{DEMO_FILE}.sig"))).unwrap();
    assert_eq!(built_sig[0], 0x03, "the shipped .sig is not a signature");
    assert!(
        ima_xattr(&payload.join(DEMO_FILE)).is_none(),
        "the payload itself carries no xattr"
    );

    let out = rpm_install(&root, &demo.plain, false);
    let stderr = String::from_utf8_lossy(&out.stderr).into_owned();
    assert!(
        out.status.success() && !stderr.contains("scriptlet"),
        "{stderr}"
    );
    let installed = root.join(DEMO_FILE);
    assert_eq!(
        ima_xattr(&installed).as_deref(),
        Some(&built_sig[..]),
        "security.ima after %post is not the signature made at build time"
    );
    let evmctl = root.join("usr/bin/evmctl");
    run_ok(
        Command::new(&evmctl)
            .args(["ima_verify", "--key"])
            .arg(&cert)
            .arg(&installed),
    );
    let (_, other_cert, _) = make_key(work.path(), "other");
    let out = run(Command::new(&evmctl)
        .args(["ima_verify", "--key"])
        .arg(&other_cert)
        .arg(&installed));
    assert_eq!(
        out.status.code(),
        Some(1),
        "verified with the wrong certificate"
    );

    // 3. The scriptlet contract, on the %post rpm recorded.
    let out = run_ok(Command::new("rpm").arg("--root").arg(&root).args([
        "-q",
        "--qf",
        "%{POSTIN}",
        "imaevm-demo",
    ]));
    let postin = String::from_utf8(out.stdout).unwrap();
    assert!(postin.contains("ima_setxattr"), "%post: {postin}");
    let chroot_post = |drop_sys_admin: bool| -> Output {
        let mut cmd = if drop_sys_admin {
            let mut c = Command::new("setpriv");
            c.args(["--bounding-set=-sys_admin", "chroot"]);
            c
        } else {
            Command::new("chroot")
        };
        cmd.arg(&root).args(["/bin/sh", "-c", &postin]);
        run(&mut cmd)
    };
    for _ in 0..2 {
        let out = chroot_post(false);
        assert!(
            out.status.success(),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
        assert_eq!(ima_xattr(&installed).as_deref(), Some(&built_sig[..]));
    }
    // Never reads standard input: with a pipe that stays open and empty, it still ends
    // (`timeout` turns a wait for input into a failure).
    let mut child = Command::new("timeout")
        .arg("60")
        .arg("chroot")
        .arg(&root)
        .args(["/bin/sh", "-c", &postin])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let held_open = child.stdin.take();
    let out = child.wait_with_output().unwrap();
    drop(held_open);
    assert!(
        out.status.success(),
        "%post with an open stdin: {}",
        out.status
    );
    assert_eq!(ima_xattr(&installed).as_deref(), Some(&built_sig[..]));
    // Without CAP_SYS_ADMIN: status 125, one line, nothing written.
    xattr::remove(&installed, "security.ima").unwrap();
    let out = chroot_post(true);
    let stderr = String::from_utf8_lossy(&out.stderr).into_owned();
    assert_eq!(out.status.code(), Some(125), "{stderr}");
    assert_eq!(stderr.lines().count(), 1, "not one line: {stderr}");
    assert!(ima_xattr(&installed).is_none());

    // Installing without CAP_SYS_ADMIN (EPERM), and onto a filesystem without xattr
    // support (ramfs: EOPNOTSUPP): the plain %post fails and rpm says so; the package built
    // with `%imaevm_setxattr -i` installs with a one-line warning.
    let root2 = scratch_root(&work.path().join("root-nocap"), &busybox);
    refused_setxattr(&root2, &project_rpm, &demo, true);
    let ramfs = work.path().join("ramfs");
    std::fs::create_dir_all(&ramfs).unwrap();
    let mounted = run(Command::new("mount")
        .args(["-t", "ramfs", "imaevm-test"])
        .arg(&ramfs));
    if mounted.status.success() {
        let _unmount = Unmount(ramfs.clone());
        let root3 = scratch_root(&ramfs.join("root"), &busybox);
        refused_setxattr(&root3, &project_rpm, &demo, false);
    } else {
        skip_part(
            T,
            "EOPNOTSUPP",
            &format!(
                "cannot mount a ramfs: {}",
                String::from_utf8_lossy(&mounted.stderr).trim()
            ),
        );
    }
}

/// Unmounts a test mount when dropped (also when an assertion fails).
struct Unmount(PathBuf);

impl Drop for Unmount {
    fn drop(&mut self) {
        let _ = Command::new("umount").arg(&self.0).status();
    }
}

/// Installs the project RPM, then the demo where setting security.ima is refused.
fn refused_setxattr(root: &Path, project_rpm: &Path, demo: &Demo, drop_sys_admin: bool) {
    run_ok(
        Command::new("rpm")
            .arg("--root")
            .arg(root)
            .args(["--nodeps", "--ignoresize", "-i"])
            .arg(project_rpm),
    );
    let out = rpm_install(root, &demo.plain, drop_sys_admin);
    let stderr = String::from_utf8_lossy(&out.stderr).into_owned();
    assert!(
        stderr.contains("%post(imaevm-demo") && stderr.contains("exit status 125"),
        "rpm did not report the failed %post: {stderr}"
    );
    let refusals: Vec<&str> = stderr.lines().filter(|l| l.starts_with("evmctl")).collect();
    assert_eq!(refusals.len(), 1, "expected one line from evmctl: {stderr}");
    run_ok(
        Command::new("rpm")
            .arg("--root")
            .arg(root)
            .args(["-e", "--nodeps", "imaevm-demo"]),
    );
    let out = rpm_install(root, &demo.ignore_unsupported, drop_sys_admin);
    let stderr = String::from_utf8_lossy(&out.stderr).into_owned();
    assert!(out.status.success(), "{stderr}");
    assert!(!stderr.contains("scriptlet"), "{stderr}");
    let warnings: Vec<&str> = stderr.lines().filter(|l| l.contains("evmctl")).collect();
    assert_eq!(warnings.len(), 1, "expected one warning line: {stderr}");
    assert!(warnings[0].contains("warning"), "{stderr}");
    assert!(root.join(DEMO_FILE).is_file());
    assert_eq!(
        xattr::get(root.join(DEMO_FILE), "security.ima")
            .ok()
            .flatten(),
        None
    );
}
