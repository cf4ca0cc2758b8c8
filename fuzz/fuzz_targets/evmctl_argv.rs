#![no_main]
//! cargo-fuzz target `evmctl_argv`: see fuzz/entries.rs.

#[path = "../entries.rs"]
mod entries;

libfuzzer_sys::fuzz_target!(|data: &[u8]| entries::evmctl_argv(data));
