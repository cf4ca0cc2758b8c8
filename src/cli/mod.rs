//! The command-line front ends. Only this module parses argv and prints.

pub mod evmctl;
pub mod imactl;

/// The environment variable both front ends read an encrypted private key's password from
/// (evmctl's name, kept for imactl so that one variable serves both).
pub const KEY_PASSWORD_ENV: &str = "EVMCTL_KEY_PASSWORD";
