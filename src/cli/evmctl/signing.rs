//! The commands that write values: `ima_hash`, `ima_sign`, `sign` (EVM) and `sign_hash`.
//! They load the key, call the library and print what upstream prints: the value in hex
//! on stdout, informational lines on stderr.

use std::io::{IsTerminal, Write};
use std::path::Path;

use super::args::{
    EvmSignRequest, HashRequest, ImaFirst, KeyRequest, Output, PassSource, Refusal,
    SignHashRequest, SignRequest,
};
use super::opts::{self, EXIT_ERROR, EXIT_FAIL, EXIT_OK};
use super::output::{error, for_each_file, print_refusal, FileOutcome, Log};
use crate::evm::{EvmError, EvmTrace};
use crate::format::ImaValue;
use crate::fsops::{self, OpenFile};
use crate::hash::{to_hex, HashAlgo};
use crate::keys::{Certificate, KeyError, KeyErrorKind, Password, PrivateKey};
use crate::sign::{self, KeyidSource, Scheme, Signer, SoftwareSigner};

/// 125 when any file failed, else 0.
pub fn exit_code(failures: usize) -> i32 {
    if failures > 0 {
        EXIT_ERROR
    } else {
        EXIT_OK
    }
}

/// A key error with the option that fixes it, for the ones an option fixes.
pub fn key_error_hint(e: &KeyError) -> String {
    match e.kind {
        KeyErrorKind::PasswordRequired => format!(
            "{e} (use --pass=PASSWORD, a bare -p to be asked, or {})",
            opts::ENV_KEY_PASSWORD
        ),
        KeyErrorKind::NotAPrivateKey(_) => format!("{e} (give the signing key with --key)"),
        _ => e.to_string(),
    }
}

/// An EVM error with the option that works around it.
pub fn evm_error_hint(e: &EvmError) -> String {
    match e {
        EvmError::Generation(..) => format!("{e}; give it with --generation=N"),
        EvmError::Uuid { .. } => {
            format!("{e}; give it with --uuid=UUID, or use -u to leave it out")
        }
        _ => e.to_string(),
    }
}

fn prompt_password() -> Result<Password, Refusal> {
    // rpassword strips the trailing newline (upstream keeps it, and then fails).
    rpassword::prompt_password("PEM password: ")
        .map(Password::new)
        .map_err(|e| {
            Refusal::error(
                EXIT_ERROR,
                &[format!(
                    "evmctl: cannot read the password from the terminal: {}",
                    crate::error::io_words(&e)
                )],
            )
        })
}

/// Resolves `--keyid-from-cert` (after `--keyid`, which wins).
fn explicit_keyid(log: Log, key: &KeyRequest) -> Result<Option<KeyidSource>, Refusal> {
    if let Some(k) = key.keyid {
        return Ok(Some(KeyidSource::Explicit(k)));
    }
    let Some(cert) = &key.keyid_from_cert else {
        return Ok(None);
    };
    let c = Certificate::load(cert).map_err(|e| {
        Refusal::error(
            EXIT_FAIL,
            &[
                "Error reading keyid.".into(),
                format!("evmctl: --keyid-from-cert: {e}"),
            ],
        )
    })?;
    match c.skid_keyid() {
        Some(k) => {
            log.info(format_args!(
                "keyid {:04x} (from {})\n",
                u32::from_be_bytes(k),
                cert.display()
            ));
            Ok(Some(KeyidSource::FromCert(k)))
        }
        None => Err(Refusal::error(
            EXIT_FAIL,
            &[
                "Error reading keyid.".into(),
                format!(
                    "evmctl: --keyid-from-cert: {}: the certificate has no Subject Key \
                     Identifier of at least 4 bytes",
                    cert.display()
                ),
            ],
        )),
    }
}

/// Loads the signing key (asking for a password on a terminal when it is encrypted) and
/// resolves the keyid, in upstream's order of precedence.
pub fn load_signer(log: Log, key: &KeyRequest) -> Result<SoftwareSigner, Refusal> {
    let explicit = explicit_keyid(log, key)?;
    let mut password = match &key.pass {
        None => None,
        Some(PassSource::Given(p)) => Some(p.clone()),
        Some(PassSource::Prompt) => Some(prompt_password()?),
    };
    let loaded = loop {
        match PrivateKey::load(&key.path, password.as_deref().map(String::as_str)) {
            Ok(l) => break l,
            Err(KeyError {
                kind: KeyErrorKind::PasswordRequired,
                ..
            }) if password.is_none() && std::io::stdin().is_terminal() => {
                password = Some(prompt_password()?);
            }
            Err(e) => {
                return Err(Refusal::error(
                    EXIT_ERROR,
                    &[format!("evmctl: {}", key_error_hint(&e))],
                ))
            }
        }
    };
    if explicit.is_none() {
        if let Some(k) = loaded.appended_cert.as_ref().and_then(|c| c.skid_keyid()) {
            log.info(format_args!(
                "keyid {:04x} (from {})\n",
                u32::from_be_bytes(k),
                key.path.display()
            ));
        }
    }
    let signer = SoftwareSigner::new(loaded.key, loaded.appended_cert.as_ref(), explicit);
    log.debug(format_args!(
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

/// v2, or v1 with --rsa (timestamped now).
fn scheme(v1: bool) -> Scheme {
    if !v1 {
        return Scheme::V2;
    }
    let timestamp = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_secs() as u32)
        .unwrap_or(0);
    Scheme::V1 { timestamp }
}

/// Signs `digest` and records the size line upstream prints.
fn signature(
    signer: &SoftwareSigner,
    v1: bool,
    algo: HashAlgo,
    digest: &[u8],
    o: &mut FileOutcome,
) -> Result<sign::SignatureBody, sign::SignError> {
    let body = sign::sign_body(signer, scheme(v1), algo, digest)?;
    let len = body.ima_value().len() - 1;
    o.info(if v1 {
        format!("evm/ima signature-v1: {len} bytes\n")
    } else {
        format!("evm/ima signature: {len} bytes\n")
    });
    Ok(body)
}

/// Hashes `file`, signs it, prints the value, writes FILE.sig (--sigfile) and the xattr
/// (unless -n). Failures are recorded in `o`.
fn write_ima_signature(
    req: &SignRequest,
    signer: &SoftwareSigner,
    file: &OpenFile,
    o: &mut FileOutcome,
) -> Result<(), ()> {
    let path = file.path();
    let digest = file.digest(req.algo).map_err(|e| o.fail(e))?;
    o.info(format!("hash({}): {}\n", req.algo.name(), to_hex(&digest)));
    let value = signature(signer, req.v1, req.algo, &digest, o)
        .map_err(|e| o.fail(format_args!("{}: {e}", path.display())))?
        .ima_value();
    o.out(format!("{}\n", to_hex(&value)));
    write_value(&req.output, file, &value, o)
}

/// FILE.sig with --sigfile, then the xattr unless -n.
fn write_value(out: &Output, file: &OpenFile, value: &[u8], o: &mut FileOutcome) -> Result<(), ()> {
    if out.sigfile {
        o.info(format!(
            "Writing to {}\n",
            fsops::sig_path(file.path()).display()
        ));
        fsops::write_sig_file(file.path(), value).map_err(|e| o.fail(e))?;
    }
    if !out.no_xattr {
        file.set_xattr(out.xattr.ima(), value)
            .map_err(|e| o.fail(e))?;
    }
    Ok(())
}

/// Writes the IMA hash value of `file` (prints it; sets the xattr unless -n).
fn write_ima_hash(
    algo: HashAlgo,
    out: &Output,
    file: &OpenFile,
    o: &mut FileOutcome,
) -> Result<(), ()> {
    let digest = file.digest(algo).map_err(|e| o.fail(e))?;
    let value = ImaValue::hash_value(algo, digest).encode();
    o.info(format!("hash({}): ", algo.name()));
    if out.no_xattr || o.shows_info() {
        o.out(format!("{}\n", to_hex(&value)));
    }
    if !out.no_xattr {
        file.set_xattr(out.xattr.ima(), &value)
            .map_err(|e| o.fail(e))?;
    }
    Ok(())
}

fn open(path: &Path, o: &mut FileOutcome) -> Option<OpenFile> {
    OpenFile::open(path).map_err(|e| o.fail(e)).ok()
}

/// `ima_hash`: security.ima type 0x04 (0x01 for md4/md5/sha1).
pub fn ima_hash(req: HashRequest) -> i32 {
    exit_code(for_each_file(req.log, &req.files, |path, o| {
        if let Some(file) = open(path, o) {
            let _ = write_ima_hash(req.algo, &req.output, &file, o);
        }
    }))
}

/// `ima_sign`: a v2 signature, to the xattr (through the descriptor that was hashed),
/// to stdout, and with --sigfile to FILE.sig.
pub fn ima_sign(req: SignRequest) -> i32 {
    let signer = match load_signer(req.log, &req.key) {
        Ok(s) => s,
        Err(r) => return print_refusal(r),
    };
    exit_code(for_each_file(req.log, &req.files, |path, o| {
        if let Some(file) = open(path, o) {
            let _ = write_ima_signature(&req, &signer, &file, o);
        }
    }))
}

/// Prints what went into an EVM digest, as upstream does at its default verbosity.
pub fn report_evm_trace(trace: &EvmTrace, o: &mut FileOutcome) {
    if let Some(g) = trace.generation {
        o.info(format!("generation: {g}\n"));
    }
    for (name, size) in &trace.xattrs {
        match size {
            Some(n) => o.info(format!("name: {name}, size: {n}\n")),
            None => o.info(format!("no xattr: {name}\n")),
        }
    }
    if let Some(u) = trace.uuid {
        o.info(format!("uuid: {}\n", to_hex(&u)));
    }
}

/// `sign`: an EVM signature in security.evm (0x03, or 0x05 with --portable), after
/// security.ima with --imasig/--imahash.
pub fn sign_evm(req: EvmSignRequest) -> i32 {
    let s = &req.sign;
    let signer = match load_signer(s.log, &s.key) {
        Ok(k) => k,
        Err(r) => return print_refusal(r),
    };
    exit_code(for_each_file(s.log, &s.files, |path, o| {
        let Some(file) = open(path, o) else {
            return;
        };
        let first = match req.ima_first {
            ImaFirst::Signature => write_ima_signature(s, &signer, &file, o),
            ImaFirst::Hash => write_ima_hash(s.algo, &s.output, &file, o),
            ImaFirst::Nothing => Ok(()),
        };
        if first.is_err() {
            return;
        }
        let (digest, trace) = match crate::evm::evm_digest(s.algo, &file, &req.evm) {
            Ok(d) => d,
            Err(e) => return o.fail(evm_error_hint(&e)),
        };
        report_evm_trace(&trace, o);
        o.info(format!("hash({}): {}\n", s.algo.name(), to_hex(&digest)));
        let value = match signature(&signer, s.v1, s.algo, &digest, o) {
            Ok(b) => b.evm_value(req.evm.portable),
            Err(e) => return o.fail(format_args!("{}: {e}", path.display())),
        };
        o.out(format!("{}\n", to_hex(&value)));
        if !s.output.no_xattr {
            let _ = file
                .set_xattr(s.output.xattr.evm(), &value)
                .map_err(|e| o.fail(e));
        }
    }))
}

/// `sign_hash`: signs digests read from stdin (sha*sum output), one line each.
pub fn sign_hash(req: SignHashRequest) -> i32 {
    let algo = req.algo;
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
            signer = Some(match load_signer(req.log, &req.key) {
                Ok(k) => k,
                Err(r) => return print_refusal(r),
            });
        }
        let signer = signer.as_ref().expect("loaded above");
        req.log
            .info(format_args!("hash({}): {}\n", algo.name(), to_hex(&digest)));
        let value = match sign::sign_body(signer, Scheme::V2, algo, &digest) {
            Ok(sig) => sig.ima_value(),
            Err(e) => {
                error(format_args!("standard input, line {}: {e}", n + 1));
                return EXIT_ERROR;
            }
        };
        req.log.info(format_args!(
            "evm/ima signature: {} bytes\n",
            value.len() - 1
        ));
        if writeln!(out, "{line} {}", to_hex(&value)).is_err() {
            return EXIT_ERROR;
        }
        lines += 1;
    }
    if lines == 0 {
        let r = Refusal::missing(opts::command("sign_hash").expect("in the table"));
        return print_refusal(r);
    }
    EXIT_OK
}
