//! The evmctl front end: upstream evmctl's command line, messages, output streams and exit
//! codes (docs/formats.md, "evmctl exit codes and output"), on top of the library.
//!
//! Raw options become a [`Settings`] in one place; commands receive it and never see argv.
//! Exit codes: 0 success, 1 a failed verification or a bad option, 125 any other error.

mod commands;
mod measurement;
pub mod opts;
pub mod parse;

use std::ffi::OsString;
use std::io::Write;
use std::path::PathBuf;

use crate::fsops::XattrNamespace;
use crate::keys::Password;
use opts::OptId;

/// Upstream's default verbosity (syslog LOG_INFO): informational lines are printed.
pub const LOG_INFO: i32 = 6;

pub const EXIT_OK: i32 = 0;
pub const EXIT_FAIL: i32 = 1;
pub const EXIT_ERROR: i32 = 125;

/// Where a password comes from.
pub enum PassSource {
    Given(Password),
    Prompt,
}

/// What the command line asks for, after parsing and validation.
pub struct Settings {
    pub verbose: i32,
    pub hash_algo: Option<String>,
    pub key: Option<PathBuf>,
    pub pass: Option<PassSource>,
    pub sigfile: bool,
    /// `-n`: print, do not set the xattr.
    pub no_xattr: bool,
    pub xattr: XattrNamespace,
    pub recursive: bool,
    pub keyid: Option<[u8; 4]>,
    pub keyid_from_cert: Option<PathBuf>,
    /// `--ignore-unsupported`: ima_setxattr warns and succeeds on EOPNOTSUPP/EPERM.
    pub ignore_unsupported: bool,
    /// `sign`: write security.ima first (`-s`: a signature, `-d`: a hash).
    pub imasig: bool,
    pub imahash: bool,
    /// EVM digest parameters.
    pub evm: crate::evm::EvmParams,
    /// `--rsa`: import a legacy v1 key.
    pub rsa: bool,
    /// `-t m`: walks stay on one filesystem.
    pub same_fs: bool,
    /// `-t x`: ima_fix skips files that have both xattrs.
    pub skip_if_labelled: bool,
    /// ima_measurement.
    pub ignore_violations: bool,
    pub verify_sig: bool,
    pub pcrs: Vec<String>,
    pub verify_bank: Option<String>,
}

impl Settings {
    fn info(&self, msg: std::fmt::Arguments) {
        if self.verbose >= LOG_INFO {
            let _ = std::io::stderr().write_fmt(msg);
        }
    }
    fn debug(&self, msg: std::fmt::Arguments) {
        if self.verbose > LOG_INFO {
            let _ = std::io::stderr().write_fmt(msg);
        }
    }
}

/// Prints an error line on stderr (always shown: upstream's LOG_ERR is below LOG_INFO).
fn error(msg: std::fmt::Arguments) {
    let mut e = std::io::stderr().lock();
    let _ = e.write_all(b"evmctl: ");
    let _ = e.write_fmt(msg);
    let _ = e.write_all(b"\n");
}

fn long_name(id: OptId) -> &'static str {
    opts::OPTIONS
        .iter()
        .find(|o| o.id == id)
        .and_then(|o| o.long)
        .unwrap_or("?")
}

/// Runs evmctl with the process arguments; returns the exit code.
pub fn main() -> i32 {
    let args: Vec<OsString> = std::env::args_os().skip(1).collect();
    run(&args)
}

/// Runs evmctl with `args` (without the program name).
pub fn run(args: &[OsString]) -> i32 {
    let parsed = match parse::parse(args) {
        Ok(p) => p,
        Err(e) => {
            eprintln!("evmctl: {}", e.0);
            return EXIT_FAIL;
        }
    };
    let mut s = Settings {
        verbose: LOG_INFO,
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
        evm: crate::evm::EvmParams {
            portable: false,
            layout: crate::evm::MiscLayout::Native,
            smack: false,
            uuid: crate::evm::UuidChoice::FromFilesystem,
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
    };
    for o in parsed.options {
        let v = o.value;
        match o.id {
            OptId::Help => {
                print!("{}", commands::usage());
                return EXIT_OK;
            }
            OptId::Version => {
                println!("evmctl {}", env!("CARGO_PKG_VERSION"));
                return EXIT_OK;
            }
            OptId::Verbose => s.verbose += 1,
            OptId::NoXattr => s.no_xattr = true,
            OptId::HashAlgo => s.hash_algo = v.map(|v| v.to_string_lossy().into_owned()),
            OptId::Pass => {
                s.pass = Some(match v {
                    Some(p) => PassSource::Given(Password::new(p.to_string_lossy().into_owned())),
                    None => PassSource::Prompt,
                })
            }
            OptId::SigFile => s.sigfile = true,
            OptId::Key => s.key = v.map(PathBuf::from),
            OptId::Recursive => s.recursive = true,
            OptId::XattrUser => {
                s.xattr = XattrNamespace::User;
                s.evm.ima_xattr = "user.ima";
            }
            OptId::Keyid => {
                let text = v
                    .map(|v| v.to_string_lossy().into_owned())
                    .unwrap_or_default();
                match crate::keys::parse_keyid_hex(&text) {
                    Some(k) => s.keyid = Some(k),
                    None => {
                        eprintln!("Invalid keyid value.");
                        error(format_args!(
                            "--keyid '{text}': give a non-zero 32-bit value in hex, e.g. --keyid 1a2b3c4d"
                        ));
                        return EXIT_FAIL;
                    }
                }
            }
            OptId::KeyidFromCert => s.keyid_from_cert = v.map(PathBuf::from),
            OptId::IgnoreUnsupported => s.ignore_unsupported = true,
            OptId::ImaSig => s.imasig = true,
            OptId::ImaHash => s.imahash = true,
            OptId::Portable => s.evm.portable = true,
            OptId::Smack => s.evm.smack = true,
            OptId::M32 => s.evm.layout = crate::evm::MiscLayout::Bits32,
            OptId::M64 => s.evm.layout = crate::evm::MiscLayout::Bits64,
            OptId::Uuid => {
                s.evm.uuid = match v {
                    None => crate::evm::UuidChoice::Omit,
                    Some(u) => match crate::evm::parse_uuid(&u.to_string_lossy()) {
                        Some(u) => crate::evm::UuidChoice::Given(u),
                        None => {
                            eprintln!("wrong UUID format");
                            error(format_args!(
                                "--uuid '{}': expected xxxxxxxx-xxxx-xxxx-xxxx-xxxxxxxxxxxx",
                                u.to_string_lossy()
                            ));
                            return EXIT_ERROR;
                        }
                    },
                }
            }
            OptId::Inode | OptId::Uid | OptId::Gid | OptId::Mode | OptId::Generation => {
                let text = v
                    .map(|v| v.to_string_lossy().into_owned())
                    .unwrap_or_default();
                let Ok(n) = text.parse::<u64>() else {
                    error(format_args!(
                        "--{}: '{text}' is not a decimal number",
                        long_name(o.id)
                    ));
                    return EXIT_ERROR;
                };
                match o.id {
                    OptId::Inode => s.evm.ino = Some(n),
                    OptId::Uid => s.evm.uid = Some(n as u32),
                    OptId::Gid => s.evm.gid = Some(n as u32),
                    OptId::Mode => s.evm.mode = Some(n as u32),
                    _ => s.evm.generation = Some(n as u32),
                }
            }
            OptId::Ima => {
                let text = v
                    .map(|v| v.to_string_lossy().into_owned())
                    .unwrap_or_default();
                match crate::hash::from_hex(&text) {
                    Some(b) => s.evm.ima = Some(b),
                    None => {
                        error(format_args!(
                            "--ima: '{text}' is not an even-length hex value"
                        ));
                        return EXIT_ERROR;
                    }
                }
            }
            OptId::Selinux => {
                let mut label = v.map(|v| v.into_encoded_bytes()).unwrap_or_default();
                label.push(0);
                s.evm.selinux = Some(label);
            }
            OptId::Caps => s.evm.caps = Some(v.map(|v| v.into_encoded_bytes())),
            OptId::Type => {
                let t = v
                    .map(|v| v.to_string_lossy().into_owned())
                    .unwrap_or_default();
                if let Some(bad) = t.chars().find(|c| !"fdsxm".contains(*c)) {
                    error(format_args!("-t {t}: unknown type letter '{bad}' (f, x, m; d and s are accepted and ignored)"));
                    return EXIT_ERROR;
                }
                s.skip_if_labelled = t.contains('x');
                s.same_fs = t.contains('m');
            }
            OptId::IgnoreViolations => s.ignore_violations = true,
            OptId::Rsa => s.rsa = true,
            OptId::VerifySig => s.verify_sig = true,
            OptId::Pcrs => {
                if s.pcrs.len() >= 2 {
                    eprintln!("too many --pcrfile options");
                    return EXIT_FAIL;
                }
                s.pcrs.push(
                    v.map(|v| v.to_string_lossy().into_owned())
                        .unwrap_or_default(),
                );
            }
            OptId::VerifyBank => s.verify_bank = v.map(|v| v.to_string_lossy().into_owned()),
        }
    }
    if s.pass.is_none() {
        if let Some(p) = std::env::var_os("EVMCTL_KEY_PASSWORD") {
            s.pass = Some(PassSource::Given(Password::new(
                p.to_string_lossy().into_owned(),
            )));
        }
    }
    let mut operands = parsed.operands.into_iter();
    let Some(cmd_name) = operands.next() else {
        print!("{}", commands::usage());
        return EXIT_OK;
    };
    let cmd_name = cmd_name.to_string_lossy().into_owned();
    let rest: Vec<OsString> = operands.collect();
    match opts::command(&cmd_name).map(|c| c.name) {
        Some("help") => commands::help(&rest),
        Some("ima_hash") => commands::ima_hash(&s, &rest),
        Some("ima_sign") => commands::ima_sign(&s, &rest),
        Some("ima_verify") => commands::ima_verify(&s, &rest),
        Some("ima_setxattr") => commands::ima_setxattr(&s, &rest),
        Some("ima_clear") => commands::ima_clear(&s, &rest),
        Some("import") => {
            let args: Vec<String> = rest
                .iter()
                .map(|a| a.to_string_lossy().into_owned())
                .collect();
            super::evmctl_import::cmd_import(&args, s.rsa, s.verbose)
        }
        Some("ima_fix") => commands::ima_fix(&s, &rest),
        Some("convert") => commands::convert(&s, &rest),
        Some("sign") => commands::sign_evm(&s, &rest),
        Some("ima_measurement") => measurement::ima_measurement(&s, &rest),
        Some("ima_boot_aggregate") => measurement::ima_boot_aggregate(&s, &rest),
        Some("verify") => commands::verify_evm(&s, &rest),
        Some("sign_hash") => commands::sign_hash(&s),
        _ => {
            println!("Invalid command: {cmd_name}");
            EXIT_ERROR
        }
    }
}
