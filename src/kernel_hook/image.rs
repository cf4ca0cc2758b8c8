//! Which file kexec and kdump will load for a kernel version, found the way kdumpctl
//! (`prepare_kdump_kernel`) and kdump-config do, and where its signature may come from.

use std::path::{Path, PathBuf};

use super::config::under;

/// The directories kdumpctl searches (its KDUMP_BOOTDIR default), relative to the root.
pub const BOOT_DIRS: &[&str] = &["boot", "boot/efi", "efi", ""];

/// The image kdump will load and how it was found.
#[derive(Debug, Clone)]
pub struct Target {
    pub path: PathBuf,
    /// "vmlinuz", "BLS entry loader/entries/x.conf", "entry directory", "UKI".
    pub kind: String,
}

fn is_file(p: &Path) -> bool {
    std::fs::symlink_metadata(p).is_ok_and(|m| m.file_type().is_file())
}

/// The `linux` path of the BLS entries in `dir/loader/entries` for `version`: an entry
/// whose `version` line is `version`, or whose file name ends in `-VERSION.conf`.
fn bls_entries(root: &Path, dir: &str, version: &str) -> Vec<(PathBuf, String)> {
    let base = root.join(dir);
    let entries = base.join("loader/entries");
    let Ok(rd) = std::fs::read_dir(&entries) else {
        return Vec::new();
    };
    let mut names: Vec<PathBuf> = rd
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| p.extension().is_some_and(|x| x == "conf"))
        .collect();
    names.sort();
    let mut out = Vec::new();
    for conf in names {
        let Ok(text) = crate::input::read_input_string(&conf, crate::input::InputKind::Policy)
        else {
            continue;
        };
        let field = |key: &str| {
            text.lines().find_map(|l| {
                let (k, v) = l.trim().split_once(char::is_whitespace)?;
                (k == key).then(|| v.trim().to_string())
            })
        };
        let file_name = conf.file_name().unwrap_or_default().to_string_lossy();
        let matches = field("version").as_deref() == Some(version)
            || file_name.ends_with(&format!("-{version}.conf"));
        if let (true, Some(linux)) = (matches, field("linux")) {
            let rel = conf
                .strip_prefix(&base)
                .unwrap_or(&conf)
                .display()
                .to_string();
            out.push((under(&base, Path::new(&linux)), format!("BLS entry {rel}")));
        }
    }
    out
}

/// UKIs for `version` in `dir/EFI/Linux`: `*-VERSION.efi` or `*-VERSION+TRIES.efi`.
fn ukis(root: &Path, dir: &str, version: &str) -> Vec<PathBuf> {
    let Ok(rd) = std::fs::read_dir(root.join(dir).join("EFI/Linux")) else {
        return Vec::new();
    };
    let mut v: Vec<PathBuf> = rd
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| {
            let n = p.file_name().unwrap_or_default().to_string_lossy();
            let stem = n.strip_suffix(".efi").unwrap_or("");
            let stem = stem.split('+').next().unwrap_or("");
            stem.ends_with(&format!("-{version}"))
        })
        .collect();
    v.sort();
    v
}

/// Finds the image for `version` below `root`, in kdumpctl's order: `vmlinuz-VERSION` in
/// each boot directory, then a BLS entry's `linux` (loader/entries, or ENTRY_DIR/linux from
/// kernel-install), then a UKI.
pub fn find_target(root: &Path, version: &str, entry_dir: Option<&Path>) -> Option<Target> {
    let mut found: Vec<(PathBuf, String)> = BOOT_DIRS
        .iter()
        .map(|d| {
            (
                root.join(d).join(format!("vmlinuz-{version}")),
                "vmlinuz".to_string(),
            )
        })
        .collect();
    for d in BOOT_DIRS {
        found.extend(bls_entries(root, d, version));
    }
    if let Some(e) = entry_dir {
        found.push((under(root, e).join("linux"), "entry directory".into()));
    }
    for d in BOOT_DIRS {
        found.extend(
            ukis(root, d, version)
                .into_iter()
                .map(|p| (p, "UKI".into())),
        );
    }
    found
        .into_iter()
        .find(|(p, _)| is_file(p))
        .map(|(path, kind)| Target { path, kind })
}

/// Where the image's signature may be copied from: the image kernel-install or the
/// Debian hook was given, then the package's copy in /lib/modules/VERSION/vmlinuz.
/// The target itself is left out.
pub fn sources(root: &Path, version: &str, given: Option<&Path>, target: &Path) -> Vec<PathBuf> {
    let mut v: Vec<PathBuf> = given.map(|g| under(root, g)).into_iter().collect();
    for d in ["lib/modules", "usr/lib/modules"] {
        v.push(root.join(d).join(version).join("vmlinuz"));
    }
    let same = |a: &Path, b: &Path| {
        use std::os::unix::fs::MetadataExt;
        match (std::fs::metadata(a), std::fs::metadata(b)) {
            (Ok(x), Ok(y)) => x.dev() == y.dev() && x.ino() == y.ino(),
            _ => false,
        }
    };
    let mut out: Vec<PathBuf> = Vec::new();
    for p in v {
        if is_file(&p) && !same(&p, target) && !out.iter().any(|o| same(o, &p)) {
            out.push(p);
        }
    }
    out
}

/// The IMA certificates below `root`: every regular file in etc/keys/ima not starting with
/// a dot (dracut's IMAKEYSDIR), and etc/keys/x509_ima.der.
pub fn key_files(root: &Path) -> Vec<PathBuf> {
    let mut v: Vec<PathBuf> = std::fs::read_dir(root.join("etc/keys/ima"))
        .map(|rd| {
            rd.filter_map(|e| e.ok().map(|e| e.path()))
                .filter(|p| {
                    !p.file_name()
                        .unwrap_or_default()
                        .to_string_lossy()
                        .starts_with('.')
                        && is_file(p)
                })
                .collect()
        })
        .unwrap_or_default();
    v.sort();
    let kernel = root.join("etc/keys/x509_ima.der");
    if is_file(&kernel) {
        v.push(kernel);
    }
    v
}
