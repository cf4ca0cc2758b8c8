//! The evmctl command line, declared once: every option and command with its help text.
//! This table drives the getopt_long-compatible parser (`parse.rs`), `evmctl --help`,
//! the man page and the shell completions, so none of them can drift from the others.

/// Whether an option takes a value, in getopt_long's terms.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum HasArg {
    /// A flag.
    No,
    /// `-k VALUE`, `-kVALUE`, `--key VALUE`, `--key=VALUE`.
    Required,
    /// Only attached: `-pVALUE`, `--pass=VALUE`; a bare `-p` means "no value".
    Optional,
}

/// What an option means; the parser turns occurrences into these.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum OptId {
    Help,
    Verbose,
    NoXattr,
    HashAlgo,
    Pass,
    SigFile,
    Key,
    Recursive,
    Version,
    XattrUser,
    Keyid,
    KeyidFromCert,
    IgnoreUnsupported,
    ImaSig,
    ImaHash,
    Portable,
    Uuid,
    Smack,
    M32,
    M64,
    Inode,
    Uid,
    Gid,
    Mode,
    Generation,
    Ima,
    Selinux,
    Caps,
    IgnoreViolations,
    Rsa,
    Type,
    VerifySig,
    Pcrs,
    VerifyBank,
    Engine,
    Provider,
    Immutable,
    HmacKey,
    Hwtpm,
    VeritySig,
}

/// One option of the evmctl grammar.
#[derive(Debug)]
pub struct OptDef {
    pub id: OptId,
    pub short: Option<char>,
    pub long: Option<&'static str>,
    pub has_arg: HasArg,
    /// Placeholder for the value in help and man page.
    pub value_name: &'static str,
    pub help: &'static str,
    /// Commands the option matters to (empty: all).
    pub commands: &'static [&'static str],
}

/// What a command is; dispatch matches on this, never on the name.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum CmdId {
    Help,
    Convert,
    Import,
    Sign,
    Verify,
    ImaMeasurement,
    ImaBootAggregate,
    ImaSign,
    ImaVerify,
    ImaSetxattr,
    ImaClear,
    ImaFix,
    SignHash,
    ImaHash,
    Hmac,
}

/// One evmctl command.
#[derive(Debug)]
pub struct CmdDef {
    pub id: CmdId,
    pub name: &'static str,
    /// Usage after the command name, as `evmctl help CMD` prints it.
    pub synopsis: &'static str,
    pub summary: &'static str,
    /// Longer description for the man page.
    pub description: &'static str,
}

mod commands;
mod options;

pub use commands::COMMANDS;
pub use options::OPTIONS;

/// An option's help text; for -a it ends with the algorithm names, from the hash table.
pub fn help_text(o: &OptDef) -> String {
    if o.id == OptId::HashAlgo {
        format!(
            "{} {}",
            o.help,
            crate::hash::HashAlgo::all_names().join(", ")
        )
    } else {
        o.help.to_string()
    }
}

/// The option with this short letter.
pub fn by_short(c: char) -> Option<&'static OptDef> {
    OPTIONS.iter().find(|o| o.short == Some(c))
}

/// The long option `name` names: an exact match, else the only option it abbreviates
/// (getopt_long's rule). `Err` lists the candidates of an ambiguous abbreviation.
pub fn by_long(name: &str) -> Result<Option<&'static OptDef>, Vec<&'static str>> {
    if let Some(o) = OPTIONS.iter().find(|o| o.long == Some(name)) {
        return Ok(Some(o));
    }
    let cands: Vec<&OptDef> = OPTIONS
        .iter()
        .filter(|o| o.long.is_some_and(|l| l.starts_with(name)))
        .collect();
    match cands.len() {
        0 => Ok(None),
        1 => Ok(Some(cands[0])),
        _ => Err(cands.iter().filter_map(|o| o.long).collect()),
    }
}

/// The command named `name` (upstream compares case-insensitively).
pub fn command(name: &str) -> Option<&'static CmdDef> {
    COMMANDS.iter().find(|c| c.name.eq_ignore_ascii_case(name))
}

/// An environment variable evmctl reads.
#[derive(Debug)]
pub struct EnvDef {
    pub name: &'static str,
    /// The line of `evmctl --help` (upstream's words).
    pub help: &'static str,
    /// The man page's paragraph.
    pub description: &'static str,
}

/// The password of an encrypted private key, when no --pass is given.
pub const ENV_KEY_PASSWORD: &str = crate::cli::KEY_PASSWORD_ENV;

/// The PKCS#11 module for `pkcs11:` keys whose URI has no module-path.
pub const ENV_PKCS11_MODULE: &str = "EVMCTL_PKCS11_MODULE";

pub const ENV_VARS: &[EnvDef] = &[
    EnvDef {
        name: ENV_KEY_PASSWORD,
        help: "Private key password to use; do not use --pass option",
        description: "Password of an encrypted private key, or the PIN of a PKCS#11 token, used \
                      when no --pass option is given. Prefer it (or the prompt) to --pass: a \
                      command line is visible to every user.",
    },
    EnvDef {
        name: ENV_PKCS11_MODULE,
        help: "PKCS#11 module for pkcs11: keys whose URI has no module-path",
        description: "The PKCS#11 module (shared library) that holds a --key pkcs11: URI's key \
                      when the URI has neither module-path= nor module-name=. Without it, \
                      p11-kit's proxy (p11-kit-proxy.so) is used, which loads every module \
                      registered with p11-kit.",
    },
];

/// A file evmctl uses when none is named.
#[derive(Debug)]
pub struct FileDef {
    pub path: &'static str,
    pub help: &'static str,
}

/// The EVM HMAC key of the `hmac` debug command when --hmackey is not given.
pub const DEFAULT_HMAC_KEY: &str = "/etc/keys/evm-key-plain";
/// The signing key when --key is not given.
pub const DEFAULT_PRIVATE_KEY: &str = "/etc/keys/privkey_evm.pem";
/// The verification certificate (and the key `import` imports) when none is given.
pub const DEFAULT_CERT: &str = "/etc/keys/x509_evm.der";
/// The public key of `--rsa` (v1) verification, `convert` and `import --rsa`.
pub const DEFAULT_PUBLIC_KEY: &str = "/etc/keys/pubkey_evm.pem";

pub const DEFAULT_FILES: &[FileDef] = &[
    FileDef {
        path: DEFAULT_PRIVATE_KEY,
        help: "Default private key for signing.",
    },
    FileDef {
        path: DEFAULT_CERT,
        help: "Default certificate for verifying, and for import.",
    },
    FileDef {
        path: DEFAULT_HMAC_KEY,
        help: "Default symmetric key of the hmac debug command.",
    },
    FileDef {
        path: DEFAULT_PUBLIC_KEY,
        help: "Default public key for legacy v1 (--rsa) verification, convert and import --rsa.",
    },
];

/// evmctl's exit codes (upstream's).
pub const EXIT_OK: i32 = 0;
pub const EXIT_FAIL: i32 = 1;
pub const EXIT_ERROR: i32 = 125;

/// An exit code and what it means.
#[derive(Debug)]
pub struct ExitDef {
    pub code: i32,
    pub help: &'static str,
}

pub const EXIT_CODES: &[ExitDef] = &[
    ExitDef {
        code: EXIT_OK,
        help: "Success.",
    },
    ExitDef {
        code: EXIT_FAIL,
        help: "A signature did not verify (ima_verify: any file), or a bad option or option value.",
    },
    ExitDef {
        code: EXIT_ERROR,
        help: "Any other error: unreadable key or file, missing or malformed signature file, an \
               xattr the filesystem refused, unknown command.",
    },
];

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_option_names_real_commands() {
        for o in OPTIONS {
            for c in o.commands {
                assert!(
                    COMMANDS.iter().any(|d| d.name == *c),
                    "option {:?} names unknown command {c}",
                    o.id
                );
            }
        }
    }

    #[test]
    fn every_command_is_in_the_table_once() {
        for (i, c) in COMMANDS.iter().enumerate() {
            assert_eq!(command(c.name).map(|d| d.id), Some(c.id));
            assert!(
                COMMANDS[i + 1..]
                    .iter()
                    .all(|d| d.id != c.id && d.name != c.name),
                "{} twice",
                c.name
            );
        }
        assert_eq!(COMMANDS.len(), 15);
    }

    #[test]
    fn options_are_unique() {
        for (i, o) in OPTIONS.iter().enumerate() {
            for p in &OPTIONS[i + 1..] {
                assert_ne!(o.id, p.id);
                assert!(o.short.is_none() || o.short != p.short, "{:?}", o.id);
                assert!(o.long.is_none() || o.long != p.long, "{:?}", o.id);
            }
        }
    }
}
