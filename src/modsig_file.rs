//! Appended signatures on files of any size (kernel images, initramfs): the signature is
//! read from the end of the file, the signed part is hashed as a stream, and a signed or
//! unsigned file is written by copying. Memory stays bounded whatever the file's size; the
//! in-memory forms are in [`crate::modsig`].
//!
//! The appended SignedData is capped at [`PKCS7_MAX`]: scripts/sign-file writes one of a
//! few hundred bytes (no certificates), and the kernel reads the whole signature into memory.

use std::fs::File;
use std::io::{self, Read, Seek, SeekFrom, Write};
use std::path::Path;

use crate::hash::HashAlgo;
use crate::keys::Certificate;
use crate::modsig::{self, ModsigError, ModsigInfo, MARKER, TRAILER_LEN};
use crate::sign::Signer;

/// The largest appended SignedData read (1 MiB).
pub const PKCS7_MAX: u64 = 1024 * 1024;
const CHUNK: usize = 256 * 1024;

fn opened(path: &Path) -> Result<(File, u64), ModsigError> {
    let f = crate::input::open_regular(path).map_err(|e| ModsigError::Io(e.into()))?;
    let len = f.metadata().map_err(ModsigError::Io)?.len();
    Ok((f, len))
}

fn read_at(f: &mut File, offset: u64, len: u64) -> Result<Vec<u8>, ModsigError> {
    f.seek(SeekFrom::Start(offset)).map_err(ModsigError::Io)?;
    let mut buf = Vec::new();
    f.take(len).read_to_end(&mut buf).map_err(ModsigError::Io)?;
    if buf.len() as u64 != len {
        return Err(ModsigError::Io(io::Error::new(
            io::ErrorKind::UnexpectedEof,
            "the file shrank while being read",
        )));
    }
    Ok(buf)
}

/// The length of the signed part of a file of `len` bytes, and its SignedData, with the
/// checks of [`modsig::split`].
fn tail(f: &mut File, len: u64) -> Result<(u64, Vec<u8>), ModsigError> {
    let frame = (MARKER.len() + TRAILER_LEN) as u64;
    let end = read_at(f, len.saturating_sub(frame), len.min(frame))?;
    if !end.ends_with(MARKER) {
        return Err(ModsigError::NotSigned);
    }
    if len < frame {
        return Err(ModsigError::Malformed(
            "no room for the module_signature trailer".into(),
        ));
    }
    let sig_len = u64::from(u32::from_be_bytes(end[8..12].try_into().expect("4 bytes")));
    if sig_len > PKCS7_MAX {
        return Err(ModsigError::Malformed(format!(
            "sig_len {sig_len} is over the {} cap for an appended signature",
            crate::input::size_words(PKCS7_MAX)
        )));
    }
    let start = len.saturating_sub(frame + sig_len);
    let buf = read_at(f, start, len - start)?;
    let a = modsig::split(&buf)?;
    Ok((len - frame - a.pkcs7.len() as u64, a.pkcs7.to_vec()))
}

/// The `algo` digest of the first `n` bytes of `f`.
fn digest_prefix(f: &mut File, n: u64, algo: HashAlgo) -> Result<Vec<u8>, ModsigError> {
    f.seek(SeekFrom::Start(0)).map_err(ModsigError::Io)?;
    let mut h = algo.hasher();
    let mut r = f.take(n);
    let mut buf = vec![0u8; CHUNK];
    let mut seen = 0u64;
    loop {
        let k = r.read(&mut buf).map_err(ModsigError::Io)?;
        if k == 0 {
            break;
        }
        h.update(&buf[..k]);
        seen += k as u64;
    }
    if seen != n {
        return Err(ModsigError::Io(io::Error::new(
            io::ErrorKind::UnexpectedEof,
            "the file shrank while being read",
        )));
    }
    Ok(h.finalize())
}

/// Checks the appended signature of the file at `path` against `certs`.
pub fn verify(path: &Path, certs: &[Certificate]) -> Result<ModsigInfo, ModsigError> {
    let (mut f, len) = opened(path)?;
    let (content_len, pkcs7) = tail(&mut f, len)?;
    modsig::verify_pkcs7(&pkcs7, certs, &mut |algo| {
        digest_prefix(&mut f, content_len, algo)
    })
}

fn copy_prefix(from: &mut File, n: u64, to: &mut File) -> io::Result<()> {
    from.seek(SeekFrom::Start(0))?;
    let copied = io::copy(&mut from.take(n), to)?;
    if copied != n {
        return Err(io::Error::new(
            io::ErrorKind::UnexpectedEof,
            "the file shrank while being read",
        ));
    }
    Ok(())
}

/// Signs the file at `path` and writes it with its appended signature to `out` (replaced
/// atomically; `out` may be `path`). A file that is signed already is refused.
pub fn sign(
    path: &Path,
    out: &Path,
    signer: &dyn Signer,
    cert: &Certificate,
    algo: HashAlgo,
) -> Result<(), ModsigError> {
    let (mut f, len) = opened(path)?;
    let frame = MARKER.len() as u64;
    if read_at(&mut f, len.saturating_sub(frame), len.min(frame))? == MARKER {
        return Err(ModsigError::Malformed(
            "the file is signed already (remove the signature first)".into(),
        ));
    }
    let digest = digest_prefix(&mut f, len, algo)?;
    let p7 = modsig::sign_pkcs7_digest(signer, cert, algo, &digest)?;
    crate::fsops::write_atomic_with(out, |w| {
        copy_prefix(&mut f, len, w)?;
        w.write_all(&p7)?;
        w.write_all(&modsig::trailer(p7.len()))
    })
    .map_err(ModsigError::Write)
}

/// Writes the file at `path` without its appended signature to `out` (replaced atomically;
/// `out` may be `path`). A file with none is an error.
pub fn remove(path: &Path, out: &Path) -> Result<(), ModsigError> {
    let (mut f, len) = opened(path)?;
    let (content_len, _) = tail(&mut f, len)?;
    crate::fsops::write_atomic_with(out, |w| copy_prefix(&mut f, content_len, w))
        .map_err(ModsigError::Write)
}
