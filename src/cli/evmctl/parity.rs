//! The commands and forms upstream added after 1.4: `hmac` (a debug command) and
//! `sign_hash --veritysig` (fs-verity sigv3 values).

use std::io::Write;

use super::opts::{self, EXIT_ERROR, EXIT_OK};
use super::output::{error, for_each_file, print_refusal};
use super::request::{HmacRequest, ImaFirst, Refusal, SignHashRequest};
use super::signing::{exit_code, load_signer, report_evm_trace};
use crate::fsops::OpenFile;
use crate::hash::to_hex;
use crate::ops::Event;

/// Reads the HMAC key: 1 to 128 bytes, as upstream.
fn hmac_key(req: &HmacRequest) -> Result<Vec<u8>, String> {
    let path = &req.hmac_key;
    let key = crate::input::read_input(path, crate::input::InputKind::Key).map_err(|e| {
        format!(
            "{}: cannot read the HMAC key: {e} (give it with --hmackey)",
            path.display()
        )
    })?;
    // Upstream refuses a 0-byte key file ("Failed to read a key") rather than make an HMAC
    // with an all-zero key; so do we, with the same exit code.
    if key.is_empty() {
        return Err(format!(
            "{}: the HMAC key is empty (0 bytes); an EVM HMAC key is 1 to {} bytes",
            path.display(),
            crate::evm::EVM_KEY_MAX
        ));
    }
    if key.len() > crate::evm::EVM_KEY_MAX {
        return Err(format!(
            "{}: the HMAC key is {} bytes, at most {} are allowed",
            path.display(),
            key.len(),
            crate::evm::EVM_KEY_MAX
        ));
    }
    Ok(key)
}

/// `hmac [--imasig|--imahash] [--hmackey KEY] FILE`: security.evm type 0x02.
pub fn hmac(req: HmacRequest) -> i32 {
    let key = match hmac_key(&req) {
        Ok(k) => k,
        Err(m) => {
            error(format_args!("{m}"));
            return EXIT_ERROR;
        }
    };
    let s = &req.evm.sign;
    let signer = match req.evm.ima_first {
        ImaFirst::Signature => match load_signer(s.log, &s.key) {
            Ok(k) => Some(k),
            Err(r) => return print_refusal(r),
        },
        _ => None,
    };
    exit_code(for_each_file(s.log, &s.files, "signed", |path, o| {
        let file = match OpenFile::open(path) {
            Ok(f) => f,
            Err(e) => return o.fail(e),
        };
        let ignore = &mut |_: Event| {};
        let to = crate::ops::Target {
            xattr: (!s.output.no_xattr).then_some(s.output.xattr.ima()),
            sigfile: false,
        };
        let first = match (&signer, req.evm.ima_first) {
            (Some(k), _) => {
                crate::ops::sign_file(&file, k, crate::sign::Scheme::V2, s.algo, to, ignore)
            }
            (None, ImaFirst::Hash) => crate::ops::hash_file(&file, s.algo, to, ignore),
            _ => Ok(()),
        };
        if let Err(e) = first {
            return o.fail(e);
        }
        let (mac, trace) = match crate::evm::evm_hmac(&key, &file, &req.evm.evm) {
            Ok(r) => r,
            Err(e) => return o.fail(super::signing::evm_error_hint(&e)),
        };
        report_evm_trace(&trace, o);
        // On stderr at the default verbosity, as upstream prints it.
        o.info(format!("hmac: {}\n", to_hex(&mac)));
        if !s.output.no_xattr {
            let mut value = vec![crate::format::XattrType::EvmHmac as u8];
            value.extend_from_slice(&mac);
            if let Err(e) = file.set_xattr(s.output.xattr.evm(), &value) {
                o.fail(e);
            }
        }
    }))
}

/// `sign_hash --veritysig`: each `ALG:HEX PATH` line, then a space and the sigv3 value.
pub fn sign_hash_verity(req: SignHashRequest) -> i32 {
    let mut signer = None;
    let mut lines = 0usize;
    let mut out = std::io::stdout().lock();
    for (n, line) in crate::input::capped_lines(std::io::stdin().lock()).enumerate() {
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
        let (algo, digest) = match crate::verity::parse_digest_line(&line) {
            Ok(d) => d,
            Err(e) => {
                error(format_args!("standard input, line {}: {e}", n + 1));
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
        // What upstream prints: the hash that is signed (of the ima_file_id), the size.
        let signed = algo.digest(&crate::verity::file_id_bytes(algo, &digest));
        req.log
            .info(format_args!("hash({}): {}\n", algo.name(), to_hex(&signed)));
        let value = match crate::verity::sign_sigv3(signer, algo, &digest) {
            Ok(sig) => crate::verity::verity_value(&sig),
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
        return print_refusal(Refusal::missing(
            opts::command("sign_hash").expect("in the table"),
        ));
    }
    EXIT_OK
}
