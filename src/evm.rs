//! EVM digest inputs (docs/formats.md, "security.evm"): which xattrs are hashed and in what
//! order, the `h_misc` metadata block in its native, 32-bit and 64-bit layouts, and the
//! filesystem UUID. The digest is what an EVM v2 signature signs. No printing: callers get
//! the list of inputs used, to report them.

use std::fmt;
use std::os::unix::fs::MetadataExt;
use std::path::PathBuf;

use crate::error::io_words;

use crate::fsops::OpenFile;
use crate::hash::HashAlgo;

/// xattrs EVM protects, in the kernel's order, without the extra Smack ones.
pub const DEFAULT_XATTRS: &[&str] = &[
    "security.selinux",
    "security.SMACK64",
    "security.apparmor",
    "security.ima",
    "security.capability",
];

/// The list with `--smack`.
pub const SMACK_XATTRS: &[&str] = &[
    "security.selinux",
    "security.SMACK64",
    "security.SMACK64EXEC",
    "security.SMACK64TRANSMUTE",
    "security.SMACK64MMAP",
    "security.apparmor",
    "security.ima",
    "security.capability",
];

/// Largest xattr value hashed (upstream reads into a 1024-byte buffer).
pub const MAX_VALUE: usize = 1024;

/// Layout of the metadata block.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum MiscLayout {
    /// `unsigned long ino` as on this machine (64-bit: same as `Bits64`).
    Native,
    /// `--m32`: u32 ino, 20 bytes.
    Bits32,
    /// `--m64`: u64 ino, 24 bytes.
    Bits64,
}

/// Whether and where the filesystem UUID comes from.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum UuidChoice {
    /// From the filesystem holding the file.
    FromFilesystem,
    /// `-u` without a value: not hashed.
    Omit,
    /// A UUID given by the caller.
    Given([u8; 16]),
}

/// Everything that decides an EVM digest besides the file itself.
#[derive(Clone, Debug)]
pub struct EvmParams {
    pub portable: bool,
    /// `-i`: the experimental immutable form (upstream 1.5): only uid, gid and mode of the
    /// metadata, no generation, no UUID; the signature header's version byte is 3.
    pub immutable: bool,
    pub layout: MiscLayout,
    pub smack: bool,
    pub uuid: UuidChoice,
    /// The IMA xattr read for portable signatures (`user.ima` with --xattr-user).
    pub ima_xattr: &'static str,
    pub selinux: Option<Vec<u8>>,
    pub ima: Option<Vec<u8>>,
    /// `Some(None)`: `--caps` without a value, capabilities are left out.
    pub caps: Option<Option<Vec<u8>>>,
    pub ino: Option<u64>,
    pub uid: Option<u32>,
    pub gid: Option<u32>,
    pub mode: Option<u32>,
    pub generation: Option<u32>,
}

/// What went into a digest, for verbose output.
#[derive(Debug, Default)]
pub struct EvmTrace {
    pub generation: Option<u32>,
    /// Each protected xattr in order, with the size hashed (None: absent, left out).
    pub xattrs: Vec<(String, Option<usize>)>,
    pub uuid: Option<[u8; 16]>,
}

/// Why an EVM digest could not be computed. The front end adds the option that helps.
#[derive(Debug)]
pub enum EvmError {
    /// fstat failed.
    Stat(PathBuf, std::io::Error),
    /// FS_IOC_GETVERSION failed (the generation can be given instead).
    Generation(PathBuf, std::io::Error),
    /// A portable signature covers the IMA xattr, which the file lacks.
    PortableNeedsIma(PathBuf, &'static str),
    /// The filesystem's UUID could not be found (it can be given, or left out).
    Uuid { major: u32, minor: u32 },
}

impl fmt::Display for EvmError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            EvmError::Stat(p, e) => write!(f, "{}: cannot stat: {}", p.display(), io_words(e)),
            EvmError::Generation(p, e) => write!(
                f,
                "{}: cannot read the inode generation (FS_IOC_GETVERSION): {}",
                p.display(),
                io_words(e)
            ),
            EvmError::PortableNeedsIma(p, name) => write!(
                f,
                "{}: a portable EVM signature requires {name} (sign or hash the file first)",
                p.display()
            ),
            EvmError::Uuid { major, minor } => write!(
                f,
                "cannot find the UUID of the filesystem on device {major}:{minor}"
            ),
        }
    }
}

impl std::error::Error for EvmError {}

/// Parses "xxxxxxxx-xxxx-xxxx-xxxx-xxxxxxxxxxxx".
pub fn parse_uuid(s: &str) -> Option<[u8; 16]> {
    let parts: Vec<&str> = s.trim().split('-').collect();
    if parts.len() != 5 || [8, 4, 4, 4, 12] != parts.iter().map(|p| p.len()).collect::<Vec<_>>()[..]
    {
        return None;
    }
    let hex: String = parts.concat();
    let v = crate::hash::from_hex(&hex)?;
    v.try_into().ok()
}

/// FS_IOC_GETVERSION: the inode generation.
fn inode_generation(file: &OpenFile) -> std::io::Result<u32> {
    use std::os::fd::AsFd;
    Ok(crate::sys::ioctl::fs_ioc_getversion(file.file().as_fd())?)
}

/// The UUID of the filesystem on device `dev` (st_dev): /dev/disk/by-uuid, else blkid.
pub fn filesystem_uuid(dev: u64) -> Result<[u8; 16], EvmError> {
    if let Ok(dir) = std::fs::read_dir("/dev/disk/by-uuid") {
        for e in dir.flatten() {
            if let Ok(md) = std::fs::metadata(e.path()) {
                use std::os::unix::fs::FileTypeExt;
                if md.file_type().is_block_device() && md.rdev() == dev {
                    if let Some(u) = parse_uuid(&e.file_name().to_string_lossy()) {
                        return Ok(u);
                    }
                }
            }
        }
    }
    let (major, minor) = (libc::major(dev), libc::minor(dev));
    let node = format!("/dev/block/{major}:{minor}");
    let out = std::process::Command::new("blkid")
        .args(["-s", "UUID", "-o", "value", &node])
        .stdin(std::process::Stdio::null())
        .output();
    if let Ok(o) = out {
        if let Some(u) = parse_uuid(&String::from_utf8_lossy(&o.stdout)) {
            return Ok(u);
        }
    }
    Err(EvmError::Uuid { major, minor })
}

/// Computes the EVM digest of `file` with `algo`, reading xattrs without following links.
pub fn evm_digest(
    algo: HashAlgo,
    file: &OpenFile,
    p: &EvmParams,
) -> Result<(Vec<u8>, EvmTrace), EvmError> {
    evm_message(file, p).map(|(m, trace)| (algo.digest(&m), trace))
}

/// The HMAC-SHA1 of `file`'s EVM inputs (security.evm type 0x02, the `hmac` debug
/// command): the key file's bytes, at most 128, zero-padded to 128 (docs/formats.md,
/// "security.evm").
pub fn evm_hmac(
    key: &[u8],
    file: &OpenFile,
    p: &EvmParams,
) -> Result<(Vec<u8>, EvmTrace), EvmError> {
    let (msg, trace) = evm_message(file, p)?;
    Ok((hmac_sha1_evm_key(key, &msg), trace))
}

/// The longest EVM HMAC key, in bytes.
pub const EVM_KEY_MAX: usize = 128;

/// HMAC-SHA1 (RFC 2104) with `key` zero-padded to [`EVM_KEY_MAX`] bytes.
pub fn hmac_sha1_evm_key(key: &[u8], msg: &[u8]) -> Vec<u8> {
    let mut padded = [0u8; EVM_KEY_MAX];
    padded[..key.len().min(EVM_KEY_MAX)].copy_from_slice(&key[..key.len().min(EVM_KEY_MAX)]);
    // Longer than SHA-1's 64-byte block: the key is hashed first.
    let mut k = HashAlgo::Sha1.digest(&padded);
    k.resize(64, 0);
    let pad = |b: u8| k.iter().map(|x| x ^ b).collect::<Vec<u8>>();
    let mut inner = pad(0x36);
    inner.extend_from_slice(msg);
    let mut outer = pad(0x5c);
    outer.extend(HashAlgo::Sha1.digest(&inner));
    HashAlgo::Sha1.digest(&outer)
}

/// The bytes an EVM digest or HMAC covers, in order.
fn evm_message(file: &OpenFile, p: &EvmParams) -> Result<(Vec<u8>, EvmTrace), EvmError> {
    let path = file.path();
    let md = file
        .file()
        .metadata()
        .map_err(|e| EvmError::Stat(path.to_path_buf(), e))?;
    let mut trace = EvmTrace::default();
    let generation = match p.generation {
        Some(g) => g,
        None if p.portable || p.immutable => 0,
        None => inode_generation(file).map_err(|e| EvmError::Generation(path.to_path_buf(), e))?,
    };
    trace.generation = (!p.immutable).then_some(generation);
    let mut h: Vec<u8> = Vec::new();
    let names = if p.smack {
        SMACK_XATTRS
    } else {
        DEFAULT_XATTRS
    };
    for &name in names {
        let value: Option<Vec<u8>> = if name == "security.selinux" && p.selinux.is_some() {
            p.selinux.clone()
        } else if name == "security.ima" && p.ima.is_some() {
            p.ima.clone()
        } else if name == "security.ima" && p.portable {
            match file.get_xattr(p.ima_xattr) {
                Ok(v) => Some(v),
                Err(_) => return Err(EvmError::PortableNeedsIma(path.to_path_buf(), p.ima_xattr)),
            }
        } else if name == "security.capability" && p.caps.is_some() {
            p.caps.clone().flatten()
        } else {
            read_xattr(file, name)
        };
        match value {
            Some(v) if v.len() <= MAX_VALUE => {
                let shown = if name == "security.ima" && p.portable {
                    p.ima_xattr
                } else {
                    name
                };
                trace.xattrs.push((shown.to_string(), Some(v.len())));
                h.extend_from_slice(&v);
            }
            _ => trace.xattrs.push((name.to_string(), None)),
        }
    }
    let ino = p.ino.unwrap_or(md.ino());
    let uid = p.uid.unwrap_or(md.uid());
    let gid = p.gid.unwrap_or(md.gid());
    let mode = p.mode.unwrap_or(md.mode()) as u16;
    let (ino, generation) = if p.portable {
        (0, 0)
    } else {
        (ino, generation)
    };
    let mut misc = Vec::with_capacity(24);
    if p.immutable {
        // struct { uid_t uid; gid_t gid; unsigned short mode; }: 12 bytes with padding.
        misc.extend_from_slice(&uid.to_ne_bytes());
        misc.extend_from_slice(&gid.to_ne_bytes());
        misc.extend_from_slice(&mode.to_ne_bytes());
        misc.extend_from_slice(&[0, 0]);
        h.extend_from_slice(&misc);
        return Ok((h, trace));
    }
    match p.layout {
        MiscLayout::Bits32 => misc.extend_from_slice(&(ino as u32).to_ne_bytes()),
        MiscLayout::Native | MiscLayout::Bits64 => misc.extend_from_slice(&ino.to_ne_bytes()),
    }
    misc.extend_from_slice(&generation.to_ne_bytes());
    misc.extend_from_slice(&uid.to_ne_bytes());
    misc.extend_from_slice(&gid.to_ne_bytes());
    misc.extend_from_slice(&mode.to_ne_bytes());
    // Trailing padding of the C struct: to a multiple of its alignment.
    let align = if p.layout == MiscLayout::Bits32 { 4 } else { 8 };
    while misc.len() % align != 0 {
        misc.push(0);
    }
    h.extend_from_slice(&misc);
    if !p.portable {
        let uuid = match &p.uuid {
            UuidChoice::Omit => None,
            UuidChoice::Given(u) => Some(*u),
            UuidChoice::FromFilesystem => Some(filesystem_uuid(md.dev())?),
        };
        if let Some(u) = uuid {
            h.extend_from_slice(&u);
            trace.uuid = Some(u);
        }
    }
    Ok((h, trace))
}

/// Reads through the descriptor that was opened (and will be hashed); absent or
/// unreadable values are left out, as upstream does.
fn read_xattr(file: &OpenFile, name: &str) -> Option<Vec<u8>> {
    use xattr::FileExt;
    file.file().get_xattr(name).ok().flatten()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hmac_is_rfc2104_with_the_key_padded_to_128() {
        // Vectors from Python's hmac module with the keys zero-padded to 128 bytes (RFC 2202
        // cases 1 and 6's keys and messages).
        let h = |k: &[u8], m: &[u8]| crate::hash::to_hex(&hmac_sha1_evm_key(k, m));
        assert_eq!(
            h(&[0x0b; 20], b"Hi There"),
            "8446012e7c7076dfddb116bbd45d04ba32946f92"
        );
        assert_eq!(
            h(
                &[0xaa; 80],
                b"Test Using Larger Than Block-Size Key - Hash Key First"
            ),
            "c063a9aad40c5c32caaccbee5c656cd5102cea43"
        );
    }

    #[test]
    fn uuid_format() {
        assert_eq!(
            parse_uuid("01234567-89ab-cdef-0123-456789abcdef").map(|u| u[15]),
            Some(0xef)
        );
        assert_eq!(parse_uuid("0123456789abcdef0123456789abcdef"), None);
        assert_eq!(parse_uuid("ABCD-1234"), None);
    }
}
