//! The command-line front ends. Only this module parses argv and prints.

pub mod evmctl;
pub mod imactl;
