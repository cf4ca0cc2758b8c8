//! Every evmctl command, with its synopsis, summary and man page description.

use super::{CmdDef, CmdId};

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
                      otherwise; a malformed record is an error naming the record. A --pcrs \
                      file holds `PCR-NN: hex` lines from PCR-00 on, in order, each PCR once \
                      and none skipped, through at least the highest PCR the list extends (10 \
                      for IMA); other lines are ignored, and a duplicate, a gap or a value of \
                      the wrong size is an error naming the line.",
    },
    CmdDef {
        id: CmdId::ImaBootAggregate,
        name: "ima_boot_aggregate",
        synopsis: "[--pcrs hash-algorithm,file] [TPM 1.2 BIOS event log] [--hwtpm]",
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
                      --sigfile) against the certificates given with --key. An fs-verity \
                      signature (sigv3, type 0x06) is checked as the kernel does under a \
                      digest_type=verity rule: over the ima_file_id of the file's fs-verity \
                      digest, read with FS_IOC_MEASURE_VERITY; a file without fs-verity is \
                      refused (\"fs-verity is not enabled on FILE\"). Upstream evmctl (1.5, \
                      1.6) refuses every sigv3 file here. Exit status 0 only when every file \
                      verifies, 1 otherwise.",
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
        synopsis: "[--veritysig] [--key key] [--pass [password]",
        summary: "Sign hashes from shaXsum or fsverity digest output.",
        description: "Reads lines of sha256sum-style output (a hex digest, then a separator and \
                      anything) on standard input and prints each line followed by a space and \
                      the hex of a security.ima v2 signature over that digest (-a names the \
                      digest's algorithm). With --veritysig the lines are `fsverity digest` \
                      output (ALG:HEXDIGEST PATH) and each value is an fs-verity sigv3 \
                      signature (type 0x06) over the ima_file_id {type, algorithm, digest}.",
    },
    CmdDef {
        id: CmdId::ImaHash,
        name: "ima_hash",
        synopsis: "file",
        summary: "Make file content hash.",
        description: "Writes the file's digest to security.ima: type 0x04 (algorithm byte and \
                      digest), or 0x01 for md4, md5 and sha1. The value is printed in hex.",
    },
    CmdDef {
        id: CmdId::Hmac,
        name: "hmac",
        synopsis: "[--imahash | --imasig] [--hmackey key] file",
        summary: "Debug: write an EVM HMAC with a symmetric key (for tests).",
        description: "A debugging command, as upstream has it: computes the HMAC-SHA1 of the \
                      file's EVM inputs with the key of --hmackey (default \
                      /etc/keys/evm-key-plain, at most 128 bytes, zero-padded) and writes it to \
                      security.evm as type 0x02 (not with -n). The kernel makes and checks these \
                      HMACs itself with its own key; this only reproduces one for testing. \
                      --imasig or --imahash first writes security.ima. Overrides such as \
                      --inode or --selinux are not applied, as upstream.",
    },
];
