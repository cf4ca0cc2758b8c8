//! Listing the keys of a keyring and removing one.

use std::io;

use crate::hash::to_hex;

use super::proc_keys::{asymmetric_details, proc_keys};
use super::{describe, parse_serial, pkey_query, read_keyring, search, unlink, KeySerial};

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

/// A key linked directly in `keyring` whose IMA keyid is `keyid`, found by listing the
/// keyring (which needs only "read" on it and "view" on the keys).
pub(super) fn listed_key(keyring: KeySerial, keyid: [u8; 4]) -> Option<KeySerial> {
    let want = to_hex(&keyid);
    list_keys(keyring)
        .ok()?
        .into_iter()
        .find(|k| k.key_type == "asymmetric" && k.keyid.as_deref() == Some(want.as_str()))
        .map(|k| k.serial)
}

#[cfg(test)]
mod tests {
    use super::*;

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
}
