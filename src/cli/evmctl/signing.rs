//! The commands that write values: `ima_hash`, `ima_sign`, `sign` (EVM) and `sign_hash`.
//! They load the key, call the library and print what upstream prints: the value in hex
//! on stdout, informational lines on stderr.

use std::io::{IsTerminal, Write};
use std::path::Path;

use super::opts::{self, EXIT_ERROR, EXIT_FAIL, EXIT_OK};
use super::output::{error, for_each_file, print_refusal, FileOutcome, Log};
use super::request::{
    EvmSignRequest, HashRequest, ImaFirst, KeyRequest, Output, PassSource, Refusal,
    SignHashRequest, SignRequest,
};
use crate::evm::{EvmError, EvmTrace};
use crate::fsops::OpenFile;
use crate::hash::{to_hex, HashAlgo};
use crate::keyref::{self, AnySigner, KeyRef, OpenError};
use crate::keys::{KeyError, KeyErrorKind, Password};
use crate::ops::{self, Event, OpError, Target};
use crate::pkcs11::{Pkcs11Error, Pkcs11Uri};
use crate::sign::{KeyidChoice, KeyidSource, Scheme, Signer, SignerError};

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

/// The PKCS#11 module when a `pkcs11:` URI names none (before p11-kit's proxy).
fn pkcs11_module() -> Option<std::path::PathBuf> {
    std::env::var_os(opts::ENV_PKCS11_MODULE)
        .filter(|m| !m.is_empty())
        .map(Into::into)
}

fn prompt_pin(token: &str) -> Result<Password, Refusal> {
    rpassword::prompt_password(format!("PIN for token {token}: "))
        .map(Password::new)
        .map_err(|e| {
            Refusal::error(
                EXIT_ERROR,
                &[format!(
                    "evmctl: cannot read the PIN from the terminal: {}",
                    crate::error::io_words(&e)
                )],
            )
        })
}

/// Loads the signing key, a file or a `pkcs11:` URI (asking for a password or PIN on a
/// terminal when one is needed), and resolves the keyid, in upstream's order of precedence.
pub fn load_signer(log: Log, key: &KeyRequest) -> Result<AnySigner, Refusal> {
    let choice = match (key.keyid, &key.keyid_from_cert) {
        (Some(k), _) => KeyidChoice::Explicit(k),
        (None, Some(cert)) => KeyidChoice::FromCertificate(cert.clone()),
        (None, None) => KeyidChoice::Default,
    };
    let mut password = match &key.pass {
        None => None,
        Some(PassSource::Given(p)) => Some(p.clone()),
        Some(PassSource::Prompt) => Some(prompt_password()?),
    };
    let keyref = KeyRef::parse(key.path.as_os_str());
    let module = pkcs11_module();
    let signer = loop {
        let pass = password.as_deref().map(String::as_str);
        match keyref::open(&keyref, pass, &choice, module.as_deref()) {
            Ok(s) => break s,
            Err(OpenError::Software(SignerError::Key(KeyError {
                kind: KeyErrorKind::PasswordRequired,
                ..
            }))) if password.is_none() && std::io::stdin().is_terminal() => {
                password = Some(prompt_password()?);
            }
            Err(OpenError::Pkcs11(Pkcs11Error::PinRequired { token }))
                if password.is_none() && std::io::stdin().is_terminal() =>
            {
                password = Some(prompt_pin(&token)?);
            }
            Err(OpenError::Software(SignerError::Key(e))) => {
                return Err(Refusal::error(
                    EXIT_ERROR,
                    &[format!("evmctl: {}", key_error_hint(&e))],
                ))
            }
            Err(OpenError::Software(
                e @ (SignerError::KeyidCertificate(_) | SignerError::NoSkid(_)),
            )) => {
                return Err(Refusal::error(
                    EXIT_FAIL,
                    &[
                        "Error reading keyid.".into(),
                        format!("evmctl: --keyid-from-cert: {e}"),
                    ],
                ))
            }
            Err(OpenError::Pkcs11(e @ Pkcs11Error::PinRequired { .. })) => {
                return Err(Refusal::error(
                    EXIT_ERROR,
                    &[format!(
                        "evmctl: {}: {e} (use --pass=PIN, a bare -p to be asked, {}, or \
                         pin-value= in the URI)",
                        keyref.display(),
                        opts::ENV_KEY_PASSWORD
                    )],
                ))
            }
            Err(OpenError::Pkcs11(e)) => {
                return Err(Refusal::error(
                    EXIT_ERROR,
                    &[format!("evmctl: {}: {e}", keyref.display())],
                ))
            }
            Err(e) => return Err(Refusal::error(EXIT_ERROR, &[format!("evmctl: {e}")])),
        }
    };
    if let KeyRef::Pkcs11(uri) = &keyref {
        if Pkcs11Uri::parse(uri)
            .is_ok_and(|u| u.object_type == Some(crate::pkcs11::uri::ObjectType::Public))
        {
            log.info(format_args!(
                "pkcs11: the URI says type=public: signing with the private key of the same \
                 id or label, as libp11's engine does\n"
            ));
        }
    }
    if let Some(why) = signer.algorithm().kernel_refusal() {
        eprintln!("evmctl: warning: {}: {why}", key.path.display());
    }
    let (k, from) = match (signer.keyid_source(), &key.keyid_from_cert) {
        (KeyidSource::FromCert(k), Some(cert)) => (Some(*k), cert.as_path()),
        (KeyidSource::AppendedCert(k), _) => (Some(*k), key.path.as_path()),
        _ => (None, key.path.as_path()),
    };
    if let Some(k) = k {
        log.info(format_args!(
            "keyid {:04x} (from {})\n",
            u32::from_be_bytes(k),
            from.display()
        ));
    }
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

fn target(out: &Output, name: &'static str) -> Target {
    Target {
        xattr: (!out.no_xattr).then_some(name),
        sigfile: out.sigfile,
    }
}

/// Upstream's lines for the steps of a signature.
fn signing_lines(o: &mut FileOutcome, e: Event) {
    match e {
        Event::Digest { algo, digest } => {
            o.info(format!("hash({}): {}\n", algo.name(), to_hex(digest)))
        }
        Event::EvmInputs(trace) => report_evm_trace(trace, o),
        Event::Signed {
            scheme: Scheme::V1 { .. },
            len,
        } => o.info(format!("evm/ima signature-v1: {len} bytes\n")),
        Event::Signed { len, .. } => o.info(format!("evm/ima signature: {len} bytes\n")),
        Event::Value(v) => o.out(format!("{}\n", to_hex(v))),
        Event::WritingSigFile(p) => o.info(format!("Writing to {}\n", p.display())),
    }
}

/// Upstream's lines for a hash value: "hash(ALGO): " on stderr, the value on stdout
/// when it is not only set (-n) or at the default verbosity.
fn hashing_lines(o: &mut FileOutcome, printed: bool, e: Event) {
    match e {
        Event::Digest { algo, .. } => o.info(format!("hash({}): ", algo.name())),
        Event::Value(v) if printed || o.shows_info() => o.out(format!("{}\n", to_hex(v))),
        _ => {}
    }
}

fn ima_hash_one(
    algo: HashAlgo,
    out: &Output,
    file: &OpenFile,
    o: &mut FileOutcome,
) -> Result<(), OpError> {
    let to = Target {
        sigfile: false,
        ..target(out, out.xattr.ima())
    };
    let printed = out.no_xattr;
    ops::hash_file(file, algo, to, &mut |e| hashing_lines(o, printed, e))
}

fn ima_sign_one(
    req: &SignRequest,
    signer: &AnySigner,
    file: &OpenFile,
    o: &mut FileOutcome,
) -> Result<(), OpError> {
    let to = target(&req.output, req.output.xattr.ima());
    ops::sign_file(file, signer, scheme(req.v1), req.algo, to, &mut |e| {
        signing_lines(o, e)
    })
}

fn open(path: &Path, o: &mut FileOutcome) -> Option<OpenFile> {
    OpenFile::open(path).map_err(|e| o.fail(e)).ok()
}

/// `ima_hash`: security.ima type 0x04 (0x01 for md4/md5/sha1).
pub fn ima_hash(req: HashRequest) -> i32 {
    exit_code(for_each_file(req.log, &req.files, "hashed", |path, o| {
        if let Some(file) = open(path, o) {
            if let Err(e) = ima_hash_one(req.algo, &req.output, &file, o) {
                o.fail(e);
            }
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
    exit_code(for_each_file(req.log, &req.files, "signed", |path, o| {
        if let Some(file) = open(path, o) {
            if let Err(e) = ima_sign_one(&req, &signer, &file, o) {
                o.fail(e);
            }
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
    exit_code(for_each_file(s.log, &s.files, "signed", |path, o| {
        let Some(file) = open(path, o) else {
            return;
        };
        let first = match req.ima_first {
            ImaFirst::Signature => ima_sign_one(s, &signer, &file, o),
            ImaFirst::Hash => ima_hash_one(s.algo, &s.output, &file, o),
            ImaFirst::Nothing => Ok(()),
        };
        let xattr = (!s.output.no_xattr).then_some(s.output.xattr.evm());
        let result = first.and_then(|()| {
            ops::sign_evm(
                &file,
                &signer,
                scheme(s.v1),
                s.algo,
                &req.evm,
                xattr,
                &mut |e| signing_lines(o, e),
            )
        });
        match result {
            Ok(()) => {}
            Err(OpError::Evm(e)) => o.fail(evm_error_hint(&e)),
            Err(e) => o.fail(e),
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
    for (n, line) in crate::input::capped_lines(stdin.lock()).enumerate() {
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
        let digest = match crate::hash::digest_at_line_start(&line, algo) {
            Some(d) => d,
            None => {
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
        let value = match crate::sign::sign_body(signer, Scheme::V2, algo, &digest) {
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
