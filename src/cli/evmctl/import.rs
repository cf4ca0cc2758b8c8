//! `evmctl import [--rsa] CERT KEYRING`, upstream-compatible (evmctl 1.4 cmd_import):
//! the same stdout (the new key's serial), the same stderr lines and the same exit codes
//! (0 imported, 1 the key file could not be read, 125 the kernel refused or there is no
//! such keyring).
//!
//! Extensions: a PEM certificate is accepted (its DER goes to add_key, which takes DER
//! only); KEYRING may be a keyring name (`.ima`, `_ima`, `%keyring:NAME`) besides a serial
//! or @t @p @s @u @us @g; an unknown @-name is an error (upstream silently falls back to
//! the user keyring); a refusal by the kernel gets one more line saying why in words.
//!
//! The library prepares the key ([`KernelKey`]) and adds it ([`keyring`]); this module
//! keeps upstream's words and returns them as an [`ImportOutcome`].

use std::io::Write;
use std::path::PathBuf;

use super::opts::{EXIT_ERROR, EXIT_FAIL, EXIT_OK};
use super::output::Log;
use super::request::ImportRequest;
use crate::error::{errno_name, errno_words};
use crate::keyring::{self, KeyringSpec, USER_KEYRING};
use crate::keys::payload::{KernelKey, PayloadError};

/// The outcome of an import: stderr lines, stdout lines and the exit code, in upstream's
/// words (informational and -v lines are included or not according to the verbosity).
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct ImportOutcome {
    pub stderr: Vec<String>,
    pub stdout: Vec<String>,
    pub exit: i32,
    /// The new key's serial.
    pub serial: Option<keyring::KeySerial>,
}

impl ImportOutcome {
    fn info(&mut self, log: Log, line: String) {
        if log.shows_info() {
            self.stderr.push(line);
        }
    }
    fn debug(&mut self, log: Log, line: String) {
        if log.shows_debug() {
            self.stderr.push(line);
        }
    }
}

impl ImportRequest {
    /// Upstream's argument rules: with no argument, /etc/keys/x509_evm.der (or
    /// /etc/keys/pubkey_evm.pem with --rsa) into the user keyring; with one, that file into
    /// the user keyring; arguments after KEYRING are ignored. `verbose` is upstream's level
    /// (6 by default, one more per -v).
    pub fn from_args(args: &[String], v1: bool, verbose: i32) -> ImportRequest {
        ImportRequest {
            log: Log::new(verbose),
            key_file: args.first().map(PathBuf::from).unwrap_or_else(|| {
                PathBuf::from(if v1 {
                    super::opts::DEFAULT_PUBLIC_KEY
                } else {
                    super::opts::DEFAULT_CERT
                })
            }),
            keyring: args.get(1).cloned(),
            v1,
        }
    }
}

/// Upstream's lines for a key file that cannot be read or parsed.
fn payload_failure(req: &ImportRequest, e: &PayloadError, out: &mut ImportOutcome) {
    let path = req.key_file.display();
    let parser = if req.v1 {
        "Failed to PEM_read_PUBKEY"
    } else {
        "Failed to d2i_X509_fp"
    };
    match e {
        PayloadError::Read(_, io) => {
            let errno = io.raw_os_error().unwrap_or(libc::EIO);
            if errno == libc::EISDIR {
                // fopen() succeeds on a directory; the read inside the parser fails.
                out.stderr.push(format!("{parser} key file: {path}"));
            } else {
                out.debug(req.log, format!("Failed to open keyfile: {path}"));
            }
            out.stderr
                .push(format!("errno: {} ({errno})", errno_words(errno)));
            // Upstream's lines stay as they are for an errno; a refusal of ours (not a
            // regular file, over the size cap) names the file and the reason.
            if io.raw_os_error().is_none() {
                out.stderr.push(format!("evmctl: import: {e}"));
            }
        }
        PayloadError::UnsupportedV1(..) => {
            out.stderr.push("read_pub_key: unsupported key type".into());
            out.stderr.push(format!("evmctl: import: {e}"));
        }
        PayloadError::Certificate(_) | PayloadError::NoPublicKey(_) => {
            out.stderr.push(format!("{parser} key file: {path}"));
            out.stderr.push(format!("evmctl: import: {e}"));
        }
    }
}

/// Runs an import and returns what to print.
pub fn import(req: &ImportRequest) -> ImportOutcome {
    let mut out = ImportOutcome::default();
    let prepared = if req.v1 {
        KernelKey::legacy_v1(&req.key_file)
    } else {
        KernelKey::certificate(&req.key_file)
    };
    let key = match prepared {
        Ok(k) => k,
        Err(e) => {
            payload_failure(req, &e, &mut out);
            out.exit = EXIT_FAIL;
            return out;
        }
    };
    if !req.v1 {
        out.info(req.log, format!("Reading to {}", req.key_file.display()));
    }
    let (fn_name, label) = if req.v1 {
        ("calc_keyid_v1:652", "keyid-v1")
    } else {
        ("calc_keyid_v2:681", "keyid")
    };
    out.debug(req.log, format!("{fn_name} keyid: {}", key.keyid_hex()));
    out.debug(req.log, format!("{label}: {}", key.keyid_name));
    let spec = match req.keyring.as_deref().map(KeyringSpec::parse_upstream) {
        None => KeyringSpec::Serial(USER_KEYRING),
        Some(Ok(s)) => s,
        Some(Err(name)) => {
            out.stderr.push(format!(
                "evmctl: import: unknown keyring '{name}' (use @t, @p, @s, @u, @us, a serial or \
                 a keyring name)"
            ));
            out.exit = EXIT_ERROR;
            return out;
        }
    };
    let (id, ring_name) = match spec {
        KeyringSpec::Serial(id) => (id, None),
        other => match keyring::locate(&other, false) {
            Ok(k) => (k.serial, Some(k.name)),
            Err(e) => {
                out.stderr.push(format!("evmctl: import: {e}"));
                if let (keyring::LocateError::NotFound { .. }, KeyringSpec::Name(n)) = (&e, &other)
                {
                    if let Some(h) = keyring::create_hint(n) {
                        out.stderr.push(format!("evmctl: import: {h}"));
                    }
                }
                out.exit = EXIT_ERROR;
                return out;
            }
        },
    };
    out.info(
        req.log,
        format!(
            "Importing public key {} from file {} into keyring {id}",
            key.keyid_name,
            req.key_file.display()
        ),
    );
    match keyring::add_key(key.key_type, key.description.as_deref(), &key.payload, id) {
        Ok(serial) => {
            out.info(req.log, format!("keyid: {serial}"));
            out.stdout.push(serial.to_string());
            out.serial = Some(serial);
            out.exit = EXIT_OK;
        }
        Err(e) => {
            let errno = e.raw_os_error().unwrap_or(libc::EIO);
            out.stderr.push("add_key failed".into());
            out.stderr
                .push(format!("errno: {} ({errno})", errno_words(errno)));
            let traits = key
                .cert
                .as_ref()
                .map(keyring::CertTraits::of)
                .unwrap_or_default();
            let ring_name = ring_name.or_else(|| keyring::describe(id).ok().map(|d| d.description));
            out.stderr.push(format!(
                "evmctl: import: the kernel refused the key ({}): {}",
                errno_name(errno),
                keyring::explain_add_key_error(errno, traits, ring_name.as_deref())
            ));
            out.exit = EXIT_ERROR;
        }
    }
    out
}

/// Prints an import's outcome and returns its exit code.
pub fn cmd_import(req: ImportRequest) -> i32 {
    let out = import(&req);
    let mut stderr = std::io::stderr().lock();
    for l in &out.stderr {
        let _ = writeln!(stderr, "{l}");
    }
    let mut stdout = std::io::stdout().lock();
    for l in &out.stdout {
        if writeln!(stdout, "{l}")
            .and_then(|()| stdout.flush())
            .is_err()
        {
            return EXIT_ERROR;
        }
    }
    out.exit
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keyring_argument_like_upstream() {
        let p = KeyringSpec::parse_upstream;
        assert_eq!(p("@s"), Ok(KeyringSpec::Serial(-3)));
        assert_eq!(p("@g"), Ok(KeyringSpec::Serial(-6)));
        assert_eq!(p("123"), Ok(KeyringSpec::Serial(123)));
        assert_eq!(p("0x10"), Ok(KeyringSpec::Serial(16)));
        assert_eq!(p("4294967293"), Ok(KeyringSpec::Serial(-3)));
        assert_eq!(p("99999999999999999999999"), Ok(KeyringSpec::Serial(-1)));
        assert_eq!(p("_ima"), Ok(KeyringSpec::Name("_ima".into())));
        assert_eq!(p("%keyring:.ima"), Ok(KeyringSpec::Name(".ima".into())));
        assert_eq!(p("@bogus"), Err("@bogus".into()));
    }

    #[test]
    fn default_arguments() {
        let r = ImportRequest::from_args(&[], false, 6);
        assert_eq!(r.key_file, PathBuf::from("/etc/keys/x509_evm.der"));
        assert_eq!(r.keyring, None);
        let r = ImportRequest::from_args(&["k.pem".into()], true, 6);
        assert_eq!(r.key_file, PathBuf::from("k.pem"));
        assert_eq!(r.keyring, None);
    }
}
