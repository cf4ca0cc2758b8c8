//! Issue 20, item 1: `imactl kernel-hook add|remove` and its wrappers (the kernel-install
//! plugin packaging/kernel-install/95-imaevm.install, the Debian hooks
//! packaging/debian/kernel/post{inst,rm}.d/zzz-imaevm), run against a scratch root for each
//! path: already signed (OK), signature copied from /lib/modules/VER/vmlinuz, refused copy
//! (other content), signed with the configured key (security.ima; an appended signature
//! where the filesystem holds no xattrs), warned, and strict. Each test prints the message
//! of its path; every path exits 0 unless strictness is configured (or a --config FILE
//! named on the command line cannot be used: 2 when it cannot be read, 1 when it does not
//! parse).

mod common;

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

use common::{code, run, skip, stderr, stdout, write_sample};

const VER: &str = "6.12.0-test";

fn data(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/data/keys")
        .join(name)
}

fn repo(rel: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join(rel)
}

fn imactl() -> Command {
    Command::new(env!("CARGO_BIN_EXE_imactl"))
}

/// A scratch root with the test certificate in etc/keys/ima.
fn scratch_root() -> tempfile::TempDir {
    let t = common::scratch();
    std::fs::create_dir_all(t.path().join("etc/keys/ima")).unwrap();
    std::fs::copy(
        data("rsa2048.crt.der"),
        t.path().join("etc/keys/ima/ima.der"),
    )
    .unwrap();
    std::fs::create_dir_all(t.path().join("boot")).unwrap();
    std::fs::create_dir_all(t.path().join(format!("lib/modules/{VER}"))).unwrap();
    t
}

fn evmctl_sign(file: &Path, key: &str) {
    let o = run(common::evmctl()
        .args(["ima_sign", "--key"])
        .arg(data(key))
        .arg(file));
    assert_eq!(code(&o), 0, "evmctl ima_sign: {}", stderr(&o));
}

fn ima(file: &Path) -> Option<Vec<u8>> {
    common::get_xattr(file, "security.ima")
}

fn hook(root: &Path, extra: &[&str]) -> Output {
    let o = run(imactl()
        .args(["kernel-hook", "add", "--root"])
        .arg(root)
        .args(extra)
        .arg(VER));
    println!("{}{}", stdout(&o), stderr(&o));
    o
}

fn configure(root: &Path, text: &str) {
    std::fs::create_dir_all(root.join("etc/imaevm")).unwrap();
    std::fs::write(root.join("etc/imaevm/kernel-hook.conf"), text).unwrap();
}

fn key_config(root: &Path) -> String {
    // Paths in the configuration are taken below the root.
    std::fs::create_dir_all(root.join("var/lib/dkms")).unwrap();
    std::fs::copy(data("rsa2048.pk8.pem"), root.join("var/lib/dkms/mok.key")).unwrap();
    std::fs::copy(data("rsa2048.crt.pem"), root.join("var/lib/dkms/mok.pub")).unwrap();
    "# test\nkey = /var/lib/dkms/mok.key\ncert = /var/lib/dkms/mok.pub\n".into()
}

/// security.ima needs root; the tests that set it say so when not run as root.
fn needs_root(test: &str) -> bool {
    if common::is_root() {
        return false;
    }
    skip(test, "setting security.ima needs root (CAP_SYS_ADMIN)");
    true
}

#[test]
fn a_signed_image_is_reported_ok() {
    if needs_root("a_signed_image_is_reported_ok") {
        return;
    }
    let r = scratch_root();
    let img = r.path().join(format!("boot/vmlinuz-{VER}"));
    write_sample(&img, 40_000, 1);
    evmctl_sign(&img, "rsa2048.pk8.pem");
    let o = hook(r.path(), &[]);
    assert_eq!(code(&o), 0);
    let out = stdout(&o);
    assert!(
        out.contains(&format!("vmlinuz-{VER} (vmlinuz): OK, security.ima OK")),
        "{out}"
    );
}

#[test]
fn the_signature_is_copied_from_lib_modules_when_the_content_is_the_same() {
    if needs_root("the_signature_is_copied_from_lib_modules_when_the_content_is_the_same") {
        return;
    }
    let r = scratch_root();
    let src = r.path().join(format!("lib/modules/{VER}/vmlinuz"));
    let img = r.path().join(format!("boot/vmlinuz-{VER}"));
    write_sample(&src, 40_000, 2);
    evmctl_sign(&src, "rsa2048.pk8.pem");
    // What install(1) in 90-loaderentry.install does: the bytes, not the xattr.
    std::fs::write(&img, std::fs::read(&src).unwrap()).unwrap();
    assert_eq!(ima(&img), None);
    let o = hook(r.path(), &[]);
    assert_eq!(code(&o), 0);
    assert!(
        stdout(&o).contains("copied the signature of"),
        "{}",
        stdout(&o)
    );
    assert_eq!(ima(&img), ima(&src));
    let v = run(imactl()
        .args(["kernel-hook", "add", "--root"])
        .arg(r.path())
        .arg(VER));
    assert!(stdout(&v).contains("OK, security.ima OK"), "{}", stdout(&v));
}

#[test]
fn a_signature_over_other_content_is_never_copied() {
    if needs_root("a_signature_over_other_content_is_never_copied") {
        return;
    }
    let r = scratch_root();
    let src = r.path().join(format!("lib/modules/{VER}/vmlinuz"));
    let img = r.path().join(format!("boot/vmlinuz-{VER}"));
    write_sample(&src, 40_000, 3);
    evmctl_sign(&src, "rsa2048.pk8.pem");
    write_sample(&img, 40_000, 4);
    let o = hook(r.path(), &[]);
    assert_eq!(code(&o), 0, "no strictness: exit 0");
    let out = stdout(&o);
    assert!(
        out.contains("its content differs from the image (sha256 digests differ): not copied"),
        "{out}"
    );
    assert!(out.contains("warning: "), "{out}");
    assert_eq!(ima(&img), None, "nothing written");
}

#[test]
fn the_configured_key_signs_the_image_as_security_ima() {
    if needs_root("the_configured_key_signs_the_image_as_security_ima") {
        return;
    }
    let r = scratch_root();
    let img = r.path().join(format!("boot/vmlinuz-{VER}"));
    write_sample(&img, 40_000, 5);
    configure(r.path(), &key_config(r.path()));
    let o = hook(r.path(), &[]);
    assert_eq!(code(&o), 0);
    let out = stdout(&o);
    assert!(
        out.contains("signed with ") && out.contains("(security.ima, sha256)"),
        "{out}"
    );
    assert!(out.contains("kexec and kdump can load it"), "{out}");
    let v = run(common::evmctl()
        .args(["ima_verify", "--key"])
        .arg(data("rsa2048.crt.pem"))
        .arg(&img));
    assert_eq!(
        code(&v),
        0,
        "evmctl ima_verify: {}{}",
        stdout(&v),
        stderr(&v)
    );
}

#[test]
fn where_the_filesystem_holds_no_xattrs_the_key_appends_a_signature() {
    let test = "where_the_filesystem_holds_no_xattrs_the_key_appends_a_signature";
    if needs_root(test) {
        return;
    }
    let r = scratch_root();
    let esp = r.path().join("boot/efi");
    std::fs::create_dir_all(&esp).unwrap();
    // ramfs has no xattr handlers: setxattr gives EOPNOTSUPP, as vfat does.
    let m = run(Command::new("mount")
        .args(["-t", "ramfs", "imaevm-test"])
        .arg(&esp));
    if code(&m) != 0 {
        skip(test, &format!("cannot mount a ramfs: {}", stderr(&m)));
        return;
    }
    struct Unmount(PathBuf);
    impl Drop for Unmount {
        fn drop(&mut self) {
            let _ = Command::new("umount").arg(&self.0).status();
        }
    }
    let _guard = Unmount(esp.clone());
    // A BLS entry whose linux lives on the ESP.
    std::fs::create_dir_all(esp.join("loader/entries")).unwrap();
    std::fs::write(
        esp.join(format!("loader/entries/abc-{VER}.conf")),
        format!("title Test\nversion {VER}\nlinux /abc/{VER}/linux\n"),
    )
    .unwrap();
    std::fs::create_dir_all(esp.join(format!("abc/{VER}"))).unwrap();
    let img = esp.join(format!("abc/{VER}/linux"));
    write_sample(&img, 40_000, 6);
    configure(r.path(), &key_config(r.path()));
    let o = hook(r.path(), &[]);
    assert_eq!(code(&o), 0);
    let out = stdout(&o);
    assert!(
        out.contains(&format!("(BLS entry loader/entries/abc-{VER}.conf)")),
        "{out}"
    );
    assert!(out.contains("as an appended signature"), "{out}");
    assert!(out.contains("appended signature OK"), "{out}");
    let v = run(imactl()
        .args(["modsig", "verify", "--cert"])
        .arg(data("rsa2048.crt.pem"))
        .arg(&img));
    assert_eq!(code(&v), 0, "{}", stdout(&v));
}

#[test]
fn without_a_key_one_paragraph_says_what_kdump_will_do_and_strict_fails() {
    let r = scratch_root();
    let img = r.path().join(format!("boot/vmlinuz-{VER}"));
    write_sample(&img, 40_000, 7);
    let o = hook(r.path(), &[]);
    assert_eq!(code(&o), 0, "warn, exit 0");
    let out = stdout(&o);
    let para: Vec<&str> = out.lines().filter(|l| l.contains("warning:")).collect();
    assert_eq!(para.len(), 1, "one paragraph: {out}");
    for want in [
        "no security.ima",
        "at the next boot",
        "Permission denied",
        "evmctl ima_sign",
        "kernel-hook.conf",
    ] {
        assert!(para[0].contains(want), "{want}: {out}");
    }
    configure(r.path(), "strict = yes\n");
    assert_eq!(code(&hook(r.path(), &[])), 1, "strict = yes");
    configure(r.path(), "");
    assert_eq!(code(&hook(r.path(), &["--strict"])), 1, "--strict");
}

/// A compressed image (here gzip, as an arm64 Image.gz) is never what kexec_file_load
/// appraises: kexec-tools hands it a decompressed copy without security.ima. The hook
/// says so, signs nothing, never says "kexec and kdump can load it", and exits 0 (1 when
/// strict), even when the compressed file carries a valid signature of its own.
#[test]
fn a_compressed_image_is_never_called_protected() {
    let r = scratch_root();
    let img = r.path().join(format!("boot/vmlinuz-{VER}"));
    let plain = r.path().join("Image");
    write_sample(&plain, 40_000, 8);
    let gz = run(Command::new("gzip").args(["-n", "-9", "-c"]).arg(&plain));
    assert_eq!(code(&gz), 0);
    std::fs::write(&img, &gz.stdout).unwrap();
    let signed = common::is_root();
    if signed {
        evmctl_sign(&img, "rsa2048.pk8.pem");
    } else {
        println!("not root: the compressed image is left without security.ima");
    }
    configure(r.path(), &key_config(r.path()));
    let before = ima(&img);
    let o = hook(r.path(), &[]);
    assert_eq!(code(&o), 0, "warn, exit 0");
    let out = stdout(&o);
    assert!(!out.contains("can load it"), "{out}");
    let para: Vec<&str> = out.lines().filter(|l| l.contains("warning:")).collect();
    assert_eq!(para.len(), 1, "one paragraph: {out}");
    for want in [
        "is gzip-compressed",
        "decompressed copy",
        "no signature on",
        "Nothing was changed",
        "gunzip -c",
    ] {
        assert!(para[0].contains(want), "{want}: {out}");
    }
    assert_eq!(ima(&img), before, "nothing signed");
    assert_eq!(code(&hook(r.path(), &["--strict"])), 1, "--strict");
}

#[test]
fn a_bad_configuration_is_named_and_changes_nothing() {
    let r = scratch_root();
    let img = r.path().join(format!("boot/vmlinuz-{VER}"));
    write_sample(&img, 40_000, 8);
    configure(
        r.path(),
        "key = /var/lib/dkms/mok.key\nsign_everything = yes\n",
    );
    let o = hook(r.path(), &[]);
    assert_eq!(code(&o), 0);
    let out = stdout(&o);
    assert!(
        out.contains("kernel-hook.conf:2: unknown setting sign_everything"),
        "{out}"
    );
    assert_eq!(ima(&img), None);
}

#[test]
fn a_uki_is_found_and_a_missing_image_is_said() {
    let r = scratch_root();
    let o = hook(r.path(), &[]);
    assert_eq!(code(&o), 0);
    assert!(
        stdout(&o).contains(&format!("no image for kernel {VER}")),
        "{}",
        stdout(&o)
    );
    let uki = r.path().join(format!("efi/EFI/Linux/abc-{VER}+3.efi"));
    std::fs::create_dir_all(uki.parent().unwrap()).unwrap();
    write_sample(&uki, 40_000, 9);
    let o = hook(r.path(), &[]);
    assert!(
        stdout(&o).contains(&format!("abc-{VER}+3.efi (UKI): no valid IMA signature")),
        "{}",
        stdout(&o)
    );
}

/// Runs a wrapper script with our imactl and the scratch root.
fn wrapper(script: &str, root: &Path, args: &[&str], env: &[(&str, &str)]) -> Output {
    let mut c = Command::new(repo(script));
    c.args(args)
        .env("IMACTL", env!("CARGO_BIN_EXE_imactl"))
        .env("IMAEVM_HOOK_ROOT", root)
        .env_remove("KERNEL_INSTALL_MACHINE_ID")
        .env_remove("DEB_MAINT_PARAMS");
    for (k, v) in env {
        c.env(k, v);
    }
    let o = run(&mut c);
    println!(
        "{script} {args:?}: exit {}\n{}{}",
        code(&o),
        stdout(&o),
        stderr(&o)
    );
    o
}

#[test]
fn the_kernel_install_plugin_and_the_debian_hooks_exit_0_on_every_path_unless_strict() {
    let plugin = "packaging/kernel-install/95-imaevm.install";
    let postinst = "packaging/debian/kernel/postinst.d/zzz-imaevm";
    let postrm = "packaging/debian/kernel/postrm.d/zzz-imaevm";
    let r = scratch_root();
    let src = r.path().join(format!("lib/modules/{VER}/vmlinuz"));
    let img = r.path().join(format!("boot/vmlinuz-{VER}"));
    write_sample(&src, 40_000, 10);
    std::fs::write(&img, std::fs::read(&src).unwrap()).unwrap();
    let entry = format!("/boot/abc/{VER}");
    let image = format!("/lib/modules/{VER}/vmlinuz");
    let boot_image = format!("/boot/vmlinuz-{VER}");
    let ki_add = ["add", VER, entry.as_str(), image.as_str()];
    // Unsigned, no key: the warning, on standard error only, exit 0.
    for (script, args) in [
        (plugin, &ki_add[..]),
        (postinst, &[VER, boot_image.as_str()][..]),
    ] {
        let o = wrapper(script, r.path(), args, &[]);
        assert_eq!(code(&o), 0);
        assert!(stdout(&o).is_empty(), "output goes to stderr");
        assert!(stderr(&o).contains("warning: "), "{}", stderr(&o));
    }
    // Strict: the plugin and the hook fail.
    configure(r.path(), "strict = yes\n");
    assert_eq!(code(&wrapper(plugin, r.path(), &ki_add, &[])), 1);
    assert_eq!(code(&wrapper(postinst, r.path(), &[VER], &[])), 1);
    // Debian: only on configure.
    let o = wrapper(
        postinst,
        r.path(),
        &[VER],
        &[("DEB_MAINT_PARAMS", "'abort-upgrade'")],
    );
    assert_eq!((code(&o), stderr(&o).as_str()), (0, ""));
    // kernel-install: a machine ID set but empty means do nothing.
    let o = wrapper(
        plugin,
        r.path(),
        &ki_add,
        &[("KERNEL_INSTALL_MACHINE_ID", "")],
    );
    assert_eq!((code(&o), stderr(&o).as_str()), (0, ""));
    // Removal: exit 0.
    for (script, args) in [
        (plugin, &["remove", VER, entry.as_str()][..]),
        (postrm, &[VER][..]),
    ] {
        let o = wrapper(script, r.path(), args, &[]);
        assert_eq!(code(&o), 0);
        assert!(
            stderr(&o).contains(&format!("kernel {VER} removed")),
            "{}",
            stderr(&o)
        );
    }
    // No imactl: said, exit 0.
    let o = wrapper(
        plugin,
        r.path(),
        &ki_add,
        &[("IMACTL", "/nonexistent/imactl")],
    );
    assert_eq!(code(&o), 0);
    assert!(stderr(&o).contains("not found"), "{}", stderr(&o));
    if !common::is_root() {
        skip(
            "the_kernel_install_plugin_and_the_debian_hooks_exit_0_on_every_path_unless_strict",
            "the copy and sign paths set security.ima, which needs root",
        );
        return;
    }
    // Copied from the source image (kernel-install's KERNEL-IMAGE), then OK (Debian).
    configure(r.path(), "strict = yes\n");
    evmctl_sign(&src, "rsa2048.pk8.pem");
    let o = wrapper(plugin, r.path(), &ki_add, &[]);
    assert_eq!(code(&o), 0);
    assert!(
        stderr(&o).contains("copied the signature of"),
        "{}",
        stderr(&o)
    );
    let o = wrapper(
        postinst,
        r.path(),
        &[VER, boot_image.as_str()],
        &[("DEB_MAINT_PARAMS", "'configure'")],
    );
    assert_eq!(code(&o), 0);
    assert!(stderr(&o).contains("OK, security.ima OK"), "{}", stderr(&o));
    // Signed with the configured key.
    write_sample(&img, 40_000, 11);
    configure(r.path(), &(key_config(r.path()) + "strict = yes\n"));
    let o = wrapper(postinst, r.path(), &[VER, boot_image.as_str()], &[]);
    assert_eq!(code(&o), 0);
    assert!(stderr(&o).contains("signed with "), "{}", stderr(&o));
}

#[test]
fn the_signature_the_rpm_database_records_is_copied_only_over_the_same_content() {
    const T: &str = "the_signature_the_rpm_database_records_is_copied_only_over_the_same_content";
    if needs_root(T) {
        return;
    }
    if !Command::new("sh")
        .args(["-c", "command -v rpm && command -v rpmbuild"])
        .output()
        .is_ok_and(|o| o.status.success())
    {
        skip(
            T,
            "rpm or rpmbuild is not installed (tests/setup.sh installs rpm)",
        );
        return;
    }
    let dir = common::scratch();
    let kernel: Vec<u8> = (0..40_000u32).map(|i| (i * 7 % 251) as u8).collect();
    let src_path = format!("/lib/modules/{VER}/vmlinuz");
    let rpm = common::rpm_pkg::build_signed_package(
        dir.path(),
        "kernel-core-test",
        &[common::rpm_pkg::PkgFile {
            path: &src_path,
            content: &kernel,
            config: false,
        }],
        &[],
        &[],
    );
    let r = scratch_root();
    common::rpm_pkg::install(r.path(), &rpm);
    // The installed copy lost its xattr (or rpm-plugin-ima never wrote it), and the image in
    // /boot was copied without it: only the rpm database still has the signature.
    let src = r.path().join(&src_path[1..]);
    let _ = xattr::remove(&src, "security.ima");
    let img = r.path().join(format!("boot/vmlinuz-{VER}"));
    // Other content first: the package's signature is not for it.
    write_sample(&img, 40_000, 12);
    let o = hook(r.path(), &[]);
    assert_eq!(code(&o), 0);
    let out = stdout(&o);
    assert!(
        out.contains(&format!("the signature kernel-core-test-1-1.noarch records for {src_path} is for other content (sha256 digests differ): not copied")),
        "{out}"
    );
    assert_eq!(ima(&img), None);
    // The same content: copied.
    std::fs::write(&img, &kernel).unwrap();
    let o = hook(r.path(), &[]);
    assert_eq!(code(&o), 0);
    let out = stdout(&o);
    assert!(
        out.contains(&format!("copied the signature kernel-core-test-1-1.noarch records for {src_path} (same sha256 digest); kexec and kdump can load it")),
        "{out}"
    );
    assert_eq!(
        ima(&img),
        Some(common::rpm_pkg::signature_of(dir.path(), &kernel))
    );
}

/// A --config FILE named on the command line must be there and parse: one that cannot be
/// read (missing, a directory, not UTF-8) is exit status 2, one that does not parse 1,
/// each named on stderr, and nothing is done (no line on stdout, the image untouched).
/// The default file being absent stays fine (exit 0).
#[test]
fn an_explicit_config_that_cannot_be_used_is_an_error_naming_it() {
    let r = scratch_root();
    let img = r.path().join(format!("boot/vmlinuz-{VER}"));
    write_sample(&img, 40_000, 9);
    let missing = r.path().join("no-such.conf");
    let a_dir = r.path().join("a-dir.conf");
    std::fs::create_dir(&a_dir).unwrap();
    let not_utf8 = r.path().join("latin1.conf");
    std::fs::write(&not_utf8, b"key = /k\xe9y\n").unwrap();
    let malformed = r.path().join("malformed.conf");
    std::fs::write(&malformed, "strict = yes\nsign_everything = yes\n").unwrap();
    let bad_hash = r.path().join("bad-hash.conf");
    std::fs::write(&bad_hash, "hash = BAD\n").unwrap();
    for (conf, want, says) in [
        (&missing, 2, "cannot read"),
        (&a_dir, 2, "cannot read"),
        (&not_utf8, 2, "not UTF-8"),
        (&malformed, 1, ":2: unknown setting sign_everything"),
        (&bad_hash, 1, ":1: unknown hash algorithm 'BAD'"),
    ] {
        let o = hook(r.path(), &["--config", conf.to_str().unwrap()]);
        assert_eq!(code(&o), want, "--config {conf:?}: {}", stderr(&o));
        let err = stderr(&o);
        assert!(
            err.contains(&format!("{}{says}", conf.display()))
                || err.contains(&format!("{}: {says}", conf.display())),
            "{err}"
        );
        assert!(stdout(&o).is_empty(), "nothing done: {}", stdout(&o));
        assert_eq!(ima(&img), None);
    }
    // The default configuration file absent: the defaults, exit 0.
    assert!(!r.path().join("etc/imaevm/kernel-hook.conf").exists());
    let o = hook(r.path(), &[]);
    assert_eq!(code(&o), 0, "{}", stderr(&o));
    // An explicit file that is fine is used (strict = yes: exit 1 for the unsigned image).
    let strict = r.path().join("strict.conf");
    std::fs::write(&strict, "strict = yes\n").unwrap();
    let o = hook(r.path(), &["--config", strict.to_str().unwrap()]);
    assert_eq!(code(&o), 1, "{}", stdout(&o));
    assert!(stdout(&o).contains("warning: "), "{}", stdout(&o));
}
