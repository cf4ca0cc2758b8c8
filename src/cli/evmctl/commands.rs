//! The evmctl commands. Each turns [`Settings`] and operands into library calls and prints
//! what upstream prints: hex values on stdout, informational lines and errors on stderr.

use std::ffi::OsString;
use std::io::{IsTerminal, Write};
use std::path::{Path, PathBuf};

use rayon::prelude::*;

use super::opts::{self, HasArg};
use super::{error, PassSource, Settings, EXIT_ERROR, EXIT_FAIL, EXIT_OK};
use crate::format::ImaValue;
use crate::fsops::{self, OpenFile};
use crate::hash::{to_hex, HashAlgo};
use crate::keys::{Certificate, KeyError, KeyErrorKind, Password, PrivateKey};
use crate::sign::{self, KeyidSource, Signer, SoftwareSigner, VerifyKey};

const DEFAULT_PRIVATE_KEY: &str = "/etc/keys/privkey_evm.pem";
const DEFAULT_CERT: &str = "/etc/keys/x509_evm.der";
const DEFAULT_PUBLIC_KEY: &str = "/etc/keys/pubkey_evm.pem";

/// What processing one file produced, printed in input order once it is done.
#[derive(Default)]
struct FileOutcome {
    /// Pieces in order, `true` for stdout and `false` for stderr.
    output: Vec<(bool, Vec<u8>)>,
    failed: bool,
}

impl FileOutcome {
    fn out(&mut self, text: impl Into<Vec<u8>>) {
        self.output.push((true, text.into()));
    }
    fn err(&mut self, text: impl Into<Vec<u8>>) {
        self.output.push((false, text.into()));
    }
    fn info(&mut self, s: &Settings, text: String) {
        if s.verbose >= super::LOG_INFO {
            self.err(text);
        }
    }
    fn fail(&mut self, text: impl std::fmt::Display) {
        self.err(format!("evmctl: {text}\n"));
        self.failed = true;
    }
    fn print(self) -> bool {
        let stdout = std::io::stdout();
        let stderr = std::io::stderr();
        for (is_out, bytes) in self.output {
            if is_out {
                let mut o = stdout.lock();
                let _ = o.write_all(&bytes);
                let _ = o.flush();
            } else {
                let _ = stderr.lock().write_all(&bytes);
            }
        }
        !self.failed
    }
}

/// Expands operands (walking directories with -r), runs `f` on every file, in parallel
/// when there are several, and prints the outcomes in order. Returns how many failed.
fn for_each_file<F>(s: &Settings, operands: &[OsString], f: F) -> usize
where
    F: Fn(&Path) -> FileOutcome + Sync,
{
    let mut items: Vec<Result<PathBuf, String>> = Vec::new();
    for op in operands {
        let p = PathBuf::from(op);
        if s.recursive {
            items.extend(
                fsops::walk_regular_files(&p, s.same_fs).map(|r| r.map_err(|e| e.to_string())),
            );
        } else {
            items.push(Ok(p));
        }
    }
    let run = |item: &Result<PathBuf, String>| match item {
        Ok(p) => f(p),
        Err(msg) => {
            let mut o = FileOutcome::default();
            o.fail(msg);
            o
        }
    };
    let outcomes: Vec<FileOutcome> = if items.len() > 1 {
        items.par_iter().map(run).collect()
    } else {
        items.iter().map(run).collect()
    };
    outcomes
        .into_iter()
        .map(FileOutcome::print)
        .filter(|ok| !ok)
        .count()
}

/// 125 when any file failed, else 0.
fn exit_code(failures: usize) -> i32 {
    if failures > 0 {
        EXIT_ERROR
    } else {
        EXIT_OK
    }
}

/// What every signing command needs first: operands, the hash algorithm and the key.
fn signing_setup(
    s: &Settings,
    operands: &[OsString],
    cmd: &str,
) -> Result<(HashAlgo, SoftwareSigner), i32> {
    if operands.is_empty() {
        return Err(missing_params(cmd));
    }
    let algo = hash_algo(s)?;
    Ok((algo, load_signer(s)?))
}

fn missing_params(cmd: &str) -> i32 {
    eprintln!("Parameters missing");
    if let Some(c) = opts::command(cmd) {
        println!("usage: {} {}", c.name, c.synopsis);
    }
    EXIT_ERROR
}

fn hash_algo(s: &Settings) -> Result<HashAlgo, i32> {
    match &s.hash_algo {
        None => Ok(HashAlgo::Sha256),
        Some(name) => HashAlgo::from_name(name).map_err(|_| {
            eprintln!("Unknown hash algo: {name}");
            let known: Vec<&str> = HashAlgo::ALL.iter().map(|a| a.name()).collect();
            error(format_args!(
                "unknown hash algorithm '{name}' (names are case-sensitive; known: {})",
                known.join(", ")
            ));
            EXIT_ERROR
        }),
    }
}

/// `ima_hash`: security.ima type 0x04 (0x01 for md4/md5/sha1).
pub fn ima_hash(s: &Settings, operands: &[OsString]) -> i32 {
    if operands.is_empty() {
        return missing_params("ima_hash");
    }
    let algo = match hash_algo(s) {
        Ok(a) => a,
        Err(rc) => return rc,
    };
    let failures = for_each_file(s, operands, |path| {
        let mut o = FileOutcome::default();
        if let Ok(file) = open_or_fail(path, &mut o) {
            let _ = write_ima_hash(s, algo, &file, &mut o);
        }
        o
    });
    exit_code(failures)
}

fn read_password(s: &Settings) -> Result<Option<Password>, i32> {
    match &s.pass {
        None => Ok(None),
        Some(PassSource::Given(p)) => Ok(Some(p.clone())),
        Some(PassSource::Prompt) => prompt_password().map(Some),
    }
}

fn prompt_password() -> Result<Password, i32> {
    match rpassword::prompt_password("PEM password: ") {
        // rpassword strips the trailing newline (upstream keeps it, and then fails).
        Ok(p) => Ok(Password::new(p)),
        Err(e) => {
            error(format_args!(
                "cannot read the password from the terminal: {}",
                crate::error::io_words(&e)
            ));
            Err(EXIT_ERROR)
        }
    }
}

/// Loads the signing key and resolves the keyid, in upstream's order of precedence.
fn load_signer(s: &Settings) -> Result<SoftwareSigner, i32> {
    let explicit = match (&s.keyid, &s.keyid_from_cert) {
        (Some(k), _) => Some(KeyidSource::Explicit(*k)),
        (None, Some(cert)) => {
            let c = Certificate::load(cert).map_err(|e| {
                eprintln!("Error reading keyid.");
                error(format_args!("--keyid-from-cert: {e}"));
                EXIT_FAIL
            })?;
            match c.skid_keyid() {
                Some(k) => {
                    s.info(format_args!(
                        "keyid {:04x} (from {})\n",
                        u32::from_be_bytes(k),
                        cert.display()
                    ));
                    Some(KeyidSource::FromCert(k))
                }
                None => {
                    eprintln!("Error reading keyid.");
                    error(format_args!(
                        "--keyid-from-cert: {}: the certificate has no Subject Key Identifier \
                         of at least 4 bytes",
                        cert.display()
                    ));
                    return Err(EXIT_FAIL);
                }
            }
        }
        (None, None) => None,
    };
    let path = s
        .key
        .clone()
        .unwrap_or_else(|| PathBuf::from(DEFAULT_PRIVATE_KEY));
    let mut password = read_password(s)?;
    let loaded = loop {
        match PrivateKey::load(&path, password.as_deref().map(String::as_str)) {
            Ok(l) => break l,
            Err(KeyError {
                kind: KeyErrorKind::PasswordRequired,
                ..
            }) if password.is_none() && std::io::stdin().is_terminal() => {
                password = Some(prompt_password()?);
            }
            Err(e) => {
                error(format_args!("{e}"));
                return Err(EXIT_ERROR);
            }
        }
    };
    if explicit.is_none() {
        if let Some(k) = loaded.appended_cert.as_ref().and_then(|c| c.skid_keyid()) {
            s.info(format_args!(
                "keyid {:04x} (from {})\n",
                u32::from_be_bytes(k),
                path.display()
            ));
        }
    }
    let signer = SoftwareSigner::new(loaded.key, loaded.appended_cert.as_ref(), explicit);
    s.debug(format_args!(
        "keyid: {} ({})\n",
        to_hex(&signer.keyid()),
        match signer.keyid_source() {
            KeyidSource::Explicit(_) => "--keyid",
            KeyidSource::FromCert(_) => "--keyid-from-cert",
            KeyidSource::AppendedCert(_) => "certificate appended to the key",
            KeyidSource::Computed(_) => "computed from the public key",
        }
    ));
    Ok(signer)
}

/// `ima_sign`: a v2 signature, to the xattr (through the descriptor that was hashed),
/// to stdout, and with --sigfile to FILE.sig.
pub fn ima_sign(s: &Settings, operands: &[OsString]) -> i32 {
    let (algo, signer) = match signing_setup(s, operands, "ima_sign") {
        Ok(x) => x,
        Err(rc) => return rc,
    };
    let failures = for_each_file(s, operands, |path| {
        let mut o = FileOutcome::default();
        if let Ok(file) = open_or_fail(path, &mut o) {
            let _ = write_ima_signature(s, &signer, algo, &file, &mut o);
        }
        o
    });
    exit_code(failures)
}

fn open_or_fail(path: &Path, o: &mut FileOutcome) -> Result<OpenFile, ()> {
    OpenFile::open(path).map_err(|e| o.fail(e))
}

/// Hashes `file`, signs it, prints the value, writes FILE.sig (--sigfile) and the xattr
/// (unless -n). Failures are recorded in `o`.
fn write_ima_signature(
    s: &Settings,
    signer: &SoftwareSigner,
    algo: HashAlgo,
    file: &OpenFile,
    o: &mut FileOutcome,
) -> Result<(), ()> {
    let path = file.path();
    let digest = file.digest(algo).map_err(|e| o.fail(e))?;
    o.info(s, format!("hash({}): {}\n", algo.name(), to_hex(&digest)));
    let value = signature_value(s, signer, algo, &digest, o)
        .map_err(|e| o.fail(format_args!("{}: {e}", path.display())))?;
    o.out(format!("{}\n", to_hex(&value)));
    if s.sigfile {
        o.info(
            s,
            format!("Writing to {}\n", fsops::sig_path(path).display()),
        );
        fsops::write_sig_file(path, &value).map_err(|e| o.fail(e))?;
    }
    if !s.no_xattr {
        file.set_xattr(s.xattr.ima(), &value)
            .map_err(|e| o.fail(e))?;
    }
    Ok(())
}

/// A signature xattr value (type 0x03) over `digest`: v2, or legacy v1 with --rsa.
fn signature_value(
    s: &Settings,
    signer: &SoftwareSigner,
    algo: HashAlgo,
    digest: &[u8],
    o: &mut FileOutcome,
) -> Result<Vec<u8>, String> {
    let mut value = vec![crate::format::XattrType::DigSig as u8];
    if s.rsa {
        let now = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map(|d| d.as_secs() as u32)
            .unwrap_or(0);
        value.extend(signer.sign_v1(algo, digest, now)?);
        o.info(
            s,
            format!("evm/ima signature-v1: {} bytes\n", value.len() - 1),
        );
    } else {
        value.extend(sign::sign_v2(signer, algo, digest)?.encode_body());
        o.info(s, format!("evm/ima signature: {} bytes\n", value.len() - 1));
    }
    Ok(value)
}

/// Writes the IMA hash value of `file` (prints it; sets the xattr unless -n).
fn write_ima_hash(
    s: &Settings,
    algo: HashAlgo,
    file: &OpenFile,
    o: &mut FileOutcome,
) -> Result<(), ()> {
    let digest = file.digest(algo).map_err(|e| o.fail(e))?;
    let value = ImaValue::hash_value(algo, digest).encode();
    o.info(s, format!("hash({}): ", algo.name()));
    if s.no_xattr || s.verbose >= super::LOG_INFO {
        o.out(format!("{}\n", to_hex(&value)));
    }
    if !s.no_xattr {
        file.set_xattr(s.xattr.ima(), &value)
            .map_err(|e| o.fail(e))?;
    }
    Ok(())
}

/// Prints what went into an EVM digest, as upstream does at its default verbosity.
fn report_evm_trace(s: &Settings, trace: &crate::evm::EvmTrace, o: &mut FileOutcome) {
    if let Some(g) = trace.generation {
        o.info(s, format!("generation: {g}\n"));
    }
    for (name, size) in &trace.xattrs {
        match size {
            Some(n) => o.info(s, format!("name: {name}, size: {n}\n")),
            None => o.info(s, format!("no xattr: {name}\n")),
        }
    }
    if let Some(u) = trace.uuid {
        o.info(s, format!("uuid: {}\n", to_hex(&u)));
    }
}

/// `sign`: an EVM signature in security.evm (0x03, or 0x05 with --portable), after
/// security.ima with --imasig/--imahash.
pub fn sign_evm(s: &Settings, operands: &[OsString]) -> i32 {
    let (algo, signer) = match signing_setup(s, operands, "sign") {
        Ok(x) => x,
        Err(rc) => return rc,
    };
    let failures = for_each_file(s, operands, |path| {
        let mut o = FileOutcome::default();
        let Ok(file) = open_or_fail(path, &mut o) else {
            return o;
        };
        if s.imasig && write_ima_signature(s, &signer, algo, &file, &mut o).is_err() {
            return o;
        }
        if s.imahash && write_ima_hash(s, algo, &file, &mut o).is_err() {
            return o;
        }
        let (digest, trace) = match crate::evm::evm_digest(algo, &file, &s.evm) {
            Ok(d) => d,
            Err(e) => {
                o.fail(e);
                return o;
            }
        };
        report_evm_trace(s, &trace, &mut o);
        o.info(s, format!("hash({}): {}\n", algo.name(), to_hex(&digest)));
        let mut value = match signature_value(s, &signer, algo, &digest, &mut o) {
            Ok(v) => v,
            Err(e) => {
                o.fail(format_args!("{}: {e}", path.display()));
                return o;
            }
        };
        if s.evm.portable {
            value[0] = crate::format::XattrType::EvmPortableDigSig as u8;
        }
        o.out(format!("{}\n", to_hex(&value)));
        if !s.no_xattr {
            let _ = file.set_xattr(s.xattr.evm(), &value).map_err(|e| o.fail(e));
        }
        o
    });
    exit_code(failures)
}

/// `verify`: checks security.evm. Exit 0 verified, 1 bad signature, 125 cannot check.
pub fn verify_evm(s: &Settings, operands: &[OsString]) -> i32 {
    if operands.is_empty() {
        return missing_params("verify");
    }
    let keys = match VerifyKeys::load(s) {
        Ok(k) => k,
        Err(rc) => return rc,
    };
    let mut rc = EXIT_OK;
    for op in operands {
        let path = Path::new(op);
        let mut o = FileOutcome::default();
        let result = (|| -> Result<(), i32> {
            let file = open_or_fail(path, &mut o).map_err(|()| EXIT_ERROR)?;
            let value = file.get_xattr(s.xattr.evm()).map_err(|e| {
                o.fail(e);
                EXIT_ERROR
            })?;
            let portable = match value.first() {
                Some(0x03) => false,
                Some(0x05) => true,
                _ => {
                    o.fail(format_args!(
                        "{}: {} has no signature",
                        path.display(),
                        s.xattr.evm()
                    ));
                    return Err(EXIT_ERROR);
                }
            };
            let mut params = s.evm.clone();
            params.portable = portable;
            let mut trace = None;
            let verdict = keys.verify(&value, |algo| {
                let (digest, t) = crate::evm::evm_digest(algo, &file, &params)?;
                trace = Some(t);
                Ok(digest)
            });
            if let Some(t) = &trace {
                report_evm_trace(s, t, &mut o);
            }
            match verdict {
                Ok(()) => {
                    o.info(s, format!("{}: verification is OK\n", path.display()));
                    Ok(())
                }
                Err(e) => {
                    o.fail(format_args!("{}: verification failed: {e}", path.display()));
                    Err(match e {
                        Failure::Invalid(_) => EXIT_FAIL,
                        Failure::Cannot(_) => EXIT_ERROR,
                    })
                }
            }
        })();
        o.print();
        if let Err(code) = result {
            rc = rc.max(code);
        }
    }
    rc
}

/// Loads the verification certificates (comma/space separated list).
pub(super) fn load_verify_keys(s: &Settings) -> Result<Vec<VerifyKey>, i32> {
    let list = s.key.clone().unwrap_or_else(|| PathBuf::from(DEFAULT_CERT));
    let list = list.to_string_lossy().into_owned();
    let mut keys = Vec::new();
    for (i, part) in list
        .split([',', ' ', '\t'])
        .filter(|p| !p.is_empty())
        .enumerate()
    {
        let path = Path::new(part);
        let loaded = Certificate::load(path).and_then(|c| {
            let k = VerifyKey::from_certificate(&c)?;
            Ok((c.keyid(), k))
        });
        match loaded {
            Ok((keyid, k)) => {
                s.info(format_args!(
                    "key {}: {:x} {}\n",
                    i + 1,
                    u32::from_be_bytes(keyid),
                    part
                ));
                keys.push(k);
            }
            Err(e) => {
                error(format_args!("{e}"));
                return Err(EXIT_FAIL);
            }
        }
    }
    Ok(keys)
}

/// The keys a verification uses: certificates for v2, a PEM public key with --rsa (v1).
pub(super) enum VerifyKeys {
    V2(Vec<VerifyKey>),
    V1(crate::keys::PublicKey),
}

impl VerifyKeys {
    pub(super) fn load(s: &Settings) -> Result<VerifyKeys, i32> {
        if !s.rsa {
            return load_verify_keys(s).map(VerifyKeys::V2);
        }
        let path = s
            .key
            .clone()
            .unwrap_or_else(|| PathBuf::from(DEFAULT_PUBLIC_KEY));
        crate::keys::PublicKey::load_pem(&path)
            .map(VerifyKeys::V1)
            .map_err(|e| {
                error(format_args!("{e}"));
                EXIT_FAIL
            })
    }

    /// Verifies an xattr value (type byte first, 0x03; EVM's 0x05 is read as 0x03);
    /// `digest_of` hashes the signed data with the algorithm the header names.
    pub(super) fn verify(
        &self,
        value: &[u8],
        digest_of: impl FnOnce(HashAlgo) -> Result<Vec<u8>, String>,
    ) -> Result<(), Failure> {
        let cannot = Failure::Cannot;
        let mut value = value.to_vec();
        if value.first() == Some(&(crate::format::XattrType::EvmPortableDigSig as u8)) {
            value[0] = crate::format::XattrType::DigSig as u8;
        }
        match (self, ImaValue::parse(&value)) {
            (VerifyKeys::V1(key), Ok(ImaValue::SignatureV1(body))) => {
                let algo = sign::v1_hash_algo(&body)
                    .ok_or_else(|| cannot("a v1 signature with an unknown hash".into()))?;
                let digest = digest_of(algo).map_err(cannot)?;
                sign::verify_v1(key, &digest, &body).map_err(|_| {
                    Failure::Invalid(
                        "invalid signature: the digest does not match this v1 signature and \
                         public key"
                            .into(),
                    )
                })
            }
            (VerifyKeys::V1(_), Ok(_)) => Err(cannot(
                "not a v1 signature (verify v2 signatures without --rsa)".into(),
            )),
            (VerifyKeys::V2(_), Ok(ImaValue::SignatureV1(_))) => Err(cannot(
                "a legacy v1 signature: verify it with --rsa and --key PUBLIC_KEY.pem".into(),
            )),
            (VerifyKeys::V2(keys), _) => {
                let sig = sign::parse_signature(&value).map_err(|e| cannot(e.to_string()))?;
                let algo = sig.hash_algo().ok_or_else(|| {
                    cannot(sign::VerifyError::UnsupportedHash(sig.hash_id).to_string())
                })?;
                let digest = digest_of(algo).map_err(cannot)?;
                sign::verify_v2(keys, &sig, &digest).map_err(|e| match e {
                    sign::VerifyError::Invalid { .. } => Failure::Invalid(e.to_string()),
                    other => cannot(other.to_string()),
                })
            }
            (VerifyKeys::V1(_), Err(e)) => Err(cannot(format!("invalid signature value: {e}"))),
        }
    }
}

/// Why a verification failed: the signature does not match, or it could not be checked.
pub(super) enum Failure {
    Invalid(String),
    Cannot(String),
}

impl std::fmt::Display for Failure {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Failure::Invalid(m) | Failure::Cannot(m) => f.write_str(m),
        }
    }
}

/// `ima_verify`: exit 0 only when every file's signature verifies.
pub fn ima_verify(s: &Settings, operands: &[OsString]) -> i32 {
    if operands.is_empty() {
        return missing_params("ima_verify");
    }
    let keys = match VerifyKeys::load(s) {
        Ok(k) => k,
        Err(rc) => return rc,
    };
    let name = s.xattr.ima();
    let failures = for_each_file(s, operands, |path| {
        let mut o = FileOutcome::default();
        let fail = |o: &mut FileOutcome, why: String| {
            o.fail(format_args!(
                "{}: verification failed: {why}",
                path.display()
            ))
        };
        let file = match OpenFile::open(path) {
            Ok(f) => f,
            Err(e) => {
                o.fail(e);
                return o;
            }
        };
        let value = if s.sigfile {
            fsops::read_sig_file(path, &fsops::sig_path(path))
        } else {
            file.get_xattr(name)
        };
        let value = match value {
            Ok(v) => v,
            Err(e) => {
                let no_sig = matches!(e.what, fsops::FileErrorKind::NoXattr(_));
                o.fail(if no_sig {
                    format!("{e} (no signature)")
                } else {
                    e.to_string()
                });
                return o;
            }
        };
        let verdict = keys.verify(&value, |algo| {
            let d = file.digest(algo).map_err(|e| e.to_string())?;
            s.debug(format_args!("hash({}): {}\n", algo.name(), to_hex(&d)));
            Ok(d)
        });
        match verdict {
            Ok(()) => o.info(s, format!("{}: verification is OK\n", path.display())),
            Err(e) => fail(&mut o, e.to_string()),
        }
        o
    });
    if failures > 0 {
        EXIT_FAIL
    } else {
        EXIT_OK
    }
}

/// `ima_setxattr [--sigfile SIG] FILE`: installs a detached signature. Never prompts and
/// never reads stdin. A missing, empty or malformed signature file is an error.
pub fn ima_setxattr(s: &Settings, operands: &[OsString]) -> i32 {
    let (file, sig) = match (s.sigfile, operands) {
        (true, [sig, file, ..]) => (PathBuf::from(file), PathBuf::from(sig)),
        (_, [file, ..]) => {
            let f = PathBuf::from(file);
            let sig = fsops::sig_path(&f);
            (f, sig)
        }
        _ => return missing_params("ima_setxattr"),
    };
    // Upstream prints this at its default verbosity; here only with -v, so that a failing
    // scriptlet shows exactly one line.
    s.debug(format_args!("Reading to {}\n", sig.display()));
    let value = match fsops::read_sig_file(&file, &sig) {
        Ok(v) => v,
        Err(e) => {
            error(format_args!("{e}"));
            return EXIT_ERROR;
        }
    };
    if let Err(e) = ImaValue::parse(&value) {
        error(format_args!(
            "{}: not a valid security.ima value: {e}",
            sig.display()
        ));
        return EXIT_ERROR;
    }
    let opened = match OpenFile::open(&file) {
        Ok(f) => f,
        Err(e) => {
            error(format_args!("{e}"));
            return EXIT_ERROR;
        }
    };
    match opened.set_xattr(s.xattr.ima(), &value) {
        Ok(()) => EXIT_OK,
        Err(e) => {
            let unsupported = matches!(
                &e.what,
                fsops::FileErrorKind::SetXattr(_, io)
                    if matches!(io.raw_os_error(), Some(libc::EOPNOTSUPP) | Some(libc::EPERM))
            );
            if unsupported && s.ignore_unsupported {
                error(format_args!("warning: {e}; ignored (--ignore-unsupported)"));
                EXIT_OK
            } else {
                error(format_args!("{e}"));
                EXIT_ERROR
            }
        }
    }
}

/// `sign_hash`: signs digests read from stdin (sha*sum output), one line each.
pub fn sign_hash(s: &Settings) -> i32 {
    let algo = match hash_algo(s) {
        Ok(a) => a,
        Err(rc) => return rc,
    };
    let mut signer = None;
    let mut lines = 0usize;
    let stdin = std::io::stdin();
    let mut out = std::io::stdout().lock();
    for (n, line) in std::io::BufRead::lines(stdin.lock()).enumerate() {
        let line = match line {
            Ok(l) => l,
            Err(e) => {
                error(format_args!(
                    "standard input: {}",
                    crate::error::io_words(&e)
                ));
                return EXIT_ERROR;
            }
        };
        let hex_end = line.find([',', ' ', '\t']).unwrap_or(line.len());
        let digest = match crate::hash::from_hex(&line[..hex_end]) {
            Some(d) if d.len() == algo.digest_len() => d,
            _ => {
                error(format_args!(
                    "standard input, line {}: expected a {}-character hex {algo} digest at the \
                     start of the line (use -a for another algorithm)",
                    n + 1,
                    algo.digest_len() * 2
                ));
                return EXIT_ERROR;
            }
        };
        if signer.is_none() {
            signer = Some(match load_signer(s) {
                Ok(k) => k,
                Err(rc) => return rc,
            });
        }
        let signer = signer.as_ref().expect("loaded above");
        s.info(format_args!("hash({}): {}\n", algo.name(), to_hex(&digest)));
        let value = match sign::sign_v2(signer, algo, &digest) {
            Ok(sig) => ImaValue::Signature(sig).encode(),
            Err(e) => {
                error(format_args!("standard input, line {}: {e}", n + 1));
                return EXIT_ERROR;
            }
        };
        s.info(format_args!(
            "evm/ima signature: {} bytes\n",
            value.len() - 1
        ));
        if writeln!(out, "{line} {}", to_hex(&value)).is_err() {
            return EXIT_ERROR;
        }
        lines += 1;
    }
    if lines == 0 {
        return missing_params("sign_hash");
    }
    EXIT_OK
}

/// `ima_clear`: removes the IMA and EVM xattrs (absent ones are fine).
pub fn ima_clear(s: &Settings, operands: &[OsString]) -> i32 {
    if operands.is_empty() {
        return missing_params("ima_clear");
    }
    let failures = for_each_file(s, operands, |path| {
        let mut o = FileOutcome::default();
        o.info(s, format!("{}\n", path.display()));
        match OpenFile::open(path) {
            Ok(f) => {
                for name in [s.xattr.ima(), s.xattr.evm()] {
                    if let Err(e) = f.remove_xattr(name) {
                        o.fail(e);
                    }
                }
            }
            Err(e) => o.fail(e),
        }
        o
    });
    exit_code(failures)
}

/// `ima_fix`: opens every file so that a kernel booted with `ima_appraise=fix` writes its
/// security.ima; with `-t x`, files that already have both IMA and EVM xattrs are skipped.
pub fn ima_fix(s: &Settings, operands: &[OsString]) -> i32 {
    if operands.is_empty() {
        return missing_params("ima_fix");
    }
    let failures = for_each_file(s, operands, |path| {
        let mut o = FileOutcome::default();
        o.info(s, format!("{}\n", path.display()));
        if s.skip_if_labelled {
            let has = |n| fsops::get_xattr_nofollow(path, n).is_ok();
            if has(s.xattr.ima()) && has(s.xattr.evm()) {
                return o;
            }
        }
        if let Err(e) = OpenFile::open(path) {
            o.fail(e);
        }
        o
    });
    exit_code(failures)
}

/// `convert [KEY]`: KEY.bin (the v1 public key blob) and KEY.keyid from a PEM RSA key.
pub fn convert(s: &Settings, operands: &[OsString]) -> i32 {
    let path = operands
        .first()
        .map(PathBuf::from)
        .unwrap_or_else(|| PathBuf::from(DEFAULT_PUBLIC_KEY));
    let key = match crate::keys::PublicKey::load_pem(&path) {
        Ok(k) => k,
        Err(e) => {
            error(format_args!("{e}"));
            return EXIT_FAIL;
        }
    };
    let blob = match key
        .rsa_spki_der()
        .ok_or_else(|| "v1 keys are RSA only".to_string())
        .and_then(|d| crate::keys::v1::key2bin(&d))
    {
        Ok(b) => b,
        Err(e) => {
            error(format_args!("{}: {e}", path.display()));
            return EXIT_FAIL;
        }
    };
    let name = crate::keys::v1::keyid_name(&crate::keys::v1::keyid(&blob));
    for (ext, data) in [("bin", blob.as_slice()), ("keyid", name.as_bytes())] {
        let mut target = path.clone().into_os_string();
        target.push(format!(".{ext}"));
        let target = PathBuf::from(target);
        s.info(format_args!("Writing to {}\n", target.display()));
        if let Err(e) = fsops::write_atomic(&target, data) {
            error(format_args!(
                "{}: cannot write: {}",
                target.display(),
                crate::error::io_words(&e)
            ));
            return EXIT_ERROR;
        }
    }
    EXIT_OK
}

/// `help [command]`.
pub fn help(operands: &[OsString]) -> i32 {
    match operands.first() {
        None => {
            print!("{}", usage());
            EXIT_OK
        }
        Some(name) => {
            let name = name.to_string_lossy();
            match opts::COMMANDS.iter().find(|c| c.name == name) {
                Some(c) => {
                    println!("usage: {} {}", c.name, c.synopsis);
                    println!("{}", c.summary);
                    EXIT_OK
                }
                None => {
                    println!("invalid command: {name}");
                    EXIT_ERROR
                }
            }
        }
    }
}

/// The general usage text, generated from the option and command tables.
pub fn usage() -> String {
    let mut u = String::from("Usage: evmctl [-v] <command> [OPTIONS]\n\ncommands:\n");
    u.push_str(" --version\n");
    for c in opts::COMMANDS {
        u.push_str(&format!(" {} {}\n", c.name, c.synopsis));
    }
    u.push('\n');
    for o in opts::OPTIONS {
        let short = o.short.map(|c| format!("-{c}")).unwrap_or_default();
        let long = o.long.map(|l| format!("--{l}")).unwrap_or_default();
        let mut flag = match (short.is_empty(), long.is_empty()) {
            (false, false) => format!("{short}, {long}"),
            (false, true) => short,
            _ => format!("    {long}"),
        };
        match o.has_arg {
            HasArg::No => {}
            HasArg::Required => flag.push_str(&format!(" {}", o.value_name)),
            HasArg::Optional => flag.push_str(&format!("[={}]", o.value_name)),
        }
        u.push_str(&format!("  {flag:<28} {}\n", o.help));
    }
    u.push_str(
        "\nEnvironment variables:\n\n\
         EVMCTL_KEY_PASSWORD  : Private key password to use; do not use --pass option\n\n",
    );
    u
}
