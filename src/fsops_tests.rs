//! Unit tests for fsops.rs: no symbolic link is followed, `.sig` paths, atomic writes, the
//! xattr round trip through one descriptor, and walks.

use std::io::Read;
use std::os::unix::ffi::OsStrExt;
use std::os::unix::fs::symlink;

use super::*;

#[path = "../tests/common/skip.rs"]
mod skip;

fn scratch() -> tempfile::TempDir {
    tempfile::tempdir().expect("a temporary directory")
}

fn names(dir: &Path) -> Vec<String> {
    let mut v: Vec<String> = std::fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    v.sort();
    v
}

#[test]
fn open_refuses_a_symbolic_link_and_what_is_not_a_regular_file() {
    let d = scratch();
    let file = d.path().join("file");
    std::fs::write(&file, b"contents").unwrap();
    let link = d.path().join("link");
    symlink(&file, &link).unwrap();
    let e = OpenFile::open(&link).err().expect("a link is refused");
    assert!(matches!(e.what, FileErrorKind::NotRegular(w) if w.starts_with("a symbolic link")));
    assert_eq!(e.path, link);
    assert!(
        e.to_string().starts_with(&link.display().to_string()),
        "{e}"
    );
    // A dangling link too (O_NOFOLLOW fails before the missing target matters).
    let dangling = d.path().join("dangling");
    symlink(d.path().join("nowhere"), &dangling).unwrap();
    let e = OpenFile::open(&dangling).err().unwrap();
    assert!(matches!(e.what, FileErrorKind::NotRegular(_)), "{e}");
    // A directory, a FIFO (opened without blocking), a missing file.
    let e = OpenFile::open(d.path()).err().unwrap();
    assert!(
        matches!(e.what, FileErrorKind::NotRegular("a directory")),
        "{e}"
    );
    let fifo = d.path().join("fifo");
    let made = std::process::Command::new("mkfifo").arg(&fifo).status();
    if made.is_ok_and(|s| s.success()) {
        let e = OpenFile::open(&fifo).err().unwrap();
        assert!(matches!(e.what, FileErrorKind::NotRegular("a FIFO")), "{e}");
    } else {
        skip::skip_part(
            "open_refuses_a_symbolic_link_and_what_is_not_a_regular_file",
            "fifo",
            "mkfifo(1) could not make a FIFO",
        );
    }
    let e = OpenFile::open(&d.path().join("missing")).err().unwrap();
    assert!(matches!(&e.what, FileErrorKind::Open(io) if io.kind() == io::ErrorKind::NotFound));
    // The file itself opens, and hashes from its start whatever was read before.
    let f = OpenFile::open(&file).unwrap();
    let mut first = [0u8; 3];
    f.file().read_exact(&mut first).unwrap();
    assert_eq!(
        f.digest(HashAlgo::Sha256).unwrap(),
        HashAlgo::Sha256.digest(b"contents")
    );
    assert_eq!(
        f.digest(HashAlgo::Sha1).unwrap(),
        HashAlgo::Sha1.digest(b"contents")
    );
}

#[test]
fn large_files_hash_the_same_through_the_second_thread() {
    let d = scratch();
    let big = OVERLAP_FROM as usize;
    let data: Vec<u8> = (0..big + 3 * 1024 * 1024 + 17)
        .map(|i| (i * 131 + i / 4099) as u8)
        .collect();
    // Below, at and above the size where reads move to a second thread; sizes that are
    // and are not multiples of the read size.
    for len in [big - 1, big, big + 1, big + 1024 * 1024, data.len()] {
        let p = d.path().join(format!("f{len}"));
        std::fs::write(&p, &data[..len]).unwrap();
        let f = OpenFile::open(&p).unwrap();
        for algo in [HashAlgo::Sha256, HashAlgo::Sha1] {
            assert_eq!(f.digest(algo).unwrap(), algo.digest(&data[..len]), "{len}");
        }
        // Every core taken by a worker (as in a walk of a tree): the same file is read on
        // the hashing thread instead, with the same digest.
        let held: Vec<_> = (0..crate::cores::count())
            .map(|_| crate::cores::Busy::start())
            .collect();
        assert!(!crate::cores::spare());
        assert_eq!(
            f.digest(HashAlgo::Sha256).unwrap(),
            HashAlgo::Sha256.digest(&data[..len]),
            "{len}, no spare core"
        );
        drop(held);
    }
}

#[test]
fn a_file_is_hashed_to_its_end_whatever_its_size_at_the_open() {
    let d = scratch();
    let p = d.path().join("grows");
    std::fs::write(&p, b"small").unwrap();
    let f = OpenFile::open(&p).unwrap();
    let mut all = b"small".to_vec();
    all.extend(std::iter::repeat_n(7u8, 5 * 1024 * 1024));
    std::fs::write(&p, &all).unwrap();
    assert_eq!(
        f.digest(HashAlgo::Sha256).unwrap(),
        HashAlgo::Sha256.digest(&all)
    );
    // Grown by a few bytes, all within the first read: that short read ends past the
    // size fstat gave at the open, so it is not taken as the end.
    std::fs::write(&p, b"tiny").unwrap();
    let f = OpenFile::open(&p).unwrap();
    std::fs::write(&p, b"tiny, then more").unwrap();
    assert_eq!(
        f.digest(HashAlgo::Sha256).unwrap(),
        HashAlgo::Sha256.digest(b"tiny, then more")
    );
    // And a large file that shrank: what is there now.
    std::fs::write(&p, b"shrunk").unwrap();
    let big = OpenFile::open(&p).unwrap();
    std::fs::write(&p, &all).unwrap();
    let f2 = OpenFile::open(&p).unwrap();
    std::fs::OpenOptions::new()
        .write(true)
        .open(&p)
        .unwrap()
        .set_len(3)
        .unwrap();
    assert_eq!(
        f2.digest(HashAlgo::Sha256).unwrap(),
        HashAlgo::Sha256.digest(b"sma")
    );
    drop(big);
}

#[test]
fn sig_path_appends_dot_sig() {
    assert_eq!(sig_path(Path::new("/a/b.txt")), Path::new("/a/b.txt.sig"));
    assert_eq!(sig_path(Path::new("rel")), Path::new("rel.sig"));
    // Not UTF-8: kept byte for byte.
    let odd = Path::new(OsStr::from_bytes(b"/tmp/\xff\xfe"));
    assert_eq!(
        sig_path(odd).as_os_str().as_bytes(),
        b"/tmp/\xff\xfe.sig".as_slice()
    );
}

#[test]
fn write_atomic_replaces_the_file_and_leaves_no_temporary_file() {
    let d = scratch();
    let target = d.path().join("f.sig");
    write_atomic(&target, b"first").unwrap();
    assert_eq!(std::fs::read(&target).unwrap(), b"first");
    // Hard link to the old file: the old inode keeps its contents (a new file replaced it).
    let old = d.path().join("old");
    std::fs::hard_link(&target, &old).unwrap();
    write_atomic(&target, b"second, longer").unwrap();
    assert_eq!(std::fs::read(&target).unwrap(), b"second, longer");
    assert_eq!(std::fs::read(&old).unwrap(), b"first");
    assert_eq!(names(d.path()), ["f.sig", "old"]);
}

#[test]
fn write_atomic_replaces_a_symbolic_link_not_its_target() {
    let d = scratch();
    let victim = d.path().join("victim");
    std::fs::write(&victim, b"do not touch").unwrap();
    let target = d.path().join("f.sig");
    symlink(&victim, &target).unwrap();
    write_atomic(&target, b"sig").unwrap();
    assert_eq!(std::fs::read(&victim).unwrap(), b"do not touch");
    assert!(std::fs::symlink_metadata(&target).unwrap().is_file());
    assert_eq!(std::fs::read(&target).unwrap(), b"sig");
    assert_eq!(names(d.path()), ["f.sig", "victim"]);
}

#[test]
fn a_failed_write_changes_nothing_and_names_the_file() {
    let d = scratch();
    let missing_dir = d.path().join("no/such/dir");
    assert!(write_atomic(&missing_dir.join("f.sig"), b"x").is_err());
    assert_eq!(names(d.path()), Vec::<String>::new());
    // Renaming over a directory fails: the temporary file is removed again.
    let file = d.path().join("f");
    std::fs::create_dir(sig_path(&file)).unwrap();
    let e = write_sig_file(&file, b"value").unwrap_err();
    assert!(matches!(e.what, FileErrorKind::WriteSig(..)), "{e}");
    assert!(e.to_string().contains("f.sig"), "{e}");
    assert_eq!(names(d.path()), ["f.sig"]);
}

#[test]
fn sig_files_round_trip_and_an_empty_one_is_refused() {
    let d = scratch();
    let file = d.path().join("prog");
    let written = write_sig_file(&file, &[3, 2, 4]).unwrap();
    assert_eq!(written, d.path().join("prog.sig"));
    assert_eq!(read_sig_file(&file, &written).unwrap(), [3, 2, 4]);
    std::fs::write(&written, b"").unwrap();
    let e = read_sig_file(&file, &written).unwrap_err();
    assert!(matches!(e.what, FileErrorKind::EmptySig(_)), "{e}");
    let e = read_sig_file(&file, &d.path().join("none.sig")).unwrap_err();
    assert!(matches!(e.what, FileErrorKind::ReadSig(..)), "{e}");
    assert!(e.to_string().contains("none.sig"), "{e}");
}

/// user.* xattrs need a filesystem that has them (ext4, and tmpfs since Linux 6.6); where
/// the temporary directory has none, the test says so and stops.
#[test]
fn xattrs_round_trip_through_the_descriptor() {
    const T: &str = "xattrs_round_trip_through_the_descriptor";
    let d = scratch();
    let file = d.path().join("f");
    std::fs::write(&file, b"x").unwrap();
    let f = OpenFile::open(&file).unwrap();
    match f.set_xattr("user.ima", &[4, 4]) {
        Ok(()) => {}
        Err(FileError {
            what: FileErrorKind::SetXattr(_, e),
            ..
        }) if e.raw_os_error() == Some(libc::EOPNOTSUPP) => {
            skip::skip(T, &format!("{} has no user.* xattrs", d.path().display()));
            return;
        }
        Err(e) => panic!("{e}"),
    }
    assert_eq!(f.get_xattr("user.ima").unwrap(), [4, 4]);
    assert_eq!(get_xattr_nofollow(&file, "user.ima").unwrap(), [4, 4]);
    f.set_xattr("user.ima", &[3, 2, 1]).unwrap();
    assert_eq!(f.get_xattr("user.ima").unwrap(), [3, 2, 1]);
    // Read through a link without following it: the link has no such attribute.
    let link = d.path().join("link");
    symlink(&file, &link).unwrap();
    assert!(get_xattr_nofollow(&link, "user.ima").is_err());
    // Removing, and removing what is absent, both succeed; then it is reported missing.
    f.remove_xattr("user.ima").unwrap();
    f.remove_xattr("user.ima").unwrap();
    let e = f.get_xattr("user.ima").unwrap_err();
    assert!(matches!(e.what, FileErrorKind::NoXattr("user.ima")), "{e}");
    assert_eq!(
        e.to_string(),
        format!("{}: has no user.ima attribute", file.display())
    );
    let e = get_xattr_nofollow(&file, "user.ima").unwrap_err();
    assert!(matches!(e.what, FileErrorKind::NoXattr(_)), "{e}");
}

#[test]
fn walks_visit_regular_files_in_order_and_follow_no_link() {
    let d = scratch();
    let root = d.path().join("tree");
    std::fs::create_dir_all(root.join("b/c")).unwrap();
    for p in ["z", "a", "b/one", "b/c/two"] {
        std::fs::write(root.join(p), p).unwrap();
    }
    let outside = d.path().join("outside");
    std::fs::create_dir(&outside).unwrap();
    std::fs::write(outside.join("secret"), b"s").unwrap();
    symlink(&outside, root.join("b/dirlink")).unwrap();
    symlink(outside.join("secret"), root.join("filelink")).unwrap();
    let got: Vec<PathBuf> = walk_regular_files(&root, false)
        .map(|r| r.unwrap())
        .collect();
    // The order is the directories' listing order (upstream's nftw), depth first.
    fn listing_order(dir: &Path, out: &mut Vec<PathBuf>) {
        for e in std::fs::read_dir(dir).unwrap() {
            let e = e.unwrap();
            let t = e.file_type().unwrap();
            if t.is_dir() {
                listing_order(&e.path(), out);
            } else if t.is_file() {
                out.push(e.path());
            }
        }
    }
    let mut want = Vec::new();
    listing_order(&root, &mut want);
    assert_eq!(want.len(), 4, "{want:?}");
    assert_eq!(got, want);
    // A regular file as the root is walked as itself.
    let single: Vec<PathBuf> = walk_regular_files(&root.join("z"), true)
        .map(|r| r.unwrap())
        .collect();
    assert_eq!(single, [root.join("z")]);
    // A missing root is an error naming it.
    let missing = d.path().join("missing");
    let items: Vec<WalkItem> = walk_regular_files(&missing, false).collect();
    assert_eq!(items.len(), 1);
    let e = items.into_iter().next().unwrap().unwrap_err();
    assert_eq!(e.path, missing);
    assert!(matches!(e.what, FileErrorKind::Walk(_)), "{e}");
}

#[test]
fn our_temporary_names_are_recognised_and_skipped_by_walks() {
    for n in [".f.sig.tmp123.0", ".a b.sig.tmp1.99", ".x.tmp7.3"] {
        assert!(is_write_temp_name(OsStr::new(n)), "{n}");
    }
    for n in [
        "f.sig",
        ".f.sig",
        ".tmp1.2",
        ".f.sig.tmp.0",
        ".f.sig.tmp12",
        ".f.sig.tmp12.3.4",
        ".f.sig.tmpx.3",
        "f.sig.tmp1.2",
    ] {
        assert!(!is_write_temp_name(OsStr::new(n)), "{n}");
    }
    // The form write_atomic_with uses is the form recognised.
    assert!(is_write_temp_name(&temp_name(OsStr::new("f.sig"), 4)));
    let d = scratch();
    std::fs::write(d.path().join("f"), b"x").unwrap();
    std::fs::write(d.path().join(".f.sig.tmp4242.0"), b"half").unwrap();
    let got: Vec<PathBuf> = walk_regular_files(d.path(), false)
        .map(|r| r.unwrap())
        .collect();
    assert_eq!(got, [d.path().join("f")]);
}

#[test]
fn a_new_target_is_linked_whole_and_an_existing_one_replaced() {
    let d = scratch();
    let target = d.path().join("new.sig");
    write_atomic(&target, b"one").unwrap();
    assert_eq!(std::fs::read(&target).unwrap(), b"one");
    write_atomic(&target, b"two").unwrap();
    assert_eq!(std::fs::read(&target).unwrap(), b"two");
    assert_eq!(names(d.path()), ["new.sig"]);
    // A failed fill leaves nothing, whether or not the target existed.
    let e = write_atomic_with(&d.path().join("other.sig"), |_| {
        Err(io::Error::other("stop"))
    });
    assert!(e.is_err());
    let e = write_atomic_with(&target, |_| Err(io::Error::other("stop")));
    assert!(e.is_err());
    assert_eq!(names(d.path()), ["new.sig"]);
    assert_eq!(std::fs::read(&target).unwrap(), b"two");
}
