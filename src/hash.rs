//! Hash algorithms as the kernel numbers them (`enum hash_algo` in
//! include/uapi/linux/hash_info.h), their names as evmctl accepts them, and streaming
//! digests. This module owns the table; it does no file I/O.

use std::fmt;
use std::str::FromStr;

use digest::DynDigest;

/// A hash algorithm that evmctl can compute and the IMA headers can name.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum HashAlgo {
    Md4,
    Md5,
    Sha1,
    Rmd160,
    Sha256,
    Sha384,
    Sha512,
    Sha224,
    Sm3,
    Streebog256,
    Streebog512,
}

/// Returned when a name or kernel id names no algorithm this tool supports.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct UnknownHashAlgo(pub String);

impl fmt::Display for UnknownHashAlgo {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "unknown hash algorithm '{}'", self.0)
    }
}

impl std::error::Error for UnknownHashAlgo {}

impl HashAlgo {
    /// Every supported algorithm, in kernel id order.
    pub const ALL: [HashAlgo; 11] = [
        HashAlgo::Md4,
        HashAlgo::Md5,
        HashAlgo::Sha1,
        HashAlgo::Rmd160,
        HashAlgo::Sha256,
        HashAlgo::Sha384,
        HashAlgo::Sha512,
        HashAlgo::Sha224,
        HashAlgo::Sm3,
        HashAlgo::Streebog256,
        HashAlgo::Streebog512,
    ];

    /// Other names evmctl accepts: OpenSSL's names for Streebog.
    pub const ALIASES: [(&'static str, HashAlgo); 2] = [
        ("md_gost12_256", HashAlgo::Streebog256),
        ("md_gost12_512", HashAlgo::Streebog512),
    ];

    /// Every name `from_name` accepts: the kernel names, then the aliases.
    pub fn all_names() -> Vec<&'static str> {
        let mut v: Vec<&str> = HashAlgo::ALL.iter().map(|a| a.name()).collect();
        v.extend(HashAlgo::ALIASES.iter().map(|(n, _)| *n));
        v
    }

    /// The kernel's `enum hash_algo` value, used in every IMA/EVM header.
    pub fn kernel_id(self) -> u8 {
        match self {
            HashAlgo::Md4 => 0,
            HashAlgo::Md5 => 1,
            HashAlgo::Sha1 => 2,
            HashAlgo::Rmd160 => 3,
            HashAlgo::Sha256 => 4,
            HashAlgo::Sha384 => 5,
            HashAlgo::Sha512 => 6,
            HashAlgo::Sha224 => 7,
            HashAlgo::Sm3 => 17,
            HashAlgo::Streebog256 => 18,
            HashAlgo::Streebog512 => 19,
        }
    }

    /// The algorithm with kernel id `id`, if this tool supports it.
    pub fn from_kernel_id(id: u8) -> Option<HashAlgo> {
        HashAlgo::ALL.into_iter().find(|a| a.kernel_id() == id)
    }

    /// The kernel's name (`hash_algo_name[]`), also evmctl's canonical name.
    pub fn name(self) -> &'static str {
        match self {
            HashAlgo::Md4 => "md4",
            HashAlgo::Md5 => "md5",
            HashAlgo::Sha1 => "sha1",
            HashAlgo::Rmd160 => "rmd160",
            HashAlgo::Sha256 => "sha256",
            HashAlgo::Sha384 => "sha384",
            HashAlgo::Sha512 => "sha512",
            HashAlgo::Sha224 => "sha224",
            HashAlgo::Sm3 => "sm3",
            HashAlgo::Streebog256 => "streebog256",
            HashAlgo::Streebog512 => "streebog512",
        }
    }

    /// Parses a name the way evmctl does: case-sensitive kernel names, plus the OpenSSL
    /// names `md_gost12_256` and `md_gost12_512` for Streebog.
    pub fn from_name(name: &str) -> Result<HashAlgo, UnknownHashAlgo> {
        if let Some(&(_, a)) = Self::ALIASES.iter().find(|(n, _)| *n == name) {
            return Ok(a);
        }
        HashAlgo::ALL
            .into_iter()
            .find(|a| a.name() == name)
            .ok_or_else(|| UnknownHashAlgo(name.to_string()))
    }

    /// Digest length in bytes.
    pub fn digest_len(self) -> usize {
        match self {
            HashAlgo::Md4 | HashAlgo::Md5 => 16,
            HashAlgo::Sha1 | HashAlgo::Rmd160 => 20,
            HashAlgo::Sha224 => 28,
            HashAlgo::Sha256 | HashAlgo::Sm3 | HashAlgo::Streebog256 => 32,
            HashAlgo::Sha384 => 48,
            HashAlgo::Sha512 | HashAlgo::Streebog512 => 64,
        }
    }

    /// DER encoding of the algorithm's OBJECT IDENTIFIER content octets, as used in the
    /// PKCS#1 v1.5 DigestInfo.
    fn oid_der(self) -> &'static [u8] {
        match self {
            // 1.2.840.113549.2.4
            HashAlgo::Md4 => &[0x2a, 0x86, 0x48, 0x86, 0xf7, 0x0d, 0x02, 0x04],
            // 1.2.840.113549.2.5
            HashAlgo::Md5 => &[0x2a, 0x86, 0x48, 0x86, 0xf7, 0x0d, 0x02, 0x05],
            // 1.3.14.3.2.26
            HashAlgo::Sha1 => &[0x2b, 0x0e, 0x03, 0x02, 0x1a],
            // 1.3.36.3.2.1
            HashAlgo::Rmd160 => &[0x2b, 0x24, 0x03, 0x02, 0x01],
            // 2.16.840.1.101.3.4.2.{1,2,3,4}
            HashAlgo::Sha256 => &[0x60, 0x86, 0x48, 0x01, 0x65, 0x03, 0x04, 0x02, 0x01],
            HashAlgo::Sha384 => &[0x60, 0x86, 0x48, 0x01, 0x65, 0x03, 0x04, 0x02, 0x02],
            HashAlgo::Sha512 => &[0x60, 0x86, 0x48, 0x01, 0x65, 0x03, 0x04, 0x02, 0x03],
            HashAlgo::Sha224 => &[0x60, 0x86, 0x48, 0x01, 0x65, 0x03, 0x04, 0x02, 0x04],
            // 1.2.156.10197.1.401
            HashAlgo::Sm3 => &[0x2a, 0x81, 0x1c, 0xcf, 0x55, 0x01, 0x83, 0x11],
            // 1.2.643.7.1.1.2.2 and .3
            HashAlgo::Streebog256 => &[0x2a, 0x85, 0x03, 0x07, 0x01, 0x01, 0x02, 0x02],
            HashAlgo::Streebog512 => &[0x2a, 0x85, 0x03, 0x07, 0x01, 0x01, 0x02, 0x03],
        }
    }

    /// The DER DigestInfo prefix (everything before the digest bytes) for PKCS#1 v1.5
    /// signatures: SEQUENCE { SEQUENCE { OID, NULL }, OCTET STRING }.
    pub fn digest_info_prefix(self) -> Vec<u8> {
        let oid = self.oid_der();
        let alg_len = 2 + oid.len() + 2;
        let total = 2 + alg_len + 2 + self.digest_len();
        let mut out = Vec::with_capacity(2 + total - self.digest_len());
        out.extend_from_slice(&[
            0x30,
            total as u8,
            0x30,
            alg_len as u8,
            0x06,
            oid.len() as u8,
        ]);
        out.extend_from_slice(oid);
        out.extend_from_slice(&[0x05, 0x00, 0x04, self.digest_len() as u8]);
        out
    }

    /// A fresh streaming hasher for this algorithm.
    pub fn hasher(self) -> Hasher {
        let inner: Box<dyn DynDigest + Send> = match self {
            HashAlgo::Md4 => Box::new(md4::Md4::default()),
            HashAlgo::Md5 => Box::new(md5::Md5::default()),
            HashAlgo::Sha1 => Box::new(sha1::Sha1::default()),
            HashAlgo::Rmd160 => Box::new(ripemd::Ripemd160::default()),
            HashAlgo::Sha256 => Box::new(sha2::Sha256::default()),
            HashAlgo::Sha384 => Box::new(sha2::Sha384::default()),
            HashAlgo::Sha512 => Box::new(sha2::Sha512::default()),
            HashAlgo::Sha224 => Box::new(sha2::Sha224::default()),
            HashAlgo::Sm3 => Box::new(sm3::Sm3::default()),
            HashAlgo::Streebog256 => Box::new(streebog::Streebog256::default()),
            HashAlgo::Streebog512 => Box::new(streebog::Streebog512::default()),
        };
        Hasher { algo: self, inner }
    }

    /// One-shot digest of `data`.
    pub fn digest(self, data: &[u8]) -> Vec<u8> {
        let mut h = self.hasher();
        h.update(data);
        h.finalize()
    }
}

impl fmt::Display for HashAlgo {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

impl FromStr for HashAlgo {
    type Err = UnknownHashAlgo;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        HashAlgo::from_name(s)
    }
}

/// A streaming digest of one of the supported algorithms.
pub struct Hasher {
    algo: HashAlgo,
    inner: Box<dyn DynDigest + Send>,
}

impl Hasher {
    pub fn algo(&self) -> HashAlgo {
        self.algo
    }

    pub fn update(&mut self, data: &[u8]) {
        self.inner.update(data);
    }

    pub fn finalize(self) -> Vec<u8> {
        self.inner.finalize().into_vec()
    }
}

impl std::io::Write for Hasher {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        self.update(buf);
        Ok(buf.len())
    }
    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

/// The digest at the start of a `sha256sum`-style line: hex of `algo`'s length, ended by
/// the end of the line, a space, a tab or a comma.
pub fn digest_at_line_start(line: &str, algo: HashAlgo) -> Option<Vec<u8>> {
    let end = line.find([',', ' ', '\t']).unwrap_or(line.len());
    from_hex(&line[..end]).filter(|d| d.len() == algo.digest_len())
}

/// Lower-case hex of `bytes`, as evmctl prints digests and signatures.
pub fn to_hex(bytes: &[u8]) -> String {
    const HEX: &[u8; 16] = b"0123456789abcdef";
    let mut s = String::with_capacity(bytes.len() * 2);
    for b in bytes {
        s.push(HEX[(b >> 4) as usize] as char);
        s.push(HEX[(b & 15) as usize] as char);
    }
    s
}

/// Parses hex (either case, even length) into bytes.
pub fn from_hex(s: &str) -> Option<Vec<u8>> {
    if !s.len().is_multiple_of(2) {
        return None;
    }
    (0..s.len())
        .step_by(2)
        .map(|i| u8::from_str_radix(s.get(i..i + 2)?, 16).ok())
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_round_trip_and_ids_are_unique() {
        for a in HashAlgo::ALL {
            assert_eq!(HashAlgo::from_name(a.name()), Ok(a));
            assert_eq!(HashAlgo::from_kernel_id(a.kernel_id()), Some(a));
            assert_eq!(a.digest(b"").len(), a.digest_len());
        }
        assert_eq!(
            HashAlgo::from_name("md_gost12_512"),
            Ok(HashAlgo::Streebog512)
        );
        assert!(HashAlgo::from_name("SHA1").is_err());
        assert!(HashAlgo::from_name("sha512-224").is_err());
    }

    #[test]
    fn sha256_digest_info_is_the_rfc8017_one() {
        let p = HashAlgo::Sha256.digest_info_prefix();
        assert_eq!(to_hex(&p), "3031300d060960864801650304020105000420");
        assert_eq!(
            to_hex(&HashAlgo::Sha1.digest_info_prefix()),
            "3021300906052b0e03021a05000414"
        );
    }

    #[test]
    fn known_digests() {
        // `printf hello | sha256sum`
        assert_eq!(
            to_hex(&HashAlgo::Sha256.digest(b"hello")),
            "2cf24dba5fb0a30e26e83b2ac5b9e29e1b161e5c1fa7425e73043362938b9824"
        );
        assert_eq!(from_hex("0aFF"), Some(vec![0x0a, 0xff]));
        assert_eq!(from_hex("0g"), None);
    }
}
