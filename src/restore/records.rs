//! Where recorded `security.ima` values come from: rpm's own query of its database or of a
//! package file (FILESIGNATURES, with FILEDIGESTS and FILEDIGESTALGO to check the content
//! first), or `.sig` files written at build time.

use std::path::{Path, PathBuf};
use std::process::Command;

use crate::hash::HashAlgo;

/// One file as a package (or a .sig file) records it.
#[derive(Debug, Clone)]
pub struct Record {
    /// The path on the target system (below the root).
    pub path: PathBuf,
    /// The recorded security.ima value (None: the package has no signature for it).
    pub value: Option<Vec<u8>>,
    /// The recorded digest of the content, when the source has one (rpm: FILEDIGESTS).
    pub digest: Option<(HashAlgo, Vec<u8>)>,
    /// %config (RPMFILE_CONFIG).
    pub config: bool,
    /// "name-version-release.arch", or the .sig file.
    pub origin: String,
}

/// Which packages to read.
pub enum RpmSource<'a> {
    /// The installed packages named, or all of them.
    Database(&'a [String]),
    /// A package file.
    File(&'a Path),
    /// The installed package that owns this path (rpm -qf).
    Owner(&'a Path),
}

/// rpm's digest algorithm numbers (OpenPGP hash ids) as ours.
fn pgp_hash(id: &str) -> Option<HashAlgo> {
    Some(match id {
        // Packages without FILEDIGESTALGO use MD5.
        "1" | "(none)" | "" => HashAlgo::Md5,
        "2" => HashAlgo::Sha1,
        "8" => HashAlgo::Sha256,
        "9" => HashAlgo::Sha384,
        "10" => HashAlgo::Sha512,
        "11" => HashAlgo::Sha224,
        _ => return None,
    })
}

fn unhex(s: &str) -> Option<Vec<u8>> {
    if !s.len().is_multiple_of(2) {
        return None;
    }
    (0..s.len())
        .step_by(2)
        .map(|i| u8::from_str_radix(s.get(i..i + 2)?, 16).ok())
        .collect()
}

const QUERY_FORMAT: &str = "[%{FILENAMES}\\t%{FILESIGNATURES}\\t%{=FILEDIGESTALGO}\\t%{FILEDIGESTS}\\t%{FILEFLAGS}\\t%{=NEVRA}\\n]";

/// Parses one line of [`QUERY_FORMAT`].
fn parse_line(line: &str) -> Result<Record, String> {
    let f: Vec<&str> = line.split('\t').collect();
    let [name, sig, algo, digest, flags, nevra] = f[..] else {
        return Err(format!("unexpected rpm output: {line}"));
    };
    let value = match sig {
        "(none)" | "" => None,
        hex => Some(unhex(hex).ok_or_else(|| format!("{name}: FILESIGNATURES is not hex: {hex}"))?),
    };
    let digest = match digest {
        "" | "(none)" => None,
        hex => {
            let a =
                pgp_hash(algo).ok_or_else(|| format!("{nevra}: unknown FILEDIGESTALGO {algo}"))?;
            Some((
                a,
                unhex(hex).ok_or_else(|| format!("{name}: FILEDIGESTS is not hex: {hex}"))?,
            ))
        }
    };
    let flags: u32 = flags
        .parse()
        .map_err(|_| format!("{name}: FILEFLAGS {flags}"))?;
    Ok(Record {
        path: PathBuf::from(name),
        value,
        digest,
        config: flags & 1 != 0,
        origin: nevra.to_string(),
    })
}

/// Asks rpm (with `--root` when it is not /) for the files of `source`.
pub fn from_rpm(root: &Path, source: RpmSource) -> Result<Vec<Record>, String> {
    let mut cmd = Command::new("rpm");
    if root != Path::new("/") {
        cmd.arg("--root").arg(root);
    }
    match source {
        RpmSource::Database([]) => {
            cmd.arg("-qa");
        }
        RpmSource::Database(names) => {
            cmd.arg("-q").args(names);
        }
        RpmSource::File(f) => {
            cmd.arg("-qp").arg(f);
        }
        RpmSource::Owner(p) => {
            cmd.arg("-qf").arg(p);
        }
    }
    cmd.arg("--qf").arg(QUERY_FORMAT);
    let out = cmd
        .stdin(std::process::Stdio::null())
        .output()
        .map_err(|e| format!("cannot run rpm: {}", crate::error::io_words(&e)))?;
    if !out.status.success() {
        let err = String::from_utf8_lossy(&out.stderr);
        let out_text = String::from_utf8_lossy(&out.stdout);
        return Err(format!(
            "rpm failed ({}): {}{}",
            out.status,
            err.trim(),
            out_text.trim()
        ));
    }
    String::from_utf8_lossy(&out.stdout)
        .lines()
        .filter(|l| !l.is_empty())
        .map(parse_line)
        .collect()
}

/// The records of `.sig` files: FILE's value in FILE.sig (paths on the target system).
pub fn from_sigfiles(root: &Path, files: &[PathBuf]) -> Vec<Result<Record, String>> {
    files
        .iter()
        .map(|f| {
            let host = crate::kernel_hook::config::under(root, f);
            let sig = crate::fsops::sig_path(&host);
            let value = crate::fsops::read_sig_file(&host, &sig).map_err(|e| e.to_string())?;
            Ok(Record {
                path: f.clone(),
                value: Some(value),
                digest: None,
                config: false,
                origin: sig.display().to_string(),
            })
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_query_line_is_parsed_and_bad_ones_are_named() {
        let r = parse_line("/opt/a\t0302\t8\t0a0b\t1\tp-1-1.noarch").unwrap();
        assert_eq!(r.value.as_deref(), Some(&[3u8, 2][..]));
        assert_eq!(r.digest, Some((HashAlgo::Sha256, vec![10, 11])));
        assert!(r.config);
        let none = parse_line("/opt\t(none)\t8\t\t0\tp-1-1.noarch").unwrap();
        assert!(none.value.is_none() && none.digest.is_none());
        assert!(parse_line("/opt/a\tzz\t8\t0a\t0\tp")
            .unwrap_err()
            .contains("not hex"));
        assert!(parse_line("garbage").is_err());
    }
}
