//! `security.ima` values (docs/formats.md, "security.ima values" and "v2 signatures"):
//! parsing on one side, encoding on the other, and nothing else.

use std::fmt;

use crate::hash::HashAlgo;

/// First byte of a `security.ima` / `security.evm` value.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[repr(u8)]
pub enum XattrType {
    /// Raw digest, no algorithm byte (md4/md5/sha1 only).
    Digest = 0x01,
    /// EVM HMAC.
    EvmHmac = 0x02,
    /// A digital signature (v1 or v2 header follows).
    DigSig = 0x03,
    /// Algorithm byte, then digest.
    DigestNg = 0x04,
    /// EVM portable signature.
    EvmPortableDigSig = 0x05,
    /// fs-verity signature (v3).
    VerityDigSig = 0x06,
}

impl XattrType {
    pub fn from_u8(b: u8) -> Option<XattrType> {
        Some(match b {
            0x01 => XattrType::Digest,
            0x02 => XattrType::EvmHmac,
            0x03 => XattrType::DigSig,
            0x04 => XattrType::DigestNg,
            0x05 => XattrType::EvmPortableDigSig,
            0x06 => XattrType::VerityDigSig,
            _ => return None,
        })
    }
}

/// Size of the v2 signature header, type byte excluded: version, hash_algo, keyid[4],
/// sig_size[2].
pub const SIG_V2_HEADER_LEN: usize = 8;

/// A v2 (or v3) signature: the part after the type byte.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SignatureV2 {
    /// 2 for v2, 3 for sigv3.
    pub version: u8,
    /// Kernel hash id as written in the header (may name an algorithm this tool lacks).
    pub hash_id: u8,
    /// keyid, as the four bytes stored (big-endian order).
    pub keyid: [u8; 4],
    /// The raw signature: PKCS#1 v1.5 block for RSA, DER ECDSA-Sig-Value for ECDSA.
    pub sig: Vec<u8>,
}

impl SignatureV2 {
    /// The header's hash algorithm, when this tool supports it.
    pub fn hash_algo(&self) -> Option<HashAlgo> {
        HashAlgo::from_kernel_id(self.hash_id)
    }

    /// keyid as a number (the way evmctl prints it with `%x`).
    pub fn keyid_u32(&self) -> u32 {
        u32::from_be_bytes(self.keyid)
    }

    /// Encodes the header and signature without a leading type byte.
    pub fn encode_body(&self) -> Vec<u8> {
        let mut out = Vec::with_capacity(SIG_V2_HEADER_LEN + self.sig.len());
        out.push(self.version);
        out.push(self.hash_id);
        out.extend_from_slice(&self.keyid);
        out.extend_from_slice(&(self.sig.len() as u16).to_be_bytes());
        out.extend_from_slice(&self.sig);
        out
    }

    /// Parses a body (no type byte) with the kernel's own length rules: total > 8 bytes
    /// and sig_size equal to the bytes that follow.
    pub fn parse_body(body: &[u8]) -> Result<SignatureV2, FormatError> {
        if body.len() <= SIG_V2_HEADER_LEN {
            return Err(FormatError::Truncated {
                len: body.len() + 1,
            });
        }
        let version = body[0];
        if version != 2 && version != 3 {
            return Err(FormatError::UnsupportedVersion(version));
        }
        let sig_size = u16::from_be_bytes([body[6], body[7]]) as usize;
        let rest = &body[SIG_V2_HEADER_LEN..];
        if sig_size != rest.len() {
            return Err(FormatError::SigSizeMismatch {
                declared: sig_size,
                actual: rest.len(),
            });
        }
        Ok(SignatureV2 {
            version,
            hash_id: body[1],
            keyid: [body[2], body[3], body[4], body[5]],
            sig: rest.to_vec(),
        })
    }
}

/// A signature as it follows the type byte: a v2 header, or a legacy v1 body.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum SignatureBody {
    V2(SignatureV2),
    V1(Vec<u8>),
}

impl SignatureBody {
    fn encode_with(&self, ty: XattrType) -> Vec<u8> {
        let mut v = vec![ty as u8];
        match self {
            SignatureBody::V2(s) => v.extend(s.encode_body()),
            SignatureBody::V1(b) => v.extend_from_slice(b),
        }
        v
    }

    /// The `security.ima` value: type 0x03, then the body.
    pub fn ima_value(&self) -> Vec<u8> {
        self.encode_with(XattrType::DigSig)
    }

    /// The `security.evm` value: type 0x03, or 0x05 for a portable signature.
    pub fn evm_value(&self, portable: bool) -> Vec<u8> {
        self.encode_with(if portable {
            XattrType::EvmPortableDigSig
        } else {
            XattrType::DigSig
        })
    }
}

/// A decoded `security.ima` value.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum ImaValue {
    /// 0x01: a bare digest of a legacy algorithm (md4/md5/sha1, chosen by length).
    Digest(Vec<u8>),
    /// 0x04: algorithm id and digest.
    DigestNg { hash_id: u8, digest: Vec<u8> },
    /// 0x03 with a v2/v3 header.
    Signature(SignatureV2),
    /// 0x03 with a legacy v1 header (kept verbatim after the type byte).
    SignatureV1(Vec<u8>),
    /// 0x06: fs-verity signature (v3 header).
    VeritySignature(SignatureV2),
}

impl ImaValue {
    /// The hash value a file would get from `ima_hash`: 0x01 for md4/md5/sha1, else 0x04.
    pub fn hash_value(algo: HashAlgo, digest: Vec<u8>) -> ImaValue {
        if algo.kernel_id() <= HashAlgo::Sha1.kernel_id() {
            ImaValue::Digest(digest)
        } else {
            ImaValue::DigestNg {
                hash_id: algo.kernel_id(),
                digest,
            }
        }
    }

    pub fn encode(&self) -> Vec<u8> {
        match self {
            ImaValue::Digest(d) => {
                let mut v = vec![XattrType::Digest as u8];
                v.extend_from_slice(d);
                v
            }
            ImaValue::DigestNg { hash_id, digest } => {
                let mut v = vec![XattrType::DigestNg as u8, *hash_id];
                v.extend_from_slice(digest);
                v
            }
            ImaValue::Signature(s) => {
                let mut v = vec![XattrType::DigSig as u8];
                v.extend_from_slice(&s.encode_body());
                v
            }
            ImaValue::SignatureV1(b) => {
                let mut v = vec![XattrType::DigSig as u8];
                v.extend_from_slice(b);
                v
            }
            ImaValue::VeritySignature(s) => {
                let mut v = vec![XattrType::VerityDigSig as u8];
                v.extend_from_slice(&s.encode_body());
                v
            }
        }
    }

    pub fn parse(bytes: &[u8]) -> Result<ImaValue, FormatError> {
        let (&ty, rest) = bytes.split_first().ok_or(FormatError::Empty)?;
        match XattrType::from_u8(ty) {
            Some(XattrType::Digest) => {
                if rest.is_empty() {
                    return Err(FormatError::Truncated { len: bytes.len() });
                }
                Ok(ImaValue::Digest(rest.to_vec()))
            }
            Some(XattrType::DigestNg) => {
                let (&hash_id, digest) = rest
                    .split_first()
                    .ok_or(FormatError::Truncated { len: bytes.len() })?;
                if let Some(a) = HashAlgo::from_kernel_id(hash_id) {
                    if a.digest_len() != digest.len() {
                        return Err(FormatError::DigestLength {
                            algo: a.name(),
                            expected: a.digest_len(),
                            actual: digest.len(),
                        });
                    }
                }
                Ok(ImaValue::DigestNg {
                    hash_id,
                    digest: digest.to_vec(),
                })
            }
            Some(XattrType::DigSig) => match rest.first() {
                Some(1) => Ok(ImaValue::SignatureV1(rest.to_vec())),
                Some(_) => Ok(ImaValue::Signature(SignatureV2::parse_body(rest)?)),
                None => Err(FormatError::Truncated { len: bytes.len() }),
            },
            Some(XattrType::VerityDigSig) => {
                Ok(ImaValue::VeritySignature(SignatureV2::parse_body(rest)?))
            }
            _ => Err(FormatError::UnknownType(ty)),
        }
    }
}

/// Why a value could not be decoded.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum FormatError {
    Empty,
    UnknownType(u8),
    Truncated {
        len: usize,
    },
    UnsupportedVersion(u8),
    SigSizeMismatch {
        declared: usize,
        actual: usize,
    },
    DigestLength {
        algo: &'static str,
        expected: usize,
        actual: usize,
    },
}

impl fmt::Display for FormatError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            FormatError::Empty => write!(f, "the value is empty"),
            FormatError::UnknownType(t) => write!(f, "unknown value type 0x{t:02x}"),
            FormatError::Truncated { len } => write!(f, "the value is truncated ({len} bytes)"),
            FormatError::UnsupportedVersion(v) => {
                write!(f, "unsupported signature version {v}")
            }
            FormatError::SigSizeMismatch { declared, actual } => write!(
                f,
                "the header declares a {declared}-byte signature but {actual} bytes follow"
            ),
            FormatError::DigestLength {
                algo,
                expected,
                actual,
            } => write!(
                f,
                "a {algo} digest is {expected} bytes, the value holds {actual}"
            ),
        }
    }
}

impl std::error::Error for FormatError {}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::hash::from_hex;

    #[test]
    fn sha256_hash_value_round_trip() {
        // `evmctl ima_hash -n` (1.4) of a file holding "hello\n".
        let golden =
            from_hex("04045891b5b522d5df086d0ff0b110fbd9d21bb4fc7163af34d08286a2e846f6be03")
                .unwrap();
        let v = ImaValue::parse(&golden).unwrap();
        assert_eq!(
            v,
            ImaValue::hash_value(HashAlgo::Sha256, golden[2..].to_vec())
        );
        assert_eq!(v.encode(), golden);
    }

    #[test]
    fn md5_uses_the_legacy_type() {
        // `evmctl ima_hash -n -a md5` of "hello\n".
        let golden = from_hex("01b1946ac92492d2347c6235b4d2611184").unwrap();
        let v = ImaValue::hash_value(HashAlgo::Md5, golden[1..].to_vec());
        assert_eq!(v.encode(), golden);
        assert_eq!(ImaValue::parse(&golden).unwrap(), v);
    }

    #[test]
    fn signature_round_trip_and_kernel_length_rules() {
        let s = SignatureV2 {
            version: 2,
            hash_id: 4,
            keyid: [0xe1, 0x1b, 0x46, 0x98],
            sig: vec![0xaa; 128],
        };
        let bytes = ImaValue::Signature(s.clone()).encode();
        assert_eq!(&bytes[..9], &[3, 2, 4, 0xe1, 0x1b, 0x46, 0x98, 0x00, 0x80]);
        assert_eq!(ImaValue::parse(&bytes).unwrap(), ImaValue::Signature(s));
        // One byte more or less than sig_size declares is refused, as the kernel does.
        let mut longer = bytes.clone();
        longer.push(0);
        assert!(matches!(
            ImaValue::parse(&longer),
            Err(FormatError::SigSizeMismatch { .. })
        ));
        assert!(matches!(
            ImaValue::parse(&bytes[..bytes.len() - 1]),
            Err(FormatError::SigSizeMismatch { .. })
        ));
        assert!(matches!(
            ImaValue::parse(&bytes[..9]),
            Err(FormatError::Truncated { .. })
        ));
        assert_eq!(ImaValue::parse(&[]), Err(FormatError::Empty));
        assert_eq!(
            ImaValue::parse(&[0x09, 1]),
            Err(FormatError::UnknownType(9))
        );
    }
}
