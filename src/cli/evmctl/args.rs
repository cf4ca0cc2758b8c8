//! From what the user typed to what evmctl will do, in one place (ripgrep's lowargs ->
//! hiargs): [`LowArgs`] collects the option occurrences, validating each value in
//! command-line order as upstream does; [`resolve`] turns them and the operands into one
//! typed [`Request`] for the command. Commands never see argv or options that do not
//! concern them.

use std::ffi::OsString;
use std::path::PathBuf;

use super::lowargs::{bank, env_password, LowArgs};
use super::opts::{self, CmdDef, CmdId, DEFAULT_CERT, DEFAULT_PUBLIC_KEY, EXIT_ERROR};
use super::parse::Occurrence;
use super::request::*;
use crate::measurement::Violations;

/// Resolves parsed options and operands (command first) into a request.
pub fn resolve(options: Vec<Occurrence>, operands: Vec<OsString>) -> Result<Request, Refusal> {
    let mut low = LowArgs::new();
    for o in options {
        if let Some(r) = low.take(o)? {
            return Ok(r);
        }
    }
    if low.pass.is_none() {
        low.pass = env_password();
    }
    let mut operands = operands.into_iter();
    let Some(name) = operands.next() else {
        return Ok(Request::Usage);
    };
    let name = name.to_string_lossy().into_owned();
    let rest: Vec<OsString> = operands.collect();
    let Some(cmd) = opts::command(&name) else {
        return Ok(Request::Unknown(name));
    };
    command_request(cmd, &mut low, rest)
}

fn command_request(
    cmd: &'static CmdDef,
    low: &mut LowArgs,
    rest: Vec<OsString>,
) -> Result<Request, Refusal> {
    let needs_operands = !matches!(
        cmd.id,
        CmdId::Help | CmdId::Convert | CmdId::Import | CmdId::SignHash | CmdId::ImaBootAggregate
    );
    if needs_operands && rest.is_empty() {
        return Err(Refusal::missing(cmd));
    }
    let path = |i: usize| rest.get(i).map(PathBuf::from);
    Ok(match cmd.id {
        CmdId::Help => Request::Help(rest.first().map(|n| n.to_string_lossy().into_owned())),
        CmdId::ImaHash => Request::ImaHash(HashRequest {
            log: low.log(),
            files: low.files(&rest),
            algo: low.algo()?,
            output: low.output(),
        }),
        CmdId::ImaSign => Request::ImaSign(low.sign_request(low.files(&rest))?),
        CmdId::Sign => Request::Sign(evm_sign_request(low, &rest)?),
        CmdId::SignHash => Request::SignHash(SignHashRequest {
            log: low.log(),
            algo: low.algo()?,
            key: low.key(),
            verity: low.veritysig,
        }),
        CmdId::ImaVerify => Request::ImaVerify(VerifyRequest {
            log: low.log(),
            files: low.files(&rest),
            keys: low.verify_keys(),
            xattr: low.xattr,
            sigfile: low.sigfile,
        }),
        CmdId::Verify => Request::Verify(EvmVerifyRequest {
            log: low.log(),
            paths: rest.iter().map(PathBuf::from).collect(),
            keys: low.verify_keys(),
            xattr: low.xattr,
            evm: low.evm.clone(),
        }),
        CmdId::ImaSetxattr => Request::ImaSetxattr(setxattr_request(cmd, low, &rest)?),
        CmdId::ImaClear => Request::ImaClear(FilesRequest {
            log: low.log(),
            files: low.files(&rest),
            xattr: low.xattr,
        }),
        CmdId::ImaFix => Request::ImaFix(FixRequest {
            clear: FilesRequest {
                log: low.log(),
                files: low.files(&rest),
                xattr: low.xattr,
            },
            skip_if_labelled: low.skip_if_labelled,
        }),
        CmdId::Convert => Request::Convert(ConvertRequest {
            log: low.log(),
            key: path(0).unwrap_or_else(|| PathBuf::from(DEFAULT_PUBLIC_KEY)),
        }),
        CmdId::Import => Request::Import(ImportRequest {
            log: low.log(),
            key_file: path(0).unwrap_or_else(|| {
                PathBuf::from(if low.rsa {
                    DEFAULT_PUBLIC_KEY
                } else {
                    DEFAULT_CERT
                })
            }),
            keyring: rest.get(1).map(|r| r.to_string_lossy().into_owned()),
            v1: low.rsa,
        }),
        CmdId::ImaMeasurement => Request::ImaMeasurement(measurement_request(low, &rest)?),
        CmdId::ImaBootAggregate => Request::ImaBootAggregate(BootAggregateRequest {
            log: low.log(),
            event_log: path(0),
            pcrs: low.pcr_sources()?,
            hwtpm: low.hwtpm,
        }),
        CmdId::Hmac => {
            let mut evm = evm_sign_request(low, &rest)?;
            // Upstream's HMAC reads the file itself: no overrides, no portable form.
            evm.evm = crate::evm::EvmParams {
                portable: false,
                immutable: false,
                selinux: None,
                ima: None,
                caps: None,
                ino: None,
                uid: None,
                gid: None,
                mode: None,
                generation: None,
                ..evm.evm
            };
            Request::Hmac(HmacRequest {
                evm,
                hmac_key: low
                    .hmac_key
                    .clone()
                    .unwrap_or_else(|| PathBuf::from(opts::DEFAULT_HMAC_KEY)),
            })
        }
    })
}

fn evm_sign_request(low: &mut LowArgs, rest: &[OsString]) -> Result<EvmSignRequest, Refusal> {
    let ima_first = match (low.imasig, low.imahash) {
        (true, _) => ImaFirst::Signature,
        (false, true) => ImaFirst::Hash,
        _ => ImaFirst::Nothing,
    };
    let evm = low.evm.clone();
    Ok(EvmSignRequest {
        sign: low.sign_request(low.files(rest))?,
        ima_first,
        evm,
    })
}

/// `ima_setxattr FILE` (FILE.sig), or `ima_setxattr --sigfile SIG FILE`.
fn setxattr_request(
    cmd: &'static CmdDef,
    low: &LowArgs,
    rest: &[OsString],
) -> Result<SetxattrRequest, Refusal> {
    let path = |i: usize| rest.get(i).map(PathBuf::from);
    let (file, sig) = match (low.sigfile, path(0), path(1)) {
        (true, Some(sig), Some(file)) => (file, sig),
        (_, Some(file), _) => {
            let sig = crate::fsops::sig_path(&file);
            (file, sig)
        }
        _ => return Err(Refusal::missing(cmd)),
    };
    Ok(SetxattrRequest {
        log: low.log(),
        file,
        sig,
        xattr: low.xattr,
        ignore_unsupported: low.ignore_unsupported,
    })
}

fn measurement_request(low: &LowArgs, rest: &[OsString]) -> Result<MeasurementRequest, Refusal> {
    let only_bank = match &low.verify_bank {
        None => None,
        Some(b) => Some(bank(b).ok_or_else(|| {
            Refusal::error(
                EXIT_ERROR,
                &[format!(
                    "evmctl: --verify-bank {b}: unknown bank (sha1 or sha256)"
                )],
            )
        })?),
    };
    Ok(MeasurementRequest {
        log: low.log(),
        list: rest.first().map(PathBuf::from).expect("operands checked"),
        pcrs: low.pcr_sources()?,
        verify_sig: low.verify_sig.then(|| low.verify_keys()),
        only_bank,
        violations: if low.ignore_violations {
            Violations::AsExtended
        } else {
            Violations::AsRecorded
        },
    })
}

#[cfg(test)]
mod tests {
    use super::super::opts::EXIT_FAIL;
    use super::*;
    use crate::hash::HashAlgo;
    use std::path::Path;

    fn req(args: &[&str]) -> Result<Request, Refusal> {
        let args: Vec<OsString> = args.iter().map(OsString::from).collect();
        let p = super::super::parse::parse(&args).map_err(|_| ()).unwrap();
        resolve(p.options, p.operands)
    }

    #[test]
    fn every_command_resolves_to_its_request() {
        for c in opts::COMMANDS {
            let r = req(&[c.name, "f1", "f2"]);
            let ok = matches!(
                (c.id, r),
                (CmdId::Help, Ok(Request::Help(Some(_))))
                    | (CmdId::ImaHash, Ok(Request::ImaHash(_)))
                    | (CmdId::ImaSign, Ok(Request::ImaSign(_)))
                    | (CmdId::Sign, Ok(Request::Sign(_)))
                    | (CmdId::SignHash, Ok(Request::SignHash(_)))
                    | (CmdId::ImaVerify, Ok(Request::ImaVerify(_)))
                    | (CmdId::Verify, Ok(Request::Verify(_)))
                    | (CmdId::ImaSetxattr, Ok(Request::ImaSetxattr(_)))
                    | (CmdId::ImaClear, Ok(Request::ImaClear(_)))
                    | (CmdId::ImaFix, Ok(Request::ImaFix(_)))
                    | (CmdId::Convert, Ok(Request::Convert(_)))
                    | (CmdId::Import, Ok(Request::Import(_)))
                    | (CmdId::ImaMeasurement, Ok(Request::ImaMeasurement(_)))
                    | (CmdId::ImaBootAggregate, Ok(Request::ImaBootAggregate(_)))
                    | (CmdId::Hmac, Ok(Request::Hmac(_)))
            );
            assert!(ok, "{}", c.name);
        }
    }

    #[test]
    fn missing_operands_and_bad_values_are_refused_with_upstreams_codes() {
        let r = req(&["ima_sign"]).err().unwrap();
        assert_eq!(r.exit, EXIT_ERROR);
        assert_eq!(r.stderr, ["Parameters missing"]);
        assert!(r.stdout[0].starts_with("usage: ima_sign "));
        assert_eq!(
            req(&["-a", "SHA1", "ima_hash", "f"]).err().unwrap().exit,
            EXIT_ERROR
        );
        assert_eq!(
            req(&["--keyid", "0", "ima_sign", "f"]).err().unwrap().exit,
            EXIT_FAIL
        );
        assert!(matches!(req(&["bogus"]), Ok(Request::Unknown(n)) if n == "bogus"));
        assert!(matches!(req(&[]), Ok(Request::Usage)));
    }

    #[test]
    fn key_lists_and_defaults() {
        let Ok(Request::ImaVerify(v)) = req(&["--key", "a.der,b.pem c.der", "ima_verify", "f"])
        else {
            panic!()
        };
        let VerifyKeysRequest::Certificates(list) = v.keys else {
            panic!()
        };
        assert_eq!(list.len(), 3);
        let Ok(Request::ImaVerify(v)) = req(&["--rsa", "ima_verify", "f"]) else {
            panic!()
        };
        assert!(
            matches!(v.keys, VerifyKeysRequest::LegacyV1(p) if p == Path::new(DEFAULT_PUBLIC_KEY))
        );
        let Ok(Request::ImaSetxattr(s)) = req(&["ima_setxattr", "--sigfile", "x.sig", "x"]) else {
            panic!()
        };
        assert_eq!(
            (s.file, s.sig),
            (PathBuf::from("x"), PathBuf::from("x.sig"))
        );
    }

    #[test]
    fn pcr_sources_name_their_bank() {
        let Ok(Request::ImaMeasurement(m)) = req(&[
            "--pcrs",
            "sha256,p2",
            "--pcrs",
            "p1",
            "ima_measurement",
            "l",
        ]) else {
            panic!()
        };
        assert_eq!(m.pcrs[0].bank, HashAlgo::Sha256);
        assert_eq!(m.pcrs[1].bank, HashAlgo::Sha1);
        assert!(req(&["--pcrs", "md5,p", "ima_measurement", "l"]).is_err());
    }
}
