//! Finding keyrings: which keyring IMA (or EVM, or the platform firmware db) will use on
//! this kernel, and resolving a keyring given by serial or by name.

use std::fmt;
use std::io;

use crate::error::{errno_name, errno_words};

use super::proc_keys::{proc_keyring_named, proc_keys};
use super::{
    add_key, describe, get_keyring_id, is_absent, link, search, KeySerial, SysError,
    PROCESS_KEYRING, SESSION_KEYRING, SPECIAL_KEYRINGS, THREAD_KEYRING, USER_KEYRING,
};

/// Which subsystem's keyring.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Purpose {
    Ima,
    Evm,
    /// `.platform`: firmware (UEFI db) keys, also tried for KEXEC_KERNEL_CHECK.
    Platform,
}

impl Purpose {
    /// The kernel-made keyring (CONFIG_INTEGRITY_TRUSTED_KEYRING=y).
    pub fn trusted_name(self) -> &'static str {
        match self {
            Purpose::Ima => ".ima",
            Purpose::Evm => ".evm",
            Purpose::Platform => ".platform",
        }
    }

    /// The keyring userspace makes when the kernel did not, if the kernel looks for one.
    pub fn user_name(self) -> Option<&'static str> {
        match self {
            Purpose::Ima => Some("_ima"),
            Purpose::Evm => Some("_evm"),
            Purpose::Platform => None,
        }
    }
}

/// A keyring as given on a command line.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum KeyringSpec {
    /// The keyring the kernel will use for IMA, EVM or platform keys.
    Purpose(Purpose),
    /// A serial (decimal or 0x-hex) or a special id (@t @p @s @u @us @g).
    Serial(KeySerial),
    /// A keyring name (`_ima`, `.ima`, `%keyring:NAME`).
    Name(String),
}

impl KeyringSpec {
    /// "ima", "evm", "platform", a decimal or 0x-hex serial, @t/@p/@s/@u/@us/@g, or a name
    /// (optionally written `%keyring:NAME` or `%:NAME` as keyctl does).
    pub fn parse(s: &str) -> KeyringSpec {
        match s {
            "ima" => return KeyringSpec::Purpose(Purpose::Ima),
            "evm" => return KeyringSpec::Purpose(Purpose::Evm),
            "platform" => return KeyringSpec::Purpose(Purpose::Platform),
            _ => {}
        }
        if let Some(&(_, id)) = SPECIAL_KEYRINGS.iter().find(|(n, _)| *n == s) {
            return KeyringSpec::Serial(id);
        }
        if let Some(n) = parse_serial(s) {
            return KeyringSpec::Serial(n);
        }
        KeyringSpec::name(s)
    }

    /// A keyring name, optionally written `%keyring:NAME` or `%:NAME`.
    fn name(s: &str) -> KeyringSpec {
        let name = s
            .strip_prefix("%keyring:")
            .or_else(|| s.strip_prefix("%:"))
            .unwrap_or(s);
        KeyringSpec::Name(name.to_string())
    }

    /// KEYRING the way upstream evmctl's `import` reads it: @t @p @s @u @us @g; a number
    /// as strtoul reads it (base 16 after "0x", saturating, then truncated to a C int, so
    /// "4294967293" is @s); anything else is a keyring name (an extension: upstream would
    /// use keyring 0). `Err` is an @-name that is not one of the special keyrings
    /// (upstream silently uses @u).
    pub fn parse_upstream(s: &str) -> Result<KeyringSpec, String> {
        if s.starts_with('@') {
            return SPECIAL_KEYRINGS
                .iter()
                .find(|(n, _)| *n == s)
                .map(|&(_, id)| KeyringSpec::Serial(id))
                .ok_or_else(|| s.to_string());
        }
        let (digits, radix) = match s.strip_prefix("0x") {
            Some(h) => (h, 16),
            None => (s, 10),
        };
        if !digits.is_empty() && digits.chars().all(|c| c.is_digit(radix)) {
            let v = u64::from_str_radix(digits, radix).unwrap_or(u64::MAX);
            return Ok(KeyringSpec::Serial(v as u32 as i32));
        }
        Ok(KeyringSpec::name(s))
    }
}

/// A whole decimal or 0x-hex number that fits a positive serial.
pub fn parse_serial(s: &str) -> Option<KeySerial> {
    let v = if let Some(h) = s.strip_prefix("0x").or_else(|| s.strip_prefix("0X")) {
        if h.is_empty() || !h.bytes().all(|b| b.is_ascii_hexdigit()) {
            return None;
        }
        u32::from_str_radix(h, 16).ok()?
    } else {
        if s.is_empty() || !s.bytes().all(|b| b.is_ascii_digit()) {
            return None;
        }
        s.parse::<u32>().ok()?
    };
    KeySerial::try_from(v).ok().filter(|&v| v > 0)
}

/// How a keyring was found.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Origin {
    /// Made by the kernel at boot ('.'-named, found in /proc/keys).
    Kernel,
    /// Found in (or under) the user keyring @u.
    UserKeyring,
    /// Created in the user keyring just now.
    Created,
    /// Given by serial or found by name in this process's keyrings.
    Given,
}

/// A resolved keyring.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Keyring {
    pub serial: KeySerial,
    pub name: String,
    pub origin: Origin,
}

impl Keyring {
    /// Kernel-made '.'-keyrings carry a link restriction (.ima: keys signed by the
    /// builtin or secondary trusted keys).
    pub fn restricted(&self) -> bool {
        self.name.starts_with('.')
    }
}

impl fmt::Display for Keyring {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} ({})", self.name, self.serial)
    }
}

/// Why no keyring could be used.
#[derive(Debug)]
pub enum LocateError {
    /// Nothing by that name: the names tried, in order, and where.
    NotFound { wanted: String, looked: String },
    /// The serial exists but is not a keyring.
    NotAKeyring { serial: KeySerial, key_type: String },
    /// A system call failed.
    Sys { what: String, err: SysError },
    /// /proc/keys could not be read.
    ProcKeys(io::Error),
}

impl fmt::Display for LocateError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            LocateError::NotFound { wanted, looked } => {
                write!(f, "no keyring {wanted} (looked {looked})")
            }
            LocateError::NotAKeyring { serial, key_type } => {
                write!(f, "key {serial} is a {key_type} key, not a keyring")
            }
            LocateError::Sys { what, err } => write!(f, "{what}: {}", err.cause()),
            LocateError::ProcKeys(err) => {
                write!(f, "cannot read /proc/keys: {}", io_cause(err))
            }
        }
    }
}

impl std::error::Error for LocateError {}

/// How to make a missing user keyring that IMA or EVM looks for (`_ima`, `_evm`); `None`
/// for other names.
pub fn create_hint(name: &str) -> Option<String> {
    matches!(name, "_ima" | "_evm").then(|| {
        format!(
            "create it with 'keyctl newring {name} @u' (the kernel looks for {name} in the \
             keyrings of the process that triggers appraisal), or let 'imactl key import CERT' \
             find or create the keyring the kernel uses"
        )
    })
}

/// "No such file or directory (ENOENT)".
fn io_cause(e: &io::Error) -> String {
    match e.raw_os_error() {
        Some(c) => format!("{} ({})", errno_words(c), errno_name(c)),
        None => e.to_string(),
    }
}

/// Makes this process possess the user keyring, as a login session does (pam_keyinit
/// links @u into the session keyring): @u is linked into this process's own process
/// keyring, which lives and dies with the process. Without it, under sudo or in a
/// service whose session keyring does not link @u, keys and keyrings under @u grant only
/// their "user" permissions (view), and adding to or searching `_ima` fails with EACCES.
pub fn possess_user_keyring() -> Result<(), SysError> {
    get_keyring_id(PROCESS_KEYRING, true)?;
    link(USER_KEYRING, PROCESS_KEYRING)
}

/// Finds the keyring `spec` names. For [`Purpose::Ima`] and [`Purpose::Evm`] this is the
/// keyring the kernel will use: the kernel-made `.ima` when /proc/keys shows it,
/// otherwise `_ima` reachable from the user keyring; with `create`, `_ima` is made in
/// the user keyring when absent (that is where `keyctl newring _ima @u` puts it).
///
/// Calls [`possess_user_keyring`] first (a failure there only means fewer permissions).
pub fn locate(spec: &KeyringSpec, create: bool) -> Result<Keyring, LocateError> {
    let _ = possess_user_keyring();
    match spec {
        KeyringSpec::Purpose(p) => locate_purpose(*p, create),
        KeyringSpec::Serial(id) => locate_serial(*id),
        KeyringSpec::Name(name) => locate_name(name),
    }
}

/// A [`LocateError::Sys`] saying what was being done.
fn sys(what: String) -> impl FnOnce(SysError) -> LocateError {
    move |err| LocateError::Sys { what, err }
}

/// The kernel-made keyring of `p`, else its user keyring (made when `create` is set).
fn locate_purpose(p: Purpose, create: bool) -> Result<Keyring, LocateError> {
    let keys = proc_keys().map_err(LocateError::ProcKeys)?;
    if let Some(serial) = proc_keyring_named(&keys, p.trusted_name()) {
        return Ok(Keyring {
            serial,
            name: p.trusted_name().into(),
            origin: Origin::Kernel,
        });
    }
    let Some(user) = p.user_name() else {
        return Err(LocateError::NotFound {
            wanted: p.trusted_name().into(),
            looked: "in /proc/keys: the kernel did not make it".into(),
        });
    };
    match search(USER_KEYRING, "keyring", user) {
        Ok(serial) => {
            return Ok(Keyring {
                serial,
                name: user.into(),
                origin: Origin::UserKeyring,
            })
        }
        Err(e) if is_absent(&e) => {}
        Err(e) => return Err(sys(format!("cannot search the user keyring for {user}"))(e)),
    }
    if !create {
        return Err(LocateError::NotFound {
            wanted: format!("{} or {user}", p.trusted_name()),
            looked: format!(
                "for {} in /proc/keys and for {user} in the user keyring",
                p.trusted_name()
            ),
        });
    }
    let serial = add_key("keyring", Some(user), &[], USER_KEYRING)
        .map_err(sys(format!("cannot create {user} in the user keyring")))?;
    Ok(Keyring {
        serial,
        name: user.into(),
        origin: Origin::Created,
    })
}

/// The keyring with serial (or special id) `id`, checked to be a keyring.
fn locate_serial(id: KeySerial) -> Result<Keyring, LocateError> {
    let d = describe(id).map_err(sys(format!("keyring {id}")))?;
    if d.key_type != "keyring" {
        return Err(LocateError::NotAKeyring {
            serial: id,
            key_type: d.key_type,
        });
    }
    let serial = if id < 0 {
        get_keyring_id(id, false).map_err(sys(format!("keyring {id}")))?
    } else {
        id
    };
    Ok(Keyring {
        serial,
        name: d.description,
        origin: Origin::Given,
    })
}

/// A keyring by name: searched from this thread's keyrings, then in /proc/keys (the only
/// place a '.'-keyring is found).
fn locate_name(name: &str) -> Result<Keyring, LocateError> {
    if !name.starts_with('.') {
        // Not the process keyring: it is this process's own, holding only the link to @u
        // made by possess_user_keyring, so searching it would find @u's keyrings before
        // the session's.
        for (ring, origin) in [
            (THREAD_KEYRING, Origin::Given),
            (SESSION_KEYRING, Origin::Given),
            (USER_KEYRING, Origin::UserKeyring),
        ] {
            if let Ok(serial) = search(ring, "keyring", name) {
                return Ok(Keyring {
                    serial,
                    name: name.to_string(),
                    origin,
                });
            }
        }
    }
    let keys = proc_keys().map_err(LocateError::ProcKeys)?;
    if let Some(serial) = proc_keyring_named(&keys, name) {
        let origin = if name.starts_with('.') {
            Origin::Kernel
        } else {
            Origin::Given
        };
        return Ok(Keyring {
            serial,
            name: name.to_string(),
            origin,
        });
    }
    Err(LocateError::NotFound {
        wanted: name.to_string(),
        looked: if name.starts_with('.') {
            "in /proc/keys".into()
        } else {
            "in the thread, session and user keyrings and in /proc/keys".into()
        },
    })
}

/// The `.ima_blacklist` keyring, when the kernel made one (CONFIG_IMA_BLACKLIST_KEYRING).
pub fn ima_blacklist() -> Option<KeySerial> {
    proc_keys()
        .ok()
        .and_then(|k| proc_keyring_named(&k, ".ima_blacklist"))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::keyring::USER_SESSION_KEYRING;

    #[test]
    fn keyring_specs() {
        assert_eq!(
            KeyringSpec::parse("ima"),
            KeyringSpec::Purpose(Purpose::Ima)
        );
        assert_eq!(
            KeyringSpec::parse("@s"),
            KeyringSpec::Serial(SESSION_KEYRING)
        );
        assert_eq!(
            KeyringSpec::parse("@us"),
            KeyringSpec::Serial(USER_SESSION_KEYRING)
        );
        assert_eq!(KeyringSpec::parse("123"), KeyringSpec::Serial(123));
        assert_eq!(KeyringSpec::parse("0x1f"), KeyringSpec::Serial(31));
        assert_eq!(KeyringSpec::parse(".ima"), KeyringSpec::Name(".ima".into()));
        assert_eq!(
            KeyringSpec::parse("%keyring:_ima"),
            KeyringSpec::Name("_ima".into())
        );
        assert_eq!(
            KeyringSpec::parse("%:_evm"),
            KeyringSpec::Name("_evm".into())
        );
        assert_eq!(
            KeyringSpec::parse("12abc"),
            KeyringSpec::Name("12abc".into())
        );
        assert_eq!(parse_serial("0"), None);
        assert_eq!(parse_serial("4294967295"), None);
    }
}
