//! Kernel keyrings: the IMA/EVM keyrings, adding certificates to them, and asking the
//! kernel itself to check a signature with a key it holds (kernel.md, "Keyrings").
//!
//! Three layers, top to bottom:
//! - [`locate`]: which keyring IMA (or EVM, or the platform firmware db) will use on this
//!   kernel, and resolving a keyring given by serial or by name;
//! - [`add_certificate`], [`list_keys`], [`kernel_verify`]: what the front ends ask for,
//!   returning values and typed errors that say why in words;
//! - one safe wrapper per syscall (`add_key(2)`, `keyctl(2)` operations), each with its
//!   single `unsafe` block. No other module makes a keyring syscall.
//!
//! This module does not print and does not parse argv.

use std::ffi::{CStr, CString};
use std::fmt;
use std::io;

use crate::error::{errno_name, errno_words};
use crate::hash::{to_hex, HashAlgo};
use crate::keys::{Certificate, KeyAlgorithm};

/// A key serial number (`key_serial_t`). Negative values are the special ids below.
pub type KeySerial = i32;

/// `KEY_SPEC_THREAD_KEYRING` (@t).
pub const THREAD_KEYRING: KeySerial = -1;
/// `KEY_SPEC_PROCESS_KEYRING` (@p).
pub const PROCESS_KEYRING: KeySerial = -2;
/// `KEY_SPEC_SESSION_KEYRING` (@s).
pub const SESSION_KEYRING: KeySerial = -3;
/// `KEY_SPEC_USER_KEYRING` (@u).
pub const USER_KEYRING: KeySerial = -4;
/// `KEY_SPEC_USER_SESSION_KEYRING` (@us).
pub const USER_SESSION_KEYRING: KeySerial = -5;
/// `KEY_SPEC_GROUP_KEYRING` (@g; the kernel never implemented it and returns EINVAL).
pub const GROUP_KEYRING: KeySerial = -6;

/// The keyctl special names and their ids, as keyctl(1) and evmctl spell them.
pub const SPECIAL_KEYRINGS: [(&str, KeySerial); 6] = [
    ("@t", THREAD_KEYRING),
    ("@p", PROCESS_KEYRING),
    ("@s", SESSION_KEYRING),
    ("@u", USER_KEYRING),
    ("@us", USER_SESSION_KEYRING),
    ("@g", GROUP_KEYRING),
];

// keyctl(2) operations (include/uapi/linux/keyctl.h).
const KEYCTL_GET_KEYRING_ID: libc::c_long = 0;
const KEYCTL_JOIN_SESSION_KEYRING: libc::c_long = 1;
const KEYCTL_DESCRIBE: libc::c_long = 6;
const KEYCTL_LINK: libc::c_long = 8;
const KEYCTL_UNLINK: libc::c_long = 9;
const KEYCTL_SEARCH: libc::c_long = 10;
const KEYCTL_READ: libc::c_long = 11;
const KEYCTL_PKEY_QUERY: libc::c_long = 24;
const KEYCTL_PKEY_VERIFY: libc::c_long = 28;

// ---------------------------------------------------------------------------------------
// Syscalls: one safe wrapper each.
// ---------------------------------------------------------------------------------------

fn cstring(s: &str) -> io::Result<CString> {
    CString::new(s).map_err(|_| io::Error::from_raw_os_error(libc::EINVAL))
}

fn check(ret: libc::c_long) -> io::Result<libc::c_long> {
    if ret < 0 {
        Err(io::Error::last_os_error())
    } else {
        Ok(ret)
    }
}

/// add_key(2): creates or updates a key of `key_type` in `keyring`. A `None` description
/// lets the key type propose one (an asymmetric key gets "CN: SKID-hex").
pub fn add_key(
    key_type: &str,
    description: Option<&str>,
    payload: &[u8],
    keyring: KeySerial,
) -> io::Result<KeySerial> {
    let ty = cstring(key_type)?;
    let desc = description.map(cstring).transpose()?;
    let desc_ptr = desc.as_ref().map_or(std::ptr::null(), |d| d.as_ptr());
    // SAFETY: the strings are NUL-terminated and live across the call; payload points to
    // payload.len() readable bytes; the kernel copies everything before returning.
    let ret = unsafe {
        libc::syscall(
            libc::SYS_add_key,
            ty.as_ptr(),
            desc_ptr,
            payload.as_ptr(),
            payload.len(),
            keyring as libc::c_long,
        )
    };
    check(ret).map(|s| s as KeySerial)
}

/// keyctl(KEYCTL_GET_KEYRING_ID): the real serial of a special keyring id such as @u,
/// creating it when `create` is set.
pub fn get_keyring_id(id: KeySerial, create: bool) -> io::Result<KeySerial> {
    // SAFETY: integer arguments only.
    let ret = unsafe {
        libc::syscall(
            libc::SYS_keyctl,
            KEYCTL_GET_KEYRING_ID,
            id as libc::c_long,
            create as libc::c_long,
        )
    };
    check(ret).map(|s| s as KeySerial)
}

/// keyctl(KEYCTL_JOIN_SESSION_KEYRING): joins (or creates) the session keyring `name`,
/// or a new anonymous one when `name` is `None`. Credentials are per thread: only the
/// calling thread and the processes it starts afterwards see the new session.
pub fn join_session_keyring(name: Option<&str>) -> io::Result<KeySerial> {
    let name = name.map(cstring).transpose()?;
    let ptr = name.as_ref().map_or(std::ptr::null(), |n| n.as_ptr());
    // SAFETY: ptr is NULL or a NUL-terminated string alive across the call.
    let ret = unsafe { libc::syscall(libc::SYS_keyctl, KEYCTL_JOIN_SESSION_KEYRING, ptr) };
    check(ret).map(|s| s as KeySerial)
}

/// What keyctl(KEYCTL_DESCRIBE) says about a key.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct KeyDescription {
    pub key_type: String,
    pub uid: u32,
    pub gid: u32,
    pub perm: u32,
    pub description: String,
}

/// keyctl(KEYCTL_DESCRIBE): type, owner, permissions and description of a key.
pub fn describe(key: KeySerial) -> io::Result<KeyDescription> {
    let mut buf = vec![0u8; 256];
    loop {
        // SAFETY: buf is writable for buf.len() bytes; the kernel writes at most that.
        let ret = unsafe {
            libc::syscall(
                libc::SYS_keyctl,
                KEYCTL_DESCRIBE,
                key as libc::c_long,
                buf.as_mut_ptr(),
                buf.len(),
            )
        };
        let need = check(ret)? as usize;
        if need <= buf.len() {
            let text = CStr::from_bytes_until_nul(&buf[..need])
                .map(|c| c.to_string_lossy().into_owned())
                .unwrap_or_else(|_| String::from_utf8_lossy(&buf[..need]).into_owned());
            return parse_describe(&text).ok_or_else(|| io::Error::from_raw_os_error(libc::EINVAL));
        }
        buf.resize(need, 0);
    }
}

/// Parses "type;uid;gid;perm;description" (the description may hold ';').
fn parse_describe(text: &str) -> Option<KeyDescription> {
    let mut it = text.splitn(5, ';');
    let key_type = it.next()?.to_string();
    let uid = it.next()?.parse().ok()?;
    let gid = it.next()?.parse().ok()?;
    let perm = u32::from_str_radix(it.next()?, 16).ok()?;
    let description = it.next()?.to_string();
    Some(KeyDescription {
        key_type,
        uid,
        gid,
        perm,
        description,
    })
}

/// keyctl(KEYCTL_SEARCH): searches `keyring` and the keyrings nested in it for a key of
/// `key_type` matching `description` (for "asymmetric", `id:HEX` matches the tail of one
/// of the key's ids, as IMA's lookup does). ENOKEY when nothing matches.
pub fn search(keyring: KeySerial, key_type: &str, description: &str) -> io::Result<KeySerial> {
    let ty = cstring(key_type)?;
    let desc = cstring(description)?;
    // SAFETY: both strings are NUL-terminated and alive across the call; no destination
    // keyring (0) so nothing is linked.
    let ret = unsafe {
        libc::syscall(
            libc::SYS_keyctl,
            KEYCTL_SEARCH,
            keyring as libc::c_long,
            ty.as_ptr(),
            desc.as_ptr(),
            0 as libc::c_long,
        )
    };
    check(ret).map(|s| s as KeySerial)
}

/// keyctl(KEYCTL_READ) on a keyring: the serials of the keys linked in it.
pub fn read_keyring(keyring: KeySerial) -> io::Result<Vec<KeySerial>> {
    let mut buf: Vec<KeySerial> = vec![0; 64];
    loop {
        let bytes = buf.len() * std::mem::size_of::<KeySerial>();
        // SAFETY: buf is writable for `bytes` bytes; the kernel writes at most that.
        let ret = unsafe {
            libc::syscall(
                libc::SYS_keyctl,
                KEYCTL_READ,
                keyring as libc::c_long,
                buf.as_mut_ptr(),
                bytes,
            )
        };
        let need = check(ret)? as usize;
        if need <= bytes {
            buf.truncate(need / std::mem::size_of::<KeySerial>());
            return Ok(buf);
        }
        buf.resize(need.div_ceil(std::mem::size_of::<KeySerial>()), 0);
    }
}

/// keyctl(KEYCTL_UNLINK): removes the link from `keyring` to `key`; the kernel frees the
/// key when nothing links to it any more.
pub fn unlink(key: KeySerial, keyring: KeySerial) -> io::Result<()> {
    // SAFETY: integer arguments only.
    let ret = unsafe {
        libc::syscall(
            libc::SYS_keyctl,
            KEYCTL_UNLINK,
            key as libc::c_long,
            keyring as libc::c_long,
        )
    };
    check(ret).map(|_| ())
}

/// keyctl(KEYCTL_LINK): links `key` into `keyring`.
pub fn link(key: KeySerial, keyring: KeySerial) -> io::Result<()> {
    // SAFETY: integer arguments only.
    let ret = unsafe {
        libc::syscall(
            libc::SYS_keyctl,
            KEYCTL_LINK,
            key as libc::c_long,
            keyring as libc::c_long,
        )
    };
    check(ret).map(|_| ())
}

/// `struct keyctl_pkey_query`.
#[repr(C)]
#[derive(Default)]
struct RawPkeyQuery {
    supported_ops: u32,
    key_size: u32,
    max_data_size: u16,
    max_sig_size: u16,
    max_enc_size: u16,
    max_dec_size: u16,
    spare: [u32; 10],
}

/// What keyctl(KEYCTL_PKEY_QUERY) reports about an asymmetric key.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct PkeyQuery {
    /// Key size in bits (the modulus for RSA, the curve order for ECDSA).
    pub key_size: u32,
    pub max_sig_size: u16,
    /// Whether the key can verify (KEYCTL_SUPPORTS_VERIFY).
    pub can_verify: bool,
}

/// keyctl(KEYCTL_PKEY_QUERY): key size and supported operations; `info` is the
/// "enc=... hash=..." parameter string (may be empty).
pub fn pkey_query(key: KeySerial, info: &str) -> io::Result<PkeyQuery> {
    let info = cstring(info)?;
    let mut q = RawPkeyQuery::default();
    // SAFETY: info is NUL-terminated; q is a writable struct of the layout the kernel
    // fills; all are alive across the call.
    let ret = unsafe {
        libc::syscall(
            libc::SYS_keyctl,
            KEYCTL_PKEY_QUERY,
            key as libc::c_long,
            0 as libc::c_long,
            info.as_ptr(),
            &mut q as *mut RawPkeyQuery,
        )
    };
    check(ret)?;
    Ok(PkeyQuery {
        key_size: q.key_size,
        max_sig_size: q.max_sig_size,
        can_verify: q.supported_ops & 0x08 != 0,
    })
}

/// `struct keyctl_pkey_params` (the out_len/in2_len union is one u32).
#[repr(C)]
struct RawPkeyParams {
    key_id: i32,
    in_len: u32,
    in2_len: u32,
    spare: [u32; 7],
}

/// keyctl(KEYCTL_PKEY_VERIFY): the kernel checks `sig` over `digest` with its copy of
/// `key`, as IMA appraisal does. `info` is e.g. "enc=pkcs1 hash=sha256". Ok(()) when the
/// signature is valid; EKEYREJECTED or EBADMSG when it is not.
pub fn pkey_verify(key: KeySerial, info: &str, digest: &[u8], sig: &[u8]) -> io::Result<()> {
    let info = cstring(info)?;
    let too_big = |_| io::Error::from_raw_os_error(libc::EINVAL);
    let params = RawPkeyParams {
        key_id: key,
        in_len: u32::try_from(digest.len()).map_err(too_big)?,
        in2_len: u32::try_from(sig.len()).map_err(too_big)?,
        spare: [0; 7],
    };
    // SAFETY: params has the kernel's layout; info is NUL-terminated; digest and sig are
    // readable for the lengths given in params; all are alive across the call.
    let ret = unsafe {
        libc::syscall(
            libc::SYS_keyctl,
            KEYCTL_PKEY_VERIFY,
            &params as *const RawPkeyParams,
            info.as_ptr(),
            digest.as_ptr(),
            sig.as_ptr(),
        )
    };
    check(ret).map(|_| ())
}

// ---------------------------------------------------------------------------------------
// /proc/keys: the only place that shows the kernel-made '.'-keyrings and an asymmetric
// key's algorithm and SKID tail.
// ---------------------------------------------------------------------------------------

/// One line of /proc/keys (only keys the caller may view are listed).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ProcKey {
    pub serial: KeySerial,
    /// The type name, truncated by the kernel to 9 characters ("asymmetri").
    pub key_type: String,
    /// The type's describe() output: for a keyring "NAME: N", for an asymmetric key
    /// "DESCRIPTION: X509.rsa e37dc97e []".
    pub text: String,
}

/// Reads /proc/keys.
pub fn proc_keys() -> io::Result<Vec<ProcKey>> {
    Ok(parse_proc_keys(&std::fs::read_to_string("/proc/keys")?))
}

/// Parses the text of /proc/keys (one [`ProcKey`] per well-formed line).
pub fn parse_proc_keys(text: &str) -> Vec<ProcKey> {
    text.lines()
        .filter_map(|line| {
            // serial flags usage timeout perm uid gid type, then the description column.
            let mut rest = line;
            let mut fields = Vec::with_capacity(8);
            for _ in 0..8 {
                rest = rest.trim_start();
                let end = rest.find(' ').unwrap_or(rest.len());
                fields.push(&rest[..end]);
                rest = &rest[end..];
            }
            let serial = u32::from_str_radix(fields[0], 16).ok()? as KeySerial;
            Some(ProcKey {
                serial,
                key_type: fields[7].to_string(),
                text: rest.trim_start().to_string(),
            })
        })
        .collect()
}

/// The serial of a keyring named exactly `name` in /proc/keys.
fn proc_keyring_named(keys: &[ProcKey], name: &str) -> Option<KeySerial> {
    keys.iter()
        .find(|k| {
            k.key_type == "keyring"
                && k.text
                    .strip_prefix(name)
                    .is_some_and(|r| r.is_empty() || r.starts_with(": "))
        })
        .map(|k| k.serial)
}

/// What /proc/keys tells about an asymmetric key beyond its description.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
struct AsymmetricDetails {
    /// The kernel's public key algorithm: "rsa", "ecdsa-nist-p256", "ecrdsa", "sm2"...
    pkey_algo: Option<String>,
    /// The tail of the key's SKID-based id (what `id:` matches for evmctl signatures).
    keyid: Option<[u8; 4]>,
}

fn asymmetric_details(entry: &ProcKey, description: &str) -> AsymmetricDetails {
    let mut d = AsymmetricDetails::default();
    let Some(rest) = entry
        .text
        .strip_prefix(description)
        .and_then(|r| r.strip_prefix(": "))
    else {
        return d;
    };
    let mut words = rest.split(' ');
    if let Some(sub) = words.next() {
        d.pkey_algo = sub.split_once('.').map(|(_, a)| a.to_string());
    }
    if let Some(id) = words.next() {
        if let Some(b) = crate::hash::from_hex(id) {
            if let Ok(k) = <[u8; 4]>::try_from(b.as_slice()) {
                d.keyid = Some(k);
            }
        }
    }
    d
}

// ---------------------------------------------------------------------------------------
// Finding keyrings.
// ---------------------------------------------------------------------------------------

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
        let name = s
            .strip_prefix("%keyring:")
            .or_else(|| s.strip_prefix("%:"))
            .unwrap_or(s);
        KeyringSpec::Name(name.to_string())
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
    Sys { what: String, err: io::Error },
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
            LocateError::Sys { what, err } => write!(f, "{what}: {}", sys_words(err)),
        }
    }
}

impl std::error::Error for LocateError {}

/// "Required key not available (ENOKEY)".
fn sys_words(e: &io::Error) -> String {
    match e.raw_os_error() {
        Some(c) => format!("{} ({})", errno_words(c), errno_name(c)),
        None => e.to_string(),
    }
}

fn is_absent(e: &io::Error) -> bool {
    matches!(
        e.raw_os_error(),
        Some(libc::ENOKEY) | Some(libc::EKEYREVOKED) | Some(libc::EKEYEXPIRED)
    )
}

/// Makes this process possess the user keyring, as a login session does (pam_keyinit
/// links @u into the session keyring): @u is linked into this process's own process
/// keyring, which lives and dies with the process. Without it, under sudo or in a
/// service whose session keyring does not link @u, keys and keyrings under @u grant only
/// their "user" permissions (view), and adding to or searching `_ima` fails with EACCES.
pub fn possess_user_keyring() -> io::Result<()> {
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
    let sys = |what: String| move |err| LocateError::Sys { what, err };
    match spec {
        KeyringSpec::Purpose(p) => {
            let keys = proc_keys().map_err(sys("cannot read /proc/keys".into()))?;
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
        KeyringSpec::Serial(id) => {
            let d = describe(*id).map_err(sys(format!("keyring {id}")))?;
            if d.key_type != "keyring" {
                return Err(LocateError::NotAKeyring {
                    serial: *id,
                    key_type: d.key_type,
                });
            }
            let serial = if *id < 0 {
                get_keyring_id(*id, false).map_err(sys(format!("keyring {id}")))?
            } else {
                *id
            };
            Ok(Keyring {
                serial,
                name: d.description,
                origin: Origin::Given,
            })
        }
        KeyringSpec::Name(name) => {
            if !name.starts_with('.') {
                // Not the process keyring: it is this process's own, holding only the link
                // to @u made above, so searching it would find @u's keyrings before the
                // session's.
                for (ring, origin) in [
                    (THREAD_KEYRING, Origin::Given),
                    (SESSION_KEYRING, Origin::Given),
                    (USER_KEYRING, Origin::UserKeyring),
                ] {
                    if let Ok(serial) = search(ring, "keyring", name) {
                        return Ok(Keyring {
                            serial,
                            name: name.clone(),
                            origin,
                        });
                    }
                }
            }
            let keys = proc_keys().map_err(sys("cannot read /proc/keys".into()))?;
            if let Some(serial) = proc_keyring_named(&keys, name) {
                let origin = if name.starts_with('.') {
                    Origin::Kernel
                } else {
                    Origin::Given
                };
                return Ok(Keyring {
                    serial,
                    name: name.clone(),
                    origin,
                });
            }
            Err(LocateError::NotFound {
                wanted: name.clone(),
                looked: if name.starts_with('.') {
                    "in /proc/keys".into()
                } else {
                    "in the thread, session and user keyrings and in /proc/keys".into()
                },
            })
        }
    }
}

/// The `.ima_blacklist` keyring, when the kernel made one (CONFIG_IMA_BLACKLIST_KEYRING).
pub fn ima_blacklist() -> Option<KeySerial> {
    proc_keys()
        .ok()
        .and_then(|k| proc_keyring_named(&k, ".ima_blacklist"))
}

// ---------------------------------------------------------------------------------------
// Adding certificates.
// ---------------------------------------------------------------------------------------

/// The keyid IMA's `id:` lookup will match for this certificate: the tail of its Subject
/// Key Identifier; without one, the tail of the kernel's serial||issuer id, which is the
/// last four bytes of the issuer name's DER (evmctl's computed keyid will not match).
pub fn kernel_keyid(cert: &Certificate) -> [u8; 4] {
    if let Some(k) = cert.skid_keyid() {
        return k;
    }
    use der::Encode;
    let issuer = cert
        .inner()
        .tbs_certificate()
        .issuer()
        .to_der()
        .expect("a parsed Name re-encodes");
    let n = issuer.len();
    [issuer[n - 4], issuer[n - 3], issuer[n - 2], issuer[n - 1]]
}

/// A key the kernel accepted.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct AddedKey {
    pub serial: KeySerial,
    /// The description the kernel gave it ("CN: SKID-hex").
    pub description: String,
    /// What `id:` matches for it.
    pub keyid: [u8; 4],
}

/// add_key refused a key; `errno` is the kernel's answer, `why` says it in words.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AddKeyError {
    pub errno: i32,
    pub why: String,
}

impl fmt::Display for AddKeyError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "the kernel refused the key ({}): {}",
            errno_name(self.errno),
            self.why
        )
    }
}

impl std::error::Error for AddKeyError {}

/// Facts about a certificate that explain the kernel's refusals.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct CertTraits {
    pub ecdsa: bool,
    /// basicConstraints CA:TRUE.
    pub ca: bool,
    /// keyUsage present without digitalSignature.
    pub no_digital_signature: bool,
}

impl CertTraits {
    pub fn of(cert: &Certificate) -> CertTraits {
        use x509_cert::ext::pkix::{BasicConstraints, KeyUsage};
        let tbs = cert.inner().tbs_certificate();
        CertTraits {
            ecdsa: cert
                .public_key()
                .map(|k| !matches!(k.algorithm(), KeyAlgorithm::Rsa { .. }))
                .unwrap_or(false),
            ca: matches!(tbs.get_extension::<BasicConstraints>(), Ok(Some((_, bc))) if bc.ca),
            no_digital_signature: matches!(
                tbs.get_extension::<KeyUsage>(),
                Ok(Some((_, ku))) if !ku.digital_signature()
            ),
        }
    }
}

/// Explains an add_key errno for a certificate going into `keyring_name` (when known).
pub fn explain_add_key_error(errno: i32, cert: CertTraits, keyring_name: Option<&str>) -> String {
    let restricted = keyring_name.is_some_and(|n| n.starts_with('.'));
    let ring = keyring_name.unwrap_or("the keyring");
    match errno {
        libc::EBADMSG => "the kernel could not parse the payload as a DER X.509 certificate \
                          (add_key takes DER only: a PEM file gives this error)"
            .into(),
        libc::ENOENT | libc::ENOPKG if cert.ecdsa => "this kernel has no ECDSA support \
             (CONFIG_CRYPTO_ECDSA is not built in and its module is not loaded; Debian's 6.1 \
             kernel lacks it, 6.12 has it): use an RSA key, or a kernel with ECDSA"
            .into(),
        libc::ENOENT | libc::ENOPKG => "the kernel lacks a crypto algorithm this certificate \
             needs (its key type or the hash of its signature)"
            .into(),
        libc::ENOKEY | libc::EKEYREJECTED if restricted => {
            let mut s = format!(
                "{ring} accepts only certificates signed by a key in the builtin or secondary \
                 trusted keyrings (.builtin_trusted_keys, .secondary_trusted_keys): sign this \
                 certificate with a CA whose key the kernel trusts"
            );
            if cert.ca {
                s.push_str(
                    "; also, this is a CA certificate (basicConstraints CA:TRUE), which kernels \
                     from 6.12 on refuse in .ima",
                );
            }
            if cert.no_digital_signature {
                s.push_str(
                    "; also, its keyUsage lacks digitalSignature, which kernels from 6.12 on \
                     require in .ima",
                );
            }
            s
        }
        libc::ENOKEY => format!("{ring} does not exist"),
        libc::EKEYREJECTED => "the kernel rejected the certificate".into(),
        libc::EACCES | libc::EPERM => format!(
            "permission denied: no write permission on {ring} (a '.'-keyring may only be \
             written by root, and only if the kernel allows it)"
        ),
        libc::EDQUOT => "the key quota of this user is exhausted \
             (/proc/sys/kernel/keys/maxkeys and maxbytes)"
            .into(),
        libc::EINVAL => format!("{ring} is not a valid keyring id, or the payload is invalid"),
        libc::ENOTDIR => format!("{ring} is not a keyring"),
        other => errno_words(other),
    }
}

/// Adds `cert` (its DER, whatever the file held) as an "asymmetric" key to `keyring`,
/// letting the kernel choose the description, as evmctl import does.
pub fn add_certificate(cert: &Certificate, keyring: &Keyring) -> Result<AddedKey, AddKeyError> {
    let serial = add_key("asymmetric", None, cert.der(), keyring.serial).map_err(|e| {
        let errno = e.raw_os_error().unwrap_or(libc::EIO);
        AddKeyError {
            errno,
            why: explain_add_key_error(errno, CertTraits::of(cert), Some(&keyring.name)),
        }
    })?;
    let description = describe(serial).map(|d| d.description).unwrap_or_default();
    Ok(AddedKey {
        serial,
        description,
        keyid: kernel_keyid(cert),
    })
}

// ---------------------------------------------------------------------------------------
// Listing and removing keys.
// ---------------------------------------------------------------------------------------

/// A key linked in a keyring.
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize)]
pub struct KeyInfo {
    pub serial: KeySerial,
    #[serde(rename = "type")]
    pub key_type: String,
    pub description: String,
    /// The keyid IMA matches (`id:` + this), for asymmetric keys with a SKID (the kernel
    /// does not show the serial||issuer id a key without one is matched by).
    pub keyid: Option<String>,
    /// The kernel's algorithm name: "rsa", "ecdsa-nist-p256", ...
    pub algorithm: Option<String>,
    /// Key size in bits.
    pub bits: Option<u32>,
}

/// The keys linked directly in `keyring`, in the kernel's order.
pub fn list_keys(keyring: KeySerial) -> io::Result<Vec<KeyInfo>> {
    let serials = read_keyring(keyring)?;
    let proc = proc_keys().unwrap_or_default();
    let mut out = Vec::with_capacity(serials.len());
    for serial in serials {
        let d = match describe(serial) {
            Ok(d) => d,
            // Gone in between (garbage-collected), or not viewable: nothing to show.
            Err(_) => continue,
        };
        let mut info = KeyInfo {
            serial,
            key_type: d.key_type.clone(),
            description: d.description.clone(),
            keyid: None,
            algorithm: None,
            bits: None,
        };
        if d.key_type == "asymmetric" {
            let details = proc
                .iter()
                .find(|p| p.serial == serial)
                .map(|p| asymmetric_details(p, &d.description))
                .unwrap_or_default();
            // Only a SKID-based id is shown by the kernel; without a SKID the `id:` match
            // falls on serial||issuer, which the kernel does not show (None).
            info.keyid = details.keyid.map(|k| to_hex(&k));
            info.algorithm = details.pkey_algo;
            info.bits = pkey_query(serial, "").ok().map(|q| q.key_size);
        }
        out.push(info);
    }
    Ok(out)
}

/// A key named on a command line for removal.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum KeyRef {
    Serial(KeySerial),
    /// An IMA keyid: `id:xxxxxxxx`, or 8 hex digits with at least one letter.
    Keyid([u8; 4]),
}

impl KeyRef {
    /// A decimal or 0x-hex serial, `id:HEX`, or 8 hex digits (a keyid made of digits only
    /// must be written `id:12345678`, otherwise it is a serial).
    pub fn parse(s: &str) -> Option<KeyRef> {
        let keyid = |h: &str| -> Option<KeyRef> {
            if h.len() != 8 {
                return None;
            }
            let b = crate::hash::from_hex(h)?;
            Some(KeyRef::Keyid(b.try_into().ok()?))
        };
        if let Some(h) = s.strip_prefix("id:") {
            return keyid(h);
        }
        if let Some(n) = parse_serial(s) {
            return Some(KeyRef::Serial(n));
        }
        keyid(s)
    }
}

/// Finds the key `r` names in `keyring` (a keyid is looked up as IMA does) and unlinks it
/// from that keyring. Returns the key's serial and description.
pub fn remove_key(r: &KeyRef, keyring: KeySerial) -> io::Result<(KeySerial, String)> {
    let serial = match r {
        KeyRef::Serial(s) => *s,
        KeyRef::Keyid(k) => match search(keyring, "asymmetric", &format!("id:{}", to_hex(k))) {
            Ok(s) => s,
            // Not searchable from here (an unpossessed keyring): find it by listing.
            Err(e) => listed_key(keyring, *k).ok_or(e)?,
        },
    };
    let description = describe(serial).map(|d| d.description).unwrap_or_default();
    unlink(serial, keyring)?;
    Ok((serial, description))
}

// ---------------------------------------------------------------------------------------
// Asking the kernel to verify.
// ---------------------------------------------------------------------------------------

/// The kernel's answer for one `security.ima` value. The reasons use the words of the
/// kernel's audit record and log where one applies.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Verdict {
    /// The kernel verified the signature with key `serial`.
    Ok {
        keyid: [u8; 4],
        serial: KeySerial,
        hash: HashAlgo,
    },
    /// No `security.ima` (or `.sig` file) at all.
    NoSignature,
    /// A hash value where a signature is required ("IMA-signature-required").
    SignatureRequired,
    /// No key `id:<keyid>` in the keyring ("Request for unknown key 'id:...'").
    UnknownKey { keyid: [u8; 4] },
    /// The key is in `.ima_blacklist`.
    Blacklisted { keyid: [u8; 4] },
    /// The kernel rejected the signature ("invalid-signature"); `detail` says more.
    InvalidSignature {
        keyid: Option<[u8; 4]>,
        detail: String,
    },
    /// The header's hash algorithm cannot be computed (by us or by the kernel).
    UnavailableHash { hash: String, detail: String },
    /// A value this command does not check (v1, sigv3, fs-verity).
    NotChecked { detail: String },
}

impl Verdict {
    pub fn is_ok(&self) -> bool {
        matches!(self, Verdict::Ok { .. })
    }

    /// A stable one-word code for JSON and scripts.
    pub fn code(&self) -> &'static str {
        match self {
            Verdict::Ok { .. } => "ok",
            Verdict::NoSignature => "no-signature",
            Verdict::SignatureRequired => "IMA-signature-required",
            Verdict::UnknownKey { .. } => "unknown-key",
            Verdict::Blacklisted { .. } => "blacklisted-key",
            Verdict::InvalidSignature { .. } => "invalid-signature",
            Verdict::UnavailableHash { .. } => "unavailable-hash",
            Verdict::NotChecked { .. } => "not-checked",
        }
    }

    /// The keyid the value names, when it is a signature.
    pub fn keyid(&self) -> Option<[u8; 4]> {
        match self {
            Verdict::Ok { keyid, .. }
            | Verdict::UnknownKey { keyid }
            | Verdict::Blacklisted { keyid } => Some(*keyid),
            Verdict::InvalidSignature { keyid, .. } => *keyid,
            _ => None,
        }
    }
}

impl fmt::Display for Verdict {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Verdict::Ok {
                keyid,
                serial,
                hash,
            } => write!(
                f,
                "OK (key id:{} serial {serial}, {})",
                to_hex(keyid),
                hash.name()
            ),
            Verdict::NoSignature => write!(f, "no signature"),
            Verdict::SignatureRequired => write!(
                f,
                "IMA-signature-required (the value is a file hash, not a signature)"
            ),
            Verdict::UnknownKey { keyid } => {
                write!(f, "unknown key id:{} (not in the keyring)", to_hex(keyid))
            }
            Verdict::Blacklisted { keyid } => write!(
                f,
                "invalid-signature (key id:{} is in .ima_blacklist)",
                to_hex(keyid)
            ),
            Verdict::InvalidSignature { detail, .. } => write!(f, "invalid-signature ({detail})"),
            Verdict::UnavailableHash { hash, detail } => {
                write!(f, "unavailable hash algorithm {hash} ({detail})")
            }
            Verdict::NotChecked { detail } => write!(f, "not checked: {detail}"),
        }
    }
}

/// The `enc=` the kernel uses for a key algorithm (digsig_asymmetric.c).
fn kernel_encoding(pkey_algo: Option<&str>) -> &'static str {
    match pkey_algo {
        Some(a) if a.starts_with("ecdsa") => "x962",
        Some("ecrdsa") | Some("sm2") => "raw",
        _ => "pkcs1",
    }
}

/// Checks a `security.ima` value the way appraisal does, with the kernel's own copy of
/// the key: the key is found by `id:<keyid>` in `keyring` (after `.ima_blacklist` when
/// given), the file is hashed with the header's algorithm by `digest`, and the kernel
/// verifies with KEYCTL_PKEY_VERIFY. `value` is `None` when the file has none.
/// An `Err` is a failure to ask (hashing or a keyring syscall), not a verdict.
pub fn kernel_verify(
    keyring: KeySerial,
    blacklist: Option<KeySerial>,
    value: Option<&[u8]>,
    digest: &mut dyn FnMut(HashAlgo) -> Result<Vec<u8>, String>,
) -> Result<Verdict, String> {
    use crate::format::ImaValue;
    let Some(value) = value else {
        return Ok(Verdict::NoSignature);
    };
    let sig = match ImaValue::parse(value) {
        Err(e) => {
            return Ok(Verdict::InvalidSignature {
                keyid: None,
                detail: format!("malformed value: {e}"),
            })
        }
        Ok(ImaValue::Digest(_)) | Ok(ImaValue::DigestNg { .. }) => {
            return Ok(Verdict::SignatureRequired)
        }
        Ok(ImaValue::SignatureV1(_)) => {
            return Ok(Verdict::NotChecked {
                detail: "a legacy v1 signature (checked by the kernel with a 'user' key, \
                         not through KEYCTL_PKEY_VERIFY)"
                    .into(),
            })
        }
        Ok(ImaValue::VeritySignature(_)) => {
            return Ok(Verdict::NotChecked {
                detail: "an fs-verity signature (type 0x06), checked against the fs-verity \
                         digest under a digest_type=verity rule"
                    .into(),
            })
        }
        Ok(ImaValue::Signature(s)) if s.version != 2 => {
            return Ok(Verdict::NotChecked {
                detail: format!("a version {} signature", s.version),
            })
        }
        Ok(ImaValue::Signature(s)) => s,
    };
    let keyid = sig.keyid;
    let id = format!("id:{}", to_hex(&keyid));
    let Some(algo) = sig.hash_algo() else {
        return Ok(Verdict::UnavailableHash {
            hash: format!("id {}", sig.hash_id),
            detail: "imactl cannot compute this hash".into(),
        });
    };
    if let Some(bl) = blacklist {
        if search(bl, "asymmetric", &id).is_ok() {
            return Ok(Verdict::Blacklisted { keyid });
        }
    }
    let key = match search(keyring, "asymmetric", &id) {
        Ok(k) => k,
        Err(e) if is_absent(&e) || e.raw_os_error() == Some(libc::EACCES) => {
            // A search skips keys this process may not use (and then fails with EACCES):
            // keys in a keyring it does not possess (.ima) grant userspace "view" only.
            // Appraisal is not bound by that.
            match listed_key(keyring, keyid) {
                Some(serial) => {
                    return Ok(Verdict::NotChecked {
                        detail: unusable_key(keyid, serial),
                    })
                }
                None if is_absent(&e) => return Ok(Verdict::UnknownKey { keyid }),
                None => {
                    return Err(format!(
                        "cannot search keyring {keyring} for {id}: {}",
                        sys_words(&e)
                    ))
                }
            }
        }
        Err(e) => {
            return Err(format!(
                "cannot search keyring {keyring} for {id}: {}",
                sys_words(&e)
            ))
        }
    };
    let digest = digest(algo)?;
    let pkey_algo = proc_keys().ok().and_then(|keys| {
        let entry = keys.into_iter().find(|p| p.serial == key)?;
        let d = describe(key).ok()?;
        asymmetric_details(&entry, &d.description).pkey_algo
    });
    let enc = kernel_encoding(pkey_algo.as_deref());
    let info = format!("enc={enc} hash={}", algo.name());
    let errno = match pkey_verify(key, &info, &digest, &sig.sig) {
        Ok(()) => {
            return Ok(Verdict::Ok {
                keyid,
                serial: key,
                hash: algo,
            })
        }
        Err(e) => e.raw_os_error().unwrap_or(libc::EIO),
    };
    if errno == libc::EACCES {
        return Ok(Verdict::NotChecked {
            detail: unusable_key(keyid, key),
        });
    }
    // EINVAL means a malformed signature or a hash the kernel cannot use with this key;
    // KEYCTL_PKEY_QUERY with the same parameters tells the two apart.
    let hash_usable = match errno {
        libc::EINVAL | libc::ENOENT | libc::ENOPKG => pkey_query(key, &info).is_ok(),
        _ => true,
    };
    Ok(verify_errno_verdict(errno, hash_usable, keyid, algo, enc))
}

/// A key linked directly in `keyring` whose IMA keyid is `keyid`, found by listing the
/// keyring (which needs only "read" on it and "view" on the keys).
fn listed_key(keyring: KeySerial, keyid: [u8; 4]) -> Option<KeySerial> {
    let want = to_hex(&keyid);
    list_keys(keyring)
        .ok()?
        .into_iter()
        .find(|k| k.key_type == "asymmetric" && k.keyid.as_deref() == Some(want.as_str()))
        .map(|k| k.serial)
}

fn unusable_key(keyid: [u8; 4], serial: KeySerial) -> String {
    format!(
        "key id:{} is in the keyring (serial {serial}), but its permissions do not let \
         this process use it (a key in a keyring the process does not possess, such as the \
         kernel's .ima, grants userspace only 'view'); the kernel's own appraisal is not \
         limited by this, so the signature was not checked here",
        to_hex(&keyid)
    )
}

/// Maps a KEYCTL_PKEY_VERIFY errno to a verdict; `hash_usable` is whether the kernel
/// accepts "enc=... hash=..." for this key at all.
fn verify_errno_verdict(
    errno: i32,
    hash_usable: bool,
    keyid: [u8; 4],
    algo: HashAlgo,
    enc: &str,
) -> Verdict {
    if !hash_usable {
        return Verdict::UnavailableHash {
            hash: algo.name().into(),
            detail: format!(
                "the kernel cannot verify {enc} signatures over {} digests ({}): it lacks \
                 the algorithm, or its module is not loaded",
                algo.name(),
                errno_name(errno),
            ),
        };
    }
    match errno {
        libc::EKEYREJECTED | libc::EBADMSG => Verdict::InvalidSignature {
            keyid: Some(keyid),
            detail: format!(
                "the signature does not match the file's {} digest with this key",
                algo.name()
            ),
        },
        other => Verdict::InvalidSignature {
            keyid: Some(keyid),
            detail: format!(
                "the kernel refused the signature: {} ({})",
                errno_words(other),
                errno_name(other)
            ),
        },
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn proc_keys_lines() {
        let text = "\
0d33d3bf I------     1 perm 0f0b0000     0     0 keyring   .blacklist: empty
184e4b9e I--Q---     1 perm 39010000     0     0 asymmetri t: 5dabf9e46089a103201200c035cc7623e37dc97e: X509.rsa e37dc97e []
3d0da647 I--Q---     2 perm 1f3f0000     0 65534 keyring   _ima: 1
";
        let keys = parse_proc_keys(text);
        assert_eq!(keys.len(), 3);
        assert_eq!(keys[0].serial, 0x0d33d3bf);
        assert_eq!(proc_keyring_named(&keys, ".blacklist"), Some(0x0d33d3bf));
        assert_eq!(proc_keyring_named(&keys, "_ima"), Some(0x3d0da647));
        assert_eq!(proc_keyring_named(&keys, "_im"), None);
        assert_eq!(proc_keyring_named(&keys, ".ima"), None);
        let d = asymmetric_details(&keys[1], "t: 5dabf9e46089a103201200c035cc7623e37dc97e");
        assert_eq!(d.pkey_algo.as_deref(), Some("rsa"));
        assert_eq!(d.keyid, Some([0xe3, 0x7d, 0xc9, 0x7e]));
        // No SKID: no id after the algorithm.
        let v1 = &parse_proc_keys(
            "160d3793 I--Q---     1 perm 39010000     0     0 asymmetri v1: 15851f: X509.rsa []",
        )[0];
        let d = asymmetric_details(v1, "v1: 15851f");
        assert_eq!(d.pkey_algo.as_deref(), Some("rsa"));
        assert_eq!(d.keyid, None);
    }

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

    #[test]
    fn key_refs() {
        assert_eq!(KeyRef::parse("612760071"), Some(KeyRef::Serial(612760071)));
        assert_eq!(
            KeyRef::parse("e37dc97e"),
            Some(KeyRef::Keyid([0xe3, 0x7d, 0xc9, 0x7e]))
        );
        assert_eq!(
            KeyRef::parse("id:E37DC97E"),
            Some(KeyRef::Keyid([0xe3, 0x7d, 0xc9, 0x7e]))
        );
        assert_eq!(
            KeyRef::parse("id:12345678"),
            Some(KeyRef::Keyid([0x12, 0x34, 0x56, 0x78]))
        );
        assert_eq!(KeyRef::parse("12345678"), Some(KeyRef::Serial(12345678)));
        assert_eq!(KeyRef::parse("id:123"), None);
        assert_eq!(KeyRef::parse("xyz"), None);
    }

    #[test]
    fn verify_errnos_in_kernel_words() {
        let k = [1, 2, 3, 4];
        let v = verify_errno_verdict(libc::EKEYREJECTED, true, k, HashAlgo::Sha256, "pkcs1");
        assert_eq!(v.code(), "invalid-signature");
        assert!(v.to_string().starts_with("invalid-signature"));
        let v = verify_errno_verdict(libc::EINVAL, true, k, HashAlgo::Sha256, "pkcs1");
        assert_eq!(v.code(), "invalid-signature");
        let v = verify_errno_verdict(libc::ENOENT, false, k, HashAlgo::Sha512, "pkcs1");
        assert_eq!(v.code(), "unavailable-hash");
        assert!(v
            .to_string()
            .starts_with("unavailable hash algorithm sha512"));
        let v = verify_errno_verdict(libc::EINVAL, false, k, HashAlgo::Md5, "x962");
        assert_eq!(v.code(), "unavailable-hash");
        assert_eq!(kernel_encoding(Some("ecdsa-nist-p256")), "x962");
        assert_eq!(kernel_encoding(Some("rsa")), "pkcs1");
        assert_eq!(kernel_encoding(None), "pkcs1");
    }

    #[test]
    fn add_key_errors_in_words() {
        let ec = CertTraits {
            ecdsa: true,
            ..Default::default()
        };
        assert!(explain_add_key_error(libc::ENOENT, ec, Some("_ima")).contains("no ECDSA"));
        let pem = explain_add_key_error(libc::EBADMSG, CertTraits::default(), None);
        assert!(pem.contains("PEM"));
        let ca = CertTraits {
            ca: true,
            ..Default::default()
        };
        let r = explain_add_key_error(libc::ENOKEY, ca, Some(".ima"));
        assert!(r.contains("builtin or secondary trusted"));
        assert!(r.contains("6.12"));
        assert!(explain_add_key_error(libc::ENOKEY, ca, Some("_ima")).contains("does not exist"));
    }
}
