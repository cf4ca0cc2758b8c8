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
        name: "help",
        synopsis: "<command>",
        summary: "Print the usage of a command.",
        description: "Without a command, prints the general usage.",
    },
    CmdDef {
        name: "convert",
        synopsis: "key",
        summary: "convert public key into the keyring.",
        description: "Writes KEY.bin (the kernel's v1 public key blob) and KEY.keyid (its v1 \
                      keyid) from a PEM RSA public key (default /etc/keys/pubkey_evm.pem).",
    },
    CmdDef {
        name: "import",
        synopsis: "[--rsa] pubkey keyring",
        summary: "Import public key into the keyring.",
        description: "Adds an X.509 certificate (DER, or PEM as an extension) as an \"asymmetric\" \
                      key to KEYRING: a decimal or 0x-hex serial, @t @p @s @u @us @g, or a \
                      keyring name such as _ima, .ima or %keyring:NAME. Prints the new key's \
                      serial. With --rsa, a PEM RSA public key becomes a legacy \"user\" key.",
    },
    CmdDef {
        name: "sign",
        synopsis: "[-r] [--imahash | --imasig ] [--key key] [--pass [password] file",
        summary: "Sign file metadata.",
        description: "Writes an EVM v2 signature (security.evm) over the file's protected xattrs, \
                      owner, group, mode, inode, generation and filesystem UUID; with --portable \
                      over the xattrs, owner, group and mode only (type 0x05). With --imasig or \
                      --imahash, security.ima is written first.",
    },
    CmdDef {
        name: "verify",
        synopsis: "file",
        summary: "Verify EVM signature (for debugging).",
        description: "Checks the EVM signature in each FILE's security.evm against the \
                      certificates given with --key. Exit status 0 when it verifies, 1 for a bad \
                      signature, 125 when it cannot be checked.",
    },
    CmdDef {
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
        name: "ima_boot_aggregate",
        synopsis: "[--pcrs hash-algorithm,file] [TPM 1.2 BIOS event log]",
        summary: "Calculate per TPM bank boot_aggregate digests",
        description: "Prints `bank:hex` for every PCR bank read (TPM or --pcrs files): \
                      H(PCR0..7) for sha1, H(PCR0..9) for other banks; with a TPM 1.2 BIOS \
                      event log, the sha1 value after replaying it. This is what the IMA list's \
                      boot_aggregate record holds.",
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
        name: "ima_clear",
        synopsis: "[-r] path",
        summary: "Remove IMA/EVM xattrs.",
        description: "Removes security.ima and security.evm (user.* with --xattr-user) from each \
                      path, or from every regular file under it with -r. Symbolic links are never \
                      followed. Attributes that are absent are not an error.",
    },
    CmdDef {
        name: "ima_fix",
        synopsis: "[-t fdsxm] path",
        summary: "Recursively fix IMA/EVM xattrs in fix mode.",
        description: "Opens each file (every regular file under PATH with -r) so that a kernel \
                      booted with ima_appraise=fix (and evm=fix) writes its xattrs. Symbolic \
                      links are never followed.",
    },
    CmdDef {
        name: "sign_hash",
        synopsis: "[--key key] [--pass [password]",
        summary: "Sign hashes from shaXsum output.",
        description: "Reads lines of sha256sum-style output (a hex digest, then a separator and \
                      anything) on standard input and prints each line followed by a space and \
                      the hex of a security.ima v2 signature over that digest (-a names the \
                      digest's algorithm).",
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
