//! The low-level arguments: every option occurrence, validated in command-line order as
//! upstream does (the first bad value ends the run), before the command is known.
//! [`super::args`] turns them into a request for the command.

use std::ffi::OsString;
use std::path::PathBuf;

use super::log::Log;
use super::opts::{self, OptId, DEFAULT_CERT, DEFAULT_PUBLIC_KEY, EXIT_ERROR, EXIT_FAIL};
use super::parse::Occurrence;
use super::request::{
    Files, KeyRequest, Output, PassSource, PcrSource, Refusal, Request, SignRequest,
    VerifyKeysRequest,
};
use crate::evm::{EvmParams, MiscLayout, UuidChoice};
use crate::fsops::XattrNamespace;
use crate::hash::HashAlgo;
use crate::keys::Password;

/// The option values, validated, before the command is known.
pub(super) struct LowArgs {
    pub(super) verbose: i32,
    pub(super) hash_algo: Option<String>,
    pub(super) key: Option<PathBuf>,
    pub(super) pass: Option<PassSource>,
    pub(super) sigfile: bool,
    pub(super) no_xattr: bool,
    pub(super) xattr: XattrNamespace,
    pub(super) recursive: bool,
    pub(super) keyid: Option<[u8; 4]>,
    pub(super) keyid_from_cert: Option<PathBuf>,
    pub(super) ignore_unsupported: bool,
    pub(super) imasig: bool,
    pub(super) imahash: bool,
    pub(super) evm: EvmParams,
    pub(super) rsa: bool,
    pub(super) same_fs: bool,
    pub(super) skip_if_labelled: bool,
    pub(super) ignore_violations: bool,
    pub(super) verify_sig: bool,
    pub(super) pcrs: Vec<String>,
    pub(super) verify_bank: Option<String>,
    pub(super) hmac_key: Option<PathBuf>,
    pub(super) hwtpm: bool,
    pub(super) veritysig: bool,
}

fn lossy(v: Option<OsString>) -> String {
    v.map(|v| v.to_string_lossy().into_owned())
        .unwrap_or_default()
}

fn long_name(id: OptId) -> &'static str {
    opts::OPTIONS
        .iter()
        .find(|o| o.id == id)
        .and_then(|o| o.long)
        .unwrap_or("?")
}

impl LowArgs {
    pub(super) fn new() -> LowArgs {
        LowArgs {
            verbose: super::log::LOG_INFO,
            hash_algo: None,
            key: None,
            pass: None,
            sigfile: false,
            no_xattr: false,
            xattr: XattrNamespace::Security,
            recursive: false,
            keyid: None,
            keyid_from_cert: None,
            ignore_unsupported: false,
            imasig: false,
            imahash: false,
            evm: EvmParams {
                portable: false,
                immutable: false,
                layout: MiscLayout::Native,
                smack: false,
                uuid: UuidChoice::FromFilesystem,
                ima_xattr: "security.ima",
                selinux: None,
                ima: None,
                caps: None,
                ino: None,
                uid: None,
                gid: None,
                mode: None,
                generation: None,
            },
            rsa: false,
            same_fs: false,
            skip_if_labelled: false,
            ignore_violations: false,
            verify_sig: false,
            pcrs: Vec::new(),
            verify_bank: None,
            hmac_key: None,
            hwtpm: false,
            veritysig: false,
        }
    }

    /// Takes one option; `Ok(Some(request))` ends the parse (--help, --version).
    pub(super) fn take(&mut self, o: Occurrence) -> Result<Option<Request>, Refusal> {
        let v = o.value;
        match o.id {
            OptId::Help => return Ok(Some(Request::Usage)),
            OptId::Version => return Ok(Some(Request::Version)),
            OptId::Verbose => self.verbose += 1,
            OptId::NoXattr => self.no_xattr = true,
            OptId::HashAlgo => self.hash_algo = Some(lossy(v)),
            OptId::Pass => {
                self.pass = Some(match v {
                    Some(p) => PassSource::Given(Password::new(p.to_string_lossy().into_owned())),
                    None => PassSource::Prompt,
                })
            }
            OptId::SigFile => self.sigfile = true,
            OptId::Key => self.key = v.map(PathBuf::from),
            OptId::Recursive => self.recursive = true,
            OptId::XattrUser => {
                self.xattr = XattrNamespace::User;
                self.evm.ima_xattr = "user.ima";
            }
            OptId::Keyid => {
                let text = lossy(v);
                match crate::keys::parse_keyid_hex(&text) {
                    Some(k) => self.keyid = Some(k),
                    None => {
                        return Err(Refusal::error(
                            EXIT_FAIL,
                            &[
                                "Invalid keyid value.".into(),
                                format!(
                                    "evmctl: --keyid '{text}': give a non-zero 32-bit value in \
                                     hex, e.g. --keyid 1a2b3c4d"
                                ),
                            ],
                        ))
                    }
                }
            }
            OptId::KeyidFromCert => self.keyid_from_cert = v.map(PathBuf::from),
            OptId::IgnoreUnsupported => self.ignore_unsupported = true,
            OptId::ImaSig => self.imasig = true,
            OptId::ImaHash => self.imahash = true,
            // Upstream's rule: the first of -o and -i wins, the other is reported and ignored.
            OptId::Portable if self.evm.immutable => {
                eprintln!("Portable and immutable options are exclusive, ignoring portable option.")
            }
            OptId::Immutable if self.evm.portable => eprintln!(
                "Portable and immutable options are exclusive, ignoring immutable option."
            ),
            OptId::Portable => self.evm.portable = true,
            OptId::Immutable => self.evm.immutable = true,
            OptId::HmacKey => self.hmac_key = v.map(PathBuf::from),
            OptId::Hwtpm => self.hwtpm = true,
            OptId::VeritySig => self.veritysig = true,
            OptId::Smack => self.evm.smack = true,
            OptId::M32 => self.evm.layout = MiscLayout::Bits32,
            OptId::M64 => self.evm.layout = MiscLayout::Bits64,
            OptId::Uuid
            | OptId::Inode
            | OptId::Uid
            | OptId::Gid
            | OptId::Mode
            | OptId::Generation
            | OptId::Ima
            | OptId::Selinux
            | OptId::Caps => self.take_evm(o.id, v)?,
            OptId::Type => {
                let t = lossy(v);
                if let Some(bad) = t.chars().find(|c| !"fdsxm".contains(*c)) {
                    return Err(Refusal::error(
                        EXIT_ERROR,
                        &[format!(
                            "evmctl: -t {t}: unknown type letter '{bad}' (f, x, m; d and s are \
                             accepted and ignored)"
                        )],
                    ));
                }
                self.skip_if_labelled = t.contains('x');
                self.same_fs = t.contains('m');
            }
            OptId::IgnoreViolations => self.ignore_violations = true,
            OptId::Rsa => self.rsa = true,
            OptId::VerifySig => self.verify_sig = true,
            OptId::Pcrs => {
                if self.pcrs.len() >= 2 {
                    return Err(Refusal::error(
                        EXIT_FAIL,
                        &["too many --pcrfile options".into()],
                    ));
                }
                self.pcrs.push(lossy(v));
            }
            OptId::VerifyBank => self.verify_bank = Some(lossy(v)),
            OptId::Engine | OptId::Provider => {
                let name = lossy(v);
                if name != "pkcs11" {
                    let opt = long_name(o.id);
                    return Err(Refusal::error(
                        EXIT_ERROR,
                        &[format!(
                            "evmctl: --{opt} {name}: only --{opt} pkcs11 is supported (name a \
                             key in a token with --key pkcs11:URI; OpenSSL {opt}s are not loaded)"
                        )],
                    ));
                }
            }
        }
        Ok(None)
    }

    /// The options that set EVM digest inputs.
    fn take_evm(&mut self, id: OptId, v: Option<OsString>) -> Result<(), Refusal> {
        match id {
            OptId::Uuid => {
                self.evm.uuid = match v {
                    None => UuidChoice::Omit,
                    Some(u) => match crate::evm::parse_uuid(&u.to_string_lossy()) {
                        Some(u) => UuidChoice::Given(u),
                        None => {
                            return Err(Refusal::error(
                                EXIT_ERROR,
                                &[
                                    "wrong UUID format".into(),
                                    format!(
                                        "evmctl: --uuid '{}': expected \
                                         xxxxxxxx-xxxx-xxxx-xxxx-xxxxxxxxxxxx",
                                        u.to_string_lossy()
                                    ),
                                ],
                            ))
                        }
                    },
                }
            }
            OptId::Inode | OptId::Uid | OptId::Gid | OptId::Mode | OptId::Generation => {
                let text = lossy(v);
                let Ok(n) = text.parse::<u64>() else {
                    return Err(Refusal::error(
                        EXIT_ERROR,
                        &[format!(
                            "evmctl: --{}: '{text}' is not a decimal number",
                            long_name(id)
                        )],
                    ));
                };
                match id {
                    OptId::Inode => self.evm.ino = Some(n),
                    OptId::Uid => self.evm.uid = Some(n as u32),
                    OptId::Gid => self.evm.gid = Some(n as u32),
                    OptId::Mode => self.evm.mode = Some(n as u32),
                    _ => self.evm.generation = Some(n as u32),
                }
            }
            OptId::Ima => {
                let text = lossy(v);
                match crate::hash::from_hex(&text) {
                    Some(b) => self.evm.ima = Some(b),
                    None => {
                        return Err(Refusal::error(
                            EXIT_ERROR,
                            &[format!(
                                "evmctl: --ima: '{text}' is not an even-length hex value"
                            )],
                        ))
                    }
                }
            }
            OptId::Selinux => {
                let mut label = v.map(|v| v.into_encoded_bytes()).unwrap_or_default();
                label.push(0);
                self.evm.selinux = Some(label);
            }
            OptId::Caps => self.evm.caps = Some(v.map(|v| v.into_encoded_bytes())),
            _ => unreachable!("not an EVM option: {id:?}"),
        }
        Ok(())
    }

    pub(super) fn log(&self) -> Log {
        Log::new(self.verbose)
    }

    pub(super) fn files(&self, operands: &[OsString]) -> Files {
        Files {
            operands: operands.iter().map(PathBuf::from).collect(),
            recursive: self.recursive,
            same_fs: self.same_fs,
        }
    }

    pub(super) fn output(&self) -> Output {
        Output {
            xattr: self.xattr,
            no_xattr: self.no_xattr,
            sigfile: self.sigfile,
        }
    }

    pub(super) fn algo(&self) -> Result<HashAlgo, Refusal> {
        match &self.hash_algo {
            None => Ok(HashAlgo::Sha256),
            Some(name) => HashAlgo::from_name(name).map_err(|_| {
                Refusal::error(
                    EXIT_ERROR,
                    &[
                        format!("Unknown hash algo: {name}"),
                        format!(
                            "evmctl: unknown hash algorithm '{name}' (names are case-sensitive; \
                             known: {})",
                            HashAlgo::all_names().join(", ")
                        ),
                    ],
                )
            }),
        }
    }

    pub(super) fn key(&mut self) -> KeyRequest {
        KeyRequest {
            path: self
                .key
                .clone()
                .unwrap_or_else(|| PathBuf::from(opts::DEFAULT_PRIVATE_KEY)),
            pass: self.pass.take(),
            keyid: self.keyid,
            keyid_from_cert: self.keyid_from_cert.clone(),
        }
    }

    pub(super) fn verify_keys(&self) -> VerifyKeysRequest {
        if self.rsa {
            return VerifyKeysRequest::LegacyV1(
                self.key
                    .clone()
                    .unwrap_or_else(|| PathBuf::from(DEFAULT_PUBLIC_KEY)),
            );
        }
        let list = self
            .key
            .clone()
            .unwrap_or_else(|| PathBuf::from(DEFAULT_CERT));
        let list = list.to_string_lossy().into_owned();
        VerifyKeysRequest::Certificates(
            list.split([',', ' ', '\t'])
                .filter(|p| !p.is_empty())
                .map(PathBuf::from)
                .collect(),
        )
    }

    pub(super) fn pcr_sources(&self) -> Result<Vec<PcrSource>, Refusal> {
        self.pcrs
            .iter()
            .map(|spec| {
                let (alg, path) = spec.split_once(',').unwrap_or(("sha1", spec.as_str()));
                match bank(alg) {
                    Some(bank) => Ok(PcrSource {
                        bank,
                        path: PathBuf::from(path),
                    }),
                    None => Err(Refusal::error(
                        EXIT_ERROR,
                        &[format!(
                            "evmctl: --pcrs {spec}: unknown bank '{alg}' (sha1 or sha256)"
                        )],
                    )),
                }
            })
            .collect()
    }

    pub(super) fn sign_request(&mut self, files: Files) -> Result<SignRequest, Refusal> {
        Ok(SignRequest {
            log: self.log(),
            files,
            algo: self.algo()?,
            key: self.key(),
            output: self.output(),
            v1: self.rsa,
        })
    }
}

/// A replayed bank by name.
pub(super) fn bank(name: &str) -> Option<HashAlgo> {
    crate::measurement::replay::BANKS
        .into_iter()
        .find(|b| b.name() == name)
}

/// The password from the environment when no --pass was given.
pub(super) fn env_password() -> Option<PassSource> {
    std::env::var_os(opts::ENV_KEY_PASSWORD)
        .map(|p| PassSource::Given(Password::new(p.to_string_lossy().into_owned())))
}
