//! Commands on files and keys that neither sign nor verify: `ima_setxattr`, `ima_clear`,
//! `ima_fix`, `convert`, and the usage texts.

use super::opts::{self, HasArg, EXIT_ERROR, EXIT_FAIL, EXIT_OK};
use super::output::{error, for_each_file};
use super::request::{ConvertRequest, FilesRequest, FixRequest, SetxattrRequest};
use super::signing::exit_code;
use crate::fsops;
use crate::ops;

/// `ima_setxattr [--sigfile SIG] FILE`: installs a detached signature. Never prompts and
/// never reads stdin. A missing, empty or malformed signature file is an error.
pub fn ima_setxattr(req: SetxattrRequest) -> i32 {
    // Upstream prints this at its default verbosity; here only with -v, so that a failing
    // scriptlet shows exactly one line.
    req.log
        .debug(format_args!("Reading to {}\n", req.sig.display()));
    match ops::install_value(&req.file, &req.sig, req.xattr.ima()) {
        Ok(()) => EXIT_OK,
        Err(e) if e.is_unsupported() && req.ignore_unsupported => {
            error(format_args!("warning: {e}; ignored (--ignore-unsupported)"));
            EXIT_OK
        }
        Err(e) => {
            error(e);
            EXIT_ERROR
        }
    }
}

/// `ima_clear`: removes the IMA and EVM xattrs (absent ones are fine).
pub fn ima_clear(req: FilesRequest) -> i32 {
    exit_code(for_each_file(req.log, &req.files, "cleared", |path, o| {
        o.info(format!("{}\n", path.display()));
        for e in ops::clear(path, &[req.xattr.ima(), req.xattr.evm()]) {
            o.fail(e);
        }
    }))
}

/// `ima_fix`: opens every file so that a kernel booted with `ima_appraise=fix` writes its
/// security.ima; with `-t x`, files that already have both IMA and EVM xattrs are skipped.
pub fn ima_fix(req: FixRequest) -> i32 {
    let c = &req.clear;
    exit_code(for_each_file(c.log, &c.files, "opened", |path, o| {
        o.info(format!("{}\n", path.display()));
        if let Err(e) = ops::touch(path, &[c.xattr.ima(), c.xattr.evm()], req.skip_if_labelled) {
            o.fail(e);
        }
    }))
}

/// `convert [KEY]`: KEY.bin (the v1 public key blob) and KEY.keyid from a PEM RSA key.
pub fn convert(req: ConvertRequest) -> i32 {
    let path = &req.key;
    let key = match crate::keys::PublicKey::load_pem(path) {
        Ok(k) => k,
        Err(e) => {
            error(e);
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
        let target = std::path::PathBuf::from(target);
        req.log
            .info(format_args!("Writing to {}\n", target.display()));
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
pub fn help(name: Option<&str>) -> i32 {
    let Some(name) = name else {
        print!("{}", usage());
        return EXIT_OK;
    };
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

/// The general usage text, generated from the option, command and environment tables.
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
        u.push_str(&format!("  {flag:<28} {}\n", opts::help_text(o)));
    }
    u.push_str("\nEnvironment variables:\n\n");
    for e in opts::ENV_VARS {
        u.push_str(&format!("{:<20} : {}\n", e.name, e.help));
    }
    u.push('\n');
    u
}
