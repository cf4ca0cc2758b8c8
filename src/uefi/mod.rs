//! EFI signature lists, the format of the firmware's `db` and shim's `MokListRT`: a
//! sequence of EFI_SIGNATURE_LIST headers (type GUID, list size, header size, entry size),
//! each followed by entries of an owner GUID and the data. Only X.509 entries hold
//! certificates; hashes (EFI_CERT_SHA256_GUID) are counted, not used. Every size is
//! checked against what is left; a malformed list stops the reading with an error.

use std::path::Path;

use crate::keys::Certificate;

/// EFI_CERT_X509_GUID {a5c059a1-94e4-4aa7-87b5-ab155c2bf072}, as stored (little-endian
/// first three fields).
const CERT_X509_GUID: [u8; 16] = [
    0xa1, 0x59, 0xc0, 0xa5, 0xe4, 0x94, 0xa7, 0x4a, 0x87, 0xb5, 0xab, 0x15, 0x5c, 0x2b, 0xf0, 0x72,
];

/// What a signature list holds.
#[derive(Default)]
pub struct SignatureList {
    /// The X.509 certificates, named "VAR[N]".
    pub certificates: Vec<Certificate>,
    /// Entries that are not certificates (hashes), or certificates that do not parse.
    pub other: usize,
}

fn u32_at(d: &[u8], off: usize) -> Option<usize> {
    d.get(off..off + 4)
        .map(|b| u32::from_le_bytes([b[0], b[1], b[2], b[3]]) as usize)
}

/// Parses the value of a signature-list variable (without the 4 attribute bytes). `name`
/// names the variable in the certificates' names and in errors.
pub fn parse_signature_lists(name: &str, data: &[u8]) -> Result<SignatureList, String> {
    let mut out = SignatureList::default();
    let mut off = 0;
    while off < data.len() {
        let (Some(list_size), Some(header_size), Some(entry_size)) = (
            u32_at(data, off + 16),
            u32_at(data, off + 20),
            u32_at(data, off + 24),
        ) else {
            return Err(format!(
                "{name}: a signature list header is truncated at byte {off}"
            ));
        };
        let end = off
            .checked_add(list_size)
            .filter(|&e| e <= data.len() && list_size >= 28)
            .ok_or_else(|| format!("{name}: the list at byte {off} claims {list_size} bytes"))?;
        let first = off + 28 + header_size;
        if entry_size <= 16 || first > end || (end - first) % entry_size != 0 {
            return Err(format!(
                "{name}: the list at byte {off} has entries of {entry_size} bytes that do not fit"
            ));
        }
        let x509 = data[off..off + 16] == CERT_X509_GUID;
        let mut e = first;
        while e < end {
            let body = &data[e + 16..e + entry_size];
            let cname = format!("{name}[{}]", out.certificates.len() + out.other);
            match x509.then(|| Certificate::from_der(Path::new(&cname), body.to_vec())) {
                Some(Ok(c)) => out.certificates.push(c),
                _ => out.other += 1,
            }
            e += entry_size;
        }
        off = end;
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// One EFI_SIGNATURE_LIST of `entries` (each with a zero owner GUID).
    pub(crate) fn list(guid: [u8; 16], entries: &[&[u8]]) -> Vec<u8> {
        let size = entries.first().map_or(16, |e| e.len() + 16);
        let mut d = guid.to_vec();
        d.extend_from_slice(&((28 + size * entries.len()) as u32).to_le_bytes());
        d.extend_from_slice(&0u32.to_le_bytes());
        d.extend_from_slice(&(size as u32).to_le_bytes());
        for e in entries {
            d.extend_from_slice(&[0u8; 16]);
            d.extend_from_slice(e);
        }
        d
    }

    #[test]
    fn certificates_and_hashes_are_told_apart() {
        let cert = std::fs::read(concat!(
            env!("CARGO_MANIFEST_DIR"),
            "/tests/data/keys/p256-noskid.crt.der"
        ))
        .unwrap_or_default();
        if cert.is_empty() {
            eprintln!("SKIP: no test certificate");
            return;
        }
        let mut d = list(CERT_X509_GUID, &[&cert]);
        d.extend(list([7; 16], &[&[1u8; 32], &[2u8; 32]]));
        let l = parse_signature_lists("db", &d).unwrap();
        assert_eq!(l.certificates.len(), 1);
        assert_eq!(l.certificates[0].path(), Path::new("db[0]"));
        assert_eq!(l.other, 2);
    }

    #[test]
    fn bad_sizes_are_refused_without_a_panic() {
        let good = list([7; 16], &[&[1u8; 32]]);
        for n in 0..good.len() {
            let _ = parse_signature_lists("db", &good[..n]);
        }
        let mut bad = good.clone();
        bad[16..20].copy_from_slice(&u32::MAX.to_le_bytes());
        assert!(parse_signature_lists("db", &bad).is_err());
        let mut bad = good.clone();
        bad[24..28].copy_from_slice(&0u32.to_le_bytes());
        assert!(parse_signature_lists("db", &bad).is_err());
        let mut bad = good;
        bad[20..24].copy_from_slice(&u32::MAX.to_le_bytes());
        assert!(parse_signature_lists("db", &bad).is_err());
        assert_eq!(parse_signature_lists("db", &[]).unwrap().other, 0);
    }
}
