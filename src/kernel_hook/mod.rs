//! The kernel-update hook: after a kernel is installed, make sure the image kexec and kdump
//! will load carries an IMA signature the kernel accepts, or say plainly that it does not.
//!
//! One decision for every wrapper (the kernel-install plugin, Debian's postinst.d hook):
//! 1. find the image as kdumpctl does ([`image::find_target`]); a compressed image (gzip,
//!    xz, lzma, zstd, EFI zboot, by its content: [`crate::status::compressed`]) is left as
//!    it is with a warning: kexec-tools hands `kexec_file_load` a decompressed copy without
//!    `security.ima`, so no signature on it protects kexec or kdump;
//! 2. it verifies (security.ima or an appended signature) with a key in the IMA keyring or
//!    in /etc/keys/ima: OK;
//! 3. else a source image (/lib/modules/VERSION/vmlinuz, the image given) carries a
//!    signature over the same content (the digests are compared first) that verifies, or
//!    the rpm database records one for /lib/modules/VERSION/vmlinuz whose FILEDIGESTS is
//!    the image's: it is copied;
//! 4. else a local key is configured ([`config`]): the image is signed, as security.ima, or
//!    as an appended signature where the filesystem holds no xattrs (vfat);
//! 5. else one paragraph says what kdump will do at the next boot and how to fix it.
//!
//! Nothing prompts. The caller exits 0 unless the configuration asks for strictness, or a
//! configuration file named explicitly ([`Request::config`]) cannot be used.

pub mod config;
pub mod image;
pub mod keys;

use std::path::{Path, PathBuf};

use crate::format::ima::ImaValue;
use crate::fsops::{self, FileError, FileErrorKind, OpenFile, ValueSource};
use crate::keys::Certificate;
use keys::{trust_keys, verify_value, TrustKeys};

const IMA: &str = "security.ima";

/// What `imactl kernel-hook add` was asked.
pub struct Request {
    /// The root of the system (/ unless testing or installing into another root).
    pub root: PathBuf,
    pub version: String,
    /// The image kernel-install or the Debian hook names (a path on the target system).
    pub image: Option<PathBuf>,
    /// kernel-install's ENTRY_DIR (a path on the target system).
    pub entry_dir: Option<PathBuf>,
    /// The configuration file (a host path); None: etc/imaevm/kernel-hook.conf below root.
    pub config: Option<PathBuf>,
    /// --strict: as `strict = yes` in the configuration.
    pub strict: bool,
}

/// How it ended.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Outcome {
    /// The image carried a valid signature already.
    Ok,
    /// A valid signature was copied from a source image.
    Copied,
    /// The image was signed with the local key.
    Signed,
    /// The image is left without a valid signature (the warning says why).
    Unsigned,
    /// No image for this version was found.
    NoImage,
    /// The image is compressed: no signature on it counts for kexec (the warning says why).
    Compressed,
}

/// The hook's result: lines for people, and whether the run failed under strictness.
pub struct Report {
    pub outcome: Outcome,
    pub lines: Vec<String>,
    pub strict: bool,
}

impl Report {
    /// The run fails only when strictness was asked and the image is not left signed.
    pub fn failed(&self) -> bool {
        self.strict
            && !matches!(
                self.outcome,
                Outcome::Ok | Outcome::Copied | Outcome::Signed
            )
    }
}

fn is_unsupported(e: &FileError) -> bool {
    matches!(&e.what, FileErrorKind::SetXattr(_, io) | FileErrorKind::GetXattr(_, io)
        if io.raw_os_error() == Some(libc::EOPNOTSUPP))
}

/// The compression of the image, by its first bytes (None: not compressed, or unreadable:
/// the checks that follow name an unreadable file).
fn compression(target: &Path) -> Option<crate::status::compressed::Compression> {
    use std::os::unix::fs::FileExt;
    let file = OpenFile::open(target).ok()?;
    let mut head = [0u8; 64];
    let mut n = 0;
    while n < head.len() {
        match file.file().read_at(&mut head[n..], n as u64) {
            Ok(0) => break,
            Ok(k) => n += k,
            Err(e) if e.kind() == std::io::ErrorKind::Interrupted => {}
            Err(_) => return None,
        }
    }
    crate::status::compressed::detect(&head[..n])
}

/// The paragraph for a compressed image: nothing is signed, and why.
fn compressed_warning(
    target: &Path,
    version: &str,
    c: &crate::status::compressed::Compression,
) -> String {
    format!(
        "warning: {t} is {w}: kexec-tools decompresses it and hands kexec_file_load the \
decompressed copy (a temporary file or a memfd), or cannot load it at all; IMA appraises that \
copy, which has no security.ima, so no signature on {t} protects kexec or kdump of kernel \
{version}: wherever the IMA policy appraises KEXEC_KERNEL_CHECK, kexec -s -l and kdump's \
kexec -s -p are refused (\"Permission denied\", or \"Cannot determine the file type\" where \
kexec-tools cannot decompress it). Nothing was changed. To fix it, install the uncompressed \
image (on arm64 the Image; for gzip: gunzip -c {t} >/boot/Image-{version}), sign that \
(evmctl ima_sign --key KEY FILE) and have kdump load it (KDUMP_KERNEL or KDUMP_BOOTDIR); \
imactl status --kexec FILE predicts the result.",
        t = target.display(),
        w = c.words(),
    )
}

/// Whether the image carries a valid signature now: Ok(description) or Err(reasons).
fn check(target: &Path, keys: &TrustKeys) -> Result<String, Vec<String>> {
    let mut why = Vec::new();
    let file = OpenFile::open(target).map_err(|e| vec![e.to_string()])?;
    match fsops::read_value(&file, ValueSource::Xattr(IMA)) {
        Ok(Some(value)) => match verify_value(&file, Some(&value), keys) {
            Ok(v) => return Ok(format!("security.ima {v}")),
            Err(w) => why.push(format!("its security.ima does not verify: {w}")),
        },
        Ok(None) => why.push("it has no security.ima".into()),
        Err(e) if is_unsupported(&e) => {
            why.push("its filesystem holds no extended attributes (no security.ima)".into())
        }
        Err(e) => why.push(e.to_string()),
    }
    match crate::modsig_file::verify(target, &keys.cert_list) {
        Ok(i) => {
            return Ok(format!(
                "appended signature OK ({}, signed by {})",
                i.hash, i.issuer
            ))
        }
        Err(crate::modsig::ModsigError::NotSigned) => why.push("no appended signature".into()),
        Err(e) => why.push(format!("its appended signature does not verify: {e}")),
    }
    Err(why)
}

/// Step 3: copy a valid signature from a source image over the same content.
fn copy_from_sources(
    target: &Path,
    sources: &[PathBuf],
    keys: &TrustKeys,
    notes: &mut Vec<String>,
) -> Option<String> {
    let tfile = OpenFile::open(target).ok()?;
    for src in sources {
        let s = src.display();
        let Ok(sfile) = OpenFile::open(src) else {
            continue;
        };
        let value = match fsops::read_value(&sfile, ValueSource::Xattr(IMA)) {
            Ok(Some(v)) => v,
            Ok(None) => {
                notes.push(format!("{s} has no security.ima to copy"));
                continue;
            }
            Err(e) => {
                notes.push(e.to_string());
                continue;
            }
        };
        let algo = match ImaValue::parse(&value) {
            Ok(ImaValue::Signature(sig)) => sig.hash_algo(),
            _ => {
                notes.push(format!("{s}: its security.ima is not a signature"));
                continue;
            }
        };
        let Some(algo) = algo else {
            notes.push(format!(
                "{s}: its signature names an unknown hash algorithm"
            ));
            continue;
        };
        // The digests first: a signature over other content is never copied.
        match (sfile.digest(algo), tfile.digest(algo)) {
            (Ok(a), Ok(b)) if a == b => {}
            (Ok(_), Ok(_)) => {
                notes.push(format!(
                    "{s} is signed but its content differs from the image ({} digests differ): not copied",
                    algo.name()
                ));
                continue;
            }
            (Err(e), _) | (_, Err(e)) => {
                notes.push(e.to_string());
                continue;
            }
        }
        if let Err(w) = verify_value(&tfile, Some(&value), keys) {
            notes.push(format!(
                "{s} carries a signature over the same content, but it does not verify: {w}"
            ));
            continue;
        }
        match tfile.set_xattr(IMA, &value) {
            Ok(()) => {
                return Some(format!(
                    "copied the signature of {s} (same {} digest)",
                    algo.name()
                ))
            }
            Err(e) => notes.push(format!("cannot copy the signature of {s}: {e}")),
        }
    }
    None
}

/// Step 3, from the package: the signature the rpm database records for the source image
/// (/lib/modules/VERSION/vmlinuz), when the recorded digest is the image's.
fn copy_from_package(
    root: &Path,
    version: &str,
    target: &Path,
    keys: &TrustKeys,
    notes: &mut Vec<String>,
) -> Option<String> {
    let has_rpm = std::env::var_os("PATH")
        .is_some_and(|p| std::env::split_paths(&p).any(|d| d.join("rpm").is_file()));
    if !has_rpm {
        return None;
    }
    let tfile = OpenFile::open(target).ok()?;
    for dir in ["/lib/modules", "/usr/lib/modules"] {
        let src = PathBuf::from(format!("{dir}/{version}/vmlinuz"));
        let source = crate::restore::RpmSource::Owner(&src);
        let Ok(recs) = crate::restore::records::from_rpm(root, source) else {
            continue;
        };
        let Some(rec) = recs.into_iter().find(|r| r.path == src) else {
            continue;
        };
        let s = format!("the signature {} records for {}", rec.origin, src.display());
        let (Some(value), Some((algo, want))) = (&rec.value, &rec.digest) else {
            notes.push(format!(
                "{} records no signature for {}",
                rec.origin,
                src.display()
            ));
            continue;
        };
        // The digests first: a signature over other content is never copied.
        match tfile.digest(*algo) {
            Ok(d) if &d == want => {}
            Ok(_) => {
                notes.push(format!(
                    "{s} is for other content ({} digests differ): not copied",
                    algo.name()
                ));
                continue;
            }
            Err(e) => {
                notes.push(e.to_string());
                continue;
            }
        }
        if let Err(w) = verify_value(&tfile, Some(value), keys) {
            notes.push(format!(
                "{s} covers the same content, but it does not verify: {w}"
            ));
            continue;
        }
        match tfile.set_xattr(IMA, value) {
            Ok(()) => return Some(format!("copied {s} (same {} digest)", algo.name())),
            Err(e) => notes.push(format!("cannot copy {s}: {e}")),
        }
    }
    None
}

/// Step 4: sign with the configured key; Ok(what was done) or Err(why not).
fn sign_locally(target: &Path, cfg: &config::Config) -> Result<String, String> {
    let Some(key) = &cfg.key else {
        return Err("no local signing key is configured".into());
    };
    let choice = match &cfg.cert {
        Some(c) => crate::sign::KeyidChoice::FromCertificate(c.clone()),
        None => crate::sign::KeyidChoice::Default,
    };
    // Never a prompt: a key that needs a password or PIN cannot be used here.
    let signer =
        crate::keyref::open(key, None, &choice, cfg.pkcs11_module.as_deref()).map_err(|e| {
            // The key file's own errors name it already: the path once.
            if e.names_key() {
                format!("the configured key cannot be used: {e}")
            } else {
                format!("the configured key {} cannot be used: {e}", key.display())
            }
        })?;
    let file = OpenFile::open(target).map_err(|e| e.to_string())?;
    let to = crate::ops::Target {
        xattr: Some(IMA),
        sigfile: false,
    };
    let err = match crate::ops::sign_file(
        &file,
        &signer,
        crate::sign::Scheme::V2,
        cfg.hash,
        to,
        &mut |_| {},
    ) {
        Ok(()) => {
            return Ok(format!(
                "signed with {} (security.ima, {})",
                key.display(),
                cfg.hash.name()
            ))
        }
        Err(crate::ops::OpError::File(e)) if is_unsupported(&e) => e,
        Err(e) => return Err(format!("signing with {} failed: {e}", key.display())),
    };
    drop(file);
    // No xattrs here (vfat): an appended signature, which needs the certificate.
    let Some(cert_path) = &cfg.cert else {
        return Err(format!(
            "{err}; an appended signature needs cert = in the configuration"
        ));
    };
    let cert = Certificate::load(cert_path).map_err(|e| e.to_string())?;
    if crate::modsig_file::verify(target, &[])
        .is_err_and(|e| !matches!(e, crate::modsig::ModsigError::NotSigned))
    {
        // An appended signature that does not verify is replaced.
        crate::modsig_file::remove(target, target)
            .map_err(|e| format!("{}: {e}", target.display()))?;
    }
    crate::modsig_file::sign(target, target, &signer, &cert, cfg.hash)
        .map_err(|e| format!("{}: {e}", target.display()))?;
    Ok(format!(
        "signed with {} as an appended signature ({}; the filesystem holds no xattrs)",
        key.display(),
        cfg.hash.name()
    ))
}

/// The one paragraph for an image left without a valid signature.
fn warning(
    target: &Path,
    version: &str,
    keys: &TrustKeys,
    reasons: &[String],
    cfg_path: &Path,
) -> String {
    format!(
        "warning: {t} carries no IMA signature that verifies with a key in {k} ({r}). \
Nothing fails now: kdump loads this kernel at the next boot of kernel {version}, and then \
kexec_file_load will refuse it with \"Permission denied\" wherever the IMA policy appraises \
KEXEC_KERNEL_CHECK (kdump.service or kdump-tools fails, and no crash dump can be taken); \
kexec -s -l of this image is refused the same way. To fix it, sign the image with a key \
whose certificate is in /etc/keys/ima and the IMA keyring (evmctl ima_sign --key KEY {t}, \
or imactl modsig sign --key KEY --cert CERT {t} where the filesystem holds no xattrs), or \
set key = and cert = in {c} and run imactl kernel-hook add {version} again; \
imactl verify {t} checks the result.",
        t = target.display(),
        k = keys.described,
        r = reasons.join("; "),
        c = cfg_path.display(),
    )
}

/// `kernel-hook add`: steps 1 to 5 of the module comment. A configuration file named in
/// the request ([`Request::config`]) that cannot be used is an error: nothing is done.
/// The default one may be absent (the defaults apply); when it is there and cannot be
/// used, it is named, ignored, and nothing is changed.
pub fn add(req: &Request) -> Result<Report, config::ConfigError> {
    let mut lines = Vec::new();
    let (cfg_path, cfg) = match &req.config {
        Some(p) => (p.clone(), Some(config::read(&req.root, p)?)),
        None => {
            let p = req.root.join(config::CONFIG_PATH);
            let cfg = match config::read_default(&req.root, &p) {
                Ok(c) => Some(c),
                Err(e) => {
                    lines.push(format!(
                        "error: {e}; the configuration is ignored and nothing is changed"
                    ));
                    None
                }
            };
            (p, cfg)
        }
    };
    let strict = req.strict || cfg.as_ref().is_some_and(|c| c.strict);
    let report = |outcome, lines| -> Result<Report, config::ConfigError> {
        Ok(Report {
            outcome,
            lines,
            strict,
        })
    };
    let Some(target) = image::find_target(&req.root, &req.version, req.entry_dir.as_deref()) else {
        let dirs: Vec<String> = image::BOOT_DIRS
            .iter()
            .map(|d| req.root.join(d).display().to_string())
            .collect();
        lines.push(format!(
            "warning: no image for kernel {} in {} (vmlinuz-{}, a BLS entry's linux, a UKI): \
nothing to check. If kdump loads this kernel from elsewhere (KDUMP_BOOTDIR, KDUMP_KERNEL), \
check that file with imactl verify.",
            req.version,
            dirs.join(", "),
            req.version
        ));
        return report(Outcome::NoImage, lines);
    };
    let t = target.path.display().to_string();
    if let Some(c) = compression(&target.path) {
        lines.push(compressed_warning(&target.path, &req.version, &c));
        return report(Outcome::Compressed, lines);
    }
    let keys = trust_keys(&req.root);
    let reasons = match check(&target.path, &keys) {
        Ok(how) => {
            lines.push(format!(
                "{t} ({}): OK, {how}; kexec and kdump can load it",
                target.kind
            ));
            return report(Outcome::Ok, lines);
        }
        Err(r) => r,
    };
    lines.push(format!(
        "{t} ({}): no valid IMA signature: {}",
        target.kind,
        reasons.join("; ")
    ));
    let mut notes = Vec::new();
    if let Some(cfg) = &cfg {
        let sources = image::sources(&req.root, &req.version, req.image.as_deref(), &target.path);
        let copied = copy_from_sources(&target.path, &sources, &keys, &mut notes).or_else(|| {
            copy_from_package(&req.root, &req.version, &target.path, &keys, &mut notes)
        });
        if let Some(done) = copied {
            lines.push(format!("{t}: {done}; kexec and kdump can load it"));
            return report(Outcome::Copied, lines);
        }
        match sign_locally(&target.path, cfg) {
            Ok(done) => match check(&target.path, &keys) {
                Ok(how) => {
                    lines.push(format!("{t}: {done}; {how}; kexec and kdump can load it"));
                    return report(Outcome::Signed, lines);
                }
                Err(r) => {
                    lines.push(format!("{t}: {done}"));
                    notes.push(format!(
                        "the local key's signature does not verify with the trusted keys ({})",
                        r.join("; ")
                    ));
                }
            },
            Err(why) => notes.push(why),
        }
    }
    let mut all = reasons;
    all.extend(notes);
    lines.push(warning(&target.path, &req.version, &keys, &all, &cfg_path));
    report(Outcome::Unsigned, lines)
}

/// `kernel-hook remove`: the image is going away with its signature; nothing is kept about
/// it. The only thing worth saying is when it is the running kernel's, which kdump loads.
pub fn remove(root: &Path, version: &str, running: Option<&str>) -> Vec<String> {
    let mut lines = vec![format!(
        "kernel {version} removed: its image and signature go with it; imactl keeps no record to update"
    )];
    if root == Path::new("/") && running == Some(version) {
        lines.push(format!(
            "warning: {version} is the running kernel, whose image kdump loads: a restart of \
kdump (kdumpctl restart, kdump-config reload) will fail until the next boot into an installed kernel"
        ));
    }
    lines
}
