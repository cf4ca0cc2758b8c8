//! `imactl modsig sign|verify|remove`: appended signatures in the kernel module format, for
//! kernel images and initramfs on filesystems without xattrs (a vfat ESP or /boot). The
//! kernel checks them with `appraise func=KEXEC_KERNEL_CHECK appraise_type=imasig|modsig`
//! (CONFIG_IMA_APPRAISE_MODSIG) and the keys in .ima.

use std::path::{Path, PathBuf};

use clap::{Args, Subcommand};
use zeroize::Zeroizing;

use crate::cli::evmctl::opts::{ENV_KEY_PASSWORD, ENV_PKCS11_MODULE};
use crate::hash::HashAlgo;
use crate::keyref::{self, KeyRef, OpenError};
use crate::keys::{Certificate, KeyError, KeyErrorKind};
use crate::modsig;
use crate::sign::{KeyidChoice, SignerError};

use super::exit::Failure;

#[derive(Subcommand, Debug)]
pub enum ModsigCommand {
    /// Append a signature (PKCS#7, detached, no attributes, module_signature trailer).
    ///
    /// The key is a file or a pkcs11: URI (PIN or password from EVMCTL_KEY_PASSWORD or a
    /// prompt; module from the URI, EVMCTL_PKCS11_MODULE or p11-kit's proxy). The file is
    /// replaced atomically unless --out names another.
    Sign(SignArgs),
    /// Check a file's appended signature against certificates (exit 0 valid, 1 not).
    ///
    /// Each FILE gets its own verdict: a FILE that cannot be read is one of them, and makes
    /// the exit status 1 like a signature that does not verify. A --cert that cannot be
    /// read stops the command with exit status 2.
    Verify(VerifyArgs),
    /// Remove the appended signature (an error when there is none).
    Remove(RemoveArgs),
}

#[derive(Args, Debug)]
pub struct SignArgs {
    /// Private key: a PEM/DER file or a pkcs11: URI.
    #[arg(long, value_name = "KEY")]
    pub key: std::ffi::OsString,
    /// The key's X.509 certificate (it names the signer; the kernel needs it in .ima); -
    /// reads it from standard input.
    #[arg(long, value_name = "CERT")]
    pub cert: PathBuf,
    /// Digest algorithm: sha1, sha224, sha256, sha384 or sha512.
    #[arg(long, value_name = "ALGO", default_value = "sha256")]
    pub hash: String,
    /// Write the signed file here instead of replacing FILE.
    #[arg(long, value_name = "OUT")]
    pub out: Option<PathBuf>,
    #[arg(value_name = "FILE")]
    pub file: PathBuf,
}

#[derive(Args, Debug)]
pub struct VerifyArgs {
    /// Certificates that may have signed (repeat the option or separate with commas); -
    /// reads one from standard input.
    #[arg(long, value_name = "CERT", required = true, value_delimiter = ',')]
    pub cert: Vec<PathBuf>,
    #[arg(value_name = "FILE", required = true)]
    pub files: Vec<PathBuf>,
}

#[derive(Args, Debug)]
pub struct RemoveArgs {
    /// Write the unsigned file here instead of replacing FILE.
    #[arg(long, value_name = "OUT")]
    pub out: Option<PathBuf>,
    #[arg(value_name = "FILE")]
    pub file: PathBuf,
}

pub fn run(c: ModsigCommand) -> i32 {
    let mut files = match &c {
        ModsigCommand::Sign(a) => std::slice::from_ref(&a.file).iter(),
        ModsigCommand::Verify(a) => a.files.iter(),
        ModsigCommand::Remove(a) => std::slice::from_ref(&a.file).iter(),
    };
    if files.any(|f| crate::input::is_stdin(f)) {
        eprintln!("imactl: {NO_STDIN_FILE}");
        return super::EXIT_USAGE;
    }
    match c {
        ModsigCommand::Sign(a) => sign(a),
        ModsigCommand::Verify(a) => verify(a),
        ModsigCommand::Remove(a) => remove(a),
    }
}

/// FILE is a kernel image or initramfs, read and (for sign and remove) rewritten in place
/// by path; `-` is not standard input there.
const NO_STDIN_FILE: &str = "modsig reads and writes FILE by its path: - (standard input) is not a FILE here; a file named - is ./-";

/// A failure on `file` whose output is `out`, in words, with its exit status: FILE that
/// cannot be read is [`Failure::usage`].
fn failure(e: modsig::ModsigError, file: &Path, out: &Path) -> Failure {
    match e {
        modsig::ModsigError::Write(e) => Failure::no(format!(
            "{}: cannot write: {}",
            out.display(),
            crate::error::io_words(&e)
        )),
        e @ modsig::ModsigError::Io(_) => Failure::usage(format!("{}: {e}", file.display())),
        e => Failure::no(format!("{}: {e}", file.display())),
    }
}

/// Opens a key file or a pkcs11: URI; the password or PIN comes from `pass_env`, else a
/// prompt on the terminal; the module for URIs without one from EVMCTL_PKCS11_MODULE.
/// A key file that cannot be read is a [`Failure::usage`]; the rest [`Failure::no`].
pub(crate) fn open_signer(key: &KeyRef, pass_env: &str) -> Result<keyref::AnySigner, Failure> {
    let module = std::env::var_os(ENV_PKCS11_MODULE)
        .filter(|m| !m.is_empty())
        .map(PathBuf::from);
    let mut pass =
        std::env::var_os(pass_env).map(|v| Zeroizing::new(v.to_string_lossy().into_owned()));
    loop {
        let p = pass.as_deref().map(String::as_str);
        let asked = match keyref::open(key, p, &KeyidChoice::Default, module.as_deref()) {
            Ok(s) => return Ok(s),
            Err(OpenError::Software(SignerError::Key(KeyError {
                kind: KeyErrorKind::PasswordRequired,
                ..
            }))) if pass.is_none() => format!("Password for {}: ", key.display()),
            Err(OpenError::Pkcs11(crate::pkcs11::Pkcs11Error::PinRequired { token }))
                if pass.is_none() =>
            {
                format!("PIN for token {token}: ")
            }
            Err(e) => {
                // The key file's own errors name it already: the path once.
                let message = if e.names_key() {
                    e.to_string()
                } else {
                    format!("{}: {e}", key.display())
                };
                return Err(Failure::unreadable_if(e.is_unreadable(), message));
            }
        };
        let answer = rpassword::prompt_password(asked).map_err(|_| {
            Failure::no(format!(
                "{}: a password or PIN is needed: set {pass_env} or run on a terminal",
                key.display()
            ))
        })?;
        pass = Some(Zeroizing::new(answer));
    }
}

fn sign(a: SignArgs) -> i32 {
    let result = (|| -> Result<PathBuf, Failure> {
        // --hash names no digest algorithm: a usage error.
        let algo =
            HashAlgo::from_name(&a.hash).map_err(|e| Failure::usage(format!("--hash: {e}")))?;
        let cert = Certificate::load_or_stdin(&a.cert).map_err(|e| Failure::key(&e))?;
        let key = KeyRef::parse(&a.key);
        // Refuse what cannot be signed before asking for a password.
        crate::input::open_regular(&a.file)
            .map_err(|e| Failure::usage(format!("{}: cannot read: {e}", a.file.display())))?;
        let signer = open_signer(&key, ENV_KEY_PASSWORD)?;
        let out = a.out.clone().unwrap_or_else(|| a.file.clone());
        crate::modsig_file::sign(&a.file, &out, &signer, &cert, algo).map_err(|e| match e {
            modsig::ModsigError::CertificateMismatch => Failure::no(format!(
                "{}: the certificate is not for the key {}",
                crate::input::source_name(&a.cert),
                key.display()
            )),
            e => failure(e, &a.file, &out),
        })?;
        Ok(out)
    })();
    match result {
        Ok(out) => {
            println!("{}: signed ({})", out.display(), a.hash);
            0
        }
        Err(f) => f.report(),
    }
}

fn verify(a: VerifyArgs) -> i32 {
    if let Err(e) = crate::input::stdin_at_most_once(a.cert.iter().map(PathBuf::as_path)) {
        eprintln!("imactl: {e}");
        return super::EXIT_USAGE;
    }
    let mut certs = Vec::new();
    for p in &a.cert {
        match Certificate::load_or_stdin(p) {
            Ok(c) => certs.push(c),
            Err(e) => return Failure::key(&e).report(),
        }
    }
    let mut failed = false;
    for f in &a.files {
        let verdict = crate::modsig_file::verify(f, &certs).map_err(|e| e.to_string());
        match verdict {
            Ok(i) => println!(
                "{}: OK ({}, signed by {}, serial {}, certificate {})",
                f.display(),
                i.hash,
                i.issuer,
                crate::hash::to_hex(&i.serial),
                i.certificate
            ),
            Err(m) => {
                failed = true;
                println!("{}: {m}", f.display());
            }
        }
    }
    i32::from(failed)
}

fn remove(a: RemoveArgs) -> i32 {
    let out = a.out.as_ref().unwrap_or(&a.file);
    let result = crate::modsig_file::remove(&a.file, out).map_err(|e| failure(e, &a.file, out));
    match result {
        Ok(()) => 0,
        Err(f) => f.report(),
    }
}
