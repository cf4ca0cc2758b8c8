//! From what the user typed to what evmctl will do, in one place (ripgrep's lowargs ->
//! hiargs): [`LowArgs`] collects the option occurrences, validating each value in
//! command-line order as upstream does; [`resolve`] turns them and the operands into one
//! typed [`Request`] for the command. Commands never see argv or options that do not
//! concern them.

use std::ffi::OsString;
use std::path::PathBuf;

use super::opts::{self, CmdDef, CmdId, DEFAULT_CERT, DEFAULT_PUBLIC_KEY, EXIT_ERROR};
use super::output::Log;
use super::parse::Occurrence;
use crate::evm::EvmParams;
use crate::fsops::XattrNamespace;
use crate::hash::HashAlgo;
use crate::keys::Password;
use crate::measurement::Violations;

/// Where a password comes from.
pub enum PassSource {
    Given(Password),
    Prompt,
}

/// Why the command line cannot run: the lines to print and the exit code.
pub struct Refusal {
    /// Lines for stderr, as they are (upstream's short line first where it has one).
    pub stderr: Vec<String>,
    /// Lines for stdout (upstream prints the usage of a command there).
    pub stdout: Vec<String>,
    pub exit: i32,
}

impl Refusal {
    pub fn error(exit: i32, lines: &[String]) -> Refusal {
        Refusal {
            stderr: lines.to_vec(),
            stdout: Vec::new(),
            exit,
        }
    }

    /// "Parameters missing" and the command's usage, exit 125 (upstream's words).
    pub fn missing(cmd: &CmdDef) -> Refusal {
        Refusal {
            stderr: vec!["Parameters missing".into()],
            stdout: vec![format!("usage: {} {}", cmd.name, cmd.synopsis)],
            exit: EXIT_ERROR,
        }
    }
}

/// What the command line asks for.
pub enum Request {
    Usage,
    Version,
    Help(Option<String>),
    ImaHash(HashRequest),
    ImaSign(SignRequest),
    Sign(EvmSignRequest),
    SignHash(SignHashRequest),
    ImaVerify(VerifyRequest),
    Verify(EvmVerifyRequest),
    ImaSetxattr(SetxattrRequest),
    ImaClear(FilesRequest),
    ImaFix(FixRequest),
    Convert(ConvertRequest),
    Import(ImportRequest),
    ImaMeasurement(MeasurementRequest),
    ImaBootAggregate(BootAggregateRequest),
    Unknown(String),
}

/// The files a command works on: operands, walked with -r.
pub struct Files {
    pub operands: Vec<PathBuf>,
    pub recursive: bool,
    pub same_fs: bool,
}

/// Where a result goes besides stdout.
pub struct Output {
    pub xattr: XattrNamespace,
    /// `-n`: print only, do not set the xattr.
    pub no_xattr: bool,
    /// `--sigfile`: also write FILE.sig.
    pub sigfile: bool,
}

/// The signing key and its keyid, as given.
pub struct KeyRequest {
    pub path: PathBuf,
    pub pass: Option<PassSource>,
    pub keyid: Option<[u8; 4]>,
    pub keyid_from_cert: Option<PathBuf>,
}

pub struct HashRequest {
    pub log: Log,
    pub files: Files,
    pub algo: HashAlgo,
    pub output: Output,
}

pub struct SignRequest {
    pub log: Log,
    pub files: Files,
    pub algo: HashAlgo,
    pub key: KeyRequest,
    pub output: Output,
    /// `--rsa`: a legacy v1 signature.
    pub v1: bool,
}

/// What `sign` writes to security.ima first.
#[derive(Clone, Copy, PartialEq, Eq)]
pub enum ImaFirst {
    Nothing,
    Signature,
    Hash,
}

pub struct EvmSignRequest {
    pub sign: SignRequest,
    pub ima_first: ImaFirst,
    pub evm: EvmParams,
}

pub struct SignHashRequest {
    pub log: Log,
    pub algo: HashAlgo,
    pub key: KeyRequest,
}

/// The keys a verification uses.
pub enum VerifyKeysRequest {
    /// Certificates (v2), from a comma- or space-separated list.
    Certificates(Vec<PathBuf>),
    /// A PEM RSA public key (`--rsa`, v1).
    LegacyV1(PathBuf),
}

pub struct VerifyRequest {
    pub log: Log,
    pub files: Files,
    pub keys: VerifyKeysRequest,
    pub xattr: XattrNamespace,
    pub sigfile: bool,
}

pub struct EvmVerifyRequest {
    pub log: Log,
    pub paths: Vec<PathBuf>,
    pub keys: VerifyKeysRequest,
    pub xattr: XattrNamespace,
    pub evm: EvmParams,
}

pub struct SetxattrRequest {
    pub log: Log,
    pub file: PathBuf,
    pub sig: PathBuf,
    pub xattr: XattrNamespace,
    pub ignore_unsupported: bool,
}

pub struct FilesRequest {
    pub log: Log,
    pub files: Files,
    pub xattr: XattrNamespace,
}

pub struct FixRequest {
    pub clear: FilesRequest,
    /// `-t x`: skip files that have both xattrs.
    pub skip_if_labelled: bool,
}

pub struct ConvertRequest {
    pub log: Log,
    pub key: PathBuf,
}

pub struct ImportRequest {
    pub log: Log,
    pub key_file: PathBuf,
    /// KEYRING as typed (`None`: the user keyring).
    pub keyring: Option<String>,
    pub v1: bool,
}

/// A `--pcrs [ALGO,]FILE` value.
pub struct PcrSource {
    pub bank: HashAlgo,
    pub path: PathBuf,
}

pub struct MeasurementRequest {
    pub log: Log,
    pub list: PathBuf,
    pub pcrs: Vec<PcrSource>,
    pub verify_sig: Option<VerifyKeysRequest>,
    pub only_bank: Option<HashAlgo>,
    pub violations: Violations,
}

pub struct BootAggregateRequest {
    pub log: Log,
    pub event_log: Option<PathBuf>,
    pub pcrs: Vec<PcrSource>,
}

use super::lowargs::{bank, env_password, LowArgs};

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
        }),
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
