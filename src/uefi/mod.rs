//! EFI signature lists, the format of the firmware's `db` and `dbx` and shim's `MokListRT`
//! and `MokListXRT`: a sequence of EFI_SIGNATURE_LIST headers (type GUID, list size,
//! header size, entry size), each followed by entries of an owner GUID and the data.
//! X.509 entries hold certificates; EFI_CERT_SHA256 and EFI_CERT_X509_SHA256 entries are
//! kept as the kernel's efi_parser.c hands them to its handlers: the whole entry after the
//! owner GUID (for EFI_CERT_X509_SHA256 that is the 32-byte hash and the 16-byte time of
//! revocation, see docs/secure-boot.md). Every size is checked against what is left; a
//! malformed list stops the reading with an error.

use std::path::Path;

use crate::keys::Certificate;

/// EFI_CERT_X509_GUID {a5c059a1-94e4-4aa7-87b5-ab155c2bf072}, as stored (little-endian
/// first three fields).
const CERT_X509_GUID: [u8; 16] = [
    0xa1, 0x59, 0xc0, 0xa5, 0xe4, 0x94, 0xa7, 0x4a, 0x87, 0xb5, 0xab, 0x15, 0x5c, 0x2b, 0xf0, 0x72,
];

/// EFI_CERT_SHA256_GUID {c1c41626-504c-4092-aca9-41f936934328}: the SHA-256 of an image.
const CERT_SHA256_GUID: [u8; 16] = [
    0x26, 0x16, 0xc4, 0xc1, 0x4c, 0x50, 0x92, 0x40, 0xac, 0xa9, 0x41, 0xf9, 0x36, 0x93, 0x43, 0x28,
];

/// EFI_CERT_X509_SHA256_GUID {3bd2a492-96c0-4079-b420-fcf98ef103ed}: the SHA-256 of a
/// certificate's TBSCertificate, then an EFI_TIME of revocation.
const CERT_X509_SHA256_GUID: [u8; 16] = [
    0x92, 0xa4, 0xd2, 0x3b, 0xc0, 0x96, 0x79, 0x40, 0xb4, 0x20, 0xfc, 0xf9, 0x8e, 0xf1, 0x03, 0xed,
];

/// What a signature list holds.
#[derive(Default)]
pub struct SignatureList {
    /// The X.509 certificates, named "VAR[N]".
    pub certificates: Vec<Certificate>,
    /// The data of the EFI_CERT_SHA256 entries (what the kernel blacklists as "bin:").
    pub sha256: Vec<Vec<u8>>,
    /// The data of the EFI_CERT_X509_SHA256 entries, whole (what the kernel blacklists as
    /// "tbs:").
    pub x509_sha256: Vec<Vec<u8>>,
    /// Entries of other types, or certificates that do not parse.
    pub other: usize,
}

impl SignatureList {
    /// The number of entries of every kind.
    pub fn entries(&self) -> usize {
        self.certificates.len() + self.sha256.len() + self.x509_sha256.len() + self.other
    }
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
        let guid = &data[off..off + 16];
        let mut e = first;
        while e < end {
            let body = &data[e + 16..e + entry_size];
            if guid == CERT_SHA256_GUID {
                out.sha256.push(body.to_vec());
            } else if guid == CERT_X509_SHA256_GUID {
                out.x509_sha256.push(body.to_vec());
            } else if guid == CERT_X509_GUID {
                let cname = format!("{name}[{}]", out.entries());
                match Certificate::from_der(Path::new(&cname), body.to_vec()) {
                    Ok(c) => out.certificates.push(c),
                    Err(_) => out.other += 1,
                }
            } else {
                out.other += 1;
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
    fn revocation_entries_are_kept_as_the_kernel_passes_them() {
        let cert = std::fs::read(concat!(
            env!("CARGO_MANIFEST_DIR"),
            "/tests/data/keys/p256-noskid.crt.der"
        ))
        .unwrap();
        // A SHA-256 entry, a spec-sized EFI_CERT_X509_SHA256 entry (hash + EFI_TIME), and
        // a revoked certificate, as in a dbx.
        let mut tbs = vec![0xabu8; 32];
        tbs.extend_from_slice(&[0u8; 16]);
        let mut d = list(CERT_SHA256_GUID, &[&[0x11u8; 32]]);
        d.extend(list(CERT_X509_SHA256_GUID, &[&tbs]));
        d.extend(list(CERT_X509_GUID, &[&cert]));
        let l = parse_signature_lists("dbx", &d).unwrap();
        assert_eq!(l.sha256, vec![vec![0x11u8; 32]]);
        assert_eq!(l.x509_sha256, vec![tbs]);
        assert_eq!(l.certificates.len(), 1);
        assert_eq!(l.certificates[0].path(), Path::new("dbx[2]"));
        assert_eq!((l.other, l.entries()), (0, 3));
    }

    #[test]
    fn the_guids_are_the_uefi_ones() {
        // As the kernel's include/linux/efi.h spells them.
        let text = |g: [u8; 16]| {
            let h = crate::hash::to_hex;
            let mut a = g[..4].to_vec();
            a.reverse();
            let mut b = g[4..6].to_vec();
            b.reverse();
            let mut c = g[6..8].to_vec();
            c.reverse();
            format!(
                "{}-{}-{}-{}-{}",
                h(&a),
                h(&b),
                h(&c),
                h(&g[8..10]),
                h(&g[10..])
            )
        };
        assert_eq!(text(CERT_X509_GUID), "a5c059a1-94e4-4aa7-87b5-ab155c2bf072");
        assert_eq!(
            text(CERT_SHA256_GUID),
            "c1c41626-504c-4092-aca9-41f936934328"
        );
        assert_eq!(
            text(CERT_X509_SHA256_GUID),
            "3bd2a492-96c0-4079-b420-fcf98ef103ed"
        );
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
