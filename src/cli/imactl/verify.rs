//! `imactl verify FILE...`: the kernel's own answer for each file's IMA signature, with
//! the keys in the IMA keyring, without loading a policy or anything else. This is what a
//! person wants after "kexec_file_load failed: Permission denied".

use super::exit::{EXIT_FAIL, EXIT_OK};
use std::io::Write;
use std::path::{Path, PathBuf};

use clap::Args;

use crate::fsops::{self, OpenFile, ValueSource, XattrNamespace};
use crate::hash::to_hex;
use crate::keyring;
use crate::verify::{Verdict, Verifier, VerifyError};

#[derive(Args, Debug)]
#[command(
    after_help = "Each file gets one verdict, in the words of the kernel's audit log \
where one applies: OK; no signature; IMA-signature-required (a hash, not a signature); \
unknown key id:xxxxxxxx; invalid-signature; unavailable hash algorithm NAME; \
no-verity-digest (an fs-verity signature, sigv3, on a file without fs-verity); not checked \
(a value or key this command cannot check, with the reason). An fs-verity signature is \
checked against the file's fs-verity digest, as under a digest_type=verity rule.\n\n\
Exit status: 0 when every file verifies, 1 otherwise."
)]
pub struct VerifyArgs {
    /// Files to check (with --packages: installed package names, none for all).
    #[arg(required_unless_present = "packages", value_name = "FILE")]
    pub files: Vec<PathBuf>,
    /// An rpm -V for IMA: check every file of the installed packages named (all when none)
    /// against the package's signature (FILESIGNATURES), with the certificates in
    /// /etc/keys/ima and the IMA keyring. Exit status 1 when a file is missing its value,
    /// carries another one, or its signature is bad or from an unknown key.
    #[arg(long, conflicts_with = "sigfile")]
    pub packages: bool,
    /// With --packages: the system below DIR (rpm --root DIR; its etc/keys/ima).
    #[arg(long, value_name = "DIR", requires = "packages")]
    pub root: Option<PathBuf>,
    #[command(flatten)]
    pub keyring: super::key::KeyringOpt,
    /// Read the signature from FILE.sig instead of security.ima.
    #[arg(long)]
    pub sigfile: bool,
    /// Print JSON: {"keyring": {...}, "files": [{file, ok, verdict, reason, keyid,
    /// key_serial, hash}]}.
    #[arg(long)]
    pub json: bool,
}

/// One file's result: a verdict, or why it could not be asked.
enum Outcome {
    Verdict(Verdict),
    Error(String),
}

/// A file error without the leading "PATH: " (the row names the file already).
fn file_error(path: &Path, e: &fsops::FileError) -> String {
    let s = e.to_string();
    let prefix = format!("{}: ", path.display());
    s.strip_prefix(&prefix).map(str::to_string).unwrap_or(s)
}

fn check_file(path: &Path, sigfile: bool, verifier: &Verifier) -> Outcome {
    let file = match OpenFile::open(path) {
        Ok(f) => f,
        Err(e) => return Outcome::Error(file_error(path, &e)),
    };
    let sig = fsops::sig_path(path);
    let source = if sigfile {
        ValueSource::SigFile(&sig)
    } else {
        ValueSource::Xattr(XattrNamespace::Security.ima())
    };
    match verifier.verify_file(&file, source) {
        Ok(v) => Outcome::Verdict(v),
        Err(VerifyError::Input(e)) => Outcome::Error(file_error(path, &e)),
        Err(e) => Outcome::Error(e.to_string()),
    }
}

/// The verifier `imactl verify` uses: the keyring `spec` names, with `.ima_blacklist`
/// when it is IMA's; without that keyring, a verifier without keys (files without a
/// signature or with a hash are still judged) and why (already said on stderr when
/// `say` is true).
pub(crate) fn keyring_verifier(
    spec: &keyring::KeyringSpec,
    say: bool,
) -> (Verifier, Option<keyring::Keyring>) {
    match crate::verify::keyring_verifier(spec) {
        (verifier, Ok(ring)) => (verifier, Some(ring)),
        (verifier, Err(why)) => {
            if say {
                eprintln!("imactl: {why}");
            }
            (verifier, None)
        }
    }
}

pub fn run(a: VerifyArgs) -> i32 {
    if a.packages {
        return super::verify_packages::run(a.root.as_deref(), &a.files, a.json);
    }
    let (verifier, ring) = keyring_verifier(&a.keyring.keyring, true);
    let mut all_ok = true;
    let mut rows = Vec::new();
    let mut stdout = std::io::stdout().lock();
    for path in &a.files {
        let outcome = check_file(path, a.sigfile, &verifier);
        all_ok &= matches!(&outcome, Outcome::Verdict(v) if v.is_ok());
        if a.json {
            rows.push(match &outcome {
                Outcome::Verdict(v) => {
                    let (serial, hash) = match v {
                        Verdict::Ok { serial, hash, .. } => (*serial, Some(hash.name())),
                        _ => (None, None),
                    };
                    serde_json::json!({
                        "file": path.display().to_string(),
                        "ok": v.is_ok(),
                        "verdict": v.code(),
                        "reason": v.to_string(),
                        "keyid": v.keyid().map(|k| to_hex(&k)),
                        "key_serial": serial,
                        "hash": hash,
                    })
                }
                Outcome::Error(e) => serde_json::json!({
                    "file": path.display().to_string(),
                    "ok": false,
                    "verdict": "error",
                    "reason": e,
                    "keyid": null,
                    "key_serial": null,
                    "hash": null,
                }),
            });
        } else {
            let line = match &outcome {
                Outcome::Verdict(v) => writeln!(stdout, "{}: {v}", path.display()),
                Outcome::Error(e) => writeln!(stdout, "{}: error: {e}", path.display()),
            };
            if line.is_err() {
                return EXIT_FAIL;
            }
        }
    }
    if a.json {
        let doc = serde_json::json!({
            "keyring": ring.as_ref().map(|r| serde_json::json!({ "serial": r.serial, "name": r.name })),
            "files": rows,
        });
        if writeln!(stdout, "{}", super::json::envelope("verify", doc)).is_err() {
            return EXIT_FAIL;
        }
    }
    if all_ok {
        EXIT_OK
    } else {
        EXIT_FAIL
    }
}
