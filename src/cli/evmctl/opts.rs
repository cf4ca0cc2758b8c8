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

pub const OPTIONS: &[OptDef] = &[
    OptDef {
        id: OptId::HashAlgo,
        short: Some('a'),
        long: Some("hashalgo"),
        has_arg: HasArg::Required,
        value_name: "ALGO",
        help: "hash algorithm (case-sensitive; default sha256):",
        commands: &["ima_hash", "ima_sign", "sign_hash", "sign"],
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
        commands: &[
            "ima_hash",
            "ima_sign",
            "ima_verify",
            "ima_setxattr",
            "ima_clear",
        ],
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
        commands: &["ima_sign", "ima_verify", "sign_hash", "sign", "verify", "ima_measurement"],
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
        commands: &["ima_sign", "sign_hash", "sign"],
    },
    OptDef {
        id: OptId::KeyidFromCert,
        short: None,
        long: Some("keyid-from-cert"),
        has_arg: HasArg::Required,
        value_name: "CERT",
        help: "take the keyid from the Subject Key Identifier of this certificate",
        commands: &["ima_sign", "sign_hash", "sign"],
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
        commands: &["ima_sign", "sign_hash", "sign"],
    },
    OptDef {
        id: OptId::ImaSig,
        short: Some('s'),
        long: Some("imasig"),
        has_arg: HasArg::No,
        value_name: "",
        help: "sign: make the IMA signature (security.ima) first",
        commands: &["sign"],
    },
    OptDef {
        id: OptId::ImaHash,
        short: Some('d'),
        long: Some("imahash"),
        has_arg: HasArg::No,
        value_name: "",
        help: "sign: write the IMA hash (security.ima) first",
        commands: &["sign"],
    },
    OptDef {
        id: OptId::Portable,
        short: Some('o'),
        long: Some("portable"),
        has_arg: HasArg::No,
        value_name: "",
        help: "sign: a portable EVM signature (type 0x05: no inode, generation or UUID; needs security.ima)",
        commands: &["sign"],
    },
    OptDef {
        id: OptId::Uuid,
        short: Some('u'),
        long: Some("uuid"),
        has_arg: HasArg::Optional,
        value_name: "UUID",
        help: "EVM: hash this filesystem UUID instead of the file's filesystem's; a bare -u leaves the UUID out",
        commands: &["sign", "verify"],
    },
    OptDef {
        id: OptId::Smack,
        short: None,
        long: Some("smack"),
        has_arg: HasArg::No,
        value_name: "",
        help: "EVM: also hash security.SMACK64EXEC, SMACK64TRANSMUTE and SMACK64MMAP",
        commands: &["sign", "verify"],
    },
    OptDef {
        id: OptId::M32,
        short: None,
        long: Some("m32"),
        has_arg: HasArg::No,
        value_name: "",
        help: "EVM: the metadata layout of a 32-bit target (20 bytes)",
        commands: &["sign", "verify"],
    },
    OptDef {
        id: OptId::M64,
        short: None,
        long: Some("m64"),
        has_arg: HasArg::No,
        value_name: "",
        help: "EVM: the metadata layout of a 64-bit target (24 bytes)",
        commands: &["sign", "verify"],
    },
    OptDef {
        id: OptId::Inode,
        short: None,
        long: Some("inode"),
        has_arg: HasArg::Required,
        value_name: "N",
        help: "EVM: use this inode number (decimal)",
        commands: &["sign", "verify"],
    },
    OptDef {
        id: OptId::Uid,
        short: None,
        long: Some("uid"),
        has_arg: HasArg::Required,
        value_name: "N",
        help: "EVM: use this owner uid (decimal)",
        commands: &["sign", "verify"],
    },
    OptDef {
        id: OptId::Gid,
        short: None,
        long: Some("gid"),
        has_arg: HasArg::Required,
        value_name: "N",
        help: "EVM: use this group gid (decimal)",
        commands: &["sign", "verify"],
    },
    OptDef {
        id: OptId::Mode,
        short: None,
        long: Some("mode"),
        has_arg: HasArg::Required,
        value_name: "N",
        help: "EVM: use this mode (decimal, e.g. 33188 for a 0644 file)",
        commands: &["sign", "verify"],
    },
    OptDef {
        id: OptId::Generation,
        short: None,
        long: Some("generation"),
        has_arg: HasArg::Required,
        value_name: "N",
        help: "EVM: use this inode generation (decimal) instead of FS_IOC_GETVERSION",
        commands: &["sign", "verify"],
    },
    OptDef {
        id: OptId::Ima,
        short: None,
        long: Some("ima"),
        has_arg: HasArg::Required,
        value_name: "HEX",
        help: "EVM: hash this security.ima value (hex) instead of the file's",
        commands: &["sign", "verify"],
    },
    OptDef {
        id: OptId::Selinux,
        short: None,
        long: Some("selinux"),
        has_arg: HasArg::Required,
        value_name: "LABEL",
        help: "EVM: hash this SELinux label (a NUL is appended) instead of the file's",
        commands: &["sign", "verify"],
    },
    OptDef {
        id: OptId::Caps,
        short: None,
        long: Some("caps"),
        has_arg: HasArg::Optional,
        value_name: "TEXT",
        help: "EVM: hash this security.capability value; a bare --caps leaves capabilities out",
        commands: &["sign", "verify"],
    },
    OptDef {
        id: OptId::IgnoreViolations,
        short: None,
        long: Some("ignore-violations"),
        has_arg: HasArg::No,
        value_name: "",
        help: "ima_measurement: replay violations (zero digests) as the 0xff the kernel extended",
        commands: &["ima_measurement"],
    },
    OptDef {
        id: OptId::VerifySig,
        short: None,
        long: Some("verify-sig"),
        has_arg: HasArg::No,
        value_name: "",
        help: "ima_measurement: verify the signatures in ima-sig records against the digests in the list (certificates from --key); a failure fails the run",
        commands: &["ima_measurement"],
    },
    OptDef {
        id: OptId::Pcrs,
        short: None,
        long: Some("pcrs"),
        has_arg: HasArg::Required,
        value_name: "[ALGO,]FILE",
        help: "ima_measurement: read the PCR values of bank ALGO (sha1, the default, or sha256) from FILE ('PCR-NN: hex' lines) instead of the TPM; up to two",
        commands: &["ima_measurement", "ima_boot_aggregate"],
    },
    OptDef {
        id: OptId::VerifyBank,
        short: None,
        long: Some("verify-bank"),
        has_arg: HasArg::Optional,
        value_name: "ALGO",
        help: "ima_measurement: check only this bank (sha1 or sha256)",
        commands: &["ima_measurement"],
    },
    OptDef {
        id: OptId::Rsa,
        short: Some('1'),
        long: Some("rsa"),
        has_arg: HasArg::No,
        value_name: "",
        help: "legacy v1 (RSA) scheme: import a PEM RSA public key as a \"user\" key; ima_sign \
               and sign make v1 signatures (sha1 or sha256); ima_verify and verify check them \
               with a PEM public key (--key, default /etc/keys/pubkey_evm.pem)",
        commands: &["import", "ima_sign", "ima_verify", "sign", "verify", "convert"],
    },
    OptDef {
        id: OptId::Type,
        short: Some('t'),
        long: Some("type"),
        has_arg: HasArg::Required,
        value_name: "fdsxm",
        help: "with -r: x skips files that already have both IMA and EVM xattrs (ima_fix), m \
               stays on the starting filesystem (like find -xdev); f (regular files) is the \
               default, d and s are accepted for compatibility",
        commands: &["ima_fix", "ima_clear"],
    },
    OptDef {
        id: OptId::Recursive,
        short: Some('r'),
        long: Some("recursive"),
        has_arg: HasArg::No,
        value_name: "",
        help: "walk directories: every regular file, symbolic links never followed; every \
               failure is reported and makes the exit code non-zero",
        commands: &["ima_hash", "ima_sign", "ima_clear", "ima_fix", "sign"],
    },
    OptDef {
        id: OptId::NoXattr,
        short: Some('n'),
        long: None,
        has_arg: HasArg::No,
        value_name: "",
        help: "print the value on standard output instead of setting the xattr",
        commands: &["ima_hash", "ima_sign", "sign"],
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
        id: CmdId::Help,
        name: "help",
        synopsis: "<command>",
        summary: "Print the usage of a command.",
        description: "Without a command, prints the general usage.",
    },
    CmdDef {
        id: CmdId::Convert,
        name: "convert",
        synopsis: "key",
        summary: "convert public key into the keyring.",
        description: "Writes KEY.bin (the kernel's v1 public key blob) and KEY.keyid (its v1 \
                      keyid) from a PEM RSA public key (default /etc/keys/pubkey_evm.pem).",
    },
    CmdDef {
        id: CmdId::Import,
        name: "import",
        synopsis: "[--rsa] pubkey keyring",
        summary: "Import public key into the keyring.",
        description: "Adds an X.509 certificate (DER, or PEM as an extension) as an \"asymmetric\" \
                      key to KEYRING: a decimal or 0x-hex serial, @t @p @s @u @us @g, or a \
                      keyring name such as _ima, .ima or %keyring:NAME. Prints the new key's \
                      serial. With --rsa, a PEM RSA public key becomes a legacy \"user\" key.",
    },
    CmdDef {
        id: CmdId::Sign,
        name: "sign",
        synopsis: "[-r] [--imahash | --imasig ] [--key key] [--pass [password] file",
        summary: "Sign file metadata.",
        description: "Writes an EVM v2 signature (security.evm) over the file's protected xattrs, \
                      owner, group, mode, inode, generation and filesystem UUID; with --portable \
                      over the xattrs, owner, group and mode only (type 0x05). With --imasig or \
                      --imahash, security.ima is written first.",
    },
    CmdDef {
        id: CmdId::Verify,
        name: "verify",
        synopsis: "file",
        summary: "Verify EVM signature (for debugging).",
        description: "Checks the EVM signature in each FILE's security.evm against the \
                      certificates given with --key. Exit status 0 when it verifies, 1 for a bad \
                      signature, 125 when it cannot be checked.",
    },
    CmdDef {
        id: CmdId::ImaMeasurement,
        name: "ima_measurement",
        synopsis: "[--ignore-violations] [--verify-sig [--key key1, key2, ...]] [--pcrs [hash-algorithm,]file [--pcrs hash-algorithm,file] ...] [--verify-bank hash-algorithm] file",
        summary: "Verify measurement list (experimental).",
        description: "Checks every record's template data digest, replays the sha1 and sha256 \
                      PCR banks (also as zero-padded SHA-1, as kernels before 5.8 extended) and \
                      compares them with the TPM's PCRs (TPM 1.2 sysfs, TPM 2.0 \
                      /sys/class/tpm/tpm0/pcr-BANK/N) or with --pcrs files. Exit status 0 when \
                      a bank matches (or no PCRs could be read) and every digest verifies, 1 \
                      otherwise.",
    },
    CmdDef {
        id: CmdId::ImaBootAggregate,
        name: "ima_boot_aggregate",
        synopsis: "[--pcrs hash-algorithm,file] [TPM 1.2 BIOS event log]",
        summary: "Calculate per TPM bank boot_aggregate digests",
        description: "Prints `bank:hex` for every PCR bank read (TPM or --pcrs files): \
                      H(PCR0..7) for sha1, H(PCR0..9) for other banks; with a TPM 1.2 BIOS \
                      event log, the sha1 value after replaying it. This is what the IMA list's \
                      boot_aggregate record holds.",
    },
    CmdDef {
        id: CmdId::ImaSign,
        name: "ima_sign",
        synopsis: "[--sigfile] [--key key] [--pass [password] file",
        summary: "Make file content signature.",
        description: "Hashes each FILE and writes a v2 signature (type 0x03) to its security.ima \
                      attribute, through the same open file descriptor. The value is printed \
                      in hex on standard output.",
    },
    CmdDef {
        id: CmdId::ImaVerify,
        name: "ima_verify",
        synopsis: "file",
        summary: "Verify IMA signature (for debugging).",
        description: "Checks the v2 signature in each FILE's security.ima (or FILE.sig with \
                      --sigfile) against the certificates given with --key. Exit status 0 \
                      only when every file verifies, 1 otherwise.",
    },
    CmdDef {
        id: CmdId::ImaSetxattr,
        name: "ima_setxattr",
        synopsis: "[--sigfile file]",
        summary: "Set IMA signature from sigfile",
        description: "Installs a detached signature as FILE's security.ima: from FILE.sig, or \
                      from SIGFILE with `--sigfile SIGFILE FILE`. A missing or empty signature \
                      file is an error. Never prompts and never reads standard input, so it is \
                      safe in RPM %post scriptlets.",
    },
    CmdDef {
        id: CmdId::ImaClear,
        name: "ima_clear",
        synopsis: "[-r] path",
        summary: "Remove IMA/EVM xattrs.",
        description: "Removes security.ima and security.evm (user.* with --xattr-user) from each \
                      path, or from every regular file under it with -r. Symbolic links are never \
                      followed. Attributes that are absent are not an error.",
    },
    CmdDef {
        id: CmdId::ImaFix,
        name: "ima_fix",
        synopsis: "[-t fdsxm] path",
        summary: "Recursively fix IMA/EVM xattrs in fix mode.",
        description: "Opens each file (every regular file under PATH with -r) so that a kernel \
                      booted with ima_appraise=fix (and evm=fix) writes its xattrs. Symbolic \
                      links are never followed.",
    },
    CmdDef {
        id: CmdId::SignHash,
        name: "sign_hash",
        synopsis: "[--key key] [--pass [password]",
        summary: "Sign hashes from shaXsum output.",
        description: "Reads lines of sha256sum-style output (a hex digest, then a separator and \
                      anything) on standard input and prints each line followed by a space and \
                      the hex of a security.ima v2 signature over that digest (-a names the \
                      digest's algorithm).",
    },
    CmdDef {
        id: CmdId::ImaHash,
        name: "ima_hash",
        synopsis: "file",
        summary: "Make file content hash.",
        description: "Writes the file's digest to security.ima: type 0x04 (algorithm byte and \
                      digest), or 0x01 for md4, md5 and sha1. The value is printed in hex.",
    },
];

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
pub const ENV_KEY_PASSWORD: &str = "EVMCTL_KEY_PASSWORD";

pub const ENV_VARS: &[EnvDef] = &[EnvDef {
    name: ENV_KEY_PASSWORD,
    help: "Private key password to use; do not use --pass option",
    description: "Password of an encrypted private key, used when no --pass option is given. \
                  Prefer it (or the prompt) to --pass: a command line is visible to every user.",
}];

/// A file evmctl uses when none is named.
#[derive(Debug)]
pub struct FileDef {
    pub path: &'static str,
    pub help: &'static str,
}

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
        assert_eq!(COMMANDS.len(), 14);
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
