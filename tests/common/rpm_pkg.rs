//! Test RPMs with IMA file signatures: built with rpmbuild, then signed the way rpmsign
//! --signfiles stores it (Debian 12's rpmsign has no --signfiles).
#![allow(dead_code)]

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

use super::{hex, run, stderr, stdout};

fn ok(o: Output, what: &str) -> Output {
    assert!(o.status.success(), "{what}: {}{}", stdout(&o), stderr(&o));
    o
}

fn key() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/data/keys/rsa2048.pk8.pem")
}

/// The security.ima value our evmctl makes for `content` with tests/data/keys/rsa2048.
pub fn signature_of(dir: &Path, content: &[u8]) -> Vec<u8> {
    let f = dir.join("to-sign");
    std::fs::write(&f, content).unwrap();
    let _ = std::fs::remove_file(dir.join("to-sign.sig"));
    ok(
        run(super::evmctl()
            .args(["ima_sign", "--sigfile", "--key"])
            .arg(key())
            .arg(&f)),
        "evmctl ima_sign --sigfile",
    );
    std::fs::read(dir.join("to-sign.sig")).unwrap()
}

/// One file of a test package.
pub struct PkgFile<'a> {
    pub path: &'a str,
    pub content: &'a [u8],
    pub config: bool,
}

/// Builds package `name` (version 1, release 1, noarch) with `files`, the directories
/// `dirs` and the symbolic links `links` (path, target), adds a signature for each file
/// and returns the signed .rpm. rpm's own query must give the signatures back.
pub fn build_signed_package(
    dir: &Path,
    name: &str,
    files: &[PkgFile],
    dirs: &[&str],
    links: &[(&str, &str)],
) -> PathBuf {
    let payload = dir.join(format!("{name}-payload"));
    for f in files {
        let p = payload.join(&f.path[1..]);
        std::fs::create_dir_all(p.parent().unwrap()).unwrap();
        std::fs::write(p, f.content).unwrap();
    }
    for d in dirs {
        std::fs::create_dir_all(payload.join(&d[1..])).unwrap();
    }
    for (l, t) in links {
        std::os::unix::fs::symlink(t, payload.join(&l[1..])).unwrap();
    }
    let mut spec = format!(
        "Name: {name}\nVersion: 1\nRelease: 1\nSummary: test\nLicense: MIT\nBuildArch: noarch\n\
         %description\ntest\n%install\nmkdir -p %{{buildroot}}\ncp -a {}/. %{{buildroot}}/\n%files\n",
        payload.display()
    );
    for d in dirs {
        spec.push_str(&format!("%dir {d}\n"));
    }
    for (l, _) in links {
        spec.push_str(&format!("{l}\n"));
    }
    for f in files {
        spec.push_str(&format!(
            "{}{}\n",
            if f.config { "%config " } else { "" },
            f.path
        ));
    }
    let spec_path = dir.join(format!("{name}.spec"));
    std::fs::write(&spec_path, spec).unwrap();
    let top = dir.join(format!("{name}-top"));
    ok(
        run(Command::new("rpmbuild")
            .args(["-bb", "--nodeps", "--define"])
            .arg(format!("_topdir {}", top.display()))
            .arg(&spec_path)),
        "rpmbuild",
    );
    let built = top.join(format!("RPMS/noarch/{name}-1-1.noarch.rpm"));
    // The header's file order, from rpm.
    let names = stdout(&ok(
        run(Command::new("rpm")
            .args(["-qp", "--qf", "[%{FILENAMES}\\n]"])
            .arg(&built)),
        "rpm -qp",
    ));
    let sigs: Vec<String> = names
        .lines()
        .map(|n| match files.iter().find(|f| f.path == n) {
            Some(f) => hex(&signature_of(dir, f.content)),
            None => String::new(),
        })
        .collect();
    let max = sigs.iter().map(|s| s.len() as u32 / 2).max().unwrap();
    let signed = dir.join(format!("{name}-signed.rpm"));
    std::fs::write(
        &signed,
        add_file_signatures(&std::fs::read(&built).unwrap(), &sigs, max),
    )
    .unwrap();
    // rpm reads them back as FILESIGNATURES.
    let q = stdout(&ok(
        run(Command::new("rpm")
            .args(["-qp", "--qf", "[%{FILENAMES}|%{FILESIGNATURES}\\n]"])
            .arg(&signed)),
        "rpm -qp FILESIGNATURES",
    ));
    for ((name, sig), line) in names.lines().zip(&sigs).zip(q.lines()) {
        assert_eq!(line, format!("{name}|{sig}"), "{q}");
    }
    signed
}

/// Installs `rpm` into `root` (made a fresh rpm root), without scripts or dependencies.
pub fn install(root: &Path, rpm: &Path) {
    std::fs::create_dir_all(root).unwrap();
    ok(
        run(Command::new("rpm").arg("--root").arg(root).arg("--initdb")),
        "rpm --initdb",
    );
    ok(
        run(Command::new("rpm")
            .arg("--root")
            .arg(root)
            .args(["--nodeps", "--noscripts", "--ignoresize", "-i"])
            .arg(rpm)),
        "rpm -i",
    );
}

/// Adds file signatures to a built package the way rpmsign --signfiles stores them:
/// RPMSIGTAG_FILESIGNATURES (274, a string array of hex security.ima values, one per file in
/// header order, "" for none) and RPMSIGTAG_FILESIGNATURELENGTH (275, int32) in the
/// signature header. Debian's rpmsign has no --signfiles (rpm is built without libimaevm),
/// so the test writes the tags itself: the lead, the main header and the payload are kept
/// byte for byte, so the header and payload digests still hold.
pub fn add_file_signatures(rpm: &[u8], sigs_hex: &[String], max_len: u32) -> Vec<u8> {
    const MAGIC: [u8; 8] = [0x8e, 0xad, 0xe8, 0x01, 0, 0, 0, 0];
    let be32 = |b: &[u8], at: usize| u32::from_be_bytes(b[at..at + 4].try_into().unwrap());
    let lead = 96;
    assert_eq!(
        rpm[lead..lead + 8],
        MAGIC,
        "no signature header after the lead"
    );
    let il = be32(rpm, lead + 8) as usize;
    let dl = be32(rpm, lead + 12) as usize;
    let index_at = lead + 16;
    let data_at = index_at + il * 16;
    let data = &rpm[data_at..data_at + dl];
    let sig_end = data_at + dl;
    let main_at = sig_end + (8 - sig_end % 8) % 8;
    // (tag, type, count, bytes) of each entry but the region, with its data.
    struct Entry {
        tag: u32,
        ty: u32,
        count: u32,
        bytes: Vec<u8>,
    }
    let size_of = |ty: u32, count: u32, from: &[u8]| -> usize {
        match ty {
            0 => 0,
            1 | 2 | 7 => count as usize,
            3 => 2 * count as usize,
            4 => 4 * count as usize,
            5 => 8 * count as usize,
            6 | 8 | 9 => {
                let mut n = 0;
                let mut left = if ty == 6 { 1 } else { count };
                while left > 0 {
                    n += from[n..].iter().position(|&b| b == 0).unwrap() + 1;
                    left -= 1;
                }
                n
            }
            _ => panic!("header type {ty}"),
        }
    };
    let mut region = None;
    let mut entries = Vec::new();
    for i in 0..il {
        let e = &rpm[index_at + i * 16..index_at + i * 16 + 16];
        let (tag, ty, off, count) = (be32(e, 0), be32(e, 4), be32(e, 8) as usize, be32(e, 12));
        if tag == 62 {
            region = Some(tag);
            continue;
        }
        assert!(
            tag != 274 && tag != 275,
            "the package has file signatures already"
        );
        let len = size_of(ty, count, &data[off..]);
        entries.push(Entry {
            tag,
            ty,
            count,
            bytes: data[off..off + len].to_vec(),
        });
    }
    assert!(region.is_some(), "no signature header region (tag 62)");
    let mut strings = Vec::new();
    for s in sigs_hex {
        strings.extend_from_slice(s.as_bytes());
        strings.push(0);
    }
    entries.push(Entry {
        tag: 274,
        ty: 8,
        count: sigs_hex.len() as u32,
        bytes: strings,
    });
    entries.push(Entry {
        tag: 275,
        ty: 4,
        count: 1,
        bytes: max_len.to_be_bytes().to_vec(),
    });
    entries.sort_by_key(|e| e.tag);
    // The data in index order (rpm wants offsets to grow with the index), aligned per type.
    let mut store = Vec::new();
    let mut index = Vec::new();
    for e in &entries {
        let align = match e.ty {
            3 => 2,
            4 => 4,
            5 => 8,
            _ => 1,
        };
        while !store.len().is_multiple_of(align) {
            store.push(0);
        }
        index.push((e.tag, e.ty, store.len() as u32, e.count));
        store.extend_from_slice(&e.bytes);
    }
    let n = entries.len() + 1;
    let trailer_at = store.len() as u32;
    store.extend_from_slice(&62u32.to_be_bytes());
    store.extend_from_slice(&7u32.to_be_bytes());
    store.extend_from_slice(&(-((n * 16) as i32)).to_be_bytes());
    store.extend_from_slice(&16u32.to_be_bytes());
    let mut out = rpm[..lead].to_vec();
    out.extend_from_slice(&MAGIC);
    out.extend_from_slice(&(n as u32).to_be_bytes());
    out.extend_from_slice(&(store.len() as u32).to_be_bytes());
    for (tag, ty, off, count) in std::iter::once((62, 7, trailer_at, 16)).chain(index) {
        for v in [tag, ty, off, count] {
            out.extend_from_slice(&v.to_be_bytes());
        }
    }
    out.extend_from_slice(&store);
    while !out.len().is_multiple_of(8) {
        out.push(0);
    }
    out.extend_from_slice(&rpm[main_at..]);
    out
}
