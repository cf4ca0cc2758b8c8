//! Issue 24, defect 2: every file `imactl status` reads under its root goes through the
//! bounded reader. A FIFO, a huge (sparse) file, a directory or garbage in place of the
//! policy, /proc/keys, the LSM list, an EFI variable, /etc/ima/ima-policy, the kernel
//! configuration, or a gzip bomb as /proc/config.gz: each run ends within the time limit,
//! and a warning names the file and what is wrong with it.

mod common;

use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::{Duration, Instant};

const IMACTL: &str = env!("CARGO_BIN_EXE_imactl");
const SECURE_BOOT: &str =
    "sys/firmware/efi/efivars/SecureBoot-8be4df61-93ca-11d2-aa0d-00e098032b8c";

/// A plain machine: every fact present and readable.
fn machine() -> (tempfile::TempDir, PathBuf) {
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path().join("root");
    let w = |rel: &str, data: &[u8]| {
        let p = root.join(rel);
        std::fs::create_dir_all(p.parent().unwrap()).unwrap();
        std::fs::write(p, data).unwrap();
    };
    w("proc/sys/kernel/osrelease", b"6.12.0-lab\n");
    w("proc/cmdline", b"ro\n");
    w("proc/keys", b"");
    w("sys/kernel/security/lsm", b"lockdown,capability,ima\n");
    w(
        "sys/kernel/security/lockdown",
        b"[none] integrity confidentiality\n",
    );
    w(
        "sys/kernel/security/ima/policy",
        b"measure func=KEXEC_KERNEL_CHECK\n",
    );
    w(SECURE_BOOT, &[6, 0, 0, 0, 1]);
    w("etc/ima/ima-policy", b"measure func=KEXEC_KERNEL_CHECK\n");
    w("boot/config-6.12.0-lab", b"CONFIG_IMA=y\n");
    (dir, root)
}

/// Replaces `rel` under `root` by `what`.
fn replace(root: &Path, rel: &str, what: &str) {
    let p = root.join(rel);
    let _ = std::fs::remove_file(&p);
    match what {
        "fifo" => assert!(Command::new("mkfifo").arg(&p).status().unwrap().success()),
        "directory" => std::fs::create_dir(&p).unwrap(),
        "huge" => {
            // 2 GiB and sparse: what /dev/zero in its place would feed.
            let f = std::fs::File::create(&p).unwrap();
            f.set_len(2 << 30).unwrap();
        }
        "garbage" => std::fs::write(&p, [0xff, 0x00, 0x13]).unwrap(),
        // the device itself, reached through a link (a test root cannot hold device nodes)
        "dev-zero" => std::os::unix::fs::symlink("/dev/zero", &p).unwrap(),
        "gzip-bomb" => {
            // 64 MiB of zeros, compressed to about 64 KiB; the cap is 4 MiB.
            let sh = format!("head -c 67108864 /dev/zero | gzip -1 > '{}'", p.display());
            assert!(Command::new("sh")
                .args(["-c", &sh])
                .status()
                .unwrap()
                .success());
        }
        _ => unreachable!(),
    }
}

/// Runs `imactl status --root ROOT`; its stderr, after checking it ended in time and, where
/// GNU time is installed (tests/setup.sh), within 256 MiB of memory.
fn status(root: &Path, binary: &str) -> (Option<i32>, String) {
    let start = Instant::now();
    let (mut c, timed) = common::timed_command(20, binary);
    let o = c.args(["status", "--root"]).arg(root).output().unwrap();
    assert!(
        start.elapsed() < Duration::from_secs(19),
        "still running after 19 s"
    );
    let err = String::from_utf8_lossy(&o.stderr).into_owned();
    if timed {
        common::assert_peak_rss(&err, 256 * 1024);
    }
    (o.status.code(), err)
}

fn refused(rel: &str, what: &str, expect: &str) {
    let (_dir, root) = machine();
    replace(&root, rel, what);
    let (code, err) = status(&root, IMACTL);
    assert_ne!(code, Some(124), "{rel} as {what}: timed out");
    let named = root.join(rel).display().to_string();
    assert!(
        err.lines()
            .any(|l| l.contains(&named) && l.contains(expect)),
        "{rel} as {what}: no warning naming it with {expect:?}:\n{err}"
    );
}

#[test]
fn a_fifo_in_place_of_any_fact_is_refused_without_blocking() {
    for rel in [
        "sys/kernel/security/ima/policy",
        "proc/keys",
        "sys/kernel/security/lsm",
        SECURE_BOOT,
        "etc/ima/ima-policy",
        "proc/cmdline",
        "sys/kernel/security/lockdown",
        "boot/config-6.12.0-lab",
    ] {
        refused(rel, "fifo", "not a regular file (a FIFO)");
    }
}

/// /dev/zero where a fact should be: a device is refused by what it is, never read.
#[test]
fn a_device_in_place_of_any_fact_is_refused_without_reading_it() {
    for rel in [
        "sys/kernel/security/ima/policy",
        "proc/keys",
        "sys/kernel/security/lsm",
        SECURE_BOOT,
        "etc/ima/ima-policy",
        "proc/cmdline",
        "boot/config-6.12.0-lab",
    ] {
        refused(rel, "dev-zero", "not a regular file (a character device)");
    }
}

#[test]
fn a_huge_file_in_place_of_the_policy_or_keys_is_refused_at_its_cap() {
    refused(
        "sys/kernel/security/ima/policy",
        "huge",
        "larger than the 16 MiB limit for a securityfs policy",
    );
    refused(
        "proc/keys",
        "huge",
        "larger than the 16 MiB limit for a /proc/keys",
    );
    refused("proc/cmdline", "huge", "larger than the 64 KiB limit");
    refused(
        "boot/config-6.12.0-lab",
        "huge",
        "larger than the 4 MiB limit for a kernel configuration",
    );
}

#[test]
fn a_directory_or_garbage_is_named() {
    refused("proc/keys", "directory", "not a regular file (a directory)");
    refused(
        "etc/ima/ima-policy",
        "directory",
        "not a regular file (a directory)",
    );
    refused(
        SECURE_BOOT,
        "garbage",
        "shorter than the 4-byte attribute header",
    );
}

#[test]
fn a_gzip_bomb_as_config_gz_is_stopped_at_the_cap() {
    let (_dir, root) = machine();
    std::fs::remove_file(root.join("boot/config-6.12.0-lab")).unwrap();
    replace(&root, "proc/config.gz", "gzip-bomb");
    let (code, err) = status(&root, IMACTL);
    assert_ne!(code, Some(124));
    assert!(
        err.contains("config.gz: decompresses to more than the 4 MiB limit"),
        "{err}"
    );
    replace(&root, "proc/config.gz", "garbage");
    let (_, err) = status(&root, IMACTL);
    assert!(err.contains("config.gz: not a valid gzip file"), "{err}");
}

/// The files only `--kexec` reads: the image itself, db and MokListRT.
#[test]
fn the_preflight_inputs_are_bounded_too() {
    let (dir, root) = machine();
    let image = dir.path().join("vmlinuz");
    // A 2 GiB sparse image: refused at its cap, exit status 2, named.
    std::fs::File::create(&image)
        .unwrap()
        .set_len(2 << 30)
        .unwrap();
    let run = |extra: &[&str]| {
        let start = Instant::now();
        let o = Command::new("timeout")
            .args(["20", IMACTL, "status", "--root"])
            .arg(&root)
            .arg("--kexec")
            .arg(&image)
            .args(extra)
            .output()
            .unwrap();
        assert!(start.elapsed() < Duration::from_secs(19));
        (
            o.status.code(),
            String::from_utf8_lossy(&o.stderr).into_owned(),
        )
    };
    let (code, err) = run(&[]);
    assert_eq!(code, Some(2), "{err}");
    assert!(
        err.contains(&format!(
            "{}: larger than the 64 MiB limit for a kexec image",
            image.display()
        )),
        "{err}"
    );
    // A FIFO initrd: exit status 2, named.
    std::fs::write(&image, b"MZ not really a PE image").unwrap();
    let initrd = dir.path().join("initrd-fifo");
    assert!(Command::new("mkfifo")
        .arg(&initrd)
        .status()
        .unwrap()
        .success());
    let (code, err) = run(&["--initrd", initrd.to_str().unwrap()]);
    assert_eq!(code, Some(2), "{err}");
    assert!(
        err.contains("initrd-fifo: not a regular file (a FIFO)"),
        "{err}"
    );
    // A FIFO db and a MokListRT of garbage: warnings naming them, and a prediction.
    let vars = root.join("sys/firmware/efi/efivars");
    std::fs::write(
        vars.join("SetupMode-8be4df61-93ca-11d2-aa0d-00e098032b8c"),
        [6, 0, 0, 0, 0],
    )
    .unwrap();
    let db = vars.join("db-d719b2cb-3d3a-4596-a3bc-dad00e67656f");
    assert!(Command::new("mkfifo").arg(&db).status().unwrap().success());
    let mok = vars.join("MokListRT-605dab50-e046-4300-abb6-3dd810dd8b23");
    std::fs::write(&mok, [7, 0, 0, 0, 1, 2, 3]).unwrap();
    let (code, err) = run(&[]);
    // No lockdown, no KEXEC_SIG, no policy: it loads, whatever the lists hold.
    assert_eq!(code, Some(0), "{err}");
    assert!(
        err.contains(&format!("{}: not a regular file (a FIFO)", db.display())),
        "{err}"
    );
    assert!(!err.contains("panicked"), "{err}");
}
