//! /proc/keys: the only place that shows the kernel-made '.'-keyrings and an asymmetric
//! key's algorithm and SKID tail. The parser takes text, so tests feed it fixtures; only
//! [`proc_keys`] reads the file.

use std::io;

use super::KeySerial;

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
    let path = std::path::Path::new("/proc/keys");
    let text = crate::input::read_input_string(path, crate::input::InputKind::ProcKeys)?;
    Ok(parse_proc_keys(&text))
}

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
pub(super) fn proc_keyring_named(keys: &[ProcKey], name: &str) -> Option<KeySerial> {
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
pub(super) struct AsymmetricDetails {
    /// The kernel's public key algorithm: "rsa", "ecdsa-nist-p256", "ecrdsa", "sm2"...
    pub(super) pkey_algo: Option<String>,
    /// The tail of the key's SKID-based id (what `id:` matches for evmctl signatures).
    pub(super) keyid: Option<[u8; 4]>,
}

pub(super) fn asymmetric_details(entry: &ProcKey, description: &str) -> AsymmetricDetails {
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
}
