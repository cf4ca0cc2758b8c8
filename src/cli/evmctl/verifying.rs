//! `ima_verify` and `verify` (EVM): the library's [`Verifier`] decides; this prints its
//! verdicts in upstream's streams and maps them to upstream's exit codes.

use std::path::Path;

use super::opts::{EXIT_ERROR, EXIT_FAIL, EXIT_OK};
use super::output::{for_each_file, print_refusal, FileOutcome, Log};
use super::request::{EvmVerifyRequest, Refusal, VerifyKeysRequest, VerifyRequest};
use super::signing::{evm_error_hint, report_evm_trace};
use crate::fsops::{self, OpenFile, ValueSource};
use crate::hash::to_hex;
use crate::keys::PublicKey;
use crate::verify::{FileDigest, KeyNeeded, Keys, ValueKind, Verdict, Verifier};

/// Loads the keys of a verification, reporting each certificate at the default verbosity.
pub fn load_verifier(log: Log, keys: &VerifyKeysRequest) -> Result<Verifier, Refusal> {
    let refusal = |e: crate::keys::KeyError| Refusal::error(EXIT_FAIL, &[format!("evmctl: {e}")]);
    match keys {
        VerifyKeysRequest::LegacyV1(path) => PublicKey::load_pem(path)
            .map(|k| Verifier::new(Keys::LegacyV1(k)))
            .map_err(refusal),
        VerifyKeysRequest::Certificates(paths) => {
            let list = Verifier::from_certificate_list(paths).map_err(refusal)?;
            for e in &list.skipped {
                eprintln!("evmctl: {e}; skipping this key");
            }
            for (i, c) in list.loaded.iter().enumerate() {
                log.info(format_args!(
                    "key {}: {:x} {}\n",
                    i + 1,
                    u32::from_be_bytes(c.keyid),
                    c.path.display()
                ));
            }
            Ok(list.verifier)
        }
    }
}

/// A verdict in words, with the option that checks what these keys could not.
fn verdict_words(v: &Verdict) -> String {
    match v {
        Verdict::NotChecked {
            needs: Some(KeyNeeded::LegacyRsaPublicKey),
            ..
        } => format!("{v} (verify it with --rsa and --key PUBLIC_KEY.pem)"),
        Verdict::NotChecked {
            needs: Some(KeyNeeded::Certificate),
            ..
        } => format!("{v} (verify v2 signatures without --rsa)"),
        _ => v.to_string(),
    }
}

/// `ima_verify`: exit 0 only when every file's signature verifies.
pub fn ima_verify(req: VerifyRequest) -> i32 {
    let verifier = match load_verifier(req.log, &req.keys) {
        Ok(v) => v,
        Err(r) => return print_refusal(r),
    };
    let failures = for_each_file(req.log, &req.files, "verified", |path, o| {
        let Ok(file) = OpenFile::open(path).map_err(|e| o.fail(e)) else {
            return;
        };
        let sig = fsops::sig_path(path);
        let source = if req.sigfile {
            ValueSource::SigFile(&sig)
        } else {
            ValueSource::Xattr(req.xattr.ima())
        };
        let value = match fsops::read_value(&file, source) {
            Ok(Some(v)) => v,
            Ok(None) if req.sigfile => {
                return o.fail(format_args!(
                    "{}: no signature file {} (no signature)",
                    path.display(),
                    sig.display()
                ))
            }
            Ok(None) => {
                return o.fail(format_args!(
                    "{}: has no {} attribute (no signature)",
                    path.display(),
                    req.xattr.ima()
                ))
            }
            Err(e) => return o.fail(e),
        };
        // The digest line goes into this file's outcome, so that with -v it is printed
        // right before the file's verdict, in input order, as upstream prints them.
        let debug = req.log.shows_debug();
        let verdict = verifier.verify_file_value(&file, Some(&value), &mut |d| match d {
            FileDigest::Content(algo, d) if debug => {
                o.err(format!("hash({}): {}\n", algo.name(), to_hex(d)))
            }
            FileDigest::Verity(algo, d) if debug => {
                o.err(format!("fs-verity digest: {algo}:{}\n", to_hex(d)))
            }
            _ => {}
        });
        let from = req.sigfile.then_some(sig.as_path());
        report(path, from, verdict.map_err(|e| e.to_string()), o);
    });
    if failures > 0 {
        EXIT_FAIL
    } else {
        EXIT_OK
    }
}

/// Records one file's verdict.
/// Reports one file's verdict; `from` names the signature file the value came from.
fn report(
    path: &std::path::Path,
    from: Option<&std::path::Path>,
    verdict: Result<Verdict, String>,
    o: &mut FileOutcome,
) {
    let from = from.map_or(String::new(), |s| {
        format!(" (signature from {})", s.display())
    });
    match verdict {
        Ok(v) if v.is_ok() => o.info(format!("{}: verification is OK\n", path.display())),
        Ok(Verdict::NoVerityDigest(why)) => o.fail(format_args!(
            "{}: verification failed: {}{from}",
            path.display(),
            why.describe(&path.display().to_string())
        )),
        Ok(v) => o.fail(format_args!(
            "{}: verification failed: {}{from}",
            path.display(),
            verdict_words(&v)
        )),
        Err(e) => o.fail(format_args!(
            "{}: verification failed: {e}{from}",
            path.display()
        )),
    }
}

/// `verify`: checks security.evm. Exit 0 verified, 1 bad signature, 125 cannot check.
pub fn verify_evm(req: EvmVerifyRequest) -> i32 {
    let verifier = match load_verifier(req.log, &req.keys) {
        Ok(k) => k,
        Err(r) => return print_refusal(r),
    };
    let mut rc = EXIT_OK;
    for path in &req.paths {
        let mut o = FileOutcome::new(req.log);
        let code = verify_one_evm(&req, &verifier, path, &mut o);
        o.print();
        rc = rc.max(code);
    }
    rc
}

fn verify_one_evm(
    req: &EvmVerifyRequest,
    verifier: &Verifier,
    path: &Path,
    o: &mut FileOutcome,
) -> i32 {
    let Ok(file) = OpenFile::open(path).map_err(|e| o.fail(e)) else {
        return EXIT_ERROR;
    };
    let value = match fsops::read_value(&file, ValueSource::Xattr(req.xattr.evm())) {
        Ok(Some(v)) => v,
        Ok(None) => {
            o.fail(format_args!(
                "{}: {} has no signature",
                path.display(),
                req.xattr.evm()
            ));
            return EXIT_ERROR;
        }
        Err(e) => {
            o.fail(e);
            return EXIT_ERROR;
        }
    };
    let mut params = req.evm.clone();
    params.portable = value.first() == Some(&(crate::format::XattrType::EvmPortableDigSig as u8));
    let mut trace = None;
    let verdict = verifier.verify(ValueKind::Evm, Some(&value), &mut |algo| {
        let (digest, t) = crate::evm::evm_digest(algo, &file, &params)?;
        trace = Some(t);
        Ok(digest)
    });
    if let Some(t) = &trace {
        report_evm_trace(t, o);
    }
    let verdict = verdict.map_err(|e| match e {
        crate::verify::VerifyError::Input(e) => evm_error_hint(&e),
        other => other.to_string(),
    });
    let code = match &verdict {
        Ok(v) if v.is_ok() => EXIT_OK,
        Ok(v) if v.is_mismatch() => EXIT_FAIL,
        _ => EXIT_ERROR,
    };
    report(path, None, verdict, o);
    code
}
