//! A fake running system for the lockout check, shared by tests/policy_lockout.rs and
//! tests/boot_lockout.rs: a root whose proc/PID/exe are symbolic links to files of a
//! temporary directory (as the kernel's magic links name the program a process runs),
//! proc/PID/maps lists files mapped executable, proc/cmdline is the kernel command line,
//! and sec/ is a securityfs double (sec/ima/policy a regular file). The imactl binary reads
//! it through its hidden `--root DIR`.
//!
//! The programs must be owned by root (the policies scope appraisal with fowner=0) and carry
//! `security.ima` values, so the tests need root; they also need a directory that is not on
//! tmpfs or ramfs (signed-programs.policy leaves those out). Otherwise they print SKIP.
#![allow(dead_code)]

use std::fs;
use std::os::unix::fs::MetadataExt;
use std::path::{Path, PathBuf};
use std::process::{Command, Output};

use imaevm::hash::HashAlgo;

use crate::skip::skip;

pub const IMACTL: &str = env!("CARGO_BIN_EXE_imactl");
const TMPFS_MAGIC: i64 = 0x0102_1994;
const RAMFS_MAGIC: i64 = 0x8584_58f6;

pub fn policies() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("policies")
}

/// A fake system: the root (proc/, the securityfs double) and the programs' directory.
pub struct Sys {
    pub root: tempfile::TempDir,
    pub bin: tempfile::TempDir,
    pub next_pid: u32,
}

impl Sys {
    /// None (after printing SKIP) when this machine cannot hold the test's programs.
    pub fn new(test: &str, cmdline: &str) -> Option<Sys> {
        if euid() != 0 {
            skip(
                test,
                "needs root: the programs must be owned by root and carry security.ima",
            );
            return None;
        }
        // Not /tmp: it may be tmpfs, which signed-programs.policy leaves out.
        let bin = tempfile::tempdir_in(env!("CARGO_TARGET_TMPDIR")).unwrap();
        let magic = fs_magic(bin.path());
        if magic == TMPFS_MAGIC || magic == RAMFS_MAGIC {
            skip(
                test,
                "the target directory is on tmpfs or ramfs, which the policy leaves out",
            );
            return None;
        }
        let probe = bin.path().join("probe");
        fs::write(&probe, b"x").unwrap();
        if let Err(e) = xattr::set(&probe, "security.ima", &[0x04, 0x04, 0]) {
            skip(test, &format!("security.ima cannot be set here: {e}"));
            return None;
        }
        let root = tempfile::tempdir().unwrap();
        fs::create_dir_all(root.path().join("proc")).unwrap();
        fs::write(root.path().join("proc/cmdline"), cmdline).unwrap();
        fs::create_dir_all(root.path().join("sec/ima")).unwrap();
        fs::write(root.path().join("sec/ima/policy"), "").unwrap();
        Some(Sys {
            root,
            bin,
            next_pid: 100,
        })
    }

    /// A program file owned by root with `security.ima` = `ima` (none when `None`).
    pub fn file(&self, name: &str, content: &[u8], ima: Option<Vec<u8>>) -> PathBuf {
        let p = self.bin.path().join(name);
        fs::write(&p, content).unwrap();
        std::os::unix::fs::chown(&p, Some(0), Some(0)).unwrap();
        if let Some(v) = ima {
            xattr::set(&p, "security.ima", &v).unwrap();
        }
        assert_eq!(fs::metadata(&p).unwrap().uid(), 0);
        p
    }

    /// A process running `exe`, with `mapped` files mapped executable; returns its PID.
    pub fn process(&mut self, exe: &Path, mapped: &[&Path]) -> u32 {
        let pid = self.next_pid;
        self.next_pid += 1;
        let dir = self.root.path().join(format!("proc/{pid}"));
        fs::create_dir_all(&dir).unwrap();
        std::os::unix::fs::symlink(exe, dir.join("exe")).unwrap();
        let mut maps = format!(
            "55d0c0000000-55d0c0001000 r--p 00000000 fd:01 11 {}\n",
            exe.display()
        );
        for (i, m) in mapped.iter().enumerate() {
            maps.push_str(&format!(
                "7f00{i:02x}000000-7f00{i:02x}100000 r-xp 00000000 fd:01 12 {}\n",
                m.display()
            ));
        }
        maps.push_str("7ffd4b5f7000-7ffd4b5f9000 r-xp 00000000 00:00 0   [vdso]\n");
        fs::write(dir.join("maps"), maps).unwrap();
        pid
    }

    pub fn written(&self) -> String {
        fs::read_to_string(self.root.path().join("sec/ima/policy")).unwrap()
    }

    pub fn policy(&self, name: &str, text: &str) -> PathBuf {
        let p = self.root.path().join(name);
        fs::write(&p, text).unwrap();
        p
    }
}

pub fn euid() -> u32 {
    // The owner of a file this process creates is its effective uid.
    let d = tempfile::tempdir().unwrap();
    let p = d.path().join("me");
    fs::write(&p, "").unwrap();
    fs::metadata(&p).unwrap().uid()
}

pub fn fs_magic(p: &Path) -> i64 {
    let out = Command::new("stat")
        .args(["-f", "-c", "%t"])
        .arg(p)
        .output()
        .expect("stat -f");
    i64::from_str_radix(String::from_utf8_lossy(&out.stdout).trim(), 16).unwrap()
}

pub fn sha256_value(content: &[u8]) -> Vec<u8> {
    let mut v = vec![0x04, 0x04];
    v.extend_from_slice(&HashAlgo::Sha256.digest(content));
    v
}

pub fn stderr(o: &Output) -> String {
    String::from_utf8_lossy(&o.stderr).into_owned()
}

pub const SIGNED_RULE: &str = "appraise func=BPRM_CHECK fowner=0 appraise_type=imasig";

/// Two running programs owned by root, one without security.ima and one with only a hash:
/// under signed-programs.policy both would be refused at their next exec.
pub fn two_unsigned(sys: &mut Sys) -> (PathBuf, PathBuf) {
    let none = sys.file("sh-unsigned", b"#!unsigned program\n", None);
    let hashed = sys.file(
        "sshd-hashed",
        b"hashed program",
        Some(sha256_value(b"hashed program")),
    );
    sys.process(&none, &[]);
    sys.process(&hashed, &[]);
    (none, hashed)
}
