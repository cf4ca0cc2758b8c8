//! PE/COFF images as the kernel's kexec PE check reads them (crypto/asymmetric_keys
//! verify_pefile.c, read for facts): the headers, the Authenticode digest over the image
//! and the PKCS#7 signature in the certificate table. Every offset and size comes from
//! the file and is checked against its length before use; nothing is trusted.

pub mod authenticode;

use crate::hash::HashAlgo;

/// Why an image is not a PE image the kernel could check.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct PeError(pub String);

impl std::fmt::Display for PeError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

fn err<T>(what: impl Into<String>) -> Result<T, PeError> {
    Err(PeError(what.into()))
}

/// The most sections a PE image may have (the COFF field is 16 bits; the PE format
/// documentation caps it at 96).
const MAX_SECTIONS: usize = 96;
/// WIN_CERTIFICATE revision 2.0 and type PKCS_SIGNED_DATA.
const WIN_CERT_REVISION_2: u16 = 0x0200;
const WIN_CERT_TYPE_PKCS_SIGNED_DATA: u16 = 0x0002;

fn u16_at(d: &[u8], off: usize) -> Result<u16, PeError> {
    d.get(off..off.saturating_add(2))
        .map(|b| u16::from_le_bytes([b[0], b[1]]))
        .ok_or_else(|| PeError(format!("truncated at offset {off}")))
}

fn u32_at(d: &[u8], off: usize) -> Result<u32, PeError> {
    d.get(off..off.saturating_add(4))
        .map(|b| u32::from_le_bytes([b[0], b[1], b[2], b[3]]))
        .ok_or_else(|| PeError(format!("truncated at offset {off}")))
}

/// One section's raw data in the file.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
struct Section {
    offset: usize,
    size: usize,
}

/// A parsed PE image: the places the Authenticode digest skips, and the sections.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct PeImage<'a> {
    data: &'a [u8],
    checksum_offset: usize,
    cert_dir_offset: usize,
    header_size: usize,
    sections: Vec<Section>,
    /// The certificate table (file offset, size); size 0 when there is none.
    cert_table: (usize, usize),
}

impl<'a> PeImage<'a> {
    /// Parses the headers of `data`.
    pub fn parse(data: &'a [u8]) -> Result<PeImage<'a>, PeError> {
        if data.get(..2) != Some(b"MZ") {
            return err("no MZ header: not a PE image");
        }
        let pe = u32_at(data, 0x3c)? as usize;
        if data.get(pe..pe.saturating_add(4)) != Some(b"PE\0\0") {
            return err("no PE signature at the offset the MZ header gives");
        }
        let coff = pe + 4;
        let nsections = u16_at(data, coff + 2)? as usize;
        let opt_size = u16_at(data, coff + 16)? as usize;
        let opt = coff + 20;
        let (dirs, ndirs_off) = match u16_at(data, opt)? {
            0x10b => (opt + 96, opt + 92),
            0x20b => (opt + 112, opt + 108),
            m => return err(format!("unknown optional header magic {m:#x}")),
        };
        let ndirs = u32_at(data, ndirs_off)? as usize;
        if ndirs < 5 || dirs + 5 * 8 > opt + opt_size {
            return err("the optional header has no certificate table entry");
        }
        let header_size = u32_at(data, opt + 60)? as usize;
        let cert_dir_offset = dirs + 4 * 8;
        let cert_off = u32_at(data, cert_dir_offset)? as usize;
        let cert_size = u32_at(data, cert_dir_offset + 4)? as usize;
        if header_size > data.len() || header_size < cert_dir_offset + 8 {
            return err(format!("SizeOfHeaders {header_size} is outside the image"));
        }
        if nsections > MAX_SECTIONS {
            return err(format!("{nsections} sections (at most {MAX_SECTIONS})"));
        }
        let sec_table = opt + opt_size;
        let mut sections = Vec::with_capacity(nsections);
        for i in 0..nsections {
            let h = sec_table + i * 40;
            let size = u32_at(data, h + 16)? as usize;
            let offset = u32_at(data, h + 20)? as usize;
            if size == 0 {
                continue;
            }
            if offset.checked_add(size).is_none_or(|end| end > data.len()) {
                return err(format!("section {i} lies outside the image"));
            }
            sections.push(Section { offset, size });
        }
        sections.sort_by_key(|s| s.offset);
        if cert_size > 0
            && cert_off
                .checked_add(cert_size)
                .is_none_or(|e| e > data.len())
        {
            return err("the certificate table lies outside the image");
        }
        Ok(PeImage {
            data,
            checksum_offset: opt + 64,
            cert_dir_offset,
            header_size,
            sections,
            cert_table: (cert_off, cert_size),
        })
    }

    /// The PKCS#7 SignedData of the first WIN_CERTIFICATE, if the image is signed.
    pub fn pkcs7(&self) -> Result<Option<&'a [u8]>, PeError> {
        let (off, size) = self.cert_table;
        if size == 0 {
            return Ok(None);
        }
        let len = u32_at(self.data, off)? as usize;
        let rev = u16_at(self.data, off + 4)?;
        let typ = u16_at(self.data, off + 6)?;
        if len < 8 || len > size {
            return err(format!(
                "the signature's length {len} does not fit its table ({size} bytes)"
            ));
        }
        if rev != WIN_CERT_REVISION_2 || typ != WIN_CERT_TYPE_PKCS_SIGNED_DATA {
            return err(format!(
                "the signature is not a PKCS#7 WIN_CERTIFICATE (revision {rev:#x}, type {typ:#x})"
            ));
        }
        let body = &self.data[off + 8..off + len];
        // Like the kernel (verify_pefile.c, pefile_strip_sig_wrapper), the PKCS#7 ends where
        // its DER header says, and what follows within dwLength is padding: signers that
        // count the 8-byte alignment in dwLength (pesign before 0.110) leave zeros there
        // whenever the DER length is not a multiple of 8, and the kernel loads the image.
        // What the kernel refuses there, refused here too: fewer than 4 bytes, no SEQUENCE,
        // a length in 3 or more bytes (EMSGSIZE), a length beyond dwLength (ELIBBAD).
        if body.len() < 4 {
            return err("the signature holds no PKCS#7 data (fewer than 4 bytes)".to_string());
        }
        let der_len =
            match *body {
                [0x30, l, ..] if l < 0x80 => usize::from(l) + 2,
                // indefinite length: the kernel keeps dwLength, for the PKCS#7 parser to judge
                [0x30, 0x80, ..] => return Ok(Some(body)),
                [0x30, 0x81, l, ..] => usize::from(l) + 3,
                [0x30, 0x82, h, l, ..] => (usize::from(h) << 8 | usize::from(l)) + 4,
                [0x30, _, ..] => return err(
                    "the PKCS#7 signature is longer than 64 KiB: the kernel refuses it (EMSGSIZE)"
                        .to_string(),
                ),
                _ => return err("the signature wrapper holds no PKCS#7 data".to_string()),
            };
        if der_len > body.len() {
            return err(format!(
                "the PKCS#7 signature's length {der_len} is beyond its wrapper ({} bytes)",
                body.len()
            ));
        }
        Ok(Some(&body[..der_len]))
    }

    /// The Authenticode digest of the image with `algo`, as the kernel computes it: the
    /// headers without the checksum and the certificate table entry, the sections in file
    /// order, then what follows them up to the certificate table.
    pub fn authenticode_digest(&self, algo: HashAlgo) -> Vec<u8> {
        let d = self.data;
        let mut parts: Vec<&[u8]> = vec![
            &d[..self.checksum_offset],
            &d[self.checksum_offset + 4..self.cert_dir_offset],
            &d[self.cert_dir_offset + 8..self.header_size],
        ];
        let mut hashed = self.header_size;
        for s in &self.sections {
            parts.push(&d[s.offset..s.offset + s.size]);
            hashed = hashed.saturating_add(s.size);
        }
        let tail_end = d.len().saturating_sub(self.cert_table.1);
        if tail_end > hashed {
            parts.push(&d[hashed..tail_end]);
        }
        let mut h = algo.hasher();
        for p in parts {
            h.update(p);
        }
        h.finalize()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A minimal PE32+ image: headers, one section of `body`, and an optional
    /// certificate table holding `cert`.
    pub(crate) fn tiny_pe(body: &[u8], cert: Option<&[u8]>) -> Vec<u8> {
        let mut d = vec![0u8; 0x200];
        d[..2].copy_from_slice(b"MZ");
        d[0x3c..0x40].copy_from_slice(&0x40u32.to_le_bytes());
        d[0x40..0x44].copy_from_slice(b"PE\0\0");
        let coff = 0x44;
        d[coff..coff + 2].copy_from_slice(&0x8664u16.to_le_bytes());
        d[coff + 2..coff + 4].copy_from_slice(&1u16.to_le_bytes());
        d[coff + 16..coff + 18].copy_from_slice(&240u16.to_le_bytes());
        let opt = coff + 20;
        d[opt..opt + 2].copy_from_slice(&0x20bu16.to_le_bytes());
        d[opt + 60..opt + 64].copy_from_slice(&0x200u32.to_le_bytes());
        d[opt + 108..opt + 112].copy_from_slice(&16u32.to_le_bytes());
        let sec = opt + 240;
        d[sec..sec + 5].copy_from_slice(b".text");
        d[sec + 16..sec + 20].copy_from_slice(&(body.len() as u32).to_le_bytes());
        d[sec + 20..sec + 24].copy_from_slice(&0x200u32.to_le_bytes());
        d.extend_from_slice(body);
        if let Some(c) = cert {
            let off = d.len() as u32;
            let len = (c.len() + 8) as u32;
            let dir = opt + 112 + 32;
            d[dir..dir + 4].copy_from_slice(&off.to_le_bytes());
            d[dir + 4..dir + 8].copy_from_slice(&len.to_le_bytes());
            d.extend_from_slice(&len.to_le_bytes());
            d.extend_from_slice(&0x0200u16.to_le_bytes());
            d.extend_from_slice(&0x0002u16.to_le_bytes());
            d.extend_from_slice(c);
        }
        d
    }

    #[test]
    fn an_image_is_parsed_and_its_signature_found() {
        let pkcs7 = [0x30, 3, b'p', b'k', b'7'];
        let pe = tiny_pe(b"kernel", Some(&pkcs7));
        let img = PeImage::parse(&pe).unwrap();
        assert_eq!(img.pkcs7().unwrap(), Some(&pkcs7[..]));
        let unsigned = tiny_pe(b"kernel", None);
        assert_eq!(PeImage::parse(&unsigned).unwrap().pkcs7().unwrap(), None);
    }

    /// dwLength counting the alignment padding after the DER (as pesign before 0.110
    /// wrote it): the padding is not part of the PKCS#7, as the kernel reads it.
    #[test]
    fn padding_counted_in_dwlength_is_not_part_of_the_pkcs7() {
        for (der, pad) in [
            (vec![0x30, 3, 1, 2, 3], 3usize),
            ([&[0x30, 0x81, 0x80][..], &[7; 0x80]].concat(), 5),
            ([&[0x30, 0x82, 0x01, 0x00][..], &[7; 0x100]].concat(), 4),
        ] {
            let mut padded = der.clone();
            padded.resize(der.len() + pad, 0);
            let pe = tiny_pe(b"kernel", Some(&padded));
            let img = PeImage::parse(&pe).unwrap();
            assert_eq!(
                img.pkcs7().unwrap(),
                Some(&der[..]),
                "{pad} bytes of padding"
            );
        }
        // What verify_pefile.c refuses: a DER length beyond dwLength (ELIBBAD), one in
        // three bytes or more (EMSGSIZE), no SEQUENCE, fewer than 4 bytes.
        for bad in [
            &[0x30, 9, 1, 2][..],
            &[0x30, 0x83, 1, 0, 0, 0, 0, 0][..],
            &[0x31, 2, 1, 2][..],
            &[0x30, 1, 1][..],
        ] {
            let pe = tiny_pe(b"kernel", Some(bad));
            assert!(PeImage::parse(&pe).unwrap().pkcs7().is_err(), "{bad:?}");
        }
    }

    #[test]
    fn the_digest_ignores_the_signature_and_covers_the_sections() {
        let a = tiny_pe(b"kernel", None);
        let b = tiny_pe(b"kernel", Some(b"a signature"));
        let c = tiny_pe(b"kernal", None);
        let da = PeImage::parse(&a)
            .unwrap()
            .authenticode_digest(HashAlgo::Sha256);
        let db = PeImage::parse(&b)
            .unwrap()
            .authenticode_digest(HashAlgo::Sha256);
        let dc = PeImage::parse(&c)
            .unwrap()
            .authenticode_digest(HashAlgo::Sha256);
        assert_eq!(da, db);
        assert_ne!(da, dc);
    }

    #[test]
    fn offsets_outside_the_file_are_refused() {
        assert!(PeImage::parse(b"").is_err());
        assert!(PeImage::parse(b"MZ").is_err());
        let mut pe = tiny_pe(b"kernel", None);
        pe[0x3c..0x40].copy_from_slice(&u32::MAX.to_le_bytes());
        assert!(PeImage::parse(&pe).is_err());
        let mut pe = tiny_pe(b"kernel", None);
        let sec = 0x44 + 20 + 240;
        pe[sec + 20..sec + 24].copy_from_slice(&u32::MAX.to_le_bytes());
        assert!(PeImage::parse(&pe).unwrap_err().0.contains("outside"));
        let mut pe = tiny_pe(b"kernel", Some(b"x"));
        let dir = 0x44 + 20 + 112 + 32;
        pe[dir + 4..dir + 8].copy_from_slice(&u32::MAX.to_le_bytes());
        assert!(PeImage::parse(&pe).is_err());
        // Every prefix of a valid image is refused or parsed, never a panic.
        let pe = tiny_pe(b"kernel", Some(b"pkcs7"));
        for n in 0..pe.len() {
            if let Ok(img) = PeImage::parse(&pe[..n]) {
                let _ = img.pkcs7();
                let _ = img.authenticode_digest(HashAlgo::Sha256);
            }
        }
    }
}
