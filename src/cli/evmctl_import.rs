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
//! The request is built from argv here ([`ImportRequest::from_args`]), the work is done by
//! [`import`], which returns what to print; [`cmd_import`] prints it.

use std::path::{Path, PathBuf};

use crate::cli::evmctl::LOG_INFO;
use crate::error::{errno_name, errno_words};
use crate::hash::to_hex;
use crate::keyring::{self, KeySerial, KeyringSpec, SPECIAL_KEYRINGS, USER_KEYRING};
use crate::keys::Certificate;

/// Where `import` puts the key.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum ImportTarget {
    /// A keyring id as upstream computes it (a serial or a special id).
    Id(KeySerial),
    /// A keyring name (extension), resolved when importing.
    Name(String),
    /// An @-name upstream does not know.
    UnknownSpecial(String),
}

impl ImportTarget {
    /// Parses KEYRING: @t @p @s @u @us @g; a number the way upstream reads it (strtoul, base
    /// 16 after "0x", the result truncated to a C int: "4294967293" is @s); anything else
    /// is a keyring name (upstream would use keyring 0 and fail with EINVAL).
    pub fn parse(ring: &str) -> ImportTarget {
        if ring.starts_with('@') {
            return match SPECIAL_KEYRINGS.iter().find(|(n, _)| *n == ring) {
                Some(&(_, id)) => ImportTarget::Id(id),
                None => ImportTarget::UnknownSpecial(ring.to_string()),
            };
        }
        let (digits, radix) = match ring.strip_prefix("0x") {
            Some(h) => (h, 16),
            None => (ring, 10),
        };
        if !digits.is_empty() && digits.chars().all(|c| c.is_digit(radix)) {
            // strtoul saturates at ULONG_MAX on overflow; the C int cast keeps 32 bits.
            let v = u64::from_str_radix(digits, radix).unwrap_or(u64::MAX);
            return ImportTarget::Id(v as u32 as i32);
        }
        let name = ring
            .strip_prefix("%keyring:")
            .or_else(|| ring.strip_prefix("%:"))
            .unwrap_or(ring);
        ImportTarget::Name(name.to_string())
    }
}

/// What to import where.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ImportRequest {
    pub key_file: PathBuf,
    pub target: ImportTarget,
    /// `--rsa`: a legacy v1 "user" key made from a PEM RSA public key.
    pub rsa_v1: bool,
}

impl ImportRequest {
    /// Upstream's argument rules: with no argument, /etc/keys/x509_evm.der (or
    /// /etc/keys/pubkey_evm.pem with --rsa) into the user keyring; with one, that file into
    /// the user keyring; arguments after KEYRING are ignored.
    pub fn from_args(args: &[String], rsa_v1: bool) -> ImportRequest {
        let key_file = match args.first() {
            Some(f) => PathBuf::from(f),
            None if rsa_v1 => PathBuf::from("/etc/keys/pubkey_evm.pem"),
            None => PathBuf::from("/etc/keys/x509_evm.der"),
        };
        let target = match args.get(1) {
            Some(r) => ImportTarget::parse(r),
            None => ImportTarget::Id(USER_KEYRING),
        };
        ImportRequest {
            key_file,
            target,
            rsa_v1,
        }
    }
}

/// The outcome of an import: stderr lines, stdout lines and the exit code, in upstream's
/// words (informational and -v lines are included or not according to `verbose`).
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct ImportOutcome {
    pub stderr: Vec<String>,
    pub stdout: Vec<String>,
    pub exit: i32,
    /// The new key's serial.
    pub serial: Option<KeySerial>,
}

impl ImportOutcome {
    /// An informational line (upstream's log_info: shown at the default level).
    fn info(&mut self, verbose: i32, line: String) {
        if verbose >= LOG_INFO {
            self.stderr.push(line);
        }
    }
}

/// The key material ready for add_key.
struct Prepared {
    key_type: &'static str,
    description: Option<String>,
    payload: Vec<u8>,
    /// Upstream's printed keyid (v2: `%x` of the computed keyid; v1: `%llX`).
    name: String,
    cert: Option<Certificate>,
}

/// Runs an import. `verbose` is upstream's level: [`LOG_INFO`] by default, one more per -v.
pub fn import(req: &ImportRequest, verbose: i32) -> ImportOutcome {
    let mut out = ImportOutcome::default();
    let path = req.key_file.as_path();
    let prepared = if req.rsa_v1 {
        prepare_v1(path, verbose, &mut out)
    } else {
        prepare_x509(path, verbose, &mut out)
    };
    let Some(p) = prepared else {
        out.exit = 1;
        return out;
    };
    let (id, ring_name) = match &req.target {
        ImportTarget::Id(id) => (*id, None),
        ImportTarget::Name(n) => match keyring::locate(&KeyringSpec::Name(n.clone()), false) {
            Ok(k) => (k.serial, Some(k.name)),
            Err(e) => {
                out.stderr.push(format!("evmctl: import: {e}"));
                out.exit = 125;
                return out;
            }
        },
        ImportTarget::UnknownSpecial(s) => {
            out.stderr.push(format!(
                "evmctl: import: unknown keyring '{s}' (use @t, @p, @s, @u, @us, a serial or a \
                 keyring name)"
            ));
            out.exit = 125;
            return out;
        }
    };
    out.info(
        verbose,
        format!(
            "Importing public key {} from file {} into keyring {id}",
            p.name,
            path.display()
        ),
    );
    match keyring::add_key(p.key_type, p.description.as_deref(), &p.payload, id) {
        Ok(serial) => {
            out.info(verbose, format!("keyid: {serial}"));
            out.stdout.push(serial.to_string());
            out.serial = Some(serial);
            out.exit = 0;
        }
        Err(e) => {
            let errno = e.raw_os_error().unwrap_or(libc::EIO);
            out.stderr.push("add_key failed".into());
            out.stderr
                .push(format!("errno: {} ({errno})", errno_words(errno)));
            let traits = p
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
            out.exit = 125;
        }
    }
    out
}

/// Reads the key file, or records upstream's messages for an unreadable one.
fn read_key_file(
    path: &Path,
    verbose: i32,
    parse_fail: &str,
    out: &mut ImportOutcome,
) -> Option<Vec<u8>> {
    match std::fs::read(path) {
        Ok(b) => Some(b),
        Err(e) => {
            let errno = e.raw_os_error().unwrap_or(libc::EIO);
            if errno == libc::EISDIR {
                // fopen() succeeds on a directory; the read inside the parser fails.
                out.stderr
                    .push(format!("{parse_fail} key file: {}", path.display()));
            } else if verbose > LOG_INFO {
                out.stderr
                    .push(format!("Failed to open keyfile: {}", path.display()));
            }
            out.stderr
                .push(format!("errno: {} ({errno})", errno_words(errno)));
            None
        }
    }
}

fn prepare_x509(path: &Path, verbose: i32, out: &mut ImportOutcome) -> Option<Prepared> {
    let bytes = read_key_file(path, verbose, "Failed to d2i_X509_fp", out)?;
    let cert = match Certificate::from_bytes(path, &bytes) {
        Ok(c) => c,
        Err(e) => {
            out.stderr.push(format!(
                "Failed to d2i_X509_fp key file: {}",
                path.display()
            ));
            out.stderr.push(format!("evmctl: import: {e}"));
            return None;
        }
    };
    out.info(verbose, format!("Reading to {}", path.display()));
    let name = format!("{:x}", u32::from_be_bytes(cert.computed_keyid()));
    if verbose > LOG_INFO {
        out.stderr.push(format!(
            "calc_keyid_v2:681 keyid: {}",
            to_hex(&cert.computed_keyid())
        ));
        out.stderr.push(format!("keyid: {name}"));
    }
    Some(Prepared {
        key_type: "asymmetric",
        description: None,
        payload: cert.der().to_vec(),
        name,
        cert: Some(cert),
    })
}

fn prepare_v1(path: &Path, verbose: i32, out: &mut ImportOutcome) -> Option<Prepared> {
    let bytes = read_key_file(path, verbose, "Failed to PEM_read_PUBKEY", out)?;
    let Some(spki) = first_pem_block(&bytes, "PUBLIC KEY") else {
        out.stderr.push(format!(
            "Failed to PEM_read_PUBKEY key file: {}",
            path.display()
        ));
        out.stderr.push(format!(
            "evmctl: import: {}: no PEM 'PUBLIC KEY' block (--rsa takes a PEM RSA public key, \
             e.g. from 'openssl pkey -pubout')",
            path.display()
        ));
        return None;
    };
    let blob = match crate::keys::v1::key2bin(&spki) {
        Ok(b) => b,
        Err(why) => {
            out.stderr.push("read_pub_key: unsupported key type".into());
            out.stderr
                .push(format!("evmctl: import: {}: {why}", path.display()));
            return None;
        }
    };
    let keyid = &crate::keys::v1::keyid(&blob);
    let name = crate::keys::v1::keyid_name(keyid);
    if verbose > LOG_INFO {
        out.stderr
            .push(format!("calc_keyid_v1:652 keyid: {}", to_hex(keyid)));
        out.stderr.push(format!("keyid-v1: {name}"));
    }
    Some(Prepared {
        key_type: "user",
        description: Some(name.clone()),
        payload: blob,
        name,
        cert: None,
    })
}

/// The DER of the first PEM block labelled `label` (as PEM_read_PUBKEY finds it).
fn first_pem_block(bytes: &[u8], label: &str) -> Option<Vec<u8>> {
    let text = std::str::from_utf8(bytes).ok()?;
    let begin = format!("-----BEGIN {label}-----");
    let end = format!("-----END {label}-----");
    let start = text.find(&begin)?;
    let stop = start + text[start..].find(&end)? + end.len();
    pem_rfc7468::decode_vec(&text.as_bytes()[start..stop])
        .ok()
        .map(|(_, der)| der)
}

/// The evmctl front end's entry for `import`: `args` are the positional arguments after
/// the command, `rsa_v1` is `--rsa`, `verbose` upstream's level ([`LOG_INFO`] = 6 by
/// default, one more per -v, as `Settings::verbose`). Prints what
/// upstream prints and returns its exit code.
pub fn cmd_import(args: &[String], rsa_v1: bool, verbose: i32) -> i32 {
    use std::io::Write;
    let out = import(&ImportRequest::from_args(args, rsa_v1), verbose);
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
            return 125;
        }
    }
    out.exit
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keyring_argument_like_upstream() {
        assert_eq!(ImportTarget::parse("@s"), ImportTarget::Id(-3));
        assert_eq!(ImportTarget::parse("@g"), ImportTarget::Id(-6));
        assert_eq!(ImportTarget::parse("123"), ImportTarget::Id(123));
        assert_eq!(ImportTarget::parse("0x10"), ImportTarget::Id(16));
        assert_eq!(ImportTarget::parse("4294967293"), ImportTarget::Id(-3));
        assert_eq!(
            ImportTarget::parse("99999999999999999999999"),
            ImportTarget::Id(-1)
        );
        assert_eq!(
            ImportTarget::parse("_ima"),
            ImportTarget::Name("_ima".into())
        );
        assert_eq!(
            ImportTarget::parse("%keyring:.ima"),
            ImportTarget::Name(".ima".into())
        );
        assert_eq!(
            ImportTarget::parse("@bogus"),
            ImportTarget::UnknownSpecial("@bogus".into())
        );
    }

    #[test]
    fn default_arguments() {
        let r = ImportRequest::from_args(&[], false);
        assert_eq!(r.key_file, PathBuf::from("/etc/keys/x509_evm.der"));
        assert_eq!(r.target, ImportTarget::Id(USER_KEYRING));
        let r = ImportRequest::from_args(&["k.pem".into()], true);
        assert_eq!(r.target, ImportTarget::Id(USER_KEYRING));
    }
}
