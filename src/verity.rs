//! fs-verity signatures (sigv3, security.ima type 0x06): what is signed is not the file
//! digest itself but the hash of the ima_file_id structure { type 0x06, hash id, digest }
//! (docs/formats.md, "v2 signatures"), so a verity digest cannot pass for a content one.

use std::os::fd::BorrowedFd;

use crate::format::{SignatureV2, XattrType};
use crate::hash::HashAlgo;
use crate::keys::SignError;
use crate::sign::{sign_v2, Signer};
use crate::sys::ioctl::fs_ioc_measure_verity;
use crate::sys::SysError;

/// The bytes of ima_file_id that are hashed: type, kernel hash id, then the digest (the
/// unused tail of the C struct's digest array is left out).
pub fn file_id_bytes(algo: HashAlgo, digest: &[u8]) -> Vec<u8> {
    let mut v = vec![XattrType::VerityDigSig as u8, algo.kernel_id()];
    v.extend_from_slice(digest);
    v
}

/// The sigv3 body over an fs-verity `digest` made with `algo`: a v2-layout header with
/// version 3, signing the `algo` hash of [`file_id_bytes`].
pub fn sign_sigv3(
    signer: &dyn Signer,
    algo: HashAlgo,
    digest: &[u8],
) -> Result<SignatureV2, SignError> {
    if digest.len() != algo.digest_len() {
        return Err(SignError::DigestLength {
            algo,
            expected: algo.digest_len(),
            got: digest.len(),
        });
    }
    let hashed = algo.digest(&file_id_bytes(algo, digest));
    let mut sig = sign_v2(signer, algo, &hashed)?;
    sig.version = 3;
    Ok(sig)
}

/// The security.ima value of a sigv3 signature: type 0x06, then the body.
pub fn verity_value(sig: &SignatureV2) -> Vec<u8> {
    let mut v = vec![XattrType::VerityDigSig as u8];
    v.extend(sig.encode_body());
    v
}

/// Why an `fsverity digest` line could not be read.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum VerityLineError {
    /// No `ALG:` before the digest.
    NoAlgorithm,
    UnknownAlgorithm(String),
    /// The digest is not hex of the algorithm's length.
    BadDigest {
        algo: HashAlgo,
    },
}

impl std::fmt::Display for VerityLineError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            VerityLineError::NoAlgorithm => {
                write!(f, "expected 'ALG:HEXDIGEST PATH' (fsverity digest output)")
            }
            VerityLineError::UnknownAlgorithm(a) => {
                write!(f, "unknown fs-verity hash algorithm '{a}'")
            }
            VerityLineError::BadDigest { algo } => write!(
                f,
                "expected a {}-character hex {algo} digest after '{algo}:'",
                algo.digest_len() * 2
            ),
        }
    }
}

/// Parses one line of `fsverity digest` output: `sha256:HEX PATH` (the path may be absent).
pub fn parse_digest_line(line: &str) -> Result<(HashAlgo, Vec<u8>), VerityLineError> {
    let (name, rest) = line
        .split_once(':')
        .filter(|(n, _)| !n.is_empty() && !n.contains(char::is_whitespace))
        .ok_or(VerityLineError::NoAlgorithm)?;
    let algo = HashAlgo::from_name(name)
        .map_err(|_| VerityLineError::UnknownAlgorithm(name.to_string()))?;
    let hex = rest.split([' ', '\t']).next().unwrap_or("");
    match crate::hash::from_hex(hex) {
        Some(d) if d.len() == algo.digest_len() => Ok((algo, d)),
        _ => Err(VerityLineError::BadDigest { algo }),
    }
}

/// Why a file's fs-verity digest could not be had (FS_IOC_MEASURE_VERITY).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum MeasureError {
    /// ENODATA: the filesystem has fs-verity, but it is not enabled on this file.
    NotEnabled,
    /// ENOTTY or EOPNOTSUPP: the filesystem (or the running kernel) has no fs-verity.
    Unsupported(SysError),
    /// EOVERFLOW: the digest is longer than any algorithm this tool knows.
    DigestTooLong,
    /// The kernel names an FS_VERITY_HASH_ALG_* this tool does not know, or gave a digest
    /// of the wrong length for it.
    UnknownAlgorithm { number: u16, digest_len: usize },
    /// Any other failure of the request.
    Failed(SysError),
}

impl MeasureError {
    /// The reason with `subject` (a path, or "the file") named, ending in what the
    /// signature needs: "fs-verity is not enabled on F; a sigv3 signature needs it".
    pub fn describe(&self, subject: &str) -> String {
        match self {
            MeasureError::NotEnabled => {
                format!("fs-verity is not enabled on {subject}; a sigv3 signature needs it")
            }
            MeasureError::Unsupported(e) => format!(
                "the filesystem of {subject} (or the running kernel) does not support \
                 fs-verity ({}); a sigv3 signature needs it",
                e.cause()
            ),
            other => format!("cannot read the fs-verity digest of {subject}: {other}"),
        }
    }

    /// No fs-verity digest exists for the file (not enabled, or not possible there): what
    /// the kernel's audit log calls "no-verity-digest".
    pub fn is_absent(&self) -> bool {
        matches!(
            self,
            MeasureError::NotEnabled | MeasureError::Unsupported(_)
        )
    }
}

impl std::fmt::Display for MeasureError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            MeasureError::NotEnabled => write!(f, "fs-verity is not enabled"),
            MeasureError::Unsupported(e) => write!(
                f,
                "the filesystem or the running kernel does not support fs-verity ({})",
                e.cause()
            ),
            MeasureError::DigestTooLong => write!(
                f,
                "the fs-verity digest is longer than {} bytes (FS_IOC_MEASURE_VERITY: EOVERFLOW)",
                crate::sys::ioctl::FS_VERITY_MAX_DIGEST_SIZE
            ),
            MeasureError::UnknownAlgorithm { number, digest_len } => write!(
                f,
                "unknown fs-verity hash algorithm {number} (a {digest_len}-byte digest)"
            ),
            MeasureError::Failed(e) => e.fmt(f),
        }
    }
}

impl std::error::Error for MeasureError {}

/// The hash algorithm of an FS_VERITY_HASH_ALG_* number (include/uapi/linux/fsverity.h).
pub fn verity_hash_algo(number: u16) -> Option<HashAlgo> {
    match number {
        1 => Some(HashAlgo::Sha256),
        2 => Some(HashAlgo::Sha512),
        _ => None,
    }
}

/// The fs-verity file digest the kernel enforces for the open file `fd`, the digest IMA
/// measures and appraises under a `digest_type=verity` rule.
pub fn measure(fd: BorrowedFd<'_>) -> Result<(HashAlgo, Vec<u8>), MeasureError> {
    let (number, digest) = fs_ioc_measure_verity(fd).map_err(|e| match e.errno {
        libc::ENODATA => MeasureError::NotEnabled,
        libc::ENOTTY | libc::EOPNOTSUPP => MeasureError::Unsupported(e),
        libc::EOVERFLOW => MeasureError::DigestTooLong,
        _ => MeasureError::Failed(e),
    })?;
    match verity_hash_algo(number) {
        Some(algo) if algo.digest_len() == digest.len() => Ok((algo, digest)),
        _ => Err(MeasureError::UnknownAlgorithm {
            number,
            digest_len: digest.len(),
        }),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn file_id_is_type_algo_digest() {
        let d = [0xab; 32];
        let b = file_id_bytes(HashAlgo::Sha256, &d);
        assert_eq!(&b[..2], &[0x06, 4]);
        assert_eq!(&b[2..], &d);
        assert_eq!(file_id_bytes(HashAlgo::Sha512, &[0; 64])[1], 6);
    }

    #[test]
    fn digest_lines() {
        let h = "a".repeat(64);
        assert_eq!(
            parse_digest_line(&format!("sha256:{h} /usr/bin/ls")),
            Ok((HashAlgo::Sha256, vec![0xaa; 32]))
        );
        assert_eq!(
            parse_digest_line(&format!("sha256:{h}")),
            Ok((HashAlgo::Sha256, vec![0xaa; 32]))
        );
        assert_eq!(
            parse_digest_line(&format!("{h}  /usr/bin/ls")),
            Err(VerityLineError::NoAlgorithm)
        );
        assert_eq!(
            parse_digest_line("sha257:00 x"),
            Err(VerityLineError::UnknownAlgorithm("sha257".into()))
        );
        assert_eq!(
            parse_digest_line("sha256:abcd x"),
            Err(VerityLineError::BadDigest {
                algo: HashAlgo::Sha256
            })
        );
    }

    #[test]
    fn a_plain_file_has_no_verity_digest() {
        use std::os::fd::AsFd;
        let f = tempfile::tempfile().unwrap();
        let e = measure(f.as_fd()).unwrap_err();
        assert!(e.is_absent(), "{e:?}");
    }

    #[test]
    fn verity_algorithm_numbers() {
        assert_eq!(verity_hash_algo(1), Some(HashAlgo::Sha256));
        assert_eq!(verity_hash_algo(2), Some(HashAlgo::Sha512));
        assert_eq!(verity_hash_algo(0), None);
        assert_eq!(verity_hash_algo(3), None);
    }
}
