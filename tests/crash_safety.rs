//! Issue 24: every file we write appears whole or not at all, and a killed run leaves
//! nothing behind (src/fsops.rs `write_atomic_with`: an anonymous O_TMPFILE file linked
//! to its name when complete).
//!
//! - SIGKILL at random points of a 20,000-file `ima_sign -r --sigfile` run: no temporary
//!   file remains, every `.sig` left is complete (byte-identical to the one a full run
//!   makes; RSA PKCS#1 v1.5 signatures are deterministic) and verifies, and a rerun
//!   completes;
//! - a leftover of our own temporary naming (an older version's, or one a kill between
//!   link and rename left) is skipped by `-r`, not signed;
//! - ENOSPC on a small tmpfs: an error naming the file, no partial `.sig`, no temporary,
//!   and a rerun after freeing space completes;
//! - EROFS on a read-only bind mount: an error naming the file, nothing written;
//! - two `-r --sigfile` runs at once on one tree: both succeed, every `.sig` complete.
//!
//! The mounts need root; without it those parts print SKIP.

mod common;

use common::*;
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

const FILES: usize = 20_000;
const DIRS: usize = 20;

/// `count` small files under `root` in DIRS subdirectories.
fn make_tree(root: &Path, count: usize) -> Vec<PathBuf> {
    let mut files = Vec::with_capacity(count);
    for d in 0..DIRS.min(count) {
        std::fs::create_dir_all(root.join(format!("d{d}"))).unwrap();
    }
    for i in 0..count {
        let p = root.join(format!("d{}/f{i}", i % DIRS.min(count)));
        std::fs::write(&p, format!("file {i}\n")).unwrap();
        files.push(p);
    }
    files
}

fn sign_tree(root: &Path) -> Command {
    let mut c = evmctl();
    c.args(["ima_sign", "-r", "-n", "--sigfile", "--key"])
        .arg(&fixture().rsa2048.key)
        .arg(root)
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::null());
    c
}

/// Every file under `root` whose name has the form of our temporary files.
fn temporaries(root: &Path) -> Vec<PathBuf> {
    let mut out = Vec::new();
    let mut dirs = vec![root.to_path_buf()];
    while let Some(d) = dirs.pop() {
        for e in std::fs::read_dir(&d).unwrap() {
            let e = e.unwrap();
            if e.file_type().unwrap().is_dir() {
                dirs.push(e.path());
            } else if imaevm::fsops::is_write_temp_name(&e.file_name()) {
                out.push(e.path());
            }
        }
    }
    out
}

/// The `.sig` of each of `files` that exists, with its contents.
fn sigs(files: &[PathBuf]) -> BTreeMap<PathBuf, Vec<u8>> {
    files
        .iter()
        .filter_map(|f| {
            let s = imaevm::fsops::sig_path(f);
            std::fs::read(&s).ok().map(|b| (s, b))
        })
        .collect()
}

/// `evmctl ima_verify --sigfile` of `files` with the fixture's certificate, in batches.
fn verify_all(files: &[PathBuf]) {
    for chunk in files.chunks(2000) {
        let o = run(evmctl()
            .args(["ima_verify", "--sigfile", "--key"])
            .arg(&fixture().rsa2048.cert_pem)
            .args(chunk));
        assert_eq!(code(&o), 0, "{}", stderr(&o));
    }
}

/// A small xorshift generator: the kill points are random, and the seed is printed so a
/// failure can be replayed.
struct Rng(u64);
impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        self.0
    }
    fn between(&mut self, lo: u64, hi: u64) -> u64 {
        lo + self.next() % (hi - lo)
    }
}

#[test]
fn sigkill_at_random_points_leaves_only_complete_signatures() {
    let d = scratch();
    let root = d.path().join("tree");
    let files = make_tree(&root, FILES);
    let seed = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_nanos() as u64
        | 1;
    println!("seed {seed}");
    let mut rng = Rng(seed);
    let mut seen: BTreeMap<PathBuf, Vec<u8>> = BTreeMap::new();
    let mut killed = 0;
    // Kill points are drawn below `latest`: 6 s at first, then 90% of the quickest run
    // that finished before its kill point. A machine that signs the tree in under 6 s (one
    // with many cores) would otherwise let all four runs finish before their kill points
    // with a fair probability ((1 - T/5.8 s)^4 for a run of T seconds), and the test fails
    // "no run was killed mid-way".
    let mut latest = 6000u64;
    for round in 0..4 {
        // Each round starts without signatures, so every kill point is a point of a first
        // run, where a .sig is created (the case of a name that did not exist).
        for f in &files {
            let _ = std::fs::remove_file(imaevm::fsops::sig_path(f));
        }
        let mut child = sign_tree(&root).spawn().unwrap();
        let wait = Duration::from_millis(rng.between(latest / 30, latest));
        let start = Instant::now();
        while start.elapsed() < wait {
            if child.try_wait().unwrap().is_some() {
                break;
            }
            std::thread::sleep(Duration::from_millis(5));
        }
        let finished = child.try_wait().unwrap().is_some();
        if finished {
            latest = latest
                .min(start.elapsed().as_millis() as u64 * 9 / 10)
                .max(30);
        } else {
            child.kill().unwrap(); // SIGKILL
            killed += 1;
        }
        child.wait().unwrap();
        let left = temporaries(&root);
        assert!(left.is_empty(), "round {round}: temporaries left: {left:?}");
        let now = sigs(&files);
        println!(
            "round {round}: killed after {wait:?}{}, {} .sig files",
            if finished { " (it had finished)" } else { "" },
            now.len()
        );
        for (p, b) in now {
            if let Some(prev) = seen.get(&p) {
                assert_eq!(prev, &b, "{}: differs between runs", p.display());
            }
            seen.insert(p, b);
        }
    }
    assert!(killed > 0, "no run was killed mid-way (seed {seed})");
    // A rerun completes; what the killed runs left is exactly what it makes.
    let st = sign_tree(&root).status().unwrap();
    assert!(st.success());
    assert!(temporaries(&root).is_empty());
    let full = sigs(&files);
    assert_eq!(full.len(), FILES);
    for (p, b) in &seen {
        assert_eq!(
            &full[p],
            b,
            "{}: a killed run left a different .sig",
            p.display()
        );
    }
    verify_all(&files);
}

#[test]
fn a_leftover_of_our_naming_is_skipped_not_signed() {
    let d = scratch();
    let root = d.path().join("tree");
    let files = make_tree(&root, 3);
    let leftover = root.join("d0/.f0.sig.tmp4242.0");
    std::fs::write(&leftover, b"half a signature").unwrap();
    let o = run(evmctl()
        .args(["ima_sign", "-r", "-n", "--sigfile", "--key"])
        .arg(&fixture().rsa2048.key)
        .arg(&root));
    assert_eq!(code(&o), 0, "{}", stderr(&o));
    assert!(!stderr(&o).contains(".f0.sig.tmp4242.0"), "{}", stderr(&o));
    assert!(!root.join("d0/.f0.sig.tmp4242.0.sig").exists());
    assert_eq!(std::fs::read(&leftover).unwrap(), b"half a signature");
    verify_all(&files);
}

#[test]
fn two_runs_at_once_on_one_tree_leave_complete_signatures() {
    let d = scratch();
    let root = d.path().join("tree");
    let files = make_tree(&root, 2000);
    let mut a = sign_tree(&root).spawn().unwrap();
    let mut b = sign_tree(&root).spawn().unwrap();
    assert!(a.wait().unwrap().success());
    assert!(b.wait().unwrap().success());
    assert!(temporaries(&root).is_empty());
    assert_eq!(sigs(&files).len(), files.len());
    verify_all(&files);
}

/// A mount made for a test, unmounted when dropped.
struct Mount(PathBuf);
impl Drop for Mount {
    fn drop(&mut self) {
        let _ = Command::new("umount").arg("-l").arg(&self.0).status();
    }
}

fn mount(args: &[&str], target: &Path) -> Result<Mount, String> {
    let o = Command::new("mount")
        .args(args)
        .arg(target)
        .output()
        .unwrap();
    if o.status.success() {
        Ok(Mount(target.to_path_buf()))
    } else {
        Err(stderr(&o))
    }
}

#[test]
fn enospc_names_the_file_leaves_nothing_partial_and_a_rerun_completes() {
    const T: &str = "enospc_names_the_file_leaves_nothing_partial_and_a_rerun_completes";
    if !is_root() {
        skip(T, "mounting a small tmpfs needs root");
        return;
    }
    let d = scratch();
    let mnt = d.path().join("mnt");
    std::fs::create_dir(&mnt).unwrap();
    let _m = match mount(&["-t", "tmpfs", "-o", "size=256k", "tmpfs"], &mnt) {
        Ok(m) => m,
        Err(e) => {
            skip(T, &format!("cannot mount a tmpfs: {e}"));
            return;
        }
    };
    let root = mnt.join("tree");
    let files = make_tree(&root, 10);
    // Fill what is left.
    let filler = mnt.join("filler");
    {
        use std::io::Write;
        let mut f = std::fs::File::create(&filler).unwrap();
        let block = vec![0u8; 4096];
        while f.write_all(&block).is_ok() {}
    }
    let o = run(evmctl()
        .args(["ima_sign", "-r", "-n", "--sigfile", "--key"])
        .arg(&fixture().rsa2048.key)
        .arg(&root));
    let err = stderr(&o);
    assert_ne!(code(&o), 0, "{err}");
    assert!(err.contains("No space left on device"), "{err}");
    assert!(
        files.iter().any(|f| err.contains(&f.display().to_string())),
        "the file is named: {err}"
    );
    assert!(temporaries(&root).is_empty());
    let partial = sigs(&files);
    assert!(
        partial.is_empty(),
        "written on a full filesystem: {:?}",
        partial.keys().collect::<Vec<_>>()
    );
    // Space freed: the rerun completes.
    std::fs::remove_file(&filler).unwrap();
    let o = run(evmctl()
        .args(["ima_sign", "-r", "-n", "--sigfile", "--key"])
        .arg(&fixture().rsa2048.key)
        .arg(&root));
    assert_eq!(code(&o), 0, "{}", stderr(&o));
    assert_eq!(sigs(&files).len(), files.len());
    assert!(temporaries(&root).is_empty());
    verify_all(&files);
}

#[test]
fn erofs_is_an_error_naming_the_file() {
    const T: &str = "erofs_is_an_error_naming_the_file";
    if !is_root() {
        skip(T, "a read-only bind mount needs root");
        return;
    }
    let d = scratch();
    let src = d.path().join("src");
    let files = make_tree(&src, 3);
    let ro = d.path().join("ro");
    std::fs::create_dir(&ro).unwrap();
    let m = match mount(&["--bind", src.to_str().unwrap()], &ro) {
        Ok(m) => m,
        Err(e) => {
            skip(T, &format!("cannot bind-mount: {e}"));
            return;
        }
    };
    if let Err(e) = mount(&["-o", "remount,bind,ro"], &ro).map(std::mem::forget) {
        drop(m);
        skip(T, &format!("cannot remount read-only: {e}"));
        return;
    }
    let o = run(evmctl()
        .args(["ima_sign", "-r", "-n", "--sigfile", "--key"])
        .arg(&fixture().rsa2048.key)
        .arg(&ro));
    let err = stderr(&o);
    assert_ne!(code(&o), 0, "{err}");
    assert!(err.contains("Read-only file system"), "{err}");
    assert!(err.contains(&ro.display().to_string()), "{err}");
    drop(m);
    assert!(sigs(&files).is_empty());
    assert!(temporaries(&src).is_empty());
}
