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

/// One evmctl command.
#[derive(Debug)]
pub struct CmdDef {
    pub name: &'static str,
    /// Usage after the command name, as `evmctl help CMD` prints it.
    pub synopsis: &'static str,
    pub summary: &'static str,
    /// Longer description for the man page.
    pub description: &'static str,
}

pub const OPTIONS: &[OptDef] = &[
    OptDef {
        id: OptId::HashAlgo,
        short: Some('a'),
        long: Some("hashalgo"),
        has_arg: HasArg::Required,
        value_name: "ALGO",
        help: "hash algorithm: md4, md5, sha1, sha224, sha256, sha384, sha512, rmd160, sm3, \
               streebog256, streebog512 (also md_gost12_256, md_gost12_512); default sha256",
        commands: &["ima_hash", "ima_sign"],
    },
    OptDef {
        id: OptId::SigFile,
        short: Some('f'),
        long: Some("sigfile"),
        has_arg: HasArg::No,
        value_name: "",
        help: "ima_sign: also write the value to FILE.sig; ima_verify: read FILE.sig instead of \
               the xattr; ima_setxattr: take the signature from the file named before FILE",
        commands: &["ima_sign", "ima_verify", "ima_setxattr"],
    },
    OptDef {
        id: OptId::XattrUser,
        short: None,
        long: Some("xattr-user"),
        has_arg: HasArg::No,
        value_name: "",
        help: "use user.ima instead of security.ima (for testing without privileges)",
        commands: &["ima_hash", "ima_sign", "ima_verify", "ima_setxattr"],
    },
    OptDef {
        id: OptId::Key,
        short: Some('k'),
        long: Some("key"),
        has_arg: HasArg::Required,
        value_name: "KEY",
        help: "signing: private key file (PEM or DER; default /etc/keys/privkey_evm.pem); \
               verifying: certificate(s), comma-separated (PEM or DER; default \
               /etc/keys/x509_evm.der)",
        commands: &["ima_sign", "ima_verify"],
    },
    OptDef {
        id: OptId::IgnoreUnsupported,
        short: None,
        long: Some("ignore-unsupported"),
        has_arg: HasArg::No,
        value_name: "",
        help: "ima_setxattr: when the filesystem has no xattr support (EOPNOTSUPP) or the \
               process lacks CAP_SYS_ADMIN (EPERM), print a warning and exit 0 instead of 125 \
               (for package scriptlets on container filesystems)",
        commands: &["ima_setxattr"],
    },
    OptDef {
        id: OptId::Keyid,
        short: None,
        long: Some("keyid"),
        has_arg: HasArg::Required,
        value_name: "HEX",
        help: "write this 32-bit keyid (hex, non-zero) into the signature",
        commands: &["ima_sign"],
    },
    OptDef {
        id: OptId::KeyidFromCert,
        short: None,
        long: Some("keyid-from-cert"),
        has_arg: HasArg::Required,
        value_name: "CERT",
        help: "take the keyid from the Subject Key Identifier of this certificate",
        commands: &["ima_sign"],
    },
    OptDef {
        id: OptId::Pass,
        short: Some('p'),
        long: Some("pass"),
        has_arg: HasArg::Optional,
        value_name: "PASSWORD",
        help: "password of an encrypted private key; a bare -p asks on the terminal \
               (prefer EVMCTL_KEY_PASSWORD or the prompt: a password on the command line is \
               visible to other users)",
        commands: &["ima_sign"],
    },
    OptDef {
        id: OptId::Recursive,
        short: Some('r'),
        long: Some("recursive"),
        has_arg: HasArg::No,
        value_name: "",
        help: "walk directories: every regular file, symbolic links never followed; every \
               failure is reported and makes the exit code non-zero",
        commands: &["ima_hash", "ima_sign"],
    },
    OptDef {
        id: OptId::NoXattr,
        short: Some('n'),
        long: None,
        has_arg: HasArg::No,
        value_name: "",
        help: "print the value on standard output instead of setting the xattr",
        commands: &["ima_hash", "ima_sign"],
    },
    OptDef {
        id: OptId::Verbose,
        short: Some('v'),
        long: None,
        has_arg: HasArg::No,
        value_name: "",
        help: "increase verbosity (repeatable)",
        commands: &[],
    },
    OptDef {
        id: OptId::Help,
        short: Some('h'),
        long: Some("help"),
        has_arg: HasArg::No,
        value_name: "",
        help: "print usage and exit",
        commands: &[],
    },
    OptDef {
        id: OptId::Version,
        short: None,
        long: Some("version"),
        has_arg: HasArg::No,
        value_name: "",
        help: "print the version and exit",
        commands: &[],
    },
];

pub const COMMANDS: &[CmdDef] = &[
    CmdDef {
        name: "help",
        synopsis: "<command>",
        summary: "Print the usage of a command.",
        description: "Without a command, prints the general usage.",
    },
    CmdDef {
        name: "ima_sign",
        synopsis: "[--sigfile] [--key key] [--pass [password] file",
        summary: "Make file content signature.",
        description: "Hashes each FILE and writes a v2 signature (type 0x03) to its security.ima \
                      attribute, through the same open file descriptor. The value is printed \
                      in hex on standard output.",
    },
    CmdDef {
        name: "ima_verify",
        synopsis: "file",
        summary: "Verify IMA signature (for debugging).",
        description: "Checks the v2 signature in each FILE's security.ima (or FILE.sig with \
                      --sigfile) against the certificates given with --key. Exit status 0 \
                      only when every file verifies, 1 otherwise.",
    },
    CmdDef {
        name: "ima_setxattr",
        synopsis: "[--sigfile file]",
        summary: "Set IMA signature from sigfile",
        description: "Installs a detached signature as FILE's security.ima: from FILE.sig, or \
                      from SIGFILE with `--sigfile SIGFILE FILE`. A missing or empty signature \
                      file is an error. Never prompts and never reads standard input, so it is \
                      safe in RPM %post scriptlets.",
    },
    CmdDef {
        name: "ima_hash",
        synopsis: "file",
        summary: "Make file content hash.",
        description: "Writes the file's digest to security.ima: type 0x04 (algorithm byte and \
                      digest), or 0x01 for md4, md5 and sha1. The value is printed in hex.",
    },
];

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
