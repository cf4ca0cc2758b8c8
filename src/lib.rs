//! imaevm: the library behind `evmctl` and `imactl`.
//!
//! Crate map (data flows one way: front end -> request -> library -> result -> front end):
//! - [`hash`]: hash algorithm table (kernel ids, names, sizes) and streaming digests.
//! - [`format`]: `security.ima` values and signature headers, bytes only.
//! - [`keys`]: private keys, certificates, public keys, keyid derivation.
//! - [`measurement`]: IMA measurement lists: records, template digests, PCR replay.
//! - [`sign`]: the `Signer` abstraction and v2 signature creation and verification.
//! - [`evm`]: EVM digest inputs (xattrs, metadata, filesystem UUID).
//! - [`fsops`]: file access: one open per file, hashing through it, xattrs, `.sig` files, walks.
//! - [`keyring`]: kernel keyrings: finding the IMA keyring, adding keys, kernel-side verification.
//! - [`policy`]: IMA policy rules: parser, per-kernel validation, canonical printer, securityfs loader.
//! - [`status`]: whether kexec is protected here: kernel facts in, a verdict out.
//! - [`error`]: system errors in words.
//! - [`cli`]: the two front ends (argv parsing and printing live only there).

pub mod cli;
pub mod error;
pub mod evm;
pub mod format;
pub mod fsops;
pub mod hash;
pub mod keyring;
pub mod keys;
pub mod measurement;
pub mod policy;
pub mod sign;
pub mod status;
