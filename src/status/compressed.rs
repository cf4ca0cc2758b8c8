//! Compressed kernel images, recognised by their content (never by the file name). A
//! compressed image is never what `kexec_file_load` appraises: kexec-tools (read for facts,
//! kexec/kexec.c `slurp_decompress_file`, kexec/zlib.c, kexec/lzma.c, kexec/zstd.c,
//! kexec/kexec-pe-zboot.c, kexec/arch/arm64/kexec-zImage-arm64.c) decompresses it in user
//! space and, depending on its version, architecture and build:
//!
//! - 2.0.25 (Debian 12) on arm64, gzip: writes the Image to `/tmp/ImageXXXXXX`, unlinks it,
//!   and hands that descriptor to `kexec_file_load` (the zImage probe);
//! - 2.0.25 elsewhere: probes the decompressed buffer but hands the kernel the compressed
//!   file itself, which no kernel image loader recognises (ENOEXEC);
//! - 2.0.27 and later, every architecture: hands a memfd holding the decompressed image
//!   whenever the sizes differ; an EFI zboot image's payload is decompressed into a memfd
//!   too (arm64);
//! - a build without the library (Debian 12's amd64 kexec-tools links no zlib; neither its
//!   amd64 nor its arm64 build links liblzma; 2.0.25 has no zstd or zboot support) reads
//!   the compressed file as it is and cannot determine its type ("Cannot determine the file
//!   type"): no `kexec_file_load` at all.
//!
//! The temporary file and the memfd carry no `security.ima`: wherever IMA appraises
//! KEXEC_KERNEL_CHECK, a signature on the compressed file never counts.

use serde::Serialize;

/// The compression of a kernel image.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case", tag = "format", content = "payload")]
pub enum Compression {
    /// gzip (1f 8b): zlib (Debian 12's arm64 kexec-tools links it, its amd64 build does not).
    Gzip,
    /// xz (fd 37 7a 58 5a 00): liblzma.
    Xz,
    /// The legacy .lzma format (properties byte 0x5d, then a little-endian dictionary
    /// size): liblzma.
    Lzma,
    /// zstd (28 b5 2f fd): libzstd, kexec-tools 2.0.31 and later.
    Zstd,
    /// An EFI zboot image: a PE file ("MZ", then "zimg" at offset 4) whose payload is the
    /// compressed Image; the name of the payload's compression (the NUL-terminated string at
    /// offset 24: gzip, zstd22, xzkern, ...) is kept.
    EfiZboot(String),
}

impl Compression {
    /// How the format is named in reasons ("gzip-compressed", "an EFI zboot image").
    pub fn words(&self) -> String {
        match self {
            Compression::Gzip => "gzip-compressed".into(),
            Compression::Xz => "xz-compressed".into(),
            Compression::Lzma => "lzma-compressed".into(),
            Compression::Zstd => "zstd-compressed".into(),
            Compression::EfiZboot(p) => format!("an EFI zboot image (a {p}-compressed Image)"),
        }
    }
}

/// The compression of `data`, by its first bytes; None for anything else (an uncompressed
/// Image, a bzImage, an ELF file, a UKI).
pub fn detect(data: &[u8]) -> Option<Compression> {
    if data.starts_with(&[0x1f, 0x8b]) {
        return Some(Compression::Gzip);
    }
    if data.starts_with(&[0xfd, b'7', b'z', b'X', b'Z', 0]) {
        return Some(Compression::Xz);
    }
    if data.starts_with(&[0x28, 0xb5, 0x2f, 0xfd]) {
        return Some(Compression::Zstd);
    }
    // .lzma: 0x5d (lc=3, lp=0, pb=2, what xz --format=lzma and the kernel's build write),
    // a dictionary size that is a power of two or 2^n + 2^(n-1), then the size (often all
    // ones). The dictionary check keeps random data starting with 0x5d out.
    if data.len() >= 13 && data[0] == 0x5d {
        let dict = u32::from_le_bytes([data[1], data[2], data[3], data[4]]);
        let shape =
            |d: u32| d.is_power_of_two() || (d.is_multiple_of(3) && (d / 3).is_power_of_two());
        if dict >= 4096 && shape(dict) {
            return Some(Compression::Lzma);
        }
    }
    if data.len() >= 32 && data.starts_with(b"MZ") && &data[4..8] == b"zimg" {
        let name: String = data[24..data.len().min(40)]
            .iter()
            .take_while(|b| **b != 0)
            .map(|b| char::from(*b))
            .filter(|c| c.is_ascii_graphic())
            .collect();
        return Some(Compression::EfiZboot(if name.is_empty() {
            "unnamed".into()
        } else {
            name
        }));
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn formats_are_recognised_by_content() {
        assert_eq!(detect(&[0x1f, 0x8b, 8, 0]), Some(Compression::Gzip));
        assert_eq!(detect(b"\xfd7zXZ\0\0\x04"), Some(Compression::Xz));
        assert_eq!(
            detect(&[0x28, 0xb5, 0x2f, 0xfd, 0]),
            Some(Compression::Zstd)
        );
        let mut lzma = vec![0x5d, 0, 0, 0x80, 0];
        lzma.extend([0xff; 8]);
        assert_eq!(detect(&lzma), Some(Compression::Lzma));
        let mut zboot = vec![0u8; 64];
        zboot[..2].copy_from_slice(b"MZ");
        zboot[4..8].copy_from_slice(b"zimg");
        zboot[24..28].copy_from_slice(b"gzip");
        assert_eq!(detect(&zboot), Some(Compression::EfiZboot("gzip".into())));
    }

    #[test]
    fn uncompressed_images_are_not_compressed() {
        // arm64 Image: "MZ" (EFI stub) and "ARM\x64" at 0x38; bzImage: "MZ", "HdrS".
        let mut image = vec![0u8; 64];
        image[..2].copy_from_slice(b"MZ");
        image[0x38..0x3c].copy_from_slice(b"ARM\x64");
        assert_eq!(detect(&image), None);
        assert_eq!(detect(b"\x7fELF\x02\x01\x01"), None);
        assert_eq!(detect(&[0x1f]), None);
        assert_eq!(detect(&[]), None);
        // 0x5d with a dictionary size no encoder writes
        let mut not_lzma = vec![0x5d, 1, 2, 3, 4];
        not_lzma.extend([0; 8]);
        assert_eq!(detect(&not_lzma), None);
    }
}
