//! What evmctl will do: one typed request per command, built by [`super::args`] from the
//! command line, and the [`Refusal`] of a command line that cannot run.

use std::path::PathBuf;

use super::log::Log;
use super::opts::{CmdDef, EXIT_ERROR};
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
    Hmac(HmacRequest),
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
    /// `--veritysig`: `fsverity digest` lines, sigv3 values.
    pub verity: bool,
}

/// `hmac` (debug): an EVM HMAC with a symmetric key, after security.ima like `sign`.
pub struct HmacRequest {
    pub evm: EvmSignRequest,
    pub hmac_key: PathBuf,
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
    /// `--hwtpm`: the PCRs come from the TPM's sysfs files or nothing.
    pub hwtpm: bool,
}
