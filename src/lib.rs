//! imaevm: the library behind `evmctl` and `imactl`.
//!
//! Crate map (data flows one way: front end -> request -> library -> result -> front end):
//! - [`hash`]: hash algorithm table (kernel ids, names, sizes) and streaming digests.
//! - [`format`]: `security.ima` values and signature headers, bytes only.
//! - [`keys`]: private keys, certificates, public keys, keyid derivation.
//! - [`measurement`]: IMA measurement lists: records, template digests, PCR replay.
//! - [`keyref`]: a signing key reference (a file or a `pkcs11:` URI) opened as one `Signer`.
//! - [`pkcs11`]: keys in PKCS#11 tokens (RFC 7512 URIs), a `Signer` that never sees the key.
//! - [`sign`]: the `Signer` abstraction and v2 signature creation and verification.
//! - [`verdict`]: what a signature check found, in the kernel's words.
//! - [`verify`]: one `Verifier` for certificates (v2), legacy public keys (v1) and kernel
//!   keyrings, and the `Verdict` it gives.
//! - [`verity`]: fs-verity signatures (sigv3, type 0x06) over the ima_file_id structure.
//! - [`evm`]: EVM digest inputs (xattrs, metadata, filesystem UUID).
//! - [`input`]: one bounded reader for every input file read whole (caps per kind).
//! - [`fsops`]: file access: one open per file, hashing through it, xattrs, `.sig` files, walks.
//! - [`modsig`]: appended signatures in the kernel module format (kernel images on vfat).
//! - [`pe`]: PE images (kexec kernels): headers, the Authenticode digest and signature.
//! - [`uefi`]: EFI signature lists (the firmware's db, shim's MokListRT).
//! - [`ops`]: what the tools do to one file (hash, sign, install, clear), step by step.
//! - [`pipeline`]: many files on every core, results in input order, memory bounded.
//! - [`cores`]: how many cores the pipeline's workers hold, so that a helper thread for one
//!   file starts only on a core that would idle.
//! - [`kernel_hook`]: after a kernel update, the image kexec and kdump load is left signed, or
//!   a warning says what will fail.
//! - [`keyring`]: kernel keyrings: finding the IMA keyring, adding keys, kernel-side verification.
//! - [`restore`]: security.ima re-applied from the rpm database, a package or .sig files,
//!   never onto a file whose content is not the recorded one.
//! - [`policy`]: IMA policy rules: parser, per-kernel validation, canonical printer, securityfs loader.
//! - [`boot`]: the boot step: every configured certificate into the IMA keyring, then the
//!   policy, idempotently.
//! - [`status`]: whether kexec is protected here: kernel facts in, a verdict out.
//! - [`error`]: system errors in words.
//! - [`escape`]: untrusted text made safe to print on a terminal.
//! - [`sys`]: every raw system call, one safe wrapper each; the only module with code the
//!   compiler cannot check (a test in tests/ fails when such code appears elsewhere).
//! - [`cli`]: the two front ends (argv parsing and printing live only there).

pub mod boot;
pub mod cli;
pub mod cores;
pub mod error;
pub mod escape;
pub mod evm;
pub mod format;
pub mod fsops;
pub mod hash;
pub mod input;
pub mod kernel_hook;
pub mod keyref;
pub mod keyring;
pub mod keys;
pub mod measurement;
pub mod modsig;
pub mod modsig_file;
pub mod ops;
pub mod pe;
pub mod pipeline;
pub mod pkcs11;
pub mod policy;
pub mod restore;
pub mod sign;
pub mod status;
pub mod sys;
pub mod uefi;
pub mod verdict;
pub mod verify;
pub mod verity;
