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

#[cfg(test)]
mod tests {
    use super::*;
    use crate::sign::SoftwareSigner;

    fn data(name: &str) -> std::path::PathBuf {
        Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("tests/data/keys")
            .join(name)
    }

    #[test]
    fn streamed_files_match_the_in_memory_forms() {
        let dir = tempfile::tempdir().unwrap();
        let f = dir.path().join("image");
        // Several chunks and a partial one.
        let content: Vec<u8> = (0..(3 * CHUNK + 123)).map(|i| (i * 31) as u8).collect();
        std::fs::write(&f, &content).unwrap();
        let key = crate::keys::PrivateKey::load(&data("rsa2048.pk8.pem"), None)
            .unwrap()
            .key;
        let signer = SoftwareSigner::new(key, None, None);
        let cert = Certificate::load(&data("rsa2048.crt.pem")).unwrap();
        let signed = dir.path().join("signed");
        sign(&f, &signed, &signer, &cert, HashAlgo::Sha256).unwrap();
        // RSA PKCS#1 v1.5 is deterministic: the same bytes as the in-memory signer.
        let expected = modsig::append(&signer, &cert, HashAlgo::Sha256, &content).unwrap();
        assert_eq!(std::fs::read(&signed).unwrap(), expected);
        let info = verify(&signed, std::slice::from_ref(&cert)).unwrap();
        assert_eq!(info.hash, HashAlgo::Sha256);
        assert!(matches!(
            sign(&signed, &f, &signer, &cert, HashAlgo::Sha256),
            Err(ModsigError::Malformed(_))
        ));
        let unsigned = dir.path().join("unsigned");
        remove(&signed, &unsigned).unwrap();
        assert_eq!(std::fs::read(&unsigned).unwrap(), content);
        assert!(matches!(verify(&f, &[cert]), Err(ModsigError::NotSigned)));
    }

    #[test]
    fn short_tails_and_oversized_lengths_are_refused_without_reading_them() {
        let dir = tempfile::tempdir().unwrap();
        let f = dir.path().join("f");
        std::fs::write(&f, MARKER).unwrap();
        let e = verify(&f, &[]).unwrap_err().to_string();
        assert!(
            e.contains("no room for the module_signature trailer"),
            "{e}"
        );
        let mut big_len = vec![0u8; 100];
        big_len.extend(modsig::trailer(u32::MAX as usize));
        std::fs::write(&f, &big_len).unwrap();
        let e = verify(&f, &[]).unwrap_err().to_string();
        assert!(e.contains("over the 1 MiB cap"), "{e}");
        let e = verify(Path::new("/dev/zero"), &[]).unwrap_err().to_string();
        assert!(e.contains("not a regular file"), "{e}");
    }
}
