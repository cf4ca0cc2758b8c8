//! Key generation and private key files: new RSA and ECDSA keys from the OS random source,
//! PKCS#8 PEM encoding (encrypted with PBES2 when a password is given), and writing a set
//! of new files with private permissions without following or replacing anything.
//! No printing and no argv.

use std::io::{self, Write};
use std::path::{Path, PathBuf};

use ecdsa::elliptic_curve::Generate;
use getrandom::rand_core::UnwrapErr;
use getrandom::SysRng;
use pkcs8::der::Decode;
use pkcs8::{EncodePrivateKey, LineEnding, PrivateKeyInfoRef};
use zeroize::Zeroizing;

use super::private::PrivateKey;
use super::public::PublicKey;
use crate::hash::HashAlgo;

/// The kinds of key `generate` makes: the ones every kernel with IMA signature support
/// verifies (ECDSA needs CONFIG_CRYPTO_ECDSA; Debian 6.1 lacks it).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum KeyType {
    Rsa2048,
    Rsa3072,
    Rsa4096,
    P256,
    P384,
}

impl KeyType {
    pub const ALL: [KeyType; 5] = [
        KeyType::Rsa2048,
        KeyType::Rsa3072,
        KeyType::Rsa4096,
        KeyType::P256,
        KeyType::P384,
    ];

    /// The name used on command lines: rsa2048, rsa3072, rsa4096, p256, p384.
    pub fn name(self) -> &'static str {
        match self {
            KeyType::Rsa2048 => "rsa2048",
            KeyType::Rsa3072 => "rsa3072",
            KeyType::Rsa4096 => "rsa4096",
            KeyType::P256 => "p256",
            KeyType::P384 => "p384",
        }
    }

    /// Parses a name of [`KeyType::name`] (also "rsa" for rsa3072, "ecdsa" for p256,
    /// and the curve spellings "prime256v1", "secp384r1").
    pub fn parse(s: &str) -> Option<KeyType> {
        let s = s.to_ascii_lowercase();
        Some(match s.as_str() {
            "rsa2048" | "rsa-2048" => KeyType::Rsa2048,
            "rsa" | "rsa3072" | "rsa-3072" => KeyType::Rsa3072,
            "rsa4096" | "rsa-4096" => KeyType::Rsa4096,
            "ecdsa" | "p256" | "p-256" | "prime256v1" | "secp256r1" => KeyType::P256,
            "p384" | "p-384" | "secp384r1" => KeyType::P384,
            _ => return None,
        })
    }

    /// The hash certificates signed by this key use (and the natural one for IMA
    /// signatures with it): SHA-384 for P-384, SHA-256 otherwise.
    pub fn hash(self) -> HashAlgo {
        match self {
            KeyType::P384 => HashAlgo::Sha384,
            _ => HashAlgo::Sha256,
        }
    }
}

impl std::fmt::Display for KeyType {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.name())
    }
}

/// Makes a new key from the operating system's random source (getrandom(2)).
pub fn generate(kind: KeyType) -> Result<PrivateKey, String> {
    let rsa = |bits: usize| {
        rsa::RsaPrivateKey::new(&mut UnwrapErr(SysRng), bits)
            .map(PrivateKey::Rsa)
            .map_err(|e| format!("RSA-{bits} key generation failed ({e})"))
    };
    match kind {
        KeyType::Rsa2048 => rsa(2048),
        KeyType::Rsa3072 => rsa(3072),
        KeyType::Rsa4096 => rsa(4096),
        KeyType::P256 => p256::ecdsa::SigningKey::try_generate_from_rng(&mut SysRng)
            .map(PrivateKey::P256)
            .map_err(|e| format!("P-256 key generation failed ({e})")),
        KeyType::P384 => p384::ecdsa::SigningKey::try_generate_from_rng(&mut SysRng)
            .map(PrivateKey::P384)
            .map_err(|e| format!("P-384 key generation failed ({e})")),
    }
}

/// The hash to sign certificates with for `key` (see [`KeyType::hash`]).
pub fn signing_hash(key: &PublicKey) -> HashAlgo {
    match key {
        PublicKey::P384(_) | PublicKey::P521(_) => HashAlgo::Sha384,
        _ => HashAlgo::Sha256,
    }
}

/// The unencrypted PKCS#8 DER of `key`, wiped when dropped.
fn pkcs8_der(key: &PrivateKey) -> Result<Zeroizing<Vec<u8>>, String> {
    let doc = match key {
        PrivateKey::Rsa(k) => k.to_pkcs8_der(),
        PrivateKey::P256(k) => k.to_pkcs8_der(),
        PrivateKey::P384(k) => k.to_pkcs8_der(),
        PrivateKey::P521(k) => k.to_pkcs8_der(),
        PrivateKey::P192(_) => {
            return Err("P-192 keys are not written (generate P-256 or P-384)".into())
        }
    }
    .map_err(|e| format!("cannot encode the private key as PKCS#8 ({e})"))?;
    Ok(Zeroizing::new(doc.as_bytes().to_vec()))
}

/// The key as PKCS#8 PEM: "ENCRYPTED PRIVATE KEY" (PBES2: PBKDF2-HMAC-SHA256 and
/// AES-256-CBC, as `openssl pkcs8 -topk8` makes by default) when `password` is given and
/// not empty, otherwise "PRIVATE KEY".
pub fn pkcs8_pem(key: &PrivateKey, password: Option<&str>) -> Result<Zeroizing<String>, String> {
    let der = pkcs8_der(key)?;
    let (label, body) = match password.filter(|p| !p.is_empty()) {
        None => ("PRIVATE KEY", der),
        Some(pw) => {
            let params = pkcs8::pkcs5::pbes2::Parameters::generate_pbkdf2(&mut SysRng)
                .map_err(|e| format!("cannot make the encryption parameters ({e})"))?;
            let info = PrivateKeyInfoRef::from_der(&der)
                .map_err(|e| format!("cannot re-read the PKCS#8 key ({e})"))?;
            let enc = info
                .encrypt_with_params(params, pw.as_bytes())
                .map_err(|e| format!("cannot encrypt the private key ({e})"))?;
            (
                "ENCRYPTED PRIVATE KEY",
                Zeroizing::new(enc.as_bytes().to_vec()),
            )
        }
    };
    let pem = pem_rfc7468::encode_string(label, LineEnding::LF, &body)
        .map_err(|e| format!("cannot PEM-encode the private key ({e})"))?;
    Ok(Zeroizing::new(pem))
}

/// A certificate or public key as PEM text.
pub fn pem_text(label: &str, der: &[u8]) -> String {
    pem_rfc7468::encode_string(label, LineEnding::LF, der).expect("PEM encoding of DER bytes")
}

/// The DER SubjectPublicKeyInfo of a public key.
pub fn spki_der(key: &PublicKey) -> Result<Vec<u8>, String> {
    use pkcs8::EncodePublicKey;
    let doc = match key {
        PublicKey::Rsa(k) => k.to_public_key_der(),
        PublicKey::P256(k) => k.to_public_key_der(),
        PublicKey::P384(k) => k.to_public_key_der(),
        PublicKey::P521(k) => k.to_public_key_der(),
        PublicKey::P192(_) => return Err("P-192 keys are not supported here".into()),
    }
    .map_err(|e| format!("cannot encode the public key ({e})"))?;
    Ok(doc.as_bytes().to_vec())
}

/// One file of a set written by [`write_new_files`].
pub struct NewFile {
    pub path: PathBuf,
    pub data: Zeroizing<Vec<u8>>,
    /// Permission bits: 0o600 for private keys, 0o644 for certificates.
    pub mode: u32,
}

/// Why a set of files could not be written.
#[derive(Debug)]
pub struct WriteError {
    pub path: PathBuf,
    pub err: io::Error,
}

impl std::fmt::Display for WriteError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let why = if self.err.kind() == io::ErrorKind::AlreadyExists {
            "it already exists (nothing is overwritten; remove it or choose another name)"
                .to_string()
        } else {
            crate::error::io_words(&self.err)
        };
        write!(f, "{}: cannot create: {why}", self.path.display())
    }
}

impl std::error::Error for WriteError {}

/// Writes every file of `files` as a NEW file (O_CREAT|O_EXCL|O_NOFOLLOW: an existing file
/// or a symbolic link at the path is never followed, truncated or replaced) with its mode,
/// and fsyncs it. All or nothing: when one fails, the files already written are removed.
pub fn write_new_files(files: &[NewFile]) -> Result<(), WriteError> {
    // Refuse before writing anything when a target exists (a dangling link counts).
    for f in files {
        if std::fs::symlink_metadata(&f.path).is_ok() {
            return Err(WriteError {
                path: f.path.clone(),
                err: io::Error::from(io::ErrorKind::AlreadyExists),
            });
        }
    }
    let mut written: Vec<&Path> = Vec::new();
    for f in files {
        if let Err(err) = write_new(&f.path, &f.data, f.mode) {
            for p in written {
                let _ = std::fs::remove_file(p);
            }
            return Err(WriteError {
                path: f.path.clone(),
                err,
            });
        }
        written.push(&f.path);
    }
    Ok(())
}

/// Writes a new file: an anonymous file (O_TMPFILE) completed, fsynced and given its mode,
/// then linked to `path` (never over an existing name or through a link), so a kill
/// leaves no partial key or certificate. Without O_TMPFILE, a new file (O_EXCL) written in
/// place and removed on failure.
fn write_new(path: &Path, data: &[u8], mode: u32) -> io::Result<()> {
    use crate::input::{open_file, Access, InputError};
    use std::os::unix::fs::PermissionsExt;
    let dir = match path.parent() {
        Some(d) if !d.as_os_str().is_empty() => d,
        _ => Path::new("."),
    };
    match open_file(dir, Access::Anonymous(mode)) {
        Ok(mut f) => {
            f.write_all(data)
                .and_then(|()| f.sync_all())
                .and_then(|()| f.set_permissions(std::fs::Permissions::from_mode(mode)))?;
            return Ok(crate::sys::fd::link_anonymous(
                std::os::fd::AsFd::as_fd(&f),
                path,
            )?);
        }
        Err(InputError::Io(e))
            if matches!(
                e.raw_os_error(),
                Some(libc::EOPNOTSUPP | libc::EISDIR | libc::EINVAL)
            ) => {}
        Err(e) => return Err(e.into()),
    }
    let mut file = open_file(path, Access::CreateNew(mode))?;
    let r = file
        .write_all(data)
        .and_then(|()| file.sync_all())
        // The umask may have removed bits from a certificate's mode; keys never gain any.
        .and_then(|()| {
            use std::os::unix::fs::PermissionsExt;
            file.set_permissions(std::fs::Permissions::from_mode(mode))
        });
    if r.is_err() {
        let _ = std::fs::remove_file(path);
    }
    r
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_round_trip() {
        for k in KeyType::ALL {
            assert_eq!(KeyType::parse(k.name()), Some(k));
        }
        assert_eq!(KeyType::parse("prime256v1"), Some(KeyType::P256));
        assert_eq!(KeyType::parse("rsa1024"), None);
        assert_eq!(KeyType::parse("ed25519"), None);
    }

    #[test]
    fn ec_key_pem_round_trips_plain_and_encrypted() {
        let key = generate(KeyType::P256).unwrap();
        let want = key.public_key().computed_keyid();
        let plain = pkcs8_pem(&key, None).unwrap();
        assert!(plain.starts_with("-----BEGIN PRIVATE KEY-----\n"));
        let back = PrivateKey::from_bytes(Path::new("k"), plain.as_bytes(), None).unwrap();
        assert_eq!(back.key.public_key().computed_keyid(), want);

        let enc = pkcs8_pem(&key, Some("sesame")).unwrap();
        assert!(enc.starts_with("-----BEGIN ENCRYPTED PRIVATE KEY-----\n"));
        assert!(PrivateKey::from_bytes(Path::new("k"), enc.as_bytes(), None).is_err());
        assert!(PrivateKey::from_bytes(Path::new("k"), enc.as_bytes(), Some("wrong")).is_err());
        let back = PrivateKey::from_bytes(Path::new("k"), enc.as_bytes(), Some("sesame")).unwrap();
        assert_eq!(back.key.public_key().computed_keyid(), want);
    }

    #[test]
    fn new_files_are_exclusive_private_and_all_or_nothing() {
        use std::os::unix::fs::PermissionsExt;
        let dir = tempfile::tempdir().unwrap();
        let key = dir.path().join("k.pem");
        let crt = dir.path().join("c.pem");
        let files = vec![
            NewFile {
                path: key.clone(),
                data: Zeroizing::new(b"secret".to_vec()),
                mode: 0o600,
            },
            NewFile {
                path: crt.clone(),
                data: Zeroizing::new(b"cert".to_vec()),
                mode: 0o644,
            },
        ];
        write_new_files(&files).unwrap();
        let m = std::fs::metadata(&key).unwrap().permissions().mode() & 0o777;
        assert_eq!(m, 0o600);
        assert_eq!(std::fs::read(&crt).unwrap(), b"cert");
        // A second run changes nothing.
        std::fs::write(&crt, b"kept").unwrap();
        let e = write_new_files(&files).unwrap_err();
        assert_eq!(e.path, key);
        assert_eq!(std::fs::read(&crt).unwrap(), b"kept");

        // A symbolic link at the key path is refused and its target untouched.
        let d2 = dir.path().join("d2");
        std::fs::create_dir(&d2).unwrap();
        let victim = dir.path().join("victim");
        std::fs::write(&victim, b"v").unwrap();
        std::os::unix::fs::symlink(&victim, d2.join("k.pem")).unwrap();
        let files = vec![
            NewFile {
                path: d2.join("c.pem"),
                data: Zeroizing::new(b"cert".to_vec()),
                mode: 0o644,
            },
            NewFile {
                path: d2.join("k.pem"),
                data: Zeroizing::new(b"secret".to_vec()),
                mode: 0o600,
            },
        ];
        assert!(write_new_files(&files).is_err());
        assert_eq!(std::fs::read(&victim).unwrap(), b"v");
        assert!(!d2.join("c.pem").exists());
    }
}
