//! Kernel keyrings: the IMA/EVM keyrings, adding certificates to them, and asking the
//! kernel itself to check a signature with a key it holds.
//!
//! This file holds the shared vocabulary (serials, special ids, key descriptions) and
//! re-exports the rest, so callers write `keyring::X` whatever file X lives in:
//! - `locate.rs`: which keyring IMA (or EVM, or the platform firmware db) will use on this
//!   kernel ([`locate`]), and resolving a keyring given by serial or by name;
//! - `add.rs`: [`add_certificate`] and [`explain_add_key_error`];
//! - `list.rs`: [`list_keys`] and [`remove_key`];
//! - `verify.rs`: [`kernel_verify`] and its [`Verdict`];
//! - `proc_keys.rs`: reading and parsing /proc/keys ([`parse_proc_keys`] takes text);
//! - the system calls themselves (`add_key(2)`, `keyctl(2)` operations), one safe wrapper
//!   each in [`crate::sys::keyctl`], re-exported here. No other module makes a keyring
//!   syscall.
//!
//! Nothing here prints or parses argv.

mod add;
mod list;
mod locate;
mod proc_keys;
mod verify;

pub use add::{
    add_certificate, explain_add_key_error, kernel_keyid, AddKeyError, AddedKey, CertTraits,
};
pub use list::{list_keys, remove_key, KeyInfo, KeyRef};
pub use locate::{
    create_hint, ima_blacklist, locate, parse_serial, possess_user_keyring, Keyring, KeyringSpec,
    LocateError, Origin, Purpose,
};
pub use proc_keys::{parse_proc_keys, proc_keys, ProcKey};
pub use verify::{kernel_verify, Verdict};

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

pub use crate::sys::keyctl::{
    add_key, get_keyring_id, join_session_keyring, link, pkey_query, pkey_verify, read_keyring,
    search, unlink, KeySerial, PkeyQuery,
};
pub use crate::sys::SysError;

/// What keyctl(KEYCTL_DESCRIBE) says about a key.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct KeyDescription {
    pub key_type: String,
    pub uid: u32,
    pub gid: u32,
    pub perm: u32,
    pub description: String,
}

/// keyctl(KEYCTL_DESCRIBE): type, owner, permissions and description of a key. A text
/// the kernel should never give (not five ';'-separated fields) is EINVAL.
pub fn describe(key: KeySerial) -> Result<KeyDescription, SysError> {
    let text = crate::sys::keyctl::describe(key)?;
    parse_describe(&text).ok_or(SysError {
        call: "keyctl(KEYCTL_DESCRIBE)",
        errno: libc::EINVAL,
    })
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

/// The errnos of a key or keyring that is not there (any more).
fn is_absent(e: &SysError) -> bool {
    matches!(
        e.raw_os_error(),
        Some(libc::ENOKEY) | Some(libc::EKEYREVOKED) | Some(libc::EKEYEXPIRED)
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn describe_text_splits_in_five() {
        let d = parse_describe("asymmetric;0;0;3f010000;t: 5dab;with;semicolons").unwrap();
        assert_eq!(d.key_type, "asymmetric");
        assert_eq!((d.uid, d.gid, d.perm), (0, 0, 0x3f01_0000));
        assert_eq!(d.description, "t: 5dab;with;semicolons");
        assert_eq!(parse_describe("keyring;0;0;zz;x"), None);
        assert_eq!(parse_describe("keyring;0;0"), None);
    }

    #[test]
    fn absent_keys_are_three_errnos() {
        let e = |errno| SysError {
            call: "keyctl(KEYCTL_SEARCH)",
            errno,
        };
        assert!(is_absent(&e(libc::ENOKEY)));
        assert!(is_absent(&e(libc::EKEYREVOKED)));
        assert!(is_absent(&e(libc::EKEYEXPIRED)));
        assert!(!is_absent(&e(libc::EACCES)));
    }
}
