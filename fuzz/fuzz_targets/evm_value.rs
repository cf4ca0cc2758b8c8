#![no_main]
//! cargo-fuzz target `evm_value`: see fuzz/entries.rs.

#[path = "../entries.rs"]
mod entries;

libfuzzer_sys::fuzz_target!(|data: &[u8]| entries::evm_value(data));
