//! The kernel hook's configuration: /etc/imaevm/kernel-hook.conf, `name = value` lines.
//!
//! ```text
//! # The local signing key (a file, as DKMS's /var/lib/dkms/mok.key, or a pkcs11: URI)
//! key = /var/lib/dkms/mok.key
//! # Its certificate: names the key id and is needed for appended signatures (vfat)
//! cert = /var/lib/dkms/mok.pub
//! hash = sha256
//! # The PKCS#11 module for a pkcs11: URI that names none
//! pkcs11_module = /usr/lib/softhsm/libsofthsm2.so
//! # Fail (exit 1) when the image is left without a valid signature
//! strict = yes
//! ```

use std::fmt;
use std::path::{Path, PathBuf};

use crate::hash::HashAlgo;
use crate::keyref::KeyRef;

/// The configuration file, relative to the root.
pub const CONFIG_PATH: &str = "etc/imaevm/kernel-hook.conf";

/// What the configuration file says (all optional).
#[derive(Debug)]
pub struct Config {
    /// Where it was read from (None: no file).
    pub path: Option<PathBuf>,
    pub key: Option<KeyRef>,
    pub cert: Option<PathBuf>,
    pub hash: HashAlgo,
    pub pkcs11_module: Option<PathBuf>,
    pub strict: bool,
}

impl Default for Config {
    fn default() -> Config {
        Config {
            path: None,
            key: None,
            cert: None,
            hash: HashAlgo::Sha256,
            pkcs11_module: None,
            strict: false,
        }
    }
}

/// A configuration file that cannot be used: the file, the line (0: the whole file) and why.
#[derive(Debug)]
pub struct ConfigError {
    pub path: PathBuf,
    pub line: usize,
    pub why: String,
    pub kind: ConfigErrorKind,
}

/// Why the configuration cannot be used.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ConfigErrorKind {
    /// There is no file at the path.
    Missing,
    /// The file cannot be read: unreadable, not a regular file, over its size cap, not
    /// UTF-8.
    Unreadable,
    /// The file was read and does not parse.
    Malformed,
}

impl ConfigError {
    /// True when the file could not be read at all (missing included): an input the
    /// command cannot run with, as opposed to a file that was read and does not parse.
    pub fn is_unreadable(&self) -> bool {
        matches!(
            self.kind,
            ConfigErrorKind::Missing | ConfigErrorKind::Unreadable
        )
    }
}

impl fmt::Display for ConfigError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.line == 0 {
            write!(f, "{}: {}", self.path.display(), self.why)
        } else {
            write!(f, "{}:{}: {}", self.path.display(), self.line, self.why)
        }
    }
}

/// `path` inside `root` (an absolute path keeps its meaning below the root).
pub fn under(root: &Path, path: &Path) -> PathBuf {
    root.join(path.strip_prefix("/").unwrap_or(path))
}

/// Reads the configuration at `file` (a path on the host); a file that does not exist is
/// an error of kind [`ConfigErrorKind::Missing`] (the default path may be absent: see
/// [`read_default`]). Paths in it are paths on the target system, taken below `root`.
pub fn read(root: &Path, file: &Path) -> Result<Config, ConfigError> {
    let fail = |kind, line, why: String| ConfigError {
        path: file.to_path_buf(),
        line,
        why,
        kind,
    };
    let err = |line, why| fail(ConfigErrorKind::Malformed, line, why);
    let text = match crate::input::read_input(file, crate::input::InputKind::Policy) {
        Ok(bytes) => String::from_utf8(bytes)
            .map_err(|_| fail(ConfigErrorKind::Unreadable, 0, "not UTF-8 text".into()))?,
        Err(crate::input::InputError::Io(e)) if e.kind() == std::io::ErrorKind::NotFound => {
            return Err(fail(
                ConfigErrorKind::Missing,
                0,
                format!("cannot read: {}", crate::error::io_words(&e)),
            ))
        }
        Err(e) => {
            return Err(fail(
                ConfigErrorKind::Unreadable,
                0,
                format!("cannot read: {e}"),
            ))
        }
    };
    let mut c = Config {
        path: Some(file.to_path_buf()),
        ..Config::default()
    };
    for (i, raw) in text.lines().enumerate() {
        let line = raw.trim();
        if line.is_empty() || line.starts_with('#') {
            continue;
        }
        let Some((name, value)) = line.split_once('=') else {
            return Err(err(i + 1, format!("not `name = value`: {line}")));
        };
        let (name, value) = (name.trim(), value.trim());
        if value.is_empty() {
            return Err(err(i + 1, format!("{name} has no value")));
        }
        match name {
            "key" => {
                let key = KeyRef::parse(std::ffi::OsStr::new(value));
                c.key = Some(match key {
                    KeyRef::File(p) => KeyRef::File(under(root, &p)),
                    uri => uri,
                });
            }
            "cert" => c.cert = Some(under(root, Path::new(value))),
            "pkcs11_module" => c.pkcs11_module = Some(PathBuf::from(value)),
            "hash" => c.hash = HashAlgo::from_name(value).map_err(|e| err(i + 1, e.to_string()))?,
            "strict" => {
                c.strict = match value {
                    "yes" | "true" | "1" => true,
                    "no" | "false" | "0" => false,
                    _ => return Err(err(i + 1, format!("strict is yes or no, not {value}"))),
                }
            }
            _ => {
                return Err(err(
                    i + 1,
                    format!(
                        "unknown setting {name} (known: key, cert, hash, pkcs11_module, strict)"
                    ),
                ))
            }
        }
    }
    Ok(c)
}

/// [`read`] for the default configuration file: one that does not exist gives the
/// defaults (a system without a configuration is fine).
pub fn read_default(root: &Path, file: &Path) -> Result<Config, ConfigError> {
    match read(root, file) {
        Err(e) if e.kind == ConfigErrorKind::Missing => Ok(Config::default()),
        r => r,
    }
}
